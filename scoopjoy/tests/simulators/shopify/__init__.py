"""Simulator of the Shopify GraphQL Admin API and of Shopify's signed webhooks.

A real HTTP server (see :mod:`..harness`) that answers the documents in
``scoopjoy.connectors.shopify.queries`` the way Shopify does, written from Shopify's documentation.
:class:`ShopifySimulator` is one class composed of a mixin per resource; each module cites the
documentation it follows and says what is not exact or not modelled:

- :mod:`.server`: the endpoint, the access token, API versions, access scopes, query cost and the
  leaky bucket; faults.
- :mod:`.resolvers`: the schema of :mod:`..shopify_schema` wired to the store.
- :mod:`.search`: search syntax, pagination and cursors, counts, records by global id.
- :mod:`.products` (``productSet``), :mod:`.inventory` (locations, ``inventorySetQuantities``),
  :mod:`.customers`.
- :mod:`.orders` (orders, edits, cancellation; the money rules), :mod:`.order_money` (lines,
  discounts, taxes), :mod:`.order_totals` (every total, the financial status), :mod:`.amounts`
  (cents, splits, tax arithmetic), :mod:`.payments` (transactions, refunds), :mod:`.fulfillment`.
- :mod:`.webhooks` (subscriptions, signing, delivery) and :mod:`.rest` (the REST payloads).
- :mod:`.common`: global ids, date-times, GraphQL field errors.

Everything the single module ``shopify.py`` offered by a public name is importable from here.
Pure Python (graphql-core, requests); never imports frappe.
"""

from scoopjoy.tests.simulators.shopify.amounts import (
	DEFAULT_DISCOUNT_TITLES,
	DISCOUNT_TYPENAMES,
	allocate,
	cents,
	discount_spec,
	money,
	portion,
	share,
	shopify_decimal,
	tax_amount,
)
from scoopjoy.tests.simulators.shopify.common import gid, parse_datetime, parse_gid, to_iso
from scoopjoy.tests.simulators.shopify.inventory import INVENTORY_REASONS, QUANTITY_NAMES
from scoopjoy.tests.simulators.shopify.payments import (
	FORMATTED_GATEWAYS,
	TRANSACTION_KINDS,
	TRANSACTION_STATUSES,
)
from scoopjoy.tests.simulators.shopify.search import parse_search
from scoopjoy.tests.simulators.shopify.server import (
	ACCESS_SCOPES_DOCS,
	DEFAULT_SCOPES,
	THROTTLED_DOCS,
	ShopifySimulator,
)
from scoopjoy.tests.simulators.shopify.webhooks import ORDER_TOPICS, PRODUCT_TOPICS

__all__ = [
	"ACCESS_SCOPES_DOCS",
	"DEFAULT_DISCOUNT_TITLES",
	"DEFAULT_SCOPES",
	"DISCOUNT_TYPENAMES",
	"FORMATTED_GATEWAYS",
	"INVENTORY_REASONS",
	"ORDER_TOPICS",
	"PRODUCT_TOPICS",
	"QUANTITY_NAMES",
	"THROTTLED_DOCS",
	"TRANSACTION_KINDS",
	"TRANSACTION_STATUSES",
	"ShopifySimulator",
	"allocate",
	"cents",
	"discount_spec",
	"gid",
	"money",
	"parse_datetime",
	"parse_gid",
	"parse_search",
	"portion",
	"share",
	"shopify_decimal",
	"tax_amount",
	"to_iso",
]
