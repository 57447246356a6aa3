"""Goods a refund took back come back into stock (issue #24).

A refund line restocked as RETURN (or LEGACY_RESTOCK) of units ERPNext delivered becomes a **return
Delivery Note** against the note that delivered them (ERPNext's Sales Return): the units come back
into the warehouse the store maps to the refund's restock location (else the store's warehouse), at
the valuation they left with (ERPNext takes the rate of the original note's stock ledger entry),
dated the day of the refund in the shop's time zone. Units that never shipped (CANCEL) and refunds
that restock nothing (NO_RESTOCK) move no stock: the credit note books their money
(https://shopify.dev/docs/api/admin-graphql/latest/enums/RefundLineItemRestockType).

**Shopify's returns** (``Return`` objects, https://shopify.dev/docs/apps/build/orders-fulfillment/returns-apps):
when the shop makes a return for an order (``Order.returnStatus`` is not NO_RETURN), its returns are
read (query ORDER_RETURNS, scope ``read_returns``) and each disposition RESTOCKED of a reverse
fulfillment order becomes a return Delivery Note of its own, into the warehouse of the disposition's
location, dated the day of the disposition, once (``custom_shopify_disposition_id``): the units come
back when they are restocked, before any refund, and with none (an exchange). NOT_RESTOCKED, MISSING
and PROCESSING_REQUIRED move nothing, nor does a return CANCELED or DECLINED. Each unit is restocked
in Shopify once, by a refund or by a disposition: a refund line moves stock only when Shopify says it
``restocked`` it, and a refund that pays a return back (in the return's ``refunds``) moves none: the
return's dispositions restocked its units. Without
the scope, the returns part of an order with a return is a dead letter saying so and moves no stock
for that order, not even its refunds' (the money is booked).

Why a return Delivery Note and not a credit note that updates stock: the goods left with a Delivery
Note (the invoice moved no stock), and a return against it is what ERPNext values at the original
outgoing rate and what lowers the Sales Order's delivered quantity. Each refund's return notes carry
its id (``custom_shopify_refund_id``): made once, however often the order is imported. A return
ERPNext refuses fails alone with a dead letter of its own (:func:`return_job_key`); the order, its
invoice and credit notes stay booked.
"""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe.utils import flt

from scoopjoy.connectors.shopify import constants, ledger, queries
from scoopjoy.connectors.shopify.booking import nodes
from scoopjoy.connectors.shopify.delivery_notes import _rows_by_line, part_done_or_dead_letter
from scoopjoy.connectors.shopify.mapping import OrderPlan, legacy_id, order_job_key
from scoopjoy.kernel.errors import AuthError, ConfigError, RecordError

#: restock types whose units come back to a location (CANCEL: they never left)
RESTOCKED = frozenset({"RETURN", "LEGACY_RESTOCK"})
REFUND_FIELD = "custom_shopify_refund_id"
DISPOSITION_FIELD = "custom_shopify_disposition_id"
#: returns whose units are (or will be) disposed: the others will not come back
LIVE_RETURNS = frozenset({"REQUESTED", "OPEN", "CLOSED"})


def return_job_key(store: str, order_id: str) -> str:
	"""The dead letter of an order's returns of stock alone (its money is booked)."""
	return f"{order_job_key(store, order_id)}:returns"


def return_or_dead_letter(sales_order, plan: OrderPlan, details: ledger.RefundDetails, settings, timezone):
	"""Book the returns of stock of the order's refunds and of its Shopify returns; what ERPNext
	refuses becomes a dead letter naming the refund or return and why, the rest of the order stays
	booked."""
	from scoopjoy.reliability.jobs import job_id_for

	dedup_key = job_id_for(constants.SERVICE_NAME, return_job_key(settings.name, plan.order_id))
	refused = []
	try:
		shop_returns = order_returns(details.connector, plan)
	except RecordError as error:
		shop_returns = None
		refused.append(str(error))
	except (AuthError, ConfigError) as error:
		shop_returns = None
		refused.append(
			f"its Shopify returns could not be read ({error}): add the scope to the app, reinstall it, then retry"
		)
	if shop_returns is not None:
		paid_back = refunds_of_returns(shop_returns)
		for refund in plan.refunds:
			if refund["refund_id"] in paid_back:
				continue  # it pays a return back: the return's dispositions restocked its units
			_book_alone(
				lambda refund=refund: returns_wanted(
					sales_order, plan, refund, details.of(refund), settings, timezone
				),
				f"refund {refund['refund_id']}",
				refused,
			)
		for shop_return, disposition, line_id in restocked(shop_returns):
			_book_alone(
				lambda disposition=disposition, line_id=line_id: disposition_returns(
					sales_order, plan, disposition, line_id, settings, timezone
				),
				f"return {shop_return.get('name')}",
				refused,
			)
	part_done_or_dead_letter(
		dedup_key,
		refused,
		sales_order,
		plan,
		settings,
		f"Shopify order {plan.name}: the goods that came back could not be taken back into "
		f"stock ({'; '.join(refused)}). The credit notes are booked; fix the cause, then retry this "
		"dead letter.",
	)


