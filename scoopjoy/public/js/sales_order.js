// ScoopJoy Connect: buttons on a submitted Sales Order.
frappe.ui.form.on("Sales Order", {
	refresh(frm) {
		if (frm.doc.docstatus !== 1) return;
		frm.add_custom_button(
			__("Send WhatsApp confirmation"),
			() => {
				frappe
					.call({
						method: "scoopjoy.connectors.whatsapp.messages.send_confirmation_now",
						args: { sales_order: frm.doc.name },
						freeze: true,
					})
					.then((r) => r.message && frappe.show_alert({ message: r.message, indicator: "blue" }));
			},
			__("ScoopJoy")
		);
	},
});
