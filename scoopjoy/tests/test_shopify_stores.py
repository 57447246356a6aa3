"""Several Shopify stores on one site (issue #22), on a real site against two simulators.

A Hong Kong-style store (the fixture's, in the test company's USD) and a Singapore store in SGD
booked into a second company. The two simulators number their records alike, so both stores have
order #1001 with the same numeric id, the same customer ids and the same product ids: what must
not meet does not. Webhooks of each are routed by their shop domain and verified with that store's
secret; one Item is listed in both stores and its stock is pushed to each store's own location;
and a site that had the single Shopify Settings is upgraded into its first store, history kept.
"""

from __future__ import annotations

import json

import frappe
from frappe.utils import flt

from scoopjoy.connectors.shopify import catalog, constants, drain, inventory, orders, sync, webhook
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.listings import item_of_variant, listing_of
from scoopjoy.connectors.shopify.mapping import legacy_id, order_job_key
from scoopjoy.connectors.shopify.stores import store_name
from scoopjoy.kernel.errors import ConfigError
from scoopjoy.kernel.signatures import sign_shopify
from scoopjoy.patches.shopify_settings_to_store import item_columns
from scoopjoy.reliability.jobs import job_id_for
from scoopjoy.tests.records import second_world, tree_leaf
from scoopjoy.tests.test_shopify import (
	ITEM_GROUP,
	SECRET,
	SETTINGS,
	TOKEN,
	ShopifyTestCase,
	WebhookInbox,
	_Simulator,
	point_store_at,
	stock_item,
	world_accounts,
)
from scoopjoy.tests.utils import make_item, webhook_request

SG_DOMAIN = "scoopjoy-sg.myshopify.com"
SG_TOKEN = "shpat_scoopjoy_singapore_token_987654"
SG_SECRET = "shpss_scoopjoy_singapore_secret"


