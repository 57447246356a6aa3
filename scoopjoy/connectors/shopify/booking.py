"""What a Shopify order books in ERPNext, to the cent: item rows, discount, tax / shipping / other
charge rows and the total they must come to. Pure Python: no frappe.

Which money. An order carries every amount twice (https://shopify.dev/docs/api/admin-graphql/latest/objects/MoneyBag):
``shopMoney`` in the shop's currency, which Shopify settles and pays out in and totals its own
reports in, and ``presentmentMoney`` in the currency the customer saw. The Shopify Store chooses
("Book orders in"); the default is the shop's money, so the books agree with Shopify's reports and
payouts. The Frappe layer turns the chosen currency into the company's with an explicit rate.

Taxes. Shopify gives each line's and each shipping line's own tax lines (title, rate, amount); each
title is booked on the account the Shopify Store maps it to, as an "Actual" row with Shopify's
amount, never recomputed. ERPNext cannot include "Actual" rows in the print rate, so for shops
whose prices include tax (``taxesIncluded``) every line is booked net: its gross less its
discounts less Shopify's own tax amounts (never by dividing by 1 + the rates, which only agrees
with Shopify for one tax), at the unit rate ERPNext's precision can carry.

Rounding. What the unit rates cannot carry, and, for a foreign-currency order booked in the
shop's money, what Shopify's separate conversion of each MoneyBag leaves, goes on one explicit
"Rounding" row, never into a price or a tax, and only as far as :class:`Slack` (derived from the
rate precision, the units and the MoneyBags read) explains it; beyond that the order is refused
with both totals named. A refund credits its units at the booked rates and reverses its share of
that rounding the same way.

Discounts. Line allocations (codes, automatic and manual discounts, and an order-level discount
Shopify allocates across lines) become the document's additional discount on the net total, so
ERPNext shows and reports it; shipping is booked at its discounted price.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")
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
		"""What the Shopify Store maps to an account: the title, with the rate to tell apart equal titles."""
		return tax_key(self.title, self.rate)


def tax_key(title: str, rate: Decimal | float | str | None) -> str:
	percent = (Decimal(str(rate or 0)) * 100).normalize()
	return f"{title.strip()} {format(percent, 'f')}%"


@dataclass
class ItemRow:
	line_item_id: str
	title: str
	quantity: int
	rate: Decimal  # unit price net of tax, before discount, at ERPNext's rate precision
	discount: Decimal  # this line's discount, net of tax
	taxes: list[TaxShare] = field(default_factory=list)
	net: Decimal | None = None  # what Shopify charged for the line, net of tax and discounts

	@property
	def amount(self) -> Decimal:
		return self.rate * self.quantity


@dataclass
class ChargeRow:
	"""One "Actual" row of the document's taxes and charges table."""

	kind: str  # tax | shipping | tip | duty | fee | rounding
	description: str
	amount: Decimal
	tax_key: str | None = None  # taxes: what the Shopify Store maps to an account
	tax_title: str | None = None


@dataclass
class Booking:
	currency: str
	taxes_included: bool
	items: list[ItemRow]
	discount: Decimal
	charges: list[ChargeRow]
	expected_total: Decimal  # Shopify's current total price of the order
	rounding_allowed: Decimal = ZERO  # the most a Rounding row may carry (Slack)

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
	"""An amount for the quantity still on the order (an edit removed some units): what is left
	after the removed units' share, as Shopify lowers its ``current*`` figures."""
	if part == whole or not whole:
		return amount
	return amount - cents(amount * (whole - part) / whole)


def half_unit(precision: int) -> Decimal:
	"""Half of the smallest step a field of ``precision`` decimals can show: the most a value
	rounded to it can be off by."""
	return Decimal(1).scaleb(-precision) / 2


def _round(value: Decimal, precision: int) -> Decimal:
	return value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)


def _converted(order: dict, which: str) -> bool:
	"""Shopify converts each MoneyBag of a foreign-currency order on its own, so the shop-money parts
	of such an order miss its converted total by up to half a cent each."""
	return (
		which == SHOP_MONEY
		and bool(order.get("presentmentCurrencyCode"))
		and (order.get("presentmentCurrencyCode") != order.get("currencyCode"))
	)


