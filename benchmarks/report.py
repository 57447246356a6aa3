"""Benchmark report: the benchmarks' results as one short table of ratios, on stdout and in a file.

Why: the numbers that matter (what the kernel costs per call, how close a backfill runs to
Shopify's rate-limit bound, whether throttling ever reaches a user, whether memory stays flat,
how fast a webhook is acknowledged) live in three scripts with three output formats; a release
note or an issue needs them side by side. The scripts are run as they are (subprocesses, so
each measures in a fresh interpreter) and their tables parsed; sizes default to a run of a few
minutes.

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

import webhook_ack  # a sibling script, importable once HERE is on the path


def run_script(name: str, *args: str) -> str:
	result = subprocess.run(
		[sys.executable, str(HERE / name), *args], capture_output=True, text=True, check=False, timeout=600
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


def build_report(args) -> str:
	started = time.monotonic()
	kernel = kernel_vs_requests(args.calls, args.rounds)
	backfill = shopify_backfill(args.sizes, args.speedup)
	ack = webhook_ack.run(args.deliveries)
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
		"",
		f"Backfill: {backfill['header'] or 'see benchmarks/shopify_backfill.py'}. Kernel: {args.rounds} rounds "
		f"x {args.calls} loopback GETs, median. Report built in {time.monotonic() - started:.0f} s.",
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
	args = parser.parse_args()
	report = build_report(args)
	Path(args.out).write_text(report, encoding="utf-8")
	print(report, end="")
	print(f"(written to {args.out})")


if __name__ == "__main__":
	main()
