"""Simulator of the Shopify GraphQL Admin API and of Shopify's signed webhooks.

A real HTTP server (see :mod:`.harness`) that answers the documents in
``scoopjoy.connectors.shopify.queries`` the way Shopify does, written from Shopify's documentation:

- API: https://shopify.dev/docs/api/admin-graphql (2026-10). ``POST
  /admin/api/{version}/graphql.json`` with ``X-Shopify-Access-Token``; a wrong or missing token is
  HTTP 401 ``{"errors": "[API] Invalid API key or access token (unrecognized login or wrong
  password)"}``. Every answer carries ``X-Shopify-API-Version``. The schema
  (:mod:`.shopify_schema`) is a subset with Shopify's names; syntax, validation and variable
  errors, like every GraphQL error, come back as HTTP 200 with ``errors``. Fields outside the
  app's access scopes give ``ACCESS_DENIED`` errors; without ``read_all_orders`` only the last 60
  days of orders are visible, as on Shopify.
- Limits: https://shopify.dev/docs/api/usage/limits. Requested cost computed before execution
  (rules in :mod:`.shopify_schema`); more than ``max_query_cost`` (1,000) is ``MAX_COST_EXCEEDED``;
  more than the leaky bucket holds is ``THROTTLED`` (counted in ``throttled_count``); after
  execution the difference between requested and actual cost is refunded. Every GraphQL answer
  has ``extensions.cost {requestedQueryCost, actualQueryCost, throttleStatus {maximumAvailable,
  currentlyAvailable, restoreRate}}``. ``bucket_size``/``restore_rate`` scale for benchmarks.
- Pagination: https://shopify.dev/docs/api/usage/pagination-graphql. ``first``/``after`` and
  ``last``/``before``, at most 250, one of them required; opaque cursors (base64 JSON of the sort
  value and id, like Shopify's ``{"last_id", "last_value"}``) that stay valid when records change;
  ``sortKey`` ascending with ties by id, ``reverse``. Search syntax in ``query``:
  ``updated_at:>='2026-11-01T00:00:00Z'``, ``<``, ``<=``, ``>``, ``=``, ``created_at``,
  ``processed_at``, ``status:any|open|closed|cancelled|not_closed``, ``financial_status``,
  ``fulfillment_status``, ``id``, ``name``, ``email``, ``test``, ``-field:value`` negation; terms
  are ANDed; an unknown field is ignored with a warning in ``extensions.search``.
- Mutations: ``productSet`` (create or update by ``identifier {id | handle}``; the variant list
  is the full set: matched by id, then by option values, others deleted), ``inventorySetQuantities``
  (absolute quantities; from 2026-04 the ``@idempotent(key:)`` directive is mandatory and every
  quantity needs ``changeFromQuantity``, null to skip the compare-and-set:
  https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations;
  a replayed key returns the first result without applying twice, the same key with another input
  is ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``), ``webhookSubscriptionCreate/Update/Delete``. Invalid
  input is ``userErrors`` in the payload, not an HTTP error.
- Orders and their money: https://shopify.dev/docs/api/admin-graphql/latest/objects/Order and the
  objects it links (LineItem, ShippingLine, TaxLine, MoneyBag, DiscountApplication,
  DiscountAllocation, OrderTransaction, Refund, RefundShippingLine, OrderAdjustment, Shop). Every
  ``*Set`` is a MoneyBag in the shop currency and the order's presentment currency (each amount
  converted on its own, so converted parts may miss a converted total by cents, as on Shopify);
  per-line and per-shipping-line tax lines, order-level taxes split over the lines to the cent;
  discount applications and their allocations (codes, manual, automatic, script; free shipping);
  ``total*`` as at creation and ``current*`` after edits, refunds and cancellation;
  transactions (sale, authorisation, capture, void, refund, change) driving
  ``displayFinancialStatus``, ``totalReceivedSet``, ``totalOutstandingSet``; refunds with line
  and shipping tax shares and refund discrepancies; order edits, tips, gift cards, duties and
  additional fees. The rules are in the comment above :meth:`ShopifySimulator.add_order`.
- Webhooks: https://shopify.dev/docs/apps/build/webhooks/subscribe/https and
  https://shopify.dev/docs/apps/build/webhooks/ignore-duplicates. :meth:`webhook_payload` builds
  the REST-shaped JSON of https://shopify.dev/docs/api/admin-rest/latest/resources/order (numeric
  ``id``, ``admin_graphql_api_id``, prices as strings in shop money, ``*_set`` with
  ``shop_money`` and ``presentment_money``, per-line ``tax_lines`` and ``discount_allocations``,
  ``current_*`` totals, timestamps in the shop's time zone), and for products/create and
  products/update the REST Product (https://shopify.dev/docs/api/admin-rest/latest/resources/product);
  :meth:`deliver_webhook` POSTs it with ``X-Shopify-Hmac-Sha256`` (base64
  HMAC-SHA256 of the raw body with the client secret), ``X-Shopify-Topic``,
  ``X-Shopify-Shop-Domain``, ``X-Shopify-Webhook-Id`` (reuse one to send a duplicate),
  ``X-Shopify-Event-Id``, ``X-Shopify-Triggered-At``, ``X-Shopify-API-Version``. Build payloads
  now and deliver later to send them out of order.

Not exact (Shopify does not document these): the wording of the page-size error and of the
missing ``@idempotent`` error; how Shopify rounds a tax or discount split over lines (here: half
up per line, largest remainder for splits); that an amount-only refund's discrepancy lowers
``currentTotalPriceSet`` (so that ``totalOutstandingSet`` stays 0). Not modelled: duties per
line (``LineItem.duties``), order-edit sessions (``orderEditBegin``...; an edit is applied at once), removed shipping lines,
returns and exchanges, store credit and gift card balances (their transactions are:
``gateway: "shopify_store_credit"``, ``"gift_card"``), transaction fees and receipts, sales
agreements. Cash rounding (https://shopify.dev/changelog/new-cash-rounding-on-order-and-order-transaction,
``OrderTransaction.amountRoundingSet``, ``Order.totalCashRoundingAdjustment``): a cash transaction's
``amountSet`` is what it settles of the order and ``amountRoundingSet`` what the drawer got more
(positive) or less (negative); Shopify does not spell out that sign convention. An amount-only
refund's VAT is the OrderAdjustment's ``taxAmountSet``, "the taxes that are added to amount"
(https://shopify.dev/docs/api/admin-rest/latest/resources/refund#resource-object): amount and tax
together are the discrepancy. Faults queued on ``sim.faults`` apply before all of this.

Pure Python (graphql-core, requests); never imports frappe.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import requests
from graphql import (
	FragmentDefinitionNode,
	GraphQLError,
	GraphQLSchema,
	OperationDefinitionNode,
	execute,
	get_named_type,
	parse,
	validate,
)
from graphql.error import GraphQLSyntaxError
from graphql.execution.values import get_directive_values, get_variable_values
from graphql.utilities import get_operation_ast

from scoopjoy.connectors.shopify.constants import DEFAULT_API_VERSION, MAX_SINGLE_QUERY_COST
from scoopjoy.kernel.signatures import sign_shopify
from scoopjoy.tests.simulators.harness import SHOPIFY_UNAUTHORIZED, SimRequest, SimResponse, SimulatorServer
from scoopjoy.tests.simulators.shopify.amounts import (
	_CENT,
	DEFAULT_DISCOUNT_TITLES,
	DISCOUNT_TYPENAMES,
	_dec,
	allocate,
	cents,
	discount_spec,
	money,
	portion,
	share,
	shopify_decimal,
	tax_amount,
)
from scoopjoy.tests.simulators.shopify.common import (
	_GID_RE,
	_field_error,
	_shop_zone,
	gid,
	parse_datetime,
	parse_gid,
	to_iso,
)
from scoopjoy.tests.simulators.shopify.customers import CustomersMixin
from scoopjoy.tests.simulators.shopify.fulfillment import FulfillmentMixin
from scoopjoy.tests.simulators.shopify.inventory import INVENTORY_REASONS, QUANTITY_NAMES, InventoryMixin
from scoopjoy.tests.simulators.shopify.order_money import OrderMoneyMixin
from scoopjoy.tests.simulators.shopify.order_totals import OrderTotalsMixin
from scoopjoy.tests.simulators.shopify.orders import OrdersMixin
from scoopjoy.tests.simulators.shopify.payments import (
	FORMATTED_GATEWAYS,
	TRANSACTION_KINDS,
	TRANSACTION_STATUSES,
	PaymentsMixin,
)
from scoopjoy.tests.simulators.shopify.products import ProductsMixin, _slug
from scoopjoy.tests.simulators.shopify.rest import RestMixin
from scoopjoy.tests.simulators.shopify.search import (
	_TOKEN_RE,
	QueriesMixin,
	_b64,
	_compare,
	_connection,
	_Context,
	_list_connection,
	_Term,
	_unb64,
	parse_search,
)
from scoopjoy.tests.simulators.shopify.webhooks import ORDER_TOPICS, PRODUCT_TOPICS, WebhooksMixin
from scoopjoy.tests.simulators.shopify_schema import CostCalculator, CostError, build_shopify_schema

DEFAULT_SCOPES = (
	"read_products",
	"write_products",
	"read_orders",
	"read_all_orders",
	"read_customers",
	"read_inventory",
	"write_inventory",
)
THROTTLED_DOCS = "https://shopify.dev/api/usage/rate-limits"
ACCESS_SCOPES_DOCS = "https://shopify.dev/api/usage/access-scopes"
_VERSION_RE = re.compile(r"\A(\d{4}-(01|04|07|10)|unstable)\Z")


# --- small helpers -------------------------------------------------------------------------------


# --- the simulator ---------------------------------------------------------------------------------


class ShopifySimulator(
	ProductsMixin,
	InventoryMixin,
	CustomersMixin,
	OrdersMixin,
	OrderMoneyMixin,
	OrderTotalsMixin,
	PaymentsMixin,
	FulfillmentMixin,
	QueriesMixin,
	WebhooksMixin,
	RestMixin,
	SimulatorServer,
):
	"""The Shopify GraphQL Admin API of one shop; see the module docstring for what it does.

	State (reset by :meth:`reset`) is seeded by the helpers: :meth:`add_location`,
	:meth:`add_product`, :meth:`add_customer`, :meth:`add_order`, :meth:`generate_orders`, and
	changed by :meth:`update_order`, :meth:`edit_order`, :meth:`add_transaction`,
	:meth:`mark_paid`, :meth:`fulfill`, :meth:`cancel`, :meth:`close`, :meth:`refund`,
	:meth:`delete_product`, :meth:`set_inventory`. One location
	("Main Warehouse") exists from the start. Records returned by helpers are the stored dicts
	(GraphQL field names); read them, change them through the helpers.
	"""

	name = "shopify"

	def __init__(
		self,
		access_token: str = "shpat_test_token",
		*,
		shop_domain: str = "scoopjoy-test.myshopify.com",
		client_secret: str = "shpss_test_secret",
		api_version: str = DEFAULT_API_VERSION,
		bucket_size: float = 2000.0,
		restore_rate: float = 100.0,
		max_query_cost: int = MAX_SINGLE_QUERY_COST,
		access_scopes: Iterable[str] = DEFAULT_SCOPES,
		shop_name: str = "ScoopJoy Test",
		currency: str = "USD",
		utc_offset_minutes: int = 0,
		timezone: str = "UTC",
		allow_insecure_webhooks: bool = False,
		clock: Callable[[], float] = time.monotonic,
		now: Callable[[], datetime] | None = None,
		**kwargs: Any,
	):
		"""``currency``: the shop's currency (``shopMoney``). ``timezone``: the shop's IANA time zone
		(``shop.ianaTimezone``, https://shopify.dev/docs/api/admin-graphql/latest/objects/Shop), or
		``utc_offset_minutes``: a fixed offset instead; either is used for REST webhook timestamps
		and dates without a zone in search queries. ``allow_insecure_webhooks``: accept ``http://`` subscription
		URIs (Shopify does not). ``clock``: the monotonic clock of the cost bucket; ``now``: wall time.
		"""
		self.access_token = access_token
		self.shop_domain = shop_domain
		self.client_secret = client_secret
		self.api_version = api_version
		self.bucket_size = float(bucket_size)
		self.restore_rate = float(restore_rate)
		self.max_query_cost = int(max_query_cost)
		self.access_scopes = tuple(access_scopes)
		self.shop_name = shop_name
		self.currency = currency
		self.iana_timezone = timezone
		self.shop_tz = _shop_zone(timezone, utc_offset_minutes)
		self.allow_insecure_webhooks = allow_insecure_webhooks
		self._clock = clock
		self._now = now
		self.schema = _wire(build_shopify_schema())
		super().__init__(**kwargs)
		self.reset_state()

	# --- state ----------------------------------------------------------------------------------------

	def reset_state(self) -> None:
		with self.lock:
			self._id_counters: dict[str, Iterable[int]] = {}
			self._order_numbers = itertools.count(1001)
			self.locations: dict[int, dict] = {}
			self.products: dict[int, dict] = {}
			self.variants: dict[int, dict] = {}
			self.inventory_items: dict[int, dict] = {}
			self.levels: dict[tuple[int, int], dict] = {}
			self.customers: dict[int, dict] = {}
			self.orders: dict[int, dict] = {}
			self.webhook_subscriptions: dict[int, dict] = {}
			self.idempotency: dict[str, tuple[str, dict]] = {}
			self.deliveries: list[dict] = []
			self.throttled_count = 0
			self.applied_inventory_mutations = 0
			self._available = self.bucket_size
			self._bucket_at = self._clock()
			self.add_location("Main Warehouse")

	def timezone_fields(self) -> dict[str, Any]:
		"""Shop.ianaTimezone, timezoneAbbreviation, timezoneOffset ("+0800"), timezoneOffsetMinutes, now."""
		local = self.now().astimezone(self.shop_tz)
		offset = local.utcoffset() or timedelta(0)
		minutes = int(offset.total_seconds() // 60)
		hours, rest = divmod(abs(minutes), 60)
		if isinstance(self.shop_tz, ZoneInfo):
			name = self.shop_tz.key
		else:
			name = "UTC" if minutes == 0 else str(self.shop_tz)
		return {
			"ianaTimezone": name,
			"timezoneAbbreviation": local.strftime("%Z") or name,
			"timezoneOffset": f"{'-' if minutes < 0 else '+'}{hours:02d}{rest:02d}",
			"timezoneOffsetMinutes": minutes,
		}

	def now(self) -> datetime:
		current = self._now() if self._now else datetime.now(timezone.utc)
		return current.replace(microsecond=0)

	def _next_id(self, kind: str) -> int:
		counter = self._id_counters.get(kind)
		if counter is None:
			counter = self._id_counters[kind] = itertools.count(1001)
		return next(counter)

	def _now_iso(self) -> str:
		return to_iso(self.now())

	# --- bucket ---------------------------------------------------------------------------------------

	def _refill(self) -> float:
		now = self._clock()
		self._available = min(
			self.bucket_size, self._available + max(0.0, now - self._bucket_at) * self.restore_rate
		)
		self._bucket_at = now
		return self._available

	@property
	def currently_available(self) -> float:
		with self.lock:
			return self._refill()

	def set_available(self, points: float) -> None:
		"""Put the bucket at ``points`` (tests: simulate an app that already spent its budget)."""
		with self.lock:
			self._refill()
			self._available = max(0.0, min(self.bucket_size, float(points)))

	def throttle_status(self) -> dict[str, Any]:
		with self.lock:
			available = self._refill()
		return {
			"maximumAvailable": self.bucket_size,
			"currentlyAvailable": int(available),
			"restoreRate": self.restore_rate,
		}

	def _cost_extension(self, requested: int | None, actual: int | None) -> dict[str, Any]:
		return {
			"cost": {
				"requestedQueryCost": requested,
				"actualQueryCost": actual,
				"throttleStatus": self.throttle_status(),
			}
		}

	# --- routes and auth ------------------------------------------------------------------------------

	def setup_routes(self) -> None:
		self.route("POST", "/admin/api/{version}/graphql.json", self._graphql)

	@property
	def graphql_path(self) -> str:
		return f"/admin/api/{self.api_version}/graphql.json"

	@property
	def graphql_url(self) -> str:
		return self.url + self.graphql_path

	def check_auth(self, request: SimRequest) -> bool:
		given = request.header("X-Shopify-Access-Token") or ""
		return (
			bool(given)
			and hashlib.sha256(given.encode()).digest() == hashlib.sha256(self.access_token.encode()).digest()
		)

	def unauthorized_response(self, request: SimRequest) -> SimResponse:
		return SimResponse(401, json={"errors": SHOPIFY_UNAUTHORIZED})

	def after_request(self, request: SimRequest, response: SimResponse) -> SimResponse:
		version = (request.path_params or {}).get("version")
		if version and _VERSION_RE.match(version):
			response.headers.setdefault("X-Shopify-API-Version", version)
		return response

	# --- the GraphQL endpoint -------------------------------------------------------------------------

	def _graphql(self, request: SimRequest) -> SimResponse:
		if not _VERSION_RE.match(request.path_params.get("version", "")):
			return self.not_found_response(request)
		ctype = (request.header("Content-Type") or "").lower()
		variables: Any = None
		operation_name = None
		if ctype.startswith("application/graphql"):
			query = request.text
		else:
			try:
				body = request.json()
			except ValueError:
				body = None
			if not isinstance(body, dict):
				return SimResponse(400, json={"errors": {"query": "Required parameter missing or invalid"}})
			query = body.get("query")
			variables = body.get("variables")
			operation_name = body.get("operationName")
		if not isinstance(query, str) or not query.strip():
			return SimResponse(400, json={"errors": {"query": "Required parameter missing or invalid"}})
		if variables is not None and not isinstance(variables, dict):
			return SimResponse(400, json={"errors": {"variables": "must be an object"}})
		return SimResponse(json=self.run(query, variables or {}, operation_name))

	def run(
		self, query: str, variables: Mapping[str, Any] | None = None, operation_name: str | None = None
	) -> dict:
		"""Parse, validate, cost, throttle and execute one document; the JSON Shopify would send."""
		variables = dict(variables or {})
		try:
			document = parse(query)
		except GraphQLSyntaxError as exc:
			return {"errors": [exc.formatted], "extensions": self._cost_extension(0, 0)}
		errors = validate(self.schema, document)
		if errors:
			return {"errors": [e.formatted for e in errors], "extensions": self._cost_extension(0, 0)}
		operation = get_operation_ast(document, operation_name)
		if operation is None:
			message = (
				f'No operation named "{operation_name}"'
				if operation_name
				else "An operation name is required when the document has several operations"
			)
			return {"errors": [{"message": message}], "extensions": self._cost_extension(0, 0)}
		coerced = get_variable_values(self.schema, operation.variable_definitions, variables)
		if isinstance(coerced, list):
			return {
				"errors": [{**e.formatted, "extensions": {"code": "INVALID_VARIABLE"}} for e in coerced],
				"extensions": self._cost_extension(0, 0),
			}
		fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
		calculator = CostCalculator(self.schema, operation, fragments, coerced)
		try:
			requested = calculator.requested()
		except CostError as exc:
			return {
				"errors": [{"message": exc.message, "path": exc.path, "extensions": {"code": exc.code}}],
				"extensions": self._cost_extension(0, 0),
			}
		if requested > self.max_query_cost:
			return {
				"errors": [
					{
						"message": (
							f"Query cost is {requested}, which exceeds the single query max cost limit"
							f" ({self.max_query_cost}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits"
							" for more information on how the\ncost of a query is calculated.\n\nTo query larger"
							" amounts of data with fewer limits, bulk operations should be used instead.\nSee"
							" https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
						),
						"extensions": {
							"code": "MAX_COST_EXCEEDED",
							"cost": requested,
							"maxCost": self.max_query_cost,
						},
					}
				],
				"extensions": self._cost_extension(requested, None),
			}
		with self.lock:
			available = self._refill()
			if requested > available:
				self.throttled_count += 1
				return {
					"errors": [
						{
							"message": "Throttled",
							"extensions": {"code": "THROTTLED", "documentation": THROTTLED_DOCS},
						}
					],
					"extensions": self._cost_extension(requested, None),
				}
			self._available -= requested
			context = _Context(self)
			result = execute(
				self.schema,
				document,
				context_value=context,
				variable_values=variables,
				operation_name=operation_name,
			)
			data = result.data
			actual = min(requested, calculator.actual(data))
			self._available = min(self.bucket_size, self._available + (requested - actual))
		response: dict[str, Any] = {}
		if result.errors:
			response["errors"] = [e.formatted for e in result.errors]
		response["data"] = data
		response["extensions"] = self._cost_extension(requested, actual)
		if context.search_warnings:
			response["extensions"]["search"] = context.search_warnings
		return response

	# --- access scopes --------------------------------------------------------------------------------

	def has_scope(self, scope: str) -> bool:
		if scope in self.access_scopes:
			return True
		if scope.startswith("read_"):
			return "write_" + scope[len("read_") :] in self.access_scopes
		return False

	def require(self, scope: str, field_name: str) -> None:
		if not self.has_scope(scope):
			raise _field_error(
				f"Access denied for {field_name} field. Required access: `{scope}` access scope.",
				"ACCESS_DENIED",
				documentation=ACCESS_SCOPES_DOCS,
				requiredAccess=f"`{scope}` access scope.",
			)

	# --- seeding: locations, products, customers ------------------------------------------------------

	def _find(self, table: dict[int, dict], kind: str, ident: Any) -> dict:
		if isinstance(ident, Mapping):
			ident = ident.get("id")
		n = parse_gid(ident, kind)
		record = table.get(n) if n is not None else None
		if record is None:
			raise KeyError(f"no {kind} {ident!r}")
		return record

	# --- fulfilment, cancellation, refunds ------------------------------------------------------------

	# --- queries over the store -----------------------------------------------------------------------

	# --- webhooks -------------------------------------------------------------------------------------


# --- resolvers -------------------------------------------------------------------------------------


def _sim(info: Any) -> ShopifySimulator:
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
				taken = sum((ShopifySimulator._pget(c, "amountSet") for c in children), Decimal(0))
				if taken < ShopifySimulator._pget(t, "amountSet"):
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
		return ShopifySimulator._pget(source, "totalCapturableSet") > 0

	@resolve("Order", "fullyPaid")
	def _fully_paid(source, info):
		return ShopifySimulator._pget(source, "totalOutstandingSet") <= 0

	@resolve("Order", "unpaid")
	def _unpaid(source, info):
		get = ShopifySimulator._pget
		return get(source, "totalReceivedSet") <= 0 and get(source, "currentTotalPriceSet") > 0

	@resolve("Order", "refundable")
	def _refundable(source, info):
		get = ShopifySimulator._pget
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
		return _sim(info).lookup(id)

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
		records = sim._filter(
			sim._visible_orders(), query, ShopifySimulator.ORDER_FIELDS, info.context, "orders"
		)
		return _connection(sim._sorted(records, sortKey, ShopifySimulator.ORDER_SORT), args, reverse=reverse)

	@resolve("QueryRoot", "ordersCount")
	def _orders_count(source, info, query=None, limit=10000, **_):
		sim = _sim(info)
		sim.require("read_orders", "ordersCount")
		records = sim._filter(
			sim._visible_orders(), query, ShopifySimulator.ORDER_FIELDS, info.context, "ordersCount"
		)
		return sim._count(records, limit)

	@resolve("QueryRoot", "customers")
	def _customers(source, info, query=None, sortKey="ID", reverse=False, **args):
		sim = _sim(info)
		sim.require("read_customers", "customers")
		records = sim._filter(
			list(sim.customers.values()), query, ShopifySimulator.CUSTOMER_FIELDS, info.context, "customers"
		)
		return _connection(sim._sorted(records, sortKey, ShopifySimulator.COMMON_SORT), args, reverse=reverse)

	@resolve("QueryRoot", "customersCount")
	def _customers_count(source, info, query=None, limit=10000):
		sim = _sim(info)
		sim.require("read_customers", "customersCount")
		records = sim._filter(
			list(sim.customers.values()),
			query,
			ShopifySimulator.CUSTOMER_FIELDS,
			info.context,
			"customersCount",
		)
		return sim._count(records, limit)

	@resolve("QueryRoot", "products")
	def _products(source, info, query=None, sortKey="ID", reverse=False, **args):
		sim = _sim(info)
		sim.require("read_products", "products")
		records = sim._filter(
			list(sim.products.values()), query, ShopifySimulator.PRODUCT_FIELDS, info.context, "products"
		)
		return _connection(sim._sorted(records, sortKey, ShopifySimulator.COMMON_SORT), args, reverse=reverse)

	@resolve("QueryRoot", "productsCount")
	def _products_count(source, info, query=None, limit=10000):
		sim = _sim(info)
		sim.require("read_products", "productsCount")
		records = sim._filter(
			list(sim.products.values()), query, ShopifySimulator.PRODUCT_FIELDS, info.context, "productsCount"
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
		return _connection(sim._sorted(records, sortKey, ShopifySimulator.COMMON_SORT), args, reverse=reverse)

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
		return _connection(sim._sorted(records, "ID", ShopifySimulator.COMMON_SORT), args, reverse=reverse)

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

	return schema
