# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class ShopifyBackfillSlice(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		backfill: DF.Link
		created_before: DF.Data | None
		created_from: DF.Data | None
		cursor: DF.SmallText | None
		finished_at: DF.Datetime | None
		last_error: DF.SmallText | None
		orders_expected: DF.Int
		orders_failed: DF.Int
		orders_imported: DF.Int
		orders_seen: DF.Int
		orders_skipped: DF.Int
		pages_done: DF.Int
		shopify_store: DF.Link | None
		slice_no: DF.Int
		started_at: DF.Datetime | None
		status: DF.Literal["Queued", "Running", "Completed", "Failed"]
	# end: auto-generated types

	pass
