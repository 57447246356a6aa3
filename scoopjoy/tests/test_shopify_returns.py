"""Returns that move stock (issue #24), on a real site against the Shopify simulator.

Goods that shipped and came back (a refund line restocked as RETURN) are taken back into stock by a
return Delivery Note against the note that delivered them: into the warehouse of the refund's
restock location, at the valuation they left with, on the refund's day, once. Units that never
shipped (CANCEL) and refunds that restock nothing (NO_RESTOCK) move no stock.

Shopify's Return objects (a return, its reverse fulfillment order and the dispositions of its units,
https://shopify.dev/docs/apps/build/orders-fulfillment/returns-apps): a unit restocked by a
disposition comes back when it is restocked, before its refund or without one (an exchange), and
the refund (its line ``restocked`` false) then moves no stock again; units MISSING or NOT_RESTOCKED
move nothing; without the
read_returns scope the order stays booked and its returns part is a dead letter saying what to do.
"""

from __future__ import annotations

import frappe
from frappe.utils import flt, getdate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.tests.test_shopify_money import ShopifyMoneyTestCase, gl_of


class ReturnsTestCase(ShopifyMoneyTestCase):
	"""A stock tub in the store's warehouse (10 at 2.00), and Harbour: a location mapped to a
	warehouse of its own."""

	def setUp(self):
		super().setUp()
		frappe.db.set_single_value("Stock Settings", "allow_negative_stock", 0)
		frappe.cache.delete_value(f"scoopjoy:shopify-scopes:{self.store}")  # each test's simulator says
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

	def test_goods_back_are_dated_the_day_they_came_back_not_the_day_of_the_import(self):
		"""Shipped ten days ago, refunded with restock six days ago, a return restocked three days ago:
		the return notes carry those days, not today's."""
		from datetime import datetime, timedelta, timezone

		ago = lambda days: datetime.now(timezone.utc) - timedelta(days=days)  # noqa: E731
		code = f"SHOP-R-OLD-{frappe.generate_hash(length=5).upper()}"
		variant = self.mapped_variant(code, price="9.00")
		frappe.db.set_value("Item", code, "is_stock_item", 1)
		frappe.get_doc(  # in stock two weeks ago
			{
				"doctype": "Stock Entry",
				"stock_entry_type": "Material Receipt",
				"company": self.store_doc().company,
				"set_posting_time": 1,
				"posting_date": ago(15).date(),
				"items": [{"item_code": code, "qty": 5, "t_warehouse": self.warehouse, "basic_rate": 2}],
			}
		).insert(ignore_permissions=True).submit()
		order = self.shop.add_order(
			lines=[{"variant": variant["id"], "quantity": 3, "price": "9.00"}],
			shipping_lines=[],
			created_at=ago(12),
		)
		self.shop.mark_paid(order["id"])
		self.shop.fulfill(order["id"], {0: 3}, at=ago(10))
		refund = self.shop.refund(order["id"], {0: 1}, restock_type="RETURN", at=ago(6))
		shop_return = self.shop.create_return(order["id"], {0: 1})
		disposition = self.shop.dispose(shop_return["id"], 0, 1, "RESTOCKED", at=ago(3))
		self.sync(order)
		so = self.sales_order_for(order)
		dated = {
			("refund", note.custom_shopify_refund_id)
			if note.custom_shopify_refund_id
			else ("disposition", note.custom_shopify_disposition_id): str(note.posting_date)
			for note in frappe.get_all(
				"Delivery Note",
				filters={"name": ["in", self.returns_of(so.name) or [""]]},
				fields=["custom_shopify_refund_id", "custom_shopify_disposition_id", "posting_date"],
			)
		}
		self.assertEqual(
			dated,
			{
				("refund", legacy_id(refund["id"])): refund["createdAt"][:10],
				("disposition", legacy_id(disposition["id"])): disposition["createdAt"][:10],
			},
		)
		self.assertLess(max(dated.values()), str(frappe.utils.today()))

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


