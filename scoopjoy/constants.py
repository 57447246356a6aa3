"""Plain data shared by the Frappe layer (install, controllers). No frappe import here.

External ids live in custom fields on ERPNext documents. Every id field is:

- ``read_only``: only a connector writes it;
- ``no_copy``: duplicating an Item / Customer / Sales Order must not duplicate the link;
- ``unique``: Frappe adds a UNIQUE index, so two documents can never claim the same external
  record (races between a webhook and a poll end in a duplicate-entry error, not in a double).
  Frappe stores empty values of unique fields as NULL, so documents without an id do not collide.

No ``search_index``: the UNIQUE index already serves look-ups by id, and Frappe would add a
second, redundant index for a field that has both (frappe/database/schema.py, DbColumn).

Shopify ids are unique *per store* (issue #22): a document of a Shopify order, refund or customer
carries its ``custom_shopify_store``, and the id is unique together with it (``STORE_UNIQUE``, a
two-column UNIQUE index made on install and migrate). Items are shared by stores: an Item's
listings (store, product id, variant id) are rows of ``custom_shopify_listings``.
"""

from __future__ import annotations

INTEGRATION_USER_EMAIL = "integration@scoopjoy.invalid"
INTEGRATION_USER_FIRST_NAME = "ScoopJoy Integration"
#: roles given to the integration user when it is created (only those that exist on the site)
INTEGRATION_USER_ROLES = (
	"Sales User",
	"Sales Manager",
	"Stock User",
	"Stock Manager",
	"Accounts User",
	# cancelling a Sales Invoice (an order cancelled in Shopify) needs it; Accounts User cannot
	"Accounts Manager",
	"Item Manager",
	# Import Catalog writes each variant's price into the store's Price List (Item Price)
	"Sales Master Manager",
)

#: fallbacks when ScoopJoy Settings has never been saved (same values as the DocType defaults)
DEFAULT_SUCCESS_LOG_RETENTION_DAYS = 7
DEFAULT_FAILURE_LOG_RETENTION_DAYS = 30
DEFAULT_RESOLVED_DEAD_LETTER_RETENTION_DAYS = 30


def _external_id(fieldname: str, label: str, insert_after: str, **extra: int) -> dict:
	return {
		"fieldname": fieldname,
		"label": label,
		"fieldtype": "Data",
		"insert_after": insert_after,
		"read_only": 1,
		"no_copy": 1,
		"unique": 1,
		"print_hide": 1,
		"translatable": 0,
		**extra,
	}


def _shopify_store(insert_after: str, **extra: int) -> dict:
	"""The Shopify Store a document's Shopify ids belong to."""
	return {
		"fieldname": "custom_shopify_store",
		"label": "Shopify Store",
		"fieldtype": "Link",
		"options": "Shopify Store",
		"insert_after": insert_after,
		"read_only": 1,
		"no_copy": 1,
		"print_hide": 1,
		"search_index": 1,
		**extra,
	}


#: (DocType, store field, id field): an id unique within its store (a two-column UNIQUE index)
STORE_UNIQUE = (
	("Sales Order", "custom_shopify_store", "custom_shopify_order_id"),
	("Sales Invoice", "custom_shopify_store", "custom_shopify_refund_id"),
	("Customer", "custom_shopify_store", "custom_shopify_customer_id"),
	("Shopify Item Listing", "shopify_store", "product_id"),
	("Shopify Item Listing", "shopify_store", "variant_id"),
)


def _sync_state(fieldname: str, label: str, insert_after: str) -> dict:
	"""A hidden, read-only value a connector keeps next to an external id (never copied)."""
	return {
		"fieldname": fieldname,
		"label": label,
		"fieldtype": "Data",
		"insert_after": insert_after,
		"read_only": 1,
		"hidden": 1,
		"no_copy": 1,
		"print_hide": 1,
		"translatable": 0,
	}


def _integrations_section(insert_after: str) -> dict:
	return {
		"fieldname": "custom_integrations_section",
		"label": "Integrations",
		"fieldtype": "Section Break",
		"collapsible": 1,
		"insert_after": insert_after,
	}


