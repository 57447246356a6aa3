"""Publishing Items as Shopify products (ERPNext -> Shopify), idempotently.

Items of the configured Item Group that are enabled (and ``show_in_website`` where the webshop
app adds that field) become products; a template's variants become the product's variants, its
attributes the product options. ``productSet`` creates or replaces a product with all its
variants in one call (no 100-variant REST limit); before we hold a product id it is addressed by a
handle derived from the item code, so a retry after a lost response updates the product it
created instead of making a second one (https://shopify.dev/docs/api/admin-graphql/latest/mutations/productSet).
Only Items modified since the store's last successful push are sent. Each store publishes on its
own: its Item Group, its price list, its product and variant ids (the Item's listing for the store).
"""

from __future__ import annotations

from collections import Counter

import frappe
from frappe.utils import flt, now_datetime

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.graphql_client import raise_user_errors
from scoopjoy.connectors.shopify.listings import listing_of, set_listing
from scoopjoy.connectors.shopify.mapping import legacy_id, product_identifier, product_set_input
from scoopjoy.connectors.shopify.stores import enabled_stores, keyed
from scoopjoy.kernel.errors import ConfigError, RecordError
from scoopjoy.reliability.dead_letters import record_dead_letter, resolve_dead_letter
from scoopjoy.reliability.jobs import enqueue_integration_job, job_id_for
from scoopjoy.reliability.progress import report

PUSH_PRODUCT_JOB = "scoopjoy.connectors.shopify.catalog.push_product"
PROGRESS_KIND = "shopify-products"


def progress_kind(store: str) -> str:
	"""Each store's publish reports its own progress (reliability.progress)."""
	return f"{PROGRESS_KIND}:{store}"


def queue_product_push(store: str, force: bool = False) -> bool:
	"""The one way a store's push is queued (scheduler and desk button share the job key, so never
	twice)."""
	queued = enqueue_integration_job(
		"scoopjoy.connectors.shopify.catalog.push_products",
		connector=constants.SERVICE_NAME,
		job_key=keyed(store, "push-products"),
		queue="long",
		force=force,
		store=store,
	)
	if queued:
		report(
			progress_kind(store), 0, 0, frappe._("Queued: waiting for a background worker"), status="Queued"
		)
	return queued


def scheduled_product_push() -> None:
	for store in enabled_stores("push_products"):
		queue_product_push(store)


def items_to_publish(settings, since=None) -> list[str]:
	"""Top-level items (templates and plain items) of the group changed since ``since``."""
	if not settings.item_group:
		raise ConfigError(
			f"Set 'Item Group to Publish' in Shopify Store {settings.name} to choose which Items become products.",
			service=constants.SERVICE_NAME,
		)
	filters = {"item_group": ["descendants of (inclusive)", settings.item_group], "disabled": 0}
	if frappe.get_meta("Item").has_field("show_in_website"):
		filters["show_in_website"] = 1
	changed = dict(filters, variant_of=["is", "not set"])
	if since:
		changed["modified"] = [">", since]
	names = set(frappe.get_all("Item", filters=changed, pluck="name"))
	if since:  # a changed variant republishes its template
		names.update(
			frappe.get_all(
				"Item",
				filters=dict(filters, variant_of=["is", "set"], modified=[">", since]),
				pluck="variant_of",
			)
		)
	return sorted(n for n in names if n)


def push_products(force: bool = False, store: str | None = None) -> dict:
	connector = ShopifyConnector(store=store)
	try:
		return _push_products(connector, force)
	except Exception as error:
		# the form stops showing "running"; the job's dead letter keeps the whole error
		report(
			progress_kind(connector.store),
			0,
			0,
			str(error).splitlines()[0][:300] if str(error) else type(error).__name__,
			status="Failed",
		)
		raise


def _push_products(connector: ShopifyConnector, force: bool) -> dict:
	settings = connector.settings
	store = settings.name
	started = now_datetime()
	since = None if force else settings.last_product_push_at
	counts: Counter = Counter()
	item_codes = items_to_publish(settings, since)
	_progress(store, 0, len(item_codes), counts)
	for done, item_code in enumerate(item_codes, start=1):
		dedup_key = job_id_for(constants.SERVICE_NAME, keyed(store, f"publish:{item_code}"))
		try:
			push_product(item_code, connector=connector)
		except RecordError as error:
			record_dead_letter(
				connector=constants.SERVICE_NAME,
				job=PUSH_PRODUCT_JOB,
				payload={"item_code": item_code, "store": store},
				error=error,
				dedup_key=dedup_key,
				reference_doctype="Item",
				reference_name=item_code,
			)
			counts["failed"] += 1
		else:
			resolve_dead_letter(dedup_key)
			counts["pushed"] += 1
		_progress(store, done, len(item_codes), counts)
	frappe.db.set_value(
		constants.STORE_DOCTYPE, store, "last_product_push_at", started, update_modified=False
	)
	_progress(store, len(item_codes), len(item_codes), counts, status="Completed")
	return dict(counts)


