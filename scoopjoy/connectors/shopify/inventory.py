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

import json

import frappe
from frappe.utils import add_to_date, flt, get_datetime, now_datetime

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.graphql_client import raise_user_errors
from scoopjoy.connectors.shopify.listings import listed_items, listing_of
from scoopjoy.connectors.shopify.mapping import gid, legacy_id
from scoopjoy.connectors.shopify.stores import enabled_stores, keyed
from scoopjoy.kernel.errors import ConfigError
from scoopjoy.kernel.idempotency import idempotency_key
from scoopjoy.reliability.jobs import enqueue_integration_job

BATCH_SIZE = 250
#: Shopify's answer when a level's stock is not the changeFromQuantity given
#: (https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities)
STALE = "CHANGE_FROM_QUANTITY_STALE"
#: how long a level Shopify changed on its own is held: time for the order import to book the
#: return Shopify restocked (webhooks bring it within seconds, the poll within 10 minutes); after
#: that ERPNext, the books' stock, is set again
HOLD_MINUTES = 30
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
	(with their inventory item there), each with what ERPNext last set at its location."""
	locations = location_map(settings)
	listed = {
		row.item_code: row
		for row in listed_items(settings.name, ("inventory_item_id", "variant_id", "pushed_quantities"))
		if row.inventory_item_id
	}
	bins = frappe.get_all(
		"Bin",
		filters={"warehouse": ["in", list(locations)]},
		or_filters=[["modified", ">", since], ["item_code", "in", _held_items(listed) or [""]]]
		if since
		else None,
		fields=["item_code", "warehouse", "actual_qty"],
	)
	return [
		{
			"item_code": b.item_code,
			"warehouse": b.warehouse,
			"variant_id": listed[b.item_code].variant_id,
			"inventoryItemId": gid("InventoryItem", listed[b.item_code].inventory_item_id),
			"locationId": gid("Location", locations[b.warehouse]),
			"quantity": int(flt(b.actual_qty)),
			"pushed": _pushed(listed[b.item_code]).get(locations[b.warehouse]),
			"held_since": _pushed(listed[b.item_code]).get(HELD, {}).get(locations[b.warehouse]),
		}
		for b in bins
		if b.item_code in listed
	]


def push_inventory(force: bool = False, store: str | None = None) -> dict:
	"""Set the store's stock of the changed levels (every level with ``force``).

	Each level is set only if Shopify still has what ERPNext last set there (``changeFromQuantity``).
	When Shopify's stock moved on its own since (a return Shopify restocked that ERPNext has not
	booked yet, an edit in Shopify), ERPNext's figure would wipe that out: the level is *held* (not
	set, listed in the result and in Check inventory drift) until ERPNext agrees with Shopify, which
	it does once the return is booked, or for ``HOLD_MINUTES`` at most (then ERPNext's stock is set:
	the books are the record). A person's push (``force``) sets every level regardless."""
	connector = ShopifyConnector(store=store)
	settings = connector.settings
	started = now_datetime()
	levels = changed_levels(settings, None if force else settings.last_inventory_push_at)
	run = started.isoformat()
	held: list[dict] = []
	for start in range(0, len(levels), BATCH_SIZE):
		batch = levels[start : start + BATCH_SIZE]
		for attempt in range(2):
			payload = _set_quantities(connector, batch, f"{run}/{start}/{attempt}", compare=not force)
			stale = _stale(payload, batch)
			if not stale:
				raise_user_errors(payload, "the inventory batch")
				_remember(settings.name, batch)
				break
			agreed = [level for level in stale if _available(connector, level) == level["quantity"]]
			_remember(settings.name, agreed)
			waiting = [level for level in stale if level not in agreed]
			_remember(settings.name, waiting, held_since=started)
			held += waiting
			batch = [level for level in batch if level not in stale]
			if not batch:
				break
	frappe.db.set_value(
		constants.STORE_DOCTYPE, settings.name, "last_inventory_push_at", started, update_modified=False
	)
	return {
		"levels": len(levels) - len(held),
		"held": [
			{"item_code": h["item_code"], "warehouse": h["warehouse"], "erpnext_qty": h["quantity"]}
			for h in held
		],
	}


