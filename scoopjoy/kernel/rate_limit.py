"""A token bucket shared by every worker (state in Redis), fed by what the provider says.

Why: the provider's limit is per store/app, not per worker. Ten RQ workers that each keep
their own counter will together exceed it and collect 429s. One bucket in Redis, updated by
an atomic Lua script on Redis' own clock, paces them all. Each call *reserves* its tokens
(the bucket may go below zero) and sleeps for exactly its turn, so waiting callers are served
in order instead of retrying in a herd.

Providers also tell us how much budget is left (Shopify REST ``X-Shopify-Shop-Api-Call-Limit``,
Shopify GraphQL ``extensions.cost.throttleStatus``, ``X-RateLimit-Remaining``). :meth:`observe`
lowers our bucket to what the provider reports, so we slow down *before* a 429; :meth:`penalize`
empties it for a ``Retry-After`` when a 429 arrives anyway. A budget marked ``exact`` also raises
the bucket: Shopify GraphQL reserves a query's *requested* cost and gives back what it did not use,
and its ``currentlyAvailable`` already includes that refund; keeping our lower reservation would
make us wait for points Shopify never spent.

Shopify's leaky bucket: https://shopify.dev/docs/api/usage/limits
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from scoopjoy.kernel.errors import RateLimitedError

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# Refill the bucket to `now`; leaves `tokens`, `capacity`, `rate` set.
_REFILL = """
local key = KEYS[1]
local capacity = tonumber(redis.call('HGET', key, 'capacity') or ARGV[1])
local rate = tonumber(redis.call('HGET', key, 'rate') or ARGV[2])
local tokens = tonumber(redis.call('HGET', key, 'tokens') or tostring(capacity))
local stamp = tonumber(redis.call('HGET', key, 'stamp') or tostring(now))
if now > stamp then
	tokens = math.min(capacity, tokens + (now - stamp) * rate)
end
"""

# ARGV: capacity, rate, cost, max_wait, ttl -> {granted 0/1, wait seconds}
_ACQUIRE = (
	_NOW
	+ _REFILL
	+ """
local cost = tonumber(ARGV[3])
local wait = 0
if tokens < cost then
	wait = (cost - tokens) / rate
end
if wait > tonumber(ARGV[4]) then
	redis.call('HSET', key, 'tokens', tostring(tokens), 'stamp', tostring(now))
	redis.call('EXPIRE', key, tonumber(ARGV[5]))
	return {0, tostring(wait)}
end
redis.call('HSET', key, 'tokens', tostring(tokens - cost), 'stamp', tostring(now))
redis.call('EXPIRE', key, tonumber(ARGV[5]))
return {1, tostring(wait)}
"""
)

# ARGV: capacity, rate, available, new_capacity ('' keeps), new_rate ('' keeps), ttl, exact (1/0)
_OBSERVE = (
	_NOW
	+ _REFILL
	+ """
if ARGV[4] ~= '' then capacity = tonumber(ARGV[4]) end
if ARGV[5] ~= '' then rate = tonumber(ARGV[5]) end
local available = tonumber(ARGV[3])
if available < tokens or ARGV[7] == '1' then tokens = available end
redis.call('HSET', key, 'tokens', tostring(tokens), 'stamp', tostring(now),
	'capacity', tostring(capacity), 'rate', tostring(rate))
redis.call('EXPIRE', key, tonumber(ARGV[6]))
return tostring(tokens)
"""
)

# ARGV: capacity, rate, seconds, ttl: no tokens until `seconds` from now
_PENALIZE = (
	_NOW
	+ _REFILL
	+ """
local floor = -tonumber(ARGV[3]) * rate
if floor < tokens then tokens = floor end
redis.call('HSET', key, 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', key, tonumber(ARGV[4]))
return tostring(tokens)
"""
)


@dataclass(frozen=True)
class Budget:
	"""What a provider reported about our remaining budget, in the bucket's units."""

	available: float
	capacity: float | None = None
	refill_per_second: float | None = None
	#: the provider's number is the whole truth (also when it is higher than ours)
	exact: bool = False


#: reads a Budget from a response (or returns None when the response says nothing)
BudgetReader = Callable[[object], "Budget | None"]


class RateLimiter:
	"""Token bucket ``capacity`` units, refilled at ``refill_per_second``, shared via Redis."""

	def __init__(
		self,
		redis_client,
		name: str,
		*,
		capacity: float,
		refill_per_second: float,
		max_wait: float = 30.0,
		service: str | None = None,
		key_prefix: str = "scoopjoy:ratelimit:",
		sleep: Callable[[float], None] = time.sleep,
	):
		if capacity <= 0 or refill_per_second <= 0:
			raise ValueError("capacity and refill_per_second must be positive")
		self.redis = redis_client
		self.name = name
		self.service = service or name
		self.capacity = float(capacity)
		self.refill_per_second = float(refill_per_second)
		self.max_wait = float(max_wait)
		self.key = f"{key_prefix}{name}"
		self._ttl = 3600
		self._sleep = sleep
		self._acquire = redis_client.register_script(_ACQUIRE)
		self._observe = redis_client.register_script(_OBSERVE)
		self._penalize = redis_client.register_script(_PENALIZE)

	def acquire(self, cost: float = 1.0) -> float:
		"""Reserve ``cost`` units, sleeping for our turn; returns the seconds waited.

		Raises :class:`RateLimitedError` (without reserving) when the wait would exceed
		``max_wait``: the caller should defer the work instead of blocking a worker.
		"""
		granted, wait = self._acquire(
			keys=[self.key],
			args=[self.capacity, self.refill_per_second, float(cost), self.max_wait, self._ttl],
		)
		wait = float(wait)
		if not int(granted):
			raise RateLimitedError(
				f"{self.service}: our shared rate budget is used up for the next {wait:.1f}s; "
				"the work is deferred rather than blocking a worker.",
				service=self.service,
				retry_after=wait,
			)
		if wait > 0:
			self._sleep(wait)
		return wait

	def observe(self, budget: Budget) -> float:
		"""Lower the bucket to what the provider reports; returns the tokens now available."""
		tokens = self._observe(
			keys=[self.key],
			args=[
				self.capacity,
				self.refill_per_second,
				float(budget.available),
				"" if budget.capacity is None else float(budget.capacity),
				"" if budget.refill_per_second is None else float(budget.refill_per_second),
				self._ttl,
				"1" if budget.exact else "0",
			],
		)
		return float(tokens)

	def penalize(self, seconds: float) -> None:
		"""The provider said "wait ``seconds``" (a 429): nobody gets a token before then."""
		self._penalize(
			keys=[self.key], args=[self.capacity, self.refill_per_second, float(seconds), self._ttl]
		)

	def available(self) -> float:
		"""Tokens available now (without reserving any)."""
		return self.observe(Budget(available=1e18))  # observing "plenty" changes nothing

	def reset(self) -> None:
		self.redis.delete(self.key)
