"""Alerts posted to a Slack channel through an incoming webhook (https://api.slack.com/messaging/webhooks).

The post is integration work like any other: queued after commit, sent through the kernel
transport (timeout, classification, masked call log), and dead-lettered when Slack is down so it
is retried, never lost. The bell notification and the email have already gone out by then.

``scoopjoy.reliability.alerts`` reaches ``queue_slack_alert`` through hooks.py
(``scoopjoy_slack_alert_sender``), never by import: this connector imports alerting, not the reverse.
"""

from __future__ import annotations

import frappe

from scoopjoy.connectors.base import BaseConnector
from scoopjoy.kernel.errors import ConfigError
from scoopjoy.kernel.slack import alert_message, slack_response_rule, webhook_origin
from scoopjoy.reliability.alerts import SLACK_SERVICE, STATUS_PAGE
from scoopjoy.reliability.jobs import enqueue_integration_job

POST_JOB = "scoopjoy.operations.slack.post_alert"


class SlackAlertConnector(BaseConnector):
	service_name = SLACK_SERVICE
	settings_doctype = "ScoopJoy Settings"
	timeout = (3, 10)
	response_rules = (slack_response_rule,)
	correlation_header = None  # Slack ignores it; keep the request minimal

	@property
	def webhook_url(self) -> str:
		url = self.settings.get_password("slack_webhook_url", raise_exception=False)
		if not url:
			raise ConfigError(
				"No Slack webhook URL is set in ScoopJoy Settings (Alerts section).",
				service=self.service_name,
			)
		return url

	@property
	def base_url(self) -> str:
		return webhook_origin(self.webhook_url)

	def account_id(self) -> str:
		return "webhook"  # one breaker for the channel; the URL is a secret and stays out of keys

	def _alert_circuit_open(self, state) -> None:
		"""Only logged: alerting about the alert channel through itself would loop."""

	def post_message(self, title: str, text: str) -> None:
		message = alert_message(title, text, link=frappe.utils.get_url(STATUS_PAGE))
		self.request("POST", self.webhook_url, json=message, expect_json=False)


def queue_slack_alert(title: str, text: str) -> None:
	enqueue_integration_job(
		POST_JOB,
		connector=SLACK_SERVICE,
		job_key=f"{title}|{frappe.utils.now()}",
		title=title,
		text=text,
	)


def post_alert(title: str, text: str) -> None:
	SlackAlertConnector().post_message(title, text)
