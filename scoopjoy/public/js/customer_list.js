// ScoopJoy Connect: "Sync to Google Contacts" on the Customer list, with its progress.
// Progress comes live over realtime when the socket.io server runs, and is polled from
// scoopjoy.reliability.progress.get_progress otherwise (or after a reload while a sync runs).
frappe.listview_settings["Customer"] = frappe.listview_settings["Customer"] || {};
(function () {
	const settings = frappe.listview_settings["Customer"];
	const previous_onload = settings.onload;
	const KIND = "google-contacts";
	const state = (window.scoopjoy_google_progress = window.scoopjoy_google_progress || {
		shown: null,
		timer: null,
		modal: false,
		listview: null,
	});

	// a progress dialog for the person who pressed the button; a quiet indicator otherwise
	const show = (data) => {
		if (!data || data.updated_at === state.shown) return;
		state.shown = data.updated_at;
		const page = state.listview && state.listview.page;
		if (data.status === "Queued" || data.status === "Running") {
			const text = __("Google Contacts: {0}% ({1})", [data.percent || 0, data.description || __("starting")]);
			if (state.modal) frappe.show_progress(__("Google Contacts"), data.percent || 0, 100, data.description || __("Starting"));
			else page && page.set_indicator(text, "blue");
			return;
		}
		if (state.modal) frappe.hide_progress();
		page && page.clear_indicator();
		state.modal = false;
		stop();
		if (data.status === "Failed") {
			frappe.show_alert({ message: __("Google Contacts sync failed: {0}", [data.description || ""]), indicator: "red" }, 10);
			return;
		}
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
	};
	const stop = () => {
		if (state.timer) clearInterval(state.timer);
		state.timer = null;
	};
	const poll = () => {
		if (state.timer) return;
		const tick = () =>
			frappe
				.xcall("scoopjoy.reliability.progress.get_progress", { kind: KIND })
				.then((data) => {
					if (!data || frappe.get_route()[1] !== "Customer") return stop();
					show(data);
				})
				.catch(stop);
		state.timer = setInterval(tick, 1500);
		tick();
	};

	settings.onload = function (listview) {
		if (previous_onload) previous_onload(listview);
		if (!frappe.model.can_write("Google Contacts Settings")) return;
		state.listview = listview;
		listview.page.add_inner_button(
			__("Sync to Google Contacts"),
			() => {
				frappe
					.call({ method: "scoopjoy.connectors.google_contacts.sync.sync_now", freeze: true })
					.then((r) => {
						r.message && frappe.show_alert({ message: r.message, indicator: "blue" });
						state.shown = null;
						state.modal = true;
						poll();
					});
			},
			__("ScoopJoy")
		);
		// a sync started earlier (by this user, another one or the daily run) shows here too
		frappe.xcall("scoopjoy.reliability.progress.get_progress", { kind: KIND }).then((data) => {
			if (data && (data.status === "Queued" || data.status === "Running")) poll();
		});
		if (!frappe.realtime.__scoopjoy_google_progress) {
			frappe.realtime.__scoopjoy_google_progress = true;
			frappe.realtime.on("scoopjoy_google_contacts_progress", show);
		}
	};
})();
