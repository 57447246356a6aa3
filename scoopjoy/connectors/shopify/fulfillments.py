"""Shipped in ERPNext, fulfilled in Shopify: a submitted Delivery Note of a Shopify order creates its
fulfilment, the Shipment's tracking follows, a cancelled note cancels it (issue #23).

Every call to Shopify is a job queued after the note's commit, one per note and kind (fulfil,
tracking, cancel). A note made *from* a Shopify fulfilment (``From Shopify``, by the order import)
is never pushed back. ``fulfillmentCreate`` has no idempotency key, so the note is marked
``Sending`` (committed) before the call: a job retried after a lost answer looks for the
fulfilment that call made (:func:`.fulfillment_plan.adoptable`) before it creates one. What
Shopify would refuse (on hold, closed, fewer units left, a warehouse without a location) is a dead
letter in words, checked against the fulfillment orders read just before; what it refuses anyway
(``userErrors``) is one too. Off by default (Shopify Store > *Fulfil Shopify Orders from
Delivery Notes*); needs the ``write_merchant_managed_fulfillment_orders`` scope.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import frappe
from frappe import _
from redis.exceptions import LockError

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.booking import nodes
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.delivery_notes import FROM_SHOPIFY
from scoopjoy.connectors.shopify.fulfillment_plan import CannotFulfil, Wanted, adoptable, plan_fulfillment
from scoopjoy.connectors.shopify.graphql_client import raise_user_errors
from scoopjoy.connectors.shopify.mapping import gid, legacy_id
from scoopjoy.connectors.shopify.stores import store_name
from scoopjoy.kernel.errors import RecordError, TransientError
from scoopjoy.reliability.jobs import enqueue_integration_job
from scoopjoy.reliability.runtime import get_redis

NOTE = "Delivery Note"
JOBS = "scoopjoy.connectors.shopify.fulfillments"
STATUS = "custom_shopify_fulfillment_status"
FULFILLMENT_ID = "custom_shopify_fulfillment_id"
SENT_AT = "custom_shopify_fulfillment_sent_at"
TRACKING_SENT = "custom_shopify_tracking_sent"
#: a lost answer's fulfilment is looked for from this long before the call (clock skew)
SKEW = timedelta(minutes=5)
#: how long a note's lock lives if its worker dies (longer than a call's timeouts and retries)
LOCK_SECONDS = 300
#: who hears that a note's fulfilment was made or got its tracking (hooks.py): the WhatsApp
#: "shipped" message, without this connector importing that one
FULFILLED_HOOK = "scoopjoy_shopify_fulfilled"


# --- document events ------------------------------------------------------------------------------


def on_delivery_note_submit(doc, method=None) -> None:
	if doc.get(STATUS) == FROM_SHOPIFY or doc.get("is_return") or not order_of(doc):
		return
	store = store_of(doc)
	if not store and len(frappe.get_all(constants.STORE_DOCTYPE, limit=2)) != 1:
		return  # an order of no store on a site of several: nothing to fulfil, the note is kept
	settings = frappe.get_cached_doc(constants.STORE_DOCTYPE, store_name(store))
	if not (settings.enabled and settings.push_fulfillments):
		return
	doc.db_set(STATUS, "Queued", update_modified=False)
	_queue("push_fulfillment", "fulfil", doc.name)


def on_delivery_note_before_insert(doc, method=None) -> None:
	"""An amended note is a new shipment: Frappe's Amend copies even no-copy fields, and the
	fulfilment of the note it amends is not this one's."""
	if doc.get("amended_from"):
		for field in (FULFILLMENT_ID, SENT_AT, TRACKING_SENT):
			doc.set(field, None)
		if doc.get(STATUS) != FROM_SHOPIFY:
			doc.set(STATUS, None)


def on_delivery_note_update_after_submit(doc, method=None) -> None:
	"""What the jobs wrote stays: a form opened before a job finished must not write it back."""
	doc.update(_job_fields(doc.name))


def on_delivery_note_cancel(doc, method=None) -> None:
	stored = _job_fields(doc.name)  # not the form's: a job may have written since it was opened
	if stored.get(STATUS) == "Queued":  # cancelled before its job ran: the job sends nothing
		doc.db_set(STATUS, "Cancelled", update_modified=False)
	elif stored.get(STATUS) in ("Fulfilled", "Sending", "Failed") or stored.get(FULFILLMENT_ID):
		_queue("cancel_fulfillment", "unfulfil", doc.name)


