"""Benchmark: a sale-day burst of Shopify webhooks into a real bench, against the poll (issue #16).

The measuring runs inside the bench (it needs Frappe, a site, gunicorn and RQ workers): this script
starts ``scoopjoy.tests.webhook_burst_benchmark.run`` there with ``bench execute`` and passes its
output through. See that module for what is measured. It prints the poll's orders/min with one
worker, the webhook drain's orders/min with 1 and 2 workers and each ÷ the poll (goal ≥ 0.8), the
2-worker ÷ 1-worker ratio, the ack p50/p99 idle and during the burst (goal p99 ≤ 250 ms), dead
letters and duplicates (goal 0), and when each store's last order was in (two stores by default:
neither waits for the other).

Needs ``SCOOPJOY_SITE`` (a site with allow_tests and scoopjoy installed, ERPNext set up) on
``SCOOPJOY_BENCH`` (default ``~/frappe-bench``); without them it prints why it skipped and exits 0.
No other worker should be running on that bench (it starts its own).

Run: ``SCOOPJOY_BENCH=~/frappe-bench SCOOPJOY_SITE=dev15.localhost python benchmarks/webhook_burst.py
[--orders 150 --senders 8]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from order_import import run_in_bench  # the same bench and site as the order import benchmark

MODULE = "scoopjoy.tests.webhook_burst_benchmark.run"
SKIPPED = "webhook burst benchmark skipped:"


def main() -> int:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--orders", type=int, default=150, help="orders in the burst (and in the poll)")
	parser.add_argument("--senders", type=int, default=8, help="concurrent webhook senders")
	parser.add_argument("--idle", type=int, default=20, help="deliveries timed one at a time first")
	parser.add_argument("--workers", default="1,2", help="worker counts to run the burst with")
	parser.add_argument(
		"--stores", type=int, default=2, help="Shopify stores the orders are spread over (numbered alike)"
	)
	args = parser.parse_args()
	return run_in_bench(MODULE, vars(args), SKIPPED)


if __name__ == "__main__":
	sys.exit(main())
