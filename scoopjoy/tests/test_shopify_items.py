"""Items from Shopify and every kind of order line, on a real site against the Shopify simulator.

A line's Item is found by SKU (the Item then keeps the Shopify ids) or made from its Shopify
product (Create Missing Items): one Item for a product without options, a template with attributes
and its variants for a product with options (Size x Flavour), a 200-character title cut to ERPNext's
140 with the whole title in the description; products/update renames the Items and adds new
variants; with the setting off the order is dead-lettered and the Sync Console's Create Items
makes the Items and replays it. Custom lines, gift cards sold and lines that need no shipping are
booked on their own Items, to Shopify's total, and only shipped lines are delivered. Products are
made the way Shopify documents them (productSet with productOptions and variants:
https://shopify.dev/docs/api/admin-graphql/latest/objects/Product).
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import frappe

from scoopjoy.connectors.shopify import api, items, orders, queries, sync, webhook
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.listings import item_of_product, item_of_variant
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.tests.records import test_world
from scoopjoy.tests.test_shopify import ITEM_GROUP, SETTINGS, ShopifyTestCase
from scoopjoy.tests.utils import webhook_request


def amount(value) -> Decimal:
	return Decimal(str(value)).quantize(Decimal("0.01"))


class ShopifyItemsTestCase(ShopifyTestCase):
	def setUp(self):
		super().setUp()
		# SKUs of this run: Items made by earlier runs keep theirs (item codes are SKUs)
		self.run_id = frappe.generate_hash(length=6).upper()
		self.settings(create_missing_items=1, new_item_group=ITEM_GROUP, stock_uom="Nos")

	def sku(self, name: str) -> str:
		return f"SHOP-I-{name}-{self.run_id}"

	def single_product(self, title: str, sku: str | None, price: str = "5.00", html: str = "") -> dict:
		"""A product without options: Shopify gives it one "Default Title" variant."""
		payload = self.shop.product_set(
			{
				"title": title,
				"descriptionHtml": html,
				"variants": [
					{
						"optionValues": [{"optionName": "Title", "name": "Default Title"}],
						"price": price,
						"inventoryItem": {"sku": sku},
					}
				],
			},
			None,
		)
		self.assertEqual(payload["userErrors"], [])
		return payload["product"]

	def sundae(self, variants=None) -> dict:
		"""Size x Flavour, one variant without a SKU."""
		variants = variants or [
			("Regular", "Vanilla", "4.50", self.sku("SUNDAE-R-VAN")),
			("Regular", "Mango", "4.50", self.sku("SUNDAE-R-MAN")),
			("Large", "Vanilla", "6.00", self.sku("SUNDAE-L-VAN")),
			("Large", "Mango", "6.00", None),
		]
		payload = self.shop.product_set(self.sundae_input(variants), None)
		self.assertEqual(payload["userErrors"], [])
		return payload["product"]

	@staticmethod
	def sundae_input(variants) -> dict:
		sizes = list(dict.fromkeys(v[0] for v in variants))
		flavours = list(dict.fromkeys(v[1] for v in variants))
		return {
			"title": "Sundae Cup",
			"descriptionHtml": "<p>Two scoops with hot fudge.</p>",
			"productOptions": [
				{"name": "Size", "values": [{"name": s} for s in sizes]},
				{"name": "Flavour", "values": [{"name": f} for f in flavours]},
			],
			"variants": [
				{
					"optionValues": [
						{"optionName": "Size", "name": size},
						{"optionName": "Flavour", "name": flavour},
					],
					"price": price,
					"inventoryItem": {"sku": sku},
				}
				for size, flavour, price, sku in variants
			],
		}

	def items_of_product(self, product: dict) -> dict[str, str]:
		"""{variant id: item code} of the product's variants."""
		return {
			legacy_id(v["id"]): item_of_variant(self.store, legacy_id(v["id"]))
			for v in self.shop.get_product(product["id"])["variants"]
		}

	def dead_letter_of(self, order: dict):
		return frappe.get_doc(
			"Integration Dead Letter", {"connector": "Shopify", "external_id": legacy_id(order["id"])}
		)

	def import_in_the_poll(self, order: dict) -> Counter:
		"""As the poll applies a page: a failed order becomes a dead letter, the test goes on."""
		node = ShopifyConnector().query(
			queries.ORDER_BY_ID, {"id": order["id"], "lineItems": 50}, operation="OneOrder"
		)["order"]
		counts: Counter = Counter()
		sync.import_orders([node], self.store_doc(), counts)
		return counts


