"""Shopify on a real site, against the Shopify simulator: orders become Sales Orders once (poll,
webhook, replay, backfill), paid/fulfilled/cancelled/refunded states become the ERPNext documents
a bookkeeper expects, a bad order is dead-lettered while the others import, webhooks are verified
and deduplicated, products and inventory are published, and the Sync Console explains the gaps."""

from __future__ import annotations

import json
import time
from collections import Counter
from decimal import Decimal
from unittest.mock import patch

import frappe
from frappe.utils import add_days, nowdate

from scoopjoy.connectors.shopify import (
	api,
	catalog,
	console,
	constants,
	drain,
	inventory,
	orders,
	queries,
	sync,
	webhook,
)
from scoopjoy.connectors.shopify import backfill as backfills
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.constants import ORDERS_PAGE_SIZE, WEBHOOK_TOPICS
from scoopjoy.connectors.shopify.listings import listing_of, set_listing
from scoopjoy.connectors.shopify.mapping import legacy_id, order_job_key
from scoopjoy.kernel.signatures import sign_shopify
from scoopjoy.reliability.runtime import connection_of_this_site
from scoopjoy.tests.records import tree_leaf
from scoopjoy.tests.simulators.harness import Fault
from scoopjoy.tests.simulators.shopify import ShopifySimulator
from scoopjoy.tests.utils import ScoopJoyTestCase, make_item, test_world, webhook_request

TOKEN = "shpat_scoopjoy_bench_token_0123456789"
SECRET = "shpss_scoopjoy_bench_secret"
SETTINGS = "Shopify Store"
#: the simulator's shop domain: the name of the test store
STORE = "scoopjoy-test.myshopify.com"
ITEM_GROUP = "ScoopJoy Shopify Test"


class _Simulator(ShopifySimulator):
	"""Ids unique to each simulator: Sales Orders committed by a page of the poll outlive the test."""

	def __init__(self, *args, **kwargs):
		self.id_base = int(time.time() * 1_000_000) % 10**13 * 10
		super().__init__(*args, **kwargs)

	def _next_id(self, kind: str) -> int:
		return super()._next_id(kind) + self.id_base


def world_accounts(world) -> dict:
	"""What a Shopify Store books into: a test company's own records (see records.py)."""
	return {
		"company": world.company,
		"warehouse": world.warehouse,
		"cash_bank_account": world.cash_account,
		"tax_account": world.tax_account,
		"shipping_account": world.shipping_account,
		"customer_group": world.customer_group,
		"price_list": world.price_list,
	}


def _company_defaults() -> dict:
	"""A Shopify Store pointing at the test company's own records (see records.py)."""
	tree_leaf("Item Group", ITEM_GROUP, "item_group_name")
	return {**world_accounts(test_world()), "item_group": ITEM_GROUP}


def forget_drain_jobs() -> None:
	"""No worker runs on a test bench: a drain job queued by an earlier test would still be waiting,
	so a new delivery would (rightly) queue nothing. Tests that look at what is queued start clean."""
	from frappe.utils.background_jobs import get_queue

	from scoopjoy.reliability.jobs import job_ids_for, site_job_id

	queue = get_queue("short")
	stores = {STORE, *frappe.get_all(SETTINGS, pluck="name")}
	for store, lane in ((store, lane) for store in stores for lane in range(8)):
		for job_id in job_ids_for("Shopify", drain.drain_job_key(store, lane)):
			job = queue.fetch_job(site_job_id(job_id))
			if job:
				job.delete()


def stock_item(code: str) -> str:
	"""A stock Item of the publishing group (made once), valued at 2.00, sold at 5.00."""
	if not frappe.db.exists("Item", code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_group": ITEM_GROUP,
				"stock_uom": "Nos",
				"is_stock_item": 1,
				"valuation_rate": 2,
				"standard_rate": 5,
			}
		).insert()
	return code


def point_store_at(shop, values: dict | None = None, locations: list[dict] | None = None) -> str:
	"""The Shopify Store of a simulator (made, or brought back to the fixture's values): enabled,
	pointing at it, booking into the test company. Returns its name."""
	if frappe.db.exists(SETTINGS, shop.shop_domain):
		settings = frappe.get_doc(SETTINGS, shop.shop_domain)
	else:
		settings = frappe.new_doc(SETTINGS)
	settings.update(
		{
			"enabled": 1,
			"sandbox_mode": 1,
			"shop_domain": shop.shop_domain,
			"api_url": shop.url,
			"api_version": shop.api_version,
			"access_token": TOKEN,
			"client_secret": SECRET,
			"create_sales_invoice": 1,
			"create_delivery_note": 1,
			"last_order_sync_at": None,
			"last_product_push_at": None,
			"last_inventory_push_at": None,
			"shop_timezone": None,
			**_company_defaults(),
			**(values or {}),
		}
	)
	settings.set("locations", locations or [])
	settings.save()
	frappe.clear_document_cache(SETTINGS, settings.name)
	connector = ShopifyConnector(settings)
	connector.breaker.reset()
	connector.transport.rate_limiter.reset()
	return settings.name


