"""A desk page in headless Chromium, with the checks every browser test applies to every page.

A page fails when it logs an uncaught JS error or a console error (the realtime server's socket.io
noise aside: none runs on a test bench), when a dialog is left open without a way forward, when it
never leaves its loading state (a frozen screen, a "Loading…" or "Comparing…" placeholder), and
when an error dialog appears that the test did not expect.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

#: realtime is not served on a test bench: its polling requests fail and are logged, harmlessly
IGNORED_CONSOLE = (re.compile(r"socket\.io", re.I),)
#: what a page shows while it waits for data; none of it may still be on screen once it is ready
LOADING_TEXTS = ("Loading...", "Loading…", "Comparing Shopify and ERPNext")
READY_TIMEOUT_MS = 20_000


@dataclass
class Problem:
	kind: str
	text: str
	url: str = ""

	def __str__(self) -> str:
		return f"[{self.kind}] {self.text} ({self.url})" if self.url else f"[{self.kind}] {self.text}"


@dataclass
class Desk:
	page: object  # playwright.sync_api.Page
	base_url: str
	artifacts: Path
	problems: list[Problem] = field(default_factory=list)
	allowed: list[re.Pattern] = field(default_factory=list)
	shots: list[Path] = field(default_factory=list)
	_prefix: str | None = None

	def __post_init__(self):
		self.page.on("console", self._on_console)
		self.page.on("pageerror", self._on_page_error)
		self.page.on("response", self._on_response)

	# --- listeners ------------------------------------------------------------------------------

	def _ignored(self, text: str) -> bool:
		return any(p.search(text) for p in (*IGNORED_CONSOLE, *self.allowed))

	def _on_console(self, message) -> None:
		if message.type != "error":
			return
		location = (message.location or {}).get("url", "")
		text = message.text
		if self._ignored(text) or self._ignored(location):
			return
		self.problems.append(Problem("console", text, location))

	def _on_page_error(self, error) -> None:
		stack = (getattr(error, "stack", None) or "").splitlines()[1:4]
		self.problems.append(Problem("uncaught", " | ".join([str(error), *[line.strip() for line in stack]])))

	def _on_response(self, response) -> None:
		url = response.url
		if response.status >= 500 and not self._ignored(url):
			self.problems.append(Problem("http", f"{response.status} {response.request.method}", url))

	# --- navigation -----------------------------------------------------------------------------

	@property
	def prefix(self) -> str:
		"""Where the desk's routes live: ``/app`` up to Frappe v15, ``/desk`` from v16 on (v16 sends a
		page load of /app/… on to /desk/…, but its router does not know /app/… routes)."""
		return self._prefix or "/app"

	def _learn_prefix(self) -> None:
		"""Read the prefix off the desk once it is up: the path it is on, else its Frappe version."""
		if self._prefix:
			return
		self._prefix = self.page.evaluate(
			"""() => {
				const first = location.pathname.split('/')[1];
				if (first === 'app' || first === 'desk') return '/' + first;
				const version = (((window.frappe && frappe.boot && frappe.boot.versions) || {}).frappe) || '';
				const major = parseInt(version, 10);
				return major ? (major >= 16 ? '/desk' : '/app') : null;
			}"""
		)

	def goto(self, route: str, ready: str | None = None, routed: bool = False) -> None:
		"""Open <prefix>/<route>, wait for the desk to render it and (``ready``) for a selector.

		A new page load, unless ``routed``: then, inside a loaded desk, the way a click goes (the
		pages seen before stay in the DOM, hidden, so selectors must then look at visible ones)."""
		url = f"{self.prefix}/{route}"
		routed = routed and self.page.evaluate(
			"""(url) => {
				if (!(window.frappe && frappe.router && frappe.container && frappe.container.page)) return false;
				if (location.pathname + location.search === url) return false;
				frappe.router.push_state(url);
				return true;
			}""",
			url,
		)
		if not routed:
			self.page.goto(f"{self.base_url}{url}", wait_until="domcontentloaded")
		self.wait_desk()
		self._learn_prefix()
		if ready:
			self.page.locator(ready).first.wait_for(state="visible", timeout=READY_TIMEOUT_MS)
		self.wait_loaded()

	def wait_desk(self) -> None:
		try:
			self.page.wait_for_function(
				"() => window.frappe && frappe.boot && frappe.container && frappe.container.page"
				" && ![...document.querySelectorAll('#freeze')].some((el) => el.offsetWidth || el.offsetHeight)",
				timeout=READY_TIMEOUT_MS,
			)
		except Exception as error:
			state = self.page.evaluate(
				"""() => ({ url: location.href, frappe: !!window.frappe, boot: !!(window.frappe && frappe.boot),
					page: !!(window.frappe && frappe.container && frappe.container.page),
					freeze: [...document.querySelectorAll('#freeze')].map((el) => el.outerHTML.slice(0, 200)) })"""
			)
			raise AssertionError(f"the desk did not come up: {state}") from error

	def wait_loaded(self, timeout_ms: int = READY_TIMEOUT_MS) -> None:
		"""No frozen screen, no pending request, no loading placeholder in the page body, twice in a
		row; then the charts' first draw (frappe-charts draws its data 700 ms after creating it)."""
		deadline = time.monotonic() + timeout_ms / 1000
		calm = 0
		while calm < 2:
			state = self.page.evaluate(
				"""(texts) => {
					const body = document.querySelector('#body') || document.body;
					const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
					const frozen = [...document.querySelectorAll('#freeze')].some(visible);
					const pending = (window.frappe && frappe.request && frappe.request.ajax_count) || 0;
					const text = body.innerText || '';
					const loading = texts.filter((t) => text.includes(t));
					const charts = body.querySelectorAll('.frappe-chart').length;
					return { frozen, pending, loading, charts };
				}""",
				list(LOADING_TEXTS),
			)
			busy = state["frozen"] or state["pending"] or state["loading"]
			calm = 0 if busy else calm + 1
			if busy and time.monotonic() > deadline:
				self.problems.append(
					Problem("stuck", f"page never left its loading state: {state}", self.page.url)
				)
				return
			self.page.wait_for_timeout(300)
		if state["charts"]:
			self.page.wait_for_timeout(900)

	# --- checks ---------------------------------------------------------------------------------

	def open_dialogs(self) -> list[dict]:
		return self.page.evaluate(
			"""() => [...document.querySelectorAll('.modal.show')].map((modal) => {
				const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
				const buttons = [...modal.querySelectorAll('button, .btn, a.btn')]
					.filter((b) => visible(b) && !b.disabled);
				return {
					title: (modal.querySelector('.modal-title') || {}).innerText || '',
					text: ((modal.querySelector('.modal-body') || {}).innerText || '').slice(0, 300),
					buttons: buttons.map((b) => (b.innerText || b.getAttribute('aria-label') || b.className).trim()),
				};
			})"""
		)

	def check(self, name: str, *, dialogs_allowed: bool = False) -> None:
		"""Screenshot the page as ``name``, then fail on every problem seen since the last check."""
		self.wait_loaded()
		self.screenshot(name)
		dialogs = self.open_dialogs()
		for dialog in dialogs:
			if not dialog["buttons"]:
				self.problems.append(Problem("dialog", f"no way forward: {dialog}", self.page.url))
			elif not dialogs_allowed:
				self.problems.append(Problem("dialog", f"unexpected dialog: {dialog}", self.page.url))
		problems, self.problems = self.problems, []
		assert not problems, f"{name}: " + "\n".join(str(p) for p in problems)

	def screenshot(self, name: str) -> Path:
		path = self.artifacts / f"{len(self.shots) + 1:02d}-{name}.png"
		self.page.screenshot(path=str(path))
		self.shots.append(path)
		return path

	def close_dialogs(self) -> None:
		for _ in range(3):
			if not self.open_dialogs():
				return
			self.page.keyboard.press("Escape")
			self.page.wait_for_timeout(300)

	@contextmanager
	def allow(self, *patterns: str):
		"""Console errors the test expects (a button that is meant to be refused)."""
		compiled = [re.compile(p, re.I) for p in patterns]
		self.allowed.extend(compiled)
		try:
			yield
		finally:
			for p in compiled:
				self.allowed.remove(p)

	# --- desk helpers ---------------------------------------------------------------------------

	def click_button(self, label: str, group: str | None = None) -> None:
		"""A page or form button, inside its dropdown group when it has one."""
		page = self.page.locator(".page-head:visible, .page-actions:visible").first
		if group:
			page.locator(".inner-group-button button", has_text=group).first.click()
			self.page.locator(".inner-group-button .dropdown-menu a:visible", has_text=label).first.click()
		else:
			self.page.locator(f".page-actions button:visible:has-text('{label}')").first.click()

	def doc_title(self) -> str:
		"""The open form's document title (v16 puts the DocType, as a breadcrumb, in the first
		``.page-title .title-text`` and the document's title in ``.title-text-form``)."""
		title = self.page.locator(".page-title h3.title-text:visible, .title-text-form:visible")
		return title.first.inner_text().strip()

	def text(self, selector: str = ".page-container:visible") -> str:
		return self.page.locator(selector).first.inner_text()
