"""Every external call ends up in the Connector Request Log, and every failed one in the Error Log.

Why our own log DocType and not Frappe's Integration Request: we need the HTTP status, the
duration, the attempt count, the correlation id and the failure type as *fields* (filters,
number cards, the alerting window), and a retention that keeps failures longer than successes
(``clear_old_logs`` on the DocType). Integration Request has none of those as fields.

A call made inside a job that later fails would lose its log to the job's rollback: exactly the
rows an administrator needs. So the rows written in a transaction are also kept in memory and
written again after a rollback (Frappe's ``after_rollback`` callbacks; ``commit`` discards them).
A rollback *to a savepoint* runs no callbacks: code that calls out inside a savepoint should write
logs after releasing it.
"""

from __future__ import annotations

import json

import frappe
from frappe.utils import strip_html

from scoopjoy.kernel.transport import CallRecord
from scoopjoy.reliability.activity import mark_success
from scoopjoy.reliability.runtime import scoopjoy_settings

ERROR_LOG_TITLE_LENGTH = 140


def write_call_record(record: CallRecord, account: str | None = None) -> None:
	"""``account``: which of the connector's accounts made the call (a Shopify store), when a site
	may hold several."""
	failed = record.outcome != "Success"
	if not failed:
		mark_success(record.service, account or "")
		if not scoopjoy_settings().log_successful_calls:
			return
	rows = [{**_request_log_row(record), "account": account or None}]
	if failed and record.failure_type != "rate_limited":  # 429s are expected and retried: no Error Log flood
		rows.append(_error_log_row(record))
	for row in rows:
		_insert(row)
		_keep_through_rollback(row)


def error_log_title(service: str, text: str) -> str:
	"""A 140-character title as plain text (Error Log, dead letters).

	Errors may carry HTML (ERPNext's ``<strong>SAL-ORD-…</strong>``); Frappe sanitises a Data field
	that holds tags on save, which makes a title cut at 140 characters longer again, and the insert
	then fails — losing the very record that explains the failure. Tags and angle brackets go
	first, then the cut.
	"""
	text = strip_html(text or "")
	title = (f"{service}: {text}" if service else text).replace("\n", " ")
	title = title.replace("<", "").replace(">", "").replace("&", "and")
	if len(title) > ERROR_LOG_TITLE_LENGTH:
		title = title[: ERROR_LOG_TITLE_LENGTH - 1] + "…"
	return title


def _request_log_row(record: CallRecord) -> dict:
	reference_doctype, reference_name = record.reference or (None, None)
	error = record.error
	if record.attempt_statuses:
		error = f"{error or ''}\nEarlier attempts: {', '.join(record.attempt_statuses)}".strip()
	return {
		"doctype": "Connector Request Log",
		"name": frappe.generate_hash(length=12),
		"connector": record.service,
		"method": record.method,
		"url": record.url,
		"status_code": record.status_code or 0,
		"outcome": record.outcome,
		"failure_type": str(record.failure_type) if record.failure_type else "",
		"duration_ms": record.duration_ms,
		"attempts": record.attempts,
		"correlation_id": record.correlation_id,
		"reference_doctype": reference_doctype,
		"reference_name": reference_name,
		"error": error,
		"request_headers": json.dumps(record.request_headers, indent=1),
		"request_body": record.request_body,
		"response_body": record.response_body,
	}


def _error_log_row(record: CallRecord) -> dict:
	reference_doctype, reference_name = record.reference or (None, None)
	status = f"HTTP {record.status_code}" if record.status_code else "no response"
	path = record.url.split("?", 1)[0]
	title = error_log_title(
		record.service, f"{record.method} {path} failed ({status}, {record.failure_type})"
	)
	details = "\n".join(
		[
			record.error or "",
			"",
			f"Correlation id: {record.correlation_id}",
			f"Attempts: {record.attempts} ({', '.join([*record.attempt_statuses, str(record.status_code or '-')])})",
			f"Duration: {record.duration_ms} ms",
			f"Response (masked): {record.response_body or '-'}",
		]
	)
	return {
		"doctype": "Error Log",
		"name": frappe.generate_hash(length=12),
		"method": title,
		"error": details,
		"reference_doctype": reference_doctype,
		"reference_name": reference_name,
	}


def _insert(row: dict) -> None:
	doc = frappe.get_doc(dict(row))
	# An audit row may name a document the rollback removed (the order being created when the
	# call failed): keep the reference as written, it is still the clue a person needs.
	doc.flags.ignore_links = True
	doc.insert(ignore_permissions=True)


def _pending() -> list[dict]:
	if getattr(frappe.local, "scoopjoy_pending_logs", None) is None:
		frappe.local.scoopjoy_pending_logs = []
	return frappe.local.scoopjoy_pending_logs


def _keep_through_rollback(row: dict) -> None:
	pending = _pending()
	if not pending:
		frappe.db.after_rollback.add(_write_again_after_rollback)
		frappe.db.after_commit.add(_forget_pending)
	pending.append(row)


def _forget_pending() -> None:
	frappe.local.scoopjoy_pending_logs = []


def _write_again_after_rollback() -> None:
	# Run last: the commit below empties the after_rollback queue (dropping other code's callbacks
	# if they were still waiting), and the inserts queue Frappe's realtime callbacks, which must be
	# handled by that same commit.
	frappe.db.after_rollback.add(_insert_again_and_commit)


def _insert_again_and_commit() -> None:
	rows, frappe.local.scoopjoy_pending_logs = _pending(), []
	for row in rows:
		if not frappe.db.exists(row["doctype"], row["name"]):
			_insert(row)
	# Commit on purpose: the work's transaction is already rolled back, and these audit rows must
	# outlive it (the same thing Frappe's job runner does for its Error Log).
	frappe.db.commit()  # nosemgrep
