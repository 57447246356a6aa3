"""Operations on a real site: the health check, alert incidents (bell, email, Slack), thresholds in
ScoopJoy Settings, and the workspace, number cards and charts an administrator opens."""

from __future__ import annotations

import json
import re

import frappe
from frappe.utils import add_to_date, now_datetime

from scoopjoy.api import operations as api
from scoopjoy.connectors.mobile_app import constants as mobile
from scoopjoy.kernel.health import CIRCUIT_OPEN, DEAD_LETTERS_WAITING, NO_SUCCESSFUL_SYNC
from scoopjoy.operations.alerts import evaluate_alerts
from scoopjoy.operations.slack import POST_JOB, SlackAlertConnector, post_alert
from scoopjoy.reliability.activity import _key as activity_key
from scoopjoy.reliability.alerts import SLACK_SERVICE, _incidents_key, open_incident, open_incidents
from scoopjoy.reliability.dead_letters import record_dead_letter
from scoopjoy.reliability.jobs import job_id_for, job_id_prefix
from scoopjoy.reliability.runtime import get_redis
from scoopjoy.tests.simulators import Fault
from scoopjoy.tests.simulators.mobile_backend import MobileBackendSimulator
from scoopjoy.tests.simulators.slack import SlackWebhookSimulator
from scoopjoy.tests.utils import ScoopJoyTestCase

ALERT_ROLE = "ScoopJoy Alert Test Role"
ALERT_USER = "alerts.test@scoopjoy.example"


def ensure_alert_user() -> None:
	if not frappe.db.exists("Role", ALERT_ROLE):
		frappe.get_doc({"doctype": "Role", "role_name": ALERT_ROLE, "desk_access": 1}).insert(
			ignore_permissions=True
		)
	if not frappe.db.exists("User", ALERT_USER):
		user = frappe.get_doc(
			{"doctype": "User", "email": ALERT_USER, "first_name": "Alert", "send_welcome_email": 0}
		).insert(ignore_permissions=True)
		user.add_roles(ALERT_ROLE)


def ensure_outgoing_email_account() -> None:
	"""Alert emails need one (Frappe skips the SMTP check while tests run; nothing is sent)."""
	if not frappe.db.exists("Email Account", {"default_outgoing": 1, "enable_outgoing": 1}):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": "ScoopJoy Alert Test Sender",
				"email_id": "alert-sender@scoopjoy.example",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "127.0.0.1",
				"no_smtp_authentication": 1,
			}
		).insert(ignore_permissions=True)
	frappe.local.outgoing_email_account = {}


def connector_facts(name: str) -> dict:
	report = api.health_check()
	return next(c for c in report["connectors"] if c["connector"] == name)


def notifications(subject: str) -> list[str]:
	return frappe.get_all(
		"Notification Log", filters={"subject": subject, "for_user": ALERT_USER}, pluck="name"
	)


def alert_emails(subject: str) -> list[str]:
	queue = frappe.qb.DocType("Email Queue")
	recipient = frappe.qb.DocType("Email Queue Recipient")
	return (
		frappe.qb.from_(queue)
		.join(recipient)
		.on(recipient.parent == queue.name)
		.select(queue.name)
		.where((recipient.recipient == ALERT_USER) & (queue.message.like(f"%{subject}%")))
	).run(pluck=True)


