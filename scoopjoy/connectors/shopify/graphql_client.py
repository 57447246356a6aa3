"""Calling the Shopify GraphQL Admin API through the kernel transport, within its cost budget.

Why this layer: GraphQL answers HTTP 200 for most failures and rate-limits by *query cost*, not
by request count (https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits):

- every response carries ``extensions.cost.throttleStatus``; we feed it to the shared Redis
  token bucket (capacity 2,000, 100 points/s on Standard) so every worker of the site waits for
  points *before* sending instead of collecting ``THROTTLED`` errors;
- the points a query needs are its *requested* cost, which we learn from the first response of
  each operation and reserve before the next one. Learned costs can be shared (``cost_memory``,
  a Redis hash on a site) so that a new job's first query reserves what it will really request,
  not a guess;
- ``THROTTLED`` (HTTP 200) is still classified as rate-limited and retried after the bucket
  refills; other GraphQL error codes map onto our failure types; ``userErrors`` of a mutation
  are a problem with that record (RecordError), never retried.

Pure Python: no frappe.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from scoopjoy.kernel.errors import ConnectorError, FailureType, RateLimitedError, RecordError
from scoopjoy.kernel.pagination import GraphQLPage, iterate_graphql_pages
from scoopjoy.kernel.rate_limit import Budget
from scoopjoy.kernel.transport import HttpTransport

#: GraphQL error codes (``errors[].extensions.code``) and what they mean for us
#: (https://shopify.dev/docs/api/usage/response-codes#graphql-errors)
ERROR_CODES: dict[str, FailureType] = {
	"THROTTLED": FailureType.RATE_LIMITED,
	"ACCESS_DENIED": FailureType.AUTH,
	"SHOP_INACTIVE": FailureType.CONFIG,
	"INTERNAL_SERVER_ERROR": FailureType.TRANSIENT,
	"MAX_COST_EXCEEDED": FailureType.PROGRAMMING,
}

#: points reserved for an operation this site has never had a response for (once in its life: the
#: requested cost is then remembered for every job); should it be too few, Shopify answers
#: THROTTLED, which is absorbed and teaches the real cost
DEFAULT_ESTIMATED_COST = 100.0
_PARSED = "_scoopjoy_graphql_body"


def response_json(response: requests.Response) -> Any:
	"""The decoded body, parsed once per response (the rule, the budget reader and the caller share it)."""
	cached = getattr(response, _PARSED, None)
	if cached is None:
		try:
			cached = response.json()
		except ValueError:
			cached = False
		setattr(response, _PARSED, cached)
	return cached or None


def error_codes(body: Any) -> list[str]:
	if not isinstance(body, Mapping) or not isinstance(body.get("errors"), list):
		return []
	return [
		str((e.get("extensions") or {}).get("code") or "") for e in body["errors"] if isinstance(e, Mapping)
	]


def graphql_response_rule(response: requests.Response) -> FailureType | None:
	"""Failures Shopify reports inside an HTTP 200 GraphQL body."""
	if response.status_code != 200:
		return None
	body = response_json(response)
	codes = error_codes(body)
	if not codes:
		return None
	for code in codes:
		if code in ERROR_CODES:
			return ERROR_CODES[code]
	# a document the schema rejects is our bug; retrying will not help
	return FailureType.PROGRAMMING if not (body or {}).get("data") else None


class RedisCostMemory:
	"""The requested cost of each operation, shared by every worker of a site (a Redis hash)."""

	def __init__(self, client, key: str):
		self.client = client
		self.key = key

	def get(self, operation: str, default: float | None) -> float | None:
		value = self.client.hget(self.key, operation)
		return float(value) if value is not None else default

	def __setitem__(self, operation: str, cost: float) -> None:
		self.client.hset(self.key, operation, cost)


@dataclass(frozen=True)
class QueryCost:
	requested: float | None
	actual: float | None
	budget: Budget | None


def query_cost(body: Any) -> QueryCost:
	cost = ((body or {}).get("extensions") or {}).get("cost") if isinstance(body, Mapping) else None
	if not isinstance(cost, Mapping):
		return QueryCost(None, None, None)
	status = cost.get("throttleStatus") or {}
	budget = None
	if status.get("currentlyAvailable") is not None:
		budget = Budget(
			available=float(status["currentlyAvailable"]),
			capacity=_float(status.get("maximumAvailable")),
			refill_per_second=_float(status.get("restoreRate")),
			exact=True,  # currentlyAvailable already has the unused part of the requested cost back
		)
	return QueryCost(_float(cost.get("requestedQueryCost")), _float(cost.get("actualQueryCost")), budget)


def _float(value) -> float | None:
	return None if value is None else float(value)


def raise_user_errors(payload: Mapping[str, Any] | None, what: str) -> None:
	"""A mutation's ``userErrors`` are about the record we sent: skip it and say why."""
	errors = (payload or {}).get("userErrors") or []
	if errors:
		reasons = "; ".join(
			f"{'.'.join(str(p) for p in (e.get('field') or [])) or 'input'}: {e.get('message')}"
			for e in errors
		)
		raise RecordError(f"Shopify refused {what}: {reasons}", service="Shopify")


