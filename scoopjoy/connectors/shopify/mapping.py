"""Shopify records <-> plain plans for ERPNext documents, and the reverse for products.

Pure functions on the GraphQL shapes in ``queries.py``: they decide *what* the ERPNext
documents should say (customer, address, lines, taxes, what is paid, fulfilled, refunded); the
Frappe layer only turns a plan into documents. That keeps every rounding, truncation and
"which line is this" decision testable without a site. Pure Python: no frappe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from scoopjoy.connectors.shopify.booking import is_tip
from scoopjoy.connectors.shopify.constants import (
	ERPNEXT_ITEM_NAME_MAX,
	GID_PREFIX,
	SHOPIFY_TITLE_MAX,
	SUPPORT_MONTHS,
	WARN_DAYS_BEFORE_END,
)

# --- ids -----------------------------------------------------------------------------------------


def gid(kind: str, legacy_id: str | int) -> str:
	"""``gid("Order", 450789469)`` -> ``gid://shopify/Order/450789469`` (https://shopify.dev/docs/api/usage/gids)."""
	text = str(legacy_id)
	return text if text.startswith(GID_PREFIX) else f"{GID_PREFIX}{kind}/{text}"


def legacy_id(global_id: str | int | None) -> str | None:
	"""The numeric id at the end of a GID (what ERPNext stores and the REST webhooks carry)."""
	if global_id in (None, ""):
		return None
	text = str(global_id)
	return text.rsplit("/", 1)[-1].split("?", 1)[0]


def parse_time(value: str | None) -> datetime | None:
	if not value:
		return None
	return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def truncate(text: str | None, limit: int) -> str:
	"""Cut to ``limit`` characters, marking the cut with an ellipsis (ERPNext item_name is 140)."""
	text = (text or "").strip()
	return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- the API version's support window ------------------------------------------------------------

_VERSION = re.compile(r"^(\d{4})-(01|04|07|10)$")


def version_support_end(version: str) -> date:
	"""Shopify supports each quarterly version for at least 12 months after its release."""
	match = _VERSION.match(version or "")
	if not match:
		raise ValueError(
			f"'{version}' is not a Shopify API version: use a stable quarterly version such as 2026-10 "
			"(https://shopify.dev/docs/api/usage/versioning)."
		)
	year, month = int(match.group(1)), int(match.group(2))
	month += SUPPORT_MONTHS
	year += (month - 1) // 12
	month = (month - 1) % 12 + 1
	return date(year, month, 1)


def version_warning(version: str, today: date) -> str | None:
	"""A sentence for the Settings form when the pinned version is near or past its end, else None."""
	end = version_support_end(version)
	days = (end - today).days
	if days < 0:
		return (
			f"Shopify API version {version} is past its support window (ended about {end.isoformat()}); "
			"Shopify now answers with the oldest supported version instead. Pin a current version."
		)
	if days <= WARN_DAYS_BEFORE_END:
		return (
			f"Shopify API version {version} leaves its support window around {end.isoformat()} "
			f"({days} days). Test and pin a newer version before then."
		)
	return None


# --- orders --------------------------------------------------------------------------------------


def _money(money_bag: dict | None) -> Decimal:
	amount = ((money_bag or {}).get("shopMoney") or {}).get("amount")
	return Decimal(str(amount)) if amount not in (None, "") else Decimal("0")


@dataclass
class OrderLine:
	line_item_id: str
	title: str
	sku: str | None
	quantity: int
	current_quantity: int
	rate: Decimal
	discount: Decimal
	variant_id: str | None
	product_id: str | None
	is_tip: bool = False


