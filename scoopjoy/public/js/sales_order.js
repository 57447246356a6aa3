// ScoopJoy Connect: the WhatsApp confirmation's state on a submitted Sales Order, and its button.
frappe.ui.form.on("Sales Order", {
	refresh(frm) {
		if (frm.doc.docstatus !== 1) return;
		scoopjoy_show_whatsapp_state(frm);
		const state = frm.doc.custom_whatsapp_status;
		frm.add_custom_button(
			["Sent", "Delivered", "Read"].includes(state) ? __("Resend WhatsApp confirmation") : __("Send WhatsApp confirmation"),
			() => {
				frappe
					.call({
						method: "scoopjoy.connectors.whatsapp.messages.send_confirmation_now",
						args: { sales_order: frm.doc.name },
						freeze: true,
					})
					.then((r) => {
						r.message && frappe.show_alert({ message: r.message, indicator: "blue" });
						frm.reload_doc();
					});
			},
			__("ScoopJoy")
		);
	},
});

// custom_whatsapp_status is written by the send job and Meta's status webhook (latest wins). Shown
// above the tabs (the form dashboard of a Sales Order sits in its Connections tab).
function scoopjoy_show_whatsapp_state(frm) {
	const state = frm.doc.custom_whatsapp_status;
	if (!state) return;
	const STATES = {
		Sending: ["blue", __("sending")],
		Sent: ["blue", __("sent")],
		Delivered: ["green", __("delivered")],
		Read: ["green", __("read")],
		Skipped: ["yellow", __("not sent (no usable number, or not opted in)")],
		Failed: ["red", __("failed")],
		Uncertain: ["orange", __("uncertain: it may have been delivered")],
	};
	const [color, label] = STATES[state] || ["blue", state];
	const esc = frappe.utils.escape_html;
	// a form refreshes more than once (after a submit): one message, not one per refresh
	frm.layout.message.find(".scoopjoy-whatsapp-state").closest(".form-message").remove();
	const show = (reason, advice) =>
		frm.layout.show_message(
			`<div class="scoopjoy-whatsapp-state"><b>${esc(__("WhatsApp confirmation: {0}", [label]))}</b>` +
				(reason ? ` · ${esc(reason)}` : "") +
				(advice ? `<div>${esc(advice)}</div>` : "") +
				`</div>`,
			color
		);
	if (!["Failed", "Uncertain"].includes(state) || !frappe.model.can_read("WhatsApp Message")) {
		show();
		return;
	}
	// what went wrong, and what a person can do about it
	frappe.db
		.get_value("WhatsApp Message", { reference_doctype: "Sales Order", reference_name: frm.doc.name }, "reason")
		.then((r) =>
			show(
				(r.message || {}).reason,
				state === "Uncertain"
					? __("The send was interrupted after the request left: check with the customer before resending.")
					: __("Fix the cause, then use ScoopJoy → Send WhatsApp confirmation.")
			)
		);
}
