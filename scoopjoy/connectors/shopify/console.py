"""The Sync Console: a store's Shopify vs ERPNext counts for a window, and "Not synced — and why".

Why a diff and not a log: a log says what we did; the diff says what is missing. Each Shopify
order of the window that has no Sales Order gets one reason a person can act on:

- Deleted product: a line's product or variant no longer exists in Shopify (nothing to map);
- Unmapped product: the variant exists but no Item carries its id (publish or map the Item);
- Cancelled before import: cancelled in Shopify before it ever reached ERPNext;
- Recent — webhook pending: created in the last minutes; the webhook job has not run yet;
- Error: the import failed; the dead letter says why (linked);
- Not imported yet: none of the above (the poll is off, or a backfill has not covered it).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import frappe
from frappe import _
from frappe.utils import convert_utc_to_system_timezone, now_datetime

from scoopjoy.connectors.shopify import constants, payouts, queries
from scoopjoy.connectors.shopify.backfill import window_query
from scoopjoy.connectors.shopify.catalog_import import IMPORT_PRODUCT_JOB
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.listings import item_of_variant, listed_items
from scoopjoy.connectors.shopify.mapping import legacy_id, parse_time
from scoopjoy.kernel.errors import ConnectorError, FailureType

RECENT = timedelta(minutes=15)
MAX_LISTED = 5000
#: the newest variants compared one by one with the store's listings (two pages of 250, about
#: 1,000 cost points; the counts cover them all)
MAX_VARIANTS_CHECKED = 500
CUSTOMER_IDS_PAGE_SIZE = 250

#: the ids of the customers created in a window (their count alone cannot be compared with ERPNext)
CUSTOMER_IDS_PAGE = """
query CustomerIds($first: Int!, $after: String, $query: String) {
	customers(first: $first, after: $after, query: $query) {
		nodes { id legacyResourceId }
		pageInfo { hasNextPage endCursor }
	}
}
"""

REASONS = {
	"deleted_product": "Deleted product",
	"unmapped_product": "Unmapped product",
	"cancelled": "Cancelled before import",
	"recent": "Recent — webhook pending",
	"error": "Error",
	"pending": "Not imported yet",
}


def console_page(from_date, to_date, store: str | None = None) -> dict:
	"""What the Sync Console page shows: the data, or why Shopify could not be asked.

	A page load is not retried in the background (that is what dead letters are for), so the
	kernel's advice ("the work is retried with backoff") is replaced by what a person can do now.
	"""
	try:
		return console_data(from_date, to_date, store)
	except ConnectorError as error:
		return {"error": unreachable(error)}


def unreachable(error: ConnectorError) -> dict:
	advice = error.resolution.advice
	detail = str(error).replace(advice, "").strip()
	failure = error.failure_type
	if failure in (FailureType.AUTH, FailureType.CONFIG):
		hint = _(
			"Shopify refused the request: check the token, shop domain and API version of the Shopify Store."
		)
		title = _("Shopify refused the request")
	elif failure == FailureType.RATE_LIMITED:
		hint = _("Shopify asked us to slow down. Press Refresh in a minute.")
		title = _("Shopify is busy")
	else:
		hint = _(
			"Nothing was changed. Press Refresh to try again; Integration Status shows whether Shopify's "
			"circuit is open and since when."
		)
		title = _("Shopify could not be reached")
	return {"title": title, "message": detail, "hint": hint, "failure_type": str(failure)}


def console_data(from_date, to_date, store: str | None = None) -> dict:
	connector = ShopifyConnector(store=store)
	store = connector.store
	query = window_query(from_date, to_date)
	counts = connector.query(
		queries.COUNTS,
		{
			"orders": query,
			"customers": query,
			"products": None,
		},
		operation="Counts",
	)
	paid = connector.query(queries.COUNTS, {"orders": f"{query} financial_status:paid"}, operation="Counts")
	shipped = connector.query(
		queries.COUNTS, {"orders": f"{query} fulfillment_status:shipped"}, operation="Counts"
	)

	summaries = []
	for page in connector.pages(
		queries.ORDER_SUMMARIES_PAGE,
		{"first": constants.ORDER_SUMMARIES_PAGE_SIZE, "query": query},
		"orders",
		operation="OrderSummaries",
	):
		summaries.extend(page.nodes)
		if len(summaries) >= MAX_LISTED:
			break
	ids = [legacy_id(o["id"]) for o in summaries]
	mine = {"custom_shopify_store": store, "custom_shopify_order_id": ["in", ids or [""]]}
	imported = set(frappe.get_all("Sales Order", filters=mine, pluck="custom_shopify_order_id"))
	missing = [o for o in summaries if legacy_id(o["id"]) not in imported]
	rows = [_why(order, store) for order in missing]

	customer_ids = _customer_ids(connector, query)
	catalog = connector.query(queries.CATALOG_COUNTS, operation="CatalogCounts")
	listings = listed_items(store, ("product_id", "variant_id"))
	erpnext = {
		"orders": len(imported),
		# the customers Shopify created in the window that ERPNext has, not every customer ever imported
		"customers": frappe.db.count(
			"Customer",
			{"custom_shopify_store": store, "custom_shopify_customer_id": ["in", customer_ids or [""]]},
		),
		# the store's products: the Items listed with a product id in it (templates and plain Items)
		"products": len({row.product_id for row in listings if row.product_id}),
		# the store's variants: the Items listed with a variant id in it
		"variants": len({row.variant_id for row in listings if row.variant_id}),
		# paid in Shopify <-> settled in ERPNext: orders are invoiced while still pending too, so a
		# count of invoices says nothing about what was paid
		"invoices": len(
			set(
				frappe.get_all(
					"Sales Invoice",
					filters={
						**mine,
						"is_return": 0,
						"docstatus": 1,
						"outstanding_amount": ["<=", 0],
					},
					pluck="custom_shopify_order_id",
				)
			)
		),
		"fulfilments": _delivered(frappe.get_all("Sales Order", filters=mine, pluck="name")),
	}
	shopify = {
		"orders": _count(counts, "ordersCount"),
		"customers": max(_count(counts, "customersCount"), len(customer_ids)),
		"products": _count(counts, "productsCount"),
		"variants": _count(catalog, "productVariantsCount"),
		"invoices": _count(paid, "ordersCount"),
		"fulfilments": _count(shipped, "ordersCount"),
	}
	entities = [
		{
			"entity": entity,
			"shopify": shopify[entity],
			"erpnext": erpnext[entity],
			# in ERPNext but not (or no longer) in Shopify: worth a look, not "more than 100 %"
			"extra": max(0, erpnext[entity] - shopify[entity]),
			"coverage": round(100.0 * min(erpnext[entity], shopify[entity]) / shopify[entity], 1)
			if shopify[entity]
			else 100.0,
		}
		for entity in ("products", "variants", "customers", "orders", "invoices", "fulfilments")
	]
	by_reason: dict[str, int] = {}
	for row in rows:
		by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + 1
	return {
		"entities": entities,
		"not_synced": rows,
		"by_reason": by_reason,
		"listed_limit": MAX_LISTED,
		"unmapped_variants": unmapped_variants(connector, {row.variant_id for row in listings}),
		"variants_checked_limit": MAX_VARIANTS_CHECKED,
		"payouts": payouts.clearing_check(connector),
	}


def unmapped_variants(connector: ShopifyConnector, listed: set[str]) -> list[dict]:
	"""The store's variants that no Item carries, each with why and what to do (of its newest
	MAX_VARIANTS_CHECKED variants)."""
	rows, checked = [], 0
	for page in connector.pages(
		queries.VARIANTS_PAGE,
		{"first": constants.VARIANTS_PAGE_SIZE},
		"productVariants",
		operation="VariantsPage",
	):
		for variant in page.nodes:
			checked += 1
			if legacy_id(variant["id"]) not in listed:
				rows.append(_why_unmapped(variant, connector.store))
		if checked >= MAX_VARIANTS_CHECKED:
			break
	return rows


def _why_unmapped(variant: dict, store: str) -> dict:
	product = variant.get("product") or {}
	product_id = legacy_id(product.get("id"))
	sku = (variant.get("sku") or "").strip()
	row = {
		"variant_id": legacy_id(variant["id"]),
		"product_id": product_id,
		"title": " — ".join(t for t in (product.get("title"), variant.get("title")) if t),
		"sku": sku,
		"dead_letter": None,
	}
	letter = next(iter(open_letters_of(store, product_id, job=IMPORT_PRODUCT_JOB)), None)
	if letter:
		row.update(reason=_("Import failed"), dead_letter=letter.name, detail=(letter.last_error or "")[:300])
	elif sku and frappe.db.exists("Item", sku):
		row.update(
			reason=_("Item not linked"),
			detail=_("Item {0} has this SKU but no listing of this variant: Import catalog links it.").format(
				sku
			),
		)
	else:
		row.update(
			reason=_("No Item yet"),
			detail=_("Import catalog makes it (or Create Missing Items, when an order sells it)."),
		)
	return row


def _delivered(sales_orders: list[str]) -> int:
	"""How many of these Sales Orders have a submitted Delivery Note. None: none (``in ("")`` would
	count the notes of no Sales Order at all)."""
	if not sales_orders:
		return 0
	return len(
		set(
			frappe.get_all(
				"Delivery Note Item",
				filters={"docstatus": 1, "against_sales_order": ["in", sales_orders]},
				pluck="against_sales_order",
			)
		)
	)


def _customer_ids(connector: ShopifyConnector, query: str) -> list[str]:
	ids: list[str] = []
	for page in connector.pages(
		CUSTOMER_IDS_PAGE,
		{"first": CUSTOMER_IDS_PAGE_SIZE, "query": query},
		"customers",
		operation="CustomerIds",
	):
		ids.extend(legacy_id(node["id"]) for node in page.nodes)
		if len(ids) >= MAX_LISTED:
			break
	return ids


def _count(data: dict, key: str) -> int:
	return int(((data or {}).get(key) or {}).get("count") or 0)


def _why(order: dict, store: str) -> dict:
	order_id = legacy_id(order["id"])
	created = parse_time(order.get("createdAt"))
	row = {
		"order_id": order_id,
		"order_name": order.get("name"),
		"created_at": order.get("createdAt"),
		# in the site's time zone, as every other date on the desk
		"created": str(convert_utc_to_system_timezone(created.replace(tzinfo=None)))[:19]
		if created
		else None,
		"can_resync": True,
		"financial_status": order.get("displayFinancialStatus"),
		"dead_letter": None,
		"detail": "",
	}
	lines = (order.get("lineItems") or {}).get("nodes") or []
	letter = next(iter(open_letters_of(store, order_id)), None)
	deleted = [line for line in lines if not line.get("product") and not line.get("variant")]
	unmapped = [
		line
		for line in lines
		if line.get("variant") and not item_of_variant(store, legacy_id(line["variant"]["id"]))
	]
	if deleted:
		row.update(reason=REASONS["deleted_product"], detail=_titles(deleted))
	elif order.get("cancelledAt"):
		# nothing to import: a resync would only skip it again
		row.update(reason=REASONS["cancelled"], can_resync=False)
	elif letter:
		row.update(reason=REASONS["error"], dead_letter=letter.name, detail=(letter.last_error or "")[:300])
	elif unmapped:
		row.update(reason=REASONS["unmapped_product"], detail=_titles(unmapped))
	elif created and created > datetime.now(timezone.utc) - RECENT:  # both in UTC, whatever the site's zone
		row.update(reason=REASONS["recent"])
	else:
		row.update(reason=REASONS["pending"])
	if letter and not row.get("dead_letter"):
		row["dead_letter"] = letter.name
	return row


def open_letters_of(store: str, order_id: str, **filters) -> list:
	"""The order's dead letters still to be dealt with: of this store (its Account), or of no store
	(written before the site had several)."""
	return frappe.get_all(
		"Integration Dead Letter",
		filters={
			"connector": constants.SERVICE_NAME,
			"external_id": order_id,
			"status": ["!=", "Resolved"],
			**filters,
		},
		or_filters=[["account", "=", store], ["account", "is", "not set"]],
		fields=["name", "last_error", "payload"],
		order_by="creation",
	)


def _titles(lines: list[dict]) -> str:
	"""Each product once, with how many lines name it: "Vanilla Scoop (2 lines), Cone"."""
	counts = Counter((line.get("title") or _("untitled line")) for line in lines)
	return ", ".join(
		title if n == 1 else _("{0} ({1} lines)").format(title, n) for title, n in counts.items()
	)
