"""Retry policy: exponential backoff with jitter and a cap, ``Retry-After`` honoured, and POST/PATCH
retried only when the call is safe to repeat.

Built on ``urllib3.util.Retry`` (the retry loop inside ``requests``), with three changes:

- the first retry already waits (urllib3 waits 0 s before it): a service that just failed is
  given ``base`` seconds, then ``2 x base``... up to ``cap``, each with "equal jitter" (half
  fixed, half random) so that many workers do not come back at the same instant;
- a ``Retry-After`` longer than ``max_retry_after`` is not slept through inside a worker: the
  response is handed back so the caller can park the work (dead letter with ``next_retry_at``)
  instead of blocking a queue for minutes;
- every attempt is written to a journal, so the call log says "503, 503, 200" and how many
  attempts a call took, even when the last attempt raised.

Why POST is special: a read timeout after a POST means the server may have acted on it;
repeating it without an idempotency key can create a second order. (Stripe's clients retry
POSTs only because every POST carries an ``Idempotency-Key``:
https://docs.stripe.com/api/idempotent_requests.)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from scoopjoy.kernel.errors import RETRY_STATUSES, parse_retry_after

#: methods that HTTP defines as idempotent (RFC 9110 §9.2.2): safe to send twice
IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


def backoff_delay(retry_number: int, base: float, cap: float, rng: random.Random | None = None) -> float:
	"""Seconds to wait before retry ``retry_number`` (1 for the first retry).

	Exponential (``base * 2**(n-1)``), capped, with equal jitter: the result lies in
	``[d/2, d]`` so it never collapses to zero and never exceeds the cap.
	"""
	if retry_number < 1 or base <= 0:
		return 0.0
	delay = min(cap, base * (2 ** (retry_number - 1)))
	draw = (rng or random).random()
	return delay / 2 + draw * delay / 2


@dataclass(frozen=True)
class AttemptRecord:
	"""An attempt that was followed by a retry (the final attempt is the call's own outcome)."""

	status: int | None
	error: str | None


@dataclass
class RetryPolicy:
	"""How hard the transport tries. One instance per connector class, declared, not coded."""

	max_retries: int = 3
	backoff_base: float = 0.5
	backoff_cap: float = 30.0
	max_retry_after: float = 60.0  # longer waits are handed to the caller (deferred work)
	retry_statuses: frozenset[int] = field(default_factory=lambda: RETRY_STATUSES)

	def retry_for(self, method: str, idempotent: bool | None, journal: list[AttemptRecord]) -> Retry:
		"""The urllib3 ``Retry`` for one call.

		``idempotent``: True when the call carries an idempotency key or the endpoint is declared
		safe to repeat (e.g. a GraphQL query sent as POST); False forbids retrying even a PUT;
		None follows HTTP's definition of the method.
		"""
		method = method.upper()
		methods = set(IDEMPOTENT_METHODS)
		if idempotent is True:
			methods.add(method)
		elif idempotent is False:
			methods.discard(method)
		return JournaledRetry(
			total=self.max_retries,
			connect=self.max_retries,
			read=self.max_retries,
			status=self.max_retries,
			other=0,
			redirect=5,
			allowed_methods=frozenset(methods),
			status_forcelist=self.retry_statuses,
			backoff_factor=self.backoff_base,
			backoff_max=self.backoff_cap,
			raise_on_status=False,  # the last response comes back and is classified by us
			raise_on_redirect=False,
			respect_retry_after_header=True,
			max_retry_after=self.max_retry_after,
			journal=journal,
		)


class JournaledRetry(Retry):
	"""urllib3 ``Retry`` that journals attempts, waits on the first retry, and caps Retry-After."""

	def __init__(self, *args, max_retry_after: float = 60.0, journal: list | None = None, **kwargs):
		super().__init__(*args, **kwargs)
		self.max_retry_after = max_retry_after
		self.journal = journal if journal is not None else []

	def new(self, **kw):
		kw.setdefault("max_retry_after", self.max_retry_after)
		kw.setdefault("journal", self.journal)
		return super().new(**kw)

	def parse_retry_after(self, retry_after: str) -> float:
		"""Fractional seconds too: Shopify REST sends ``Retry-After: 2.0``, which urllib3's own parser
		rejects with InvalidHeader (a failed call instead of a wait). Unreadable: the usual backoff."""
		return parse_retry_after(retry_after) or 0.0

	def get_backoff_time(self) -> float:
		retries_so_far = 0
		for entry in reversed(self.history):
			if entry.redirect_location is not None:
				break
			retries_so_far += 1
		return backoff_delay(retries_so_far, self.backoff_factor, self.backoff_max)

	def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
		if response is not None:
			wait = parse_retry_after(response.headers.get("Retry-After"))
			if wait is not None and wait > self.max_retry_after:
				# Hand the response back (urlopen returns it when raise_on_status is False):
				# the caller defers the work rather than sleeping this long in a worker.
				raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {wait:.0f}s is too long to wait"))
		retry = super().increment(method, url, response, error, _pool, _stacktrace)
		# Only attempts that are followed by another one are journaled, so a call took
		# len(journal) + 1 attempts whatever its outcome.
		self.journal.append(
			AttemptRecord(
				status=response.status if response is not None else None,
				error=type(error).__name__ if error is not None else None,
			)
		)
		return retry
