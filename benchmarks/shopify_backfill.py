"""Benchmark: a Shopify order backfill against Standard-plan GraphQL limits, measured against the bound.

The simulator runs in its own process (its memory and CPU are not ours) with N generated orders
and the Standard plan's bucket shape (2,000 points, 100 points/s). The backfill is the connector's
own code path: the GraphQL client on the kernel transport, the shared Redis cost bucket, cursor
pages of ``ORDERS_PAGE``, ``order_plan`` for every order and a checkpoint write after every page.
It prints, for each size:

- elapsed ÷ rate-limit bound, where the bound is the least time Shopify's bucket allows for the
  points the backfill actually spent: (total actual cost - (bucket - first requested cost)) ÷
  restore rate (goal ≤ 1.10);
- THROTTLED answers Shopify gave and errors that reached the caller (goal 0);
- peak Python memory of the backfill (tracemalloc) at two sizes (goal: flat, the pages stream).

``--speedup`` multiplies the restore rate (20 by default, so 5,000 orders take about a minute and a half
instead of twenty); the ratio is measured at that speed, which only makes our own per-page
overhead weigh more. ``--speedup 1`` reproduces the real Standard plan.

Run: ``make benchmark`` (or ``python benchmarks/shopify_backfill.py --sizes 1000 5000``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
import tracemalloc
import uuid

import redis

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.graphql_client import ShopifyGraphQL, graphql_response_rule
from scoopjoy.connectors.shopify.mapping import order_plan
from scoopjoy.kernel.errors import Classifier, ConnectorError
from scoopjoy.kernel.rate_limit import RateLimiter
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.transport import HttpTransport

TOKEN = "shpat_benchmark_token"


def serve(orders: int, restore_rate: float, conn) -> None:
	"""Child process: the simulator with ``orders`` orders; reports its URL, then its counters."""
	from scoopjoy.tests.simulators.shopify import ShopifySimulator

	sim = ShopifySimulator(
		access_token=TOKEN, bucket_size=constants.STANDARD_BUCKET, restore_rate=restore_rate
	).start()
	sim.generate_orders(orders, spacing=30)
	sim.set_available(constants.STANDARD_BUCKET)
	conn.send(sim.url)
	conn.recv()  # the backfill is done
	conn.send({"throttled": sim.throttled_count, "orders": len(sim.orders)})
	sim.stop()


def backfill(url: str, restore_rate: float, redis_url: str) -> dict:
	limiter = RateLimiter(
		redis.Redis.from_url(redis_url),
		f"bench-{uuid.uuid4().hex[:8]}",
		capacity=constants.STANDARD_BUCKET,
		refill_per_second=restore_rate,
		max_wait=120,
		key_prefix="scoopjoy-bench:",
	)
	transport = HttpTransport(
		service="Shopify",
		base_url=url,
		timeout=(5, 30),
		retry_policy=RetryPolicy(max_retries=4, backoff_base=0.5),
		classifier=Classifier(response_rules=(graphql_response_rule,)),
		rate_limiter=limiter,
		auth_headers=lambda: {constants.ACCESS_TOKEN_HEADER: TOKEN},
		headers={"Content-Type": "application/json"},
	)
	client = ShopifyGraphQL(transport, constants.DEFAULT_API_VERSION)
	costs = {"actual": 0.0, "first_requested": None}
	read_budget = client.read_budget

	def counting_reader(response):
		budget = read_budget(response)
		cost = client._last_cost
		if cost.actual:
			costs["actual"] += cost.actual
		if costs["first_requested"] is None and cost.requested:
			costs["first_requested"] = cost.requested
		return budget

	transport.budget_reader = counting_reader
	checkpoint: dict = {}
	seen = errors = 0
	tracemalloc.start()
	started = time.perf_counter()
	try:
		for page in client.pages(
			queries.ORDERS_PAGE,
			{
				"first": constants.ORDERS_PAGE_SIZE,
				"lineItems": constants.LINE_ITEMS_PER_ORDER,
				"query": "created_at:>='2000-01-01T00:00:00Z'",
			},
			"orders",
			operation="OrdersPage",
		):
			for node in page.nodes:
				order_plan(node)
				seen += 1
			checkpoint = {"cursor": page.end_cursor, "seen": seen}  # what the job commits per page
	except ConnectorError:
		errors += 1
	elapsed = time.perf_counter() - started
	_, peak = tracemalloc.get_traced_memory()
	tracemalloc.stop()
	free_at_start = constants.STANDARD_BUCKET - (costs["first_requested"] or 0)
	bound = max(0.0, costs["actual"] - free_at_start) / restore_rate
	return {
		"seen": seen,
		"elapsed": elapsed,
		"bound": bound,
		"errors": errors,
		"peak_mb": peak / 2**20,
		"actual_points": costs["actual"],
		"checkpoint": checkpoint,
	}


def run(size: int, restore_rate: float, redis_url: str) -> dict:
	parent, child = multiprocessing.Pipe()
	process = multiprocessing.Process(target=serve, args=(size, restore_rate, child), daemon=True)
	process.start()
	url = parent.recv()
	result = backfill(url, restore_rate, redis_url)
	parent.send("done")
	result.update(parent.recv())
	process.join(timeout=10)
	return result


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
	parser.add_argument(
		"--speedup", type=float, default=20.0, help="multiplier of the 100 points/s restore rate"
	)
	parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
	args = parser.parse_args()
	restore_rate = constants.STANDARD_RESTORE_RATE * args.speedup
	print(
		f"Shopify backfill, Standard plan bucket {constants.STANDARD_BUCKET:.0f} points, restore "
		f"{restore_rate:.0f} points/s ({args.speedup:g}x), {constants.ORDERS_PAGE_SIZE} orders a page"
	)
	print(
		"| orders | imported | elapsed s | bound s | elapsed ÷ bound | THROTTLED answers | errors to user | peak MB |"
	)
	print("|---:|---:|---:|---:|---:|---:|---:|---:|")
	rows = []
	for size in args.sizes:
		r = run(size, restore_rate, args.redis)
		rows.append(r)
		ratio = r["elapsed"] / r["bound"] if r["bound"] else float("nan")
		print(
			f"| {size} | {r['seen']} | {r['elapsed']:.1f} | {r['bound']:.1f} | {ratio:.3f} | "
			f"{r['throttled']} | {r['errors']} | {r['peak_mb']:.2f} |"
		)
	if len(rows) >= 2:
		print(
			f"peak memory {args.sizes[-1]} vs {args.sizes[0]} orders: {rows[-1]['peak_mb'] / rows[0]['peak_mb']:.2f}x"
		)


if __name__ == "__main__":
	main()
