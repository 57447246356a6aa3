"""The seed's endpoint: ``/api/method/scoopjoy.integrations.google_services.sync_franchise_contacts_to_google``.

Kept for callers that use the seed's path; the work is done by
:mod:`scoopjoy.connectors.google_contacts.sync` (queued, idempotent, with progress).
"""

from __future__ import annotations

import frappe

from scoopjoy.connectors.google_contacts.sync import sync_now


@frappe.whitelist(methods=["POST"])
def sync_franchise_contacts_to_google(user: str | None = None) -> str:
	"""Queue the franchise contacts sync (customer group and account from Google Contacts Settings)."""
	return sync_now(user=user)
