#!/usr/bin/env python3
"""Does a site hold the whole app after ``bench --site <site> install-app scoopjoy``?

Run by tools/bench_tests.sh after the README's install command, with the bench's Python from its
``sites`` folder:

    cd <bench>/sites && ../env/bin/python <repo>/tools/check_installed_app.py <site>

``install-app`` can mark the app installed without having made its DocTypes (issue #21: a module
map cached before the app was on the bench); this looks at what the site holds, against the
installed copy of the app (``apps/scoopjoy``): the app in the site's installed apps, a Module Def
per module, every DocType and Page the app ships, the custom fields it adds, and ScoopJoy Settings
naming an enabled integration user. Exit 0 with a one-line summary, 1 with what is missing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import frappe

APP = "scoopjoy"


def shipped(app_path: Path, kind: str) -> list[str]:
	"""Names of the records of one kind (doctype, page) the app ships as JSON, from its folders."""
	names = []
	for path in sorted(app_path.glob(f"*/{kind}/*/*.json")):
		if path.stem != path.parent.name:
			continue
		data = json.loads(path.read_text())
		if data.get("doctype", "").lower() == kind:
			names.append(data["name"])
	return names


def problems_of(site: str) -> tuple[list[str], str]:
	from scoopjoy.constants import CUSTOM_FIELDS

	app_path = Path(frappe.get_app_path(APP))
	problems = []
	if APP not in frappe.get_installed_apps():
		problems.append(f"{APP} is not in the site's installed apps")
	for module in frappe.get_module_list(APP):
		if not frappe.db.exists("Module Def", module):
			problems.append(f"Module Def {module} missing")
	doctypes = shipped(app_path, "doctype")
	pages = shipped(app_path, "page")
	problems += [f"DocType {name} missing" for name in doctypes if not frappe.db.exists("DocType", name)]
	problems += [f"Page {name} missing" for name in pages if not frappe.db.exists("Page", name)]
	fields = [(dt, f["fieldname"]) for dt, fs in CUSTOM_FIELDS.items() for f in fs]
	for dt, fieldname in fields:
		if not frappe.db.exists("Custom Field", {"dt": dt, "fieldname": fieldname}):
			problems.append(f"Custom Field {dt}.{fieldname} missing")
	user = None
	if frappe.db.exists("DocType", "ScoopJoy Settings"):
		user = frappe.db.get_single_value("ScoopJoy Settings", "integration_user")
		if not user or not frappe.db.get_value("User", user, "enabled"):
			problems.append(f"ScoopJoy Settings has no enabled integration user ({user!r})")
	summary = (
		f"{len(doctypes)} DocTypes, {len(pages)} pages, {len(fields)} custom fields, "
		f"integration user {user}, setup wizard {'done' if frappe.is_setup_complete() else 'NOT done'}"
	)
	return problems, summary


def main(argv: list[str]) -> int:
	if len(argv) != 1:
		print(__doc__, file=sys.stderr)
		return 2
	site = argv[0]
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	try:
		problems, summary = problems_of(site)
	finally:
		frappe.destroy()
	if problems:
		print(f"install check: {site} is missing parts of {APP}:", file=sys.stderr)
		print("\n".join(f"  {p}" for p in problems), file=sys.stderr)
		return 1
	print(f"install check: {APP} installed whole on {site}: {summary}")
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
