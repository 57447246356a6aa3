"""Dead letters: failed work kept with everything needed to run it again.

A dead letter is (job = dotted path, payload = its keyword arguments) plus what went wrong. The
scheduler replays the due ones with exponential backoff (``ScoopJoy Settings``: base delay, cap,
max attempts); after the last attempt a letter is parked as "Gave Up" until a person presses
"Retry now". Success closes it ("Resolved"). Payloads hold references (order ids, document
names), never credentials; errors are masked before they are stored.
"""

from __future__ import annotations

import json
import re

import frappe
from frappe.utils import add_to_date, now_datetime, strip_html

from scoopjoy.kernel.errors import ConnectorError, FailureType
from scoopjoy.kernel.masking import mask_text
from scoopjoy.kernel.retry import backoff_delay
from scoopjoy.reliability.alerts import alert_once
from scoopjoy.reliability.call_log import error_log_title
from scoopjoy.reliability.errors import classify
from scoopjoy.reliability.runtime import as_integration_user, scoopjoy_settings

DOCTYPE = "Integration Dead Letter"
REPLAY_JOB = "scoopjoy.reliability.dead_letters.replay_dead_letter"
STUCK_RETRYING_MINUTES = 60
DUE_BATCH = 200


def record_dead_letter(
	*,
	connector: str,
	job: str,
	payload: dict,
	error: BaseException,
	dedup_key: str | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
	external_id: str | None = None,
	correlation_id: str | None = None,
) -> str:
	"""Create (or update, by ``dedup_key``) the dead letter for failed work. Returns its name."""
	name = frappe.db.get_value(DOCTYPE, {"dedup_key": dedup_key}) if dedup_key else None
	for attempt in range(2):
		if name:
			# after a lost race, read the letter as committed (the snapshot may not hold it)
			doc = frappe.get_doc(DOCTYPE, name, for_update=bool(attempt))
			if doc.status == "Resolved":  # the same work failed again later: a new incident
				doc.attempts = 0
				doc.resolved_at = None
		else:
			doc = frappe.new_doc(DOCTYPE)
			doc.update(
				{
					"connector": connector,
					"job": job,
					"dedup_key": dedup_key,
					"attempts": 0,
					"reference_doctype": reference_doctype,
					"reference_name": reference_name,
					"external_id": external_id,
				}
			)
		doc.payload = json.dumps(payload, default=str, sort_keys=True, indent=1)
		# a connector with several accounts names the one its jobs work for as ``store`` (Shopify)
		doc.account = payload.get("store") or doc.account
		doc.correlation_id = correlation_id or getattr(error, "correlation_id", None) or doc.correlation_id
		_register_failure(doc, error)
		if not doc.is_new():
			doc.save(ignore_permissions=True)
			return doc.name
		frappe.db.savepoint("scoopjoy_dead_letter")
		try:
			doc.insert(ignore_permissions=True)
			return doc.name
		except frappe.UniqueValidationError:
			if attempt or not dedup_key:
				raise
			# Another worker recorded the same work at the same moment (its insert committed while
			# ours waited on the unique key): this failure counts on that letter. A locking read
			# sees the committed row, which this transaction's snapshot may predate.
			frappe.db.rollback(save_point="scoopjoy_dead_letter")
			found = frappe.db.sql(
				f"select name from `tab{DOCTYPE}` where dedup_key = %s for update", dedup_key
			)
			if not found:
				raise
			name = found[0][0]
	raise AssertionError("unreachable")  # pragma: no cover


def _register_failure(doc, error: BaseException) -> None:
	settings = scoopjoy_settings()
	failure_type = classify(error)
	doc.failure_type = str(failure_type)
	doc.attempts = (doc.attempts or 0) + 1
	doc.max_attempts = settings.dead_letter_max_attempts or 8
	doc.last_error = mask_text(_describe(error))[:2000]
	doc.title = dead_letter_title(
		doc.connector,
		doc.last_error,
		job=doc.job,
		subject=doc.reference_name or doc.external_id,
		payload=doc.payload,
	)
	if doc.attempts >= doc.max_attempts:
		doc.status = "Gave Up"
		doc.next_retry_at = None
	else:
		doc.status = "Open"
		delay_minutes = backoff_delay(
			doc.attempts,
			base=settings.dead_letter_base_delay_minutes or 2,
			cap=settings.dead_letter_max_delay_minutes or 360,
		)
		wait_seconds = max(delay_minutes * 60, getattr(error, "retry_after", None) or 0)
		doc.next_retry_at = add_to_date(now_datetime(), seconds=int(wait_seconds) + 1)
	if failure_type in (FailureType.AUTH, FailureType.CONFIG):
		alert_once(
			doc.connector,
			f"{failure_type} failure",
			f"{doc.last_error}\n\nWork is parked in Integration Dead Letter {doc.name or ''} and is retried "
			"automatically once the Settings are fixed.",
			account=doc.account or "",
		)


#: the kernel ends its messages with "(failure_type). <advice>": the advice is on the form, not the title
_ADVICE = re.compile(r"(\((?:" + "|".join(t.value for t in FailureType) + r")\))\. .*$")


