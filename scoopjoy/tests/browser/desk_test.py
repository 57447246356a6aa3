"""The app's desk in headless Chromium, on a test site with data (see seed.py): every page, list,
form and button ScoopJoy adds, each checked for uncaught JS errors, console errors, dialogs left
without a way forward and pages stuck loading (desk.py), plus what a person must be able to read
on each of them. The tests run in file order (one browser, one seeded site).

Run through tools/browser_tests.sh <bench> <site>; file name ``*_test.py`` on purpose: Frappe's
own runner (``bench run-tests``) imports every ``test_*.py`` of the app, and these need a browser.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import time
from pathlib import Path

import frappe
import pytest

from scoopjoy.tests.browser import seed
from scoopjoy.tests.browser.conftest import REPO, Jobs

README_SHOTS = os.environ.get("SCOOPJOY_README_SCREENSHOTS") == "1"
CONNECTORS = {"Shopify", "WhatsApp", "Franchise Mobile App", "Google Contacts", "Shipping Carrier"}
RAW_FAILURE_CODES = ("rate_limited", "transient", "programming")


def readme_shot(desk, name: str) -> None:
	"""docs/screenshots/<name>.png, refreshed when SCOOPJOY_README_SCREENSHOTS=1."""
	if not README_SHOTS:
		return
	target = REPO / "docs" / "screenshots" / f"{name}.png"
	target.parent.mkdir(parents=True, exist_ok=True)
	shutil.copyfile(desk.shots[-1], target)


APP_DOCTYPES = set()


def form_ready(desk, doctype: str, name: str | None = None) -> None:
	"""The form is shown; one of this app's saved forms must not be "Not Saved" on opening."""
	desk.page.wait_for_function(
		"""([doctype, name]) => window.cur_frm && cur_frm.doctype === doctype && cur_frm.doc
			&& (!name || cur_frm.doc.name === name) && cur_frm.layout && cur_frm.fields_dict""",
		arg=[doctype, name],
	)
	desk.wait_loaded()
	if not APP_DOCTYPES:
		APP_DOCTYPES.update(frappe.get_all("DocType", filters={"module": "ScoopJoy"}, pluck="name"))
	if doctype in APP_DOCTYPES and name and not name.startswith("new-"):
		dirty = desk.page.evaluate("() => cur_frm.is_dirty()")
		assert not dirty, f"{doctype} {name} opens as Not Saved"


def open_form(desk, doctype: str, name: str | None = None, routed: bool = False) -> None:
	route = frappe.scrub(doctype).replace("_", "-") + (f"/{name}" if name else "")
	desk.goto(route, routed=routed)
	form_ready(desk, doctype, name or doctype)


def list_ready(desk, doctype: str) -> None:
	desk.page.wait_for_function(
		"""(doctype) => window.cur_list && cur_list.doctype === doctype && cur_list.data
			&& document.querySelector('.frappe-list .result') !== null""",
		arg=doctype,
	)
	desk.wait_loaded()


def open_list(desk, doctype: str, query: str = "") -> None:
	desk.goto(frappe.scrub(doctype).replace("_", "-") + (f"?{query}" if query else ""))
	list_ready(desk, doctype)


def menu(desk, group: str, item: str) -> None:
	"""A custom button inside its group (ScoopJoy, Actions) on a form or page."""
	desk.page.locator(".page-actions .inner-group-button:visible button", has_text=group).first.click()
	desk.page.locator(
		".page-actions .inner-group-button:visible .dropdown-menu .dropdown-item", has_text=item
	).first.click()


def button(desk, label: str) -> None:
	desk.page.locator(
		".page-actions button:visible", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
	).first.click()


def alert_text(desk, contains: str, timeout: float = 20_000) -> str:
	alert = desk.page.locator("#alert-container .alert-message", has_text=contains).last
	alert.wait_for(state="visible", timeout=timeout)
	return alert.inner_text()


def dialog(desk, contains: str = "", timeout: float = 20_000):
	modal = desk.page.locator(".modal.show", has_text=contains).last
	modal.wait_for(state="visible", timeout=timeout)
	return modal


def close_dialog(desk) -> None:
	modal = desk.page.locator(".modal.show").last
	modal.locator(".btn-modal-close, .modal-header .close, button:has-text('Close')").first.click()
	modal.wait_for(state="hidden")


def overlapping(boxes: list[dict]) -> list[tuple]:
	boxes = sorted((b for b in boxes if b["text"]), key=lambda b: b["x"])
	return [(a["text"], b["text"]) for a, b in itertools.pairwise(boxes) if a["x"] + a["width"] > b["x"] - 2]


# --- the workspace ------------------------------------------------------------------------------------