def book_order(
	order: dict,
	which: str = SHOP_MONEY,
	lines: list[dict] | None = None,
	refunded: dict[str, int] | None = None,
	refunded_total: Decimal = ZERO,
	rate_precision: int = 2,
) -> Booking:
	"""The rows an order books. ``lines``: the order's line items when they were read in pages
	(default: ``order["lineItems"]``). Lines with nothing left on the order are not booked.

	``refunded`` ({line item gid: units}) and ``refunded_total``: refunds made before the order is
	booked. ``currentQuantity`` and the current total leave refunded units out, but they were sold
	and paid for: they are booked, and each refund becomes its credit note.

	Each line books what Shopify charged for it: its gross (unit price x units) less its discounts
	and, when prices include tax, less Shopify's own tax amounts. ERPNext keeps a unit rate of
	``rate_precision`` decimals, so the line's amount is that rate x units, and what the rate cannot
	carry goes on one explicit Rounding row, never into a price or a tax. The Rounding row may be at
	most what the rounding of the rates and the separate conversion of each MoneyBag explain (see
	:class:`Slack`); anything beyond that is refused with both totals."""
	refunded = refunded or {}
	taxes_included = bool(order.get("taxesIncluded"))
	currency = (
		order.get("presentmentCurrencyCode") if which == PRESENTMENT_MONEY else order.get("currencyCode")
	) or currency_of(order.get("totalPriceSet"), which)
	line_nodes = lines if lines is not None else nodes(order.get("lineItems"))
	has_line_taxes = any(line.get("taxLines") for line in line_nodes)
	slack = Slack.of(order, which)

	items: list[ItemRow] = []
	tips = ZERO
	for line in line_nodes:
		if is_tip(line, order):
			quantity = int(line.get("currentQuantity") or 0)
			tips += money(line.get("originalUnitPriceSet"), which) * quantity
			slack.bags(quantity)
			continue
		original = int(line.get("quantity") or 0)
		current = int(line["currentQuantity"]) if line.get("currentQuantity") is not None else original
		current = min(original, current + refunded.get(line.get("id"), 0))
		if current <= 0:
			continue
		scaled = current != original
		gross = money(line.get("originalUnitPriceSet"), which) * current
		allocations = line.get("discountAllocations")
		discount = _scaled(_line_discount(line, which), current, original)
		taxes = [
			TaxShare(t.title, t.rate, _scaled(t.amount, current, original))
			for t in _tax_shares(line.get("taxLines"), which)
		]
		net_before, net_discount = gross, discount
		if taxes_included:
			tax = sum((t.amount for t in taxes), ZERO)
			paid = gross - discount
			net_after = paid - tax
			if paid > 0:
				net_before = cents(gross * net_after / paid)
			else:  # given away: nothing paid, no tax; its net price from the rates
				net_before = cents(gross / (1 + sum((t.rate for t in taxes), ZERO)))
			net_discount = net_before - net_after
		rate = _round(net_before / current, rate_precision)
		slack.rates(current, rate_precision)
		slack.bags(current + len(allocations if allocations is not None else [1]) + len(taxes))
		if scaled:
			slack.prorated(1 + len(taxes))
		items.append(
			ItemRow(
				line_item_id=str(line.get("id") or ""),
				title=line.get("title") or "",
				quantity=current,
				rate=rate,
				discount=net_discount,
				taxes=taxes,
				net=net_before - net_discount,
			)
		)

	charges: list[ChargeRow] = []
	tax_shares: list[TaxShare] = [t for row in items for t in row.taxes]
	for shipping in nodes(order.get("shippingLines")):
		price, shipping_taxes = _shipping_charge(shipping, which, taxes_included)
		tax_shares += shipping_taxes
		slack.bags(1 + len(shipping_taxes))
		if price:
			charges.append(ChargeRow("shipping", shipping.get("title") or "Shipping", price))
	if not has_line_taxes:  # an order read without line tax lines: its order-level lines
		tax_shares = _tax_shares(order.get("taxLines"), which)
		slack.bags(len(tax_shares))
	for key, (title, amount) in _by_key(tax_shares).items():
		if amount:
			charges.append(ChargeRow("tax", title, amount, tax_key=key, tax_title=title))

	extras = _extra_charges(order, which, tips)
	charges += extras
	slack.bags(len(extras))

	expected = money(order.get("currentTotalPriceSet") or order.get("totalPriceSet"), which) + refunded_total
	slack.bags(1)
	booking = Booking(
		currency=currency or "",
		taxes_included=taxes_included,
		items=items,
		discount=sum((row.discount for row in items), ZERO),
		charges=charges,
		expected_total=expected,
		rounding_allowed=slack.total,
	)
	difference = expected - booking.booked_total
	if difference:
		booking.charges.append(
			slack.rounding_row(
				difference,
				OrderDoesNotAddUp(
					f"Shopify order {order.get('name') or order.get('id')}: its lines, discounts, shipping "
					f"and taxes come to {booking.booked_total} {booking.currency}, but Shopify's total is "
					f"{expected} {booking.currency} (difference {difference}, more than the "
					f"{slack.total} that rounding and currency conversion can explain)."
				),
			)
		)
	return booking


