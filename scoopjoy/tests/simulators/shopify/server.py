"""The Shopify simulator's server: one shop's GraphQL Admin API, composed of a mixin per resource.

- API: https://shopify.dev/docs/api/admin-graphql (2026-10). ``POST
  /admin/api/{version}/graphql.json`` with ``X-Shopify-Access-Token``; a wrong or missing token is
  HTTP 401 ``{"errors": "[API] Invalid API key or access token (unrecognized login or wrong
  password)"}``. Every answer carries ``X-Shopify-API-Version``. The schema
  (:mod:`..shopify_schema`) is a subset with Shopify's names; syntax, validation and variable
  errors, like every GraphQL error, come back as HTTP 200 with ``errors``. Fields outside the
  app's access scopes give ``ACCESS_DENIED`` errors; without ``read_all_orders`` only the last 60
  days of orders are visible, as on Shopify.
- Limits: https://shopify.dev/docs/api/usage/limits. Requested cost computed before execution
  (rules in :mod:`..shopify_schema`); more than ``max_query_cost`` (1,000) is ``MAX_COST_EXCEEDED``;
  more than the leaky bucket holds is ``THROTTLED`` (counted in ``throttled_count``); after
  execution the difference between requested and actual cost is refunded. Every GraphQL answer
  has ``extensions.cost {requestedQueryCost, actualQueryCost, throttleStatus {maximumAvailable,
  currentlyAvailable, restoreRate}}``. ``bucket_size``/``restore_rate`` scale for benchmarks.

Faults queued on ``sim.faults`` apply before all of this.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from graphql import FragmentDefinitionNode, execute, parse, validate
from graphql.error import GraphQLSyntaxError
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast

from scoopjoy.connectors.shopify.constants import DEFAULT_API_VERSION, MAX_SINGLE_QUERY_COST
from scoopjoy.tests.simulators.harness import SHOPIFY_UNAUTHORIZED, SimRequest, SimResponse, SimulatorServer
from scoopjoy.tests.simulators.shopify.bulk import BulkMixin
from scoopjoy.tests.simulators.shopify.common import _field_error, _shop_zone, parse_gid, to_iso
from scoopjoy.tests.simulators.shopify.customers import CustomersMixin
from scoopjoy.tests.simulators.shopify.fulfillment import FULFILLMENT_SCOPE, FulfillmentMixin
from scoopjoy.tests.simulators.shopify.inventory import InventoryMixin
from scoopjoy.tests.simulators.shopify.order_money import OrderMoneyMixin
from scoopjoy.tests.simulators.shopify.order_totals import OrderTotalsMixin
from scoopjoy.tests.simulators.shopify.orders import OrdersMixin
from scoopjoy.tests.simulators.shopify.payments import PaymentsMixin
from scoopjoy.tests.simulators.shopify.payouts import PAYOUTS_SCOPE, PayoutsMixin
from scoopjoy.tests.simulators.shopify.products import ProductsMixin
from scoopjoy.tests.simulators.shopify.resolvers import _wire
from scoopjoy.tests.simulators.shopify.rest import RestMixin
from scoopjoy.tests.simulators.shopify.returns import RETURNS_SCOPE, ReturnsMixin
from scoopjoy.tests.simulators.shopify.search import QueriesMixin, _Context
from scoopjoy.tests.simulators.shopify.webhooks import WebhooksMixin
from scoopjoy.tests.simulators.shopify_schema import CostCalculator, CostError, build_shopify_schema

DEFAULT_SCOPES = (
	"read_products",
	"write_products",
	"read_orders",
	"read_all_orders",
	"read_customers",
	"read_inventory",
	"write_inventory",
	PAYOUTS_SCOPE,
	FULFILLMENT_SCOPE,
	RETURNS_SCOPE,
)
THROTTLED_DOCS = "https://shopify.dev/api/usage/rate-limits"
ACCESS_SCOPES_DOCS = "https://shopify.dev/api/usage/access-scopes"
_VERSION_RE = re.compile(r"\A(\d{4}-(01|04|07|10)|unstable)\Z")


class ShopifySimulator(
	ProductsMixin,
	BulkMixin,
	InventoryMixin,
	CustomersMixin,
	OrdersMixin,
	OrderMoneyMixin,
	OrderTotalsMixin,
	PaymentsMixin,
	FulfillmentMixin,
	ReturnsMixin,
	PayoutsMixin,
	QueriesMixin,
	WebhooksMixin,
	RestMixin,
	SimulatorServer,
):
	"""The Shopify GraphQL Admin API of one shop; see the package docstring for what it does.

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
			self.reset_payouts()
			self.reset_bulk()
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
		self.setup_bulk_routes()

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

	# --- records by id --------------------------------------------------------------------------------

	def _find(self, table: dict[int, dict], kind: str, ident: Any) -> dict:
		if isinstance(ident, Mapping):
			ident = ident.get("id")
		n = parse_gid(ident, kind)
		record = table.get(n) if n is not None else None
		if record is None:
			raise KeyError(f"no {kind} {ident!r}")
		return record