class TwoStoresTestCase(ShopifyTestCase):
	"""The fixture's store and simulator, plus a Singapore store whose simulator numbers its orders,
	customers and products exactly as the first one does."""

	def setUp(self):
		super().setUp()
		self.sg_shop = _Simulator(
			access_token=SG_TOKEN, client_secret=SG_SECRET, shop_domain=SG_DOMAIN, currency="SGD"
		)
		self.sg_shop.id_base = self.shop.id_base  # the same numeric ids in both stores
		self.sg_shop.start()
		self.addCleanup(self.sg_shop.stop)
		sg = second_world()
		tree_leaf("Item Group", ITEM_GROUP, "item_group_name")
		self.sg = point_store_at(
			self.sg_shop,
			{
				"access_token": SG_TOKEN,
				"client_secret": SG_SECRET,
				"store_name": "ScoopJoy Singapore",
				**world_accounts(sg),
			},
		)
		self.sg_world = sg
		# Commit on purpose: the poll commits per page; the second store must be gone afterwards
		# (a test class's later tests use the site's only store) whatever this test leaves.
		frappe.db.commit()  # nosemgrep
		self.addCleanup(self.remove_sg_store)

	def remove_sg_store(self) -> None:
		frappe.db.rollback()
		frappe.delete_doc(SETTINGS, self.sg, force=True, ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: see setUp

	def variant_in(self, shop, store: str, code: str, price: str) -> dict:
		"""A product of ``shop`` whose one variant is the Item ``code`` in ``store``."""
		from scoopjoy.connectors.shopify.listings import set_listing

		variant = shop.add_product(code, variants=[{"sku": code, "price": price, "option": code}])[
			"variants"
		][0]
		make_item(code, ITEM_GROUP, rate=float(price))
		set_listing(code, store, product_id=None, variant_id=variant["legacyResourceId"])
		return variant

	def sales_order_in(self, store: str, order: dict):
		name = frappe.db.get_value(
			"Sales Order",
			{"custom_shopify_store": store, "custom_shopify_order_id": legacy_id(order["id"])},
		)
		return frappe.get_doc("Sales Order", name) if name else None


class TestTwoStores(TwoStoresTestCase):
	def test_the_same_order_id_and_name_in_two_stores_are_two_orders_each_in_its_company_and_currency(self):
		code = f"SHOP-T-TWO-{frappe.generate_hash(length=5).upper()}"
		hk_variant = self.variant_in(self.shop, self.store, code, "4.50")
		sg_variant = self.variant_in(self.sg_shop, self.sg, code, "7.80")
		# one Item, listed in both stores under the same numeric variant id
		self.assertEqual(legacy_id(hk_variant["id"]), legacy_id(sg_variant["id"]))
		hk_order = self.shop.add_order(
			lines=[{"variant": hk_variant["id"], "quantity": 2, "price": "4.50"}], shipping_lines=[]
		)
		# the Singapore customer has the Hong Kong one's numeric id, and another email
		mei = self.sg_shop.add_customer("Mei", "Tan", email=f"mei.tan.{code.lower()}@example.sg")
		sg_order = self.sg_shop.add_order(
			customer=mei,
			lines=[{"variant": sg_variant["id"], "quantity": 3, "price": "7.80"}],
			shipping_lines=[],
		)
		self.shop.mark_paid(hk_order["id"])
		self.sg_shop.mark_paid(sg_order["id"])
		self.assertEqual((hk_order["id"], hk_order["name"]), (sg_order["id"], sg_order["name"]))

		self.assertEqual(sync.pull_changed_orders(self.store).get("created"), 1)
		self.assertEqual(sync.pull_changed_orders(self.sg).get("created"), 1)
		self.assertEqual(orders.sync_order(sg_order["id"], self.sg), "unchanged")  # again: nothing new

		hk, sg = self.sales_order_in(self.store, hk_order), self.sales_order_in(self.sg, sg_order)
		self.assertNotEqual(hk.name, sg.name)
		self.assertEqual((hk.company, hk.currency), (self.store_doc().company, "USD"))
		self.assertEqual((sg.company, sg.currency), (self.sg_world.company, "SGD"))
		self.assertEqual(
			flt(hk.grand_total),
			flt(self.shop.get_order(hk_order["id"])["totalPriceSet"]),
		)
		self.assertEqual(
			flt(sg.grand_total),
			flt(self.sg_shop.get_order(sg_order["id"])["totalPriceSet"]),
		)
		self.assertEqual((hk.po_no, sg.po_no), (hk_order["name"], sg_order["name"]))
		self.assertEqual([row.item_code for row in hk.items], [code])
		self.assertEqual([row.item_code for row in sg.items], [code])
		for store, so in ((self.store, hk), (self.sg, sg)):
			invoice = frappe.get_doc(
				"Sales Invoice",
				{"custom_shopify_store": store, "custom_shopify_order_id": so.custom_shopify_order_id},
			)
			self.assertEqual(
				(invoice.company, invoice.currency, flt(invoice.outstanding_amount)),
				(so.company, so.currency, 0),
			)
			payment = frappe.get_all(
				"Payment Entry",
				filters={"custom_shopify_store": store, "docstatus": 1, "company": so.company},
				fields=["paid_to_account_currency", "received_amount"],
				order_by="creation desc",
				limit=1,
			)[0]
			self.assertEqual(flt(payment.received_amount), flt(so.grand_total))
		# the customers of both stores have the same Shopify id (and other emails): two Customers
		hk_customer = frappe.get_doc("Customer", hk.customer)
		sg_customer = frappe.get_doc("Customer", sg.customer)
		self.assertEqual(
			(hk_customer.custom_shopify_store, sg_customer.custom_shopify_store), (self.store, self.sg)
		)
		self.assertEqual(hk_customer.custom_shopify_customer_id, sg_customer.custom_shopify_customer_id)
		self.assertNotEqual(hk_customer.name, sg_customer.name)
		# a job, dead letter or lock of an order names its store
		self.assertNotEqual(
			job_id_for("Shopify", order_job_key(self.store, hk_order["id"])),
			job_id_for("Shopify", order_job_key(self.sg, sg_order["id"])),
		)

	def test_one_person_buying_in_both_stores_is_one_customer_and_each_order_keeps_its_po_number(self):
		"""The same email in both stores is one ERPNext Customer (one party, receivable per company).
		Both stores' first order is #1001: ERPNext refuses a second Sales Order of one customer with the
		same Customer's PO No, so the later one names its store, and both are booked."""
		code = f"SHOP-T-SAME-{frappe.generate_hash(length=5).upper()}"
		email = f"wing.chan.{code.lower()}@example.hk"
		found = []
		for shop, store, price in ((self.shop, self.store, "4.50"), (self.sg_shop, self.sg, "7.80")):
			variant = self.variant_in(shop, store, code, price)
			buyer = shop.add_customer("Wing", "Chan", email=email)
			order = shop.add_order(customer=buyer, lines=[{"variant": variant["id"], "quantity": 1}])
			self.assertEqual(orders.sync_order(order["id"], store), "created")
			found.append((order, self.sales_order_in(store, order)))
		(hk_order, hk), (sg_order, sg) = found
		self.assertEqual(hk_order["name"], sg_order["name"])
		self.assertEqual(hk.customer, sg.customer)
		self.assertEqual(hk.po_no, hk_order["name"])
		self.assertEqual(sg.po_no, f"{sg_order['name']} (ScoopJoy Singapore)")
		self.assertEqual((hk.docstatus, sg.docstatus), (1, 1))

	def test_products_without_skus_of_the_same_number_in_two_stores_become_an_item_each(self):
		"""Items made from products are coded by their SKU, else SHOPIFY-<variant id>: the Singapore
		product with the Hong Kong one's number is another product, so it gets an Item of its own."""
		made = []
		for shop, store, title in (
			(self.shop, self.store, "Plain Cone"),
			(self.sg_shop, self.sg, "Pandan Cone"),
		):
			settings = frappe.get_doc(SETTINGS, store)
			settings.update({"create_missing_items": 1, "new_item_group": ITEM_GROUP, "stock_uom": "Nos"})
			settings.save()
			product = shop.product_set(
				{
					"title": title,
					"variants": [
						{
							"optionValues": [{"optionName": "Title", "name": "Default Title"}],
							"price": "2.00",
							"inventoryItem": {"sku": None},
						}
					],
				},
				None,
			)["product"]
			variant = (
				product["variants"]["nodes"][0]
				if isinstance(product["variants"], dict)
				else product["variants"][0]
			)
			order = shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}], shipping_lines=[])
			self.assertEqual(orders.sync_order(order["id"], store), "created")
			made.append((legacy_id(variant["id"]), self.sales_order_in(store, order).items[0].item_code))
		(hk_variant, hk_item), (sg_variant, sg_item) = made
		self.assertEqual(hk_variant, sg_variant)
		self.assertNotEqual(hk_item, sg_item)
		self.assertEqual(
			[frappe.db.get_value("Item", code, "item_name") for code in (hk_item, sg_item)],
			["Plain Cone", "Pandan Cone"],
		)
		self.assertEqual(
			(item_of_variant(self.store, hk_variant), item_of_variant(self.sg, sg_variant)),
			(hk_item, sg_item),
		)

	def test_work_that_names_no_store_is_refused_with_a_clear_message_on_a_two_store_site(self):
		with self.assertRaisesRegex(ConfigError, "several Shopify stores"):
			ShopifyConnector()
		self.assertEqual(store_name(self.sg), self.sg)
		with self.assertRaisesRegex(ConfigError, "no Shopify Store nowhere.myshopify.com"):
			store_name("nowhere.myshopify.com")

	def test_the_request_log_and_dead_letters_say_which_store(self):
		from scoopjoy.kernel.errors import ConnectorError
		from scoopjoy.tests.simulators.harness import Fault

		self.sg_shop.faults.add(Fault.status(401))  # the Singapore token was revoked
		with self.assertRaises(ConnectorError):
			ShopifyConnector(store=self.sg).query("query { shop { name } }", operation="Shop")
		log = frappe.get_all(
			"Connector Request Log",
			filters={"connector": "Shopify", "status_code": 401},
			fields=["account", "url"],
			order_by="creation desc",
			limit=1,
		)[0]
		self.assertEqual(log.account, self.sg)
		# its circuit is open: the Hong Kong store's is not (each shop has its own breaker)
		self.assertEqual(ShopifyConnector(store=self.sg).breaker.state().state, "open")
		self.assertEqual(ShopifyConnector(store=self.store).breaker.state().state, "closed")
		variant = self.mapped_variant(f"SHOP-T-CALM-{frappe.generate_hash(length=5).upper()}")
		self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		self.assertEqual(sync.pull_changed_orders(self.store).get("created"), 1)
		ShopifyConnector(store=self.sg).breaker.reset()  # the merchant pasted a new token
		bad = self.sg_shop.add_order(lines=[{"deleted": True, "title": "Gone Kaya Toast", "quantity": 1}])
		self.assertEqual(sync.pull_changed_orders(self.sg).get("failed"), 1)
		letter = frappe.get_doc(
			"Integration Dead Letter",
			{"dedup_key": job_id_for("Shopify", order_job_key(self.sg, bad["id"]))},
		)
		self.assertEqual((letter.account, json.loads(letter.payload)["store"]), (self.sg, self.sg))

	def test_one_store_revoked_token_is_its_own_incident_closed_by_its_own_next_success(self):
		from scoopjoy.operations.alerts import evaluate_alerts
		from scoopjoy.reliability.activity import mark_success
		from scoopjoy.reliability.alerts import close_incident, open_incident, open_incidents

		reason = "auth failure"

		def still_open() -> bool:
			return ("Shopify", reason, self.sg) in {
				(i["connector"], i["reason"], i.get("account")) for i in open_incidents()
			}

		self.assertTrue(open_incident("Shopify", reason, "Singapore token revoked", account=self.sg))
		self.addCleanup(close_incident, "Shopify", reason, "test over", account=self.sg)
		self.assertTrue(open_incident("Shopify", reason, "Hong Kong token revoked", account=self.store))
		self.addCleanup(close_incident, "Shopify", reason, "test over", account=self.store)
		mark_success("Shopify", self.store)  # Hong Kong works again; Singapore does not yet
		evaluate_alerts()
		self.assertTrue(still_open())
		self.assertNotIn(
			("Shopify", reason, self.store),
			{(i["connector"], i["reason"], i.get("account")) for i in open_incidents()},
		)
		mark_success("Shopify", self.sg)
		evaluate_alerts()
		self.assertFalse(still_open())

	def test_one_item_in_both_stores_has_its_stock_pushed_to_each_store_location(self):
		code = stock_item(f"SHOP-T-SHARED-{frappe.generate_hash(length=5).upper()}")
		hk, sg = self.store_doc(), frappe.get_doc(SETTINGS, self.sg)
		for settings, shop in ((hk, self.shop), (sg, self.sg_shop)):
			settings.append(
				"locations", {"warehouse": settings.warehouse, "location_id": shop.primary_location["id"]}
			)
			settings.save()
			catalog.push_product(code, store=settings.name)  # published in each store: one listing each
		listings = {row.shopify_store: row for row in frappe.get_doc("Item", code).custom_shopify_listings}
		self.assertEqual(set(listings), {self.store, self.sg})
		for settings, qty in ((hk, 7), (sg, 3)):
			frappe.get_doc(
				{
					"doctype": "Stock Entry",
					"stock_entry_type": "Material Receipt",
					"company": settings.company,
					"items": [
						{"item_code": code, "qty": qty, "t_warehouse": settings.warehouse, "basic_rate": 2}
					],
				}
			).insert().submit()
		self.assertEqual(inventory.push_inventory(force=True, store=self.store)["levels"] >= 1, True)
		inventory.push_inventory(force=True, store=self.sg)
		for shop, store, qty in ((self.shop, self.store, 7), (self.sg_shop, self.sg, 3)):
			level = shop.inventory_level(
				listing_of(code, store).inventory_item_id, shop.primary_location["id"]
			)
			self.assertEqual(level["available"], qty, store)  # each store its own warehouse's stock
		self.assertEqual([d for d in inventory.inventory_drift(self.sg) if d["item_code"] == code], [])


