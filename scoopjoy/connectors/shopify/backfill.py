"""Backfills: every order created in a window, imported once, resumable, on every worker there is.

A Shopify Backfill's job counts the window, then, when it holds enough orders for more than one
slice, cuts it into slices of about equal order counts (Shopify counts 32 equal cells in one query;
scoopjoy/kernel/slices.py joins them) and queues one job per slice. The slices are consecutive
``created_at`` intervals, so each order is in exactly one; each slice job walks its interval page
by page like the poll, commits each order on its own, and every few seconds its cursor and its
counts, added to the backfill's own in the same transaction, so the form shows the sum and a killed
slice resumes after its last checkpoint. A window with one slice is walked by the backfill's job itself.

One import per order however slices, retries, the poll and webhook drains meet: each order is
applied under its per-order lock and the UNIQUE index (orders.py); a slice runs in one job at a
time (a Redis claim renewed at each checkpoint, which a killed worker's claim outlives by at most
``SLICE_CLAIM_SECONDS``).

A backfill names no ``status:`` filter, so open, closed, archived and cancelled orders all come
(the playbook's ``status=any``); reading beyond 60 days needs the read_all_orders scope.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timezone
from datetime import time as datetime_time
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce
from frappe.utils import add_days, cint, get_system_timezone, getdate, now_datetime
from redis.exceptions import LockError

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.sync import import_orders, order_pages
from scoopjoy.kernel.errors import TransientError
from scoopjoy.kernel.slices import Cell, cells_of, join_cells
from scoopjoy.reliability.isolation import read_committed
from scoopjoy.reliability.jobs import enqueue_integration_job, job_id_for
from scoopjoy.reliability.runtime import get_redis

BACKFILL = "Shopify Backfill"
SLICE = "Shopify Backfill Slice"
BACKFILL_JOB = "scoopjoy.connectors.shopify.backfill.run_backfill"
SLICE_JOB = "scoopjoy.connectors.shopify.backfill.run_slice"
JOB_TIMEOUT = 6 * 3600
#: a slice's claim lives this long unless renewed (after every page): a worker killed mid-slice
#: keeps its slice from running twice for at most this long
SLICE_CLAIM_SECONDS = 300
COUNTERS = ("pages_done", "orders_seen", "orders_imported", "orders_skipped", "orders_failed")


def _created(start: datetime, end: datetime) -> str:
	return f"created_at:>='{start:%Y-%m-%dT%H:%M:%SZ}' created_at:<'{end:%Y-%m-%dT%H:%M:%SZ}'"


def window_bounds(from_date, to_date) -> tuple[datetime, datetime]:
	"""The window's days as the site counts days (its time zone), in UTC: a New York site's "today"
	ends at 05:00 UTC tomorrow, so an order of 20:00 its time is in today's window."""
	zone = ZoneInfo(get_system_timezone())
	start = datetime.combine(getdate(from_date), datetime_time.min, zone).astimezone(timezone.utc)
	end = datetime.combine(getdate(add_days(to_date, 1)), datetime_time.min, zone).astimezone(timezone.utc)
	return start, end


def window_query(from_date, to_date) -> str:
	"""Shopify's search for the orders created on the window's days."""
	return _created(*window_bounds(from_date, to_date))


# --- starting ------------------------------------------------------------------------------------


def start_backfill(name: str) -> bool:
	"""Start, or resume, a backfill: its job plans the slices once and queues those not done."""
	doc = frappe.get_doc(BACKFILL, name)
	if doc.status == "Running" and _backfill_job_waiting(name):
		return False
	doc.db_set({"status": "Queued", "last_error": None})
	# a backfill belongs to one store already: its name keys it
	return _queue(BACKFILL_JOB, f"backfill:{name}", BACKFILL, name, backfill=name)


def _queue(method: str, job_key: str, doctype: str, name: str, **payload) -> bool:
	return enqueue_integration_job(
		method,
		connector=constants.SERVICE_NAME,
		job_key=job_key,
		queue="long",
		timeout=JOB_TIMEOUT,
		reference_doctype=doctype,
		reference_name=name,
		**payload,
	)


def _backfill_job_waiting(name: str) -> bool:
	keys = [f"backfill:{name}"] + [
		f"backfill-slice:{s}" for s in frappe.get_all(SLICE, {"backfill": name}, pluck="name")
	]
	return any(
		frappe.utils.background_jobs.is_job_enqueued(job_id_for(constants.SERVICE_NAME, key)) for key in keys
	)


