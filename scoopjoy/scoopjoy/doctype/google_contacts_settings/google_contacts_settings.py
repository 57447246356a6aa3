# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

import frappe
from frappe import _

from scoopjoy.connectors.google_contacts.constants import MAX_BATCH_CREATE
from scoopjoy.connectors.settings import ConnectorSettings


class GoogleContactsSettings(ConnectorSettings):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		api_base_url: DF.Data | None
		batch_size: DF.Int
		connected_app: DF.Link | None
		customer_group: DF.Link | None
		daily_sync: DF.Check
		enabled: DF.Check
		google_user: DF.Link | None
		last_sync: DF.Datetime | None
		organization_name: DF.Data | None
		pending_batch: DF.SmallText | None
		sandbox_mode: DF.Check
	# end: auto-generated types

	connector_class = "scoopjoy.connectors.google_contacts.connector.GoogleContactsConnector"
	url_fields = ("api_base_url",)

	def validate(self):
		super().validate()
		if self.batch_size and not 1 <= self.batch_size <= MAX_BATCH_CREATE:
			frappe.throw(
				_("Batch Size must be between 1 and {0} (Google's limit per call).").format(MAX_BATCH_CREATE)
			)