class ShopifyTestCase(ScoopJoyTestCase):
	def setUp(self):
		self.shop = _Simulator(access_token=TOKEN, client_secret=SECRET).start()
		self.store = point_store_at(self.shop)

	def tearDown(self):
		self.shop.stop()

	def store_doc(self):
		"""The test store's record as it is now."""
		return frappe.get_doc(SETTINGS, self.store)

	def settings(self, **values):
		"""Save the test store with these values (validated, as a person saving the form)."""
		settings = self.store_doc()
		settings.update(values)
		settings.save()
		frappe.clear_document_cache(SETTINGS, self.store)
		return settings

	def set_store(self, values: dict) -> None:
		"""Change the test store as a person saving it would not (no validation), and forget the
		cached copy."""
		frappe.db.set_value(SETTINGS, self.store, values)
		frappe.clear_document_cache(SETTINGS, self.store)

	# --- helpers --------------------------------------------------------------------------------

	def mapped_variant(self, code: str, title: str | None = None, price: str = "4.50") -> dict:
		product = self.shop.add_product(
			title or code, variants=[{"sku": code, "price": price, "option": code}]
		)
		variant = product["variants"][0]
		item = make_item(code, ITEM_GROUP, rate=float(price))
		set_listing(item, self.store, product_id=None, variant_id=variant["legacyResourceId"])
		return variant

	def listing(self, item_code: str) -> dict:
		"""The Item's ids in the test store ({} when it is not listed there)."""
		return listing_of(item_code, self.store) or {}

	def listed(self, **ids) -> int:
		"""How many Items hold these ids in the test store."""
		return frappe.db.count("Shopify Item Listing", {"shopify_store": self.store, **ids})

	def import_in_two_workers(self, two_orders: list[dict]) -> list[str]:
		"""Import two orders at the same moment in two threads, each its own database connection
		(as two RQ workers would); returns what failed."""
		return self.in_workers([lambda order=order: orders.sync_order(order["id"]) for order in two_orders])

	def in_workers(self, jobs: list) -> list[str]:
		"""Run each job at the same moment in its own thread and database connection (as RQ workers
		would), committing what it did; returns what failed."""
		import threading

		self.set_store({"shop_timezone": "UTC"})
		# Commit on purpose: the workers are other database connections and must see the setup.
		frappe.db.commit()  # nosemgrep
		connection = connection_of_this_site()  # commits what a job did, rolls back what failed
		start = threading.Barrier(len(jobs))
		failures: list[str] = []

		def worker(job) -> None:
			try:
				with connection():
					frappe.set_user("Administrator")
					start.wait(timeout=30)
					job()
			except Exception as error:
				failures.append(f"{type(error).__name__}: {error}")

		threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join(timeout=120)
		return failures

	def invoice_for(self, order: dict) -> str | None:
		"""The order's submitted Sales Invoice."""
		return frappe.db.exists(
			"Sales Invoice", {"custom_shopify_order_id": legacy_id(order["id"]), "docstatus": 1}
		)

	def sales_order_for(self, order: dict):
		name = frappe.db.get_value("Sales Order", {"custom_shopify_order_id": legacy_id(order["id"])})
		return frappe.get_doc("Sales Order", name) if name else None

	def sync(self, order: dict) -> str:
		return orders.sync_order(order["id"])


