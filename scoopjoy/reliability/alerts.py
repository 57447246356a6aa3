"""Tell a person when a connector needs one: auth/config failures, breaker opened.

One alert per incident, not one per failure: the first alert for (connector, reason) within the
quiet period notifies; the rest are counted in the Error Log only.
"""

from __future__ import annotations

import frappe

from scoopjoy.reliability.runtime import get_redis, scoopjoy_settings

QUIET_PERIOD_SECONDS = 3600


def alert_once(connector: str, reason: str, message: str) -> bool:
	"""Notify the alert role's users, unless this incident was already reported. Returns True if sent."""
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
