"""Fault matrix, bench half: the Frappe code paths that create ERPNext documents, under faults.

Why: ``tools/fault_matrix.py`` measures the kernel (transport, classifier, breaker, replays)
without Frappe, and reproduces the jobs' semantics in memory. What a bookkeeper notices, one
Sales Order / invoice / payment / Delivery Note / credit note per Shopify order and state, is
decided here: savepoints, commits per page, the webhook inbox and its job dedupe, the Redis lock
per order, dead letters and their replay. So on a real site, against the Shopify simulator:

- poll: ``sync.queue_order_poll`` (the scheduler's job) run by a worker;
- webhook: deliveries posted to ``webhook.receive``, then the inbox drain jobs it queued (drain.py);
- backfill: a Shopify Backfill started with ``backfills.start_backfill`` and its ``run_backfill`` job.

Each cell: a fresh simulator and a Shopify Store of its own (own ids and shop domain, so its breaker,
rate budget, cursor and drains are its own), orders in several states, the fault queued, the path run; then the fault is cleared, the
breaker allowed to cool, every dead letter of the cell replayed (``dead_letters.retry_now``, as
the desk does) until none is left or three rounds passed, and ERPNext is compared with the
simulator's state. lost = an order whose ERPNext documents do not match its Shopify state and
that no open dead letter covers; duplicated = documents beyond what the order calls for.

Jobs are really queued in RQ (after commit, deduplicated by job id) and run here by
:func:`run_queued_jobs`, which takes them off the queue like a worker and runs Frappe's own
``execute_job`` in this process. The killed-worker cell runs the backfill in a separate process
(``bench execute``) and SIGKILLs it.

Time is scaled so a quick run takes well under a minute: ``ShopifyConnector``'s read timeout
and retry backoff are shortened for the run (declarations, not code), the breaker cool-down in
ScoopJoy Settings is set to 1 s and put back afterwards, Retry-After is 1 s.

The full run adds cells that are not transport faults but decide whether work is lost: a worker
killed while applying a page (its order locks outlive it; those letters are replayed again at the
end, once the locks expired), an order ERPNext refuses, a paid order cancelled (the job runs as
the integration user), and a webhook arriving while its order's job runs.

Run: ``bench --site <site> execute scoopjoy.tests.fault_matrix_bench.run [--kwargs "{'quick': True}"]``
(Frappe evaluates --kwargs as Python).
Test sites only (``allow_tests``): it makes Shopify Stores and commits their documents. The site
needs a set-up Company (run any scoopjoy bench test on it once).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timezone
from unittest import mock

import frappe
from frappe.utils import add_days, now_datetime, nowdate
from frappe.utils.background_jobs import execute_job, get_job_status, get_queue
from rq.job import JobStatus

from scoopjoy.connectors.shopify import backfill as backfills
from scoopjoy.connectors.shopify import constants, drain, queries, sync
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.mapping import legacy_id, order_job_key, parse_time
from scoopjoy.connectors.shopify.stores import keyed
from scoopjoy.reliability import dead_letters
from scoopjoy.reliability.jobs import RUNNER, job_id_for, job_ids_for, site_job_id
from scoopjoy.reliability.runtime import get_redis
from scoopjoy.tests.simulators.harness import Fault
from scoopjoy.tests.test_shopify import TOKEN, TestShopifyWebhooks, point_store_at
from scoopjoy.tests.utils import make_sales_order

SETTINGS = constants.SETTINGS_DOCTYPE
CORE_SETTINGS = "ScoopJoy Settings"
DEAD_LETTER = "Integration Dead Letter"
BACKFILL_JOB = backfills.BACKFILL_JOB

ITEM_CODES = ("FM-BENCH-CONE", "FM-BENCH-TUB")

#: scaled time (see the module docstring)
READ_TIMEOUT = 0.5
LATE = 0.8  # a delay past the read timeout
BREAKER_COOLDOWN = 1  # seconds; ScoopJoy Settings holds whole seconds
RETRY_AFTER = 1  # urllib3 accepts whole seconds only
SCALED_CONNECTOR = {"timeout": (2.0, READ_TIMEOUT), "retry_backoff": 0.05, "retry_backoff_cap": 0.2}
#: the restore rate the simulator reports while a THROTTLED storm runs (Shopify: 100 points/s)
THROTTLED_RESTORE_RATE = 2000.0
REPLAY_ROUNDS = 3
REVOKED_TOKEN = "shpat_revoked_by_the_merchant_0000000000"
#: a killed worker's per-order lock (locks._lock_until_transaction_ends) lives this long
ORDER_LOCK_SECONDS = 300


# --- results -----------------------------------------------------------------------------------


@dataclass
class Row:
	path: str
	fault: str
	attempted: int = 0  # order states to bring into ERPNext (orders x passes)
	succeeded: int = 0  # orders right in ERPNext after the first pass (no replay needed)
	dead_lettered: int = 0  # dead letters open after the first pass (an order, the poll or a backfill)
	replayed: int = 0  # of those, resolved by the replays after the fault
	left_in_dl: int = 0  # orders not right yet but covered by an open letter (not lost)
	lost: int = 0
	duplicated: int = 0
	faults_fired: int = 0  # what the simulator or the inbox saw of the injected fault
	seconds: float = 0.0
	notes: str = ""


COLUMNS = (
	("path", "path"),
	("fault", "fault"),
	("attempted", "attempted"),
	("succeeded", "ok 1st pass"),
	("dead_lettered", "dead-lettered"),
	("replayed", "replayed ok"),
	("left_in_dl", "left in DL"),
	("lost", "**lost**"),
	("duplicated", "**duplicated**"),
	("faults_fired", "faults fired"),
	("seconds", "s"),
	("notes", "notes"),
)


def markdown(rows: list[Row]) -> str:
	lines = [
		"| " + " | ".join(title for _key, title in COLUMNS) + " |",
		"|" + "|".join("---" if key in ("path", "fault", "notes") else "---:" for key, _t in COLUMNS) + "|",
	]
	for row in rows:
		values = [f"{row.seconds:.1f}" if key == "seconds" else str(getattr(row, key)) for key, _t in COLUMNS]
		lines.append("| " + " | ".join(values) + " |")
	return "\n".join(lines)


# --- a worker in this process ------------------------------------------------------------------


def run_queued_jobs(job_ids: set[str], errors: list[str] | None = None) -> int:
	"""Run the RQ jobs this site queued under ``job_ids``, as a worker would; returns how many ran.

	Each job leaves its queue and is STARTED while it runs (``is_job_enqueued`` sees it, as with a
	real worker), then runs through ``execute_job`` (commit on success, rollback and Error Log on
	an exception). Jobs queued by a job run in the same call. A job that raises (only a programming
	error does: everything else is dead-lettered by ``run_integration_job``) is added to ``errors``.
	"""
	wanted = {site_job_id(job_id) for job_id in job_ids}
	previous_job = getattr(frappe.local, "job", None)
	ran = 0
	try:
		while True:
			found = [
				(queue, job_id)
				for queue in (get_queue(name) for name in ("short", "default", "long"))
				for job_id in queue.get_job_ids()
				if job_id in wanted
			]
			if not found:
				return ran
			for queue, job_id in found:
				job = queue.fetch_job(job_id)
				queue.remove(job_id)
				if job is None:
					continue
				job.set_status(JobStatus.STARTED)
				try:
					execute_job(**{**job.kwargs, "is_async": False})
				except Exception as error:
					if errors is not None:
						errors.append(f"{type(error).__name__}: {error}"[:300])
				finally:
					job.delete()
				ran += 1
	finally:
		frappe.local.job = previous_job


# --- one cell's world ------------------------------------------------------------------------------


class Shop:
	"""A fresh simulator with a Shopify Store of its own (the Shopify bench tests' fixture, on its
	own shop domain), so the breaker, the rate budget, the cursor and the drains of this cell are its
	own. ``id_base``: number the simulator's records as another cell's (two stores, the same ids)."""

	def __init__(self, id_base: int | None = None):
		self.fixture = TestShopifyWebhooks()
		self.fixture.setUp()
		self.sim = self.fixture.shop
		if id_base is not None:
			self.sim.id_base = id_base
		self.sim.shop_domain = f"fault-matrix-{uuid.uuid4().hex[:10]}.myshopify.com"
		self.store = self.fixture.store = point_store_at(self.sim)
		self.poll_job_id = job_id_for(constants.SERVICE_NAME, keyed(self.store, "poll"))
		#: the store's webhook drain jobs (every lane, and each one's follow-up)
		self.drain_job_ids = {
			job_id
			for lane in range(constants.DEFAULT_WEBHOOK_IMPORT_JOBS)
			for job_id in job_ids_for(constants.SERVICE_NAME, drain.drain_job_key(self.store, lane))
		}
		self.variants = [self.fixture.mapped_variant(code) for code in ITEM_CODES]
		# one customer per cell: each simulator numbers its orders from #1001, and ERPNext refuses a
		# second Sales Order with the same customer's PO number (Selling Settings)
		self.customer = self.sim.add_customer("Fault", "Matrix")
		self.order_ids: list[str] = []
		self.job_ids: set[str] = {self.poll_job_id, *self.drain_job_ids}
		self.backfill_keys: set[str] = set()
		self.job_errors: list[str] = []
		frappe.db.commit()  # jobs commit anyway; a cell starts from committed settings and items
		self.started = now_datetime()
		self.throttle_storm = 0
		self.token_revoked = False
		self._take = self.sim.faults.take
		self.sim.faults.take = self._take_with_hooks
		self.page_hook: Callable[[int], Fault | None] | None = None
		self.pages_requested = 0

	def reconnect(self) -> None:
		"""The cell's store is switched on again (kept for a later replay; nothing else moved it)."""
		frappe.db.set_value(SETTINGS, self.store, {"api_url": self.sim.url, "enabled": 1})
		frappe.clear_document_cache(SETTINGS, self.store)
		frappe.db.commit()

	def close(self) -> None:
		"""The simulator stops and the cell's store is switched off (its documents keep their link;
		an enabled store of a stopped simulator would keep the scheduler busy)."""
		self.sim.faults.take = self._take
		self.fixture.tearDown()
		frappe.db.set_value(SETTINGS, self.store, "enabled", 0)
		frappe.clear_document_cache(SETTINGS, self.store)

	# the simulator's request hook: THROTTLED storms and holding a page ---------------------------

	def _take_with_hooks(self, request):
		if self.throttle_storm > 0:
			self.throttle_storm -= 1
			self.sim.set_available(0)  # another app drained the bucket: this query is THROTTLED
		if b"OrdersPage" in (request.body or b""):
			self.pages_requested += 1
			if self.page_hook:
				fault = self.page_hook(self.pages_requested)
				if fault:
					return fault
		return self._take(request)

	# orders ---------------------------------------------------------------------------------------

	def add_orders(self, kinds: list[str]) -> list[str]:
		"""One order per kind: open, paid, fulfilled (paid, first line partly shipped), refunded (paid,
		one unit of the second line refunded)."""
		ids = []
		for kind in kinds:
			order = self.sim.add_order(
				customer=self.customer,
				lines=[
					{"variant": self.variants[0]["id"], "quantity": 2},
					{"variant": self.variants[1]["id"], "quantity": 1},
				],
			)
			gid = order["id"]
			if kind in ("paid", "fulfilled", "refunded"):
				self.sim.mark_paid(gid)
			if kind == "fulfilled":
				self.sim.fulfill(gid, {0: 1})
			if kind == "refunded":
				self.sim.refund(gid, {1: 1})
			ids.append(gid)
			# the order's job, and its follow-up when a webhook comes while the job runs
			self.job_ids.update(job_ids_for(constants.SERVICE_NAME, order_job_key(self.store, gid)))
		self.order_ids += ids
		return ids

	def change_orders(self) -> None:
		"""What happens to orders (made by :meth:`add_orders` with FULL_KINDS) after their import:
		the open one is cancelled, the paid one shipped, the partly shipped one shipped in full,
		the refunded one refunded again. A paid order cancelled is its own cell
		(:func:`cancelled_after_payment_cell`)."""
		for index, gid in enumerate(self.order_ids):
			step = index % 4
			if step == 0:
				self.sim.cancel(gid, "CUSTOMER")
			elif step in (1, 2):
				self.sim.fulfill(gid)
			else:
				self.sim.refund(gid, {0: 1})

	# the three paths ------------------------------------------------------------------------------

	def drain(self) -> int:
		return run_queued_jobs(self.job_ids, self.job_errors)

	def poll(self) -> None:
		sync.queue_order_poll(self.store)
		frappe.db.commit()
		self.drain()

	def deliver(self, raw: bytes, headers: dict) -> dict:
		"""A POST to the webhook endpoint; Frappe commits a POST request, which releases its job."""
		previous = getattr(frappe.local, "request", None)
		try:
			answer = self.fixture.post(raw, headers)
		finally:
			frappe.local.request = previous
		frappe.db.commit()
		return answer

	def webhooks(self, topic: str = "orders/create") -> None:
		for gid in self.order_ids:
			self.deliver(*self.sim.webhook_request(topic, gid))
		self.drain()

	def new_backfill(self) -> str:
		doc = frappe.get_doc(
			{
				"doctype": backfills.BACKFILL,
				"shopify_store": self.store,
				"from_date": add_days(nowdate(), -1),
				"to_date": add_days(nowdate(), 1),
			}
		).insert()
		frappe.db.commit()  # as the desk does before the job starts
		self.job_ids.add(backfill_job_id(doc.name))
		self.backfill_keys.add(backfill_job_id(doc.name))
		return doc.name

	def backfill(self) -> None:
		backfills.start_backfill(self.new_backfill())
		frappe.db.commit()
		self.drain()

	def run_path(self, path: str, *, later_state: bool = False) -> None:
		if path == "webhook":
			self.webhooks("orders/updated" if later_state else "orders/create")
		else:
			{"poll": self.poll, "backfill": self.backfill}[path]()

	# after the fault ------------------------------------------------------------------------------

	def open_letters(self) -> list[str]:
		return frappe.get_all(
			DEAD_LETTER,
			filters={
				"dedup_key": ["in", sorted(self.job_ids)],
				"status": ["!=", "Resolved"],
				"modified": [">=", self.started],
			},
			pluck="name",
		)

	def cool_breaker(self) -> None:
		state = ShopifyConnector(store=self.store).breaker.state()
		if state.state != "closed" and state.open_until:
			time.sleep(max(0.0, state.open_until - time.time()) + 0.05)

	def recover(self, rounds: int = REPLAY_ROUNDS) -> int:
		"""Clear the fault, let the breaker cool, replay the cell's letters. Returns how many resolved."""
		self.sim.faults.clear()
		self.throttle_storm = 0
		self.page_hook = None
		self.sim.restore_rate = constants.STANDARD_RESTORE_RATE
		before = set(self.open_letters())
		for _round in range(rounds):
			letters = self.open_letters()
			if not letters:
				break
			self.cool_breaker()
			for name in letters:
				dead_letters.retry_now(name)
				self.job_ids.add(f"scoopjoy-dead-letter-{name}")
			frappe.db.commit()
			self.drain()
		return len(before - set(self.open_letters()))

	# counting -------------------------------------------------------------------------------------

	def audit(self) -> tuple[dict[str, list[str]], int]:
		"""Per order, what ERPNext lacks compared with Shopify's state; and how many documents are extra."""
		frappe.db.commit()  # a fresh snapshot: see what the workers committed
		missing, extra = {}, 0
		for gid in self.order_ids:
			lacks, more = audit_order(self.sim.get_order(gid), self.store)
			extra += more
			if lacks:
				missing[gid] = lacks
		return missing, extra

	def covered(self, gid: str, letters: list[str]) -> bool:
		"""An open letter will bring this order in: its own, or the poll's or a backfill's of this cell."""
		keys = set(frappe.get_all(DEAD_LETTER, filters={"name": ["in", letters]}, pluck="dedup_key"))
		own = job_id_for(constants.SERVICE_NAME, order_job_key(self.store, gid))
		return own in keys or bool(keys & ({self.poll_job_id} | self.drain_job_ids | self.backfill_keys))

	def fired(self) -> int:
		"""Requests the simulator answered with a fault, a 401, or THROTTLED."""
		requests = self.sim.requests
		return sum(1 for r in requests if r.fault or r.status == 401) + self.sim.throttled_count


