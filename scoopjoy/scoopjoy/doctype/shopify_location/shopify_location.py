# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class ShopifyLocation(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		location_id: DF.Data
		location_name: DF.Data | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		warehouse: DF.Link
	# end: auto-generated types

	pass
