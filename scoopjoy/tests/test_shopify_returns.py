"""Returns that move stock (issue #24), on a real site against the Shopify simulator.

Goods that shipped and came back (a refund line restocked as RETURN) are taken back into stock by a
return Delivery Note against the note that delivered them: into the warehouse of the refund's
restock location, at the valuation they left with, on the refund's day, once. Units that never
shipped (CANCEL) and refunds that restock nothing (NO_RESTOCK) move no stock.
"""

from __future__ import annotations

import frappe
from frappe.utils import flt, getdate

from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.tests.test_shopify_money import ShopifyMoneyTestCase, gl_of


class ReturnsTestCase(ShopifyMoneyTestCase):
	"""A stock tub in the store's warehouse (10 at 2.00), and Harbour: a location mapped to a
	warehouse of its own."""

	def setUp(self):
		super().setUp()
		frappe.db.set_single_value("Stock Settings", "allow_negative_stock", 0)
		self.harbour = self.shop.add_location("Harbour")
		self.harbour_warehouse = self.outlet_warehouse("Harbour")
		settings = self.store_doc()
		settings.append(
			"locations",
			{
				"location_id": self.harbour["id"],
				"location_name": "Harbour",
				"warehouse": self.harbour_warehouse,
			},
		)
		settings.save()
		self.code = f"SHOP-R-TUB-{frappe.generate_hash(length=5).upper()}"
		self.variant = self.mapped_variant(self.code, price="9.00")
		frappe.db.set_value("Item", self.code, "is_stock_item", 1)
		self.warehouse = settings.warehouse
		self.receive(self.code, self.warehouse, 10)  # at 2.00 a tub

	def stock(self, warehouse: str) -> float:
		return flt(frappe.db.get_value("Bin", {"item_code": self.code, "warehouse": warehouse}, "actual_qty"))

	def returns_of(self, so: str) -> list[str]:
		return frappe.get_all(
			"Delivery Note",
			filters={"is_return": 1, "docstatus": 1, "name": ["in", self.notes_of(so)]},
			pluck="name",
		)

	def notes_of(self, so: str) -> list[str]:
		return list(
			set(
				frappe.get_all(
					"Delivery Note Item", filters={"against_sales_order": so, "docstatus": 1}, pluck="parent"
				)
			)
		)

	def shipped_order(self, quantity: int, fulfilled: int) -> tuple[dict, object]:
		order = self.shop.add_order(
			lines=[{"variant": self.variant["id"], "quantity": quantity, "price": "9.00"}], shipping_lines=[]
		)
		self.shop.mark_paid(order["id"])
		if fulfilled:
			self.shop.fulfill(order["id"], {0: fulfilled})
		self.sync(order)
		return order, self.sales_order_for(order)


