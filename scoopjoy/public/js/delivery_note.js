// ScoopJoy Connect: "Ship with carrier" on a submitted Delivery Note, and the state of its Shopify
// fulfilment above the tabs.
frappe.ui.form.on("Delivery Note", {
	refresh(frm) {
		scoopjoy_show_shopify_fulfilment(frm);
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

// custom_shopify_fulfillment_status is written by the fulfilment jobs (after the note's commit)
function scoopjoy_show_shopify_fulfilment(frm) {
	const state = frm.doc.custom_shopify_fulfillment_status;
	if (!state) return;
	const STATES = {
		"From Shopify": ["blue", __("made from Shopify's fulfilment")],
		Queued: ["blue", __("queued")],
		Sending: ["blue", __("sending")],
		Fulfilled: ["green", __("fulfilled")],
		Failed: ["red", __("not fulfilled: the Integration Dead Letter of this note says why")],
		Cancelled: ["yellow", __("cancelled")],
	};
	const [color, label] = STATES[state] || ["blue", state];
	const esc = frappe.utils.escape_html;
	const id = frm.doc.custom_shopify_fulfillment_id;
	// a form refreshes more than once (after a submit): one message, not one per refresh
	frm.layout.message.find(".scoopjoy-shopify-fulfilment").closest(".form-message").remove();
	frm.layout.show_message(
		`<div class="scoopjoy-shopify-fulfilment"><b>${esc(__("Shopify fulfilment: {0}", [label]))}</b>` +
			(id ? ` · ${esc(id)}` : "") +
			(frm.doc.custom_tracking_number ? ` · ${esc(__("tracking {0}", [frm.doc.custom_tracking_number]))}` : "") +
			`</div>`,
		color
	);
}