class TestShopifyOrders(ShopifyTestCase):
	def test_an_order_becomes_one_sales_order_with_customer_address_taxes_shipping_and_discount(self):
		variant = self.mapped_variant("SHOP-T-PISTACHIO")
		order = self.shop.add_order(
			lines=[{"variant": variant["id"], "quantity": 2, "price": "4.50"}],
			tax_lines=[{"title": "GST 5%", "rate": 0.05, "price": "0.40"}],
			shipping_lines=[{"title": "Cold chain", "price": "5.00"}],
			discount="1.00",
		)
		counts = sync.pull_changed_orders()
		self.assertEqual(counts.get("created"), 1)
		so = self.sales_order_for(order)
		self.assertEqual(so.docstatus, 1)
		self.assertEqual(so.custom_shopify_order_name, order["name"])
		self.assertAlmostEqual(so.grand_total, float(Decimal(order["totalPriceSet"])), places=2)
		self.assertEqual([(r.item_code, r.qty) for r in so.items], [("SHOP-T-PISTACHIO", 2)])
		self.assertEqual(sorted(t.description for t in so.taxes), ["Cold chain", "GST 5%"])
		customer = frappe.get_doc("Customer", so.customer)
		self.assertEqual(customer.custom_shopify_customer_id, legacy_id(order["customer"]["id"]))
		self.assertTrue(so.shipping_address_name)

	def test_poll_webhook_and_replay_of_the_same_order_make_one_sales_order(self):
		variant = self.mapped_variant("SHOP-T-MANGO")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		sync.pull_changed_orders()
		self.assertEqual(self.sync(order), "unchanged")  # the webhook job, later
		sync.pull_changed_orders()  # the next poll overlaps the checkpoint
		self.assertEqual(
			frappe.db.count("Sales Order", {"custom_shopify_order_id": legacy_id(order["id"])}), 1
		)

	def test_paid_order_gets_one_invoice_and_payment(self):
		variant = self.mapped_variant("SHOP-T-VANILLA")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 3}])
		self.sync(order)
		self.shop.mark_paid(order["id"])
		self.sync(order)
		self.sync(order)  # a duplicate orders/paid delivery
		invoices = frappe.get_all(
			"Sales Invoice",
			filters={"custom_shopify_order_id": legacy_id(order["id"]), "docstatus": 1},
			fields=["name", "outstanding_amount", "grand_total"],
		)
		self.assertEqual(len(invoices), 1)
		self.assertEqual(invoices[0].outstanding_amount, 0)
		payments = frappe.get_all(
			"Payment Entry Reference", filters={"reference_name": invoices[0].name, "docstatus": 1}
		)
		self.assertEqual(len(payments), 1)

	def test_fulfilled_lines_get_delivery_notes_for_what_was_shipped(self):
		first = self.mapped_variant("SHOP-T-CONE")
		second = self.mapped_variant("SHOP-T-TUB")
		order = self.shop.add_order(
			lines=[{"variant": first["id"], "quantity": 2}, {"variant": second["id"], "quantity": 1}]
		)
		self.sync(order)
		self.shop.fulfill(order["id"], {0: 1})  # one cone shipped
		self.sync(order)
		so = self.sales_order_for(order)
		delivered = frappe.get_all(
			"Delivery Note Item",
			filters={"against_sales_order": so.name, "docstatus": 1},
			fields=["item_code", "qty"],
		)
		self.assertEqual([(d.item_code, d.qty) for d in delivered], [("SHOP-T-CONE", 1)])
		self.shop.fulfill(order["id"])  # the rest
		self.sync(order)
		self.sync(order)  # orders/fulfilled delivered twice
		delivered = frappe.get_all(
			"Delivery Note Item",
			filters={"against_sales_order": so.name, "docstatus": 1},
			fields=["item_code", "qty"],
		)
		totals = {}
		for row in delivered:
			totals[row.item_code] = totals.get(row.item_code, 0) + row.qty
		self.assertEqual(totals, {"SHOP-T-CONE": 2, "SHOP-T-TUB": 1})

	def test_an_unpaid_order_cancelled_cancels_its_sales_order_and_invoice(self):
		variant = self.mapped_variant("SHOP-T-SORBET")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])  # awaiting payment
		self.sync(order)
		self.assertTrue(self.invoices_of(order))  # a pending order is invoiced: its receivable
		self.shop.cancel(order["id"], "CUSTOMER")
		self.sync(order)
		self.assertEqual(self.sales_order_for(order).docstatus, 2)
		self.assertEqual(self.invoices_of(order), [])

	def test_a_paid_order_cancelled_without_a_refund_keeps_the_money_booked(self):
		variant = self.mapped_variant("SHOP-T-RIPPLE")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		self.sync(order)
		self.shop.mark_paid(order["id"])
		self.sync(order)
		self.shop.cancel(order["id"], "CUSTOMER")  # the merchant kept the money (refund: false)
		self.sync(order)
		so = self.sales_order_for(order)
		self.assertEqual((so.docstatus, so.status), (1, "Closed"))
		[invoice] = self.invoices_of(order)
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice, "outstanding_amount"), 0)

	def invoices_of(self, order: dict) -> list[str]:
		return frappe.get_all(
			"Sales Invoice",
			filters={"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 0, "docstatus": 1},
			pluck="name",
		)

	def test_an_order_cancelled_before_import_creates_nothing(self):
		variant = self.mapped_variant("SHOP-T-GELATO")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		self.shop.cancel(order["id"], "FRAUD")
		self.assertEqual(self.sync(order), "skipped")
		self.assertIsNone(self.sales_order_for(order))

	def test_a_refund_becomes_one_credit_note_for_the_refunded_lines(self):
		first = self.mapped_variant("SHOP-T-WAFFLE")
		second = self.mapped_variant("SHOP-T-SPRINKLES", price="1.00")
		order = self.shop.add_order(
			lines=[{"variant": first["id"], "quantity": 2}, {"variant": second["id"], "quantity": 3}]
		)
		self.sync(order)
		self.shop.mark_paid(order["id"])
		self.sync(order)
		self.shop.refund(order["id"], {1: 2})
		self.sync(order)
		self.sync(order)  # refunds/create delivered twice
		notes = frappe.get_all(
			"Sales Invoice",
			filters={"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 1, "docstatus": 1},
			pluck="name",
		)
		self.assertEqual(len(notes), 1)
		rows = frappe.get_all("Sales Invoice Item", filters={"parent": notes[0]}, fields=["item_code", "qty"])
		self.assertEqual([(r.item_code, r.qty) for r in rows], [("SHOP-T-SPRINKLES", -2)])

	def test_an_older_state_never_overwrites_a_newer_one(self):
		variant = self.mapped_variant("SHOP-T-FUDGE")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		self.sync(order)
		connector = ShopifyConnector()
		old_node = connector.query(
			queries.ORDER_BY_ID, {"id": order["id"], "lineItems": 50}, operation="OneOrder"
		)["order"]
		self.shop.cancel(order["id"], "CUSTOMER")
		self.sync(order)
		result = orders.apply_order(old_node, connector.settings)  # a late, older delivery
		self.assertEqual(result.action, "stale")
		self.assertEqual(self.sales_order_for(order).docstatus, 2)

	def test_a_deleted_product_dead_letters_that_order_and_the_others_import(self):
		variant = self.mapped_variant("SHOP-T-MINT")
		good_1 = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		bad = self.shop.add_order(
			lines=[{"deleted": True, "title": "Discontinued Bubblegum Tub", "quantity": 1}]
		)
		good_2 = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 4}])
		counts = sync.pull_changed_orders()
		self.assertEqual((counts.get("created"), counts.get("failed")), (2, 1))
		self.assertTrue(self.sales_order_for(good_1) and self.sales_order_for(good_2))
		self.assertIsNone(self.sales_order_for(bad))
		letter = frappe.get_doc(
			"Integration Dead Letter", {"connector": "Shopify", "external_id": legacy_id(bad["id"])}
		)
		self.assertIn("deleted in Shopify", letter.last_error)
		self.assertEqual(letter.job, constants.SYNC_ORDER_JOB)

	def test_a_200_character_title_fits_erpnext(self):
		variant = self.mapped_variant("SHOP-T-LONG")
		title = "Triple Chocolate " * 12  # 204 characters
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1, "title": title[:200]}])
		self.sync(order)
		so = self.sales_order_for(order)
		self.assertLessEqual(len(so.items[0].item_name), 140)
		self.assertTrue(so.items[0].item_name.startswith("Triple Chocolate"))