class ShopifyGraphQL:
	"""One shop's GraphQL endpoint, e.g. ``/admin/api/2026-10/graphql.json``.

	``transport`` is the connector's kernel transport (retries on 5xx/timeouts, breaker, call
	log); this class owns its budget reader so the shared bucket follows Shopify's own numbers.
	"""

	def __init__(
		self,
		transport: HttpTransport,
		api_version: str,
		*,
		max_throttle_retries: int = 8,
		sleep: Callable[[float], None] | None = None,
		cost_memory: RedisCostMemory | None = None,
	):
		self.transport = transport
		self.path = f"/admin/api/{api_version}/graphql.json"
		self.max_throttle_retries = max_throttle_retries
		self.estimated_cost: dict[str, float] | RedisCostMemory = (
			cost_memory if cost_memory is not None else {}
		)
		self.throttled = 0  # THROTTLED answers we absorbed (a benchmark reports it)
		self._last_cost = QueryCost(None, None, None)
		self._sleep = sleep
		transport.budget_reader = self.read_budget

	def read_budget(self, response: requests.Response) -> Budget | None:
		self._last_cost = query_cost(response_json(response))
		return self._last_cost.budget

	def execute(
		self,
		document: str,
		variables: Mapping[str, Any] | None = None,
		*,
		operation: str,
		idempotent: bool = True,
		reference: tuple[str, str] | None = None,
	) -> dict[str, Any]:
		"""Run one document; returns its ``data``. Absorbs THROTTLED by waiting for points."""
		attempt = 0
		while True:
			try:
				response = self.transport.request(
					"POST",
					self.path,
					json={"query": document, "variables": dict(variables or {})},
					idempotent=idempotent,
					cost=self.estimated_cost.get(operation, DEFAULT_ESTIMATED_COST),
					reference=reference,
				)
			except RateLimitedError:
				self.throttled += 1
				self._learn(operation)
				attempt += 1
				if attempt > self.max_throttle_retries:
					raise
				if self.transport.rate_limiter is None and self._sleep:
					self._sleep(self._refill_wait())
				continue
			self._learn(operation)
			body = response.data or {}
			if body.get("errors") and body.get("data") is None:
				raise ConnectorError(
					f"Shopify rejected the {operation} query: {json.dumps(body['errors'])[:400]}",
					service="Shopify",
					failure_type=FailureType.PROGRAMMING,
				)
			return body.get("data") or {}

	def pages(
		self,
		document: str,
		variables: Mapping[str, Any],
		connection_path: str,
		*,
		operation: str,
		start_cursor: str | None = None,
	) -> Iterator[GraphQLPage]:
		"""Page after page of a connection; the caller saves ``page.end_cursor`` when a page is done."""

		def run(cursor: str | None) -> Mapping[str, Any]:
			return self.execute(document, {**variables, "after": cursor}, operation=operation)

		return iterate_graphql_pages(run, connection_path, start_cursor=start_cursor)

	def _learn(self, operation: str) -> None:
		requested = self._last_cost.requested
		if requested is not None and requested != self.estimated_cost.get(operation, None):
			self.estimated_cost[operation] = requested

	def _refill_wait(self) -> float:
		budget = self._last_cost.budget
		needed = self._last_cost.requested or DEFAULT_ESTIMATED_COST
		if budget is None or not budget.refill_per_second:
			return 1.0
		return max(0.0, (needed - budget.available) / budget.refill_per_second)