class TestShopifyReturnObjects(ReturnsTestCase):
	def returned_by_dispositions(self, so: str) -> list:
		return frappe.get_all(
			"Delivery Note",
			filters={
				"name": ["in", self.returns_of(so) or [""]],
				"custom_shopify_disposition_id": ["is", "set"],
			},
			fields=["name", "custom_shopify_disposition_id", "posting_date"],
		)

	def test_a_return_restocked_before_its_refund_comes_back_then_the_refund_moves_no_more(self):
		order, so = self.shipped_order(2, 2)
		shop_return = self.shop.create_return(order["id"], {0: 1})
		disposition = self.shop.dispose(shop_return["id"], 0, 1, "RESTOCKED", location=self.harbour["id"])
		self.sync(order)
		self.sync(order)  # again: nothing more
		(note,) = self.returned_by_dispositions(so.name)
		self.assertEqual(note.custom_shopify_disposition_id, legacy_id(disposition["id"]))
		self.assertEqual(getdate(note.posting_date), getdate(disposition["createdAt"][:10]))
		self.assertEqual((self.stock(self.warehouse), self.stock(self.harbour_warehouse)), (8, 1))
		self.assertEqual(
			frappe.db.count(
				"Sales Invoice", {"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 1}
			),
			0,
		)  # no refund yet: no credit note

		# the money follows: a refund of the return (even one whose line said it restocked)
		refund = self.shop.refund(order["id"], {0: 1}, restock_type="RETURN", return_id=shop_return["id"])
		refund_line = self.shop.orders[int(legacy_id(order["id"]))]["refunds"][-1]["refundLineItems"][0]
		refund_line["restocked"] = True  # what Shopify's docs leave open: the return's dispositions decide
		self.shop.close_return(shop_return["id"])
		self.sync(order)
		self.assertEqual(len(self.returns_of(so.name)), 1)
		self.assertEqual((self.stock(self.warehouse), self.stock(self.harbour_warehouse)), (8, 1))
		credit = frappe.get_all(
			"Sales Invoice",
			filters={"custom_shopify_refund_id": legacy_id(refund["id"]), "is_return": 1, "docstatus": 1},
			pluck="grand_total",
		)
		self.assertEqual([flt(c) for c in credit], [-9.0])

	def test_an_exchange_brings_back_what_was_restocked_and_missing_units_move_nothing(self):
		order, so = self.shipped_order(3, 3)
		shop_return = self.shop.create_return(order["id"], {0: 2})
		self.shop.dispose(shop_return["id"], 0, 1, "RESTOCKED")  # the primary location: the store's warehouse
		self.shop.dispose(shop_return["id"], 0, 1, "MISSING")
		self.shop.close_return(shop_return["id"])  # an exchange: no refund
		self.sync(order)
		self.assertEqual(len(self.returned_by_dispositions(so.name)), 1)
		self.assertEqual(self.stock(self.warehouse), 8)  # 10 - 3 shipped + 1 restocked
		cancelled = self.shop.create_return(order["id"], {0: 1})
		self.shop.dispose(cancelled["id"], 0, 1, "RESTOCKED")
		self.shop.close_return(cancelled["id"], status="CANCELED")  # a return that did not happen
		self.sync(order)
		self.assertEqual(self.stock(self.warehouse), 8)

	def test_without_read_returns_the_order_stays_booked_and_its_returns_wait_in_a_dead_letter(self):
		from scoopjoy.connectors.shopify.connector import ShopifyConnector
		from scoopjoy.connectors.shopify.returns import return_job_key
		from scoopjoy.reliability.jobs import job_id_for

		self.shop.access_scopes = tuple(s for s in self.shop.access_scopes if s != "read_returns")
		order, so = self.shipped_order(2, 2)
		shop_return = self.shop.create_return(order["id"], {0: 1})
		self.shop.dispose(shop_return["id"], 0, 1, "RESTOCKED")
		self.shop.refund(order["id"], {0: 1}, restock_type="RETURN", return_id=shop_return["id"])
		self.sync(order)
		self.assertEqual(self.returns_of(so.name), [])  # nothing guessed
		self.assertEqual(self.stock(self.warehouse), 8)
		letter = frappe.get_doc(
			"Integration Dead Letter",
			{"dedup_key": job_id_for("Shopify", return_job_key(self.store, legacy_id(order["id"])))},
		)
		self.assertIn("read_returns", letter.last_error)
		self.assertEqual(
			frappe.db.count(
				"Sales Invoice",
				{"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 1, "docstatus": 1},
			),
			1,
		)
		self.assertEqual(
			ShopifyConnector(store=self.store).breaker.state().state, "closed"
		)  # the store works on

		self.shop.access_scopes = (*self.shop.access_scopes, "read_returns")  # the merchant adds the scope
		frappe.cache.delete_value(f"scoopjoy:shopify-scopes:{self.store}")
		self.sync(order)
		self.assertEqual(len(self.returns_of(so.name)), 1)
		self.assertEqual(self.stock(self.warehouse), 9)
		self.assertEqual(frappe.db.get_value("Integration Dead Letter", letter.name, "status"), "Resolved")


#: a few histories per major version, each a real order through ERPNext; a fixed, repeatable budget
HISTORIES = settings(
	max_examples=12, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
PLACES = ("primary", "harbour")


@st.composite
def histories(draw) -> tuple[int, list[tuple]]:
	"""An order of 2-5 shipped units, then what happens to them in Shopify, in any order: refunds
	that restock (legacy) or not, returns whose units are restocked, missing or not restocked (with
	or without a refund after), returns cancelled before anything came back; imports in between."""
	quantity = draw(st.integers(min_value=2, max_value=5))
	events = draw(
		st.lists(
			st.one_of(
				st.tuples(st.just("refund_restock"), st.integers(1, 3), st.sampled_from(PLACES)),
				st.tuples(st.just("refund_money"), st.integers(1, 3)),
				st.tuples(
					st.just("return"),
					st.lists(  # mostly restocked; None: not disposed yet
						st.sampled_from(("RESTOCKED", "RESTOCKED", "MISSING", "NOT_RESTOCKED", None)),
						min_size=1,
						max_size=3,
					),
					st.sampled_from(PLACES),
					st.sampled_from(("OPEN", "CLOSED", "CANCELED")),
					st.booleans(),  # refunded afterwards
				),
				st.tuples(st.just("import")),
			),
			min_size=2,
			max_size=6,
		)
	)
	return quantity, events


class TestReturnsOnGeneratedHistories(ReturnsTestCase):
	"""The invariant: what ERPNext takes back into each warehouse is what Shopify restocked at the
	location mapped to it (by a refund or by a return's disposition), whatever the order of events
	and imports; importing again changes nothing, and nothing is dead-lettered."""

	@HISTORIES
	@given(history=histories())
	def test_erpnext_takes_back_what_shopify_restocked_where_it_restocked_it(self, history):
		quantity, events = history
		if self.stock(self.warehouse) < 10:
			self.receive(self.code, self.warehouse, 20)
		before = {place: self.stock(wh) for place, wh in self.places().items()}
		order, so = self.shipped_order(quantity, quantity)
		returnable, refundable = quantity, quantity  # units that can still come back / be refunded
		back = dict.fromkeys(PLACES, 0)
		for event in events:
			if event[0] == "import":
				self.sync(order)
			elif event[0] == "refund_restock" and min(event[1], returnable, refundable) > 0:
				units = min(event[1], returnable, refundable)
				self.shop.refund(
					order["id"], {0: units}, restock_type="RETURN", location=self.location(event[2])
				)
				returnable, refundable, back[event[2]] = (
					returnable - units,
					refundable - units,
					back[event[2]] + units,
				)
			elif event[0] == "refund_money" and min(event[1], refundable) > 0:
				self.shop.refund(order["id"], {0: min(event[1], refundable)}, restock_type="NO_RESTOCK")
				refundable -= min(event[1], refundable)
			elif event[0] == "return" and min(len(event[1]), returnable) > 0:
				kinds, place, status, refunded = (
					event[1][: min(len(event[1]), returnable)],
					event[2],
					event[3],
					event[4],
				)
				shop_return = self.shop.create_return(order["id"], {0: len(kinds)})
				if status == "CANCELED":  # cancelled before anything came back
					self.shop.close_return(shop_return["id"], status="CANCELED")
					continue
				returnable -= len(kinds)
				for kind in (k for k in kinds if k):
					self.shop.dispose(shop_return["id"], 0, 1, kind, location=self.location(place))
					back[place] += kind == "RESTOCKED"
				if refunded and min(len(kinds), refundable) > 0:
					self.shop.refund(
						order["id"],
						{0: min(len(kinds), refundable)},
						restock_type="RETURN",
						return_id=shop_return["id"],
					)
					refundable -= min(len(kinds), refundable)
				if status == "CLOSED":
					self.shop.close_return(shop_return["id"])
		self.sync(order)
		notes = len(self.returns_of(so.name))
		self.sync(order)  # again: nothing more
		self.assertEqual(len(self.returns_of(so.name)), notes)
		after = {place: self.stock(wh) for place, wh in self.places().items()}
		self.assertEqual(
			{place: after[place] - before[place] for place in PLACES},
			{"primary": back["primary"] - quantity, "harbour": back["harbour"]},
			(quantity, events),
		)
		self.assertFalse(
			frappe.get_all(
				"Integration Dead Letter",
				filters={"external_id": legacy_id(order["id"]), "status": ["!=", "Resolved"]},
			)
		)

	def places(self) -> dict[str, str]:
		return {"primary": self.warehouse, "harbour": self.harbour_warehouse}

	def location(self, place: str) -> str:
		return self.shop.primary_location["id"] if place == "primary" else self.harbour["id"]


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
