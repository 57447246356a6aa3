// ScoopJoy Connect: book a Shipment with a carrier, refresh its tracking.
frappe.ui.form.on("Shipment", {
	refresh(frm) {
		if (frm.is_new() || frm.doc.docstatus === 2) return;
		if (!frm.doc.shipment_id) {
			frm.add_custom_button(
				__("Book with carrier"),
				() => {
					frappe
						.call({
							method: "scoopjoy.connectors.shipping.shipments.get_rates_for_shipment",
							args: { shipment_name: frm.doc.name },
							freeze: true,
						})
						.then((r) => {
							const res = r.message || {};
							scoopjoy_shipping.choose_rate_and_book(frm.doc.name, res.rates, res.message, frm);
						});
				},
				__("ScoopJoy")
			);
		} else {
			frm.add_custom_button(
				__("Refresh tracking"),
				() => {
					frappe
						.call({
							method: "scoopjoy.connectors.shipping.shipments.refresh_tracking_now",
							args: { shipment_name: frm.doc.name },
							freeze: true,
						})
						.then(() => frm.reload_doc());
				},
				__("ScoopJoy")
			);
		}
	},
});
