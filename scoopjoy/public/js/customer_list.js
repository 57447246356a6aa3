// ScoopJoy Connect: "Sync to Google Contacts" on the Customer list, with live progress.
frappe.listview_settings["Customer"] = frappe.listview_settings["Customer"] || {};
(function () {
	const settings = frappe.listview_settings["Customer"];
	const previous_onload = settings.onload;
	settings.onload = function (listview) {
		if (previous_onload) previous_onload(listview);
		if (!frappe.model.can_write("Google Contacts Settings")) return;
		listview.page.add_inner_button(
			__("Sync to Google Contacts"),
			() => {
				frappe
					.call({ method: "scoopjoy.connectors.google_contacts.sync.sync_now", freeze: true })
					.then((r) => r.message && frappe.show_alert({ message: r.message, indicator: "blue" }));
			},
			__("ScoopJoy")
		);
		if (!frappe.realtime.__scoopjoy_google_progress) {
			frappe.realtime.__scoopjoy_google_progress = true;
			frappe.realtime.on("scoopjoy_google_contacts_progress", (data) => {
				frappe.show_progress(__("Google Contacts"), data.percent, 100, data.description);
				if (data.percent >= 100) {
					frappe.hide_progress();
					const r = data.result || {};
					frappe.show_alert(
						{
							message: __("Google Contacts: {0} created, {1} updated, {2} failed.", [
								r.created || 0,
								r.updated || 0,
								(r.failed || []).length,
							]),
							indicator: (r.failed || []).length ? "orange" : "green",
						},
						10
					);
				}
			});
		}
	};
})();
