"""What happened to a Shopify order's money, in ERPNext: one payment per captured transaction, one
credit note per refund for exactly what it gave back, and the refund's payment.

- Every successful SALE or CAPTURE becomes a Payment Entry on the account its gateway is mapped to
  in the Shopify Store (Payment Methods), dated the day it was processed in the shop's time zone. An
  authorisation is not money yet; an order awaiting cash on delivery or a bank deposit keeps its
  invoice outstanding. A gateway mapped to an account that is not Bank or Cash (a gift card
  liability) is booked with a Journal Entry instead: redeeming a gift card is not cash.
- A refund becomes a credit note against the order's invoice: the returned units at the rates they
  were booked at (their discount share as the credit note's discount), the tax and shipping it gave
  back on their own rows, and what Shopify paid back differently (a restocking fee kept, an
  amount-only refund) on the refund adjustment account or item. Its REFUND transactions pay it out.
- Each payment carries its Shopify transaction id and each credit note its refund id, so applying
  the same order again books nothing twice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import flt

from scoopjoy.connectors.shopify import queries
from scoopjoy.connectors.shopify.accounts import charge_row
from scoopjoy.connectors.shopify.booking import (
	LIABILITY_GATEWAYS,
	PRESENTMENT_MONEY,
	RECEIVED_KINDS,
	REFUND_KIND,
	SHOP_MONEY,
	RefundBooking,
	RefundDoesNotAddUp,
	Transaction,
	book_order,
	book_refund,
	money,
	refund_paid_out,
	settles_the_order,
	transactions,
)
from scoopjoy.connectors.shopify.mapping import gid, parse_time
from scoopjoy.connectors.shopify.stores import number_for_import
from scoopjoy.kernel.errors import ConfigError, RecordError

#: a remainder this small (in the party account's currency) is the last payment's rounding, not a debt
ROUNDING = 0.01


# --- payments -------------------------------------------------------------------------------------


def debit_notes_of(invoice) -> list[str]:
	"""Debit notes against the invoice: money an order edit added after the invoice was paid."""
	return frappe.get_all(
		"Sales Invoice",
		filters={"return_against": invoice.name, "is_debit_note": 1, "docstatus": 1},
		pluck="name",
		order_by="creation",
	)


def ensure_charge_adjustment(invoice, booking, settings, on_date) -> None:
	"""An order edit changed the shipping (or another charge) after money moved: the invoice stands,
	and a **debit note** against it carries what Shopify now charges more, per account (shipping,
	its tax on the tax account, the rounding), so the invoice and its debit notes come to Shopify's
	total and the customer's further payment has a document to settle. Computed from what is booked,
	so applying the order again books nothing twice. A charge lowered after payment is Shopify's to
	refund (a refund, then a credit note); it is dead-lettered until then, never guessed."""
	wanted: dict[str, Decimal] = {}
	for charge in booking.charges:
		account = charge_row(charge, settings)["account_head"]
		wanted[account] = wanted.get(account, Decimal("0")) + charge.amount
	booked: dict[str, Decimal] = {}
	for name in [invoice.name, *debit_notes_of(invoice)]:
		for row in frappe.get_all(
			"Sales Taxes and Charges",
			filters={"parent": name, "parenttype": "Sales Invoice"},
			fields=["account_head", "tax_amount"],
		):
			booked[row.account_head] = booked.get(row.account_head, Decimal("0")) + Decimal(
				str(flt(row.tax_amount, 2))
			)
	more = {a: wanted.get(a, Decimal("0")) - booked.get(a, Decimal("0")) for a in {*wanted, *booked}}
	more = {account: amount for account, amount in more.items() if amount}
	if not sum(more.values(), Decimal("0")):
		return  # nothing more is charged (accounts remapped in Settings move nothing booked)
	if sum(more.values(), Decimal("0")) < 0:
		raise RecordError(
			f"An order edit in Shopify lowered the charges of invoice {invoice.name} by "
			f"{-sum(more.values(), Decimal('0'))} {invoice.currency} after it was paid; Shopify pays that back "
			"with a refund, which becomes a credit note. Retry this dead letter once the refund is made, "
			"or book the change by hand and mark it resolved.",
			service="Shopify",
		)
	if not settings.refund_item:
		raise ConfigError(
			_(
				"A Shopify order edit added {0} {1} of charges to invoice {2} after it was paid: the debit "
				"note for it needs an item row. Set a Refund Item (a non-stock service item) in Shopify "
				"Settings, then retry the dead letter."
			).format(sum(more.values(), Decimal("0")), invoice.currency, invoice.name),
			service="Shopify",
		)
	note = frappe.new_doc("Sales Invoice")
	note.update(
		{
			field: invoice.get(field)
			for field in (
				"company",
				"customer",
				"currency",
				"conversion_rate",
				"selling_price_list",
				"price_list_currency",
				"plc_conversion_rate",
				"debit_to",
				"cost_center",
				"customer_address",
				"shipping_address_name",
				# the store (not the order id: _invoice_of must not take a debit note for the invoice)
				"custom_shopify_store",
			)
		}
	)
	note.update(
		{
			"is_debit_note": 1,
			"return_against": invoice.name,
			"update_outstanding_for_self": 1,
			"disable_rounded_total": 1,
			"ignore_pricing_rule": 1,
			"set_posting_time": 1,
			"posting_date": on_date,
			"due_date": on_date,
			"remarks": _("Shopify order edit after payment: charges added to {0}").format(invoice.name),
		}
	)
	note.append(
		"items",
		{
			"item_code": settings.refund_item,
			"qty": 0,
			"rate": 0,
			"uom": frappe.get_cached_value("Item", settings.refund_item, "stock_uom"),
			"conversion_factor": 1,
			"income_account": invoice.items[0].income_account,
			"cost_center": invoice.items[0].cost_center,
		},
	)
	for account, amount in more.items():
		note.append(
			"taxes",
			{
				"charge_type": "Actual",
				"account_head": account,
				"description": _("Shopify order edit"),
				"tax_amount": flt(amount),
				"cost_center": settings.cost_center or invoice.items[0].cost_center,
			},
		)
	note.insert()
	note.submit()


def ensure_payments(invoice, order: dict, settings, which: str, timezone) -> None:
	"""A payment for each captured transaction not booked yet, against the order's invoice. The
	transaction with which the customer has paid all the order asks (in their own money) takes
	whatever the invoice still has outstanding."""
	found = transactions(order.get("transactions"), which)
	for transaction in found:
		if transaction.kind not in RECEIVED_KINDS or transaction_booked(settings.name, transaction):
			continue
		# the invoice first, then the debit notes of edits made after it was paid
		open_documents = [
			doc
			for doc in (
				frappe.get_doc("Sales Invoice", name) for name in [invoice.name, *debit_notes_of(invoice)]
			)
			if flt(doc.outstanding_amount) > 0
		]
		if not open_documents:
			frappe.logger("scoopjoy").info(
				f"Shopify: transaction {transaction.transaction_id} of {invoice.name} finds nothing outstanding"
			)
			continue
		settles = settles_the_order(order, found, transaction)
		document, *others = open_documents
		_book_transaction(
			document, transaction, settings, timezone, order=order, settles=settles, others=others
		)


def pay_out_refund(
	credit_note,
	refund_transactions: list[Transaction],
	settings,
	timezone,
	order: dict | None = None,
	refund: dict | None = None,
) -> None:
	"""The money a refund gave back, against its credit note. The REFUND transaction with which all
	of it is paid out settles the credit note: an exchange difference or a cash rounding is a
	deduction, as for a payment; a part still pending waits for its own transaction."""
	for transaction in refund_transactions:
		if transaction.kind != REFUND_KIND or transaction_booked(settings.name, transaction):
			continue
		credit_note.reload()
		if flt(credit_note.outstanding_amount) >= 0:
			continue
		settles = bool(refund) and refund_paid_out(refund, refund_transactions, transaction)
		_book_transaction(credit_note, transaction, settings, timezone, order=order, settles=settles)


def transaction_booked(store: str, transaction: Transaction) -> bool:
	return any(
		frappe.db.exists(
			doctype,
			{
				"custom_shopify_store": store,
				"custom_shopify_transaction_id": transaction.transaction_id,
				"docstatus": 1,
			},
		)
		for doctype in ("Payment Entry", "Journal Entry")
	)


def gateway_account(settings, gateway: str) -> tuple[str, str | None]:
	"""(account, mode of payment) of a Shopify gateway: its Payment Methods row, else the default."""
	for row in settings.get("payment_methods") or []:
		if (row.gateway or "").strip().lower() == gateway:
			if gateway in LIABILITY_GATEWAYS and frappe.get_cached_value(
				"Account", row.account, "account_type"
			) in ("Bank", "Cash"):
				raise ConfigError(
					_(
						"Shopify Store > Payment Methods maps the gateway {0} to {1}, a Bank or Cash "
						"account: {0} is money the shop owes its customer (a gift card or store credit), "
						"not cash. Map it to the liability account, then retry the dead letters."
					).format(gateway, row.account),
					service="Shopify",
				)
			return row.account, row.mode_of_payment
	if gateway in LIABILITY_GATEWAYS:
		raise ConfigError(
			_(
				"A Shopify order was paid with {0}, and Shopify Store > Payment Methods has no row for "
				"the gateway {0}. Add one with the liability account it is owed on (a gift card or store "
				"credit spent is not cash), then retry the dead letters."
			).format(gateway),
			service="Shopify",
		)
	if not settings.cash_bank_account:
		raise ConfigError(
			_("The Shopify Store has no Cash / Bank Account for gateway {0}.").format(gateway),
			service="Shopify",
		)
	return settings.cash_bank_account, None


def _book_transaction(
	invoice,
	transaction: Transaction,
	settings,
	timezone,
	order: dict | None = None,
	settles: bool = False,
	others: list | None = None,
) -> None:
	"""One payment (or journal entry) for a transaction. ``settles``: the customer has paid all the
	order asks in their own money, so a foreign-currency order's invoice is settled whatever the
	shop money says (the difference is exchange). ``others``: further open documents of the order
	(debit notes) the payment also settles, in turn, with what is left of it."""
	account, mode_of_payment = gateway_account(settings, transaction.gateway)
	on_date = local_date(transaction.processed_at, timezone) or invoice.posting_date
	outstanding = abs(flt(invoice.outstanding_amount))
	amount = _in_party_currency(invoice, transaction.amount)
	foreign = bool(order) and order.get("presentmentCurrencyCode") not in (None, order.get("currencyCode"))
	# None: all that is left
	party_amount = None if (settles and foreign) or amount >= outstanding - ROUNDING else amount
	further = []
	left = amount - outstanding
	for other in others or []:
		due = flt(other.outstanding_amount)
		take = due if settles and foreign else min(due, flt(left, 2))
		if take <= 0:
			break
		further.append((other, take))
		left -= take
	arrived, deductions = (
		_differences(invoice, transaction, account, party_amount, settings, order, further)
		if order
		else (None, [])
	)
	if frappe.get_cached_value("Account", account, "account_type") in ("Bank", "Cash"):
		_payment_entry(
			settings.name,
			invoice,
			transaction,
			account,
			mode_of_payment,
			party_amount,
			on_date,
			arrived,
			deductions,
			further,
		)
	else:
		_journal_entry(
			invoice, transaction, account, party_amount or outstanding, on_date, settings, arrived, deductions
		)


def _differences(
	invoice, transaction: Transaction, account: str, party_amount, settings, order: dict, further=()
) -> tuple[Decimal | None, list[dict]]:
	"""What reached the account differs from what the payment settles of the invoice: Shopify
	converted the customer's payment at its own time and rate (an exchange gain or loss, from the
	transaction's shop money), and a cash drawer took a rounded amount (POS cash rounding). Each
	difference is a Payment Entry deduction on its own account, in the company's currency, so the
	bank gets exactly what arrived and the invoice is settled. Known only where the account is in
	the company's currency and Shopify gives the money in it (the shop's or the customer's).
	Returns what arrived (company currency) and the deductions; (None, []) where it is not known."""
	company = invoice.company
	company_currency = frappe.get_cached_value("Company", company, "default_currency")
	if frappe.get_cached_value("Account", account, "account_currency") != company_currency:
		return None, []
	shop_currency = order.get("currencyCode")
	if shop_currency == company_currency:
		arrived = transaction.shop_amount
	elif order.get("presentmentCurrencyCode") == company_currency:
		arrived = transaction.presentment_amount
	else:
		return None, []
	party_currency = frappe.get_cached_value("Account", invoice.debit_to, "account_currency")
	party_rate = 1 if party_currency == company_currency else flt(invoice.conversion_rate)
	allocated = party_amount if party_amount is not None else abs(flt(invoice.outstanding_amount))
	allocated += sum(take for _other, take in further)
	settled = Decimal(str(flt(flt(allocated) * party_rate, 2)))
	cost_center = settings.cost_center or frappe.get_cached_value("Company", company, "cost_center")
	# a deduction is what the voucher's party side settles beyond what moved through the account
	# (ERPNext: Receive allocated - received, Pay paid - allocated); positive is a loss
	sign = -1 if invoice.is_return else 1
	deductions = []
	if transaction.rounding and shop_currency == company_currency:
		deductions.append(
			{
				"account": settings.rounding_account
				or frappe.get_cached_value("Company", company, "round_off_account"),
				"cost_center": cost_center,
				"amount": flt(-transaction.rounding * sign),
				"description": _("Cash rounding of Shopify transaction {0}").format(
					transaction.transaction_id
				),
			}
		)
	exchange = (settled - arrived) * sign
	if order.get("presentmentCurrencyCode") in (None, shop_currency):
		# one currency: no exchange. Paid more than is due stays unallocated (the customer's
		# advance); a last cent short is the payment's rounding
		if 0 < exchange * sign <= Decimal(str(ROUNDING)):
			deductions.append(
				{
					"account": settings.rounding_account
					or frappe.get_cached_value("Company", company, "round_off_account"),
					"cost_center": cost_center,
					"amount": flt(exchange),
					"description": _("Rounding of Shopify transaction {0}").format(
						transaction.transaction_id
					),
				}
			)
		exchange = 0
	if exchange:
		gain_loss = frappe.get_cached_value("Company", company, "exchange_gain_loss_account")
		if not gain_loss:
			raise ConfigError(
				_(
					"Shopify transaction {0} settled {1} {2} of invoice {3} and {4} {2} arrived: the "
					"difference is an exchange gain or loss, and company {5} has no Exchange Gain / Loss "
					"Account. Set it on the Company, then retry the dead letter."
				).format(
					transaction.transaction_id, settled, company_currency, invoice.name, arrived, company
				),
				service="Shopify",
			)
		deductions.append(
			{
				"account": gain_loss,
				"cost_center": cost_center,
				"amount": flt(exchange),
				"description": _("Exchange difference of Shopify transaction {0}").format(
					transaction.transaction_id
				),
			}
		)
	if transaction.rounding and shop_currency == company_currency:
		arrived += transaction.rounding
	return arrived, deductions


def _in_party_currency(invoice, amount: Decimal) -> float:
	"""A transaction's amount (invoice currency) in the currency of the invoice's receivable account."""
	party_currency = frappe.get_cached_value("Account", invoice.debit_to, "account_currency")
	if party_currency == invoice.currency:
		return flt(amount, 2)
	return flt(flt(amount) * flt(invoice.conversion_rate), 2)


def _payment_entry(
	store: str,
	invoice,
	transaction: Transaction,
	account,
	mode_of_payment,
	party_amount,
	on_date,
	arrived: Decimal | None = None,
	deductions=(),
	further=(),
) -> None:
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	payment = get_payment_entry(
		"Sales Invoice", invoice.name, party_amount=party_amount, bank_account=account
	)
	for other, take in further:
		payment.append(
			"references",
			{
				"reference_doctype": "Sales Invoice",
				"reference_name": other.name,
				"due_date": other.due_date,
				"total_amount": flt(other.grand_total),
				"outstanding_amount": flt(other.outstanding_amount),
				"allocated_amount": flt(take),
				"exchange_rate": flt(other.conversion_rate),
			},
		)
	if arrived is not None:
		# the account gets what arrived; the documents are settled by that plus the differences
		# (what arrived beyond them stays unallocated: the customer's advance)
		allocated = sum(flt(row.allocated_amount) for row in payment.references)
		if payment.paid_from_account_currency == payment.paid_to_account_currency:
			payment.paid_amount = payment.received_amount = flt(arrived, 2)
		elif payment.payment_type == "Pay":  # a refund: from the account, to the receivable
			payment.paid_amount, payment.source_exchange_rate = flt(arrived, 2), 1
			payment.received_amount = abs(allocated)
			payment.target_exchange_rate = flt(invoice.conversion_rate)
		else:
			payment.paid_amount = allocated
			payment.source_exchange_rate = flt(invoice.conversion_rate)
			payment.received_amount = flt(arrived, 2)
			payment.target_exchange_rate = 1
		for row in deductions:
			payment.append("deductions", row)
	payment.update(
		{
			"posting_date": on_date,
			"reference_no": transaction.transaction_id,
			"reference_date": on_date,
			"mode_of_payment": mode_of_payment,
			"custom_shopify_store": store,  # the document paid may be a debit note of the order
			"custom_shopify_transaction_id": transaction.transaction_id,
			"remarks": _("Shopify {0} {1} via {2}").format(
				transaction.kind.lower(), transaction.transaction_id, transaction.gateway
			),
		}
	)
	number_for_import(payment, store)
	payment.insert()
	payment.submit()


def _journal_entry(
	invoice, transaction: Transaction, account, party_amount, on_date, settings, arrived=None, deductions=()
) -> None:
	"""Money that is not cash (a gift card redeemed or refunded): account against the receivable.
	The liability moves by what the transaction was worth in the shop's money (``arrived``); an
	exchange difference against the invoice goes on its own row, as on a Payment Entry."""
	company_currency = frappe.get_cached_value("Company", invoice.company, "default_currency")
	party_currency = frappe.get_cached_value("Account", invoice.debit_to, "account_currency")
	rate = 1 if party_currency == company_currency else flt(invoice.conversion_rate)
	base = flt(party_amount * rate, 2) if arrived is None else flt(arrived, 2)
	receiving = not invoice.is_return  # a sale reduces the receivable; a refund raises it again
	entry = frappe.new_doc("Journal Entry")
	entry.update(
		{
			"voucher_type": "Journal Entry",
			"company": invoice.company,
			"posting_date": on_date,
			"multi_currency": int(party_currency != company_currency),
			"cheque_no": transaction.transaction_id,
			"cheque_date": on_date,
			"custom_shopify_store": settings.name,
			"custom_shopify_transaction_id": transaction.transaction_id,
			"user_remark": _("Shopify {0} {1} via {2} ({3})").format(
				transaction.kind.lower(), transaction.transaction_id, transaction.gateway, invoice.name
			),
		}
	)
	cost_center = settings.cost_center or frappe.get_cached_value("Company", invoice.company, "cost_center")
	entry.append(
		"accounts",
		{
			"account": account,
			"cost_center": cost_center,
			("debit_in_account_currency" if receiving else "credit_in_account_currency"): base,
		},
	)
	entry.append(
		"accounts",
		{
			"account": invoice.debit_to,
			"party_type": "Customer",
			"party": invoice.customer,
			"exchange_rate": rate,
			"cost_center": cost_center,
			"reference_type": "Sales Invoice",
			"reference_name": invoice.name,
			("credit_in_account_currency" if receiving else "debit_in_account_currency"): party_amount,
		},
	)
	for row in deductions:  # a difference settled by the receivable, not the liability
		loss = flt(row["amount"])  # positive: a loss, whichever way the money went
		entry.append(
			"accounts",
			{
				"account": row["account"],
				"cost_center": row["cost_center"],
				("debit_in_account_currency" if loss > 0 else "credit_in_account_currency"): abs(loss),
				"user_remark": row["description"],
			},
		)
	entry.insert()
	entry.submit()


def local_date(moment: str | None, timezone) -> date | None:
	parsed = parse_time(moment)
	return parsed.astimezone(timezone).date() if parsed else None


# --- refunds --------------------------------------------------------------------------------------


class RefundDetails:
	"""What each refund gave back and restocked (query REFUND_DETAILS), read at most once per import
	and shared by its credit notes and its returns of stock."""

	def __init__(self, connector, refunds: list[dict]):
		self.connector, self.refunds, self._read = connector, refunds, {}

	def of(self, refund: dict) -> dict:
		if refund["refund_id"] not in self._read:
			self._read[refund["refund_id"]] = (
				self.connector.query(
					queries.REFUND_DETAILS, {"id": refund["gid"]}, operation="RefundDetails"
				).get("node")
				or {}
			)
		return self._read[refund["refund_id"]]

	def every(self) -> list[dict]:
		return [self.of(refund) for refund in self.refunds]


def ensure_credit_notes(
	invoice,
	order: dict,
	refunds: list[dict],
	settings,
	refund_details: RefundDetails,
	which: str,
	timezone,
	rate_precision=2,
):
	"""One credit note per refund not booked yet, then the refund's payment. Each credits its units
	at the rates the invoice booked them at, with their share of the order's booked discount and
	rounding (the order's booking, as it was made: every refund's units counted back)."""
	booking = None
	for refund in refunds:
		refund_id = refund["refund_id"]
		details = refund_details.of(refund)
		note_name = frappe.db.get_value(
			"Sales Invoice",
			{"custom_shopify_store": settings.name, "custom_shopify_refund_id": refund_id, "docstatus": 1},
		)
		if not note_name:
			if booking is None:
				booking = _order_as_booked(order, refund_details.every(), which, rate_precision)
			rates = {
				gid("LineItem", row.custom_shopify_line_item_id): Decimal(str(flt(row.rate)))
				for row in _invoice_rows(invoice)
			}
			try:
				credit = book_refund(details, order, which, booking, rates, rate_precision)
			except RefundDoesNotAddUp as error:
				raise RecordError(
					f"{error} Nothing was credited; book this refund by hand and mark the dead letter resolved.",
					service="Shopify",
				) from error
			if credit.credits_nothing:
				continue  # free units back, no money: nothing to credit (Shopify keeps the refund)
			note = _credit_note(invoice, credit, details, settings, timezone, charge_row)
			note.custom_shopify_refund_id = refund_id
			note.insert()
			_check_refund_total(note, credit, order, refund_id)
			note.submit()
		else:
			note = frappe.get_doc("Sales Invoice", note_name)
		pay_out_refund(
			note, transactions(details.get("transactions"), which), settings, timezone, order, details
		)


def _order_as_booked(order: dict, refund_details: list[dict], which: str, rate_precision: int):
	"""The order's booking as it was made: the units every refund took back counted as sold."""
	units: dict[str, int] = {}
	for details in refund_details:
		for row in (details.get("refundLineItems") or {}).get("nodes") or []:
			line_id = (row.get("lineItem") or {}).get("id")
			units[line_id] = units.get(line_id, 0) + int(row.get("quantity") or 0)
	refunded = sum((money(d.get("totalRefundedSet"), which) for d in refund_details), Decimal("0"))
	return book_order(order, which, refunded=units, refunded_total=refunded, rate_precision=rate_precision)


