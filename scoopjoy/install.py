"""Install / migrate hooks. Everything here is idempotent: it runs again on every ``bench migrate``.

There is deliberately no ``before_uninstall`` that deletes our custom fields: the external ids
they hold (Shopify product / variant / order / customer ids, Google contact ids) are the only link
between ERPNext records and the outside systems. Dropping them on uninstall would make a later
re-install create duplicates of every product, customer and order. An administrator who really
wants them gone can delete the Custom Fields by hand.
"""

from __future__ import annotations

import copy

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from scoopjoy.constants import (
	CUSTOM_FIELDS,
	INTEGRATION_USER_EMAIL,
	INTEGRATION_USER_FIRST_NAME,
	INTEGRATION_USER_ROLES,
	STORE_UNIQUE,
)

SETTINGS_DOCTYPE = "ScoopJoy Settings"
APP = "scoopjoy"
#: Frappe's module maps, cached in Redis per site (frappe.setup_module_map)
MODULE_MAP_KEYS = ("app_modules", "installed_app_modules", "module_app")


def before_install() -> None:
	"""Make ``install-app`` see this app's modules before it syncs their DocTypes.

	Frappe's ``install_app`` syncs the DocTypes of the modules in ``frappe.local.app_modules``, a map
	``frappe.init`` read from the Redis cache when the command started. When that map was cached
	before scoopjoy was on the bench (apps.txt changed while the cache was warm: an app linked in
	by hand, ``get-app --skip-assets``, a new frappe_docker image on a running Redis), it has no
	scoopjoy: ``install_app`` syncs none of our DocTypes, marks the app installed all the same, and
	``after_install`` fails with ``No module named 'frappe.core.doctype.scoopjoy_settings'``; only a
	``migrate`` completed the install (issue #21). ``install_app`` clears the Redis cache just
	before this hook but not the map already in memory: build it again from apps.txt. Should the
	app still not be in it, stop here, before Frappe marks it installed.
	"""
	frappe.cache.delete_value(list(MODULE_MAP_KEYS))
	frappe.setup_module_map(include_all_apps=True)
	if not frappe.local.app_modules.get(APP):
		frappe.throw(
			f"{APP} is not in this bench's sites/apps.txt, or its modules.txt lists no module: "
			"nothing was installed. Run `bench get-app` for it first."
		)


def after_install() -> None:
	make_custom_fields()
	make_store_unique_indexes()
	ensure_integration_user()


def after_migrate() -> None:
	make_custom_fields()
	make_store_unique_indexes()
	fill_defaults_of_new_settings_fields()
	ensure_integration_user()


def fill_defaults_of_new_settings_fields() -> None:
	"""Give a field added to one of our Single Settings in an update its default value.

	Frappe applies defaults only when a document is created: on a site that already has ScoopJoy
	Settings, a new field would read as empty / 0 (an alert switched off, a 0-minute window that
	makes the next save fail). Fields that hold a value, even one set by a person, are left alone.
	"""
	for doctype in frappe.get_all("DocType", filters={"module": "ScoopJoy", "issingle": 1}, pluck="name"):
		stored = set(
			frappe.db.sql("select distinct field from tabSingles where doctype=%s", doctype, pluck=True)
		)
		if not stored:
			continue  # never saved: the defaults apply when it is first created
		for field in frappe.get_meta(doctype).fields:
			if field.default and field.fieldname not in stored and not field.default.startswith(":"):
				frappe.db.set_single_value(doctype, field.fieldname, field.default)


def make_custom_fields() -> None:
	"""Create the external-id custom fields, or bring existing ones in line with CUSTOM_FIELDS."""
	# create_custom_fields may update the dicts it is given; keep the constant pristine
	create_custom_fields(copy.deepcopy(CUSTOM_FIELDS), update=True)


def make_store_unique_indexes() -> None:
	"""A Shopify id is unique within its store (the same order id in two stores is two orders): a
	UNIQUE index on (store, id) for each id in STORE_UNIQUE. MariaDB skips one that exists. (Frappe's
	``add_unique`` looks the index up in every database of the server, so a twin site would hide it.)"""
	for doctype, store_field, id_field in STORE_UNIQUE:
		frappe.db.sql_ddl(
			f"alter table `tab{doctype}` add unique index if not exists "
			f"`unique_{store_field}_{id_field}` (`{store_field}`, `{id_field}`)"
		)


def ensure_integration_user() -> str | None:
	"""Make sure ScoopJoy Settings names an integration user; create the default one if needed.

	An integration user an administrator chose is never replaced. Returns the user's name, or
	None when the default user exists but an administrator disabled or demoted it.
	"""
	settings = frappe.get_doc(SETTINGS_DOCTYPE)
	if settings.integration_user:
		if settings.integration_user == INTEGRATION_USER_EMAIL:
			_add_missing_roles(INTEGRATION_USER_EMAIL)
		return settings.integration_user

	existing = frappe.db.get_value("User", INTEGRATION_USER_EMAIL, ["enabled", "user_type"], as_dict=True)
	if not existing:
		existing = _create_integration_user()
	if not existing.enabled or existing.user_type != "System User":
		# an administrator changed this user on purpose (or, on a site without any of the roles,
		# Frappe made it a Website User): do not undo it, and do not fail the migration, as the
		# settings would refuse this user
		print(
			f"ScoopJoy: user {INTEGRATION_USER_EMAIL} is disabled or not a System User; "
			f"choose an integration user in {SETTINGS_DOCTYPE}."
		)
		return None

	settings.integration_user = INTEGRATION_USER_EMAIL
	# saving also stores the DocType defaults of a Single that was never saved before
	settings.save(ignore_permissions=True)
	return INTEGRATION_USER_EMAIL


def _add_missing_roles(user: str) -> None:
	"""An update may need a role the default integration user was created without. Roles an
	administrator chose for a user of their own are never touched (only our default user)."""
	doc = frappe.get_doc("User", user)
	have = {row.role for row in doc.roles}
	existing = set(
		frappe.get_all("Role", filters={"name": ("in", list(INTEGRATION_USER_ROLES))}, pluck="name")
	)
	missing = [role for role in INTEGRATION_USER_ROLES if role in existing and role not in have]
	if missing:
		doc.add_roles(*missing)


def _create_integration_user() -> frappe._dict:
	existing_roles = set(
		frappe.get_all("Role", filters={"name": ("in", list(INTEGRATION_USER_ROLES))}, pluck="name")
	)
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": INTEGRATION_USER_EMAIL,
			"first_name": INTEGRATION_USER_FIRST_NAME,
			"user_type": "System User",
			"enabled": 1,
			"send_welcome_email": 0,
			"roles": [{"role": role} for role in INTEGRATION_USER_ROLES if role in existing_roles],
		}
	)
	user.flags.no_welcome_mail = True
	user.insert(ignore_permissions=True)
	# Frappe decides the user type from the roles (System User only with a desk role)
	return frappe._dict(enabled=user.enabled, user_type=user.user_type)
