"""Benchmark report: the benchmarks' results as one short table of ratios, on stdout and in a file.

Why: the numbers that matter (what the kernel costs per call, how close a backfill runs to
Shopify's rate-limit bound, whether throttling ever reaches a user, whether memory stays flat,
how fast a webhook is acknowledged, what the order import costs over raw ERPNext, how fast a
burst of webhooks reaches ERPNext next to the poll, the catalog read in bulk against pages, a
backfill on one and two workers against raw ERPNext) live in seven scripts with their own outputs; a release note or an issue needs them side by side. The
scripts are run as they are (subprocesses, so each measures in a fresh interpreter) and their
tables parsed; sizes default to a run of a few minutes. The order import and the webhook burst
need a bench and a test site (``SCOOPJOY_BENCH``, ``SCOOPJOY_SITE``; see benchmarks/order_import.py
and benchmarks/webhook_burst.py); without them their rows say why they were skipped.

Run: ``make benchmark-report`` or ``python benchmarks/report.py [--out benchmarks/REPORT.md]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import backfill_workers
import catalog_import
import order_import  # sibling scripts, importable once HERE is on the path
import webhook_ack
import webhook_burst


def run_script(name: str, *args: str, timeout: float = 600) -> str:
	result = subprocess.run(
		[sys.executable, str(HERE / name), *args],
		capture_output=True,
		text=True,
		check=False,
		timeout=timeout,
	)
	if result.returncode != 0:
		raise RuntimeError(f"{name} failed ({result.returncode}): {result.stderr[-2000:]}")
	return result.stdout


def kernel_vs_requests(calls: int, rounds: int) -> dict[str, float]:
	"""Ratios to raw requests from kernel_vs_requests.py's table ("<client> <calls/s> <ratio>")."""
	out = run_script("kernel_vs_requests.py", "--calls", str(calls), "--rounds", str(rounds))
	found = {}
	for label, key in (
		("raw requests.Session", "raw"),
		("kernel transport", "kernel"),
		("kernel + Redis breaker", "guarded"),
	):
		match = re.search(rf"^{re.escape(label)}.*?\s(\d+)\s+([\d.]+)\s*$", out, re.MULTILINE)
		if not match:
			raise RuntimeError(f"kernel_vs_requests.py printed no row for {label!r}:\n{out}")
		found[key] = float(match.group(2))
		found[f"{key}_calls"] = float(match.group(1))
	return found


def shopify_backfill(sizes: list[int], speedup: float) -> dict:
	"""Rows of shopify_backfill.py's markdown table, keyed by size."""
	out = run_script("shopify_backfill.py", "--sizes", *map(str, sizes), "--speedup", str(speedup))
	rows = {}
	for line in out.splitlines():
		cells = [c.strip() for c in line.strip().strip("|").split("|")]
		if len(cells) == 8 and cells[0].isdigit():
			size, imported, elapsed, bound, ratio, throttled, errors, peak = cells
			rows[int(size)] = {
				"imported": int(imported),
				"elapsed": float(elapsed),
				"bound": float(bound),
				"ratio": float(ratio),
				"throttled": int(throttled),
				"errors": int(errors),
				"peak_mb": float(peak),
			}
	if len(rows) != len(sizes):
		raise RuntimeError(f"shopify_backfill.py printed {len(rows)} rows for {len(sizes)} sizes:\n{out}")
	header = next((line for line in out.splitlines() if line.startswith("Shopify backfill")), "")
	return {"rows": rows, "header": header}


ORDER_SCENARIOS = (
	("sales orders", "Sales Orders"),
	("paid orders", "paid orders: Sales Order + Sales Invoice + Payment Entry"),
)