def backfill_job_id(name: str) -> str:
	return job_id_for(constants.SERVICE_NAME, f"backfill:{name}")


def shopify_stamp(value: str) -> str:
	"""updatedAt as the Sales Order stores it (OrderPlan.stamp)."""
	return parse_time(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def audit_order(order: dict, store: str) -> tuple[list[str], int]:
	"""Compare ERPNext with one order of a store's simulator. Returns (what is missing, documents in
	excess)."""
	order_id = legacy_id(order["id"])
	mine = {"custom_shopify_store": store, "custom_shopify_order_id": order_id}
	cancelled = order["cancelledAt"] is not None
	paid = order["displayFinancialStatus"] in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED")
	sales_orders = frappe.get_all(
		"Sales Order",
		filters=mine,
		fields=["name", "docstatus", "status", "custom_shopify_updated_at"],
	)
	extra = max(0, len(sales_orders) - 1)
	if not sales_orders:
		return ["Sales Order"], extra
	so = sales_orders[0]
	missing = []
	# a paid order cancelled without a refund keeps its money booked: its Sales Order is closed
	kept = cancelled and paid
	if kept and (so.docstatus, so.status) != (1, "Closed"):
		missing.append("closed Sales Order (the money was kept)")
	elif not kept and so.docstatus != (2 if cancelled else 1):
		missing.append("cancellation" if cancelled else "submitted Sales Order")
	if so.custom_shopify_updated_at != shopify_stamp(order["updatedAt"]):
		missing.append(f"latest state ({so.custom_shopify_updated_at} < {order['updatedAt']})")
	invoices = frappe.get_all(
		"Sales Invoice",
		filters={**mine, "is_return": 0, "docstatus": 1},
		pluck="name",
	)
	payments = (
		set(
			frappe.get_all(
				"Payment Entry Reference",
				filters={
					"reference_doctype": "Sales Invoice",
					"reference_name": ["in", invoices],
					"docstatus": 1,
				},
				pluck="parent",
			)
		)
		if invoices
		else set()
	)
	extra += max(0, len(invoices) - 1) + max(0, len(payments) - 1)
	if cancelled and not kept:
		if invoices or payments:
			missing.append("cancelled invoice and payment")
	elif paid and not (invoices and payments):
		missing.append("invoice and payment")
	rows = {
		r.idx: r.name
		for r in frappe.get_all("Sales Order Item", filters={"parent": so.name}, fields=["idx", "name"])
	}
	for position, line in enumerate(order["lineItems"], start=1):
		delivered = sum(
			frappe.get_all(
				"Delivery Note Item",
				filters={"so_detail": rows.get(position), "docstatus": 1},
				pluck="qty",
			)
		)
		shipped = 0 if cancelled else line["_fulfilled"]
		if delivered > shipped:
			extra += 1
		elif delivered < shipped:
			missing.append(f"delivery of line {position}")
	for refund in order["refunds"] if paid and not cancelled else []:
		notes = frappe.db.count(
			"Sales Invoice",
			{
				"custom_shopify_store": store,
				"custom_shopify_refund_id": legacy_id(refund["id"]),
				"is_return": 1,
				"docstatus": 1,
			},
		)
		extra += max(0, notes - 1)
		if not notes:
			missing.append(f"credit note {legacy_id(refund['id'])}")
	return missing, extra


def set_access_token(store: str, token: str) -> None:
	settings = frappe.get_doc(SETTINGS, store)
	settings.access_token = token
	settings.save()
	frappe.db.commit()


# --- the faults ------------------------------------------------------------------------------------

ATTEMPTS_PER_CALL = ShopifyConnector.max_retries + 1
GRAPHQL_THROTTLE_RETRIES = 8  # ShopifyGraphQL.max_throttle_retries


@dataclass(frozen=True)
class HttpFault:
	name: str
	inject: Callable[[Shop, bool], None]  # (shop, quick)


def _burst(quick: bool) -> int:
	"""Enough to exhaust every retry of the first call (quick) or of the first two calls."""
	return ATTEMPTS_PER_CALL + 1 if quick else 2 * ATTEMPTS_PER_CALL + 1


def _throttled_storm(shop: Shop, quick: bool) -> None:
	shop.sim.restore_rate = THROTTLED_RESTORE_RATE
	shop.throttle_storm = 2 if quick else GRAPHQL_THROTTLE_RETRIES + 1  # full: one call gives up


def _revoke_token(shop: Shop, quick: bool) -> None:
	set_access_token(shop.store, REVOKED_TOKEN)
	shop.token_revoked = True


HTTP_FAULTS: tuple[HttpFault, ...] = (
	HttpFault("5xx burst (503)", lambda s, q: s.sim.faults.add(Fault.status(503, times=_burst(q)))),
	HttpFault(
		"timeout past the read limit",
		lambda s, q: s.sim.faults.add(Fault.delay(LATE, times=ATTEMPTS_PER_CALL + (0 if q else 1))),
	),
	HttpFault("connection reset", lambda s, q: s.sim.faults.add(Fault.reset(times=_burst(q)))),
	HttpFault(
		"429 storm (Retry-After: 1)",
		lambda s, q: s.sim.faults.add(
			Fault.rate_limited(times=2 if q else ATTEMPTS_PER_CALL + 1, retry_after=RETRY_AFTER)
		),
	),
	HttpFault("THROTTLED storm (cost bucket drained)", _throttled_storm),
	HttpFault("malformed JSON (HTTP 200)", lambda s, q: s.sim.faults.add(Fault.malformed_json(times=2))),
	HttpFault("expired / revoked token (401)", _revoke_token),
)

#: quick mode: each fault on one path, every path meeting several faults
QUICK_PATHS = {
	"5xx burst (503)": "backfill",
	"timeout past the read limit": "webhook",
	"connection reset": "poll",
	"429 storm (Retry-After: 1)": "webhook",
	"THROTTLED storm (cost bucket drained)": "poll",
	"malformed JSON (HTTP 200)": "backfill",
	"expired / revoked token (401)": "webhook",
}
PATHS = ("poll", "webhook", "backfill")
QUICK_KINDS = ["open", "open"]
FULL_KINDS = ["open", "paid", "fulfilled", "refunded"]


# --- cells -------------------------------------------------------------------------------------------


def _cell(
	path: str,
	fault: str,
	body: Callable[[Shop, Row], None],
	after: Callable[[Shop, Row], None] | None = None,
	later: list | None = None,
) -> Row:
	"""Run one cell in a fresh shop, then count (the same for every cell); ``after`` runs once counted.

	With ``later``, a cell that still has work in dead letters keeps its shop open and is appended
	there, for :func:`replay_later` to replay once what blocked it has expired.
	"""
	started = time.monotonic()
	row = Row(path, fault)
	shop = Shop()
	keep = False
	try:
		body(shop, row)
		_finish(shop, row)
		if after:
			after(shop, row)
		keep = later is not None and row.left_in_dl > 0
		if keep:
			later.append((shop, row))
	finally:
		if shop.token_revoked:
			set_access_token(shop.store, TOKEN)
		if not keep:
			shop.close()
		frappe.db.commit()
	row.seconds = time.monotonic() - started
	return row


def replay_later(later: list) -> None:
	"""Replay the letters of cells kept open, once the order locks of a killed worker have expired."""
	for shop, row in later:
		started = time.monotonic()
		for gid in shop.order_ids:
			wait = get_redis().pttl(_order_lock_key(shop.store, gid))
			if wait and wait > 0:
				time.sleep(wait / 1000 + 0.05)
		shop.reconnect()
		replayed = shop.recover()
		row.replayed += replayed
		row.left_in_dl = row.lost = 0
		_finish(shop, row)
		row.notes += (
			f"; {replayed} letter(s) replayed again once the lock expired "
			f"({time.monotonic() - started:.0f}s later, other cells ran meanwhile): left in DL {row.left_in_dl}"
		)
		shop.close()
		frappe.db.commit()


def _first_pass_counts(shop: Shop, row: Row) -> None:
	missing, _extra = shop.audit()
	row.succeeded += len(shop.order_ids) - len(missing)
	row.dead_lettered += len(shop.open_letters())


def _recover(shop: Shop, row: Row, rounds: int = REPLAY_ROUNDS) -> None:
	if shop.token_revoked:
		set_access_token(shop.store, TOKEN)  # the merchant pasted a new token
		shop.token_revoked = False
	row.replayed += shop.recover(rounds)


def _finish(shop: Shop, row: Row) -> None:
	missing, extra = shop.audit()
	letters = shop.open_letters()
	row.duplicated = extra
	lost = []
	for gid, lacks in missing.items():
		if shop.covered(gid, letters):
			row.left_in_dl += 1
		else:
			row.lost += 1
			lost.append(f"{legacy_id(gid)}: {', '.join(lacks)}")
	if lost:
		row.notes = "; ".join(filter(None, [row.notes, "LOST " + " | ".join(lost)]))
	if shop.job_errors:
		row.notes = "; ".join(
			filter(None, [row.notes, f"{len(shop.job_errors)} job(s) raised: {shop.job_errors[0]}"])
		)


def http_cell(path: str, fault: HttpFault, quick: bool) -> Row:
	def body(shop: Shop, row: Row) -> None:
		phases = 1 if quick else 2
		shop.add_orders(QUICK_KINDS if quick else FULL_KINDS)
		for phase in range(phases):
			if phase:
				shop.change_orders()  # cancelled, shipped, refunded since the import
			row.attempted += len(shop.order_ids)
			fired_before = shop.fired()
			fault.inject(shop, quick)
			shop.run_path(path, later_state=bool(phase))
			_first_pass_counts(shop, row)
			row.faults_fired += shop.fired() - fired_before
			_recover(shop, row)
		if phases > 1:
			row.notes = "imported, then cancelled / shipped / refunded again; the fault hit both passes"

	return _cell(path, fault.name, body)


def duplicate_webhooks_cell(quick: bool) -> Row:
	"""Shopify retries a delivery it thinks failed (same webhook id), sends several topics for one
	order at once, and re-delivers an old one after it was processed."""

	def body(shop: Shop, row: Row) -> None:
		ids = shop.add_orders(QUICK_KINDS if quick else FULL_KINDS)
		row.attempted = len(ids)
		answers: Counter = Counter()
		first = {}
		for gid in ids:
			first[gid] = shop.sim.webhook_request("orders/create", gid)
			answers[shop.deliver(*first[gid])["status"]] += 1
			answers[shop.deliver(*first[gid])["status"]] += 1  # the same webhook id again
			answers[shop.deliver(*shop.sim.webhook_request("orders/updated", gid))["status"]] += 1
		jobs = shop.drain()
		_first_pass_counts(shop, row)
		for gid in ids:  # the order is paid (again: a no-op when it was), two topics, each twice
			if shop.sim.get_order(gid)["displayFinancialStatus"] == "PENDING":
				shop.sim.mark_paid(gid)
			for topic in ("orders/paid", "orders/updated"):
				delivery = shop.sim.webhook_request(topic, gid)
				answers[shop.deliver(*delivery)["status"]] += 1
				answers[shop.deliver(*delivery)["status"]] += 1
			answers[shop.deliver(*first[gid])["status"]] += 1  # a late retry of the first delivery
		jobs += shop.drain()
		_recover(shop, row)
		row.faults_fired = answers["duplicate"]
		row.notes = (
			f"{sum(answers.values())} deliveries: {answers['queued']} stored, {answers['duplicate']} "
			f"answered as duplicates; {jobs} jobs ran"
		)

	return _cell("webhook", "duplicate webhook deliveries", body)


def out_of_order_webhooks_cell(quick: bool) -> Row:
	"""Deliveries arrive newest first, and a slow poller applies a page it read before the changes."""

	def body(shop: Shop, row: Row) -> None:
		ids = shop.add_orders(["open"] * (1 if quick else 4))
		row.attempted = len(ids)
		connector = ShopifyConnector(store=shop.store)
		early = [
			connector.query(
				queries.ORDER_BY_ID,
				{"id": gid, "lineItems": constants.LINE_ITEMS_PER_ORDER},
				operation="OneOrder",
			)["order"]
			for gid in ids
		]
		deliveries = {gid: [shop.sim.webhook_request("orders/create", gid)] for gid in ids}
		for gid in ids:
			shop.sim.mark_paid(gid)
			deliveries[gid].append(shop.sim.webhook_request("orders/paid", gid))
			shop.sim.fulfill(gid, {0: 1})
			deliveries[gid].append(shop.sim.webhook_request("orders/partially_fulfilled", gid))
		for step in range(3):  # newest first, jobs running between the deliveries
			for gid in ids:
				shop.deliver(*deliveries[gid][2 - step])
			shop.drain()
		_first_pass_counts(shop, row)
		counts: Counter = Counter()
		sync.import_orders(early, connector.settings, counts, connector)
		frappe.db.commit()
		_recover(shop, row)
		row.faults_fired = counts["stale"]
		row.notes = (
			f"{3 * len(ids)} deliveries newest first; a poll page read before the changes applied last: "
			f"{counts['stale']} of {len(early)} refused as stale"
		)

	return _cell("webhook", "out-of-order webhooks", body)


def killed_backfill_cell(quick: bool, mid_page: bool, later: list | None = None) -> Row:
	"""A worker running a backfill is SIGKILLed (deploy, OOM): no except, no finally, no dead letter.

	The backfill runs in another process (``bench execute`` of the job runner, what a worker
	calls); it is killed while it waits for page 2 (or while it applies page 2), and the desk's
	Start (``start_backfill``) runs it again here.
	"""
	fault = "worker SIGKILLed " + ("applying a page" if mid_page else "between pages") + ", restarted"

	def body(shop: Shop, row: Row) -> None:
		count = 5 if quick else 10  # pages of 4: the kill lands on page 2
		kinds = ["open"] * count if quick else (FULL_KINDS * 3)[:count]
		ids = shop.add_orders(kinds)
		row.attempted = len(ids)
		name = shop.new_backfill()
		reached = threading.Event()

		def hold_page_two(page: int) -> Fault | None:
			if page != 2:
				return None
			reached.set()
			return None if mid_page else Fault.delay(60, process="never")

		shop.page_hook = hold_page_two
		worker = subprocess.Popen(
			[
				sys.executable,
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"--site",
				frappe.local.site,
				"execute",
				RUNNER,
				"--kwargs",
				json.dumps(
					{
						"job_method": BACKFILL_JOB,
						"connector": constants.SERVICE_NAME,
						"payload": {"backfill": name},
						"dedup_key": backfill_job_id(name),
						"reference_doctype": backfills.BACKFILL,
						"reference_name": name,
					}
				),
			],
			cwd=os.path.abspath(frappe.local.sites_path),
			stdout=subprocess.DEVNULL,
			stderr=subprocess.PIPE,
		)
		try:
			if not reached.wait(60):
				raise RuntimeError(f"the backfill worker never asked for page 2: {_stderr(worker)}")
			if mid_page:
				_wait_for_an_order_lock(shop.store, ids)
				time.sleep(0.2)  # inside apply_order: a Sales Order half made, nothing committed
		finally:
			os.kill(worker.pid, signal.SIGKILL)
			worker.wait(timeout=30)
		shop.page_hook = None
		frappe.db.commit()
		before = frappe.db.get_value(
			backfills.BACKFILL, name, ["status", "pages_done", "orders_seen"], as_dict=True
		)
		locks = _order_locks(shop.store, ids)
		missing, _extra = shop.audit()
		row.succeeded = len(ids) - len(missing)
		backfills.start_backfill(name)  # the desk's Start: the job is not queued any more, so it runs again
		frappe.db.commit()
		shop.drain()
		row.dead_lettered = len(shop.open_letters())
		# a replay now would wait for the same lock and fail: with ``later`` it runs once the lock expired
		_recover(shop, row, rounds=0 if locks and later is not None else REPLAY_ROUNDS)
		after = frappe.db.get_value(
			backfills.BACKFILL, name, ["status", "pages_done", "orders_seen"], as_dict=True
		)
		row.faults_fired = int(worker.returncode == -signal.SIGKILL)
		row.notes = (
			f"killed after {before.pages_done} committed page(s), left '{before.status}'; "
			f"restarted: '{after.status}', {after.pages_done} pages, {after.orders_seen} orders seen"
		)
		if locks:
			row.notes += (
				f"; the killed worker still held {len(locks)} order lock(s) (Redis, {ORDER_LOCK_SECONDS}s): "
				"the restart waited for each and dead-lettered it; the scheduler's replay imports it once "
				"the lock expires"
			)

	return _cell("backfill", fault, body, later=later)


def refused_order_cell(path: str) -> Row:
	"""ERPNext refuses one order: a hand-made Sales Order of the same customer already carries the
	Shopify order's number as the customer's PO (ERPNext's message has HTML in it). That order must
	wait in a dead letter with ERPNext's reason while the others come in; once the hand-made order
	is corrected, the replay brings it in. Not a transport fault: it checks the dead-letter path."""

	def body(shop: Shop, row: Row) -> None:
		settings = frappe.get_doc(SETTINGS, shop.store)
		email = shop.customer["defaultEmailAddress"]["emailAddress"]
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": f"Fault Matrix {legacy_id(shop.customer['id'])}",
				"customer_group": settings.customer_group,
				"email_id": email,
			}
		).insert()
		blocker = make_sales_order(customer.name, ITEM_CODES[0], submit=True)
		ids = shop.add_orders(["open", "open"])
		blocked = shop.sim.get_order(ids[0])["name"]
		blocker.db_set("po_no", blocked)  # typed into a hand-made order by someone at the desk
		frappe.db.commit()
		row.attempted = len(ids)
		shop.run_path(path)
		_first_pass_counts(shop, row)
		row.faults_fired = int(
			bool(frappe.db.exists("Sales Order", {"po_no": blocked, "name": blocker.name}))
		)
		errors = frappe.get_all(
			DEAD_LETTER,
			filters={"dedup_key": ["in", sorted(shop.job_ids)], "modified": [">=", shop.started]},
			pluck="last_error",
		)
		blocker.db_set("po_no", f"{blocked} (hand-made)")  # the fix
		frappe.db.commit()
		_recover(shop, row)
		row.notes = "dead letter(s): " + (" | ".join(e.splitlines()[0][:120] for e in errors) or "none")

	return _cell(path, "ERPNext refuses one order (validation)", body)