def _invoice_rows(invoice) -> list:
	"""The Sales Order rows of the invoice's items, with their Shopify line item ids."""
	return frappe.get_all(
		"Sales Order Item",
		filters={"parent": invoice.items[0].sales_order},
		fields=["name", "rate", "custom_shopify_line_item_id"],
	)


def _credit_note(invoice, credit: RefundBooking, details: dict, settings, timezone, charge_row):
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

	note = make_sales_return(invoice.name)
	rows = {row.so_detail: row for row in note.items}
	so_rows = {
		gid("LineItem", r.custom_shopify_line_item_id): r.name
		for r in _invoice_rows(invoice)
		if r.custom_shopify_line_item_id
	}
	items = []
	for line in credit.lines:
		row = rows.get(so_rows.get(line.line_item_id))
		if row is None or not line.quantity:
			continue
		row.qty = -abs(line.quantity)
		row.stock_qty = row.qty * flt(row.conversion_factor or 1)
		items.append(row)
	note.items = items
	if not credit.lines:  # a shipping-only or amount-only refund: ERPNext's credit note needs one item row
		note.append("items", _refund_item_row(settings, credit.refund_item, rows))
	note.taxes = []
	for charge in credit.charges:
		note.append("taxes", {**charge_row(charge, settings), "tax_amount": -flt(charge.amount)})
	if credit.adjustment:
		account = settings.refund_adjustment_account
		if not account:
			raise ConfigError(
				_(
					"A Shopify refund paid back {0} {1} differently from the goods, shipping and tax it "
					"returned (a restocking fee kept, or an amount-only refund). Set a Refund Adjustment "
					"Account in the Shopify Store, then retry the dead letter."
				).format(abs(credit.adjustment), invoice.currency),
				service="Shopify",
			)
		note.append(
			"taxes",
			{
				"charge_type": "Actual",
				"account_head": account,
				"description": _("Refund adjustment"),
				"tax_amount": flt(credit.adjustment),
				"cost_center": settings.cost_center or None,
			},
		)
	# the returned units' share of the order's discount, so the credit is what was paid for them
	note.apply_discount_on = "Net Total"
	note.discount_amount = -flt(credit.discount) if credit.discount else 0
	note.additional_discount_percentage = 0
	note.set_posting_time = 1
	note.posting_date = local_date(details.get("createdAt"), timezone) or invoice.posting_date
	note.due_date = note.posting_date
	note.update_outstanding_for_self = 1
	note.disable_rounded_total = 1
	note.custom_shopify_store = invoice.custom_shopify_store
	note.custom_shopify_order_id = invoice.custom_shopify_order_id
	return note


