"""Google Contacts on a real site, against the People API simulator: franchise customers are
created once (a rerun creates nothing), changed ones are updated with the etag (retried once
after someone edited the contact in Google), a missing token gives a clear message, Google's
quota 429s are waited out, and an interrupted batch is linked instead of created twice."""

import itertools
import json
import time

import frappe
from frappe.utils import add_to_date, now_datetime

from scoopjoy.connectors.google_contacts import constants, sync
from scoopjoy.connectors.google_contacts.connector import GoogleContactsConnector
from scoopjoy.kernel.errors import ConfigError, RateLimitedError
from scoopjoy.tests.records import tree_leaf
from scoopjoy.tests.simulators.google_people import GooglePeopleSimulator, quota_fault
from scoopjoy.tests.utils import ScoopJoyTestCase, test_world

TOKEN = "ya29.a0ScoopJoyBenchAccessToken0123456789abcdef"
APP = "ScoopJoy Test Google"
GROUP = "ScoopJoy Test Franchise"
FRANCHISEES = ("GC Test Outlet Berlin", "GC Test Outlet Munich", "GC Test Outlet Hamburg")


def ensure_customer(name: str, group: str, mobile: str | None = None) -> str:
	if not frappe.db.exists("Customer", name):
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": name,
				"customer_group": group,
				"territory": test_world().territory,
			}
		).insert(ignore_permissions=True)
	frappe.db.set_value(
		"Customer",
		name,
		{
			"mobile_no": mobile,
			"custom_google_contact_id": None,
			"custom_google_contact_etag": None,
			"custom_google_contact_hash": None,
		},
	)
	return name


def ensure_connected_app(token_uri: str) -> str:
	if not frappe.db.exists("Connected App", APP):
		app = frappe.get_doc(
			{
				"doctype": "Connected App",
				"provider_name": APP,
				"client_id": "1234-scoopjoy.apps.googleusercontent.com",
				"client_secret": "GOCSPX-test-secret",
				"authorization_uri": "https://accounts.google.com/o/oauth2/v2/auth",
				"token_uri": token_uri,
				"scopes": [{"scope": "https://www.googleapis.com/auth/contacts"}],
				"query_parameters": [
					{"key": "access_type", "value": "offline"},
					{"key": "prompt", "value": "consent"},
				],
			}
		)
		app.insert(ignore_permissions=True)
		return app.name
	name = frappe.db.get_value("Connected App", {"provider_name": APP})
	frappe.db.set_value("Connected App", name, "token_uri", token_uri)
	return name


def give_token(app: str, user: str, expires_in: int = 3600) -> str:
	name = f"{app}-{user}"
	if frappe.db.exists("Token Cache", name):
		frappe.delete_doc("Token Cache", name, ignore_permissions=True, force=True)
	frappe.get_doc(
		{
			"doctype": "Token Cache",
			"connected_app": app,
			"user": user,
			"access_token": TOKEN,
			"refresh_token": "1//refresh-token",
			"expires_in": expires_in,
			"token_type": "Bearer",
		}
	).insert(ignore_permissions=True)
	return name


