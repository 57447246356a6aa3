// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.ui.form.on("Integration Dead Letter", {
	refresh(frm) {
		if (frm.is_new()) {
			return;
		}
		if (["Open", "Gave Up"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry now"), () => scoopjoy_retry_dead_letter(frm));
		}
	},
});

function scoopjoy_retry_dead_letter(frm) {
	frappe.call({
		method: "scoopjoy.reliability.dead_letters.retry_now",
		args: { name: frm.doc.name },
		freeze: true,
		freeze_message: __("Retrying {0}...", [frm.doc.title || frm.doc.name]),
		callback(r) {
			scoopjoy_show_retry_result(r.message);
		},
		always() {
			// the retry changes status, attempts and errors: show what the server now has
			frm.reload_doc();
		},
	});
}

function scoopjoy_show_retry_result(result) {
	if (result === undefined || result === null) {
		frappe.show_alert({ message: __("Retry finished"), indicator: "blue" });
		return;
	}
	if (typeof result === "string") {
		frappe.msgprint({ title: __("Retry"), message: result });
		return;
	}
	const status = result.status || "";
	const indicator = { Resolved: "green", Open: "orange", Retrying: "blue", "Gave Up": "red" }[status] || "blue";
	const message = result.message || (status ? __("Status: {0}", [__(status)]) : __("Retry finished"));
	frappe.show_alert({ message, indicator }, 7);
}
