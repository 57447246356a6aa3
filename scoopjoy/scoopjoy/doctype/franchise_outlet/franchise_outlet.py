# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from scoopjoy.connectors.mobile_app.payloads import coordinate_problem


class FranchiseOutlet(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		address: DF.Link | None
		address_display: DF.SmallText | None
		closing_time: DF.Time | None
		is_active: DF.Check
		last_menu_hash: DF.Data | None
		latitude: DF.Float
		longitude: DF.Float
		opening_time: DF.Time | None
		outlet_name: DF.Data
	# end: auto-generated types

	def validate(self):
		problem = coordinate_problem(self.latitude, self.longitude)
		if problem:
			frappe.throw(
				_("Outlet {0}: {1}").format(frappe.bold(self.outlet_name), problem),
				title=_("Invalid location"),
			)
