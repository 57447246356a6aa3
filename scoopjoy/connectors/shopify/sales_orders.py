"""The Sales Order of a Shopify order, its invoice, and what an edit or a cancellation does to them.

The Sales Order is booked once from the order as Shopify has it (its lines, discount, and taxes
and charges per account, less what was refunded before booking); ERPNext's total must be
Shopify's to the cent, or nothing is booked. The invoice is made from it when the order is one a
bookkeeper invoices. An order edited before money or goods moved is booked again (the old Sales
Order and invoice are cancelled, the new one amends them); after that, a changed charge becomes a
debit note (ledger.py) and changed units a dead letter. A cancellation books what really happened:
money the merchant kept stays booked, goods that shipped stay delivered.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import frappe
from frappe.utils import flt

from scoopjoy.connectors.shopify import queries
from scoopjoy.connectors.shopify.accounts import (
	_currency_fields,
	_money_set,
	_require,
	charge_row,
	order_date_of,
	rate_precision,
)
from scoopjoy.connectors.shopify.booking import (
	Booking,
	OrderDoesNotAddUp,
	Slack,
	book_order,
	money,
)
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.customers import _address_for, _customer_for
from scoopjoy.connectors.shopify.items import item_for_line
from scoopjoy.connectors.shopify.mapping import OrderLine, OrderPlan, gid, item_name_for
from scoopjoy.connectors.shopify.stores import number_for_import
from scoopjoy.kernel.errors import RecordError

SALES_ORDER = "Sales Order"

# --- booking the Sales Order ---------------------------------------------------------------------


def _create_sales_order(
	plan: OrderPlan,
	settings,
	node: dict,
	connector: ShopifyConnector | None = None,
	amended_from: str | None = None,
):
	_require(settings, "company", "warehouse")
	refunded, refunded_total = _refunded_before_booking(plan, settings, connector)
	booking = _booking(node, plan, settings, refunded, refunded_total)
	booked_lines = {row.line_item_id: row for row in booking.items}
	items = [
		(line, item_for_line(line, plan, settings, connector))
		for line in plan.lines
		if gid("LineItem", line.line_item_id) in booked_lines
	]
	if not items:
		raise RecordError(f"Shopify order {plan.name} has no line items to import.", service="Shopify")
	customer = _customer_for(plan, settings)
	order_date = order_date_of(node, settings)
	so = frappe.new_doc(SALES_ORDER)
	if settings.sales_order_naming_series:
		so.naming_series = settings.sales_order_naming_series
	so.update(
		{
			"customer": customer,
			"company": settings.company,
			"order_type": "Sales",
			"transaction_date": order_date,
			"delivery_date": order_date,
			"po_no": _customer_reference(plan, settings, customer),
			"ignore_pricing_rule": 1,
			"disable_rounded_total": 1,
			"set_warehouse": settings.warehouse,
			"cost_center": settings.cost_center or None,
			"custom_shopify_store": settings.name,
			"custom_shopify_order_id": plan.order_id,
			"custom_shopify_order_name": plan.name,
			"custom_shopify_updated_at": plan.stamp,
			"amended_from": amended_from,
		}
	)
	so.update(_currency_fields(booking, node, settings, order_date))
	address = _address_for(plan, customer)
	if address:
		so.customer_address = address
		so.shipping_address_name = address
	for line, item_code in items:
		booked = booked_lines[gid("LineItem", line.line_item_id)]
		so.append(
			"items",
			{
				"item_code": item_code,
				"item_name": item_name_for(line.title) if line.title else None,
				"qty": booked.quantity,
				"rate": flt(booked.rate),
				"price_list_rate": flt(booked.rate),
				"delivery_date": order_date,
				"warehouse": settings.warehouse,
				"custom_shopify_line_item_id": line.line_item_id,
			},
		)
	for charge in booking.charges:
		so.append("taxes", charge_row(charge, settings))
	if booking.discount:
		so.apply_discount_on = "Net Total"
		so.discount_amount = flt(booking.discount)
	codes = ", ".join(node.get("discountCodes") or [])
	if codes:
		so.custom_shopify_discount_codes = codes
	number_for_import(so, settings.name)
	so.insert()
	_check_total(so, booking, plan)
	so.submit()
	return so


def _refunded_before_booking(plan: OrderPlan, settings, connector) -> tuple[dict[str, int], Decimal]:
	"""Units and money refunded before the order is booked (read only for such orders)."""
	if not plan.refunds:
		return {}, Decimal("0")
	connector = connector or ShopifyConnector(settings)
	units: dict[str, int] = {}
	total = Decimal("0")
	for refund in plan.refunds:
		details = (
			connector.query(queries.REFUND_DETAILS, {"id": refund["gid"]}, operation="RefundDetails").get(
				"node"
			)
			or {}
		)
		for row in (details.get("refundLineItems") or {}).get("nodes") or []:
			line_id = (row.get("lineItem") or {}).get("id")
			units[line_id] = units.get(line_id, 0) + int(row.get("quantity") or 0)
		total += money(details.get("totalRefundedSet"), _money_set(settings))
	return units, total


def _booking(node: dict, plan: OrderPlan, settings, refunded=None, refunded_total=Decimal("0")) -> Booking:
	which = _money_set(settings)
	try:
		return book_order(
			node, which, refunded=refunded, refunded_total=refunded_total, rate_precision=rate_precision()
		)
	except OrderDoesNotAddUp as error:
		raise RecordError(
			f"{error} Nothing was booked: an amount Shopify added to the total is not yet understood here. "
			"Book this order by hand and mark this dead letter resolved, or report the order.",
			service="Shopify",
		) from error


def _check_total(document, booking: Booking, plan: OrderPlan) -> None:
	"""ERPNext's own total must be Shopify's to the cent; if it is not, nothing is booked."""
	if Decimal(str(flt(document.grand_total, 2))) != booking.expected_total:
		raise RecordError(
			f"Shopify order {plan.name}: ERPNext computes {flt(document.grand_total, 2)} "
			f"{document.currency} but Shopify's total is {booking.expected_total} {booking.currency}. "
			"Nothing was booked; check the order's items and the tax and charge accounts in the Shopify Store.",
			service="Shopify",
		)


def _imported_lines(plan: OrderPlan) -> list[OrderLine]:
	"""The lines that become Sales Order rows: those with units still on the order (an order edit
	lowers ``currentQuantity``; ``quantity`` keeps counting removed units), in Shopify's order;
	tips are a charge of their own, not goods."""
	return [line for line in plan.lines if line.current_quantity > 0 and not line.is_tip]


# --- paid: Sales Invoice -------------------------------------------------------------------------


#: Shopify financial statuses whose order is a sale a bookkeeper invoices: money received, promised
#: (an authorisation) or awaited (cash on delivery, bank deposit). VOIDED and EXPIRED are not.
#: (https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderDisplayFinancialStatus)
INVOICED_STATUSES = frozenset(
	{"PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "REFUNDED", "PENDING", "AUTHORIZED"}
)


def _invoiceable(plan: OrderPlan) -> bool:
	return not plan.is_cancelled and (plan.financial_status in INVOICED_STATUSES or not plan.total)


def _invoice_of(plan: OrderPlan, store: str) -> str | None:
	return frappe.db.get_value(
		"Sales Invoice",
		{
			"custom_shopify_store": store,
			"custom_shopify_order_id": plan.order_id,
			"is_return": 0,
			"docstatus": 1,
		},
	)


def _customer_reference(plan: OrderPlan, settings, customer: str) -> str:
	"""The Sales Order's Customer's PO No: the Shopify order's name (#1001). ERPNext refuses a second
	Sales Order of one customer with the same PO number; two stores' #1001 of one customer (a shared
	default customer) are two orders, so the later one names its store."""
	taken = frappe.db.exists(
		SALES_ORDER,
		{
			"po_no": plan.name,
			"customer": customer,
			"docstatus": ["<", 2],
			"custom_shopify_store": ["!=", settings.name],
		},
	)
	return f"{plan.name} ({settings.store_name or settings.name})" if taken else plan.name


def _ensure_invoice(sales_order, plan: OrderPlan, on_date: date):
	"""The order's one Sales Invoice, dated the order's day (a backfill books last year's sales in
	last year), made from the Sales Order so it carries its currency, rate, taxes and discount."""
	from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

	invoice_name = frappe.db.get_value(
		"Sales Invoice",
		{
			"custom_shopify_store": sales_order.custom_shopify_store,
			"custom_shopify_order_id": plan.order_id,
			"is_return": 0,
			"docstatus": ["<", 2],
		},
	)
	if invoice_name:
		invoice = frappe.get_doc("Sales Invoice", invoice_name)
	else:
		invoice = make_sales_invoice(sales_order.name)
		invoice.custom_shopify_store = sales_order.custom_shopify_store
		invoice.custom_shopify_order_id = plan.order_id
		invoice.disable_rounded_total = 1
		invoice.set_posting_time = 1
		invoice.posting_date = on_date
		invoice.due_date = on_date
		_receivable_in_invoice_currency(invoice, plan)
		number_for_import(invoice, sales_order.custom_shopify_store)
		invoice.insert()
	if invoice.docstatus == 0:
		invoice.submit()
	return invoice


def _receivable_in_invoice_currency(invoice, plan: OrderPlan) -> None:
	"""ERPNext books a customer's invoices on one receivable account, whose currency must be the
	invoice's unless Accounts Settings allow multi-currency invoices against one party account.

	With that setting on, a foreign-currency order posts to the customer's usual (company-currency)
	receivable at the order's rate, so a customer may buy in HKD today and in USD tomorrow. Without
	it, the invoice posts to the company's receivable account in the order's currency; a company
	that has none gets a dead letter saying which of the two to set up.
	"""
	company_currency = frappe.get_cached_value("Company", invoice.company, "default_currency")
	if invoice.currency == company_currency or frappe.db.get_single_value(
		"Accounts Settings", "allow_multi_currency_invoices_against_single_party_account"
	):
		return
	account = frappe.db.get_value(
		"Account",
		{
			"company": invoice.company,
			"account_type": "Receivable",
			"is_group": 0,
			"disabled": 0,
			"account_currency": invoice.currency,
		},
		order_by="lft",
	)
	if not account:
		raise RecordError(
			f"Shopify order {plan.name} is in {invoice.currency} and company {invoice.company} books in "
			f"{company_currency}. ERPNext needs either Accounts Settings > 'Allow multi-currency invoices "
			f"against single party account' switched on (recommended: the customer's receivable stays in "
			f"{company_currency}), or a receivable account in {invoice.currency} for {invoice.company}. "
			"Set up one of them, then retry this dead letter.",
			service="Shopify",
		)
	invoice.debit_to = account


# --- edited since booking: booked again, or a dead letter ----------------------------------------


def _edited_since_booking(sales_order, plan: OrderPlan, settings, connector, node: dict) -> bool:
	"""An order edit since booking: its lines' units or its shipping changed."""
	return _charges_changed(sales_order, node, settings) or _lines_edited(
		sales_order, plan, settings, connector
	)


