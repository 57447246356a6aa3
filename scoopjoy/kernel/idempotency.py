"""Idempotency keys: the same business operation always sends the same key.

A random key per HTTP call (as ``stripe-python`` does) protects the retries *inside* one call.
Our work is also retried *across* calls (a job re-run, a dead letter replayed next day), so the
key is derived from what the operation is: connector, operation and the record's identity and
version. Replaying the same version of the same record sends the same key, and the provider
answers with the first result instead of acting twice.

Stripe's model: https://docs.stripe.com/api/idempotent_requests
"""

from __future__ import annotations

import hashlib
import uuid

#: the header most providers use (Stripe, Adyen, PayPal-Request-Id differs: set per connector)
IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_key(namespace: str, *parts: object) -> str:
	"""A stable key for one operation on one version of one record.

	>>> idempotency_key("shopify", "productCreate", "ICE-VAN-500", "2026-11-23 10:00:00") == idempotency_key(
	...     "shopify", "productCreate", "ICE-VAN-500", "2026-11-23 10:00:00"
	... )
	True
	"""
	if not namespace:
		raise ValueError("an idempotency key needs a namespace (the connector's name)")
	if not parts:
		raise ValueError("an idempotency key needs the record's identity, not just a namespace")
	material = "\x1f".join([namespace, *(str(p) for p in parts)])
	return f"sj-{hashlib.sha256(material.encode()).hexdigest()[:40]}"


def random_idempotency_key() -> str:
	"""For a one-off call with no business identity: unique, and reused by that call's retries."""
	return f"sj-{uuid.uuid4().hex}"


def new_correlation_id() -> str:
	"""Joins the log lines, Error Log and dead letter of one piece of work."""
	return uuid.uuid4().hex[:16]
