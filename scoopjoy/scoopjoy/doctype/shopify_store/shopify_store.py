# Copyright (c) 2026, ScoopJoy Engineering and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.utils import flt, getdate

from scoopjoy.connectors.settings import ConnectorSettings
from scoopjoy.connectors.shopify.mapping import legacy_id, version_support_end, version_warning


class ShopifyStore(ConnectorSettings):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from scoopjoy.scoopjoy.doctype.shopify_location.shopify_location import ShopifyLocation
		from scoopjoy.scoopjoy.doctype.shopify_payment_method.shopify_payment_method import (
			ShopifyPaymentMethod,
		)
		from scoopjoy.scoopjoy.doctype.shopify_tax_account.shopify_tax_account import ShopifyTaxAccount

		access_token: DF.Password | None
		additional_fees_account: DF.Link | None
		api_url: DF.Data | None
		api_version: DF.Data
		book_in: DF.Literal["Shop currency", "Customer's currency"]
		cash_bank_account: DF.Link | None
		catalog_import_state: DF.LongText | None
		chargeback_account: DF.Link | None
		client_secret: DF.Password | None
		company: DF.Link | None
		cost_center: DF.Link | None
		create_delivery_note: DF.Check
		create_missing_items: DF.Check
		create_sales_invoice: DF.Check
		custom_line_item: DF.Link | None
		customer_group: DF.Link | None
		default_customer: DF.Link | None
		duties_account: DF.Link | None
		enabled: DF.Check
		gift_card_item: DF.Link | None
		import_payouts: DF.Check
		item_group: DF.Link | None
		last_catalog_import_at: DF.Datetime | None
		last_inventory_push_at: DF.Datetime | None
		last_order_sync_at: DF.Data | None
		last_payout_sync_at: DF.Data | None
		last_product_push_at: DF.Datetime | None
		locations: DF.Table[ShopifyLocation]
		new_item_group: DF.Link | None
		notify_customer_of_fulfillment: DF.Check
		number_documents_apart: DF.Check
		payment_fees_account: DF.Link | None
		payment_methods: DF.Table[ShopifyPaymentMethod]
		payout_adjustment_account: DF.Link | None
		payout_bank_account: DF.Link | None
		previous_client_secret: DF.Password | None
		price_list: DF.Link | None
		push_fulfillments: DF.Check
		push_inventory: DF.Check
		push_products: DF.Check
		refund_adjustment_account: DF.Link | None
		refund_item: DF.Link | None
		rounding_account: DF.Link | None
		sales_order_naming_series: DF.Data | None
		sandbox_mode: DF.Check
		shipping_account: DF.Link | None
		shop_domain: DF.Data
		shop_timezone: DF.Data | None
		skip_test_orders: DF.Check
		store_name: DF.Data | None
		stock_uom: DF.Link | None
		sync_orders: DF.Check
		tax_account: DF.Link | None
		tax_accounts: DF.Table[ShopifyTaxAccount]
		tips_account: DF.Link | None
		warehouse: DF.Link | None
		webhook_import_jobs: DF.Int
	# end: auto-generated types

	connector_class = "scoopjoy.connectors.shopify.connector.ShopifyConnector"
	url_fields = ("api_url",)

	@property
	def api_version_status(self) -> str:
		try:
			return version_warning(self.api_version, getdate()) or _("Supported until about {0}.").format(
				version_support_end(self.api_version).isoformat()
			)
		except ValueError as exc:
			return str(exc)

	@property
	def webhook_endpoint(self) -> str:
		from scoopjoy.connectors.shopify.webhook import endpoint_url

		return endpoint_url()

	def before_insert(self):
		# the domain is the record's name: tidied before Frappe names the new store by it
		self.shop_domain = (self.shop_domain or "").strip().lower().removeprefix("https://").strip("/")
		if not self.store_name:
			self.store_name = self.shop_domain.removesuffix(".myshopify.com")

	def validate(self):
		super().validate()
		domain = (self.shop_domain or "").strip().lower()
		if domain.startswith("http://"):
			frappe.throw(
				_(
					"Shop Domain must not use http://: the access token travels with every call. Enter the domain only, e.g. scoopjoy.myshopify.com."
				),
				title=_("Invalid Shop Domain"),
			)
		self.shop_domain = domain.removeprefix("https://").strip("/") or None
		if self.shop_domain and not self.shop_domain.endswith(".myshopify.com") and not self.sandbox_mode:
			frappe.throw(_("Shop Domain must be the store's <store>.myshopify.com domain."))
		self.api_version = (self.api_version or "").strip()
		try:
			warning = version_warning(self.api_version, getdate())
		except ValueError as exc:
			frappe.throw(str(exc), title=_("Invalid API Version"))
		if warning:
			frappe.msgprint(warning, title=_("Shopify API version"), indicator="orange")
		self._validate_accounts()
		self._validate_locations()
		self._validate_items()
		if self.enabled:
			missing = [
				self.meta.get_label(f) for f in ("shop_domain", "company", "warehouse") if not self.get(f)
			]
			if missing:
				frappe.throw(_("Set {0} before enabling the Shopify sync.").format(", ".join(missing)))

	def _validate_accounts(self):
		accounts = [
			(self.meta.get_label(fieldname), self.get(fieldname))
			for fieldname in (
				"tax_account",
				"shipping_account",
				"cash_bank_account",
				"rounding_account",
				"duties_account",
				"additional_fees_account",
				"refund_adjustment_account",
				"tips_account",
			)
		]
		accounts += [
			(_("Tax Accounts row {0}").format(row.idx), row.account) for row in self.tax_accounts or []
		]
		accounts += [
			(_("Payment Methods row {0}").format(row.idx), row.account) for row in self.payment_methods or []
		]
		gateways = [(row.gateway or "").strip().lower() for row in self.payment_methods or []]
		for gateway in {g for g in gateways if gateways.count(g) > 1}:
			frappe.throw(_("Payment Methods: gateway {0} is mapped twice.").format(gateway))
		seen_taxes = set()
		for row in self.tax_accounts or []:
			key = ((row.tax_title or "").strip().lower(), flt(row.tax_rate))
			if key in seen_taxes:
				frappe.throw(_("Tax Accounts row {0}: {1} is mapped twice.").format(row.idx, row.tax_title))
			seen_taxes.add(key)
		for label, account in accounts:
			if not account:
				continue
			is_group, company = frappe.db.get_value("Account", account, ["is_group", "company"])
			if is_group:
				frappe.throw(
					_(
						"{0} {1} is a Group account; choose a leaf account (Payment Entries cannot post to a group)."
					).format(label, account)
				)
			if self.company and company != self.company:
				frappe.throw(
					_("{0} {1} belongs to {2}, not to {3}.").format(label, account, company, self.company)
				)
		for fieldname in ("warehouse",):
			warehouse = self.get(fieldname)
			if warehouse and self.company:
				company = frappe.db.get_value("Warehouse", warehouse, "company")
				if company != self.company:
					frappe.throw(
						_("Warehouse {0} belongs to {1}, not to {2}.").format(
							warehouse, company, self.company
						)
					)

	def _validate_items(self):
		if self.create_missing_items and not self.new_item_group:
			frappe.throw(_("Set the New Item Group of the Items made from Shopify products."))
		for fieldname in ("custom_line_item", "gift_card_item"):
			item = self.get(fieldname)
			if not item:
				continue
			is_stock_item, has_variants = frappe.db.get_value("Item", item, ["is_stock_item", "has_variants"])
			if is_stock_item or has_variants:
				frappe.throw(
					_("{0} {1} must be a non-stock Item that is not a template (Maintain Stock off).").format(
						self.meta.get_label(fieldname), item
					)
				)

	def _validate_locations(self):
		seen = set()
		for row in self.locations or []:
			if row.warehouse in seen:
				frappe.throw(_("Row {0}: warehouse {1} is mapped twice.").format(row.idx, row.warehouse))
			seen.add(row.warehouse)
			if not (legacy_id(row.location_id) or "").isdigit():
				frappe.throw(
					_(
						"Row {0}: '{1}' is not a Shopify location id (gid://shopify/Location/123 or 123)."
					).format(row.idx, row.location_id)
				)
