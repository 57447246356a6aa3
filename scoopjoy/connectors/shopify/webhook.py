"""The Shopify webhook inbox: verify, dedupe, store, queue, answer (in well under a second).

https://shopify.dev/docs/apps/build/webhooks/subscribe/https
- ``X-Shopify-Shop-Domain`` names the store; the delivery is verified with *that* store's secret.
  An unknown domain is refused like a bad signature.
- ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the *raw* body with the app's client
  secret; checked in constant time against the store's secret and, during a rotation, its previous
  one. Missing or wrong: 401 and nothing else (no Error Log row, no job, no stored delivery), so
  forged traffic cannot flood anything.
- ``X-Shopify-Webhook-Id`` is the same on every retry of one delivery
  (https://shopify.dev/docs/apps/build/webhooks/ignore-duplicates): it is the name of the stored
  Shopify Webhook Delivery, so a duplicate is answered 200 and dropped.
- The work is done by the inbox's drain jobs (drain.py), which fetch each announced order's
  current state: late and out-of-order deliveries cannot apply an old state, a burst of events
  for one order is one import, and a burst of orders is imported by warm jobs, not one cold job
  per order. A product's delivery is one job per product.
"""

from __future__ import annotations

import json

import frappe
from frappe.utils import now_datetime

from scoopjoy.connectors.shopify import constants
from scoopjoy.connectors.shopify.drain import queue_drain
from scoopjoy.connectors.shopify.items import SYNC_PRODUCT_JOB, product_job_key
from scoopjoy.connectors.shopify.mapping import gid, legacy_id, order_job_key, order_reference_from_webhook
from scoopjoy.connectors.shopify.orders import DELIVERY, OrderResult, close_deliveries
from scoopjoy.connectors.shopify.stores import store_of_domain
from scoopjoy.kernel.masking import mask_payload
from scoopjoy.kernel.signatures import verify_shopify_hmac
from scoopjoy.reliability.jobs import enqueue_integration_job

ENDPOINT = "scoopjoy.connectors.shopify.webhook.receive"
STORED_PAYLOAD_CHARS = 20000


@frappe.whitelist(allow_guest=True, methods=["POST"])
def receive():
	store = store_of_domain(frappe.get_request_header(constants.WEBHOOK_SHOP_HEADER))
	if not store:
		frappe.local.response["http_status_code"] = 401  # no store of ours: the same answer as a forgery
		return {"error": "invalid signature"}
	settings = frappe.get_cached_doc(constants.STORE_DOCTYPE, store)
	raw_body = frappe.request.get_data(cache=True) or b""
	secrets = [
		settings.get_password("client_secret", raise_exception=False),
		settings.get_password("previous_client_secret", raise_exception=False),
	]
	if not verify_shopify_hmac(raw_body, frappe.get_request_header("X-Shopify-Hmac-Sha256"), secrets):
		frappe.local.response["http_status_code"] = 401
		return {"error": "invalid signature"}
	topic = frappe.get_request_header(constants.WEBHOOK_TOPIC_HEADER) or ""
	webhook_id = frappe.get_request_header(constants.WEBHOOK_ID_HEADER) or ""
	if topic not in constants.WEBHOOK_TOPICS or not webhook_id:
		return {"status": "ignored"}  # 200: a topic we do not handle must not be retried by Shopify
	if not settings.enabled:
		frappe.local.response["http_status_code"] = 503  # Shopify retries later; nothing is lost
		return {"error": "Shopify sync is disabled"}
	try:
		payload = json.loads(raw_body)
	except ValueError:
		frappe.local.response["http_status_code"] = 400
		return {"error": "body is not JSON"}
	if topic in constants.PRODUCT_TOPICS:
		return _queue_product(store, topic, webhook_id, payload)
	order_id = legacy_id(order_reference_from_webhook(topic, payload))
	return _record_and_queue(
		topic,
		webhook_id,
		payload,
		{"order_id": order_id, "shopify_store": store},
		order_id and (lambda: queue_drain(order_id, settings)),
	)


def _record_and_queue(topic: str, webhook_id: str, payload: dict, subject: dict, queue) -> dict:
	"""Store the delivery once (its id is the name: a retry or a twin a few milliseconds earlier is a
	duplicate), then ``queue()`` the job that will do its work; nothing to do: stored as Skipped."""
	if frappe.db.exists(DELIVERY, webhook_id):
		return {"status": "duplicate"}
	delivery = frappe.get_doc(
		{
			"doctype": DELIVERY,
			"webhook_id": webhook_id,
			"topic": topic,
			**subject,
			"status": "Queued" if queue else "Skipped",
			"received_at": now_datetime(),
			"triggered_at": frappe.get_request_header(constants.WEBHOOK_TRIGGERED_AT_HEADER),
			"payload": json.dumps(mask_payload(payload), default=str)[:STORED_PAYLOAD_CHARS],
		}
	)
	try:
		delivery.insert(ignore_permissions=True)
	except frappe.DuplicateEntryError:
		return {"status": "duplicate"}  # the same delivery, a few milliseconds earlier
	if queue:
		queue()
	return {"status": "queued"}  # Frappe commits a POST request, which releases the queued job


