"""The GraphQL wiring of the Shopify simulator: resolvers attached to the schema of
:mod:`..shopify_schema`, reading the simulator's store (``info.context.sim``).

Not exact (Shopify does not document it): the wording of the missing ``@idempotent`` error.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from graphql import GraphQLSchema, get_named_type
from graphql.execution.values import get_directive_values

from scoopjoy.tests.simulators.shopify.amounts import shopify_decimal
from scoopjoy.tests.simulators.shopify.common import _GID_RE, _field_error, parse_gid
from scoopjoy.tests.simulators.shopify.inventory import QUANTITY_NAMES
from scoopjoy.tests.simulators.shopify.order_money import OrderMoneyMixin
from scoopjoy.tests.simulators.shopify.search import QueriesMixin, _connection, _list_connection


def _sim(info: Any) -> Any:  # the ShopifySimulator
	return info.context.sim


def _money_bag(source: Any, info: Any, **_args: Any) -> dict | None:
	"""A MoneyBag (https://shopify.dev/docs/api/admin-graphql/latest/objects/MoneyBag): the stored
	shop amount, and the presentment amount stored beside it (the same when the currencies match)."""
	value = source.get(info.field_name) if isinstance(source, Mapping) else None
	if value is None:
		return None
	if isinstance(value, Mapping):
		return value
	shop = {"amount": shopify_decimal(value), "currencyCode": _sim(info).currency}
	presentment = source.get("_pm")
	if presentment is None or info.field_name not in presentment:
		return {"shopMoney": shop, "presentmentMoney": dict(shop)}
	return {
		"shopMoney": shop,
		"presentmentMoney": {
			"amount": shopify_decimal(presentment[info.field_name]),
			"currencyCode": source["_pc"],
		},
	}


def _first_list(source: Mapping[str, Any], info: Any, first: int | None = None, **_args: Any) -> list:
	items = source.get(info.field_name) or []
	return items[:first] if first is not None else items


def _connection_field(source: Mapping[str, Any], info: Any, **args: Any) -> dict:
	return _list_connection(source, info.field_name, args)


def _wire(schema: GraphQLSchema) -> GraphQLSchema:
	"""Attach the simulator's resolvers to a schema from :func:`build_shopify_schema`."""
	types = schema.type_map

	for type_ in types.values():
		fields = getattr(type_, "fields", None)
		if not fields or type_.name.startswith("__") or not hasattr(type_, "is_type_of"):
			continue
		for fdef in fields.values():
			named = get_named_type(fdef.type)
			if named.name == "MoneyBag":
				fdef.resolve = _money_bag
			elif named.name.endswith("Connection") and type_.name not in ("QueryRoot",):
				fdef.resolve = _connection_field
			elif "first" in fdef.args and type_.name != "QueryRoot":
				fdef.resolve = _first_list

	def resolve(type_name: str, field_name: str):
		def decorate(func):
			types[type_name].fields[field_name].resolve = func
			return func

		return decorate

	@resolve("LineItem", "variant")
	def _line_variant(source, info):
		return _sim(info).variants.get(source.get("_variant")) if source.get("_variant") else None

	@resolve("LineItem", "product")
	def _line_product(source, info):
		return _sim(info).products.get(source.get("_product")) if source.get("_product") else None

	@resolve("LineItem", "unfulfilledQuantity")
	def _unfulfilled(source, info):
		if source.get("_tip"):
			return 0
		return max(0, source["currentQuantity"] - source["_fulfilled"])

	@resolve("LineItem", "nonFulfillableQuantity")
	def _non_fulfillable(source, info):
		"""Refunded or removed units, and every unit of what cannot be fulfilled (a tip)."""
		gone = source["quantity"] - source["currentQuantity"]
		return gone + (source["currentQuantity"] if source.get("_tip") else 0)

	@resolve("LineItem", "refundableQuantity")
	def _refundable_quantity(source, info):
		return source["currentQuantity"]

	@resolve("Order", "transactions")
	def _order_transactions(source, info, first=None, capturable=None, manuallyResolvable=None):
		items = list(source.get("transactions") or [])
		if capturable:
			open_auths = []
			for t in items:
				if t["kind"] != "AUTHORIZATION" or t["status"] != "SUCCESS":
					continue
				children = [
					c
					for c in items
					if (c.get("parentTransaction") or {}).get("id") == t["id"] and c["status"] == "SUCCESS"
				]
				if any(c["kind"] == "VOID" for c in children):
					continue
				taken = sum((OrderMoneyMixin._pget(c, "amountSet") for c in children), Decimal(0))
				if taken < OrderMoneyMixin._pget(t, "amountSet"):
					open_auths.append(t)
			items = open_auths
		if manuallyResolvable:
			items = []
		return items[:first] if first is not None else items

	@resolve("Order", "transactionsCount")
	def _transactions_count(source, info):
		return {"count": len(source.get("transactions") or []), "precision": "EXACT"}

	@resolve("Order", "edited")
	def _edited(source, info):
		return bool(source.get("_edited"))

	@resolve("Order", "capturable")
	def _capturable(source, info):
		return OrderMoneyMixin._pget(source, "totalCapturableSet") > 0

	@resolve("Order", "fullyPaid")
	def _fully_paid(source, info):
		return OrderMoneyMixin._pget(source, "totalOutstandingSet") <= 0

	@resolve("Order", "unpaid")
	def _unpaid(source, info):
		get = OrderMoneyMixin._pget
		return get(source, "totalReceivedSet") <= 0 and get(source, "currentTotalPriceSet") > 0

	@resolve("Order", "refundable")
	def _refundable(source, info):
		get = OrderMoneyMixin._pget
		return get(source, "totalReceivedSet") - get(source, "totalRefundedSet") > 0

	@resolve("Order", "paymentGatewayNames")
	def _gateway_names(source, info):
		names: list[str] = []
		for t in source.get("transactions") or []:
			if t["kind"] in ("SALE", "AUTHORIZATION") and t["gateway"] and t["gateway"] not in names:
				names.append(t["gateway"])
		return names

	@resolve("Order", "closed")
	def _closed(source, info):
		return source.get("closedAt") is not None

	@resolve("Product", "totalInventory")
	def _total_inventory(source, info):
		sim = _sim(info)
		return sum(
			level["_q"]["available"]
			for variant in source["variants"]
			for (item_n, _loc), level in sim.levels.items()
			if item_n == variant["inventoryItem"]["_n"]
		)

	@resolve("Product", "hasOnlyDefaultVariant")
	def _only_default_variant(source, info):
		options = [(o["name"], list(o["values"])) for o in source["options"]]
		return len(source["variants"]) == 1 and options in ([], [("Title", ["Default Title"])])

	@resolve("Product", "variantsCount")
	def _variants_count(source, info):
		return {"count": len(source["variants"]), "precision": "EXACT"}

	@resolve("InventoryItem", "inventoryLevel")
	def _inventory_level(source, info, locationId):
		loc_n = parse_gid(locationId, "Location")
		if loc_n is None:
			raise _field_error(f"Invalid global id '{locationId}'", "argumentLiteralsIncompatible")
		return _sim(info).levels.get((source["_n"], loc_n))

	@resolve("InventoryLevel", "quantities")
	def _quantities(source, info, names):
		bad = [n for n in names if n not in QUANTITY_NAMES]
		if bad:
			raise _field_error(f"Invalid quantity name(s): {', '.join(bad)}", "BAD_REQUEST")
		return [
			{
				"id": f"{source['id']}&name={n}",
				"name": n,
				"quantity": source["_q"].get(n, 0),
				"updatedAt": source["updatedAt"],
			}
			for n in names
		]

	@resolve("InventoryLevel", "location")
	def _level_location(source, info):
		return _sim(info).locations[source["_loc"]]

	@resolve("InventoryLevel", "item")
	def _level_item(source, info):
		return _sim(info).inventory_items[source["_item"]]

	# root queries ----------------------------------------------------------------------------------

	@resolve("QueryRoot", "shop")
	def _shop(source, info):
		sim = _sim(info)
		return {
			"id": "gid://shopify/Shop/1",
			"name": sim.shop_name,
			"myshopifyDomain": sim.shop_domain,
			"currencyCode": sim.currency,
			"email": f"owner@{sim.shop_domain}",
			**sim.timezone_fields(),
			"url": f"https://{sim.shop_domain}",
		}

	@resolve("Order", "fulfillmentOrders")
	def _fulfillment_orders(source, info, reverse=False, displayable=False, query=None, **args):
		sim = _sim(info)
		sim.require("read_merchant_managed_fulfillment_orders", "fulfillmentOrders")
		views = sim.fulfillment_order_views(source)
		if displayable:
			views = [v for v in views if v["status"] not in ("CANCELLED", "INCOMPLETE", "CLOSED")]
		return _connection([(i, i, v) for i, v in enumerate(views)], args, reverse=reverse)

	@resolve("Fulfillment", "trackingInfo")
	def _tracking_info(source, info, first=None):
		items = source.get("trackingInfo") or []
		return items[:first] if first is not None else items

	@resolve("Mutation", "fulfillmentCreate")
	def _fulfillment_create(source, info, fulfillment, message=None):
		sim = _sim(info)
		sim.require("write_merchant_managed_fulfillment_orders", "fulfillmentCreate")
		return sim.fulfillment_create(fulfillment, message)

	@resolve("Mutation", "fulfillmentTrackingInfoUpdate")
	def _fulfillment_tracking(source, info, fulfillmentId, trackingInfoInput, notifyCustomer=None):
		sim = _sim(info)
		sim.require("write_merchant_managed_fulfillment_orders", "fulfillmentTrackingInfoUpdate")
		return sim.fulfillment_tracking_update(fulfillmentId, trackingInfoInput, notifyCustomer)

	@resolve("Mutation", "fulfillmentCancel")
	def _fulfillment_cancel(source, info, id):
		sim = _sim(info)
		sim.require("write_merchant_managed_fulfillment_orders", "fulfillmentCancel")
		return sim.fulfillment_cancel(id)

	@resolve("QueryRoot", "shopifyPaymentsAccount")
	def _payments_account(source, info):
		sim = _sim(info)
		sim.require("read_shopify_payments_payouts", info.field_name)
		return sim.payments_account()

	@resolve("ShopifyPaymentsAccount", "payouts")
	def _payouts(source, info, query=None, sortKey="ID", reverse=False, transactionType=None, **args):
		sim = _sim(info)
		records = sim.payout_records(query, info.context)
		if transactionType:
			records = [p for p in records if p["transactionType"] == transactionType]
		return _connection(sim._sorted(records, sortKey, sim.PAYOUT_SORT), args, reverse=reverse)

	@resolve("ShopifyPaymentsAccount", "balanceTransactions")
	def _balance_transactions(
		source, info, query=None, sortKey="ID", reverse=False, hideTransfers=False, **args
	):
		sim = _sim(info)
		records = sim.balance_records(query, hideTransfers, info.context)
		return _connection(sim._sorted(records, sortKey, sim.BALANCE_SORT), args, reverse=reverse)

	@resolve("QueryRoot", "currentAppInstallation")
	def _installation(source, info):
		return {
			"id": "gid://shopify/AppInstallation/1",
			"accessScopes": [
				{"handle": s, "description": s.replace("_", " ")} for s in _sim(info).access_scopes
			],
		}

	@resolve("QueryRoot", "node")
	def _node(source, info, id):
		sim = _sim(info)
		record = sim.lookup(id)
		if record is not None and record.get("__typename") == "BulkOperation":
			return sim.read_bulk_operation(record)
		return record

	@resolve("QueryRoot", "nodes")
	def _nodes(source, info, ids):
		sim = _sim(info)
		return [sim.lookup(i) for i in ids]

	def typed(kind: str, table: str, scope: str | None):
		def resolver(source, info, id):
			sim = _sim(info)
			if scope:
				sim.require(scope, info.field_name)
			n = parse_gid(id, kind)
			if n is None:
				if _GID_RE.match(id or ""):
					return None
				raise _field_error(f"Invalid global id '{id}'", "argumentLiteralsIncompatible")
			record = getattr(sim, table).get(n)
			if kind == "Order" and record is not None and record not in sim._visible_orders():
				return None
			return record

		return resolver

	types["QueryRoot"].fields["order"].resolve = typed("Order", "orders", "read_orders")
	types["QueryRoot"].fields["customer"].resolve = typed("Customer", "customers", "read_customers")
	types["QueryRoot"].fields["product"].resolve = typed("Product", "products", "read_products")
	types["QueryRoot"].fields["productVariant"].resolve = typed("ProductVariant", "variants", "read_products")
	types["QueryRoot"].fields["inventoryItem"].resolve = typed(
		"InventoryItem", "inventory_items", "read_inventory"
	)
	types["QueryRoot"].fields["webhookSubscription"].resolve = typed(
		"WebhookSubscription", "webhook_subscriptions", None
	)

	@resolve("QueryRoot", "location")
	def _location(source, info, id=None):
		sim = _sim(info)
		if id is None:
			return sim.primary_location
		return sim.locations.get(parse_gid(id, "Location") or -1)

	@resolve("QueryRoot", "productByHandle")
	def _by_handle(source, info, handle):
		sim = _sim(info)
		sim.require("read_products", info.field_name)
		return sim.product_by_handle(handle)

	@resolve("QueryRoot", "orders")
	def _orders(source, info, query=None, sortKey="ID", reverse=False, **args):
		sim = _sim(info)
		sim.require("read_orders", "orders")
		records = sim._filter(sim._visible_orders(), query, QueriesMixin.ORDER_FIELDS, info.context, "orders")
		return _connection(sim._sorted(records, sortKey, QueriesMixin.ORDER_SORT), args, reverse=reverse)

	@resolve("QueryRoot", "ordersCount")
	def _orders_count(source, info, query=None, limit=10000, **_):
		sim = _sim(info)
		sim.require("read_orders", "ordersCount")
		records = sim._filter(
			sim._visible_orders(), query, QueriesMixin.ORDER_FIELDS, info.context, "ordersCount"
		)
		return sim._count(records, limit)

	@resolve("QueryRoot", "customers")
	def _customers(source, info, query=None, sortKey="ID", reverse=False, **args):
		sim = _sim(info)
		sim.require("read_customers", "customers")
		records = sim._filter(
			list(sim.customers.values()), query, QueriesMixin.CUSTOMER_FIELDS, info.context, "customers"
		)
		return _connection(sim._sorted(records, sortKey, QueriesMixin.COMMON_SORT), args, reverse=reverse)

	@resolve("QueryRoot", "customersCount")
	def _customers_count(source, info, query=None, limit=10000):
		sim = _sim(info)
		sim.require("read_customers", "customersCount")
		records = sim._filter(
			list(sim.customers.values()),
			query,
			QueriesMixin.CUSTOMER_FIELDS,
			info.context,
			"customersCount",
		)
		return sim._count(records, limit)

	@resolve("QueryRoot", "products")
	def _products(source, info, query=None, sortKey="ID", reverse=False, **args):
		sim = _sim(info)
		sim.require("read_products", "products")
		records = sim._filter(
			list(sim.products.values()), query, QueriesMixin.PRODUCT_FIELDS, info.context, "products"
		)
		return _connection(sim._sorted(records, sortKey, QueriesMixin.COMMON_SORT), args, reverse=reverse)

	@resolve("QueryRoot", "productsCount")
	def _products_count(source, info, query=None, limit=10000):
		sim = _sim(info)
		sim.require("read_products", "productsCount")
		records = sim._filter(
			list(sim.products.values()), query, QueriesMixin.PRODUCT_FIELDS, info.context, "productsCount"
		)
		return sim._count(records, limit)

	@resolve("QueryRoot", "locations")
	def _locations(
		source,
		info,
		query=None,
		sortKey="NAME",
		reverse=False,
		includeInactive=False,
		includeLegacy=False,
		**args,
	):
		sim = _sim(info)
		records = [loc for loc in sim.locations.values() if includeInactive or loc["isActive"]]
		return _connection(sim._sorted(records, sortKey, QueriesMixin.COMMON_SORT), args, reverse=reverse)

	@resolve("QueryRoot", "webhookSubscriptions")
	def _subscriptions(source, info, reverse=False, topics=None, format=None, uri=None, **args):
		sim = _sim(info)
		records = [
			s
			for s in sim.webhook_subscriptions.values()
			if (not topics or s["topic"] in topics)
			and (format is None or s["format"] == format)
			and (uri is None or s["uri"] == uri)
		]
		return _connection(sim._sorted(records, "ID", QueriesMixin.COMMON_SORT), args, reverse=reverse)

	# mutations -------------------------------------------------------------------------------------

	@resolve("Mutation", "productSet")
	def _product_set(source, info, input, identifier=None, synchronous=True):
		sim = _sim(info)
		sim.require("write_products", "productSet")
		return sim.product_set(input, identifier, synchronous)

	@resolve("Mutation", "inventorySetQuantities")
	def _inventory_set(source, info, input):
		sim = _sim(info)
		sim.require("write_inventory", "inventorySetQuantities")
		directive = info.schema.get_directive("idempotent")
		values = None
		for node in info.field_nodes:
			values = get_directive_values(directive, node, info.variable_values) or values
		key = (values or {}).get("key")
		if not key:
			raise _field_error(
				"The @idempotent directive is required for this mutation. Pass a unique key: "
				'inventorySetQuantities(input: ...) @idempotent(key: "<uuid>").',
				"BAD_REQUEST",
			)
		return sim.inventory_set_quantities(input, key)

	@resolve("Mutation", "webhookSubscriptionCreate")
	def _webhook_create(source, info, topic, webhookSubscription):
		return _sim(info).webhook_subscription_create(topic, webhookSubscription)

	@resolve("Mutation", "webhookSubscriptionUpdate")
	def _webhook_update(source, info, id, webhookSubscription):
		return _sim(info).webhook_subscription_update(id, webhookSubscription)

	@resolve("Mutation", "webhookSubscriptionDelete")
	def _webhook_delete(source, info, id):
		return _sim(info).webhook_subscription_delete(id)

	@resolve("QueryRoot", "productVariants")
	def _product_variants(source, info, query=None, sortKey="ID", reverse=False, **args):
		sim = _sim(info)
		sim.require("read_products", "productVariants")
		if query:
			raise _field_error("The simulator's productVariants takes no search query.", "BAD_REQUEST")
		records = [(n, n, variant) for n, variant in sorted(sim.variants.items())]
		return _connection(records, args, reverse=reverse)

	@resolve("QueryRoot", "productVariantsCount")
	def _product_variants_count(source, info, query=None, limit=10000):
		sim = _sim(info)
		sim.require("read_products", "productVariantsCount")
		return sim._count(list(sim.variants.values()), limit)

	@resolve("QueryRoot", "currentBulkOperation")
	def _current_bulk(source, info, type="QUERY"):
		sim = _sim(info)
		return sim.current_bulk_operation() if type == "QUERY" else None

	@resolve("Mutation", "bulkOperationRunQuery")
	def _bulk_run_query(source, info, query, groupObjects=True):
		return _sim(info).bulk_operation_run_query(query, groupObjects)

	@resolve("Order", "returnStatus")
	def _return_status(source, info):
		"""NO_RETURN without a live return; RETURN_REQUESTED while one waits for approval; IN_PROGRESS
		while one is open; RETURNED once all are closed (https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderReturnStatus)."""
		live = [
			r["status"] for r in source.get("returns") or [] if r["status"] not in ("CANCELED", "DECLINED")
		]
		if not live:
			return "NO_RETURN"
		if "REQUESTED" in live:
			return "RETURN_REQUESTED"
		return "IN_PROGRESS" if "OPEN" in live else "RETURNED"

	@resolve("Order", "returns")
	def _order_returns(source, info, **args):
		_sim(info).require("read_returns", "returns")
		return _list_connection(source, "returns", args)

	return schema
