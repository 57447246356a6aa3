// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt

frappe.ui.form.on("Shopify Store", {
	setup(frm) {
		frm.set_query("cash_bank_account", () => ({
			filters: { company: frm.doc.company, is_group: 0, account_type: ["in", ["Cash", "Bank"]] },
		}));
		for (const field of ["tax_account", "shipping_account"]) {
			frm.set_query(field, () => ({ filters: { company: frm.doc.company, is_group: 0 } }));
		}
		frm.set_query("warehouse", () => ({ filters: { company: frm.doc.company, is_group: 0 } }));
		// lines booked on an Item of their own: non-stock, never a template
		for (const field of ["custom_line_item", "gift_card_item"]) {
			frm.set_query(field, () => ({ filters: { is_stock_item: 0, has_variants: 0, disabled: 0 } }));
		}
	},
	refresh(frm) {
		if (frm.is_new()) return; // the actions act on a saved store
		const store = frm.doc.name;
		const saved = () => {
			if (frm.is_dirty()) {
				frappe.msgprint(__("Save the store first."));
				return false;
			}
			return true;
		};
		const queued = (r) => {
			const msg = r.message && r.message.queued ? __("Queued.") : __("Already queued or running.");
			frappe.show_alert({ message: msg, indicator: "green" });
		};
		frm.add_custom_button(__("Test connection"), () => {
			if (!saved()) return;
			frm.call({ method: "test_connection", doc: frm.doc, freeze: true }).then((r) => {
				if (r.message) frappe.show_alert({ message: r.message, indicator: "green" });
			});
		});
		frm.add_custom_button(
			__("Register webhooks"),
			() => {
				if (!saved()) return;
				frappe
					.call({ method: "scoopjoy.connectors.shopify.api.register_webhooks", args: { store }, freeze: true })
					.then((r) => {
						const m = r.message;
						frappe.msgprint(
							__("Webhooks: {0} created, {1} updated, {2} already right. Endpoint: {3}", [
								m.created,
								m.updated,
								m.unchanged,
								m.endpoint,
							])
						);
					});
			},
			__("Actions")
		);
		frm.add_custom_button(
			__("Pull orders now"),
			() =>
				frappe.call({ method: "scoopjoy.connectors.shopify.api.sync_orders_now", args: { store } }).then(queued),
			__("Actions")
		);
		frm.add_custom_button(
			__("Publish products now"),
			() =>
				frappe.call({ method: "scoopjoy.connectors.shopify.api.push_products_now", args: { store } }).then((r) => {
					queued(r);
					frm.__scoopjoy_seen = frm.__scoopjoy_seen || {};
					frm.__scoopjoy_seen["shopify-products"] = true;
					scoopjoy_progress(frm, PUBLISH_PROGRESS);
				}),
			__("Actions")
		);
		if (frm.doc.import_payouts) {
			frm.add_custom_button(
				__("Import payouts"),
				() => {
					if (!saved()) return;
					frappe.prompt(
						[
							{ fieldname: "from_date", fieldtype: "Date", label: __("Paid out from") },
							{ fieldname: "to_date", fieldtype: "Date", label: __("To") },
						],
						(values) =>
							frappe
								.call({
									method: "scoopjoy.connectors.shopify.api.import_payouts_now",
									args: { ...values, store },
								})
								.then(queued),
						__("Import Shopify Payments payouts"),
						__("Import")
					);
				},
				__("Actions")
			);
		}
		frm.add_custom_button(
			__("Import catalog"),
			() => {
				if (!saved()) return;
				frappe.confirm(
					__(
						"Import every Shopify product and variant of this store into Items, with their prices in Price List {0}? Items that exist are found, not doubled; an interrupted import goes on where it stopped.",
						[frm.doc.price_list || __("(none set: prices are skipped)")]
					),
					() =>
						frappe
							.call({ method: "scoopjoy.connectors.shopify.api.import_catalog_now", args: { store } })
							.then((r) => {
								queued(r);
								frm.__scoopjoy_seen = frm.__scoopjoy_seen || {};
								frm.__scoopjoy_seen["shopify-catalog"] = true;
								scoopjoy_progress(frm, CATALOG_PROGRESS);
							})
				);
			},
			__("Actions")
		);
		frm.add_custom_button(
			__("Push inventory now"),
			() =>
				frappe.call({ method: "scoopjoy.connectors.shopify.api.push_inventory_now", args: { store } }).then(queued),
			__("Actions")
		);
		frm.add_custom_button(
			__("Check inventory drift"),
			() =>
				frappe
					.call({ method: "scoopjoy.connectors.shopify.api.check_inventory_drift", args: { store }, freeze: true })
					.then((r) => {
						const rows = r.message || [];
						if (!rows.length) {
							frappe.msgprint(__("Shopify and ERPNext agree on every mapped item."));
							return;
						}
						const body = rows
							.map(
								(d) =>
									`<tr><td>${frappe.utils.escape_html(d.item_code)}</td><td>${frappe.utils.escape_html(
										d.warehouse
									)}</td><td>${d.erpnext_qty}</td><td>${d.shopify_qty ?? "-"}</td></tr>`
							)
							.join("");
						frappe.msgprint({
							title: __("Inventory drift"),
							message: `<table class="table table-bordered"><tr><th>${__("Item")}</th><th>${__(
								"Warehouse"
							)}</th><th>ERPNext</th><th>Shopify</th></tr>${body}</table>`,
							wide: true,
						});
					}),
			__("Actions")
		);
		frm.add_custom_button(
			__("Backfill orders"),
			() => frappe.new_doc("Shopify Backfill", { shopify_store: store }),
			__("Actions")
		);
		frm.add_custom_button(__("Sync Console"), () => frappe.set_route("shopify-sync-console", { store }));
		// a publish or an import that is queued or running shows here
		scoopjoy_progress(frm, PUBLISH_PROGRESS);
		scoopjoy_progress(frm, CATALOG_PROGRESS);
	},
});

