"""One worker per order, customer or product until its transaction ends, and what a worker does
when another one committed first.

A Redis lock per record, held until the transaction commits or rolls back, on top of the UNIQUE
indexes: two workers meeting the same new order, customer or product make it once. At MariaDB's
default REPEATABLE READ the one that waited cannot see what the other made (its snapshot is that
of its first read): it raises :class:`StaleSnapshot` and the order is applied again in a fresh
transaction. Imports that commit order by order run at READ COMMITTED (reliability/isolation.py),
where each read sees what is committed, so this is rarer there, and handled the same way.
"""

from __future__ import annotations

from contextlib import contextmanager

import frappe
from redis.exceptions import LockError

from scoopjoy.kernel.errors import TransientError
from scoopjoy.reliability.runtime import get_redis

#: how long a per-order lock lives if its worker dies without releasing it (a SIGKILL, an OOM)
ORDER_LOCK_SECONDS = 300
#: how long a second worker waits for a live one to commit the same order
ORDER_LOCK_WAIT_SECONDS = 30


def _lock_until_transaction_ends(order_id: str, kind: str = "order") -> None:
	"""One worker per order (or per new customer, ``kind="customer"``) until its writes are
	committed or rolled back: two workers importing orders of one new customer make one Customer."""
	held = getattr(frappe.local, "scoopjoy_shopify_locks", None)
	if held is None:
		held = frappe.local.scoopjoy_shopify_locks = {}
	if (kind, order_id) in held:
		return
	key = f"scoopjoy:shopify:{frappe.local.site}:{kind}:{order_id}"
	lock = get_redis().lock(key, timeout=ORDER_LOCK_SECONDS, blocking_timeout=ORDER_LOCK_WAIT_SECONDS)
	ttl = get_redis().ttl(key)  # -2: nobody holds it
	held_for = ORDER_LOCK_SECONDS - ttl if ttl > 0 else 0
	# a live import holds the lock for seconds: one held for minutes belongs to a worker that died
	if held_for > ORDER_LOCK_WAIT_SECONDS * 2 or not lock.acquire():
		# its lock lives until it expires, so the retry waits that long instead of failing meanwhile
		expires_in = max(get_redis().ttl(key), 1)
		raise TransientError(
			f"Shopify: {kind} {order_id} is being imported by another worker (lock free in at most "
			f"{expires_in} s); retried after that.",
			service="Shopify",
			retry_after=expires_in,
		)
	held[(kind, order_id)] = lock

	def release():
		held.pop((kind, order_id), None)
		try:
			lock.release()
		except LockError:  # it expired (a very long transaction): nothing left to release
			pass

	frappe.db.after_commit.add(release)
	frappe.db.after_rollback.add(release)


class StaleSnapshot(TransientError):
	"""Another worker committed a record this transaction's snapshot predates: apply the order again
	in a fresh transaction (it then sees the record). MariaDB's REPEATABLE READ keeps the snapshot
	of the first read, so a record committed by another worker since is not seen until then."""


def _visible(name: str, doctype: str) -> str:
	if not frappe.db.exists(doctype, name):
		raise StaleSnapshot(
			f"Shopify: {doctype} {name} was just created by another worker; applied again in a fresh "
			"transaction.",
			service="Shopify",
		)
	return name


@contextmanager
def made_meanwhile(what: str):
	"""Around an insert guarded by a UNIQUE index: another worker committed the same record after
	this transaction's snapshot was taken (while this one waited for the record's lock), so the
	insert meets the index. That is a StaleSnapshot: applied again in a fresh transaction, which
	finds the record instead of making it."""
	try:
		yield
	except (frappe.DuplicateEntryError, frappe.UniqueValidationError) as error:
		raise StaleSnapshot(
			f"Shopify: another worker just made {what}; applied again in a fresh transaction.",
			service="Shopify",
		) from error
