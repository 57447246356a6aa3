"""Security suite (issue #7) on a real site: forged, unsigned and altered webhooks get 401 and
leave no trace while a replayed delivery is queued once, every desk method refuses a user without
the role and leaves nothing behind, Settings refuse plain-http URLs (only Sandbox mode allows
them), and a failed call leaves no secret, e-mail address or phone number in our logs.

That every guest method checks a signature before anything else is proven statically, without a
site: tests/kernel/test_security_static.py."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import pkgutil
import re
import time
from collections.abc import Callable

import frappe
from frappe.model.base_document import get_controller
from frappe.utils import add_to_date, now_datetime, nowdate
from frappe.utils.background_jobs import get_queues, is_job_enqueued
from rq.exceptions import DeserializationError

import scoopjoy
from scoopjoy.connectors.mobile_app import constants as mobile
from scoopjoy.connectors.mobile_app.connector import MobileAppConnector
from scoopjoy.connectors.settings import ConnectorSettings
from scoopjoy.connectors.shopify import constants as shopify
from scoopjoy.connectors.shopify import drain
from scoopjoy.connectors.shopify import webhook as shopify_webhook
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.connectors.whatsapp import constants as whatsapp
from scoopjoy.connectors.whatsapp import webhook as whatsapp_webhook
from scoopjoy.kernel.signatures import META_SIGNATURE_HEADER, SHOPIFY_HMAC_HEADER, sign_meta, sign_shopify
from scoopjoy.reliability.jobs import job_id_for, run_integration_job, site_job_id

# Modules, not classes: their test cases must not be collected (and run again) from this module.
from scoopjoy.tests import test_shipping, test_shopify, test_whatsapp
from scoopjoy.tests.simulators.harness import SimResponse
from scoopjoy.tests.simulators.mobile_backend import MobileBackendSimulator
from scoopjoy.tests.utils import (
	ScoopJoyTestCase,
	make_customer,
	make_delivery_note,
	make_item,
	make_sales_order,
	test_world,
	webhook_request,
)

DELIVERY = shopify_webhook.DELIVERY


def site_jobs(matches: Callable[[dict], bool]) -> list:
	"""This site's jobs waiting in RQ (what a worker would run) whose arguments match."""
	prefix = site_job_id()
	found = []
	for queue in get_queues():
		for job in queue.get_jobs():
			if not job.id.startswith(prefix):
				continue
			try:
				arguments = job.kwargs or {}
			except DeserializationError:  # a job of another app version: not one of ours
				continue
			if matches(arguments):
				found.append(job)
	return found


def jobs_mentioning(text: str) -> list:
	return site_jobs(lambda kwargs: text in json.dumps(kwargs, default=str))


def delete_jobs_mentioning(text: str) -> None:
	"""No worker runs on a test bench: take our jobs out again so the queue does not grow."""
	for job in jobs_mentioning(text):
		job.delete()


def unique(prefix: str) -> str:
	return f"{prefix}-{frappe.generate_hash(length=10)}"


# --- 1. webhooks --------------------------------------------------------------------------------


class WebhookRequests:
	"""Serve one webhook request the way Frappe does: as Guest, then commit (Frappe commits every
	POST, whatever it answered, so anything the endpoint queued would now reach RQ)."""

	def serve(self, endpoint: Callable, raw: bytes, headers: dict) -> dict:
		frappe.db.commit()  # a request starts with a fresh transaction
		errors_before, deliveries_before = frappe.db.count("Error Log"), frappe.db.count(DELIVERY)
		frappe.local.scoopjoy_jobs_in_transaction = set()
		frappe.local.response = frappe._dict()
		frappe.local.request = webhook_request("POST", raw, headers)
		frappe.set_user("Guest")
		try:
			body = endpoint()
		finally:
			frappe.set_user("Administrator")
		served = {
			"status": frappe.local.response.get("http_status_code") or 200,
			"body": body,
			"new Error Log rows": frappe.db.count("Error Log") - errors_before,
			"new deliveries": frappe.db.count(DELIVERY) - deliveries_before,
			"jobs queued": sorted(getattr(frappe.local, "scoopjoy_jobs_in_transaction", None) or ()),
		}
		frappe.db.commit()
		return served


NO_TRACE = {
	"status": 401,
	"body": {"error": "invalid signature"},
	"new Error Log rows": 0,
	"new deliveries": 0,
	"jobs queued": [],
}


