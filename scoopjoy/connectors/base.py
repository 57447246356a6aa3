"""BaseConnector: what every connector shares, so a connector is declarations plus business methods.

A subclass declares (like a Singer SDK stream, https://sdk.meltano.com/en/latest/classes/singer_sdk.RESTStream.html)::

    class MobileAppConnector(BaseConnector):
        service_name = "Franchise Mobile App"
        settings_doctype = "Mobile App Settings"
        timeout = 10

        @property
        def base_url(self) -> str:
            return self.settings.api_url

        def get_auth_headers(self) -> dict:
            return {"X-API-Key": self.settings.get_password("api_key")}

and calls ``self.get/post/put/patch/delete``. The base class builds, on first use, the kernel's
transport with the retry policy, the provider's error rules, the account's circuit breaker and
shared rate limiter (both in Redis), and the call log writer. Failures are raised as
``ConnectorError`` subclasses; desk entry points wrap calls in ``user_facing_errors`` to show
the message instead of a traceback. The seed's names (``SETTINGS_DOCTYPE``, ``SERVICE_NAME``,
``TIMEOUT``, ``MAX_RETRIES``, ``RETRY_BACKOFF``) are accepted as aliases.
"""

from __future__ import annotations

from typing import Any, ClassVar

import frappe

from scoopjoy.kernel.circuit_breaker import CircuitBreaker
from scoopjoy.kernel.errors import Classifier, ConfigError, ExceptionRule, ResponseRule
from scoopjoy.kernel.health import CIRCUIT_OPEN
from scoopjoy.kernel.rate_limit import Budget, RateLimiter
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.transport import ApiResponse, HttpTransport
from scoopjoy.reliability.alerts import alert_once
from scoopjoy.reliability.call_log import write_call_record
from scoopjoy.reliability.errors import frappe_exception_rule
from scoopjoy.reliability.runtime import get_redis, scoopjoy_settings


class ConnectorDisabledError(ConfigError):
	"""The connector is switched off in its Settings: nothing is sent."""


