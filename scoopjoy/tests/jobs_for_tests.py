"""Job functions the bench tests dead-letter and replay (dead letters only call scoopjoy.* paths)."""

import frappe

from scoopjoy.tests.utils import EchoConnector


def fetch_item(base_url: str, item_id: int) -> dict:
	return EchoConnector(base_url).get(f"/v1/items/{item_id}")


def create_item(base_url: str, title: str) -> dict:
	"""A POST with a stable idempotency key: replaying it never creates a second item."""
	from scoopjoy.kernel.idempotency import idempotency_key

	return EchoConnector(base_url).post(
		"/v1/items", {"title": title}, idempotency_key=idempotency_key("echo", "create-item", title)
	)


def note_and_fail(note: str) -> None:
	"""Writes a row, then fails like a bug: the row must be rolled back with the work."""
	frappe.get_doc({"doctype": "ToDo", "description": note}).insert(ignore_permissions=True)
	raise ZeroDivisionError("division by zero in the mapping")
