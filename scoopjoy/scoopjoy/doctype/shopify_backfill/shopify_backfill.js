// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt
//
// The backfill job commits its counters after every page; while it is queued or running the form
// reads them every few seconds (no realtime server needed), and realtime events, when a socket.io
// server sends them, update the bar at once.

frappe.ui.form.on("Shopify Backfill", {
	onload(frm) {
		// a site with one store: that store (several: the person picks one)
		if (frm.is_new() && !frm.doc.shopify_store) {
			frappe.db.get_list("Shopify Store", { fields: ["name"], limit: 2 }).then((stores) => {
				if (stores.length === 1 && !frm.doc.shopify_store) frm.set_value("shopify_store", stores[0].name);
			});
		}
	},
	refresh(frm) {
		if (frm.is_new()) return;
		// while it runs, no Start/Resume: unless it stopped moving (a worker killed mid-run), then Resume
		const working = ["Queued", "Running"].includes(frm.doc.status);
		const stale = frappe.datetime.get_minute_diff(frappe.datetime.system_datetime(), frm.doc.modified) >= 10;
		if (frm.doc.status !== "Completed" && (!working || stale)) {
			const label = frm.doc.pages_done || frm.doc.cursor ? __("Resume") : __("Start");
			frm.add_custom_button(label, () =>
				frappe
					.call({ method: "scoopjoy.connectors.shopify.api.start_backfill", args: { name: frm.doc.name } })
					.then(() => frm.reload_doc())
			);
		}
		scoopjoy_backfill_progress(frm, frm.doc.orders_seen, frm.doc.orders_total, frm.doc.status);
		scoopjoy_watch_backfill(frm);
		frappe.realtime.off("shopify_backfill_progress");
		frappe.realtime.on("shopify_backfill_progress", (data) => {
			if (data.name !== frm.doc.name) return;
			scoopjoy_backfill_progress(frm, data.seen, data.total, data.status);
			if (data.status === "Completed") frm.reload_doc();
		});
	},
});

function scoopjoy_watch_backfill(frm) {
	if (frm.__backfill_timer) clearInterval(frm.__backfill_timer);
	frm.__backfill_timer = null;
	if (!["Queued", "Running"].includes(frm.doc.status)) return;
	const name = frm.doc.name;
	frm.__backfill_timer = setInterval(() => {
		if (frm.doc.name !== name || frappe.get_route_str() !== `Form/Shopify Backfill/${name}`) {
			clearInterval(frm.__backfill_timer);
			frm.__backfill_timer = null;
			return;
		}
		frappe.db.get_value("Shopify Backfill", name, ["status", "orders_seen", "orders_total", "pages_done"]).then((r) => {
			const now = r.message || {};
			scoopjoy_backfill_progress(frm, now.orders_seen, now.orders_total, now.status);
			if (now.status !== frm.doc.status || now.pages_done !== frm.doc.pages_done) {
				// the counters on the form follow too; a finished run brings its final state
				frm.reload_doc();
			}
		});
	}, 2000);
}

function scoopjoy_backfill_progress(frm, seen, total, status) {
	if (status === "Queued" && !total) {
		frm.dashboard.show_progress(__("Orders"), 0, __("Queued: waiting for a background worker"));
		return;
	}
	if (!total) return;
	const percent = Math.min(100, Math.round((100 * (seen || 0)) / total));
	frm.dashboard.show_progress(__("Orders"), percent, __("{0} of {1} orders", [seen || 0, total]));
}
