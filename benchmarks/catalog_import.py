"""Benchmark: Import Catalog read page by page vs as one bulk query, on a real bench (issue #24).

The measuring runs inside the bench (it needs Frappe and a site): this script starts
``scoopjoy.tests.catalog_import_benchmark.run`` there with ``bench execute`` and passes its output
through. See that module for what is measured: the reading alone at several catalog sizes, and the
whole import (Items and Item Prices) by each path, products per minute and the ratio bulk ÷ pages,
side by side in one run.

Needs ``SCOOPJOY_SITE`` (a site with allow_tests and scoopjoy installed, ERPNext set up) on
``SCOOPJOY_BENCH`` (default ``~/frappe-bench``); without them it prints why it skipped and exits 0.
It commits Items on that site.

Run: ``SCOOPJOY_SITE=dev15.localhost python benchmarks/catalog_import.py [--products 300]``.
"""

from __future__ import annotations

import argparse
import sys

from order_import import run_in_bench

MODULE = "scoopjoy.tests.catalog_import_benchmark.run"
SKIPPED = "catalog import benchmark skipped:"


def main() -> int:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--products", type=int, default=300, help="products of each whole import")
	parser.add_argument("--sizes", default="50,250,1000,3000", help="catalog sizes read both ways")
	parser.add_argument("--rounds", type=int, default=1, help="whole imports per path")
	args = parser.parse_args()
	sizes = tuple(int(n) for n in args.sizes.split(","))
	return run_in_bench(MODULE, {"products": args.products, "sizes": sizes, "rounds": args.rounds}, SKIPPED)


if __name__ == "__main__":
	sys.exit(main())