class TestShopifyWebhookSecurity(test_shopify.ShopifyTestCase, WebhookRequests):
	def setUp(self):
		super().setUp()
		variant = self.mapped_variant("SEC-SHOP-SCOOP")
		self.order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
		self.job_id = job_id_for(
			shopify.SERVICE_NAME,
			drain.drain_job_key(self.store, drain.lane_of(legacy_id(self.order["id"]), self.store_doc())),
		)
		test_shopify.forget_drain_jobs()
		self.addCleanup(test_shopify.forget_drain_jobs)

	def test_forged_unsigned_and_altered_deliveries_get_401_and_leave_no_trace(self):
		raw, headers = self.shop.webhook_request("orders/create", self.order["id"])
		unsigned = {k: v for k, v in headers.items() if k != SHOPIFY_HMAC_HEADER}
		altered = raw[:-1] + b',"note":"refund everything"}'  # signed body, changed on the way
		cases = {
			"forged signature": (raw, {**headers, SHOPIFY_HMAC_HEADER: sign_shopify(raw, "not-the-secret")}),
			"no signature": (raw, unsigned),
			"body changed after signing": (altered, headers),
		}
		for case, (body, case_headers) in cases.items():
			with self.subTest(case):
				self.assertEqual(self.serve(shopify_webhook.receive, body, case_headers), NO_TRACE)
		self.assertFalse(frappe.db.exists(DELIVERY, headers["X-Shopify-Webhook-Id"]))
		self.assertFalse(is_job_enqueued(self.job_id))
		self.assertEqual(jobs_mentioning(self.order["id"]), [])

	def test_a_replayed_delivery_is_answered_200_and_stored_and_queued_once(self):
		raw, headers = self.shop.webhook_request("orders/create", self.order["id"])
		first = self.serve(shopify_webhook.receive, raw, headers)
		replay = self.serve(shopify_webhook.receive, raw, headers)  # Shopify retries with the same id
		self.assertEqual((first["status"], first["body"]), (200, {"status": "queued"}))
		self.assertEqual((replay["status"], replay["body"]), (200, {"status": "duplicate"}))
		self.assertEqual((first["new deliveries"], replay["new deliveries"]), (1, 0))
		self.assertEqual(
			frappe.get_all(DELIVERY, filters={"order_id": legacy_id(self.order["id"])}, pluck="name"),
			[headers["X-Shopify-Webhook-Id"]],
		)
		self.assertEqual((first["jobs queued"], replay["jobs queued"]), ([self.job_id], []))
		self.assertTrue(is_job_enqueued(self.job_id))


class TestWhatsAppWebhookSecurity(ScoopJoyTestCase, WebhookRequests):
	def setUp(self):
		test_whatsapp.TestWhatsApp.setUp(self)
		self.wamid = unique("wamid.SEC")
		self.addCleanup(delete_jobs_mentioning, self.wamid)

	def tearDown(self):
		test_whatsapp.TestWhatsApp.tearDown(self)

	def job_id(self, raw: bytes) -> str:
		return job_id_for(whatsapp.SERVICE_NAME, f"webhook:{hashlib.sha256(raw).hexdigest()[:32]}")

	def test_forged_unsigned_and_altered_status_webhooks_get_401_and_leave_no_trace(self):
		raw, headers = self.cloud.status_webhook(self.wamid, "delivered", int(time.time()), "919876500111")
		altered = raw.replace(b'"delivered"', b'"read"')
		self.assertNotEqual(altered, raw)
		cases = {
			"forged signature": (
				raw,
				{**headers, META_SIGNATURE_HEADER: sign_meta(raw, "not-the-app-secret")},
			),
			"no signature": (raw, {k: v for k, v in headers.items() if k != META_SIGNATURE_HEADER}),
			"body changed after signing": (altered, headers),
		}
		for case, (body, case_headers) in cases.items():
			with self.subTest(case):
				self.assertEqual(self.serve(whatsapp_webhook.receive, body, case_headers), NO_TRACE)
		self.assertFalse(is_job_enqueued(self.job_id(raw)))
		self.assertFalse(is_job_enqueued(self.job_id(altered)))
		self.assertEqual(jobs_mentioning(self.wamid), [])

	def test_a_replayed_status_webhook_is_answered_200_and_queued_once(self):
		raw, headers = self.cloud.status_webhook(self.wamid, "delivered", int(time.time()), "919876500112")
		for _delivery in range(2):  # Meta delivers again when our answer was slow
			served = self.serve(whatsapp_webhook.receive, raw, headers)
			self.assertEqual((served["status"], served["body"]), (200, {"status": "queued"}))
		self.assertEqual([job.id for job in jobs_mentioning(self.wamid)], [site_job_id(self.job_id(raw))])