def _shipping_charge(shipping: dict, which: str, taxes_included: bool) -> tuple[Decimal, list[TaxShare]]:
	"""A shipping line's price as booked (discounted, net of its tax when prices include tax), and
	its tax shares."""
	price = money(shipping.get("discountedPriceSet") or shipping.get("originalPriceSet"), which)
	taxes = _tax_shares(shipping.get("taxLines"), which)
	if taxes_included:
		price -= sum((t.amount for t in taxes), ZERO)
	return price, taxes


def _extra_charges(order: dict, which: str, tips: Decimal) -> list[ChargeRow]:
	"""In the total, outside lines, shipping and taxes: tips, import duties and additional fees
	(https://shopify.dev/docs/api/admin-graphql/latest/objects/Order#field-currentTotalDutiesSet)."""
	rows = [ChargeRow("tip", "Tip", tips)] if tips else []
	for kind, field_name, description in OTHER_CHARGES:
		amount = money(order.get(field_name), which)
		if amount:
			rows.append(ChargeRow(kind, description, amount))
	return rows


class Slack:
	"""How far the rows of a document may honestly miss Shopify's total, built up as they are made:
	half a step of the rate's precision per unit (a unit rate cannot carry more decimals), half a
	cent per MoneyBag read when Shopify converted each one separately (a foreign-currency order
	booked in the shop's money), and half a cent per amount prorated over units the way Shopify
	does but does not document (units removed by an edit, a refund's share of a discount)."""

	def __init__(self, converted: bool = False, presentment_per_shop: Decimal = ZERO) -> None:
		self.converted = converted
		self.total = ZERO
		# Shopify prorates in the customer's money, then converts: half a cent of theirs, in ours
		self.prorated_cent = HALF_CENT
		if converted and presentment_per_shop:
			self.prorated_cent = max(HALF_CENT, HALF_CENT / presentment_per_shop)

	def rates(self, units: int, precision: int) -> None:
		self.total += half_unit(precision) * units

	def bags(self, count: int) -> None:
		if self.converted:
			self.total += HALF_CENT * count

	def prorated(self, count: int) -> None:
		self.total += self.prorated_cent * count

	@classmethod
	def of(cls, order: dict, which: str) -> Slack:
		converted = _converted(order, which)
		total = order.get("currentTotalPriceSet") or order.get("totalPriceSet")
		shop, presentment = money(total, SHOP_MONEY), money(total, PRESENTMENT_MONEY)
		return cls(converted, presentment / shop if converted and shop and presentment else ZERO)

	def rounding_row(self, difference: Decimal, refusal: ValueError) -> ChargeRow:
		"""The Rounding row for ``difference``; ``refusal`` raised when the slack cannot explain it."""
		if abs(difference) > self.total:
			raise refusal
		return ChargeRow("rounding", self.description, difference)

	@property
	def description(self) -> str:
		if self.converted:
			return "Rounding (currency conversion and unit rates)"
		return "Rounding (unit rates)"


