"""The alert rules: which facts open an incident, and which must not (false alarms cost trust)."""

from dataclasses import replace

from scoopjoy.kernel.health import (
	CIRCUIT_OPEN,
	DEAD_LETTERS_WAITING,
	DEGRADED,
	ERROR_RATE,
	FAILING,
	NO_SUCCESSFUL_SYNC,
	OK,
	AlertThresholds,
	ConnectorFacts,
	find_incidents,
	overall_status,
)

THRESHOLDS = AlertThresholds(
	error_rate_percent=25,
	error_rate_window_minutes=15,
	error_rate_min_calls=10,
	dead_letter_max_age_hours=24,
	no_success_hours=6,
)


def reasons(*facts, thresholds=THRESHOLDS):
	return [(i.connector, i.reason) for i in find_incidents(facts, thresholds)]


def test_a_healthy_connector_opens_no_incident():
	fact = ConnectorFacts("Shopify", enabled=True, window_calls=200, window_failures=3, calls_24h=900)
	assert reasons(fact) == []
	assert overall_status([fact], []) == OK


def test_error_rate_over_the_threshold_opens_one_incident_with_the_numbers():
	fact = ConnectorFacts("Shopify", enabled=True, window_calls=40, window_failures=12)
	[incident] = find_incidents([fact], THRESHOLDS)
	assert incident.reason == ERROR_RATE
	assert "12 of 40 calls failed in the last 15 minutes (30 %" in incident.message
	assert overall_status([fact], [incident]) == DEGRADED


def test_a_few_failures_out_of_a_few_calls_are_not_an_error_rate():
	fact = ConnectorFacts("WhatsApp", enabled=True, window_calls=3, window_failures=3)
	assert reasons(fact) == []


def test_an_open_or_probing_circuit_is_an_incident_and_makes_the_site_failing():
	for state in ("open", "half_open"):
		fact = ConnectorFacts("WhatsApp", enabled=True, breaker_state=state, breaker_reason="HTTP 503")
		incidents = find_incidents([fact], THRESHOLDS)
		assert [i.reason for i in incidents] == [CIRCUIT_OPEN]
		assert "HTTP 503" in incidents[0].message
		assert overall_status([fact], incidents) == FAILING
	off = AlertThresholds(circuit_open=False)
	assert reasons(ConnectorFacts("WhatsApp", enabled=True, breaker_state="open"), thresholds=off) == []


def test_dead_letters_alert_only_once_the_oldest_is_older_than_the_threshold():
	young = ConnectorFacts("Google Contacts", enabled=True, open_dead_letters=4, oldest_dead_letter_hours=5)
	old = ConnectorFacts("Google Contacts", enabled=True, open_dead_letters=4, oldest_dead_letter_hours=30)
	assert reasons(young) == []
	[incident] = find_incidents([old], THRESHOLDS)
	assert incident.reason == DEAD_LETTERS_WAITING
	assert "4 piece(s)" in incident.message and "30 hours ago" in incident.message


def test_no_successful_sync_respects_the_connectors_own_schedule():
	poll = ConnectorFacts("Shopify", enabled=True, expected_interval_minutes=10, hours_without_success=7)
	assert reasons(poll) == [("Shopify", NO_SUCCESSFUL_SYNC)]
	# a daily sync 7 hours after its last success is on time; after two days it is not
	daily = ConnectorFacts(
		"Google Contacts", enabled=True, expected_interval_minutes=1440, hours_without_success=7
	)
	assert reasons(daily) == []
	late = ConnectorFacts(
		"Google Contacts", enabled=True, expected_interval_minutes=1440, hours_without_success=49
	)
	assert reasons(late) == [("Google Contacts", NO_SUCCESSFUL_SYNC)]
	# event-driven connectors (no schedule) are never "late"
	events = ConnectorFacts(
		"WhatsApp", enabled=True, expected_interval_minutes=None, hours_without_success=500
	)
	assert reasons(events) == []


#: a connector in every kind of trouble at once
EVERYTHING_WRONG = ConnectorFacts(
	"Shopify",
	enabled=True,
	breaker_state="open",
	window_calls=50,
	window_failures=50,
	open_dead_letters=3,
	oldest_dead_letter_hours=100,
	expected_interval_minutes=10,
	hours_without_success=100,
)


def test_a_disabled_connector_never_alerts():
	assert len(reasons(EVERYTHING_WRONG)) == 4
	assert reasons(replace(EVERYTHING_WRONG, enabled=False)) == []


def test_a_zero_threshold_switches_its_rule_off():
	fact = replace(EVERYTHING_WRONG, breaker_state="closed")
	off = AlertThresholds(error_rate_percent=0, dead_letter_max_age_hours=0, no_success_hours=0)
	assert reasons(fact, thresholds=off) == []
	assert len(reasons(fact)) == 3


def test_facts_serialise_with_the_window_error_rate():
	data = ConnectorFacts("Shopify", enabled=True, window_calls=8, window_failures=1).as_dict()
	assert data["window_error_rate_percent"] == 12.5
	assert ConnectorFacts("Shopify", enabled=True).as_dict()["window_error_rate_percent"] is None
