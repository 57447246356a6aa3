"""Benchmark, bench half: Shopify order import vs raw ERPNext insert + submit of the same documents.

Why: issue #13 asks what the import costs on top of the ERPNext work it cannot avoid. Absolute
orders/s depend on the machine and whatever else it runs; a ratio measured side by side in one
process, on one site, with the two sides interleaved, does not. So, in this process:

- import: ``orders.apply_order`` on order nodes fetched from the project's Shopify simulator
  (``scoopjoy/tests/simulators/shopify/``, started in this process), one commit per order as a job does;
- raw: ``frappe.get_doc({...Sales Order...}).insert(); .submit()`` of an equivalent Sales Order
  (same customer, address, items, rates, tax and shipping rows, copied from an imported one), one
  commit per order;

for two scenarios: **sales orders** (unpaid orders, create_sales_invoice off: Sales Order only) and
**paid orders** (the Shopify Store's create_sales_invoice on: Sales Order + Sales Invoice + Payment
Entry, against raw ``make_sales_invoice`` and ``get_payment_entry`` insert + submit). Each scenario
starts with a warm-up on both sides (not counted; the import's warm-up also creates the run's
Customer and Address, so the timed imports find them as a steady stream of orders does), then
``rounds`` rounds of ``batch`` orders per side. Within a round the two sides take turns order by
order (import, raw, raw, import, ...: who goes first flips every pair), each order timed on its
own. Other work on a shared machine (and other tests on the same site, waiting on the same rows)
comes and goes within seconds: whole batches of one side at a time (tried first) gave round ratios
from 0.4 to 1.0, and one order stalled for a second moves a sum of twenty. So a side's orders/s in
a round is 1 ÷ its median seconds per order, and the round's ratio import ÷ raw is raw's median ÷
import's median. The table gives the medians over the rounds, the spread of the round ratios and
the SQL statements per order of each side (counted on ``frappe.db.sql``; they do not depend on
load); the line under it gives plain throughput (orders ÷ summed seconds) of all timed orders, stalls
included.

Fetching is not ERPNext work: each import batch's nodes are fetched before its timer starts (one
OneOrder query per order, as ``sync_order`` does). The fetch is timed too and the "incl. fetch"
column adds it. The simulator's cost bucket is made large so the fetch never waits for rate-limit
points (that wait is Shopify's, measured by benchmarks/shopify_backfill.py).

Nothing shared is rewritten: the run's own Shopify Store is made for it, changed in memory only and handed to
``apply_order`` (tests running on the same site keep theirs). Every run makes its own Items
(``BENCH-<run>-...``), simulator (own shop domain, ids and customer) and so its own ERPNext
Customer; its documents are committed and stay on the site.

When an import ratio is below its goal, one more order of that scenario is imported under cProfile
and the ten scoopjoy functions with the most cumulative time are printed.

Run: ``bench --site <site> execute scoopjoy.tests.order_import_benchmark.run
[--kwargs "{'rounds': 5, 'batch': 20}"]`` or ``python benchmarks/order_import.py``.
Test sites only (``allow_tests``), with ERPNext's setup done (run any scoopjoy bench test once).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
import uuid
from dataclasses import dataclass, field

import frappe
from frappe.utils import nowdate

from scoopjoy.connectors.shopify import constants, orders, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.listings import set_listing
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.tests.records import test_world
from scoopjoy.tests.test_shopify import SECRET, TOKEN, _company_defaults, _Simulator
from scoopjoy.tests.utils import make_item

SETTINGS = constants.SETTINGS_DOCTYPE
#: the order every batch imports: two lines, an order-level tax and the default shipping line
LINES = (("CONE", 2, "4.50"), ("TUB", 1, "6.00"))
TAX_LINES = [{"title": "GST", "rate": 0.05}]
#: ratio goals from issue #13
GOALS = {"sales orders": 0.90, "paid orders": 0.85}
#: a bucket no benchmark batch drains: the fetch never waits for Shopify's restore rate
BIG_BUCKET = 10_000_000.0


@dataclass
class Scenario:
	label: str  # "sales orders" / "paid orders"
	paid: bool
	import_rates: list[float] = field(default_factory=list)  # orders/s, apply only
	import_with_fetch_rates: list[float] = field(default_factory=list)
	raw_rates: list[float] = field(default_factory=list)
	ratios: list[float] = field(default_factory=list)  # per round, import ÷ raw
	import_queries: list[int] = field(default_factory=list)  # SQL statements, per order
	raw_queries: list[int] = field(default_factory=list)
	import_seconds: list[float] = field(default_factory=list)  # every timed order
	raw_seconds: list[float] = field(default_factory=list)
	fetch_seconds: float = 0.0
	check: str = ""

	@property
	def goal(self) -> float:
		return GOALS[self.label]

	def row(self) -> dict:
		return {
			"scenario": self.label,
			"import": statistics.median(self.import_rates),
			"import_with_fetch": statistics.median(self.import_with_fetch_rates),
			"raw": statistics.median(self.raw_rates),
			"ratio": statistics.median(self.ratios),
			"ratio_min": min(self.ratios),
			"ratio_max": max(self.ratios),
			"import_queries": statistics.median(self.import_queries),
			"raw_queries": statistics.median(self.raw_queries),
			"goal": self.goal,
			"check": self.check,
			"import_throughput": len(self.import_seconds) / sum(self.import_seconds),
			"raw_throughput": len(self.raw_seconds) / sum(self.raw_seconds),
			"fetch_per_order": self.fetch_seconds / len(self.import_seconds),
		}

	def throughput(self) -> str:
		r = self.row()
		return (
			f"{self.label}, all {len(self.import_seconds)} + {len(self.raw_seconds)} timed orders summed: import "
			f"{r['import_throughput']:.2f}/s, raw {r['raw_throughput']:.2f}/s, ratio "
			f"{r['import_throughput'] / r['raw_throughput']:.3f}; fetch {r['fetch_per_order'] * 1000:.0f} ms/order"
		)


#: the Sales Order fields a raw side copies from an imported order (besides its customer)
ORDER_HEADER = (
	"company",
	"order_type",
	"currency",
	"conversion_rate",
	"selling_price_list",
	"price_list_currency",
	"plc_conversion_rate",
	"ignore_pricing_rule",
	"disable_rounded_total",
	"set_warehouse",
	"cost_center",
	"apply_discount_on",
	"discount_amount",
)


def rows_of(so) -> dict:
	"""The item and tax rows of a Sales Order as a raw side makes them again."""
	return {
		"items": [
			{
				"item_code": row.item_code,
				"item_name": row.item_name,
				"qty": row.qty,
				"rate": row.rate,
				"price_list_rate": row.price_list_rate,
				"warehouse": row.warehouse,
			}
			for row in so.items
		],
		"taxes": [
			{
				"charge_type": row.charge_type,
				"account_head": row.account_head,
				"description": row.description,
				"tax_amount": row.tax_amount,
				"cost_center": row.cost_center,
			}
			for row in so.taxes
		],
	}


class QueryCounter:
	"""Counts the SQL statements this process sends (every frappe.db helper goes through ``sql``)."""

	def __init__(self):
		self.count = 0
		self._sql = None

	def __enter__(self):
		self._sql = sql = frappe.db.sql

		def counted(*args, **kwargs):
			self.count += 1
			return sql(*args, **kwargs)

		frappe.db.sql = counted
		return self

	def __exit__(self, *exc):
		frappe.db.sql = self._sql

	def take(self) -> int:
		count, self.count = self.count, 0
		return count


class Bench:
	"""One run's world: Items, a simulator with one customer, Settings in memory, a connector."""

	def __init__(self):
		self.run_id = uuid.uuid4().hex[:8].upper()
		self.world = test_world()
		self.sim = _Simulator(
			access_token=TOKEN,
			client_secret=SECRET,
			shop_domain=f"bench-{self.run_id.lower()}.myshopify.com",
			bucket_size=BIG_BUCKET,
			restore_rate=BIG_BUCKET,
		).start()
		self.sim.set_available(BIG_BUCKET)
		self.settings = self._settings()
		self.variants = []
		for suffix, _qty, price in LINES:
			code = f"BENCH-{self.run_id}-{suffix}"
			product = self.sim.add_product(code, variants=[{"sku": code, "price": price, "option": code}])
			variant = product["variants"][0]
			make_item(code, self.world.item_group, rate=float(price))
			set_listing(code, self.settings.name, variant_id=variant["legacyResourceId"])
			self.variants.append(variant)
		self.customer = self.sim.add_customer("BENCH", self.run_id)
		self.connector = ShopifyConnector(self.settings)
		self.connector.breaker.reset()
		self.connector.transport.rate_limiter.reset()
		self.raw_template: dict | None = None
		self.raw_count = 0
		self.imported: list[str] = []
		self.raw_orders: list[str] = []
		frappe.db.commit()

	def _settings(self):
		"""A Shopify Store of this run (its documents link to it), pointed at this run's simulator and
		the test company; what the sides differ in is changed in memory only."""
		settings = frappe.new_doc(SETTINGS)
		settings.update(
			{
				**_company_defaults(),  # what the Shopify bench tests import with
				"enabled": 1,
				"sandbox_mode": 1,
				"shop_domain": self.sim.shop_domain,
				"api_url": self.sim.url,
				"api_version": self.sim.api_version,
				"access_token": TOKEN,
				"client_secret": SECRET,
				"cost_center": None,
				"default_customer": None,
				"sales_order_naming_series": None,
				"create_sales_invoice": 0,
				"create_delivery_note": 0,
				"skip_test_orders": 0,
				"shop_timezone": self.sim.iana_timezone,  # as a first import would have stored it
			}
		)
		settings.book_in = "Shop currency"
		settings.set("tax_accounts", [])  # every tax on the default Tax Account
		settings.insert(ignore_permissions=True)
		return settings

	def close(self) -> None:
		self.sim.stop()
		frappe.db.set_value(SETTINGS, self.settings.name, "enabled", 0)  # its documents keep their link

	# --- the import side ---------------------------------------------------------------------------

	def shopify_orders(self, n: int, paid: bool) -> list[dict]:
		made = []
		for _ in range(n):
			order = self.sim.add_order(
				customer=self.customer,
				lines=[
					{"variant": variant["id"], "quantity": qty, "price": price}
					for variant, (_suffix, qty, price) in zip(self.variants, LINES, strict=True)
				],
				tax_lines=TAX_LINES,
			)
			if paid:
				self.sim.mark_paid(order["id"])
			made.append(order)
		return made

	def fetch(self, order: dict) -> dict:
		"""The order's current state, as ``sync_order`` reads it."""
		data = self.connector.query(
			queries.ORDER_BY_ID,
			{"id": order["id"], "lineItems": constants.LINE_ITEMS_PER_ORDER},
			operation="OneOrder",
			reference=("Sales Order", legacy_id(order["id"])),
		)
		return data["order"]

	def fetch_batch(self, n: int, paid: bool) -> tuple[list[dict], float]:
		"""n new orders in the simulator, fetched; returns (nodes, seconds fetching)."""
		made = self.shopify_orders(n, paid)
		frappe.db.commit()
		started = time.perf_counter()
		nodes = [self.fetch(order) for order in made]
		frappe.db.commit()  # the call log rows
		return nodes, time.perf_counter() - started

	def import_one(self, node: dict, paid: bool) -> float:
		"""Apply one fetched order and commit, as the job does; returns the seconds it took."""
		self.settings.create_sales_invoice = 1 if paid else 0
		started = time.perf_counter()
		result = orders.apply_order(node, self.settings, self.connector)
		frappe.db.commit()
		elapsed = time.perf_counter() - started
		if result.action != "created":
			raise RuntimeError(f"import of {node['name']} gave {result.action!r}: {result.reason}")
		self.imported.append(result.sales_order)
		return elapsed

	# --- the raw side ------------------------------------------------------------------------------

	def template_from(self, sales_order: str) -> None:
		"""The raw side's Sales Order: the same fields, rows and amounts as an imported one."""
		so = frappe.get_doc("Sales Order", sales_order)
		header = ("customer", "customer_address", "shipping_address_name", *ORDER_HEADER)
		self.raw_template = {
			"doctype": "Sales Order",
			**{key: so.get(key) for key in header if so.get(key) not in (None, "")},
			**rows_of(so),
		}
		self.imported_total = so.grand_total

	def raw_order(self, paid: bool) -> str:
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
		from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

		self.raw_count += 1
		today = nowdate()
		so = frappe.get_doc(
			{
				**self.raw_template,
				"transaction_date": today,
				"delivery_date": today,
				"po_no": f"BENCH-RAW-{self.run_id}-{self.raw_count}",
				"items": [{**row, "delivery_date": today} for row in self.raw_template["items"]],
				"taxes": [dict(row) for row in self.raw_template["taxes"]],
			}
		)
		so.insert()
		so.submit()
		if paid:
			invoice = make_sales_invoice(so.name)
			invoice.disable_rounded_total = 1
			invoice.insert()
			invoice.submit()
			payment = get_payment_entry("Sales Invoice", invoice.name, bank_account=self.world.cash_account)
			payment.reference_no = so.po_no
			payment.reference_date = today
			payment.insert()
			payment.submit()
		return so.name

	def raw_one(self, paid: bool) -> float:
		started = time.perf_counter()
		name = self.raw_order(paid)
		frappe.db.commit()
		elapsed = time.perf_counter() - started
		self.raw_orders.append(name)
		return elapsed

	# --- checks ------------------------------------------------------------------------------------

	def check(self, names: list[str], paid: bool) -> str:
		"""Both sides made the same documents: submitted, the same grand total, paid when paid."""
		imported = [n for n in self.imported if n in set(names)]
		raw = [n for n in self.raw_orders if n in set(names)]
		totals = set(frappe.get_all("Sales Order", filters={"name": ["in", names]}, pluck="grand_total"))
		statuses = set(frappe.get_all("Sales Order", filters={"name": ["in", names]}, pluck="docstatus"))
		problems = []
		if statuses != {1}:
			problems.append(f"docstatus {sorted(statuses)}")
		if len(totals) != 1:
			problems.append(f"grand totals differ: {sorted(totals)}")
		invoiced = frappe.db.count("Sales Invoice Item", {"sales_order": ["in", names], "docstatus": 1})
		if not paid and invoiced:
			problems.append(f"{invoiced} Sales Invoice rows for orders that should have none")
		if paid:
			unpaid = frappe.db.count(
				"Sales Invoice",
				{
					"docstatus": 1,
					"outstanding_amount": [">", 0],
					"name": [
						"in",
						frappe.get_all(
							"Sales Invoice Item",
							filters={"sales_order": ["in", names]},
							pluck="parent",
							distinct=True,
						)
						or [""],
					],
				},
			)
			invoices = frappe.db.count(
				"Sales Invoice Item", {"sales_order": ["in", names], "docstatus": 1, "idx": 1}
			)
			if invoices != len(names) or unpaid:
				problems.append(f"{invoices} invoices for {len(names)} orders, {unpaid} unpaid")
		total = next(iter(totals)) if len(totals) == 1 else None
		summary = f"{len(imported)} imported + {len(raw)} raw, all submitted, grand total {total} each"
		if paid:
			summary += ", each with a paid invoice"
		return summary if not problems else "MISMATCH: " + "; ".join(problems)


