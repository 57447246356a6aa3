"""Is each connector healthy, and which incidents should a person hear about?

Pure rules over facts the Frappe layer gathers (``scoopjoy/operations/health.py``): the same facts
feed the health-check JSON, the Integration Status page and the alert job, so what an
administrator reads, what a monitor polls and what triggers an email can never disagree.

An *incident* is a (connector, reason) pair that stays open while its condition holds. The alert
job opens it once (one email / Slack message) and closes it when the condition clears; a failure
storm under one incident is one alert, not one per failure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

ERROR_RATE = "error rate"
CIRCUIT_OPEN = "circuit open"
DEAD_LETTERS_WAITING = "dead letters waiting"
NO_SUCCESSFUL_SYNC = "no successful sync"

OK, DEGRADED, FAILING = "ok", "degraded", "failing"


@dataclass(frozen=True)
class AlertThresholds:
	"""What ScoopJoy Settings says is worth waking someone for. 0 switches a rule off."""

	error_rate_percent: float = 25.0
	error_rate_window_minutes: int = 15
	#: below this many calls in the window a rate means little (1 failure of 1 call is 100 %)
	error_rate_min_calls: int = 10
	circuit_open: bool = True
	dead_letter_max_age_hours: float = 24.0
	no_success_hours: float = 6.0


@dataclass(frozen=True)
class ConnectorFacts:
	connector: str
	enabled: bool
	configured: bool = True
	#: closed | open | half_open | unknown (no account configured yet)
	breaker_state: str = "closed"
	breaker_reason: str = ""
	breaker_open_until: str | None = None
	window_calls: int = 0
	window_failures: int = 0
	calls_24h: int = 0
	failures_24h: int = 0
	open_dead_letters: int = 0
	oldest_dead_letter_hours: float | None = None
	last_success_at: str | None = None
	#: hours since the last success; when there never was one, hours since we started watching
	hours_without_success: float | None = None
	#: how often the connector's scheduled sync should succeed (None: event-driven, no schedule)
	expected_interval_minutes: int | None = None
	queued_jobs: int = 0
	queue_lag_seconds: float | None = None

	@property
	def window_error_rate(self) -> float | None:
		if not self.window_calls:
			return None
		return 100.0 * self.window_failures / self.window_calls

	def as_dict(self) -> dict:
		data = asdict(self)
		rate = self.window_error_rate
		data["window_error_rate_percent"] = None if rate is None else round(rate, 1)
		return data


@dataclass(frozen=True)
class Incident:
	connector: str
	reason: str
	message: str

	@property
	def key(self) -> str:
		return f"{self.connector}|{self.reason}"


def find_incidents(facts: Iterable[ConnectorFacts], thresholds: AlertThresholds) -> list[Incident]:
	"""The incidents open right now, by connector, in rule order."""
	incidents: list[Incident] = []
	for fact in facts:
		if not fact.enabled:
			continue  # switched off on purpose: nothing to alert about
		for rule in (_circuit_open, _error_rate, _dead_letters_waiting, _no_successful_sync):
			incident = rule(fact, thresholds)
			if incident:
				incidents.append(incident)
	return incidents


def overall_status(facts: Iterable[ConnectorFacts], incidents: Iterable[Incident]) -> str:
	"""``failing`` when a circuit is open or nothing syncs; ``degraded`` for other incidents."""
	reasons = {incident.reason for incident in incidents}
	if reasons & {CIRCUIT_OPEN, NO_SUCCESSFUL_SYNC}:
		return FAILING
	if reasons:
		return DEGRADED
	return OK


def _circuit_open(fact: ConnectorFacts, thresholds: AlertThresholds) -> Incident | None:
	if not thresholds.circuit_open or fact.breaker_state not in ("open", "half_open"):
		return None
	until = f" until {fact.breaker_open_until}" if fact.breaker_open_until else ""
	return Incident(
		fact.connector,
		CIRCUIT_OPEN,
		f"{fact.connector}: calls are paused{until} after repeated failures "
		f"(last: {fact.breaker_reason or 'unknown'}). Work waits in Integration Dead Letter and is "
		"retried once a probe call succeeds. Check the service status and the connector's Settings "
		"(Test connection closes the circuit when it works).",
	)


def _error_rate(fact: ConnectorFacts, thresholds: AlertThresholds) -> Incident | None:
	rate = fact.window_error_rate
	if (
		not thresholds.error_rate_percent
		or rate is None
		or fact.window_calls < max(thresholds.error_rate_min_calls, 1)
		or rate < thresholds.error_rate_percent
	):
		return None
	return Incident(
		fact.connector,
		ERROR_RATE,
		f"{fact.connector}: {fact.window_failures} of {fact.window_calls} calls failed in the last "
		f"{thresholds.error_rate_window_minutes} minutes ({rate:.0f} %, threshold "
		f"{thresholds.error_rate_percent:.0f} %). Open the Connector Request Log filtered on "
		f"{fact.connector} and outcome Failed to see the reasons.",
	)


def _dead_letters_waiting(fact: ConnectorFacts, thresholds: AlertThresholds) -> Incident | None:
	limit = thresholds.dead_letter_max_age_hours
	age = fact.oldest_dead_letter_hours
	if not limit or not fact.open_dead_letters or age is None or age < limit:
		return None
	return Incident(
		fact.connector,
		DEAD_LETTERS_WAITING,
		f"{fact.connector}: {fact.open_dead_letters} piece(s) of work are still not done; the oldest "
		f"failed {age:.0f} hours ago (threshold {limit:.0f} h). Open Integration Dead Letter, read "
		"the last error, fix the cause and press Retry now.",
	)


def _no_successful_sync(fact: ConnectorFacts, thresholds: AlertThresholds) -> Incident | None:
	if not thresholds.no_success_hours or not fact.expected_interval_minutes:
		return None
	# a daily sync cannot be late after 6 hours: allow two of its own intervals at least
	allowed_hours = max(thresholds.no_success_hours, 2 * fact.expected_interval_minutes / 60)
	hours = fact.hours_without_success
	if hours is None or hours < allowed_hours:
		return None
	since = f"since {fact.last_success_at}" if fact.last_success_at else "since monitoring started"
	return Incident(
		fact.connector,
		NO_SUCCESSFUL_SYNC,
		f"{fact.connector}: no successful sync {since} ({hours:.1f} h; it should succeed every "
		f"{fact.expected_interval_minutes} minutes, alert after {allowed_hours:.0f} h). Check that the "
		"scheduler and background workers run (Integration Status page: queue lag), and the "
		"connector's Settings.",
	)