def _job_fields(delivery_note: str) -> dict:
	return (
		frappe.db.get_value(
			NOTE, delivery_note, [STATUS, FULFILLMENT_ID, SENT_AT, TRACKING_SENT], as_dict=True
		)
		or {}
	)


def on_tracking_booked(delivery_notes: list[str]) -> None:
	"""The shipping connector booked a parcel or refreshed its tracking: the notes' fulfilments get
	what changed (a note still on its way to Shopify takes it with it)."""
	for name in delivery_notes:
		dn = frappe.db.get_value(
			NOTE,
			name,
			[STATUS, TRACKING_SENT, "custom_tracking_number", "custom_tracking_url", "custom_shipment"],
			as_dict=True,
		)
		if dn and dn.get(STATUS) == "Fulfilled" and _fingerprint(_tracking(dn)) != dn.get(TRACKING_SENT):
			_queue("push_tracking", "tracking", name)


def _queue(job: str, kind: str, delivery_note: str) -> bool:
	return enqueue_integration_job(
		f"{JOBS}.{job}",
		connector=constants.SERVICE_NAME,
		job_key=f"{kind}:{delivery_note}",
		reference_doctype=NOTE,
		reference_name=delivery_note,
		delivery_note=delivery_note,
	)


def order_of(doc) -> str | None:
	"""The Shopify order id of the Sales Order a note delivers (the first, when it delivers several:
	:func:`_wanted` refuses those)."""
	first = next(iter(sorted(_orders_of(doc))), None)
	return first[1] if first else None


def store_of(doc) -> str | None:
	"""The Shopify Store of that order (the one its Sales Order was imported from)."""
	first = next(iter(sorted(_orders_of(doc))), None)
	return first[0] if first else None


def _orders_of(doc) -> set[tuple[str, str]]:
	"""(store, Shopify order id) of each Shopify Sales Order the note delivers."""
	sales_orders = {
		row.against_sales_order for row in doc.get("items") or [] if row.get("against_sales_order")
	}
	found = set()
	for sales_order in sales_orders:
		store, order_id = frappe.db.get_value(
			"Sales Order", sales_order, ["custom_shopify_store", "custom_shopify_order_id"]
		) or (None, None)
		if order_id:
			found.add((store or "", order_id))
	return found


# --- jobs -----------------------------------------------------------------------------------------


def push_fulfillment(delivery_note: str) -> str:
	"""Create the fulfilment of a submitted note (once). Returns what happened."""
	with _one_worker(delivery_note):
		return _push_fulfillment(delivery_note)


