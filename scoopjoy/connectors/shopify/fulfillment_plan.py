"""Which fulfillment order lines a Delivery Note fulfils in Shopify, and which fulfilment an earlier,
interrupted attempt already made. Pure: no frappe.

Shopify fulfils through fulfillment orders
(https://shopify.dev/docs/api/admin-graphql/latest/objects/FulfillmentOrder): the units of an order
assigned to one location, each line with its ``remainingQuantity``. A Delivery Note ships from a
warehouse; the Shopify Store maps it to a location; its rows ship units of Shopify line items. The
plan takes those units from the fulfillment orders of that location, or says in words why it
cannot: on hold, scheduled, closed, fewer units left than the note ships, the line assigned to
another location, or a warehouse without a location when the order ships from several. A line
with no fulfillment order line anywhere needs no shipping (a gift card, a digital good) and is left
out.

``fulfillmentCreate`` has no idempotency key: after a call whose answer was lost, :func:`adoptable`
finds the fulfilment it made (same location, exactly these units, made since the call, not yet on
another note) instead of fulfilling twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scoopjoy.connectors.shopify.booking import nodes
from scoopjoy.connectors.shopify.mapping import legacy_id

FULFILLABLE = ("OPEN", "IN_PROGRESS")


class CannotFulfil(ValueError):
	"""What Shopify would refuse, in words a person can act on."""


@dataclass(frozen=True)
class Wanted:
	line_item_id: str  # legacy id
	quantity: int
	title: str


def _location(fulfillment_order: Mapping) -> str | None:
	return legacy_id(((fulfillment_order.get("assignedLocation") or {}).get("location") or {}).get("id"))


def plan_fulfillment(
	fulfillment_orders: Iterable[Mapping], wanted: Iterable[Wanted], location_id: str | None, where: str
) -> list[dict]:
	"""``lineItemsByFulfillmentOrder`` of a ``FulfillmentInput`` for ``wanted`` units shipped from the
	location ``location_id`` (legacy id; None: the warehouse ``where`` has no location mapped)."""
	orders = list(fulfillment_orders)
	wanted = [w for w in wanted if w.quantity > 0]
	if location_id is None:
		places = {_location(fo) for fo in orders if fo.get("status") in FULFILLABLE} or {
			_location(fo) for fo in orders
		}
		if len(places) > 1:
			raise CannotFulfil(
				f"the order ships from {len(places)} Shopify locations and warehouse {where} is mapped to "
				"none of them: map it in Shopify Store > Locations"
			)
		location_id = next(iter(places), None)
	here = [fo for fo in orders if _location(fo) == location_id]
	rows: dict[str, list[dict]] = {}
	for item in wanted:
		found = [
			(fo, line)
			for fo in here
			for line in nodes(fo.get("lineItems"))
			if legacy_id((line.get("lineItem") or {}).get("id")) == item.line_item_id
		]
		if not found:
			elsewhere = [
				fo
				for fo in orders
				for line in nodes(fo.get("lineItems"))
				if legacy_id((line.get("lineItem") or {}).get("id")) == item.line_item_id
			]
			if elsewhere:
				raise CannotFulfil(
					f"{item.title} is assigned to another Shopify location than the one of warehouse {where}: "
					"ship it from that location's warehouse, or move it in Shopify"
				)
			continue  # no fulfillment order line at all: a line that needs no shipping (gift card, digital)
		open_lines = [(fo, line) for fo, line in found if fo.get("status") in FULFILLABLE]
		if not open_lines:
			status = found[0][0].get("status")
			if status == "ON_HOLD":
				raise CannotFulfil(
					f"{item.title}: its fulfillment order is on hold in Shopify: release the hold"
				)
			if status == "SCHEDULED":
				raise CannotFulfil(
					f"{item.title}: its fulfillment order is scheduled for later in Shopify: mark it ready to "
					"fulfil there, then retry"
				)
			raise CannotFulfil(
				f"{item.title}: Shopify has nothing left to fulfil (its fulfillment order is {status})"
			)
		left = item.quantity
		for fo, line in open_lines:
			take = min(left, int(line.get("remainingQuantity") or 0))
			if take > 0:
				rows.setdefault(fo["id"], []).append({"id": line["id"], "quantity": take})
				left -= take
		if left > 0:
			remaining = sum(int(line.get("remainingQuantity") or 0) for _fo, line in open_lines)
			raise CannotFulfil(
				f"Shopify has {remaining} of {item.title} left to fulfil at that location; the note ships {item.quantity}"
			)
	return [
		{"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": lines} for fo_id, lines in rows.items()
	]


def adoptable(
	fulfillments: Iterable[Mapping],
	wanted: Iterable[Wanted],
	location_id: str | None,
	since: str,
	claimed: Iterable[str],
) -> str | None:
	"""The id of the fulfilment an interrupted ``fulfillmentCreate`` made for exactly ``wanted``, if
	Shopify has one: successful, made at or after ``since`` (ISO, UTC), at ``location_id``, and on no
	other Delivery Note (``claimed``)."""
	units = {w.line_item_id: w.quantity for w in wanted if w.quantity > 0}
	taken = set(claimed)
	for fulfillment in fulfillments:
		ident = legacy_id(fulfillment.get("id"))
		if (
			fulfillment.get("status") != "SUCCESS"
			or ident in taken
			or (fulfillment.get("createdAt") or "") < since
			or (location_id and legacy_id((fulfillment.get("location") or {}).get("id")) != location_id)
		):
			continue
		got: dict[str, int] = {}
		for line in nodes(fulfillment.get("fulfillmentLineItems")):
			key = legacy_id((line.get("lineItem") or {}).get("id"))
			got[key] = got.get(key, 0) + int(line.get("quantity") or 0)
		if got == units:
			return ident
	return None