def _refund_item_row(settings, amount: Decimal, rows: dict):
	if not settings.refund_item:
		raise ConfigError(
			_(
				"A Shopify refund gave back shipping or an amount without returning items, and ERPNext's "
				"credit note needs an item row: set a Refund Item (a non-stock service item) in Shopify "
				"Settings, then retry the dead letter."
			),
			service="Shopify",
		)
	row = next(iter(rows.values())).as_dict() if rows else {}
	return {
		**{k: row.get(k) for k in ("warehouse", "cost_center", "income_account") if row.get(k)},
		"item_code": settings.refund_item,
		"item_name": frappe.get_cached_value("Item", settings.refund_item, "item_name"),
		"uom": frappe.get_cached_value("Item", settings.refund_item, "stock_uom"),
		"conversion_factor": 1,
		"qty": -1,
		"rate": flt(amount),
		"price_list_rate": flt(amount),
	}


def _check_refund_total(note, booking: RefundBooking, order: dict, refund_id: str) -> None:
	if Decimal(str(flt(-note.grand_total, 2))) != booking.total:
		raise RecordError(
			f"Shopify refund {refund_id} of order {order.get('name')}: the credit note comes to "
			f"{flt(-note.grand_total, 2)} but Shopify paid back {booking.total}. Nothing was credited; "
			"book this refund by hand and mark the dead letter resolved.",
			service="Shopify",
		)