def _book_alone(notes, what: str, refused: list) -> None:
	"""Submit the return notes ``notes()`` makes for one refund or return in a savepoint of their
	own: what ERPNext refuses is rolled back and named in ``refused``, the others stay booked."""
	frappe.db.savepoint("shopify_return")
	try:
		for note in notes():
			note.insert()
			note.submit()
	except (frappe.ValidationError, RecordError) as error:
		frappe.db.rollback(save_point="shopify_return")
		refused.append(f"{what}: {frappe.utils.strip_html(str(error))}")


def order_returns(connector, plan: OrderPlan) -> list[dict]:
	"""The order's Shopify returns ([] when it has none, without asking)."""
	if plan.return_status == "NO_RETURN":
		return []
	if constants.RETURNS_SCOPE not in connector.granted_scopes():
		raise ConfigError(
			f"Shopify order {plan.name} has a return, and the app lacks the {constants.RETURNS_SCOPE} scope",
			service=constants.SERVICE_NAME,
		)
	order = connector.query(queries.ORDER_RETURNS, {"id": plan.gid}, operation="OrderReturns").get("order")
	returns = (order or {}).get("returns") or {}
	more = [returns] + [
		connection
		for shop_return in nodes(returns)
		for connection in (
			shop_return.get("reverseFulfillmentOrders") or {},
			*(r.get("lineItems") or {} for r in nodes(shop_return.get("reverseFulfillmentOrders"))),
		)
	]
	if any((c.get("pageInfo") or {}).get("hasNextPage") for c in more):
		raise RecordError(
			f"Shopify order {plan.name} has more returns (or lines in a return) than one read takes "
			"(5 returns, 2 reverse fulfillment orders each, 10 lines each); take the rest back by hand with "
			"a return Delivery Note.",
			service=constants.SERVICE_NAME,
		)
	return nodes(returns)


def refunds_of_returns(shop_returns: list[dict]) -> set[str]:
	"""Refunds that pay a return back: their units come back by the return's dispositions."""
	return {
		legacy_id(refund.get("id"))
		for shop_return in shop_returns
		for refund in nodes(shop_return.get("refunds"))
		if refund.get("id")
	}


def restocked(shop_returns: list[dict]):
	"""(return, disposition, order line id) of every RESTOCKED disposition of a live return."""
	for shop_return in shop_returns:
		if shop_return.get("status") not in LIVE_RETURNS:
			continue
		for line_id, item in _return_lines(shop_return):
			for disposition in item.get("dispositions") or []:
				if disposition.get("type") == "RESTOCKED" and int(disposition.get("quantity") or 0) > 0:
					yield shop_return, disposition, line_id


