"""What we send to the mobile app, built from plain data (no Frappe), so it is tested everywhere."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal

MENU_FIELDS = ("item_code", "item_name", "item_group", "standard_rate", "image", "description")


def menu_payload(items: Iterable[Mapping], outlet_id: str | None = None) -> dict:
	"""The menu as the app expects it; items sorted so the same menu always looks the same."""
	rows = [
		{
			"item_code": item["item_code"],
			"item_name": item.get("item_name") or item["item_code"],
			"item_group": item.get("item_group"),
			"price": _money(item.get("standard_rate")),
			"image": item.get("image") or None,
			"description": item.get("description") or "",
		}
		for item in items
	]
	rows.sort(key=lambda row: row["item_code"])
	return {"outlet_id": outlet_id, "items": rows}


def available_at(item: Mapping, outlet_id: str) -> bool:
	"""``custom_available_at`` lists outlet names one per line; empty means every outlet."""
	outlets = {line.strip() for line in (item.get("custom_available_at") or "").splitlines() if line.strip()}
	return not outlets or outlet_id in outlets


def menu_fingerprint(payload: Mapping) -> str:
	"""Identifies a menu's content: an unchanged menu is not pushed again, and the same menu
	pushed twice (a retried job) carries the same idempotency key."""
	canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
	return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def outlet_payload(outlet: Mapping) -> dict:
	return {
		"outlet_id": outlet["name"],
		"name": outlet.get("outlet_name") or outlet["name"],
		"address": outlet.get("address_display") or "",
		"latitude": outlet.get("latitude"),
		"longitude": outlet.get("longitude"),
		"opening_time": _time(outlet.get("opening_time")),
		"closing_time": _time(outlet.get("closing_time")),
		"is_active": bool(outlet.get("is_active")),
	}


def order_status_payload(order_id: str, status: str, customer_email: str | None, changed_at: str) -> dict:
	return {
		"order_id": order_id,
		"status": status,
		"customer_email": customer_email,
		"updated_at": changed_at,
	}


def coordinate_problem(latitude, longitude) -> str | None:
	"""None when the coordinates are usable; else what is wrong, for the person editing the outlet."""
	if latitude in (None, "") and longitude in (None, ""):
		return None
	try:
		lat, lon = float(latitude or 0), float(longitude or 0)
	except (TypeError, ValueError):
		return "latitude and longitude must be numbers in decimal degrees"
	if not -90 <= lat <= 90:
		return f"latitude {lat} is outside -90..90 (decimal degrees)"
	if not -180 <= lon <= 180:
		return f"longitude {lon} is outside -180..180 (decimal degrees)"
	if lat == 0 and lon == 0:
		return "latitude and longitude are both 0 (a point in the Atlantic): enter the outlet's real location or leave both empty"
	return None


def _money(value) -> str:
	return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def _time(value) -> str | None:
	if value in (None, ""):
		return None
	text = str(value)
	return text if len(text.split(":")) == 3 else f"{text}:00"