const PUBLISH_PROGRESS = {
	kind: "shopify-products",
	title: __("Publishing products"),
	running: __("Publishing products to Shopify: {0}"),
	failed: __("Publish failed: {0}"),
};
const CATALOG_PROGRESS = {
	kind: "shopify-catalog",
	title: __("Importing the catalog"),
	running: __("Importing the Shopify catalog: {0}"),
	failed: __("Catalog import failed: {0}"),
};

// Progress of a publish or a catalog import, polled from scoopjoy.reliability.progress (the job
// stores each step; no realtime server is needed) until it is done, failed, or the form is left.
function scoopjoy_progress(frm, what) {
	frm.__scoopjoy_timers = frm.__scoopjoy_timers || {};
	frm.__scoopjoy_seen = frm.__scoopjoy_seen || {};
	if (frm.__scoopjoy_timers[what.kind]) return;
	const stop = () => {
		clearInterval(frm.__scoopjoy_timers[what.kind]);
		frm.__scoopjoy_timers[what.kind] = null;
	};
	const tick = () =>
		frappe
			.xcall("scoopjoy.reliability.progress.get_progress", { kind: `${what.kind}:${frm.doc.name}` }, "GET")
			.then((data) => {
				const [view, doctype, name] = frappe.get_route();
				if (!data || view !== "Form" || doctype !== "Shopify Store" || name !== frm.doc.name) return stop();
				const running = data.status === "Queued" || data.status === "Running";
				if (running) {
					frm.__scoopjoy_seen[what.kind] = true; // so its end is announced
					frm.dashboard.show_progress(
						what.title,
						data.percent || 0,
						__(what.running, [data.description || ""])
					);
					return;
				}
				stop();
				frm.dashboard.hide_progress(what.title);
				if (frm.__scoopjoy_seen[what.kind]) {
					frm.__scoopjoy_seen[what.kind] = false;
					frappe.show_alert(
						{
							message: data.status === "Failed" ? __(what.failed, [data.description]) : data.description,
							indicator: data.status === "Failed" ? "red" : "green",
						},
						10
					);
				}
			})
			.catch(stop);
	frm.__scoopjoy_timers[what.kind] = setInterval(tick, 1500);
	tick();
}
