"""Draining the webhook inbox: the orders that deliveries announced, imported by a few long jobs.

Why not one job per order: an RQ worker forks a fresh process for every job, and the first order
in a fresh process costs about three times a warm one (imports, caches, connections). One job per
order spent ~1.2 s per order where the poll spends ~0.25 s (issue #16). A drain job pays the
start once, then imports order after order as the poll does.

What stays per order, as with one job per order:

- **dedup**: a delivery is stored once (its webhook id); thirty deliveries of one order are one
  fetch and one apply in a pass;
- **ordering**: an order is fetched when it is applied, and only the deliveries received before
  that fetch are closed; one that arrives later stays Queued for the next pass, so its state is
  never marked done unseen;
- **failure**: each order is applied in its own savepoint; a bad one is dead-lettered under its
  order's key (job ``sync_order``, replayed alone), its deliveries end Failed with that letter,
  and the drain goes on; replays and the Sync Console's Resync stay one order each.

Parallel: a delivery queues one of its store's *Parallel Webhook Imports* drain jobs (by order
id); each store has its own drains, so a burst in one store does not hold up another. Each takes any waiting order it can claim (a Redis claim per order, never waited for),
so two drains never apply one order at once and never wait for each other.

Reading: waiting orders are fetched ``ORDERS_PER_FETCH`` at a time with ``nodes(ids:)``, their
requested cost reserved from the shared bucket (graphql_client).

Decision: the webhook body is not applied without a fetch, even when it looks newer. It is the
REST shape (a second mapping to keep right), it lacks what the books need (each transaction's
gateway and status, refunds' tax shares, fulfilment details), and deliveries come late and twice;
the fetch costs ~15 ms of a ~250 ms import and, three orders per query, few points.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter

import frappe
from frappe import _
from frappe.utils import cint
from redis.exceptions import LockError

from scoopjoy.connectors.shopify import constants, queries, sync
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.mapping import gid, legacy_id
from scoopjoy.connectors.shopify.orders import DELIVERY, OrderResult, close_deliveries
from scoopjoy.reliability.errors import is_deadlock
from scoopjoy.reliability.isolation import read_committed
from scoopjoy.reliability.jobs import enqueue_integration_job
from scoopjoy.reliability.runtime import get_redis

DRAIN_JOB = "scoopjoy.connectors.shopify.drain.drain_webhook_orders"
#: a drain hands over to a fresh job after this long, well inside its job timeout
DRAIN_SECONDS = 240
DRAIN_TIMEOUT = DRAIN_SECONDS + 300
#: a claim outlives the import of a few orders; a killed drain's claims expire after it
CLAIM_SECONDS = 300
#: deliveries read per pass (a burst of one order's updates is many rows for one order)
SCAN_LIMIT = 500
#: times a drain imports an order again after a deadlock undid it, before leaving it to the sweep
MAX_DEADLOCKS = 3
#: with another store's deliveries waiting, a drain hands over after this long (its follow-up goes
#: to the back of the queue): one worker serves the stores in turn instead of one whole burst first
FAIR_TURN_SECONDS = 20


def drain_job_key(store: str, lane: int) -> str:
	return f"webhook-drain:{store}:{lane}"


def lane_of(order_id: str, settings) -> int:
	"""Which of the store's drain jobs a delivery of this order queues (spread by order id)."""
	lanes = max(1, cint(settings.webhook_import_jobs) or constants.DEFAULT_WEBHOOK_IMPORT_JOBS)
	return zlib.crc32(str(order_id).encode()) % lanes


def queue_drain(order_id: str, settings) -> bool:
	"""Make sure a drain of the store will import this order's waiting deliveries (one job per lane)."""
	return _queue_lane(settings.name, lane_of(order_id, settings))


def _queue_lane(store: str, lane: int) -> bool:
	return enqueue_integration_job(
		DRAIN_JOB,
		connector=constants.SERVICE_NAME,
		job_key=drain_job_key(store, lane),
		timeout=DRAIN_TIMEOUT,
		lane=lane,
		store=store,
	)


def drain_webhook_orders(lane: int = 0, store: str | None = None) -> dict:
	"""Job: import every waiting order of the store this drain can claim, a fetch of a few at a
	time, until none is left (or its time is up: then a fresh job carries on). Returns the counts."""
	connector = ShopifyConnector(store=store)
	settings = connector.settings
	counts: Counter = Counter()
	deadline = time.monotonic() + DRAIN_SECONDS
	turn_over = time.monotonic() + FAIR_TURN_SECONDS
	with read_committed():  # order by order, as the poll and backfills (reliability/isolation.py)
		_drain(connector, settings, lane, counts, deadline, turn_over)
	return {key: value for key, value in counts.items() if value}


