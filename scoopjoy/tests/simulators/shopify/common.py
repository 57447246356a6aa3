"""Helpers shared by the modules of the Shopify simulator: global ids, Shopify's DateTime, the shop's
time zone, and GraphQL field errors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from graphql import GraphQLError

_GID_RE = re.compile(r"\Agid://shopify/(\w+)/(\d+)(?:\?.*)?\Z")


def gid(kind: str, number: int) -> str:
	return f"gid://shopify/{kind}/{number}"


def parse_gid(value: Any, kind: str | None = None) -> int | None:
	"""The number in ``gid://shopify/<kind>/<n>`` (or a bare number); None when it is not one."""
	if isinstance(value, int) and not isinstance(value, bool):
		return value
	if isinstance(value, str):
		if value.isdigit():
			return int(value)
		m = _GID_RE.match(value)
		if m and (kind is None or m.group(1) == kind):
			return int(m.group(2))
	return None


def to_iso(value: datetime | str | None) -> str | None:
	"""UTC ``YYYY-MM-DDTHH:MM:SSZ`` (Shopify's DateTime) from a datetime or an ISO string."""
	if value is None:
		return None
	dt = parse_datetime(value) if isinstance(value, str) else value
	if dt is None:
		raise ValueError(f"not a date-time: {value!r}")
	if dt.tzinfo is None:
		dt = dt.replace(tzinfo=timezone.utc)
	return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: str, default_tz: timezone = timezone.utc) -> datetime | None:
	text = value.strip()
	if text.endswith("Z") or text.endswith("z"):
		text = text[:-1] + "+00:00"
	try:
		dt = datetime.fromisoformat(text)
	except ValueError:
		return None
	if dt.tzinfo is None:
		dt = dt.replace(tzinfo=default_tz)
	return dt


def _shop_zone(name: str, offset_minutes: int) -> tzinfo:
	"""The shop's zone: an IANA name (other than UTC) wins over a fixed offset in minutes."""
	if name and name.upper() != "UTC":
		return ZoneInfo(name)
	return timezone(timedelta(minutes=offset_minutes))


def _field_error(message: str, code: str, **extensions: Any) -> GraphQLError:
	return GraphQLError(message, extensions={"code": code, **extensions})