def run_backfill(backfill: str) -> dict:
	"""Job: count and split the window the first time; then queue its slices not done yet, or, for
	a window of one slice, import it here. Returns the counts so far."""
	doc = frappe.get_doc(BACKFILL, backfill)
	connector = ShopifyConnector(store=doc.shopify_store)
	try:
		slices = frappe.get_all(SLICE, {"backfill": backfill}, ["name", "status"], order_by="slice_no asc")
		if not doc.orders_total and not slices:
			counts = connector.query(
				queries.COUNTS, {"orders": window_query(doc.from_date, doc.to_date)}, operation="Counts"
			)
			doc.orders_total = ((counts.get("ordersCount") or {}).get("count")) or 0
		if not slices and not doc.cursor and _slices_wanted(doc) > 1:
			slices = _make_slices(doc, connector)
		doc.db_set(
			{
				"status": "Running",
				"started_at": doc.started_at or now_datetime(),
				"orders_total": doc.orders_total,
			}
		)
		frappe.db.commit()  # nosemgrep: the desk shows "Running" (and the slices) while the jobs work
		if slices:
			for part in slices:
				if part.status != "Completed":
					_queue_slice(part.name)
			frappe.db.commit()  # nosemgrep: the slice jobs are queued after commit
			if all(part.status == "Completed" for part in slices):
				_settle(backfill)
			return _counts(backfill)
		_walk(connector, window_query(doc.from_date, doc.to_date), doc.cursor, backfill, own=None)
	except Exception as error:
		_failed(backfill, None, error)
		raise
	doc.db_set({"status": "Completed", "finished_at": now_datetime()})
	_publish_progress(backfill)
	return _counts(backfill)


