"""Pulling orders: the incremental poll (every 10 minutes) and resumable backfills of a window.

Both walk ``orders`` page by page (cursor pagination, https://shopify.dev/docs/api/usage/pagination-graphql)
and apply each order in its own savepoint: one bad order is rolled back alone and dead-lettered
with its reason, the others go on. After each page the checkpoint (the newest ``updatedAt`` for
the poll, the page cursor for a backfill) is committed with the page's documents, so a worker
killed half way resumes at the next page instead of starting over.

A backfill names no ``status:`` filter, so open, closed, archived and cancelled orders all come
(the playbook's ``status=any``); reading beyond 60 days needs the read_all_orders scope.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from datetime import time as datetime_time

import frappe
from frappe.utils import get_datetime, now_datetime

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.locks import StaleSnapshot
from scoopjoy.connectors.shopify.mapping import legacy_id, order_job_key
from scoopjoy.connectors.shopify.orders import (
	OrderResult,
	apply_order,
)
from scoopjoy.connectors.shopify.stores import enabled_stores, keyed
from scoopjoy.kernel.errors import FailureType
from scoopjoy.reliability.dead_letters import record_dead_letter, resolve_dead_letter
from scoopjoy.reliability.errors import classify, is_deadlock
from scoopjoy.reliability.jobs import enqueue_integration_job, job_id_for, runs_as_integration_user

BACKFILL = "Shopify Backfill"
#: the poll re-reads this much before its checkpoint: Shopify's updatedAt and the moment an order
#: becomes visible to a query can differ by a few seconds (applying an order twice is harmless)
POLL_OVERLAP = timedelta(minutes=2)
#: the first poll of a new store reads this far back; older history is a backfill's job
FIRST_POLL_LOOKBACK = timedelta(days=1)
#: times an order is applied when other workers keep committing what it needs first (a new customer
#: of several orders arriving at once, under load): each attempt starts from a fresh snapshot
STALE_ATTEMPTS = 3


def _order_variables(query: str) -> dict:
	return {"first": constants.ORDERS_PAGE_SIZE, "query": query, "lineItems": constants.LINE_ITEMS_PER_ORDER}


@dataclass
class OrderOutcome:
	"""One order applied (``result``) or dead-lettered (``dead_letter``, ``error``)."""

	result: OrderResult | None = None
	dead_letter: str | None = None
	error: str = ""


def apply_in_savepoint(node: dict, settings, connector: ShopifyConnector | None = None) -> OrderOutcome:
	"""Apply one order in its own savepoint: a bad order is rolled back alone and dead-lettered under
	its order's key (its replay is ``sync_order`` for that order), and the caller goes on.

	Raised instead: a deadlock (MariaDB rolled the whole transaction back, savepoint included) and
	an auth or configuration failure (every order would fail the same way)."""
	order_id = legacy_id(node["id"])
	dedup_key = job_id_for(constants.SERVICE_NAME, order_job_key(settings.name, order_id))
	frappe.db.savepoint("shopify_order")
	try:
		for attempt in range(STALE_ATTEMPTS):
			try:
				result = apply_order(node, settings, connector)
				break
			except StaleSnapshot:
				if attempt == STALE_ATTEMPTS - 1:
					raise
				frappe.db.rollback(save_point="shopify_order")
				# Commit on purpose: a new transaction's snapshot sees the customer another worker just
				# made; what this transaction did before this order is complete and idempotent.
				frappe.db.commit()  # nosemgrep
				frappe.db.savepoint("shopify_order")
	except Exception as error:
		if is_deadlock(error):
			raise
		frappe.db.rollback(save_point="shopify_order")
		if classify(error) in (FailureType.AUTH, FailureType.CONFIG):
			raise
		letter = record_dead_letter(
			connector=constants.SERVICE_NAME,
			job=constants.SYNC_ORDER_JOB,
			payload={"order_gid": node["id"], "store": settings.name},
			error=error,
			dedup_key=dedup_key,
			external_id=order_id,
		)
		return OrderOutcome(dead_letter=letter, error=str(error))
	resolve_dead_letter(dedup_key)
	return OrderOutcome(result=result)


def import_orders(
	nodes: list[dict], settings, counts: Counter, connector: ShopifyConnector | None = None
) -> str | None:
	"""Apply a page of orders, each in its own savepoint. Returns the newest ``updatedAt`` seen."""
	newest = None
	for node in nodes:
		outcome = apply_in_savepoint(node, settings, connector)
		counts[outcome.result.action if outcome.result else "failed"] += 1
		counts["seen"] += 1
		if node.get("updatedAt") and (newest is None or node["updatedAt"] > newest):
			newest = node["updatedAt"]
	return newest


# --- the poll ------------------------------------------------------------------------------------


def queue_order_poll(store: str) -> bool:
	"""The one way a store's poll is queued (scheduler and desk button share the job key, so never
	twice)."""
	return enqueue_integration_job(
		"scoopjoy.connectors.shopify.sync.pull_changed_orders",
		connector=constants.SERVICE_NAME,
		job_key=keyed(store, "poll"),
		queue="long",
		store=store,
	)


def scheduled_order_poll() -> None:
	for store in enabled_stores("sync_orders"):
		queue_order_poll(store)


def pull_changed_orders(store: str | None = None) -> dict:
	"""Every order of the store updated since its checkpoint, page by page. Returns the counts."""
	connector = ShopifyConnector(store=store)
	settings = connector.settings
	if settings.last_order_sync_at:
		since = get_datetime(settings.last_order_sync_at.replace("Z", "").replace("T", " ")) - POLL_OVERLAP
	else:
		since = now_datetime() - FIRST_POLL_LOOKBACK
	query = f"updated_at:>='{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
	counts: Counter = Counter()
	for page in connector.pages(
		queries.ORDERS_PAGE, _order_variables(query), "orders", operation="OrdersPage"
	):
		newest = import_orders(page.nodes, settings, counts, connector)
		if newest and newest > (settings.last_order_sync_at or ""):
			settings.last_order_sync_at = newest
			frappe.db.set_value(
				constants.STORE_DOCTYPE, settings.name, "last_order_sync_at", newest, update_modified=False
			)
		# Commit per page on purpose: the page's orders and the checkpoint become durable together.
		frappe.db.commit()  # nosemgrep
	return dict(counts)


# --- backfill ------------------------------------------------------------------------------------


def start_backfill(name: str) -> bool:
	doc = frappe.get_doc(BACKFILL, name)
	if doc.status == "Running" and frappe.utils.background_jobs.is_job_enqueued(
		job_id_for(constants.SERVICE_NAME, f"backfill:{name}")
	):
		return False
	doc.db_set({"status": "Queued", "last_error": None})
	return enqueue_integration_job(
		"scoopjoy.connectors.shopify.sync.run_backfill",
		connector=constants.SERVICE_NAME,
		job_key=f"backfill:{name}",  # a backfill belongs to one store already
		queue="long",
		timeout=6 * 3600,
		reference_doctype=BACKFILL,
		reference_name=name,
		backfill=name,
	)


def window_query(from_date, to_date) -> str:
	"""Orders created on the window's days as the site counts days (its time zone): a New York site's
	"today" ends at 05:00 UTC tomorrow, so an order of 20:00 its time is in today's window."""
	from zoneinfo import ZoneInfo

	from frappe.utils import get_system_timezone, getdate

	zone = ZoneInfo(get_system_timezone())
	start = datetime.combine(getdate(from_date), datetime_time.min, zone).astimezone(timezone.utc)
	end = datetime.combine(getdate(to_date) + timedelta(days=1), datetime_time.min, zone).astimezone(
		timezone.utc
	)
	return f"created_at:>='{start:%Y-%m-%dT%H:%M:%SZ}' created_at:<'{end:%Y-%m-%dT%H:%M:%SZ}'"


