"""Locations and stock in the Shopify simulator, and the ``inventorySetQuantities`` mutation.

``inventorySetQuantities`` sets absolute quantities; from 2026-04 the ``@idempotent(key:)``
directive is mandatory and every quantity needs ``changeFromQuantity``, null to skip the
compare-and-set:
https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations;
a replayed key returns the first result without applying twice, the same key with another input
is ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``. Invalid input is ``userErrors`` in the payload, not an
HTTP error. The directive itself is checked in :mod:`.resolvers`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from scoopjoy.tests.simulators.shopify.common import gid, parse_gid

QUANTITY_NAMES = (
	"available",
	"on_hand",
	"committed",
	"incoming",
	"reserved",
	"damaged",
	"safety_stock",
	"quality_control",
)
INVENTORY_REASONS = (
	"correction",
	"cycle_count_available",
	"damaged",
	"movement_canceled",
	"movement_created",
	"movement_received",
	"movement_updated",
	"other",
	"promotion",
	"quality_control",
	"received",
	"reservation_created",
	"reservation_deleted",
	"reservation_updated",
	"restock",
	"safety_stock",
	"shrinkage",
)


class InventoryMixin:
	"""Of :class:`~.server.ShopifySimulator`: locations (one, "Main Warehouse", from the start),
	inventory levels and their named quantities."""

	def add_location(self, name: str, *, active: bool = True) -> dict:
		with self.lock:
			n = self._next_id("Location")
			location = {
				"__typename": "Location",
				"id": gid("Location", n),
				"legacyResourceId": str(n),
				"name": name,
				"isActive": active,
				"fulfillsOnlineOrders": True,
				"address": {"address1": None, "city": None, "zip": None, "countryCode": None},
				"_n": n,
			}
			self.locations[n] = location
			return location

	@property
	def primary_location(self) -> dict:
		with self.lock:
			return next(loc for loc in self.locations.values() if loc["isActive"])

	def inventory_level(self, inventory_item_id: Any, location_id: Any = None) -> dict[str, int] | None:
		"""The quantities of an item at a location (default: the primary one); None when not stocked."""
		with self.lock:
			item_n = parse_gid(inventory_item_id, "InventoryItem")
			loc_n = parse_gid(location_id, "Location") if location_id else self.primary_location["_n"]
			level = self.levels.get((item_n, loc_n))
			return dict(level["_q"]) if level else None

	def set_inventory(self, inventory_item_id: Any, location_id: Any, available: int) -> None:
		"""Set ``available`` (and ``on_hand`` by the same delta), stocking the item there if needed."""
		with self.lock:
			item_n = parse_gid(inventory_item_id, "InventoryItem")
			if item_n not in self.inventory_items:
				raise KeyError(f"no InventoryItem {inventory_item_id!r}")
			loc_n = parse_gid(location_id, "Location") if location_id else self.primary_location["_n"]
			level = self._stock(item_n, loc_n)
			delta = int(available) - level["_q"]["available"]
			level["_q"]["available"] += delta
			level["_q"]["on_hand"] += delta
			level["updatedAt"] = self._now_iso()

	def _stock(self, item_n: int, loc_n: int) -> dict:
		level = self.levels.get((item_n, loc_n))
		if level is None:
			if loc_n not in self.locations:
				raise KeyError(f"no Location {loc_n}")
			level = {
				"__typename": "InventoryLevel",
				"id": f"gid://shopify/InventoryLevel/{loc_n}?inventory_item_id={item_n}",
				"_item": item_n,
				"_loc": loc_n,
				"_q": {name: 0 for name in QUANTITY_NAMES},
				"updatedAt": self._now_iso(),
			}
			self.levels[(item_n, loc_n)] = level
		return level

	# --- inventorySetQuantities -----------------------------------------------------------------------

	def inventory_set_quantities(self, data: Mapping[str, Any], key: str | None) -> dict:
		with self.lock:
			fingerprint = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
			if key is not None and key in self.idempotency:
				stored_fingerprint, payload = self.idempotency[key]
				if stored_fingerprint != fingerprint:
					return {
						"inventoryAdjustmentGroup": None,
						"userErrors": [
							{
								"field": None,
								"message": "The same idempotency key cannot be used with different operation parameters.",
								"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
							}
						],
					}
				return payload
			payload = self._set_quantities(data)
			if key is not None:
				self.idempotency[key] = (fingerprint, payload)
			return payload

	def _set_quantities(self, data: Mapping[str, Any]) -> dict:
		errors: list[dict] = []

		def error(path: list[Any], message: str, code: str) -> None:
			errors.append({"field": [str(p) for p in path], "message": message, "code": code})

		name = data.get("name")
		if name not in ("available", "on_hand"):
			error(
				["input", "name"],
				"The quantity name must be either 'available' or 'on_hand'.",
				"INVALID_NAME",
			)
		if data.get("reason") not in INVENTORY_REASONS:
			error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON")
		uri = data.get("referenceDocumentUri")
		if uri is not None and (":" not in uri or " " in uri):
			error(
				["input", "referenceDocumentUri"],
				"The specified reference document is invalid.",
				"INVALID_REFERENCE_DOCUMENT",
			)
		plans: list[tuple[dict, int, int, int]] = []
		seen: set[tuple[int, int]] = set()
		for i, q in enumerate(data.get("quantities") or []):
			path = ["input", "quantities", i]
			item_n = parse_gid(q.get("inventoryItemId"), "InventoryItem")
			loc_n = parse_gid(q.get("locationId"), "Location")
			quantity = q.get("quantity")
			if "changeFromQuantity" not in q:
				error(
					[*path, "changeFromQuantity"],
					"changeFromQuantity must be given for each quantity; pass null to skip the check.",
					"COMPARE_QUANTITY_REQUIRED",
				)
				continue
			if item_n not in self.inventory_items:
				error(
					[*path, "inventoryItemId"],
					"The specified inventory item could not be found.",
					"INVALID_INVENTORY_ITEM",
				)
				continue
			if loc_n not in self.locations:
				error([*path, "locationId"], "The specified location could not be found.", "INVALID_LOCATION")
				continue
			if (item_n, loc_n) in seen:
				error(
					path,
					"The combination of inventoryItemId and locationId must be unique.",
					"NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
				)
				continue
			seen.add((item_n, loc_n))
			level = self.levels.get((item_n, loc_n))
			if level is None:
				error(
					[*path, "locationId"],
					"The specified inventory item is not stocked at the location.",
					"ITEM_NOT_STOCKED_AT_LOCATION",
				)
				continue
			if quantity > 1_000_000_000:
				error(
					[*path, "quantity"],
					"The total quantity can't be higher than 1,000,000,000.",
					"INVALID_QUANTITY_TOO_HIGH",
				)
				continue
			if quantity < -1_000_000_000:
				error(
					[*path, "quantity"],
					"The total quantity can't be lower than -1,000,000,000.",
					"INVALID_QUANTITY_TOO_LOW",
				)
				continue
			if name == "on_hand" and quantity < 0:
				error([*path, "quantity"], "The quantity can't be negative.", "INVALID_QUANTITY_NEGATIVE")
				continue
			current = level["_q"].get(name, 0) if name in ("available", "on_hand") else 0
			expected = q.get("changeFromQuantity")
			if expected is not None and expected != current:
				error(
					[*path, "changeFromQuantity"],
					"The changeFromQuantity value does not match persisted value.",
					"CHANGE_FROM_QUANTITY_STALE",
				)
				continue
			plans.append((level, item_n, loc_n, quantity - current))
		if errors:
			return {"inventoryAdjustmentGroup": None, "userErrors": errors}
		other = "on_hand" if name == "available" else "available"
		stamp = self._now_iso()
		changes = []
		for level, item_n, loc_n, delta in plans:
			level["_q"][name] += delta
			level["_q"][other] += delta
			level["updatedAt"] = stamp
			if delta:
				for changed in (name, other):
					changes.append(
						{
							"name": changed,
							"delta": delta,
							"quantityAfterChange": level["_q"][changed],
							"item": self.inventory_items[item_n],
							"location": self.locations[loc_n],
							"ledgerDocumentUri": None,
						}
					)
		self.applied_inventory_mutations += 1
		group = {
			"__typename": "InventoryAdjustmentGroup",
			"id": gid("InventoryAdjustmentGroup", self._next_id("InventoryAdjustmentGroup")),
			"createdAt": stamp,
			"reason": data.get("reason"),
			"referenceDocumentUri": uri,
			"changes": changes,
		}
		return {"inventoryAdjustmentGroup": group, "userErrors": []}
