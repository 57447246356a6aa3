"""Returns of the Shopify simulator: ``Order.returns``, reverse fulfillment orders and dispositions.

Written from https://shopify.dev/docs/apps/build/orders-fulfillment/returns-apps (returns and
reverse fulfillment orders) and the reference of ``Return``, ``ReverseFulfillmentOrder``,
``ReverseFulfillmentOrderLineItem`` and ``ReverseFulfillmentOrderDisposition``
(https://shopify.dev/docs/api/admin-graphql/latest/objects/ReverseFulfillmentOrderDisposition):

- only fulfilled units can be returned; a return (OPEN once created or approved; REQUESTED when the
  customer asked and it is not approved yet) has return line items, each pointing at the
  fulfillment line item that shipped the units, and an approved return has a reverse fulfillment
  order whose line items are disposed: RESTOCKED at a location (the units are ``available`` and
  ``on_hand`` there again), NOT_RESTOCKED, MISSING or PROCESSING_REQUIRED. A return is closed
  after it is processed; a refund of its units is a separate ``Refund`` (see payments), listed in
  the return's ``refunds``, whose lines say ``restocked`` false (the disposition restocked them). An exchange returns units without a
  refund. Units a refund restocked (legacy flow) cannot be returned again.
- reading returns needs the ``read_returns`` scope.

Not modelled: exchange line items, reverse deliveries (labels), return fees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scoopjoy.tests.simulators.shopify.common import gid, parse_gid, to_iso

RETURNS_SCOPE = "read_returns"
DISPOSITION_TYPES = ("RESTOCKED", "NOT_RESTOCKED", "MISSING", "PROCESSING_REQUIRED")


class ReturnsMixin:
	"""Of :class:`~.server.ShopifySimulator`: an order's returns and what happened to the units."""

	def create_return(self, order_id: Any, lines: Mapping[Any, int], status: str = "OPEN", at=None) -> dict:
		"""A return of fulfilled units ``{line (index or id): quantity}``; OPEN returns get their
		reverse fulfillment order (REQUESTED ones when approved)."""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			returned = self._returned_units(order)
			items = []
			for ref, qty in lines.items():
				line = self._line(order, ref)
				shipped = [
					fli
					for fulfillment in order["fulfillments"]
					for fli in fulfillment["fulfillmentLineItems"]
					if fli["lineItem"] is line
				]
				if not shipped or sum(f["quantity"] for f in shipped) - returned.get(line["_n"], 0) < qty:
					raise ValueError(f"cannot return {qty} of {line['title']}: not that many fulfilled")
				items.append(
					{
						"__typename": "ReturnLineItem",
						"id": gid("ReturnLineItem", self._next_id("ReturnLineItem")),
						"quantity": int(qty),
						"fulfillmentLineItem": shipped[-1],
					}
				)
			n = self._next_id("Return")
			record = {
				"__typename": "Return",
				"id": gid("Return", n),
				"name": f"{order['name']}-R{len(order.setdefault('returns', [])) + 1}",
				"status": status,
				"createdAt": self._now_iso(),
				"returnLineItems": items,
				"reverseFulfillmentOrders": [],
				"refunds": [],
			}
			order["returns"].append(record)
			if status == "OPEN":
				self._open_reverse_fulfillment(record)
			self._bump(order, at)
			return record

	def approve_return(self, return_id: Any, at=None) -> dict:
		with self.lock:
			order, record = self._return(return_id)
			record["status"] = "OPEN"
			self._open_reverse_fulfillment(record)
			self._bump(order, at)
			return record

	def dispose(
		self, return_id: Any, line: Any, quantity: int, kind: str = "RESTOCKED", location: Any = None, at=None
	) -> dict:
		"""``reverseFulfillmentOrderDispose`` of ``quantity`` units of the return's ``line`` (index of
		its return line items): RESTOCKED puts them back at ``location`` (default the primary one)."""
		if kind not in DISPOSITION_TYPES:
			raise ValueError(f"unknown disposition type {kind}")
		with self.lock:
			order, record = self._return(return_id)
			if not record["reverseFulfillmentOrders"]:
				raise ValueError(f"return {record['name']} is not approved: nothing to dispose")
			rfo_line = record["reverseFulfillmentOrders"][0]["lineItems"][line]
			left = rfo_line["totalQuantity"] - sum(d["quantity"] for d in rfo_line["dispositions"])
			if quantity > left:
				raise ValueError(f"cannot dispose {quantity}: {left} left")
			place = None
			if kind == "RESTOCKED":
				place = self.locations[parse_gid(location, "Location")] if location else self.primary_location
				line_item = rfo_line["fulfillmentLineItem"]["lineItem"]
				variant = self.variants.get(line_item.get("_variant")) if line_item.get("_variant") else None
				item = ((variant or {}).get("inventoryItem") or {}).get("_n")
				if item:
					level = self._stock(item, place["_n"])
					level["_q"]["available"] += quantity
					level["_q"]["on_hand"] += quantity
			disposition = {
				"__typename": "ReverseFulfillmentOrderDisposition",
				"id": gid(
					"ReverseFulfillmentOrderDisposition", self._next_id("ReverseFulfillmentOrderDisposition")
				),
				"createdAt": to_iso(at) if at else self._now_iso(),
				"quantity": int(quantity),
				"type": kind,
				"location": place,
			}
			rfo_line["dispositions"].append(disposition)
			self._bump(order, at)
			return disposition

	def close_return(self, return_id: Any, status: str = "CLOSED", at=None) -> dict:
		"""CLOSED once processed; CANCELED or DECLINED when it will not happen."""
		with self.lock:
			order, record = self._return(return_id)
			record["status"] = status
			for rfo in record["reverseFulfillmentOrders"]:
				rfo["status"] = "CLOSED" if status == "CLOSED" else "CANCELED"
			self._bump(order, at)
			return record

	# --- helpers ------------------------------------------------------------------------------------

	def _open_reverse_fulfillment(self, record: dict) -> None:
		if record["reverseFulfillmentOrders"]:
			return
		record["reverseFulfillmentOrders"].append(
			{
				"__typename": "ReverseFulfillmentOrder",
				"id": gid("ReverseFulfillmentOrder", self._next_id("ReverseFulfillmentOrder")),
				"status": "OPEN",
				"lineItems": [
					{
						"__typename": "ReverseFulfillmentOrderLineItem",
						"id": gid(
							"ReverseFulfillmentOrderLineItem",
							self._next_id("ReverseFulfillmentOrderLineItem"),
						),
						"totalQuantity": item["quantity"],
						"fulfillmentLineItem": item["fulfillmentLineItem"],
						"dispositions": [],
					}
					for item in record["returnLineItems"]
				],
			}
		)

	def _return(self, return_id: Any) -> tuple[dict, dict]:
		n = parse_gid(return_id["id"] if isinstance(return_id, Mapping) else return_id, "Return")
		for order in self.orders.values():
			for record in order.get("returns") or []:
				if parse_gid(record["id"], "Return") == n:
					return order, record
		raise KeyError(f"no Return {return_id!r}")

	def _returned_units(self, order: dict) -> dict[int, int]:
		"""Units of each line that came back already: in a live return, or restocked by a refund."""
		units: dict[int, int] = {}
		for refund in order.get("refunds") or []:
			for item in refund.get("refundLineItems") or []:
				if item.get("restocked") and item.get("restockType") in ("RETURN", "LEGACY_RESTOCK"):
					n = item["lineItem"]["_n"]
					units[n] = units.get(n, 0) + item["quantity"]
		for record in order.get("returns") or []:
			if record["status"] in ("CANCELED", "DECLINED"):
				continue
			for item in record["returnLineItems"]:
				n = item["fulfillmentLineItem"]["lineItem"]["_n"]
				units[n] = units.get(n, 0) + item["quantity"]
		return units