def run_backfill(backfill: str) -> dict:
	"""Import every order created in the window, resuming after the last committed page."""
	doc = frappe.get_doc(BACKFILL, backfill)
	connector = ShopifyConnector(store=doc.shopify_store)
	settings = connector.settings
	query = window_query(doc.from_date, doc.to_date)
	try:
		if not doc.orders_total:
			counts_data = connector.query(queries.COUNTS, {"orders": query}, operation="Counts")
			doc.orders_total = ((counts_data.get("ordersCount") or {}).get("count")) or 0
		doc.db_set(
			{
				"status": "Running",
				"started_at": doc.started_at or now_datetime(),
				"orders_total": doc.orders_total,
			}
		)
		frappe.db.commit()  # nosemgrep: the desk shows "Running" while the job works
		for page in connector.pages(
			queries.ORDERS_PAGE,
			_order_variables(query),
			"orders",
			operation="OrdersPage",
			start_cursor=doc.cursor or None,
		):
			counts: Counter = Counter()
			import_orders(page.nodes, settings, counts, connector)
			doc.db_set(
				{
					"cursor": page.end_cursor or doc.cursor,
					"pages_done": (doc.pages_done or 0) + 1,
					"orders_seen": (doc.orders_seen or 0) + counts["seen"],
					"orders_imported": (doc.orders_imported or 0) + counts["created"] + counts["updated"],
					"orders_skipped": (doc.orders_skipped or 0)
					+ counts["skipped"]
					+ counts["unchanged"]
					+ counts["stale"],
					"orders_failed": (doc.orders_failed or 0) + counts["failed"],
				}
			)
			# Commit per page on purpose: the orders of the page and the cursor after it are one unit,
			# so a killed worker resumes exactly after the last page it finished.
			frappe.db.commit()  # nosemgrep
			_publish_progress(doc)
	except Exception as error:
		frappe.db.rollback()
		frappe.db.set_value(
			BACKFILL, backfill, {"status": "Failed", "last_error": str(error)[:1000]}, update_modified=False
		)
		frappe.db.commit()  # nosemgrep: the failure shows on the form; the dead letter resumes it
		raise
	doc.db_set({"status": "Completed", "finished_at": now_datetime()})
	_publish_progress(doc)
	return {"seen": doc.orders_seen, "imported": doc.orders_imported, "failed": doc.orders_failed}


def _publish_progress(doc) -> None:
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
