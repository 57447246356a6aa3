"""What a Shopify order books in ERPNext, to the cent: item rows, discount, tax / shipping / other
charge rows and the total they must come to. Pure Python: no frappe.

Which money. An order carries every amount twice (https://shopify.dev/docs/api/admin-graphql/latest/objects/MoneyBag):
``shopMoney`` in the shop's currency, which Shopify settles and pays out in and totals its own
reports in, and ``presentmentMoney`` in the currency the customer saw. Shopify Settings choose
("Book orders in"); the default is the shop's money, so the books agree with Shopify's reports and
payouts. The Frappe layer turns the chosen currency into the company's with an explicit rate.

Taxes. Shopify gives each line's and each shipping line's own tax lines (title, rate, amount); each
title is booked on the account Shopify Settings map it to, as an "Actual" row with Shopify's
amount, never recomputed. ERPNext cannot include "Actual" rows in the print rate, so for shops
whose prices include tax (``taxesIncluded``) every line is booked at its net unit price
(gross / (1 + its tax rates), to the cent) and the cents that per-unit rounding leaves are booked
on their own "Rounding" row, never hidden in a tax or a price. Exclusive-tax orders must add up
without any such row; an order that does not add up (beyond a cent per booked line) is refused
with both totals named.

Discounts. Line allocations (codes, automatic and manual discounts, and an order-level discount
Shopify allocates across lines) become the document's additional discount on the net total, so
ERPNext shows and reports it; shipping is booked at its discounted price.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
#: charges in an order's total that are neither lines nor shipping: (kind, Order field, description)
OTHER_CHARGES = (
	("duty", "currentTotalDutiesSet", "Duties"),
	("fee", "currentTotalAdditionalFeesSet", "Additional fees"),
)
ZERO = Decimal("0")
SHOP_MONEY = "shopMoney"
PRESENTMENT_MONEY = "presentmentMoney"


def cents(value: Decimal) -> Decimal:
	return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(bag: dict | None, which: str = SHOP_MONEY) -> Decimal:
	"""An amount of a MoneyBag (``{"shopMoney": {"amount": "1.50", ...}, "presentmentMoney": ...}``)."""
	amount = ((bag or {}).get(which) or (bag or {}).get(SHOP_MONEY) or {}).get("amount")
	return Decimal(str(amount)) if amount not in (None, "") else ZERO


def currency_of(bag: dict | None, which: str = SHOP_MONEY) -> str | None:
	return ((bag or {}).get(which) or {}).get("currencyCode")


def nodes(connection: Any) -> list[dict]:
	"""``{"nodes": [...]}`` or a plain list (Shopify has both shapes) -> the list."""
	if isinstance(connection, dict):
		return connection.get("nodes") or [edge["node"] for edge in connection.get("edges") or []]
	return list(connection or [])


@dataclass(frozen=True)
class TaxShare:
	title: str
	rate: Decimal
	amount: Decimal

	@property
	def key(self) -> str:
		"""What Shopify Settings map to an account: the title, with the rate to tell apart equal titles."""
		return tax_key(self.title, self.rate)


def tax_key(title: str, rate: Decimal | float | str | None) -> str:
	percent = (Decimal(str(rate or 0)) * 100).normalize()
	return f"{title.strip()} {format(percent, 'f')}%"


@dataclass
class ItemRow:
	line_item_id: str
	title: str
	quantity: int
	rate: Decimal  # unit price net of tax, before discount
	discount: Decimal  # this line's discount, net of tax
	taxes: list[TaxShare] = field(default_factory=list)

	@property
	def amount(self) -> Decimal:
		return self.rate * self.quantity


@dataclass
class ChargeRow:
	"""One "Actual" row of the document's taxes and charges table."""

	kind: str  # tax | shipping | tip | duty | fee | rounding
	description: str
	amount: Decimal
	tax_key: str | None = None  # taxes: what Shopify Settings map to an account
	tax_title: str | None = None


@dataclass
class Booking:
	currency: str
	taxes_included: bool
	items: list[ItemRow]
	discount: Decimal
	charges: list[ChargeRow]
	expected_total: Decimal  # Shopify's current total price of the order

	@property
	def booked_total(self) -> Decimal:
		return sum((row.amount for row in self.items), ZERO) - self.discount + self.charge_total

	@property
	def charge_total(self) -> Decimal:
		return sum((row.amount for row in self.charges), ZERO)

	@property
	def tax_total(self) -> Decimal:
		return sum((row.amount for row in self.charges if row.kind == "tax"), ZERO)

	def taxes_by_key(self) -> dict[str, Decimal]:
		found: dict[str, Decimal] = defaultdict(lambda: ZERO)
		for row in self.charges:
			if row.kind == "tax":
				found[row.tax_key] += row.amount
		return dict(found)


class OrderDoesNotAddUp(ValueError):
	"""The rows built from an order do not come to Shopify's total: refuse, never bend a number."""


def _tax_shares(tax_lines: list[dict] | None, which: str) -> list[TaxShare]:
	return [
		TaxShare(
			line.get("title") or "Tax",
			Decimal(str(line.get("rate") or 0)),
			money(line.get("priceSet"), which),
		)
		for line in tax_lines or []
		if money(line.get("priceSet"), which)
	]


