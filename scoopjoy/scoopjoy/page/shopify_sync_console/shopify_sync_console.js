// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt
//
// One Shopify store vs ERPNext for a window (the store chosen at the top; a site with one store
// opens on it): counts and coverage per entity, and the orders that are not in
// ERPNext with the reason for each, a resync per row and for all. Every number comes from
// scoopjoy.connectors.shopify.api.get_sync_console (the Shopify token never reaches the browser).
// When Shopify cannot be asked, the page says so in place, with what to do, and stays usable.

frappe.pages["shopify-sync-console"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Shopify Sync Console"), single_column: true });
	const today = frappe.datetime.get_today();
	const esc = frappe.utils.escape_html;
	const ENTITIES = {
		products: [__("Products"), __("all products, not only the window's")],
		variants: [__("Variants"), __("all variants: each sold as an Item")],
		customers: [__("Customers"), __("created in the window")],
		orders: [__("Orders"), __("created in the window")],
		invoices: [__("Paid"), __("paid in Shopify, invoice settled in ERPNext")],
		fulfilments: [__("Deliveries"), __("shipped orders of the window")],
	};
	let loading = null;
	let ready = false; // the window's defaults are set before anything may load

	const $filters = $('<div class="sync-console-window" style="max-width: 780px"></div>').appendTo(page.main);
	const filters = new frappe.ui.FieldGroup({
		body: $filters,
		fields: [
			{
				fieldname: "store",
				label: __("Shopify Store"),
				fieldtype: "Link",
				options: "Shopify Store",
				reqd: 1,
				onchange: () => ready && load(),
			},
			{ fieldtype: "Column Break" },
			{
				fieldname: "from_date",
				label: __("From"),
				fieldtype: "Date",
				reqd: 1,
				default: frappe.datetime.add_days(today, -30),
				onchange: () => ready && load(),
			},
			{ fieldtype: "Column Break" },
			{ fieldname: "to_date", label: __("To"), fieldtype: "Date", reqd: 1, default: today, onchange: () => ready && load() },
		],
	});
	filters.make();
	const body = $('<div class="shopify-sync-console"></div>').appendTo(page.main);
	const window_args = () => ({
		store: filters.get_value("store"),
		from_date: filters.get_value("from_date"),
		to_date: filters.get_value("to_date"),
	});

	const load = () => {
		const args = window_args();
		if (!args.store || !args.from_date || !args.to_date) return;
		const key = JSON.stringify(args);
		if (loading === key) return;
		loading = key;
		wrapper.scoopjoy_loaded_at = Date.now();
		body.html(`<p class="text-muted">${__("Comparing Shopify and ERPNext…")}</p>`);
		// frappe.call's promise has no finally(): both outcomes clear the guard themselves
		frappe.call({ method: "scoopjoy.connectors.shopify.api.get_sync_console", args }).then(
			(r) => {
				loading = null;
				r.message && r.message.error ? render_error(r.message.error) : render(r.message);
			},
			() => {
				loading = null;
				render_error({ title: __("The comparison failed"), hint: __("Press Refresh to try again.") });
			}
		);
	};

	const render_error = (error) => {
		body.html(`
			<div class="sync-console-error alert alert-warning" role="alert">
				<b>${esc(error.title || __("Shopify could not be reached"))}</b>
				${error.message ? `<div class="text-muted small">${esc(error.message)}</div>` : ""}
				<div>${esc(error.hint || "")}</div>
				<button class="btn btn-sm btn-default retry" style="margin-top: 8px">${__("Try again")}</button>
				<button class="btn btn-sm btn-default status" style="margin-top: 8px">${__("Integration Status")}</button>
			</div>`);
		body.find(".retry").on("click", load);
		body.find(".status").on("click", () => frappe.set_route("integration-status"));
	};

	const queued = (r) =>
		frappe.show_alert({ message: __("{0} order(s) queued for import", [r.message.queued]), indicator: "green" });
	const resync = (ids) =>
		frappe
			.call({ method: "scoopjoy.connectors.shopify.api.resync_orders", args: { order_ids: ids, store: filters.get_value("store") } })
			.then(queued);

	// "2026-11-20 10:00:00" (site time) -> the user's format, and "5 days ago"
	const when = (value) =>
		value
			? `${esc(frappe.datetime.str_to_user(value))}<div class="text-muted small">${esc(frappe.datetime.prettyDate(value))}</div>`
			: "";

	const render = (data) => {
		const counts = data.entities
			.map((e) => {
				const [label, scope] = ENTITIES[e.entity] || [e.entity, ""];
				const color = e.coverage >= 99 ? "green" : e.coverage >= 90 ? "orange" : "red";
				return (
					`<tr><td>${esc(label)}<div class="text-muted small">${esc(scope)}</div></td>` +
					`<td>${e.shopify}</td><td>${e.erpnext}</td>` +
					`<td><span class="indicator-pill ${color}">${e.coverage}%</span>` +
					(e.extra ? ` <span class="indicator-pill orange">${__("{0} in ERPNext only", [e.extra])}</span>` : "") +
					`</td></tr>`
				);
			})
			.join("");
		const reasons = Object.entries(data.by_reason)
			.map(([reason, n]) => `<span class="indicator-pill gray" style="margin-right:6px">${esc(__(reason))}: ${n}</span>`)
			.join("");
		const resyncable = data.not_synced.filter((row) => row.can_resync !== false);
		const rows = data.not_synced
			.map(
				(row) =>
					`<tr data-order="${esc(row.order_id)}"><td>${esc(row.order_name || row.order_id)}</td><td>${when(row.created)}</td>` +
					`<td>${esc(__(row.reason))}</td><td>${esc(row.detail || "")}` +
					(row.dead_letter
						? ` <a href="/app/integration-dead-letter/${encodeURIComponent(row.dead_letter)}">${__("Dead letter")}</a>`
						: "") +
					`</td><td>` +
					(row.can_resync === false
						? `<span class="text-muted small">${__("Nothing to import")}</span>`
						: `<button class="btn btn-xs btn-default resync">${__("Resync")}</button>`) +
					`</td></tr>`
			)
			.join("");
		const p = data.payouts;
		const payouts = p
			? `<h5>${__("Shopify Payments clearing")}</h5>
			<table class="table table-bordered sync-console-payouts"><thead><tr><th>${__("Account")}</th><th>ERPNext</th><th>${__("Shopify, not paid out yet")}</th><th>${__("Difference")}</th></tr></thead>
			<tbody><tr><td>${esc(p.account)}</td><td>${format_currency(p.erpnext, p.currency)}</td><td>${format_currency(p.shopify_pending, p.pending_currency)}</td>
			<td><span class="indicator-pill ${p.matches ? "green" : "orange"}">${p.difference === null ? __("other currency") : format_currency(p.difference, p.currency)}</span></td></tr></tbody></table>`
			: "";
		const unmapped = data.unmapped_variants || [];
		const unmapped_rows = unmapped
			.map(
				(row) =>
					`<tr data-variant="${esc(row.variant_id)}"><td>${esc(row.title)}<div class="text-muted small">${esc(row.sku || __("no SKU"))}</div></td>` +
					`<td>${esc(row.reason)}</td><td>${esc(row.detail || "")}` +
					(row.dead_letter
						? ` <a href="/app/integration-dead-letter/${encodeURIComponent(row.dead_letter)}">${__("Dead letter")}</a>`
						: "") +
					`</td></tr>`
			)
			.join("");
		const unmapped_html = unmapped.length
			? `<h5>${__("Variants without an Item")} (${unmapped.length})</h5>
			<p class="text-muted small">${__("Of the store's newest {0} variants. Import catalog (Shopify Store, Actions) makes or links them.", [data.variants_checked_limit])}</p>
			<table class="table table-bordered sync-console-unmapped"><thead><tr><th>${__("Variant")}</th><th>${__("Reason")}</th><th>${__("Detail")}</th></tr></thead><tbody>${unmapped_rows}</tbody></table>`
			: "";
		body.html(`${payouts}
			<table class="table table-bordered sync-console-counts"><thead><tr><th>${__("Entity")}</th><th>Shopify</th><th>ERPNext</th><th>${__("Coverage")}</th></tr></thead><tbody>${counts}</tbody></table>
			<h5>${__("Not synced — and why")} (${data.not_synced.length})</h5>
			<div style="margin-bottom:8px">${reasons}</div>
			${resyncable.length ? `<button class="btn btn-sm btn-primary resync-all" style="margin-bottom:8px">${__("Resync all ({0})", [resyncable.length])}</button>` : ""}
			<table class="table table-bordered sync-console-missing"><thead><tr><th>${__("Order")}</th><th>${__("Created")}</th><th>${__("Reason")}</th><th>${__("Detail")}</th><th></th></tr></thead><tbody>${rows}</tbody></table>
			${unmapped_html}`);
		body.find(".resync").on("click", (e) => resync([String($(e.currentTarget).closest("tr").data("order"))]));
		body.find(".resync-all").on("click", () =>
			frappe.call({ method: "scoopjoy.connectors.shopify.api.resync_not_synced", args: window_args() }).then(queued)
		);
	};

	page.set_primary_action(__("Refresh"), load, "refresh");
	page.add_inner_button(__("Shopify Store"), () => frappe.set_route("Form", "Shopify Store", filters.get_value("store")));
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
						args: { store: filters.get_value("store") },
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
	wrapper.scoopjoy_refresh = load;
	wrapper.scoopjoy_choose_store = (store) => filters.set_value("store", store);
	// the store named in the route (a Shopify Store's Sync Console button), else the first one
	// taken out of the route options, which stay an object (Frappe 16 reads route_options.sidebar)
	const asked = frappe.route_options && frappe.route_options.store;
	if (asked) delete frappe.route_options.store;
	(asked
		? Promise.resolve([{ name: asked }])
		: frappe.db.get_list("Shopify Store", { fields: ["name"], order_by: "creation asc", limit: 1 })
	).then((stores) => {
		const store = stores.length ? stores[0].name : null;
		filters.set_value("store", store).then(() => {
			ready = true;
			if (store) load();
			else body.html(`<p class="text-muted">${__("No Shopify Store yet: add one under Shopify Store.")}</p>`);
		});
	});
};

// back on the page from a list or a form (the desk keeps the page): show what is true now
frappe.pages["shopify-sync-console"].on_page_show = function (wrapper) {
	const asked = frappe.route_options && frappe.route_options.store;
	if (asked && wrapper.scoopjoy_choose_store) {
		delete frappe.route_options.store;
		wrapper.scoopjoy_choose_store(asked); // its onchange loads that store
		return;
	}
	if (wrapper.scoopjoy_refresh && Date.now() - (wrapper.scoopjoy_loaded_at || 0) > 2000) wrapper.scoopjoy_refresh();
};
