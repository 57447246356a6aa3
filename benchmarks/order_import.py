"""Benchmark: Shopify order import into ERPNext vs raw ERPNext insert + submit, on a real bench.

The measuring runs inside the bench (it needs Frappe and a site): this script only starts
``scoopjoy.tests.order_import_benchmark.run`` there with ``bench execute`` and passes its output
through. See that module for what is measured and how the two sides are kept fair (same process,
same site, warm, interleaved batches, medians). It prints, per scenario (Sales Orders only; paid
orders with Sales Invoice + Payment Entry), import and raw orders/s and the ratio import ÷ raw
(goals ≥ 0.90 and ≥ 0.85).

Needs ``SCOOPJOY_SITE`` (a site with allow_tests and scoopjoy installed, ERPNext set up) on
``SCOOPJOY_BENCH`` (default ``~/frappe-bench``); without them it prints why it skipped and exits 0.
It commits documents on that site (its own ``BENCH-<run>`` Items and Customer).

Run: ``SCOOPJOY_BENCH=~/frappe-bench16 SCOOPJOY_SITE=dev16.localhost python benchmarks/order_import.py
[--rounds 5 --batch 20]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

MODULE = "scoopjoy.tests.order_import_benchmark.run"
SKIPPED = "order import benchmark skipped:"


def bench_and_site() -> tuple[Path, str] | str:
	"""(bench, site), or why the benchmark cannot run here."""
	bench = Path(os.environ.get("SCOOPJOY_BENCH") or Path.home() / "frappe-bench").expanduser()
	site = os.environ.get("SCOOPJOY_SITE")
	if not (bench / "env" / "bin" / "python").exists() or not (bench / "sites").is_dir():
		return f"no bench at {bench} (set SCOOPJOY_BENCH)"
	if not site:
		return f"SCOOPJOY_SITE is not set (a site of {bench} with allow_tests)"
	if not (bench / "sites" / site / "site_config.json").exists():
		return f"no site {site} on {bench}"
	return bench, site


def run_in_bench(function: str, kwargs: dict, skipped: str) -> int:
	"""``bench execute`` of a measuring function on the test site, its output passed through; without
	a bench and site, say why (``skipped`` first) and succeed."""
	found = bench_and_site()
	if isinstance(found, str):
		print(f"{skipped} {found}")
		return 0
	bench, site = found
	sys.stdout.flush()
	return subprocess.run(
		[
			str(bench / "env" / "bin" / "python"),
			*("-m", "frappe.utils.bench_helper", "frappe", "--site", site),
			*("execute", function, "--kwargs", repr(kwargs)),
		],
		cwd=bench / "sites",
		check=False,
	).returncode


def main() -> int:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--rounds", type=int, default=5)
	parser.add_argument("--batch", type=int, default=20, help="orders per side per round")
	parser.add_argument("--warmup", type=int, default=3, help="orders per side before timing")
	args = parser.parse_args()
	return run_in_bench(MODULE, {"rounds": args.rounds, "batch": args.batch, "warmup": args.warmup}, SKIPPED)


if __name__ == "__main__":
	sys.exit(main())