def cancelled_after_payment_cell(path: str) -> Row:
	"""A paid order is cancelled in Shopify: its payment, invoice and Sales Order must be cancelled
	by the job, which runs as the integration user. An order placed afterwards shows whether the
	path goes on past it. Not a transport fault: it checks what the job may do."""

	def body(shop: Shop, row: Row) -> None:
		[paid] = shop.add_orders(["paid"])
		shop.run_path(path)  # imported with its invoice and payment
		shop.sim.cancel(paid, "CUSTOMER")
		shop.add_orders(["open"])
		row.attempted = 2
		shop.run_path(path, later_state=True)
		_first_pass_counts(shop, row)
		errors = frappe.get_all(
			DEAD_LETTER,
			filters={
				"dedup_key": ["in", sorted(shop.job_ids)],
				"status": ["!=", "Resolved"],
				"modified": [">=", shop.started],
			},
			fields=["job", "failure_type", "last_error"],
		)
		row.faults_fired = 1
		_recover(shop, row)
		row.notes = "dead letter(s): " + (
			" | ".join(f"{e.job.rsplit('.', 1)[-1]} {e.failure_type}: {e.last_error[:80]}" for e in errors)
			or "none"
		)

	return _cell(path, "paid order cancelled (the integration user cancels)", body)


