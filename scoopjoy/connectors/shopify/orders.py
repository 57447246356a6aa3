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
from frappe.utils import flt, getdate
from redis.exceptions import LockError

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.mapping import (
	OrderLine,
	OrderPlan,
	customer_display_name,
	gid,
	item_name_for,
	legacy_id,
	order_plan,
	refund_lines,
)
from scoopjoy.kernel.errors import ConfigError, RecordError, TransientError
from scoopjoy.reliability.runtime import get_redis

SALES_ORDER = "Sales Order"
SYNC_ORDER_JOB = "scoopjoy.connectors.shopify.orders.sync_order"


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
	"""Job: fetch the order's current state and apply it (webhooks, replays, the console's resync)."""
	connector = ShopifyConnector()
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
		result = apply_order(node, connector.settings, connector)
	_mark_deliveries(order_id, result)
	return result.action


def _mark_deliveries(order_id: str, result: OrderResult) -> None:
	for name in frappe.get_all(
		"Shopify Webhook Delivery", filters={"order_id": order_id, "status": "Queued"}, pluck="name"
	):
		frappe.db.set_value(
			"Shopify Webhook Delivery",
			name,
			{
				"status": "Skipped" if result.action == "skipped" else "Processed",
				"processed_at": frappe.utils.now_datetime(),
				"sales_order": result.sales_order,
				"result": result.reason or result.action,
			},
		)


# --- applying one order --------------------------------------------------------------------------


def apply_order(node: dict, settings, connector: ShopifyConnector | None = None) -> OrderResult:
	plan = order_plan(node)
	_lock_until_transaction_ends(plan.order_id)
	existing = frappe.db.get_value(
		SALES_ORDER,
		{"custom_shopify_order_id": plan.order_id},
		["name", "docstatus", "custom_shopify_updated_at"],
		as_dict=True,
	)
	stamp = _stamp(plan)
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
		sales_order = _create_sales_order(plan, settings)
		action = "created"
	else:
		sales_order = frappe.get_doc(SALES_ORDER, existing.name)
		action = "updated" if existing.custom_shopify_updated_at != stamp else "unchanged"
	if sales_order.docstatus == 1:
		if plan.is_cancelled:
			_cancel_everything(sales_order, plan)
		else:
			if settings.create_sales_invoice and plan.is_paid:
				_ensure_invoice_and_payment(sales_order, plan, settings)
			if settings.create_delivery_note and plan.fulfilled:
				_ensure_delivery(sales_order, plan)
			if plan.refunds and settings.create_sales_invoice:
				_ensure_credit_notes(sales_order, plan, connector or ShopifyConnector(settings))
	sales_order.db_set("custom_shopify_updated_at", stamp, update_modified=False)
	return OrderResult(action, sales_order.name)


def _stamp(plan: OrderPlan) -> str:
	"""updatedAt in one fixed UTC format, so that comparing the strings compares the times."""
	return plan.updated_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


#: how long a per-order lock lives if its worker dies without releasing it (a SIGKILL, an OOM)
ORDER_LOCK_SECONDS = 300
#: how long a second worker waits for a live one to commit the same order
ORDER_LOCK_WAIT_SECONDS = 30


def _lock_until_transaction_ends(order_id: str) -> None:
	"""One worker per order until its writes are committed (or rolled back)."""
	held = getattr(frappe.local, "scoopjoy_shopify_locks", None)
	if held is None:
		held = frappe.local.scoopjoy_shopify_locks = {}
	if order_id in held:
		return
	key = f"scoopjoy:shopify:{frappe.local.site}:order:{order_id}"
	lock = get_redis().lock(key, timeout=ORDER_LOCK_SECONDS, blocking_timeout=ORDER_LOCK_WAIT_SECONDS)
	ttl = get_redis().ttl(key)  # -2: nobody holds it
	held_for = ORDER_LOCK_SECONDS - ttl if ttl > 0 else 0
	# a live import holds the lock for seconds: one held for minutes belongs to a worker that died
	if held_for > ORDER_LOCK_WAIT_SECONDS * 2 or not lock.acquire():
		# its lock lives until it expires, so the retry waits that long instead of failing meanwhile
		expires_in = max(get_redis().ttl(key), 1)
		raise TransientError(
			f"Shopify: order {order_id} is being imported by another worker (lock free in at most "
			f"{expires_in} s); retried after that.",
			service="Shopify",
			retry_after=expires_in,
		)
	held[order_id] = lock

	def release():
		held.pop(order_id, None)
		try:
			lock.release()
		except LockError:  # it expired (a very long transaction): nothing left to release
			pass

	frappe.db.after_commit.add(release)
	frappe.db.after_rollback.add(release)