def _lines_edited(sales_order, plan: OrderPlan, settings, connector) -> bool:
	"""Shopify's lines no longer match the booked rows: an order edit added or removed units.

	Refunds lower ``currentQuantity`` too, and are credit notes, not edits: a booked row must equal
	the line's units still on the order plus those refunded (read from the refunds only when the
	quick look at the order's lines differs)."""
	rows = {
		row.custom_shopify_line_item_id: row
		for row in sales_order.items
		if row.get("custom_shopify_line_item_id")
	}
	if not rows:
		return False  # booked before line ids were stored: nothing to compare

	def differs(refunded: dict[str, int]) -> bool:
		wanted = {
			line.line_item_id: line.current_quantity + refunded.get(gid("LineItem", line.line_item_id), 0)
			for line in plan.lines
			if not line.is_tip
		}
		wanted = {line_id: qty for line_id, qty in wanted.items() if qty > 0}
		return any(flt(wanted.get(line_id, 0)) != flt(row.qty) for line_id, row in rows.items()) or any(
			line_id not in rows for line_id in wanted
		)

	if not differs({}):
		return False
	return not plan.refunds or differs(_refunded_before_booking(plan, settings, connector)[0])


def _moved(sales_order, plan: OrderPlan) -> bool:
	"""Money or goods moved since the order was booked: a payment, a credit note or a delivery."""
	invoice_name = _invoice_of(plan, sales_order.custom_shopify_store)
	return bool(
		frappe.db.exists("Delivery Note Item", {"against_sales_order": sales_order.name, "docstatus": 1})
		or (invoice_name and _money_moved(frappe.get_doc("Sales Invoice", invoice_name)))
	)


