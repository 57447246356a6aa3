"""The mobile app connector on a real site: menu pushed only when it changed, one failing outlet
does not stop the others, and an order's status is pushed only when it really changed."""

import frappe

from scoopjoy.connectors.mobile_app import jobs
from scoopjoy.connectors.mobile_app.constants import SERVICE_NAME
from scoopjoy.reliability.jobs import job_id_for
from scoopjoy.tests.records import tree_leaf
from scoopjoy.tests.simulators import Fault
from scoopjoy.tests.simulators.mobile_backend import MobileBackendSimulator
from scoopjoy.tests.utils import ScoopJoyTestCase, make_customer, make_item, make_sales_order

MENU_GROUP = "ScoopJoy Test Scoops"


def ensure_menu_item(code: str, rate: float) -> None:
	tree_leaf("Item Group", MENU_GROUP, "item_group_name")
	make_item(code, MENU_GROUP, rate)
	frappe.db.set_value("Item", code, "standard_rate", rate)


def ensure_outlet(name: str) -> str:
	if not frappe.db.exists("Franchise Outlet", name):
		frappe.get_doc(
			{
				"doctype": "Franchise Outlet",
				"outlet_name": name,
				"latitude": 12.93,
				"longitude": 77.62,
				"is_active": 1,
			}
		).insert(ignore_permissions=True)
	return name


def queued_jobs() -> set:
	return set(getattr(frappe.local, "scoopjoy_jobs_in_transaction", None) or ())


def status_job(so) -> str:
	return job_id_for(SERVICE_NAME, f"order-status:{so.name}:{so.status}:{so.modified}")


def make_order():
	return make_sales_order(make_customer("ScoopJoy Test Customer"), "SCOOP-TEST-VANILLA")


class TestMobileApp(ScoopJoyTestCase):
	def setUp(self):
		self.backend = MobileBackendSimulator(api_key="franchise-key").start()
		settings = frappe.get_single("Mobile App Settings")
		settings.update(
			{
				"enabled": 1,
				"sandbox_mode": 1,
				"api_url": self.backend.url,
				"api_key": "franchise-key",
				"menu_item_group": MENU_GROUP,
				"last_menu_hash": None,
			}
		)
		ensure_menu_item("SCOOP-TEST-VANILLA", 3.0)
		settings.save()
		settings.get_connector().breaker.reset()

	def tearDown(self):
		frappe.get_single("Mobile App Settings").get_connector().breaker.reset()
		self.backend.stop()

	def test_the_menu_is_pushed_once_until_it_changes(self):
		self.assertTrue(jobs.sync_menu())
		self.assertFalse(jobs.sync_menu())  # nothing changed: nothing sent
		frappe.db.set_value("Item", "SCOOP-TEST-VANILLA", "standard_rate", 3.25)
		self.assertTrue(jobs.sync_menu())
		menus = [body for path, body in self.backend.received if path == "/api/v1/menu/sync"]
		self.assertEqual(len(menus), 2)
		prices = {row["item_code"]: row["price"] for row in menus[-1]["items"]}
		self.assertEqual(prices["SCOOP-TEST-VANILLA"], "3.25")

	def test_one_failing_outlet_is_dead_lettered_and_the_others_are_synced(self):
		outlets = [ensure_outlet(name) for name in ("Test Outlet A", "Test Outlet B", "Test Outlet C")]
		active = frappe.get_all("Franchise Outlet", filters={"is_active": 1}, pluck="name", order_by="name")
		first = active[0]
		self.backend.faults.add(Fault.status_code(422, times=1, path_prefix="/api/v1/outlets"))

		result = jobs.sync_all_outlets()

		self.assertEqual(result["failed"], [first])
		self.assertEqual(result["synced"], len(active) - 1)
		synced = {body["outlet_id"] for path, body in self.backend.received if path == "/api/v1/outlets/sync"}
		self.assertEqual(synced, set(active) - {first})
		self.assertTrue(set(outlets) - {first} <= synced)
		letter = frappe.get_all(
			"Integration Dead Letter",
			filters={"reference_doctype": "Franchise Outlet", "reference_name": first, "status": "Open"},
			fields=["failure_type", "job"],
		)
		self.assertEqual(letter[0].failure_type, "record")
		self.assertEqual(letter[0].job, "scoopjoy.connectors.mobile_app.jobs.sync_outlet")

	def test_a_status_push_is_queued_only_when_the_status_really_changes(self):
		nothing = set(queued_jobs())
		so = make_order()
		self.assertEqual(queued_jobs(), nothing)  # a draft is not pushed

		so.submit()
		self.assertIn(status_job(so), queued_jobs())

		before = set(queued_jobs())
		so.reload()
		so.save()  # saved again without a status change (on_update_after_submit)
		self.assertEqual(queued_jobs(), before)

		so.reload()  # keeps the doc_before_save of the submit (status Draft)
		so.db_set("po_no", "SCOOP-PO-1")  # an unrelated field: on_change fires, the status is the same
		self.assertEqual(queued_jobs(), before)
		self.assertEqual(frappe.db.get_value("Sales Order", so.name, "custom_mobile_app_status"), so.status)

		so.update_status("Closed")  # ERPNext changes status with db_set: on_change still fires
		self.assertEqual(so.status, "Closed")
		self.assertEqual(len(queued_jobs() - before), 1)  # one push for the one change
		self.assertEqual(frappe.db.get_value("Sales Order", so.name, "custom_mobile_app_status"), "Closed")
		frappe.db.rollback()  # nothing was committed: nothing is sent

	def test_order_status_push_is_idempotent_under_retry(self):
		so = make_order()
		so.submit()
		self.assertTrue(jobs.push_order_status(so.name, so.status, str(so.modified)))
		self.assertTrue(jobs.push_order_status(so.name, so.status, str(so.modified)))  # a retried job
		pushes = [body for path, body in self.backend.received if path == "/api/v1/orders/status"]
		self.assertEqual(len(pushes), 1)
		self.assertEqual(pushes[0]["status"], so.status)

	def test_a_replayed_older_status_is_not_pushed_over_a_newer_one(self):
		so = make_order()
		so.submit()
		older = (so.status, str(so.modified))
		so.update_status("Closed")
		self.assertFalse(jobs.push_order_status(so.name, *older))  # e.g. a dead letter replayed late
		self.assertEqual([p for p, _ in self.backend.received if p == "/api/v1/orders/status"], [])

	def test_items_limited_to_some_outlets_give_each_outlet_its_own_menu(self):
		ensure_outlet("Test Outlet A")
		ensure_outlet("Test Outlet B")
		ensure_menu_item("SCOOP-TEST-SAFFRON", 5.0)
		frappe.db.set_value("Item", "SCOOP-TEST-SAFFRON", "custom_available_at", "Test Outlet A")

		self.assertTrue(jobs.sync_menu())
		menus = {
			body["outlet_id"]: {row["item_code"] for row in body["items"]}
			for path, body in self.backend.received
			if path == "/api/v1/menu/sync"
		}
		self.assertIn("SCOOP-TEST-SAFFRON", menus["Test Outlet A"])
		self.assertNotIn("SCOOP-TEST-SAFFRON", menus["Test Outlet B"])
		self.assertIn("SCOOP-TEST-VANILLA", menus["Test Outlet B"])  # unrestricted items everywhere

		pushed = len(self.backend.received)
		self.assertFalse(jobs.sync_menu())  # nothing changed at any outlet
		self.assertEqual(len(self.backend.received), pushed)
		frappe.db.set_value("Item", "SCOOP-TEST-SAFFRON", "custom_available_at", None)
