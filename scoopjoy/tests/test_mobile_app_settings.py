"""Connector Settings on a real site, through Mobile App Settings: https only (unless sandbox),
the API key is a Password, and "Test connection" makes one real call and answers in a sentence."""

import frappe

from scoopjoy.tests.simulators.mobile_backend import MobileBackendSimulator
from scoopjoy.tests.utils import ScoopJoyTestCase


class TestMobileAppSettings(ScoopJoyTestCase):
	def setUp(self):
		self.backend = MobileBackendSimulator(api_key="franchise-key-123").start()
		self.settings = frappe.get_single("Mobile App Settings")
		self.settings.update(
			{"enabled": 1, "sandbox_mode": 1, "api_url": self.backend.url, "api_key": "franchise-key-123"}
		)
		self.settings.save()
		self.settings.get_connector().breaker.reset()

	def tearDown(self):
		self.settings.get_connector().breaker.reset()
		self.backend.stop()
		frappe.db.rollback()

	def test_plain_http_is_refused_outside_sandbox_mode(self):
		self.settings.sandbox_mode = 0
		with self.assertRaises(frappe.ValidationError) as caught:
			self.settings.save()
		self.assertIn("https://", str(caught.exception))

	def test_https_url_is_accepted_and_tidied(self):
		self.settings.sandbox_mode = 0
		self.settings.api_url = "https://api.app.scoopjoy.example/ "
		self.settings.save()
		self.assertEqual(self.settings.api_url, "https://api.app.scoopjoy.example")

	def test_the_api_key_is_stored_as_a_password_not_in_the_settings_table(self):
		stored = frappe.db.get_single_value("Mobile App Settings", "api_key")
		self.assertNotEqual(stored, "franchise-key-123")
		self.assertEqual(self.settings.get_password("api_key"), "franchise-key-123")

	def test_connection_test_calls_the_backend_with_the_key(self):
		message = self.settings.test_connection()
		self.assertIn("Connected", message)
		self.assertEqual(self.backend.last_request().header("X-API-Key"), "franchise-key-123")

	def test_a_wrong_key_gives_a_message_a_person_can_act_on(self):
		self.settings.api_key = "revoked-key"
		self.settings.save()
		with self.assertRaises(frappe.ValidationError) as caught:
			self.settings.test_connection()
		self.assertIn("credentials", str(caught.exception))
		log = frappe.get_all(
			"Connector Request Log",
			filters={"connector": "Franchise Mobile App"},
			fields=["request_headers", "status_code"],
			order_by="creation desc",
			limit=1,
		)[0]
		self.assertEqual(log.status_code, 401)
		self.assertNotIn("revoked-key", log.request_headers)

	def test_a_disabled_connector_says_so_instead_of_calling(self):
		self.settings.enabled = 0
		self.settings.save()
		with self.assertRaises(frappe.ValidationError) as caught:
			self.settings.test_connection()
		self.assertIn("disabled", str(caught.exception))
		self.assertEqual(self.backend.count(), 0)
