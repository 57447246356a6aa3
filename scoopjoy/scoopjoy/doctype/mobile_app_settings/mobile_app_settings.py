# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

from scoopjoy.connectors.settings import ConnectorSettings


class MobileAppSettings(ConnectorSettings):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		api_key: DF.Password | None
		api_url: DF.Data | None
		auto_sync_enabled: DF.Check
		enabled: DF.Check
		last_menu_hash: DF.Data | None
		last_menu_sync: DF.Datetime | None
		menu_item_group: DF.Link | None
		sandbox_mode: DF.Check
		sync_interval_minutes: DF.Int
	# end: auto-generated types

	connector_class = "scoopjoy.connectors.mobile_app.connector.MobileAppConnector"
	url_fields = ("api_url",)
