# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document
from frappe.utils import add_days, cint, now_datetime

from scoopjoy.constants import DEFAULT_FAILURE_LOG_RETENTION_DAYS, DEFAULT_SUCCESS_LOG_RETENTION_DAYS


class ConnectorRequestLog(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		account: DF.Data | None
		attempts: DF.Int
		connector: DF.Data | None
		correlation_id: DF.Data | None
		duration_ms: DF.Float
		error: DF.SmallText | None
		failure_type: DF.Literal["", "auth", "config", "rate_limited", "transient", "record", "programming"]
		method: DF.Data | None
		outcome: DF.Literal["Success", "Failed"]
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		request_body: DF.Code | None
		request_headers: DF.Code | None
		response_body: DF.Code | None
		status_code: DF.Int
		url: DF.SmallText | None
	# end: auto-generated types

	@staticmethod
	def clear_old_logs(days: int | None = None) -> None:
		"""Called daily by Log Settings (registered through ``default_log_clearing_doctypes``).

		Successful calls older than ScoopJoy Settings' success retention go (``days`` from Log Settings
		when that is empty); failed calls are kept longer, for the failure retention, because they are
		what people debug.
		"""
		settings = frappe.get_cached_doc("ScoopJoy Settings")
		# ScoopJoy Settings decide; Log Settings' days (the hook default) only when they are empty
		success_days = (
			cint(settings.success_log_retention_days) or cint(days) or DEFAULT_SUCCESS_LOG_RETENTION_DAYS
		)
		failure_days = max(
			success_days,
			cint(settings.failure_log_retention_days) or DEFAULT_FAILURE_LOG_RETENTION_DAYS,
		)
		now = now_datetime()
		table = frappe.qb.DocType("Connector Request Log")
		frappe.db.delete(
			"Connector Request Log",
			filters=(table.outcome == "Success") & (table.creation < add_days(now, -success_days)),
		)
		# anything that is not a success (a row written without an outcome included) is a failure
		frappe.db.delete(
			"Connector Request Log",
			filters=((table.outcome != "Success") | table.outcome.isnull())
			& (table.creation < add_days(now, -failure_days)),
		)
