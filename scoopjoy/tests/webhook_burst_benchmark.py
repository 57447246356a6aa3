"""Benchmark (issue #16): a sale-day burst of Shopify webhooks into a real bench, against the poll.

What it does, on a test site (``allow_tests``) of the bench it runs on:

1. The Shopify simulator (in this process, Standard-plan cost limits) holds N paid orders of new
   and returning customers; Shopify Settings point at it (the Shopify bench tests' fixture).
2. **Poll**: one RQ worker (``frappe worker --queue short,default,long``, a real process) runs the
   scheduled poll over those N orders; its rate is N ÷ the time from queueing it to the last
   Sales Order.
3. **Webhooks**, with 1 and then 2 workers: gunicorn serves the site (2 workers, 127.0.0.1, as in
   production behind nginx). First *idle*: deliveries one at a time, each timed. Then the *burst*:
   N ``orders/create`` deliveries for N new orders, signed as Shopify signs them, from
   ``senders`` concurrent threads, each timed; the drain rate is N ÷ the time from the first send
   to the moment every delivery is closed.
4. Counted from ERPNext afterwards: dead letters still open and duplicated Sales Orders or
   Customers (goal 0 each).

It prints one markdown table and a JSON line (``BURST_RESULT {...}``) for benchmarks/report.py.
The orders, customers and documents it makes stay on the site (names unique per run).

Run through ``python benchmarks/webhook_burst.py`` (it calls ``bench execute`` of :func:`run`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import frappe
import requests
from frappe.utils import now_datetime

from scoopjoy.connectors.shopify import constants, sync
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.tests.fault_matrix_bench import Shop
from scoopjoy.tests.setup import remove_leftover_jobs

ENDPOINT = "/api/method/scoopjoy.connectors.shopify.webhook.receive"
DELIVERY = "Shopify Webhook Delivery"
#: every how many orders a customer comes back (the customer race of two workers)
RETURNING_EVERY = 5


def percentile(samples: list[float], fraction: float) -> float:
	ordered = sorted(samples)
	if not ordered:
		return float("nan")
	return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


class Bench:
	"""The bench's own processes, started from its ``sites/`` directory and stopped afterwards."""

	def __init__(self):
		self.sites = Path(frappe.local.sites_path).resolve()
		self.python = str(Path(sys.executable))
		self.processes: list[subprocess.Popen] = []
		# the workers' and gunicorn's output, for when a run goes wrong
		self.log = open(os.environ.get("SCOOPJOY_BURST_LOG") or os.devnull, "a")

	def start_workers(self, count: int) -> list[subprocess.Popen]:
		started = [
			subprocess.Popen(
				[
					self.python,
					"-m",
					"frappe.utils.bench_helper",
					"frappe",
					"worker",
					"--queue",
					"short,default,long",
				],
				cwd=self.sites,
				stdout=self.log,
				stderr=self.log,
				start_new_session=True,
			)
			for _ in range(count)
		]
		self.processes += started
		time.sleep(4)  # a worker imports Frappe and registers with RQ before it takes jobs
		return started

	def start_web(self, workers: int = 2) -> str:
		with socket.socket() as probe:
			probe.bind(("127.0.0.1", 0))
			port = probe.getsockname()[1]
		self.processes.append(
			subprocess.Popen(
				[
					*(self.python, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", str(workers)),
					*("-t", "120", "--preload", "frappe.app:application"),
				],
				cwd=self.sites,
				stdout=self.log,
				stderr=self.log,
				start_new_session=True,
			)
		)
		url = f"http://127.0.0.1:{port}"
		deadline = time.monotonic() + 60
		while time.monotonic() < deadline:
			try:
				if requests.get(f"{url}/api/method/ping", headers={"Host": frappe.local.site}, timeout=5).ok:
					return url
			except requests.RequestException:
				pass
			time.sleep(0.5)
		raise RuntimeError("gunicorn did not answer within 60 s")

	def stop(self, processes: list[subprocess.Popen] | None = None) -> None:
		for process in processes if processes is not None else list(self.processes):
			if process.poll() is None:
				os.killpg(process.pid, signal.SIGTERM)  # RQ: warm shutdown after the current job
			try:
				process.wait(timeout=60)
			except subprocess.TimeoutExpired:
				os.killpg(process.pid, signal.SIGKILL)
				process.wait(timeout=10)
			if process in self.processes:
				self.processes.remove(process)


class Run:
	def __init__(self, orders: int, senders: int, idle: int):
		self.n, self.senders, self.idle = orders, senders, idle
		self.shop = Shop()
		self.sim = self.shop.sim
		self.customers: list[dict] = []
		self.bench = Bench()
		self.started = now_datetime()
		self.all_ids: list[str] = []

	# orders ----------------------------------------------------------------------------------------

	def paid_orders(self, count: int) -> list[str]:
		"""Paid orders of two mapped items; every RETURNING_EVERY-th order's customer comes back."""
		ids = []
		for index in range(count):
			if self.customers and index % RETURNING_EVERY == RETURNING_EVERY - 1:
				customer = self.customers[-1]
			else:
				customer = self.sim.add_customer("Burst", f"Buyer{len(self.customers) + 1}")
				self.customers.append(customer)
			order = self.sim.add_order(
				customer=customer,
				lines=[
					{"variant": self.shop.variants[0]["id"], "quantity": 1 + index % 3},
					{"variant": self.shop.variants[1]["id"], "quantity": 1},
				],
			)
			self.sim.mark_paid(order["id"])
			ids.append(order["id"])
		self.all_ids += ids
		return ids

	def imported(self, ids: list[str]) -> int:
		frappe.db.commit()  # a fresh snapshot: see what the workers committed
		return frappe.db.count(
			"Sales Order", {"custom_shopify_order_id": ["in", [legacy_id(i) for i in ids]]}
		)

	def dead_lettered(self, ids: list[str]) -> int:
		return frappe.db.count(
			"Integration Dead Letter",
			{"external_id": ["in", [legacy_id(i) for i in ids]], "status": ["!=", "Resolved"]},
		)

	def settled(self, ids: list[str]) -> bool:
		"""Every order imported or dead-lettered (a dead letter is counted, not waited for)."""
		return self.imported(ids) + self.dead_lettered(ids) >= len(ids)

	def waiting(self, ids: list[str]) -> int:
		frappe.db.commit()
		return frappe.db.count(
			DELIVERY, {"order_id": ["in", [legacy_id(i) for i in ids]], "status": "Queued"}
		)

	def wait_until(self, done, timeout: float = 900) -> float:
		deadline = time.monotonic() + timeout
		while not done():
			if time.monotonic() > deadline:
				raise RuntimeError("the workers did not finish within the timeout")
			time.sleep(0.25)
		return time.monotonic()

	# the poll --------------------------------------------------------------------------------------

	def poll(self) -> float:
		"""Orders per minute the scheduled poll imports with one worker."""
		ids = self.paid_orders(self.n)
		frappe.db.set_single_value(
			constants.SETTINGS_DOCTYPE,
			"last_order_sync_at",
			(min(self.sim.get_order(i)["updatedAt"] for i in ids)),
		)
		frappe.db.commit()
		workers = self.bench.start_workers(1)
		began = time.monotonic()
		sync.queue_order_poll()
		frappe.db.commit()
		ended = self.wait_until(lambda: self.settled(ids))
		self.bench.stop(workers)
		return len(ids) / (ended - began) * 60

	# webhooks --------------------------------------------------------------------------------------

	def send(self, url: str, order_ids: list[str], senders: int) -> list[float]:
		"""Post one signed orders/create per order from ``senders`` threads; the ack times in ms."""
		latencies: list[float] = []
		failures: list[str] = []
		bodies = [self.sim.webhook_request("orders/create", i) for i in order_ids]
		lock = threading.Lock()
		host = frappe.local.site  # frappe.local belongs to this thread

		def sender(share: list[tuple[bytes, dict]]) -> None:
			session = requests.Session()
			session.trust_env = False
			for raw, headers in share:
				began = time.perf_counter()
				try:
					answer = session.post(
						url + ENDPOINT, data=raw, headers={**headers, "Host": host}, timeout=30
					)
				except requests.RequestException as error:
					with lock:
						failures.append(f"no answer: {error}")
					continue
				took = (time.perf_counter() - began) * 1000
				with lock:
					latencies.append(took)
					if answer.status_code != 200:
						failures.append(f"{answer.status_code} {answer.text[:200]}")

		threads = [threading.Thread(target=sender, args=(bodies[k::senders],)) for k in range(senders)]
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join()
		if failures or len(latencies) != len(bodies):
			raise RuntimeError(
				f"{len(bodies) - len(latencies) + len(failures)} deliveries not answered 200: {failures[:3]}"
			)
		return latencies

	def warm_up(self, url: str) -> None:
		"""A new gunicorn worker's first requests load modules and caches: not what a shop meets."""
		session = requests.Session()
		session.trust_env = False
		for _ in range(8):
			raw, headers = self.sim.webhook_request("orders/create", self.all_ids[0])
			session.post(
				url + ENDPOINT,
				data=raw,
				headers={**headers, "X-Shopify-Topic": "shop/update", "Host": frappe.local.site},
				timeout=30,
			)

	def webhooks(self, workers: int) -> dict:
		url = self.bench.start_web()
		self.bench.start_workers(workers)
		try:
			self.warm_up(url)
			idle_ids = self.paid_orders(self.idle)
			idle = []
			for order_id in idle_ids:  # one at a time, nothing else going on
				idle += self.send(url, [order_id], 1)
				self.wait_until(lambda order_id=order_id: self.waiting([order_id]) == 0)
			burst_ids = self.paid_orders(self.n)
			began = time.monotonic()
			burst = self.send(url, burst_ids, self.senders)
			sent = time.monotonic()
			ended = self.wait_until(lambda: self.waiting(burst_ids) == 0)
			missing = len(burst_ids) - self.imported(burst_ids)
		finally:
			self.bench.stop()
		return {
			"workers": workers,
			"rate": len(burst_ids) / (ended - began) * 60,
			"send_seconds": sent - began,
			"ack_idle_p50": percentile(idle, 0.5),
			"ack_idle_p99": percentile(idle, 0.99),
			"ack_burst_p50": percentile(burst, 0.5),
			"ack_burst_p99": percentile(burst, 0.99),
			"missing": missing,
		}

	# afterwards ------------------------------------------------------------------------------------

	def damage(self) -> dict:
		frappe.db.commit()
		ids = [legacy_id(i) for i in self.all_ids]
		orders = Counter(
			frappe.get_all(
				"Sales Order",
				filters={"custom_shopify_order_id": ["in", ids]},
				pluck="custom_shopify_order_id",
			)
		)
		customers = Counter(
			frappe.get_all(
				"Customer",
				filters={"custom_shopify_customer_id": ["in", [legacy_id(c["id"]) for c in self.customers]]},
				pluck="custom_shopify_customer_id",
			)
		)
		letters = frappe.db.count(
			"Integration Dead Letter",
			{"connector": "Shopify", "status": ["!=", "Resolved"], "modified": [">=", self.started]},
		)
		return {
			"dead_letters": letters,
			"duplicated_orders": sum(count - 1 for count in orders.values()),
			"duplicated_customers": sum(count - 1 for count in customers.values()),
			"orders_missing": len(ids) - len(orders),
		}


def table(poll_rate: float, runs: list[dict], damage: dict, n: int, senders: int) -> str:
	by = {run["workers"]: run for run in runs}
	lines = [
		f"Burst of {n} signed orders/create webhooks from {senders} concurrent senders; poll of {n} orders;"
		" paid orders (Sales Order, Sales Invoice, Payment Entry).",
		"",
		"| path | workers | orders/min | ÷ poll | ack p50 idle (ms) | ack p99 idle (ms) | ack p50 burst (ms) | ack p99 burst (ms) |",
		"|---|---|---|---|---|---|---|---|",
		f"| poll | 1 | {poll_rate:.0f} | 1.00 | | | | |",
	]
	for run in runs:
		lines.append(
			f"| webhooks | {run['workers']} | {run['rate']:.0f} | {run['rate'] / poll_rate:.2f} "
			f"| {run['ack_idle_p50']:.0f} | {run['ack_idle_p99']:.0f} | {run['ack_burst_p50']:.0f} "
			f"| {run['ack_burst_p99']:.0f} |"
		)
	if 1 in by and 2 in by:
		lines += ["", f"2 workers ÷ 1 worker: {by[2]['rate'] / by[1]['rate']:.2f}"]
	lines += [
		"",
		f"Dead letters open: {damage['dead_letters']}; duplicated Sales Orders: {damage['duplicated_orders']}; "
		f"duplicated Customers: {damage['duplicated_customers']}; orders missing: {damage['orders_missing']}",
	]
	return "\n".join(lines)


def run(orders: int = 150, senders: int = 8, idle: int = 20, workers: str = "1,2") -> None:
	if not frappe.conf.allow_tests:
		raise RuntimeError("a test site only (allow_tests): the benchmark rewrites Shopify Settings")
	remove_leftover_jobs()
	frappe.db.commit()
	burst = Run(int(orders), int(senders), int(idle))
	try:
		poll_rate = burst.poll()
		runs = [burst.webhooks(int(count)) for count in str(workers).split(",")]
		damage = burst.damage()
	finally:
		burst.bench.stop()
		burst.shop.close()
	result = {"orders": int(orders), "senders": int(senders), "poll_rate": poll_rate, "runs": runs, **damage}
	print(table(poll_rate, runs, damage, int(orders), int(senders)))
	print("BURST_RESULT " + json.dumps(result))
