"""Benchmark (issue #26): a backfill as a person waits for it, against raw ERPNext doing the same
work, with 1 and 2 background workers.

What it does, on a test site (``allow_tests``) of the bench it runs on:

1. The Shopify simulator runs in a process of its own (its CPU is not the workers'), started here
   and driven through a pipe; a Shopify Store points at it. Its cost bucket is made large: the
   wait for Shopify's points is Shopify's (benchmarks/shopify_backfill.py measures it), this
   measures what ERPNext and this app add.
2. Per scenario (*sales orders*: Sales Orders only; *paid*: Sales Order, Sales Invoice and
   Payment Entry) and per worker count, N new orders of two lines with tax and shipping, a new
   buyer every ``NEW_BUYER_EVERY`` orders (a new Customer, its Contact and Address), created on a
   day of their own:
   - **backfill**: a Shopify Backfill of that day (``Parallel Slices``: twice the workers) is started as
     the desk starts it; timed from the start to the moment it is Completed: counting, splitting,
     reading every page from the simulator, importing, on real ``frappe worker`` processes;
   - **raw**: the same documents made by plain ERPNext calls (Customer with its Contact and Address,
     Sales Order insert + submit; paid: ``make_sales_invoice`` and ``get_payment_entry`` insert +
     submit), in as many jobs on the same workers and as the same user (the integration user),
     timed from queueing to the last document.
3. While each runs: the machine's CPU use, each side's processes' CPU (workers, MariaDB, the
   simulator) and MariaDB's row-lock waits, to say what limits a second worker.

It prints one markdown table and a JSON line (``BACKFILL_RESULT {...}``) for benchmarks/report.py.
What it makes stays on the site (names unique per run).

Run through ``python benchmarks/backfill_workers.py`` (it calls ``bench execute`` of :func:`run`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import frappe
from frappe.utils import add_days, nowdate

from scoopjoy.connectors.shopify import backfill as backfills
from scoopjoy.connectors.shopify import constants
from scoopjoy.connectors.shopify.listings import set_listing
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.reliability.runtime import integration_user
from scoopjoy.tests.order_import_benchmark import ORDER_HEADER, rows_of
from scoopjoy.tests.records import test_world
from scoopjoy.tests.setup import remove_leftover_jobs
from scoopjoy.tests.test_shopify import SECRET, TOKEN, point_store_at
from scoopjoy.tests.utils import make_item
from scoopjoy.tests.webhook_burst_benchmark import Bench as Processes

#: a new buyer every this many orders (20 new buyers per 100 orders, as issue #26 measured)
NEW_BUYER_EVERY = 5
LINES = (("CONE", 2, "4.50"), ("TUB", 1, "6.00"))
BIG_BUCKET = 10_000_000.0
RAW_JOB = "scoopjoy.tests.backfill_benchmark.raw_orders"


# --- the simulator, in a process of its own ---------------------------------------------------------


def _serve(conn, shop_domain: str) -> None:
	"""Child process: the simulator; answers ``(command, args)`` messages until told to stop."""
	from scoopjoy.tests.test_shopify import _Simulator

	sim = _Simulator(
		access_token=TOKEN,
		client_secret=SECRET,
		shop_domain=shop_domain,
		bucket_size=BIG_BUCKET,
		restore_rate=BIG_BUCKET,
	).start()
	sim.set_available(BIG_BUCKET)
	conn.send({"url": sim.url, "api_version": sim.api_version, "timezone": sim.iana_timezone})
	buyers: list[dict] = []
	while True:
		command, args = conn.recv()
		if command == "stop":
			break
		if command == "products":
			made = []
			for code, price in args:
				product = sim.add_product(code, variants=[{"sku": code, "price": price, "option": code}])
				made.append(product["variants"][0])
			conn.send(made)
		elif command == "orders":
			variants, count, first, paid, tag = args
			ids = []
			for n in range(count):
				if n % NEW_BUYER_EVERY == 0 or not buyers:
					buyers.append(sim.add_customer("Backfill", f"{tag}{len(buyers) + 1}"))
				order = sim.add_order(
					customer=buyers[-1],
					lines=[
						{"variant": variant["id"], "quantity": qty, "price": price}
						for variant, (_code, qty, price) in zip(variants, LINES, strict=True)
					],
					tax_lines=[{"title": "GST", "rate": 0.05}],
					created_at=first + timedelta(seconds=n * 8 * 3600 // max(count, 1)),
				)
				if paid:
					sim.mark_paid(order["id"])
				ids.append(order["id"])
			conn.send(ids)
		sim.set_available(BIG_BUCKET)
	sim.stop()


class Simulator:
	def __init__(self):
		self.shop_domain = f"backfill-bench-{uuid.uuid4().hex[:8]}.myshopify.com"
		self.conn, child = multiprocessing.Pipe()
		self.process = multiprocessing.get_context("fork").Process(
			target=_serve, args=(child, self.shop_domain), daemon=True
		)
		self.process.start()
		hello = self.conn.recv()
		self.url, self.api_version, self.iana_timezone = hello["url"], hello["api_version"], hello["timezone"]

	def ask(self, command: str, args=None):
		self.conn.send((command, args))
		return self.conn.recv()

	def stop(self) -> None:
		self.conn.send(("stop", None))
		self.process.join(timeout=10)


# --- what is measured while a side runs --------------------------------------------------------------


def _cpu_jiffies(pid: int) -> int:
	try:
		fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
		return int(fields[11]) + int(fields[12])  # utime + stime
	except (OSError, IndexError, ValueError):
		return 0


def _children(pid: int) -> list[int]:
	found = []
	try:
		for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
			found += [int(child), *_children(int(child))]
	except OSError:
		pass
	return found


def _machine_busy() -> tuple[int, int]:
	values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
	idle = values[3] + values[4]
	return sum(values) - idle, sum(values)


def _row_locks() -> tuple[int, int]:
	rows = dict(frappe.db.sql("show global status like 'Innodb_row_lock_%'"))
	return int(rows.get("Innodb_row_lock_waits", 0)), int(rows.get("Innodb_row_lock_time", 0))


def _mysqld_pids() -> list[int]:
	pids = []
	for entry in Path("/proc").iterdir():
		if entry.name.isdigit():
			try:
				if (entry / "comm").read_text().strip() in ("mariadbd", "mysqld"):
					pids.append(int(entry.name))
			except OSError:
				continue
	return pids


def _root_connection():
	"""Reading InnoDB's lock waits needs the PROCESS privilege, which a site's user lacks: the
	database administrator's connection (as the bench tests make sites with), else no lock profile."""
	import pymysql

	try:
		return pymysql.connect(
			host=frappe.conf.db_host or "127.0.0.1",
			port=int(frappe.conf.db_port or 3306),
			user=os.environ.get("SCOOPJOY_DB_ROOT_USER", "root"),
			password=os.environ.get("SCOOPJOY_DB_ROOT_PASSWORD", ""),
			autocommit=True,
		)
	except pymysql.MySQLError:
		return None