class BaseConnector:
	# --- declarations ------------------------------------------------------------------------
	service_name: ClassVar[str] = ""
	settings_doctype: ClassVar[str] = ""
	timeout: ClassVar[float | tuple[float, float]] = 15
	max_retries: ClassVar[int] = 3
	retry_backoff: ClassVar[float] = 0.5  # seconds before the first retry; doubles each time
	retry_backoff_cap: ClassVar[float] = 30.0
	max_retry_after: ClassVar[float] = 60.0  # longer provider waits defer the work (dead letter)
	#: (capacity, refill per second) of the provider's limit for one account, or None
	rate_limit: ClassVar[tuple[float, float] | None] = None
	rate_limit_max_wait: ClassVar[float] = 30.0
	idempotency_header: ClassVar[str] = "Idempotency-Key"
	correlation_header: ClassVar[str | None] = "X-Correlation-ID"
	response_rules: ClassVar[tuple[ResponseRule, ...]] = ()
	exception_rules: ClassVar[tuple[ExceptionRule, ...]] = ()
	health_check_path: ClassVar[str | None] = None  # what "Test connection" calls
	enabled_field: ClassVar[str] = "enabled"

	def __init_subclass__(cls, **kwargs):
		super().__init_subclass__(**kwargs)
		for seed_name, name in (
			("SETTINGS_DOCTYPE", "settings_doctype"),
			("SERVICE_NAME", "service_name"),
			("TIMEOUT", "timeout"),
			("MAX_RETRIES", "max_retries"),
			("RETRY_BACKOFF", "retry_backoff"),
		):
			if seed_name in cls.__dict__:
				setattr(cls, name, cls.__dict__[seed_name])

	def __init__(self, settings=None):
		if not self.settings_doctype:
			raise NotImplementedError(f"{type(self).__name__} must declare settings_doctype")
		self.service_name = self.service_name or self.settings_doctype.removesuffix(" Settings")
		self.settings = settings or frappe.get_single(self.settings_doctype)
		self._transport: HttpTransport | None = None

	# --- hooks a subclass may override ------------------------------------------------------

	@property
	def base_url(self) -> str:
		raise NotImplementedError(f"{type(self).__name__} must define base_url")

	def get_auth_headers(self) -> dict[str, str]:
		return {}

	def account_id(self) -> str:
		"""Which account the breaker and the rate budget belong to (e.g. the shop domain)."""
		return self.base_url

	def account_label(self) -> str:
		"""Which of several accounts of the service this is (alerts say it, the request log and dead
		letters are filtered by it); "" for a service a site has one account of."""
		return ""

	def read_budget(self, response) -> Budget | None:
		"""What the provider says about our remaining rate budget (headers or body)."""
		return None

	def expected_sync_interval_minutes(self) -> int | None:
		"""How often a scheduled sync of this connector should succeed while it is switched on.

		None (the default) for event-driven connectors: no traffic at night is not a failure. The
		"no successful sync" alert uses it (``scoopjoy.kernel.health``).
		"""
		return None

	def is_enabled(self) -> bool:
		if self.settings.meta.has_field(self.enabled_field):
			return bool(self.settings.get(self.enabled_field))
		return True

	def test_connection(self) -> str:
		"""Make one harmless call; return a sentence for the person who pressed the button."""
		if not self.health_check_path:
			raise NotImplementedError(
				f"{type(self).__name__} must define health_check_path or test_connection"
			)
		self.get(self.health_check_path)
		return frappe._("Connected to {0}.").format(self.service_name)

	# --- calls --------------------------------------------------------------------------------

	def get(self, endpoint: str, params: dict | None = None, **kwargs) -> Any:
		return self.request("GET", endpoint, params=params, **kwargs).data

	def post(self, endpoint: str, data: Any = None, *, idempotency_key: str | None = None, **kwargs) -> Any:
		return self.request("POST", endpoint, json=data, idempotency_key=idempotency_key, **kwargs).data

	def put(self, endpoint: str, data: Any = None, **kwargs) -> Any:
		return self.request("PUT", endpoint, json=data, **kwargs).data

	def patch(self, endpoint: str, data: Any = None, *, idempotency_key: str | None = None, **kwargs) -> Any:
		return self.request("PATCH", endpoint, json=data, idempotency_key=idempotency_key, **kwargs).data

	def delete(self, endpoint: str, **kwargs) -> Any:
		return self.request("DELETE", endpoint, **kwargs).data

	def request(self, method: str, endpoint: str, **kwargs) -> ApiResponse:
		self.ensure_enabled()
		return self.transport.request(method, endpoint, **kwargs)

	def ensure_enabled(self) -> None:
		if not self.is_enabled():
			raise ConnectorDisabledError(
				f"{self.service_name} is disabled in {self.settings_doctype}: nothing was sent. "
				f"Enable it there to resume syncing.",
				service=self.service_name,
			)

	# --- the kernel, wired to this site ------------------------------------------------------

	@property
	def transport(self) -> HttpTransport:
		if self._transport is None:
			self._transport = self._build_transport()
		return self._transport

	@property
	def session(self):
		"""The pooled ``requests.Session`` (the seed's name for it)."""
		return self.transport.session

	@property
	def breaker(self) -> CircuitBreaker:
		settings = scoopjoy_settings()
		return CircuitBreaker(
			get_redis(),
			f"{frappe.local.site}:{self.service_name}:{self.account_id()}",
			failure_threshold=settings.breaker_failure_threshold or 5,
			cooldown=settings.breaker_cooldown_seconds or 60,
			service=self.service_name,
		)

	def _alert_circuit_open(self, state) -> None:
		from datetime import datetime, timezone

		if not scoopjoy_settings().alert_on_circuit_open:
			return

		until = datetime.fromtimestamp(state.open_until or 0, tz=timezone.utc).strftime("%H:%M UTC")
		label = self.account_label()
		alert_once(
			self.service_name,
			CIRCUIT_OPEN,
			f"{self.service_name}{f' ({label})' if label else ''} failed {state.failures} time(s) in a row "
			f"(last: {state.last_reason}). "
			f"Calls are paused until {until}, then one probe call is let through. Work meanwhile waits in "
			"Integration Dead Letter and is retried.",
			account=label,
		)

	def _build_transport(self) -> HttpTransport:
		limiter = None
		if self.rate_limit:
			capacity, refill = self.rate_limit
			limiter = RateLimiter(
				get_redis(),
				f"{frappe.local.site}:{self.service_name}:{self.account_id()}",
				capacity=capacity,
				refill_per_second=refill,
				max_wait=self.rate_limit_max_wait,
				service=self.service_name,
			)
		return HttpTransport(
			service=self.service_name,
			base_url=self.base_url,
			timeout=self.timeout,
			retry_policy=RetryPolicy(
				max_retries=self.max_retries,
				backoff_base=self.retry_backoff,
				backoff_cap=self.retry_backoff_cap,
				max_retry_after=self.max_retry_after,
			),
			classifier=Classifier(
				response_rules=self.response_rules,
				exception_rules=(*self.exception_rules, frappe_exception_rule),
			),
			breaker=self.breaker,
			rate_limiter=limiter,
			budget_reader=self.read_budget,
			headers={"Content-Type": "application/json"},
			auth_headers=self.get_auth_headers,
			idempotency_header=self.idempotency_header,
			correlation_header=self.correlation_header,
			on_call=lambda record: write_call_record(record, self.account_label()),
			on_circuit_open=self._alert_circuit_open,
			user_agent=f"ScoopJoy-Connect/{self.service_name}",
		)