def _profile_one(bench: Bench, paid: bool) -> str:
	"""Import one more order under cProfile; the ten scoopjoy functions with most cumulative time."""
	[node], _seconds = bench.fetch_batch(1, paid)
	bench.settings.create_sales_invoice = 1 if paid else 0
	profiler = cProfile.Profile()
	profiler.enable()
	orders.apply_order(node, bench.settings, bench.connector)
	profiler.disable()
	frappe.db.commit()
	stats = pstats.Stats(profiler)
	total = max(stats.total_tt, 1e-9)
	entries = []
	for (filename, line, function), (calls, _nc, _tt, cumulative, _callers) in stats.stats.items():
		if "/scoopjoy/" in filename.replace("\\", "/") and "/tests/" not in filename.replace("\\", "/"):
			short = filename.replace("\\", "/").rsplit("/scoopjoy/", 1)[-1]
			entries.append((cumulative, calls, f"{short}:{line} {function}"))
	entries.sort(reverse=True)
	out = io.StringIO()
	out.write(f"cProfile of one import ({'paid' if paid else 'sales order'}), {total:.3f} s in all:\n")
	out.write("| cumulative s | share | calls | scoopjoy function |\n|---:|---:|---:|---|\n")
	for cumulative, calls, where in entries[:10]:
		out.write(f"| {cumulative:.4f} | {cumulative / total:.0%} | {calls} | `{where}` |\n")
	return out.getvalue()


