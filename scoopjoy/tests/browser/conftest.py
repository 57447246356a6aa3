"""Fixtures of the browser tests: the site opened in this process, the simulators, the seeded data,
the site served by gunicorn on 127.0.0.1, and headless Chromium logged in as the test user.

Environment (tools/browser_tests.sh sets it):

    SCOOPJOY_BROWSER_SITE       the test site (must allow tests)
    SCOOPJOY_BROWSER_SITES      the bench's sites/ directory (default: the current directory)
    SCOOPJOY_BROWSER_ARTIFACTS  where screenshots go (default: <repo>/browser-artifacts)
    SCOOPJOY_BROWSER_CHROMIUM   the browser (default: /usr/bin/chromium)
    SCOOPJOY_README_SCREENSHOTS set to 1 to refresh docs/screenshots/*.png
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[3]
SITE = os.environ.get("SCOOPJOY_BROWSER_SITE", "")
SITES = Path(os.environ.get("SCOOPJOY_BROWSER_SITES", os.getcwd())).resolve()
ARTIFACTS = Path(os.environ.get("SCOOPJOY_BROWSER_ARTIFACTS", REPO / "browser-artifacts")).resolve()
CHROMIUM = os.environ.get("SCOOPJOY_BROWSER_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
]


def pytest_configure(config):
	if not SITE:
		pytest.exit("SCOOPJOY_BROWSER_SITE is not set (run tools/browser_tests.sh <bench> <site>)", 2)


@pytest.fixture(scope="session")
def site():
	import frappe

	os.chdir(SITES)
	frappe.init(site=SITE, sites_path=str(SITES))
	frappe.connect()
	frappe.set_user("Administrator")
	yield SITE
	frappe.destroy()


@pytest.fixture(scope="session")
def simulators(site):
	from scoopjoy.tests.browser import seed
	from scoopjoy.tests.simulators.carrier import CarrierSimulator
	from scoopjoy.tests.simulators.google_people import GooglePeopleSimulator
	from scoopjoy.tests.simulators.mobile_backend import MobileBackendSimulator
	from scoopjoy.tests.simulators.whatsapp_cloud import WhatsAppCloudSimulator

	sims = {
		"shop": seed.BrowserShop(access_token=seed.SHOPIFY_TOKEN, client_secret=seed.SHOPIFY_SECRET).start(),
		"mobile": MobileBackendSimulator(api_key=seed.MOBILE_KEY).start(),
		"google": GooglePeopleSimulator(access_token=seed.GOOGLE_TOKEN).start(),
		"carrier": CarrierSimulator(public_key=seed.CARRIER_KEYS[0], secret_key=seed.CARRIER_KEYS[1]).start(),
		"whatsapp": WhatsAppCloudSimulator(
			access_token=seed.WHATSAPP_TOKEN,
			phone_number_id=seed.WHATSAPP_PHONE_ID,
			app_secret="whatsapp-browser-secret",
			templates={"order_confirmation": {"language": "en_US", "param_count": 4}},
		).start(),
	}
	# what "Test connection" reads
	sims["whatsapp"].route(
		"GET",
		"/{version}/{phone_id}",
		lambda request: {"verified_name": "ScoopJoy", "id": seed.WHATSAPP_PHONE_ID},
	)
	yield sims
	for sim in sims.values():
		try:
			sim.stop()
		except Exception:
			pass


@pytest.fixture(scope="session")
def password():
	return secrets.token_urlsafe(18)


@pytest.fixture(scope="session")
def world(site, simulators, password):
	"""Everything seeded; afterwards this app's Settings are as they were and no job of ours waits."""
	from scoopjoy.tests.browser import seed
	from scoopjoy.tests.setup import remove_leftover_jobs
	from scoopjoy.tests.utils import remove_new_stores, restore_settings, settings_snapshot

	started = time.monotonic()
	snapshot = settings_snapshot()
	import frappe

	stores_before = set(frappe.get_all("Shopify Store", pluck="name"))
	data = {"world": seed.prepare_site(password)}
	data["logs"] = seed.seed_request_logs()
	data["mobile_orders"] = seed.seed_mobile_dead_letters(simulators["mobile"], data["world"])
	seed.seed_other_dead_letters()
	data["whatsapp_orders"] = seed.seed_sales_orders(data["world"])
	data["delivery_note"] = seed.seed_delivery_note(data["world"], simulators["carrier"])
	data["franchisees"] = seed.seed_franchisees(data["world"])
	data["outlet"] = seed.seed_outlet()
	seed.configure_google(simulators["google"])
	seed.configure_whatsapp(simulators["whatsapp"])
	data["shopify"] = seed.seed_shopify(simulators["shop"], data["world"])
	seed.age_dead_letters()
	remove_leftover_jobs()
	print(f"\nbrowser tests: seeded {SITE} in {time.monotonic() - started:.0f} s")
	yield data
	frappe.db.rollback()
	remove_leftover_jobs()
	seed.remove_seeded_records()
	restore_settings(snapshot)
	for store in frappe.get_all("Shopify Store", pluck="name"):
		frappe.get_doc("Shopify Store", store).get_connector().breaker.reset()
	remove_new_stores(stores_before)
	for doctype in (
		"Mobile App Settings",
		"Google Contacts Settings",
		"WhatsApp Settings",
		"Shipping Settings",
	):
		try:
			frappe.get_single(doctype).get_connector().breaker.reset()
		except Exception:
			pass