def webhook_during_its_job_cell() -> Row:
	"""orders/paid arrives while the drain importing that order (queued by orders/create) is running:
	after it read the order, before it committed. Shopify sends create and paid within a second of each
	other, so this is the everyday case, not a corner."""

	def body(shop: Shop, row: Row) -> None:
		[gid] = shop.add_orders(["open"])
		row.attempted = 1
		lane = drain.lane_of(legacy_id(gid), frappe.get_doc(SETTINGS, shop.store))
		job_id = job_id_for(constants.SERVICE_NAME, drain.drain_job_key(shop.store, lane))
		shop.deliver(*shop.sim.webhook_request("orders/create", gid))
		seen: dict = {}
		site, sites_path = frappe.local.site, frappe.local.sites_path

		def web_worker() -> None:
			"""Another process answering Shopify: the order is paid and its webhook comes in."""
			time.sleep(0.15)  # the job has Shopify's answer and is making the Sales Order
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			try:
				shop.sim.mark_paid(gid)
				seen["job_status"] = str(get_job_status(job_id))
				seen["answer"] = shop.fixture.post(*shop.sim.webhook_request("orders/paid", gid))
				frappe.db.commit()
			finally:
				frappe.destroy()

		def take_order_query(request):
			if b"OrdersByIds" in (request.body or b"") and "thread" not in seen:
				seen["thread"] = threading.Thread(target=web_worker)
				seen["thread"].start()
			return shop._take_with_hooks(request)

		shop.sim.faults.take = take_order_query
		jobs = shop.drain()
		seen["thread"].join(30)
		jobs += shop.drain()  # whatever the webhook queued
		_first_pass_counts(shop, row)
		row.faults_fired = int(seen.get("job_status") == JobStatus.STARTED.value)
		_recover(shop, row)
		waiting = frappe.db.count(
			"Shopify Webhook Delivery", {"order_id": legacy_id(gid), "status": "Queued"}
		)
		row.notes = (
			f"the paid webhook came while the job was '{seen.get('job_status')}', answered "
			f"{seen.get('answer')}; {jobs} job(s) ran; {waiting} delivery left 'Queued'"
		)

	def then_poll(shop: Shop, row: Row) -> None:
		if row.lost:
			shop.poll()
			repaired = not shop.audit()[0]
			row.notes += f"; the next poll {'repairs' if repaired else 'does not repair'} it"

	return _cell("webhook", "webhook arrives while its order's job runs", body, then_poll)


