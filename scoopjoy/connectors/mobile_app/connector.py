"""Connector to ScoopJoy's own React Native app backend (seed chapter: MobileAppConnector).

Declarations only for now: the menu, outlet and order-status pushes (and their jobs) build on it.
"""

from __future__ import annotations

from scoopjoy.connectors.base import BaseConnector
from scoopjoy.connectors.mobile_app import constants


class MobileAppConnector(BaseConnector):
	service_name = constants.SERVICE_NAME
	settings_doctype = constants.SETTINGS_DOCTYPE
	timeout = (5, 15)
	health_check_path = constants.HEALTH_PATH

	@property
	def base_url(self) -> str:
		return self.settings.api_url or ""

	def get_auth_headers(self) -> dict[str, str]:
		return {constants.API_KEY_HEADER: self.settings.get_password("api_key", raise_exception=False) or ""}
