// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.listview_settings["Integration Dead Letter"] = {
	add_fields: ["status", "attempts", "max_attempts", "connector", "failure_type"],
	// the title says what failed; the random id says nothing (it is on the form)
	hide_name_column: true,

	// no top-level const: desk may evaluate this file more than once
	status_colors: {
		Open: "orange",
		Retrying: "blue",
		Resolved: "green",
		"Gave Up": "red",
	},

	failure_labels: {
		auth: __("Credentials refused"),
		config: __("Settings wrong"),
		rate_limited: __("Rate limited"),
		transient: __("Service down or slow"),
		record: __("Record refused"),
		programming: __("Bug in connector"),
	},

	get_indicator(doc) {
		const color = frappe.listview_settings["Integration Dead Letter"].status_colors[doc.status] || "gray";
		return [__(doc.status), color, `status,=,${doc.status}`];
	},

	formatters: {
		failure_type(value) {
			return value ? frappe.listview_settings["Integration Dead Letter"].failure_labels[value] || value : "";
		},
	},

	onload(listview) {
		listview.page.add_actions_menu_item(
			__("Retry selected"),
			() => scoopjoy_retry_selected_dead_letters(listview),
			false
		);
	},
};

function scoopjoy_retry_selected_dead_letters(listview) {
	const names = listview.get_checked_items(true);
	if (!names.length) {
		frappe.msgprint(__("Select the dead letters to retry."));
		return;
	}
	frappe.confirm(__("Retry {0} dead letter(s) now?", [names.length]), () => {
		frappe.call({
			method: "scoopjoy.reliability.dead_letters.retry_many",
			args: { names },
			freeze: true,
			freeze_message: __("Retrying {0} dead letter(s)...", [names.length]),
			callback(r) {
				const result = r.message;
				const message =
					typeof result === "string"
						? result
						: (result && result.message) || __("Retried {0} dead letter(s).", [names.length]);
				frappe.show_alert({ message, indicator: "blue" }, 7);
			},
			always() {
				listview.clear_checked_items();
				listview.refresh();
			},
		});
	});
}