def test_workspace_shows_its_cards_and_readable_charts(desk, world):
	desk.goto("scoopjoy-integrations")
	desk.page.wait_for_function(
		"""() => document.querySelectorAll('.number-widget-box .number').length >= 4
			&& [...document.querySelectorAll('.dashboard-widget-box')].length >= 4
			&& [...document.querySelectorAll('.dashboard-widget-box')].every(
				(w) => w.querySelector('.frappe-chart') || /No Data/.test(w.innerText))"""
	)
	desk.wait_loaded()
	cards = desk.page.locator(".number-widget-box").all_inner_texts()
	labels = {text.split("\n")[0].strip().lower() for text in cards}
	assert {"calls (24 h)", "failed calls (24 h)", "circuits open", "open dead letters"} <= labels, cards
	assert all(re.search(r"\d", text) for text in cards), cards

	charts = desk.page.evaluate(
		"""() => [...document.querySelectorAll('.dashboard-widget-box')].map((w) => ({
			title: (w.querySelector('.widget-title') || {}).innerText,
			x_labels: [...w.querySelectorAll('.x.axis text, .chart-label.x-axis-label, .x-axis-label')].map((t) => {
				const b = t.getBoundingClientRect();
				return { text: t.textContent.trim(), x: b.x, width: b.width };
			}),
			legend: [...w.querySelectorAll('.legend-dataset-label')].map((t) => t.textContent.trim()),
			y_labels: [...w.querySelectorAll('.y.axis text')].map((t) => t.textContent.trim()).filter(Boolean),
			text: w.innerText,
		}))"""
	)
	by_title = {c["title"].strip(): c for c in charts}
	assert set(by_title) >= {
		"Integration Calls",
		"Failed Integration Calls",
		"Integration Failures by Reason",
		"Open Dead Letters by Connector",
	}, list(by_title)
	for title in ("Integration Calls", "Failed Integration Calls"):
		shown = [b for b in by_title[title]["x_labels"] if b["text"]]
		assert shown, f"{title}: no date labels"
		assert not overlapping(shown), f"{title}: date labels overlap: {overlapping(shown)}"
		counts_axis = by_title[title]["y_labels"]
		assert counts_axis and not [y for y in counts_axis if "." in y], f"{title}: y axis {counts_axis}"
	reasons = by_title["Integration Failures by Reason"]
	assert not [c for c in RAW_FAILURE_CODES if c in " ".join(reasons["legend"]) + reasons["text"]], reasons
	letters = by_title["Open Dead Letters by Connector"]
	assert letters["legend"], letters
	assert set(letters["legend"]) <= CONNECTORS, f"not a connector of the app: {letters['legend']}"
	assert not [label for label in letters["legend"] if "…" in label or "..." in label], letters["legend"]

	# a count reads as a count: hover the last day of the failed calls
	failed = desk.page.locator(".dashboard-widget-box", has_text="Failed Integration Calls").locator(
		".frappe-chart"
	)
	box = failed.bounding_box()
	desk.page.mouse.move(box["x"] + box["width"] - 40, box["y"] + box["height"] / 2)
	tip = desk.page.locator(".graph-svg-tip .tooltip-value").first
	tip.wait_for(state="attached")
	value = tip.inner_text().strip()
	assert value and not value.endswith(".00"), f"tooltip shows {value!r}"
	desk.page.mouse.move(5, 5)
	desk.check("workspace")
	readme_shot(desk, "workspace")


