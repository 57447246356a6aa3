"""Import Catalog (issue #24), on a real site against the Shopify simulator.

Generated catalogs (scoopjoy.tests.catalog_space, seeded): products without options and with up to
three, more variants than a page reads, titles past 140 characters, SKUs absent, unique or shared.
What a merchant checks after an import:

- every Shopify variant sells as an Item of this store (by its id, or by a SKU another variant of
  the store shares), every product with options as a template with those attributes;
- each variant's price is its Item's price in the store's Price List, to the cent;
- importing again makes nothing and changes only prices that moved;
- the bulk path (a catalog from CATALOG_BULK_FROM products) gives the same, and an import killed
  midway goes on after the last product it committed, with the same bulk result;
- a product that cannot become Items is a dead letter of its own, and the Sync Console lists each
  variant without an Item and why.
"""

from __future__ import annotations

import random
from decimal import Decimal
from unittest.mock import patch

import frappe

from scoopjoy.connectors.shopify import catalog_import, console, constants, items
from scoopjoy.connectors.shopify.listings import item_of_product, item_of_variant
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.tests.catalog_space import add_catalog, random_catalog
from scoopjoy.tests.test_shopify import ITEM_GROUP, ShopifyTestCase


class Killed(Exception):
	"""The worker dies (not a record's fault): the job stops where it is."""


class CatalogTestCase(ShopifyTestCase):
	def setUp(self):
		super().setUp()
		self.run_id = frappe.generate_hash(length=5).upper()
		self.settings(new_item_group=ITEM_GROUP, stock_uom="Nos", create_missing_items=0)
		self.price_list = self.store_doc().price_list
		self.addCleanup(self.remove_made_items)
		for name in ("BULK_POLL_SECONDS", "BULK_FIRST_POLL_SECONDS"):
			poll = patch.object(constants, name, 0.01)
			poll.start()
			self.addCleanup(poll.stop)

	def catalog(self, seed: int, products: int) -> list[dict]:
		return add_catalog(
			self.shop, random_catalog(random.Random(seed), products, sku_prefix=f"SJC{self.run_id}")
		)

	def of_this_catalog(self) -> set[str]:
		"""The Items that carry this test's products or variants (the simulator's ids are its own),
		and those coded by its SKUs: not the Items other tests listed in the same store."""
		listed = {"shopify_store": self.store, "parenttype": "Item"}
		products = [legacy_id(p["id"]) for p in self.shop.products.values()] or [""]
		variants = [str(n) for n in self.shop.variants] or [""]
		return set(
			frappe.get_all(
				"Shopify Item Listing", filters={**listed, "product_id": ["in", products]}, pluck="parent"
			)
			+ frappe.get_all(
				"Shopify Item Listing", filters={**listed, "variant_id": ["in", variants]}, pluck="parent"
			)
			+ frappe.get_all("Item", filters={"name": ["like", f"SJC{self.run_id}%"]}, pluck="name")
		)

	def remove_made_items(self) -> None:
		"""What the imports committed goes: prices, variants, templates, listings (the site as found)."""
		frappe.db.rollback()
		made = self.of_this_catalog()
		variants = set(
			frappe.get_all("Item", filters={"variant_of": ["in", list(made) or [""]]}, pluck="name")
		)
		for name in frappe.get_all(
			"Item Price", filters={"item_code": ["in", list(made | variants) or [""]]}, pluck="name"
		):
			frappe.delete_doc("Item Price", name, force=True, ignore_permissions=True)
		templates = {name for name in made | variants if frappe.db.get_value("Item", name, "has_variants")}
		for name in [*(made | variants) - templates, *templates]:
			if frappe.db.exists("Item", name):
				frappe.delete_doc("Item", name, force=True, ignore_permissions=True)
		frappe.db.set_value(constants.STORE_DOCTYPE, self.store, catalog_import.STATE_FIELD, None)
		frappe.db.commit()  # nosemgrep: the imports committed; so does their removal

	def import_catalog(self, **kwargs) -> dict:
		frappe.clear_document_cache(constants.STORE_DOCTYPE, self.store)
		return catalog_import.import_catalog(store=self.store, **kwargs)

	# --- what a merchant checks --------------------------------------------------------------------

	def assert_catalog_in_erpnext(self) -> None:
		prices_by_item: dict[str, set] = {}
		for product in self.shop.products.values():
			product_id = legacy_id(product["id"])
			variants = product["variants"]
			options = [o["name"] for o in product["options"] if o["values"] != ["Default Title"]]
			if options:
				template = item_of_product(self.store, product_id, has_variants=1)
				self.assertTrue(template, f"product {product_id} has no template")
				attributes = frappe.get_all(
					"Item Variant Attribute",
					filters={"parent": template, "parenttype": "Item"},
					pluck="attribute",
				)
				self.assertEqual(len(attributes), len(options), template)
			for variant in variants:
				variant_id = legacy_id(variant["id"])
				item = item_of_variant(self.store, variant_id)
				sku = (variant.get("sku") or "").strip()
				if not item:  # a SKU shared with another variant: that variant's Item sells it
					self.assertTrue(
						sku and frappe.db.exists("Item", sku), f"variant {variant_id} has no Item"
					)
					continue
				name = frappe.db.get_value("Item", item, "item_name")
				self.assertLessEqual(len(name), 140)
				if len(product["title"]) > 140:
					self.assertIn(product["title"][:200], frappe.db.get_value("Item", item, "description"))
				prices_by_item.setdefault(item, set()).add(Decimal(variant["price"]))
		for item, prices in prices_by_item.items():
			(price,) = prices  # one variant holds an Item's listing in a store
			booked = frappe.get_all(
				"Item Price",
				filters={"item_code": item, "price_list": self.price_list},
				pluck="price_list_rate",
			)
			self.assertEqual([Decimal(str(b)).quantize(Decimal("0.01")) for b in booked], [price], item)

	def items_of_store(self) -> int:
		return frappe.db.count("Shopify Item Listing", {"shopify_store": self.store, "parenttype": "Item"})