# --- 3. desk methods refuse users without the role --------------------------------------------------

#: Rows a refused call must neither create nor change (owner / modified_by is the caller).
WATCHED_DOCTYPES = (
	"Connector Request Log",
	"Error Log",
	"Integration Dead Letter",
	"Shopify Webhook Delivery",
	"Shopify Backfill",
	"WhatsApp Message",
	"Franchise Outlet",
	"Shipment",
	"Delivery Note",
	"Sales Order",
	"Customer",
	"Comment",
)


def app_whitelisted_methods() -> dict[str, Callable]:
	"""Every method of the app that /api/method (or a form button) can call, except the guest ones
	(the webhooks, covered above and by the static test), by dotted path."""
	for info in pkgutil.walk_packages(scoopjoy.__path__, "scoopjoy."):
		importlib.import_module(info.name)
	return {
		f"{fn.__module__}.{fn.__qualname__}": fn
		for fn in frappe.whitelisted
		if fn.__module__.startswith("scoopjoy.") and fn not in frappe.guest_methods
	}


def make_user(email: str, roles: tuple[str, ...], user_type: str) -> str:
	frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": "Security Test",
			"send_welcome_email": 0,
			"roles": [{"role": role} for role in roles],
		}
	).insert(ignore_permissions=True)
	# Frappe makes a user without desk roles a Website User; a desk user can lose all roles too
	frappe.db.set_value("User", email, "user_type", user_type)
	return email


def make_documents(suffix: str) -> dict[str, str]:
	"""One real document per argument that names one: a refusal must be a permission check, not a
	"not found" that happens to come first."""
	company = test_world().company
	customer = make_customer(f"Sec Test Customer {suffix}", "+49 171 5550199")
	frappe.db.set_value("Customer", customer, "custom_whatsapp_opt_in", 1)
	item = make_item("SEC-TEST-SCOOP", rate=10)
	sales_order = make_sales_order(customer, item, submit=True).name
	delivery_note = make_delivery_note(customer, [(item, 1)])
	pickup = test_shipping.ensure_address(
		"Ship Test Central Kitchen", "Company", company, "Warehouse", is_your_company_address=1
	)
	shipment = frappe.get_doc(
		{
			"doctype": "Shipment",
			"pickup_from_type": "Company",
			"pickup_company": company,
			"pickup_address_name": pickup,
			"delivery_to_type": "Customer",
			"delivery_customer": customer,
			"delivery_address_name": test_shipping.ensure_address(
				f"Sec Test Eiscafe {suffix}", "Customer", customer, "Shipping"
			),
			"shipment_parcel": [{"length": 40, "width": 30, "height": 25, "weight": 2, "count": 1}],
			"value_of_goods": 10,
			"pickup_date": nowdate(),
			"pickup_from": "09:00",
			"pickup_to": "17:00",
			"description_of_content": "Ice cream",
		}
	).insert(ignore_permissions=True)
	outlet = (
		frappe.get_doc(
			{"doctype": "Franchise Outlet", "outlet_name": f"Sec Test Outlet {suffix}", "is_active": 1}
		)
		.insert(ignore_permissions=True)
		.name
	)
	dead_letter = (
		frappe.get_doc(
			{
				"doctype": "Integration Dead Letter",
				"connector": mobile.SERVICE_NAME,
				"job": "scoopjoy.connectors.mobile_app.jobs.sync_outlet",
				"payload": json.dumps({"outlet": outlet}),
				"status": "Open",
				"last_error": "HTTP 503",
			}
		)
		.insert(ignore_permissions=True)
		.name
	)
	store = (
		frappe.get_doc(
			{"doctype": "Shopify Store", "shop_domain": f"sec-{suffix.lower()}.myshopify.com", "enabled": 0}
		)
		.insert(ignore_permissions=True)
		.name
	)
	backfill = (
		frappe.get_doc(
			{
				"doctype": "Shopify Backfill",
				"shopify_store": store,
				"from_date": nowdate(),
				"to_date": nowdate(),
			}
		)
		.insert(ignore_permissions=True)
		.name
	)
	return {
		"scoopjoy.reliability.dead_letters.retry_now:name": dead_letter,
		"scoopjoy.connectors.shopify.api.start_backfill:name": backfill,
		"Shopify Store": store,
		"names": json.dumps([dead_letter]),
		"delivery_note_name": delivery_note.name,
		"shipment_name": shipment.name,
		"service_provider": "Direct Carrier",
		"service_name": "Standard",
		"outlet": outlet,
		"sales_order": sales_order,
		"customer": customer,
		"text": "Your scoops are ready",
		"order_ids": json.dumps(["1001"]),
		"from_date": nowdate(),
		"to_date": nowdate(),
	}


