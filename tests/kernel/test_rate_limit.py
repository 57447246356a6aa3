"""The shared budget seen from the workers: together they never exceed the provider's rate,
they slow down when the provider says the budget is low, and a long wait defers the work."""

import threading
import time

import pytest

from scoopjoy.kernel.errors import RateLimitedError
from scoopjoy.kernel.rate_limit import Budget, RateLimiter


def make_limiter(redis_server, key_prefix, **kwargs) -> RateLimiter:
	kwargs.setdefault("capacity", 5)
	kwargs.setdefault("refill_per_second", 10)
	return RateLimiter(redis_server, "shopify:acme", key_prefix=key_prefix, service="Shopify", **kwargs)


def test_a_burst_up_to_capacity_does_not_wait(redis_server, key_prefix):
	limiter = make_limiter(redis_server, key_prefix)
	waits = [limiter.acquire() for _ in range(5)]
	assert waits == [0.0] * 5


def test_four_workers_together_stay_within_the_refill_rate(redis_server, key_prefix):
	# Four "workers" (threads, each with its own limiter object) share one bucket of 5 tokens
	# refilled at 20/s: 45 calls need at least (45 - 5) / 20 = 2.0 s, whoever makes them.
	started = time.monotonic()
	stamps: list[float] = []
	lock = threading.Lock()

	def worker():
		limiter = make_limiter(redis_server, key_prefix, refill_per_second=20)
		for _ in range(45 // 4 + 1):
			limiter.acquire()
			with lock:
				stamps.append(time.monotonic() - started)

	threads = [threading.Thread(target=worker) for _ in range(4)]
	for t in threads:
		t.start()
	for t in threads:
		t.join()
	stamps.sort()
	assert len(stamps) == 48
	# the 45th call cannot have happened before 2.0 s (small tolerance for clock granularity)
	assert stamps[44] >= 1.9
	# and no second ever carried more than capacity + rate calls
	for i, stamp in enumerate(stamps):
		in_window = [s for s in stamps[i:] if s < stamp + 1.0]
		assert len(in_window) <= 5 + 20 + 1


def test_provider_signal_lowers_the_budget_before_a_429(redis_server, key_prefix):
	limiter = make_limiter(redis_server, key_prefix, capacity=40, refill_per_second=2)
	# Shopify says "39 of 40 used": only 1 call left although our own bucket is full
	limiter.observe(Budget(available=1, capacity=40, refill_per_second=2))
	assert limiter.acquire() == 0.0
	wait = limiter.acquire()
	assert 0.3 <= wait <= 0.6  # waited for half a second of refill instead of calling


def test_penalize_honours_retry_after_for_every_worker(redis_server, key_prefix):
	limiter = make_limiter(redis_server, key_prefix, max_wait=0.5)
	other = make_limiter(redis_server, key_prefix, max_wait=0.5)
	limiter.penalize(5)
	with pytest.raises(RateLimitedError) as caught:
		other.acquire()
	assert caught.value.retry_after > 4.5
	assert "deferred" in str(caught.value)


def test_a_refused_reservation_takes_no_tokens(redis_server, key_prefix):
	limiter = make_limiter(redis_server, key_prefix, capacity=2, refill_per_second=1, max_wait=0.1)
	limiter.acquire(2)
	with pytest.raises(RateLimitedError):
		limiter.acquire(1)
	assert limiter.available() == pytest.approx(0, abs=0.2)


def test_an_exact_budget_gives_back_points_the_provider_did_not_spend(redis_server, key_prefix):
	"""Shopify GraphQL reserves a query's requested cost and refunds the unused part: its
	currentlyAvailable is the truth even when it is above our reservation."""
	limiter = RateLimiter(redis_server, "exact", capacity=1000, refill_per_second=1, key_prefix=key_prefix)
	limiter.acquire(800)  # the requested cost
	assert limiter.available() < 250
	assert limiter.observe(Budget(available=900, exact=True)) >= 900  # only 100 were used
	assert limiter.observe(Budget(available=950)) < 950  # a plain budget only ever lowers