# --- Sales Order ---------------------------------------------------------------------------------


def _require(settings, *fieldnames: str) -> None:
	missing = [settings.meta.get_label(f) for f in fieldnames if not settings.get(f)]
	if missing:
		raise ConfigError(
			_("Shopify Settings is missing {0}: orders cannot be imported until it is set.").format(
				", ".join(missing)
			),
			service="Shopify",
		)


def _create_sales_order(plan: OrderPlan, settings):
	_require(settings, "company", "warehouse")
	items = [(line, _item_for(line, plan)) for line in _imported_lines(plan)]
	if not items:
		raise RecordError(f"Shopify order {plan.name} has no line items to import.", service="Shopify")
	customer = _customer_for(plan, settings)
	order_date = getdate(plan.created_at.date())
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
			"selling_price_list": settings.price_list or None,
			"ignore_pricing_rule": 1,
			"disable_rounded_total": 1,
			"set_warehouse": settings.warehouse,
			"cost_center": settings.cost_center or None,
			"custom_shopify_order_id": plan.order_id,
			"custom_shopify_order_name": plan.name,
		}
	)
	address = _address_for(plan, customer)
	if address:
		so.customer_address = address
		so.shipping_address_name = address
	for line, item_code in items:
		so.append(
			"items",
			{
				"item_code": item_code,
				"item_name": item_name_for(line.title) if line.title else None,
				"qty": line.quantity,
				"rate": flt(line.rate),
				"price_list_rate": flt(line.rate),
				"delivery_date": order_date,
				"warehouse": settings.warehouse,
			},
		)
	_add_charges(so, plan, settings)
	if plan.total_discount:
		so.apply_discount_on = "Net Total"
		so.discount_amount = flt(plan.total_discount)
	so.insert()
	so.submit()
	return so


def _item_for(line: OrderLine, plan: OrderPlan) -> str:
	"""The Item a Shopify line maps to: by variant id, then product id, then SKU = item code."""
	if line.variant_id:
		item = frappe.db.get_value("Item", {"custom_shopify_variant_id": line.variant_id})
		if item:
			return item
	if line.product_id:
		item = frappe.db.get_value("Item", {"custom_shopify_product_id": line.product_id, "has_variants": 0})
		if item:
			return item
	if line.sku and frappe.db.exists("Item", line.sku):
		return line.sku
	if not line.variant_id and not line.product_id:
		raise RecordError(
			f"Shopify order {plan.name}: the product of line '{line.title}' was deleted in Shopify, so no "
			"Item can be mapped. Create the Sales Order by hand if it must be in ERPNext.",
			service="Shopify",
		)
	raise RecordError(
		f"Shopify order {plan.name}: product {line.product_id} / variant {line.variant_id} "
		f"(SKU {line.sku or 'none'}, '{line.title}') is not mapped to an Item. Publish the Item from "
		"ERPNext or set its Shopify Variant ID, then retry this dead letter.",
		service="Shopify",
	)


def _add_charges(so, plan: OrderPlan, settings) -> None:
	taxes = [(title, amount) for title, amount in plan.taxes if amount]
	shipping = [(title, amount) for title, amount in plan.shipping if amount]
	if taxes and not plan.taxes_included:
		_require(settings, "tax_account")
		for title, amount in taxes:
			so.append(
				"taxes",
				{
					"charge_type": "Actual",
					"account_head": settings.tax_account,
					"description": title,
					"tax_amount": flt(amount),
					"cost_center": settings.cost_center or None,
				},
			)
	if shipping:
		_require(settings, "shipping_account")
		for title, amount in shipping:
			so.append(
				"taxes",
				{
					"charge_type": "Actual",
					"account_head": settings.shipping_account,
					"description": title,
					"tax_amount": flt(amount),
					"cost_center": settings.cost_center or None,
				},
			)


# --- Customer and Address ------------------------------------------------------------------------


