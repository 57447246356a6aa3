"""Benchmark: calls per second through the kernel transport vs raw ``requests``, side by side.

Both clients call the same local simulator (GenericJsonApi on 127.0.0.1) in one run, alternating
rounds so that machine noise hits both alike. The kernel does more per call (masking, call record,
classification, retry bookkeeping, optionally Redis breaker + rate budget); this prints what that
costs. It is a measurement, not a test: nothing here passes or fails.

Run: ``make benchmark`` (or ``python benchmarks/kernel_vs_requests.py --calls 2000``).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import redis
import requests

from scoopjoy.kernel.circuit_breaker import CircuitBreaker
from scoopjoy.kernel.rate_limit import RateLimiter
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.tests.simulators import GenericJsonApi

TOKEN = "bench-token"


def raw_round(session: requests.Session, url: str, calls: int) -> float:
	started = time.perf_counter()
	for _ in range(calls):
		response = session.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
		response.raise_for_status()
		response.json()
	return calls / (time.perf_counter() - started)


def kernel_round(transport: HttpTransport, calls: int) -> float:
	started = time.perf_counter()
	for _ in range(calls):
		transport.get("/v1/items/1")
	return calls / (time.perf_counter() - started)


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--calls", type=int, default=1000, help="calls per round")
	parser.add_argument("--rounds", type=int, default=5)
	parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
	args = parser.parse_args()

	records = []
	client = redis.Redis.from_url(args.redis)
	prefix = f"scoopjoy-bench:{uuid.uuid4().hex[:8]}:"
	with GenericJsonApi(token=TOKEN, items=3) as api:
		session = requests.Session()
		plain = HttpTransport(
			service="bench",
			base_url=api.url,
			timeout=10,
			auth_headers=lambda: {"Authorization": f"Bearer {TOKEN}"},
			on_call=records.append,
		)
		guarded = HttpTransport(
			service="bench",
			base_url=api.url,
			timeout=10,
			auth_headers=lambda: {"Authorization": f"Bearer {TOKEN}"},
			on_call=records.append,
			breaker=CircuitBreaker(client, "bench", key_prefix=prefix),
			rate_limiter=RateLimiter(client, "bench", capacity=1e9, refill_per_second=1e9, key_prefix=prefix),
		)
		url = api.url_for("/v1/items/1")
		raw_round(session, url, 50)  # warm up connections
		kernel_round(plain, 50)
		kernel_round(guarded, 50)
		raw, kern, full = [], [], []
		for _ in range(args.rounds):
			raw.append(raw_round(session, url, args.calls))
			kern.append(kernel_round(plain, args.calls))
			full.append(kernel_round(guarded, args.calls))
			api.reset()
			records.clear()
	for key in client.scan_iter(match=f"{prefix}*"):
		client.delete(key)

	r, k, f = statistics.median(raw), statistics.median(kern), statistics.median(full)
	print(f"loopback GET, {args.rounds} rounds x {args.calls} calls, median calls/s")
	print(f"{'client':44} {'calls/s':>9} {'ratio to raw':>13}")
	print(f"{'raw requests.Session':44} {r:9.0f} {1:13.2f}")
	print(f"{'kernel transport (masking, record, retry)':44} {k:9.0f} {k / r:13.2f}")
	print(f"{'kernel + Redis breaker + rate budget':44} {f:9.0f} {f / r:13.2f}")


if __name__ == "__main__":
	main()
