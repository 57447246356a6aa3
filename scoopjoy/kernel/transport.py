"""The HTTP transport every connector uses: one place for timeouts, retries, classification,
circuit breaking, rate limiting and the call record.

A call goes: circuit breaker (is the service known to be down?) -> shared rate budget (wait
our turn) -> ``requests.Session`` whose adapter retries per :class:`RetryPolicy` -> the
classifier (what does this status or exception mean?) -> breaker and budget updated from the
outcome -> a :class:`CallRecord`, masked, handed to ``on_call`` (the Frappe layer writes it to
the Connector Request Log). Failures come out as :class:`ConnectorError` subclasses whose
``failure_type`` tells the caller what to do next.

Redirects are not followed: a provider header such as ``X-Shopify-Access-Token`` would travel
to whatever host the redirect names (``requests`` strips only ``Authorization``). A redirect is a
configuration problem to fix in Settings.
"""

from __future__ import annotations

import json as jsonlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from scoopjoy.kernel.circuit_breaker import BreakerState, CircuitBreaker
from scoopjoy.kernel.errors import (
	CircuitOpenError,
	Classifier,
	ConfigError,
	ConnectorError,
	FailureType,
	RateLimitedError,
	TransientError,
)
from scoopjoy.kernel.idempotency import IDEMPOTENCY_HEADER, new_correlation_id
from scoopjoy.kernel.masking import mask_headers, mask_json_text, mask_payload, mask_text, mask_url
from scoopjoy.kernel.rate_limit import Budget, RateLimiter
from scoopjoy.kernel.retry import AttemptRecord, RetryPolicy

_RETRY_ATTRIBUTE = "_scoopjoy_retry"


@dataclass
class CallRecord:
	"""One external call as a person reads it in the log. Everything in it is already masked."""

	service: str
	method: str
	url: str
	correlation_id: str
	status_code: int | None = None
	outcome: str = "Success"  # Success | Failed
	failure_type: FailureType | None = None
	duration_ms: float = 0.0
	attempts: int = 1
	attempt_statuses: list[str] = field(default_factory=list)
	request_headers: dict[str, str] = field(default_factory=dict)
	request_body: str | None = None
	response_body: str | None = None
	error: str | None = None
	reference: tuple[str, str] | None = None  # (doctype, name) the call was made for


@dataclass
class ApiResponse:
	status_code: int
	headers: Mapping[str, str]
	data: Any
	text: str
	attempts: int
	duration_ms: float
	correlation_id: str
	content: bytes = b""  # the body as sent: a file to decode as its format says (JSONL: UTF-8)


class _PolicyAdapter(HTTPAdapter):
	"""An adapter whose retry policy is chosen per request (thread-safe).

	``HTTPAdapter.send`` reads ``self.max_retries``; the transport attaches the ``Retry`` it
	wants for this call to the prepared request, and this property hands it to urllib3.
	"""

	def __init__(self, **kwargs):
		self._local = threading.local()
		self._default_retry = None
		super().__init__(**kwargs)

	@property
	def max_retries(self):
		return getattr(self._local, "retry", None) or self._default_retry

	@max_retries.setter
	def max_retries(self, value):
		self._default_retry = value

	def send(self, request, **kwargs):
		self._local.retry = getattr(request, _RETRY_ATTRIBUTE, None)
		try:
			return super().send(request, **kwargs)
		finally:
			self._local.retry = None


