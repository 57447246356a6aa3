# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

"""A dead letter only validates itself here; retrying lives in scoopjoy.reliability.dead_letters."""

import json
import re

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import add_days, cint, now_datetime

from scoopjoy.constants import DEFAULT_RESOLVED_DEAD_LETTER_RETENTION_DAYS

#: a dead letter calls ``job`` again: only functions of this app may be named there
JOB_PATH = re.compile(r"^scoopjoy(\.[A-Za-z_][A-Za-z0-9_]*)+$")
TITLE_LENGTH = 140


class IntegrationDeadLetter(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		account: DF.Data | None
		attempts: DF.Int
		connector: DF.Data | None
		correlation_id: DF.Data | None
		dedup_key: DF.Data | None
		external_id: DF.Data | None
		failure_type: DF.Literal["", "auth", "config", "rate_limited", "transient", "record", "programming"]
		job: DF.Data | None
		last_error: DF.LongText | None
		max_attempts: DF.Int
		next_retry_at: DF.Datetime | None
		payload: DF.Code | None
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		resolved_at: DF.Datetime | None
		status: DF.Literal["Open", "Retrying", "Resolved", "Gave Up"]
		title: DF.Data | None
	# end: auto-generated types

	def validate(self):
		self.validate_job()
		self.validate_payload()
		self.validate_counts()
		self.set_resolved_at()
		self.set_title()

	def validate_job(self):
		if self.job and not JOB_PATH.match(self.job):
			frappe.throw(
				_("Job {0} is not the dotted path of a ScoopJoy function (scoopjoy.module.function).").format(
					frappe.bold(self.job)
				),
				title=_("Invalid Dead Letter"),
			)

	def validate_payload(self):
		if not self.payload:
			return
		try:
			json.loads(self.payload)
		except ValueError as exc:
			frappe.throw(
				_("The payload is not valid JSON: {0}").format(exc),
				title=_("Invalid Dead Letter"),
			)

	def validate_counts(self):
		if cint(self.attempts) < 0 or cint(self.max_attempts) < 0:
			frappe.throw(_("Attempts cannot be negative."), title=_("Invalid Dead Letter"))

	def set_resolved_at(self):
		if self.status == "Resolved":
			self.resolved_at = self.resolved_at or now_datetime()
		else:
			self.resolved_at = None

	def set_title(self):
		if self.title:
			return
		from scoopjoy.reliability.dead_letters import dead_letter_title

		title = dead_letter_title(
			self.connector,
			self.last_error or "",
			job=self.job,
			subject=self.reference_name or self.external_id or self.correlation_id,
			payload=self.payload,
		)
		self.title = (title or _("Dead Letter"))[:TITLE_LENGTH]

	@staticmethod
	def clear_old_logs(days: int | None = None) -> None:
		"""Called daily by Log Settings. Only Resolved dead letters are removed: Open, Retrying and
		Gave Up ones are work that still needs doing or deciding, whatever their age."""
		days = cint(days) or DEFAULT_RESOLVED_DEAD_LETTER_RETENTION_DAYS
		cutoff = add_days(now_datetime(), -days)
		table = frappe.qb.DocType("Integration Dead Letter")
		frappe.db.delete(
			"Integration Dead Letter",
			filters=(table.status == "Resolved")
			& ((table.resolved_at < cutoff) | (table.resolved_at.isnull() & (table.modified < cutoff))),
		)


def on_doctype_update():
	"""The scheduler looks for due dead letters by status and next_retry_at."""
	frappe.db.add_index("Integration Dead Letter", ["status", "next_retry_at"])