def _by_key(shares: list[TaxShare]) -> dict[str, tuple[str, Decimal]]:
	"""Tax shares summed per title and rate, in the order they were first met."""
	found: dict[str, tuple[str, Decimal]] = {}
	for share in shares:
		title, amount = found.get(share.key, (share.title, ZERO))
		found[share.key] = (title, amount + share.amount)
	return found


# --- payments -------------------------------------------------------------------------------------

#: OrderTransaction kinds that bring money in, and the one that pays it back
#: (https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderTransactionKind). An AUTHORIZATION
#: is not money yet: it becomes a payment when it is captured (CAPTURE).
RECEIVED_KINDS = ("SALE", "CAPTURE")
REFUND_KIND = "REFUND"
#: gateways whose money is a debt of the merchant's, not cash: a gift card redeemed, store credit
#: spent (https://shopify.dev/docs/api/admin-graphql/latest/objects/StoreCreditAccount). They are
#: booked against a liability account named in Shopify Store > Payment Methods, never Cash.
LIABILITY_GATEWAYS = ("gift_card", "shopify_store_credit")


@dataclass(frozen=True)
class Transaction:
	transaction_id: str  # the numeric id: a payment's reference and its dedup key
	kind: str
	status: str
	gateway: str
	amount: Decimal  # in the booked money
	processed_at: str | None
	shop_amount: Decimal = ZERO  # what it settled as in the shop's currency (amountSet.shopMoney)
	presentment_amount: Decimal = ZERO  # what the customer paid, in their currency
	#: cash rounding (amountRoundingSet, shop money): the drawer got ``shop_amount + rounding``
	#: (https://shopify.dev/changelog/new-cash-rounding-on-order-and-order-transaction)
	rounding: Decimal = ZERO


def transactions(nodes_or_connection: Any, which: str = SHOP_MONEY) -> list[Transaction]:
	"""Successful transactions, as Shopify lists them (oldest first), cash change netted out of the
	sale it was given back from (:func:`net_of_change`)."""
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
				shop_amount=money(node.get("amountSet"), SHOP_MONEY),
				presentment_amount=money(node.get("amountSet"), PRESENTMENT_MONEY),
				rounding=money(node.get("amountRoundingSet"), SHOP_MONEY),
			)
		)
	return net_of_change(found)


def net_of_change(found: list[Transaction]) -> list[Transaction]:
	"""Cash tendered less the change given back: a CHANGE transaction is "money returned to the
	customer when they've paid too much during a cash transaction"
	(https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderTransactionKind), so it lowers the
	latest SALE of its gateway before it; the CHANGE itself is not booked."""
	netted: list[Transaction] = []
	for each in found:
		if each.kind != "CHANGE":
			netted.append(each)
			continue
		for index in range(len(netted) - 1, -1, -1):
			sale = netted[index]
			if sale.kind in RECEIVED_KINDS and sale.gateway == each.gateway:
				netted[index] = replace(
					sale,
					amount=sale.amount - each.amount,
					shop_amount=sale.shop_amount - each.shop_amount,
					presentment_amount=sale.presentment_amount - each.presentment_amount,
				)
				break
	return netted


def settles_the_order(order: dict, found: list[Transaction], transaction: Transaction) -> bool:
	"""Whether, with ``transaction``, the customer has paid all the order asks of them, counted in
	their own money: then its payment takes whatever the invoice still has outstanding, and any
	difference in the booked money (Shopify converts each payment at its own time and rate) is an
	exchange gain or loss, not a debt left open for ever. The order asks its current total plus what
	its refunds gave back (the invoice was booked before them)."""
	received = ZERO
	for each in found:
		if each.kind in RECEIVED_KINDS:
			received += each.presentment_amount
		if each is transaction:
			break
	refunded = sum(
		(money(r.get("totalRefundedSet"), PRESENTMENT_MONEY) for r in order.get("refunds") or []), ZERO
	)
	asked = money(order.get("currentTotalPriceSet") or order.get("totalPriceSet"), PRESENTMENT_MONEY)
	return received >= asked + refunded


