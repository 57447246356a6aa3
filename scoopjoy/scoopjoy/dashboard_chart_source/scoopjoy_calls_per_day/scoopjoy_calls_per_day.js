// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt
// Data: scoopjoy.operations.charts.calls_per_day (short labels, readable reasons, the app's connectors only).

frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["ScoopJoy Calls per Day"] = {
	method: "scoopjoy.operations.charts.calls_per_day",
	filters: [
		{ fieldname: "connector", label: __("Connector"), fieldtype: "Data" },
		{ fieldname: "outcome", label: __("Outcome"), fieldtype: "Select", options: ["", "Success", "Failed"] },
	],
};
