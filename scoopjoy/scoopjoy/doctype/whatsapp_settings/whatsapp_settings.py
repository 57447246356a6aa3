# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

import frappe
from frappe import _

from scoopjoy.connectors.settings import ConnectorSettings


class WhatsAppSettings(ConnectorSettings):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		access_token: DF.Password | None
		api_base_url: DF.Data
		app_secret: DF.Password | None
		default_country_code: DF.Data | None
		enabled: DF.Check
		graph_api_version: DF.Data
		order_confirmation_template: DF.Data | None
		phone_number_id: DF.Data | None
		previous_app_secret: DF.Password | None
		sandbox_mode: DF.Check
		send_on_submit: DF.Check
		send_when_shipped: DF.Check
		shipped_template: DF.Data | None
		template_language: DF.Data | None
		webhook_verify_token: DF.Password | None
	# end: auto-generated types

	connector_class = "scoopjoy.connectors.whatsapp.connector.WhatsAppConnector"
	url_fields = ("api_base_url",)

	def validate(self):
		super().validate()
		self.default_country_code = (self.default_country_code or "").strip().lstrip("+") or None
		if self.default_country_code and not self.default_country_code.isdigit():
			frappe.throw(_("Default Country Code must be digits only, e.g. 91 for India."))
		version = (self.graph_api_version or "").strip()
		if not (version.startswith("v") and version[1:].replace(".", "").isdigit()):
			frappe.throw(_("Graph API Version must look like v23.0 (got {0}).").format(version or "nothing"))