class TestOperations(ScoopJoyTestCase):
	def setUp(self):
		ensure_alert_user()
		ensure_outgoing_email_account()
		self.backend = MobileBackendSimulator(api_key="ops-key").start()
		settings = frappe.get_single("ScoopJoy Settings")
		settings.update(
			{
				"alert_role": ALERT_ROLE,
				"send_alert_emails": 1,
				"slack_webhook_url": "",
				"alert_on_circuit_open": 1,
				"alert_error_rate_percent": 25,
				"alert_error_rate_window_minutes": 15,
				"alert_error_rate_min_calls": 10,
				"alert_dead_letter_age_hours": 24,
				"alert_no_sync_hours": 6,
				"breaker_failure_threshold": 3,
			}
		)
		settings.save()
		mobile_settings = frappe.get_single(mobile.SETTINGS_DOCTYPE)
		mobile_settings.update(
			{
				"enabled": 1,
				"sandbox_mode": 1,
				"auto_sync_enabled": 0,
				"api_url": self.backend.url,
				"api_key": "ops-key",
			}
		)
		mobile_settings.save()
		self.connector = mobile_settings.get_connector()
		self.connector.breaker.reset()
		redis = get_redis()
		redis.delete(_incidents_key())
		redis.hdel(activity_key("last-success"), mobile.SERVICE_NAME)
		redis.hdel(activity_key("watching-since"), mobile.SERVICE_NAME)

	def tearDown(self):
		self.connector.breaker.reset()
		get_redis().delete(_incidents_key())
		self.backend.stop()
		frappe.set_user("Administrator")

	# --- the health check --------------------------------------------------------------------

	def test_health_check_reports_every_connector_with_its_calls_and_last_success(self):
		before = connector_facts(mobile.SERVICE_NAME)
		self.connector.get(mobile.HEALTH_PATH)
		self.backend.faults.add(Fault.status(500), Fault.status(500), Fault.status(500), Fault.status(500))
		with self.assertRaises(Exception):
			self.connector.get(mobile.HEALTH_PATH)

		report = api.health_check()
		self.assertEqual(
			[c["connector"] for c in report["connectors"]],
			# one entry per service: the Shopify stores are one (their calls are counted together)
			[
				"Shopify",
				"WhatsApp",
				mobile.SERVICE_NAME,
				"Google Contacts",
				"Shipping Carrier",
			],
		)
		self.assertIn(report["status"], ("ok", "degraded", "failing"))
		json.dumps(report)  # what a monitor receives must serialise
		facts = connector_facts(mobile.SERVICE_NAME)
		self.assertTrue(facts["enabled"])
		self.assertEqual(facts["calls_24h"], before["calls_24h"] + 2)
		self.assertEqual(facts["failures_24h"], before["failures_24h"] + 1)
		self.assertIsNotNone(facts["last_success_at"])
		self.assertLess(facts["hours_without_success"], 0.1)

	def test_health_check_is_for_system_managers_only(self):
		frappe.set_user(ALERT_USER)
		with self.assertRaises(frappe.PermissionError):
			api.health_check()
		with self.assertRaises(frappe.PermissionError):
			api.open_circuits()

	def test_queued_work_and_its_lag_are_visible(self):
		job_id = job_id_for(mobile.SERVICE_NAME, f"lag-test-{frappe.generate_hash(length=6)}")
		self.assertTrue(job_id.startswith(job_id_prefix(mobile.SERVICE_NAME)))
		job = frappe.enqueue("frappe.ping", queue="long", job_id=job_id)
		try:
			facts = connector_facts(mobile.SERVICE_NAME)
			self.assertGreaterEqual(facts["queued_jobs"], 1)
			self.assertIsNotNone(facts["queue_lag_seconds"])
		finally:
			job.delete()

	# --- incidents ---------------------------------------------------------------------------

	def test_an_open_circuit_alerts_once_and_closing_it_sends_a_resolved_note(self):
		self.backend.faults.add(*[Fault.status(503) for _ in range(20)])
		for _ in range(3):
			with self.assertRaises(Exception):
				self.connector.get(mobile.HEALTH_PATH)
		self.assertEqual(connector_facts(mobile.SERVICE_NAME)["breaker_state"], "open")

		subject = f"{mobile.SERVICE_NAME}: {CIRCUIT_OPEN}"
		first = evaluate_alerts()
		second = evaluate_alerts()
		self.assertIn((mobile.SERVICE_NAME, CIRCUIT_OPEN), first["opened"])
		self.assertEqual(second["opened"], [])  # one alert per incident, not one per run
		self.assertEqual(len(notifications(subject)), 1)
		self.assertEqual(len(alert_emails(subject)), 1)

		self.connector.breaker.reset()
		closed = evaluate_alerts()
		self.assertIn((mobile.SERVICE_NAME, CIRCUIT_OPEN), closed["closed"])
		self.assertEqual(len(notifications(f"{subject} resolved")), 1)
		self.assertEqual(alert_emails(f"{subject} resolved"), [])  # the bell is enough for good news

	def test_an_incident_raised_from_work_is_not_repeated_while_open(self):
		reason = f"auth failure {frappe.generate_hash(length=4)}"
		self.assertTrue(open_incident(mobile.SERVICE_NAME, reason, "token revoked"))
		self.assertFalse(open_incident(mobile.SERVICE_NAME, reason, "token revoked again"))
		self.assertEqual(len(notifications(f"{mobile.SERVICE_NAME}: {reason}")), 1)
		# it closes once the connector succeeds again
		self.connector.get(mobile.HEALTH_PATH)
		self.assertIn((mobile.SERVICE_NAME, reason), evaluate_alerts()["closed"])

	def test_dead_letters_older_than_the_threshold_open_an_incident(self):
		name = record_dead_letter(
			connector=mobile.SERVICE_NAME,
			job="scoopjoy.connectors.mobile_app.jobs.sync_menu",
			payload={},
			error=ValueError("menu rejected"),
			dedup_key=f"ops-test-{frappe.generate_hash(length=6)}",
		)
		self.assertNotIn((mobile.SERVICE_NAME, DEAD_LETTERS_WAITING), evaluate_alerts()["opened"])
		frappe.db.set_value(
			"Integration Dead Letter",
			name,
			"creation",
			add_to_date(now_datetime(), hours=-30),
			update_modified=False,
		)
		opened = evaluate_alerts()["opened"]
		self.assertIn((mobile.SERVICE_NAME, DEAD_LETTERS_WAITING), opened)
		[incident] = [i for i in open_incidents() if i["reason"] == DEAD_LETTERS_WAITING]
		self.assertIn("Retry now", incident["message"])

	def test_a_scheduled_connector_without_success_for_too_long_alerts(self):
		frappe.db.set_single_value(mobile.SETTINGS_DOCTYPE, "auto_sync_enabled", 1)  # hourly outlet sync
		frappe.clear_document_cache(mobile.SETTINGS_DOCTYPE, mobile.SETTINGS_DOCTYPE)
		get_redis().hset(
			activity_key("last-success"),
			mobile.SERVICE_NAME,
			add_to_date(now_datetime(), hours=-2).isoformat(),
		)
		self.assertNotIn((mobile.SERVICE_NAME, NO_SUCCESSFUL_SYNC), evaluate_alerts()["opened"])
		get_redis().hset(
			activity_key("last-success"),
			mobile.SERVICE_NAME,
			add_to_date(now_datetime(), hours=-8).isoformat(),
		)
		self.assertIn((mobile.SERVICE_NAME, NO_SUCCESSFUL_SYNC), evaluate_alerts()["opened"])
		self.connector.get(mobile.HEALTH_PATH)  # a success
		self.assertIn((mobile.SERVICE_NAME, NO_SUCCESSFUL_SYNC), evaluate_alerts()["closed"])

	def test_a_disabled_connector_never_alerts(self):
		frappe.db.set_single_value(mobile.SETTINGS_DOCTYPE, "enabled", 0)
		frappe.clear_document_cache(mobile.SETTINGS_DOCTYPE, mobile.SETTINGS_DOCTYPE)
		get_redis().hset(
			activity_key("last-success"),
			mobile.SERVICE_NAME,
			add_to_date(now_datetime(), hours=-80).isoformat(),
		)
		result = evaluate_alerts()
		self.assertFalse([key for key in result["opened"] if key[0] == mobile.SERVICE_NAME])

	# --- Slack ---------------------------------------------------------------------------------

	def test_alerts_reach_slack_through_a_queued_job_and_a_revoked_webhook_is_dead_lettered(self):
		SlackAlertConnector().breaker.reset()
		self.addCleanup(lambda: SlackAlertConnector().breaker.reset())
		with SlackWebhookSimulator() as slack:
			settings = frappe.get_single("ScoopJoy Settings")
			settings.update({"slack_webhook_url": slack.webhook_url, "slack_sandbox_mode": 1})
			settings.save()
			reason = f"config failure {frappe.generate_hash(length=4)}"
			open_incident(mobile.SERVICE_NAME, reason, "API key rejected for ops-key@example.com")
			queued = getattr(frappe.local, "scoopjoy_jobs_in_transaction", set())
			self.assertTrue(any(job.startswith(job_id_prefix(SLACK_SERVICE)) for job in queued))

			post_alert(f"{mobile.SERVICE_NAME}: {reason}", "API key rejected for o****@example.com")
			[message] = slack.messages
			self.assertIn(reason, message["text"])
			self.assertIn("/app/integration-status", message["blocks"][0]["text"]["text"])
			logged = frappe.get_all(
				"Connector Request Log",
				filters={"connector": SLACK_SERVICE},
				pluck="url",
				order_by="creation desc",
				limit=1,
			)
			self.assertNotIn(slack.secret, logged[0])

			slack.revoked = True
			from scoopjoy.reliability.jobs import run_integration_job

			run_integration_job(
				POST_JOB, SLACK_SERVICE, {"title": "t", "text": "x"}, dedup_key="ops-slack-revoked"
			)
			letter = frappe.get_doc("Integration Dead Letter", {"dedup_key": "ops-slack-revoked"})
			self.assertEqual(letter.failure_type, "config")
			self.assertIn("no_service", letter.last_error)

	def test_slack_url_must_be_https_and_thresholds_sensible(self):
		settings = frappe.get_single("ScoopJoy Settings")
		settings.slack_webhook_url = "http://hooks.slack.example/services/T1/B2/abc"
		settings.slack_sandbox_mode = 0
		with self.assertRaisesRegex(frappe.ValidationError, "https://"):
			settings.save()
		settings.reload()
		settings.alert_dead_letter_age_hours = -1
		with self.assertRaisesRegex(frappe.ValidationError, "use 0 to switch that alert off"):
			settings.save()

	def test_send_test_alert_uses_the_alert_path(self):
		message = frappe.get_single("ScoopJoy Settings").send_test_alert()
		self.assertIn(ALERT_ROLE, message)
		self.assertEqual(len(notifications("ScoopJoy Connect: test alert")) >= 1, True)

	# --- what the administrator opens ----------------------------------------------------------

	def test_without_an_outgoing_email_account_alerts_still_reach_the_bell(self):
		accounts = frappe.get_all("Email Account", filters={"default_outgoing": 1}, pluck="name")
		for account in accounts:
			frappe.db.set_value("Email Account", account, "default_outgoing", 0)
		frappe.local.outgoing_email_account = {}  # Frappe caches the account per request
		reason = f"auth failure {frappe.generate_hash(length=4)}"
		frappe.local.message_log = []
		self.assertTrue(open_incident(mobile.SERVICE_NAME, reason, "token revoked"))
		self.assertEqual(len(notifications(f"{mobile.SERVICE_NAME}: {reason}")), 1)
		# no "set up an Email Account" dialog for whoever's request raised the alert
		self.assertFalse([m for m in frappe.local.message_log if "Email Account" in str(m)])
		self.assertTrue(
			frappe.db.exists(
				"Error Log",
				{"method": "ScoopJoy Connect: alert email not sent", "error": ["like", f"%{reason}%"]},
			)
		)
		for account in accounts:
			frappe.db.set_value("Email Account", account, "default_outgoing", 1)
		frappe.local.outgoing_email_account = {}  # Frappe caches the account per request

	def test_the_workspace_cards_and_charts_are_installed_and_answer(self):
		# one failed call and one open dead letter, so every chart has something to draw
		self.backend.faults.add(*[Fault.status(500) for _ in range(4)])
		with self.assertRaises(Exception):
			self.connector.get(mobile.HEALTH_PATH)
		record_dead_letter(
			connector=mobile.SERVICE_NAME,
			job="scoopjoy.connectors.mobile_app.jobs.sync_menu",
			payload={},
			error=ValueError("menu rejected"),
			dedup_key=f"ops-chart-{frappe.generate_hash(length=6)}",
		)
		workspace = frappe.get_doc("Workspace", "ScoopJoy Integrations")
		blocks = json.loads(workspace.content)
		# the desk finds a block by the label of its row: a block naming anything else is dropped
		card_rows = {row.label: row.number_card_name for row in workspace.number_cards}
		chart_rows = {row.label: row.chart_name for row in workspace.charts}
		cards = [card_rows[b["data"]["number_card_name"]] for b in blocks if b["type"] == "number_card"]
		charts = [chart_rows[b["data"]["chart_name"]] for b in blocks if b["type"] == "chart"]
		self.assertEqual(len(cards), 4)
		self.assertEqual(len(charts), 4)
		for card in cards:
			doc = frappe.get_doc("Number Card", card)
			if doc.type == "Custom":
				value = frappe.get_attr(doc.method)(filters="{}")["value"]
			else:
				from frappe.desk.doctype.number_card.number_card import get_result

				value = get_result(doc.as_dict(), filters="[]")
			self.assertIsInstance(value, int | float, card)
		from frappe.desk.doctype.dashboard_chart.dashboard_chart import get
		from frappe.desk.doctype.dashboard_chart_source.dashboard_chart_source import get_config

		from scoopjoy.operations.health import connector_names

		for chart in charts:
			doc = frappe.get_doc("Dashboard Chart", chart)
			if doc.chart_type == "Custom":  # the method the source's script names
				method = re.search(r'method:\s*"([\w.]+)"', get_config(doc.source)).group(1)
				data = frappe.get_attr(method)(chart_name=chart, filters=doc.filters_json)
			else:
				data = get(chart_name=chart, refresh=1)
			self.assertIn("datasets", data or {}, chart)
			labels = data.get("labels") or []
			self.assertFalse([label for label in labels if label in ("rate_limited", "transient")], chart)
			if chart == "Open Dead Letters by Connector":  # the app's connectors, not the tests' ones
				self.assertTrue(set(labels) <= set(connector_names()), labels)
		self.assertTrue(frappe.db.exists("Page", "integration-status"))
