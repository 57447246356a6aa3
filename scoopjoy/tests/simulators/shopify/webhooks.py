"""Webhooks of the Shopify simulator: subscriptions, payloads, signing and delivery.

- Webhooks: https://shopify.dev/docs/apps/build/webhooks/subscribe/https and
  https://shopify.dev/docs/apps/build/webhooks/ignore-duplicates. :meth:`WebhooksMixin.webhook_payload`
  builds the REST-shaped JSON (:mod:`.rest`);
  :meth:`WebhooksMixin.deliver_webhook` POSTs it with ``X-Shopify-Hmac-Sha256`` (base64
  HMAC-SHA256 of the raw body with the client secret), ``X-Shopify-Topic``,
  ``X-Shopify-Shop-Domain``, ``X-Shopify-Webhook-Id`` (reuse one to send a duplicate),
  ``X-Shopify-Event-Id``, ``X-Shopify-Triggered-At``, ``X-Shopify-API-Version``. Build payloads
  now and deliver later to send them out of order.
- Mutations ``webhookSubscriptionCreate/Update/Delete``; :meth:`WebhooksMixin.emit` delivers a topic
  to every subscription for it. Invalid input is ``userErrors`` in the payload, not an HTTP error.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import requests

from scoopjoy.kernel.signatures import sign_shopify
from scoopjoy.tests.simulators.shopify.common import gid, parse_gid

ORDER_TOPICS = (
	"orders/create",
	"orders/updated",
	"orders/paid",
	"orders/fulfilled",
	"orders/partially_fulfilled",
	"orders/cancelled",
	"orders/edited",
	"orders/delete",
)
#: product topics whose body is the REST Product (https://shopify.dev/docs/api/admin-rest/latest/resources/product)
PRODUCT_TOPICS = ("products/create", "products/update")


class WebhooksMixin:
	"""Of :class:`~.server.ShopifySimulator`: webhook subscriptions and deliveries."""

	# --- webhook subscriptions (GraphQL) --------------------------------------------------------------

	def _check_uri(self, uri: Any) -> str | None:
		if not isinstance(uri, str) or not uri:
			return "Address can't be blank"
		if uri.startswith(("https://", "pubsub://", "arn:aws:events:")):
			return None
		if uri.startswith("http://") and self.allow_insecure_webhooks:
			return None
		scheme = uri.split(":", 1)[0] if ":" in uri else uri
		return f"Address protocol {scheme}:// is not supported"

	def webhook_subscription_create(self, topic: str, spec: Mapping[str, Any]) -> dict:
		with self.lock:
			problem = self._check_uri(spec.get("uri"))
			if problem is None and any(
				s["topic"] == topic and s["uri"] == spec["uri"] for s in self.webhook_subscriptions.values()
			):
				problem = "Address for this topic has already been taken"
			if problem:
				return {
					"webhookSubscription": None,
					"userErrors": [{"field": ["webhookSubscription", "uri"], "message": problem}],
				}
			n = self._next_id("WebhookSubscription")
			stamp = self._now_iso()
			subscription = {
				"__typename": "WebhookSubscription",
				"id": gid("WebhookSubscription", n),
				"legacyResourceId": str(n),
				"topic": topic,
				"uri": spec["uri"],
				"format": spec.get("format") or "JSON",
				"includeFields": list(spec.get("includeFields") or []),
				"filter": spec.get("filter"),
				"createdAt": stamp,
				"updatedAt": stamp,
				"_n": n,
			}
			self.webhook_subscriptions[n] = subscription
			return {"webhookSubscription": subscription, "userErrors": []}

	def webhook_subscription_update(self, ident: str, spec: Mapping[str, Any]) -> dict:
		with self.lock:
			subscription = self.webhook_subscriptions.get(parse_gid(ident, "WebhookSubscription") or -1)
			if subscription is None:
				return {
					"webhookSubscription": None,
					"userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
				}
			if "uri" in spec:
				problem = self._check_uri(spec.get("uri"))
				if problem:
					return {
						"webhookSubscription": None,
						"userErrors": [{"field": ["webhookSubscription", "uri"], "message": problem}],
					}
				subscription["uri"] = spec["uri"]
			for key in ("format", "includeFields", "filter"):
				if key in spec and spec[key] is not None:
					subscription[key] = spec[key]
			subscription["updatedAt"] = self._now_iso()
			return {"webhookSubscription": subscription, "userErrors": []}

	def webhook_subscription_delete(self, ident: str) -> dict:
		with self.lock:
			n = parse_gid(ident, "WebhookSubscription")
			if self.webhook_subscriptions.pop(n or -1, None) is None:
				return {
					"deletedWebhookSubscriptionId": None,
					"userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
				}
			return {"deletedWebhookSubscriptionId": gid("WebhookSubscription", n), "userErrors": []}

	# --- deliveries -----------------------------------------------------------------------------------

	def webhook_payload(self, topic: str, order_id: Any, *, refund_id: Any = None) -> dict:
		"""The JSON Shopify sends for ``topic`` about this order, as of now (a deep copy: deliver it later).

		Topics: orders/create, orders/updated, orders/paid, orders/fulfilled, orders/partially_fulfilled,
		orders/cancelled, orders/edited, orders/delete (``{"id": n}``) and refunds/create (the order's
		refund ``refund_id``, default its latest); products/create and products/update take a product
		id in place of the order's and send the REST Product.
		"""
		with self.lock:
			if topic in PRODUCT_TOPICS:
				return copy.deepcopy(self._rest_product(self._find(self.products, "Product", order_id)))
			order = self._find(self.orders, "Order", order_id)
			if topic == "refunds/create":
				if not order["refunds"]:
					raise ValueError(f"order {order['name']} has no refund")
				if refund_id is None:
					refund = order["refunds"][-1]
				else:
					n = parse_gid(refund_id, "Refund")
					refund = next(r for r in order["refunds"] if r["_n"] == n)
				return copy.deepcopy(self._rest_refund(order, refund))
			if topic == "orders/delete":
				return {"id": order["_n"]}
			if topic not in ORDER_TOPICS:
				raise ValueError(f"unsupported webhook topic {topic!r}")
			return copy.deepcopy(self._rest_order(order))

	def webhook_request(
		self,
		topic: str,
		order_id: Any = None,
		*,
		body: Mapping[str, Any] | bytes | str | None = None,
		webhook_id: str | None = None,
		event_id: str | None = None,
		triggered_at: datetime | str | None = None,
		secret: str | None = None,
		api_version: str | None = None,
	) -> tuple[bytes, dict[str, str]]:
		"""(raw body, headers) of a delivery, signed like Shopify; nothing is sent."""
		if body is None:
			body = self.webhook_payload(topic, order_id)
		if isinstance(body, Mapping):
			raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
		elif isinstance(body, str):
			raw = body.encode("utf-8")
		else:
			raw = bytes(body)
		triggered = (
			triggered_at if isinstance(triggered_at, str) else (triggered_at or datetime.now(timezone.utc))
		)
		if isinstance(triggered, datetime):
			triggered = (
				triggered.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
			)
		headers = {
			"Content-Type": "application/json",
			"X-Shopify-Topic": topic,
			"X-Shopify-Hmac-Sha256": sign_shopify(raw, secret if secret is not None else self.client_secret),
			"X-Shopify-Shop-Domain": self.shop_domain,
			"X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
			"X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
			"X-Shopify-Triggered-At": triggered,
			"X-Shopify-API-Version": api_version or self.api_version,
			"User-Agent": "Shopify-Captain-Hook",
		}
		return raw, headers

	def deliver_webhook(
		self,
		url: str,
		topic: str,
		order_id: Any = None,
		*,
		webhook_id: str | None = None,
		secret: str | None = None,
		body: Mapping[str, Any] | bytes | str | None = None,
		timeout: float = 5,
		event_id: str | None = None,
		triggered_at: datetime | str | None = None,
		api_version: str | None = None,
		session: requests.Session | None = None,
	) -> tuple[int, str]:
		"""POST a signed webhook to ``url``; ``(status, response text)`` (status 0: no answer).

		``body``: a payload built earlier with :meth:`webhook_payload` (or raw bytes) for late or
		out-of-order deliveries; ``webhook_id``: reuse one to send a duplicate; ``secret``: sign with
		another secret (a forged delivery). Every delivery is recorded in ``sim.deliveries``.
		"""
		raw, headers = self.webhook_request(
			topic,
			order_id,
			body=body,
			webhook_id=webhook_id,
			event_id=event_id,
			triggered_at=triggered_at,
			secret=secret,
			api_version=api_version,
		)
		record = {"url": url, "topic": topic, "headers": headers, "body": raw, "status": 0, "response": ""}
		try:
			poster = session.post if session is not None else requests.post
			response = poster(url, data=raw, headers=headers, timeout=timeout)
			record["status"], record["response"] = response.status_code, response.text
		except requests.RequestException as exc:
			record["response"] = f"{type(exc).__name__}: {exc}"
		with self.lock:
			self.deliveries.append(record)
		return record["status"], record["response"]

	def emit(self, topic: str, order_id: Any, **kwargs: Any) -> list[tuple[int, str]]:
		"""Deliver ``topic`` to every subscription for it (``webhookSubscriptionCreate``), like Shopify."""
		enum = topic.replace("/", "_").upper()
		with self.lock:
			uris = [s["uri"] for s in self.webhook_subscriptions.values() if s["topic"] == enum]
		body = kwargs.pop("body", None) or self.webhook_payload(topic, order_id)
		return [self.deliver_webhook(uri, topic, order_id, body=body, **kwargs) for uri in uris]