class TestItemsFromShopify(ShopifyItemsTestCase):
	def test_an_item_coded_by_the_sku_is_used_and_keeps_the_shopify_ids(self):
		code = self.sku("SKU")
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_group": ITEM_GROUP,
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert()
		product = self.single_product("Pistachio Cone", code)
		variant = product["variants"][0]
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 2}], shipping_lines=[])
		self.sync(order)
		self.assertEqual([r.item_code for r in self.sales_order_for(order).items], [code])
		self.assertEqual(
			(self.listing(code).get("variant_id"), self.listing(code).get("product_id")),
			(legacy_id(variant["id"]), legacy_id(product["id"])),
		)
		self.assertFalse(frappe.db.exists("Item", f"SHOPIFY-{legacy_id(variant['id'])}"))  # nothing made

	def test_a_product_without_options_becomes_one_item(self):
		code = self.sku("TUB")
		product = self.single_product("Mango Sorbet Tub", code, price="9.00", html="<p>Dairy free.</p>")
		order = self.shop.add_order(
			lines=[{"variant": product["variants"][0]["id"], "quantity": 1}], shipping_lines=[]
		)
		self.assertEqual(self.sync(order), "created")
		item = frappe.get_doc("Item", code)
		self.assertEqual(
			(item.item_name, item.has_variants, item.variant_of, item.item_group, item.stock_uom),
			("Mango Sorbet Tub", 0, None, ITEM_GROUP, "Nos"),
		)
		self.assertEqual(self.listing(code).get("product_id"), legacy_id(product["id"]))
		self.assertEqual(self.listing(code).get("variant_id"), legacy_id(product["variants"][0]["id"]))
		self.assertIn("Dairy free.", item.description)
		so = self.sales_order_for(order)
		self.assertEqual([r.item_code for r in so.items], [code])
		self.assertEqual(amount(so.grand_total), amount(order["totalPriceSet"]))
		self.sync(order)  # again: nothing more is made
		self.assertEqual(self.listed(product_id=legacy_id(product["id"])), 1)

	def test_a_product_with_two_options_becomes_a_template_with_attributes_and_its_variants(self):
		product = self.sundae()
		regular_mango, large_mango = product["variants"][1], product["variants"][3]
		order = self.shop.add_order(
			lines=[
				{"variant": regular_mango["id"], "quantity": 2},
				{"variant": large_mango["id"], "quantity": 1},
			],
			shipping_lines=[],
		)
		self.sync(order)
		template = frappe.get_doc("Item", item_of_product(self.store, legacy_id(product["id"])))
		self.assertEqual((template.has_variants, template.item_name), (1, "Sundae Cup"))
		self.assertEqual(template.item_code, f"SHOPIFY-PRODUCT-{legacy_id(product['id'])}")
		self.assertEqual([a.attribute for a in template.attributes], ["Size", "Flavour"])
		made = self.items_of_product(product)
		self.assertEqual(
			list(made.values()),
			[
				self.sku("SUNDAE-R-VAN"),
				self.sku("SUNDAE-R-MAN"),
				self.sku("SUNDAE-L-VAN"),
				f"SHOPIFY-{legacy_id(large_mango['id'])}",  # no SKU in Shopify
			],
		)
		variant = frappe.get_doc("Item", self.sku("SUNDAE-R-MAN"))
		self.assertEqual(variant.variant_of, template.name)
		self.assertEqual(
			{a.attribute: a.attribute_value for a in variant.attributes},
			{"Size": "Regular", "Flavour": "Mango"},
		)
		self.assertEqual(variant.item_name, "Sundae Cup - Regular / Mango")
		self.assertFalse(self.listing(variant.name).get("product_id"))
		for attribute, values in (("Size", {"regular", "large"}), ("Flavour", {"vanilla", "mango"})):
			have = frappe.get_all(
				"Item Attribute Value", filters={"parent": attribute}, pluck="attribute_value"
			)
			self.assertLessEqual(values, {v.lower() for v in have}, attribute)
		so = self.sales_order_for(order)
		self.assertEqual(
			[(r.item_code, r.qty) for r in so.items],
			[(self.sku("SUNDAE-R-MAN"), 2), (f"SHOPIFY-{legacy_id(large_mango['id'])}", 1)],
		)
		self.assertEqual(amount(so.grand_total), amount(order["totalPriceSet"]))

	def test_a_200_character_title_fits_item_name_and_stays_whole_in_the_description(self):
		title = ("Triple Chocolate Fudge Brownie Swirl " * 6)[:200]
		product = self.single_product(title, self.sku("LONG"))
		order = self.shop.add_order(
			lines=[{"variant": product["variants"][0]["id"], "quantity": 1}], shipping_lines=[]
		)
		self.sync(order)
		item = frappe.get_doc("Item", self.sku("LONG"))
		self.assertLessEqual(len(item.item_name), 140)
		self.assertTrue(item.item_name.startswith("Triple Chocolate") and item.item_name.endswith("…"))
		self.assertIn(title.strip(), item.description)
		self.assertLessEqual(len(self.sales_order_for(order).items[0].item_name), 140)

	def test_products_update_renames_the_items_and_adds_new_variants(self):
		product = self.sundae(
			[
				("Regular", "Vanilla", "4.50", self.sku("UPD-R-VAN")),
				("Large", "Vanilla", "6.00", self.sku("UPD-L-VAN")),
			]
		)
		order = self.shop.add_order(
			lines=[{"variant": product["variants"][0]["id"], "quantity": 1}], shipping_lines=[]
		)
		self.sync(order)
		# the merchant renames the product and adds a flavour in Shopify
		changed = self.sundae_input(
			[
				("Regular", "Vanilla", "4.50", self.sku("UPD-R-VAN")),
				("Large", "Vanilla", "6.00", self.sku("UPD-L-VAN")),
				("Large", "Pistachio", "6.50", self.sku("UPD-L-PIS")),
			]
		)
		changed["title"] = "Hot Fudge Sundae"
		self.assertEqual(self.shop.product_set(changed, {"id": product["id"]})["userErrors"], [])

		raw, headers = self.shop.webhook_request("products/update", product["id"])
		frappe.local.response = frappe._dict()
		frappe.local.request = webhook_request("POST", raw, headers)
		self.assertEqual(webhook.receive(), {"status": "queued"})
		delivery = headers["X-Shopify-Webhook-Id"]
		self.assertEqual(
			frappe.db.get_value("Shopify Webhook Delivery", delivery, ["product_id", "status"]),
			(legacy_id(product["id"]), "Queued"),
		)
		self.assertEqual(items.sync_product(product["id"]), "updated")  # the job

		template = item_of_product(self.store, legacy_id(product["id"]))
		self.assertEqual(frappe.db.get_value("Item", template, "item_name"), "Hot Fudge Sundae")
		self.assertEqual(
			frappe.db.get_value("Item", self.sku("UPD-R-VAN"), "item_name"),
			"Hot Fudge Sundae - Regular / Vanilla",
		)
		pistachio = frappe.get_doc("Item", self.sku("UPD-L-PIS"))
		self.assertEqual(pistachio.variant_of, template)
		flavours = frappe.get_all(
			"Item Attribute Value", filters={"parent": "Flavour"}, pluck="attribute_value"
		)
		self.assertIn("Pistachio", flavours)
		self.assertEqual(frappe.db.get_value("Shopify Webhook Delivery", delivery, "status"), "Processed")

	def test_a_product_delivery_whose_job_was_lost_gets_its_job_queued_again(self):
		"""The sweep finishes product deliveries too: a lost job is queued again; a failed one's
		delivery ends Failed with its dead letter."""
		from scoopjoy.reliability.jobs import job_id_for

		product = self.shop.add_product("Lost Sundae", variants=[{"sku": self.sku("LOST"), "price": "5"}])
		raw, headers = self.shop.webhook_request("products/update", product["id"])
		frappe.local.response = frappe._dict()
		frappe.local.request = webhook_request("POST", raw, headers)
		webhook.receive()
		delivery = headers["X-Shopify-Webhook-Id"]
		frappe.local.scoopjoy_jobs_in_transaction = set()  # its job was lost (e.g. Redis flushed)
		frappe.db.set_value(
			"Shopify Webhook Delivery",
			delivery,
			"received_at",
			frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=-5),
		)

		webhook.finish_deliveries()

		job_id = job_id_for("Shopify", items.product_job_key(self.store, product["id"]))
		self.assertIn(job_id, frappe.local.scoopjoy_jobs_in_transaction)
		self.assertEqual(frappe.db.get_value("Shopify Webhook Delivery", delivery, "status"), "Queued")
		from scoopjoy.reliability.dead_letters import record_dead_letter

		letter = record_dead_letter(
			connector="Shopify",
			job=items.SYNC_PRODUCT_JOB,
			payload={"product_gid": product["id"]},
			error=RuntimeError("the product job failed"),
			dedup_key=job_id,
		)
		webhook.finish_deliveries()
		self.assertEqual(
			frappe.db.get_value("Shopify Webhook Delivery", delivery, ["status", "dead_letter"]),
			("Failed", letter),
		)

	def test_with_the_setting_off_an_unmapped_variant_is_dead_lettered(self):
		self.settings(create_missing_items=0)
		product = self.single_product("Rum Raisin Tub", self.sku("OFF"))
		order = self.shop.add_order(
			lines=[{"variant": product["variants"][0]["id"], "quantity": 1}], shipping_lines=[]
		)
		self.assertEqual(self.import_in_the_poll(order)["failed"], 1)
		self.assertIsNone(self.sales_order_for(order))
		self.assertFalse(frappe.db.exists("Item", self.sku("OFF")))
		letter = self.dead_letter_of(order)
		self.assertIn(f"variant {legacy_id(product['variants'][0]['id'])}", letter.last_error)
		self.assertIn("is not mapped to an Item", letter.last_error)
		self.assertIn("Create Missing Items", letter.last_error)

	def test_create_items_makes_the_items_and_replays_the_dead_letter_into_a_sales_order(self):
		self.settings(create_missing_items=0)
		product = self.sundae(
			[
				("Regular", "Vanilla", "4.50", self.sku("CI-R-VAN")),
				("Regular", "Mango", "4.50", self.sku("CI-R-MAN")),
			]
		)
		order = self.shop.add_order(
			lines=[{"variant": product["variants"][1]["id"], "quantity": 3}], shipping_lines=[]
		)
		self.import_in_the_poll(order)
		self.assertEqual(self.dead_letter_of(order).status, "Open")

		result = api.create_missing_items(json.dumps([legacy_id(order["id"])]))

		self.assertEqual((result["items"], result["orders"], result["replayed"]), (3, 1, 1), result)
		so = self.sales_order_for(order)
		self.assertEqual([(r.item_code, r.qty) for r in so.items], [(self.sku("CI-R-MAN"), 3)])
		self.assertEqual(so.docstatus, 1)
		self.assertEqual(self.dead_letter_of(order).status, "Resolved")

	def test_create_items_is_for_those_who_may_create_items(self):
		frappe.set_user("Guest")
		try:
			with self.assertRaises(frappe.PermissionError):
				api.create_missing_items()
		finally:
			frappe.set_user("Administrator")


