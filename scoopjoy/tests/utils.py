"""Helpers for scoopjoy's bench tests (Frappe's own test runner on a real site)."""

from __future__ import annotations

import frappe
from frappe.utils import add_days, nowdate

try:  # Frappe v16
	from frappe.tests import IntegrationTestCase as _FrappeTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as _FrappeTestCase

from scoopjoy.connectors.base import BaseConnector
from scoopjoy.tests.records import test_world

TEST_TOKEN = "sk_test_51HxScoopJoyBenchToken"

__all__ = [
	"TEST_TOKEN",
	"EchoConnector",
	"ScoopJoyTestCase",
	"make_customer",
	"make_delivery_note",
	"make_sales_order",
	"request_logs",
	"test_world",
	"webhook_request",
]


class ScoopJoyTestCase(_FrappeTestCase):
	"""Frappe's test case, plus: every Settings of this app is as it was before the class ran.

	Tests switch connectors on and point them at simulators that stop with the test; left like that,
	the site's scheduler would keep calling dead ports (and dead-lettering) after the run.
	"""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.addClassCleanup(restore_settings, settings_snapshot())
		cls.addClassCleanup(remove_new_stores, set(frappe.get_all("Shopify Store", pluck="name")))


def _app_singles() -> list[str]:
	return frappe.get_all("DocType", filters={"module": "ScoopJoy", "issingle": 1}, pluck="name")


def settings_snapshot() -> dict[str, list[tuple]]:
	"""The stored values of this app's Single DocTypes (passwords live in __Auth and stay)."""
	singles = _app_singles()
	rows = frappe.db.sql(
		"select doctype, field, value from `tabSingles` where doctype in %(singles)s", {"singles": singles}
	)
	snapshot = {doctype: [] for doctype in singles}
	for doctype, field, value in rows:
		snapshot[doctype].append((field, value))
	return snapshot


def restore_settings(snapshot: dict[str, list[tuple]]) -> None:
	frappe.db.rollback()  # what the last test left uncommitted goes first
	for doctype, rows in snapshot.items():
		frappe.db.delete("Singles", {"doctype": doctype})
		for field, value in rows:
			frappe.db.sql(
				"insert into `tabSingles` (doctype, field, value) values (%s, %s, %s)",
				(doctype, field, value),
			)
		frappe.clear_document_cache(doctype, doctype)
	# Commit on purpose: the restored Settings must outlive the runner's rollback and the run.
	frappe.db.commit()  # nosemgrep


def remove_new_stores(before: set[str]) -> None:
	"""Shopify Stores a test class made go with it (as its Settings are restored): an enabled store
	pointing at a stopped simulator would keep the scheduler busy, and a second one would make the
	next class's site a two-store site. Documents they imported keep their link (a later class makes
	the same store again)."""
	frappe.db.rollback()
	for name in set(frappe.get_all("Shopify Store", pluck="name")) - before:
		frappe.delete_doc("Shopify Store", name, force=True, ignore_permissions=True)
	# Commit on purpose: as restore_settings, this must outlive the runner's rollback.
	frappe.db.commit()  # nosemgrep


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
				"customer_group": test_world().customer_group,
				"territory": test_world().territory,
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
				"item_group": item_group or test_world().item_group,
				"stock_uom": "Nos",
				"is_stock_item": 0,
				"standard_rate": rate,
			}
		).insert(ignore_permissions=True)
	return item_code


def _selling_document(doctype: str, customer: str) -> dict:
	"""A selling document of the test company, in its currency and price list (no exchange rate)."""
	world = test_world()
	return {
		"doctype": doctype,
		"company": world.company,
		"currency": world.currency,
		"selling_price_list": world.price_list,
		"set_warehouse": world.warehouse,
		"customer": customer,
	}


def make_delivery_note(customer: str, items: list[tuple[str, float]], **fields):
	"""A submitted Delivery Note of the test company (rate 10 a unit)."""
	dn = frappe.get_doc(
		{
			**_selling_document("Delivery Note", customer),
			"posting_date": nowdate(),
			"items": [{"item_code": code, "qty": qty, "rate": 10} for code, qty in items],
			**fields,
		}
	).insert(ignore_permissions=True)
	dn.submit()
	return dn


def make_sales_order(customer: str, item_code: str, *, qty: float = 2, rate: float = 3, submit: bool = False):
	so = frappe.get_doc(
		{
			**_selling_document("Sales Order", customer),
			"transaction_date": nowdate(),
			"delivery_date": add_days(nowdate(), 5),
			"items": [{"item_code": item_code, "qty": qty, "rate": rate}],
		}
	).insert(ignore_permissions=True)
	if submit:
		so.submit()
	return so
