"""The data behind the workspace charts (Dashboard Chart Sources of type Custom).

Why not Frappe's Count / Group By charts: those label a day as the user's full date (31 labels of
"11-25-2026" overlap), show counts with the Float formatting ("400.00"), show the raw failure codes
("rate_limited") and every connector that ever wrote a row, the bench tests' "Echo Test" included.
These sources return short period labels, readable failure reasons and the app's connectors only;
the charts ask for Int formatting in their ``custom_options``.

Frappe calls each method with ``chart_name``, ``filters`` (the chart's ``filters_json`` or what the
user set with the chart's filter button), ``timespan``, ``time_interval``, ``from_date``, ``to_date``.
"""

from __future__ import annotations

from collections import Counter

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Date
from frappe.utils import add_to_date, getdate, now_datetime
from frappe.utils.dateutils import get_dates_from_timegrain, get_from_date_from_timespan, get_period_beginning

from scoopjoy.operations.health import OPEN_DEAD_LETTER_STATUSES, connector_names

CHART_ROLE = "System Manager"

#: Connector Request Log / Integration Dead Letter ``failure_type`` -> what a person reads
FAILURE_LABELS = {
	"auth": "Credentials refused",
	"config": "Settings wrong",
	"rate_limited": "Rate limited",
	"transient": "Service down or slow",
	"record": "Record refused",
	"programming": "Bug in connector",
	"": "Unclassified",
}


def failure_label(failure_type: str | None) -> str:
	return _(FAILURE_LABELS.get(failure_type or "", (failure_type or "").replace("_", " ").capitalize()))


def _require_role() -> None:
	if CHART_ROLE not in frappe.get_roles():
		frappe.throw(
			_("The integration charts are for the {0} role.").format(_(CHART_ROLE)), frappe.PermissionError
		)


def _filters(filters) -> dict:
	parsed = frappe.parse_json(filters) if filters else {}
	if isinstance(parsed, list):  # [[doctype, field, "=", value, False], ...] from an older chart
		return {row[1]: row[3] for row in parsed if len(row) >= 4 and row[2] == "="}
	return dict(parsed or {})


@frappe.whitelist()
def calls_per_day(
	chart_name: str | None = None,
	filters: str | dict | list | None = None,
	timespan: str | None = None,
	time_interval: str | None = None,
	from_date: str | None = None,
	to_date: str | None = None,
	**kwargs,
) -> dict:
	"""Connector calls per period; ``filters``: ``outcome`` (Success / Failed), ``connector``."""
	_require_role()
	filters = _filters(filters)
	if chart_name and not (timespan and time_interval):  # the chart's own, unless the user chose
		saved = frappe.db.get_value(
			"Dashboard Chart", chart_name, ["timespan", "time_interval"], as_dict=True
		)
		timespan, time_interval = (
			timespan or (saved or {}).get("timespan"),
			time_interval or (saved or {}).get("time_interval"),
		)
	grain = time_interval or "Daily"
	end = getdate(to_date) if to_date else getdate(now_datetime())
	start = (
		getdate(from_date)
		if from_date
		else getdate(get_from_date_from_timespan(end, timespan or "Last Month"))
	)
	start = get_period_beginning(start, grain)
	log = frappe.qb.DocType("Connector Request Log")
	day = Date(log.creation)
	query = (
		frappe.qb.from_(log)
		.select(day.as_("day"), Count("*").as_("calls"))
		.where(log.creation >= start)
		.where(log.creation < add_to_date(end, days=1))
		.where(log.connector.isin(connector_names()))
		.groupby(day)
	)
	if filters.get("outcome"):
		query = query.where(log.outcome == filters["outcome"])
	if filters.get("connector"):
		query = query.where(log.connector == filters["connector"])
	ends = [getdate(d) for d in get_dates_from_timegrain(start, end, grain)]
	counts = [0] * len(ends)
	for row in query.run(as_dict=True):
		when = getdate(row.day)
		index = next((i for i, period_end in enumerate(ends) if when <= period_end), None)
		if index is not None:
			counts[index] += int(row.calls)
	name = _("Failed calls") if filters.get("outcome") == "Failed" else _("Calls")
	return {
		"labels": [_period_label(period_end, grain) for period_end in ends],
		"datasets": [{"name": name, "values": counts}],
	}


def _period_label(period_end, grain: str) -> str:
	"""Short labels that fit under a chart: "25 Nov", "Nov 2026", "Q4 2026", "2026"."""
	if grain == "Daily":
		return period_end.strftime("%d %b").lstrip("0")
	if grain == "Weekly":
		return get_period_beginning(period_end, "Weekly").strftime("%d %b").lstrip("0")
	if grain == "Monthly":
		return period_end.strftime("%b %Y")
	if grain == "Quarterly":
		return f"Q{(period_end.month - 1) // 3 + 1} {period_end.year}"
	return str(period_end.year)


@frappe.whitelist()
def failures_by_reason(
	chart_name: str | None = None, filters: str | dict | list | None = None, **kwargs
) -> dict:
	"""Failed calls of the last 30 days by failure type, labelled for a person."""
	_require_role()
	filters = _filters(filters)
	log = frappe.qb.DocType("Connector Request Log")
	connectors = [filters["connector"]] if filters.get("connector") else connector_names()
	since = add_to_date(now_datetime(), days=-int(filters.get("days") or 30))
	# the query builder: Frappe v16 refuses SQL functions in get_all's field strings
	rows = (
		frappe.qb.from_(log)
		.select(log.failure_type, Count("*").as_("failures"))
		.where((log.outcome == "Failed") & log.connector.isin(connectors) & (log.creation >= since))
		.groupby(log.failure_type)
		.orderby(Count("*"), order=frappe.qb.desc)
	).run(as_dict=True)
	return {
		"labels": [failure_label(row.failure_type) for row in rows],
		"datasets": [{"name": _("Failed calls"), "values": [int(row.failures) for row in rows]}],
	}


@frappe.whitelist()
def open_dead_letters_by_connector(
	chart_name: str | None = None, filters: str | dict | list | None = None, **kwargs
) -> dict:
	"""Open, retrying and given-up dead letters of the app's connectors."""
	_require_role()
	counts = Counter(
		frappe.get_all(
			"Integration Dead Letter",
			filters={"status": ["in", OPEN_DEAD_LETTER_STATUSES], "connector": ["in", connector_names()]},
			pluck="connector",
		)
	)
	ordered = counts.most_common()
	return {
		"labels": [connector for connector, _count in ordered],
		"datasets": [{"name": _("Open dead letters"), "values": [int(n) for _c, n in ordered]}],
	}
