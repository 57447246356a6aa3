"""Health of the integrations as JSON: the monitor's endpoint, the status page and the number cards.

``GET /api/method/scoopjoy.api.operations.health_check`` with an API key of a System Manager
returns, per connector: enabled, breaker state, last successful sync, calls and failures in the
last 24 h, open dead letters, queued jobs and queue lag; plus the open incidents and an overall
``status`` (ok / degraded / failing) for a monitor to alert on. Always HTTP 200 when the site
answers: a monitor reads ``status``, and a 5xx then means the site itself is down.
"""

from __future__ import annotations

import frappe
from frappe import _

from scoopjoy.operations.health import OPEN_DEAD_LETTER_STATUSES, connector_names, health_report
from scoopjoy.reliability.alerts import open_incidents

HEALTH_ROLE = "System Manager"


def _require_system_manager() -> None:
	# explicit, not frappe.only_for (which lets everything through while tests run)
	if HEALTH_ROLE not in frappe.get_roles():
		frappe.throw(
			_("The integration health check is for the {0} role.").format(_(HEALTH_ROLE)),
			frappe.PermissionError,
		)


@frappe.whitelist(methods=["GET"])
def health_check() -> dict:
	_require_system_manager()
	report = health_report()
	report.pop("facts")
	report["open_incidents"] = open_incidents()
	return report


# --- number cards (type "Custom": Frappe calls the method with the card's filters) ---------------


def _totals() -> dict:
	_require_system_manager()
	return health_report()


@frappe.whitelist(methods=["GET", "POST"])
def calls_last_24h(filters: str | dict | None = None) -> dict:
	connectors = _totals()["connectors"]
	return {"value": sum(c["calls_24h"] for c in connectors), "fieldtype": "Int"}


@frappe.whitelist(methods=["GET", "POST"])
def failed_calls_last_24h(filters: str | dict | None = None) -> dict:
	connectors = _totals()["connectors"]
	return {
		"value": sum(c["failures_24h"] for c in connectors),
		"fieldtype": "Int",
		"route": ["List", "Connector Request Log"],
		"route_options": {"outcome": "Failed"},
	}


@frappe.whitelist(methods=["GET", "POST"])
def open_circuits(filters: str | dict | None = None) -> dict:
	connectors = _totals()["connectors"]
	return {
		"value": sum(1 for c in connectors if c["breaker_state"] in ("open", "half_open")),
		"fieldtype": "Int",
		"route": ["integration-status"],
	}


@frappe.whitelist(methods=["GET", "POST"])
def open_dead_letters(filters: str | dict | None = None) -> dict:
	"""Open, retrying and given-up dead letters of the app's connectors (not the tests' ones)."""
	_require_system_manager()
	statuses = list(OPEN_DEAD_LETTER_STATUSES)
	return {
		"value": frappe.db.count(
			"Integration Dead Letter", {"status": ["in", statuses], "connector": ["in", connector_names()]}
		),
		"fieldtype": "Int",
		"route": ["List", "Integration Dead Letter"],
		"route_options": {"status": ["in", statuses]},
	}
