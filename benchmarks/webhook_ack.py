"""Benchmark: how fast a Shopify webhook is acknowledged (p50 / p99).

Shopify waits 5 s for a 200 and retries otherwise, so the inbox must verify, store and queue in
well under that. With a bench reachable (``SCOOPJOY_BENCH_URL`` such as http://127.0.0.1:8000,
``SCOOPJOY_BENCH_SITE`` for the Host header, ``SCOOPJOY_SHOPIFY_SECRET`` = the client secret of a
Shopify Store, ``SCOOPJOY_SHOPIFY_DOMAIN`` = its shop domain, default scoopjoy-test.myshopify.com:
webhooks are routed to their store by that domain) it POSTs N signed deliveries with distinct webhook ids to
``/api/method/scoopjoy.connectors.shopify.webhook.receive`` and times the round trips.

Without a bench it measures only the kernel-side ack work on the same bodies (HMAC check of the
raw body, JSON parse, payload masking) and says so: that row is "kernel-only, no bench", a lower
bound that leaves out Frappe, the database insert and the enqueue.

Run: ``python benchmarks/webhook_ack.py [--deliveries 500]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from dataclasses import dataclass

import requests

from scoopjoy.kernel.masking import mask_payload
from scoopjoy.kernel.signatures import SHOPIFY_HMAC_HEADER, verify_shopify_hmac
from scoopjoy.tests.simulators.shopify import ShopifySimulator

ENDPOINT = "/api/method/scoopjoy.connectors.shopify.webhook.receive"


@dataclass
class AckResult:
	mode: str  # "bench" or "kernel-only, no bench"
	deliveries: int
	p50_ms: float
	p99_ms: float
	errors: int  # non-2xx answers (bench mode) or failed verifications (kernel-only)


def percentile(samples: list[float], fraction: float) -> float:
	ordered = sorted(samples)
	if not ordered:
		return float("nan")
	index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
	return ordered[index]


def signed_deliveries(n: int, secret: str) -> list[tuple[bytes, dict]]:
	"""N signed orders/create deliveries with distinct webhook ids (bodies built by the simulator)."""
	# not started: only its payload builder is used; the deliveries name the store's domain
	sim = ShopifySimulator(
		client_secret=secret,
		shop_domain=os.environ.get("SCOOPJOY_SHOPIFY_DOMAIN", "scoopjoy-test.myshopify.com"),
	)
	order_ids = sim.generate_orders(min(n, 50), mix=True)
	return [
		sim.webhook_request("orders/create", order_ids[i % len(order_ids)], webhook_id=str(uuid.uuid4()))
		for i in range(n)
	]


def kernel_only(deliveries: list[tuple[bytes, dict]], secret: str) -> AckResult:
	samples, errors = [], 0
	for raw, headers in deliveries:
		started = time.perf_counter()
		ok = verify_shopify_hmac(raw, headers[SHOPIFY_HMAC_HEADER], [secret])
		payload = json.loads(raw)
		json.dumps(mask_payload(payload), default=str)  # what the inbox stores
		samples.append((time.perf_counter() - started) * 1000)
		errors += 0 if ok else 1
	return AckResult(
		"kernel-only, no bench", len(deliveries), percentile(samples, 0.5), percentile(samples, 0.99), errors
	)


def against_bench(deliveries: list[tuple[bytes, dict]], url: str, site: str | None) -> AckResult:
	samples, errors = [], 0
	session = requests.Session()
	session.trust_env = False
	for raw, headers in deliveries:
		sent = dict(headers)
		if site:
			sent["Host"] = site
		started = time.perf_counter()
		try:
			response = session.post(url.rstrip("/") + ENDPOINT, data=raw, headers=sent, timeout=10)
			ok = 200 <= response.status_code < 300
		except requests.RequestException:
			ok = False
		samples.append((time.perf_counter() - started) * 1000)
		errors += 0 if ok else 1
	return AckResult("bench", len(deliveries), percentile(samples, 0.5), percentile(samples, 0.99), errors)


def run(deliveries: int = 500) -> AckResult:
	url = os.environ.get("SCOOPJOY_BENCH_URL")
	secret = os.environ.get("SCOOPJOY_SHOPIFY_SECRET")
	if url and secret:
		bodies = signed_deliveries(deliveries, secret)
		return against_bench(bodies, url, os.environ.get("SCOOPJOY_BENCH_SITE"))
	secret = "shpss_benchmark_secret"
	return kernel_only(signed_deliveries(deliveries, secret), secret)


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--deliveries", type=int, default=500)
	args = parser.parse_args()
	result = run(args.deliveries)
	print(f"Shopify webhook ack ({result.mode}), {result.deliveries} signed orders/create deliveries")
	print("| mode | deliveries | p50 ms | p99 ms | errors |")
	print("|---|---:|---:|---:|---:|")
	print(
		f"| {result.mode} | {result.deliveries} | {result.p50_ms:.3f} | {result.p99_ms:.3f} | {result.errors} |"
	)


if __name__ == "__main__":
	main()
