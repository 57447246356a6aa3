"""The transport seen from a connector: real HTTP to a local simulator, real Redis for the breaker.

Each test is a situation a ScoopJoy administrator would notice: an order created twice, a sync
that gave up on a blip, a token printed in a log, a dead service hammered by every worker.
"""

import time

import pytest
import requests

from scoopjoy.kernel.circuit_breaker import CircuitBreaker
from scoopjoy.kernel.errors import (
	AuthError,
	CircuitOpenError,
	ConfigError,
	FailureType,
	RateLimitedError,
	RecordError,
	TransientError,
)
from scoopjoy.kernel.idempotency import idempotency_key
from scoopjoy.kernel.rate_limit import Budget, RateLimiter
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.transport import CallRecord, HttpTransport
from scoopjoy.tests.simulators import Fault, GenericJsonApi, RateLimitPolicy

TOKEN = "sk_live_9f8e7d6c5b4a3210secret"


@pytest.fixture
def api():
	with GenericJsonApi(token=TOKEN, items=7) as sim:
		yield sim


@pytest.fixture
def calls() -> list[CallRecord]:
	return []


def make_transport(api, calls, **kwargs) -> HttpTransport:
	kwargs.setdefault("retry_policy", RetryPolicy(max_retries=3, backoff_base=0.05, backoff_cap=0.2))
	kwargs.setdefault("timeout", 2)
	return HttpTransport(
		service="Generic API",
		base_url=api.url,
		auth_headers=lambda: {"Authorization": f"Bearer {TOKEN}"},
		on_call=calls.append,
		**kwargs,
	)


def test_503_then_200_succeeds_after_a_backoff(api, calls):
	transport = make_transport(
		api, calls, retry_policy=RetryPolicy(max_retries=3, backoff_base=0.4, backoff_cap=1)
	)
	api.faults.add(Fault.status_code(503, times=1))

	started = time.monotonic()
	response = transport.get("/v1/items/1")
	elapsed = time.monotonic() - started

	assert response.data["item"]["id"] == 1
	assert response.attempts == 2
	assert api.count("GET", "/v1/items/1") == 2
	assert elapsed >= 0.2  # equal jitter: at least half of the 0.4 s base
	assert calls[-1].outcome == "Success" and calls[-1].attempt_statuses == ["503"]


def test_retry_after_is_honoured(api, calls):
	transport = make_transport(api, calls)
	api.faults.add(Fault.rate_limited(times=1, retry_after=2))

	started = time.monotonic()
	response = transport.get("/v1/ping")
	elapsed = time.monotonic() - started

	assert response.status_code == 200
	assert elapsed >= 1.9  # the server said 2 s; our own backoff would have been 0.05 s
	assert api.count("GET", "/v1/ping") == 2


def test_a_fractional_retry_after_is_waited_not_failed(api, calls):
	"""Shopify REST answers 429 with ``Retry-After: 2.0``; urllib3 alone refuses that header."""
	transport = make_transport(api, calls)
	api.faults.add(Fault.rate_limited(times=1, retry_after="0.6"))

	started = time.monotonic()
	response = transport.get("/v1/ping")

	assert response.status_code == 200
	assert time.monotonic() - started >= 0.55
	assert api.count("GET", "/v1/ping") == 2


def test_a_retry_after_longer_than_we_wait_in_a_worker_is_handed_back(api, calls):
	transport = make_transport(
		api, calls, retry_policy=RetryPolicy(max_retries=3, backoff_base=0.05, max_retry_after=5)
	)
	api.faults.add(Fault.rate_limited(times=1, retry_after=120))

	started = time.monotonic()
	with pytest.raises(RateLimitedError) as caught:
		transport.get("/v1/ping")
	assert time.monotonic() - started < 2
	assert caught.value.retry_after == pytest.approx(120, abs=1)  # the job defers by this much
	assert api.count("GET", "/v1/ping") == 1


