// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt
// Data: scoopjoy.operations.charts.failures_by_reason (short labels, readable reasons, the app's connectors only).

frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["ScoopJoy Failures by Reason"] = {
	method: "scoopjoy.operations.charts.failures_by_reason",
	filters: [
		{ fieldname: "connector", label: __("Connector"), fieldtype: "Data" },
		{ fieldname: "days", label: __("Last N Days"), fieldtype: "Int", default: 30 },
	],
};
