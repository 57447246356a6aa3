"""A circuit breaker per connector account whose state lives in Redis, so every worker sees it.

Why: when a service is down (or our token was revoked), each background worker hammering it
adds load, fills the logs and burns rate limit. After ``failure_threshold`` consecutive
service failures (or one auth/config failure) the circuit *opens*: callers get a
:class:`CircuitOpenError` that says until when, without a network call. After ``cooldown``
seconds one caller is let through as a *probe* (half-open); its success closes the circuit,
its failure opens it again. Decisions are made inside Lua scripts with Redis' own clock, so
two workers on two machines agree on the state and on the time.

Pattern: https://martinfowler.com/bliki/CircuitBreaker.html
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from scoopjoy.kernel.errors import CircuitOpenError, FailureType, resolution_for

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# KEYS[1] breaker hash; ARGV[1] probe lease seconds; ARGV[2] ttl seconds
# returns {allowed (0/1), state, open_until (string), failures, last_reason}
_ALLOW = (
	_NOW
	+ """
local key = KEYS[1]
local state = redis.call('HGET', key, 'state') or 'closed'
local open_until = tonumber(redis.call('HGET', key, 'open_until') or '0')
local failures = tonumber(redis.call('HGET', key, 'failures') or '0')
local reason = redis.call('HGET', key, 'last_reason') or ''
if state == 'closed' then
	return {1, state, tostring(open_until), failures, reason}
end
if state == 'open' and now < open_until then
	return {0, state, tostring(open_until), failures, reason}
end
local probe_until = tonumber(redis.call('HGET', key, 'probe_until') or '0')
if state == 'half_open' and now < probe_until then
	return {0, state, tostring(probe_until), failures, reason}
end
-- cool-down over (or the last probe never reported back): this caller is the probe
redis.call('HSET', key, 'state', 'half_open', 'probe_until', tostring(now + tonumber(ARGV[1])))
redis.call('EXPIRE', key, tonumber(ARGV[2]))
return {1, 'half_open', tostring(open_until), failures, reason}
"""
)

# KEYS[1]; returns previous state
_SUCCESS = """
local previous = redis.call('HGET', KEYS[1], 'state') or 'closed'
redis.call('DEL', KEYS[1])
return previous
"""

# KEYS[1]; ARGV[1] threshold; ARGV[2] cooldown; ARGV[3] open_now (0/1); ARGV[4] reason; ARGV[5] ttl
# returns {state, open_until, failures}
_FAILURE = (
	_NOW
	+ """
local key = KEYS[1]
local state = redis.call('HGET', key, 'state') or 'closed'
local failures = redis.call('HINCRBY', key, 'failures', 1)
redis.call('HSET', key, 'last_reason', ARGV[4])
local open_until = tonumber(redis.call('HGET', key, 'open_until') or '0')
if state == 'half_open' or ARGV[3] == '1' or failures >= tonumber(ARGV[1]) then
	open_until = now + tonumber(ARGV[2])
	redis.call('HSET', key, 'state', 'open', 'open_until', tostring(open_until))
	redis.call('HDEL', key, 'probe_until')
	state = 'open'
end
redis.call('EXPIRE', key, tonumber(ARGV[5]))
return {state, tostring(open_until), failures}
"""
)


@dataclass(frozen=True)
class BreakerState:
	state: str  # closed | open | half_open
	failures: int
	open_until: float | None  # epoch seconds, when open
	last_reason: str

	@property
	def is_open(self) -> bool:
		return self.state != "closed"


class CircuitBreaker:
	"""Shared breaker for one connector account (e.g. ``shopify:acme.myshopify.com``).

	``redis_client`` is a ``redis.Redis``; the Frappe layer passes one built from the site's
	``redis_cache`` URL, tests pass one for 127.0.0.1.
	"""

	def __init__(
		self,
		redis_client,
		name: str,
		*,
		failure_threshold: int = 5,
		cooldown: float = 60.0,
		probe_lease: float | None = None,
		service: str | None = None,
		key_prefix: str = "scoopjoy:breaker:",
	):
		if failure_threshold < 1:
			raise ValueError("failure_threshold must be at least 1")
		if cooldown <= 0:
			raise ValueError("cooldown must be positive")
		self.redis = redis_client
		self.name = name
		self.service = service or name
		self.failure_threshold = failure_threshold
		self.cooldown = float(cooldown)
		self.probe_lease = float(probe_lease or max(cooldown, 30.0))
		self.key = f"{key_prefix}{name}"
		self._ttl = int(max(3600, self.cooldown * 10))
		self._allow = redis_client.register_script(_ALLOW)
		self._success = redis_client.register_script(_SUCCESS)
		self._failure = redis_client.register_script(_FAILURE)

	def before_call(self) -> None:
		"""Raise :class:`CircuitOpenError` if the service must not be called now."""
		allowed, _state, until, failures, reason = self._allow(
			keys=[self.key], args=[self.probe_lease, self._ttl]
		)
		if int(allowed):
			return
		open_until = float(until)
		wait = max(0.0, open_until - time.time())
		when = datetime.fromtimestamp(open_until, tz=timezone.utc).strftime("%H:%M:%S UTC")
		why = _decode(reason) or "repeated failures"
		raise CircuitOpenError(
			f"{self.service} is not being called: the circuit is open until {when} (about {wait:.0f}s) after "
			f"{int(failures)} failure(s), last: {why}. Calls resume by themselves after a successful probe; "
			"check the connector's Settings and the service's status page meanwhile.",
			open_until=open_until,
			retry_after=wait,
			service=self.service,
		)

	def record_success(self) -> str:
		"""Close the circuit (and forget the failures). Returns the state it was in."""
		return _decode(self._success(keys=[self.key]))

	def record_failure(self, failure_type: FailureType | str, reason: str = "") -> BreakerState:
		resolution = resolution_for(failure_type)
		if not resolution.counts_as_service_failure:
			return self.state()
		state, until, failures = self._failure(
			keys=[self.key],
			args=[
				self.failure_threshold,
				self.cooldown,
				1 if resolution.opens_circuit else 0,
				(reason or str(resolution.failure_type))[:200],
				self._ttl,
			],
		)
		state = _decode(state)
		return BreakerState(
			state=state,
			failures=int(failures),
			open_until=float(until) if state == "open" else None,
			last_reason=reason,
		)

	def state(self) -> BreakerState:
		raw = {_decode(k): _decode(v) for k, v in self.redis.hgetall(self.key).items()}
		state = raw.get("state", "closed")
		return BreakerState(
			state=state,
			failures=int(raw.get("failures", 0)),
			open_until=float(raw["open_until"]) if state != "closed" and raw.get("open_until") else None,
			last_reason=raw.get("last_reason", ""),
		)

	def reset(self) -> None:
		self.redis.delete(self.key)


def _decode(value) -> str:
	if isinstance(value, bytes):
		return value.decode()
	return "" if value is None else str(value)
