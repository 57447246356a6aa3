"""Fulfilment in the Shopify simulator: a Fulfillment of an order's line items from a location, and the
order's ``displayFulfillmentStatus``; fulfillment orders and the mutations an app fulfils them with.

- FulfillmentOrder (https://shopify.dev/docs/api/admin-graphql/latest/objects/FulfillmentOrder): one
  per location the order's lines are assigned to (default: the first active location;
  :meth:`assign_location` moves a line before anything is fulfilled), with ``status`` OPEN,
  IN_PROGRESS (partly fulfilled), CLOSED (nothing left), ON_HOLD (:meth:`hold_fulfillment_order`) or
  CANCELLED (the order was), ``assignedLocation`` and ``lineItems`` (``totalQuantity``,
  ``remainingQuantity``). Reading them needs ``read_merchant_managed_fulfillment_orders`` (or its
  write scope).
- ``fulfillmentCreate(fulfillment: FulfillmentInput!, message:)``
  (https://shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentCreate): quantities per
  fulfillment order line (all that remains when none are given), optional ``trackingInfo``
  (company, number, url) and ``notifyCustomer``; needs
  ``write_merchant_managed_fulfillment_orders``. userErrors, as Shopify words them, for a fulfillment
  order that is not OPEN or IN_PROGRESS, an unknown line, more than remains, and fulfillment orders of
  several locations or orders in one fulfilment.
- ``fulfillmentTrackingInfoUpdate(fulfillmentId:, trackingInfoInput:, notifyCustomer:)``
  (https://shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentTrackingInfoUpdate) and
  ``fulfillmentCancel(id:)`` (https://shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentCancel):
  a cancelled fulfilment gives its quantities back to the fulfillment order.

Not modelled: fulfillment order moves, splits and merges, fulfilment holds' reasons, third-party
fulfilment services, and ``Fulfillment`` events. ``fulfillmentCreate`` has no idempotency key in
Shopify (nor here): a retried call fulfils again if anything remains.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scoopjoy.tests.simulators.shopify.common import gid, parse_gid, to_iso

FULFILLMENT_SCOPE = "write_merchant_managed_fulfillment_orders"


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

	# --- fulfillment orders -----------------------------------------------------------------------------

	def assign_location(self, order_id: Any, line: Any, location: Any) -> None:
		"""Assign a line item (id or index) to ``location`` (its fulfillment order is that location's)."""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			self._line(order, line)["_location"] = self._find(self.locations, "Location", location)["_n"]
			order.pop("_fulfillment_orders", None)

	def hold_fulfillment_order(self, order_id: Any, location: Any = None) -> dict:
		"""Put the fulfillment order of ``location`` (default: the first) ON_HOLD; returns it."""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			orders = self.fulfillment_orders(order)
			held = orders[0]
			if location is not None:
				n = self._find(self.locations, "Location", location)["_n"]
				held = next(fo for fo in orders if fo["_location"] == n)
			held["_held"] = True
			return self._fo_view(order, held)

	def fulfillment_orders(self, order: dict) -> list[dict]:
		"""The order's fulfillment orders (stored records; made on first use)."""
		if "_fulfillment_orders" not in order:
			primary = next(loc for loc in self.locations.values() if loc["isActive"])["_n"]
			by_location: dict[int, dict] = {}
			for line in order["lineItems"]:
				if line.get("_tip") or not line.get("requiresShipping", True):
					continue
				where = line.get("_location") or primary
				fo = by_location.get(where)
				if fo is None:
					n = self._next_id("FulfillmentOrder")
					fo = by_location[where] = {"_n": n, "_location": where, "_lines": [], "_held": False}
				fo["_lines"].append({"_n": self._next_id("FulfillmentOrderLineItem"), "_line": line["_n"]})
			order["_fulfillment_orders"] = list(by_location.values())
		return order["_fulfillment_orders"]

	def _fo_view(self, order: dict, fo: dict) -> dict:
		"""The GraphQL shape of a fulfillment order, as it is now."""
		lines = {line["_n"]: line for line in order["lineItems"]}
		items = []
		for row in fo["_lines"]:
			line = lines[row["_line"]]
			items.append(
				{
					"__typename": "FulfillmentOrderLineItem",
					"id": gid("FulfillmentOrderLineItem", row["_n"]),
					"totalQuantity": line["currentQuantity"],
					"remainingQuantity": max(0, line["currentQuantity"] - line["_fulfilled"]),
					"lineItem": line,
				}
			)
		remaining = sum(i["remainingQuantity"] for i in items)
		fulfilled = sum(lines[row["_line"]]["_fulfilled"] for row in fo["_lines"])
		if order.get("cancelledAt") and remaining == 0 and not fulfilled:
			status = "CANCELLED"
		elif remaining == 0:
			status = "CLOSED"
		elif fo["_held"]:
			status = "ON_HOLD"
		else:
			status = "IN_PROGRESS" if fulfilled else "OPEN"
		location = self.locations[fo["_location"]]
		return {
			"__typename": "FulfillmentOrder",
			"id": gid("FulfillmentOrder", fo["_n"]),
			"status": status,
			"updatedAt": order["updatedAt"],
			"assignedLocation": {"location": location, "name": location["name"]},
			"lineItems": items,
		}

	def fulfillment_order_views(self, order: dict) -> list[dict]:
		with self.lock:
			return [self._fo_view(order, fo) for fo in self.fulfillment_orders(order)]

	def _find_fo(self, ident: Any) -> tuple[dict, dict] | None:
		n = parse_gid(ident, "FulfillmentOrder")
		for order in self.orders.values():
			for fo in self.fulfillment_orders(order):
				if fo["_n"] == n:
					return order, fo
		return None

	def _find_fulfillment(self, ident: Any) -> tuple[dict, dict] | None:
		n = parse_gid(ident, "Fulfillment")
		for order in self.orders.values():
			for fulfillment in order["fulfillments"]:
				if parse_gid(fulfillment["id"]) == n:
					return order, fulfillment
		return None

	@staticmethod
	def _tracking(info: Mapping[str, Any] | None) -> list[dict]:
		if not info:
			return []
		return [{"company": info.get("company"), "number": info.get("number"), "url": info.get("url")}]

	def fulfillment_create(self, fulfillment: Mapping[str, Any], message: str | None = None) -> dict:
		"""The ``fulfillmentCreate`` mutation; returns its payload."""
		with self.lock:
			errors: list[dict] = []
			wanted: dict[str, int] = {}
			orders, locations = set(), set()
			order = None
			for index, group in enumerate(fulfillment.get("lineItemsByFulfillmentOrder") or []):
				field = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
				found = self._find_fo(group["fulfillmentOrderId"])
				if found is None:
					errors.append(
						{
							"field": [*field, "fulfillmentOrderId"],
							"message": "Fulfillment order does not exist.",
						}
					)
					continue
				order, fo = found
				view = self._fo_view(order, fo)
				orders.add(order["_n"])
				locations.add(fo["_location"])
				if view["status"] not in ("OPEN", "IN_PROGRESS"):
					errors.append(
						{
							"field": field,
							"message": f"Fulfillment order {view['id']} has an unfulfillable status= {view['status']}.",
						}
					)
					continue
				items = {item["id"]: item for item in view["lineItems"]}
				asked = group.get("fulfillmentOrderLineItems")
				if not asked:
					asked = [{"id": i["id"], "quantity": i["remainingQuantity"]} for i in view["lineItems"]]
				for item in asked:
					known = items.get(item["id"])
					if known is None:
						errors.append({"field": field, "message": "Invalid fulfillment order line item id."})
					elif int(item["quantity"]) > known["remainingQuantity"] or int(item["quantity"]) < 0:
						errors.append(
							{
								"field": field,
								"message": "Invalid fulfillment order line item quantity requested.",
							}
						)
					elif int(item["quantity"]):
						line_id = known["lineItem"]["id"]
						wanted[line_id] = wanted.get(line_id, 0) + int(item["quantity"])
			if len(orders) > 1 or len(locations) > 1:
				errors.append(
					{
						"field": ["fulfillment"],
						"message": "All fulfillment orders in a fulfillment must be of one order and one location.",
					}
				)
			if not errors and not wanted:
				errors.append({"field": ["fulfillment"], "message": "Nothing to fulfill."})
			if errors:
				return {"fulfillment": None, "userErrors": errors}
			created = self._fulfill(order, wanted, None, next(iter(locations)))
			created["trackingInfo"] = self._tracking(fulfillment.get("trackingInfo"))
			created["_notified"] = [bool(fulfillment.get("notifyCustomer"))]
			created["_message"] = message
			return {"fulfillment": created, "userErrors": []}

	def fulfillment_tracking_update(
		self, fulfillment_id: Any, tracking: Mapping[str, Any], notify: bool | None = None
	) -> dict:
		with self.lock:
			found = self._find_fulfillment(fulfillment_id)
			if found is None:
				return {
					"fulfillment": None,
					"userErrors": [{"field": ["fulfillmentId"], "message": "Fulfillment does not exist."}],
				}
			order, fulfillment = found
			if fulfillment["status"] == "CANCELLED":
				return {
					"fulfillment": None,
					"userErrors": [
						{
							"field": ["fulfillmentId"],
							"message": "Cannot update tracking of a cancelled fulfillment.",
						}
					],
				}
			fulfillment["trackingInfo"] = self._tracking(tracking)
			fulfillment.setdefault("_notified", []).append(bool(notify))
			fulfillment["updatedAt"] = self._now_iso()
			self._bump(order)
			return {"fulfillment": fulfillment, "userErrors": []}

	def fulfillment_cancel(self, fulfillment_id: Any) -> dict:
		with self.lock:
			found = self._find_fulfillment(fulfillment_id)
			if found is None:
				return {
					"fulfillment": None,
					"userErrors": [{"field": ["id"], "message": "Fulfillment does not exist."}],
				}
			order, fulfillment = found
			if fulfillment["status"] == "CANCELLED":
				return {
					"fulfillment": None,
					"userErrors": [{"field": ["id"], "message": "Fulfillment is already cancelled."}],
				}
			fulfillment["status"] = "CANCELLED"
			for item in fulfillment["fulfillmentLineItems"]:
				item["lineItem"]["_fulfilled"] -= item["quantity"]
			self._update_fulfillment_status(order)
			self._bump(order)
			return {"fulfillment": fulfillment, "userErrors": []}
