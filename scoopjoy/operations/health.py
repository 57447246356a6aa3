"""The facts about each connector, gathered once for the health check, the status page and alerts.

Sources: the connector's Settings (enabled, schedule), its circuit breaker in Redis, the Connector
Request Log (calls and failures; successful calls are counted only while "Log successful calls"
is on), Integration Dead Letter (work not done yet), the RQ queues (jobs waiting, and for how
long) and the last-success marks (``scoopjoy.reliability.activity``). The rules that turn facts
into incidents are in the kernel (``scoopjoy.kernel.health``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

import frappe
from frappe.query_builder import Case
from frappe.query_builder.functions import Count, Min, Sum
from frappe.utils import add_to_date, cint, flt, now_datetime

from scoopjoy.connectors.base import BaseConnector
from scoopjoy.kernel.errors import ConfigError
from scoopjoy.kernel.health import AlertThresholds, ConnectorFacts, find_incidents, overall_status
from scoopjoy.reliability.activity import forget_watch, last_success, watching_since
from scoopjoy.reliability.jobs import job_id_prefix, site_job_id
from scoopjoy.reliability.runtime import scoopjoy_settings

#: every connector's Settings, in the order the status page lists them (Shopify: one per store)
CONNECTOR_SETTINGS = (
	"Shopify Store",
	"WhatsApp Settings",
	"Mobile App Settings",
	"Google Contacts Settings",
	"Shipping Settings",
)
#: the connector whose Settings are a record per account, not a Single
PER_ACCOUNT = {"Shopify Store"}
OPEN_DEAD_LETTER_STATUSES = ("Open", "Retrying", "Gave Up")
#: at most this many waiting jobs are read per queue (the lag is the oldest one's age)
QUEUE_SCAN_LIMIT = 1000


def connectors() -> list[BaseConnector]:
	return [
		_per_account(doctype) if doctype in PER_ACCOUNT else frappe.get_single(doctype).get_connector()
		for doctype in CONNECTOR_SETTINGS
	]


def _per_account(doctype: str) -> BaseConnector:
	"""One connector stands for all the accounts (Shopify stores) of a service, as calls and dead
	letters are counted per service: the one whose circuit is open, else the first enabled one
	(its schedule), else the first. No account yet: an unsaved record, which is disabled and not
	configured."""
	docs = [
		frappe.get_doc(doctype, name) for name in frappe.get_all(doctype, pluck="name", order_by="creation")
	]
	found = [doc.get_connector() for doc in docs] or [frappe.new_doc(doctype).get_connector()]

	def rank(connector) -> tuple:
		try:
			state = connector.breaker.state().state
		except (ConfigError, NotImplementedError):
			state = "unknown"
		return (state != "open", not connector.is_enabled())

	return min(found, key=rank)


def connector_names() -> list[str]:
	"""The app's connectors as they name themselves in logs and dead letters (no test connectors)."""
	return [connector.service_name for connector in connectors()]


def alert_thresholds() -> AlertThresholds:
	settings = scoopjoy_settings()
	return AlertThresholds(
		error_rate_percent=flt(settings.alert_error_rate_percent),
		error_rate_window_minutes=cint(settings.alert_error_rate_window_minutes) or 15,
		error_rate_min_calls=cint(settings.alert_error_rate_min_calls),
		circuit_open=bool(settings.alert_on_circuit_open),
		dead_letter_max_age_hours=flt(settings.alert_dead_letter_age_hours),
		no_success_hours=flt(settings.alert_no_sync_hours),
	)


def health_report() -> dict:
	"""Everything the health check returns; also what the alert job evaluates."""
	thresholds = alert_thresholds()
	facts = gather_facts(thresholds)
	incidents = find_incidents(facts, thresholds)
	status = overall_status(facts, incidents)
	return {
		"status": status,
		"status_reason": status_reason(status, incidents),
		"checked_at": now_datetime().isoformat(sep=" ", timespec="seconds"),
		"scheduler_active": not _scheduler_disabled(),
		"connectors": [fact.as_dict() for fact in facts],
		"incidents": [
			{"connector": incident.connector, "reason": incident.reason, "message": incident.message}
			for incident in incidents
		],
		"thresholds": thresholds.__dict__,
		"facts": facts,  # dropped by the API (not JSON); the alert job uses them
	}


def status_reason(status: str, incidents) -> str:
	"""Why the status is what it is, in one line: the conditions found right now (they may not be
	alerted yet: the alert job opens incidents every 5 minutes, and only while the scheduler runs)."""
	if not incidents:
		return "Every enabled connector is within its alert thresholds."
	found = "; ".join(f"{incident.connector}: {incident.reason}" for incident in incidents)
	return f"{status.capitalize()} because of {found}."


def gather_facts(thresholds: AlertThresholds) -> list[ConnectorFacts]:
	now = now_datetime()
	calls = _call_counts(now, thresholds.error_rate_window_minutes)
	letters = _dead_letter_counts()
	queued = _queued_jobs()
	return [_facts_for(connector, now, calls, letters, queued) for connector in connectors()]