class TestShopifyBackfill(ShopifyTestCase):
	def test_a_backfill_that_dies_mid_way_resumes_after_its_last_page(self):
		variant = self.mapped_variant("SHOP-T-BACKFILL")
		start = add_days(nowdate(), -20)
		for day in range(25):
			created = f"{add_days(start, day % 10)}T10:{day:02d}:00Z"
			self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}], created_at=created)
		backfill = frappe.get_doc(
			{"doctype": "Shopify Backfill", "from_date": start, "to_date": nowdate()}
		).insert()
		frappe.db.commit()  # as the desk does before the job starts
		# the third page keeps failing with 503 past every retry: the job dies there
		self.shop.faults.add(Fault.status_code(503, times=None, method="POST"))
		original = self.shop.faults.take

		pages = {"n": 0}

		def take_after_two_pages(request):
			query = (request.json() or {}).get("query", "") if request.body else ""
			if "OrdersPage" not in query:
				return None  # the count and anything else go through
			if pages["n"] < 2:
				pages["n"] += 1
				return None
			return original(request)

		self.shop.faults.take = take_after_two_pages
		with self.assertRaises(Exception):
			backfills.run_backfill(backfill.name)
		backfill.reload()
		self.assertEqual(
			(backfill.status, backfill.pages_done, backfill.orders_seen), ("Failed", 2, 2 * ORDERS_PAGE_SIZE)
		)
		self.assertTrue(backfill.cursor)

		self.shop.faults.take = original
		self.shop.faults.clear()
		ShopifyConnector().breaker.reset()
		backfills.run_backfill(backfill.name)  # the dead letter's replay
		backfill.reload()
		self.assertEqual(backfill.status, "Completed")
		self.assertEqual(backfill.orders_total, 25)
		self.assertEqual(backfill.orders_seen, 25)
		imported = frappe.db.count(
			"Sales Order",
			{
				"custom_shopify_order_id": [
					"in",
					[legacy_id(o) for o in [r["id"] for r in self.shop.orders.values()]],
				]
			},
		)
		self.assertEqual(imported, 25)


class WebhookInbox:
	"""Posting deliveries to the webhook endpoint, with an inbox that starts empty."""

	def empty_inbox(self) -> None:
		forget_drain_jobs()
		self.addCleanup(forget_drain_jobs)
		# a drain imports every waiting delivery: those earlier tests left belong to gone simulators
		frappe.db.set_value("Shopify Webhook Delivery", {"status": "Queued"}, "status", "Skipped")

	def post(self, raw: bytes, headers: dict):
		frappe.local.response = frappe._dict()
		frappe.local.request = webhook_request("POST", raw, headers)
		return webhook.receive()


