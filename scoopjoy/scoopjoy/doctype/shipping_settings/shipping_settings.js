// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.ui.form.on("Shipping Settings", {
	refresh(frm) {
		if (!frm.doc.carrier_enabled) return;
		frm.add_custom_button(__("Test carrier connection"), () => {
			if (frm.is_dirty()) {
				frappe.msgprint(__("Save the settings first, then test the connection."));
				return;
			}
			frm.call({ method: "test_connection", doc: frm.doc, freeze: true }).then((r) => {
				if (r.message) frappe.show_alert({ message: r.message, indicator: "green" });
			});
		});
	},
});