def _line_discount(line: dict, which: str) -> Decimal:
	allocations = line.get("discountAllocations")
	if allocations is not None:
		return sum((money(a.get("allocatedAmountSet"), which) for a in allocations), ZERO)
	return money(line.get("totalDiscountSet"), which)


def is_tip(line: dict, order: dict) -> bool:
	"""A tip is a line without product or variant that Shopify titles "Tip", on an order that
	received tips (``totalTipReceivedSet``): money for the staff, not a sale of goods."""
	return (
		not line.get("product")
		and not line.get("variant")
		and (line.get("title") or "").strip().lower() == "tip"
		and money(order.get("totalTipReceivedSet")) > 0
	)


def _scaled(amount: Decimal, part: int, whole: int) -> Decimal:
	"""An amount for the quantity still on the order (an edit removed some units)."""
	return amount if part == whole or not whole else cents(amount * part / whole)


def book_order(
	order: dict,
	which: str = SHOP_MONEY,
	lines: list[dict] | None = None,
	refunded: dict[str, int] | None = None,
	refunded_total: Decimal = ZERO,
) -> Booking:
	"""The rows an order books. ``lines``: the order's line items when they were read in pages
	(default: ``order["lineItems"]``). Lines with nothing left on the order are not booked.

	``refunded`` ({line item gid: units}) and ``refunded_total``: refunds made before the order is
	booked. ``currentQuantity`` and the current total leave refunded units out, but they were sold
	and paid for: they are booked, and each refund becomes its credit note."""
	refunded = refunded or {}
	taxes_included = bool(order.get("taxesIncluded"))
	currency = (
		order.get("presentmentCurrencyCode") if which == PRESENTMENT_MONEY else order.get("currencyCode")
	) or currency_of(order.get("totalPriceSet"), which)
	line_nodes = lines if lines is not None else nodes(order.get("lineItems"))
	has_line_taxes = any(line.get("taxLines") for line in line_nodes)

	items: list[ItemRow] = []
	tips = ZERO
	for line in line_nodes:
		if is_tip(line, order):
			tips += money(line.get("originalUnitPriceSet"), which) * int(line.get("currentQuantity") or 0)
			continue
		original = int(line.get("quantity") or 0)
		current = int(line["currentQuantity"]) if line.get("currentQuantity") is not None else original
		current = min(original, current + refunded.get(line.get("id"), 0))
		if current <= 0:
			continue
		gross_unit = money(line.get("originalUnitPriceSet"), which)
		discount = _scaled(_line_discount(line, which), current, original)
		taxes = [
			TaxShare(t.title, t.rate, _scaled(t.amount, current, original))
			for t in _tax_shares(line.get("taxLines"), which)
		]
		rate, net_discount = gross_unit, discount
		if taxes_included:
			divisor = 1 + sum((t.rate for t in taxes), ZERO)
			rate, net_discount = cents(gross_unit / divisor), cents(discount / divisor)
		items.append(
			ItemRow(
				line_item_id=str(line.get("id") or ""),
				title=line.get("title") or "",
				quantity=current,
				rate=rate,
				discount=net_discount,
				taxes=taxes,
			)
		)

	charges: list[ChargeRow] = []
	tax_shares: list[TaxShare] = [t for row in items for t in row.taxes]
	for shipping in nodes(order.get("shippingLines")):
		price = money(shipping.get("discountedPriceSet") or shipping.get("originalPriceSet"), which)
		shipping_taxes = _tax_shares(shipping.get("taxLines"), which)
		tax_shares += shipping_taxes
		if taxes_included:
			price -= sum((t.amount for t in shipping_taxes), ZERO)
		if price:
			charges.append(ChargeRow("shipping", shipping.get("title") or "Shipping", price))
	if not has_line_taxes:  # an order read without line tax lines: its order-level lines
		tax_shares = _tax_shares(order.get("taxLines"), which)
	by_key: dict[str, tuple[str, Decimal]] = {}
	for share in tax_shares:
		title, amount = by_key.get(share.key, (share.title, ZERO))
		by_key[share.key] = (title, amount + share.amount)
	for key, (title, amount) in by_key.items():
		if amount:
			charges.append(ChargeRow("tax", title, amount, tax_key=key, tax_title=title))

	if tips:
		charges.append(ChargeRow("tip", "Tip", tips))
	# in the total, outside lines and shipping: import duties and additional fees
	# (https://shopify.dev/docs/api/admin-graphql/latest/objects/Order#field-currentTotalDutiesSet)
	for kind, field_name, description in OTHER_CHARGES:
		amount = money(order.get(field_name), which)
		if amount:
			charges.append(ChargeRow(kind, description, amount))

	expected = money(order.get("currentTotalPriceSet") or order.get("totalPriceSet"), which) + refunded_total
	booking = Booking(
		currency=currency or "",
		taxes_included=taxes_included,
		items=items,
		discount=sum((row.discount for row in items), ZERO),
		charges=charges,
		expected_total=expected,
	)
	difference = expected - booking.booked_total
	if difference:
		allowed = CENT * (len(items) + len(charges)) if taxes_included else ZERO
		if abs(difference) > allowed:
			raise OrderDoesNotAddUp(
				f"Shopify order {order.get('name') or order.get('id')}: its lines, discounts, shipping "
				f"and taxes come to {booking.booked_total} {booking.currency}, but Shopify's total is "
				f"{expected} {booking.currency} (difference {difference})."
			)
		booking.charges.append(ChargeRow("rounding", "Rounding (prices including tax)", difference))
	return booking


