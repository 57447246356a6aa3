"""The Sync Console: Shopify vs ERPNext counts for a window, and "Not synced — and why".

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

from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.mapping import legacy_id, parse_time
from scoopjoy.connectors.shopify.sync import window_query

RECENT = timedelta(minutes=15)
MAX_LISTED = 5000

REASONS = {
	"deleted_product": "Deleted product",
	"unmapped_product": "Unmapped product",
	"cancelled": "Cancelled before import",
	"recent": "Recent — webhook pending",
	"error": "Error",
	"pending": "Not imported yet",
}


def console_data(from_date, to_date) -> dict:
	connector = ShopifyConnector()
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
	imported = set(
		frappe.get_all(
			"Sales Order",
			filters={"custom_shopify_order_id": ["in", ids or [""]]},
			pluck="custom_shopify_order_id",
		)
	)
	missing = [o for o in summaries if legacy_id(o["id"]) not in imported]
	rows = [_why(order) for order in missing]

	erpnext = {
		"orders": len(imported),
		"customers": frappe.db.count("Customer", {"custom_shopify_customer_id": ["is", "set"]}),
		"products": frappe.db.count(
			"Item", {"custom_shopify_product_id": ["is", "set"], "variant_of": ["is", "not set"]}
		),
		"invoices": frappe.db.count(
			"Sales Invoice",
			{"custom_shopify_order_id": ["in", ids or [""]], "is_return": 0, "docstatus": 1},
		),
		"fulfilments": len(
			set(
				frappe.get_all(
					"Delivery Note Item",
					filters={
						"docstatus": 1,
						"against_sales_order": [
							"in",
							frappe.get_all(
								"Sales Order",
								filters={"custom_shopify_order_id": ["in", ids or [""]]},
								pluck="name",
							)
							or [""],
						],
					},
					pluck="against_sales_order",
				)
			)
		),
	}
	shopify = {
		"orders": _count(counts, "ordersCount"),
		"customers": _count(counts, "customersCount"),
		"products": _count(counts, "productsCount"),
		"invoices": _count(paid, "ordersCount"),
		"fulfilments": _count(shipped, "ordersCount"),
	}
	entities = [
		{
			"entity": entity,
			"shopify": shopify[entity],
			"erpnext": erpnext[entity],
			"coverage": round(100.0 * min(erpnext[entity], shopify[entity]) / shopify[entity], 1)
			if shopify[entity]
			else 100.0,
		}
		for entity in ("products", "customers", "orders", "invoices", "fulfilments")
	]
	by_reason: dict[str, int] = {}
	for row in rows:
		by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + 1
	return {"entities": entities, "not_synced": rows, "by_reason": by_reason, "listed_limit": MAX_LISTED}


def _count(data: dict, key: str) -> int:
	return int(((data or {}).get(key) or {}).get("count") or 0)


def _why(order: dict) -> dict:
	order_id = legacy_id(order["id"])
	row = {
		"order_id": order_id,
		"order_name": order.get("name"),
		"created_at": order.get("createdAt"),
		"financial_status": order.get("displayFinancialStatus"),
		"dead_letter": None,
		"detail": "",
	}
	lines = (order.get("lineItems") or {}).get("nodes") or []
	letter = frappe.db.get_value(
		"Integration Dead Letter",
		{"connector": constants.SERVICE_NAME, "external_id": order_id, "status": ["!=", "Resolved"]},
		["name", "last_error"],
		as_dict=True,
	)
	deleted = [line for line in lines if not line.get("product") and not line.get("variant")]
	unmapped = [
		line
		for line in lines
		if line.get("variant")
		and not frappe.db.exists("Item", {"custom_shopify_variant_id": legacy_id(line["variant"]["id"])})
	]
	if deleted:
		row.update(
			reason=REASONS["deleted_product"], detail=", ".join(line.get("title") or "" for line in deleted)
		)
	elif order.get("cancelledAt"):
		row.update(reason=REASONS["cancelled"])
	elif letter:
		row.update(reason=REASONS["error"], dead_letter=letter.name, detail=(letter.last_error or "")[:300])
	elif unmapped:
		row.update(
			reason=REASONS["unmapped_product"], detail=", ".join(line.get("title") or "" for line in unmapped)
		)
	elif (
		parse_time(order.get("createdAt"))
		and parse_time(order["createdAt"]).replace(tzinfo=None) > now_datetime() - RECENT
	):
		row.update(reason=REASONS["recent"])
	else:
		row.update(reason=REASONS["pending"])
	if letter and not row.get("dead_letter"):
		row["dead_letter"] = letter.name
	return row
