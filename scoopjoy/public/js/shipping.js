// ScoopJoy Connect: shipping helpers shared by the Delivery Note and Shipment buttons.
window.scoopjoy_shipping = window.scoopjoy_shipping || {
	choose_rate_and_book(shipment, rates, message, frm) {
		if (!rates || !rates.length) {
			frappe.msgprint({ title: __("No shipping rates"), message: message || __("No carrier offers a service."), indicator: "orange" });
			return;
		}
		const options = rates.map((r, i) => ({
			label: `${r.service_provider} · ${r.carrier || ""} · ${r.service_name} · ${format_currency(r.total_price)}`,
			value: String(i),
		}));
		const dialog = new frappe.ui.Dialog({
			title: __("Book shipment {0}", [shipment]),
			fields: [{ fieldname: "rate", fieldtype: "Select", label: __("Service"), options, reqd: 1, default: "0" }],
			primary_action_label: __("Book and get label"),
			primary_action(values) {
				const rate = rates[Number(values.rate)];
				dialog.hide();
				frappe
					.call({
						method: "scoopjoy.connectors.shipping.shipments.book_shipment_and_print_label",
						args: { shipment_name: shipment, service_provider: rate.service_provider, service_name: rate.service_name },
						freeze: true,
						freeze_message: __("Booking with the carrier..."),
					})
					.then((r) => {
						const res = r.message || {};
						const label = res.label_url ? `<br><a href="${res.label_url}" target="_blank">${__("Open label")}</a>` : "";
						frappe.msgprint({
							title: res.already_booked ? __("Already booked") : __("Shipment booked"),
							message: __("Tracking number: {0}", [res.tracking_number || "-"]) + label,
							indicator: "green",
						});
						frm && frm.reload_doc();
					});
			},
		});
		dialog.show();
	},
};