def _queue_product(store: str, topic: str, webhook_id: str, payload: dict) -> dict:
	"""products/update: stored like an order's delivery; one job per product re-reads it and its
	Items follow it (items.sync_product, which finishes the delivery)."""
	product_gid = payload.get("admin_graphql_api_id") or (
		gid("Product", payload["id"]) if payload.get("id") else None
	)
	return _record_and_queue(
		topic,
		webhook_id,
		payload,
		{"product_id": legacy_id(product_gid), "shopify_store": store},
		product_gid and (lambda: _queue_product_job(store, product_gid)),
	)


def _queue_product_job(store: str, product_gid: str) -> bool:
	return enqueue_integration_job(
		SYNC_PRODUCT_JOB,
		connector=constants.SERVICE_NAME,
		job_key=product_job_key(store, product_gid),
		external_id=legacy_id(product_gid),
		product_gid=product_gid,
		store=store,
	)


def endpoint_url() -> str:
	return frappe.utils.get_url(f"/api/method/{ENDPOINT}")


#: a delivery younger than this may still have its job on the way: the sweep leaves it alone
SETTLING_SECONDS = 60
SWEEP_LIMIT = 500


def finish_deliveries() -> dict:
	"""Scheduler (every 5 minutes): every delivery ends Processed, Skipped or Failed.

	A job marks its order's deliveries when it applies the order, but a delivery can miss that: its
	job was lost (Redis flushed), or it failed and became a dead letter. For each delivery still
	Queued after a minute: an open dead letter for its order (or product) makes it Failed (linked;
	the retry that succeeds marks it Processed); an order whose applied state is as new as the
	delivery makes it Processed; otherwise its work is queued again (a drain, or the product's
	job), and it or a later sweep finishes it.
	"""
	from frappe.utils import add_to_date

	cutoff = add_to_date(now_datetime(), seconds=-SETTLING_SECONDS)
	waiting = frappe.get_all(
		DELIVERY,
		filters={"status": "Queued", "received_at": ["<", cutoff]},
		fields=["name", "shopify_store", "order_id", "product_id", "triggered_at", "payload"],
		order_by="received_at",
		limit=SWEEP_LIMIT,
	)
	counts = {"failed": 0, "processed": 0, "requeued": 0}
	requeued: set[str] = set()
	for delivery in waiting:
		if not (delivery.order_id or delivery.product_id) or not delivery.shopify_store:
			continue
		store = delivery.shopify_store
		settings = frappe.get_cached_doc(constants.STORE_DOCTYPE, store)
		job_key = (
			order_job_key(store, delivery.order_id)
			if delivery.order_id
			else product_job_key(store, delivery.product_id)
		)
		letter = _open_dead_letter(job_key)
		if letter:
			close_deliveries([delivery.name], None, dead_letter=letter.name, error=letter.last_error or "")
			counts["failed"] += 1
			continue
		applied = delivery.order_id and frappe.db.get_value(
			"Sales Order",
			{"custom_shopify_store": store, "custom_shopify_order_id": delivery.order_id},
			["name", "custom_shopify_updated_at"],
			as_dict=True,
		)
		if applied and (applied.custom_shopify_updated_at or "") >= _announced_stamp(delivery):
			close_deliveries(
				[delivery.name], OrderResult("updated", applied.name, "applied by a later import")
			)
			counts["processed"] += 1
		elif settings.enabled and job_key not in requeued:
			requeued.add(job_key)
			counts["requeued"] += (
				queue_drain(delivery.order_id, settings)
				if delivery.order_id
				else _queue_product_job(store, gid("Product", delivery.product_id))
			)
	return counts


def _open_dead_letter(job_key: str):
	from scoopjoy.operations.health import OPEN_DEAD_LETTER_STATUSES
	from scoopjoy.reliability.jobs import job_id_for

	return frappe.db.get_value(
		"Integration Dead Letter",
		{
			"dedup_key": job_id_for(constants.SERVICE_NAME, job_key),
			"status": ["in", OPEN_DEAD_LETTER_STATUSES],
		},
		["name", "last_error"],
		as_dict=True,
	)


def _announced_stamp(delivery) -> str:
	"""The order state a delivery announced (its body's ``updated_at``, else when it was triggered),
	in the format of ``custom_shopify_updated_at``, so the two compare as text."""
	from scoopjoy.connectors.shopify.mapping import parse_time

	try:
		announced = (json.loads(delivery.payload or "{}") or {}).get("updated_at")
	except ValueError:
		announced = None
	moment = parse_time(announced or delivery.triggered_at)
	return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else "~"  # "~" sorts after any stamp