def _customer_for(plan: OrderPlan, settings) -> str:
	info = plan.customer
	if not info:
		if settings.default_customer:
			return settings.default_customer
		raise RecordError(
			f"Shopify order {plan.name} has no customer and Shopify Settings has no Walk-in Customer. "
			"Set one, then retry this dead letter.",
			service="Shopify",
		)
	if info.get("customer_id"):
		name = frappe.db.get_value("Customer", {"custom_shopify_customer_id": info["customer_id"]})
		if name:
			return name
	email = (info.get("email") or "").strip().lower()
	if email:
		name = frappe.db.get_value("Customer", {"email_id": email})
		if name:
			if info.get("customer_id") and not frappe.db.get_value(
				"Customer", name, "custom_shopify_customer_id"
			):
				frappe.db.set_value("Customer", name, "custom_shopify_customer_id", info["customer_id"])
			return name
	_require(settings, "customer_group")
	customer = frappe.new_doc("Customer")
	customer.update(
		{
			"customer_name": customer_display_name(plan),
			"customer_type": "Individual",
			"customer_group": settings.customer_group,
			"custom_shopify_customer_id": info.get("customer_id"),
			"email_id": email or None,
			"mobile_no": info.get("phone") or None,
		}
	)
	customer.insert()
	return customer.name


def _address_for(plan: OrderPlan, customer: str) -> str | None:
	address = plan.shipping_address or plan.billing_address
	if not address or not address.get("address1") or not address.get("city"):
		return None
	existing = frappe.get_all(
		"Address",
		filters=[
			["Dynamic Link", "link_doctype", "=", "Customer"],
			["Dynamic Link", "link_name", "=", customer],
			["address_line1", "=", address["address1"]],
			["city", "=", address["city"]],
		],
		pluck="name",
		limit=1,
	)
	if existing:
		return existing[0]
	country = None
	if address.get("countryCodeV2"):
		country = frappe.db.get_value("Country", {"code": address["countryCodeV2"].lower()})
	doc = frappe.new_doc("Address")
	doc.update(
		{
			"address_title": customer,
			"address_type": "Shipping",
			"address_line1": address["address1"][:240],
			"address_line2": (address.get("address2") or "")[:240] or None,
			"city": address["city"],
			"state": address.get("province"),
			"pincode": address.get("zip"),
			"country": country or frappe.db.get_default("country"),
			"phone": address.get("phone"),
		}
	)
	doc.append("links", {"link_doctype": "Customer", "link_name": customer})
	doc.insert()
	return doc.name


# --- paid: Sales Invoice + Payment Entry ---------------------------------------------------------


def _ensure_invoice_and_payment(sales_order, plan: OrderPlan, settings) -> None:
	_require(settings, "cash_bank_account")
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
		invoice.insert()
	if invoice.docstatus == 0:
		invoice.submit()
	if flt(invoice.outstanding_amount) > 0:
		_pay(invoice, plan, settings)


def _pay(invoice, plan: OrderPlan, settings) -> None:
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	payment = get_payment_entry("Sales Invoice", invoice.name, bank_account=settings.cash_bank_account)
	payment.reference_no = plan.name
	payment.reference_date = getdate(plan.created_at.date())
	payment.remarks = _("Shopify order {0}").format(plan.name)
	payment.insert()
	payment.submit()


# --- fulfilled: Delivery Note for what is not delivered yet --------------------------------------


def _imported_lines(plan: OrderPlan) -> list[OrderLine]:
	"""The lines that became Sales Order rows, in Shopify's order (row ``idx`` = position + 1)."""
	return [line for line in plan.lines if line.quantity > 0]


def _rows_by_line(sales_order, plan: OrderPlan) -> dict:
	"""Sales Order row of each Shopify line item, by the position the rows were created in."""
	rows = {row.idx: row for row in sales_order.items}
	return {
		line.line_item_id: rows[index]
		for index, line in enumerate(_imported_lines(plan), start=1)
		if index in rows
	}


