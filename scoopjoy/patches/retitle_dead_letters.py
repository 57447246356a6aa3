"""Dead letters written before the titles named the work: "Franchise Mobile App: Franchise Mobile
App: POST …" repeated the connector and was cut before the part that differs, so list rows looked
identical. Give every letter still to be dealt with the title new letters get."""

import frappe

from scoopjoy.reliability.dead_letters import dead_letter_title


def execute():
	for letter in frappe.get_all(
		"Integration Dead Letter",
		filters={"status": ["!=", "Resolved"]},
		fields=["name", "connector", "last_error", "job", "reference_name", "external_id", "payload"],
	):
		title = dead_letter_title(
			letter.connector,
			letter.last_error or "",
			job=letter.job,
			subject=letter.reference_name or letter.external_id,
			payload=letter.payload,
		)
		frappe.db.set_value("Integration Dead Letter", letter.name, "title", title, update_modified=False)