def refund_paid_out(refund: dict, found: list[Transaction], transaction: Transaction) -> bool:
	"""Whether, with ``transaction``, all a refund gave back has been paid out (counted in the
	customer's money, successful REFUND transactions only): a part still pending keeps the credit
	note open for its own payment."""
	paid = ZERO
	for each in found:
		if each.kind == REFUND_KIND:
			paid += each.presentment_amount
		if each is transaction:
			break
	return paid >= money(refund.get("totalRefundedSet"), PRESENTMENT_MONEY)


# --- refunds --------------------------------------------------------------------------------------


@dataclass
class RefundLine:
	line_item_id: str  # the line item gid
	quantity: int
	rate: Decimal  # the unit rate the line was booked at
	discount: Decimal  # these units' share of the line's booked discount
	restock_type: str | None = None  # RETURN | CANCEL | NO_RESTOCK | LEGACY_RESTOCK


@dataclass
class RefundBooking:
	"""What one Shopify refund credits: returned units at the rates they were booked at, their
	share of the line's discount, tax and shipping shares on their own rows, what the unit rates
	could not carry on a Rounding row (reversing the invoice's), and what Shopify paid back
	differently (a restocking fee kept) as the adjustment, or an amount-only refund on the Refund
	Item."""

	lines: list[RefundLine]
	charges: list[ChargeRow]
	adjustment: Decimal  # > 0: paid back less than the goods, shipping and tax credited
	total: Decimal  # what Shopify paid back (totalRefundedSet)
	refund_item: Decimal = ZERO  # without returned lines: the amount the Refund Item credits

	@property
	def credited(self) -> Decimal:
		"""What the credit note comes to (it must be ``total``)."""
		goods = sum((line.rate * line.quantity - line.discount for line in self.lines), ZERO)
		return goods + self.refund_item + sum((c.amount for c in self.charges), ZERO) - self.adjustment

	@property
	def discount(self) -> Decimal:
		return sum((line.discount for line in self.lines), ZERO)

	@property
	def credits_nothing(self) -> bool:
		"""Nothing of value came back and nothing was paid: free units (a sample at 0.00) returned.
		No credit note: it would credit nothing, and ERPNext 16 refuses a return whose total before
		discount is not below zero once an earlier return of the invoice carried a discount."""
		return (
			not self.total
			and not self.refund_item
			and not self.adjustment
			and not any(charge.amount for charge in self.charges)
			and not any(line.rate * line.quantity for line in self.lines)
		)


class RefundDoesNotAddUp(ValueError):
	"""A refund's rows do not come to what Shopify paid back: refuse, never bend a number."""


def _split(amount: Decimal, shares: list[TaxShare]) -> list[tuple[TaxShare, Decimal]]:
	"""``amount`` over the tax lines it came from, pro rata, to the cent (largest remainder)."""
	whole = sum((s.amount for s in shares), ZERO)
	if not shares or not whole:
		return [(shares[0], amount)] if shares else []
	parts = [cents(amount * s.amount / whole) for s in shares]
	parts[-1] += amount - sum(parts, ZERO)
	return list(zip(shares, parts, strict=True))


