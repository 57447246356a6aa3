"""Site-level resources the connectors share: the ScoopJoy Settings, a Redis client, and the
integration user background work runs as (``as_integration_user``: jobs run and dead letters replay
with it)."""

from __future__ import annotations

from contextlib import contextmanager

import frappe
import redis

_clients: dict[str, redis.Redis] = {}


def get_redis() -> redis.Redis:
	"""A client for the site's cache Redis (breaker and rate-limit state live there).

	Built from ``redis_cache`` in the site config rather than ``frappe.cache``, whose shape differs
	between Frappe v15 and v16; one client per URL per process.
	"""
	url = frappe.conf.get("redis_cache") or "redis://127.0.0.1:13000"
	client = _clients.get(url)
	if client is None:
		client = _clients[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
	return client


def noted_in_transaction(name: str) -> set:
	"""What this transaction noted under ``name`` (see :func:`note_in_transaction`); read only."""
	return getattr(frappe.local, name, None) or set()


def note_in_transaction(name: str, item) -> None:
	"""Note ``item`` under ``name`` until this transaction commits or rolls back.

	Why the clearing is registered by the first note of each transaction: Frappe runs its
	after_commit / after_rollback callbacks once and drops them (a commit drops the rollback ones,
	a rollback the commit ones), so a clearing registered only once would clear once."""
	noted = getattr(frappe.local, name, None)
	if noted is None:
		noted = set()
		setattr(frappe.local, name, noted)
	if not noted:
		frappe.db.after_commit.add(noted.clear)
		frappe.db.after_rollback.add(noted.clear)
	noted.add(item)


def scoopjoy_settings():
	return frappe.get_cached_doc("ScoopJoy Settings")


def integration_user() -> str:
	"""The user background work runs as. Never Administrator: permissions and audit trails apply."""
	user = scoopjoy_settings().integration_user
	if not user:
		from scoopjoy.kernel.errors import ConfigError

		raise ConfigError(
			"No integration user is set in ScoopJoy Settings. Set one (a System User with the sales, "
			"stock and accounts roles the connectors need); the parked work is retried afterwards.",
			service="ScoopJoy Connect",
		)
	return user


@contextmanager
def as_integration_user():
	"""Run the block as the configured integration user, then restore the caller.

	Inside a web request the caller's session comes back whole: ``frappe.set_user`` replaces the
	session id and data (and the form dict), and on Frappe v16 a request that ends with them
	replaced logs the person out."""
	session = getattr(frappe.local, "session", None)
	previous = session.user if session else None
	saved = (session.sid, session.data, frappe.local.form_dict) if session else None
	user = integration_user()
	if previous != user:
		frappe.set_user(user)
	try:
		yield user
	finally:
		if previous and previous != user:
			frappe.set_user(previous)
			frappe.local.session.sid, frappe.local.session.data, frappe.local.form_dict = saved


def connection_of_this_site():
	"""A context manager factory for another thread: inside it, that thread has this site and this
	user with a database connection of its own, committed when the block ends well and rolled back
	otherwise (what it writes, the call log of what it read, is its own unit of work).

	Why a connection of its own: a Frappe connection belongs to one thread, and the work a reader
	thread does must not ride in the caller's transaction (nor wait for its commit)."""
	site, sites_path = frappe.local.site, frappe.local.sites_path
	user = frappe.session.user
	in_test = bool(frappe.flags.in_test)

	@contextmanager
	def connection():
		frappe.init(site=site, sites_path=sites_path)
		try:
			frappe.connect()
			frappe.flags.in_test = in_test
			frappe.set_user(user)
			try:
				yield
			except BaseException:
				frappe.db.rollback()
				raise
			frappe.db.commit()  # nosemgrep: this thread's unit of work ends here
		finally:
			frappe.destroy()

	return connection
