"""Tell a person when a connector needs one: one alert per incident, not one per failure.

An incident is (connector, reason), and the account for work of a connector a site has several
accounts of (a Shopify store: its revoked token is its own incident, closed by its own next
success): "circuit open", "auth failure", "error rate", "dead letters waiting", "no successful
sync"... It is *opened* once, which notifies the alert role (bell
notification, an email unless switched off, and the Slack channel when a webhook is set), and it
stays open, silently, while the condition holds. It is *closed* when the condition clears (the
alert job in ``scoopjoy.operations.alerts`` re-evaluates every 5 minutes), with a short
"resolved" note. Open incidents live in the site's cache Redis (a restart forgets them: an
incident still present then alerts once more, which is the safe side).

Alerts raised from inside work (a circuit that opens, a revoked token) are opened by a job queued
*after commit*, so a work transaction that rolls back cannot swallow the alert, nor leave an
"already alerted" marker behind for an alert nobody received.
"""

from __future__ import annotations

import hashlib
import json

import frappe
from frappe.utils import get_url, now_datetime

from scoopjoy.kernel.masking import mask_text
from scoopjoy.reliability.runtime import get_redis, scoopjoy_settings

#: the page the alerts link to
STATUS_PAGE = "/app/integration-status"
#: the channel itself: its own failures are not posted to it (they would fail the same way)
SLACK_SERVICE = "Slack Alerts"
#: hooks.py names the function that queues the Slack post (``scoopjoy.operations.slack``): the
#: sender is a connector, a floor above alerting, so alerting looks it up instead of importing it
SLACK_SENDER_HOOK = "scoopjoy_slack_alert_sender"


def alert_once(connector: str, reason: str, message: str, account: str = "") -> None:
	"""Open the incident once the current transaction commits (from inside connector work)."""
	incident = hashlib.sha1(_field(connector, reason, account).encode()).hexdigest()[:16]
	frappe.enqueue(
		"scoopjoy.reliability.alerts.open_incident",
		queue="short",
		job_id=f"scoopjoy-alert-{incident}",
		deduplicate=True,
		enqueue_after_commit=True,
		connector=connector,
		reason=reason,
		message=message,
		account=account,
	)


def open_incident(connector: str, reason: str, message: str, account: str = "") -> bool:
	"""Notify unless this incident is already open. True when this call opened it."""
	record = {"connector": connector, "reason": reason, "message": mask_text(message), "account": account}
	record["opened_at"] = now_datetime().isoformat()
	if not get_redis().hsetnx(_incidents_key(), _field(connector, reason, account), json.dumps(record)):
		return False
	notify(f"{_named(connector, account)}: {reason}", record["message"], connector=connector)
	return True


def _named(connector: str, account: str = "") -> str:
	return f"{connector} ({account})" if account else connector


def close_incident(connector: str, reason: str, why: str, account: str = "") -> bool:
	"""Close an open incident with a short note (no email: the bell and Slack say it is over)."""
	if not get_redis().hdel(_incidents_key(), _field(connector, reason, account)):
		return False
	notify(f"{_named(connector, account)}: {reason} resolved", why, connector=connector, email=False)
	return True


def open_incidents() -> list[dict]:
	"""The incidents open now, oldest first."""
	records = [json.loads(value) for value in get_redis().hvals(_incidents_key())]
	return sorted(records, key=lambda record: record["opened_at"])


def notify(subject: str, message: str, *, connector: str, email: bool = True) -> dict:
	"""Bell notification and email to the alert role's users; a Slack message when configured.
	Returns what went out: ``{"users": n, "email": bool, "slack": bool}``."""
	settings = scoopjoy_settings()
	subject = subject[:140]
	message = mask_text(message)
	users = _users_with_role(settings.alert_role or "System Manager")
	for user in users:
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"subject": subject,
				"email_content": message,
				"for_user": user,
				"type": "Alert",
				"document_type": "ScoopJoy Settings",
				"document_name": "ScoopJoy Settings",
			}
		).insert(ignore_permissions=True)
	slack = bool(
		connector != SLACK_SERVICE and settings.get_password("slack_webhook_url", raise_exception=False)
	)
	if slack:
		for sender in frappe.get_hooks(SLACK_SENDER_HOOK):
			frappe.get_attr(sender)(subject, message)
	# Notification Log sends no email for type "Alert": the alert email is ours to send
	emailed = bool(email and settings.send_alert_emails and _email(users, subject, message))
	return {"users": len(users), "email": emailed, "slack": slack}


def _email(users: list[str], subject: str, message: str) -> bool:
	"""True when the email was queued."""
	recipients = [address for address in _emails(users) if address]
	if not recipients:
		return False
	try:
		frappe.sendmail(
			recipients=recipients,
			subject=f"[ScoopJoy Connect] {subject}",
			message=f"<p>{frappe.utils.escape_html(message)}</p>"
			f'<p><a href="{get_url(STATUS_PAGE)}">Integration Status</a></p>',
			reference_doctype="ScoopJoy Settings",
			reference_name="ScoopJoy Settings",
		)
	except frappe.OutgoingEmailError:
		# frappe.throw also queued its "set up an Email Account" dialog for whoever's request this
		# is; the caller says it in its own words (the Test Alert button), the Error Log says it here
		if getattr(frappe.local, "message_log", None):
			frappe.local.message_log = frappe.local.message_log[:-1]
		# the bell notification (and Slack) still went out; say once per incident why no email did
		frappe.log_error(
			title="ScoopJoy Connect: alert email not sent",
			message=f"No outgoing Email Account is set up, so the alert '{subject}' was not emailed. "
			"Set a default outgoing account (Email Account list) or untick 'Email Alerts' in "
			"ScoopJoy Settings.",
			reference_doctype="ScoopJoy Settings",
			reference_name="ScoopJoy Settings",
		)
		return False
	return True


def _incidents_key() -> str:
	return f"scoopjoy:incidents:{frappe.local.site}"


def _field(connector: str, reason: str, account: str = "") -> str:
	return f"{connector}|{reason}" + (f"|{account}" if account else "")


def _emails(users: list[str]) -> list[str]:
	return frappe.get_all("User", filters={"name": ["in", users]}, pluck="email")


def _users_with_role(role: str) -> list[str]:
	has_role = frappe.qb.DocType("Has Role")
	user = frappe.qb.DocType("User")
	rows = (
		frappe.qb.from_(has_role)
		.join(user)
		.on(user.name == has_role.parent)
		.select(user.name)
		.distinct()
		.where(
			(has_role.role == role)
			& (has_role.parenttype == "User")
			& (user.enabled == 1)
			& (user.user_type == "System User")
			& (user.name.notin(["Administrator", "Guest"]))
		)
	).run(pluck=True)
	return rows or ["Administrator"]
