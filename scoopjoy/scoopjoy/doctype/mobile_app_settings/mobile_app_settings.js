// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.ui.form.on("Mobile App Settings", {
	refresh(frm) {
		frm.add_custom_button(__("Sync menu now"), () => {
			frappe
				.call({ method: "scoopjoy.connectors.mobile_app.jobs.sync_menu_now", freeze: true })
				.then((r) => r.message && frappe.show_alert({ message: r.message, indicator: "blue" }));
		});
		frm.add_custom_button(__("Test connection"), () => {
			if (frm.is_dirty()) {
				frappe.msgprint(__("Save the settings first, then test the connection."));
				return;
			}
			frm.call({ method: "test_connection", doc: frm.doc, freeze: true }).then((r) => {
				if (r.message) {
					frappe.show_alert({ message: r.message, indicator: "green" });
				}
			});
		});
	},
});
