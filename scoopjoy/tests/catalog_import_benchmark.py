"""Benchmark, bench half: Import Catalog read page by page vs as one bulk query (issue #24).

Why: the import switches to a bulk query from CATALOG_BULK_FROM products; this measures both paths
side by side in one process, on one site, against two simulators (``scoopjoy/tests/simulators/
shopify/``) holding catalogs of the same seeded shape (scoopjoy.tests.catalog_space), each with
Shopify's Standard-plan bucket (2,000 points, 100 a second). Two tables:

1. **reading** the catalog (what the switch is about): the connector's own calls, paged
   (CATALOG_PAGE, with PRODUCT_BY_ID for a product with more than 20 variants) and bulk (start,
   poll every BULK_POLL_SECONDS, download, put the lines back together), at several catalog sizes,
   products per minute and the ratio bulk ÷ pages;
2. the **whole import** of ``products`` products into Items and Item Prices by each path, on its own
   store (the same work for ERPNext: the catalogs have the same shape), products per minute and
   the ratio. Paged goes first in odd rounds, bulk in even ones.

What the simulator does not model: Shopify's own time to run a bulk query, which grows with the
catalog (the simulator completes it on the third read of the operation: after 0.5 + 1 + 2 s of
polling).
The bulk side's reading rate is an upper bound; its waiting is the poll interval.

Test sites only (``allow_tests``). Each run makes its two stores (removed at the end) and its Items
(``BCI<run>-...`` SKUs and SHOPIFY-<id> codes), which stay on the site.

Run: ``python benchmarks/catalog_import.py`` (``bench execute
scoopjoy.tests.catalog_import_benchmark.run --kwargs "{'products': 300}"``).
"""

from __future__ import annotations

import json
import random
import time
from unittest.mock import patch

import frappe

from scoopjoy.connectors.shopify import catalog_import, constants
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.tests.catalog_space import add_catalog, random_catalog
from scoopjoy.tests.test_shopify import ITEM_GROUP, SECRET, TOKEN, _Simulator, point_store_at
from scoopjoy.tests.utils import remove_new_stores

SIZES = (50, 250, 1000, 3000)


def _shop(label: str):
	return _Simulator(
		access_token=TOKEN,
		client_secret=SECRET,
		shop_domain=f"bench-{label}-{frappe.generate_hash(length=6).lower()}.myshopify.com",
	).start()


def _store(shop) -> str:
	return point_store_at(shop, {"new_item_group": ITEM_GROUP, "stock_uom": "Nos", "create_missing_items": 0})


def _read(store: str, bulk: bool) -> tuple[int, float]:
	"""(products read, seconds): the import's reading alone, nothing booked."""
	run = catalog_import.CatalogImport(ShopifyConnector(store=store), restart=True, checkpoints=False)
	run.state["mode"] = "bulk" if bulk else "pages"
	started = time.monotonic()
	if bulk:
		products = run._bulk_products()
	else:
		products = []
		for product in run._paged_products():
			if product["variants"]["pageInfo"]["hasNextPage"]:
				product = catalog_import.fetch_product(run.connector, product["id"].rsplit("/", 1)[1])
			products.append(product)
	return len(products), time.monotonic() - started


def _import(store: str, bulk: bool) -> tuple[dict, float]:
	with patch.object(constants, "CATALOG_BULK_FROM", 0 if bulk else 10**9):
		started = time.monotonic()
		result = catalog_import.import_catalog(store=store, restart=True)
		return result, time.monotonic() - started


def _rate(products: int, seconds: float) -> float:
	return 60.0 * products / seconds if seconds else 0.0


def run(products: int = 300, sizes: tuple[int, ...] = SIZES, rounds: int = 1) -> dict:
	if not frappe.conf.allow_tests:
		frappe.throw("The catalog import benchmark commits Items: run it on a test site (allow_tests).")
	frappe.set_user("Administrator")
	before = set(frappe.get_all(constants.STORE_DOCTYPE, pluck="name"))
	run_id = frappe.generate_hash(length=5).upper()
	shops, reading, imports = [], [], []
	try:
		# 1. reading, both paths on the same simulator and catalog
		for size in sizes:
			shop = _shop("read")
			shops.append(shop)
			add_catalog(shop, random_catalog(random.Random(size), size, sku_prefix=f"BCR{run_id}"))
			store = _store(shop)
			frappe.db.commit()  # nosemgrep: the store is read by the connector's own queries
			paged_n, paged_s = _read(store, bulk=False)
			bulk_n, bulk_s = _read(store, bulk=True)
			assert paged_n == bulk_n == size, (paged_n, bulk_n, size)
			reading.append((size, _rate(size, paged_s), _rate(size, bulk_s)))
			print(f"read {size} products: pages {paged_s:.1f} s, bulk {bulk_s:.1f} s", flush=True)
		# 2. whole imports, each path on its own store with a catalog of the same shape
		for round_no in range(rounds):
			sides = {}
			for bulk in (False, True) if round_no % 2 == 0 else (True, False):
				shop = _shop("bulk" if bulk else "pages")
				shops.append(shop)
				prefix = f"BCI{run_id}{round_no}{'B' if bulk else 'P'}"
				add_catalog(
					shop, random_catalog(random.Random(products + round_no), products, sku_prefix=prefix)
				)
				store = _store(shop)
				frappe.db.commit()  # nosemgrep: as above
				result, seconds = _import(store, bulk)
				assert result["products"] == products and not result.get("failed"), result
				sides[bulk] = (result, seconds)
				print(
					f"import round {round_no + 1}, {'bulk' if bulk else 'pages'}: {products} products, "
					f"{result.get('items_made', 0)} Items made, {seconds:.1f} s",
					flush=True,
				)
			imports.append((_rate(products, sides[False][1]), _rate(products, sides[True][1]), sides))
	finally:
		for shop in shops:
			shop.stop()
		remove_new_stores(before)
		frappe.db.commit()  # nosemgrep: the run's stores go
	versions = {app: frappe.get_attr(f"{app}.__version__") for app in ("frappe", "erpnext")}
	print()
	print(
		f"Catalog import, pages vs bulk query, site {frappe.local.site}, Frappe {versions['frappe']} / "
		f"ERPNext {versions['erpnext']}; Standard bucket (2,000 points, 100/s), bulk polled after "
		f"{constants.BULK_FIRST_POLL_SECONDS:g} s, doubling to every {constants.BULK_POLL_SECONDS:g} s; the import "
		f"switches to bulk from {constants.CATALOG_BULK_FROM} products"
	)
	print(f"{'reading':<28}{'pages/min':>12}{'bulk/min':>12}{'bulk ÷ pages':>14}")
	for size, paged, bulk in reading:
		print(f"{f'{size} products':<28}{paged:>12.0f}{bulk:>12.0f}{bulk / paged:>14.2f}")
	print(f"{'whole import (Items, prices)':<28}{'pages/min':>12}{'bulk/min':>12}{'bulk ÷ pages':>14}")
	for paged, bulk, _sides in imports:
		print(f"{f'{products} products':<28}{paged:>12.1f}{bulk:>12.1f}{bulk / paged:>14.2f}")
	result = {
		"reading": [{"products": s, "pages_per_min": p, "bulk_per_min": b} for s, p, b in reading],
		"imports": [{"products": products, "pages_per_min": p, "bulk_per_min": b} for p, b, _ in imports],
		"bulk_from": constants.CATALOG_BULK_FROM,
	}
	print("CATALOG_RESULT " + json.dumps(result))  # for benchmarks/report.py
	return result
