// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt
//
// Shopify vs ERPNext for a window: counts and coverage per entity, and the orders that are not in
// ERPNext with the reason for each, a resync per row and for all. Every number comes from
// scoopjoy.connectors.shopify.api.get_sync_console (the Shopify token never reaches the browser).

frappe.pages["shopify-sync-console"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Shopify Sync Console"), single_column: true });
	const today = frappe.datetime.get_today();
	const from = page.add_field({
		fieldname: "from_date",
		label: __("From"),
		fieldtype: "Date",
		default: frappe.datetime.add_days(today, -30),
	});
	const to = page.add_field({ fieldname: "to_date", label: __("To"), fieldtype: "Date", default: today });
	const body = $('<div class="shopify-sync-console"></div>').appendTo(page.main);
	const esc = frappe.utils.escape_html;
	let last = null;

	const load = () => {
		body.html(`<p class="text-muted">${__("Comparing Shopify and ERPNext…")}</p>`);
		frappe
			.call({
				method: "scoopjoy.connectors.shopify.api.get_sync_console",
				args: { from_date: from.get_value(), to_date: to.get_value() },
			})
			.then((r) => {
				last = r.message;
				render(last);
			});
	};

	const resync = (ids) =>
		frappe
			.call({ method: "scoopjoy.connectors.shopify.api.resync_orders", args: { order_ids: ids } })
			.then((r) => frappe.show_alert({ message: __("{0} order(s) queued", [r.message.queued]), indicator: "green" }));

	const render = (data) => {
		const counts = data.entities
			.map(
				(e) =>
					`<tr><td>${esc(__(e.entity))}</td><td>${e.shopify}</td><td>${e.erpnext}</td>` +
					`<td><span class="indicator-pill ${e.coverage >= 99 ? "green" : e.coverage >= 90 ? "orange" : "red"}">${e.coverage}%</span></td></tr>`
			)
			.join("");
		const reasons = Object.entries(data.by_reason)
			.map(([reason, n]) => `<span class="indicator-pill gray" style="margin-right:6px">${esc(reason)}: ${n}</span>`)
			.join("");
		const rows = data.not_synced
			.map(
				(row) =>
					`<tr><td>${esc(row.order_name || row.order_id)}</td><td>${esc(row.created_at || "")}</td>` +
					`<td>${esc(row.reason)}</td><td>${esc(row.detail || "")}` +
					(row.dead_letter
						? ` <a href="/app/integration-dead-letter/${encodeURIComponent(row.dead_letter)}">${esc(row.dead_letter)}</a>`
						: "") +
					`</td><td><button class="btn btn-xs btn-default resync" data-order="${esc(row.order_id)}">${__("Resync")}</button></td></tr>`
			)
			.join("");
		body.html(`
			<table class="table table-bordered"><thead><tr><th>${__("Entity")}</th><th>Shopify</th><th>ERPNext</th><th>${__("Coverage")}</th></tr></thead><tbody>${counts}</tbody></table>
			<h5>${__("Not synced — and why")} (${data.not_synced.length})</h5>
			<div style="margin-bottom:8px">${reasons}</div>
			${data.not_synced.length ? `<button class="btn btn-sm btn-primary resync-all" style="margin-bottom:8px">${__("Resync all")}</button>` : ""}
			<table class="table table-bordered"><thead><tr><th>${__("Order")}</th><th>${__("Created")}</th><th>${__("Reason")}</th><th>${__("Detail")}</th><th></th></tr></thead><tbody>${rows}</tbody></table>`);
		body.find(".resync").on("click", (e) => resync([$(e.currentTarget).data("order").toString()]));
		body.find(".resync-all").on("click", () =>
			frappe
				.call({
					method: "scoopjoy.connectors.shopify.api.resync_not_synced",
					args: { from_date: from.get_value(), to_date: to.get_value() },
				})
				.then((r) => frappe.show_alert({ message: __("{0} order(s) queued", [r.message.queued]), indicator: "green" }))
		);
	};

	page.set_primary_action(__("Refresh"), load, "refresh");
	page.add_inner_button(__("Shopify Settings"), () => frappe.set_route("Form", "Shopify Settings"));
	page.add_inner_button(__("Dead letters"), () =>
		frappe.set_route("List", "Integration Dead Letter", { connector: "Shopify" })
	);
	// orders dead-lettered because a variant has no Item: make the Items from Shopify, replay them
	page.add_inner_button(__("Create Items"), () =>
		frappe.confirm(
			__("Make ERPNext Items from the Shopify products of the orders dead-lettered as unmapped, then replay those orders?"),
			() =>
				frappe
					.call({
						method: "scoopjoy.connectors.shopify.api.create_missing_items",
						freeze: true,
						freeze_message: __("Making Items from Shopify products…"),
					})
					.then((r) => {
						const m = r.message;
						const notes = [
							__("{0} Item(s) made from Shopify products; {1} of {2} order(s) replayed into ERPNext.", [m.items, m.replayed, m.orders]),
						];
						if (m.still_failing) notes.push(__("{0} order(s) still fail: their dead letters say why.", [m.still_failing]));
						if (m.left) notes.push(__("{0} more order(s) wait: press Create Items again.", [m.left]));
						notes.push(...(m.problems || []).map(esc));
						frappe.msgprint(notes.join("<br>"), __("Create Items"));
						load();
					})
		)
	);
	load();
};
