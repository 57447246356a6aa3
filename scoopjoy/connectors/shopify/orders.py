"""Shopify orders -> ERPNext: Customer, Address, Sales Order, and what happened to the order since.

One entry point, :func:`apply_order`, takes an order as the GraphQL API returns it *now* and makes
ERPNext agree with it. Every step only adds what is missing (an invoice when paid, a Delivery Note
for fulfilled quantities not yet delivered, a credit note per refund, the cancellation), so
applying the same state twice, or an older state after a newer one, changes nothing. Webhooks and
the poller both end here, under a per-order Redis lock held until the transaction ends, on top of
the UNIQUE index on ``custom_shopify_order_id``: the same order seen by both at once gives one
Sales Order.

Why re-read the order instead of trusting a webhook body: deliveries arrive late, twice and out
of order (https://shopify.dev/docs/apps/build/webhooks/ignore-duplicates); the order's current
state, fetched when the job runs, is the only thing worth applying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timezone
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import flt

from scoopjoy.connectors.shopify import constants, ledger, queries
from scoopjoy.connectors.shopify.accounts import (
	_charge_account,
	_currency_fields,
	_money_set,
	_require,
	charge_row,
	order_date_of,
	rate_precision,
	shop_timezone,
)
from scoopjoy.connectors.shopify.booking import (
	Booking,
	OrderDoesNotAddUp,
	book_order,
	money,
	untaxed_charges,
)
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.customers import _address_for, _customer_for
from scoopjoy.connectors.shopify.items import item_for_line
from scoopjoy.connectors.shopify.locks import StaleSnapshot, _lock_until_transaction_ends
from scoopjoy.connectors.shopify.mapping import (
	OrderLine,
	OrderPlan,
	Shipment,
	gid,
	item_name_for,
	legacy_id,
	order_plan,
	shipments_by_warehouse,
)
from scoopjoy.connectors.shopify.whole_order import with_all_money, with_every_line
from scoopjoy.kernel.errors import RecordError

SALES_ORDER = "Sales Order"


@dataclass
class OrderResult:
	action: str  # created | updated | unchanged | stale | skipped
	sales_order: str | None = None
	reason: str = ""


# --- jobs ----------------------------------------------------------------------------------------


def order_job_key(order_id: str) -> str:
	"""Every piece of work about one order shares this key: queued once, dead-lettered once."""
	return f"order:{legacy_id(order_id)}"


def sync_order(order_gid: str) -> str:
	"""Job: fetch the order's current state and apply it (replays, the console's resync, the items'
	replay). Webhooks go through the inbox's drain (drain.py), which applies orders the same way."""
	connector = ShopifyConnector()
	fetched_at = frappe.utils.now_datetime()
	data = connector.query(
		queries.ORDER_BY_ID,
		{"id": gid("Order", order_gid), "lineItems": constants.LINE_ITEMS_PER_ORDER},
		operation="OneOrder",
		reference=("Sales Order", legacy_id(order_gid)),
	)
	node = data.get("order")
	order_id = legacy_id(order_gid)
	if not node:
		result = OrderResult("skipped", reason=_("Order {0} no longer exists in Shopify.").format(order_id))
	else:
		try:
			result = apply_order(node, connector.settings, connector)
		except StaleSnapshot:
			frappe.db.rollback()  # nothing of this order was kept: a fresh snapshot sees the new record
			result = apply_order(node, connector.settings, connector)
	close_deliveries(deliveries_of(order_id, received_before=fetched_at, failed_too=True), result)
	return result.action


DELIVERY = "Shopify Webhook Delivery"


def deliveries_of(order_id: str, *, received_before=None, failed_too: bool = False) -> list[str]:
	"""The order's deliveries still waiting (and, ``failed_too``, those of a failed import that a
	retry may now finish). Only those received before the order was fetched: a later one may
	announce a state this fetch did not see, so it stays Queued for the next import."""
	filters = {"order_id": order_id, "status": ["in", ("Queued", "Failed") if failed_too else ("Queued",)]}
	if received_before:
		filters["received_at"] = ["<=", received_before]
	return frappe.get_all(DELIVERY, filters=filters, pluck="name")