class TestShopifyWebhooks(WebhookInbox, ShopifyTestCase):
	def setUp(self):
		super().setUp()
		self.empty_inbox()

	def delivery(self, order: dict, topic: str = "orders/create", webhook_id: str | None = None):
		raw, headers = self.shop.webhook_request(topic, order["id"], webhook_id=webhook_id)
		return raw, headers

	def test_forged_signatures_get_401_and_leave_no_trace(self):
		variant = self.mapped_variant("SHOP-T-FORGED")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		raw, headers = self.delivery(order)
		frappe.local.scoopjoy_jobs_in_transaction = set()
		errors_before = frappe.db.count("Error Log")
		deliveries_before = frappe.db.count("Shopify Webhook Delivery")
		for forged in (
			{**headers, "X-Shopify-Hmac-Sha256": sign_shopify(raw, "not-the-secret")},
			{k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"},
		):
			self.assertEqual(self.post(raw, forged), {"error": "invalid signature"})
			self.assertEqual(frappe.local.response.get("http_status_code"), 401)
		tampered = raw.replace(b'"name"', b'"nam3"', 1)
		self.post(tampered, headers)
		self.assertEqual(frappe.local.response.get("http_status_code"), 401)
		self.assertEqual(frappe.db.count("Error Log"), errors_before)
		self.assertEqual(frappe.db.count("Shopify Webhook Delivery"), deliveries_before)
		self.assertFalse(getattr(frappe.local, "scoopjoy_jobs_in_transaction", None))

	def drain_job_ids(self) -> set[str]:
		from scoopjoy.reliability.jobs import job_id_for

		return {job_id_for("Shopify", drain.drain_job_key(STORE, lane)) for lane in range(2)}

	def test_a_delivery_is_stored_once_and_queues_the_inbox_drain(self):
		variant = self.mapped_variant("SHOP-T-HOOK")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		raw, headers = self.delivery(order)
		frappe.local.scoopjoy_jobs_in_transaction = set()
		self.assertEqual(self.post(raw, headers), {"status": "queued"})
		self.assertEqual(self.post(raw, headers), {"status": "duplicate"})  # Shopify's retry
		webhook_id = headers["X-Shopify-Webhook-Id"]
		stored = frappe.get_doc("Shopify Webhook Delivery", webhook_id)
		self.assertEqual(
			(stored.topic, stored.order_id, stored.status),
			("orders/create", legacy_id(order["id"]), "Queued"),
		)
		self.assertNotIn(order.get("email") or "@", stored.payload)  # personal data masked
		# a second event for the same order while the drain waits: still one job
		raw2, headers2 = self.delivery(order, topic="orders/updated")
		self.post(raw2, headers2)
		queued = frappe.local.scoopjoy_jobs_in_transaction
		self.assertEqual(len(queued), 1)
		self.assertLessEqual(queued, self.drain_job_ids())
		drain.drain_webhook_orders()  # the job
		self.assertEqual(frappe.db.get_value("Shopify Webhook Delivery", webhook_id, "status"), "Processed")
		self.assertTrue(self.sales_order_for(order))

	def fetches(self) -> int:
		return sum(1 for r in self.shop.requests if b"OrdersByIds" in (r.body or b""))

	def test_a_burst_is_imported_by_one_drain_a_few_orders_per_fetch_each_order_once(self):
		"""Seven orders, some announced three times, one deleted in Shopify since, one that cannot be
		booked: the drain imports each order once, reads three orders per query, and closes every
		delivery with what became of its order."""
		variant = self.mapped_variant("SHOP-T-BURST")
		good = [self.shop.add_order(lines=[{"variant": variant["id"], "quantity": n + 1}]) for n in range(5)]
		gone = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		bad = self.shop.add_order(lines=[{"deleted": True, "title": "Gone Sorbet", "quantity": 1}])
		frappe.local.scoopjoy_jobs_in_transaction = set()
		webhook_ids = {}
		for order in [*good, gone, bad]:
			topics = (
				("orders/create", "orders/updated", "orders/paid")
				if order in good[:2]
				else ("orders/create",)
			)
			for topic in topics:
				raw, headers = self.delivery(order, topic=topic)
				self.assertEqual(self.post(raw, headers), {"status": "queued"})
				webhook_ids.setdefault(order["id"], []).append(headers["X-Shopify-Webhook-Id"])
		self.assertLessEqual(frappe.local.scoopjoy_jobs_in_transaction, self.drain_job_ids())
		del self.shop.orders[gone["_n"]]  # deleted in Shopify since the delivery
		before = self.fetches()

		counts = drain.drain_webhook_orders()

		self.assertEqual(self.fetches() - before, 3)  # 7 orders, 3 per query
		self.assertEqual((counts.get("created"), counts.get("skipped"), counts.get("failed")), (5, 1, 1))
		for order in good:
			so = self.sales_order_for(order)
			self.assertEqual(so.docstatus, 1)
			self.assertEqual(
				frappe.db.count("Sales Order", {"custom_shopify_order_id": legacy_id(order["id"])}), 1
			)
			self.assertEqual(
				{
					tuple(d.values())
					for d in frappe.get_all(
						"Shopify Webhook Delivery",
						filters={"name": ["in", webhook_ids[order["id"]]]},
						fields=["status", "sales_order"],
					)
				},
				{("Processed", so.name)},
			)
		self.assertEqual(
			frappe.db.get_value("Shopify Webhook Delivery", webhook_ids[gone["id"]][0], "status"), "Skipped"
		)
		failed = frappe.get_doc("Shopify Webhook Delivery", webhook_ids[bad["id"]][0])
		self.assertEqual(failed.status, "Failed")
		letter = frappe.get_doc("Integration Dead Letter", failed.dead_letter)
		self.assertEqual((letter.job, letter.external_id), (constants.SYNC_ORDER_JOB, legacy_id(bad["id"])))
		self.assertIn("deleted in Shopify", letter.last_error)

	def test_a_delivery_that_arrives_after_its_order_was_read_is_imported_by_the_next_pass(self):
		"""The order is paid while the drain is reading it: the paid delivery is not closed with the
		unpaid state; the drain reads the order again and books the payment."""
		variant = self.mapped_variant("SHOP-T-LATER")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		self.post(*self.delivery(order))
		read = drain._fetch
		late = {}

		def read_then_paid(connector, order_ids):
			nodes = read(connector, order_ids)
			if not late:
				self.shop.mark_paid(order["id"])
				raw, headers = self.delivery(order, topic="orders/paid")
				late["id"] = headers["X-Shopify-Webhook-Id"]
				self.post(raw, headers)
			return nodes

		before = self.fetches()
		with patch.object(drain, "_fetch", read_then_paid):
			counts = drain.drain_webhook_orders()

		self.assertEqual(self.fetches() - before, 2)
		self.assertEqual((counts.get("created"), counts.get("updated")), (1, 1))
		self.assertEqual(frappe.db.get_value("Shopify Webhook Delivery", late["id"], "status"), "Processed")
		self.assertTrue(self.invoice_for(order))

	def test_a_paid_event_for_an_order_not_yet_imported_imports_it_first(self):
		variant = self.mapped_variant("SHOP-T-LATE")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 2}])
		self.shop.mark_paid(order["id"])
		raw, headers = self.delivery(order, topic="orders/paid")
		self.post(raw, headers)
		self.sync(order)
		so = self.sales_order_for(order)
		self.assertEqual(so.docstatus, 1)
		self.assertTrue(self.invoice_for(order))

	def age(self, *webhook_ids: str, minutes: int = 5) -> None:
		"""The deliveries were received a while ago (the sweep leaves young ones to their job)."""
		for webhook_id in webhook_ids:
			frappe.db.set_value(
				"Shopify Webhook Delivery",
				webhook_id,
				"received_at",
				frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=-minutes),
			)

	def test_every_delivery_ends_processed_or_failed_with_its_dead_letter(self):
		from scoopjoy.reliability.jobs import run_integration_job

		good = self.shop.add_order(
			lines=[{"variant": self.mapped_variant("SHOP-T-SWEEP")["id"], "quantity": 1}]
		)
		bad = self.shop.add_order(lines=[{"deleted": True, "title": "Gone Sorbet", "quantity": 1}])
		ids = {}
		for order in (good, bad):
			raw, headers = self.delivery(order)
			self.post(raw, headers)
			ids[order["id"]] = headers["X-Shopify-Webhook-Id"]
		# the good order's state was applied by the poll, after a job that missed this delivery
		sync.pull_changed_orders()
		frappe.db.set_value("Shopify Webhook Delivery", ids[good["id"]], "status", "Queued")
		# the bad order's job fails and becomes a dead letter (as a worker runs it)
		key = order_job_key(STORE, bad["id"])
		from scoopjoy.reliability.jobs import job_id_for

		run_integration_job(
			constants.SYNC_ORDER_JOB,
			"Shopify",
			{"order_gid": bad["id"]},
			dedup_key=job_id_for("Shopify", key),
			external_id=legacy_id(bad["id"]),
		)
		self.age(*ids.values())

		webhook.finish_deliveries()

		good_delivery = frappe.get_doc("Shopify Webhook Delivery", ids[good["id"]])
		self.assertEqual(
			(good_delivery.status, good_delivery.sales_order), ("Processed", self.sales_order_for(good).name)
		)
		failed = frappe.get_doc("Shopify Webhook Delivery", ids[bad["id"]])
		self.assertEqual(failed.status, "Failed")
		self.assertIn(
			"deleted in Shopify",
			frappe.db.get_value("Integration Dead Letter", failed.dead_letter, "last_error"),
		)

	def test_a_delivery_no_job_will_finish_gets_a_drain_queued_again(self):
		order = self.shop.add_order(
			lines=[{"variant": self.mapped_variant("SHOP-T-ORPHAN")["id"], "quantity": 1}]
		)
		raw, headers = self.delivery(order)
		self.post(raw, headers)
		frappe.local.scoopjoy_jobs_in_transaction = set()  # its job was lost (e.g. Redis flushed)
		self.age(headers["X-Shopify-Webhook-Id"])
		webhook.finish_deliveries()
		self.assertEqual(len(frappe.local.scoopjoy_jobs_in_transaction), 1)
		self.assertLessEqual(frappe.local.scoopjoy_jobs_in_transaction, self.drain_job_ids())
		drain.drain_webhook_orders()  # the drain queued again runs
		self.assertEqual(
			frappe.db.get_value("Shopify Webhook Delivery", headers["X-Shopify-Webhook-Id"], "status"),
			"Processed",
		)

	def test_register_webhooks_creates_each_topic_once(self):
		self.shop.allow_insecure_webhooks = True
		first = api.register_webhooks()
		second = api.register_webhooks()
		topics = len(WEBHOOK_TOPICS)  # orders, refunds and products/update
		self.assertEqual(first["created"], topics)
		self.assertEqual((second["created"], second["unchanged"]), (0, topics))


