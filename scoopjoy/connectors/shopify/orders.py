"""Shopify orders -> ERPNext: Customer, Address, Sales Order, and what happened to the order since.

One entry point, :func:`apply_order`, takes an order as the GraphQL API returns it *now* and makes
ERPNext agree with it. Every step only adds what is missing (an invoice when paid, a Delivery Note
for fulfilled quantities not yet delivered, a credit note per refund, the cancellation), so
applying the same state twice, or an older state after a newer one, changes nothing. Webhooks and
the poller both end here, under a per-order Redis lock held until the transaction ends, on top of
the UNIQUE index on (``custom_shopify_store``, ``custom_shopify_order_id``): the same order seen by
both at once gives one Sales Order, and the same order id in two stores gives two.

Why re-read the order instead of trusting a webhook body: deliveries arrive late, twice and out
of order (https://shopify.dev/docs/apps/build/webhooks/ignore-duplicates); the order's current
state, fetched when the job runs, is the only thing worth applying.

This module holds the jobs and the entry point; each step lives with what it makes, one floor
down: the order read whole (whole_order.py), the Customer and Address (customers.py), the Sales
Order, its invoice, edits and cancellation (sales_orders.py), payments, credit and debit notes
(ledger.py), Delivery Notes (delivery_notes.py); what they share sits below them: money sets,
rates and accounts (accounts.py), the per-record locks (locks.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import frappe
from frappe import _

from scoopjoy.connectors.shopify import constants, ledger, queries
from scoopjoy.connectors.shopify.accounts import _money_set, order_date_of, rate_precision, shop_timezone
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.delivery_notes import (
	_close_when_refunds_left_nothing_to_ship,
	_deliver_or_dead_letter,
)
from scoopjoy.connectors.shopify.locks import StaleSnapshot, _lock_until_transaction_ends, made_meanwhile
from scoopjoy.connectors.shopify.mapping import OrderPlan, gid, legacy_id, order_plan
from scoopjoy.connectors.shopify.returns import return_or_dead_letter
from scoopjoy.connectors.shopify.sales_orders import (
	SALES_ORDER,
	_booking,
	_create_sales_order,
	_edited_since_booking,
	_ensure_invoice,
	_invoice_of,
	_invoiceable,
	_lines_edited,
	_moved,
	_rebook_edited,
	_refunded_before_booking,
	_settle_cancelled,
)
from scoopjoy.connectors.shopify.stores import keyed
from scoopjoy.connectors.shopify.whole_order import with_all_money, with_every_line


@dataclass
class OrderResult:
	action: str  # created | updated | unchanged | stale | skipped
	sales_order: str | None = None
	reason: str = ""


# --- jobs ----------------------------------------------------------------------------------------


def sync_order(order_gid: str, store: str | None = None) -> str:
	"""Job: fetch the order's current state from its store and apply it (replays, the console's
	resync, the items' replay). Webhooks go through the inbox's drain (drain.py), which applies
	orders the same way. A dead letter from before several stores names none: the only store."""
	connector = ShopifyConnector(store=store)
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
	close_deliveries(
		deliveries_of(connector.store, order_id, received_before=fetched_at, failed_too=True), result
	)
	return result.action


DELIVERY = "Shopify Webhook Delivery"


def deliveries_of(store: str, order_id: str, *, received_before=None, failed_too: bool = False) -> list[str]:
	"""The order's deliveries still waiting (and, ``failed_too``, those of a failed import that a
	retry may now finish). Only those received before the order was fetched: a later one may
	announce a state this fetch did not see, so it stays Queued for the next import."""
	filters = {
		"shopify_store": store,
		"order_id": order_id,
		"status": ["in", ("Queued", "Failed") if failed_too else ("Queued",)],
	}
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
	_lock_until_transaction_ends(keyed(settings.name, plan.order_id))
	existing = frappe.db.get_value(
		SALES_ORDER,
		{"custom_shopify_store": settings.name, "custom_shopify_order_id": plan.order_id},
		["name", "docstatus", "custom_shopify_updated_at"],
		as_dict=True,
	)
	stamp = plan.stamp
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
				reason=_("A test order (Shopify test mode); Skip Test Orders is on for this Shopify Store."),
			)
		with made_meanwhile(f"order {plan.order_id}"):  # the UNIQUE store + order id
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
		# each refund's details, read when a credit note or a return of stock still needs them
		refunds = ledger.RefundDetails(connector or ShopifyConnector(settings), plan.refunds)
		invoice = None
		if settings.create_sales_invoice and (_invoiceable(plan) or _invoice_of(plan, settings.name)):
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
					invoice, node, plan.refunds, settings, refunds, which, timezone, rate_precision()
				)
		if settings.create_delivery_note and plan.fulfilled and not plan.is_cancelled:
			_deliver_or_dead_letter(sales_order, plan, node, timezone, settings, connector)
		if settings.create_delivery_note and (plan.refunds or plan.return_status != "NO_RETURN"):
			return_or_dead_letter(sales_order, plan, refunds, settings, timezone)  # goods that came back
		if plan.is_cancelled:
			_settle_cancelled(sales_order, plan, invoice)
		elif settings.create_delivery_note and plan.refunds:
			_close_when_refunds_left_nothing_to_ship(sales_order, plan)
	if sales_order.custom_shopify_updated_at != stamp:  # a new Sales Order is made with it
		sales_order.db_set("custom_shopify_updated_at", stamp, update_modified=False)
	return OrderResult(action, sales_order.name)
