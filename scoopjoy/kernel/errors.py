"""One place that decides what a failure means and what to do about it.

Errors are data, not control flow scattered over connectors: a failure is sorted into a
:class:`FailureType`, and the table :data:`RESOLUTIONS` says which :class:`Action` follows
(the idea of Airbyte's ``ErrorResolution``: response action x failure type). Connectors add
provider rules (a Meta error code, a Shopify ``THROTTLED`` GraphQL error) in front of the
default HTTP rules; they never re-implement the table.

- auth / config   -> FAIL and alert, no retry, the circuit opens at once
- rate_limited    -> RETRY after the provider's wait (``Retry-After``)
- transient       -> RETRY with exponential backoff and jitter
- record          -> SKIP this record, dead-letter it, keep the run going
- programming     -> FAIL loudly (a bug: retrying will not help)
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import requests


class FailureType(str, enum.Enum):
	AUTH = "auth"
	CONFIG = "config"
	RATE_LIMITED = "rate_limited"
	TRANSIENT = "transient"
	RECORD = "record"
	PROGRAMMING = "programming"

	def __str__(self) -> str:
		return self.value


class Action(str, enum.Enum):
	RETRY = "retry"
	SKIP = "skip"  # skip this record, dead-letter it, go on with the others
	FAIL = "fail"  # stop the operation and tell a person

	def __str__(self) -> str:
		return self.value


@dataclass(frozen=True)
class ErrorResolution:
	"""What to do with one kind of failure."""

	failure_type: FailureType
	action: Action
	alert: bool
	opens_circuit: bool  # True: one occurrence opens the breaker; False: counts toward the threshold
	counts_as_service_failure: bool
	advice: str

	@property
	def retryable(self) -> bool:
		return self.action is Action.RETRY


RESOLUTIONS: dict[FailureType, ErrorResolution] = {
	FailureType.AUTH: ErrorResolution(
		FailureType.AUTH,
		Action.FAIL,
		alert=True,
		opens_circuit=True,
		counts_as_service_failure=True,
		advice="Check the credentials in the connector's Settings (token revoked, expired or missing a scope).",
	),
	FailureType.CONFIG: ErrorResolution(
		FailureType.CONFIG,
		Action.FAIL,
		alert=True,
		opens_circuit=True,
		counts_as_service_failure=True,
		advice="Check the connector's Settings (URL, API version, account ids).",
	),
	FailureType.RATE_LIMITED: ErrorResolution(
		FailureType.RATE_LIMITED,
		Action.RETRY,
		alert=False,
		opens_circuit=False,
		counts_as_service_failure=False,
		advice="The provider asked us to slow down; the work is retried after its wait.",
	),
	FailureType.TRANSIENT: ErrorResolution(
		FailureType.TRANSIENT,
		Action.RETRY,
		alert=False,
		opens_circuit=False,
		counts_as_service_failure=True,
		advice="The service had a temporary problem; the work is retried with backoff.",
	),
	FailureType.RECORD: ErrorResolution(
		FailureType.RECORD,
		Action.SKIP,
		alert=False,
		opens_circuit=False,
		counts_as_service_failure=False,
		advice="The service refused this record; fix the record, then retry its dead letter.",
	),
	FailureType.PROGRAMMING: ErrorResolution(
		FailureType.PROGRAMMING,
		Action.FAIL,
		alert=True,
		opens_circuit=False,
		counts_as_service_failure=False,
		advice="A bug in the connector; see the traceback in the Error Log.",
	),
}


def resolution_for(failure_type: FailureType | str) -> ErrorResolution:
	return RESOLUTIONS[FailureType(failure_type)]


# --- exceptions ---------------------------------------------------------------------------------


class ConnectorError(Exception):
	"""A classified failure of an external call. ``str()`` is written for a person."""

	failure_type: FailureType = FailureType.PROGRAMMING

	def __init__(
		self,
		message: str,
		*,
		service: str | None = None,
		method: str | None = None,
		url: str | None = None,
		status_code: int | None = None,
		retry_after: float | None = None,
		response_excerpt: str | None = None,
		provider_code: str | None = None,
		failure_type: FailureType | None = None,
	):
		super().__init__(message)
		self.message = message
		self.service = service
		self.method = method
		self.url = url
		self.status_code = status_code
		self.retry_after = retry_after
		self.response_excerpt = response_excerpt
		self.provider_code = provider_code
		#: False: refused before anything was sent (breaker, budget, bad URL); True: the provider
		#: may have acted on it; None: not known (raised outside the transport)
		self.request_sent: bool | None = None
		if failure_type is not None:
			self.failure_type = FailureType(failure_type)

	@property
	def resolution(self) -> ErrorResolution:
		return RESOLUTIONS[self.failure_type]

	@property
	def retryable(self) -> bool:
		return self.resolution.retryable

	def __str__(self) -> str:
		return self.message


class AuthError(ConnectorError):
	failure_type = FailureType.AUTH


class ConfigError(ConnectorError):
	failure_type = FailureType.CONFIG


class RateLimitedError(ConnectorError):
	failure_type = FailureType.RATE_LIMITED


class TransientError(ConnectorError):
	failure_type = FailureType.TRANSIENT


class RecordError(ConnectorError):
	failure_type = FailureType.RECORD


class CircuitOpenError(ConnectorError):
	"""Raised instead of calling a service that is known to be down; retried when it may be up."""

	failure_type = FailureType.TRANSIENT

	def __init__(self, message: str, *, open_until: float, retry_after: float, **kwargs):
		super().__init__(message, retry_after=retry_after, **kwargs)
		self.open_until = open_until  # epoch seconds


ERROR_CLASSES: dict[FailureType, type[ConnectorError]] = {
	FailureType.AUTH: AuthError,
	FailureType.CONFIG: ConfigError,
	FailureType.RATE_LIMITED: RateLimitedError,
	FailureType.TRANSIENT: TransientError,
	FailureType.RECORD: RecordError,
	FailureType.PROGRAMMING: ConnectorError,
}


# --- classification -----------------------------------------------------------------------------

#: HTTP status -> failure type, for any provider that has no rule of its own.
STATUS_FAILURE_TYPES: dict[int, FailureType] = {
	400: FailureType.RECORD,
	401: FailureType.AUTH,
	402: FailureType.CONFIG,  # Shopify: shop frozen / payment required
	403: FailureType.AUTH,
	404: FailureType.RECORD,
	405: FailureType.CONFIG,
	408: FailureType.TRANSIENT,
	409: FailureType.RECORD,
	410: FailureType.RECORD,
	413: FailureType.RECORD,
	415: FailureType.CONFIG,
	422: FailureType.RECORD,
	423: FailureType.TRANSIENT,  # locked: Shopify returns it while a shop is being moved
	425: FailureType.TRANSIENT,
	429: FailureType.RATE_LIMITED,
}

#: statuses the transport retries by itself (before anything is classified)
RETRY_STATUSES: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})

#: a provider rule looks at a response (or exception) and returns a failure type, or None to pass
#: bodies longer than this are masked as text (not parsed); the excerpt kept on an error
MASKED_BODY_LIMIT = 20000
EXCERPT_CHARS = 500

ResponseRule = Callable[[requests.Response], "FailureType | None"]
ExceptionRule = Callable[[BaseException], "FailureType | None"]


def classify_status(status_code: int) -> FailureType | None:
	"""None for success (2xx, 304); otherwise what an HTTP status means for us.

	Other 3xx are config: the transport does not follow redirects (credentials must not travel to
	another host), so a moved endpoint is something to correct in Settings.
	"""
	if status_code < 300 or status_code == 304:
		return None
	if status_code < 400:
		return FailureType.CONFIG
	if status_code in STATUS_FAILURE_TYPES:
		return STATUS_FAILURE_TYPES[status_code]
	if status_code >= 500:
		return FailureType.TRANSIENT
	return FailureType.RECORD


def classify_exception(exc: BaseException) -> FailureType:
	"""What a raised exception means. Network trouble is transient; a bad URL is config."""
	if isinstance(exc, ConnectorError):
		return exc.failure_type
	if isinstance(exc, requests.exceptions.SSLError):
		return FailureType.CONFIG
	if isinstance(
		exc,
		requests.exceptions.InvalidURL
		| requests.exceptions.MissingSchema
		| requests.exceptions.InvalidSchema
		| requests.exceptions.InvalidHeader,
	):
		return FailureType.CONFIG
	if isinstance(
		exc,
		requests.exceptions.Timeout
		| requests.exceptions.ConnectionError
		| requests.exceptions.ChunkedEncodingError
		| requests.exceptions.ContentDecodingError,
	):
		return FailureType.TRANSIENT
	if isinstance(exc, json.JSONDecodeError | requests.exceptions.JSONDecodeError):
		return FailureType.TRANSIENT  # a proxy's HTML error page or a cut body: try again
	return FailureType.PROGRAMMING


def parse_retry_after(value: str | None) -> float | None:
	"""Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date, RFC 9110 §10.2.3)."""
	if not value:
		return None
	value = value.strip()
	try:
		return max(0.0, float(value))
	except ValueError:
		pass
	from datetime import datetime, timezone
	from email.utils import parsedate_to_datetime

	try:
		when = parsedate_to_datetime(value)
	except (TypeError, ValueError):
		return None
	if when.tzinfo is None:
		when = when.replace(tzinfo=timezone.utc)
	return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class Classifier:
	"""Provider rules first, then the HTTP defaults. Build one per connector class."""

	def __init__(
		self,
		response_rules: Iterable[ResponseRule] = (),
		exception_rules: Iterable[ExceptionRule] = (),
	):
		self.response_rules = tuple(response_rules)
		self.exception_rules = tuple(exception_rules)

	def classify_response(self, response: requests.Response) -> FailureType | None:
		for rule in self.response_rules:
			failure = rule(response)
			if failure is not None:
				return FailureType(failure)
		return classify_status(response.status_code)

	def classify_exception(self, exc: BaseException) -> FailureType:
		for rule in self.exception_rules:
			failure = rule(exc)
			if failure is not None:
				return FailureType(failure)
		return classify_exception(exc)

	def error_for_response(
		self, response: requests.Response, *, service: str, failure_type: FailureType | None = None
	) -> ConnectorError | None:
		"""The exception to raise for this response, or None when it is a success."""
		failure_type = failure_type or self.classify_response(response)
		if failure_type is None:
			return None
		from scoopjoy.kernel.masking import mask_json_text, mask_url

		request = response.request
		method = request.method if request is not None else None
		url = mask_url(response.url or (request.url if request is not None else "") or "")
		# masked key by key while still whole JSON (a phone number is only known by its key), then cut
		excerpt = mask_json_text((response.text or "")[:MASKED_BODY_LIMIT])[:EXCERPT_CHARS]
		message = (
			f"{service}: {method} {_path_of(url)} returned HTTP {response.status_code}"
			f" ({failure_type.value}). {RESOLUTIONS[failure_type].advice}"
		)
		return ERROR_CLASSES[failure_type](
			message,
			service=service,
			method=method,
			url=url,
			status_code=response.status_code,
			retry_after=parse_retry_after(response.headers.get("Retry-After")),
			response_excerpt=excerpt,
		)

	def error_for_exception(
		self, exc: BaseException, *, service: str, method: str, url: str, timeout: float | None = None
	) -> ConnectorError:
		from scoopjoy.kernel.masking import mask_url

		if isinstance(exc, ConnectorError):
			return exc
		failure_type = self.classify_exception(exc)
		url = mask_url(url)
		if isinstance(exc, requests.exceptions.Timeout):
			what = f"timed out after {timeout}s" if timeout else "timed out"
		elif isinstance(exc, requests.exceptions.ConnectionError):
			what = "could not connect (connection refused or reset)"
		elif isinstance(exc, json.JSONDecodeError | requests.exceptions.JSONDecodeError):
			what = "answered with a body that is not valid JSON"
		else:
			what = f"failed: {type(exc).__name__}"
		message = f"{service}: {method} {_path_of(url)} {what} ({failure_type.value}). {RESOLUTIONS[failure_type].advice}"
		return ERROR_CLASSES[failure_type](message, service=service, method=method, url=url)


def _path_of(url: str) -> str:
	from urllib.parse import urlsplit

	parts = urlsplit(url)
	return parts.path or url
