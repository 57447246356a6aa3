"""Shopify records <-> plain plans for ERPNext documents, and the reverse for products.

Pure functions on the GraphQL shapes in ``queries.py``: they decide *what* the ERPNext
documents should say (customer, address, lines, taxes, what is paid, fulfilled, refunded); the
Frappe layer only turns a plan into documents. That keeps every rounding, truncation and
"which line is this" decision testable without a site. Pure Python: no frappe.
"""

from __future__ import annotations

import html
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


def order_job_key(store: str, order_id: str) -> str:
	"""Every piece of work about one order of one store shares this key: queued once, dead-lettered
	once (the same order id in another store is other work)."""
	return f"order:{store}:{legacy_id(order_id)}"


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
	is_gift_card: bool = False  # a gift card sold (a debt to its holder, not income)
	requires_shipping: bool = True  # False: nothing to deliver (gift cards, services, digital goods)
	only_default_variant: bool | None = None  # the product has one variant and no options

	@property
	def is_custom(self) -> bool:
		"""No product and no variant: a custom item (draft orders, POS) or one whose product was
		deleted since; Shopify's data does not tell the two apart."""
		return not self.variant_id and not self.product_id


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
	#: Order.returnStatus: NO_RETURN unless the shop made a Return for it (returns.py reads them)
	return_status: str = "NO_RETURN"

	@property
	def is_paid(self) -> bool:
		return self.financial_status in {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"} and self.paid_amount > 0

	@property
	def is_cancelled(self) -> bool:
		return self.cancelled_at is not None

	@property
	def stamp(self) -> str:
		"""updatedAt in one fixed UTC format (the Sales Order's Shopify Updated At), so that comparing
		the strings compares the times."""
		return self.updated_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

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
			is_gift_card=bool(node.get("isGiftCard")),
			requires_shipping=node.get("requiresShipping") is not False,
			only_default_variant=(node.get("product") or {}).get("hasOnlyDefaultVariant"),
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
		return_status=order.get("returnStatus") or "NO_RETURN",
	)


def refund_lines(refund_node: dict[str, Any]) -> dict[str, int]:
	"""``{line item id: quantity}`` of a Refund node (query REFUND_DETAILS)."""
	return {
		legacy_id(node["lineItem"]["id"]): int(node.get("quantity") or 0)
		for node in (refund_node.get("refundLineItems") or {}).get("nodes") or []
		if node.get("lineItem")
	}


@dataclass
class Shipment:
	"""What one warehouse shipped of an order: {line item id: quantity}, and when it last shipped."""

	warehouse: str
	quantities: dict[str, int] = field(default_factory=dict)
	shipped_at: str | None = None


def shipments_by_warehouse(
	fulfillments: list[dict[str, Any]], warehouse_of_location: dict[str, str], default_warehouse: str
) -> dict[str, Shipment]:
	"""Shopify's successful fulfilments grouped by the ERPNext warehouse of the location each shipped
	from (a location without a mapped warehouse ships from ``default_warehouse``). Cancelled
	fulfilments shipped nothing."""
	shipments: dict[str, Shipment] = {}
	for fulfillment in fulfillments:
		if (fulfillment.get("status") or "SUCCESS") != "SUCCESS":
			continue
		location = legacy_id((fulfillment.get("location") or {}).get("id"))
		warehouse = warehouse_of_location.get(location or "", default_warehouse)
		shipment = shipments.setdefault(warehouse, Shipment(warehouse))
		for line in (fulfillment.get("fulfillmentLineItems") or {}).get("nodes") or []:
			line_item_id = legacy_id((line.get("lineItem") or {}).get("id"))
			if line_item_id:
				shipment.quantities[line_item_id] = shipment.quantities.get(line_item_id, 0) + int(
					line.get("quantity") or 0
				)
		shipment.shipped_at = max(
			filter(None, (shipment.shipped_at, fulfillment.get("createdAt"))), default=None
		)
	return shipments


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


