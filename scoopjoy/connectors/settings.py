"""The base class of every connector's Single Settings DocType controller.

Gives each Settings form the same guarantees: URLs must be https (unless "Sandbox mode" is
ticked), and a "Test connection" button that makes one real call through the connector and
answers in a sentence. A successful test closes the connector's circuit breaker.
"""

from __future__ import annotations

from typing import ClassVar

import frappe
from frappe.model.document import Document

from scoopjoy.kernel.urls import require_https
from scoopjoy.reliability.errors import user_facing_errors


def validate_https_field(doc: Document, fieldname: str, *, allow_http: bool) -> None:
	"""Refuse a plain-http URL in ``fieldname`` with a message naming the field; tidy a good one."""
	value = doc.get(fieldname)
	if not value:
		return
	label = doc.meta.get_label(fieldname)
	try:
		doc.set(fieldname, require_https(value, label=label, allow_http=allow_http))
	except ValueError as exc:
		frappe.throw(str(exc), title=frappe._("Invalid {0}").format(label))


class ConnectorSettings(Document):
	#: dotted path of the connector class these Settings configure
	connector_class: ClassVar[str] = ""
	#: URL fields that must be https
	url_fields: ClassVar[tuple[str, ...]] = ()
	sandbox_field: ClassVar[str] = "sandbox_mode"

	def validate(self):
		allow_http = bool(self.meta.has_field(self.sandbox_field) and self.get(self.sandbox_field))
		for fieldname in self.url_fields:
			validate_https_field(self, fieldname, allow_http=allow_http)

	def get_connector(self):
		return frappe.get_attr(self.connector_class)(settings=self)

	@frappe.whitelist()
	def test_connection(self) -> str:
		self.check_permission("write")
		connector = self.get_connector()
		with user_facing_errors(title=frappe._("{0}: connection test failed").format(connector.service_name)):
			connector.ensure_enabled()
			connector.breaker.reset()  # the person is checking now: let this call through
			message = connector.test_connection()
		return message
