"""Inventory (ERPNext -> Shopify): stock of mapped warehouses set at mapped locations, and drift.

``inventorySetQuantities`` sets *absolute* quantities, so a retried batch cannot double-count; its
``@idempotent`` key (required from API 2026-04) is derived from the push run and the batch, stable
across the transport's retries of that batch but new for the next run
(https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities). Only bins
changed since the store's last successful push are sent, in batches of 250, through the store's
cost bucket. Each store sets the stock of the warehouses it maps at its own locations, for the Items
listed in it (their inventory item in that store).
"""

from __future__ import annotations

import frappe
from frappe.utils import flt, now_datetime

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.graphql_client import raise_user_errors
from scoopjoy.connectors.shopify.listings import listed_items
from scoopjoy.connectors.shopify.mapping import gid, legacy_id
from scoopjoy.connectors.shopify.stores import enabled_stores, keyed
from scoopjoy.kernel.errors import ConfigError
from scoopjoy.kernel.idempotency import idempotency_key
from scoopjoy.reliability.jobs import enqueue_integration_job

BATCH_SIZE = 250
DRIFT_BATCH = 100


def queue_inventory_push(store: str) -> bool:
	"""The one way a store's push is queued (scheduler and desk button share the job key, so never
	twice)."""
	return enqueue_integration_job(
		"scoopjoy.connectors.shopify.inventory.push_inventory",
		connector=constants.SERVICE_NAME,
		job_key=keyed(store, "push-inventory"),
		queue="long",
		store=store,
	)


def scheduled_inventory_push() -> None:
	for store in enabled_stores("push_inventory"):
		queue_inventory_push(store)


def location_map(settings) -> dict[str, str]:
	mapping = {row.warehouse: legacy_id(row.location_id) for row in settings.locations or []}
	if not mapping:
		raise ConfigError(
			f"Map at least one Warehouse to a Shopify location in Shopify Store {settings.name} "
			"(Warehouse ↔ Location).",
			service=constants.SERVICE_NAME,
		)
	return mapping


def changed_levels(settings, since=None) -> list[dict]:
	"""Bins of the store's mapped warehouses changed since ``since``, for Items listed in the store
	(with their inventory item there)."""
	locations = location_map(settings)
	filters = {"warehouse": ["in", list(locations)]}
	if since:
		filters["modified"] = [">", since]
	bins = frappe.get_all("Bin", filters=filters, fields=["item_code", "warehouse", "actual_qty"])
	inventory_items = {
		row.item_code: row.inventory_item_id
		for row in listed_items(settings.name, ("inventory_item_id",))
		if row.inventory_item_id
	}
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


def push_inventory(force: bool = False, store: str | None = None) -> dict:
	connector = ShopifyConnector(store=store)
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
				"idempotencyKey": idempotency_key(
					"shopify-inventory", frappe.local.site, settings.name, run, start
				),
			},
			operation="SetQuantities",
		)
		raise_user_errors(data.get("inventorySetQuantities"), "the inventory batch")
	frappe.db.set_value(
		constants.STORE_DOCTYPE, settings.name, "last_inventory_push_at", started, update_modified=False
	)
	return {"levels": len(levels)}


def inventory_drift(store: str | None = None) -> list[dict]:
	"""Items whose quantity in the store differs from ERPNext, per mapped warehouse/location."""
	connector = ShopifyConnector(store=store)
	settings = connector.settings
	levels = changed_levels(settings, since=None)
	variant_of = {row.item_code: row.variant_id for row in listed_items(settings.name, ("variant_id",))}
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
