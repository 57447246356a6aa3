// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.ui.form.on("ScoopJoy Settings", {
	refresh(frm) {
		frm.add_custom_button(__("Integration Status"), () => frappe.set_route("integration-status"));
		frm.add_custom_button(__("Send Test Alert"), () => {
			if (frm.is_dirty()) {
				frappe.msgprint(__("Save the Settings first: the test uses the saved alert role and Slack URL."));
				return;
			}
			frm.call({ doc: frm.doc, method: "send_test_alert", freeze: true }).then((r) => {
				frappe.show_alert({ message: r.message, indicator: "green" });
			});
		});
	},
});