def _charges_changed(sales_order, node: dict, settings) -> bool:
	"""An order edit changed what the order charges (shipping added or repriced, a fee): the booked
	total is no longer Shopify's current total plus what its refunds gave back. Refunds (of
	shipping, tips, duties, amounts) lower the one as much as they raise the other, so they never
	look like an edit, and remapping accounts in the Shopify Store changes nothing here."""
	which = _money_set(settings)
	refunds = node.get("refunds") or []
	now = money(node.get("currentTotalPriceSet") or node.get("totalPriceSet"), which) + sum(
		(money(refund.get("totalRefundedSet"), which) for refund in refunds), Decimal("0")
	)
	# Shopify converts the current total and each refund on its own: in the shop's money of a
	# foreign-currency order they miss the booked total by up to half a cent each
	slack = Slack.of(node, which)
	slack.bags(1 + len(refunds))
	return abs(Decimal(str(flt(sales_order.grand_total, 2))) - now) > slack.total


def _rebook_edited(sales_order, plan: OrderPlan, settings, node: dict, connector):
	"""An edited order nobody has paid or received yet is booked again from its current state (the
	old Sales Order and its invoice are cancelled, the new one amends it). Once money or goods have
	moved, units added or removed are for a person to decide: the dead letter names the edit (a
	changed charge alone becomes a debit note instead: ledger.ensure_charge_adjustment)."""
	invoice_name = _invoice_of(plan, settings.name)
	invoice = frappe.get_doc("Sales Invoice", invoice_name) if invoice_name else None
	if _moved(sales_order, plan):
		raise RecordError(
			f"Shopify order {plan.name} was edited after Sales Order {sales_order.name} was booked, and "
			"money or goods have moved since (a payment, a credit note or a delivery). The Sales Order "
			"is not changed automatically; amend it and its invoice by hand, then mark this dead "
			"letter resolved.",
			service="Shopify",
		)
	if invoice:
		_cancel(invoice, plan)
	previous = frappe.get_doc(SALES_ORDER, sales_order.name)
	_cancel(previous, plan)
	# the Shopify order id is unique in its store: the cancelled version lets go of it for its amendment
	previous.db_set("custom_shopify_order_id", None, update_modified=False)
	rebooked = _create_sales_order(plan, settings, node, connector, amended_from=previous.name)
	return rebooked