def _push_fulfillment(delivery_note: str) -> str:
	dn = _note(delivery_note)
	if dn.docstatus != 1:
		return "not submitted"
	if dn.get(FULFILLMENT_ID):
		return "unchanged"
	connector = ShopifyConnector(store=store_of(dn))
	settings = connector.settings
	order_id = order_of(dn)
	location_id, warehouse, wanted = _wanted(dn, settings)
	if not wanted:
		dn.db_set(STATUS, None, update_modified=False)
		return "nothing to fulfil"
	if dn.get(STATUS) == "Sending":  # the answer to an earlier call was lost: did it fulfil?
		made = _made_by_lost_call(connector, dn, order_id, wanted, location_id)
		if made:
			_fulfilled(dn, made, _tracking(dn))
			return "adopted"
	order = (
		connector.query(
			queries.FULFILLMENT_ORDERS,
			{"id": gid("Order", order_id)},
			operation="FulfillmentOrders",
			reference=(NOTE, dn.name),
		).get("order")
		or {}
	)
	if not order:
		raise RecordError(f"Delivery Note {dn.name}: Shopify has no order {order_id}.", service="Shopify")
	fulfillment_orders = order.get("fulfillmentOrders") or {}
	if (fulfillment_orders.get("pageInfo") or {}).get("hasNextPage") or any(
		((fo.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage")
		for fo in nodes(fulfillment_orders)
	):
		_failed(dn)
		raise RecordError(
			f"Shopify order {order.get('name')} has more fulfillment orders or lines than are read "
			f"({queries.FIRST_FULFILLMENT_ORDERS} and {queries.FULFILLMENT_ORDER_LINES}): fulfil Delivery "
			f"Note {dn.name} in Shopify by hand.",
			service="Shopify",
		)
	try:
		plan = plan_fulfillment(nodes(fulfillment_orders), wanted, location_id, warehouse)
	except CannotFulfil as error:
		_failed(dn)
		raise RecordError(
			f"Delivery Note {dn.name} was not fulfilled in Shopify order {order.get('name')}: {error}. "
			"Nothing was sent; fix it, then retry the dead letter.",
			service="Shopify",
		) from error
	if not plan:  # only lines that need no shipping (gift cards, digital goods)
		dn.db_set(STATUS, None, update_modified=False)
		return "nothing to fulfil"
	tracking = _tracking(dn)
	dn.db_set({STATUS: "Sending", SENT_AT: _utc_now()}, update_modified=False)
	# Commit on purpose: Shopify has no idempotency key, so "Sending" must survive a lost answer
	# for the retry to look for the fulfilment it made instead of making a second one.
	frappe.db.commit()  # nosemgrep
	variables = {
		"fulfillment": {
			"lineItemsByFulfillmentOrder": plan,
			"notifyCustomer": bool(settings.notify_customer_of_fulfillment),
			"trackingInfo": tracking,
		},
		"message": _("Shipped with ERPNext Delivery Note {0}").format(dn.name),
	}
	payload = connector.query(
		queries.FULFILLMENT_CREATE,
		variables,
		operation="FulfillmentCreate",
		idempotent=False,
		reference=(NOTE, dn.name),
	).get("fulfillmentCreate")
	if (payload or {}).get("userErrors") or not (payload or {}).get("fulfillment"):
		_failed(dn)  # nothing was made: a retry plans again
		raise_user_errors(payload, f"the fulfilment of Delivery Note {dn.name}")
		raise RecordError(f"Shopify made no fulfilment for Delivery Note {dn.name}.", service="Shopify")
	_fulfilled(dn, legacy_id(payload["fulfillment"]["id"]), tracking)
	return "fulfilled"


def push_tracking(delivery_note: str) -> str:
	"""Put the note's tracking (its Shipment's carrier, number and URL) on its fulfilment."""
	with _one_worker(delivery_note):
		return _push_tracking(delivery_note)


def _push_tracking(delivery_note: str) -> str:
	dn = _note(delivery_note)
	tracking = _tracking(dn)
	if dn.get(STATUS) != "Fulfilled" or not dn.get(FULFILLMENT_ID) or not tracking:
		return "not fulfilled"
	if _fingerprint(tracking) == dn.get(TRACKING_SENT):
		return "unchanged"
	connector = ShopifyConnector(store=store_of(dn))
	payload = connector.query(
		queries.FULFILLMENT_TRACKING_UPDATE,
		{
			"fulfillmentId": gid("Fulfillment", dn.get(FULFILLMENT_ID)),
			"trackingInfoInput": tracking,
			"notifyCustomer": bool(connector.settings.notify_customer_of_fulfillment),
		},
		operation="FulfillmentTrackingInfoUpdate",
		reference=(NOTE, dn.name),
	).get("fulfillmentTrackingInfoUpdate")
	raise_user_errors(payload, f"the tracking of Delivery Note {dn.name}")
	dn.db_set(TRACKING_SENT, _fingerprint(tracking), update_modified=False)
	_tell(dn.name)
	return "updated"


def cancel_fulfillment(delivery_note: str) -> str:
	"""Cancel the fulfilment of a cancelled note, or say in a dead letter why Shopify refused."""
	with _one_worker(delivery_note):
		return _cancel_fulfillment(delivery_note)


def _cancel_fulfillment(delivery_note: str) -> str:
	dn = _note(delivery_note)
	connector = ShopifyConnector(store=store_of(dn))
	fulfillment_id = dn.get(FULFILLMENT_ID)
	if not fulfillment_id and dn.get(STATUS) == "Sending":
		location_id, _warehouse, wanted = _wanted(dn, connector.settings)
		fulfillment_id = _made_by_lost_call(connector, dn, order_of(dn), wanted, location_id)
	if not fulfillment_id:
		dn.db_set(STATUS, "Cancelled", update_modified=False)
		return "nothing to cancel"
	payload = connector.query(
		queries.FULFILLMENT_CANCEL,
		{"id": gid("Fulfillment", fulfillment_id)},
		operation="FulfillmentCancel",
		reference=(NOTE, dn.name),
	).get("fulfillmentCancel")
	errors = (payload or {}).get("userErrors") or []
	if errors and _status_in_shopify(connector, dn, fulfillment_id) != "CANCELLED":
		reasons = "; ".join(e.get("message") or "" for e in errors)
		raise RecordError(
			f"Delivery Note {dn.name} was cancelled, but Shopify refused to cancel its fulfilment "
			f"{fulfillment_id}: {reasons}. Cancel the fulfilment in Shopify, then resolve this dead letter.",
			service="Shopify",
		)
	dn.db_set({STATUS: "Cancelled", FULFILLMENT_ID: fulfillment_id}, update_modified=False)
	return "cancelled"


# --- helpers --------------------------------------------------------------------------------------


def _note(delivery_note: str):
	"""The note as it is now. Commit on purpose, once the note's lock is held: a new transaction's
	snapshot (MariaDB's REPEATABLE READ) sees what the worker before this one committed; the job has
	written nothing yet. No row lock is held while Shopify is called (a user saving the note would
	wait for it)."""
	frappe.db.commit()  # nosemgrep
	return frappe.get_doc(NOTE, delivery_note)


@contextmanager
def _one_worker(delivery_note: str):
	"""One job per note at a time (fulfil, tracking, cancel), held across the commit of "Sending":
	a second worker would otherwise find "Sending" while the first still waits for Shopify's answer,
	look for a fulfilment that does not exist yet, and make a second one."""
	key = f"scoopjoy:shopify:{frappe.local.site}:fulfilment:{delivery_note}"
	lock = get_redis().lock(key, timeout=LOCK_SECONDS, blocking_timeout=30)
	if not lock.acquire():
		raise TransientError(
			f"Shopify: Delivery Note {delivery_note} is being sent by another worker; retried later.",
			service="Shopify",
			retry_after=30,
		)
	try:
		yield
	finally:
		try:
			lock.release()
		except LockError:  # it expired (a call slower than the lock): nothing left to release
			pass


def _wanted(dn, settings) -> tuple[str | None, str, list[Wanted]]:
	"""(location, warehouse, units of each Shopify line) the note ships. One warehouse and one
	Shopify order per note."""
	orders = _orders_of(dn)
	if len(orders) > 1:
		raise RecordError(
			f"Delivery Note {dn.name} delivers {len(orders)} Shopify orders: Shopify fulfils one order at a "
			"time. Make one Delivery Note per order.",
			service="Shopify",
		)
	rows = {
		r.name: r
		for r in frappe.get_all(
			"Sales Order Item",
			filters={"name": ["in", [i.so_detail for i in dn.items if i.so_detail] or [""]]},
			fields=["name", "custom_shopify_line_item_id"],
		)
	}
	units: dict[str, Wanted] = {}
	warehouses = set()
	for item in dn.items:
		line_id = (rows.get(item.so_detail) or {}).get("custom_shopify_line_item_id")
		if not line_id:
			continue  # a row that is no Shopify line (added in ERPNext)
		if item.qty != int(item.qty):
			raise RecordError(
				f"Delivery Note {dn.name} ships {item.qty} of {item.item_code}: Shopify fulfils whole units.",
				service="Shopify",
			)
		warehouses.add(item.warehouse)
		before = units.get(line_id)
		units[line_id] = Wanted(
			line_id, int(item.qty) + (before.quantity if before else 0), item.item_name or item.item_code
		)
	if len(warehouses) > 1:
		raise RecordError(
			f"Delivery Note {dn.name} ships from {len(warehouses)} warehouses ({', '.join(sorted(warehouses))}): "
			"Shopify fulfils from one location at a time. Make one Delivery Note per warehouse.",
			service="Shopify",
		)
	warehouse = next(iter(warehouses), dn.get("set_warehouse") or "")
	location = next(
		(legacy_id(row.location_id) for row in settings.get("locations") or [] if row.warehouse == warehouse),
		None,
	)
	return location, warehouse, list(units.values())


def _made_by_lost_call(connector, dn, order_id: str, wanted: list[Wanted], location_id) -> str | None:
	fulfillments = _shopify_fulfillments(connector, dn, order_id)
	if len(fulfillments) >= queries.FIRST_FULFILLMENTS:
		raise RecordError(
			f"Delivery Note {dn.name}: its Shopify order has more fulfilments than are read "
			f"({queries.FIRST_FULFILLMENTS}), so the one an interrupted call made cannot be told apart: "
			"check the order in Shopify, then fulfil or resolve by hand.",
			service="Shopify",
		)
	# the fulfilments other notes of this order hold (another store's may have the same number)
	others = frappe.get_all(
		"Delivery Note Item",
		filters={
			"against_sales_order": ["in", [i.against_sales_order for i in dn.items if i.against_sales_order]],
			"parent": ["!=", dn.name],
		},
		pluck="parent",
	)
	claimed = frappe.get_all(
		NOTE, filters={FULFILLMENT_ID: ["is", "set"], "name": ["in", others or [""]]}, pluck=FULFILLMENT_ID
	)
	sent = datetime.fromisoformat(dn.get(SENT_AT)) - SKEW if dn.get(SENT_AT) else None
	since = sent.strftime("%Y-%m-%dT%H:%M:%SZ") if sent else ""
	return adoptable(fulfillments, wanted, location_id, since, claimed)


def _tracking(dn) -> dict | None:
	number = dn.get("custom_tracking_number")
	if not number:
		return None
	carrier = None
	if dn.get("custom_shipment"):
		carrier = frappe.db.get_value("Shipment", dn.custom_shipment, "carrier") or frappe.db.get_value(
			"Shipment", dn.custom_shipment, "service_provider"
		)
	return {"company": carrier or None, "number": number, "url": dn.get("custom_tracking_url") or None}


def _fingerprint(tracking: dict | None) -> str | None:
	"""What was sent: the number, and a digest of the URL (which is longer than the field)."""
	if not tracking:
		return None
	url = hashlib.sha1((tracking.get("url") or "").encode()).hexdigest()[:12] if tracking.get("url") else ""
	return f"{tracking['number']} {url}".strip()


def _fulfilled(dn, fulfillment_id: str, tracking: dict | None) -> None:
	dn.db_set(
		{
			FULFILLMENT_ID: fulfillment_id,
			STATUS: "Fulfilled",
			TRACKING_SENT: _fingerprint(tracking),
		},
		update_modified=False,
	)
	if tracking:
		_tell(dn.name)
	now = frappe.db.get_value(
		NOTE, dn.name, ["custom_tracking_number", "custom_tracking_url", "custom_shipment"], as_dict=True
	)
	if _fingerprint(_tracking(now)) != _fingerprint(tracking):  # a parcel booked while it was sent
		_queue("push_tracking", "tracking", dn.name)


def _failed(dn) -> None:
	"""Commit on purpose: the job runner rolls back what a failing job did, and "Failed" is what the
	note must show (and what tells a retry that nothing was made)."""
	dn.db_set(STATUS, "Failed", update_modified=False)
	frappe.db.commit()  # nosemgrep


def _shopify_fulfillments(connector, dn, order_id: str) -> list[dict]:
	"""The order's fulfilments as Shopify has them now (the first FIRST_FULFILLMENTS)."""
	order = (
		connector.query(
			queries.ORDER_FULFILLMENTS,
			{"id": gid("Order", order_id)},
			operation="OrderFulfillments",
			reference=(NOTE, dn.name),
		).get("order")
		or {}
	)
	return order.get("fulfillments") or []


def _status_in_shopify(connector, dn, fulfillment_id: str) -> str | None:
	"""A fulfilment's status as Shopify has it now (an answer lost on the way: already cancelled)."""
	for fulfillment in _shopify_fulfillments(connector, dn, order_of(dn)):
		if legacy_id(fulfillment.get("id")) == str(fulfillment_id):
			return fulfillment.get("status")
	return None


def _tell(delivery_note: str) -> None:
	for method in frappe.get_hooks(FULFILLED_HOOK):
		frappe.get_attr(method)(delivery_note)


def _utc_now() -> str:
	return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
