// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt
//
// One row per connector: switched on?, circuit breaker, last successful sync, calls and failures in
// the last 24 h, dead letters still open, jobs waiting and for how long; why the overall status is
// what it is (the conditions found now, alerted or not yet); then the incidents already alerted.
// Every number comes from scoopjoy.api.operations.health_check (the JSON a monitor polls too).

frappe.pages["integration-status"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Integration Status"), single_column: true });
	const body = $('<div class="integration-status"></div>').appendTo(page.main);
	const esc = frappe.utils.escape_html;
	const pill = (color, text) => `<span class="indicator-pill ${color}">${esc(text)}</span>`;
	const BREAKER = { closed: "green", half_open: "orange", open: "red", unknown: "gray" };
	const BREAKER_LABEL = { closed: __("Closed"), half_open: __("Half open"), open: __("Open"), unknown: __("Not set up") };
	const STATUS = { ok: "green", degraded: "orange", failing: "red" };
	const STATUS_LABEL = { ok: __("OK"), degraded: __("Degraded"), failing: __("Failing") };
	const REASON_LABEL = {
		"error rate": __("Error rate over the threshold"),
		"circuit open": __("Circuit open: calls paused"),
		"dead letters waiting": __("Dead letters waiting too long"),
		"no successful sync": __("No successful sync"),
	};

	const age = (seconds) => {
		if (seconds === null || seconds === undefined) return "–";
		if (seconds < 90) return __("{0} s", [Math.round(seconds)]);
		if (seconds < 5400) return __("{0} min", [Math.round(seconds / 60)]);
		return __("{0} h", [(seconds / 3600).toFixed(1)]);
	};
	// "2026-11-25 12:07:13" (system time) -> the user's date format and "3 minutes ago"
	const when = (value) => {
		if (!value) return esc(__("never"));
		const text = String(value).replace("T", " ").slice(0, 19);
		return `<span title="${esc(text)}">${esc(frappe.datetime.str_to_user(text))}</span>
			<div class="text-muted small">${esc(frappe.datetime.prettyDate(text))}</div>`;
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
					`<td>${pill(BREAKER[c.breaker_state] || "gray", BREAKER_LABEL[c.breaker_state] || c.breaker_state)}` +
					(c.breaker_reason && c.breaker_state !== "closed" ? `<div class="text-muted small">${esc(c.breaker_reason)}</div>` : "") +
					`</td><td>${when(c.last_success_at)}</td>` +
					`<td>${c.calls_24h}</td><td>${failures}</td><td>${letters}</td>` +
					`<td>${c.queued_jobs} / ${age(c.queue_lag_seconds)}</td></tr>`
				);
			})
			.join("");
		const alerted = new Set((data.open_incidents || []).map((i) => `${i.connector}|${i.reason}`));
		const why = (data.incidents || []).length
			? `<div class="status-why">
				<h5>${esc(__("Why it is {0}", [(STATUS_LABEL[data.status] || data.status).toLowerCase()]))}</h5>
				<ul>${data.incidents
					.map(
						(i) => `<li><b>${esc(i.connector)}: ${esc(REASON_LABEL[i.reason] || i.reason)}</b>
							${alerted.has(`${i.connector}|${i.reason}`) ? "" : `<span class="text-muted small">(${esc(__("not alerted yet: the alert job checks every 5 minutes while the scheduler runs"))})</span>`}
							<br>${esc(i.message)}</li>`
					)
					.join("")}</ul></div>`
			: `<p class="status-why text-muted">${esc(data.status_reason || __("Every enabled connector is within its alert thresholds."))}</p>`;
		const incidents = data.open_incidents.length
			? data.open_incidents
					.map(
						(i) =>
							`<li><b>${esc(i.connector)}: ${esc(REASON_LABEL[i.reason] || i.reason)}</b> (${when(i.opened_at)})<br>${esc(i.message)}</li>`
					)
					.join("")
			: `<li class="text-muted">${__("No open incidents.")}</li>`;
		body.html(`
			<p>${pill(STATUS[data.status] || "gray", STATUS_LABEL[data.status] || data.status)}
				<span class="text-muted">${__("Checked {0}", [esc(frappe.datetime.prettyDate(data.checked_at))])}</span>
				${data.scheduler_active ? "" : pill("red", __("Scheduler is disabled: no scheduled sync runs"))}</p>
			${why}
			<table class="table table-bordered">
				<thead><tr><th>${__("Connector")}</th><th>${__("Enabled")}</th><th>${__("Circuit")}</th>
					<th>${__("Last Successful Sync")}</th><th>${__("Calls (24 h)")}</th><th>${__("Failed (24 h)")}</th>
					<th>${__("Open Dead Letters")}</th><th>${__("Queued / Lag")}</th></tr></thead>
				<tbody>${rows}</tbody>
			</table>
			<h5>${__("Alerted Incidents")}</h5><ul class="open-incidents">${incidents}</ul>`);
	};

	const load = () => {
		wrapper.scoopjoy_loaded_at = Date.now();
		if (!body.children().length) body.html(`<p class="text-muted">${__("Loading...")}</p>`);
		return frappe
			.call({ method: "scoopjoy.api.operations.health_check", type: "GET" })
			.then((r) => render(r.message))
			.catch(() => body.html(`<p class="text-danger">${__("The status could not be read. Press Refresh to try again.")}</p>`));
	};

	page.set_primary_action(__("Refresh"), load, "refresh");
	page.add_inner_button(__("ScoopJoy Settings"), () => frappe.set_route("Form", "ScoopJoy Settings"));
	page.add_inner_button(__("Dead Letters"), () => frappe.set_route("List", "Integration Dead Letter"));
	page.add_inner_button(__("Request Log"), () => frappe.set_route("List", "Connector Request Log"));
	wrapper.scoopjoy_refresh = load;
	load();
	// a status page left open stays current
	setInterval(() => frappe.get_route_str() === "integration-status" && load(), 60000);
};

// back on the page from a list or a form (the desk keeps the page): show what is true now
frappe.pages["integration-status"].on_page_show = function (wrapper) {
	if (wrapper.scoopjoy_refresh && Date.now() - (wrapper.scoopjoy_loaded_at || 0) > 2000) wrapper.scoopjoy_refresh();
};