def book_refund(
	refund: dict,
	order: dict,
	which: str = SHOP_MONEY,
	booking: Booking | None = None,
	rates: dict[str, Decimal] | None = None,
	rate_precision: int = 2,
) -> RefundBooking:
	"""The credit of one Refund node (query REFUND_DETAILS) of ``order`` (ORDER_FIELDS).

	``booking``: what the order booked (:func:`book_order`), for each line's rate and discount;
	``rates`` ({line item gid: rate}) overrides the rates with those of the invoice's rows. Returned
	units are credited at the booked rate with their share of the line's booked discount; what
	Shopify paid back for them beyond that (the rates' rounding, Shopify's own proration) goes on a
	Rounding row within the same kind of :class:`Slack` as the order's."""
	taxes_included = bool(order.get("taxesIncluded"))
	lines_by_id = {line.get("id"): line for line in nodes(order.get("lineItems"))}
	shipping_by_title = {s.get("title"): s for s in nodes(order.get("shippingLines"))}
	booked = {row.line_item_id: row for row in (booking.items if booking else [])}
	rates = rates or {}
	slack = Slack.of(order, which)
	refund_lines, charges = [], []
	taxes: list[TaxShare] = []

	def add_taxes(amount: Decimal, sources: list[TaxShare]) -> None:
		taxes.extend(TaxShare(share.title, share.rate, part) for share, part in _split(amount, sources))

	for node in nodes(refund.get("refundLineItems")):
		line_id = (node.get("lineItem") or {}).get("id")
		quantity = int(node.get("quantity") or 0)
		subtotal, tax = money(node.get("subtotalSet"), which), money(node.get("totalTaxSet"), which)
		net = subtotal - tax if taxes_included else subtotal
		row = booked.get(line_id)
		rate = rates.get(line_id, row.rate if row else None)
		if rate is None:  # a line the order did not book at a rate (never expected): its own price
			rate = _round(net / quantity, rate_precision) if quantity else ZERO
		discount = cents(row.discount * quantity / row.quantity) if row and row.quantity else ZERO
		refund_lines.append(RefundLine(line_id, quantity, rate, discount, node.get("restockType")))
		line_taxes = _tax_shares((lines_by_id.get(line_id) or {}).get("taxLines"), which)
		slack.rates(quantity, rate_precision)
		# the discount share here; Shopify's shares of the subtotal and of each tax there
		slack.prorated(2 + len(line_taxes))
		slack.bags(2)
		add_taxes(tax, line_taxes)
	for node in nodes(refund.get("refundShippingLines")):
		subtotal, tax = money(node.get("subtotalAmountSet"), which), money(node.get("taxAmountSet"), which)
		title = (node.get("shippingLine") or {}).get("title") or "Shipping"
		net = subtotal - tax if taxes_included else subtotal
		slack.bags(2)
		if net:
			charges.append(ChargeRow("shipping", title, net))
		add_taxes(tax, _tax_shares((shipping_by_title.get(title) or {}).get("taxLines"), which))
	adjustment = ZERO
	order_taxes = _order_tax_shares(order, which)
	for node in nodes(refund.get("orderAdjustments")):
		adjustment += money(node.get("amountSet"), which)
		# the tax Shopify adds to a discrepancy (an amount-only refund that includes VAT gives that
		# VAT back): output tax reversed on the order's own tax titles, pro rata
		add_taxes(-money(node.get("taxAmountSet"), which), order_taxes)
		slack.bags(2)
	for key, (title, amount) in _by_key(taxes).items():
		if amount:
			charges.append(ChargeRow("tax", title, amount, tax_key=key, tax_title=title))
	total = money(refund.get("totalRefundedSet"), which)
	slack.bags(1)
	credit = RefundBooking(lines=refund_lines, charges=charges, adjustment=adjustment, total=total)
	if not refund_lines:
		# a shipping-only or amount-only refund: ERPNext's credit note needs an item row, the Refund
		# Item, for what is left after shipping and tax; paid back less than those is the adjustment
		left = total - sum((c.amount for c in charges), ZERO)
		credit.refund_item, credit.adjustment = max(left, ZERO), max(-left, ZERO)
		return credit
	# what the booked rates, the discount shares and Shopify's own proration and conversion leave
	rounding = total - credit.credited
	if rounding:
		charges.append(
			slack.rounding_row(
				rounding,
				RefundDoesNotAddUp(
					f"Shopify refund {refund.get('id')}: the returned units at the rates they were booked "
					f"at come to {rounding} {currency_of(refund.get('totalRefundedSet'), which) or ''} away "
					f"from what Shopify credited for them, more than the {slack.total} rounding explains."
				),
			)
		)
	return credit


def _order_tax_shares(order: dict, which: str) -> list[TaxShare]:
	"""The order's taxes per title and rate (its lines' and shipping lines', else its own)."""
	shares = [t for line in nodes(order.get("lineItems")) for t in _tax_shares(line.get("taxLines"), which)]
	shares += [t for s in nodes(order.get("shippingLines")) for t in _tax_shares(s.get("taxLines"), which)]
	return shares or _tax_shares(order.get("taxLines"), which)