class HttpTransport:
	"""Declared once per connector instance; cheap to call many times (one pooled session)."""

	def __init__(
		self,
		*,
		service: str,
		base_url: str,
		timeout: float | tuple[float, float] = 15.0,
		retry_policy: RetryPolicy | None = None,
		classifier: Classifier | None = None,
		breaker: CircuitBreaker | None = None,
		rate_limiter: RateLimiter | None = None,
		budget_reader: Callable[[requests.Response], Budget | None] | None = None,
		headers: Mapping[str, str] | None = None,
		auth_headers: Callable[[], Mapping[str, str]] | None = None,
		idempotency_header: str = IDEMPOTENCY_HEADER,
		correlation_header: str | None = "X-Correlation-ID",
		on_call: Callable[[CallRecord], None] | None = None,
		on_circuit_open: Callable[[BreakerState], None] | None = None,
		user_agent: str | None = None,
		verify: bool | str = True,
		max_logged_body: int = 4000,
		pool_maxsize: int = 10,
	):
		if not timeout:
			raise ConfigError(f"{service}: a timeout is required for every external call")
		if not base_url:
			raise ConfigError(f"{service}: no base URL is configured; set it in the connector's Settings")
		self.service = service
		self.base_url = base_url.rstrip("/") + "/"
		self.timeout = timeout
		self.retry_policy = retry_policy or RetryPolicy()
		self.classifier = classifier or Classifier()
		self.breaker = breaker
		self.rate_limiter = rate_limiter
		self.budget_reader = budget_reader
		self.default_headers = {
			"Accept": "application/json",
			"User-Agent": user_agent or f"ScoopJoy-Connect/{service}",
			**(headers or {}),
		}
		self.auth_headers = auth_headers
		self.idempotency_header = idempotency_header
		self.correlation_header = correlation_header
		self.on_call = on_call
		self.on_circuit_open = on_circuit_open
		self.verify = verify
		self.max_logged_body = max_logged_body
		self._pool_maxsize = pool_maxsize
		self._session: requests.Session | None = None
		self._origin = _origin(self.base_url)

	# --- session ----------------------------------------------------------------------------

	@property
	def session(self) -> requests.Session:
		if self._session is None:
			session = requests.Session()
			adapter = _PolicyAdapter(pool_connections=4, pool_maxsize=self._pool_maxsize)
			session.mount("https://", adapter)
			session.mount("http://", adapter)
			session.trust_env = False  # no proxy or netrc surprises from the worker's environment
			self._session = session
		return self._session

	def close(self) -> None:
		if self._session is not None:
			self._session.close()
			self._session = None

	# --- verbs ------------------------------------------------------------------------------

	def get(self, path: str, **kwargs) -> ApiResponse:
		return self.request("GET", path, **kwargs)

	def post(self, path: str, **kwargs) -> ApiResponse:
		return self.request("POST", path, **kwargs)

	def put(self, path: str, **kwargs) -> ApiResponse:
		return self.request("PUT", path, **kwargs)

	def patch(self, path: str, **kwargs) -> ApiResponse:
		return self.request("PATCH", path, **kwargs)

	def delete(self, path: str, **kwargs) -> ApiResponse:
		return self.request("DELETE", path, **kwargs)

	def request(
		self,
		method: str,
		path: str,
		*,
		params: Mapping[str, Any] | None = None,
		json: Any = None,
		data: Any = None,
		headers: Mapping[str, str] | None = None,
		idempotency_key: str | None = None,
		idempotent: bool | None = None,
		timeout: float | tuple[float, float] | None = None,
		correlation_id: str | None = None,
		expect_json: bool = True,
		cost: float = 1.0,
		reference: tuple[str, str] | None = None,
	) -> ApiResponse:
		"""Make one logical call (retries included). Raises a classified :class:`ConnectorError`.

		``idempotency_key``: sent in the provider's idempotency header, and makes a POST/PATCH
		retryable. ``idempotent=True`` declares the endpoint safe to repeat without a key (a
		GraphQL query); ``False`` forbids retries even for PUT/DELETE.
		"""
		method = method.upper()
		url = self._url(path)
		timeout = timeout or self.timeout
		correlation_id = correlation_id or new_correlation_id()
		request_headers = dict(self.default_headers)
		if self.auth_headers:
			request_headers.update(self.auth_headers())
		if headers:
			request_headers.update(headers)
		if idempotency_key:
			request_headers[self.idempotency_header] = idempotency_key
			if idempotent is None:
				idempotent = True
		if self.correlation_header:
			request_headers[self.correlation_header] = correlation_id

		record = CallRecord(
			service=self.service,
			method=method,
			url=mask_url(url),
			correlation_id=correlation_id,
			request_headers=mask_headers(request_headers),
			request_body=self._masked_request_body(json, data),
			reference=reference,
		)
		journal: list[AttemptRecord] = []
		sent = False
		started = time.perf_counter()
		try:
			if self.breaker:
				self.breaker.before_call()
			if self.rate_limiter:
				self.rate_limiter.acquire(cost)
			prepared = self.session.prepare_request(
				requests.Request(method, url, params=params, json=json, data=data, headers=request_headers)
			)
			record.url = mask_url(prepared.url or url)
			setattr(prepared, _RETRY_ATTRIBUTE, self.retry_policy.retry_for(method, idempotent, journal))
			sent = True
			started = time.perf_counter()
			try:
				response = self.session.send(
					prepared, timeout=timeout, allow_redirects=False, verify=self.verify
				)
			except requests.RequestException as exc:
				raise self.classifier.error_for_exception(
					exc, service=self.service, method=method, url=url, timeout=_read_timeout(timeout)
				) from exc
			record.status_code = response.status_code
			record.response_body = self._masked(response.text)
			self._observe_budget(response)
			failure = self.classifier.classify_response(response)
			if failure is not None:
				error = self.classifier.error_for_response(
					response, service=self.service, failure_type=failure
				)
				if isinstance(error, RateLimitedError) and self.rate_limiter:
					self.rate_limiter.penalize(error.retry_after or 1.0)
				raise error
			payload = self._parse(response, expect_json, method, url)
			if self.breaker:
				self.breaker.record_success()
			return ApiResponse(
				status_code=response.status_code,
				headers=response.headers,
				data=payload,
				text=response.text,
				attempts=len(journal) + 1,
				duration_ms=_ms_since(started),
				correlation_id=correlation_id,
				content=response.content,
			)
		except ConnectorError as error:
			error.request_sent = sent
			record.outcome = "Failed"
			record.failure_type = error.failure_type
			record.error = mask_text(str(error))
			if error.status_code is None and record.status_code is not None:
				error.status_code = record.status_code
			self._update_breaker(error)
			raise
		finally:
			record.duration_ms = _ms_since(started)
			record.attempts = len(journal) + 1
			record.attempt_statuses = [_describe(a) for a in journal]
			if sent and self.on_call:
				self.on_call(record)

	# --- helpers ----------------------------------------------------------------------------

	def _url(self, path: str) -> str:
		if path.startswith(("http://", "https://")):
			if _origin(path) != self._origin:
				raise ConfigError(
					f"{self.service}: refusing to send credentials to {_origin(path)}; "
					f"this connector talks to {self._origin} only."
				)
			return path
		return urljoin(self.base_url, path.lstrip("/"))

	def _parse(self, response: requests.Response, expect_json: bool, method: str, url: str) -> Any:
		if not expect_json or not response.content or response.status_code == 204:
			return None
		try:
			return response.json()
		except ValueError as exc:
			raise TransientError(
				f"{self.service}: {method} {urlsplit(url).path} answered HTTP {response.status_code} with a body "
				"that is not valid JSON (cut off or an HTML error page). The work is retried.",
				service=self.service,
				method=method,
				url=mask_url(url),
				status_code=response.status_code,
				response_excerpt=mask_text(response.text[:300]),
			) from exc

	def _observe_budget(self, response: requests.Response) -> None:
		if self.rate_limiter and self.budget_reader:
			budget = self.budget_reader(response)
			if budget is not None:
				self.rate_limiter.observe(budget)

	def _update_breaker(self, error: ConnectorError) -> None:
		if not self.breaker or isinstance(error, CircuitOpenError):
			return
		if error.resolution.counts_as_service_failure:
			state = self.breaker.record_failure(error.failure_type, reason=_reason(error))
			if state.state == "open" and self.on_circuit_open:
				self.on_circuit_open(state)
		elif error.failure_type is FailureType.RECORD:
			self.breaker.record_success()  # the service answered sensibly; only the record was bad

	def _masked_request_body(self, json: Any, data: Any) -> str | None:
		if json is not None:
			return self._truncate(jsonlib.dumps(mask_payload(json), default=str, ensure_ascii=False))
		if data is None:
			return None
		if isinstance(data, bytes):
			data = data.decode("utf-8", "replace")
		if isinstance(data, str):
			return self._masked(data)
		return self._truncate(jsonlib.dumps(mask_payload(data), default=str, ensure_ascii=False))

	def _masked(self, text: str | None) -> str | None:
		if not text:
			return None
		return self._truncate(mask_json_text(text[: self.max_logged_body * 2]))

	def _truncate(self, text: str) -> str:
		if len(text) <= self.max_logged_body:
			return text
		return text[: self.max_logged_body] + f"... [{len(text) - self.max_logged_body} more characters]"


def _origin(url: str) -> str:
	parts = urlsplit(url)
	return f"{parts.scheme}://{parts.netloc}".lower()


def _read_timeout(timeout) -> float | None:
	if isinstance(timeout, tuple):
		return timeout[1]
	return timeout


def _ms_since(started: float) -> float:
	return round((time.perf_counter() - started) * 1000, 1)


def _describe(attempt: AttemptRecord) -> str:
	return str(attempt.status) if attempt.status is not None else (attempt.error or "error")


def _reason(error: ConnectorError) -> str:
	if error.status_code:
		return f"HTTP {error.status_code} ({error.failure_type})"
	return str(error.failure_type)
