// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.ui.form.on("Franchise Outlet", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Sync outlet"), () => {
			frappe
				.call({
					method: "scoopjoy.connectors.mobile_app.jobs.sync_outlet_now",
					args: { outlet: frm.doc.name },
					freeze: true,
				})
				.then((r) => r.message && frappe.show_alert({ message: r.message, indicator: "blue" }));
		});
	},
});