def arguments(path: str, fn: Callable, documents: dict[str, str]) -> dict:
	"""The required arguments: a real document where one is named, else a placeholder."""
	args = {}
	for param in inspect.signature(fn).parameters.values():
		if param.name == "self" or param.default is not inspect.Parameter.empty:
			continue
		if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
			continue
		args[param.name] = documents.get(f"{path}:{param.name}", documents.get(param.name, "placeholder"))
	return args


def calls(methods: dict[str, Callable], documents: dict[str, str]) -> dict[str, Callable]:
	"""One call per method; a DocType controller method once per DocType whose controller has it."""
	out = {}
	doctypes = frappe.get_all(
		"DocType", filters={"module": "ScoopJoy", "istable": 0}, fields=["name", "issingle"]
	)
	for path, fn in methods.items():
		args = arguments(path, fn, documents)
		if "." not in fn.__qualname__:
			out[path] = lambda fn=fn, args=args: fn(**args)
			continue
		class_name, method_name = fn.__qualname__.rsplit(".", 1)
		owner = getattr(importlib.import_module(fn.__module__), class_name)
		for doctype in doctypes:
			if issubclass(get_controller(doctype.name), owner):
				name = doctype.name if doctype.issingle else documents.get(doctype.name, "placeholder")
				out[f"{doctype.name}.{method_name}"] = (
					lambda dt=doctype.name, name=name, method=method_name, args=args: getattr(
						frappe.get_doc(dt, name), method
					)(**args)
				)
	return out


def traces(user: str) -> dict:
	"""What a call made as ``user`` left: rows it created or changed, jobs it queued."""
	found = {
		doctype: frappe.db.count(doctype, {"owner": user}) + frappe.db.count(doctype, {"modified_by": user})
		for doctype in WATCHED_DOCTYPES
	}
	found["Settings changed"] = frappe.db.sql(
		"select count(*) from `tabSingles` where field = 'modified_by' and value = %s", user
	)[0][0]
	found["jobs queued in the transaction"] = sorted(
		getattr(frappe.local, "scoopjoy_jobs_in_transaction", None) or ()
	)
	# ids only (no job is fetched and unpickled): any new job of this site is a trace
	prefix = site_job_id()
	found["jobs in RQ"] = sorted(
		job_id for queue in get_queues() for job_id in queue.get_job_ids() if job_id.startswith(prefix)
	)
	return found