class TestGoogleContacts(ScoopJoyTestCase):
	def setUp(self):
		self.google = GooglePeopleSimulator(access_token=TOKEN).start()
		# resource names unique to this simulator: links committed by earlier tests stay on the site
		self.google._person_ids = itertools.count(int(time.time() * 1_000_000) % 10**13 * 10)
		tree_leaf("Customer Group", GROUP, "customer_group_name")
		for index, name in enumerate(FRANCHISEES):
			ensure_customer(name, GROUP, f"+49 171 555 00{index}{index}")
		self.other = ensure_customer("GC Test Walk-in", test_world().customer_group)
		self.app = ensure_connected_app(self.google.url + "/oauth2/token")
		self.token_cache = give_token(self.app, "Administrator")
		settings = frappe.get_single(constants.SETTINGS_DOCTYPE)
		settings.update(
			{
				"enabled": 1,
				"sandbox_mode": 1,
				"api_base_url": self.google.url,
				"connected_app": self.app,
				"google_user": "Administrator",
				"customer_group": GROUP,
				"organization_name": "ScoopJoy Franchise Customer",
				"batch_size": 2,
				"pending_batch": None,
			}
		)
		settings.save()
		GoogleContactsConnector().breaker.reset()

	def tearDown(self):
		GoogleContactsConnector().breaker.reset()
		self.google.stop()

	def contact_ids(self) -> dict:
		return dict(
			frappe.get_all(
				"Customer",
				filters={"name": ["in", FRANCHISEES]},
				fields=["name", "custom_google_contact_id"],
				as_list=True,
			)
		)

	def test_franchise_customers_are_created_once_and_a_rerun_creates_nothing(self):
		first = sync.sync_contacts()
		self.assertEqual(first["created"], 3)
		self.assertEqual(self.google.batch_sizes, [2, 1])  # batches of the configured size, in turn
		self.assertEqual(self.google.max_concurrent_mutations, 1)  # sequential, as Google asks
		ids = self.contact_ids()
		self.assertTrue(all(v and v.startswith("people/c") for v in ids.values()))
		self.assertEqual(self.google.contacts_for(self.other), [])  # not a franchise customer

		second = sync.sync_contacts()
		# nothing created or updated; customers linked by earlier tests on this site count as unchanged
		self.assertEqual((second["created"], second["updated"]), (0, 0))
		self.assertGreaterEqual(second["unchanged"], 3)
		self.assertEqual(len(self.google.people), 3)
		self.assertEqual(self.contact_ids(), ids)
		for name in FRANCHISEES:
			self.assertEqual(len(self.google.contacts_for(name)), 1)

	def test_a_changed_customer_is_updated_and_an_etag_mismatch_is_retried_once(self):
		sync.sync_contacts()
		name = FRANCHISEES[0]
		resource_name = self.contact_ids()[name]
		self.google.edit_in_google(resource_name, biographies=[{"value": "edited on a phone"}])
		frappe.db.set_value("Customer", name, "mobile_no", "+49 171 999 0000")

		result = sync.sync_contacts()

		self.assertEqual((result["created"], result["updated"]), (0, 1))
		self.assertEqual(self.google.count("PATCH", f"/v1/{resource_name}:updateContact"), 2)  # 400, then ok
		contact = self.google.people[resource_name]
		self.assertEqual(contact["phoneNumbers"][0]["value"], "+49 171 999 0000")
		self.assertEqual(frappe.db.get_value("Customer", name, "custom_google_contact_etag"), contact["etag"])
		self.assertEqual(sync.sync_contacts()["updated"], 0)  # nothing changed since

	def test_without_a_google_token_the_user_is_told_to_connect_the_account(self):
		frappe.delete_doc("Token Cache", self.token_cache, ignore_permissions=True, force=True)
		with self.assertRaises(frappe.ValidationError) as caught:
			sync.sync_now()
		self.assertIn("connect your Google account", str(caught.exception))
		self.assertIn("access_type=offline", str(caught.exception))
		with self.assertRaises(ConfigError):
			sync.sync_contacts()
		self.assertEqual(len(self.google.requests), 0)

	def test_a_token_whose_refresh_fails_gives_the_same_message(self):
		frappe.db.set_value(
			"Token Cache",
			self.token_cache,
			"modified",
			add_to_date(now_datetime(), hours=-2),
			update_modified=False,
		)
		with self.assertRaises(frappe.ValidationError) as caught:
			sync.sync_now()
		self.assertIn("connect your Google account", str(caught.exception))

	def test_the_button_queues_the_sync_once(self):
		self.assertIn("queued", sync.sync_now())
		self.assertIn("already", sync.sync_now())
		frappe.db.rollback()

	def test_a_quota_429_is_waited_out_and_nothing_is_created_twice(self):
		self.google.faults.add(quota_fault(times=2, retry_after=0.2))
		result = sync.sync_contacts()
		self.assertEqual(result["created"], 3)
		self.assertEqual(len(self.google.people), 3)
		self.assertEqual(self.google.count("POST", constants.BATCH_CREATE_PATH), 4)  # 2 refused + 2 batches

	def test_a_quota_that_does_not_recover_fails_the_run_cleanly(self):
		self.google.faults.add(quota_fault(times=None, retry_after=0.1))
		with self.assertRaises(RateLimitedError):
			sync.sync_contacts()
		self.assertEqual(self.google.people, {})
		self.assertFalse(frappe.db.get_single_value(constants.SETTINGS_DOCTYPE, "pending_batch"))
		self.assertFalse(any(self.contact_ids().values()))

	def test_an_interrupted_batch_is_linked_on_the_next_run_not_created_again(self):
		# a previous run sent a batch for two customers, Google created them, the answer was lost
		from scoopjoy.connectors.google_contacts import payloads

		connector = GoogleContactsConnector()
		connector.batch_create(
			[payloads.person_payload({"name": n, "customer_name": n}) for n in FRANCHISEES[:2]]
		)
		frappe.db.set_single_value(
			constants.SETTINGS_DOCTYPE, "pending_batch", json.dumps(list(FRANCHISEES[:2]))
		)

		result = sync.sync_contacts()

		self.assertEqual(result["linked"], 2)
		self.assertEqual(result["created"], 1)
		for name in FRANCHISEES:
			self.assertEqual(len(self.google.contacts_for(name)), 1, name)
