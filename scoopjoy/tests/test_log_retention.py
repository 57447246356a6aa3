"""Log retention as Log Settings runs it: successes go after a week, failures are kept longer,
and open dead letters are never cleared."""

import frappe
from frappe.core.doctype.log_settings.log_settings import run_log_clean_up
from frappe.utils import add_days, now_datetime

from scoopjoy.tests.utils import ScoopJoyTestCase


def make_log(outcome: str, age_days: int) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Connector Request Log",
			"connector": "Retention Test",
			"method": "GET",
			"outcome": outcome,
		}
	).insert(ignore_permissions=True)
	frappe.db.set_value(
		"Connector Request Log",
		doc.name,
		"creation",
		add_days(now_datetime(), -age_days),
		update_modified=False,
	)
	return doc.name


class TestLogRetention(ScoopJoyTestCase):
	def test_failures_outlive_successes(self):
		frappe.db.set_single_value("ScoopJoy Settings", "failure_log_retention_days", 30)
		frappe.clear_document_cache("ScoopJoy Settings", "ScoopJoy Settings")
		old_success = make_log("Success", 10)
		new_success = make_log("Success", 2)
		old_failure = make_log("Failed", 10)
		ancient_failure = make_log("Failed", 40)

		run_log_clean_up()  # what the daily scheduler calls

		exists = {
			n: bool(frappe.db.exists("Connector Request Log", n))
			for n in (old_success, new_success, old_failure, ancient_failure)
		}
		self.assertEqual(
			exists, {old_success: False, new_success: True, old_failure: True, ancient_failure: False}
		)

	def test_open_dead_letters_are_never_cleared(self):
		from scoopjoy.reliability.dead_letters import record_dead_letter

		open_name = record_dead_letter(
			connector="Retention Test",
			job="scoopjoy.tests.jobs_for_tests.fetch_item",
			payload={"base_url": "http://127.0.0.1:9", "item_id": 1},
			error=ValueError("still broken"),
			dedup_key=f"retention:{frappe.generate_hash(length=6)}",
		)
		frappe.db.set_value(
			"Integration Dead Letter",
			open_name,
			"creation",
			add_days(now_datetime(), -400),
			update_modified=False,
		)
		run_log_clean_up()
		self.assertTrue(frappe.db.exists("Integration Dead Letter", open_name))
