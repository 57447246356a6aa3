"""Import Catalog: every product and variant of a store becomes ERPNext Items, with prices.

The same rules as an order's unmapped variant (items.items_of_product): an Item found by the
variant's id in the store, else claimed by its SKU, else made (one Item for a product without
options; a template and its variants otherwise; 140-character names, the store's ids kept in the
Item's listing). Each variant's price goes into the store's Price List as an Item Price, unless
ERPNext publishes that product (Publish Products: ERPNext is then the source of its prices).

Small catalogs are read a page at a time (queries.CATALOG_PAGE); from CATALOG_BULK_FROM products,
as one bulk query whose JSONL result is read from the signed URL Shopify gives (without our token:
the file lives on another host) and put back together by kernel.bulk.

Resumable and idempotent: products come in id order and each product's Items are committed with
the import's checkpoint (the last product id done, the page cursor, the bulk operation id) on the
Shopify Store, so an import that is killed goes on after the last product it committed, reusing
the same bulk result. Running it again finds every Item and changes only prices that moved. A
product that cannot become Items is a dead letter of its own (retry: import_product) and the
import goes on.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import frappe
from frappe import _
from frappe.utils import flt, now_datetime

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.graphql_client import raise_user_errors
from scoopjoy.connectors.shopify.items import (
	_fresh_retry,
	_published_from_erpnext,
	fetch_product,
	items_of_product,
	lock_product,
	product_job_key,
	require_item_group,
)
from scoopjoy.connectors.shopify.listings import item_of_variant
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.connectors.shopify.stores import keyed
from scoopjoy.kernel.bulk import assemble
from scoopjoy.kernel.errors import AuthError, ConfigError, FailureType, RecordError, TransientError
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.reliability.call_log import write_call_record
from scoopjoy.reliability.dead_letters import record_dead_letter, resolve_dead_letter
from scoopjoy.reliability.errors import classify
from scoopjoy.reliability.jobs import enqueue_integration_job, job_id_for
from scoopjoy.reliability.progress import report

IMPORT_JOB = "scoopjoy.connectors.shopify.catalog_import.import_catalog"
IMPORT_PRODUCT_JOB = "scoopjoy.connectors.shopify.catalog_import.import_product"
PROGRESS_KIND = "shopify-catalog"
STATE_FIELD = "catalog_import_state"
#: where a bulk result's nested lines go back (kernel.bulk.assemble)
NESTED = {"ProductVariant": ("Product", "variants")}
RUNNING = ("CREATED", "RUNNING")
#: Shopify runs a few bulk queries per app and shop at once (one before API 2026-01:
#: OPERATION_IN_PROGRESS; five since: LIMIT_REACHED); another start waits for one to end
BUSY = ("OPERATION_IN_PROGRESS", "LIMIT_REACHED")


def progress_kind(store: str) -> str:
	return f"{PROGRESS_KIND}:{store}"


def queue_catalog_import(store: str, restart: bool = False) -> bool:
	"""The one way an import is queued (one per store at a time)."""
	queued = enqueue_integration_job(
		IMPORT_JOB,
		connector=constants.SERVICE_NAME,
		job_key=keyed(store, "import-catalog"),
		queue="long",
		timeout=constants.CATALOG_IMPORT_TIMEOUT,
		store=store,
		restart=restart,
	)
	if queued:
		report(progress_kind(store), 0, 0, _("Queued: waiting for a background worker"), status="Queued")
	return queued


def import_catalog(store: str | None = None, restart: bool = False) -> dict:
	"""Job: import the store's catalog, going on from the last checkpoint unless ``restart``."""
	connector = ShopifyConnector(store=store)
	try:
		return CatalogImport(connector, restart=bool(restart)).run()
	except Exception as error:
		frappe.db.rollback()
		report(
			progress_kind(connector.store),
			0,
			0,
			str(error).splitlines()[0][:300] if str(error) else type(error).__name__,
			status="Failed",
		)
		raise


def import_product(product_id: str, store: str | None = None) -> dict:
	"""Job (a dead letter's retry): one product read again and imported like the catalog does."""
	connector = ShopifyConnector(store=store)
	run = CatalogImport(connector, restart=True, checkpoints=False)
	product = fetch_product(connector, product_id)
	if not product:
		raise RecordError(
			f"Shopify product {product_id} no longer exists, so no Item can be made of it.",
			service=constants.SERVICE_NAME,
		)
	run.apply_product(product, dead_letter=False)
	return dict(run.counts)