class TestTwoStoresWebhooks(WebhookInbox, TwoStoresTestCase):
	def setUp(self):
		super().setUp()
		self.empty_inbox()

	def test_each_store_webhooks_are_routed_to_it_and_verified_with_its_own_secret(self):
		code = f"SHOP-T-HOOKS-{frappe.generate_hash(length=5).upper()}"
		hk_order = self.shop.add_order(
			lines=[{"variant": self.variant_in(self.shop, self.store, code, "4.50")["id"], "quantity": 1}]
		)
		sg_order = self.sg_shop.add_order(
			lines=[{"variant": self.variant_in(self.sg_shop, self.sg, code, "7.80")["id"], "quantity": 1}]
		)
		hk_raw, hk_headers = self.shop.webhook_request("orders/create", hk_order["id"])
		sg_raw, sg_headers = self.sg_shop.webhook_request("orders/create", sg_order["id"])
		self.assertEqual(self.post(hk_raw, hk_headers), {"status": "queued"})
		self.assertEqual(self.post(sg_raw, sg_headers), {"status": "queued"})
		stored = {
			row.shopify_store: row.order_id
			for row in frappe.get_all(
				"Shopify Webhook Delivery",
				filters={
					"name": ["in", [hk_headers["X-Shopify-Webhook-Id"], sg_headers["X-Shopify-Webhook-Id"]]]
				},
				fields=["shopify_store", "order_id"],
			)
		}
		self.assertEqual(stored, {self.store: legacy_id(hk_order["id"]), self.sg: legacy_id(sg_order["id"])})
		# each store's drain imports its own store's deliveries only
		self.assertEqual(drain.drain_webhook_orders(store=self.sg).get("created"), 1)
		self.assertIsNone(self.sales_order_in(self.store, hk_order))
		self.assertEqual(self.sales_order_in(self.sg, sg_order).company, self.sg_world.company)
		self.assertEqual(drain.drain_webhook_orders(store=self.store).get("created"), 1)
		self.assertEqual(self.sales_order_in(self.store, hk_order).currency, "USD")

	def test_one_worker_serves_the_stores_in_turn_during_a_burst(self):
		"""A drain hands over once its turn is over while another store's deliveries wait: one worker
		does not import one store's whole burst before the other's."""
		from unittest.mock import patch

		code = f"SHOP-T-TURN-{frappe.generate_hash(length=5).upper()}"
		hk_variant = self.variant_in(self.shop, self.store, code, "4.50")
		sg_variant = self.variant_in(self.sg_shop, self.sg, code, "7.80")
		for _ in range(5):
			order = self.shop.add_order(lines=[{"variant": hk_variant["id"], "quantity": 1}])
			self.post(*self.shop.webhook_request("orders/create", order["id"]))
		sg_order = self.sg_shop.add_order(lines=[{"variant": sg_variant["id"], "quantity": 1}])
		self.post(*self.sg_shop.webhook_request("orders/create", sg_order["id"]))
		with patch.object(drain, "FAIR_TURN_SECONDS", 0):
			counts = drain.drain_webhook_orders(store=self.store)
		self.assertEqual(counts.get("created"), 3)  # one fetch of three, then its turn was over
		waiting = {"status": "Queued", "shopify_store": self.store}
		self.assertEqual(frappe.db.count("Shopify Webhook Delivery", waiting), 2)  # for its next turn
		self.assertEqual(drain.drain_webhook_orders(store=self.sg).get("created"), 1)
		self.assertEqual(drain.drain_webhook_orders(store=self.store).get("created"), 2)  # the rest, alone

	def test_a_forged_delivery_with_a_real_domain_but_the_other_store_secret_leaves_no_trace(self):
		order = self.shop.add_order(lines=[{"deleted": True, "title": "Forged Scoop", "quantity": 1}])
		raw, headers = self.shop.webhook_request("orders/create", order["id"])
		errors_before = frappe.db.count("Error Log")
		deliveries_before = frappe.db.count("Shopify Webhook Delivery")
		frappe.local.scoopjoy_jobs_in_transaction = set()
		forgeries = (
			# the Hong Kong store's domain, signed with the Singapore store's secret
			{**headers, "X-Shopify-Hmac-Sha256": sign_shopify(raw, SG_SECRET)},
			# a shop that is no store of this site, rightly signed with its own secret
			{
				**headers,
				"X-Shopify-Shop-Domain": "stranger.myshopify.com",
				"X-Shopify-Hmac-Sha256": sign_shopify(raw, "x"),
			},
			# no domain at all
			{k: v for k, v in headers.items() if k != "X-Shopify-Shop-Domain"},
		)
		for forged in forgeries:
			self.assertEqual(self.post(raw, forged), {"error": "invalid signature"})
			self.assertEqual(frappe.local.response.get("http_status_code"), 401)
		self.assertEqual(frappe.db.count("Error Log"), errors_before)
		self.assertEqual(frappe.db.count("Shopify Webhook Delivery"), deliveries_before)
		self.assertFalse(frappe.local.scoopjoy_jobs_in_transaction)
		# the same body with its own store's secret is taken
		self.assertEqual(self.post(raw, headers), {"status": "queued"})
		self.assertEqual(SECRET, frappe.get_doc(SETTINGS, self.store).get_password("client_secret"))
		self.assertEqual(TOKEN, frappe.get_doc(SETTINGS, self.store).get_password("access_token"))