def _progress(store: str, done: int, total: int, counts: Counter, status: str = "Running") -> None:
	"""Shown on the Shopify Store while the push runs (polled there, and sent live)."""
	report(
		progress_kind(store),
		done,
		total,
		frappe._("{0} published, {1} failed, {2} of {3} products").format(
			counts["pushed"], counts["failed"], done, total
		),
		status=status,
		result=dict(counts),
		event="scoopjoy_shopify_products_progress",
	)


def push_product(item_code: str, connector: ShopifyConnector | None = None, store: str | None = None) -> str:
	"""Create or update one product (with its variants) in the store. Returns the Shopify product id."""
	connector = connector or ShopifyConnector(store=store)
	store = connector.store
	item = frappe.get_doc("Item", item_code)
	price_list = connector.settings.price_list
	variants = None
	if item.has_variants:
		variants = [
			{
				"item_code": v.name,
				"rate": _rate(v.name, price_list, v.standard_rate),
				"weight_per_unit": v.weight_per_unit,
				"weight_uom": v.weight_uom,
				"shopify_variant_id": (listing_of(v.name, store) or {}).get("variant_id"),
				"attributes": {
					a.attribute: a.attribute_value
					for a in frappe.get_all(
						"Item Variant Attribute",
						filters={"parent": v.name, "parenttype": "Item"},
						fields=["attribute", "attribute_value"],
						order_by="idx",
					)
				},
			}
			for v in frappe.get_all(
				"Item",
				filters={"variant_of": item.name, "disabled": 0},
				fields=["name", "standard_rate", "weight_per_unit", "weight_uom"],
				order_by="name",
			)
		]
		if not variants:
			raise RecordError(
				f"Item {item.name} is a template without enabled variants: nothing to sell on Shopify.",
				service=constants.SERVICE_NAME,
			)
	listing = listing_of(item.name, store) or {}
	data = {
		"item_code": item.name,
		"item_name": item.item_name,
		"description": item.description,
		"rate": _rate(item.name, price_list, item.standard_rate),
		"weight_per_unit": item.weight_per_unit,
		"weight_uom": item.weight_uom,
		"shopify_product_id": listing.get("product_id"),
		"shopify_variant_id": listing.get("variant_id"),
	}
	result = connector.query(
		queries.PRODUCT_SET,
		{"input": product_set_input(data, variants), "identifier": product_identifier(data)},
		operation="ProductSet",
		reference=("Item", item.name),
	)
	payload = result.get("productSet") or {}
	raise_user_errors(payload, f"Item {item.name}")
	product = payload.get("product") or {}
	product_id = legacy_id(product.get("id"))
	by_sku = {node.get("sku"): node for node in (product.get("variants") or {}).get("nodes") or []}
	# storing ids is not a change to publish again: the listing rows are written, not the Item
	if variants:
		set_listing(item.name, store, product_id=product_id)
		for variant in variants:
			_store_ids(store, variant["item_code"], None, by_sku.get(variant["item_code"]) or {})
	else:
		_store_ids(store, item.name, product_id, by_sku.get(item.name) or next(iter(by_sku.values()), {}))
	return product_id


def _store_ids(store: str, item_code: str, product_id: str | None, variant: dict) -> None:
	"""The Item's listing in the store: the product (an Item without variants), its variant and
	the variant's inventory item (what the inventory push sets)."""
	ids = {
		"variant_id": legacy_id(variant.get("id")),
		"inventory_item_id": legacy_id((variant.get("inventoryItem") or {}).get("id")),
	}
	if product_id:
		ids["product_id"] = product_id
	set_listing(item_code, store, **ids)


def _rate(item_code: str, price_list: str | None, fallback) -> float:
	if price_list:
		rate = frappe.db.get_value(
			"Item Price", {"item_code": item_code, "price_list": price_list}, "price_list_rate"
		)
		if rate is not None:
			return flt(rate)
	return flt(fallback)
