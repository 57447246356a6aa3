"""Shipping Settings saved with Frappe's generated "now" times (the install time, with microseconds)
as their pickup window get the window their fields define (09:00 to 17:00)."""

import frappe


def execute():
	for field in frappe.get_meta("Shipping Settings").get("fields", {"fieldtype": "Time"}):
		value = frappe.db.get_single_value("Shipping Settings", field.fieldname)
		if field.default and "." in str(value or ""):
			frappe.db.set_single_value("Shipping Settings", field.fieldname, field.default)
