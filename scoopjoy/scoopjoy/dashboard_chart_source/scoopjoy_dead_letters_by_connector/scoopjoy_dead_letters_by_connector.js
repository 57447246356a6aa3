// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt
// Data: scoopjoy.operations.charts.open_dead_letters_by_connector (short labels, readable reasons, the app's connectors only).

frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["ScoopJoy Dead Letters by Connector"] = {
	method: "scoopjoy.operations.charts.open_dead_letters_by_connector",
	filters: [],
};