def _return_lines(shop_return: dict):
	for reverse in nodes(shop_return.get("reverseFulfillmentOrders")):
		for item in nodes(reverse.get("lineItems")):
			line = ((item.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("id")
			if line:
				yield legacy_id(line), item


def disposition_returns(
	sales_order, plan: OrderPlan, disposition: dict, line_id: str, settings, timezone
) -> list:
	"""Unsaved return Delivery Notes of one RESTOCKED disposition (none once booked)."""
	disposition_id = legacy_id(disposition["id"])
	if _returned(sales_order.name, DISPOSITION_FIELD, disposition_id):
		return []
	row = _rows_by_line(sales_order, plan).get(line_id)
	if not row:
		return []
	warehouse = _warehouse_of(settings, legacy_id((disposition.get("location") or {}).get("id")))
	return _return_notes(
		{(row.name, warehouse): int(disposition["quantity"])},
		DISPOSITION_FIELD,
		disposition_id,
		ledger.local_date(disposition.get("createdAt"), timezone),
	)


def returns_wanted(sales_order, plan: OrderPlan, refund: dict, details: dict, settings, timezone) -> list:
	"""Unsaved return Delivery Notes of one refund: one per Delivery Note its restocked units left
	with (latest first), none when the refund restocks nothing delivered or is booked already."""
	if _returned(sales_order.name, REFUND_FIELD, refund["refund_id"]):
		return []
	rows = _rows_by_line(sales_order, plan)
	back: dict[tuple[str, str], int] = defaultdict(int)  # (Sales Order row, warehouse): units
	for line in nodes(details.get("refundLineItems")):
		row = rows.get(legacy_id((line.get("lineItem") or {}).get("id")))
		# restocked false: a return's disposition put the units back (booked from the disposition)
		if line.get("restockType") in RESTOCKED and line.get("restocked", True) and row:
			warehouse = _warehouse_of(settings, legacy_id((line.get("location") or {}).get("id")))
			back[(row.name, warehouse)] += int(line.get("quantity") or 0)
	return _return_notes(
		back, REFUND_FIELD, refund["refund_id"], ledger.local_date(details.get("createdAt"), timezone)
	)


def _return_notes(back: dict[tuple[str, str], int], field: str, value: str, posting) -> list:
	"""Return Delivery Notes of ``back`` ({(Sales Order row, warehouse): units}) against the notes
	the units left with, latest first, each carrying ``field`` = ``value``."""
	from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_return

	by_note: dict[str, dict[str, tuple[float, str]]] = defaultdict(dict)  # note: {its row: (qty, wh)}
	for (so_detail, warehouse), units in back.items():
		for delivered in _returnable(so_detail):
			take = min(units, delivered.left)
			if take <= 0:
				continue
			by_note[delivered.parent][delivered.name] = (take, warehouse)
			units -= take
	returns = []
	for original, taken in by_note.items():
		note = make_sales_return(original)
		note.items = [row for row in note.items if row.dn_detail in taken]
		for row in note.items:
			row.qty = -taken[row.dn_detail][0]
			row.warehouse = taken[row.dn_detail][1]
		note.set_warehouse = None
		note.set(field, value)
		note.custom_shopify_fulfillment_status = None  # a return is no fulfilment to push
		if posting:  # the day it came back, never before the day it left
			note.set_posting_time = 1
			left = frappe.db.get_value("Delivery Note", original, "posting_date")
			note.posting_date = max(posting, frappe.utils.getdate(left))
		returns.append(note)
	return returns


def _warehouse_of(settings, location_id: str | None) -> str:
	"""The warehouse the store maps to a restock location, else the store's warehouse."""
	for row in settings.get("locations") or []:
		if location_id and legacy_id(row.location_id) == location_id:
			return row.warehouse
	return settings.warehouse


def _returnable(so_detail: str) -> list:
	"""Submitted Delivery Note rows of a Sales Order row with units not returned yet, latest first."""
	rows = frappe.db.sql(
		"""select item.name, item.parent, item.qty, item.returned_qty
		from `tabDelivery Note Item` item join `tabDelivery Note` note on note.name = item.parent
		where item.so_detail = %s and item.docstatus = 1 and note.is_return = 0
		order by note.posting_date desc, note.creation desc""",
		so_detail,
		as_dict=True,
	)
	for row in rows:
		row.left = flt(row.qty) - flt(row.returned_qty)
	return rows


def _returned(sales_order: str, field: str, value: str) -> bool:
	"""A return of this refund (or disposition) is booked against a note of this Sales Order."""
	return bool(
		frappe.db.sql(
			f"""select 1 from `tabDelivery Note` note
			join `tabDelivery Note Item` item on item.parent = note.name
			where note.`{field}` = %s and note.is_return = 1 and note.docstatus = 1
				and item.against_sales_order = %s
			limit 1""",
			(value, sales_order),
		)
	)
