"""A backfill across workers (issue #26): the window split into slices by Shopify's counts, each
slice a job of its own; a slice killed midway resumes after its last page; the slices, the poll and
the webhook drain running side by side over the same orders import each order exactly once."""

from __future__ import annotations

import threading
import uuid
from unittest.mock import patch

import frappe
from frappe.utils import add_days, now_datetime, nowdate

from scoopjoy.connectors.shopify import backfill as backfills
from scoopjoy.connectors.shopify import constants, drain, orders, sync
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.connectors.shopify.orders import DELIVERY
from scoopjoy.reliability.isolation import read_committed
from scoopjoy.reliability.runtime import connection_of_this_site
from scoopjoy.tests.test_shopify import ShopifyTestCase


class Killed(BaseException):
	"""What a SIGKILLed worker leaves: no except clause runs, the connection's transaction is lost."""


def apply_then_die(node, settings, connector):
	sync.apply_in_savepoint(node, settings, connector)
	raise Killed


class TestShopifyBackfillSlices(ShopifyTestCase):
	def setUp(self):
		super().setUp()
		# Sales Orders only: what is proven here is which orders are imported and how often
		self.set_store({"create_sales_invoice": 0, "create_delivery_note": 0, "shop_timezone": "UTC"})
		variant = self.mapped_variant("SHOP-T-SLICES")
		buyers = [self.shop.add_customer("Slice", f"Buyer{n}") for n in range(4)]
		start = add_days(nowdate(), -9)
		self.orders = []
		# a busy first day and a quiet rest: slices by counts, not by equal days
		days = [0] * 14 + [day for day in range(1, 10) for _ in range(2)]
		for n, day in enumerate(days):
			self.orders.append(
				self.shop.add_order(
					customer=buyers[n % len(buyers)],
					lines=[{"variant": variant["id"], "quantity": 1 + n % 3}],
					created_at=f"{add_days(start, day)}T{8 + n % 10:02d}:{n % 60:02d}:00Z",
				)
			)
		self.ids = [legacy_id(order["id"]) for order in self.orders]
		self.backfill = frappe.get_doc(
			{
				"doctype": backfills.BACKFILL,
				"shopify_store": self.store,
				"from_date": start,
				"to_date": nowdate(),
				"parallel_slices": 3,
			}
		).insert()
		frappe.db.commit()  # as the desk does before the job starts

	def slices(self) -> list:
		frappe.db.commit()  # a fresh snapshot: what the workers committed
		# (frappe.get_all drops a field named orders_seen from its answer on Frappe 15)
		return frappe.db.get_values(
			backfills.SLICE,
			{"backfill": self.backfill.name},
			["name", "status", "orders_expected", "orders_seen", "pages_done", "cursor"],
			order_by="slice_no asc",
			as_dict=True,
		)

	def sales_orders(self) -> list[str]:
		frappe.db.commit()
		return frappe.get_all(
			"Sales Order",
			filters={"custom_shopify_store": self.store, "custom_shopify_order_id": ["in", self.ids]},
			pluck="custom_shopify_order_id",
		)

	def test_a_killed_slice_resumes_and_with_the_poll_and_the_drain_every_order_is_imported_once(self):
		queued: list[str] = []
		with (
			patch.object(constants, "BACKFILL_MIN_ORDERS_PER_SLICE", 5),
			patch.object(backfills, "_queue_slice", side_effect=lambda name: queued.append(name) or True),
		):
			backfills.run_backfill(self.backfill.name)
		slices = self.slices()
		self.assertEqual(len(slices), 3)
		self.assertEqual(queued, [s.name for s in slices])  # one job per slice
		self.assertEqual(sum(s.orders_expected for s in slices), len(self.orders))
		# by counts: the busy day does not land in one slice with the quiet ones
		self.assertLessEqual(max(s.orders_expected for s in slices), len(self.orders) // 3 + 14)
		self.assertEqual(frappe.db.get_value(backfills.BACKFILL, self.backfill.name, "status"), "Running")

		# the slice with most orders is killed while it imports its second page
		victim = max(slices, key=lambda s: s.orders_expected)
		pages = {"n": 0}
		real_import = backfills.import_orders

		def dies_on_page_two(*args, **kwargs):
			pages["n"] += 1
			if pages["n"] == 2:  # killed with the page's first order made, before its commit
				with patch.object(sync, "_apply_and_commit", side_effect=apply_then_die):
					return real_import(*args, **kwargs)
			return real_import(*args, **kwargs)

		with (
			patch.object(backfills, "import_orders", side_effect=dies_on_page_two),
			patch.object(constants, "BACKFILL_CHECKPOINT_SECONDS", 0),  # a checkpoint after every page
		):
			with self.assertRaises(Killed):
				backfills.run_slice(victim.name)
		frappe.db.rollback()  # the dead worker's transaction
		[killed] = [s for s in self.slices() if s.name == victim.name]
		self.assertEqual((killed.status, killed.pages_done), ("Running", 1))
		self.assertTrue(killed.cursor)
		self.assertEqual(len(self.sales_orders()), constants.ORDERS_PAGE_SIZE)

		# then, at the same moment: every slice (the killed one resumed), the poll and a drain of
		# webhooks announcing every order
		frappe.db.set_value(
			constants.STORE_DOCTYPE, self.store, "last_order_sync_at", "2000-01-01T00:00:00.000000Z"
		)
		for order_id in self.ids:
			frappe.get_doc(
				{
					"doctype": DELIVERY,
					"shopify_store": self.store,
					"webhook_id": str(uuid.uuid4()),
					"topic": "orders/create",
					"order_id": order_id,
					"status": "Queued",
					"received_at": now_datetime(),
				}
			).insert(ignore_permissions=True)
		jobs = [lambda name=s.name: backfills.run_slice(name) for s in slices]
		jobs.append(lambda: sync.pull_changed_orders(self.store))
		jobs.append(lambda: drain.drain_webhook_orders(0, self.store))
		failures = self.in_workers(jobs)
		self.assertEqual(failures, [])

		imported = self.sales_orders()
		self.assertEqual(sorted(imported), sorted(self.ids))  # every order, none twice
		after = self.slices()
		self.assertEqual({s.status for s in after}, {"Completed"})
		backfill = frappe.get_doc(backfills.BACKFILL, self.backfill.name)
		self.assertEqual(backfill.status, "Completed")
		# the form's sums: each order seen once by its slice, the killed page not counted twice
		self.assertEqual(backfill.orders_total, len(self.orders))
		self.assertEqual(backfill.orders_seen, len(self.orders))
		self.assertEqual(sum(s.orders_seen for s in after), len(self.orders))
		self.assertEqual(backfill.pages_done, sum(s.pages_done for s in after))
		self.assertFalse(
			frappe.db.count(
				DELIVERY, {"shopify_store": self.store, "order_id": ["in", self.ids], "status": "Queued"}
			)
		)
		self.assertFalse(
			frappe.db.count(
				"Integration Dead Letter",
				{"connector": "Shopify", "external_id": ["in", self.ids], "status": ["!=", "Resolved"]},
			)
		)

		# started again, nothing is imported twice and the backfill stays done
		with patch.object(backfills, "_queue_slice", side_effect=AssertionError("a done slice queued")):
			backfills.run_backfill(self.backfill.name)
		self.assertEqual(len(self.sales_orders()), len(self.ids))
		self.assertEqual(frappe.db.get_value(backfills.BACKFILL, self.backfill.name, "status"), "Completed")

	def test_killed_between_checkpoints_a_walk_resumes_at_the_last_one_and_counts_each_order_once(self):
		pages = {"n": 0}
		real_import = backfills.import_orders

		def dies_on_page_three(*args, **kwargs):
			pages["n"] += 1
			if pages["n"] == 3:  # two pages committed order by order, no checkpoint yet
				with patch.object(sync, "_apply_and_commit", side_effect=apply_then_die):
					return real_import(*args, **kwargs)
			return real_import(*args, **kwargs)

		with (
			patch.object(backfills, "import_orders", side_effect=dies_on_page_three),
			patch.object(constants, "BACKFILL_CHECKPOINT_SECONDS", 3600),
		):
			with self.assertRaises(Killed):
				backfills.run_backfill(self.backfill.name)
		frappe.db.rollback()  # the dead worker's transaction
		frappe.db.commit()
		killed = frappe.db.get_value(
			backfills.BACKFILL, self.backfill.name, ["status", "pages_done", "cursor"], as_dict=True
		)
		self.assertEqual((killed.status, killed.pages_done or 0, killed.cursor), ("Running", 0, None))
		self.assertEqual(len(self.sales_orders()), 2 * constants.ORDERS_PAGE_SIZE)

		backfills.run_backfill(self.backfill.name)  # the dead letter's retry: from the start again
		self.assertEqual(sorted(self.sales_orders()), sorted(self.ids))  # each order once
		done = frappe.db.get_values(
			backfills.BACKFILL,
			self.backfill.name,
			["status", "orders_seen", "orders_imported", "orders_skipped", "pages_done"],
			as_dict=True,
		)[0]
		self.assertEqual(done.status, "Completed")
		# counted once: the pages before the kill went uncounted with their lost checkpoint
		self.assertEqual(done.orders_seen, len(self.orders))
		self.assertEqual(done.pages_done, -(-len(self.orders) // constants.ORDERS_PAGE_SIZE))
		self.assertEqual(
			(done.orders_imported, done.orders_skipped),
			(len(self.orders) - 2 * constants.ORDERS_PAGE_SIZE, 2 * constants.ORDERS_PAGE_SIZE),
		)

	def test_a_small_window_is_one_slice_walked_by_the_backfill_itself(self):
		backfills.run_backfill(self.backfill.name)  # 32 orders: below 50 a slice
		self.assertEqual(self.slices(), [])
		backfill = frappe.get_doc(backfills.BACKFILL, self.backfill.name)
		self.assertEqual((backfill.status, backfill.orders_seen), ("Completed", len(self.orders)))
		self.assertEqual(sorted(self.sales_orders()), sorted(self.ids))


class TestNumberingApart(ShopifyTestCase):
	"""Imported documents take their naming series' number in a transaction of their own (workers do
	not wait for each other's series row); the price is a gap where an import is rolled back."""

	def setUp(self):
		super().setUp()
		self.set_store({"create_sales_invoice": 1, "create_delivery_note": 0, "shop_timezone": "UTC"})
		self.variant = self.mapped_variant("SHOP-T-NUMBERS")
		frappe.db.commit()  # the series' own connection sees what the import reads

	def import_and_roll_back(self) -> tuple[str, int, int]:
		"""Import a paid order, then roll the import back: (the order's name, its number, the
		series' committed counter afterwards)."""
		order = self.shop.add_order(lines=[{"variant": self.variant["id"], "quantity": 1}])
		self.shop.mark_paid(order["id"])
		orders.sync_order(order["id"], self.store)
		so = self.sales_order_for(order)
		self.assertTrue(
			frappe.db.exists("Sales Invoice", {"custom_shopify_order_id": legacy_id(order["id"])})
		)
		key, number = so.name.rsplit("-", 1)
		frappe.db.rollback()
		current = frappe.db.sql("select current from `tabSeries` where name = %s", f"{key}-")[0][0]
		return so.name, int(number), int(current)

	def test_a_number_taken_apart_stays_taken_and_numbering_in_the_transaction_is_one_switch_away(self):
		name, number, current = self.import_and_roll_back()
		self.assertTrue(name.startswith("SAL-ORD-"))
		self.assertGreaterEqual(current, number)  # committed apart: the rolled-back order left a gap

		self.set_store({"number_documents_apart": 0})
		frappe.db.commit()
		_name, number, current = self.import_and_roll_back()
		self.assertLess(current, number)  # numbered in the import's transaction: rolled back with it
		self.set_store({"number_documents_apart": 1})
		frappe.db.commit()

	def test_numbering_in_place_after_a_wait_lasts_one_transaction(self):
		year = nowdate()[:4]
		self.import_and_roll_back()  # the series' row exists
		# this transaction holds the Sales Order series' row (as a document numbered in place does):
		# the import's second connection waits a second, then numbers the order in place
		frappe.db.sql("select current from `tabSeries` where name = %s for update", f"SAL-ORD-{year}-")
		order = self.shop.add_order(lines=[{"variant": self.variant["id"], "quantity": 1}])
		orders.sync_order(order["id"], self.store)
		self.assertTrue(self.sales_order_for(order))
		frappe.db.rollback()
		# the next transaction numbers apart again: its rolled-back order leaves its number taken
		_name, number, current = self.import_and_roll_back()
		self.assertGreaterEqual(current, number)


class Undo(Exception):
	"""Ends a worker's attempt with its transaction rolled back."""


class TestReadCommitted(ShopifyTestCase):
	"""Imports run their transactions at READ COMMITTED (reliability/isolation.py): a worker booking
	an order's invoice does not hold up another one booking the next order."""

	def setUp(self):
		super().setUp()
		self.set_store({"create_sales_invoice": 0, "create_delivery_note": 0, "shop_timezone": "UTC"})
		variant = self.mapped_variant("SHOP-T-ISOLATION")
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 2}])
		orders.sync_order(order["id"], self.store)
		self.sales_order = self.sales_order_for(order)
		frappe.db.commit()  # the other worker sees the order

	def next_order_waits(self) -> bool:
		"""In another connection, as a second worker: a new Sales Order, numbered after this one.
		True when its lines waited for this connection's locks (1 s, then MariaDB gives up)."""
		outcome = {}
		connection = connection_of_this_site()

		def worker():
			frappe.db.sql("set session innodb_lock_wait_timeout = 1")
			copy = frappe.copy_doc(self.sales_order)
			copy.update({"custom_shopify_store": None, "custom_shopify_order_id": None, "po_no": None})
			try:
				copy.insert(ignore_permissions=True)
				outcome["waited"] = False
			except frappe.QueryTimeoutError:
				outcome["waited"] = True
			raise Undo

		def run():
			try:
				with connection():
					worker()
			except Undo:
				pass

		thread = threading.Thread(target=run)
		thread.start()
		thread.join(timeout=60)
		return outcome["waited"]

	def invoice_the_order(self) -> None:
		from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

		invoice = make_sales_invoice(self.sales_order.name)
		invoice.insert(ignore_permissions=True)
		invoice.submit()  # updates what the order has billed: reads its lines with locks

	def test_an_invoice_being_booked_does_not_hold_up_the_next_orders_lines(self):
		# as ERPNext runs by default (REPEATABLE READ): the next order's lines wait for this commit
		self.invoice_the_order()
		self.assertTrue(self.next_order_waits())
		frappe.db.rollback()

		# as imports run: they do not
		with read_committed():
			self.invoice_the_order()
			self.assertTrue(frappe.db.sql("select @@tx_isolation")[0][0] == "READ-COMMITTED")
			self.assertFalse(self.next_order_waits())
			frappe.db.rollback()
		frappe.db.commit()  # a transaction after it: back to the session's own level
		self.assertEqual(frappe.db.sql("select @@tx_isolation")[0][0], "REPEATABLE-READ")