def test_post_without_idempotency_key_is_not_retried_after_a_read_timeout(api, calls):
	transport = make_transport(api, calls, timeout=(2, 0.5))
	# the server creates the item at once but answers too late: the client cannot know it worked
	api.faults.add(Fault.delay(1.2, times=1, process="before", method="POST"))

	with pytest.raises(TransientError) as caught:
		transport.post("/v1/items", json={"title": "Vanilla 500 ml"})

	assert "timed out" in str(caught.value)
	assert api.count("POST", "/v1/items") == 1
	assert len(api.created_items) == 1  # one item, not two
	assert calls[-1].outcome == "Failed" and calls[-1].failure_type is FailureType.TRANSIENT


def test_post_with_idempotency_key_is_retried_and_creates_one_item(api, calls):
	transport = make_transport(api, calls, timeout=(2, 0.5))
	api.faults.add(Fault.delay(1.2, times=1, process="before", method="POST"))
	key = idempotency_key("generic", "create-item", "ICE-VAN-500", "v1")

	response = transport.post("/v1/items", json={"title": "Vanilla 500 ml"}, idempotency_key=key)

	assert response.status_code == 201
	assert response.attempts == 2
	assert api.count("POST", "/v1/items") == 2
	assert len(api.created_items) == 1  # the retry was answered from the first result
	assert response.headers.get("Idempotent-Replayed") == "true"


def test_post_is_not_retried_on_503_without_a_key(api, calls):
	transport = make_transport(api, calls)
	api.faults.add(Fault.status_code(503, times=1, method="POST"))
	with pytest.raises(TransientError):
		transport.post("/v1/items", json={"title": "Chocolate"})
	assert api.count("POST", "/v1/items") == 1


def test_connection_reset_on_get_is_retried(api, calls):
	transport = make_transport(api, calls)
	api.faults.add(Fault.reset(times=2))
	response = transport.get("/v1/items/2")
	assert response.data["item"]["id"] == 2
	assert response.attempts == 3


def test_transient_failures_give_up_after_max_retries_with_a_readable_error(api, calls):
	transport = make_transport(api, calls)
	api.faults.add(Fault.status_code(502, times=None))
	with pytest.raises(TransientError) as caught:
		transport.get("/v1/items")
	assert api.count("GET", "/v1/items") == 4  # 1 + max_retries
	message = str(caught.value)
	assert "Generic API" in message and "/v1/items" in message and "502" in message
	assert calls[-1].attempts == 4 and calls[-1].attempt_statuses == ["502", "502", "502"]


def test_401_fails_at_once_and_opens_the_breaker(api, calls, redis_server, key_prefix):
	breaker = CircuitBreaker(
		redis_server, "generic:acct", failure_threshold=5, cooldown=60, key_prefix=key_prefix
	)
	transport = make_transport(api, calls, breaker=breaker)
	api.faults.add(Fault.unauthorized(times=1))

	with pytest.raises(AuthError) as caught:
		transport.get("/v1/items/1")
	assert "credentials" in str(caught.value)
	assert api.count() == 1  # no retry on auth

	with pytest.raises(CircuitOpenError):
		transport.get("/v1/items/1")
	assert api.count() == 1  # the open circuit stopped the second call before the network
	assert len(calls) == 1  # and a refused call is not logged as if it had been made


def test_a_bad_record_is_skipped_without_opening_the_breaker(api, calls, redis_server, key_prefix):
	breaker = CircuitBreaker(
		redis_server, "generic:acct", failure_threshold=1, cooldown=60, key_prefix=key_prefix
	)
	transport = make_transport(api, calls, breaker=breaker)
	with pytest.raises(RecordError) as caught:
		transport.post("/v1/items", json={"no_title": True})
	assert caught.value.status_code == 422
	assert transport.get("/v1/items/1").data["item"]["id"] == 1  # the service is still used


def test_malformed_json_is_a_transient_error(api, calls):
	transport = make_transport(api, calls)
	api.faults.add(Fault.malformed_json(times=1, method="POST"))
	with pytest.raises(TransientError) as caught:
		transport.post("/v1/items", json={"title": "Mango"}, idempotency_key="sj-mango-1")
	assert "not valid JSON" in str(caught.value)


