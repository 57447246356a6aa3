"""Queries over the store in the Shopify simulator: search syntax, connections, cursors, counts.

- Pagination: https://shopify.dev/docs/api/usage/pagination-graphql. ``first``/``after`` and
  ``last``/``before``, at most 250, one of them required; opaque cursors (base64 JSON of the sort
  value and id, like Shopify's ``{"last_id", "last_value"}``) that stay valid when records change;
  ``sortKey`` ascending with ties by id, ``reverse``. Search syntax in ``query``:
  ``updated_at:>='2026-11-01T00:00:00Z'``, ``<``, ``<=``, ``>``, ``=``, ``created_at``,
  ``processed_at``, ``status:any|open|closed|cancelled|not_closed``, ``financial_status``,
  ``fulfillment_status``, ``id``, ``name``, ``email``, ``test``, ``-field:value`` negation; terms
  are ANDed; an unknown field is ignored with a warning in ``extensions.search``.
- Without the ``read_all_orders`` access scope only the last 60 days of orders are visible, as on
  Shopify.

Not exact (Shopify does not document it): the wording of the page-size error (the page size is
checked with the query cost, in :mod:`..shopify_schema`).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from scoopjoy.tests.simulators.shopify.common import _GID_RE, _field_error, parse_datetime, parse_gid, to_iso

_TOKEN_RE = re.compile(r"""(-?)([A-Za-z_]+):(>=|<=|>|<|=)?('[^']*'|"[^"]*"|\S+)|(\S+)""")


def _b64(data: Any) -> str:
	return base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode("ascii")


def _unb64(cursor: str) -> Any:
	try:
		return json.loads(base64.b64decode(cursor + "=" * (-len(cursor) % 4), validate=True))
	except Exception:
		return None


@dataclass
class _Context:
	sim: Any  # the ShopifySimulator (not imported: its module imports this one)
	search_warnings: list[dict] = field(default_factory=list)


# --- connections -----------------------------------------------------------------------------------


def _connection(
	items: list[tuple[Any, int, Any]],
	args: Mapping[str, Any],
	*,
	reverse: bool = False,
) -> dict[str, Any]:
	"""A Relay connection over ``(sort value, id, node)`` tuples already sorted ascending."""
	first, last = args.get("first"), args.get("last")
	after, before = args.get("after"), args.get("before")
	if reverse:
		items = items[::-1]

	def position(cursor: str) -> tuple[Any, int]:
		data = _unb64(cursor)
		if not isinstance(data, dict) or "last_id" not in data:
			raise _field_error(f"Invalid cursor: {cursor!r}", "BAD_REQUEST")
		return data.get("last_value"), int(data["last_id"])

	def later(item: tuple[Any, int, Any], mark: tuple[Any, int]) -> bool:
		"""True when ``item`` comes after the cursor position in this order."""
		key = (item[0], item[1])
		try:
			return key < mark if reverse else key > mark
		except TypeError:
			raise _field_error("Invalid cursor for current pagination sort.", "BAD_REQUEST")

	def earlier(item: tuple[Any, int, Any], mark: tuple[Any, int]) -> bool:
		return (item[0], item[1]) != mark and not later(item, mark)

	start, end = 0, len(items)
	if after:
		mark = position(after)
		while start < end and not later(items[start], mark):
			start += 1
	if before:
		mark = position(before)
		while end > start and not earlier(items[end - 1], mark):
			end -= 1
	window = items[start:end]
	has_next = end < len(items) and bool(before)
	has_previous = start > 0 and bool(after)
	if first is not None:
		has_next = has_next or len(window) > first
		window = window[:first]
	elif last is not None:
		has_previous = has_previous or len(window) > last
		window = window[len(window) - last :] if last else []
	edges = [
		{"node": node, "cursor": _b64({"last_id": ident, "last_value": value})}
		for value, ident, node in window
	]
	return {
		"nodes": [e["node"] for e in edges],
		"edges": edges,
		"pageInfo": {
			"hasNextPage": has_next,
			"hasPreviousPage": has_previous,
			"startCursor": edges[0]["cursor"] if edges else None,
			"endCursor": edges[-1]["cursor"] if edges else None,
		},
	}


def _list_connection(source: Mapping[str, Any], key: str, args: Mapping[str, Any]) -> dict[str, Any]:
	items = source.get(key) or []
	return _connection(
		[(i, i, node) for i, node in enumerate(items)], args, reverse=bool(args.get("reverse"))
	)


