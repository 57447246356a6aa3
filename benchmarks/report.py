"""Benchmark report: the benchmarks' results as one short table of ratios, on stdout and in a file.

Why: the numbers that matter (what the kernel costs per call, how close a backfill runs to
Shopify's rate-limit bound, whether throttling ever reaches a user, whether memory stays flat,
how fast a webhook is acknowledged, what the order import costs over raw ERPNext) live in four
scripts with four output formats; a release note or an issue needs them side by side. The
scripts are run as they are (subprocesses, so each measures in a fresh interpreter) and their
tables parsed; sizes default to a run of a few minutes. The order import needs a bench and a test
site (``SCOOPJOY_BENCH``, ``SCOOPJOY_SITE``; see benchmarks/order_import.py); without them its
rows say why they were skipped.

Run: ``make benchmark-report`` or ``python benchmarks/report.py [--out benchmarks/REPORT.md]``.
"""

from __future__ import annotations

import argparse
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

import order_import  # sibling scripts, importable once HERE is on the path
import webhook_ack


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


def build_report(args) -> str:
	started = time.monotonic()
	kernel = kernel_vs_requests(args.calls, args.rounds)
	backfill = shopify_backfill(args.sizes, args.speedup)
	ack = webhook_ack.run(args.deliveries)
	imports = order_import_vs_raw(args.order_rounds, args.order_batch)
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
	args = parser.parse_args()
	report = build_report(args)
	Path(args.out).write_text(report, encoding="utf-8")
	print(report, end="")
	print(f"(written to {args.out})")


if __name__ == "__main__":
	main()
