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
from scoopjoy.tests.simulators.shopify.inventory import INVENTORY_REASONS, QUANTITY_NAMES, InventoryMixin
from scoopjoy.tests.simulators.shopify.products import ProductsMixin, _slug
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
ORDER_TOPICS = (
	"orders/create",
	"orders/updated",
	"orders/paid",
	"orders/fulfilled",
	"orders/partially_fulfilled",
	"orders/cancelled",
	"orders/edited",
	"orders/delete",
)
#: product topics whose body is the REST Product (https://shopify.dev/docs/api/admin-rest/latest/resources/product)
PRODUCT_TOPICS = ("products/create", "products/update")
#: OrderTransaction.formattedGateway for the gateway names Shopify uses
#: (https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderTransaction).
FORMATTED_GATEWAYS = {
	"shopify_payments": "Shopify Payments",
	"paypal": "PayPal Express Checkout",
	"manual": "Manual",
	"bogus": "Bogus",
	"gift_card": "Gift card",
	"shopify_store_credit": "Store credit",
	"cash": "Cash",
	"cash_on_delivery": "Cash on Delivery (COD)",
	"bank_deposit": "Bank Deposit",
	"money_order": "Money Order",
}
TRANSACTION_KINDS = ("AUTHORIZATION", "CAPTURE", "CHANGE", "EMV_AUTHORIZATION", "REFUND", "SALE", "VOID")
TRANSACTION_STATUSES = ("AWAITING_RESPONSE", "ERROR", "FAILURE", "PENDING", "SUCCESS", "UNKNOWN")
_VERSION_RE = re.compile(r"\A(\d{4}-(01|04|07|10)|unstable)\Z")


# --- small helpers -------------------------------------------------------------------------------


# --- the simulator ---------------------------------------------------------------------------------


