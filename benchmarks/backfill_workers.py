"""Benchmark: a Shopify backfill as a person waits for it, against raw ERPNext, with 1 and 2 workers
(issue #26).

The measuring runs inside the bench (it needs Frappe, a site and RQ workers): this script starts
``scoopjoy.tests.backfill_benchmark.run`` there with ``bench execute`` and passes its output
through. See that module for what is measured. It prints, for Sales Orders only and for paid
orders, with 1 and 2 workers: the backfill's orders/min from the start to Completed (reading from
the simulator in its own process included), raw ERPNext's orders/min making the same documents in
jobs on the same workers, backfill ÷ raw (goal ≥ 0.9), the hours 100k orders take, what the CPU and
MariaDB's row locks did, and 2 workers ÷ 1 worker (goal ≥ 1.2).

Needs ``SCOOPJOY_SITE`` (a site with allow_tests and scoopjoy installed, ERPNext set up) on
``SCOOPJOY_BENCH`` (default ``~/frappe-bench``); without them it prints why it skipped and exits 0.
No other worker should be running on that bench (it starts its own).

Run: ``SCOOPJOY_BENCH=~/frappe-bench SCOOPJOY_SITE=dev15.localhost python benchmarks/backfill_workers.py
[--orders 200 --paid-orders 100]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from order_import import run_in_bench  # the same bench and site as the order import benchmark

MODULE = "scoopjoy.tests.backfill_benchmark.run"
SKIPPED = "backfill benchmark skipped:"


def main() -> int:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--orders", type=int, default=200, help="Sales-Order-only orders a side")
	parser.add_argument("--paid-orders", type=int, default=100, help="paid orders a side")
	parser.add_argument("--workers", default="1,2", help="worker counts")
	args = parser.parse_args()
	return run_in_bench(
		MODULE, {"orders": args.orders, "paid_orders": args.paid_orders, "workers": args.workers}, SKIPPED
	)


if __name__ == "__main__":
	sys.exit(main())