def test_the_logged_call_has_no_token_or_personal_data(api, calls):
	transport = make_transport(api, calls)
	transport.post(
		"/v1/items",
		json={"title": "Gift box", "email": "priya.sharma@example.com", "phone": "+91 98765 43210"},
		idempotency_key="sj-gift-1",
	)
	record = calls[-1]
	logged = " ".join(
		[str(record.request_headers), record.request_body or "", record.response_body or "", record.url]
	)
	assert TOKEN not in logged
	assert record.request_headers["Authorization"] == "Bearer ****"
	assert "priya.sharma@example.com" not in logged
	assert "98765 43210" not in logged
	assert "Gift box" in logged  # the log is still readable


def test_redirects_are_not_followed_so_credentials_stay_home(calls):
	with GenericJsonApi(token=TOKEN) as target, GenericJsonApi(token=TOKEN) as moved:
		moved.route("GET", "/v1/moved", lambda request: (301, {"moved": True}), auth=False)

		def redirect(request):
			from scoopjoy.tests.simulators import SimResponse

			return SimResponse(301, json={}, headers={"Location": target.url_for("/v1/ping")})

		moved.route("GET", "/v1/old", redirect, auth=False)
		transport = make_transport(moved, calls)
		with pytest.raises(ConfigError) as caught:
			transport.get("/v1/old")
		assert "301" in str(caught.value)
		assert target.count() == 0


def test_absolute_urls_to_another_host_are_refused(api, calls):
	transport = make_transport(api, calls)
	with pytest.raises(ConfigError):
		transport.get("http://127.0.0.2:9/steal")
	assert api.url_for("/v1/ping").startswith(api.url)
	assert transport.get(api.url_for("/v1/ping")).status_code == 200


def test_a_shared_budget_fed_by_provider_headers_avoids_429s(redis_server, key_prefix, calls):
	# The provider allows a burst of 5 and 10 calls/s; our bucket starts optimistic (50 tokens)
	# but learns from X-RateLimit-Remaining and slows down before the provider refuses.
	with GenericJsonApi(token=TOKEN, rate_limit=RateLimitPolicy(capacity=5, refill_per_second=10)) as api:
		limiter = RateLimiter(
			redis_server, "generic", capacity=50, refill_per_second=10, key_prefix=key_prefix
		)

		def read_budget(response):
			remaining = response.headers.get("X-RateLimit-Remaining")
			return Budget(available=float(remaining)) if remaining is not None else None

		transport = make_transport(api, calls, rate_limiter=limiter, budget_reader=read_budget)
		for _ in range(15):
			transport.get("/v1/ping")
		statuses = [r.status for r in api.requests]
		assert statuses.count(429) == 0


def test_no_timeout_is_refused():
	with pytest.raises(ConfigError):
		HttpTransport(service="Generic API", base_url="https://api.example.com", timeout=None)


def test_a_refused_connection_is_transient(calls):
	transport = HttpTransport(
		service="Generic API",
		base_url="http://127.0.0.1:9",
		timeout=1,
		retry_policy=RetryPolicy(max_retries=1, backoff_base=0.01),
		on_call=calls.append,
	)
	with pytest.raises(TransientError) as caught:
		transport.get("/v1/ping")
	assert "could not connect" in str(caught.value)
	assert isinstance(caught.value.__cause__, requests.ConnectionError)


def test_a_circuit_that_opens_is_reported_once_per_opening(api, calls, redis_server, key_prefix):
	opened = []
	breaker = CircuitBreaker(
		redis_server, "generic:acct", failure_threshold=2, cooldown=60, key_prefix=key_prefix
	)
	transport = make_transport(
		api, calls, breaker=breaker, on_circuit_open=opened.append, retry_policy=RetryPolicy(max_retries=0)
	)
	api.faults.add(Fault.status_code(503, times=None))
	with pytest.raises(TransientError):
		transport.get("/v1/ping")
	assert opened == []  # one failure is below the threshold
	with pytest.raises(TransientError):
		transport.get("/v1/ping")
	assert len(opened) == 1 and opened[0].state == "open"
