"""The alert job (every 5 minutes): open the incidents the thresholds see, close the ones that cleared.

Thresholds are in ScoopJoy Settings (Alerts section); the rules are ``scoopjoy.kernel.health``.
Incidents opened from inside work (``alert_once``: "auth failure", "config failure", "circuit
open") are closed here too: a circuit once it is closed again, the others once the connector has
succeeded after the incident opened; an incident of one account of a connector (a Shopify store)
once that account has.
"""

from __future__ import annotations

from frappe.utils import get_datetime

from scoopjoy.kernel.health import (
	CIRCUIT_OPEN,
	DEAD_LETTERS_WAITING,
	ERROR_RATE,
	NO_SUCCESSFUL_SYNC,
	ConnectorFacts,
)
from scoopjoy.operations.health import health_report
from scoopjoy.reliability.activity import last_success
from scoopjoy.reliability.alerts import close_incident, open_incident, open_incidents

#: reasons decided by the thresholds: closed as soon as the rule no longer sees them
EVALUATED_REASONS = {CIRCUIT_OPEN, ERROR_RATE, DEAD_LETTERS_WAITING, NO_SUCCESSFUL_SYNC}

RECOVERED = {
	CIRCUIT_OPEN: "The circuit is closed again: calls go through.",
	ERROR_RATE: "The error rate is back under the threshold.",
	DEAD_LETTERS_WAITING: "No dead letter is older than the threshold any more.",
	NO_SUCCESSFUL_SYNC: "The connector synced successfully again.",
}


def evaluate_alerts() -> dict:
	"""Scheduler entry point (hooks.py). Returns what changed, for the logs and the tests."""
	report = health_report()
	facts: dict[str, ConnectorFacts] = {fact.connector: fact for fact in report["facts"]}
	current = {(i["connector"], i["reason"]): i["message"] for i in report["incidents"]}
	opened = [key for key, message in current.items() if open_incident(key[0], key[1], message)]
	closed = []
	for incident in open_incidents():
		key = (incident["connector"], incident["reason"])
		if key in current:
			continue
		why = _recovered(incident, facts.get(incident["connector"]))
		if why and close_incident(*key, why, account=incident.get("account") or ""):
			closed.append(key)
	return {"status": report["status"], "opened": opened, "closed": closed}


def _recovered(incident: dict, fact: ConnectorFacts | None) -> str | None:
	reason = incident["reason"]
	if fact is None:
		return "The connector is no longer monitored."
	if not fact.enabled:
		return f"{fact.connector} was switched off."
	if incident.get("account"):  # one account's work failed: over once that account succeeds again
		succeeded = last_success(fact.connector, incident["account"])
		if succeeded and succeeded > get_datetime(incident["opened_at"]):
			return f"{fact.connector} ({incident['account']}) succeeded again at {succeeded}."
		return None
	if reason == CIRCUIT_OPEN:  # also raised from inside work, when the breaker trips
		return RECOVERED[reason] if fact.breaker_state in ("closed", "unknown") else None
	if reason in EVALUATED_REASONS:
		return RECOVERED[reason]
	# raised from inside work (a revoked token, a bad setting): over once a call or job succeeded
	if fact.last_success_at and get_datetime(fact.last_success_at) > get_datetime(incident["opened_at"]):
		return f"{fact.connector} succeeded again at {fact.last_success_at}."
	return None
