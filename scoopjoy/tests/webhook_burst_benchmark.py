"""Benchmark (issue #16): a sale-day burst of Shopify webhooks into a real bench, against the poll.

What it does, on a test site (``allow_tests``) of the bench it runs on:

1. Shopify simulators (in this process, Standard-plan cost limits), one per Shopify Store (two by
   default, numbering their orders alike: issue #22), hold N paid orders of new and returning
   customers, spread over the stores; each store points at its simulator (the fault matrix's Shop).
2. **Poll**: one RQ worker (``frappe worker --queue short,default,long``, a real process) runs the
   scheduled poll over those N orders; its rate is N ÷ the time from queueing it to the last
   Sales Order.
3. **Webhooks**, with 1 and then 2 workers: gunicorn serves the site (2 workers, 127.0.0.1, as in
   production behind nginx). First *idle*: deliveries one at a time, each timed. Then the *burst*:
   N ``orders/create`` deliveries for N new orders, signed as Shopify signs them, from
   ``senders`` concurrent threads, each timed; the drain rate is N ÷ the time from the first send
   to the moment every delivery is closed.
4. Counted from ERPNext afterwards: dead letters still open and duplicated Sales Orders or
   Customers (goal 0 each), and per store when its last order of the burst was in: with the stores'
   budgets their own, neither store's orders wait for the other's.

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


#: an order of one store: (the store's Shop, the order's gid)
Order = tuple[Shop, str]


class Run:
	def __init__(self, orders: int, senders: int, idle: int, stores: int = 2):
		self.n, self.senders, self.idle = orders, senders, idle
		first = Shop()
		# the other stores number their orders, customers and products as the first one does
		self.shops = [first] + [Shop(id_base=first.sim.id_base) for _ in range(stores - 1)]
		self.customers: dict[str, list[dict]] = {shop.store: [] for shop in self.shops}
		self.bench = Bench()
		self.started = now_datetime()
		self.all_orders: list[Order] = []

	# orders ----------------------------------------------------------------------------------------

	def paid_orders(self, count: int) -> list[Order]:
		"""Paid orders of two mapped items, spread over the stores in turn; every
		RETURNING_EVERY-th order of a store is of a customer coming back."""
		found: list[Order] = []
		for index in range(count):
			shop = self.shops[index % len(self.shops)]
			customers = self.customers[shop.store]
			if customers and len(customers) % RETURNING_EVERY == 0 and index % 2:
				customer = customers[-1]
			else:
				customer = shop.sim.add_customer("Burst", f"Buyer{len(customers) + 1}")
				customers.append(customer)
			order = shop.sim.add_order(
				customer=customer,
				lines=[
					{"variant": shop.variants[0]["id"], "quantity": 1 + index % 3},
					{"variant": shop.variants[1]["id"], "quantity": 1},
				],
			)
			shop.sim.mark_paid(order["id"])
			found.append((shop, order["id"]))
		self.all_orders += found
		return found

	def _count(self, doctype: str, orders: list[Order], id_field: str, **filters) -> int:
		total = 0
		for shop in self.shops:
			ids = [legacy_id(gid) for owner, gid in orders if owner is shop]
			if ids:
				total += frappe.db.count(
					doctype,
					{
						"custom_shopify_store" if doctype != DELIVERY else "shopify_store": shop.store,
						id_field: ["in", ids],
						**filters,
					},
				)
		return total

	def imported(self, orders: list[Order]) -> int:
		frappe.db.commit()  # a fresh snapshot: see what the workers committed
		return self._count("Sales Order", orders, "custom_shopify_order_id")

	def dead_lettered(self, orders: list[Order]) -> int:
		from scoopjoy.connectors.shopify.mapping import order_job_key
		from scoopjoy.reliability.jobs import job_id_for

		keys = [job_id_for(constants.SERVICE_NAME, order_job_key(shop.store, gid)) for shop, gid in orders]
		return frappe.db.count(
			"Integration Dead Letter", {"dedup_key": ["in", keys], "status": ["!=", "Resolved"]}
		)

	def settled(self, orders: list[Order]) -> bool:
		"""Every order imported or dead-lettered (a dead letter is counted, not waited for)."""
		return self.imported(orders) + self.dead_lettered(orders) >= len(orders)

	def waiting(self, orders: list[Order]) -> int:
		frappe.db.commit()
		return self._count(DELIVERY, orders, "order_id", status="Queued")

	def wait_until(self, done, timeout: float = 900) -> float:
		deadline = time.monotonic() + timeout
		while not done():
			if time.monotonic() > deadline:
				raise RuntimeError("the workers did not finish within the timeout")
			time.sleep(0.25)
		return time.monotonic()

	# the poll --------------------------------------------------------------------------------------

	def poll(self) -> float:
		"""Orders per minute the scheduled polls (one per store) import with one worker."""
		ids = self.paid_orders(self.n)
		for shop in self.shops:
			frappe.db.set_value(
				constants.STORE_DOCTYPE,
				shop.store,
				"last_order_sync_at",
				min(shop.sim.get_order(gid)["updatedAt"] for owner, gid in ids if owner is shop),
			)
		frappe.db.commit()
		workers = self.bench.start_workers(1)
		began = time.monotonic()
		for shop in self.shops:
			sync.queue_order_poll(shop.store)
		frappe.db.commit()
		ended = self.wait_until(lambda: self.settled(ids))
		self.bench.stop(workers)
		return len(ids) / (ended - began) * 60

	# webhooks --------------------------------------------------------------------------------------

	def send(self, url: str, orders: list[Order], senders: int) -> list[float]:
		"""Post one signed orders/create per order (its store's delivery) from ``senders`` threads;
		the ack times in ms."""
		latencies: list[float] = []
		failures: list[str] = []
		bodies = [shop.sim.webhook_request("orders/create", gid) for shop, gid in orders]
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
		for n in range(8 * len(self.shops)):  # every store: each is a record a worker caches
			shop = self.shops[n % len(self.shops)]
			gid = next(gid for owner, gid in self.all_orders if owner is shop)
			raw, headers = shop.sim.webhook_request("orders/create", gid)
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
			for order in idle_ids:  # one at a time, nothing else going on
				idle += self.send(url, [order], 1)
				self.wait_until(lambda order=order: self.waiting([order]) == 0)
			burst_ids = self.paid_orders(self.n)
			began = time.monotonic()
			burst = self.send(url, burst_ids, self.senders)
			sent = time.monotonic()
			done_at: dict[str, float] = {}

			def every_store_done() -> bool:
				for shop in self.shops:
					mine = [order for order in burst_ids if order[0] is shop]
					if shop.store not in done_at and self.waiting(mine) == 0:
						done_at[shop.store] = time.monotonic() - began
				return len(done_at) == len(self.shops)

			ended = self.wait_until(every_store_done)
			missing = len(burst_ids) - self.imported(burst_ids)
		finally:
			self.bench.stop()
		return {
			"workers": workers,
			"stores_done_seconds": sorted(done_at.values()),
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
		orders: Counter = Counter()
		customers: Counter = Counter()
		for shop in self.shops:
			ids = [legacy_id(gid) for owner, gid in self.all_orders if owner is shop]
			orders.update(
				(shop.store, found)
				for found in frappe.get_all(
					"Sales Order",
					filters={"custom_shopify_store": shop.store, "custom_shopify_order_id": ["in", ids]},
					pluck="custom_shopify_order_id",
				)
			)
			customers.update(
				(shop.store, found)
				for found in frappe.get_all(
					"Customer",
					filters={
						"custom_shopify_store": shop.store,
						"custom_shopify_customer_id": [
							"in",
							[legacy_id(c["id"]) for c in self.customers[shop.store]] or [""],
						],
					},
					pluck="custom_shopify_customer_id",
				)
			)
		letters = frappe.db.count(
			"Integration Dead Letter",
			{"connector": "Shopify", "status": ["!=", "Resolved"], "modified": [">=", self.started]},
		)
		return {
			"stores": len(self.shops),
			"dead_letters": letters,
			"duplicated_orders": sum(count - 1 for count in orders.values()),
			"duplicated_customers": sum(count - 1 for count in customers.values()),
			"orders_missing": len(self.all_orders) - len(orders),
		}


def table(poll_rate: float, runs: list[dict], damage: dict, n: int, senders: int) -> str:
	by = {run["workers"]: run for run in runs}
	lines = [
		f"Burst of {n} signed orders/create webhooks from {senders} concurrent senders; poll of {n} orders;"
		f" paid orders (Sales Order, Sales Invoice, Payment Entry), spread over {damage['stores']} Shopify"
		" stores numbering their orders alike.",
		"",
		"| path | workers | orders/min | ÷ poll | ack p50 idle (ms) | ack p99 idle (ms) | ack p50 burst (ms) | ack p99 burst (ms) | each store's last order in (s) |",
		"|---|---|---|---|---|---|---|---|---|",
		f"| poll | 1 | {poll_rate:.0f} | 1.00 | | | | | |",
	]
	for run in runs:
		lines.append(
			f"| webhooks | {run['workers']} | {run['rate']:.0f} | {run['rate'] / poll_rate:.2f} "
			f"| {run['ack_idle_p50']:.0f} | {run['ack_idle_p99']:.0f} | {run['ack_burst_p50']:.0f} "
			f"| {run['ack_burst_p99']:.0f} | {', '.join(f'{s:.0f}' for s in run['stores_done_seconds'])} |"
		)
	if 1 in by and 2 in by:
		lines += ["", f"2 workers ÷ 1 worker: {by[2]['rate'] / by[1]['rate']:.2f}"]
	lines += [
		"",
		f"Dead letters open: {damage['dead_letters']}; duplicated Sales Orders: {damage['duplicated_orders']}; "
		f"duplicated Customers: {damage['duplicated_customers']}; orders missing: {damage['orders_missing']}",
	]
	return "\n".join(lines)


def run(orders: int = 150, senders: int = 8, idle: int = 20, workers: str = "1,2", stores: int = 2) -> None:
	if not frappe.conf.allow_tests:
		raise RuntimeError("a test site only (allow_tests): the benchmark makes Shopify Stores of its own")
	remove_leftover_jobs()
	frappe.db.commit()
	burst = Run(int(orders), int(senders), int(idle), int(stores))
	try:
		poll_rate = burst.poll()
		runs = [burst.webhooks(int(count)) for count in str(workers).split(",")]
		damage = burst.damage()
	finally:
		burst.bench.stop()
		for shop in burst.shops:
			shop.close()
	result = {"orders": int(orders), "senders": int(senders), "poll_rate": poll_rate, "runs": runs, **damage}
	print(table(poll_rate, runs, damage, int(orders), int(senders)))
	print("BURST_RESULT " + json.dumps(result))