def close_deliveries(
	names: list[str], result: OrderResult | None, *, dead_letter: str | None = None, error: str = ""
) -> None:
	"""Deliveries end Processed (or Skipped) with the order's result, or Failed with its dead letter."""
	if not names:
		return
	if result is None:
		values = {"status": "Failed", "dead_letter": dead_letter, "result": error[:500]}
	else:
		values = {
			"status": "Skipped" if result.action == "skipped" else "Processed",
			"sales_order": result.sales_order,
			"dead_letter": None,
			"result": result.reason or result.action,
		}
	frappe.db.set_value(
		DELIVERY,
		{"name": ["in", names]},
		{**values, "processed_at": frappe.utils.now_datetime()},
	)


# --- applying one order --------------------------------------------------------------------------


def apply_order(node: dict, settings, connector: ShopifyConnector | None = None) -> OrderResult:
	node = with_all_money(
		with_every_line(node, connector or ShopifyConnector(settings)),
		connector or ShopifyConnector(settings),
	)
	plan = order_plan(node)
	if not settings.shop_timezone:  # asked once; documents are dated in the shop's time zone
		(connector or ShopifyConnector(settings)).shop_timezone()
	_lock_until_transaction_ends(plan.order_id)
	existing = frappe.db.get_value(
		SALES_ORDER,
		{"custom_shopify_order_id": plan.order_id},
		["name", "docstatus", "custom_shopify_updated_at"],
		as_dict=True,
	)
	stamp = _stamp(plan)
	charges_edited = False
	if existing and existing.custom_shopify_updated_at and existing.custom_shopify_updated_at > stamp:
		return OrderResult(
			"stale",
			existing.name,
			_("A newer state of this order ({0}) is already applied.").format(
				existing.custom_shopify_updated_at
			),
		)
	if not existing:
		if plan.is_cancelled:
			return OrderResult("skipped", reason=_("Cancelled in Shopify before it was ever imported."))
		if node.get("test") and settings.skip_test_orders:
			return OrderResult(
				"skipped",
				reason=_("A test order (Shopify test mode); Skip Test Orders is on in Shopify Settings."),
			)
		sales_order = _create_sales_order(plan, settings, node, connector)
		action = "created"
	else:
		sales_order = frappe.get_doc(SALES_ORDER, existing.name)
		action = "updated" if existing.custom_shopify_updated_at != stamp else "unchanged"
		if (
			sales_order.docstatus == 1
			and not plan.is_cancelled
			and _edited_since_booking(sales_order, plan, settings, connector, node)
		):
			if _lines_edited(sales_order, plan, settings, connector) or not _moved(sales_order, plan):
				sales_order = _rebook_edited(sales_order, plan, settings, node, connector)
				action = "updated"
			else:  # only a charge changed, after money or goods moved: a debit note for it
				charges_edited = True
	if sales_order.docstatus == 1:
		timezone = shop_timezone(settings)
		which = _money_set(settings)
		invoice = None
		if settings.create_sales_invoice and (_invoiceable(plan) or _invoice_of(plan)):
			invoice = _ensure_invoice(sales_order, plan, order_date_of(node, settings))
			if charges_edited:
				refunded, refunded_total = _refunded_before_booking(plan, settings, connector)
				ledger.ensure_charge_adjustment(
					invoice,
					_booking(node, plan, settings, refunded, refunded_total),
					settings,
					ledger.local_date(node.get("updatedAt"), timezone) or invoice.posting_date,
				)
			ledger.ensure_payments(invoice, node, settings, which, timezone)
			if plan.refunds:
				ledger.ensure_credit_notes(
					invoice,
					node,
					plan.refunds,
					settings,
					connector or ShopifyConnector(settings),
					which,
					timezone,
					rate_precision(),
				)
		if plan.is_cancelled:
			_settle_cancelled(sales_order, plan, invoice)
		else:
			if settings.create_delivery_note and plan.fulfilled:
				_deliver_or_dead_letter(sales_order, plan, node, timezone, settings, connector)
			if settings.create_delivery_note and plan.refunds:
				_close_when_refunds_left_nothing_to_ship(sales_order, plan)
	sales_order.db_set("custom_shopify_updated_at", stamp, update_modified=False)
	return OrderResult(action, sales_order.name)


