# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

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

#: users that must never run integration work
FORBIDDEN_INTEGRATION_USERS = ("Administrator", "Guest")


class ScoopJoySettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		alert_role: DF.Link | None
		breaker_cooldown_seconds: DF.Int
		breaker_failure_threshold: DF.Int
		dead_letter_base_delay_minutes: DF.Int
		dead_letter_max_attempts: DF.Int
		dead_letter_max_delay_minutes: DF.Int
		failure_log_retention_days: DF.Int
		integration_user: DF.Link | None
		log_successful_calls: DF.Check
		success_log_retention_days: DF.Int
	# end: auto-generated types

	def validate(self):
		self.validate_positive_numbers()
		self.validate_delays_and_retention()
		self.validate_integration_user()
		self.validate_alert_role()

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
