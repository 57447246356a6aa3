// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.ui.form.on("Google Contacts Settings", {
	refresh(frm) {
		frm.add_custom_button(__("Sync now"), () => {
			frappe
				.call({ method: "scoopjoy.connectors.google_contacts.sync.sync_now", freeze: true })
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
