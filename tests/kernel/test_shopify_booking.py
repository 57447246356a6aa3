"""What a Shopify order books, to the cent (scoopjoy/connectors/shopify/booking.py).

The orders are written the way the GraphQL Admin API returns them (Order, LineItem, ShippingLine,
TaxLine, DiscountAllocation, MoneyBag: https://shopify.dev/docs/api/admin-graphql/latest/objects/Order).
"""

from decimal import Decimal

import pytest

from scoopjoy.connectors.shopify.booking import (
	PRESENTMENT_MONEY,
	OrderDoesNotAddUp,
	book_order,
	tax_key,
)

D = Decimal


def bag(shop: str, presentment: str | None = None, shop_currency="EUR", presentment_currency=None):
	return {
		"shopMoney": {"amount": shop, "currencyCode": shop_currency},
		"presentmentMoney": {
			"amount": presentment or shop,
			"currencyCode": presentment_currency or shop_currency,
		},
	}


def tax(title, rate, amount, **kw):
	return {"title": title, "rate": rate, "priceSet": bag(amount, **kw)}


def line(n, price, quantity, taxes=(), discount=None, current=None, **kw):
	return {
		"id": f"gid://shopify/LineItem/{n}",
		"title": f"Line {n}",
		"quantity": quantity,
		"currentQuantity": quantity if current is None else current,
		"originalUnitPriceSet": bag(price, **kw),
		"discountAllocations": [{"allocatedAmountSet": bag(discount, **kw)}] if discount else [],
		"taxLines": list(taxes),
	}


def order(lines, total, shipping=(), taxes_included=False, currency="EUR", **extra):
	return {
		"id": "gid://shopify/Order/450789469",
		"name": "#1001",
		"currencyCode": currency,
		"presentmentCurrencyCode": extra.pop("presentment", currency),
		"taxesIncluded": taxes_included,
		"lineItems": {"nodes": list(lines)},
		"shippingLines": {"nodes": list(shipping)},
		"currentTotalPriceSet": bag(total, shop_currency=currency),
		**extra,
	}


def test_exclusive_tax_order_books_shopify_amounts_and_adds_up_without_rounding():
	# two lines, a 10 % discount code on the first, US state + county + city tax, taxed shipping
	booking = book_order(
		order(
			[
				line(1, "4.50", 2, [tax("CA State", 0.0625, "0.51"), tax("LA County", 0.01, "0.08")], "0.90"),
				line(2, "12.00", 1, [tax("CA State", 0.0625, "0.75"), tax("LA County", 0.01, "0.12")]),
			],
			"26.87",
			shipping=[
				{
					"title": "Cold chain",
					"originalPriceSet": bag("5.00"),
					"discountedPriceSet": bag("5.00"),
					"taxLines": [tax("CA State", 0.0625, "0.31")],
				}
			],
			currency="USD",
		)
	)
	assert [(r.rate, r.quantity) for r in booking.items] == [(D("4.50"), 2), (D("12.00"), 1)]
	assert booking.discount == D("0.90")
	assert booking.taxes_by_key() == {
		tax_key("CA State", 0.0625): D("1.57"),
		tax_key("LA County", 0.01): D("0.20"),
	}
	assert booking.tax_total == D("1.77")
	assert booking.booked_total == D("26.87")
	assert not [row for row in booking.charges if row.kind == "rounding"]


def test_prices_including_vat_are_booked_net_with_the_vat_on_its_own_rows():
	# UK shop, 20 % VAT included in every price: 3 x 3.99, 1 x 7.50, shipping 3.95 with VAT
	booking = book_order(
		order(
			[
				line(1, "3.99", 3, [tax("GB VAT", 0.2, "2.00")]),
				line(2, "7.50", 1, [tax("GB VAT", 0.2, "1.25")]),
			],
			"23.42",
			shipping=[
				{
					"title": "Standard",
					"originalPriceSet": bag("3.95"),
					"discountedPriceSet": bag("3.95"),
					"taxLines": [tax("GB VAT", 0.2, "0.66")],
				}
			],
			taxes_included=True,
			currency="GBP",
		)
	)
	# each line net of Shopify's VAT: 11.97 - 2.00 = 9.97 for 3 units (3.32 a unit), 7.50 - 1.25
	assert [r.rate for r in booking.items] == [D("3.32"), D("6.25")]
	assert booking.tax_total == D("3.91")  # Shopify's VAT, not recomputed
	shipping = next(r for r in booking.charges if r.kind == "shipping")
	assert shipping.amount == D("3.29")
	rounding = [r.amount for r in booking.charges if r.kind == "rounding"]
	assert rounding == [D("0.01")]  # 3 x 3.32 = 9.96 of the 9.97 Shopify charged net
	assert booking.booked_total == D("23.42")


def test_the_customers_money_can_be_booked_instead_of_the_shops():
	kw = {"shop_currency": "HKD", "presentment_currency": "USD"}
	booking = book_order(
		{
			**order([line(1, "21.87", 1, **kw)], "21.87", currency="HKD", presentment="USD"),
			"lineItems": {
				"nodes": [
					{
						**line(1, "0", 1),
						"originalUnitPriceSet": bag("21.87", "2.80", **kw),
					}
				]
			},
			"currentTotalPriceSet": bag("21.87", "2.80", **kw),
		},
		which=PRESENTMENT_MONEY,
	)
	assert booking.currency == "USD"
	assert booking.booked_total == D("2.80")


def test_removed_units_are_not_booked():
	booking = book_order(
		order(
			[line(1, "3.00", 4, [tax("VAT", 0.1, "1.20")], current=1), line(2, "2.00", 1, current=0)], "3.30"
		)
	)
	assert [(r.line_item_id, r.quantity) for r in booking.items] == [("gid://shopify/LineItem/1", 1)]
	assert booking.tax_total == D("0.30")


def test_an_order_that_does_not_add_up_is_refused_with_both_totals():
	with pytest.raises(OrderDoesNotAddUp, match=r"come to 9.00 EUR, but Shopify's total is 10.00 EUR"):
		book_order(order([line(1, "4.50", 2)], "10.00"))


def test_order_level_tax_lines_are_used_when_lines_carry_none():
	booking = book_order({**order([line(1, "10.00", 1)], "10.80"), "taxLines": [tax("GST", 0.08, "0.80")]})
	assert booking.taxes_by_key() == {tax_key("GST", 0.08): D("0.80")}


def test_duties_and_additional_fees_are_booked_as_their_own_charges():
	booking = book_order(
		{
			**order([line(1, "10.00", 1)], "13.50"),
			"currentTotalDutiesSet": bag("2.50"),
			"currentTotalAdditionalFeesSet": bag("1.00"),
		}
	)
	assert {r.kind: r.amount for r in booking.charges} == {"duty": D("2.50"), "fee": D("1.00")}


def test_a_tip_is_a_charge_of_its_own_not_an_item():
	tip = {**line(9, "2.00", 1), "title": "Tip", "product": None, "variant": None}
	booking = book_order({**order([line(1, "10.00", 1), tip], "12.00"), "totalTipReceivedSet": bag("2.00")})
	assert [row.line_item_id for row in booking.items] == ["gid://shopify/LineItem/1"]
	assert [(r.kind, r.amount) for r in booking.charges] == [("tip", D("2.00"))]
