"""Fulfilment in the Shopify simulator: a Fulfillment of an order's line items from a location, and the
order's ``displayFulfillmentStatus``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scoopjoy.tests.simulators.shopify.common import gid, parse_gid, to_iso


class FulfillmentMixin:
	"""Of :class:`~.server.ShopifySimulator`: fulfilments (tips are never fulfilled)."""

	def fulfill(
		self,
		order_id: Any,
		lines: Mapping[Any, int] | Iterable[tuple[Any, int]] | None = None,
		*,
		at: Any = None,
		location: Any = None,
	) -> dict:
		"""A SUCCESS fulfillment of ``lines`` ({line item id or index: quantity}; None: all that is left)
		from ``location`` (a location or its id; default the primary one): Shopify's
		``Fulfillment.location``, REST ``location_id``.

		Returns the fulfillment; the order becomes PARTIALLY_FULFILLED or FULFILLED. Tips are never
		fulfilled.
		"""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			return self._fulfill(order, lines, at, location)

	def _line(self, order: dict, ref: Any) -> dict:
		if (
			isinstance(ref, int)
			and 0 <= ref < len(order["lineItems"])
			and parse_gid(ref) not in {li["_n"] for li in order["lineItems"]}
		):
			return order["lineItems"][ref]
		n = parse_gid(ref["id"] if isinstance(ref, Mapping) else ref, "LineItem")
		for line in order["lineItems"]:
			if line["_n"] == n:
				return line
		raise KeyError(f"no line item {ref!r} in order {order['name']}")

	def _fulfill(self, order: dict, lines: Any, at: Any, location: Any = None) -> dict:
		stamp = to_iso(at) if at else self._now_iso()
		if location is None:
			where = next(loc for loc in self.locations.values() if loc["isActive"])
		else:
			where = self._find(self.locations, "Location", location)
		if lines is None:
			wanted = [
				(line, line["currentQuantity"] - line["_fulfilled"])
				for line in order["lineItems"]
				if not line.get("_tip")
			]
		else:
			pairs = lines.items() if isinstance(lines, Mapping) else lines
			wanted = [(self._line(order, ref), int(qty)) for ref, qty in pairs]
		wanted = [(line, qty) for line, qty in wanted if qty > 0]
		for line, qty in wanted:
			if line.get("_tip"):
				raise ValueError("a tip cannot be fulfilled")
			if line["_fulfilled"] + qty > line["currentQuantity"]:
				raise ValueError(
					f"cannot fulfil {qty} of {line['title']}: only {line['currentQuantity'] - line['_fulfilled']} left"
				)
		fn = self._next_id("Fulfillment")
		fulfillment = {
			"__typename": "Fulfillment",
			"id": gid("Fulfillment", fn),
			"legacyResourceId": str(fn),
			"name": f"{order['name']}-F{len(order['fulfillments']) + 1}",
			"status": "SUCCESS",
			"createdAt": stamp,
			"updatedAt": stamp,
			"location": where,
			"fulfillmentLineItems": [
				{
					"__typename": "FulfillmentLineItem",
					"id": gid("FulfillmentLineItem", self._next_id("FulfillmentLineItem")),
					"quantity": qty,
					"lineItem": line,
				}
				for line, qty in wanted
			],
		}
		for line, qty in wanted:
			line["_fulfilled"] += qty
		order["fulfillments"].append(fulfillment)
		self._update_fulfillment_status(order)
		self._bump(order, at)
		return fulfillment

	def _update_fulfillment_status(self, order: dict) -> None:
		goods = [li for li in order["lineItems"] if not li.get("_tip")]
		remaining = sum(max(0, li["currentQuantity"] - li["_fulfilled"]) for li in goods)
		shipped = sum(li["_fulfilled"] for li in goods)
		if shipped == 0:
			order["displayFulfillmentStatus"] = "UNFULFILLED"
		elif remaining == 0:
			order["displayFulfillmentStatus"] = "FULFILLED"
		else:
			order["displayFulfillmentStatus"] = "PARTIALLY_FULFILLED"