def _stamp(plan: OrderPlan) -> str:
	"""updatedAt in one fixed UTC format, so that comparing the strings compares the times."""
	return plan.updated_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- Sales Order ---------------------------------------------------------------------------------


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
			"po_no": plan.name,
			"ignore_pricing_rule": 1,
			"disable_rounded_total": 1,
			"set_warehouse": settings.warehouse,
			"cost_center": settings.cost_center or None,
			"custom_shopify_order_id": plan.order_id,
			"custom_shopify_order_name": plan.name,
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
	so.insert()
	_check_total(so, booking, plan)
	so.submit()
	return so


#: Shopify financial statuses whose order is a sale a bookkeeper invoices: money received, promised
#: (an authorisation) or awaited (cash on delivery, bank deposit). VOIDED and EXPIRED are not.
#: (https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderDisplayFinancialStatus)
INVOICED_STATUSES = frozenset(
	{"PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "REFUNDED", "PENDING", "AUTHORIZED"}
)


def _invoiceable(plan: OrderPlan) -> bool:
	return not plan.is_cancelled and (plan.financial_status in INVOICED_STATUSES or not plan.total)


def _invoice_of(plan: OrderPlan) -> str | None:
	return frappe.db.get_value(
		"Sales Invoice", {"custom_shopify_order_id": plan.order_id, "is_return": 0, "docstatus": 1}
	)


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
			"Nothing was booked; check the order's items and the tax and charge accounts in Shopify Settings.",
			service="Shopify",
		)


# --- paid: Sales Invoice + Payment Entry ---------------------------------------------------------


def _ensure_invoice(sales_order, plan: OrderPlan, on_date: date):
	"""The order's one Sales Invoice, dated the order's day (a backfill books last year's sales in
	last year), made from the Sales Order so it carries its currency, rate, taxes and discount."""
	from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

	invoice_name = frappe.db.get_value(
		"Sales Invoice",
		{"custom_shopify_order_id": plan.order_id, "is_return": 0, "docstatus": ["<", 2]},
	)
	if invoice_name:
		invoice = frappe.get_doc("Sales Invoice", invoice_name)
	else:
		invoice = make_sales_invoice(sales_order.name)
		invoice.custom_shopify_order_id = plan.order_id
		invoice.disable_rounded_total = 1
		invoice.set_posting_time = 1
		invoice.posting_date = on_date
		invoice.due_date = on_date
		_receivable_in_invoice_currency(invoice, plan)
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


# --- fulfilled: Delivery Note for what is not delivered yet --------------------------------------