def dead_letter_title(
	connector: str,
	error_text: str,
	job: str | None = None,
	subject: str | None = None,
	payload: str | dict | None = None,
) -> str:
	"""The list view's title, as plain text: which work for what (the document or external id, and
	the payload's other short values, such as the status an order push carried), then the first
	line of the error. Not the connector (the list has a column for it, and the kernel's messages
	start with it already), nor the advice (the form shows the whole error)."""
	lines = strip_html(error_text or "").strip().splitlines()
	first = lines[0] if lines else ""
	for prefix in {f"{connector}: ", f"{connector} "} if connector else ():
		while first.startswith(prefix):
			first = first[len(prefix) :]
	first = _ADVICE.sub(r"\1", first)
	work = (job or "").rsplit(".", 1)[-1].replace("_", " ").strip().capitalize()
	details = _payload_details(payload, subject)
	what = " ".join(part for part in (work, subject, f"({details})" if details else "") if part)
	return error_log_title("", f"{what} — {first}" if what and first else (what or first))


def _payload_details(payload: str | dict | None, subject: str | None) -> str:
	"""Short text values of the payload that tell two letters of the same work apart."""
	if isinstance(payload, str):
		try:
			payload = json.loads(payload or "{}")
		except ValueError:
			return ""
	values = [
		value
		for _key, value in sorted((payload or {}).items())
		if isinstance(value, str) and value and len(value) <= 40 and not (subject and subject in value)
	]
	return ", ".join(values)


#: how much of the provider's answer a dead letter keeps (already masked by the kernel)
RESPONSE_EXCERPT_CHARS = 300


def _describe(error: BaseException) -> str:
	if isinstance(error, ConnectorError):
		excerpt = (error.response_excerpt or "").strip()
		# the provider's own words ("no_service", "Invalid API key") tell a person what to fix
		return f"{error}\nThe service answered: {excerpt[:RESPONSE_EXCERPT_CHARS]}" if excerpt else str(error)
	if isinstance(error, frappe.PermissionError):
		detail = str(error).strip() or "no detail given"
		return (
			f"Permission denied to the integration user {scoopjoy_settings().integration_user} ({detail}). "
			"Give that user the role the action needs (see ScoopJoy Settings → Integration User), then retry."
		)
	return f"{type(error).__name__}: {error}"


def replay_dead_letter(name: str) -> bool:
	"""Run the letter's job again. True when it succeeded (the letter is then Resolved)."""
	doc = frappe.get_doc(DOCTYPE, name)
	if doc.status == "Resolved":
		return True
	payload = json.loads(doc.payload or "{}")
	try:
		with as_integration_user():
			frappe.get_attr(doc.job)(**payload)
	except Exception as error:
		frappe.db.rollback()
		doc = frappe.get_doc(DOCTYPE, name)
		_register_failure(doc, error)
		doc.save(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: the failure count must survive the caller's rollback
		return False
	doc.reload()
	doc.status = "Resolved"
	doc.resolved_at = now_datetime()
	doc.next_retry_at = None
	doc.save(ignore_permissions=True)
	return True


def retry_due_dead_letters() -> int:
	"""Scheduler: queue the replay of every Open letter whose time has come. Returns how many."""
	now = now_datetime()
	letter = frappe.qb.DocType(DOCTYPE)
	stuck_before = add_to_date(now, minutes=-STUCK_RETRYING_MINUTES)
	names = (
		frappe.qb.from_(letter)
		.select(letter.name)
		.where(
			((letter.status == "Open") & (letter.next_retry_at <= now))
			| ((letter.status == "Retrying") & (letter.modified < stuck_before))
		)
		.orderby(letter.next_retry_at)
		.limit(DUE_BATCH)
	).run(pluck=True)
	for name in names:
		_queue_replay(name)
	return len(names)


def resolve_dead_letter(dedup_key: str) -> None:
	"""Close the open letter of work that has just succeeded (e.g. a fresh job for the same order)."""
	name = frappe.db.get_value(DOCTYPE, {"dedup_key": dedup_key, "status": ["!=", "Resolved"]})
	if name:
		frappe.db.set_value(
			DOCTYPE, name, {"status": "Resolved", "resolved_at": now_datetime(), "next_retry_at": None}
		)


def _queue_replay(name: str) -> None:
	frappe.db.set_value(DOCTYPE, name, "status", "Retrying")
	# The replay runs under the original work's job id (its dedup key) when it has one, so a replay
	# and a fresh job for the same work are never in the queue at the same time.
	dedup_key = frappe.db.get_value(DOCTYPE, name, "dedup_key")
	frappe.enqueue(
		REPLAY_JOB,
		queue="long",
		job_id=dedup_key
		if dedup_key and dedup_key.startswith("scoopjoy-")
		else f"scoopjoy-dead-letter-{name}",
		deduplicate=True,
		enqueue_after_commit=True,
		name=name,
	)


@frappe.whitelist(methods=["POST"])
def retry_now(name: str) -> dict:
	"""Desk button: replay one letter (Open or Gave Up) in the background."""
	frappe.has_permission(DOCTYPE, "write", doc=name, throw=True)
	status = frappe.db.get_value(DOCTYPE, name, "status")
	if status == "Resolved":
		return {"queued": 0, "message": frappe._("{0} is already resolved.").format(name)}
	_queue_replay(name)
	return {
		"queued": 1,
		"message": frappe._("Retry of {0} queued; refresh in a moment to see the result.").format(name),
	}


@frappe.whitelist(methods=["POST"])
def retry_many(names: list[str] | str) -> dict:
	"""List view bulk action: replay every selected letter that is not resolved."""
	if isinstance(names, str):
		names = json.loads(names) if names.strip().startswith("[") else [names]
	queued = 0
	for name in names:
		frappe.has_permission(DOCTYPE, "write", doc=name, throw=True)
		if frappe.db.get_value(DOCTYPE, name, "status") != "Resolved":
			_queue_replay(name)
			queued += 1
	return {"queued": queued, "message": frappe._("{0} dead letter(s) queued for retry.").format(queued)}
