import os

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

	def test_one_shopify_customer_id_maps_to_one_customer_per_store(self):
		"""The id is unique within its store (a two-column UNIQUE index): a second Customer of the same
		store's customer is refused, while another store's customer with the same number is its own."""
		group, territory = test_world().customer_group, test_world().territory
		suffix = frappe.generate_hash(length=6)
		stores = [
			frappe.get_doc({"doctype": "Shopify Store", "shop_domain": f"install-{n}-{suffix}.myshopify.com"})
			.insert(ignore_permissions=True)
			.name
			for n in (1, 2)
		]

		def customer(name, store):
			return frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": name,
					"customer_group": group,
					"territory": territory,
					"custom_shopify_store": store,
					"custom_shopify_customer_id": "777001",
				}
			)

		customer("Scoop Twin One", stores[0]).insert(ignore_permissions=True)
		with self.assertRaises((frappe.UniqueValidationError, frappe.DuplicateEntryError)):
			customer("Scoop Twin Two", stores[0]).insert(ignore_permissions=True)
		customer("Scoop Twin Three", stores[1]).insert(ignore_permissions=True)

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


class TestInstallWithAStaleModuleMap(ScoopJoyTestCase):
	"""install-app with a module map cached before the app was on the bench (issue #21).

	Frappe's install_app syncs the DocTypes of the modules in ``frappe.local.app_modules``; a map
	read from Redis before scoopjoy was in apps.txt has none of ours, and the app was marked
	installed without its DocTypes. The app's before_install builds the map again."""

	def setUp(self):
		super().setUp()
		self.saved = (frappe.local.app_modules, frappe.local.module_app)
		stale = {app: list(modules) for app, modules in frappe.local.app_modules.items() if app != "scoopjoy"}
		frappe.cache.set_value("app_modules", stale)
		frappe.local.app_modules = stale
		frappe.local.module_app = {module: app for app, modules in stale.items() for module in modules}

	def tearDown(self):
		frappe.local.app_modules, frappe.local.module_app = self.saved
		frappe.cache.delete_value("app_modules")  # built again from apps.txt by the next frappe.init
		super().tearDown()

	@staticmethod
	def _doctype_files_install_app_would_sync() -> list[str]:
		# the loop of frappe.model.sync.sync_for (v15 and v16) over the app's modules
		from frappe.model.sync import get_doc_files

		files = []
		for module in frappe.local.app_modules.get("scoopjoy") or []:
			folder = os.path.dirname(frappe.get_module(f"scoopjoy.{module}").__file__)
			files = get_doc_files(files=files, start_path=folder)
		return files

	def test_a_stale_map_gives_install_app_nothing_to_sync(self):
		self.assertEqual(self._doctype_files_install_app_would_sync(), [])

	def test_before_install_builds_the_map_again_so_every_doctype_is_synced(self):
		from scoopjoy.install import before_install

		before_install()
		modules = [frappe.scrub(module) for module in frappe.get_module_list("scoopjoy")]
		self.assertEqual(frappe.local.app_modules["scoopjoy"], modules)
		self.assertEqual(frappe.local.module_app["scoopjoy"], "scoopjoy")
		self.assertIn("scoopjoy", frappe.cache.get_value("app_modules"))
		files = self._doctype_files_install_app_would_sync()
		self.assertTrue(any(path.endswith("/scoopjoy_settings/scoopjoy_settings.json") for path in files))
		self.assertEqual(
			{os.path.basename(path).removesuffix(".json") for path in files if "/doctype/" in path},
			{frappe.scrub(name) for name in frappe.get_all("DocType", {"module": "ScoopJoy"}, pluck="name")},
		)