def two_stores_cell(quick: bool) -> Row:
	"""Two stores at once, numbering their orders, customers and products alike (one Item is listed
	in both). One store's cost bucket is drained by another app (a THROTTLED storm) and 503s hit it,
	while webhooks of both arrive interleaved and both stores' drains run. The calm store imports
	every order on the first pass, without a single THROTTLED answer (its budget and breaker are its
	own: the other store cannot starve it); the troubled one recovers from its dead letters; no order
	of either is lost, booked twice, or booked into the other store."""
	started = time.monotonic()
	row = Row("webhook", "two stores: one throttled and failing, one calm")
	calm = Shop()
	troubled = Shop(id_base=calm.sim.id_base)
	try:
		kinds = ["paid", "open"] if quick else FULL_KINDS
		calm_ids, troubled_ids = calm.add_orders(kinds), troubled.add_orders(kinds)
		same = sum(a == b for a, b in zip(calm_ids, troubled_ids, strict=True))
		row.attempted = len(calm_ids) + len(troubled_ids)
		_throttled_storm(troubled, quick=False)  # one of its calls gives up
		troubled.sim.faults.add(Fault.status(503, times=_burst(quick)))
		fired_before = troubled.fired()
		for calm_gid, troubled_gid in zip(calm_ids, troubled_ids, strict=True):
			calm.deliver(*calm.sim.webhook_request("orders/create", calm_gid))
			troubled.deliver(*troubled.sim.webhook_request("orders/create", troubled_gid))
		run_queued_jobs(calm.job_ids | troubled.job_ids, calm.job_errors)
		calm_missing, troubled_missing = calm.audit()[0], troubled.audit()[0]
		row.succeeded = row.attempted - len(calm_missing) - len(troubled_missing)
		row.dead_lettered = len(calm.open_letters()) + len(troubled.open_letters())
		row.faults_fired = troubled.fired() - fired_before
		calm_throttled = calm.sim.throttled_count
		_recover(troubled, row)
		row.replayed += calm.recover()
		for shop in (calm, troubled):
			_finish(shop, row)
		row.notes = "; ".join(
			filter(
				None,
				[
					row.notes,
					f"{same} order id(s) in both stores; the calm store: {len(calm_ids) - len(calm_missing)} of "
					f"{len(calm_ids)} on the first pass, {calm_throttled} THROTTLED answer(s)",
				],
			)
		)
	finally:
		for shop in (calm, troubled):
			shop.close()
		frappe.db.commit()
	row.seconds = time.monotonic() - started
	return row


