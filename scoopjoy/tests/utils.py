"""Helpers for scoopjoy's bench tests (Frappe's own test runner on a real site)."""

from __future__ import annotations

import frappe
from frappe.utils import add_days, nowdate

try:  # Frappe v16
	from frappe.tests import IntegrationTestCase as ScoopJoyTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as ScoopJoyTestCase

from scoopjoy.connectors.base import BaseConnector

TEST_TOKEN = "sk_test_51HxScoopJoyBenchToken"

__all__ = [
	"TEST_TOKEN",
	"EchoConnector",
	"ScoopJoyTestCase",
	"make_customer",
	"make_sales_order",
	"request_logs",
	"webhook_request",
]


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


def webhook_request(method: str, raw: bytes, headers: dict):
	"""A real werkzeug request, as Frappe's WSGI app hands it to an endpoint (raw body included)."""
	from werkzeug.test import EnvironBuilder
	from werkzeug.wrappers import Request

	environ = EnvironBuilder(method=method, data=raw, headers=headers, content_type="application/json")
	return Request(environ.get_environ())


def request_logs(**filters) -> list[dict]:
	return frappe.get_all(
		"Connector Request Log",
		filters={"connector": "Echo Test", **filters},
		fields=["*"],
		order_by="creation desc",
	)


def make_customer(name: str, mobile: str | None = None) -> str:
	if not frappe.db.exists("Customer", name):
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": name,
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}),
			}
		).insert(ignore_permissions=True)
	frappe.db.set_value("Customer", name, "mobile_no", mobile)
	return name


def make_item(item_code: str, item_group: str | None = None, rate: float = 0) -> str:
	"""A non-stock sales item (no warehouse or valuation needed)."""
	if not frappe.db.exists("Item", item_code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": item_code,
				"item_group": item_group or frappe.db.get_value("Item Group", {"is_group": 0}),
				"stock_uom": "Nos",
				"is_stock_item": 0,
				"standard_rate": rate,
			}
		).insert(ignore_permissions=True)
	return item_code


def make_sales_order(customer: str, item_code: str, *, qty: float = 2, rate: float = 3, submit: bool = False):
	so = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"company": frappe.db.get_value("Company", {}, "name"),
			"customer": customer,
			"transaction_date": nowdate(),
			"delivery_date": add_days(nowdate(), 5),
			"items": [{"item_code": item_code, "qty": qty, "rate": rate}],
		}
	).insert(ignore_permissions=True)
	if submit:
		so.submit()
	return so