class TestDeskMethodsRefuseUsersWithoutTheRole(ScoopJoyTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		suffix = frappe.generate_hash(length=8)
		cls.users = {
			"System User without roles": make_user(
				f"sec-no-roles-{suffix}@scoopjoy.invalid", (), "System User"
			),
			"Website User": make_user(f"sec-portal-{suffix}@scoopjoy.invalid", ("Customer",), "Website User"),
		}
		cls.methods = app_whitelisted_methods()
		documents = make_documents(suffix)
		cls.calls = calls(cls.methods, documents)
		# committed: each refused call is rolled back, as Frappe does after an exception
		frappe.db.commit()  # nosemgrep
		delete_jobs_mentioning(documents["sales_order"])  # queued by its submit (mobile app, WhatsApp)

	def test_the_methods_are_discovered(self):
		for known in (
			"scoopjoy.connectors.shopify.api.get_sync_console",
			"scoopjoy.reliability.dead_letters.retry_now",
			"scoopjoy.connectors.settings.ConnectorSettings.test_connection",
		):
			self.assertIn(known, self.methods)
		self.assertIn("Shopify Store.test_connection", self.calls)
		self.assertIn("Mobile App Settings.test_connection", self.calls)
		for label, user in self.users.items():
			self.assertFalse(set(frappe.get_roles(user)) - {"All", "Guest", "Desk User", "Customer"}, label)

	def test_every_desk_method_refuses_a_user_without_the_role_and_leaves_nothing(self):
		for label, user in self.users.items():
			for path, call in sorted(self.calls.items()):
				with self.subTest(method=path, user=label):
					frappe.db.rollback()
					before = traces(user)
					frappe.set_user(user)
					result = error = None
					try:
						result = call()
					except Exception as exc:
						error = exc
					finally:
						frappe.set_user("Administrator")
						frappe.local.message_log = []
					after = traces(user)
					frappe.db.rollback()  # what Frappe does when the request raised
					self.assertIsInstance(
						error,
						frappe.PermissionError,
						f"{path} did not refuse {label}: it returned {result!r} / raised {error!r}",
					)
					self.assertEqual(after, before, f"{path}, called by {label}, left traces")


# --- 4. http:// URLs are refused -----------------------------------------------------------------

CONNECTOR_SETTINGS = {
	"Shopify Store",
	"Mobile App Settings",
	"WhatsApp Settings",
	"Shipping Settings",
	"Google Contacts Settings",
}


class TestSettingsRefusePlainHttp(ScoopJoyTestCase):
	def url_fields(self) -> dict[str, list]:
		"""Every URL a person can type into one of our Settings (Single DocTypes, and the Shopify
		Store, a record per store)."""
		found = {}
		settings = frappe.get_all("DocType", filters={"module": "ScoopJoy", "issingle": 1}, pluck="name")
		for doctype in [*settings, shopify.STORE_DOCTYPE]:
			fields = [
				f
				for f in frappe.get_meta(doctype).fields
				if f.fieldtype == "Data" and f.options == "URL" and not f.read_only and not f.is_virtual
			]
			if fields:
				found[doctype] = fields
		return found

	def test_every_url_field_is_checked_by_its_settings(self):
		found = self.url_fields()
		self.assertEqual(set(found), CONNECTOR_SETTINGS)
		for doctype, fields in found.items():
			controller = get_controller(doctype)
			self.assertTrue(issubclass(controller, ConnectorSettings), doctype)
			for field in fields:
				self.assertIn(field.fieldname, controller.url_fields, f"{doctype}.{field.fieldname}")

	def test_http_is_refused_with_a_clear_message_and_only_sandbox_mode_allows_it(self):
		for doctype, fields in self.url_fields().items():
			for field in fields:
				with self.subTest(doctype=doctype, field=field.fieldname):
					doc = self.settings_of(doctype)
					doc.update({"sandbox_mode": 0, field.fieldname: "http://api.scoopjoy-sec.example/v1"})
					with self.assertRaises(frappe.ValidationError) as refused:
						doc.save()
					message = str(refused.exception)
					self.assertIn(field.label, message)
					self.assertIn("must use https://", message)
					self.assertIn("Sandbox mode", message)

					doc = self.settings_of(doctype)
					doc.update({"sandbox_mode": 1, field.fieldname: "http://127.0.0.1:8099/"})
					doc.save()  # the one documented exception: a local simulator or test server
					self.assertEqual(
						frappe.db.get_value(doctype, doc.name, field.fieldname), "http://127.0.0.1:8099"
					)

					doc = self.settings_of(doctype, doc.name)
					doc.update({"sandbox_mode": 0, field.fieldname: "https://api.scoopjoy-sec.example/v1/"})
					doc.save()
					self.assertEqual(
						frappe.db.get_value(doctype, doc.name, field.fieldname),
						"https://api.scoopjoy-sec.example/v1",
					)
					frappe.db.rollback()

	@staticmethod
	def settings_of(doctype: str, name: str | None = None):
		"""The Settings to save: a Single, or a Shopify Store (a new one, unless ``name``)."""
		if doctype != shopify.STORE_DOCTYPE:
			return frappe.get_single(doctype)
		if name:
			return frappe.get_doc(doctype, name)
		return frappe.get_doc({"doctype": doctype, "shop_domain": "sec-http.myshopify.com"})

	def test_the_shopify_shop_domain_refuses_http_and_slack_needs_https(self):
		shopify_settings = frappe.get_doc({"doctype": shopify.STORE_DOCTYPE})
		shopify_settings.shop_domain = "http://scoopjoy.myshopify.com"
		with self.assertRaisesRegex(frappe.ValidationError, "must not use http://"):
			shopify_settings.save()
		alert_settings = frappe.get_single("ScoopJoy Settings")
		alert_settings.update(
			{"slack_webhook_url": "http://hooks.slack.example/services/T1/B2/x", "slack_sandbox_mode": 0}
		)
		with self.assertRaisesRegex(frappe.ValidationError, "must use https://"):
			alert_settings.save()
		frappe.db.rollback()


# --- 5. no secrets or personal data at rest in our logs -------------------------------------------


class _EchoingBackend(MobileBackendSimulator):
	"""The app backend refusing an outlet with an error that echoes what it received (headers
	included) and the contact details it found in the address, as many APIs do."""

	def before_request(self, request):
		if request.path != mobile.OUTLET_SYNC_PATH:
			return None
		body = request.json()
		address = body.get("address") or ""
		email = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", address)
		phone = re.search(r"\+[\d ]{7,}\d", address)
		return SimResponse(
			422,
			json={
				"error": "address_rejected",
				"message": f"Outlet {body.get('outlet_id')}: cannot geocode {address!r}",
				"contact": {
					"email": email.group(0) if email else None,
					"phone": re.sub(r"\D", "", phone.group(0)) if phone else None,
				},
				"received": {"headers": dict(request.headers), "body": body},
				"debug": "\n".join(f"{key}: {value}" for key, value in request.headers.items()),
			},
		)


class TestNoSecretsOrPersonalDataInLogs(ScoopJoyTestCase):
	def setUp(self):
		suffix = frappe.generate_hash(length=8)
		self.secret = f"sjm-franchise-{frappe.generate_hash(length=24)}"
		self.email = f"outlet.lead.{suffix}@eiscafe-example.de"
		self.phone = f"+49 171 {int(time.time() * 1000) % 10_000_000:07d}"
		self.backend = _EchoingBackend(api_key=self.secret).start()
		settings = frappe.get_single(mobile.SETTINGS_DOCTYPE)
		settings.update(
			{"enabled": 1, "sandbox_mode": 1, "api_url": self.backend.url, "api_key": self.secret}
		)
		settings.save()
		self.outlet = (
			frappe.get_doc(
				{
					"doctype": "Franchise Outlet",
					"outlet_name": f"Sec Test Eiscafe {suffix}",
					"is_active": 1,
					"address_display": (
						f"Kastanienallee 1<br>10435 Berlin<br>Germany<br>Phone: {self.phone}<br>Email: {self.email}<br>"
					),
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		MobileAppConnector().breaker.reset()
		frappe.db.commit()  # nosemgrep: the failing job rolls back its transaction, as a worker does

	def tearDown(self):
		MobileAppConnector().breaker.reset()
		self.backend.stop()

	def test_a_failed_outlet_sync_leaves_no_secret_email_or_phone_in_the_logs(self):
		started = add_to_date(now_datetime(), seconds=-1)
		run_integration_job(  # what the worker runs for the queued outlet sync
			"scoopjoy.connectors.mobile_app.jobs.sync_outlet",
			connector=mobile.SERVICE_NAME,
			payload={"outlet": self.outlet},
			dedup_key=job_id_for(mobile.SERVICE_NAME, f"outlet:{self.outlet}"),
			reference_doctype="Franchise Outlet",
			reference_name=self.outlet,
		)
		# the call really carried them, and the answer echoed them: finding nothing proves something
		sent = self.backend.last_request("POST", mobile.OUTLET_SYNC_PATH)
		self.assertEqual(sent.header(mobile.API_KEY_HEADER), self.secret)
		self.assertIn(self.email, sent.text)
		self.assertIn(self.phone, sent.text)

		rows = {
			"Connector Request Log": frappe.get_all(
				"Connector Request Log", filters={"creation": [">=", started]}, fields=["*"]
			),
			"Error Log": frappe.get_all("Error Log", filters={"creation": [">=", started]}, fields=["*"]),
			"Integration Dead Letter": frappe.get_all(
				"Integration Dead Letter", filters={"modified": [">=", started]}, fields=["*"]
			),
		}
		for doctype, written in rows.items():
			self.assertIn(self.outlet, [row.get("reference_name") for row in written], f"no {doctype} row")
		needles = {
			"API key": self.secret,
			"e-mail address": self.email,
			"phone number": self.phone,
			"phone number (digits only)": re.sub(r"\D", "", self.phone),
		}
		for doctype, written in rows.items():
			for row in written:
				for what, needle in needles.items():
					with self.subTest(doctype=doctype, row=row["name"], data=what):
						fields = [field for field, value in row.items() if needle in str(value or "")]
						self.assertEqual(fields, [], f"{doctype} {row['name']} stores the {what} unmasked")