#: custom fields by DocType, for ``create_custom_fields(CUSTOM_FIELDS, update=True)``.
#: ``insert_after`` targets exist in ERPNext v15 and v16; should one disappear, Frappe appends
#: the field at the end of the form instead of failing.
CUSTOM_FIELDS: dict[str, list[dict]] = {
	"Item": [
		# end of the "Details" tab (the Units of Measure table), not inside the last tab
		_integrations_section("uoms"),
		# the Item in each Shopify store: one Item sold in two stores is one stock ledger
		{
			"fieldname": "custom_shopify_listings",
			"label": "Shopify Listings",
			"fieldtype": "Table",
			"options": "Shopify Item Listing",
			"insert_after": "custom_integrations_section",
			"read_only": 1,
			"no_copy": 1,
			"description": "The product / variant this Item is in each Shopify store (kept by the connector).",
		},
		# which franchise outlets sell the item (the mobile app's per-outlet menu)
		{
			"fieldname": "custom_available_at",
			"label": "Available at Outlets",
			"fieldtype": "Small Text",
			"insert_after": "custom_shopify_listings",
			"description": "Franchise Outlet names, one per line. Empty: sold at every outlet.",
			"translatable": 0,
		},
	],
	"Sales Order": [
		# last field of the "More Info" tab (the place frappe/ecommerce_integrations uses too)
		_integrations_section("update_auto_repeat_reference"),
		# allow_on_submit: an order may be linked to its Shopify order after it was submitted
		_shopify_store("custom_integrations_section", allow_on_submit=1),
		_external_id(
			"custom_shopify_order_id",
			"Shopify Order ID",
			"custom_shopify_store",
			allow_on_submit=1,
			unique=0,
		),
		# the latest WhatsApp confirmation status, written by the status webhook
		{
			"fieldname": "custom_whatsapp_status",
			"label": "WhatsApp Confirmation",
			"fieldtype": "Data",
			"insert_after": "custom_shopify_order_id",
			"read_only": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
			"in_standard_filter": 1,
			"translatable": 0,
		},
		# the Shopify order name (#1001) and the updatedAt of the state last applied: an older
		# webhook or poll never overwrites newer state
		{
			"fieldname": "custom_shopify_order_name",
			"label": "Shopify Order",
			"fieldtype": "Data",
			"insert_after": "custom_whatsapp_status",
			"read_only": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
			"translatable": 0,
		},
		{
			**_sync_state("custom_shopify_updated_at", "Shopify Updated At", "custom_shopify_order_name"),
			"allow_on_submit": 1,
		},
		# the discount codes the customer entered (the amounts are the Sales Order's discount)
		{
			"fieldname": "custom_shopify_discount_codes",
			"label": "Shopify Discount Codes",
			"fieldtype": "Data",
			"insert_after": "custom_shopify_updated_at",
			"read_only": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
			"translatable": 0,
		},
		# the status last queued for the franchise mobile app: a save or db_set that leaves the
		# status as it was pushes nothing (a stale doc_before_save cannot be trusted for that)
		{
			"fieldname": "custom_mobile_app_status",
			"label": "Mobile App Status Sent",
			"fieldtype": "Data",
			"insert_after": "custom_shopify_discount_codes",
			"read_only": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
			"translatable": 0,
		},
	],
	# which Shopify line item a row books: refunds, fulfilments and edits find their row by it
	"Sales Order Item": [
		{
			"fieldname": "custom_shopify_line_item_id",
			"label": "Shopify Line Item ID",
			"fieldtype": "Data",
			"insert_after": "warehouse",
			"read_only": 1,
			"hidden": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
			"translatable": 0,
		},
	],
	# Shopify: invoices and credit notes made from a Shopify order and refund
	"Sales Invoice": [
		_integrations_section("update_auto_repeat_reference"),
		_shopify_store("custom_integrations_section"),
		{
			"fieldname": "custom_shopify_order_id",
			"label": "Shopify Order ID",
			"fieldtype": "Data",
			"insert_after": "custom_shopify_store",
			"read_only": 1,
			"no_copy": 1,
			"search_index": 1,
			"translatable": 0,
		},
		_external_id("custom_shopify_refund_id", "Shopify Refund ID", "custom_shopify_order_id", unique=0),
	],
	# Shopify: the transaction a payment books (a sale, a capture, a refund paid out); not unique, so
	# that a cancelled payment does not block booking the same transaction again
	"Payment Entry": [
		{**_shopify_store("reference_date"), "hidden": 1},
		{
			**_sync_state("custom_shopify_transaction_id", "Shopify Transaction ID", "custom_shopify_store"),
			"hidden": 0,
			"search_index": 1,
		},
	],
	"Journal Entry": [
		{**_shopify_store("cheque_date"), "hidden": 1},
		{
			**_sync_state("custom_shopify_transaction_id", "Shopify Transaction ID", "custom_shopify_store"),
			"hidden": 0,
			"search_index": 1,
		},
		# the Shopify Payments payout a bank entry books (each payout once)
		{
			**_sync_state("custom_shopify_payout_id", "Shopify Payout ID", "custom_shopify_transaction_id"),
			"hidden": 0,
			"search_index": 1,
		},
	],
	"Customer": [
		# end of the "Details" tab ("More Information" section)
		_integrations_section("customer_details"),
		_shopify_store("custom_integrations_section"),
		_external_id("custom_shopify_customer_id", "Shopify Customer ID", "custom_shopify_store", unique=0),
		_external_id("custom_google_contact_id", "Google Contact ID", "custom_shopify_customer_id"),
		# plain-text WhatsApp messages are sent only to customers who opted in
		{
			"fieldname": "custom_whatsapp_opt_in",
			"label": "WhatsApp Opt-in",
			"fieldtype": "Check",
			"insert_after": "custom_google_contact_id",
			"description": "The customer agreed to receive WhatsApp messages from ScoopJoy.",
		},
		# Google Contacts: the etag last seen (updates send it) and a fingerprint of what was written
		_sync_state("custom_google_contact_etag", "Google Contact ETag", "custom_whatsapp_opt_in"),
		_sync_state("custom_google_contact_hash", "Google Contact Fingerprint", "custom_google_contact_etag"),
	],
	# Shipping: the booked Shipment and its tracking, refreshed by the tracking job
	"Delivery Note": [
		{
			"fieldname": "custom_shipment",
			"label": "Shipment",
			"fieldtype": "Link",
			"options": "Shipment",
			"insert_after": "lr_date",
			"read_only": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
		},
		{
			"fieldname": "custom_tracking_number",
			"label": "Tracking Number",
			"fieldtype": "Data",
			"insert_after": "custom_shipment",
			"read_only": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
			"translatable": 0,
		},
		{
			"fieldname": "custom_tracking_status",
			"label": "Tracking Status",
			"fieldtype": "Data",
			"insert_after": "custom_tracking_number",
			"read_only": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
			"in_standard_filter": 1,
			"translatable": 0,
		},
		{
			"fieldname": "custom_tracking_url",
			"label": "Tracking URL",
			"fieldtype": "Small Text",
			"insert_after": "custom_tracking_status",
			"read_only": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
		},
		# Shopify: a note of a Shopify order fulfils it in Shopify (or was made from its fulfilment)
		{
			"fieldname": "custom_shopify_fulfillment_status",
			"label": "Shopify Fulfilment",
			"fieldtype": "Select",
			"options": "\nFrom Shopify\nQueued\nSending\nFulfilled\nFailed\nCancelled",
			"insert_after": "custom_tracking_url",
			"read_only": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
			"in_standard_filter": 1,
			"depends_on": "custom_shopify_fulfillment_status",
		},
		{
			"fieldname": "custom_shopify_fulfillment_id",
			"label": "Shopify Fulfilment ID",
			"fieldtype": "Data",
			"insert_after": "custom_shopify_fulfillment_status",
			"read_only": 1,
			"no_copy": 1,
			"allow_on_submit": 1,
			"search_index": 1,
			"translatable": 0,
			"depends_on": "custom_shopify_fulfillment_id",
		},
		{
			**_sync_state(
				"custom_shopify_fulfillment_sent_at",
				"Shopify Fulfilment Sent At",
				"custom_shopify_fulfillment_id",
			),
			"allow_on_submit": 1,
		},
		{
			**_sync_state(
				"custom_shopify_tracking_sent", "Shopify Tracking Sent", "custom_shopify_fulfillment_sent_at"
			),
			"allow_on_submit": 1,
		},
		# a return of stock: the Shopify refund that restocked these units (one set of returns each)
		{
			"fieldname": "custom_shopify_refund_id",
			"label": "Shopify Refund ID",
			"fieldtype": "Data",
			"insert_after": "custom_shopify_tracking_sent",
			"read_only": 1,
			"no_copy": 1,
			"search_index": 1,
			"translatable": 0,
			"depends_on": "custom_shopify_refund_id",
		},
		# a return of stock: the Shopify return disposition that restocked these units
		{
			"fieldname": "custom_shopify_disposition_id",
			"label": "Shopify Return Disposition ID",
			"fieldtype": "Data",
			"insert_after": "custom_shopify_refund_id",
			"read_only": 1,
			"no_copy": 1,
			"search_index": 1,
			"translatable": 0,
			"depends_on": "custom_shopify_disposition_id",
		},
	],
}
