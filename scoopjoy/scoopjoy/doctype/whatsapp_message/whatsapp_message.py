# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class WhatsAppMessage(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		message_key: DF.Data | None
		reason: DF.SmallText | None
		recipient: DF.Data | None
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		status: DF.Literal["Sending", "Sent", "Delivered", "Read", "Uncertain", "Failed", "Skipped"]
		status_timestamp: DF.Int
		template: DF.Data | None
		wamid: DF.Data | None
	# end: auto-generated types

	pass
