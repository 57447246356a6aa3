# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt

from scoopjoy.connectors.settings import validate_https_field

#: Int fields that must be at least 1
POSITIVE_FIELDS = (
	"breaker_failure_threshold",
	"breaker_cooldown_seconds",
	"dead_letter_max_attempts",
	"dead_letter_base_delay_minutes",
	"dead_letter_max_delay_minutes",
	"success_log_retention_days",
	"failure_log_retention_days",
)

#: alert thresholds: 0 switches a rule off, a negative number means nothing
NON_NEGATIVE_FIELDS = (
	"alert_error_rate_percent",
	"alert_error_rate_min_calls",
	"alert_dead_letter_age_hours",
	"alert_no_sync_hours",
)

#: users that must never run integration work
FORBIDDEN_INTEGRATION_USERS = ("Administrator", "Guest")


class ScoopJoySettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		alert_dead_letter_age_hours: DF.Int
		alert_error_rate_min_calls: DF.Int
		alert_error_rate_percent: DF.Percent
		alert_error_rate_window_minutes: DF.Int
		alert_no_sync_hours: DF.Int
		alert_on_circuit_open: DF.Check
		alert_role: DF.Link | None
		breaker_cooldown_seconds: DF.Int
		breaker_failure_threshold: DF.Int
		dead_letter_base_delay_minutes: DF.Int
		dead_letter_max_attempts: DF.Int
		dead_letter_max_delay_minutes: DF.Int
		failure_log_retention_days: DF.Int
		integration_user: DF.Link | None
		log_successful_calls: DF.Check
		send_alert_emails: DF.Check
		slack_sandbox_mode: DF.Check
		slack_webhook_url: DF.Password | None
		success_log_retention_days: DF.Int
	# end: auto-generated types

	def validate(self):
		self.validate_positive_numbers()
		self.validate_delays_and_retention()
		self.validate_integration_user()
		self.validate_alert_role()
		self.validate_alert_thresholds()
		self.validate_slack_webhook_url()

	def validate_alert_thresholds(self):
		for fieldname in NON_NEGATIVE_FIELDS:
			if flt(self.get(fieldname)) < 0:
				frappe.throw(
					_("{0} cannot be negative (it is {1}); use 0 to switch that alert off.").format(
						frappe.bold(_(self.meta.get_label(fieldname))), self.get(fieldname)
					),
					title=_("Invalid Setting"),
				)
		if flt(self.alert_error_rate_percent) > 100:
			frappe.throw(
				_("The error rate threshold is a percentage: at most 100."), title=_("Invalid Setting")
			)
		if cint(self.alert_error_rate_window_minutes) < 1:
			frappe.throw(
				_("{0} must be at least 1 minute.").format(
					frappe.bold(_(self.meta.get_label("alert_error_rate_window_minutes")))
				),
				title=_("Invalid Setting"),
			)

	def validate_slack_webhook_url(self):
		url = self.slack_webhook_url
		if not url or set(url) == {"*"}:  # empty, or unchanged (Frappe shows a saved password as ***)
			return
		validate_https_field(self, "slack_webhook_url", allow_http=bool(self.slack_sandbox_mode))

	@frappe.whitelist()
	def send_test_alert(self) -> str:
		"""The "Send Test Alert" button: the same path a real alert takes (bell, email, Slack)."""
		self.check_permission("write")
		from scoopjoy.reliability.alerts import notify

		sent = notify(
			_("ScoopJoy Connect: test alert"),
			_(
				"This is a test alert sent from ScoopJoy Settings by {0}. If you can read it here, alerts reach you."
			).format(frappe.session.user),
			connector="ScoopJoy Connect",
		)
		ways = [_("the bell of {0} user(s)").format(sent["users"])]
		if sent["email"]:
			ways.append(_("email"))
		if sent["slack"]:
			ways.append(_("Slack"))
		message = _("Test alert sent to the role {0}: {1}.").format(
			self.alert_role or "System Manager", ", ".join(ways)
		)
		if self.send_alert_emails and not sent["email"]:
			message += " " + _(
				"No email went out: set up a default outgoing Email Account (see the Error Log)."
			)
		return message

	def validate_positive_numbers(self):
		for fieldname in POSITIVE_FIELDS:
			if cint(self.get(fieldname)) < 1:
				frappe.throw(
					_("{0} must be a whole number of at least 1 (it is {1}).").format(
						frappe.bold(_(self.meta.get_label(fieldname))), cint(self.get(fieldname))
					),
					title=_("Invalid Setting"),
				)

	def validate_delays_and_retention(self):
		if cint(self.dead_letter_max_delay_minutes) < cint(self.dead_letter_base_delay_minutes):
			frappe.throw(
				_("{0} ({1}) cannot be shorter than {2} ({3}).").format(
					frappe.bold(_(self.meta.get_label("dead_letter_max_delay_minutes"))),
					cint(self.dead_letter_max_delay_minutes),
					frappe.bold(_(self.meta.get_label("dead_letter_base_delay_minutes"))),
					cint(self.dead_letter_base_delay_minutes),
				),
				title=_("Invalid Setting"),
			)
		if cint(self.failure_log_retention_days) < cint(self.success_log_retention_days):
			frappe.throw(
				_(
					"Failed call logs are kept at least as long as successful ones: {0} ({1}) cannot be shorter than {2} ({3})."
				).format(
					frappe.bold(_(self.meta.get_label("failure_log_retention_days"))),
					cint(self.failure_log_retention_days),
					frappe.bold(_(self.meta.get_label("success_log_retention_days"))),
					cint(self.success_log_retention_days),
				),
				title=_("Invalid Setting"),
			)

	def validate_integration_user(self):
		if not self.integration_user:
			return
		if self.integration_user in FORBIDDEN_INTEGRATION_USERS:
			frappe.throw(
				_(
					"The integration user cannot be {0}: background jobs and webhooks must run as a dedicated user with limited roles."
				).format(frappe.bold(self.integration_user)),
				title=_("Invalid Integration User"),
			)
		user = frappe.db.get_value("User", self.integration_user, ["enabled", "user_type"], as_dict=True)
		if not user:
			frappe.throw(
				_("User {0} does not exist.").format(frappe.bold(self.integration_user)),
				title=_("Invalid Integration User"),
			)
		if not cint(user.enabled):
			frappe.throw(
				_("User {0} is disabled. Enable it or choose another integration user.").format(
					frappe.bold(self.integration_user)
				),
				title=_("Invalid Integration User"),
			)
		if user.user_type != "System User":
			frappe.throw(
				_("User {0} is a {1}; the integration user must be a System User.").format(
					frappe.bold(self.integration_user), _(user.user_type)
				),
				title=_("Invalid Integration User"),
			)

	def validate_alert_role(self):
		if self.alert_role in ("Guest", "All"):
			frappe.throw(
				_(
					"Alerts cannot go to the role {0}: choose a role held by the people who fix connectors."
				).format(frappe.bold(self.alert_role)),
				title=_("Invalid Setting"),
			)
