# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.utils import get_time

from scoopjoy.connectors.settings import ConnectorSettings
from scoopjoy.connectors.shipping.payloads import to_kg


class ShippingSettings(ConnectorSettings):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		carrier_api_url: DF.Data | None
		carrier_enabled: DF.Check
		carrier_name: DF.Data | None
		carrier_public_key: DF.Data | None
		carrier_secret_key: DF.Password | None
		default_weight_uom: DF.Data | None
		description_of_content: DF.Data | None
		fallback_item_weight: DF.Float
		minimum_parcel_weight: DF.Float
		parcel_height: DF.Int
		parcel_length: DF.Int
		parcel_width: DF.Int
		pickup_address: DF.Link | None
		pickup_after_days: DF.Int
		pickup_contact_user: DF.Link | None
		pickup_from: DF.Time
		pickup_to: DF.Time
		refresh_tracking: DF.Check
		sandbox_mode: DF.Check
	# end: auto-generated types

	connector_class = "scoopjoy.connectors.shipping.connector.CarrierConnector"
	url_fields = ("carrier_api_url",)

	def onload(self):
		self.use_defaults_for_generated_times()

	def validate(self):
		super().validate()
		self.use_defaults_for_generated_times()
		if self.pickup_from and self.pickup_to and get_time(self.pickup_to) <= get_time(self.pickup_from):
			frappe.throw(_("Pickup To must be later than Pickup From."))
		if self.default_weight_uom and to_kg(1, self.default_weight_uom) is None:
			frappe.throw(
				_("Default Weight UOM {0} is not a weight unit (kg, g, lb, oz...).").format(
					self.default_weight_uom
				)
			)

	def use_defaults_for_generated_times(self):
		"""Frappe fills every Time field of a new document with the current time, microseconds and
		all, whatever its default: a site's first Shipping Settings got the install time as its pickup
		window. No person enters microseconds (the desk's Time field cannot), so such a value is the
		default that was overwritten; the field's own default replaces it. (Left as it was, the desk
		also shows the form as "Not Saved" the moment it opens: it cuts the value to minutes.)"""
		for field in self.meta.get("fields", {"fieldtype": "Time"}):
			if field.default and "." in str(self.get(field.fieldname) or ""):
				self.set(field.fieldname, field.default)
