# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document
from frappe.query_builder import Interval
from frappe.query_builder.functions import Now


class ShopifyWebhookDelivery(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		dead_letter: DF.Link | None
		order_id: DF.Data | None
		payload: DF.Code | None
		processed_at: DF.Datetime | None
		product_id: DF.Data | None
		received_at: DF.Datetime | None
		result: DF.SmallText | None
		sales_order: DF.Link | None
		shopify_store: DF.Link | None
		status: DF.Literal["Queued", "Processed", "Skipped", "Failed"]
		topic: DF.Data | None
		triggered_at: DF.Data | None
		webhook_id: DF.Data
	# end: auto-generated types

	@staticmethod
	def clear_old_logs(days: int = 30) -> None:
		"""Called daily by Log Settings. Processed and skipped deliveries go; queued ones stay.

		A delivery id must outlive Shopify's retries (up to 48 hours) to dedupe them, so the
		minimum kept is 3 days whatever Log Settings says.
		"""
		table = frappe.qb.DocType("Shopify Webhook Delivery")
		frappe.db.delete(
			table,
			filters=(table.modified < (Now() - Interval(days=max(int(days or 30), 3))))
			& (table.status.isin(["Processed", "Skipped"])),
		)
