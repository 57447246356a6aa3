"""Parcels, carrier payloads and tracking, built from plain data (no Frappe), tested everywhere."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scoopjoy.connectors.shipping import constants

#: kilograms per unit of the weight UOMs ERPNext ships with (UOM names are matched lower-case)
KG_PER_UOM = {
	"kg": 1.0,
	"kgs": 1.0,
	"kilogram": 1.0,
	"kilograms": 1.0,
	"g": 0.001,
	"gm": 0.001,
	"gram": 0.001,
	"grams": 0.001,
	"gram-force": 0.001,
	"mg": 0.000001,
	"milligram": 0.000001,
	"tonne": 1000.0,
	"ton": 1000.0,
	"metric ton": 1000.0,
	"lb": 0.45359237,
	"lbs": 0.45359237,
	"pound": 0.45359237,
	"oz": 0.028349523125,
	"ounce": 0.028349523125,
}


@dataclass
class ParcelWeight:
	"""The parcel weight in kg, and the items it could not be computed for."""

	weight_kg: float = 0.0
	items_without_weight: list[str] = field(default_factory=list)
	unknown_uoms: list[tuple[str, str]] = field(default_factory=list)  # (item, uom)

	@property
	def ok(self) -> bool:
		return not self.items_without_weight and not self.unknown_uoms


def to_kg(weight: Any, uom: str | None, default_uom: str = "kg") -> float | None:
	"""``weight`` in ``uom`` as kilograms; None when the UOM is not a weight we know."""
	factor = KG_PER_UOM.get((uom or default_uom or "").strip().lower())
	if factor is None:
		return None
	return float(weight or 0) * factor


def parcel_weight(
	items: Iterable[Mapping],
	*,
	minimum_kg: float,
	fallback_kg: float = 0.0,
	default_uom: str = "kg",
) -> ParcelWeight:
	"""Total weight of Delivery Note rows (``item_code``, ``qty``, ``weight_per_unit``, ``weight_uom``).

	A row without a weight uses ``fallback_kg`` per unit when that is set (> 0); otherwise the
	item is reported, so the person can set its weight instead of shipping a wrong parcel.
	The result is at least ``minimum_kg`` (carriers refuse a parcel lighter than their minimum).
	"""
	result = ParcelWeight()
	total = 0.0
	for row in items:
		code = str(row.get("item_code") or "?")
		qty = abs(float(row.get("qty") or 0))
		per_unit = float(row.get("weight_per_unit") or 0)
		if per_unit <= 0:
			if fallback_kg and fallback_kg > 0:
				total += fallback_kg * qty
			elif code not in result.items_without_weight:
				result.items_without_weight.append(code)
			continue
		kg = to_kg(per_unit, row.get("weight_uom"), default_uom)
		if kg is None:
			result.unknown_uoms.append((code, str(row.get("weight_uom"))))
			continue
		total += kg * qty
	result.weight_kg = round(max(total, float(minimum_kg or 0)), 3)
	return result


def weight_problem(weight: ParcelWeight) -> str | None:
	"""One sentence naming what is missing, or None."""
	parts = []
	if weight.items_without_weight:
		parts.append(
			"these items have no weight: "
			+ ", ".join(weight.items_without_weight)
			+ " (set Weight Per Unit and Weight UOM on the Item, or a fallback weight in Shipping Settings)"
		)
	if weight.unknown_uoms:
		parts.append(
			"these items have a weight UOM that is not a weight: "
			+ ", ".join(f"{code} ({uom})" for code, uom in weight.unknown_uoms)
		)
	return "; ".join(parts) or None


def shipment_parcels(weight_kg: float, length: int, width: int, height: int) -> list[dict]:
	return [
		{"length": int(length), "width": int(width), "height": int(height), "weight": weight_kg, "count": 1}
	]


def external_reference(shipment: str, index: int) -> str:
	"""The carrier-side unique reference of parcel ``index`` of a Shipment (same on every retry)."""
	return f"{shipment}-{index}"


def carrier_parcel(
	*,
	shipment: str,
	index: int,
	address: Mapping,
	recipient: str,
	company_name: str | None,
	email: str | None,
	phone: str | None,
	weight_kg: float,
	service_id: int | str,
	value: float,
	currency: str | None,
	description: str,
) -> dict:
	"""A SendCloud-style parcel (``POST /api/v2/parcels``), labelled at once."""
	return {
		"parcel": {
			"name": recipient,
			"company_name": company_name or "",
			"address": address.get("address_line1") or "",
			"address_2": address.get("address_line2") or "",
			"city": address.get("city") or "",
			"postal_code": address.get("pincode") or "",
			"country": (address.get("country_code") or "").upper(),
			"email": email or "",
			"telephone": phone or "",
			"weight": f"{weight_kg:.3f}",
			"shipment": {"id": service_id},
			"request_label": True,
			"order_number": shipment,
			"external_reference": external_reference(shipment, index),
			"total_order_value": f"{float(value or 0):.2f}",
			"total_order_value_currency": currency or "",
			"parcel_items": [
				{
					"description": description[:255],
					"quantity": 1,
					"weight": f"{weight_kg:.3f}",
					"value": f"{float(value or 0):.2f}",
				}
			],
		}
	}


def rates_from_methods(
	response: Mapping | None, to_country: str, weight_kg: float, provider: str
) -> list[dict]:
	"""Rates as ERPNext Shipping lists them (``service_provider``, ``carrier``, ``service_name``,
	``service_id``, ``total_price``) for the methods that ship to ``to_country`` at this weight."""
	to_country = (to_country or "").upper()
	rates = []
	for method in (response or {}).get("shipping_methods") or ():
		try:
			if not float(method.get("min_weight") or 0) <= weight_kg <= float(method.get("max_weight") or 0):
				continue
		except (TypeError, ValueError):
			continue
		country = next(
			(c for c in method.get("countries") or () if (c.get("iso_2") or "").upper() == to_country), None
		)
		if country is None:
			continue
		rates.append(
			{
				"service_provider": provider,
				"carrier": str(method.get("carrier") or "").upper(),
				"service_name": method.get("name"),
				"service_id": method.get("id"),
				"total_price": float(country.get("price") or 0),
			}
		)
	return sorted(rates, key=lambda rate: rate["total_price"])


def tracking_status(status_id: Any, message: str | None) -> str:
	"""Shipment.tracking_status for a carrier status."""
	try:
		status_id = int(status_id)
	except (TypeError, ValueError):
		status_id = None
	text = (message or "").lower()
	if status_id in constants.DELIVERED_STATUS_IDS or text.startswith("delivered"):
		return constants.DELIVERED
	if "return" in text:
		return constants.RETURNED
	if status_id in constants.LOST_STATUS_IDS or "lost" in text:
		return constants.LOST
	return constants.IN_PROGRESS


def tracking_from_parcels(parcels: Iterable[Mapping]) -> dict:
	"""Shipment tracking fields for the parcels of one Shipment (joined like ERPNext Shipping)."""
	parcels = list(parcels)
	statuses = [
		tracking_status((p.get("status") or {}).get("id"), (p.get("status") or {}).get("message"))
		for p in parcels
	]
	# the Shipment is delivered when every parcel is; one lost or returned parcel says so
	overall = constants.IN_PROGRESS
	for final in (constants.LOST, constants.RETURNED):
		if final in statuses:
			overall = final
	if statuses and all(s == constants.DELIVERED for s in statuses):
		overall = constants.DELIVERED
	return {
		"awb_number": ", ".join(
			str(p.get("tracking_number") or "") for p in parcels if p.get("tracking_number")
		),
		"tracking_status": overall,
		"tracking_status_info": ", ".join(str((p.get("status") or {}).get("message") or "") for p in parcels),
		"tracking_url": ", ".join(str(p.get("tracking_url") or "") for p in parcels if p.get("tracking_url")),
	}


def label_url(parcel: Mapping) -> str | None:
	label = parcel.get("label") or {}
	printers = label.get("normal_printer") or []
	return label.get("label_printer") or (printers[0] if printers else None)


def booking_info(parcels: Iterable[Mapping], rate: Mapping) -> dict:
	"""What is written on the Shipment after a booking (the fields ERPNext Shipping writes)."""
	parcels = list(parcels)
	return {
		"service_provider": rate.get("service_provider"),
		"carrier": rate.get("carrier"),
		"carrier_service": rate.get("service_name"),
		"shipment_amount": rate.get("total_price"),
		"shipment_id": ", ".join(str(p["id"]) for p in parcels),
		"awb_number": ", ".join(
			str(p.get("tracking_number") or "") for p in parcels if p.get("tracking_number")
		),
		"tracking_url": ", ".join(str(p.get("tracking_url") or "") for p in parcels if p.get("tracking_url")),
		"label_urls": [url for url in (label_url(p) for p in parcels) if url],
	}