class TestUpgradeFromShopifySettings(ShopifyTestCase):
	"""A site of the single-store days: Shopify Settings in tabSingles (values, passwords, location
	rows), documents imported with ids and no store, an Item with the old id fields, a webhook
	delivery, a backfill and an open dead letter under the old key. The patch makes them the first
	store's."""

	DOMAIN = "scoopjoy-legacy.myshopify.com"
	OLD = "Shopify Settings"
	ITEM_COLUMNS = (
		"custom_shopify_product_id",
		"custom_shopify_variant_id",
		"custom_shopify_inventory_item_id",
	)

	def setUp(self):
		super().setUp()
		self.addCleanup(self.clean_up)
		self.suffix = frappe.generate_hash(length=6)
		self.world = frappe._dict(self.store_doc().as_dict())

	def clean_up(self) -> None:
		frappe.db.rollback()
		for doctype, field in (("Sales Order", "custom_shopify_store"), ("Customer", "custom_shopify_store")):
			frappe.db.set_value(doctype, {field: self.DOMAIN}, field, None)
		frappe.db.delete("Singles", {"doctype": self.OLD})
		frappe.db.delete("__Auth", {"doctype": self.OLD})
		frappe.db.delete("Shopify Location", {"parenttype": self.OLD})
		if frappe.db.exists(SETTINGS, self.DOMAIN):
			frappe.delete_doc(SETTINGS, self.DOMAIN, force=True, ignore_permissions=True)
		columns = set(item_columns())
		for column in self.ITEM_COLUMNS:
			if column in columns:
				frappe.db.sql_ddl(f"alter table `tabItem` drop column `{column}`")
		frappe.db.commit()  # nosemgrep: the DDL above committed the test's rows; these go too

	def test_the_single_settings_become_the_first_store_with_its_history_linked(self):
		from frappe.utils.password import set_encrypted_password

		from scoopjoy.patches import shopify_settings_to_store

		old = self.OLD
		values = {
			"enabled": 1,
			"shop_domain": self.DOMAIN,
			"api_version": "2026-10",
			"company": self.world.company,
			"warehouse": self.world.warehouse,
			"last_order_sync_at": "2026-12-01T10:00:00.000000Z",
			"sync_orders": 1,
			"webhook_import_jobs": 3,
		}
		for field, value in values.items():
			frappe.db.sql(
				"insert into `tabSingles` (doctype, field, value) values (%s, %s, %s)", (old, field, value)
			)
		set_encrypted_password(old, old, "shpat_legacy_token", "access_token")
		frappe.get_doc(
			{
				"doctype": "Shopify Location",
				"parent": old,
				"parenttype": old,
				"parentfield": "locations",
				"warehouse": self.world.warehouse,
				"location_id": "777",
			}
		).db_insert()
		# an Item of those days, with the old id columns (made here as the old custom fields made them)
		for column in self.ITEM_COLUMNS:
			frappe.db.sql_ddl(f"alter table `tabItem` add column if not exists `{column}` varchar(140)")
		code = make_item(f"SHOP-T-LEGACY-{self.suffix}", ITEM_GROUP, rate=3)
		frappe.db.sql(
			"update `tabItem` set custom_shopify_product_id=%s, custom_shopify_variant_id=%s, "
			"custom_shopify_inventory_item_id=%s where name=%s",
			(f"91{self.suffix[:3]}", f"92{self.suffix[:3]}", f"93{self.suffix[:3]}", code),
		)
		# an order imported then, and its customer: ids, no store
		order_id = f"88{frappe.generate_hash(length=8)}"
		variant = self.mapped_variant(f"SHOP-T-LEGACY-SO-{self.suffix}")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		self.sync(order)
		so = self.sales_order_for(order)
		frappe.db.set_value(
			"Sales Order", so.name, {"custom_shopify_store": None, "custom_shopify_order_id": order_id}
		)
		frappe.db.set_value("Customer", so.customer, "custom_shopify_store", None)
		delivery = frappe.get_doc(
			{
				"doctype": "Shopify Webhook Delivery",
				"webhook_id": f"legacy-{self.suffix}",
				"topic": "orders/updated",
				"order_id": order_id,
				"status": "Processed",
			}
		).insert(ignore_permissions=True)
		frappe.db.set_value(delivery.doctype, delivery.name, "shopify_store", None)
		letter = frappe.get_doc(
			{
				"doctype": "Integration Dead Letter",
				"connector": constants.SERVICE_NAME,
				"job": constants.SYNC_ORDER_JOB,
				"payload": json.dumps({"order_gid": f"gid://shopify/Order/{order_id}"}),
				"dedup_key": job_id_for(constants.SERVICE_NAME, f"order:{order_id}"),
				"external_id": order_id,
				"status": "Open",
				"last_error": "HTTP 503",
			}
		).insert(ignore_permissions=True)

		shopify_settings_to_store.execute()

		store = frappe.get_doc(SETTINGS, self.DOMAIN)
		self.assertEqual(
			(store.enabled, store.company, store.webhook_import_jobs), (1, self.world.company, 3)
		)
		self.assertEqual(store.last_order_sync_at, "2026-12-01T10:00:00.000000Z")
		self.assertEqual(store.get_password("access_token"), "shpat_legacy_token")
		self.assertEqual(
			[(row.warehouse, row.location_id) for row in store.locations], [(self.world.warehouse, "777")]
		)
		self.assertFalse(frappe.db.sql("select 1 from `tabSingles` where doctype=%s", old))
		self.assertEqual(frappe.db.get_value("Sales Order", so.name, "custom_shopify_store"), self.DOMAIN)
		self.assertEqual(frappe.db.get_value("Customer", so.customer, "custom_shopify_store"), self.DOMAIN)
		self.assertEqual(frappe.db.get_value(delivery.doctype, delivery.name, "shopify_store"), self.DOMAIN)
		listing = listing_of(code, self.DOMAIN)
		self.assertEqual(
			(listing.product_id, listing.variant_id, listing.inventory_item_id),
			(f"91{self.suffix[:3]}", f"92{self.suffix[:3]}", f"93{self.suffix[:3]}"),
		)
		self.assertEqual(item_of_variant(self.DOMAIN, f"92{self.suffix[:3]}"), code)
		self.assertFalse(
			frappe.db.exists("Custom Field", {"dt": "Item", "fieldname": "custom_shopify_variant_id"})
		)
		letter.reload()
		self.assertEqual(json.loads(letter.payload)["store"], self.DOMAIN)  # its replay names the store
		self.assertEqual(
			letter.dedup_key, job_id_for(constants.SERVICE_NAME, order_job_key(self.DOMAIN, order_id))
		)
		shopify_settings_to_store.execute()  # a second run changes nothing
		self.assertEqual(frappe.db.count(SETTINGS, {"name": self.DOMAIN}), 1)
