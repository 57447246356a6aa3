"""Delivery Notes for what Shopify shipped, and closing a Sales Order nothing is left to ship on.

Shopify's fulfilled quantities, less what ERPNext delivered already, become one Delivery Note per
warehouse they shipped from (the warehouse the Shopify Store maps to the fulfilling location), dated
the day of that warehouse's latest fulfilment in the shop's time zone. A note ERPNext refuses
fails alone, with a dead letter of its own (:func:`delivery_job_key`). Units refunded before they
shipped close the Sales Order once Shopify has nothing left to ship.
"""

from __future__ import annotations

import frappe
from frappe.utils import flt

from scoopjoy.connectors.shopify import constants, ledger, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.mapping import (
	OrderPlan,
	Shipment,
	legacy_id,
	order_job_key,
	shipments_by_warehouse,
)
from scoopjoy.connectors.shopify.sales_orders import SALES_ORDER
from scoopjoy.kernel.errors import RecordError

#: a note made from what Shopify shipped (fulfillments.py pushes only the others)
FROM_SHOPIFY = "From Shopify"


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


def delivery_job_key(store: str, order_id: str) -> str:
	"""The dead letter of an order's Delivery Note alone (the order itself is booked)."""
	return f"{order_job_key(store, order_id)}:delivery"


def _deliver_or_dead_letter(sales_order, plan: OrderPlan, node: dict, timezone, settings, connector) -> None:
	"""Deliver what Shopify shipped: one Delivery Note per warehouse it shipped from (the warehouse
	the Shopify Store maps to the fulfilling location; unmapped: the store's warehouse). A note
	ERPNext refuses (not enough stock there, with negative stock disallowed, as by default) fails
	alone: its dead letter says which warehouse and why, the Sales Order, invoice, payments and the
	other warehouses' notes stay booked, and replaying it (the order's import) delivers the rest."""
	from scoopjoy.reliability.jobs import job_id_for

	dedup_key = job_id_for(constants.SERVICE_NAME, delivery_job_key(settings.name, plan.order_id))
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
	part_done_or_dead_letter(
		dedup_key,
		refused,
		sales_order,
		plan,
		settings,
		f"Shopify order {plan.name}: the Delivery Note for what Shopify shipped could not be made "
		f"{'; '.join(refused)}. The Sales Order and invoice are booked; bring the stock in (or fix "
		"the cause), then retry this dead letter.",
	)


def part_done_or_dead_letter(
	dedup_key: str, refused: list, sales_order, plan: OrderPlan, settings, message: str
):
	"""A part of an order's import (its deliveries, its returns) that fails alone: nothing refused
	resolves the part's dead letter, else it is recorded with ``message``; its replay is the order's
	import, which makes only what is still missing."""
	from scoopjoy.reliability.dead_letters import record_dead_letter, resolve_dead_letter

	if not refused:
		resolve_dead_letter(dedup_key)
		return
	record_dead_letter(
		connector=constants.SERVICE_NAME,
		job=constants.SYNC_ORDER_JOB,
		payload={"order_gid": plan.gid, "store": settings.name},
		error=RecordError(message, service="Shopify"),
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
		note.custom_shopify_fulfillment_status = FROM_SHOPIFY  # never pushed back as a fulfilment
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
	"""What ERPNext delivered (or is about to) of a Sales Order row, as Shopify counts it fulfilled:
	returns are not un-fulfilments, and a note cancelled in ERPNext whose Shopify fulfilment is not
	cancelled yet (its job still to run, or refused) still counts, or the next import would deliver
	those units again."""
	query = """
		select coalesce(sum(item.qty), 0)
		from `tabDelivery Note Item` item join `tabDelivery Note` note on note.name = item.parent
		where item.so_detail = %(so_detail)s and item.qty > 0
			and (item.docstatus < 2 or note.custom_shopify_fulfillment_status in ('Fulfilled', 'Sending'))"""
	if warehouse:
		query += " and item.warehouse = %(warehouse)s"
	return flt(frappe.db.sql(query, {"so_detail": so_detail, "warehouse": warehouse})[0][0])


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