def _edited_since_booking(sales_order, plan: OrderPlan, settings, connector, node: dict) -> bool:
	"""An order edit since booking: its lines' units or its shipping changed."""
	return _shipping_changed(sales_order, node, settings) or _lines_edited(
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
	invoice_name = _invoice_of(plan)
	return bool(
		frappe.db.exists("Delivery Note Item", {"against_sales_order": sales_order.name, "docstatus": 1})
		or (invoice_name and _money_moved(frappe.get_doc("Sales Invoice", invoice_name)))
	)


def _shipping_changed(sales_order, node: dict, settings) -> bool:
	"""An order edit added, removed or repriced shipping (or a tip, duty or fee): the booked rows of
	those accounts differ from what Shopify charges now. A refund of shipping is a credit note and
	leaves the shipping lines' prices as they were."""
	wanted: dict[str, Decimal] = {}
	for charge in untaxed_charges(node, _money_set(settings)):
		account = _charge_account(charge, settings)
		wanted[account] = wanted.get(account, Decimal("0")) + charge.amount
	booked: dict[str, Decimal] = {}
	for row in sales_order.taxes:
		if (
			row.account_head in wanted
			or row.description in ("Tip", "Duties", "Additional fees")
			or (row.account_head == settings.shipping_account)
		):
			booked[row.account_head] = booked.get(row.account_head, Decimal("0")) + Decimal(
				str(flt(row.tax_amount, 2))
			)
	return any(wanted.get(a, Decimal("0")) != booked.get(a, Decimal("0")) for a in {*wanted, *booked})


def _rebook_edited(sales_order, plan: OrderPlan, settings, node: dict, connector):
	"""An edited order nobody has paid or received yet is booked again from its current state (the
	old Sales Order and its invoice are cancelled, the new one amends it). Once money or goods have
	moved, units added or removed are for a person to decide: the dead letter names the edit (a
	changed charge alone becomes a debit note instead: ledger.ensure_charge_adjustment)."""
	invoice_name = _invoice_of(plan)
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
	# the Shopify order id is unique: the cancelled version lets go of it for its amendment
	previous.db_set("custom_shopify_order_id", None, update_modified=False)
	rebooked = _create_sales_order(plan, settings, node, connector, amended_from=previous.name)
	return rebooked


def _imported_lines(plan: OrderPlan) -> list[OrderLine]:
	"""The lines that become Sales Order rows: those with units still on the order (an order edit
	lowers ``currentQuantity``; ``quantity`` keeps counting removed units), in Shopify's order;
	tips are a charge of their own, not goods."""
	return [line for line in plan.lines if line.current_quantity > 0 and not line.is_tip]


def _rows_by_line(sales_order, plan: OrderPlan) -> dict:
	"""Sales Order row of each Shopify line item: by the line item id stored on the row; rows made
	before that id was stored, by the position they were created in."""
	rows = {
		row.custom_shopify_line_item_id: row
		for row in sales_order.items
		if row.get("custom_shopify_line_item_id")
	}
	if rows:
		return rows
	by_position = {row.idx: row for row in sales_order.items}
	return {
		line.line_item_id: by_position[index]
		for index, line in enumerate((line for line in plan.lines if line.quantity > 0), start=1)
		if index in by_position
	}


def delivery_job_key(order_id: str) -> str:
	"""The dead letter of an order's Delivery Note alone (the order itself is booked)."""
	return f"{order_job_key(order_id)}:delivery"


def _deliver_or_dead_letter(sales_order, plan: OrderPlan, node: dict, timezone, settings, connector) -> None:
	"""Deliver what Shopify shipped: one Delivery Note per warehouse it shipped from (the warehouse
	Shopify Settings map to the fulfilling location; unmapped: the Settings warehouse). A note
	ERPNext refuses (not enough stock there, with negative stock disallowed, as by default) fails
	alone: its dead letter says which warehouse and why, the Sales Order, invoice, payments and the
	other warehouses' notes stay booked, and replaying it (the order's import) delivers the rest."""
	from scoopjoy.reliability.dead_letters import record_dead_letter, resolve_dead_letter
	from scoopjoy.reliability.jobs import job_id_for

	dedup_key = job_id_for(constants.SERVICE_NAME, delivery_job_key(plan.order_id))
	refused = []
	try:
		notes = _delivery_notes_wanted(sales_order, plan, node, timezone, settings, connector)
	except RecordError as error:
		notes, refused = [], [str(error)]
	for note in notes:
		frappe.db.savepoint("shopify_delivery")
		try:
			note.insert()
			note.submit()
		except frappe.ValidationError as error:
			frappe.db.rollback(save_point="shopify_delivery")
			refused.append(f"from {note.set_warehouse}: {frappe.utils.strip_html(str(error))}")
	if not refused:
		resolve_dead_letter(dedup_key)
		return
	record_dead_letter(
		connector=constants.SERVICE_NAME,
		job=constants.SYNC_ORDER_JOB,
		payload={"order_gid": plan.gid},
		error=RecordError(
			f"Shopify order {plan.name}: the Delivery Note for what Shopify shipped could not be made "
			f"{'; '.join(refused)}. The Sales Order and invoice are booked; bring the stock in (or fix "
			"the cause), then retry this dead letter.",
			service="Shopify",
		),
		dedup_key=dedup_key,
		reference_doctype=SALES_ORDER,
		reference_name=sales_order.name,
		external_id=plan.order_id,
	)


def _delivery_notes_wanted(sales_order, plan: OrderPlan, node: dict, timezone, settings, connector) -> list:
	"""Unsaved Delivery Notes, one per warehouse, for Shopify's fulfilled quantity of each line minus
	what ERPNext has delivered already (from that warehouse), dated the day of that warehouse's
	latest fulfilment in the shop's time zone. Lines that need no shipping (gift cards, services:
	Shopify's ``requiresShipping`` false) are booked but never delivered."""
	from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

	not_shipped = {line.line_item_id for line in plan.lines if not line.requires_shipping}
	rows = {k: row for k, row in _rows_by_line(sales_order, plan).items() if k not in not_shipped}
	left = {}
	for line_item_id, row in rows.items():
		missing = min(plan.fulfilled.get(line_item_id, 0), row.qty) - _delivered_or_drafted(row.name)
		if missing > 0:
			left[line_item_id] = missing
	if not left:
		return []
	shipments = _shipments(plan, node, settings, connector)
	wanted: dict[str, dict[str, float]] = {}
	for shipment in shipments.values():
		for line_item_id, shipped in shipment.quantities.items():
			row = rows.get(line_item_id)
			if not row or left.get(line_item_id, 0) <= 0:
				continue
			need = min(left[line_item_id], shipped - _delivered_or_drafted(row.name, shipment.warehouse))
			if need > 0:
				wanted.setdefault(shipment.warehouse, {})[row.name] = need
				left[line_item_id] -= need
	notes = []
	for warehouse, quantities in wanted.items():
		note = make_delivery_note(sales_order.name)
		note.items = [row for row in note.items if row.so_detail in quantities]
		note.set_warehouse = warehouse
		for row in note.items:
			row.qty = quantities[row.so_detail]
			row.warehouse = warehouse
		if shipments[warehouse].shipped_at:
			note.set_posting_time = 1
			note.posting_date = ledger.local_date(shipments[warehouse].shipped_at, timezone)
		notes.append(note)
	return notes


def _shipments(plan: OrderPlan, node: dict, settings, connector) -> dict[str, Shipment]:
	"""What each warehouse shipped. Without a location mapped in Settings everything ships from the
	Settings warehouse (no extra query); with one, each fulfilment's location and lines are read."""
	latest = max(
		(f.get("createdAt") for f in node.get("fulfillments") or [] if f.get("createdAt")), default=None
	)
	if not settings.locations:
		return {settings.warehouse: Shipment(settings.warehouse, dict(plan.fulfilled), latest)}
	order = (connector or ShopifyConnector(settings)).query(
		queries.ORDER_FULFILLMENTS,
		{"id": plan.gid},
		operation="OrderFulfillments",
		reference=("Sales Order", plan.order_id),
	).get("order") or {}
	fulfillments = order.get("fulfillments") or []
	if len(fulfillments) >= queries.FIRST_FULFILLMENTS or any(
		((f.get("fulfillmentLineItems") or {}).get("pageInfo") or {}).get("hasNextPage") for f in fulfillments
	):
		raise RecordError(
			f"Shopify order {plan.name} has more fulfilments or fulfilled lines than are read "
			f"({queries.FIRST_FULFILLMENTS} and {queries.FULFILLMENT_LINES}): deliver it by hand.",
			service="Shopify",
		)
	warehouse_of_location = {}
	for row in settings.locations:
		warehouse_of_location.setdefault(legacy_id(row.location_id), row.warehouse)
	return shipments_by_warehouse(fulfillments, warehouse_of_location, settings.warehouse)


def _delivered_or_drafted(so_detail: str, warehouse: str | None = None) -> float:
	filters = {"so_detail": so_detail, "docstatus": ["<", 2]}
	if warehouse:
		filters["warehouse"] = warehouse
	rows = frappe.get_all("Delivery Note Item", filters=filters, fields=["qty"])
	return sum(flt(r.qty) for r in rows)


def _close_when_refunds_left_nothing_to_ship(sales_order, plan: OrderPlan) -> None:
	"""Units refunded before they shipped (restock CANCEL or no restock) leave Shopify's order with
	nothing to fulfil, while the Sales Order still waits to deliver them and reserves their stock.
	When Shopify has nothing left to ship and ERPNext delivered all Shopify shipped, the Sales Order
	is closed: complete for the bookkeeper, its reservation released."""
	sales_order = frappe.get_doc(SALES_ORDER, sales_order.name)
	if (
		sales_order.docstatus != 1
		or sales_order.status in ("Closed", "Completed")
		or (flt(sales_order.per_delivered) >= 100)
	):
		return
	shippable = [line for line in plan.lines if line.requires_shipping and not line.is_tip]
	if any(line.current_quantity - plan.fulfilled.get(line.line_item_id, 0) > 0 for line in shippable):
		return  # Shopify still has units to ship
	rows = _rows_by_line(sales_order, plan)
	for line in shippable:
		row = rows.get(line.line_item_id)
		if row and _delivered_or_drafted(row.name) < min(plan.fulfilled.get(line.line_item_id, 0), row.qty):
			return  # a delivery is still to be made (or was refused): not complete yet
	sales_order.update_status("Closed")


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
	if invoice or delivered or _invoice_of(plan):
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