def _set_quantities(connector, batch: list[dict], run: str, compare: bool) -> dict:
	data = connector.query(
		queries.INVENTORY_SET_QUANTITIES,
		{
			"input": {
				"name": "available",
				"reason": "correction",
				"referenceDocumentUri": f"erpnext://{frappe.local.site}/stock/{run.split('/')[0]}",
				"quantities": [
					{
						"inventoryItemId": level["inventoryItemId"],
						"locationId": level["locationId"],
						"quantity": level["quantity"],
						"changeFromQuantity": level["pushed"] if compare and not _hold_over(level) else None,
					}
					for level in batch
				],
			},
			"idempotencyKey": idempotency_key("shopify-inventory", frappe.local.site, connector.store, run),
		},
		operation="SetQuantities",
	)
	return data.get("inventorySetQuantities") or {}


def _stale(payload: dict, batch: list[dict]) -> list[dict]:
	"""The levels Shopify refused because its stock there is not what ERPNext last set."""
	stale = []
	for error in payload.get("userErrors") or []:
		field = error.get("field") or []
		if error.get("code") == STALE and len(field) > 2 and str(field[2]).isdigit():
			stale.append(batch[int(field[2])])
	return stale


def _available(connector, level: dict) -> int | None:
	"""Shopify's available stock of one level now."""
	data = connector.query(
		queries.INVENTORY_LEVELS,
		{"ids": [gid("ProductVariant", level["variant_id"])], "locationId": level["locationId"]},
		operation="InventoryLevels",
	)
	return _available_of((data.get("nodes") or [None])[0])


def _available_of(node: dict | None) -> int | None:
	level = ((node or {}).get("inventoryItem") or {}).get("inventoryLevel") or {}
	return {q["name"]: q["quantity"] for q in level.get("quantities") or []}.get("available")


HELD = "held since"


def _pushed(listing) -> dict:
	return json.loads(listing.pushed_quantities or "{}")


def _held_items(listed: dict) -> list[str]:
	return [code for code, listing in listed.items() if _pushed(listing).get(HELD)]


def _hold_over(level: dict) -> bool:
	"""A level held long enough: ERPNext's stock is set over Shopify's."""
	since = level.get("held_since")
	return bool(since) and get_datetime(since) < add_to_date(now_datetime(), minutes=-HOLD_MINUTES)


def _remember(store: str, levels: list[dict], held_since=None) -> None:
	"""What ERPNext set (or found agreed) at each level: the next push sets it only from there.
	``held_since``: these levels are held instead (the first time kept), their figure unchanged."""
	by_item: dict[str, list[dict]] = {}
	for level in levels:
		by_item.setdefault(level["item_code"], []).append(level)
	for item_code, item_levels in by_item.items():
		listing = listing_of(item_code, store, ("pushed_quantities",))
		if not listing:
			continue
		known = _pushed(listing)
		holds = known.get(HELD, {})
		for level in item_levels:
			location = legacy_id(level["locationId"])
			if held_since:
				holds.setdefault(location, str(held_since))
			else:
				known[location] = level["quantity"]
				holds.pop(location, None)
		known[HELD] = holds
		if not holds:
			known.pop(HELD)
		frappe.db.set_value(
			constants.LISTING_DOCTYPE,
			listing.name,
			"pushed_quantities",
			json.dumps(known, sort_keys=True),
			update_modified=False,
		)


def inventory_drift(store: str | None = None) -> list[dict]:
	"""Items whose quantity in the store differs from ERPNext, per mapped warehouse/location."""
	connector = ShopifyConnector(store=store)
	settings = connector.settings
	levels = changed_levels(settings, since=None)
	drift = []
	by_location: dict[str, list[dict]] = {}
	for level in levels:
		if level["variant_id"]:
			by_location.setdefault(level["locationId"], []).append(level)
	for location, rows in by_location.items():
		for start in range(0, len(rows), DRIFT_BATCH):
			batch = rows[start : start + DRIFT_BATCH]
			data = connector.query(
				queries.INVENTORY_LEVELS,
				{"ids": [gid("ProductVariant", r["variant_id"]) for r in batch], "locationId": location},
				operation="InventoryLevels",
			)
			shopify_qty = {
				legacy_id(node["id"]): _available_of(node) for node in data.get("nodes") or [] if node
			}
			for row in batch:
				theirs = shopify_qty.get(row["variant_id"])
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
