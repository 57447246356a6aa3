// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.ui.form.on("Connector Request Log", {
	refresh(frm) {
		// 0 is what the log stores when no HTTP answer came back at all
		const no_answer = frm.doc.outcome === "Failed" && !cint(frm.doc.status_code);
		frm.toggle_display("status_code", !no_answer);
		if (no_answer) {
			frm.set_intro(
				__("No HTTP response: the call failed before {0} answered (connection refused, reset or timed out).", [
					frm.doc.connector,
				]),
				"orange"
			);
		}
	},
});