class TestShopifyCatalogAndInventory(ShopifyTestCase):
	def test_items_are_published_once_and_updated_afterwards(self):
		code = "SHOP-T-PUBLISH"
		make_item(code, ITEM_GROUP, rate=6)
		long_name = ("Salted Caramel " * 10)[:140]  # ERPNext's longest item name
		frappe.db.set_value("Item", code, "item_name", long_name)
		catalog.push_products(force=True)
		product_id = self.listing(code).get("product_id")
		self.assertTrue(product_id)
		self.assertTrue(self.listing(code).get("variant_id"))
		catalog.push_products(force=True)  # pushing again updates, never duplicates
		titles = [p for p in self.shop.products.values() if p.get("handle") == "erpnext-shop-t-publish"]
		self.assertEqual(len(titles), 1)
		self.assertEqual(legacy_id(titles[0]["id"]), product_id)
		self.assertEqual(titles[0]["title"], long_name.strip())

	def test_inventory_is_pushed_for_mapped_warehouses_and_drift_is_reported(self):
		settings = self.store_doc()
		location = self.shop.primary_location
		settings.append("locations", {"warehouse": settings.warehouse, "location_id": location["id"]})
		settings.save()
		code = stock_item("SHOP-T-STOCKED")
		catalog.push_product(code)
		stock = frappe.get_doc(
			{
				"doctype": "Stock Entry",
				"stock_entry_type": "Material Receipt",
				"company": settings.company,
				"items": [{"item_code": code, "qty": 7, "t_warehouse": settings.warehouse, "basic_rate": 2}],
			}
		).insert()
		stock.submit()
		actual = frappe.db.get_value(
			"Bin", {"item_code": code, "warehouse": settings.warehouse}, "actual_qty"
		)
		inventory.push_inventory(force=True)
		inventory_item = self.listing(code).get("inventory_item_id")
		self.assertEqual(self.shop.inventory_level(inventory_item, location["id"])["available"], int(actual))
		self.assertEqual([d for d in inventory.inventory_drift() if d["item_code"] == code], [])
		self.shop.set_inventory(inventory_item, location["id"], 1)  # someone edits stock in Shopify
		drift = [d for d in inventory.inventory_drift() if d["item_code"] == code]
		self.assertEqual(drift[0]["shopify_qty"], 1)
		self.assertEqual(drift[0]["erpnext_qty"], int(actual))