def _facts_for(connector: BaseConnector, now: datetime, calls, letters, queued) -> ConnectorFacts:
	name = connector.service_name
	configured, breaker = True, None
	try:
		breaker = connector.breaker.state()
	except (ConfigError, NotImplementedError):
		configured = False  # no account to key the breaker on: nothing was ever sent
	success = last_success(name)
	if success:
		forget_watch(name)
		hours_without = (now - success).total_seconds() / 3600
	else:
		hours_without = (now - watching_since(name)).total_seconds() / 3600
	call = calls.get(name, {})
	letter = letters.get(name, {})
	oldest_letter = letter.get("oldest")
	queue = queued.get(job_id_prefix(name), {})
	return ConnectorFacts(
		connector=name,
		enabled=connector.is_enabled(),
		configured=configured,
		breaker_state=breaker.state if breaker else "unknown",
		breaker_reason=breaker.last_reason if breaker else "",
		breaker_open_until=_utc_text(breaker.open_until) if breaker and breaker.open_until else None,
		window_calls=cint(call.get("window_calls")),
		window_failures=cint(call.get("window_failures")),
		calls_24h=cint(call.get("calls")),
		failures_24h=cint(call.get("failures")),
		open_dead_letters=cint(letter.get("count")),
		oldest_dead_letter_hours=round((now - oldest_letter).total_seconds() / 3600, 2)
		if oldest_letter
		else None,
		last_success_at=success.isoformat(sep=" ") if success else None,
		hours_without_success=round(hours_without, 2),
		expected_interval_minutes=connector.expected_sync_interval_minutes() if configured else None,
		queued_jobs=queue.get("count", 0),
		queue_lag_seconds=queue.get("lag"),
	)


def _call_counts(now: datetime, window_minutes: int) -> dict[str, dict]:
	"""Calls and failures per connector in the last 24 h and in the alert window (one query)."""
	log = frappe.qb.DocType("Connector Request Log")
	window_start = add_to_date(now, minutes=-window_minutes)
	failed = log.outcome == "Failed"
	in_window = log.creation >= window_start
	rows = (
		frappe.qb.from_(log)
		.select(
			log.connector,
			Count("*").as_("calls"),
			Sum(Case().when(failed, 1).else_(0)).as_("failures"),
			Sum(Case().when(in_window, 1).else_(0)).as_("window_calls"),
			Sum(Case().when(failed & in_window, 1).else_(0)).as_("window_failures"),
		)
		.where(log.creation >= add_to_date(now, hours=-24))
		.groupby(log.connector)
	).run(as_dict=True)
	return {row.connector: row for row in rows}


def _dead_letter_counts() -> dict[str, dict]:
	letter = frappe.qb.DocType("Integration Dead Letter")
	rows = (
		frappe.qb.from_(letter)
		.select(letter.connector, Count("*").as_("count"), Min(letter.creation).as_("oldest"))
		.where(letter.status.isin(OPEN_DEAD_LETTER_STATUSES))
		.groupby(letter.connector)
	).run(as_dict=True)
	return {row.connector: row for row in rows}


def _queued_jobs() -> dict[str, dict]:
	"""Jobs of this site waiting in RQ, by job id prefix: how many, and how long the oldest waits."""
	from frappe.utils.background_jobs import get_queues

	site_prefix = site_job_id()
	now = datetime.now(timezone.utc)
	found: dict[str, dict] = defaultdict(lambda: {"count": 0, "lag": None})
	for queue in get_queues():
		for job in queue.get_jobs(0, QUEUE_SCAN_LIMIT):
			if not job or not job.id.startswith(site_prefix):
				continue
			prefix = _job_prefix(job.id.removeprefix(site_prefix))
			waited = _seconds_since(job.enqueued_at, now)
			entry = found[prefix]
			entry["count"] += 1
			if waited is not None and (entry["lag"] is None or waited > entry["lag"]):
				entry["lag"] = round(waited, 1)
	return found


def _job_prefix(job_id: str) -> str:
	"""``scoopjoy-shopify-<hash>`` -> ``scoopjoy-shopify-`` (the part job_id_prefix() makes)."""
	return job_id.rsplit("-", 1)[0] + "-" if job_id.startswith("scoopjoy-") else ""


def _seconds_since(moment: datetime | None, now: datetime) -> float | None:
	if moment is None:
		return None
	if moment.tzinfo is None:  # rq stores UTC, naive in some versions
		moment = moment.replace(tzinfo=timezone.utc)
	return max(0.0, (now - moment).total_seconds())


def _utc_text(epoch: float) -> str:
	return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _scheduler_disabled() -> bool:
	from frappe.utils.scheduler import is_scheduler_disabled

	return bool(is_scheduler_disabled(verbose=False))
