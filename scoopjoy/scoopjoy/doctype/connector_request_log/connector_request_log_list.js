// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt
//
// The pill says Success or Failed (short enough to be read whole); the failure type has its own
// column in words; a call that never got an answer says so instead of "status code 0".

frappe.listview_settings["Connector Request Log"] = {
	add_fields: ["outcome", "failure_type", "status_code"],

	failure_labels: {
		auth: __("Credentials refused"),
		config: __("Settings wrong"),
		rate_limited: __("Rate limited"),
		transient: __("Service down or slow"),
		record: __("Record refused"),
		programming: __("Bug in connector"),
	},

	// the list has room for one column at 1280 px: the pill carries the outcome and the HTTP status
	hide_name_column: true,

	get_indicator(doc) {
		if (doc.outcome === "Success") {
			return [__("Success"), "green", "outcome,=,Success"];
		}
		if (doc.outcome === "Failed") {
			const code = cint(doc.status_code);
			return [code ? __("Failed · {0}", [code]) : __("No response"), "red", "outcome,=,Failed"];
		}
		return [__("Unknown"), "gray", "outcome,is,not set"];
	},

	formatters: {
		failure_type(value) {
			return value ? frappe.listview_settings["Connector Request Log"].failure_labels[value] || value : "";
		},
	},
};
