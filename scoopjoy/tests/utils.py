"""Helpers for scoopjoy's bench tests (Frappe's own test runner on a real site)."""

from __future__ import annotations

import frappe

try:  # Frappe v16
	from frappe.tests import IntegrationTestCase as ScoopJoyTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as ScoopJoyTestCase

from scoopjoy.connectors.base import BaseConnector

TEST_TOKEN = "sk_test_51HxScoopJoyBenchToken"

__all__ = ["TEST_TOKEN", "EchoConnector", "ScoopJoyTestCase", "request_logs"]


class EchoConnector(BaseConnector):
	"""A connector to the generic simulator, declared the way real connectors are."""

	service_name = "Echo Test"
	settings_doctype = "ScoopJoy Settings"
	timeout = (2, 1)
	max_retries = 2
	retry_backoff = 0.05
	health_check_path = "/v1/ping"

	def __init__(self, base_url: str, settings=None):
		self._base_url = base_url
		super().__init__(settings=settings)

	@property
	def base_url(self) -> str:
		return self._base_url

	def get_auth_headers(self) -> dict[str, str]:
		return {"Authorization": f"Bearer {TEST_TOKEN}"}


def request_logs(**filters) -> list[dict]:
	return frappe.get_all(
		"Connector Request Log",
		filters={"connector": "Echo Test", **filters},
		fields=["*"],
		order_by="creation desc",
	)