# --- payments -------------------------------------------------------------------------------------

#: OrderTransaction kinds that bring money in, and the one that pays it back
#: (https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderTransactionKind). An AUTHORIZATION
#: is not money yet: it becomes a payment when it is captured (CAPTURE).
RECEIVED_KINDS = ("SALE", "CAPTURE")
REFUND_KIND = "REFUND"


@dataclass(frozen=True)
class Transaction:
	transaction_id: str  # the numeric id: a payment's reference and its dedup key
	kind: str
	status: str
	gateway: str
	amount: Decimal
	processed_at: str | None


def transactions(nodes_or_connection: Any, which: str = SHOP_MONEY) -> list[Transaction]:
	"""Successful transactions, as Shopify lists them (oldest first)."""
	found = []
	for node in nodes(nodes_or_connection):
		if node.get("status") != "SUCCESS":
			continue
		found.append(
			Transaction(
				transaction_id=str(node.get("id") or "").rsplit("/", 1)[-1],
				kind=node.get("kind") or "",
				status=node["status"],
				gateway=(node.get("gateway") or "manual").strip().lower(),
				amount=money(node.get("amountSet"), which),
				processed_at=node.get("processedAt"),
			)
		)
	return found


# --- refunds --------------------------------------------------------------------------------------


@dataclass
class RefundBooking:
	"""What one Shopify refund credits: returned units at the rates they were booked at, the
	discount share of those units, tax and shipping shares on their own rows, and what Shopify
	paid back differently (a restocking fee kept, an amount-only refund)."""

	lines: list[tuple[str, int, Decimal]]  # (line item gid, quantity, net amount credited)
	charges: list[ChargeRow]
	adjustment: Decimal  # > 0: paid back less than the goods, shipping and tax credited
	total: Decimal  # what Shopify paid back (totalRefundedSet)


def _split(amount: Decimal, shares: list[TaxShare]) -> list[tuple[TaxShare, Decimal]]:
	"""``amount`` over the tax lines it came from, pro rata, to the cent (largest remainder)."""
	whole = sum((s.amount for s in shares), ZERO)
	if not shares or not whole:
		return [(shares[0], amount)] if shares else []
	parts = [cents(amount * s.amount / whole) for s in shares]
	parts[-1] += amount - sum(parts, ZERO)
	return list(zip(shares, parts, strict=True))


def book_refund(refund: dict, order: dict, which: str = SHOP_MONEY) -> RefundBooking:
	"""The credit of one Refund node (query REFUND_DETAILS) of ``order`` (ORDER_FIELDS)."""
	taxes_included = bool(order.get("taxesIncluded"))
	lines_by_id = {line.get("id"): line for line in nodes(order.get("lineItems"))}
	shipping_by_title = {s.get("title"): s for s in nodes(order.get("shippingLines"))}
	booked_lines, charges = [], []
	taxes: dict[str, tuple[str, Decimal]] = {}

	def add_taxes(amount: Decimal, sources: list[TaxShare]) -> None:
		for share, part in _split(amount, sources):
			title, total = taxes.get(share.key, (share.title, ZERO))
			taxes[share.key] = (title, total + part)

	for node in nodes(refund.get("refundLineItems")):
		line_id = (node.get("lineItem") or {}).get("id")
		subtotal, tax = money(node.get("subtotalSet"), which), money(node.get("totalTaxSet"), which)
		booked_lines.append(
			(line_id, int(node.get("quantity") or 0), subtotal - tax if taxes_included else subtotal)
		)
		add_taxes(tax, _tax_shares((lines_by_id.get(line_id) or {}).get("taxLines"), which))
	for node in nodes(refund.get("refundShippingLines")):
		subtotal, tax = money(node.get("subtotalAmountSet"), which), money(node.get("taxAmountSet"), which)
		title = (node.get("shippingLine") or {}).get("title") or "Shipping"
		net = subtotal - tax if taxes_included else subtotal
		if net:
			charges.append(ChargeRow("shipping", title, net))
		add_taxes(tax, _tax_shares((shipping_by_title.get(title) or {}).get("taxLines"), which))
	for key, (title, amount) in taxes.items():
		if amount:
			charges.append(ChargeRow("tax", title, amount, tax_key=key, tax_title=title))
	adjustment = sum((money(a.get("amountSet"), which) for a in nodes(refund.get("orderAdjustments"))), ZERO)
	return RefundBooking(
		lines=booked_lines,
		charges=charges,
		adjustment=adjustment,
		total=money(refund.get("totalRefundedSet"), which),
	)