def markdown(rows: list[dict]) -> str:
	lines = [
		"| scenario | import orders/s | import incl. fetch orders/s | raw ERPNext orders/s | import ÷ raw "
		"| goal | per-round ratios | SQL per order import / raw |",
		"|---|---:|---:|---:|---:|---:|---|---:|",
	]
	for r in rows:
		lines.append(
			f"| {r['scenario']} | {r['import']:.2f} | {r['import_with_fetch']:.2f} | {r['raw']:.2f} | "
			f"{r['ratio']:.3f} | ≥ {r['goal']:.2f} | {r['ratio_min']:.3f}–{r['ratio_max']:.3f} | "
			f"{r['import_queries']:.0f} / {r['raw_queries']:.0f} |"
		)
	return "\n".join(lines)


def measure_round(bench: Bench, scenario: Scenario, batch: int, round_no: int, queries: QueryCounter):
	"""One round: ``batch`` orders per side, taking turns; returns (import, raw) median seconds."""
	nodes, fetch_s = bench.fetch_batch(batch, scenario.paid)
	imports, raws = [], []
	queries.take()
	for i, node in enumerate(nodes):
		for side in ("import", "raw") if (i + round_no) % 2 == 0 else ("raw", "import"):
			if side == "import":
				imports.append(bench.import_one(node, scenario.paid))
				scenario.import_queries.append(queries.take())
			else:
				raws.append(bench.raw_one(scenario.paid))
				scenario.raw_queries.append(queries.take())
	import_s, raw_s = statistics.median(imports), statistics.median(raws)
	scenario.import_rates.append(1 / import_s)
	scenario.import_with_fetch_rates.append(1 / (import_s + fetch_s / batch))
	scenario.raw_rates.append(1 / raw_s)
	scenario.ratios.append(raw_s / import_s)
	scenario.import_seconds += imports
	scenario.raw_seconds += raws
	scenario.fetch_seconds += fetch_s
	return import_s, raw_s