def _order_lock_key(store: str, gid: str) -> str:
	return f"scoopjoy:shopify:{frappe.local.site}:order:{keyed(store, legacy_id(gid))}"


def _order_locks(store: str, ids: list[str]) -> list[str]:
	return [gid for gid in ids if get_redis().exists(_order_lock_key(store, gid))]


def _wait_for_an_order_lock(store: str, ids: list[str], timeout: float = 30) -> None:
	deadline = time.monotonic() + timeout
	while not _order_locks(store, ids):
		if time.monotonic() > deadline:
			raise RuntimeError("the backfill worker never started applying page 2")
		time.sleep(0.005)


def _stderr(worker: subprocess.Popen) -> str:
	if worker.poll() is None:
		return "still running"
	return (worker.stderr.read() or b"").decode(errors="replace")[-2000:]


# --- the whole matrix --------------------------------------------------------------------------------


def build_matrix(quick: bool = False) -> list[Row]:
	rows, later = [], []
	if not quick:  # first: the locks its killed worker leaves expire while the other cells run
		rows.append(killed_backfill_cell(quick, mid_page=True, later=later))
	for fault in HTTP_FAULTS:
		for path in (QUICK_PATHS[fault.name],) if quick else PATHS:
			rows.append(http_cell(path, fault, quick))
	rows.append(duplicate_webhooks_cell(quick))
	rows.append(out_of_order_webhooks_cell(quick))
	rows.append(killed_backfill_cell(quick, mid_page=False))
	rows.append(two_stores_cell(quick))
	if not quick:
		rows += [refused_order_cell(path) for path in PATHS]
		rows += [cancelled_after_payment_cell(path) for path in PATHS]
		rows.append(webhook_during_its_job_cell())
		replay_later(later)
	return rows


