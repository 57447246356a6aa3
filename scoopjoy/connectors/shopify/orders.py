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
from datetime import timezone

import frappe
from frappe import _
from frappe.utils import flt

from scoopjoy.connectors.shopify import constants, ledger, queries
from scoopjoy.connectors.shopify.accounts import (
	_money_set,
	order_date_of,
	rate_precision,
	shop_timezone,
)
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.locks import StaleSnapshot, _lock_until_transaction_ends
from scoopjoy.connectors.shopify.mapping import (
	OrderPlan,
	Shipment,
	gid,
	legacy_id,
	order_plan,
	shipments_by_warehouse,
)
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
from scoopjoy.connectors.shopify.whole_order import with_all_money, with_every_line
from scoopjoy.kernel.errors import RecordError


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


# --- fulfilled: Delivery Note for what is not delivered yet --------------------------------------


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
