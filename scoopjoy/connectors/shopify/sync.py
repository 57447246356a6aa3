"""Pulling orders: the incremental poll (every 10 minutes), and what backfills (backfill.py) share
with it.

Both walk ``orders`` page by page (cursor pagination, https://shopify.dev/docs/api/usage/pagination-graphql)
and apply each order in its own savepoint and its own transaction: one bad order is rolled back
alone and dead-lettered with its reason, the others go on. After each page the checkpoint (the
newest ``updatedAt`` for the poll, the page cursor for a backfill) is committed, so a worker killed
half way resumes at that page instead of starting over (its orders already in are unchanged).

The pages are read ahead (:func:`order_pages`): a thread with a database connection of its own
reads the next pages, and the money of their orders that did not fit the page, while this one is
booked, so the fetch adds next to nothing to an import's time. It reads from the same cost bucket
(Redis) as every other job of the shop, and at most ``READ_AHEAD_PAGES`` pages ahead.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

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
from scoopjoy.connectors.shopify.whole_order import with_all_money, with_every_line
from scoopjoy.kernel.errors import ConnectorError, FailureType
from scoopjoy.kernel.pagination import GraphQLPage
from scoopjoy.kernel.read_ahead import read_ahead
from scoopjoy.reliability.dead_letters import record_dead_letter, resolve_dead_letter
from scoopjoy.reliability.errors import classify, is_deadlock
from scoopjoy.reliability.isolation import read_committed
from scoopjoy.reliability.jobs import enqueue_integration_job, job_id_for
from scoopjoy.reliability.runtime import connection_of_this_site

#: the poll re-reads this much before its checkpoint: Shopify's updatedAt and the moment an order
#: becomes visible to a query can differ by a few seconds (applying an order twice is harmless)
POLL_OVERLAP = timedelta(minutes=2)
#: the first poll of a new store reads this far back; older history is a backfill's job
FIRST_POLL_LOOKBACK = timedelta(days=1)
#: times an order is applied when other workers keep committing what it needs first (a new customer
#: of several orders arriving at once, under load): each attempt starts from a fresh snapshot
STALE_ATTEMPTS = 3
#: pages of orders read before the import asks for them: enough to ride out a slow answer, few
#: enough that a stopped import has spent little of the shop's budget on pages it never used
READ_AHEAD_PAGES = 4
#: times an order is applied when MariaDB keeps undoing it for deadlocks with other workers
DEADLOCK_ATTEMPTS = 4


def _order_variables(query: str) -> dict:
	return {"first": constants.ORDERS_PAGE_SIZE, "query": query, "lineItems": constants.LINE_ITEMS_PER_ORDER}


def order_pages(
	connector: ShopifyConnector, query: str, start_cursor: str | None = None
) -> Iterator[GraphQLPage]:
	"""The orders of ``query``, page by page and each order whole, read ahead of the caller by a
	thread with its own database connection (its call log is committed page by page).

	The reader gets the caller's Shopify Store as it is in memory and its token: a test's or a
	form's unsaved change is what the caller reads with, and the reader reads the same."""
	settings = connector.settings
	auth_headers = connector.get_auth_headers()

	def pages() -> Iterator[GraphQLPage]:
		reader = ShopifyConnector(settings)
		reader.get_auth_headers = lambda: auth_headers
		for page in reader.pages(
			queries.ORDERS_PAGE,
			_order_variables(query),
			"orders",
			operation="OrdersPage",
			start_cursor=start_cursor,
		):
			nodes = [_whole(node, reader) for node in page.nodes]
			frappe.db.commit()  # nosemgrep: the reader's call log of this page
			yield page._replace(nodes=nodes)

	return read_ahead(
		pages, depth=READ_AHEAD_PAGES, context=connection_of_this_site(), name=f"shopify-read-{settings.name}"
	)


def _whole(node: dict, connector: ShopifyConnector) -> dict:
	"""The order with the lines and money past the page, read now so the import need not wait.
	A failure here is left for the import: it reads again in the order's own savepoint, where a
	refusal is that order's dead letter and nobody else's."""
	try:
		return with_all_money(with_every_line(node, connector), connector)
	except ConnectorError:
		return node


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
	nodes: list[dict],
	settings,
	counts: Counter,
	connector: ShopifyConnector | None = None,
	*,
	commit_each: bool = False,
) -> str | None:
	"""Apply a page of orders, each in its own savepoint. Returns the newest ``updatedAt`` seen.

	``commit_each`` (the poll and backfills): each order is committed on its own, as the webhook
	drain does, so a transaction never holds the locks of two orders (per-order Redis locks, the
	naming series' row): workers walking the same orders in other sequences (the poll by update,
	a backfill by creation, the drain by arrival) never wait for each other in a circle, and each
	holds its naming series for one order, not a page. The caller commits its checkpoint after the
	page; orders committed before a worker died are applied again unchanged. The poll and backfills
	run those transactions at READ COMMITTED (reliability/isolation.py: no gap locks between
	workers), entered once for all their pages."""
	newest = None
	for node in nodes:
		outcome = (
			_apply_and_commit(node, settings, connector)
			if commit_each
			else apply_in_savepoint(node, settings, connector)
		)
		counts[outcome.result.action if outcome.result else "failed"] += 1
		counts["seen"] += 1
		if node.get("updatedAt") and (newest is None or node["updatedAt"] > newest):
			newest = node["updatedAt"]
	return newest


def _apply_and_commit(node: dict, settings, connector: ShopifyConnector | None) -> OrderOutcome:
	"""One order in a transaction of its own; when MariaDB undoes it for a deadlock with another
	worker, applied again a few times after a short random pause."""
	for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
		try:
			outcome = apply_in_savepoint(node, settings, connector)
			frappe.db.commit()  # nosemgrep: one order, one transaction (see import_orders)
			return outcome
		except Exception as error:
			if not is_deadlock(error) or attempt == DEADLOCK_ATTEMPTS:
				raise
			frappe.db.rollback()  # MariaDB undid the order already; Frappe forgets what it queued for it
			time.sleep(random.uniform(0.05, 0.25) * attempt)
	raise AssertionError("unreachable")  # pragma: no cover


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
	with read_committed():  # the poll's order-by-order transactions (reliability/isolation.py)
		for page in order_pages(connector, query):
			newest = import_orders(page.nodes, settings, counts, connector, commit_each=True)
			if newest and newest > (settings.last_order_sync_at or ""):
				settings.last_order_sync_at = newest
				frappe.db.set_value(
					constants.STORE_DOCTYPE,
					settings.name,
					"last_order_sync_at",
					newest,
					update_modified=False,
				)
			# Commit per page on purpose: the checkpoint after the page's orders (each committed).
			frappe.db.commit()  # nosemgrep
	return dict(counts)
