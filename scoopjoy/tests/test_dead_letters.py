"""Dead letters on a real site: failed work is kept, retried with backoff, parked after the cap,
replayed from the desk, and nothing is duplicated or lost along the way."""

import json

import frappe
from frappe.utils import add_to_date, now_datetime

from scoopjoy.reliability.dead_letters import (
	record_dead_letter,
	replay_dead_letter,
	retry_due_dead_letters,
	retry_many,
)
from scoopjoy.reliability.jobs import enqueue_integration_job, run_integration_job
from scoopjoy.tests.simulators import Fault, GenericJsonApi
from scoopjoy.tests.utils import TEST_TOKEN, EchoConnector, ScoopJoyTestCase

JOBS = "scoopjoy.tests.jobs_for_tests"


class TestDeadLetters(ScoopJoyTestCase):
	def setUp(self):
		self.api = GenericJsonApi(token=TEST_TOKEN, items=3).start()
		EchoConnector(self.api.url).breaker.reset()

	def tearDown(self):
		EchoConnector(self.api.url).breaker.reset()
		self.api.stop()

	def park_fetch(self, item_id: int, tag: str) -> str:
		"""A dead letter for a fetch that failed once (as a job would leave it)."""
		return record_dead_letter(
			connector="Echo Test",
			job=f"{JOBS}.fetch_item",
			payload={"base_url": self.api.url, "item_id": item_id},
			error=ValueError("boom"),
			dedup_key=f"test:{tag}:{frappe.generate_hash(length=6)}",
		)

	def letter(self, key):
		name = frappe.db.get_value("Integration Dead Letter", {"dedup_key": key})
		self.assertTrue(name, f"no dead letter for {key}")
		return frappe.get_doc("Integration Dead Letter", name)

	def test_a_failed_job_becomes_a_dead_letter_that_replays_to_resolved(self):
		self.api.faults.add(Fault.status_code(503, times=3))  # outlasts the in-call retries
		key = f"test:fetch:{frappe.generate_hash(length=6)}"
		run_integration_job(
			f"{JOBS}.fetch_item",
			connector="Echo Test",
			payload={"base_url": self.api.url, "item_id": 2},
			dedup_key=key,
		)
		letter = self.letter(key)
		self.assertEqual((letter.status, letter.failure_type, letter.attempts), ("Open", "transient", 1))
		self.assertGreater(letter.next_retry_at, now_datetime())
		self.assertEqual(json.loads(letter.payload), {"base_url": self.api.url, "item_id": 2})
		self.assertIn("503", letter.last_error)

		self.assertTrue(replay_dead_letter(letter.name))  # the service is back
		letter.reload()
		self.assertEqual(letter.status, "Resolved")
		self.assertTrue(letter.resolved_at)

	def test_replaying_a_post_creates_the_item_once(self):
		# the server creates the item at once but every answer comes too late: the job fails
		self.api.faults.add(Fault.delay(1.5, times=3, process="before", method="POST"))
		key = f"test:create:{frappe.generate_hash(length=6)}"
		run_integration_job(
			f"{JOBS}.create_item",
			connector="Echo Test",
			payload={"base_url": self.api.url, "title": "Rocky Road"},
			dedup_key=key,
		)
		self.assertEqual(len(self.api.created_items), 1)  # created on the first attempt
		self.assertEqual(self.letter(key).status, "Open")
		self.assertTrue(replay_dead_letter(self.letter(key).name))
		self.assertEqual(len(self.api.created_items), 1)  # the replay was answered by idempotency

	def test_after_the_last_attempt_a_letter_is_parked_as_gave_up(self):
		max_attempts = frappe.db.get_single_value("ScoopJoy Settings", "dead_letter_max_attempts") or 8
		self.api.faults.add(Fault.status_code(500, times=None))
		key = f"test:giveup:{frappe.generate_hash(length=6)}"
		payload = {"base_url": self.api.url, "item_id": 1}
		run_integration_job(f"{JOBS}.fetch_item", connector="Echo Test", payload=payload, dedup_key=key)
		name = self.letter(key).name
		for _ in range(max_attempts - 1):
			EchoConnector(self.api.url).breaker.reset()
			self.assertFalse(replay_dead_letter(name))
		letter = self.letter(key)
		self.assertEqual((letter.status, letter.attempts), ("Gave Up", max_attempts))
		self.assertIsNone(letter.next_retry_at)
		self.assertEqual(frappe.db.count("Integration Dead Letter", {"dedup_key": key}), 1)

	def test_a_programming_error_rolls_back_the_work_and_is_raised(self):
		note = f"half-done work {frappe.generate_hash(length=6)}"
		key = f"test:bug:{frappe.generate_hash(length=6)}"
		with self.assertRaises(ZeroDivisionError):
			run_integration_job(
				f"{JOBS}.note_and_fail", connector="Echo Test", payload={"note": note}, dedup_key=key
			)
		self.assertFalse(frappe.db.exists("ToDo", {"description": note}))
		self.assertEqual(self.letter(key).failure_type, "programming")

	def test_due_letters_are_queued_and_others_wait(self):
		due = self.park_fetch(1, "due")
		later = self.park_fetch(2, "later")
		frappe.db.set_value(
			"Integration Dead Letter", due, "next_retry_at", add_to_date(now_datetime(), minutes=-1)
		)
		retry_due_dead_letters()
		self.assertEqual(frappe.db.get_value("Integration Dead Letter", due, "status"), "Retrying")
		self.assertEqual(frappe.db.get_value("Integration Dead Letter", later, "status"), "Open")

	def test_bulk_retry_needs_write_permission(self):
		name = self.park_fetch(1, "perm")
		frappe.set_user("Guest")
		try:
			with self.assertRaises(frappe.PermissionError):
				retry_many(json.dumps([name]))
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(retry_many(json.dumps([name]))["queued"], 1)

	def test_the_same_work_is_queued_once_per_transaction(self):
		key = f"sync:{frappe.generate_hash(length=6)}"
		first = enqueue_integration_job(
			f"{JOBS}.fetch_item", connector="Echo Test", job_key=key, base_url="x", item_id=1
		)
		second = enqueue_integration_job(
			f"{JOBS}.fetch_item", connector="Echo Test", job_key=key, base_url="x", item_id=1
		)
		self.assertEqual((first, second), (True, False))
		frappe.db.rollback()  # the user's save failed: nothing is sent, and the key is free again
		self.assertTrue(
			enqueue_integration_job(
				f"{JOBS}.fetch_item", connector="Echo Test", job_key=key, base_url="x", item_id=1
			)
		)
		frappe.db.rollback()

	def test_work_arriving_while_the_same_work_runs_gets_one_follow_up(self):
		"""A Shopify "paid" webhook during the "create" job must not be absorbed by that job."""
		from rq.job import JobStatus

		from scoopjoy.reliability.jobs import job_id_for, job_ids_for

		key = f"order:{frappe.generate_hash(length=6)}"
		base = frappe.enqueue("frappe.ping", queue="short", job_id=job_id_for("Echo Test", key))
		try:
			# waiting: it will read the newest state when it runs, nothing to add
			self.assertFalse(
				enqueue_integration_job(f"{JOBS}.fetch_item", connector="Echo Test", job_key=key)
			)
			base.set_status(JobStatus.STARTED)  # now a worker runs it, maybe past the read
			self.assertTrue(enqueue_integration_job(f"{JOBS}.fetch_item", connector="Echo Test", job_key=key))
			self.assertIn(job_id_for("Echo Test", f"{key}|again"), frappe.local.scoopjoy_jobs_in_transaction)
			# and only one follow-up, however many events come in meanwhile
			self.assertFalse(
				enqueue_integration_job(f"{JOBS}.fetch_item", connector="Echo Test", job_key=key)
			)
		finally:
			base.delete()
			frappe.db.rollback()

	def test_an_erpnext_message_with_html_still_becomes_a_dead_letter(self):
		message = (
			"Sales Order <strong>SAL-ORD-2026-00126</strong> already exists against Customer's Purchase "
			"Order <strong>#1002</strong>. To allow multiple Sales Orders, Enable <strong>'Allow Multiple "
			"Sales Orders Against a Customer's Purchase Order'</strong> in Selling Settings"
		)
		name = record_dead_letter(
			connector="Shopify",
			job=f"{JOBS}.fetch_item",
			payload={},
			error=frappe.ValidationError(message),
			dedup_key=f"test:html:{frappe.generate_hash(length=6)}",
		)
		letter = frappe.get_doc("Integration Dead Letter", name)
		self.assertLessEqual(len(letter.title), 140)
		self.assertNotIn("<", letter.title)
		self.assertIn("SAL-ORD-2026-00126", letter.title)
		self.assertIn("<strong>#1002</strong>", letter.last_error)  # the full message is kept

	def test_a_missing_role_says_which_user_needs_it(self):
		from scoopjoy.reliability.dead_letters import _describe

		text = _describe(frappe.PermissionError())
		self.assertIn("integration user", text)
		self.assertIn("no detail given", text)