def _drain(connector, settings, lane: int, counts: Counter, deadline: float, turn_over: float) -> None:
	deadlocked: Counter = Counter()  # per order: MariaDB undid its import this many times
	while True:
		now = time.monotonic()
		if now > deadline or (counts and now > turn_over and _other_stores_waiting(settings.name)):
			counts["handed over"] += _queue_lane(settings.name, lane)
			frappe.db.commit()  # nosemgrep: the follow-up job is queued after commit
			break
		skip = {order_id for order_id, times in deadlocked.items() if times >= MAX_DEADLOCKS}
		waiting = _claim_waiting_orders(settings.name, constants.ORDERS_PER_FETCH, skip)
		if not waiting:
			break
		current = None
		try:
			nodes = _fetch(connector, list(waiting))
			for order_id, (deliveries, _claim) in waiting.items():
				current = order_id
				_import(order_id, nodes.get(order_id), deliveries, settings, connector, counts)
				# Commit per order on purpose: its documents and its deliveries' status become
				# durable together, and its locks go before the next order (others may wait on them).
				frappe.db.commit()  # nosemgrep
		except Exception as error:
			frappe.db.rollback()
			if not is_deadlock(error) or current is None:
				raise
			# MariaDB undid this order (the ones before it are committed): its deliveries are still
			# Queued, so a later pass imports it again; one that keeps deadlocking is left to the sweep
			deadlocked[current] += 1
			counts["deadlocks"] += 1
		finally:  # the claims of the fetch go together; its orders' deliveries are closed by now
			for _deliveries, claim in waiting.values():
				_release(claim)


def _other_stores_waiting(store: str) -> bool:
	return bool(
		frappe.db.exists(
			DELIVERY, {"status": "Queued", "order_id": ["is", "set"], "shopify_store": ["!=", store]}
		)
	)


def _claim_waiting_orders(store: str, how_many: int, skip: set[str]) -> dict[str, tuple[list[str], object]]:
	"""Up to ``how_many`` orders of the store with Queued deliveries, oldest first, that no other
	drain holds (nor ``skip``): {order id: (its deliveries received so far, the claim)}."""
	rows = frappe.get_all(
		DELIVERY,
		filters={"status": "Queued", "order_id": ["is", "set"], "shopify_store": store},
		fields=["name", "order_id"],
		order_by="received_at asc",
		limit=SCAN_LIMIT,
	)
	by_order: dict[str, list[str]] = {}
	for row in rows:
		by_order.setdefault(row.order_id, []).append(row.name)
	claimed = {}
	for order_id, deliveries in by_order.items():
		if order_id in skip:
			continue
		claim = get_redis().lock(
			f"scoopjoy:shopify:{frappe.local.site}:draining:{store}:{order_id}", timeout=CLAIM_SECONDS
		)
		if not claim.acquire(blocking=False):
			continue  # another drain is importing it
		# This scan's snapshot may predate the commit of the drain that held the claim until just now:
		# a locking read sees what is committed, so an order it finished is not imported twice.
		still_waiting = _still_queued(deliveries)
		if not still_waiting:
			_release(claim)
			continue
		claimed[order_id] = (still_waiting, claim)
		if len(claimed) == how_many:
			break
	return claimed


def _still_queued(names: list[str]) -> list[str]:
	delivery = frappe.qb.DocType(DELIVERY)
	return (
		frappe.qb.from_(delivery)
		.select(delivery.name)
		.where(delivery.name.isin(names) & (delivery.status == "Queued"))
		.for_update()
		.run(pluck=True)
	)


def _fetch(connector: ShopifyConnector, order_ids: list[str]) -> dict[str, dict | None]:
	data = connector.query(
		queries.ORDERS_BY_IDS,
		{"ids": [gid("Order", i) for i in order_ids], "lineItems": constants.LINE_ITEMS_PER_ORDER},
		operation="OrdersByIds",
	)
	found = {legacy_id(node["id"]): node for node in data.get("nodes") or [] if node and node.get("id")}
	return {order_id: found.get(order_id) for order_id in order_ids}


def _import(order_id, node, deliveries, settings, connector, counts: Counter) -> None:
	if node is None:
		result = OrderResult("skipped", reason=_("Order {0} no longer exists in Shopify.").format(order_id))
		close_deliveries(deliveries, result)
		counts["skipped"] += 1
		return
	outcome = sync.apply_in_savepoint(node, settings, connector)
	if outcome.result:
		close_deliveries(deliveries, outcome.result)
		counts[outcome.result.action] += 1
	else:
		close_deliveries(deliveries, None, dead_letter=outcome.dead_letter, error=outcome.error)
		counts["failed"] += 1


def _release(claim) -> None:
	try:
		claim.release()
	except LockError:  # expired (a very long import): it is free already
		pass