class TestShopifySyncConsole(ShopifyTestCase):
	def test_counts_coverage_and_the_reason_for_every_missing_order(self):
		variant = self.mapped_variant("SHOP-T-CONSOLE")
		synced = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		deleted = self.shop.add_order(lines=[{"deleted": True, "title": "Retired Flavour", "quantity": 1}])
		cancelled = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		self.shop.cancel(cancelled["id"], "CUSTOMER")
		recent = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		self.sync(synced)
		sync.import_orders(  # the poll meets the order with the deleted product
			[
				ShopifyConnector().query(
					queries.ORDER_BY_ID, {"id": deleted["id"], "lineItems": 50}, operation="OneOrder"
				)["order"]
			],
			self.store_doc(),
			Counter(),
		)
		data = api.get_sync_console(add_days(nowdate(), -1), add_days(nowdate(), 1))
		orders_row = next(e for e in data["entities"] if e["entity"] == "orders")
		self.assertGreaterEqual(orders_row["shopify"], 4)
		reasons = {row["order_id"]: row["reason"] for row in data["not_synced"]}
		self.assertNotIn(legacy_id(synced["id"]), reasons)
		self.assertEqual(reasons[legacy_id(deleted["id"])], console.REASONS["deleted_product"])
		self.assertEqual(reasons[legacy_id(cancelled["id"])], console.REASONS["cancelled"])
		self.assertEqual(reasons[legacy_id(recent["id"])], console.REASONS["recent"])
		queued = api.resync_orders(json.dumps([legacy_id(recent["id"])]))
		self.assertEqual(queued["requested"], 1)

	def test_the_console_is_for_managers_only(self):
		frappe.set_user("Guest")
		try:
			with self.assertRaises(frappe.PermissionError):
				api.get_sync_console(nowdate(), nowdate())
		finally:
			frappe.set_user("Administrator")