def run(quick: bool = False) -> list[dict]:
	"""Run the matrix on this site, print the table, return the rows (as dicts)."""
	if not frappe.conf.allow_tests:
		frappe.throw("The fault matrix makes Shopify Stores of its own: run it on a test site (allow_tests).")
	if not frappe.db.exists("Company", {"default_cash_account": ["is", "set"]}):
		frappe.throw("The site has no set-up Company: run a scoopjoy bench test on it once first.")
	started = time.monotonic()
	core = frappe.get_single(CORE_SETTINGS)
	cooldown = core.breaker_cooldown_seconds
	frappe.db.set_single_value(CORE_SETTINGS, "breaker_cooldown_seconds", BREAKER_COOLDOWN)
	frappe.clear_document_cache(CORE_SETTINGS, CORE_SETTINGS)
	frappe.db.commit()
	try:
		with mock.patch.multiple(ShopifyConnector, **SCALED_CONNECTOR):
			rows = build_matrix(quick)
	finally:
		frappe.db.set_single_value(CORE_SETTINGS, "breaker_cooldown_seconds", cooldown)
		frappe.clear_document_cache(CORE_SETTINGS, CORE_SETTINGS)
		frappe.db.commit()
	print(markdown(rows))
	print()
	print(
		f"{len(rows)} cells in {time.monotonic() - started:.0f}s ({'quick' if quick else 'full'}); "
		f"lost {sum(r.lost for r in rows)}, duplicated {sum(r.duplicated for r in rows)}. Time is scaled: "
		f"read timeout {READ_TIMEOUT}s, late answers {LATE}s, breaker cool-down {BREAKER_COOLDOWN}s, "
		f"Retry-After {RETRY_AFTER}s."
	)
	return [asdict(row) for row in rows]