def _ensure_delivery(sales_order, plan: OrderPlan) -> None:
	"""Deliver, per line, Shopify's fulfilled quantity minus what ERPNext has delivered already.

	Sales Order rows were created in Shopify's line order (row ``idx`` = line position + 1), which
	is how a fulfilled line item finds its row.
	"""
	from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

	wanted: dict[str, float] = {}
	for line_item_id, row in _rows_by_line(sales_order, plan).items():
		fulfilled = plan.fulfilled.get(line_item_id, 0)
		already = _delivered_or_drafted(row.name)
		if fulfilled - already > 0:
			wanted[row.name] = min(fulfilled, row.qty) - already
	wanted = {k: v for k, v in wanted.items() if v > 0}
	if not wanted:
		return
	note = make_delivery_note(sales_order.name)
	note.items = [row for row in note.items if row.so_detail in wanted]
	for row in note.items:
		row.qty = wanted[row.so_detail]
	note.insert()
	note.submit()


def _delivered_or_drafted(so_detail: str) -> float:
	rows = frappe.get_all(
		"Delivery Note Item",
		filters={"so_detail": so_detail, "docstatus": ["<", 2]},
		fields=["qty"],
	)
	return sum(flt(r.qty) for r in rows)


# --- refunds: credit notes -----------------------------------------------------------------------


def _ensure_credit_notes(sales_order, plan: OrderPlan, connector: ShopifyConnector) -> None:
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

	rows = _rows_by_line(sales_order, plan)
	for refund in plan.refunds:
		if frappe.db.exists("Sales Invoice", {"custom_shopify_refund_id": refund["refund_id"]}):
			continue
		invoice = frappe.db.get_value(
			"Sales Invoice", {"custom_shopify_order_id": plan.order_id, "is_return": 0, "docstatus": 1}
		)
		if not invoice:
			raise RecordError(
				f"Shopify refund {refund['refund_id']} of order {plan.name}: there is no submitted Sales "
				"Invoice to credit yet (the order was never marked paid here). Retried once the invoice exists.",
				service="Shopify",
			)
		lines_of_refund = refund_lines(
			connector.query(queries.REFUND_LINES, {"id": refund["gid"]}, operation="RefundLines").get("node")
			or {}
		)
		if not lines_of_refund:
			raise RecordError(
				f"Shopify refund {refund['refund_id']} of order {plan.name} refunds an amount "
				f"({refund['amount']}) without items; make that credit note by hand.",
				service="Shopify",
			)
		refunded = {
			rows[line_id].name: qty for line_id, qty in lines_of_refund.items() if qty and line_id in rows
		}
		note = make_sales_return(invoice)
		note.items = [row for row in note.items if row.so_detail in refunded]
		for row in note.items:
			row.qty = -abs(refunded[row.so_detail])
		note.custom_shopify_refund_id = refund["refund_id"]
		note.custom_shopify_order_id = plan.order_id
		note.update_outstanding_for_self = 0
		note.insert()
		note.submit()


# --- cancelled -----------------------------------------------------------------------------------


def _cancel_everything(sales_order, plan: OrderPlan) -> None:
	"""Cancel what hangs on the order (payments, credit notes, invoices, deliveries), then the order."""
	chain: list[tuple[str, str]] = []
	invoices = frappe.get_all(
		"Sales Invoice",
		filters={"custom_shopify_order_id": plan.order_id, "docstatus": 1},
		fields=["name", "is_return"],
		order_by="is_return desc",
	)
	for invoice in invoices:
		for payment in frappe.get_all(
			"Payment Entry Reference",
			filters={"reference_doctype": "Sales Invoice", "reference_name": invoice.name, "docstatus": 1},
			pluck="parent",
		):
			chain.append(("Payment Entry", payment))
	chain += [("Sales Invoice", i.name) for i in invoices]
	notes = frappe.get_all(
		"Delivery Note Item",
		filters={"against_sales_order": sales_order.name, "docstatus": 1},
		pluck="parent",
		distinct=True,
	)
	chain += [("Delivery Note", n) for n in dict.fromkeys(notes)]
	chain.append((SALES_ORDER, sales_order.name))
	seen = set()
	for doctype, name in chain:
		if (doctype, name) in seen:
			continue
		seen.add((doctype, name))
		doc = frappe.get_doc(doctype, name)
		if doc.docstatus != 1:
			continue
		try:
			doc.cancel()
		except frappe.ValidationError as exc:
			raise RecordError(
				f"Shopify cancelled order {plan.name}, but ERPNext could not cancel {doctype} {name}: "
				f"{frappe.utils.strip_html(str(exc))}. Cancel it by hand (or fix the cause), then retry "
				"this dead letter.",
				service="Shopify",
			) from exc