class TestShopifySettings(ShopifyTestCase):
	def test_a_group_cash_account_and_an_http_url_are_refused(self):
		settings = self.store_doc()
		group = frappe.db.get_value("Account", {"company": settings.company, "is_group": 1})
		settings.cash_bank_account = group
		self.assertRaises(frappe.ValidationError, settings.save)
		settings.reload()
		settings.sandbox_mode = 0
		settings.api_url = "http://example.myshopify.com"
		self.assertRaises(frappe.ValidationError, settings.save)

	def test_an_old_api_version_warns_and_a_bad_one_is_refused(self):
		settings = self.store_doc()
		settings.api_version = "2024-01"
		settings.save()
		self.assertIn("past its support window", settings.api_version_status)
		settings.api_version = "2026-13"
		self.assertRaises(frappe.ValidationError, settings.save)

	def test_test_connection_names_the_shop(self):
		settings = self.store_doc()
		self.assertIn(self.shop.shop_name, settings.test_connection())


class TestShopifyOrderLock(ScoopJoyTestCase):
	def test_an_order_locked_by_a_dead_worker_is_retried_after_the_lock_expires(self):
		from scoopjoy.connectors.shopify.locks import ORDER_LOCK_SECONDS, _lock_until_transaction_ends
		from scoopjoy.kernel.errors import TransientError
		from scoopjoy.reliability.runtime import get_redis

		order_id = f"lock-{frappe.generate_hash(length=8)}"
		key = f"scoopjoy:shopify:{frappe.local.site}:order:{order_id}"
		# taken two minutes ago by a worker that was killed: never released, expires by itself
		get_redis().set(key, "a-killed-worker", ex=ORDER_LOCK_SECONDS - 120)
		try:
			with self.assertRaises(TransientError) as raised:
				_lock_until_transaction_ends(order_id)
			self.assertGreater(
				raised.exception.retry_after, ORDER_LOCK_SECONDS - 180
			)  # not before it expires
			self.assertIn("lock free in at most", str(raised.exception))
		finally:
			get_redis().delete(key)


class TestTwoWorkersAtOnce(ShopifyTestCase):
	def test_two_workers_importing_orders_of_one_new_customer_make_one_customer(self):

		variant = self.mapped_variant("SHOP-T-RACE")
		customer = self.shop.add_customer(first_name="Mei", last_name="Chan")
		orders_of_one_customer = [
			self.shop.add_order(customer=customer, lines=[{"variant": variant["id"], "quantity": n + 1}])
			for n in range(2)
		]
		self.assertEqual(self.import_in_two_workers(orders_of_one_customer), [])
		self.assertEqual(
			frappe.db.count("Customer", {"custom_shopify_customer_id": legacy_id(customer["id"])}), 1
		)
		self.assertTrue(all(self.sales_order_for(order) for order in orders_of_one_customer))
		names = {self.sales_order_for(order).customer for order in orders_of_one_customer}
		self.assertEqual(len(names), 1)
		addresses = frappe.get_all(
			"Dynamic Link",
			filters={"parenttype": "Address", "link_doctype": "Customer", "link_name": names.pop()},
		)
		self.assertEqual(len(addresses), 1)

	def test_two_drains_at_once_import_every_order_once(self):
		"""Two workers each run a drain during a burst: each order is claimed by one of them, so no
		order is imported twice and neither waits for the other."""
		variant = self.mapped_variant("SHOP-T-TWO-DRAINS")
		burst = [self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}]) for _ in range(8)]
		hooks = TestShopifyWebhooks()
		hooks.shop = self.shop
		# deliveries earlier tests left waiting belong to simulators that are gone: not this burst's
		frappe.db.set_value("Shopify Webhook Delivery", {"status": "Queued"}, "status", "Skipped")
		for order in burst:
			hooks.post(*hooks.delivery(order))
		results: list[dict] = []
		failures = self.in_workers(
			[lambda lane=lane: results.append(drain.drain_webhook_orders(lane)) for lane in range(2)]
		)
		self.assertEqual(failures, [])
		self.assertEqual(sum(r.get("created", 0) for r in results), len(burst), results)
		self.assertEqual(sum(r.get("unchanged", 0) + r.get("updated", 0) for r in results), 0)
		ids = [legacy_id(order["id"]) for order in burst]
		self.assertEqual(frappe.db.count("Sales Order", {"custom_shopify_order_id": ["in", ids]}), len(burst))
		self.assertEqual(
			frappe.db.count("Shopify Webhook Delivery", {"order_id": ["in", ids], "status": "Processed"}),
			len(burst),
		)
