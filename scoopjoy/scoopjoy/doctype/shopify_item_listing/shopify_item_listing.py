# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class ShopifyItemListing(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		inventory_item_id: DF.Data | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		product_id: DF.Data | None
		pushed_quantities: DF.SmallText | None
		shopify_store: DF.Link
		variant_id: DF.Data | None
	# end: auto-generated types

	pass