def run(rounds: int = 5, batch: int = 20, warmup: int = 3, profile: bool | None = None) -> dict:
	"""Measure both scenarios, print the table, return the rows. ``profile``: None profiles a
	scenario whose ratio is below its goal, True always, False never."""
	if not frappe.conf.allow_tests:
		frappe.throw("The order import benchmark commits documents: run it on a test site (allow_tests).")
	if not frappe.is_setup_complete():
		frappe.throw("ERPNext's setup is not done on this site: run a scoopjoy bench test on it once first.")
	frappe.set_user("Administrator")
	started = time.monotonic()
	bench = Bench()
	scenarios = [Scenario("sales orders", paid=False), Scenario("paid orders", paid=True)]
	profiles = []
	try:
		for scenario in scenarios:
			before_import, before_raw = len(bench.imported), len(bench.raw_orders)
			nodes, _seconds = bench.fetch_batch(warmup, scenario.paid)
			for node in nodes:  # the first also makes the run's Customer and its Address
				bench.import_one(node, scenario.paid)
				if bench.raw_template is None:
					bench.template_from(bench.imported[-1])
				bench.raw_one(scenario.paid)
			with QueryCounter() as queries:
				for round_no in range(rounds):
					import_s, raw_s = measure_round(bench, scenario, batch, round_no, queries)
					print(
						f"{scenario.label}, round {round_no + 1}/{rounds}: median s/order import "
						f"{import_s:.3f}, raw {raw_s:.3f}, ratio {raw_s / import_s:.3f}",
						flush=True,
					)
			names = bench.imported[before_import:] + bench.raw_orders[before_raw:]
			scenario.check = bench.check(names, scenario.paid)
			if profile or (profile is None and statistics.median(scenario.ratios) < scenario.goal):
				profiles.append(_profile_one(bench, scenario.paid))
	finally:
		bench.close()
	rows = [scenario.row() for scenario in scenarios]
	versions = {app: frappe.get_attr(f"{app}.__version__") for app in ("frappe", "erpnext")}
	print()
	print(
		f"Order import vs raw ERPNext insert+submit, site {frappe.local.site}, Frappe {versions['frappe']} / "
		f"ERPNext {versions['erpnext']}, {rounds} rounds x {batch} orders per side (medians), warm-up "
		f"{warmup} per side, run {bench.run_id}"
	)
	print(markdown(rows))
	print()
	for scenario in scenarios:
		print(scenario.throughput())
	for scenario in scenarios:
		print(f"{scenario.label}: {scenario.check}")
	print(
		"import = orders.apply_order on nodes fetched before the timer (one OneOrder query per order, "
		"loopback simulator, no rate-limit waits); incl. fetch adds that fetch. Sides alternate order by "
		"order, one commit per order on both; orders/s = 1 / median seconds per order. "
		f"Took {time.monotonic() - started:.0f} s."
	)
	for text in profiles:
		print()
		print(text, end="")
	return {"run": bench.run_id, "rows": rows}