def order_import_vs_raw(rounds: int, batch: int) -> dict:
	"""Rows of order_import.py's table keyed by scenario; or {"skipped": why} / {"failed": why}."""
	try:
		out = run_script("order_import.py", "--rounds", str(rounds), "--batch", str(batch), timeout=3600)
	except (RuntimeError, subprocess.TimeoutExpired) as error:
		lines = [line for line in str(error).splitlines() if line.strip()]
		return {"failed": (lines[-1] if lines else repr(error)).replace("|", "/")}
	if out.startswith(order_import.SKIPPED):
		return {"skipped": out.removeprefix(order_import.SKIPPED).strip()}
	rows = {}
	for line in out.splitlines():
		cells = [c.strip() for c in line.strip().strip("|").split("|")]
		if len(cells) == 8 and cells[0] in dict(ORDER_SCENARIOS):
			scenario, imported, with_fetch, raw, ratio, goal, spread, queries = cells
			rows[scenario] = {
				"import": float(imported),
				"import_with_fetch": float(with_fetch),
				"raw": float(raw),
				"ratio": float(ratio),
				"goal": goal,
				"spread": spread,
				"queries": queries,
			}
	if len(rows) != len(ORDER_SCENARIOS):
		return {"failed": f"order_import.py printed {len(rows)} of {len(ORDER_SCENARIOS)} rows"}
	header = next((line for line in out.splitlines() if line.startswith("Order import vs raw")), "")
	return {"rows": rows, "header": header}


def order_import_lines(result: dict) -> list[str]:
	if "rows" not in result:
		status = "skipped" if "skipped" in result else "failed"
		return [
			f"| Shopify order import ÷ raw ERPNext insert+submit (orders/s) | {status} | {result[status]} |"
		]
	lines = []
	for scenario, label in ORDER_SCENARIOS:
		r = result["rows"][scenario]
		lines.append(
			f"| Shopify order import ÷ raw ERPNext, {label} (orders/s) | {r['ratio']:.2f} | {r['goal']} "
			f"({r['import']:.2f} vs {r['raw']:.2f} orders/s, {r['import_with_fetch']:.2f} with the fetch; "
			f"rounds {r['spread']}; SQL per order {r['queries']}) |"
		)
	return lines


def bench_result(script: str, args: list[str], skipped: str, marker: str) -> dict:
	"""The JSON after ``marker`` that a bench benchmark prints; or {"skipped": why} / {"failed": why}."""
	try:
		out = run_script(script, *args, timeout=3600)
	except (RuntimeError, subprocess.TimeoutExpired) as error:
		lines = [line for line in str(error).splitlines() if line.strip()]
		return {"failed": (lines[-1] if lines else repr(error)).replace("|", "/")}
	if out.startswith(skipped):
		return {"skipped": out.removeprefix(skipped).strip()}
	found = re.search(rf"^{marker} (.*)$", out, re.MULTILINE)
	return json.loads(found.group(1)) if found else {"failed": f"{script} printed no result"}


def webhook_burst_result(orders: int) -> dict:
	return bench_result("webhook_burst.py", ["--orders", str(orders)], webhook_burst.SKIPPED, "BURST_RESULT")


def webhook_burst_lines(result: dict) -> list[str]:
	if "runs" not in result:
		status = "skipped" if "skipped" in result else "failed"
		return [f"| Shopify webhook burst: drain ÷ poll (orders/min) | {status} | {result[status]} |"]
	by = {run["workers"]: run for run in result["runs"]}
	lines = [
		f"| Shopify webhook burst, {w} worker{'s' if w > 1 else ''}: drain ÷ poll (orders/min) "
		f"| {run['rate'] / result['poll_rate']:.2f} | ≥ 0.8 ({run['rate']:.0f} vs {result['poll_rate']:.0f} "
		f"orders/min; {result['orders']} orders from {result['senders']} senders) |"
		for w, run in sorted(by.items())
	]
	if 1 in by and 2 in by:
		lines.append(
			f"| Shopify webhook burst: 2 workers ÷ 1 worker (orders/min) | {by[2]['rate'] / by[1]['rate']:.2f} "
			"| > 1: the drain scales with workers |"
		)
	worst = max(result["runs"], key=lambda run: run["ack_burst_p99"])
	lines += [
		f"| Shopify webhook ack p50 / p99 idle, bench (ms) | {worst['ack_idle_p50']:.0f} / "
		f"{worst['ack_idle_p99']:.0f} | one at a time |",
		f"| Shopify webhook ack p50 / p99 during the burst, bench (ms) | {worst['ack_burst_p50']:.0f} / "
		f"{worst['ack_burst_p99']:.0f} | p99 ≤ 250 (Shopify waits 5 s) |",
		f"| Shopify webhook burst: dead letters / duplicated orders / duplicated customers | "
		f"{result['dead_letters']} / {result['duplicated_orders']} / {result['duplicated_customers']} | 0 / 0 / 0 |",
	]
	return lines


