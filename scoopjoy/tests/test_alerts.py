"""Alerts on a real site: one per incident, sent after commit to the alert role's users."""

import frappe

from scoopjoy.reliability.alerts import send_alert
from scoopjoy.reliability.runtime import get_redis
from scoopjoy.tests.utils import ScoopJoyTestCase


class TestAlerts(ScoopJoyTestCase):
	def test_one_alert_per_incident(self):
		connector, reason = f"Alert Test {frappe.generate_hash(length=5)}", "auth failure"
		key = f"scoopjoy:alert:{frappe.local.site}:{connector}:{reason}"
		try:
			self.assertTrue(send_alert(connector, reason, "token revoked"))
			self.assertFalse(send_alert(connector, reason, "token revoked again"))  # same incident
			subjects = frappe.get_all(
				"Notification Log", filters={"subject": f"{connector}: {reason}"}, pluck="subject"
			)
			self.assertGreaterEqual(len(subjects), 1)
			self.assertEqual(len(set(subjects)), 1)
		finally:
			get_redis().delete(key)