class TestEveryLineKind(ShopifyItemsTestCase):
	def test_custom_lines_gift_cards_and_lines_without_shipping_are_booked_and_only_shipped_lines_delivered(
		self,
	):
		world = test_world()
		custom_item = self.non_stock_item(f"SHOP-I-CUSTOM-{self.run_id}")
		gift_card_item = self.non_stock_item(f"SHOP-I-GIFTCARD-{self.run_id}", world.gift_card_account)
		self.settings(custom_line_item=custom_item, gift_card_item=gift_card_item)
		cone = self.mapped_variant(self.sku("CONE"), price="4.00")
		workshop = self.mapped_variant(self.sku("WORKSHOP"), price="15.00")
		order = self.shop.add_order(
			lines=[
				{"variant": cone["id"], "quantity": 2},
				{"custom": True, "title": "Birthday candles", "price": "2.00", "quantity": 1},
				{"deleted": True, "title": "Retired Bubblegum Tub", "price": "8.00", "quantity": 1},
				{"gift_card": True, "title": "ScoopJoy Gift Card", "price": "25.00", "quantity": 1},
				{"variant": workshop["id"], "quantity": 1, "requires_shipping": False},
			],
			shipping_lines=[{"title": "Cold chain", "price": "5.00"}],
		)
		self.shop.mark_paid(order["id"])
		self.shop.fulfill(order["id"])
		self.sync(order)

		so = self.sales_order_for(order)
		self.assertEqual(
			[(r.item_code, r.item_name) for r in so.items],
			[
				(self.sku("CONE"), self.sku("CONE")),
				(custom_item, "Birthday candles"),
				(custom_item, "Retired Bubblegum Tub"),
				(gift_card_item, "ScoopJoy Gift Card"),
				(self.sku("WORKSHOP"), self.sku("WORKSHOP")),
			],
		)
		self.assertEqual(amount(so.grand_total), amount(order["totalPriceSet"]))
		invoice = frappe.get_doc(
			"Sales Invoice",
			{"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 0, "docstatus": 1},
		)
		self.assertEqual(amount(invoice.grand_total), amount(order["totalPriceSet"]))
		gift_row = next(r for r in invoice.items if r.item_code == gift_card_item)
		self.assertEqual(gift_row.income_account, world.gift_card_account)  # a debt, not income
		delivered = frappe.get_all(
			"Delivery Note Item",
			filters={"against_sales_order": so.name, "docstatus": 1},
			fields=["item_code", "item_name", "qty"],
			order_by="idx",
		)
		self.assertEqual(
			[(d.item_code, d.qty) for d in delivered],
			[(self.sku("CONE"), 2), (custom_item, 1), (custom_item, 1)],
		)

	def test_a_deleted_product_is_dead_lettered_when_no_custom_line_item_is_set(self):
		self.settings(custom_line_item=None)
		order = self.shop.add_order(lines=[{"deleted": True, "title": "Retired Flavour", "quantity": 1}])
		self.import_in_the_poll(order)
		letter = self.dead_letter_of(order)
		self.assertIn("deleted in Shopify", letter.last_error)
		self.assertIn("Custom Line Item", letter.last_error)

	def test_a_gift_card_sold_needs_the_gift_card_item(self):
		self.settings(gift_card_item=None)
		order = self.shop.add_order(lines=[{"gift_card": True, "title": "Gift Card", "price": "10.00"}])
		with self.assertRaisesRegex(Exception, "Gift Card Item"):
			self.sync(order)

	def non_stock_item(self, code: str, income_account: str | None = None) -> str:
		world = test_world()
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_group": ITEM_GROUP,
				"stock_uom": "Nos",
				"is_stock_item": 0,
				"item_defaults": [
					{
						"company": world.company,
						"default_warehouse": world.warehouse,
						"income_account": income_account,
					}
				]
				if income_account
				else [],
			}
		).insert()
		return code


class TestTwoWorkersOneNewProduct(ShopifyItemsTestCase):
	def test_two_workers_importing_orders_of_one_new_product_make_one_set_of_items(self):
		product = self.sundae(
			[
				("Regular", "Vanilla", "4.50", self.sku("RACE-R-VAN")),
				("Large", "Vanilla", "6.00", self.sku("RACE-L-VAN")),
			]
		)
		two_orders = [
			self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}], shipping_lines=[])
			for variant in product["variants"]
		]
		self.assertEqual(self.import_in_two_workers(two_orders), [])
		product_id = legacy_id(product["id"])
		self.assertEqual(self.listed(product_id=product_id), 1)
		template = item_of_product(self.store, product_id)
		self.assertEqual(frappe.db.count("Item", {"variant_of": template}), 2)
		for order, variant in zip(two_orders, product["variants"], strict=True):
			so = self.sales_order_for(order)
			self.assertEqual(
				[r.item_code for r in so.items],
				[item_of_variant(self.store, legacy_id(variant["id"]))],
			)