def catalog_import_result(products: int) -> dict:
	return bench_result(
		"catalog_import.py",
		["--products", str(products), "--sizes", "50,1000"],
		catalog_import.SKIPPED,
		"CATALOG_RESULT",
	)


def catalog_import_lines(result: dict) -> list[str]:
	if "reading" not in result:
		status = "skipped" if "skipped" in result else "failed"
		return [f"| Shopify catalog import: bulk ÷ pages (products/min) | {status} | {result[status]} |"]
	lines = [
		f"| Shopify catalog reading, {r['products']} products: bulk ÷ pages (products/min) | "
		f"{r['bulk_per_min'] / r['pages_per_min']:.2f} | bulk from {result['bulk_from']} products "
		f"({r['bulk_per_min']:.0f} vs {r['pages_per_min']:.0f} products/min) |"
		for r in result["reading"]
	]
	lines += [
		f"| Shopify catalog import into Items, {r['products']} products: bulk ÷ pages (products/min) | "
		f"{r['bulk_per_min'] / r['pages_per_min']:.2f} | ERPNext's Item inserts bound both "
		f"({r['bulk_per_min']:.0f} vs {r['pages_per_min']:.0f} products/min) |"
		for r in result["imports"]
	]
	return lines


def backfill_workers_result(orders: int, paid_orders: int) -> dict:
	found = bench_result(
		"backfill_workers.py",
		["--orders", str(orders), "--paid-orders", str(paid_orders)],
		backfill_workers.SKIPPED,
		"BACKFILL_RESULT",
	)
	return {"sides": found} if isinstance(found, list) else found


def backfill_workers_lines(result: dict) -> list[str]:
	if "sides" not in result:
		status = "skipped" if "skipped" in result else "failed"
		return [
			f"| Shopify backfill on workers: backfill ÷ raw ERPNext (orders/min) | {status} | {result[status]} |"
		]
	by = {(s["scenario"], s["path"], s["workers"]): s for s in result["sides"]}
	lines = []
	for scenario in ("sales orders", "paid"):
		for workers in (1, 2):
			b, r = by.get((scenario, "backfill", workers)), by.get((scenario, "raw", workers))
			if b and r:
				lines.append(
					f"| Shopify backfill, {scenario}, {workers} worker{'s' if workers > 1 else ''}: backfill ÷ raw "
					f"ERPNext (orders/min, fetch included) | {b['rate'] / r['rate']:.2f} | ≥ 0.9 ({b['rate']:.0f} vs "
					f"{r['rate']:.0f}; 100k orders in {100_000 / b['rate'] / 60:.1f} h) |"
				)
		one, two = by.get((scenario, "backfill", 1)), by.get((scenario, "backfill", 2))
		if one and two:
			lines.append(
				f"| Shopify backfill, {scenario}: 2 workers ÷ 1 worker | {two['rate'] / one['rate']:.2f} | ≥ 1.2 "
				f"(machine CPU busy {one['machine_busy']:.0%} → {two['machine_busy']:.0%}) |"
			)
	return lines