@dataclass
class OrderPlan:
	order_id: str  # legacy numeric id, stored on the Sales Order
	gid: str
	name: str  # "#1001"
	created_at: datetime
	updated_at: datetime
	cancelled_at: datetime | None
	currency: str
	taxes_included: bool
	customer: dict[str, Any] | None
	email: str | None
	phone: str | None
	shipping_address: dict[str, Any] | None
	billing_address: dict[str, Any] | None
	lines: list[OrderLine]
	taxes: list[tuple[str, Decimal]]
	shipping: list[tuple[str, Decimal]]
	total_discount: Decimal
	total: Decimal
	financial_status: str | None
	paid_amount: Decimal
	fulfilled: dict[str, int] = field(default_factory=dict)  # line item id -> quantity fulfilled
	refunds: list[dict[str, Any]] = field(default_factory=list)

	@property
	def is_paid(self) -> bool:
		return self.financial_status in {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"} and self.paid_amount > 0

	@property
	def is_cancelled(self) -> bool:
		return self.cancelled_at is not None

	def unmapped_lines(self) -> list[OrderLine]:
		"""Lines whose product or variant Shopify no longer has: nothing to map to an Item."""
		return [line for line in self.lines if not line.variant_id and not line.product_id]

	def line_discounts(self) -> Decimal:
		return sum((line.discount for line in self.lines), Decimal("0"))


def order_plan(order: dict[str, Any]) -> OrderPlan:
	lines = [
		OrderLine(
			line_item_id=legacy_id(node["id"]),
			title=node.get("title") or "",
			sku=node.get("sku") or None,
			quantity=int(node.get("quantity") or 0),
			current_quantity=int(
				node.get("currentQuantity")
				if node.get("currentQuantity") is not None
				else node.get("quantity") or 0
			),
			rate=_money(node.get("originalUnitPriceSet")),
			discount=_money(node.get("totalDiscountSet")),
			variant_id=legacy_id((node.get("variant") or {}).get("id")),
			product_id=legacy_id((node.get("product") or {}).get("id")),
			is_tip=is_tip(node, order),
		)
		for node in (order.get("lineItems") or {}).get("nodes") or []
	]
	# shipped so far, per line: what is still on the order minus what still waits for fulfilment
	# (a line's fulfilment rows would multiply the query's cost; these two numbers are enough)
	fulfilled: dict[str, int] = {}
	for node in (order.get("lineItems") or {}).get("nodes") or []:
		if node.get("unfulfilledQuantity") is None:
			continue
		current = (
			node.get("currentQuantity") if node.get("currentQuantity") is not None else node.get("quantity")
		)
		shipped = int(current or 0) - int(node["unfulfilledQuantity"] or 0)
		if shipped > 0:
			fulfilled[legacy_id(node["id"])] = shipped
	paid = Decimal("0")
	for transaction in order.get("transactions") or []:
		if transaction.get("status") != "SUCCESS":
			continue
		if transaction.get("kind") in {"SALE", "CAPTURE"}:
			paid += _money(transaction.get("amountSet"))
	refunds = [
		{
			"refund_id": legacy_id(refund["id"]),
			"gid": refund["id"],
			"created_at": parse_time(refund.get("createdAt")),
			"amount": _money(refund.get("totalRefundedSet")),
		}
		for refund in order.get("refunds") or []
	]
	customer = order.get("customer")
	if customer:
		customer = {
			"customer_id": legacy_id(customer.get("id")),
			"first_name": customer.get("firstName") or "",
			"last_name": customer.get("lastName") or "",
			"display_name": customer.get("displayName") or "",
			"email": ((customer.get("defaultEmailAddress") or {}).get("emailAddress")) or order.get("email"),
			"phone": ((customer.get("defaultPhoneNumber") or {}).get("phoneNumber")) or order.get("phone"),
		}
	return OrderPlan(
		order_id=legacy_id(order["id"]),
		gid=order["id"],
		name=order.get("name") or legacy_id(order["id"]),
		created_at=parse_time(order.get("createdAt")),
		updated_at=parse_time(order.get("updatedAt")),
		cancelled_at=parse_time(order.get("cancelledAt")),
		currency=order.get("currencyCode") or "",
		taxes_included=bool(order.get("taxesIncluded")),
		customer=customer,
		email=order.get("email"),
		phone=order.get("phone"),
		shipping_address=order.get("shippingAddress"),
		billing_address=order.get("billingAddress"),
		lines=lines,
		taxes=[(t.get("title") or "Tax", _money(t.get("priceSet"))) for t in order.get("taxLines") or []],
		shipping=[
			(s.get("title") or "Shipping", _money(s.get("originalPriceSet")))
			for s in (order.get("shippingLines") or {}).get("nodes") or []
		],
		total_discount=_money(order.get("totalDiscountsSet")),
		total=_money(order.get("totalPriceSet")),
		financial_status=order.get("displayFinancialStatus"),
		paid_amount=paid,
		fulfilled=fulfilled,
		refunds=refunds,
	)


def refund_lines(refund_node: dict[str, Any]) -> dict[str, int]:
	"""``{line item id: quantity}`` of a Refund node (query REFUND_DETAILS)."""
	return {
		legacy_id(node["lineItem"]["id"]): int(node.get("quantity") or 0)
		for node in (refund_node.get("refundLineItems") or {}).get("nodes") or []
		if node.get("lineItem")
	}


def customer_display_name(plan: OrderPlan) -> str:
	"""A name for a new ERPNext Customer: the person, else the order's contact, else the order."""
	customer = plan.customer or {}
	name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p).strip()
	name = name or customer.get("display_name") or ""
	if not name and plan.shipping_address:
		address = plan.shipping_address
		name = " ".join(p for p in (address.get("firstName"), address.get("lastName")) if p).strip()
	return truncate(
		name or f"Shopify customer {customer.get('customer_id') or plan.name}", ERPNEXT_ITEM_NAME_MAX
	)


