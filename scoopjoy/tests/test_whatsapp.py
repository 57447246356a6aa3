"""WhatsApp on a real site: submit -> job -> one confirmation per order (even when the job runs
again), customers without a usable number are skipped with a reason, Meta's refusals are
recorded, status webhooks are verified and applied in timestamp order."""

import json

import frappe

from scoopjoy.connectors.whatsapp import messages, webhook
from scoopjoy.connectors.whatsapp.connector import WhatsAppConnector
from scoopjoy.kernel.signatures import META_SIGNATURE_HEADER
from scoopjoy.tests.simulators.whatsapp_cloud import WhatsAppCloudSimulator
from scoopjoy.tests.utils import ScoopJoyTestCase, make_customer, make_item, make_sales_order, webhook_request

TOKEN = "EAAGscoopjoyTestToken0123456789abcdef"
PHONE_ID = "106540352242922"
SECRET = "whatsapp-app-secret"
TEMPLATE = "order_confirmation"


def make_submitted_order(customer: str):
	return make_sales_order(customer, make_item("SCOOP-WA-PISTACHIO"), qty=3, rate=4.5, submit=True)


class TestWhatsApp(ScoopJoyTestCase):
	def setUp(self):
		self.cloud = WhatsAppCloudSimulator(
			access_token=TOKEN,
			phone_number_id=PHONE_ID,
			app_secret=SECRET,
			templates={TEMPLATE: {"language": "en_US", "param_count": 4}},
		).start()
		self.cloud.route(
			"GET", "/{version}/{phone_id}", lambda request: {"verified_name": "ScoopJoy", "id": PHONE_ID}
		)
		settings = frappe.get_single("WhatsApp Settings")
		settings.update(
			{
				"enabled": 1,
				"send_on_submit": 0,  # the tests call the job themselves
				"sandbox_mode": 1,
				"api_base_url": self.cloud.url,
				"graph_api_version": self.cloud.version,
				"phone_number_id": PHONE_ID,
				"access_token": TOKEN,
				"app_secret": SECRET,
				"webhook_verify_token": "verify-me",
				"order_confirmation_template": TEMPLATE,
				"template_language": "en_US",
				"default_country_code": "91",
			}
		)
		settings.save()
		frappe.clear_document_cache("WhatsApp Settings", "WhatsApp Settings")
		WhatsAppConnector().breaker.reset()

	def tearDown(self):
		WhatsAppConnector().breaker.reset()
		self.cloud.stop()

	def test_a_confirmation_is_sent_once_even_when_the_job_runs_again(self):
		so = make_submitted_order(make_customer("WA Test Priya", "098765 43210"))
		self.assertEqual(messages.send_order_confirmation(so.name), "Sent")
		self.assertEqual(messages.send_order_confirmation(so.name), "Sent")  # a retried job
		self.assertEqual(len(self.cloud.sent), 1)
		sent = self.cloud.sent[0]
		body = sent if "template" in sent else sent.get("body", sent)
		self.assertEqual(body["to"], "919876543210")
		texts = [p["text"] for p in body["template"]["components"][0]["parameters"]]
		self.assertIn(so.name, texts)
		self.assertEqual(frappe.db.get_value("Sales Order", so.name, "custom_whatsapp_status"), "Sent")

	def test_a_customer_without_a_number_is_skipped_with_a_reason(self):
		so = make_submitted_order(make_customer("WA Test No Phone", None))
		self.assertEqual(messages.send_order_confirmation(so.name), "Skipped")
		self.assertEqual(len(self.cloud.sent), 0)
		reason = frappe.db.get_value("WhatsApp Message", {"reference_name": so.name}, "reason")
		self.assertIn("WA Test No Phone", reason)

	def test_an_unknown_template_is_recorded_not_retried(self):
		frappe.db.set_single_value("WhatsApp Settings", "order_confirmation_template", "no_such_template")
		frappe.clear_document_cache("WhatsApp Settings", "WhatsApp Settings")
		so = make_submitted_order(make_customer("WA Test Template", "+91 98765 00001"))
		self.assertEqual(messages.send_order_confirmation(so.name), "Failed")
		row = frappe.db.get_value(
			"WhatsApp Message", {"reference_name": so.name}, ["status", "reason"], as_dict=True
		)
		self.assertEqual(row.status, "Failed")
		self.assertTrue(row.reason)

	def test_status_webhooks_apply_in_timestamp_order(self):
		so = make_submitted_order(make_customer("WA Test Status", "+91 98765 00002"))
		messages.send_order_confirmation(so.name)
		wamid = frappe.db.get_value("WhatsApp Message", {"reference_name": so.name}, "wamid")
		for status, ts in (("sent", 100), ("read", 300), ("delivered", 200), ("read", 300)):
			raw, _headers = self.cloud.status_webhook(wamid, status, ts, "919876500002")
			messages.apply_status_webhook(json.loads(raw))
		self.assertEqual(frappe.db.get_value("WhatsApp Message", {"wamid": wamid}, "status"), "Read")
		self.assertEqual(frappe.db.get_value("Sales Order", so.name, "custom_whatsapp_status"), "Read")

	def test_a_status_for_a_message_not_recorded_yet_is_retried_not_dropped(self):
		import time

		from scoopjoy.kernel.errors import TransientError

		recent = {"message_id": "wamid.NOTYET", "status": "sent", "timestamp": int(time.time()), "errors": []}
		with self.assertRaises(TransientError):
			messages.apply_status_events([recent])
		old = dict(recent, timestamp=int(time.time()) - 86400)
		self.assertEqual(messages.apply_status_events([old]), 0)  # not ours: ignored

	def test_the_webhook_job_payload_holds_no_phone_number(self):
		raw, _headers = self.cloud.status_webhook("wamid.PII", "delivered", 1_700_000_000, "919876500099")
		self.assertNotIn("919876500099", json.dumps(messages.status_events(json.loads(raw))))

	def test_the_webhook_endpoint_refuses_forged_signatures_and_queues_good_ones(self):
		raw, headers = self.cloud.status_webhook("wamid.TEST", "delivered", 1_700_000_000, "919876500003")
		errors_before = frappe.db.count("Error Log")

		self._post_to_endpoint(raw, {META_SIGNATURE_HEADER: "sha256=" + "0" * 64})
		self.assertEqual(frappe.local.response.get("http_status_code"), 401)
		self._post_to_endpoint(raw, {})
		self.assertEqual(frappe.local.response.get("http_status_code"), 401)
		self.assertEqual(frappe.db.count("Error Log"), errors_before)  # forged traffic logs nothing
		self.assertFalse(getattr(frappe.local, "scoopjoy_jobs_in_transaction", None))  # and queues nothing

		result = self._post_to_endpoint(raw, headers)
		self.assertEqual(result, {"status": "queued"})

	def test_the_verification_handshake_echoes_the_challenge(self):
		frappe.local.response = frappe._dict()
		frappe.local.form_dict = frappe._dict(
			{"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
		)
		frappe.local.request = webhook_request("GET", b"", {})
		webhook.receive()
		self.assertEqual(frappe.local.response.get("filecontent"), "1158201444")
		frappe.local.response = frappe._dict()
		frappe.local.form_dict = frappe._dict(
			{"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}
		)
		webhook.receive()
		self.assertEqual(frappe.local.response.get("http_status_code"), 403)

	def _post_to_endpoint(self, raw: bytes, headers: dict):
		frappe.local.response = frappe._dict()
		frappe.local.request = webhook_request("POST", raw, headers)
		return webhook.receive()


class TestWhatsAppOnSubmit(ScoopJoyTestCase):
	def test_submit_queues_the_confirmation_after_commit_only_when_enabled(self):
		from scoopjoy.connectors.whatsapp.constants import SERVICE_NAME
		from scoopjoy.reliability.jobs import job_id_for

		settings = frappe.get_single("WhatsApp Settings")
		settings.update({"enabled": 1, "send_on_submit": 1, "api_base_url": "https://graph.facebook.com"})
		settings.save()
		so = make_submitted_order(make_customer("WA Test Submit", "+91 98765 00004"))
		queued = set(getattr(frappe.local, "scoopjoy_jobs_in_transaction", None) or ())
		self.assertIn(job_id_for(SERVICE_NAME, f"confirmation:{so.name}"), queued)
		self.assertEqual(
			frappe.db.count("WhatsApp Message", {"reference_name": so.name}), 0
		)  # nothing sent in the save
		frappe.db.rollback()  # the submit did not commit: the job is never queued


class TestWhatsAppUncertainSends(ScoopJoyTestCase):
	"""Meta has no idempotency key: when we cannot know whether a message went out, we say so
	instead of sending it twice; when we know it did not, the work is retried."""

	def setUp(self):
		TestWhatsApp.setUp(self)

	def tearDown(self):
		TestWhatsApp.tearDown(self)

	def test_a_5xx_after_the_request_left_is_not_resent(self):
		from scoopjoy.tests.simulators import Fault

		so = make_submitted_order(make_customer("WA Test Uncertain", "+91 98765 00005"))
		self.cloud.faults.add(Fault.status_code(500, times=None, method="POST"))
		self.assertEqual(messages.send_order_confirmation(so.name), "Uncertain")
		self.assertEqual(messages.send_order_confirmation(so.name), "Uncertain")  # a rerun does not resend
		reason = frappe.db.get_value("WhatsApp Message", {"reference_name": so.name}, "reason")
		self.assertIn("may have been delivered", reason)
		self.assertEqual(self.cloud.count("POST"), 1)  # POST without a key: not retried in the call
		self.assertEqual(frappe.db.get_value("Sales Order", so.name, "custom_whatsapp_status"), "Uncertain")
		self.assertEqual(
			messages.send_order_confirmation(so.name, resend=True), "Uncertain"
		)  # a person resends
		self.assertEqual(self.cloud.count("POST"), 2)

	def test_a_throughput_refusal_is_retried_and_then_sent_once(self):
		from scoopjoy.kernel.errors import RateLimitedError
		from scoopjoy.tests.simulators import Fault

		so = make_submitted_order(make_customer("WA Test Throttled", "+91 98765 00006"))
		self.cloud.faults.add(
			Fault.status_code(400, times=1, body={"error": {"code": 130429, "message": "Rate limit hit"}})
		)
		with self.assertRaises(RateLimitedError):
			messages.send_order_confirmation(so.name)
		self.assertEqual(messages.send_order_confirmation(so.name), "Sent")  # the dead letter's retry
		self.assertEqual(len(self.cloud.sent), 1)

	def test_a_send_interrupted_before_its_result_was_recorded_is_not_repeated(self):
		so = make_submitted_order(make_customer("WA Test Interrupted", "+91 98765 00007"))
		frappe.get_doc(
			{
				"doctype": "WhatsApp Message",
				"message_key": f"Sales Order:{so.name}:{TEMPLATE}",
				"status": "Sending",  # what a worker killed mid-send leaves behind
				"reference_doctype": "Sales Order",
				"reference_name": so.name,
			}
		).insert(ignore_permissions=True)
		self.assertEqual(messages.send_order_confirmation(so.name), "Uncertain")
		self.assertEqual(len(self.cloud.sent), 0)
