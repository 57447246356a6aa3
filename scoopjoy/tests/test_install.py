import frappe

from scoopjoy.constants import CUSTOM_FIELDS
from scoopjoy.install import after_migrate
from scoopjoy.tests.utils import ScoopJoyTestCase, test_world


class TestInstall(ScoopJoyTestCase):
	def test_custom_fields_exist_and_are_unique_and_not_copied(self):
		for doctype, fields in CUSTOM_FIELDS.items():
			meta = frappe.get_meta(doctype)
			for field in fields:
				if not field.get("unique"):
					continue
				df = meta.get_field(field["fieldname"])
				self.assertIsNotNone(df, f"{doctype}.{field['fieldname']} missing")
				self.assertTrue(df.unique, f"{doctype}.{field['fieldname']} must be unique")
				self.assertTrue(df.no_copy, f"{doctype}.{field['fieldname']} must not be copied")

	def test_one_shopify_customer_id_cannot_map_to_two_customers(self):
		group, territory = test_world().customer_group, test_world().territory

		def customer(name):
			return frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": name,
					"customer_group": group,
					"territory": territory,
					"custom_shopify_customer_id": "gid://shopify/Customer/777001",
				}
			)

		customer("Scoop Twin One").insert(ignore_permissions=True)
		with self.assertRaises((frappe.UniqueValidationError, frappe.DuplicateEntryError)):
			customer("Scoop Twin Two").insert(ignore_permissions=True)

	def test_empty_external_ids_do_not_collide(self):
		group = test_world().customer_group
		for name in ("Walk-in Scoop A", "Walk-in Scoop B"):
			frappe.get_doc({"doctype": "Customer", "customer_name": name, "customer_group": group}).insert(
				ignore_permissions=True
			)

	def test_migrate_is_idempotent_and_keeps_an_integration_user(self):
		after_migrate()
		after_migrate()
		user = frappe.db.get_single_value("ScoopJoy Settings", "integration_user")
		self.assertTrue(user)
		self.assertNotIn(user, ("Administrator", "Guest"))
		self.assertEqual(frappe.db.get_value("User", user, "user_type"), "System User")


class TestUpgradingASite(ScoopJoyTestCase):
	def test_a_field_added_by_an_update_reads_its_default_after_migrate_not_zero(self):
		from scoopjoy.install import fill_defaults_of_new_settings_fields

		frappe.db.set_single_value("ScoopJoy Settings", "alert_role", "System Manager")  # saved before
		frappe.db.sql(
			"delete from tabSingles where doctype='ScoopJoy Settings' and field in ('alert_on_circuit_open', 'alert_error_rate_window_minutes')"
		)
		frappe.db.set_single_value("ScoopJoy Settings", "alert_dead_letter_age_hours", 0)  # a person's choice
		fill_defaults_of_new_settings_fields()
		self.assertEqual(frappe.db.get_single_value("ScoopJoy Settings", "alert_on_circuit_open"), 1)
		self.assertEqual(
			frappe.db.get_single_value("ScoopJoy Settings", "alert_error_rate_window_minutes"), 15
		)
		self.assertEqual(frappe.db.get_single_value("ScoopJoy Settings", "alert_dead_letter_age_hours"), 0)
		frappe.db.rollback()

	def test_migrate_gives_the_default_integration_user_roles_added_by_an_update(self):
		from scoopjoy.constants import INTEGRATION_USER_EMAIL
		from scoopjoy.install import ensure_integration_user

		if frappe.db.get_single_value("ScoopJoy Settings", "integration_user") != INTEGRATION_USER_EMAIL:
			self.skipTest("this site uses an integration user of its own, whose roles are never touched")
		user = frappe.get_doc("User", INTEGRATION_USER_EMAIL)
		user.remove_roles("Accounts Manager")
		self.assertNotIn("Accounts Manager", frappe.get_roles(INTEGRATION_USER_EMAIL))
		ensure_integration_user()
		frappe.clear_cache(user=INTEGRATION_USER_EMAIL)
		self.assertIn("Accounts Manager", frappe.get_roles(INTEGRATION_USER_EMAIL))