def test_workspace_shortcuts_and_links_open(desk, world):
	"""The shortcuts open from the workspace; its cards link every Settings, log and record list,
	and the pages no other test opens are opened here."""
	from urllib.parse import unquote

	desk.goto("scoopjoy-integrations")
	shortcuts = [t.strip() for t in desk.page.locator(".shortcut-widget-box .widget-title").all_inner_texts()]
	assert set(shortcuts) >= {"Integration Status", "Dead Letters", "Request Log", "Shopify Sync Console"}
	links = dict(
		desk.page.evaluate(
			"""() => [...document.querySelectorAll('.links-widget-box a.link-item')]
				.map((a) => [a.innerText.trim(), a.getAttribute('href')])"""
		)
	)
	for doctype in (
		"ScoopJoy Settings",
		"Shopify Store",
		"WhatsApp Settings",
		"Mobile App Settings",
		"Google Contacts Settings",
		"Shipping Settings",
		"Connector Request Log",
		"Integration Dead Letter",
		"Error Log",
		"Shopify Webhook Delivery",
		"Shopify Backfill",
		"Franchise Outlet",
	):
		slug = desk.prefix + "/" + frappe.scrub(doctype).replace("_", "-")
		# from v16 on a Single DocType's link names its one record: <prefix>/<slug>/<DocType>
		assert unquote(links.get(doctype) or "") in (slug, f"{slug}/{doctype}"), (doctype, links)
	for label in ("Dead Letters",):
		name = desk.page.locator(".widget-title", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
		target = desk.page.locator(".shortcut-widget-box:visible").filter(has=name).first
		target.wait_for(state="visible")
		target.click()
		page_ready(desk)
		desk.check(f"workspace-shortcut-{frappe.scrub(label)}".replace("_", "-"))
	for label in ("Error Log", "Shopify Webhook Delivery", "Franchise Outlet"):
		desk.goto(links[label].removeprefix(desk.prefix + "/"), routed=True)
		page_ready(desk)
		desk.check(f"workspace-link-{frappe.scrub(label)}".replace("_", "-"))
	open_list(desk, "WhatsApp Message")
	desk.check("whatsapp-message-list")


def page_ready(desk) -> None:
	desk.page.wait_for_function("() => frappe.get_route()[0] !== 'Workspaces'")
	desk.page.wait_for_function(
		"""() => (window.cur_list && frappe.get_route()[0] === 'List' && document.querySelector('.frappe-list .result'))
			|| (window.cur_frm && frappe.get_route()[0] === 'Form' && cur_frm.fields_dict)
			|| document.querySelector('.integration-status table, .shopify-sync-console table, .sync-console-error')"""
	)
	desk.wait_loaded()


def test_franchise_outlet_sync_button(desk, world, jobs):
	open_form(desk, "Franchise Outlet", world["outlet"])
	button(desk, "Sync outlet")
	alert_text(desk, "queued")
	desk.check("franchise-outlet-sync")
	jobs.discard()


# --- Integration Status ---------------------------------------------------------------------------------


def test_integration_status_says_why_it_is_not_ok(desk, world):
	desk.goto("integration-status", ready=".integration-status table")
	text = desk.text(".integration-status")
	status = desk.page.locator(".integration-status .indicator-pill").first.inner_text().strip().lower()
	rows = desk.page.locator(".integration-status tbody tr").all_inner_texts()
	assert {row.split("\t")[0].strip() for row in rows} == CONNECTORS, rows
	assert not re.search(r"\d{4}-\d\d-\d\dT", text), "raw ISO time on the page"
	if status != "ok":
		why = desk.page.locator(".integration-status .status-why")
		assert why.is_visible(), f"status {status} without a reason"
		assert why.locator("li").count() >= 1, why.inner_text()
		assert "Why it is" in why.inner_text()
	button(desk, "Refresh")
	desk.wait_loaded()
	desk.check("integration-status")
	readme_shot(desk, "integration-status")
	# the failed-calls count links to the log, filtered
	desk.page.locator(".integration-status tbody tr", has_text="Franchise Mobile App").locator(
		"a"
	).first.click()
	list_ready(desk, "Connector Request Log")
	desk.check("integration-status-to-request-log")
	for label, doctype in (
		("Dead Letters", "Integration Dead Letter"),
		("Request Log", "Connector Request Log"),
	):
		desk.goto("integration-status", ready=".integration-status table", routed=True)
		button(desk, label)
		list_ready(desk, doctype)
	desk.goto("integration-status", ready=".integration-status table", routed=True)
	button(desk, "ScoopJoy Settings")
	form_ready(desk, "ScoopJoy Settings")
	desk.check("integration-status-buttons")


# --- Shopify Sync Console -------------------------------------------------------------------------------


def console_ready(desk) -> None:
	desk.page.wait_for_function(
		"""() => document.querySelector('.shopify-sync-console .sync-console-counts')
			|| document.querySelector('.shopify-sync-console .sync-console-error')"""
	)
	desk.wait_loaded()


def test_sync_console_explains_every_missing_order(desk, world, simulators):
	made = world["shopify"]
	desk.goto("shopify-sync-console")
	console_ready(desk)
	window = desk.page.locator(".sync-console-window")
	assert (
		window.locator("label", has_text="From").is_visible()
		and window.locator("label", has_text=re.compile(r"^To$")).is_visible()
	)
	counts = {
		row.split("\t")[0].split("\n")[0].strip(): row
		for row in desk.page.locator(".sync-console-counts tbody tr").all_inner_texts()
	}
	assert set(counts) == {"Products", "Variants", "Customers", "Orders", "Paid", "Deliveries"}, counts
	# the variant of the unmapped order's product is listed with why and what to do
	unmapped = desk.page.locator(".sync-console-unmapped tbody tr").all_inner_texts()
	# (Item not linked when an earlier run on this site left Items of those SKUs)
	assert any(
		("No Item yet" in row or "Item not linked" in row) and "Import catalog" in row for row in unmapped
	), unmapped
	# the window's customers in Shopify vs the same customers in ERPNext (not every customer ever)
	customers = [int(n) for n in re.findall(r"\t(\d+)", counts["Customers"])]
	assert customers[1] <= customers[0], counts["Customers"]

	missing = desk.page.locator(".sync-console-missing tbody tr")
	rows = {row.get_attribute("data-order"): row.inner_text() for row in missing.all()}
	from scoopjoy.connectors.shopify.mapping import legacy_id

	expected = {
		"deleted_product": "Deleted product",
		"unmapped_product": "Unmapped product",
		"cancelled": "Cancelled before import",
		"error": "Error",
		"pending": "Not imported yet",
		"recent": "Recent",
	}
	for key, reason in expected.items():
		row = rows.get(legacy_id(made[key]["id"]))
		assert row and reason in row, f"{key}: {row!r}"
	for order in made["imported"]:
		assert legacy_id(order["id"]) not in rows
	assert "Vanilla Scoop (2 lines)" in rows[legacy_id(made["unmapped_product"]["id"])]
	assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", desk.text(".shopify-sync-console")), "raw UTC timestamps"
	cancelled = missing.filter(has_text="Cancelled before import")
	assert cancelled.locator("button.resync").count() == 0, "a cancelled order offers Resync"
	desk.check("sync-console")
	# the README shows the "Not synced — and why" list
	desk.page.locator(".shopify-sync-console h5", has_text="Not synced").evaluate(
		"(h) => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 150)"
	)
	desk.screenshot("sync-console-not-synced")
	readme_shot(desk, "sync-console")
	desk.page.evaluate("() => window.scrollTo(0, 0)")

	missing.filter(has_text="Not imported yet").locator("button.resync").click()
	assert "1 order(s) queued" in alert_text(desk, "queued")
	desk.page.locator(".shopify-sync-console .resync-all").click()
	alert_text(desk, "order(s) queued")
	# another window reloads the comparison
	desk.page.locator(".sync-console-window input[data-fieldname='from_date']").fill(
		frappe.utils.formatdate(frappe.utils.add_days(frappe.utils.nowdate(), -3))
	)
	desk.page.keyboard.press("Escape")
	desk.page.locator(".sync-console-window label", has_text="From").click()
	console_ready(desk)
	desk.check("sync-console-window-changed")
	for label, route in (
		("Shopify Store", "Form/Shopify Store"),
		("Dead letters", "List/Integration Dead Letter"),
	):
		desk.goto("shopify-sync-console")
		console_ready(desk)
		button(desk, label)
		desk.page.wait_for_function("(route) => frappe.get_route_str().startsWith(route)", arg=route)
		desk.wait_loaded()
	# back on the page inside the desk: it compares again instead of showing what it showed before
	with desk.page.expect_response(lambda r: "get_sync_console" in r.url):
		desk.page.evaluate("() => frappe.set_route('shopify-sync-console')")
	console_ready(desk)
	desk.check("sync-console-buttons")
	assert Jobs.discard() >= 1  # what the Resync buttons queued


def test_sync_console_when_shopify_is_down(desk, world, simulators):
	from scoopjoy.connectors.shopify.connector import ShopifyConnector

	shop = simulators["shop"]
	frappe.db.set_value("Shopify Store", shop.shop_domain, "api_url", "http://127.0.0.1:9")  # nothing listens
	frappe.db.commit()
	frappe.clear_document_cache("Shopify Store", shop.shop_domain)
	try:
		desk.goto("shopify-sync-console")
		console_ready(desk)
		error = desk.page.locator(".shopify-sync-console .sync-console-error")
		assert error.is_visible()
		text = error.inner_text()
		assert "could not be reached" in text and "retried with backoff" not in text, text
		assert error.locator("button", has_text="Try again").is_visible()
		desk.check("sync-console-shopify-down")
		error.locator("button", has_text="Try again").click()
		console_ready(desk)
		desk.check("sync-console-shopify-still-down")
	finally:
		frappe.db.set_value("Shopify Store", shop.shop_domain, "api_url", shop.url)
		frappe.db.commit()
		frappe.clear_document_cache("Shopify Store", shop.shop_domain)
		ShopifyConnector(store=shop.shop_domain).breaker.reset()
	desk.page.locator(".shopify-sync-console .sync-console-error button", has_text="Try again").click()
	desk.page.locator(".shopify-sync-console .sync-console-counts").wait_for()
	desk.check("sync-console-shopify-back")


def test_sync_console_create_items_imports_an_unmapped_order(desk, world, simulators, jobs):
	"""Issue #14: an order whose product has no ERPNext Item waits as a dead letter; the console's
	Create Items makes the Items from the Shopify product and replays the order into ERPNext, and
	says so. The button does its work in the request (no job to wait for); the jobs run afterwards
	are what the new Sales Order queued."""
	from scoopjoy.connectors.shopify.constants import SYNC_ORDER_JOB
	from scoopjoy.connectors.shopify.items import UNMAPPED

	unmapped = seed.seed_unmapped_order(simulators["shop"])
	order_id, (cup, tub) = unmapped["order_id"], unmapped["skus"]
	template = f"SHOPIFY-PRODUCT-{unmapped['product_id']}"
	jobs.discard()
	waiting = frappe.get_all(
		"Integration Dead Letter",
		filters={
			"connector": "Shopify",
			"job": SYNC_ORDER_JOB,
			"status": ["in", ("Open", "Gave Up")],
			"last_error": ["like", f"%{UNMAPPED}%"],
		},
		pluck="name",
	)
	assert waiting == [unmapped["dead_letter"]], (
		f"Create Items would replay other unmapped Shopify orders of this site too: {waiting} (left by "
		"an earlier run, or a bench worker took this site's queued order imports)"
	)
	assert not frappe.db.exists("Item", cup)

	desk.goto("shopify-sync-console")
	console_ready(desk)
	row = desk.page.locator(f".sync-console-missing tbody tr[data-order='{order_id}']")
	text = row.inner_text()
	assert UNMAPPED in text and cup in text and "Dead letter" in text, text
	desk.check("sync-console-unmapped-order")

	button(desk, "Create Items")
	dialog(desk, "Make ERPNext Items from the Shopify products").locator(
		".btn-primary", has_text="Yes"
	).click()
	result = dialog(desk, "made from Shopify products", timeout=60_000)
	assert result.locator(".modal-title").inner_text().strip() == "Create Items"
	said = result.locator(".modal-body").inner_text().strip()
	# the template and both sizes; the one waiting order, now in ERPNext. Nothing else: not what
	# ERPNext tells a person at a form while the replay works (e.g. "Changed customer name to …")
	assert said == "3 Item(s) made from Shopify products; 1 of 1 order(s) replayed into ERPNext.", said
	desk.check("sync-console-create-items-result", dialogs_allowed=True)  # compared again behind it
	close_dialog(desk)
	assert row.count() == 0, f"the console still lists order {order_id}: {row.first.inner_text()}"
	desk.check("sync-console-after-create-items")

	jobs.run()  # what the new Sales Order queued (its status for the mobile app)
	frappe.db.rollback()  # see what the web server committed
	assert frappe.db.get_value("Integration Dead Letter", unmapped["dead_letter"], "status") == "Resolved"

	open_form(desk, "Item", cup)
	title = desk.doc_title()
	assert title == "Strawberry Swirl - Cup", title
	item = desk.page.evaluate(
		"() => ({ variant_of: cur_frm.doc.variant_of,"
		" variant_id: (cur_frm.doc.custom_shopify_listings || [])[0]?.variant_id,"
		" group: cur_frm.doc.item_group })"
	)
	assert item == {
		"variant_of": template,
		"variant_id": unmapped["variant_ids"][0],
		"group": seed.SHOPIFY_NEW_ITEMS_GROUP,
	}, item
	desk.check("item-made-by-create-items")
	open_form(desk, "Item", tub, routed=True)
	desk.check("item-made-by-create-items-tub")

	open_list(desk, "Sales Order", f"custom_shopify_order_id={order_id}")
	orders = desk.page.locator(".frappe-list .list-row-container .list-row")
	assert orders.count() == 1, desk.text(".frappe-list")
	orders.first.locator(".list-subject a").first.click()
	form_ready(desk, "Sales Order")
	lines = desk.page.evaluate("() => cur_frm.doc.items.map((d) => [d.item_code, d.qty])")
	assert lines == [[cup, 2]], lines
	assert desk.page.evaluate("() => cur_frm.doc.docstatus") == 1
	assert cup in desk.text(".form-page:visible [data-fieldname='items']")
	desk.check("sales-order-from-create-items")


# --- dead letters and the request log -------------------------------------------------------------------


def test_dead_letter_list_has_distinct_titles_and_a_connector_column(desk, world):
	open_list(desk, "Integration Dead Letter")
	headers = [h.strip() for h in desk.page.locator(".list-row-head .list-row-col").all_inner_texts()]
	assert "Connector" in headers, headers
	titles = [t.strip() for t in desk.page.locator(".list-row .list-subject a.ellipsis").all_inner_texts()]
	assert titles
	for title in titles:
		for connector in CONNECTORS:
			assert not title.startswith(f"{connector}: {connector}"), title
	assert desk.page.locator(".standard-filter-section [data-fieldname='connector']").count() >= 1
	desk.check("dead-letter-list")

	# filtered by connector from the URL, as the status page links it: rows that differ in what failed
	open_list(
		desk,
		"Integration Dead Letter",
		"connector=Franchise%20Mobile%20App&status=Open&job=scoopjoy.connectors.mobile_app.jobs.push_order_status",
	)
	connectors = {
		c.strip() for c in desk.page.locator(".list-row [data-filter^='connector,=']").all_inner_texts()
	}
	assert connectors == {"Franchise Mobile App"}, connectors
	titles = [t.strip() for t in desk.page.locator(".list-row .list-subject a.ellipsis").all_inner_texts()]
	mobile = [t for t in titles if t.startswith("Push order status")]
	assert len(mobile) >= 2 and len(set(mobile)) == len(mobile), f"rows look alike: {titles}"
	desk.check("dead-letter-list-mobile")

	# Retry selected: pick one, confirm, see what was queued
	desk.page.locator(".list-row-checkbox").first.check()
	desk.page.locator(".page-actions button:visible", has_text="Actions").first.click()
	desk.page.locator(".dropdown-menu .dropdown-item:visible", has_text="Retry selected").first.click()
	dialog(desk, "Retry 1 dead letter").locator(".btn-primary").click()
	alert_text(desk, "queued for retry")
	desk.check("dead-letter-retry-selected")


def test_dead_letter_form_retries_and_resolves(desk, world, jobs):
	jobs.discard()
	name = frappe.get_all(
		"Integration Dead Letter",
		filters={"dedup_key": ["like", f"{seed.MARK}:mobile:%"], "status": "Open"},
		pluck="name",
		limit=1,
	)[0]
	open_form(desk, "Integration Dead Letter", name)
	title = desk.doc_title()
	assert title.startswith("Push order status"), title
	desk.check("dead-letter")
	readme_shot(desk, "dead-letter")
	button(desk, "Retry now")
	alert_text(desk, "queued")
	form_ready(desk, "Integration Dead Letter", name)
	jobs.run()  # the backend answers now: the replay succeeds
	desk.page.reload()
	form_ready(desk, "Integration Dead Letter", name)
	assert "Resolved" in desk.page.locator(".page-head .indicator-pill").first.inner_text()
	desk.check("dead-letter-resolved")


def test_request_log_list_and_a_call_without_an_answer(desk, world):
	open_list(desk, "Connector Request Log")
	headers = [h.strip() for h in desk.page.locator(".list-row-head .list-row-col").all_inner_texts()]
	assert "Outcome" not in headers, f"Status and Outcome say the same thing: {headers}"
	pills = desk.page.evaluate(
		"""() => [...document.querySelectorAll('.list-row .indicator-pill')].map((p) => ({
			text: p.innerText.trim(), cut: p.scrollWidth > p.clientWidth + 1 }))"""
	)
	assert pills and not [p for p in pills if p["cut"]], f"cut pills: {pills}"
	desk.check("request-log-list")

	assert {p["text"] for p in pills} <= {"Success", "No response"} | {
		p["text"] for p in pills if re.fullmatch(r"Failed · \d{3}", p["text"])
	}, pills

	open_list(desk, "Connector Request Log", "connector=WhatsApp&outcome=Failed")
	row_text = desk.page.locator(".list-row").first.inner_text()
	assert "No response" in row_text and "Service down or slow" in row_text, row_text
	desk.page.locator(".list-row .list-subject a").first.click()
	form_ready(desk, "Connector Request Log")
	intro = desk.page.locator(".form-message, .form-intro").first.inner_text()
	assert "No HTTP response" in intro, intro
	desk.check("request-log-no-response")


# --- Settings forms ----------------------------------------------------------------------------------------


def test_scoopjoy_settings(desk, world):
	open_form(desk, "ScoopJoy Settings")
	desk.check("scoopjoy-settings")
	button(desk, "Send Test Alert")
	alert_text(desk, "")
	desk.check("scoopjoy-settings-test-alert")
	button(desk, "Integration Status")
	desk.page.locator(".integration-status table").wait_for()
	desk.check("scoopjoy-settings-to-status")


def test_shopify_settings_and_its_actions(desk, world, simulators, jobs):
	open_form(desk, "Shopify Store", simulators["shop"].shop_domain)
	help_text = desk.page.locator(".frappe-control[data-fieldname='shop_domain'] .help-box").inner_text()
	assert "myshopify.com" in help_text and not help_text.strip().startswith("."), help_text
	desk.check("shopify-settings")
	button(desk, "Test connection")
	alert_text(desk, "")
	menu(desk, "Actions", "Pull orders now")
	alert_text(desk, "ueued")
	menu(desk, "Actions", "Push inventory now")
	alert_text(desk, "ueued")
	menu(desk, "Actions", "Check inventory drift")
	dialog(desk)
	desk.check("shopify-settings-drift", dialogs_allowed=True)
	close_dialog(desk)
	jobs.discard()
	menu(desk, "Actions", "Backfill orders")
	form_ready(desk, "Shopify Backfill")
	assert desk.page.evaluate("() => cur_frm.is_new()")
	desk.check("shopify-settings-new-backfill")
	open_form(desk, "Shopify Store", simulators["shop"].shop_domain)
	button(desk, "Sync Console")
	console_ready(desk)
	desk.check("shopify-settings-to-console")


def test_one_store_opens_its_form_two_stores_list_and_the_console_compares_the_chosen_one(
	desk, world, simulators
):
	hong_kong = simulators["shop"].shop_domain
	desk.goto("shopify-store")  # the workspace's Shopify Store link, with one store: that store
	desk.page.wait_for_function(
		"(name) => frappe.get_route_str() === `Form/Shopify Store/${name}`", arg=hong_kong
	)
	form_ready(desk, "Shopify Store", hong_kong)
	desk.check("shopify-one-store-opens-its-form")

	singapore_shop = seed.BrowserShop(
		access_token=seed.SECOND_STORE_TOKEN,
		client_secret=seed.SECOND_STORE_SECRET,
		shop_domain="scoopjoy-browser-sg.myshopify.com",
		currency="SGD",
	).start()
	singapore = None
	try:
		singapore = seed.second_store(singapore_shop, world["world"], orders=3)
		open_list(desk, "Shopify Store")  # two stores: the list stays
		rows = [  # the stores' rows (Frappe 16 counts its header row among the containers)
			row
			for row in desk.page.locator(".frappe-list .list-row-container").all_inner_texts()
			if "scoopjoy" in row.lower()
		]
		assert len(rows) == 2 and any("ScoopJoy Singapore" in row for row in rows), rows
		desk.check("shopify-store-list")
		desk.page.locator(".frappe-list .list-row-container", has_text="ScoopJoy Singapore").locator(
			"a.list-subject-title, .list-subject a"
		).first.click()
		form_ready(desk, "Shopify Store", singapore)
		desk.check("shopify-store-form-singapore")

		button(desk, "Sync Console")  # the console of this store
		console_ready(desk)
		store_field = ".sync-console-window input[data-fieldname='store']"
		assert desk.page.locator(store_field).input_value() == singapore
		rows = desk.page.locator(".sync-console-counts tbody tr").all_inner_texts()
		orders = next(row for row in rows if row.startswith("Orders"))
		assert [int(n) for n in re.findall(r"\t(\d+)", orders)][:2] == [3, 0], orders
		deliveries = next(row for row in rows if row.startswith("Deliveries"))
		assert "in ERPNext only" not in deliveries, deliveries  # the other store's notes are not its own
		assert desk.page.locator(".sync-console-missing tbody tr").count() == 3
		desk.check("sync-console-second-store")

		# the store chosen at the top: back to Hong Kong's comparison
		with desk.page.expect_response(
			lambda r: "get_sync_console" in r.url and hong_kong in (r.request.post_data or "")
		):
			desk.page.locator(store_field).fill(hong_kong)
			desk.page.locator(store_field).press("Escape")
			desk.page.locator(".sync-console-window label", has_text="From").click()
		console_ready(desk)
		made = world["shopify"]
		from scoopjoy.connectors.shopify.mapping import legacy_id

		listed = desk.page.locator(".sync-console-missing tbody tr").evaluate_all(
			"(rows) => rows.map((row) => row.dataset.order)"
		)
		assert legacy_id(made["pending"]["id"]) in listed, listed
		desk.check("sync-console-first-store-again")
	finally:
		if singapore:
			seed.remove_store(singapore)
		singapore_shop.stop()


def test_product_publish_shows_its_progress(desk, world, simulators, jobs):
	from scoopjoy.tests.simulators.harness import Fault

	seed.publishable_items()
	jobs.discard()
	open_form(desk, "Shopify Store", simulators["shop"].shop_domain)
	menu(desk, "Actions", "Publish products now")
	alert_text(desk, "ueued")
	desk.page.locator(".form-dashboard .progress-area", has_text="Publishing products").first.wait_for(
		state="visible"
	)
	simulators["shop"].faults.add(Fault.delay(0.8, times=None, method="POST"))
	seen = set()
	try:
		jobs.start()
		deadline = time.monotonic() + 120
		while jobs.running() and time.monotonic() < deadline:
			text = desk.page.locator(".form-dashboard").first.inner_text()
			seen.update(re.findall(r"(\d+) of (\d+) products", text))
			desk.page.wait_for_timeout(300)
		jobs.wait()
	finally:
		simulators["shop"].faults.clear()
	alert_text(desk, "published", timeout=15_000)
	assert any(0 < int(done) < int(total) for done, total in seen), f"no step between start and end: {seen}"
	desk.check("shopify-settings-published")


def test_catalog_import_shows_its_progress_and_the_console_then_finds_every_variant(
	desk, world, simulators, jobs
):
	"""Issue #24: Actions > Import catalog asks first, queues the import and shows its progress; once
	done, the Sync Console's Variants row has ERPNext level with Shopify and lists no variant of the
	catalog as without an Item."""
	from scoopjoy.tests.simulators.harness import Fault

	shop = simulators["shop"]
	products = seed.seed_catalog(shop)
	jobs.discard()
	open_form(desk, "Shopify Store", shop.shop_domain)
	menu(desk, "Actions", "Import catalog")
	dialog(desk, "Import every Shopify product").locator(".btn-primary", has_text="Yes").click()
	alert_text(desk, "ueued")
	desk.page.locator(
		".form-dashboard .progress-area", has_text="Importing the Shopify catalog"
	).first.wait_for(state="visible")
	shop.faults.add(Fault.delay(0.3, times=None, method="POST"))
	seen = set()
	try:
		jobs.start()
		deadline = time.monotonic() + 180
		while jobs.running() and time.monotonic() < deadline:
			text = desk.page.locator(".form-dashboard").first.inner_text()
			seen.update(re.findall(r"(\d+) of (\d+) products", text))
			desk.page.wait_for_timeout(300)
		jobs.wait()
	finally:
		shop.faults.clear()
	done = alert_text(desk, "Items made", timeout=15_000)
	assert f"{products} of {products} products" in done and "0 failed" in done, done
	assert any(0 < int(d) < int(t) for d, t in seen), f"no step between start and end: {seen}"
	desk.check("shopify-catalog-imported")

	button(desk, "Sync Console")
	console_ready(desk)
	rows = desk.page.locator(".sync-console-counts tbody tr").all_inner_texts()
	variants = next(row for row in rows if row.startswith("Variants"))
	shopify, erpnext = [int(n) for n in re.findall(r"\t(\d+)", variants)][:2]
	unmapped = desk.page.locator(".sync-console-unmapped tbody tr").all_inner_texts()
	assert shopify == len(shop.variants) and erpnext + len(unmapped) >= shopify, (variants, unmapped)
	assert not any("BROWSER-CAT" in row for row in unmapped), unmapped
	desk.check("sync-console-after-catalog")


def test_backfill_shows_its_progress_while_it_runs(desk, world, simulators, jobs):
	from scoopjoy.tests.simulators.harness import Fault

	backfill = seed.seed_backfill_window(simulators["shop"])
	jobs.discard()
	open_form(desk, "Shopify Backfill", backfill["name"])
	button(desk, "Start")
	desk.page.locator(".form-dashboard .progress-area", has_text="Queued").first.wait_for(state="visible")
	simulators["shop"].faults.add(Fault.delay(0.7, times=None, method="POST"))
	seen = set()
	try:
		jobs.start()
		deadline = time.monotonic() + 150
		while jobs.running() and time.monotonic() < deadline:
			text = desk.page.locator(".form-dashboard").first.inner_text()
			now = re.findall(r"(\d+) of (\d+) orders", text)
			if not any(0 < int(d) < int(t) for d, t in seen) and any(0 < int(d) < int(t) for d, t in now):
				desk.screenshot("backfill-running")  # the README's picture of a backfill under way
				readme_shot(desk, "backfill-progress")
				offered = desk.page.locator(
					".page-actions button:visible", has_text=re.compile("Resume|Start")
				)
				assert offered.count() == 0, "a running backfill offers to start again"
			seen.update(now)
			desk.page.wait_for_timeout(300)
		jobs.wait()
	finally:
		simulators["shop"].faults.clear()
	desk.page.locator(".page-head .indicator-pill", has_text="Completed").wait_for(timeout=15_000)
	total = str(backfill["count"])
	assert any(0 < int(done) < int(total) for done, _t in seen), f"no progress between start and end: {seen}"
	assert (total, total) in {(d, t) for d, t in seen} or f"{total} of {total} orders" in desk.page.locator(
		".form-dashboard"
	).first.inner_text()
	desk.check("backfill-completed")


def test_other_settings_forms(desk, world):
	for doctype, buttons in (
		("WhatsApp Settings", ["Test connection"]),
		("Mobile App Settings", ["Test connection", "Sync menu now"]),
		("Google Contacts Settings", ["Test connection"]),
		("Shipping Settings", ["Test carrier connection"]),
	):
		open_form(desk, doctype, routed=True)
		desk.check(frappe.scrub(doctype).replace("_", "-"))
		for label in buttons:
			button(desk, label)
			alert_text(desk, "")
			desk.check(f"{frappe.scrub(doctype)}-{frappe.scrub(label)}".replace("_", "-"))
	Jobs.discard()


# --- ERPNext forms and lists with ScoopJoy buttons ------------------------------------------------------------


def test_sales_order_shows_its_whatsapp_confirmation(desk, world, jobs):
	orders = world["whatsapp_orders"]
	shown = desk.page.locator(".form-message-container:visible .scoopjoy-whatsapp-state")
	for index, (state, name) in enumerate(orders.items()):
		open_form(desk, "Sales Order", name, routed=index > 0)  # from one order to the next in the desk
		shown.wait_for(state="visible")
		text = shown.inner_text()
		assert f"WhatsApp confirmation: {state.lower()}" in text, (state, text)
		if state in ("Failed", "Uncertain"):
			desk.page.locator(".form-message-container .scoopjoy-whatsapp-state div").wait_for(
				state="visible"
			)
			assert "ScoopJoy" in shown.inner_text() or "customer" in shown.inner_text(), shown.inner_text()
		desk.check(f"sales-order-whatsapp-{state.lower()}")
	jobs.discard()
	open_form(desk, "Sales Order", orders["Failed"])
	menu(desk, "ScoopJoy", "Send WhatsApp confirmation")
	alert_text(desk, "queued")
	form_ready(desk, "Sales Order", orders["Failed"])
	jobs.run()
	desk.page.reload()
	form_ready(desk, "Sales Order", orders["Failed"])
	shown.wait_for(state="visible")
	assert "WhatsApp confirmation: sent" in shown.inner_text(), shown.inner_text()
	desk.check("sales-order-whatsapp-resent")


def test_delivery_note_ship_with_carrier_books_and_tracks(desk, world):
	open_form(desk, "Delivery Note", world["delivery_note"])
	desk.check("delivery-note")
	menu(desk, "ScoopJoy", "Ship with carrier")
	book = dialog(desk, "Book shipment")
	assert book.locator("select").first.locator("option").count() >= 1, book.inner_text()
	desk.check("delivery-note-rates", dialogs_allowed=True)
	book.locator(".btn-primary", has_text="Book and get label").click()
	booked = dialog(desk, "Shipment booked")
	assert "Tracking number" in booked.inner_text()
	desk.check("delivery-note-booked", dialogs_allowed=True)
	close_dialog(desk)
	frappe.db.rollback()  # see what the web server committed (this test may run first)
	shipment = frappe.db.get_value(
		"Shipment Delivery Note",
		{"delivery_note": world["delivery_note"], "parenttype": "Shipment"},
		"parent",
	)
	open_form(desk, "Shipment", shipment)
	menu(desk, "ScoopJoy", "Refresh tracking")
	form_ready(desk, "Shipment", shipment)
	desk.check("shipment-tracking-refreshed")


def test_customer_list_google_sync_shows_progress(desk, world, simulators, jobs):
	from scoopjoy.tests.simulators.harness import Fault

	jobs.discard()
	open_list(desk, "Customer")
	desk.check("customer-list")
	menu(desk, "ScoopJoy", "Sync to Google Contacts")
	alert_text(desk, "queued")
	dialog(desk, "Google Contacts")  # the progress dialog, waiting for a worker
	simulators["google"].faults.add(Fault.delay(0.8, times=None, method="POST"))
	seen = set()
	try:
		jobs.start()
		deadline = time.monotonic() + 120
		while jobs.running() and time.monotonic() < deadline:
			modal = desk.page.locator(".modal.show", has_text="Google Contacts")
			if modal.count():
				seen.update(re.findall(r"Created (\d+) contact", modal.first.inner_text()))
			desk.page.wait_for_timeout(300)
		jobs.wait()
	finally:
		simulators["google"].faults.clear()
	result = alert_text(desk, "Google Contacts:", timeout=15_000)
	assert "created" in result, result
	assert any(0 < int(n) < len(seed.FRANCHISEES) for n in seen), f"no step between start and end: {seen}"
	desk.check("customer-list-google-synced")


@pytest.fixture(scope="session", autouse=True)
def _screenshots_path():
	yield
	if README_SHOTS:
		print(f"\nbrowser tests: README screenshots refreshed in {Path(REPO, 'docs', 'screenshots')}")


def test_a_delivery_note_submitted_in_the_desk_fulfils_its_shopify_order(desk, world, simulators, jobs):
	note = world["shopify"]["fulfil_note"]
	order = world["shopify"]["imported"][0]
	jobs.discard()
	open_form(desk, "Delivery Note", note)
	# the form's Submit (a draft the desk filled in on opening shows Save first; v15 does): what the
	# button does, without depending on which label it shows
	desk.page.evaluate("() => { cur_frm.savesubmit(); }")
	dialog(desk, "Permanently Submit").locator(".btn-primary", has_text="Yes").click()
	desk.page.wait_for_function("() => cur_frm.doc.docstatus === 1")
	state = desk.page.locator(".form-message-container:visible .scoopjoy-shopify-fulfilment")
	state.wait_for(state="visible")
	assert "Shopify fulfilment: queued" in state.inner_text(), state.inner_text()  # a job after the commit
	desk.check("delivery-note-shopify-queued")
	jobs.run()
	desk.page.reload()
	form_ready(desk, "Delivery Note", note)
	state.wait_for(state="visible")
	made = simulators["shop"].get_order(order["id"])["fulfillments"]
	assert len(made) == 1, made
	text = state.inner_text()
	assert "Shopify fulfilment: fulfilled" in text and made[0]["id"].rsplit("/", 1)[1] in text, text
	desk.check("delivery-note-shopify-fulfilled")