class CatalogImport:
	def __init__(self, connector: ShopifyConnector, restart: bool = False, checkpoints: bool = True):
		self.connector = connector
		self.settings = connector.settings
		self.store = connector.store
		self.checkpoints = checkpoints
		require_item_group(self.settings)
		self.state = {} if restart else _load_state(self.settings)
		self.counts: Counter = Counter(self.state.get("counts") or {})
		self.price_errors: list[str] = []
		self.price_list, self.prices_off = self._price_list()

	# --- the run ----------------------------------------------------------------------------------

	def run(self) -> dict:
		if "mode" not in self.state:
			total = self._product_count()
			self.state.update(
				mode="bulk" if total >= constants.CATALOG_BULK_FROM else "pages",
				total=total,
				started_at=str(now_datetime()),
			)
			self._save()
		self._progress()
		products = self._bulk_products() if self.state["mode"] == "bulk" else self._paged_products()
		last = int(self.state.get("last_id") or 0)
		for product in products:
			if int(legacy_id(product["id"])) <= last:
				continue  # committed before this run was killed
			self.apply_product(product)
			last = int(legacy_id(product["id"]))
			self.state["last_id"] = last
			self._save()
			self._progress()
		result = {**dict(self.counts), "mode": self.state["mode"]}
		if self.prices_off:
			result["prices_skipped"] = self.prices_off
		if self.price_errors:
			result["prices_refused"] = self.price_errors[:20]
		frappe.db.set_value(
			constants.STORE_DOCTYPE,
			self.store,
			{STATE_FIELD: None, "last_catalog_import_at": now_datetime()},
			update_modified=False,
		)
		frappe.db.commit()  # nosemgrep: the import is done; its checkpoint goes with it
		self._progress(status="Completed", result=result)
		return result

	def apply_product(self, product: dict, dead_letter: bool = True) -> None:
		"""One product's Items and prices, committed as one unit with the checkpoint."""
		product_id = legacy_id(product["id"])
		if ((product.get("variants") or {}).get("pageInfo") or {}).get("hasNextPage"):
			product = fetch_product(self.connector, product_id) or product  # more variants than a page reads
		dedup_key = job_id_for(constants.SERVICE_NAME, product_job_key(self.store, product_id))
		try:
			made, linked, prices = _fresh_retry(self._items_and_prices, product)
		except Exception as error:
			# this product's fault (ERPNext refused an Item, a template's attributes): its own dead
			# letter, the import goes on; anything else stops the import at its checkpoint
			if classify(error) is not FailureType.RECORD:
				raise
			frappe.db.rollback()
			if not dead_letter:
				raise
			record_dead_letter(
				connector=constants.SERVICE_NAME,
				job=IMPORT_PRODUCT_JOB,
				payload={"product_id": product_id, "store": self.store},
				error=error,
				dedup_key=dedup_key,
				external_id=product_id,
			)
			self.counts["failed"] += 1
		else:
			resolve_dead_letter(dedup_key)
			self.counts["products"] += 1
			self.counts["items_made"] += made
			self.counts["items_found"] += linked
			self.counts.update(prices)
		self.state["counts"] = dict(self.counts)

	def _items_and_prices(self, product: dict) -> tuple[int, int, Counter]:
		lock_product(self.store, legacy_id(product["id"]))
		found = items_of_product(product, self.settings)
		prices: Counter = Counter()
		by_variant = {legacy_id(v["id"]): v for v in (product.get("variants") or {}).get("nodes") or []}
		items = list(found.by_variant.values())
		if self.price_list and items and not _published_from_erpnext(items, self.settings):
			for variant_id, item_code in found.by_variant.items():
				if item_of_variant(self.store, variant_id) != item_code:
					# a SKU another variant shares: the variant listed on the Item sets its price, so
					# two prices never take turns
					prices["price_shared_sku"] += 1
					continue
				prices[self._price(item_code, by_variant[variant_id].get("price"))] += 1
		linked = len([i for i in items if i not in found.made])
		return len(found.made), linked, prices

	def _price(self, item_code: str, price) -> str:
		"""One Item Price; one ERPNext refuses is counted and named, the Items stay made."""
		frappe.db.savepoint("shopify_catalog_price")
		try:
			return _set_price(item_code, self.price_list, price)
		except frappe.ValidationError as error:
			frappe.db.rollback(save_point="shopify_catalog_price")
			frappe.clear_last_message()
			self.price_errors.append(f"{item_code}: {frappe.utils.strip_html(str(error))[:200]}")
			return "price_refused"

	# --- reading the catalog ----------------------------------------------------------------------

	def _product_count(self) -> int:
		data = self.connector.query(queries.CATALOG_COUNTS, operation="CatalogCounts")
		return int(((data.get("productsCount") or {}).get("count")) or 0)

	def _paged_products(self):
		"""Pages of products in id order, from the page the last run was in."""
		after = self.state.get("after")
		while True:
			data = self.connector.query(
				queries.CATALOG_PAGE,
				{"first": constants.CATALOG_PAGE_SIZE, "after": after},
				operation="CatalogPage",
			)
			page = data.get("products") or {}
			yield from page.get("nodes") or []
			info = page.get("pageInfo") or {}
			if not info.get("hasNextPage"):
				return
			after = self.state["after"] = info.get("endCursor")
			self._save()

	def _bulk_products(self) -> list[dict]:
		operation = self._bulk_operation()
		if not operation.get("url"):
			return []  # Shopify gives no file when the query found nothing
		try:
			text = _download(operation["url"], self.connector.account_label())
		except AuthError as error:  # the signed link expired (seven days): a new bulk query next run
			self.state.pop("bulk_id", None)
			self._save()
			raise TransientError(
				f"Shopify store {self.store}: the catalog's bulk result could not be downloaded ({error}); "
				"a new bulk query runs when the import runs again.",
				service=constants.SERVICE_NAME,
			) from error
		# JSONL lines end at "\n" only: U+2028 and friends may stand raw inside a JSON string
		products = assemble(text.split("\n"), NESTED)
		products.sort(key=lambda product: int(legacy_id(product["id"])))  # the checkpoint is an id
		self.state["total"] = len(products)
		return products

	def _bulk_operation(self) -> dict:
		"""The completed bulk query of this import: the one a killed run started, else a new one."""
		operation = self._read_operation(self.state.get("bulk_id"))
		if not operation or operation.get("status") not in (*RUNNING, "COMPLETED"):
			operation = self._start_bulk()
			self.state["bulk_id"] = operation["id"]
			self._save()
		waited, polls = 0.0, 0
		while operation.get("status") in RUNNING:
			if waited >= constants.BULK_MAX_WAIT_SECONDS:
				raise TransientError(
					f"Shopify store {self.store}: the catalog's bulk query {operation['id']} is still running "
					f"after {int(waited)} s; the import goes on with it when it runs again.",
					service=constants.SERVICE_NAME,
				)
			self._progress(
				message=_("Shopify is preparing the catalog ({0} objects so far)").format(
					operation.get("objectCount") or 0
				)
			)
			# a small catalog is ready in a second or two: ask soon, then every BULK_POLL_SECONDS
			pause = min(constants.BULK_POLL_SECONDS, constants.BULK_FIRST_POLL_SECONDS * 2**polls)
			time.sleep(pause)
			waited, polls = waited + pause, polls + 1
			operation = self._read_operation(operation["id"]) or {}
		if operation.get("status") != "COMPLETED":
			self.state.pop("bulk_id", None)
			self._save()
			code = operation.get("errorCode")
			message = (
				f"Shopify store {self.store}: the catalog's bulk query ended {operation.get('status')} "
				f"({code or 'no error code'})."
			)
			if code == "ACCESS_DENIED":
				raise ConfigError(
					message + " Give the app the read_products access scope, then import again.",
					service=constants.SERVICE_NAME,
				)
			raise TransientError(
				message + " A new one is started when the import runs again.", service=constants.SERVICE_NAME
			)
		return operation

	def _read_operation(self, operation_id: str | None) -> dict | None:
		if not operation_id:
			return None
		data = self.connector.query(queries.BULK_OPERATION, {"id": operation_id}, operation="BulkOperation")
		return data.get("node") or None

	def _start_bulk(self) -> dict:
		"""Start the catalog's bulk query. When Shopify runs as many as it allows, the latest is ours
		if it has our query (a retried start whose answer was lost), else we wait for one to end."""
		waited = 0.0
		while True:
			data = self.connector.query(
				queries.BULK_RUN_QUERY, {"query": queries.CATALOG_BULK_QUERY}, operation="BulkRunQuery"
			)
			payload = data.get("bulkOperationRunQuery") or {}
			errors = payload.get("userErrors") or []
			if not any(e.get("code") in BUSY for e in errors):
				raise_user_errors(payload, "the catalog's bulk query")
				return payload["bulkOperation"]
			current = (
				self.connector.query(queries.CURRENT_BULK_OPERATION, operation="CurrentBulkOperation").get(
					"currentBulkOperation"
				)
				or {}
			)
			if (
				_same_query(current.get("query"), queries.CATALOG_BULK_QUERY)
				and current.get("status") in RUNNING
			):
				return current
			if waited >= constants.BULK_MAX_WAIT_SECONDS:
				raise TransientError(
					f"Shopify store {self.store}: another bulk query of this app is running; the catalog import "
					"starts when it runs again.",
					service=constants.SERVICE_NAME,
				)
			time.sleep(constants.BULK_POLL_SECONDS)
			waited += constants.BULK_POLL_SECONDS

	# --- price list, checkpoint, progress ------------------------------------------------------------

	def _price_list(self) -> tuple[str | None, str | None]:
		"""The store's Price List, or why prices are not imported (the Items still are)."""
		price_list = self.settings.price_list
		if not price_list:
			return None, _("no Price List is set in the Shopify Store")
		currency = frappe.db.get_value("Price List", price_list, "currency")
		shop_currency = self.state.get("shop_currency") or self._shop_currency()
		self.state["shop_currency"] = shop_currency
		if currency and shop_currency and currency != shop_currency:
			return None, _("Price List {0} is in {1}, the shop's prices are in {2}").format(
				price_list, currency, shop_currency
			)
		return price_list, None

	def _shop_currency(self) -> str | None:
		data = self.connector.query(queries.SHOP, operation="Shop")
		return (data.get("shop") or {}).get("currencyCode")

	def _save(self) -> None:
		"""The checkpoint, committed with the product it follows: a killed run goes on after it."""
		if not self.checkpoints:
			return
		frappe.db.set_value(
			constants.STORE_DOCTYPE, self.store, STATE_FIELD, json.dumps(self.state), update_modified=False
		)
		frappe.db.commit()  # nosemgrep: one product's Items and the checkpoint that says they are done

	def _progress(
		self, status: str = "Running", result: dict | None = None, message: str | None = None
	) -> None:
		if not self.checkpoints:
			return
		done = self.counts["products"] + self.counts["failed"]
		total = int(self.state.get("total") or 0)
		text = message or _(
			"{0} of {1} products: {2} Items made, {3} found, {4} prices set, {5} failed"
		).format(
			done,
			total,
			self.counts["items_made"],
			self.counts["items_found"],
			self.counts["price_new"] + self.counts["price_updated"],
			self.counts["failed"],
		)
		if status == "Completed" and self.prices_off:
			text += " " + _("Prices not imported: {0}.").format(self.prices_off)
		if status == "Completed" and self.price_errors:
			text += " " + _("{0} prices refused by ERPNext, first: {1}").format(
				len(self.price_errors), self.price_errors[0]
			)
		report(
			progress_kind(self.store),
			done,
			total,
			text,
			status=status,
			result=result,
			event="scoopjoy_shopify_catalog_progress",
		)