class ShopifySimulator(ProductsMixin, InventoryMixin, CustomersMixin, QueriesMixin, SimulatorServer):
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

	def get_order(self, order_id: Any) -> dict:
		with self.lock:
			return self._find(self.orders, "Order", order_id)

	# --- webhook subscriptions (GraphQL) --------------------------------------------------------------

	def _check_uri(self, uri: Any) -> str | None:
		if not isinstance(uri, str) or not uri:
			return "Address can't be blank"
		if uri.startswith(("https://", "pubsub://", "arn:aws:events:")):
			return None
		if uri.startswith("http://") and self.allow_insecure_webhooks:
			return None
		scheme = uri.split(":", 1)[0] if ":" in uri else uri
		return f"Address protocol {scheme}:// is not supported"

	def webhook_subscription_create(self, topic: str, spec: Mapping[str, Any]) -> dict:
		with self.lock:
			problem = self._check_uri(spec.get("uri"))
			if problem is None and any(
				s["topic"] == topic and s["uri"] == spec["uri"] for s in self.webhook_subscriptions.values()
			):
				problem = "Address for this topic has already been taken"
			if problem:
				return {
					"webhookSubscription": None,
					"userErrors": [{"field": ["webhookSubscription", "uri"], "message": problem}],
				}
			n = self._next_id("WebhookSubscription")
			stamp = self._now_iso()
			subscription = {
				"__typename": "WebhookSubscription",
				"id": gid("WebhookSubscription", n),
				"legacyResourceId": str(n),
				"topic": topic,
				"uri": spec["uri"],
				"format": spec.get("format") or "JSON",
				"includeFields": list(spec.get("includeFields") or []),
				"filter": spec.get("filter"),
				"createdAt": stamp,
				"updatedAt": stamp,
				"_n": n,
			}
			self.webhook_subscriptions[n] = subscription
			return {"webhookSubscription": subscription, "userErrors": []}

	def webhook_subscription_update(self, ident: str, spec: Mapping[str, Any]) -> dict:
		with self.lock:
			subscription = self.webhook_subscriptions.get(parse_gid(ident, "WebhookSubscription") or -1)
			if subscription is None:
				return {
					"webhookSubscription": None,
					"userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
				}
			if "uri" in spec:
				problem = self._check_uri(spec.get("uri"))
				if problem:
					return {
						"webhookSubscription": None,
						"userErrors": [{"field": ["webhookSubscription", "uri"], "message": problem}],
					}
				subscription["uri"] = spec["uri"]
			for key in ("format", "includeFields", "filter"):
				if key in spec and spec[key] is not None:
					subscription[key] = spec[key]
			subscription["updatedAt"] = self._now_iso()
			return {"webhookSubscription": subscription, "userErrors": []}

	def webhook_subscription_delete(self, ident: str) -> dict:
		with self.lock:
			n = parse_gid(ident, "WebhookSubscription")
			if self.webhook_subscriptions.pop(n or -1, None) is None:
				return {
					"deletedWebhookSubscriptionId": None,
					"userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
				}
			return {"deletedWebhookSubscriptionId": gid("WebhookSubscription", n), "userErrors": []}

	# --- orders ---------------------------------------------------------------------------------------
	#
	# Money, as Shopify documents it for the Order object
	# (https://shopify.dev/docs/api/admin-graphql/latest/objects/Order) and its parts:
	#
	# - Every ``*Set`` field is a MoneyBag (https://shopify.dev/docs/api/admin-graphql/latest/objects/MoneyBag):
	#   ``shopMoney`` in the shop's currency, ``presentmentMoney`` in the currency the customer paid.
	#   The helpers take every amount in *presentment* money and convert each field on its own:
	#   shop = presentment / rate, rounded half up to the cent. Sums of converted parts may therefore
	#   differ by a few cents from the converted total (Shopify converts each field separately too);
	#   the presentment figures always add up exactly.
	# - Stored records keep the shop amount as a "12.50" string under the GraphQL field name (so
	#   ``Decimal(order["totalPriceSet"])`` is the shop total, as before) and, when the presentment
	#   currency differs, the presentment amount in ``record["_pm"][field]`` (``record["_pc"]``: its
	#   currency).
	# - LineItem (https://shopify.dev/docs/api/admin-graphql/latest/objects/LineItem): ``totalDiscountSet``,
	#   ``discountedUnitPriceSet`` and ``discountedTotalSet`` hold line-level discounts only (an
	#   order-level discount code "isn't included", as documented; it shows in
	#   ``discountAllocations`` and ``discountedUnitPriceAfterAllDiscountsSet``); ``taxLines`` are
	#   the line's taxes for its original quantity (TaxLine:
	#   https://shopify.dev/docs/api/admin-graphql/latest/objects/TaxLine).
	# - Discounts (https://shopify.dev/docs/api/admin-graphql/latest/interfaces/DiscountApplication,
	#   .../objects/DiscountAllocation): an order-level discount is one application (ACROSS, ALL,
	#   LINE_ITEM) allocated to the lines pro rata to what they cost after their own discounts,
	#   largest remainder to the cent; a line's ``discount`` is an application of its own (ACROSS,
	#   EXPLICIT); a shipping discount is EACH, ALL, SHIPPING_LINE and lowers the ShippingLine's
	#   ``discountedPriceSet`` (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShippingLine).
	# - Order-level ``tax_lines`` (the older helper API) are split over the taxable lines the same
	#   way, so ``Order.taxLines`` (the per-title sum of line and shipping tax lines) equals their sum.
	# - ``total*``/``subtotal*`` figures are as at creation; ``current*`` ones follow order edits,
	#   refunds, removals and cancellation: a line's current share of an amount is the amount less
	#   ``amount x (quantity - currentQuantity) / quantity`` rounded to the cent, which is also
	#   what a refund of those units carries, so current = original - refunded, to the cent.
	# - Transactions (https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderTransaction):
	#   ``totalReceivedSet`` = successful SALE + CAPTURE - CHANGE; ``totalRefundedSet`` = successful
	#   REFUND; ``totalOutstandingSet`` = currentTotalPrice - (received - refunded), negative when
	#   the shop owes the customer; ``totalCapturableSet`` = authorised, not yet captured or voided.
	# - Refunds (https://shopify.dev/docs/api/admin-graphql/latest/objects/Refund): line subtotals
	#   after all discounts plus the line tax share, refunded shipping with its tax share; an amount
	#   that differs from that (an amount-only refund) is an OrderAdjustment REFUND_DISCREPANCY of
	#   calculated - refunded (https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderAdjustment),
	#   which counts in the current total.

	def _variant_for(self, spec: Mapping[str, Any]) -> dict | None:
		if spec.get("variant") is not None:
			return self._find(self.variants, "ProductVariant", spec["variant"])
		if spec.get("variant_id") is not None:
			return self._find(self.variants, "ProductVariant", spec["variant_id"])
		if spec.get("sku"):
			return next((v for v in self.variants.values() if v.get("sku") == spec["sku"]), None)
		return None

	def _ensure_catalog(self) -> list[dict]:
		if not self.variants:
			for i, flavour in enumerate(("Vanilla", "Chocolate", "Strawberry", "Mango", "Pistachio")):
				self.add_product(
					f"{flavour} Scoop",
					variants=[
						{
							"sku": f"{flavour[:3].upper()}-S",
							"price": f"{3 + i}.50",
							"option": "Small",
							"available": 100,
						},
						{
							"sku": f"{flavour[:3].upper()}-L",
							"price": f"{5 + i}.00",
							"option": "Large",
							"available": 100,
						},
					],
				)
		return list(self.variants.values())

	# money helpers -----------------------------------------------------------------------------------

	def _put(self, order: Mapping[str, Any], record: dict, field_name: str, amount: Any) -> None:
		"""Store a presentment ``amount`` as a MoneyBag field of ``record`` (None: a null field)."""
		if amount is None:
			record[field_name] = None
			return
		amount = cents(amount)
		rate = order.get("_rate")
		if rate is None:
			record[field_name] = money(amount)
			return
		record[field_name] = money(cents(amount / rate))
		presentment = record.get("_pm")
		if presentment is None:
			presentment = record["_pm"] = {}
			record["_pc"] = order["presentmentCurrencyCode"]
		presentment[field_name] = money(amount)

	@staticmethod
	def _pget(record: Mapping[str, Any], field_name: str) -> Decimal:
		"""The presentment amount of a MoneyBag field (0 when null)."""
		presentment = record.get("_pm")
		if presentment is not None and field_name in presentment:
			return Decimal(presentment[field_name])
		value = record.get(field_name)
		return Decimal(value) if value is not None else Decimal("0.00")

	def _presentment(self, currency: str | None, rate: Any) -> tuple[str, Decimal | None]:
		if not currency or currency == self.currency:
			return self.currency, None
		if rate is None:
			raise ValueError("presentment_rate (presentment units per 1 shop unit) is required")
		value = _dec(rate)
		if value <= 0:
			raise ValueError(f"presentment_rate must be positive, not {rate!r}")
		return currency, value

	def _tax_line(self, order: Mapping[str, Any], spec: Mapping[str, Any], amount: Any) -> dict:
		rate = spec.get("rate", 0)
		rate = float(rate) if rate is not None else None
		tax = {
			"title": spec.get("title", "Tax"),
			"rate": rate,
			"ratePercentage": round(rate * 100, 4) if rate is not None else None,
			"channelLiable": spec.get("channel_liable"),
		}
		self._put(order, tax, "priceSet", amount)
		return tax

	def _tax_sum(self, order: Mapping[str, Any], tax: Mapping[str, Any], amount: Decimal) -> dict:
		"""An order-level TaxLine: the sum of the line and shipping tax lines of one title and rate."""
		total = {
			"title": tax["title"],
			"rate": tax["rate"],
			"ratePercentage": tax["ratePercentage"],
			"channelLiable": tax.get("channelLiable"),
		}
		self._put(order, total, "priceSet", amount)
		return total

	def _discount_application(
		self,
		order: dict,
		spec: Mapping[str, Any],
		*,
		target_type: str,
		target_selection: str,
		allocation_method: str,
		level: str,
	) -> dict:
		applications = order["discountApplications"]
		if spec["value_type"] == "percentage":
			value = {"__typename": "PricingPercentageValue", "percentage": float(spec["value"])}
		else:
			value = {
				"__typename": "MoneyV2",
				"amount": shopify_decimal(spec["value"]),
				"currencyCode": order["presentmentCurrencyCode"],
			}
		application = {
			"__typename": DISCOUNT_TYPENAMES[spec["type"]],
			"index": len(applications),
			"allocationMethod": allocation_method,
			"targetSelection": target_selection,
			"targetType": target_type,
			"value": value,
			"_level": level,
			"_value_type": spec["value_type"],
			"_value": spec["value"],
		}
		if spec["type"] == "code":
			application["code"] = spec["code"]
		else:
			application["title"] = spec["title"]
			if spec["type"] == "manual":
				application["description"] = spec.get("description")
		applications.append(application)
		return application

	def _allocate_to(self, order: dict, application: dict, record: dict, amount: Decimal) -> None:
		allocation = {"discountApplication": application}
		self._put(order, allocation, "allocatedAmountSet", amount)
		record["discountAllocations"].append(allocation)

	def _line_net(self, line: Mapping[str, Any]) -> Decimal:
		"""Presentment price x quantity less every discount allocated to the line."""
		gross = self._pget(line, "originalUnitPriceSet") * line["quantity"]
		return gross - sum(
			(self._pget(a, "allocatedAmountSet") for a in line["discountAllocations"]), Decimal(0)
		)

	def _new_line(self, order: dict, spec: Mapping[str, Any], *, added: bool = False) -> dict:
		tip = bool(spec.get("tip"))
		gift_card = bool(spec.get("gift_card"))
		custom = tip or bool(spec.get("custom")) or bool(spec.get("deleted"))
		variant = None if custom else self._variant_for(spec)
		quantity = int(spec.get("quantity", 1))
		if spec.get("price") is not None:
			price = cents(spec["price"])
		elif variant is not None:
			price = cents(_dec(variant["price"]) * (order.get("_rate") or 1))
		else:
			price = Decimal("5.00")
		title = spec.get("title") or (
			"Tip" if tip else variant["product"]["title"] if variant else "Discontinued item"
		)
		variant_title = variant["title"] if variant and variant["title"] != "Default Title" else None
		ln = self._next_id("LineItem")
		line = {
			"__typename": "LineItem",
			"id": gid("LineItem", ln),
			"title": title,
			"name": f"{title} - {variant_title}" if variant_title else title,
			"sku": spec.get("sku") if spec.get("sku") is not None else (variant or {}).get("sku"),
			"variantTitle": variant_title,
			"vendor": variant["product"]["vendor"] if variant else None,
			"quantity": quantity,
			"currentQuantity": quantity,
			"requiresShipping": bool(spec.get("requires_shipping", not (tip or gift_card))),
			"taxable": bool(spec.get("taxable", not (tip or gift_card))),
			"isGiftCard": gift_card,
			"taxLines": [],
			"discountAllocations": [],
			"_n": ln,
			"_variant": variant["_n"] if variant else None,
			"_product": variant["product"]["_n"] if variant else None,
			"_fulfilled": 0,
			"_refunded": 0,
			"_removed": 0,
		}
		if tip:
			line["_tip"] = True
		if added:
			line["_added"] = True
		self._put(order, line, "originalUnitPriceSet", price)
		if spec.get("discount") not in (None, 0, "0", "0.00", ""):
			discount = discount_spec(spec["discount"], kind="manual")
			application = self._discount_application(
				order,
				discount,
				target_type="LINE_ITEM",
				target_selection="EXPLICIT",
				allocation_method="ACROSS",
				level="line",
			)
			gross = price * quantity
			amount = (
				cents(gross * discount["value"] / 100)
				if discount["value_type"] == "percentage"
				else min(gross, discount["value"])
			)
			self._allocate_to(order, application, line, amount)
		return line

	def _new_shipping_line(self, order: dict, spec: Mapping[str, Any]) -> dict:
		title = spec.get("title", "Standard")
		record = {
			"__typename": "ShippingLine",
			"id": gid("ShippingLine", self._next_id("ShippingLine")),
			"title": title,
			"code": spec.get("code", title),
			"source": spec.get("source", "shopify"),
			"carrierIdentifier": spec.get("carrier_identifier"),
			"custom": bool(spec.get("custom", False)),
			"isRemoved": False,
			"taxLines": [],
			"discountAllocations": [],
		}
		self._put(order, record, "originalPriceSet", cents(spec.get("price", "0")))
		return record

	def _shipping_figures(self, order: dict, record: dict, spec: Mapping[str, Any]) -> None:
		"""A shipping line's discounted price and its tax lines (once its discounts are allocated)."""
		net = self._pget(record, "originalPriceSet") - sum(
			(self._pget(a, "allocatedAmountSet") for a in record["discountAllocations"]), Decimal(0)
		)
		self._put(order, record, "discountedPriceSet", net)
		self._put(order, record, "currentDiscountedPriceSet", net)
		record["taxLines"] = []
		for tax in spec.get("tax_lines") or []:
			amount = (
				cents(tax["price"])
				if tax.get("price") is not None
				else tax_amount(net, tax.get("rate", 0), order["taxesIncluded"])
			)
			record["taxLines"].append(self._tax_line(order, tax, amount))

	def _line_figures(self, order: dict, line: dict) -> None:
		"""The line's own MoneyBags (fixed once its discounts are allocated)."""
		price = self._pget(line, "originalUnitPriceSet")
		quantity = line["quantity"]
		own = everything = Decimal(0)
		for allocation in line["discountAllocations"]:
			amount = self._pget(allocation, "allocatedAmountSet")
			everything += amount
			if allocation["discountApplication"]["_level"] == "line":
				own += amount
		self._put(order, line, "originalTotalSet", price * quantity)
		self._put(order, line, "totalDiscountSet", own)
		self._put(order, line, "discountedTotalSet", price * quantity - own)
		self._put(order, line, "discountedUnitPriceSet", price - own / quantity if quantity else price)
		self._put(
			order,
			line,
			"discountedUnitPriceAfterAllDiscountsSet",
			price - everything / quantity if quantity else price,
		)

	def _line_taxes(self, order: dict, line: dict, specs: Iterable[Mapping[str, Any]]) -> None:
		base = self._line_net(line)
		for spec in specs:
			amount = (
				cents(spec["price"])
				if spec.get("price") is not None
				else tax_amount(base, spec.get("rate", 0), order["taxesIncluded"])
			)
			line["taxLines"].append(self._tax_line(order, spec, amount))

	def add_order(
		self,
		*,
		customer: Any = "new",
		lines: Iterable[Mapping[str, Any]] | None = None,
		created_at: datetime | str | None = None,
		updated_at: datetime | str | None = None,
		processed_at: datetime | str | None = None,
		email: str | None = None,
		phone: str | None = None,
		shipping_address: Mapping[str, Any] | None = None,
		billing_address: Mapping[str, Any] | None = None,
		shipping_lines: Iterable[Mapping[str, Any]] | None = None,
		tax_lines: Iterable[Mapping[str, Any]] | None = None,
		discount: Any = None,
		taxes_included: bool = False,
		financial_status: str = "PENDING",
		test: bool = False,
		note: str | None = None,
		tags: Iterable[str] = (),
		presentment_currency: str | None = None,
		presentment_rate: Decimal | str | float | None = None,
		discount_code: str | None = None,
		shipping_discount: Any = None,
		tip: Any = None,
		duties: Any = None,
		additional_fees: Any = None,
	) -> dict:
		"""Create an order and return its stored record (see the money notes above this method).

		``customer``: a record or id from :meth:`add_customer`, ``"new"`` (a fresh one) or None (guest).
		``lines``: ``[{"variant_id" | "variant" | "sku", "quantity", "price", "title", "discount",
		"tax_lines", "gift_card", "custom", "taxable", "requires_shipping"}]``; a line with none of
		variant/variant_id/sku (or ``"deleted": True``, or ``"custom": True`` with a ``title``) has no
		product or variant (a custom line, or one whose product no longer exists). Default: one line
		of the first variant. A line's ``discount`` is an amount ("1.00"), a percentage ("10%") or
		``{"value", "type": "manual"|"automatic"|"script"|"code", "title", "code"}``; its
		``tax_lines`` are ``[{"title", "rate", "price", "channel_liable"}]`` (price defaults to rate x
		the line after discounts, or that x rate / (1 + rate) when ``taxes_included``).
		``shipping_lines``: ``[{"title", "price", "code", "tax_lines"}]`` (default one "Standard" line
		at 5.00). ``tax_lines``: order-level ``[{"title", "rate", "price"}]`` (price defaults to rate
		x the lines after discounts), split over the taxable lines without tax lines of their own.
		``discount``: an order-level discount (amount, "10%" or a mapping as for lines), a
		DiscountCodeApplication named ``discount_code`` when given, else a manual one.
		``shipping_discount``: like ``discount`` but on the shipping lines ("100%" is free shipping;
		a code application, default code "FREESHIPPING"). ``tip``: a "Tip" line (no product, not
		taxable, not shippable, never fulfilled; ``totalTipReceivedSet``). ``duties``,
		``additional_fees``: amounts added to the total (``originalTotalDutiesSet``...; null when
		not given). ``presentment_currency`` with ``presentment_rate`` (presentment units per 1 shop
		unit): every price given here is in that currency. Timestamps: datetimes or ISO strings.
		"""
		with self.lock:
			if customer == "new":
				customer_record = self.add_customer()
			elif customer is None:
				customer_record = None
			else:
				customer_record = self._find(self.customers, "Customer", customer)
			line_specs = (
				list(lines)
				if lines is not None
				else [{"variant": self._ensure_catalog()[0]["id"], "quantity": 1}]
			)
			if discount_code and discount in (None, 0, "0", ""):
				raise ValueError("discount_code needs the discount it gives (discount=...)")
			currency, rate = self._presentment(presentment_currency, presentment_rate)
			order_n = self._next_id("Order")
			number = next(self._order_numbers)
			created = to_iso(created_at) if created_at else self._now_iso()
			order: dict[str, Any] = {
				"__typename": "Order",
				"id": gid("Order", order_n),
				"legacyResourceId": str(order_n),
				"presentmentCurrencyCode": currency,
				"currencyCode": self.currency,
				"taxesIncluded": taxes_included,
				"discountApplications": [],
			}
			if rate is not None:
				order["_rate"] = rate
			items = [self._new_line(order, spec) for spec in line_specs]
			if discount not in (None, 0, "0", "0.00", ""):
				spec = discount_spec(discount, kind="code" if discount_code else "manual", code=discount_code)
				eligible = [line for line in items if not line["isGiftCard"]]
				weights = [self._line_net(line) for line in eligible]
				base = sum(weights, Decimal(0))
				amount = (
					cents(base * spec["value"] / 100)
					if spec["value_type"] == "percentage"
					else min(base, spec["value"])
				)
				application = self._discount_application(
					order,
					spec,
					target_type="LINE_ITEM",
					target_selection="ALL",
					allocation_method="ACROSS",
					level="order",
				)
				for line, part in zip(eligible, allocate(amount, weights), strict=True):
					if part:
						self._allocate_to(order, application, line, part)
			if tip not in (None, 0, "0", "0.00", ""):
				items.append(self._new_line(order, {"tip": True, "title": "Tip", "price": tip}))
			for line in items:
				self._line_figures(order, line)
			# taxes: a line's own, then the order-level ones split over the other taxable lines
			for line, spec in zip(items, line_specs, strict=False):
				if spec.get("tax_lines") is not None:
					self._line_taxes(order, line, spec["tax_lines"])
			order_taxes = list(tax_lines or [])
			if order_taxes:
				targets = [
					line
					for line, spec in zip(items, line_specs, strict=False)
					if spec.get("tax_lines") is None and line["taxable"]
				]
				if not targets:
					raise ValueError("order-level tax_lines need a taxable line without tax_lines of its own")
				nets = [self._line_net(line) for line in targets]
				for spec in order_taxes:
					amount = (
						cents(spec["price"])
						if spec.get("price") is not None
						else tax_amount(sum(nets, Decimal(0)), spec.get("rate", 0), taxes_included)
					)
					for line, part in zip(targets, allocate(amount, nets), strict=True):
						line["taxLines"].append(self._tax_line(order, spec, part))
				order["_order_taxes"] = [
					{k: spec[k] for k in ("title", "rate", "channel_liable") if k in spec}
					for spec in order_taxes
				]
			shipping_specs = (
				list(shipping_lines)
				if shipping_lines is not None
				else [{"title": "Standard", "price": "5.00"}]
			)
			shipping = [self._new_shipping_line(order, spec) for spec in shipping_specs]
			if shipping_discount not in (None, 0, "0", "0.00", ""):
				spec = discount_spec(shipping_discount, kind="code", code="FREESHIPPING")
				application = self._discount_application(
					order,
					spec,
					target_type="SHIPPING_LINE",
					target_selection="ALL",
					allocation_method="EACH",
					level="shipping",
				)
				for record in shipping:
					price = self._pget(record, "originalPriceSet")
					part = (
						cents(price * spec["value"] / 100)
						if spec["value_type"] == "percentage"
						else min(price, spec["value"])
					)
					if part:
						self._allocate_to(order, application, record, part)
			for record, spec in zip(shipping, shipping_specs, strict=True):
				self._shipping_figures(order, record, spec)
			address = (
				dict(shipping_address)
				if shipping_address
				else (dict(customer_record["defaultAddress"]) if customer_record else None)
			)
			if address is not None:
				address.setdefault("__typename", "MailingAddress")
				address.setdefault("id", gid("MailingAddress", self._next_id("MailingAddress")))
			billing = dict(billing_address) if billing_address else address
			if email is None and customer_record and customer_record["defaultEmailAddress"]:
				email = customer_record["defaultEmailAddress"]["emailAddress"]
			order.update(
				{
					"name": f"#{number}",
					"email": email,
					"phone": phone,
					"note": note,
					"tags": list(tags),
					"createdAt": created,
					"updatedAt": to_iso(updated_at) if updated_at else created,
					"processedAt": to_iso(processed_at) if processed_at else created,
					"cancelledAt": None,
					"cancelReason": None,
					"closedAt": None,
					"test": test,
					"displayFinancialStatus": financial_status,
					"displayFulfillmentStatus": "UNFULFILLED",
					"customer": customer_record,
					"shippingAddress": address,
					"billingAddress": billing,
					"lineItems": items,
					"shippingLines": shipping,
					"transactions": [],
					"fulfillments": [],
					"refunds": [],
					"_n": order_n,
					"_number": number,
				}
			)
			if duties is not None:
				order["_duties"] = cents(duties)
			if additional_fees is not None:
				order["_fees"] = cents(additional_fees)
			self._recompute(order)
			self.orders[order_n] = order
			return order

	def _recompute(self, order: dict) -> None:
		"""Every order-level MoneyBag, from the lines, shipping, refunds and transactions."""
		get = self._pget
		zero = Decimal("0.00")
		included = order["taxesIncluded"]
		subtotal = current_subtotal = discounts = current_discounts = cart = current_cart = zero
		tip = current_tip = items_total = zero
		quantity = current_quantity = 0
		taxes: dict[tuple, list] = {}
		current_taxes: dict[tuple, list] = {}

		def add_tax(table: dict[tuple, list], tax: Mapping[str, Any], amount: Decimal) -> None:
			key = (tax["title"], tax["rate"])
			if key in table:
				table[key][1] += amount
			else:
				table[key] = [tax, amount]

		for line in order["lineItems"]:
			q = line["quantity"]
			gone = q - line["currentQuantity"]
			original = not line.get("_added")
			gross = get(line, "originalUnitPriceSet") * q
			if line.get("_tip"):
				tip += gross if original else zero
				current_tip += gross - share(gross, gone, q)
				continue
			allocated = at_order_level = zero
			for allocation in line["discountAllocations"]:
				amount = get(allocation, "allocatedAmountSet")
				allocated += amount
				if allocation["discountApplication"]["_level"] == "order":
					at_order_level += amount
			net = gross - allocated
			if original:
				subtotal += net
				discounts += allocated
				cart += at_order_level
				quantity += q
				items_total += gross
			current_subtotal += net - share(net, gone, q)
			current_discounts += allocated - share(allocated, gone, q)
			current_cart += at_order_level - share(at_order_level, gone, q)
			current_quantity += line["currentQuantity"]
			for tax in line["taxLines"]:
				amount = get(tax, "priceSet")
				if original:
					add_tax(taxes, tax, amount)
				add_tax(current_taxes, tax, amount - share(amount, gone, q))
		shipping_total = shipping_net = shipping_refunded = zero
		for record in order["shippingLines"]:
			price = get(record, "originalPriceSet")
			net = get(record, "discountedPriceSet")
			refunded = _dec(record.get("_refunded"))
			shipping_total += price
			shipping_net += net
			shipping_refunded += refunded
			discounts += price - net
			current_discounts += price - net
			for tax in record["taxLines"]:
				amount = get(tax, "priceSet")
				add_tax(taxes, tax, amount)
				add_tax(current_taxes, tax, amount - portion(amount, refunded, net))
		adjustments = zero
		for refund in order["refunds"]:
			for adjustment in refund.get("orderAdjustments") or []:
				adjustments += get(adjustment, "amountSet") + get(adjustment, "taxAmountSet")
		duties = order.get("_duties")
		fees = order.get("_fees")
		extras = (duties or zero) + (fees or zero)
		total_tax = sum((amount for _tax, amount in taxes.values()), zero)
		current_tax = sum((amount for _tax, amount in current_taxes.values()), zero)
		total = subtotal + shipping_net + (zero if included else total_tax) + extras + tip
		current_total = (
			current_subtotal
			+ shipping_net
			- shipping_refunded
			+ (zero if included else current_tax)
			+ extras
			+ current_tip
			+ adjustments
		)
		received = refunded = capturable = cash_paid = cash_refunded = zero
		captured: dict[str, Decimal] = {}
		voided: set[str] = set()
		for tx in order["transactions"]:
			if tx["status"] != "SUCCESS":
				continue
			amount = get(tx, "amountSet")
			kind = tx["kind"]
			parent = (tx.get("parentTransaction") or {}).get("id")
			if kind in ("SALE", "CAPTURE"):
				received += amount
				cash_paid += get(tx, "amountRoundingSet")
			elif kind == "CHANGE":
				received -= amount
			elif kind == "REFUND":
				refunded += amount
				cash_refunded += get(tx, "amountRoundingSet")
			if kind == "CAPTURE" and parent:
				captured[parent] = captured.get(parent, zero) + amount
			elif kind == "VOID" and parent:
				voided.add(parent)
		for tx in order["transactions"]:
			if tx["status"] == "SUCCESS" and tx["kind"] in ("AUTHORIZATION", "EMV_AUTHORIZATION"):
				if tx["id"] not in voided:
					capturable += max(zero, get(tx, "amountSet") - captured.get(tx["id"], zero))
		put = self._put
		put(order, order, "subtotalPriceSet", subtotal)
		put(order, order, "currentSubtotalPriceSet", current_subtotal)
		put(order, order, "totalDiscountsSet", discounts)
		put(order, order, "currentTotalDiscountsSet", current_discounts)
		put(
			order,
			order,
			"cartDiscountAmountSet",
			cart if any(a["_level"] == "order" for a in order["discountApplications"]) else None,
		)
		put(order, order, "currentCartDiscountAmountSet", current_cart)
		put(order, order, "totalShippingPriceSet", shipping_total)
		put(order, order, "currentShippingPriceSet", shipping_net - shipping_refunded)
		put(order, order, "totalRefundedShippingSet", shipping_refunded)
		put(order, order, "totalTaxSet", total_tax)
		put(order, order, "currentTotalTaxSet", current_tax)
		put(order, order, "originalTotalDutiesSet", duties)
		put(order, order, "currentTotalDutiesSet", duties)
		put(order, order, "originalTotalAdditionalFeesSet", fees)
		put(order, order, "currentTotalAdditionalFeesSet", fees)
		put(order, order, "totalPriceSet", total)
		put(order, order, "originalTotalPriceSet", total)
		put(order, order, "currentTotalPriceSet", current_total)
		put(order, order, "totalReceivedSet", received)
		put(order, order, "totalRefundedSet", refunded)
		put(order, order, "totalOutstandingSet", current_total - (received - refunded))
		put(order, order, "totalCapturableSet", capturable)
		put(order, order, "totalTipReceivedSet", tip)
		rounding = order["totalCashRoundingAdjustment"] = {}
		put(order, rounding, "paymentSet", cash_paid)
		put(order, rounding, "refundSet", cash_refunded)
		put(order, order, "_lineItemsTotal", items_total)
		order["taxLines"] = [self._tax_sum(order, tax, amount) for tax, amount in taxes.values()]
		order["currentTaxLines"] = [
			self._tax_sum(order, tax, amount) for tax, amount in current_taxes.values()
		]
		order["subtotalLineItemsQuantity"] = quantity
		order["currentSubtotalLineItemsQuantity"] = current_quantity
		codes = [a["code"] for a in order["discountApplications"] if "code" in a]
		order["discountCodes"] = codes
		order["discountCode"] = codes[0] if codes else None

	def _update_financial_status(self, order: dict) -> None:
		"""displayFinancialStatus from the transactions, as Shopify derives it (unchanged without any)."""
		transactions = order["transactions"]
		if not transactions:
			return
		get = self._pget
		received = get(order, "totalReceivedSet")
		refunded = get(order, "totalRefundedSet")
		if refunded > 0:
			base = received if received > 0 else get(order, "totalPriceSet")
			status = "REFUNDED" if refunded >= base else "PARTIALLY_REFUNDED"
		elif received > 0:
			status = "PAID" if received >= get(order, "currentTotalPriceSet") else "PARTIALLY_PAID"
		elif get(order, "totalCapturableSet") > 0:
			status = "AUTHORIZED"
		elif any(t["kind"] == "VOID" and t["status"] == "SUCCESS" for t in transactions):
			status = "VOIDED"
		elif any(t["status"] in ("PENDING", "AWAITING_RESPONSE") for t in transactions):
			status = "PENDING"
		else:
			return
		order["displayFinancialStatus"] = status

	def generate_orders(
		self,
		n: int,
		*,
		start: datetime | str | None = None,
		spacing: float | timedelta = 60.0,
		lines_per_order: tuple[int, int] = (1, 3),
		customers: int = 50,
		seed: int = 7,
		mix: bool = True,
	) -> list[str]:
		"""``n`` orders created ``spacing`` apart from ``start`` (default: so the last is now); their ids.

		Shares a small catalog and a pool of ``customers``. With ``mix``, about 1 in 3 is paid, 1 in 5
		paid and fulfilled, 1 in 20 cancelled, so ``status:`` filters have something to filter.
		"""
		step = spacing if isinstance(spacing, timedelta) else timedelta(seconds=float(spacing))
		rng = random.Random(seed)
		with self.lock:
			variants = self._ensure_catalog()
			begin = (parse_datetime(start) if isinstance(start, str) else start) or (self.now() - step * n)
			pool = [self.add_customer(f"Guest{i}", "Buyer") for i in range(max(1, customers))]
			ids = []
			for i in range(n):
				stamp = begin + step * i
				chosen = rng.sample(variants, k=min(len(variants), rng.randint(*lines_per_order)))
				order = self.add_order(
					customer=pool[i % len(pool)],
					lines=[{"variant": v["id"], "quantity": rng.randint(1, 3)} for v in chosen],
					created_at=stamp,
					tax_lines=[{"title": "GST", "rate": 0.05}],
				)
				if mix:
					if i % 20 == 19:
						self._cancel(order, "CUSTOMER", stamp)
					elif i % 5 == 4:
						self._mark_paid(order, stamp)
						self._fulfill(order, None, stamp)
					elif i % 3 == 2:
						self._mark_paid(order, stamp)
				ids.append(order["id"])
			return ids

	def _bump(self, order: dict, at: datetime | str | None = None) -> None:
		if at is not None:
			order["updatedAt"] = to_iso(at)
			return
		now = self.now()
		previous = parse_datetime(order["updatedAt"])
		order["updatedAt"] = to_iso(max(now, previous + timedelta(seconds=1)))

	def update_order(
		self, order_id: Any, *, updated_at: datetime | str | None = None, **changes: Any
	) -> dict:
		"""Change GraphQL fields of an order (``email=``, ``note=``, ``tags=``...) and bump updatedAt.

		``updatedAt`` moves to now, or one second past its previous value if that is later.
		"""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			for key, value in changes.items():
				if key.startswith("_") or key in ("id", "legacyResourceId"):
					raise ValueError(f"{key} cannot be changed")
				order[key] = value
			self._bump(order, updated_at)
			return order

	def edit_order(
		self,
		order_id: Any,
		*,
		remove: Mapping[Any, int] | Iterable[tuple[Any, int]] | None = None,
		add: Iterable[Mapping[str, Any]] | None = None,
		at: Any = None,
		add_shipping: Iterable[Mapping[str, Any]] | None = None,
		shipping_price: Mapping[Any, Any] | None = None,
	) -> dict:
		"""An order edit (https://shopify.dev/docs/apps/build/orders-fulfillment/order-management-apps/edit-orders).

		``remove``: {line item id or index: quantity} taken off unfulfilled units: ``currentQuantity``
		drops, ``quantity`` stays the original. ``add``: line specs as for :meth:`add_order` (taxed
		with their own ``tax_lines``, else at the order-level tax rates). ``add_shipping``: shipping
		line specs as for :meth:`add_order`; ``shipping_price``: {shipping line index or title: new
		price} (its tax lines recomputed at their rates): ``orderEditAddShippingLine`` and
		``orderEditUpdateShippingLine`` (https://shopify.dev/docs/api/admin-graphql/latest/mutations/orderEditUpdateShippingLine).
		``current*`` totals follow,
		``total*`` stay as at creation; ``edited`` becomes true and updatedAt moves. Returns the order.
		"""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			pairs = remove.items() if isinstance(remove, Mapping) else (remove or [])
			for ref, qty in [(self._line(order, ref), int(qty)) for ref, qty in pairs]:
				left = ref["currentQuantity"] - ref["_fulfilled"]
				if qty > left:
					raise ValueError(f"cannot remove {qty} of {ref['title']}: only {left} unfulfilled")
				ref["currentQuantity"] -= qty
				ref["_removed"] += qty
			for spec in add or []:
				line = self._new_line(order, spec, added=True)
				self._line_figures(order, line)
				if spec.get("tax_lines") is not None:
					self._line_taxes(order, line, spec["tax_lines"])
				elif line["taxable"] and not line.get("_tip"):
					self._line_taxes(order, line, order.get("_order_taxes") or [])
				order["lineItems"].append(line)
			for spec in add_shipping or []:
				record = self._new_shipping_line(order, spec)
				self._shipping_figures(order, record, spec)
				order["shippingLines"].append(record)
			for ref, price in (shipping_price or {}).items():
				record = next(
					r for i, r in enumerate(order["shippingLines"]) if ref in (i, r["title"], r["id"])
				)
				taxes = [{"title": t["title"], "rate": t["rate"]} for t in record["taxLines"]]
				self._put(order, record, "originalPriceSet", cents(price))
				record["discountAllocations"] = []
				self._shipping_figures(order, record, {"tax_lines": taxes})
			order["_edited"] = True
			self._recompute(order)
			self._update_financial_status(order)
			self._update_fulfillment_status(order)
			self._bump(order, at)
			return order

	# --- transactions ---------------------------------------------------------------------------------

	def _new_transaction(
		self,
		order: dict,
		kind: str,
		amount: Any,
		at: str,
		gateway: str = "manual",
		*,
		status: str = "SUCCESS",
		parent: dict | None = None,
		test: bool | None = None,
		rounding: Any = None,
	) -> dict:
		"""A transaction record; ``test`` defaults to the order's (a test order pays through test gateways).
		``rounding``: the cash rounding of a cash transaction (presentment money; the drawer got
		``amount + rounding``)."""
		transaction = {
			"__typename": "OrderTransaction",
			"id": gid("OrderTransaction", self._next_id("OrderTransaction")),
			"kind": kind,
			"status": status,
			"gateway": gateway,
			"formattedGateway": FORMATTED_GATEWAYS.get(gateway, gateway.replace("_", " ").title()),
			"test": bool(order.get("test")) if test is None else test,
			"processedAt": at,
			"createdAt": at,
			"parentTransaction": parent,
		}
		self._put(order, transaction, "amountSet", amount)
		self._put(order, transaction, "amountRoundingSet", rounding)
		return transaction

	def _find_transaction(self, order: dict, ref: Any) -> dict:
		ident = ref.get("id") if isinstance(ref, Mapping) else ref
		n = parse_gid(ident, "OrderTransaction")
		for transaction in order["transactions"]:
			if parse_gid(transaction["id"]) == n:
				return transaction
		raise KeyError(f"no transaction {ref!r} on order {order['name']}")

	def add_transaction(
		self,
		order_id: Any,
		kind: str,
		amount: Any = None,
		gateway: str = "shopify_payments",
		status: str = "SUCCESS",
		parent: Any = None,
		test: bool = False,
		*,
		at: Any = None,
		rounding: Any = None,
	) -> dict:
		"""Record an OrderTransaction (https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderTransaction).

		``kind``: SALE, AUTHORIZATION, CAPTURE, VOID, REFUND or CHANGE; ``status``: SUCCESS, PENDING,
		FAILURE, ERROR...; ``amount`` in presentment money (default: the outstanding amount for a
		SALE or AUTHORIZATION, the uncaptured rest of the parent for a CAPTURE, the parent's amount
		for a VOID); ``parent``: a transaction (record or id), default for CAPTURE and VOID the
		latest successful authorisation. Only SUCCESS transactions count: totalReceivedSet,
		totalOutstandingSet, totalCapturableSet and displayFinancialStatus (AUTHORIZED,
		PARTIALLY_PAID, PAID, PENDING, PARTIALLY_REFUNDED, REFUNDED, VOIDED) follow. A REFUND here
		has no Refund record: use :meth:`refund` for that. ``rounding``: POS cash rounding (see the
		module notes), e.g. ``-0.02`` when 10.02 was settled with 10.00 in cash. Returns the transaction.
		"""
		kind, status = kind.upper(), status.upper()
		if kind not in TRANSACTION_KINDS:
			raise ValueError(f"unknown transaction kind {kind!r}")
		if status not in TRANSACTION_STATUSES:
			raise ValueError(f"unknown transaction status {status!r}")
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			stamp = to_iso(at) if at else self._now_iso()
			parent_tx = self._find_transaction(order, parent) if parent is not None else None
			if parent_tx is None and kind in ("CAPTURE", "VOID"):
				parent_tx = next(
					(
						t
						for t in reversed(order["transactions"])
						if t["kind"] == "AUTHORIZATION" and t["status"] == "SUCCESS"
					),
					None,
				)
				if parent_tx is None:
					raise ValueError(f"a {kind} needs an authorisation to act on")
			if amount is None:
				if kind in ("SALE", "AUTHORIZATION"):
					amount = self._pget(order, "totalOutstandingSet")
				elif kind == "CAPTURE":
					taken = sum(
						(
							self._pget(t, "amountSet")
							for t in order["transactions"]
							if t["kind"] == "CAPTURE"
							and t["status"] == "SUCCESS"
							and (t.get("parentTransaction") or {}).get("id") == parent_tx["id"]
						),
						Decimal(0),
					)
					amount = self._pget(parent_tx, "amountSet") - taken
				elif kind == "VOID":
					amount = self._pget(parent_tx, "amountSet")
				else:
					raise ValueError(f"a {kind} needs an amount")
			transaction = self._new_transaction(
				order,
				kind,
				amount,
				stamp,
				gateway,
				status=status,
				parent=parent_tx,
				test=test,
				rounding=rounding,
			)
			order["transactions"].append(transaction)
			self._recompute(order)
			self._update_financial_status(order)
			self._bump(order, at)
			return transaction

	def mark_paid(
		self, order_id: Any, *, gateway: str = "shopify_payments", at: datetime | str | None = None
	) -> dict:
		"""One successful SALE for the outstanding amount; displayFinancialStatus PAID. Returns the order."""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			self._mark_paid(order, at, gateway)
			return order

	def _mark_paid(self, order: dict, at: Any = None, gateway: str = "shopify_payments") -> None:
		stamp = to_iso(at) if at else self._now_iso()
		outstanding = self._pget(order, "totalOutstandingSet")
		if outstanding > 0:
			order["transactions"].append(self._new_transaction(order, "SALE", outstanding, stamp, gateway))
			self._recompute(order)
		if order["transactions"]:
			self._update_financial_status(order)
		else:
			order["displayFinancialStatus"] = "PAID"
		self._bump(order, at)

	# --- fulfilment, cancellation, refunds ------------------------------------------------------------

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

	def cancel(self, order_id: Any, reason: str = "CUSTOMER", *, at: Any = None) -> dict:
		"""Cancel (and close) an order; unpaid orders become VOIDED; line current quantities drop to 0."""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			self._cancel(order, reason, at)
			return order

	def _cancel(self, order: dict, reason: str, at: Any) -> None:
		stamp = to_iso(at) if at else self._now_iso()
		order["cancelledAt"] = stamp
		order["cancelReason"] = reason.upper()
		order["closedAt"] = stamp
		if order["displayFinancialStatus"] in ("PENDING", "AUTHORIZED"):
			order["displayFinancialStatus"] = "VOIDED"
		for line in order["lineItems"]:
			line["currentQuantity"] = line["_fulfilled"]
		self._recompute(order)
		self._bump(order, at)

	def close(self, order_id: Any, *, at: Any = None) -> dict:
		"""Archive an order (closedAt), as Shopify does after fulfilment when auto-archive is on."""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			order["closedAt"] = to_iso(at) if at else self._now_iso()
			self._bump(order, at)
			return order

	def _refund_gateway(self, order: dict) -> dict | None:
		"""The sale a refund goes back to: the latest successful one, a gift card only as a last resort."""
		sales = [
			t for t in order["transactions"] if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"
		]
		cards = [t for t in sales if t["gateway"] != "gift_card"]
		return (cards or sales or [None])[-1]

	def refund(
		self,
		order_id: Any,
		lines: Mapping[Any, int] | Iterable[tuple[Any, int]] | None = None,
		*,
		restock_type: str = "RETURN",
		shipping: Any = 0,
		amount: Any = None,
		note: str | None = None,
		gateway: str | None = None,
		at: Any = None,
		refund_tax: Any = None,
	) -> dict:
		"""A Refund (https://shopify.dev/docs/api/admin-graphql/latest/objects/Refund); returns it.

		``lines``: {line item id or index: quantity}; None: every unit still on the order, unless
		``amount`` is given (then no lines). Each refunded line carries its subtotal after all
		discounts and its tax share (``totalTaxSet``). ``shipping``: shipping price refunded
		(presentment money; True: all that is left), with its tax share. ``amount``: what is paid
		back, when it differs from that calculation (an amount-only refund without lines, a
		restocking fee); the difference is an OrderAdjustment REFUND_DISCREPANCY. A REFUND
		transaction goes back through the gateway of the sale (``gateway`` overrides); the order
		becomes REFUNDED or PARTIALLY_REFUNDED. ``refund_tax``: the VAT inside ``amount`` of an amount-only
		refund (the adjustment's ``taxAmountSet``).
		"""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			stamp = to_iso(at) if at else self._now_iso()
			get = self._pget
			if lines is None:
				wanted = (
					[]
					if amount is not None
					else [(line, line["currentQuantity"]) for line in order["lineItems"]]
				)
			else:
				pairs = lines.items() if isinstance(lines, Mapping) else lines
				wanted = [(self._line(order, ref), int(qty)) for ref, qty in pairs]
			wanted = [(line, qty) for line, qty in wanted if qty > 0]
			for line, qty in wanted:
				if qty > line["currentQuantity"]:
					raise ValueError(
						f"cannot refund {qty} of {line['title']}: only {line['currentQuantity']} left"
					)
			refund_lines = []
			lines_total = lines_tax = Decimal(0)
			for line, qty in wanted:
				q = line["quantity"]
				before = q - line["currentQuantity"]
				after = before + qty
				net = self._line_net(line)
				subtotal = share(net, after, q) - share(net, before, q)
				tax = Decimal(0)
				for t in line["taxLines"]:
					total = get(t, "priceSet")
					tax += share(total, after, q) - share(total, before, q)
				line["currentQuantity"] -= qty
				line["_refunded"] += qty
				lines_total += subtotal
				lines_tax += tax
				record = {
					"__typename": "RefundLineItem",
					"id": gid("RefundLineItem", self._next_id("RefundLineItem")),
					"quantity": qty,
					"restockType": restock_type,
					"restocked": restock_type in ("RETURN", "CANCEL"),
					"lineItem": line,
				}
				self._put(order, record, "priceSet", get(line, "originalUnitPriceSet"))
				self._put(order, record, "subtotalSet", subtotal)
				self._put(order, record, "totalTaxSet", tax)
				refund_lines.append(record)
			shipping_lines = []
			shipping_total = shipping_tax = Decimal(0)
			rooms = [
				(s, get(s, "discountedPriceSet"), _dec(s.get("_refunded"))) for s in order["shippingLines"]
			]
			want = (
				sum((net - done for _s, net, done in rooms), Decimal(0))
				if shipping is True
				else cents(shipping or 0)
			)
			for record, net, done in rooms:
				part = min(net - done, want)
				if part <= 0:
					continue
				tax = Decimal(0)
				for t in record["taxLines"]:
					total = get(t, "priceSet")
					tax += portion(total, done + part, net) - portion(total, done, net)
				record["_refunded"] = done + part
				want -= part
				shipping_total += part
				shipping_tax += tax
				refunded_line = {
					"__typename": "RefundShippingLine",
					"id": gid("RefundShippingLine", self._next_id("RefundShippingLine")),
					"shippingLine": record,
				}
				self._put(order, refunded_line, "subtotalAmountSet", part)
				self._put(order, refunded_line, "taxAmountSet", tax)
				shipping_lines.append(refunded_line)
			if want > 0:
				raise ValueError(f"cannot refund {want} more shipping than the order has left")
			calculated = lines_total + shipping_total
			if not order["taxesIncluded"]:
				calculated += lines_tax + shipping_tax
			paid_back = cents(amount) if amount is not None else calculated
			tax_back = cents(refund_tax or 0)
			adjustments = []
			if paid_back != calculated or tax_back:
				adjustment = {
					"__typename": "OrderAdjustment",
					"id": gid("OrderAdjustment", self._next_id("OrderAdjustment")),
					"reason": "REFUND_DISCREPANCY",
				}
				# amount and the tax "added to" it are together calculated - paid back
				self._put(order, adjustment, "amountSet", calculated - paid_back + tax_back)
				self._put(order, adjustment, "taxAmountSet", -tax_back)
				adjustments.append(adjustment)
			rn = self._next_id("Refund")
			refund = {
				"__typename": "Refund",
				"id": gid("Refund", rn),
				"legacyResourceId": str(rn),
				"note": note,
				"createdAt": stamp,
				"updatedAt": stamp,
				"refundLineItems": refund_lines,
				"refundShippingLines": shipping_lines,
				"orderAdjustments": adjustments,
				"transactions": [],
				"_n": rn,
				"_transaction": None,
			}
			self._put(order, refund, "totalRefundedSet", paid_back)
			if paid_back > 0:
				sale = self._refund_gateway(order)
				transaction = self._new_transaction(
					order,
					"REFUND",
					paid_back,
					stamp,
					gateway or (sale["gateway"] if sale else "manual"),
					parent=sale,
				)
				order["transactions"].append(transaction)
				refund["transactions"].append(transaction)
				refund["_transaction"] = transaction
			order["refunds"].append(refund)
			self._recompute(order)
			self._update_financial_status(order)
			self._update_fulfillment_status(order)
			self._bump(order, at)
			return refund

	# --- queries over the store -----------------------------------------------------------------------

	# --- webhooks -------------------------------------------------------------------------------------

	def _rest_time(self, value: str | None) -> str | None:
		if value is None:
			return None
		return parse_datetime(value).astimezone(self.shop_tz).isoformat()

	def _rest_address(self, address: Mapping[str, Any] | None) -> dict | None:
		if not address:
			return None
		return {
			"first_name": address.get("firstName"),
			"last_name": address.get("lastName"),
			"name": address.get("name"),
			"company": address.get("company"),
			"address1": address.get("address1"),
			"address2": address.get("address2"),
			"city": address.get("city"),
			"province": address.get("province"),
			"province_code": address.get("provinceCode"),
			"zip": address.get("zip"),
			"country": address.get("country"),
			"country_code": address.get("countryCodeV2"),
			"phone": address.get("phone"),
		}

	# REST shapes: https://shopify.dev/docs/api/admin-rest/latest/resources/order (and .../refund,
	# .../transaction): amounts as two-decimal strings in shop money, ``*_set`` with shop_money and
	# presentment_money, rates as numbers.

	def _rest_set(self, record: Mapping[str, Any], field_name: str) -> dict | None:
		shop = record.get(field_name)
		if shop is None:
			return None
		presentment = (record.get("_pm") or {}).get(field_name, shop)
		return {
			"shop_money": {"amount": money(shop), "currency_code": self.currency},
			"presentment_money": {
				"amount": money(presentment),
				"currency_code": record.get("_pc") or self.currency,
			},
		}

	def _rest_amount(self, record: Mapping[str, Any], field_name: str) -> str | None:
		value = record.get(field_name)
		return money(value) if value is not None else None

	def _rest_tax(self, tax: Mapping[str, Any]) -> dict:
		return {
			"channel_liable": tax.get("channelLiable"),
			"price": money(tax["priceSet"]),
			"price_set": self._rest_set(tax, "priceSet"),
			"rate": tax["rate"],
			"title": tax["title"],
		}

	def _rest_allocation(self, allocation: Mapping[str, Any]) -> dict:
		return {
			"amount": money(allocation["allocatedAmountSet"]),
			"amount_set": self._rest_set(allocation, "allocatedAmountSet"),
			"discount_application_index": allocation["discountApplication"]["index"],
		}

	def _rest_discount_application(self, application: Mapping[str, Any]) -> dict:
		rest = {
			"target_type": application["targetType"].lower(),
			"type": {
				"DiscountCodeApplication": "discount_code",
				"ManualDiscountApplication": "manual",
				"AutomaticDiscountApplication": "automatic",
				"ScriptDiscountApplication": "script",
			}[application["__typename"]],
			"value": shopify_decimal(application["_value"]),
			"value_type": application["_value_type"],
			"allocation_method": application["allocationMethod"].lower(),
			"target_selection": application["targetSelection"].lower(),
		}
		if "code" in application:
			rest["code"] = application["code"]
		else:
			rest["title"] = application["title"]
			rest["description"] = application.get("description") or application["title"]
		return rest

	def _rest_discount_codes(self, order: Mapping[str, Any]) -> list[dict]:
		codes = []
		for application in order["discountApplications"]:
			if "code" not in application:
				continue
			total = sum(
				(
					self._pget(a, "allocatedAmountSet")
					for record in [*order["lineItems"], *order["shippingLines"]]
					for a in record["discountAllocations"]
					if a["discountApplication"] is application
				),
				Decimal(0),
			)
			rate = order.get("_rate")
			codes.append(
				{
					"code": application["code"],
					"amount": money(cents(total / rate) if rate else total),
					"type": "shipping"
					if application["targetType"] == "SHIPPING_LINE"
					else application["_value_type"],
				}
			)
		return codes

	def _rest_transaction(self, order: Mapping[str, Any], transaction: Mapping[str, Any]) -> dict:
		parent = transaction.get("parentTransaction")
		return {
			"id": parse_gid(transaction["id"]),
			"admin_graphql_api_id": transaction["id"],
			"order_id": order["_n"],
			"kind": transaction["kind"].lower(),
			"status": transaction["status"].lower(),
			"gateway": transaction["gateway"],
			"amount": (transaction.get("_pm") or {}).get("amountSet", transaction["amountSet"]),
			"currency": transaction.get("_pc") or self.currency,
			"parent_id": parse_gid(parent["id"]) if parent else None,
			"test": transaction["test"],
			"created_at": self._rest_time(transaction["createdAt"]),
			"processed_at": self._rest_time(transaction["processedAt"]),
		}

	def _rest_line(self, line: dict) -> dict:
		variant = self.variants.get(line["_variant"]) if line["_variant"] else None
		product_exists = line["_product"] is not None and line["_product"] in self.products
		tip = bool(line.get("_tip"))
		return {
			"id": line["_n"],
			"admin_graphql_api_id": line["id"],
			"current_quantity": line["currentQuantity"],
			"fulfillable_quantity": 0 if tip else max(0, line["currentQuantity"] - line["_fulfilled"]),
			"fulfillment_service": "manual",
			"fulfillment_status": (
				"fulfilled"
				if line["_fulfilled"] and line["_fulfilled"] >= line["currentQuantity"]
				else "partial"
				if line["_fulfilled"]
				else None
			),
			"gift_card": line["isGiftCard"],
			"name": line["name"],
			"price": line["originalUnitPriceSet"],
			"price_set": self._rest_set(line, "originalUnitPriceSet"),
			"product_exists": product_exists,
			"product_id": line["_product"] if product_exists else None,
			"properties": [],
			"quantity": line["quantity"],
			"requires_shipping": line["requiresShipping"],
			"sku": line["sku"],
			"taxable": line["taxable"],
			"title": line["title"],
			"total_discount": line["totalDiscountSet"],
			"total_discount_set": self._rest_set(line, "totalDiscountSet"),
			"variant_id": line["_variant"] if variant else None,
			"variant_title": line["variantTitle"],
			"vendor": line["vendor"],
			"tax_lines": [self._rest_tax(t) for t in line["taxLines"]],
			"duties": [],
			"discount_allocations": [self._rest_allocation(a) for a in line["discountAllocations"]],
		}

	def _rest_shipping_line(self, record: Mapping[str, Any]) -> dict:
		return {
			"id": parse_gid(record["id"]),
			"carrier_identifier": record.get("carrierIdentifier"),
			"code": record["code"],
			"discounted_price": record["discountedPriceSet"],
			"discounted_price_set": self._rest_set(record, "discountedPriceSet"),
			"is_removed": record["isRemoved"],
			"phone": None,
			"price": record["originalPriceSet"],
			"price_set": self._rest_set(record, "originalPriceSet"),
			"source": record["source"],
			"title": record["title"],
			"tax_lines": [self._rest_tax(t) for t in record["taxLines"]],
			"discount_allocations": [self._rest_allocation(a) for a in record["discountAllocations"]],
		}

	def _rest_refund(self, order: dict, refund: dict) -> dict:
		return {
			"id": refund["_n"],
			"admin_graphql_api_id": refund["id"],
			"order_id": order["_n"],
			"created_at": self._rest_time(refund["createdAt"]),
			"processed_at": self._rest_time(refund["createdAt"]),
			"note": refund["note"],
			"restock": any(rl["restocked"] for rl in refund["refundLineItems"]),
			"user_id": None,
			"total_refunded_set": self._rest_set(refund, "totalRefundedSet"),
			"refund_line_items": [
				{
					"id": parse_gid(rl["id"]),
					"line_item_id": rl["lineItem"]["_n"],
					"quantity": rl["quantity"],
					"restock_type": rl["restockType"].lower(),
					"location_id": self.primary_location["_n"] if rl["restocked"] else None,
					"subtotal": float(rl["subtotalSet"]),
					"subtotal_set": self._rest_set(rl, "subtotalSet"),
					"total_tax": float(rl["totalTaxSet"]),
					"total_tax_set": self._rest_set(rl, "totalTaxSet"),
					"line_item": self._rest_line(rl["lineItem"]),
				}
				for rl in refund["refundLineItems"]
			],
			"refund_shipping_lines": [
				{
					"id": parse_gid(rs["id"]),
					"shipping_line_id": parse_gid(rs["shippingLine"]["id"]),
					"subtotal_amount_set": self._rest_set(rs, "subtotalAmountSet"),
					"tax_amount_set": self._rest_set(rs, "taxAmountSet"),
				}
				for rs in refund.get("refundShippingLines") or []
			],
			"transactions": [self._rest_transaction(order, t) for t in refund.get("transactions") or []],
			"order_adjustments": [
				{
					"id": parse_gid(adj["id"]),
					"order_id": order["_n"],
					"refund_id": refund["_n"],
					"amount": adj["amountSet"],
					"amount_set": self._rest_set(adj, "amountSet"),
					"tax_amount": adj["taxAmountSet"],
					"tax_amount_set": self._rest_set(adj, "taxAmountSet"),
					"kind": "refund_discrepancy",
					"reason": "Refund discrepancy",
				}
				for adj in refund.get("orderAdjustments") or []
			],
		}

	def _rest_product(self, product: dict) -> dict:
		"""https://shopify.dev/docs/api/admin-rest/latest/resources/product (as a webhook sends it)."""
		n = product["_n"]
		return {
			"id": n,
			"admin_graphql_api_id": product["id"],
			"title": product["title"],
			"body_html": product.get("descriptionHtml") or "",
			"vendor": product.get("vendor"),
			"product_type": product.get("productType") or "",
			"handle": product["handle"],
			"status": (product.get("status") or "ACTIVE").lower(),
			"tags": ", ".join(product.get("tags") or []),
			"created_at": self._rest_time(product.get("createdAt")),
			"updated_at": self._rest_time(product.get("updatedAt")),
			"published_scope": "web",
			"variants": [
				{
					"id": variant["_n"],
					"admin_graphql_api_id": variant["id"],
					"product_id": n,
					"title": variant["title"],
					"price": money(variant["price"]),
					"sku": variant.get("sku"),
					"position": variant.get("position"),
					"barcode": variant.get("barcode"),
					"taxable": variant.get("taxable"),
					"requires_shipping": variant["inventoryItem"]["requiresShipping"],
					"inventory_item_id": variant["inventoryItem"]["_n"],
					**{
						f"option{i}": option["value"]
						for i, option in enumerate(variant.get("selectedOptions") or [], start=1)
					},
					"created_at": self._rest_time(variant.get("createdAt")),
					"updated_at": self._rest_time(variant.get("updatedAt")),
				}
				for variant in product["variants"]
			],
			"options": [
				{
					"id": parse_gid(option["id"]),
					"product_id": n,
					"name": option["name"],
					"position": option["position"],
					"values": list(option["values"]),
				}
				for option in product["options"]
			],
			"images": [],
			"image": None,
		}

	def _rest_order(self, order: dict) -> dict:
		customer = order["customer"]
		financial = order["displayFinancialStatus"]
		fulfillment = {
			"FULFILLED": "fulfilled",
			"PARTIALLY_FULFILLED": "partial",
			"RESTOCKED": "restocked",
		}.get(order["displayFulfillmentStatus"])
		rest_set = self._rest_set
		gateways: list[str] = []
		for t in order["transactions"]:
			if t["kind"] in ("SALE", "AUTHORIZATION") and t["gateway"] not in gateways:
				gateways.append(t["gateway"])
		return {
			"id": order["_n"],
			"admin_graphql_api_id": order["id"],
			"name": order["name"],
			"order_number": order["_number"],
			"number": order["_number"] - 1000,
			"email": order["email"],
			"contact_email": order["email"],
			"phone": order["phone"],
			"note": order["note"],
			"tags": ", ".join(order["tags"]),
			"test": order["test"],
			"confirmed": True,
			"created_at": self._rest_time(order["createdAt"]),
			"updated_at": self._rest_time(order["updatedAt"]),
			"processed_at": self._rest_time(order["processedAt"]),
			"cancelled_at": self._rest_time(order["cancelledAt"]),
			"cancel_reason": order["cancelReason"].lower() if order["cancelReason"] else None,
			"closed_at": self._rest_time(order["closedAt"]),
			"currency": order["currencyCode"],
			"presentment_currency": order["presentmentCurrencyCode"],
			"financial_status": financial.lower() if financial else None,
			"fulfillment_status": fulfillment,
			"taxes_included": order["taxesIncluded"],
			"estimated_taxes": False,
			"payment_gateway_names": gateways,
			"total_price": order["totalPriceSet"],
			"total_price_set": rest_set(order, "totalPriceSet"),
			"subtotal_price": order["subtotalPriceSet"],
			"subtotal_price_set": rest_set(order, "subtotalPriceSet"),
			"total_line_items_price": order["_lineItemsTotal"],
			"total_line_items_price_set": rest_set(order, "_lineItemsTotal"),
			"total_discounts": order["totalDiscountsSet"],
			"total_discounts_set": rest_set(order, "totalDiscountsSet"),
			"total_tax": order["totalTaxSet"],
			"total_tax_set": rest_set(order, "totalTaxSet"),
			"total_shipping_price_set": rest_set(order, "totalShippingPriceSet"),
			"total_tip_received": order["totalTipReceivedSet"],
			"total_outstanding": order["totalOutstandingSet"],
			"current_subtotal_price": order["currentSubtotalPriceSet"],
			"current_subtotal_price_set": rest_set(order, "currentSubtotalPriceSet"),
			"current_total_discounts": order["currentTotalDiscountsSet"],
			"current_total_discounts_set": rest_set(order, "currentTotalDiscountsSet"),
			"current_total_price": order["currentTotalPriceSet"],
			"current_total_price_set": rest_set(order, "currentTotalPriceSet"),
			"current_total_tax": order["currentTotalTaxSet"],
			"current_total_tax_set": rest_set(order, "currentTotalTaxSet"),
			"current_total_duties_set": rest_set(order, "currentTotalDutiesSet"),
			"original_total_duties_set": rest_set(order, "originalTotalDutiesSet"),
			"current_total_additional_fees_set": rest_set(order, "currentTotalAdditionalFeesSet"),
			"original_total_additional_fees_set": rest_set(order, "originalTotalAdditionalFeesSet"),
			"discount_applications": [
				self._rest_discount_application(a) for a in order["discountApplications"]
			],
			"discount_codes": self._rest_discount_codes(order),
			"customer": (
				{
					"id": customer["_n"],
					"admin_graphql_api_id": customer["id"],
					"email": (customer["defaultEmailAddress"] or {}).get("emailAddress"),
					"phone": (customer["defaultPhoneNumber"] or {}).get("phoneNumber"),
					"first_name": customer["firstName"],
					"last_name": customer["lastName"],
					"created_at": self._rest_time(customer["createdAt"]),
					"updated_at": self._rest_time(customer["updatedAt"]),
				}
				if customer
				else None
			),
			"shipping_address": self._rest_address(order["shippingAddress"]),
			"billing_address": self._rest_address(order["billingAddress"]),
			"line_items": [self._rest_line(li) for li in order["lineItems"]],
			"shipping_lines": [self._rest_shipping_line(s) for s in order["shippingLines"]],
			"tax_lines": [self._rest_tax(t) for t in order["taxLines"]],
			"fulfillments": [
				{
					"id": parse_gid(f["id"]),
					"admin_graphql_api_id": f["id"],
					"order_id": order["_n"],
					"name": f["name"],
					"status": f["status"].lower(),
					"location_id": f["location"]["_n"],
					"created_at": self._rest_time(f["createdAt"]),
					"updated_at": self._rest_time(f["updatedAt"]),
					"line_items": [
						{**self._rest_line(fl["lineItem"]), "quantity": fl["quantity"]}
						for fl in f["fulfillmentLineItems"]
					],
				}
				for f in order["fulfillments"]
			],
			"refunds": [self._rest_refund(order, r) for r in order["refunds"]],
		}

	def webhook_payload(self, topic: str, order_id: Any, *, refund_id: Any = None) -> dict:
		"""The JSON Shopify sends for ``topic`` about this order, as of now (a deep copy: deliver it later).

		Topics: orders/create, orders/updated, orders/paid, orders/fulfilled, orders/partially_fulfilled,
		orders/cancelled, orders/edited, orders/delete (``{"id": n}``) and refunds/create (the order's
		refund ``refund_id``, default its latest); products/create and products/update take a product
		id in place of the order's and send the REST Product.
		"""
		with self.lock:
			if topic in PRODUCT_TOPICS:
				return copy.deepcopy(self._rest_product(self._find(self.products, "Product", order_id)))
			order = self._find(self.orders, "Order", order_id)
			if topic == "refunds/create":
				if not order["refunds"]:
					raise ValueError(f"order {order['name']} has no refund")
				if refund_id is None:
					refund = order["refunds"][-1]
				else:
					n = parse_gid(refund_id, "Refund")
					refund = next(r for r in order["refunds"] if r["_n"] == n)
				return copy.deepcopy(self._rest_refund(order, refund))
			if topic == "orders/delete":
				return {"id": order["_n"]}
			if topic not in ORDER_TOPICS:
				raise ValueError(f"unsupported webhook topic {topic!r}")
			return copy.deepcopy(self._rest_order(order))

	def webhook_request(
		self,
		topic: str,
		order_id: Any = None,
		*,
		body: Mapping[str, Any] | bytes | str | None = None,
		webhook_id: str | None = None,
		event_id: str | None = None,
		triggered_at: datetime | str | None = None,
		secret: str | None = None,
		api_version: str | None = None,
	) -> tuple[bytes, dict[str, str]]:
		"""(raw body, headers) of a delivery, signed like Shopify; nothing is sent."""
		if body is None:
			body = self.webhook_payload(topic, order_id)
		if isinstance(body, Mapping):
			raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
		elif isinstance(body, str):
			raw = body.encode("utf-8")
		else:
			raw = bytes(body)
		triggered = (
			triggered_at if isinstance(triggered_at, str) else (triggered_at or datetime.now(timezone.utc))
		)
		if isinstance(triggered, datetime):
			triggered = (
				triggered.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
			)
		headers = {
			"Content-Type": "application/json",
			"X-Shopify-Topic": topic,
			"X-Shopify-Hmac-Sha256": sign_shopify(raw, secret if secret is not None else self.client_secret),
			"X-Shopify-Shop-Domain": self.shop_domain,
			"X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
			"X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
			"X-Shopify-Triggered-At": triggered,
			"X-Shopify-API-Version": api_version or self.api_version,
			"User-Agent": "Shopify-Captain-Hook",
		}
		return raw, headers

	def deliver_webhook(
		self,
		url: str,
		topic: str,
		order_id: Any = None,
		*,
		webhook_id: str | None = None,
		secret: str | None = None,
		body: Mapping[str, Any] | bytes | str | None = None,
		timeout: float = 5,
		event_id: str | None = None,
		triggered_at: datetime | str | None = None,
		api_version: str | None = None,
		session: requests.Session | None = None,
	) -> tuple[int, str]:
		"""POST a signed webhook to ``url``; ``(status, response text)`` (status 0: no answer).

		``body``: a payload built earlier with :meth:`webhook_payload` (or raw bytes) for late or
		out-of-order deliveries; ``webhook_id``: reuse one to send a duplicate; ``secret``: sign with
		another secret (a forged delivery). Every delivery is recorded in ``sim.deliveries``.
		"""
		raw, headers = self.webhook_request(
			topic,
			order_id,
			body=body,
			webhook_id=webhook_id,
			event_id=event_id,
			triggered_at=triggered_at,
			secret=secret,
			api_version=api_version,
		)
		record = {"url": url, "topic": topic, "headers": headers, "body": raw, "status": 0, "response": ""}
		try:
			poster = session.post if session is not None else requests.post
			response = poster(url, data=raw, headers=headers, timeout=timeout)
			record["status"], record["response"] = response.status_code, response.text
		except requests.RequestException as exc:
			record["response"] = f"{type(exc).__name__}: {exc}"
		with self.lock:
			self.deliveries.append(record)
		return record["status"], record["response"]

	def emit(self, topic: str, order_id: Any, **kwargs: Any) -> list[tuple[int, str]]:
		"""Deliver ``topic`` to every subscription for it (``webhookSubscriptionCreate``), like Shopify."""
		enum = topic.replace("/", "_").upper()
		with self.lock:
			uris = [s["uri"] for s in self.webhook_subscriptions.values() if s["topic"] == enum]
		body = kwargs.pop("body", None) or self.webhook_payload(topic, order_id)
		return [self.deliver_webhook(uri, topic, order_id, body=body, **kwargs) for uri in uris]


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
