"""Inventory (ERPNext -> Shopify): stock of mapped warehouses set at mapped locations, and drift.

``inventorySetQuantities`` sets *absolute* quantities, so a retried batch cannot double-count; its
``@idempotent`` key (required from API 2026-04) is derived from the push run and the batch, stable
across the transport's retries of that batch but new for the next run
(https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities). Only bins
changed since the last successful push are sent, in batches of 250, through the shared cost bucket.
"""

from __future__ import annotations

import frappe
from frappe.utils import flt, now_datetime

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.graphql_client import raise_user_errors
from scoopjoy.connectors.shopify.mapping import gid, legacy_id
from scoopjoy.kernel.errors import ConfigError
from scoopjoy.kernel.idempotency import idempotency_key
from scoopjoy.reliability.jobs import enqueue_integration_job

BATCH_SIZE = 250
DRIFT_BATCH = 100


def queue_inventory_push() -> bool:
	"""The one way the push is queued (scheduler and desk button share the job key, so never twice)."""
	return enqueue_integration_job(
		"scoopjoy.connectors.shopify.inventory.push_inventory",
		connector=constants.SERVICE_NAME,
		job_key="push-inventory",
		queue="long",
	)


def scheduled_inventory_push() -> None:
	settings = frappe.get_cached_doc(constants.SETTINGS_DOCTYPE)
	if settings.enabled and settings.push_inventory:
		queue_inventory_push()


def location_map(settings) -> dict[str, str]:
	mapping = {row.warehouse: legacy_id(row.location_id) for row in settings.locations or []}
	if not mapping:
		raise ConfigError(
			"Map at least one Warehouse to a Shopify location in Shopify Settings (Warehouse ↔ Location).",
			service=constants.SERVICE_NAME,
		)
	return mapping


def changed_levels(settings, since=None) -> list[dict]:
	"""Bins of mapped warehouses changed since ``since``, for Items published on Shopify."""
	locations = location_map(settings)
	filters = {"warehouse": ["in", list(locations)]}
	if since:
		filters["modified"] = [">", since]
	bins = frappe.get_all("Bin", filters=filters, fields=["item_code", "warehouse", "actual_qty"])
	inventory_items = dict(
		frappe.get_all(
			"Item",
			filters={
				"name": ["in", list({b.item_code for b in bins}) or [""]],
				"custom_shopify_inventory_item_id": ["is", "set"],
			},
			fields=["name", "custom_shopify_inventory_item_id"],
			as_list=True,
		)
	)
	return [
		{
			"item_code": b.item_code,
			"warehouse": b.warehouse,
			"inventoryItemId": gid("InventoryItem", inventory_items[b.item_code]),
			"locationId": gid("Location", locations[b.warehouse]),
			"quantity": int(flt(b.actual_qty)),
		}
		for b in bins
		if b.item_code in inventory_items
	]


def push_inventory(force: bool = False) -> dict:
	connector = ShopifyConnector()
	settings = connector.settings
	started = now_datetime()
	levels = changed_levels(settings, None if force else settings.last_inventory_push_at)
	run = started.isoformat()
	for start in range(0, len(levels), BATCH_SIZE):
		batch = levels[start : start + BATCH_SIZE]
		data = connector.query(
			queries.INVENTORY_SET_QUANTITIES,
			{
				"input": {
					"name": "available",
					"reason": "correction",
					"referenceDocumentUri": f"erpnext://{frappe.local.site}/stock/{run}",
					"quantities": [
						{
							"inventoryItemId": level["inventoryItemId"],
							"locationId": level["locationId"],
							"quantity": level["quantity"],
							"changeFromQuantity": None,
						}
						for level in batch
					],
				},
				"idempotencyKey": idempotency_key("shopify-inventory", frappe.local.site, run, start),
			},
			operation="SetQuantities",
		)
		raise_user_errors(data.get("inventorySetQuantities"), "the inventory batch")
	frappe.db.set_single_value(constants.SETTINGS_DOCTYPE, "last_inventory_push_at", started)
	return {"levels": len(levels)}


def inventory_drift() -> list[dict]:
	"""Items whose Shopify quantity differs from ERPNext, per mapped warehouse/location."""
	connector = ShopifyConnector()
	settings = connector.settings
	levels = changed_levels(settings, since=None)
	variant_of = dict(
		frappe.get_all(
			"Item",
			filters={"name": ["in", [lv["item_code"] for lv in levels] or [""]]},
			fields=["name", "custom_shopify_variant_id"],
			as_list=True,
		)
	)
	drift = []
	by_location: dict[str, list[dict]] = {}
	for level in levels:
		if variant_of.get(level["item_code"]):
			by_location.setdefault(level["locationId"], []).append(level)
	for location, rows in by_location.items():
		for start in range(0, len(rows), DRIFT_BATCH):
			batch = rows[start : start + DRIFT_BATCH]
			data = connector.query(
				queries.INVENTORY_LEVELS,
				{
					"ids": [gid("ProductVariant", variant_of[r["item_code"]]) for r in batch],
					"locationId": location,
				},
				operation="InventoryLevels",
			)
			shopify_qty = {}
			for node in data.get("nodes") or []:
				if not node:
					continue
				level = (node.get("inventoryItem") or {}).get("inventoryLevel") or {}
				quantities = {q["name"]: q["quantity"] for q in level.get("quantities") or []}
				shopify_qty[legacy_id(node["id"])] = quantities.get("available")
			for row in batch:
				theirs = shopify_qty.get(variant_of[row["item_code"]])
				if theirs != row["quantity"]:
					drift.append(
						{
							"item_code": row["item_code"],
							"warehouse": row["warehouse"],
							"location_id": legacy_id(location),
							"erpnext_qty": row["quantity"],
							"shopify_qty": theirs,
						}
					)
	return drift
