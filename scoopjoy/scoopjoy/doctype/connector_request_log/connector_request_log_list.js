// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.listview_settings["Connector Request Log"] = {
	add_fields: ["outcome", "failure_type"],

	get_indicator(doc) {
		if (doc.outcome === "Success") {
			return [__("Success"), "green", "outcome,=,Success"];
		}
		if (doc.outcome === "Failed") {
			const label = doc.failure_type ? __("Failed: {0}", [doc.failure_type]) : __("Failed");
			return [label, "red", "outcome,=,Failed"];
		}
		return [__("Unknown"), "gray", "outcome,is,not set"];
	},
};
