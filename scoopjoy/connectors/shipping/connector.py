"""A carrier called directly (SendCloud-style API v2), through the kernel: timeout, retries,
breaker, rate budget and the Connector Request Log. Parcel creation carries an idempotency key
and a unique ``external_reference``, so a retried booking returns the first parcel."""

from __future__ import annotations

import base64

from frappe import _

from scoopjoy.connectors.base import BaseConnector
from scoopjoy.connectors.shipping import constants
from scoopjoy.kernel.errors import ConfigError
from scoopjoy.kernel.idempotency import idempotency_key


class CarrierConnector(BaseConnector):
	service_name = constants.SERVICE_NAME
	settings_doctype = constants.SETTINGS_DOCTYPE
	enabled_field = "carrier_enabled"
	timeout = (5, 30)
	max_retries = 3
	rate_limit = (10, 5)

	@property
	def base_url(self) -> str:
		return (self.settings.carrier_api_url or "").rstrip("/") + "/"

	def provider_name(self) -> str:
		return self.settings.carrier_name or constants.SERVICE_NAME

	def account_id(self) -> str:
		return self.settings.carrier_public_key or "unconfigured"

	def get_auth_headers(self) -> dict[str, str]:
		secret = self.settings.get_password("carrier_secret_key", raise_exception=False) or ""
		raw = f"{self.settings.carrier_public_key or ''}:{secret}".encode()
		return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

	def ensure_enabled(self) -> None:
		super().ensure_enabled()
		if not (self.settings.carrier_api_url and self.settings.carrier_public_key):
			raise ConfigError(
				"Shipping: the direct carrier's API URL or keys are missing in Shipping Settings.",
				service=self.service_name,
			)

	def test_connection(self) -> str:
		data = self.get(constants.SHIPPING_METHODS_PATH)
		count = len((data or {}).get("shipping_methods") or [])
		return _("Connected to {0} ({1} shipping methods).").format(self.provider_name(), count)

	def shipping_methods(self, to_country: str) -> dict:
		return self.get(constants.SHIPPING_METHODS_PATH, params={"to_country": (to_country or "").upper()})

	def create_parcel(self, payload: dict, shipment: str, index: int) -> dict:
		data = self.post(
			constants.PARCELS_PATH,
			payload,
			idempotency_key=idempotency_key("carrier", "parcel", shipment, index),
			reference=("Shipment", shipment),
		)
		return (data or {}).get("parcel") or {}

	def get_parcel(self, parcel_id: str, shipment: str | None = None) -> dict:
		data = self.get(
			constants.PARCEL_PATH.format(id=parcel_id), reference=("Shipment", shipment) if shipment else None
		)
		return (data or {}).get("parcel") or {}