def _free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(world):
	"""gunicorn on 127.0.0.1 with the static files, as long as the session runs."""
	port = _free_port()
	log = open(ARTIFACTS / "gunicorn.log", "w")
	env = dict(os.environ, SCOOPJOY_BROWSER_SITE=SITE, SITES_PATH=str(SITES))
	process = subprocess.Popen(
		[
			sys.executable,
			"-m",
			"gunicorn",
			"-b",
			f"127.0.0.1:{port}",
			"-w",
			"3",
			"-t",
			"120",
			"scoopjoy.tests.browser.wsgi:application",
		],
		cwd=SITES,
		env=env,
		stdout=log,
		stderr=subprocess.STDOUT,
	)
	url = f"http://{SITE}:{port}"
	deadline = time.monotonic() + 60
	while True:
		try:
			answer = requests.get(
				f"http://127.0.0.1:{port}/api/method/ping", headers={"Host": SITE}, timeout=5
			)
			if answer.ok:
				break
		except requests.RequestException:
			pass
		if process.poll() is not None or time.monotonic() > deadline:
			process.kill()
			pytest.fail(f"gunicorn did not come up; see {ARTIFACTS / 'gunicorn.log'}")
		time.sleep(0.5)
	yield {"url": url, "port": port}
	process.terminate()
	try:
		process.wait(timeout=15)
	except subprocess.TimeoutExpired:
		process.kill()
	log.close()


@pytest.fixture(scope="session")
def browser(server):
	from playwright.sync_api import sync_playwright

	args = list(CHROMIUM_ARGS)
	if not SITE.endswith(".localhost"):  # Chromium resolves *.localhost to 127.0.0.1 by itself
		args.append(f"--host-resolver-rules=MAP {SITE} 127.0.0.1")
	with sync_playwright() as playwright:
		chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
		yield chromium
		chromium.close()


@pytest.fixture(scope="session")
def desk(browser, server, password):
	from scoopjoy.tests.browser import seed
	from scoopjoy.tests.browser.desk import Desk

	context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
	page = context.new_page()
	page.set_default_timeout(20_000)
	# logged in by the browser itself (Playwright's own HTTP client does not resolve *.localhost)
	page.goto(f"{server['url']}/login", wait_until="domcontentloaded")
	status = page.evaluate(
		"""async ([usr, pwd]) => (await fetch('/api/method/login', {
			method: 'POST',
			headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ usr, pwd }),
		})).status""",
		[seed.USER, password],
	)
	assert status == 200, f"login as {seed.USER} failed: HTTP {status}"
	yield Desk(page=page, base_url=server["url"], artifacts=ARTIFACTS)
	context.close()


@pytest.fixture(scope="session", autouse=True)
def artifacts():
	if ARTIFACTS.exists():
		shutil.rmtree(ARTIFACTS)
	ARTIFACTS.mkdir(parents=True)
	yield ARTIFACTS
	print(f"\nbrowser tests: screenshots and server log in {ARTIFACTS}")


class Jobs:
	"""Runs the jobs a button queued, as a worker would (seed.run_queued_jobs), in a thread of this
	process with its own site connection: the test watches the page while the job works, and the
	simulators the job calls live in this process too."""

	def __init__(self):
		self.thread = None
		self.error = None

	def _work(self) -> None:
		import frappe

		from scoopjoy.tests.browser.seed import run_queued_jobs

		try:
			frappe.init(site=SITE, sites_path=str(SITES))
			frappe.connect()
			self.ran = run_queued_jobs()
		except BaseException as error:  # reported by wait()
			self.error = error
		finally:
			frappe.destroy()

	def start(self) -> None:
		assert not self.running(), "a job run is still going"
		self.error, self.ran = None, []
		self.thread = threading.Thread(target=self._work, name="scoopjoy-jobs", daemon=True)
		self.thread.start()

	def running(self) -> bool:
		return bool(self.thread and self.thread.is_alive())

	def wait(self, timeout: float = 120) -> None:
		self.thread.join(timeout)
		assert not self.thread.is_alive(), f"the queued jobs still run after {timeout} s"
		if self.error:
			raise AssertionError(f"the queued jobs failed: {self.error!r}") from self.error

	def run(self, timeout: float = 120) -> None:
		self.start()
		self.wait(timeout)

	@staticmethod
	def discard() -> int:
		"""Drop what buttons queued that the test does not mean to run."""
		import frappe

		from scoopjoy.tests.setup import remove_leftover_jobs

		frappe.db.rollback()  # see what the web server committed
		return remove_leftover_jobs()


@pytest.fixture(scope="session")
def jobs(world):
	return Jobs()