def order_reference_from_webhook(topic: str, payload: dict[str, Any]) -> str | None:
	"""The order GID a webhook is about (refunds carry ``order_id``, orders their own ``id``)."""
	if topic.startswith("refunds/"):
		return gid("Order", payload["order_id"]) if payload.get("order_id") else None
	if payload.get("admin_graphql_api_id"):
		return payload["admin_graphql_api_id"]
	return gid("Order", payload["id"]) if payload.get("id") else None


# --- products ------------------------------------------------------------------------------------


def handle_for(item_code: str) -> str:
	"""A stable product handle from the ERPNext item code: the idempotency key of ``productSet``."""
	handle = re.sub(r"[^a-z0-9]+", "-", item_code.lower()).strip("-")
	return f"erpnext-{handle}"[:SHOPIFY_TITLE_MAX]


def product_set_input(item: dict[str, Any], variants: list[dict[str, Any]] | None = None) -> dict[str, Any]:
	"""ProductSetInput for an Item (and its variants as product options).

	``item``: item_code, item_name, description, rate, weight_per_unit, weight_uom,
	shopify_product_id. ``variants``: item_code, rate, weight_per_unit, attributes
	({attribute: value}), shopify_variant_id.
	"""
	weight_units = {"kg": "KILOGRAMS", "g": "GRAMS", "gram": "GRAMS", "lb": "POUNDS", "pound": "POUNDS"}

	def variant_input(code: str, rate, weight, uom, options: list[dict[str, str]], variant_id: str | None):
		entry: dict[str, Any] = {
			"optionValues": options,
			"price": str(Decimal(str(rate or 0)).quantize(Decimal("0.01"))),
			"inventoryItem": {"sku": code, "tracked": True},
		}
		if weight:
			entry["inventoryItem"]["measurement"] = {
				"weight": {
					"value": float(weight),
					"unit": weight_units.get((uom or "kg").lower(), "KILOGRAMS"),
				}
			}
		if variant_id:
			entry["id"] = gid("ProductVariant", variant_id)
		return entry

	data: dict[str, Any] = {
		"title": truncate(item.get("item_name") or item["item_code"], SHOPIFY_TITLE_MAX),
		"handle": handle_for(item["item_code"]),
		"descriptionHtml": item.get("description") or "",
		"status": "ACTIVE",
	}
	if variants:
		attributes: dict[str, list[str]] = {}
		for variant in variants:
			for name, value in variant["attributes"].items():
				if value not in attributes.setdefault(name, []):
					attributes[name].append(value)
		data["productOptions"] = [
			{"name": name, "values": [{"name": value} for value in values]}
			for name, values in attributes.items()
		]
		data["variants"] = [
			variant_input(
				v["item_code"],
				v.get("rate"),
				v.get("weight_per_unit"),
				v.get("weight_uom"),
				[{"optionName": name, "name": value} for name, value in v["attributes"].items()],
				v.get("shopify_variant_id"),
			)
			for v in variants
		]
	else:
		data["productOptions"] = [{"name": "Title", "values": [{"name": "Default Title"}]}]
		data["variants"] = [
			variant_input(
				item["item_code"],
				item.get("rate"),
				item.get("weight_per_unit"),
				item.get("weight_uom"),
				[{"optionName": "Title", "name": "Default Title"}],
				item.get("shopify_variant_id"),
			)
		]
	return data


def product_identifier(item: dict[str, Any]) -> dict[str, str]:
	"""Update by the stored product id; before we have one, by the handle (so a retry cannot duplicate)."""
	if item.get("shopify_product_id"):
		return {"id": gid("Product", item["shopify_product_id"])}
	return {"handle": handle_for(item["item_code"])}


def item_name_for(title: str) -> str:
	return truncate(title, ERPNEXT_ITEM_NAME_MAX)