class TestReturnsMoveStock(ReturnsTestCase):
	def test_a_restocked_return_comes_back_into_the_location_warehouse_at_its_valuation_once(self):
		order, so = self.shipped_order(2, 2)
		self.assertEqual(self.stock(self.warehouse), 8)
		refund = self.shop.refund(order["id"], {0: 1}, restock_type="RETURN", location=self.harbour["id"])
		refund_day = refund["createdAt"][:10]  # the simulated shop keeps UTC
		self.sync(order)
		self.sync(order)  # imported again: nothing more

		returns = self.returns_of(so.name)
		self.assertEqual(len(returns), 1)
		note = frappe.get_doc("Delivery Note", returns[0])
		self.assertEqual(note.custom_shopify_refund_id, legacy_id(refund["id"]))
		self.assertEqual(
			[(row.item_code, row.qty, row.warehouse) for row in note.items],
			[(self.code, -1, self.harbour_warehouse)],
		)
		self.assertEqual(getdate(note.posting_date), getdate(refund_day))
		self.assertEqual((self.stock(self.warehouse), self.stock(self.harbour_warehouse)), (8, 1))
		ledger = frappe.get_all(
			"Stock Ledger Entry",
			filters={"voucher_no": note.name, "is_cancelled": 0},
			fields=["actual_qty", "incoming_rate", "stock_value_difference"],
		)
		self.assertEqual(
			[(flt(e.actual_qty), flt(e.incoming_rate), flt(e.stock_value_difference)) for e in ledger],
			[(1, 2, 2)],
		)
		rows = gl_of("Delivery Note", note.name)
		self.assertAlmostEqual(sum(flt(r.debit) for r in rows), 2.0, 2)  # the tub back in stock at 2.00
		self.assertAlmostEqual(sum(flt(r.debit) - flt(r.credit) for r in rows), 0.0, 2)
		credit = frappe.get_all(
			"Sales Invoice",
			filters={"custom_shopify_refund_id": legacy_id(refund["id"]), "is_return": 1, "docstatus": 1},
			fields=["grand_total", "update_stock"],
		)
		self.assertEqual([(flt(c.grand_total), c.update_stock) for c in credit], [(-9.0, 0)])  # money only
		self.assertEqual(frappe.db.get_value("Sales Order", so.name, "status"), "Closed")

	def test_cancelled_units_and_refunds_without_restock_move_no_stock(self):
		order, so = self.shipped_order(3, 1)
		self.assertEqual(self.stock(self.warehouse), 9)
		self.shop.refund(order["id"], {0: 1}, restock_type="CANCEL")  # one that never shipped
		self.shop.refund(order["id"], {0: 1}, restock_type="NO_RESTOCK")  # the customer kept it
		self.sync(order)
		self.assertEqual(self.returns_of(so.name), [])
		self.assertEqual((self.stock(self.warehouse), self.stock(self.harbour_warehouse)), (9, 0))
		self.assertEqual(
			frappe.db.count(
				"Sales Invoice",
				{"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 1, "docstatus": 1},
			),
			2,
		)

	def test_a_return_of_units_delivered_from_two_warehouses_goes_back_against_each_note(self):
		"""Two tubs left the main warehouse, one Harbour: three come back to the main location, each
		against the note it left with (latest first), at its valuation."""
		self.receive(self.code, self.harbour_warehouse, 4)
		order = self.shop.add_order(
			lines=[{"variant": self.variant["id"], "quantity": 3, "price": "9.00"}], shipping_lines=[]
		)
		self.shop.mark_paid(order["id"])
		self.shop.fulfill(order["id"], {0: 2})
		self.shop.fulfill(order["id"], {0: 1}, location=self.harbour["id"])
		self.sync(order)
		so = self.sales_order_for(order)
		self.assertEqual((self.stock(self.warehouse), self.stock(self.harbour_warehouse)), (8, 3))
		self.shop.refund(order["id"], {0: 3}, restock_type="RETURN")  # to the primary location
		self.sync(order)
		returns = [frappe.get_doc("Delivery Note", name) for name in self.returns_of(so.name)]
		self.assertEqual(sorted(-row.qty for note in returns for row in note.items), [1, 2])
		self.assertEqual(len({note.return_against for note in returns}), 2)
		self.assertEqual((self.stock(self.warehouse), self.stock(self.harbour_warehouse)), (11, 3))


class TestInventoryPushKeepsShopifyRestocks(ReturnsTestCase):
	"""The push sets absolute quantities: it must not wipe out a return Shopify restocked before
	ERPNext booked it."""

	def test_a_restock_erpnext_has_not_booked_is_held_then_the_books_win(self):
		from scoopjoy.connectors.shopify import inventory
		from scoopjoy.connectors.shopify.listings import listing_of, set_listing

		settings = self.store_doc()
		location = self.shop.primary_location
		settings.append("locations", {"location_id": location["id"], "warehouse": self.warehouse})
		settings.save()
		item = legacy_id(self.variant["inventoryItem"]["id"])
		set_listing(self.code, self.store, inventory_item_id=item)
		inventory.push_inventory(force=True)
		self.assertEqual(self.shop.inventory_level(item, location["id"])["available"], 10)

		order, _so = self.shipped_order(2, 2)
		self.assertEqual(inventory.push_inventory()["held"], [])  # the sale: 8 in both
		self.assertEqual(self.shop.inventory_level(item, location["id"])["available"], 8)
		self.shop.refund(order["id"], {0: 1}, restock_type="RETURN")  # Shopify restocks: 9
		self.receive(self.code, self.warehouse, 2)  # ERPNext: 10, the return not booked yet

		pushed = inventory.push_inventory()
		self.assertEqual([h["item_code"] for h in pushed["held"]], [self.code])
		self.assertEqual(self.shop.inventory_level(item, location["id"])["available"], 9)  # not wiped

		self.sync(order)  # the return is booked: ERPNext 11
		self.assertEqual(self.stock(self.warehouse), 11)
		listing = listing_of(self.code, self.store, ("pushed_quantities",))
		held = frappe.parse_json(listing.pushed_quantities)[inventory.HELD]
		past = frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=-inventory.HOLD_MINUTES - 1)
		frappe.db.set_value(
			"Shopify Item Listing",
			listing.name,
			"pushed_quantities",
			frappe.as_json(
				{**frappe.parse_json(listing.pushed_quantities), inventory.HELD: {k: str(past) for k in held}}
			),
		)
		self.assertEqual(inventory.push_inventory()["held"], [])  # held long enough: the books win
		self.assertEqual(self.shop.inventory_level(item, location["id"])["available"], 11)
		self.assertNotIn(
			inventory.HELD,
			frappe.parse_json(listing_of(self.code, self.store, ("pushed_quantities",)).pushed_quantities),
		)
