"""The breaker seen from a worker: it stops calls to a dead service, lets one probe through after
the cool-down, and every worker process sees the same state."""

import subprocess
import sys
import textwrap
import time

import pytest

from scoopjoy.kernel.circuit_breaker import CircuitBreaker
from scoopjoy.kernel.errors import CircuitOpenError, FailureType
from tests.conftest import REDIS_URL


def make_breaker(redis_server, key_prefix, **kwargs) -> CircuitBreaker:
	kwargs.setdefault("failure_threshold", 3)
	kwargs.setdefault("cooldown", 0.5)
	return CircuitBreaker(redis_server, "shopify:acme", key_prefix=key_prefix, service="Shopify", **kwargs)


def test_opens_after_consecutive_transient_failures_and_says_until_when(redis_server, key_prefix):
	breaker = make_breaker(redis_server, key_prefix, cooldown=30)
	for _ in range(2):
		breaker.record_failure(FailureType.TRANSIENT, "HTTP 503")
		breaker.before_call()  # still closed below the threshold
	breaker.record_failure(FailureType.TRANSIENT, "HTTP 503")

	with pytest.raises(CircuitOpenError) as caught:
		breaker.before_call()
	message = str(caught.value)
	assert "Shopify" in message and "open until" in message and "HTTP 503" in message
	assert 25 < caught.value.retry_after <= 30


def test_a_success_resets_the_count_of_consecutive_failures(redis_server, key_prefix):
	breaker = make_breaker(redis_server, key_prefix)
	breaker.record_failure(FailureType.TRANSIENT)
	breaker.record_failure(FailureType.TRANSIENT)
	breaker.record_success()
	breaker.record_failure(FailureType.TRANSIENT)
	breaker.before_call()
	assert breaker.state().state == "closed"


def test_auth_failure_opens_the_circuit_at_once(redis_server, key_prefix):
	breaker = make_breaker(redis_server, key_prefix, failure_threshold=10, cooldown=60)
	breaker.record_failure(FailureType.AUTH, "HTTP 401")
	with pytest.raises(CircuitOpenError):
		breaker.before_call()
	assert breaker.state().state == "open"


def test_record_and_rate_limit_failures_do_not_open_the_circuit(redis_server, key_prefix):
	breaker = make_breaker(redis_server, key_prefix, failure_threshold=1)
	breaker.record_failure(FailureType.RECORD, "HTTP 422")
	breaker.record_failure(FailureType.RATE_LIMITED, "HTTP 429")
	breaker.before_call()


def test_half_open_lets_exactly_one_probe_through_then_closes_on_success(redis_server, key_prefix):
	breaker = make_breaker(redis_server, key_prefix, failure_threshold=1, cooldown=0.3)
	other_worker = make_breaker(redis_server, key_prefix, failure_threshold=1, cooldown=0.3)
	breaker.record_failure(FailureType.TRANSIENT)
	with pytest.raises(CircuitOpenError):
		breaker.before_call()
	time.sleep(0.35)

	breaker.before_call()  # the probe
	with pytest.raises(CircuitOpenError):
		other_worker.before_call()  # a second caller waits for the probe's verdict
	breaker.record_success()
	other_worker.before_call()
	assert other_worker.state().state == "closed"


def test_failed_probe_opens_the_circuit_again(redis_server, key_prefix):
	breaker = make_breaker(redis_server, key_prefix, failure_threshold=2, cooldown=0.3)
	breaker.record_failure(FailureType.TRANSIENT)
	breaker.record_failure(FailureType.TRANSIENT)
	time.sleep(0.35)
	breaker.before_call()
	breaker.record_failure(FailureType.TRANSIENT, "probe failed")  # one failure in half-open is enough
	with pytest.raises(CircuitOpenError) as caught:
		breaker.before_call()
	assert "probe failed" in str(caught.value)


def _run_in_another_process(key_prefix: str, code: str) -> None:
	script = textwrap.dedent(
		f"""
		import redis
		from scoopjoy.kernel.circuit_breaker import CircuitBreaker
		from scoopjoy.kernel.errors import FailureType
		breaker = CircuitBreaker(redis.Redis.from_url({REDIS_URL!r}), "shopify:acme",
			key_prefix={key_prefix!r}, failure_threshold=3, cooldown=30)
		"""
	) + textwrap.dedent(code)
	subprocess.run([sys.executable, "-c", script], check=True, timeout=30)


def test_the_breaker_is_shared_between_two_processes(redis_server, key_prefix):
	breaker = make_breaker(redis_server, key_prefix, cooldown=30)
	_run_in_another_process(key_prefix, "breaker.record_failure(FailureType.AUTH, 'HTTP 401 in worker 2')")

	with pytest.raises(CircuitOpenError) as caught:
		breaker.before_call()
	assert "worker 2" in str(caught.value)

	breaker.record_success()  # e.g. an admin fixed the token and "Test connection" succeeded
	_run_in_another_process(key_prefix, "breaker.before_call()")  # raises (exit 1) if still open
