"""Tell a person when a connector needs one: auth/config failures, a circuit that opened.

One alert per incident, not one per failure: the first alert for (connector, reason) within the
quiet period notifies the alert role's users; the rest are only in the logs. The alert is sent by
a job queued *after commit*, so a work transaction that rolls back cannot swallow it (nor leave a
quiet-period marker behind for an alert nobody received).
"""

from __future__ import annotations

import hashlib

import frappe

from scoopjoy.reliability.runtime import get_redis, scoopjoy_settings

QUIET_PERIOD_SECONDS = 3600


def alert_once(connector: str, reason: str, message: str) -> None:
	"""Queue the alert; it is sent once the current transaction commits."""
	incident = hashlib.sha1(f"{connector}|{reason}".encode()).hexdigest()[:16]
	frappe.enqueue(
		"scoopjoy.reliability.alerts.send_alert",
		queue="short",
		job_id=f"scoopjoy-alert-{incident}",
		deduplicate=True,
		enqueue_after_commit=True,
		connector=connector,
		reason=reason,
		message=message,
	)


def send_alert(connector: str, reason: str, message: str) -> bool:
	"""Notify the alert role's users unless this incident was reported in the quiet period."""
	key = f"scoopjoy:alert:{frappe.local.site}:{connector}:{reason}"
	if not get_redis().set(key, "1", nx=True, ex=QUIET_PERIOD_SECONDS):
		return False
	role = scoopjoy_settings().alert_role or "System Manager"
	subject = f"{connector}: {reason}"[:140]
	for user in _users_with_role(role):
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
	return True


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
