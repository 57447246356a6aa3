"""WhatsApp Business Cloud API connector (seed chapter: WhatsAppNotifier), production-grade.

Messages endpoint: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
Meta's error codes are classified by ``errors.whatsapp_response_rule`` in front of the HTTP
defaults (throughput limits -> wait and retry; 131047 / bad parameters -> record, no retry;
token problems -> auth, the breaker opens and an administrator is alerted). Sends are paced by
the shared rate budget, well under Cloud API's per-number throughput.
"""

from __future__ import annotations

import frappe

from scoopjoy.connectors.base import BaseConnector
from scoopjoy.connectors.whatsapp import constants
from scoopjoy.connectors.whatsapp.errors import whatsapp_response_rule


class WhatsAppConnector(BaseConnector):
	service_name = constants.SERVICE_NAME
	settings_doctype = constants.SETTINGS_DOCTYPE
	timeout = (5, 20)
	max_retries = 2
	rate_limit = (20, 20)  # 20 messages/s per number: under Cloud API's default 80/s
	response_rules = (whatsapp_response_rule,)
	idempotency_header = "X-ScoopJoy-Idempotency-Key"  # Meta ignores it; our simulator records it

	@property
	def base_url(self) -> str:
		version = (self.settings.graph_api_version or constants.DEFAULT_GRAPH_API_VERSION).strip()
		return f"{(self.settings.api_base_url or constants.GRAPH_BASE_URL).rstrip('/')}/{version}/"

	def phone_number_id(self) -> str:
		return self.settings.phone_number_id or frappe.conf.get("whatsapp_phone_number_id") or ""

	def access_token(self) -> str:
		return (
			self.settings.get_password("access_token", raise_exception=False)
			or frappe.conf.get("whatsapp_access_token")
			or ""
		)

	def account_id(self) -> str:
		return self.phone_number_id() or "unconfigured"

	def get_auth_headers(self) -> dict[str, str]:
		return {"Authorization": f"Bearer {self.access_token()}"}

	def ensure_enabled(self) -> None:
		super().ensure_enabled()
		if not self.phone_number_id() or not self.access_token():
			from scoopjoy.kernel.errors import ConfigError

			raise ConfigError(
				"WhatsApp: the phone number id or access token is missing. Set them in WhatsApp Settings "
				"(or whatsapp_phone_number_id / whatsapp_access_token in site_config.json).",
				service=self.service_name,
			)

	def send(self, payload: dict, *, reference: tuple[str, str] | None = None) -> str:
		"""Send one message; returns Meta's message id (wamid)."""
		data = self.post(f"{self.phone_number_id()}/messages", payload, reference=reference)
		return data["messages"][0]["id"]

	def test_connection(self) -> str:
		# reading the phone number object proves token and id without sending anything
		data = self.get(self.phone_number_id(), params={"fields": "display_phone_number,verified_name"})
		name = (
			(data or {}).get("verified_name")
			or (data or {}).get("display_phone_number")
			or self.phone_number_id()
		)
		return frappe._("Connected to WhatsApp as {0}.").format(name)