def _load_state(settings) -> dict:
	raw = settings.get(STATE_FIELD)
	try:
		return json.loads(raw) if raw else {}
	except ValueError:
		return {}


def _same_query(one: str | None, other: str) -> bool:
	return " ".join((one or "").split()) == " ".join(other.split())


def _download(url: str, account: str) -> str:
	"""The bulk result file. Its signed URL is on Shopify's storage host: no access token goes there
	(a transport of its own, without credentials; retried like any GET, logged without its body)."""
	parts = urlsplit(url)
	transport = HttpTransport(
		service=constants.SERVICE_NAME,
		base_url=f"{parts.scheme}://{parts.netloc}/",
		timeout=(5, 300),
		headers={"Accept": "application/jsonl, */*"},
		max_logged_body=0,
		on_call=lambda record: write_call_record(record, account),
	)
	try:
		return transport.get(url, expect_json=False).content.decode("utf-8")  # JSONL is UTF-8
	finally:
		transport.close()


def _set_price(item_code: str, price_list: str, price) -> str:
	"""The variant's price as the Item's price in the list: new, updated or unchanged."""
	try:
		rate = Decimal(str(price))
	except (InvalidOperation, TypeError):
		return "price_missing"
	existing = frappe.get_all(
		"Item Price",
		filters={
			"item_code": item_code,
			"price_list": price_list,
			"customer": ["is", "not set"],
			"supplier": ["is", "not set"],
		},
		fields=["name", "price_list_rate"],
		order_by="valid_from desc, creation desc",
		limit=1,
	)
	if existing:
		if Decimal(str(flt(existing[0].price_list_rate, 9))) == rate:
			return "price_unchanged"
		doc = frappe.get_doc("Item Price", existing[0].name)
		doc.price_list_rate = rate
		doc.save()
		return "price_updated"
	frappe.get_doc(
		{"doctype": "Item Price", "item_code": item_code, "price_list": price_list, "price_list_rate": rate}
	).insert()
	return "price_new"
