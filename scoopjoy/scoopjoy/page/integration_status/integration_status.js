// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt
//
// One row per connector: switched on?, circuit breaker, last successful sync, calls and failures in
// the last 24 h, dead letters still open, jobs waiting and for how long; then the open incidents.
// Every number comes from scoopjoy.api.operations.health_check (the JSON a monitor polls too).

frappe.pages["integration-status"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Integration Status"), single_column: true });
	const body = $('<div class="integration-status"></div>').appendTo(page.main);
	const esc = frappe.utils.escape_html;
	const pill = (color, text) => `<span class="indicator-pill ${color}">${esc(text)}</span>`;
	const BREAKER = { closed: "green", half_open: "orange", open: "red", unknown: "gray" };
	const STATUS = { ok: "green", degraded: "orange", failing: "red" };

	const age = (seconds) => {
		if (seconds === null || seconds === undefined) return "–";
		if (seconds < 90) return __("{0} s", [Math.round(seconds)]);
		if (seconds < 5400) return __("{0} min", [Math.round(seconds / 60)]);
		return __("{0} h", [(seconds / 3600).toFixed(1)]);
	};

	const list_link = (doctype, filters, text) =>
		`<a href="/app/${frappe.router.slug(doctype)}?${new URLSearchParams(filters).toString()}">${text}</a>`;

	const render = (data) => {
		const rows = data.connectors
			.map((c) => {
				const failures = c.failures_24h
					? list_link("Connector Request Log", { connector: c.connector, outcome: "Failed" }, c.failures_24h)
					: "0";
				const letters = c.open_dead_letters
					? list_link("Integration Dead Letter", { connector: c.connector }, c.open_dead_letters)
					: "0";
				return (
					`<tr><td><b>${esc(c.connector)}</b></td>` +
					`<td>${c.enabled ? pill("green", __("On")) : pill("gray", __("Off"))}</td>` +
					`<td>${pill(BREAKER[c.breaker_state] || "gray", __(c.breaker_state))}` +
					(c.breaker_reason && c.breaker_state !== "closed" ? `<div class="text-muted small">${esc(c.breaker_reason)}</div>` : "") +
					`</td><td>${esc(c.last_success_at ? c.last_success_at.slice(0, 19) : __("never"))}</td>` +
					`<td>${c.calls_24h}</td><td>${failures}</td><td>${letters}</td>` +
					`<td>${c.queued_jobs} / ${age(c.queue_lag_seconds)}</td></tr>`
				);
			})
			.join("");
		const incidents = data.open_incidents.length
			? data.open_incidents
					.map((i) => `<li><b>${esc(i.connector)}: ${esc(i.reason)}</b> (${esc(i.opened_at.replace("T", " ").slice(0, 16))})<br>${esc(i.message)}</li>`)
					.join("")
			: `<li class="text-muted">${__("No open incidents.")}</li>`;
		body.html(`
			<p>${pill(STATUS[data.status] || "gray", __(data.status))}
				<span class="text-muted">${__("Checked at {0}", [esc(data.checked_at)])}</span>
				${data.scheduler_active ? "" : pill("red", __("Scheduler is disabled: no scheduled sync runs"))}</p>
			<table class="table table-bordered">
				<thead><tr><th>${__("Connector")}</th><th>${__("Enabled")}</th><th>${__("Circuit")}</th>
					<th>${__("Last Successful Sync")}</th><th>${__("Calls (24 h)")}</th><th>${__("Failed (24 h)")}</th>
					<th>${__("Open Dead Letters")}</th><th>${__("Queued / Lag")}</th></tr></thead>
				<tbody>${rows}</tbody>
			</table>
			<h5>${__("Open Incidents")}</h5><ul>${incidents}</ul>`);
	};

	const load = () =>
		frappe.call({ method: "scoopjoy.api.operations.health_check", type: "GET" }).then((r) => render(r.message));

	page.set_primary_action(__("Refresh"), load, "refresh");
	page.add_inner_button(__("ScoopJoy Settings"), () => frappe.set_route("Form", "ScoopJoy Settings"));
	page.add_inner_button(__("Dead Letters"), () => frappe.set_route("List", "Integration Dead Letter"));
	page.add_inner_button(__("Request Log"), () => frappe.set_route("List", "Connector Request Log"));
	load();
	// a status page left open stays current
	setInterval(() => frappe.get_route_str() === "integration-status" && load(), 60000);
};