class TestCatalogImport(CatalogTestCase):
	def test_a_generated_catalog_is_imported_once_with_a_price_per_variant_and_again_changes_nothing(self):
		self.catalog(seed=24, products=120)
		variants = len(self.shop.variants)
		self.assertGreater(max(len(p["variants"]) for p in self.shop.products.values()), 20)  # paged whole

		first = self.import_catalog()
		self.assertEqual(first["mode"], "pages")
		self.assertEqual(first["products"], 120)
		self.assertEqual(first.get("failed", 0), 0)
		self.assert_catalog_in_erpnext()
		listed = self.items_of_store()
		self.assertEqual(
			first["price_new"],
			len({item_of_variant(self.store, str(v)) for v in self.shop.variants} - {None}),
		)

		# three prices move in Shopify; the import runs again
		moved = random.Random(1).sample(sorted(self.shop.variants), 3)
		for variant_id in moved:
			self.shop.variants[variant_id]["price"] = "123.45"
		again = self.import_catalog()
		self.assertEqual((again.get("items_made", 0), again.get("price_new", 0)), (0, 0))
		owned = [v for v in moved if item_of_variant(self.store, str(v))]
		self.assertEqual(again.get("price_updated", 0), len(owned))
		self.assertEqual(again["items_found"], first["items_found"] + first["items_made"] - self.templates())
		self.assertEqual(self.items_of_store(), listed)
		self.assertEqual(len(self.shop.variants), variants)
		self.assert_catalog_in_erpnext()
		self.assertIsNone(
			frappe.db.get_value(constants.STORE_DOCTYPE, self.store, catalog_import.STATE_FIELD)
		)

	def templates(self) -> int:
		"""Templates of this test's products (other tests list theirs in the same store)."""
		return frappe.db.count(
			"Item", {"has_variants": 1, "name": ["in", list(self.of_this_catalog()) or [""]]}
		)

	def test_a_large_catalog_comes_in_one_bulk_query_and_a_killed_import_goes_on_where_it_stopped(self):
		self.catalog(seed=25, products=constants.CATALOG_BULK_FROM)
		self.shop.bulk_polls, self.shop.bulk_shuffle = 3, True
		applied = []
		real = items.items_of_product

		def dies_at_the_101st(product, settings):
			if len(applied) == 100:
				raise Killed("the worker was stopped")
			applied.append(legacy_id(product["id"]))
			return real(product, settings)

		with patch.object(catalog_import, "items_of_product", dies_at_the_101st), self.assertRaises(Killed):
			self.import_catalog()
		state = frappe.parse_json(
			frappe.db.get_value(constants.STORE_DOCTYPE, self.store, catalog_import.STATE_FIELD)
		)
		self.assertEqual(state["mode"], "bulk")
		self.assertEqual(int(state["last_id"]), int(applied[-1]))

		rest = []
		with patch.object(
			catalog_import, "items_of_product", lambda p, s: rest.append(p["id"]) or real(p, s)
		):
			done = self.import_catalog()
		self.assertEqual(self.shop.bulk_runs, 1)  # the same bulk result, read again
		self.assertEqual(len(rest), constants.CATALOG_BULK_FROM - 100)  # none of the first 100 again
		self.assertEqual(done["products"], constants.CATALOG_BULK_FROM)
		self.assert_catalog_in_erpnext()

		listed = self.items_of_store()
		again = self.import_catalog(restart=True)
		self.assertEqual(self.shop.bulk_runs, 2)
		self.assertEqual(
			(again.get("items_made", 0), again.get("price_new", 0), again.get("price_updated", 0)), (0, 0, 0)
		)
		self.assertEqual(self.items_of_store(), listed)

	def test_a_product_that_cannot_become_items_is_a_dead_letter_and_the_console_says_why(self):
		self.catalog(seed=26, products=6)
		sku_item = f"SJC{self.run_id}-BYHAND"
		frappe.get_doc(
			{"doctype": "Item", "item_code": sku_item, "item_group": ITEM_GROUP, "stock_uom": "Nos"}
		).insert()
		by_hand = self.shop.add_product(
			"By hand", variants=[{"sku": sku_item, "price": "2.50", "option": "One"}]
		)
		frappe.db.commit()  # nosemgrep: the console and the import read what a person made

		before = console.console_data(frappe.utils.today(), frappe.utils.today(), self.store)
		counts = {e["entity"]: e for e in before["entities"]}
		self.assertEqual(counts["variants"]["shopify"], len(self.shop.variants))
		# ERPNext's side: every variant listed in the store (other tests list theirs here too)
		listed = {"shopify_store": self.store, "parenttype": "Item", "variant_id": ["is", "set"]}
		self.assertEqual(counts["variants"]["erpnext"], frappe.db.count("Shopify Item Listing", listed))
		reasons = {row["variant_id"]: row["reason"] for row in before["unmapped_variants"]}
		self.assertEqual(len(reasons), len(self.shop.variants))
		self.assertEqual(reasons[by_hand["variants"][0]["legacyResourceId"]], "Item not linked")

		self.import_catalog()
		# a product with options gets other options in Shopify: its template's attributes cannot follow
		product = next(
			p for p in self.shop.products.values() if p["options"][0]["values"] != ["Default Title"]
		)
		changed = self.shop.product_set(
			{
				"title": product["title"],
				"productOptions": [
					{"name": "Shape", "values": [{"name": "Round"}, {"name": "Square"}]},
					{"name": "Colour", "values": [{"name": "Pink"}]},
				],
				"variants": [
					{
						"optionValues": [
							{"optionName": "Shape", "name": s},
							{"optionName": "Colour", "name": "Pink"},
						],
						"price": "3.00",
					}
					for s in ("Round", "Square")
				],
			},
			{"id": product["id"]},
		)
		self.assertEqual(changed["userErrors"], [])
		result = self.import_catalog()
		self.assertEqual(result["failed"], 1)
		self.assertEqual(result["products"], len(self.shop.products) - 1)  # the others went on
		letter = frappe.get_doc(
			"Integration Dead Letter",
			{
				"job": catalog_import.IMPORT_PRODUCT_JOB,
				"external_id": legacy_id(product["id"]),
				"status": ["!=", "Resolved"],
			},
		)
		self.assertIn("cannot change a template's attributes", letter.last_error)

		after = console.console_data(frappe.utils.today(), frappe.utils.today(), self.store)
		rows = after["unmapped_variants"]
		self.assertEqual({row["product_id"] for row in rows}, {legacy_id(product["id"])})
		self.assertEqual(
			{(row["reason"], row["dead_letter"]) for row in rows}, {("Import failed", letter.name)}
		)
		self.assertEqual(len(rows), len(self.shop.products[int(legacy_id(product["id"]))]["variants"]))
		counts = {e["entity"]: e for e in after["entities"]}
		self.assertEqual(counts["variants"]["shopify"], len(self.shop.variants))
		letter.delete(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep

	def test_prices_in_another_currency_are_skipped_and_the_items_still_come(self):
		other = frappe.get_doc(
			{
				"doctype": "Price List",
				"price_list_name": f"SJC {self.run_id} SGD",
				"currency": "SGD",
				"selling": 1,
			}
		).insert(ignore_permissions=True)
		self.addCleanup(lambda: frappe.delete_doc("Price List", other.name, force=True) or frappe.db.commit())
		self.set_store({"price_list": other.name})
		self.catalog(seed=27, products=3)
		result = self.import_catalog()
		self.assertEqual(result["products"], 3)
		self.assertIn("is in SGD, the shop's prices are in USD", result["prices_skipped"])
		self.assertFalse(frappe.get_all("Item Price", filters={"price_list": other.name}))
