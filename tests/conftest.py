"""Shared fixtures for the kernel tests: the real Redis on 127.0.0.1 (no fakes).

Every test gets its own key prefix and its keys are deleted afterwards, so tests can run next to
a bench that uses the same Redis.
"""

import os
import uuid

import pytest
import redis

REDIS_URL = os.environ.get("SCOOPJOY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_server() -> redis.Redis:
	client = redis.Redis.from_url(REDIS_URL)
	try:
		client.ping()
	except redis.exceptions.ConnectionError as exc:
		pytest.fail(
			f"The kernel tests need the Redis server at {REDIS_URL} ({exc}). Start it "
			"(redis-server --daemonize yes --bind 127.0.0.1) or set SCOOPJOY_TEST_REDIS_URL."
		)
	return client


@pytest.fixture
def key_prefix(redis_server) -> str:
	prefix = f"scoopjoy-test:{uuid.uuid4().hex[:12]}:"
	yield prefix
	for key in redis_server.scan_iter(match=f"{prefix}*"):
		redis_server.delete(key)