class Meter:
	"""CPU seconds of the workers (and what they fork), MariaDB and the simulator; the machine's
	busy share; MariaDB's row-lock waits: taken at the start and the end of one timed side."""

	def __init__(self, workers: list, simulator: Simulator):
		self.groups = {
			"workers": lambda: [p.pid for p in workers] + [c for p in workers for c in _children(p.pid)],
			"mariadb": _mysqld_pids,
			"simulator": lambda: [simulator.process.pid],
		}
		self.ticks = os.sysconf("SC_CLK_TCK")
		self.root = _root_connection()

	def __enter__(self):
		self.started = time.monotonic()
		self.busy0, self.total0 = _machine_busy()
		self.locks0 = _row_locks()
		self.cpu0 = {name: self._cpu(pids()) for name, pids in self.groups.items()}
		self.seen: dict[str, dict[int, int]] = {name: {} for name in self.groups}
		self.lock_samples: dict[str, int] = {}
		return self

	def _cpu(self, pids: list[int]) -> dict[int, int]:
		return {pid: _cpu_jiffies(pid) for pid in pids}

	def sample(self) -> None:
		"""Forked job processes end with their job: their CPU is read while they live. Which rows
		the workers wait for, by table, is counted at each sample (a profile of the row locks)."""
		if self.root is None:
			return
		with self.root.cursor() as cursor:
			cursor.execute(
				"""select requested.lock_table, requested.lock_index, count(*)
				from information_schema.innodb_lock_waits waits
				join information_schema.innodb_locks requested on requested.lock_id = waits.requested_lock_id
				group by requested.lock_table, requested.lock_index"""
			)
			for table, index, waiting in cursor.fetchall():
				key = f"{table.split('.')[-1].strip('`')} ({index})"
				self.lock_samples[key] = self.lock_samples.get(key, 0) + int(waiting)
		for name, pids in self.groups.items():
			for pid, jiffies in self._cpu(pids()).items():
				self.seen[name][pid] = max(jiffies, self.seen[name].get(pid, 0))

	def __exit__(self, *exc):
		self.sample()
		if self.root is not None:
			self.root.close()
		wall = time.monotonic() - self.started
		busy, total = _machine_busy()
		waits, waited_ms = _row_locks()
		self.result = {
			"wall": wall,
			"machine_busy": (busy - self.busy0) / max(total - self.total0, 1),
			"row_lock_waits": waits - self.locks0[0],
			"row_lock_seconds": (waited_ms - self.locks0[1]) / 1000,
			"lock_waits_sampled": dict(sorted(self.lock_samples.items(), key=lambda kv: -kv[1])[:4]),
			**{
				f"cpu_{name}": sum(j - self.cpu0[name].get(pid, 0) for pid, j in self.seen[name].items())
				/ self.ticks
				/ wall
				for name in self.groups
			},
		}