def _slices_wanted(doc) -> int:
	"""The backfill's Parallel Slices, fewer when the window is small: a slice below
	BACKFILL_MIN_ORDERS_PER_SLICE orders costs more in queueing than it saves."""
	wanted = max(1, cint(doc.parallel_slices) or 1)
	return max(1, min(wanted, (doc.orders_total or 0) // constants.BACKFILL_MIN_ORDERS_PER_SLICE))


def _make_slices(doc, connector: ShopifyConnector) -> list:
	"""The window cut into slices of about equal order counts, from Shopify's counts of equal cells."""
	start, end = window_bounds(doc.from_date, doc.to_date)
	bounds = cells_of(start, end, queries.SLICE_CELLS)
	nothing = _created(start, start)  # a cell the window is too short to use: no order matches it
	variables = {
		f"c{i}": _created(*bounds[i]) if i < len(bounds) else nothing for i in range(queries.SLICE_CELLS)
	}
	counts = connector.query(queries.WINDOW_CELL_COUNTS, variables, operation="WindowCellCounts")
	cells = [
		Cell(s, e, int((counts.get(f"c{i}") or {}).get("count") or 0)) for i, (s, e) in enumerate(bounds)
	]
	made = []
	for number, part in enumerate(join_cells(cells, _slices_wanted(doc)), start=1):
		made.append(
			frappe.get_doc(
				{
					"doctype": SLICE,
					"backfill": doc.name,
					"slice_no": number,
					"shopify_store": doc.shopify_store,
					"created_from": f"{part.start:%Y-%m-%dT%H:%M:%SZ}",
					"created_before": f"{part.end:%Y-%m-%dT%H:%M:%SZ}",
					"orders_expected": part.count,
					"status": "Queued",
					**dict.fromkeys(COUNTERS, 0),
				}
			).insert(ignore_permissions=True)
		)
	return [frappe._dict(name=part.name, status=part.status) for part in made]


def _queue_slice(name: str) -> bool:
	return _queue(SLICE_JOB, f"backfill-slice:{name}", SLICE, name, slice=name)


# --- a slice -------------------------------------------------------------------------------------


def run_slice(slice: str) -> dict:
	"""Job: import the orders of one slice, after its last committed page."""
	part = frappe.get_doc(SLICE, slice)
	if part.status != "Completed":
		claim = get_redis().lock(
			f"scoopjoy:shopify:{frappe.local.site}:backfill-slice:{slice}", timeout=SLICE_CLAIM_SECONDS
		)
		if not claim.acquire(blocking=False):
			raise TransientError(
				f"Shopify: backfill slice {slice} is being imported by another job (or by a worker that "
				f"died, for at most {SLICE_CLAIM_SECONDS} s); retried after that.",
				service="Shopify",
				retry_after=SLICE_CLAIM_SECONDS,
			)
		try:
			connector = ShopifyConnector(store=part.shopify_store)
			part.db_set(
				{"status": "Running", "started_at": part.started_at or now_datetime(), "last_error": None}
			)
			frappe.db.commit()  # nosemgrep: the desk shows the slice running
			query = f"created_at:>='{part.created_from}' created_at:<'{part.created_before}'"
			_walk(connector, query, part.cursor, part.backfill, own=part.name, claim=claim)
			part.db_set({"status": "Completed", "finished_at": now_datetime()})
			frappe.db.commit()  # nosemgrep: before the backfill is settled, which reads every slice
		except Exception as error:
			_failed(part.backfill, part.name, error)
			raise
		finally:
			try:
				claim.release()
			except LockError:  # expired: free already
				pass
	_settle(part.backfill)
	return _counts(part.backfill)


# --- walking a window ----------------------------------------------------------------------------


def _walk(
	connector: ShopifyConnector, query: str, cursor: str | None, backfill: str, *, own: str | None, claim=None
) -> None:
	"""Every page of ``query`` after ``cursor``: its orders (each committed on its own), and at most
	every ``BACKFILL_CHECKPOINT_SECONDS`` the cursor after the last page and the counts of the pages
	since, of the slice ``own`` (None: the backfill itself) and of the backfill, committed together.

	Why not after every page: a page holds two orders (Shopify's query cost), and a checkpoint is
	four statements, a commit and a progress message. A walk that fails (Shopify down past every
	retry, a revoked token) checkpoints the pages it finished before it stops; a killed worker's
	slice resumes after its last checkpoint, meets the orders it committed since again and leaves
	them unchanged, and counts them once, since their counts went with the checkpoint it lost."""
	pending: Counter = Counter()
	checkpointed = time.monotonic()
	with read_committed():  # the walk's order-by-order transactions (reliability/isolation.py)
		try:
			for page in order_pages(connector, query, start_cursor=cursor or None):
				counts: Counter = Counter()
				import_orders(page.nodes, connector.settings, counts, connector, commit_each=True)
				pending.update(
					pages_done=1,
					orders_seen=counts["seen"],
					orders_imported=counts["created"] + counts["updated"],
					orders_skipped=counts["skipped"] + counts["unchanged"] + counts["stale"],
					orders_failed=counts["failed"],
				)
				if page.end_cursor:
					cursor = page.end_cursor
				if time.monotonic() - checkpointed >= constants.BACKFILL_CHECKPOINT_SECONDS:
					# handed over first: a checkpoint that fails after its commit is not added twice
					done, pending, checkpointed = pending, Counter(), time.monotonic()
					_checkpoint(backfill, own, done, cursor, claim)
		except Exception:
			if pending:  # the pages finished before the failure (the order it stopped in is undone)
				frappe.db.rollback()
				_checkpoint(backfill, own, pending, cursor, None)
			raise
		if pending:
			_checkpoint(backfill, own, pending, cursor, claim)


def _checkpoint(backfill: str, own: str | None, pending: Counter, cursor: str | None, claim) -> None:
	added = {field: pending[field] for field in COUNTERS}
	if own:
		_add(SLICE, own, added, cursor)
		_add(BACKFILL, backfill, added, None)
	else:
		_add(BACKFILL, backfill, added, cursor)
	# Commit on purpose: the cursor and the counts after the orders they count (each committed on
	# its own), so a killed worker resumes after the last checkpoint.
	frappe.db.commit()  # nosemgrep
	if claim is not None:
		claim.reacquire()  # still ours for another SLICE_CLAIM_SECONDS
	_publish_progress(backfill)


def _add(doctype: str, name: str, added: dict, cursor: str | None) -> None:
	"""Add a page's counts in SQL (slices running side by side add to one backfill: no lost update)."""
	table = frappe.qb.DocType(doctype)
	update = frappe.qb.update(table).set(table.modified, now_datetime()).where(table.name == name)
	for field in COUNTERS:
		update = update.set(table[field], Coalesce(table[field], 0) + added[field])
	if cursor:
		update = update.set(table.cursor, cursor)
	update.run()


def _failed(backfill: str, own: str | None, error: Exception) -> None:
	"""The slice (or the backfill) stops with its error on the form; the dead letter resumes it."""
	frappe.db.rollback()
	message = str(error)[:1000]
	if own:
		frappe.db.set_value(SLICE, own, {"status": "Failed", "last_error": message}, update_modified=False)
		message = _("Slice {0}: {1}").format(own, message)[:1000]
	frappe.db.set_value(
		BACKFILL, backfill, {"status": "Failed", "last_error": message}, update_modified=False
	)
	frappe.db.commit()  # nosemgrep: the failure shows on the form; the dead letter resumes it
	_publish_progress(backfill)


def _settle(backfill: str) -> None:
	"""The backfill is Completed when its last slice is: read under a lock on the backfill, so two
	slices ending at once settle it once, each seeing the other's commit."""
	frappe.db.sql(f"select name from `tab{BACKFILL}` where name = %s for update", backfill)
	statuses = frappe.db.sql(
		f"select status from `tab{SLICE}` where backfill = %s for update", backfill, pluck=True
	)
	if statuses and all(status == "Completed" for status in statuses):
		frappe.db.set_value(
			BACKFILL, backfill, {"status": "Completed", "finished_at": now_datetime(), "last_error": None}
		)
	frappe.db.commit()  # nosemgrep: releases the lock on the backfill
	_publish_progress(backfill)


def _counts(backfill: str) -> dict:
	doc = frappe.db.get_value(
		BACKFILL, backfill, ["orders_seen", "orders_imported", "orders_failed"], as_dict=True
	)
	return {"seen": doc.orders_seen, "imported": doc.orders_imported, "failed": doc.orders_failed}


def _publish_progress(backfill: str) -> None:
	doc = frappe.db.get_value(
		BACKFILL,
		backfill,
		["name", "status", "orders_seen", "orders_total", "orders_imported", "orders_failed"],
		as_dict=True,
	)
	frappe.publish_realtime(
		"shopify_backfill_progress",
		{
			"name": doc.name,
			"status": doc.status,
			"seen": doc.orders_seen,
			"total": doc.orders_total,
			"imported": doc.orders_imported,
			"failed": doc.orders_failed,
		},
		doctype=BACKFILL,
		docname=doc.name,
	)
