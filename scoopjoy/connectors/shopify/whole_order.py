"""An order read whole: every line, shipping line, transaction and refund.

The order queries bring the first lines and a fixed share of the money with the order; an order
with more is completed here before anything is booked from it (the order import) or made for it
(the Items of its lines), so nothing past a page is ever missed.
"""

from __future__ import annotations

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.kernel.errors import RecordError


def with_every_line(node: dict, connector: ShopifyConnector) -> dict:
	"""The order with all its lines: those past the order query's first page are read in pages."""
	lines = node.get("lineItems") or {}
	page = lines.get("pageInfo") or {}
	if not page.get("hasNextPage"):
		return node
	nodes = list(lines.get("nodes") or [])
	while page.get("hasNextPage"):
		found = (
			connector.query(
				queries.ORDER_LINE_ITEMS,
				{"id": node["id"], "first": constants.LINE_ITEMS_PAGE_SIZE, "after": page["endCursor"]},
				operation="OrderLineItems",
				reference=("Sales Order", legacy_id(node["id"])),
			).get("order")
			or {}
		).get("lineItems") or {}
		nodes += found.get("nodes") or []
		page = found.get("pageInfo") or {}
	return {**node, "lineItems": {"nodes": nodes, "pageInfo": page}}


#: set on an order whose money was read again whole, so that it is not read a second time (the
#: backfill's reader completes orders ahead of the import, which completes them too)
MONEY_READ_WHOLE = "_scoopjoyMoneyReadWhole"


def with_all_money(node: dict, connector: ShopifyConnector) -> dict:
	"""The order with every shipping line, transaction and refund: when the order query's share was
	full, they are read again with larger limits; more than those is refused, never cut."""
	if node.get(MONEY_READ_WHOLE):
		return node
	full = (
		len(node.get("transactions") or []) >= queries.FIRST_TRANSACTIONS
		or len(node.get("refunds") or []) >= queries.FIRST_REFUNDS
		or ((node.get("shippingLines") or {}).get("pageInfo") or {}).get("hasNextPage")
	)
	if not full:
		return node
	money = (
		connector.query(
			queries.ORDER_MONEY,
			{"id": node["id"]},
			operation="OrderMoney",
			reference=("Sales Order", legacy_id(node["id"])),
		).get("order")
		or {}
	)
	if (
		((money.get("shippingLines") or {}).get("pageInfo") or {}).get("hasNextPage")
		or len(money.get("transactions") or []) >= 40
		or len(money.get("refunds") or []) >= 25
	):
		raise RecordError(
			f"Shopify order {node.get('name')} has more shipping lines, transactions or refunds than "
			"are read (10, 40 and 25): book it by hand.",
			service="Shopify",
		)
	return {
		**node,
		**{key: money[key] for key in ("shippingLines", "transactions", "refunds") if key in money},
		MONEY_READ_WHOLE: True,
	}