# --- cancelled -----------------------------------------------------------------------------------


def _settle_cancelled(sales_order, plan: OrderPlan, invoice) -> None:
	"""Book what a cancellation really did. Money Shopify refunded is already credited and paid out
	(the refunds); money the merchant kept stays booked; goods that shipped stay delivered. An
	invoice nobody paid anything on is cancelled; the Sales Order is cancelled when nothing hangs on
	it any more, else closed."""
	invoice = frappe.get_doc("Sales Invoice", invoice.name) if invoice else None
	if invoice and invoice.docstatus == 1 and not _money_moved(invoice):
		_cancel(invoice, plan)
		invoice = None
	delivered = frappe.db.exists(
		"Delivery Note Item", {"against_sales_order": sales_order.name, "docstatus": 1}
	)
	sales_order = frappe.get_doc(SALES_ORDER, sales_order.name)  # cancelling the invoice moved it
	if invoice or delivered or _invoice_of(plan, sales_order.custom_shopify_store):
		if sales_order.status != "Closed":
			sales_order.update_status("Closed")
	else:
		_cancel(sales_order, plan)


def _money_moved(invoice) -> bool:
	"""A payment, journal entry or credit note against the invoice: then it tells what happened."""
	return bool(
		frappe.db.exists(
			"Payment Entry Reference",
			{"reference_doctype": "Sales Invoice", "reference_name": invoice.name, "docstatus": 1},
		)
		or frappe.db.exists(
			"Journal Entry Account",
			{"reference_type": "Sales Invoice", "reference_name": invoice.name, "docstatus": 1},
		)
		or frappe.db.exists("Sales Invoice", {"return_against": invoice.name, "docstatus": 1})
	)


def _cancel(doc, plan: OrderPlan) -> None:
	try:
		doc.cancel()
	except frappe.ValidationError as exc:
		raise RecordError(
			f"Shopify cancelled order {plan.name}, but ERPNext could not cancel {doc.doctype} {doc.name}: "
			f"{frappe.utils.strip_html(str(exc))}. Cancel it by hand (or fix the cause), then retry "
			"this dead letter.",
			service="Shopify",
		) from exc
