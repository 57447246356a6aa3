"""Which money an order is booked in, at which rate and date, and on which accounts.

Shared by the Sales Order (sales_orders.py) and the invoice's later documents (ledger.py): the
money set the Shopify Store book in (the shop's currency or the customer's), the decimals a row's
rate keeps, the currency fields and exchange rate of a document, the order's day in the shop's
time zone, and the account each charge (tax, shipping, tip, duty, fee, rounding) is booked on.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import frappe
from frappe import _
from frappe.utils import flt

from scoopjoy.connectors.shopify.booking import (
	PRESENTMENT_MONEY,
	SHOP_MONEY,
	Booking,
	ChargeRow,
	currency_of,
	money,
	tax_key,
)
from scoopjoy.connectors.shopify.mapping import parse_time
from scoopjoy.kernel.errors import ConfigError, RecordError

# --- settings an order needs ---------------------------------------------------------------------


def _require(settings, *fieldnames: str) -> None:
	missing = [settings.meta.get_label(f) for f in fieldnames if not settings.get(f)]
	if missing:
		raise ConfigError(
			_("The Shopify Store is missing {0}: orders cannot be imported until it is set.").format(
				", ".join(missing)
			),
			service="Shopify",
		)


# --- money set, rate, currency, dates ------------------------------------------------------------


def _money_set(settings) -> str:
	return PRESENTMENT_MONEY if settings.book_in == "Customer's currency" else SHOP_MONEY


def rate_precision() -> int:
	"""Decimals ERPNext keeps in a Sales Order row's rate (what a net unit price can carry)."""
	from frappe.model.meta import get_field_precision

	return get_field_precision(frappe.get_meta("Sales Order Item").get_field("rate"))


def _currency_fields(booking: Booking, node: dict, settings, on_date: date) -> dict:
	"""Currency, an explicit exchange rate and a price list that never asks for another rate."""
	company_currency = frappe.get_cached_value("Company", settings.company, "default_currency")
	rate = conversion_rate(booking, node, company_currency, on_date)
	price_list = settings.price_list
	if not price_list:
		raise ConfigError(_("The Shopify Store has no Price List."), service="Shopify")
	price_list_currency = frappe.get_cached_value("Price List", price_list, "currency")
	if price_list_currency == booking.currency:
		plc_rate = rate
	elif price_list_currency == company_currency:
		plc_rate = 1
	else:
		raise ConfigError(
			_(
				"Shopify Store: Price List {0} is in {1}, neither the order's currency ({2}) nor the "
				"company's ({3}). Choose a selling Price List in {3} or {2}."
			).format(price_list, price_list_currency, booking.currency, company_currency),
			service="Shopify",
		)
	return {
		"currency": booking.currency,
		"conversion_rate": rate,
		"selling_price_list": price_list,
		"price_list_currency": price_list_currency,
		"plc_conversion_rate": plc_rate,
	}


def conversion_rate(booking: Booking, node: dict, company_currency: str, on_date: date) -> float:
	"""Rate from the booked currency to the company's: 1; else Shopify's own, where the order's other
	money set is in the company's currency; else the Currency Exchange record of the order date."""
	if booking.currency == company_currency:
		return 1.0
	booked = SHOP_MONEY if booking.currency == node.get("currencyCode") else PRESENTMENT_MONEY
	other = PRESENTMENT_MONEY if booked == SHOP_MONEY else SHOP_MONEY
	total = node.get("currentTotalPriceSet") or node.get("totalPriceSet")
	if currency_of(total, other) == company_currency and money(total, booked):
		return float(money(total, other) / money(total, booked))
	rate = frappe.db.get_value(
		"Currency Exchange",
		{
			"from_currency": booking.currency,
			"to_currency": company_currency,
			"date": ("<=", on_date),
			"for_selling": 1,
		},
		"exchange_rate",
		order_by="date desc",
	)
	if not rate:
		raise RecordError(
			f"Shopify order {node.get('name')} is in {booking.currency}, the company books in "
			f"{company_currency}, and there is no Currency Exchange record from {booking.currency} to "
			f"{company_currency} on or before {on_date}. Create one (Accounting > Currency Exchange, "
			"For Selling), then retry this dead letter.",
			service="Shopify",
		)
	return flt(rate)


def order_date_of(node: dict, settings) -> date:
	"""The day the order was processed, in the shop's time zone (a 01:00 Hong Kong order is that
	day's, not the UTC day before; a backfilled order keeps its own date)."""
	moment = parse_time(node.get("processedAt") or node.get("createdAt"))
	return moment.astimezone(shop_timezone(settings)).date()


def shop_timezone(settings) -> ZoneInfo:
	name = settings.shop_timezone or frappe.utils.get_system_timezone()  # before Shopify said
	try:
		return ZoneInfo(name)
	except (ZoneInfoNotFoundError, ValueError) as error:
		raise ConfigError(
			_("Shopify Store: '{0}' is not a time zone (use an IANA name such as Asia/Hong_Kong).").format(
				name
			),
			service="Shopify",
		) from error


# --- charges and their accounts ------------------------------------------------------------------


def charge_row(charge: ChargeRow, settings) -> dict:
	return {
		"charge_type": "Actual",
		"account_head": _charge_account(charge, settings),
		"description": charge.description,
		"tax_amount": flt(charge.amount),
		"cost_center": settings.cost_center or None,
	}


def _charge_account(charge: ChargeRow, settings) -> str:
	if charge.kind == "tax":
		return tax_account_for(settings, charge.tax_title, charge.tax_key)
	if charge.kind == "rounding":
		account = settings.rounding_account or frappe.get_cached_value(
			"Company", settings.company, "round_off_account"
		)
		if account:
			return account
	fieldname = CHARGE_ACCOUNT_FIELDS[charge.kind]
	_require(settings, fieldname)
	return settings.get(fieldname)


#: the Shopify Store field that holds the account of each kind of charge
CHARGE_ACCOUNT_FIELDS = {
	"shipping": "shipping_account",
	"tip": "tips_account",
	"duty": "duties_account",
	"fee": "additional_fees_account",
	"rounding": "rounding_account",
}


def tax_account_for(settings, title: str, key: str) -> str:
	"""The account of a Shopify tax: its title and rate's row, else its title's row (no rate), else
	the default Tax Account."""
	same_title = [
		row
		for row in settings.get("tax_accounts") or []
		if row.tax_title.strip().lower() == title.strip().lower()
	]
	for row in same_title:
		if row.tax_rate and tax_key(row.tax_title, Decimal(str(row.tax_rate)) / 100) == key:
			return row.account
	for row in same_title:
		if not row.tax_rate:
			return row.account
	if settings.tax_account:
		return settings.tax_account
	raise ConfigError(
		_(
			"Shopify tax '{0}' has no account: add it to the Tax Accounts table in the Shopify Store (or set a "
			"default Tax Account), then retry the dead letters."
		).format(key),
		service="Shopify",
	)
