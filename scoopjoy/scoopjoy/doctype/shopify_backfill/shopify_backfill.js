// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.ui.form.on("Shopify Backfill", {
	refresh(frm) {
		if (frm.is_new()) return;
		if (frm.doc.status !== "Completed") {
			const label = frm.doc.cursor ? __("Resume") : __("Start");
			frm.add_custom_button(label, () =>
				frappe
					.call({ method: "scoopjoy.connectors.shopify.api.start_backfill", args: { name: frm.doc.name } })
					.then(() => frm.reload_doc())
			);
		}
		show_progress(frm, frm.doc.orders_seen, frm.doc.orders_total);
		frappe.realtime.off("shopify_backfill_progress");
		frappe.realtime.on("shopify_backfill_progress", (data) => {
			if (data.name !== frm.doc.name) return;
			show_progress(frm, data.seen, data.total);
			if (data.status === "Completed") frm.reload_doc();
		});
	},
});

function show_progress(frm, seen, total) {
	if (!total) return;
	const percent = Math.min(100, Math.round((100 * (seen || 0)) / total));
	frm.dashboard.show_progress(__("Orders"), percent, __("{0} of {1} orders", [seen || 0, total]));
}