def build_report(args) -> str:
	started = time.monotonic()
	kernel = kernel_vs_requests(args.calls, args.rounds)
	backfill = shopify_backfill(args.sizes, args.speedup)
	ack = webhook_ack.run(args.deliveries)
	imports = order_import_vs_raw(args.order_rounds, args.order_batch)
	burst = webhook_burst_result(args.burst_orders)
	catalog = catalog_import_result(args.catalog_products)
	workers = backfill_workers_result(args.backfill_orders, args.backfill_paid_orders)
	small, large = min(backfill["rows"]), max(backfill["rows"])
	rows = backfill["rows"]
	lines = [
		"# ScoopJoy kernel benchmark report",
		"",
		f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()} on "
		f"{platform.machine()}; loopback simulators, Redis at 127.0.0.1. Made by `make benchmark-report`.",
		"",
		"| measure | result | goal / meaning |",
		"|---|---:|---|",
		f"| kernel transport ÷ raw `requests` (calls/s) | {kernel['kernel']:.2f} | "
		f"{kernel['kernel_calls']:.0f} vs {kernel['raw_calls']:.0f} calls/s; the price of masking, the call "
		"record and classification |",
		f"| kernel + Redis breaker + rate budget ÷ raw (calls/s) | {kernel['guarded']:.2f} | "
		f"{kernel['guarded_calls']:.0f} calls/s; breaker check, budget reservation and breaker success are Redis round trips |",
	]
	for size in sorted(rows):
		r = rows[size]
		lines.append(
			f"| Shopify backfill {size} orders: elapsed ÷ rate-limit bound | {r['ratio']:.3f} | ≤ 1.10 "
			f"({r['elapsed']:.1f} s vs {r['bound']:.1f} s; {r['imported']} imported) |"
		)
	lines += [
		f"| Shopify THROTTLED answers / errors surfaced to the user | "
		f"{sum(r['throttled'] for r in rows.values())} / {sum(r['errors'] for r in rows.values())} | 0 / 0 "
		"(the shared bucket waits before Shopify refuses) |",
		f"| peak memory {small} → {large} orders | {rows[small]['peak_mb']:.2f} → {rows[large]['peak_mb']:.2f} MB "
		f"(×{rows[large]['peak_mb'] / rows[small]['peak_mb']:.2f}) | flat: pages stream |",
		f"| Shopify webhook ack p50 / p99 ({ack.mode}) | {ack.p50_ms:.2f} / {ack.p99_ms:.2f} ms | "
		f"{ack.deliveries} signed deliveries, {ack.errors} errors; Shopify waits 5 s"
		+ (
			"; HMAC + JSON + masking only, without Frappe, database or enqueue |"
			if ack.mode != "bench"
			else "; full round trip to the bench's receive endpoint |"
		),
		*order_import_lines(imports),
		*webhook_burst_lines(burst),
		*catalog_import_lines(catalog),
		*backfill_workers_lines(workers),
		"",
		f"Backfill: {backfill['header'] or 'see benchmarks/shopify_backfill.py'}. Kernel: {args.rounds} rounds "
		f"x {args.calls} loopback GETs, median."
		+ (f" {imports['header']}." if imports.get("header") else "")
		+ f" Report built in {time.monotonic() - started:.0f} s.",
	]
	return "\n".join(lines) + "\n"


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--out", default=str(HERE / "REPORT.md"), help="markdown file to write")
	parser.add_argument("--calls", type=int, default=500, help="kernel_vs_requests.py calls per round")
	parser.add_argument("--rounds", type=int, default=3, help="kernel_vs_requests.py rounds")
	parser.add_argument("--sizes", type=int, nargs=2, default=[500, 2000], help="two backfill sizes")
	parser.add_argument(
		"--speedup", type=float, default=20.0, help="shopify_backfill.py restore-rate multiplier"
	)
	parser.add_argument("--deliveries", type=int, default=500, help="webhook deliveries to time")
	parser.add_argument("--order-rounds", type=int, default=5, help="order_import.py rounds")
	parser.add_argument(
		"--order-batch", type=int, default=20, help="order_import.py orders per side per round"
	)
	parser.add_argument("--burst-orders", type=int, default=150, help="webhook_burst.py orders")
	parser.add_argument("--catalog-products", type=int, default=300, help="catalog_import.py products")
	parser.add_argument("--backfill-orders", type=int, default=200, help="backfill_workers.py orders")
	parser.add_argument(
		"--backfill-paid-orders", type=int, default=100, help="backfill_workers.py paid orders"
	)
	args = parser.parse_args()
	report = build_report(args)
	Path(args.out).write_text(report, encoding="utf-8")
	print(report, end="")
	print(f"(written to {args.out})")


if __name__ == "__main__":
	main()
