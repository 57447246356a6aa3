"""When each connector last did good work, for the health check and the "no successful sync" alert.

A success is a provider call that succeeded or an integration job that finished; a menu sync that
had nothing to send makes no call but is still a sync that worked. Kept in the site's cache Redis
(one HSET per success, cheap on the hot path). Redis may lose it on a restart: the health check
then falls back to the newest successful row of the Connector Request Log, and the alert rule
counts "hours without success" from the moment it first noticed the gap, never from the past.
"""

from __future__ import annotations

from datetime import datetime

import frappe
from frappe.utils import get_datetime, now_datetime

from scoopjoy.reliability.runtime import get_redis


def _key(kind: str) -> str:
	return f"scoopjoy:{kind}:{frappe.local.site}"


def mark_success(connector: str, account: str = "") -> None:
	"""A success of the connector, and of its account when it has several (a Shopify store)."""
	# site time (like every datetime Frappe stores), so differences with now_datetime() are right
	stamp = now_datetime().isoformat()
	get_redis().hset(_key("last-success"), connector, stamp)
	if account:
		get_redis().hset(_key("last-success"), f"{connector}|{account}", stamp)


def last_success(connector: str, account: str = "") -> datetime | None:
	"""When the connector (or its account) last succeeded (site time), or None when none is known."""
	value = get_redis().hget(_key("last-success"), f"{connector}|{account}" if account else connector)
	if value:
		return get_datetime(value.decode())
	if account:
		logged = frappe.db.get_value(
			"Connector Request Log",
			{"connector": connector, "account": account, "outcome": "Success"},
			"creation",
			order_by="creation desc",
		)
		return get_datetime(logged) if logged else None
	logged = frappe.db.get_value(
		"Connector Request Log",
		{"connector": connector, "outcome": "Success"},
		"creation",
		order_by="creation desc",
	)
	return get_datetime(logged) if logged else None


def watching_since(connector: str) -> datetime:
	"""Since when we have been waiting for a first success (set the first time we are asked)."""
	key = _key("watching-since")
	get_redis().hsetnx(key, connector, now_datetime().isoformat())
	return get_datetime(get_redis().hget(key, connector).decode())


def forget_watch(connector: str) -> None:
	get_redis().hdel(_key("watching-since"), connector)
