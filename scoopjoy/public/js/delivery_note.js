// ScoopJoy Connect: "Ship with carrier" on a submitted Delivery Note.
frappe.ui.form.on("Delivery Note", {
	refresh(frm) {
		if (frm.doc.docstatus !== 1 || !frappe.model.can_create("Shipment")) return;
		frm.add_custom_button(
			__("Ship with carrier"),
			() => {
				frappe
					.call({
						method: "scoopjoy.connectors.shipping.shipments.create_shipment_for_delivery",
						args: { delivery_note_name: frm.doc.name },
						freeze: true,
						freeze_message: __("Creating the shipment and fetching rates..."),
					})
					.then((r) => {
						const res = r.message || {};
						frm.reload_doc();
						scoopjoy_shipping.choose_rate_and_book(res.shipment, res.rates, res.message, null);
					});
			},
			__("ScoopJoy")
		);
	},
});