# --- Items from Shopify products ------------------------------------------------------------------

#: the option Shopify gives a product that has none (https://shopify.dev/docs/api/admin-graphql/latest/objects/ProductOption)
DEFAULT_OPTION = ("Title", ["Default Title"])
#: item codes of Items made from Shopify: a variant without a SKU, and the template of a product
VARIANT_CODE_PREFIX = "SHOPIFY-"
TEMPLATE_CODE_PREFIX = "SHOPIFY-PRODUCT-"


@dataclass
class VariantPlan:
	variant_id: str
	item_code: str  # the SKU, else SHOPIFY-<variant id>
	item_name: str
	description: str
	sku: str | None
	attributes: dict[str, str]  # option name -> value; empty for a product without options


@dataclass
class ProductPlan:
	"""The ERPNext Items one Shopify product becomes (query PRODUCT_BY_ID)."""

	product_id: str
	title: str
	item_name: str
	description: str
	options: list[tuple[str, list[str]]]  # [] for a product without options
	variants: list[VariantPlan]

	@property
	def is_single(self) -> bool:
		"""One Item (no template): a product with only its default variant."""
		return not self.options

	@property
	def template_code(self) -> str:
		return f"{TEMPLATE_CODE_PREFIX}{self.product_id}"


def variant_item_code(sku: str | None, variant_id: str) -> str:
	"""The item code of a variant's Item: its SKU (what a person searches for), else SHOPIFY-<id>."""
	sku = (sku or "").strip()
	if sku and len(sku) <= ERPNEXT_ITEM_NAME_MAX and not any(c in sku for c in "\n\r\t<>"):
		return sku
	return f"{VARIANT_CODE_PREFIX}{variant_id}"


def item_description(
	title: str, description_html: str | None = None, variant_title: str | None = None
) -> str:
	"""The full title (item_name is cut at 140 characters), then the product's own description."""
	heading = html.escape((title or "").strip())
	if variant_title:
		heading += f" — {html.escape(variant_title.strip())}"
	body = (description_html or "").strip()
	return f"<p>{heading}</p>{body}" if body else f"<p>{heading}</p>"


def product_plan(product: dict[str, Any]) -> ProductPlan:
	product_id = legacy_id(product["id"])
	title = (product.get("title") or "").strip() or f"Shopify product {product_id}"
	options = [
		(option.get("name") or "", [str(v) for v in option.get("values") or []])
		for option in product.get("options") or []
	]
	variant_nodes = list((product.get("variants") or {}).get("nodes") or [])
	if options == [DEFAULT_OPTION] or (not options and len(variant_nodes) <= 1):
		options = []
	variants = []
	for node in variant_nodes:
		variant_id = legacy_id(node["id"])
		attributes = (
			{o["name"]: str(o["value"]) for o in node.get("selectedOptions") or []} if options else {}
		)
		variant_title = (node.get("title") or "").strip() if options else None
		full = f"{title} - {variant_title}" if variant_title else title
		variants.append(
			VariantPlan(
				variant_id=variant_id,
				item_code=variant_item_code(node.get("sku"), variant_id),
				item_name=item_name_for(full),
				description=item_description(title, product.get("descriptionHtml"), variant_title),
				sku=(node.get("sku") or "").strip() or None,
				attributes=attributes,
			)
		)
	return ProductPlan(
		product_id=product_id,
		title=title,
		item_name=item_name_for(title),
		description=item_description(title, product.get("descriptionHtml")),
		options=options,
		variants=variants,
	)


def attribute_abbreviation(value: str, taken: set[str]) -> str:
	"""An Item Attribute Value abbreviation unique (case-insensitively) within its attribute."""
	base = re.sub(r"\s+", "-", value.strip().upper())[:20] or "V"
	abbr, n = base, 2
	while abbr.lower() in taken:
		abbr, n = f"{base}-{n}", n + 1
	return abbr