# --- search syntax ---------------------------------------------------------------------------------


@dataclass
class _Term:
	field: str
	op: str
	value: str
	negated: bool = False


def parse_search(query: str | None) -> list[_Term]:
	"""``field:>=value`` terms ANDed by spaces (``AND`` is accepted; ``-field:value`` negates)."""
	terms: list[_Term] = []
	for m in _TOKEN_RE.finditer(query or ""):
		if m.group(5) is not None:
			word = m.group(5)
			if word.upper() in ("AND", "OR", "NOT"):
				continue
			terms.append(_Term("default", "=", word.strip("'\"")))
			continue
		value = m.group(4)
		if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
			value = value[1:-1]
		terms.append(_Term(m.group(2).lower(), m.group(3) or "=", value, bool(m.group(1))))
	return terms


def _compare(left: Any, op: str, right: Any) -> bool:
	if left is None:
		return False
	if op == ">=":
		return left >= right
	if op == "<=":
		return left <= right
	if op == ">":
		return left > right
	if op == "<":
		return left < right
	return left == right


# --- queries over the store --------------------------------------------------------------------------


class QueriesMixin:
	"""Of :class:`~.server.ShopifySimulator`: orders visible to the app, ``query`` filters, sort keys,
	counts, and any record by its global id."""

	def _visible_orders(self) -> list[dict]:
		orders = list(self.orders.values())
		if not self.has_scope("read_all_orders"):
			cutoff = to_iso(self.now() - timedelta(days=60))
			orders = [o for o in orders if o["createdAt"] >= cutoff]
		return orders

	def _date_value(self, value: str) -> str | None:
		dt = parse_datetime(value, self.shop_tz)
		if dt is None:
			return None
		return to_iso(dt)

	def _filter(
		self,
		records: list[dict],
		query: str | None,
		fields: Mapping[str, Callable],
		ctx: _Context | None,
		path: str,
	) -> list[dict]:
		if not query:
			return records
		terms = parse_search(query)
		warnings = []
		predicates = []
		for term in terms:
			getter = fields.get(term.field)
			if getter is None:
				warnings.append({"field": term.field, "message": "Invalid search field for this query."})
				continue
			kind, extract = getter
			if kind == "date":
				value = self._date_value(term.value)
				if value is None:
					warnings.append({"field": term.field, "message": f"Invalid date: {term.value}"})
					continue
			elif kind == "int":
				value = parse_gid(term.value)
				if value is None:
					warnings.append({"field": term.field, "message": f"Invalid value: {term.value}"})
					continue
			elif kind == "status":
				value = term.value.lower()
				if value == "any":
					continue
			else:
				value = term.value.lower()
			predicates.append((kind, extract, term.op, value, term.negated))
		if warnings and ctx is not None:
			ctx.search_warnings.append({"path": [path], "query": query, "warnings": warnings})

		def keep(record: dict) -> bool:
			for kind, extract, op, value, negated in predicates:
				if kind == "status":
					ok = extract(record, value)
				elif kind == "text":
					got = extract(record)
					ok = got is not None and str(got).lower() == value
				else:
					ok = _compare(extract(record), op, value)
				if ok == negated:
					return False
			return True

		return [r for r in records if keep(r)]

	@staticmethod
	def _order_status(order: dict, value: str) -> bool:
		if value == "open":
			return order["closedAt"] is None and order["cancelledAt"] is None
		if value in ("closed", "archived"):
			return order["closedAt"] is not None
		if value == "cancelled":
			return order["cancelledAt"] is not None
		if value == "not_closed":
			return order["closedAt"] is None
		return True

	@staticmethod
	def _fulfillment_filter(order: dict, value: str) -> bool:
		status = order["displayFulfillmentStatus"]
		mapping = {
			"shipped": ("FULFILLED",),
			"fulfilled": ("FULFILLED",),
			"partial": ("PARTIALLY_FULFILLED",),
			"unshipped": ("UNFULFILLED",),
			"unfulfilled": ("UNFULFILLED", "PARTIALLY_FULFILLED"),
		}
		return status in mapping.get(value, (value.upper(),))

	ORDER_FIELDS: dict[str, tuple[str, Callable]] = {
		"updated_at": ("date", lambda o: o["updatedAt"]),
		"created_at": ("date", lambda o: o["createdAt"]),
		"processed_at": ("date", lambda o: o["processedAt"]),
		"id": ("int", lambda o: o["_n"]),
		"status": ("status", lambda o, v: QueriesMixin._order_status(o, v)),
		"financial_status": ("status", lambda o, v: o["displayFinancialStatus"] == v.upper()),
		"fulfillment_status": ("status", lambda o, v: QueriesMixin._fulfillment_filter(o, v)),
		"name": ("text", lambda o: o["name"]),
		"email": ("text", lambda o: o["email"]),
		"test": ("text", lambda o: str(o["test"]).lower()),
	}
	CUSTOMER_FIELDS: dict[str, tuple[str, Callable]] = {
		"updated_at": ("date", lambda c: c["updatedAt"]),
		"created_at": ("date", lambda c: c["createdAt"]),
		"id": ("int", lambda c: c["_n"]),
		"email": ("text", lambda c: (c["defaultEmailAddress"] or {}).get("emailAddress")),
	}
	PRODUCT_FIELDS: dict[str, tuple[str, Callable]] = {
		"updated_at": ("date", lambda p: p["updatedAt"]),
		"created_at": ("date", lambda p: p["createdAt"]),
		"id": ("int", lambda p: p["_n"]),
		"handle": ("text", lambda p: p["handle"]),
		"title": ("text", lambda p: p["title"]),
		"status": ("text", lambda p: p["status"]),
		"product_type": ("text", lambda p: p["productType"]),
		"vendor": ("text", lambda p: p["vendor"]),
		"sku": ("status", lambda p, v: any((var.get("sku") or "").lower() == v for var in p["variants"])),
	}
	ORDER_SORT: dict[str, Callable[[dict], Any]] = {
		"CREATED_AT": lambda o: o["createdAt"],
		"UPDATED_AT": lambda o: o["updatedAt"],
		"PROCESSED_AT": lambda o: o["processedAt"],
		"ORDER_NUMBER": lambda o: o["_number"],
		"ID": lambda o: o["_n"],
	}
	COMMON_SORT: dict[str, Callable[[dict], Any]] = {
		"CREATED_AT": lambda r: r["createdAt"],
		"UPDATED_AT": lambda r: r["updatedAt"],
		"TITLE": lambda r: r["title"],
		"NAME": lambda r: r.get("name") or r.get("displayName"),
		"ID": lambda r: r["_n"],
	}

	def _sorted(
		self, records: list[dict], sort_key: str | None, table: Mapping[str, Callable]
	) -> list[tuple]:
		key = table.get(sort_key or "ID", table["ID"])
		items = [(key(r), r["_n"], r) for r in records]
		items.sort(key=lambda t: (t[0], t[1]))
		return items

	def _count(self, records: list[dict], limit: int | None) -> dict:
		total = len(records)
		if limit is not None and total > limit:
			return {"count": limit, "precision": "AT_LEAST"}
		return {"count": total, "precision": "EXACT"}

	def lookup(self, ident: Any) -> dict | None:
		"""Any stored record by its gid (None when absent or of an unknown type)."""
		if not isinstance(ident, str):
			return None
		m = _GID_RE.match(ident)
		if not m:
			raise _field_error(f"Invalid global id '{ident}'", "argumentLiteralsIncompatible")
		kind, n = m.group(1), int(m.group(2))
		tables = {
			"Order": self.orders,
			"Product": self.products,
			"ProductVariant": self.variants,
			"InventoryItem": self.inventory_items,
			"Location": self.locations,
			"Customer": self.customers,
			"WebhookSubscription": self.webhook_subscriptions,
			"BulkOperation": self.bulk_operations,
		}
		if kind == "InventoryLevel":
			query = ident.split("?", 1)[1] if "?" in ident else ""
			item = parse_gid(query.split("=", 1)[1]) if query.startswith("inventory_item_id=") else None
			return self.levels.get((item, n))
		if kind in (
			"Refund",
			"Fulfillment",
			"OrderTransaction",
		):  # stored on their order, as Shopify nests them
			key = {"Refund": "refunds", "Fulfillment": "fulfillments"}.get(kind, "transactions")
			for order in self.orders.values():
				for record in order.get(key) or []:
					if record.get("id") == ident:
						return record
			return None
		table = tables.get(kind)
		return table.get(n) if table is not None else None
