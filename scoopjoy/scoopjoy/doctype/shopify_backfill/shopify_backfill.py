# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate


class ShopifyBackfill(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		cursor: DF.SmallText | None
		finished_at: DF.Datetime | None
		from_date: DF.Date
		last_error: DF.SmallText | None
		orders_failed: DF.Int
		orders_imported: DF.Int
		orders_seen: DF.Int
		orders_skipped: DF.Int
		orders_total: DF.Int
		pages_done: DF.Int
		parallel_slices: DF.Int
		shopify_store: DF.Link
		started_at: DF.Datetime | None
		status: DF.Literal["Draft", "Queued", "Running", "Completed", "Failed"]
		to_date: DF.Date
	# end: auto-generated types

	def before_validate(self):
		if not self.shopify_store:  # a site with one store: that store
			from scoopjoy.connectors.shopify.stores import store_name

			self.shopify_store = store_name()

	def validate(self):
		if getdate(self.from_date) > getdate(self.to_date):
			frappe.throw(_("From Date must not be after To Date."))
		changed = self.has_value_changed("from_date") or self.has_value_changed("to_date")
		if not self.is_new() and changed and self.cursor:
			frappe.throw(_("This backfill has started; make a new one for another window."))