# --- one run -------------------------------------------------------------------------------------


@dataclass
class Side:
	scenario: str
	workers: int
	path: str  # backfill | raw
	orders: int
	seconds: float = 0.0
	meter: dict = field(default_factory=dict)
	check: str = ""

	@property
	def rate(self) -> float:
		return self.orders / self.seconds * 60


class Run:
	def __init__(self, orders: int, paid_orders: int):
		self.n = {"sales orders": orders, "paid": paid_orders}
		self.run_id = uuid.uuid4().hex[:6].upper()
		self.world = test_world()
		self.sim = Simulator()
		self.store = point_store_at(self.sim)
		frappe.db.set_value(
			constants.STORE_DOCTYPE,
			self.store,
			{"create_delivery_note": 0, "shop_timezone": self.sim.iana_timezone, "sync_orders": 0},
		)
		codes = [(f"BF-{self.run_id}-{code}", price) for code, _qty, price in LINES]
		self.variants = self.sim.ask("products", codes)
		for (code, price), variant in zip(codes, self.variants, strict=True):
			make_item(code, self.world.item_group, rate=float(price))
			set_listing(code, self.store, variant_id=variant["legacyResourceId"])
		self.day_offset = 0
		self.processes = Processes()
		frappe.db.commit()

	def close(self) -> None:
		self.processes.stop()
		self.sim.stop()
		frappe.db.set_value(constants.STORE_DOCTYPE, self.store, "enabled", 0)
		frappe.db.commit()

	def next_day(self) -> str:
		"""Each side's orders are created on a day of their own, so each backfill window is its own."""
		self.day_offset += 1
		return add_days(nowdate(), -self.day_offset)

	def wait(self, done, meter: Meter, orders: int) -> float:
		"""Until ``done()``; a side slower than 5 s an order has failed (a job's error is in the log)."""
		deadline = time.monotonic() + 120 + 5 * orders
		while not done():
			if time.monotonic() > deadline:
				raise RuntimeError("the workers did not finish within the timeout")
			meter.sample()
			time.sleep(0.2)
		return time.monotonic()

	def backfill(self, scenario: str, workers: list) -> Side:
		paid = scenario == "paid"
		n = self.n[scenario]
		frappe.db.set_value(constants.STORE_DOCTYPE, self.store, "create_sales_invoice", int(paid))
		day = self.next_day()
		# from 09:00 to 17:00 of the site's day (a backfill's window is the site's days)
		first = backfills.window_bounds(day, day)[0] + timedelta(hours=9)
		ids = [
			legacy_id(gid)
			for gid in self.sim.ask(
				"orders", (self.variants, n, first, paid, f"{self.run_id}{self.day_offset}B")
			)
		]
		doc = frappe.get_doc(
			{
				"doctype": backfills.BACKFILL,
				"shopify_store": self.store,
				"from_date": day,
				"to_date": day,
				"parallel_slices": 2 * len(workers),
			}
		).insert()
		frappe.db.commit()
		side = Side(scenario, len(workers), "backfill", n)
		with Meter(workers, self.sim) as meter:
			began = time.monotonic()
			backfills.start_backfill(doc.name)
			frappe.db.commit()

			def done() -> bool:
				frappe.db.commit()  # a fresh snapshot
				status = frappe.db.get_value(backfills.BACKFILL, doc.name, "status")
				if status == "Failed":
					raise RuntimeError(frappe.db.get_value(backfills.BACKFILL, doc.name, "last_error"))
				return status == "Completed"

			side.seconds = self.wait(done, meter, n) - began
		side.meter = meter.result
		made = frappe.get_all(
			"Sales Order",
			filters={
				"custom_shopify_store": self.store,
				"custom_shopify_order_id": ["in", ids],
				"docstatus": 1,
			},
			pluck="name",
		)
		self.template = made[0]
		side.check = f"{len(made)} of {n} Sales Orders"
		if len(made) != n:
			raise RuntimeError(f"backfill of {scenario}: {side.check}")
		return side

	def raw(self, scenario: str, workers: list) -> Side:
		paid = scenario == "paid"
		n = self.n[scenario]
		tag = f"RAW-{self.run_id}-{self.day_offset}-{scenario[:4]}"
		template = _template(self.template)
		jobs = 2 * len(workers)
		side = Side(scenario, len(workers), "raw", n)
		with Meter(workers, self.sim) as meter:
			began = time.monotonic()
			# each job its own buyers (contiguous blocks of whole buyers), as each slice has its own orders
			buyers = -(-n // NEW_BUYER_EVERY)
			for job in range(jobs):
				first, last = (
					buyers * job // jobs * NEW_BUYER_EVERY,
					buyers * (job + 1) // jobs * NEW_BUYER_EVERY,
				)
				frappe.enqueue(
					RAW_JOB,
					queue="long",
					enqueue_after_commit=True,
					template=template,
					numbers=list(range(first, min(last, n))),
					tag=tag,
					paid=paid,
					cash_account=self.world.cash_account,
				)
			frappe.db.commit()

			def done() -> bool:
				frappe.db.commit()
				return frappe.db.count("Sales Order", {"po_no": ["like", f"{tag}-%"], "docstatus": 1}) >= n

			side.seconds = self.wait(done, meter, n) - began
		side.meter = meter.result
		if paid:
			frappe.db.commit()
			unpaid = frappe.db.count(
				"Sales Invoice",
				{"remarks": ["like", f"{tag}-%"], "docstatus": 1, "outstanding_amount": [">", 0]},
			)
			side.check = f"{n} Sales Orders, {unpaid} unpaid invoices"
		else:
			side.check = f"{n} Sales Orders"
		return side


def _template(sales_order: str) -> dict:
	"""A Sales Order of the backfill, and its customer's Address, as raw ERPNext would make them."""
	so = frappe.get_doc("Sales Order", sales_order)
	customer = frappe.get_doc("Customer", so.customer)
	address = frappe.get_doc("Address", so.customer_address) if so.customer_address else None
	return {
		"customer": {
			key: customer.get(key)
			for key in ("customer_group", "territory", "customer_type", "email_id", "mobile_no")
		},
		"address": {
			key: address.get(key)
			for key in (
				"address_type",
				"address_line1",
				"address_line2",
				"city",
				"state",
				"pincode",
				"country",
				"phone",
			)
		}
		if address
		else None,
		"order": {
			**{
				key: so.get(key)
				for key in (*ORDER_HEADER, "transaction_date")
				if so.get(key) not in (None, "")
			},
			**rows_of(so),
		},
	}


def raw_orders(
	template: dict, numbers: list[int], tag: str, paid: bool, cash_account: str, user: str | None = None
) -> None:
	"""Job of the raw side: orders ``numbers`` of the run, a new Customer (with its Contact and
	Address) every NEW_BUYER_EVERY orders, one commit per order as the backfill does."""
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
	from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

	# as the integration user, whom the backfill's jobs run as: the same permission checks on both
	# sides (for a user other than Administrator they are a good part of ERPNext's own time)
	frappe.set_user(user or integration_user())
	order = template["order"]
	for number in numbers:
		buyer = number // NEW_BUYER_EVERY
		customer = f"{tag} Buyer {buyer}"
		address_name = None
		if not frappe.db.exists("Customer", customer):  # a new buyer: Customer, its Contact, Address
			email = f"{tag.lower()}-{buyer}@example.com" if template["customer"].get("email_id") else None
			frappe.get_doc(
				{"doctype": "Customer", "customer_name": customer, **template["customer"], "email_id": email}
			).insert(set_name=customer)
			if template["address"]:
				address = frappe.get_doc(
					{"doctype": "Address", "address_title": customer, **template["address"]}
				)
				address.append("links", {"link_doctype": "Customer", "link_name": customer})
				address_name = address.insert().name
		else:  # a buyer coming back: their address, as the import finds it
			address_name = frappe.db.get_value(
				"Dynamic Link", {"link_name": customer, "parenttype": "Address"}, "parent"
			)
		so = frappe.get_doc(
			{
				"doctype": "Sales Order",
				**{k: v for k, v in order.items() if k not in ("items", "taxes")},
				"customer": customer,
				"customer_address": address_name,
				"shipping_address_name": address_name,
				"delivery_date": order["transaction_date"],
				"po_no": f"{tag}-{number}",
				"items": [{**row, "delivery_date": order["transaction_date"]} for row in order["items"]],
				"taxes": [dict(row) for row in order["taxes"]],
			}
		)
		so.insert()
		so.submit()
		if paid:
			invoice = make_sales_invoice(so.name)
			invoice.disable_rounded_total = 1
			invoice.remarks = so.po_no
			invoice.insert()
			invoice.submit()
			payment = get_payment_entry("Sales Invoice", invoice.name, bank_account=cash_account)
			payment.reference_no = so.po_no
			payment.reference_date = order["transaction_date"]
			payment.insert()
			payment.submit()
		frappe.db.commit()  # nosemgrep: one order, one transaction, as the backfill commits


# --- the table -----------------------------------------------------------------------------------


def table(sides: list[Side]) -> str:
	by = {(s.scenario, s.path, s.workers): s for s in sides}
	lines = [
		"| scenario | workers | backfill orders/min (incl. fetch) | raw ERPNext orders/min | backfill ÷ raw "
		"| 100k orders take (h) | machine CPU busy | CPU: workers / MariaDB / simulator (cores) | row-lock waits (s) |",
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|",
	]
	for scenario in ("sales orders", "paid"):
		for workers in (1, 2):
			b, r = by.get((scenario, "backfill", workers)), by.get((scenario, "raw", workers))
			if not b or not r:
				continue
			m = b.meter
			lines.append(
				f"| {scenario} | {workers} | {b.rate:.0f} | {r.rate:.0f} | {b.rate / r.rate:.2f} | "
				f"{100_000 / b.rate / 60:.1f} | {m['machine_busy']:.0%} (raw {r.meter['machine_busy']:.0%}) | "
				f"{m['cpu_workers']:.2f} / {m['cpu_mariadb']:.2f} / {m['cpu_simulator']:.2f} "
				f"(raw {r.meter['cpu_workers']:.2f} / {r.meter['cpu_mariadb']:.2f}) | "
				f"{m['row_lock_seconds']:.1f} ({m['row_lock_waits']}; raw {r.meter['row_lock_seconds']:.1f}) |"
			)
	lines.append("")
	for scenario in ("sales orders", "paid"):
		for path in ("backfill", "raw"):
			one, two = by.get((scenario, path, 1)), by.get((scenario, path, 2))
			if one and two:
				lines.append(f"- {scenario}, {path}: 2 workers ÷ 1 worker = {two.rate / one.rate:.2f}")
	return "\n".join(lines)


def run(orders: int = 200, paid_orders: int = 100, workers: str = "1,2") -> None:
	if not frappe.conf.allow_tests:
		raise RuntimeError("a test site only (allow_tests): the benchmark makes a Shopify Store of its own")
	remove_leftover_jobs()
	frappe.set_user("Administrator")
	frappe.db.commit()
	started = time.monotonic()
	bench = Run(int(orders), int(paid_orders))
	sides: list[Side] = []
	try:
		for count in (int(w) for w in str(workers).split(",")):
			started_workers = bench.processes.start_workers(count)
			for scenario in ("sales orders", "paid"):
				for path in ("backfill", "raw"):
					side = getattr(bench, path)(scenario, started_workers)
					sides.append(side)
					print(
						f"{scenario}, {path}, {count} worker(s): {side.orders} orders in {side.seconds:.1f} s = "
						f"{side.rate:.0f}/min; machine busy {side.meter['machine_busy']:.0%}; {side.check}; "
						f"row locks waited for (samples): {side.meter['lock_waits_sampled'] or 'none'}",
						flush=True,
					)
			bench.processes.stop(started_workers)
	finally:
		bench.close()
	versions = {app: frappe.get_attr(f"{app}.__version__") for app in ("frappe", "erpnext")}
	print()
	print(
		f"Backfill vs raw ERPNext, site {frappe.local.site}, Frappe {versions['frappe']} / ERPNext "
		f"{versions['erpnext']}, {os.cpu_count()} cores, {orders} Sales-Order-only and {paid_orders} paid orders a side, "
		f"run {bench.run_id}, {time.monotonic() - started:.0f} s in all"
	)
	print(table(sides))
	print(
		"BACKFILL_RESULT "
		+ json.dumps(
			[
				{
					"scenario": s.scenario,
					"workers": s.workers,
					"path": s.path,
					"orders": s.orders,
					"seconds": s.seconds,
					"rate": s.rate,
					**s.meter,
				}
				for s in sides
			]
		)
	)


# --- where the time goes ---------------------------------------------------------------------------


def profile(
	orders: int = 100, paid: int = 0, top: int = 25, as_integration_user: int = 1, dump_to: str = ""
) -> None:
	"""One backfill (one slice, in this process) and raw ERPNext making the same documents, each
	under cProfile, with their SQL statements counted: what the backfill does per order that raw
	ERPNext does not. Prints both sides' wall time and the functions with most own time; with
	``dump_to``, also writes each side's profile there (``<dump_to>.backfill``, ``.raw``) for pstats."""
	import cProfile
	import io
	import pstats

	from scoopjoy.tests.order_import_benchmark import QueryCounter

	if not frappe.conf.allow_tests:
		raise RuntimeError("a test site only (allow_tests)")
	frappe.set_user("Administrator")
	bench = Run(int(orders), int(orders))
	scenario = "paid" if int(paid) else "sales orders"
	try:
		frappe.db.set_value(constants.STORE_DOCTYPE, bench.store, "create_sales_invoice", int(paid))
		day = bench.next_day()
		first = backfills.window_bounds(day, day)[0] + timedelta(hours=9)
		bench.sim.ask("orders", (bench.variants, int(orders), first, bool(int(paid)), f"{bench.run_id}P"))
		doc = frappe.get_doc(
			{
				"doctype": backfills.BACKFILL,
				"shopify_store": bench.store,
				"from_date": day,
				"to_date": day,
				"parallel_slices": 1,
			}
		).insert()
		frappe.db.commit()
		sides = {}
		with QueryCounter() as counter:
			for side in ("backfill", "raw"):
				if int(as_integration_user):  # whom the jobs run as (raw_orders sets it itself)
					frappe.set_user(integration_user())
				profiler = cProfile.Profile()
				began = time.perf_counter()
				profiler.enable()
				if side == "backfill":
					backfills.run_backfill(doc.name)
					bench.template = frappe.get_all(
						"Sales Order", {"custom_shopify_store": bench.store}, pluck="name", limit=1
					)[0]
				else:
					raw_orders(
						_template(bench.template),
						list(range(int(orders))),
						f"RAW-{bench.run_id}-P",
						bool(int(paid)),
						bench.world.cash_account,
						user=None if int(as_integration_user) else "Administrator",
					)
				profiler.disable()
				frappe.set_user("Administrator")
				sides[side] = (time.perf_counter() - began, counter.take(), profiler)
	finally:
		bench.close()
	for side, (seconds, statements, profiler) in sides.items():
		if dump_to:
			profiler.dump_stats(f"{dump_to}.{side}")
		out = io.StringIO()
		pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
		print(
			f"\n## {side}, {scenario}: {orders} orders in {seconds:.1f} s = {int(orders) / seconds * 60:.0f}/min, "
			f"{statements / int(orders):.0f} SQL statements an order"
		)
		print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])
	backfill_profile = sides["backfill"][2]
	stats = pstats.Stats(backfill_profile)
	entries = [
		(cumulative, calls, f"{filename.rsplit('/scoopjoy/', 1)[-1]}:{line} {function}")
		for (filename, line, function), (calls, _nc, _tt, cumulative, _callers) in stats.stats.items()
		if "/scoopjoy/" in filename and "/tests/" not in filename
	]
	print("\n## backfill, this app's functions by cumulative seconds")
	for cumulative, calls, where in sorted(entries, reverse=True)[:top]:
		print(f"{cumulative:8.2f} s {calls:6d} calls  {where}")
	out = io.StringIO()
	pstats.Stats(backfill_profile, stream=out).sort_stats("cumulative").print_callees(
		"apply_order|_create_sales_order|_customer_for"
	)
	print("\n## backfill, what the import's steps call")
	print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:12000])
