"""Progress of long work (product publish, Google Contacts sync) for the desk.

A job reports ``done`` of ``total`` as it goes. The report is published as a realtime event (a
desk with the socket.io server sees it at once) *and* kept in the site's cache for a few hours, so
a form or list that polls ``get_progress`` sees it too: without the realtime server, after a page
reload, or when the event was sent before the page listened. Work that writes its own progress
fields (a Shopify Backfill) is polled from its document instead.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now

#: what may be polled, and the read permission that shows it
KINDS = {
	"shopify-products": "Shopify Store",  # one per store: "shopify-products:<store>"
	"shopify-catalog": "Shopify Store",  # Import Catalog, one per store
	"google-contacts": "Google Contacts Settings",
}
KEEP_SECONDS = 6 * 3600


def _key(kind: str) -> str:
	return f"scoopjoy:progress:{kind}"


def report(
	kind: str,
	done: int,
	total: int,
	description: str = "",
	*,
	status: str = "Running",
	result: dict | None = None,
	event: str | None = None,
	user: str | None = None,
) -> dict:
	"""Store and publish one step. ``status``: Queued, Running, Completed or Failed."""
	percent = (
		100 if status == "Completed" or (total and done >= total) else int(100 * done / total) if total else 0
	)
	data = {
		"kind": kind,
		"status": status,
		"done": done,
		"total": total,
		"percent": percent,
		"description": description,
		"result": result,
		"updated_at": now(),
	}
	frappe.cache.set_value(_key(kind), data, expires_in_sec=KEEP_SECONDS)
	if event:
		frappe.publish_realtime(event, data, user=user, after_commit=False)
	return data


@frappe.whitelist(methods=["GET", "POST"])
def get_progress(kind: str) -> dict | None:
	"""The last step reported for ``kind`` (None when nothing ran lately)."""
	doctype = KINDS.get(kind.split(":", 1)[0])
	if not doctype or not frappe.has_permission(doctype, "read"):
		frappe.throw(_("No progress {0} to show you.").format(kind), frappe.PermissionError)
	return frappe.cache.get_value(_key(kind))
