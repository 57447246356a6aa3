"""The Shopify simulator's order money, to the cent, over real HTTP: MoneyBags in two currencies,
per-line taxes, discounts and their allocations, transactions, refunds, edits, tips, paging, and
the REST webhook body.

Shapes and rules from https://shopify.dev/docs/api/admin-graphql/latest/objects/Order (and
.../LineItem, .../ShippingLine, .../TaxLine, .../MoneyBag, .../OrderTransaction, .../Refund,
.../DiscountApplication, .../DiscountAllocation, .../Shop) and
https://shopify.dev/docs/api/admin-rest/latest/resources/order.
"""

import json
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests
from graphql import parse, validate

from scoopjoy.tests.simulators import SimulatorServer
from scoopjoy.tests.simulators.shopify import ShopifySimulator, allocate
from scoopjoy.tests.simulators.shopify_schema import SCHEMA

TOKEN = "shpat_sim_token"
SECRET = "shpss_sim_secret"
#: no throttling, and room for the one big document below (Shopify would refuse it: cost > 1,000)
BIG = {"bucket_size": 1_000_000.0, "restore_rate": 1_000_000.0, "max_query_cost": 1_000_000}
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)

BAG = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }"
TAX = f"title rate ratePercentage channelLiable priceSet {{ {BAG} }}"
APPLICATION = """
	__typename allocationMethod targetSelection targetType index
	value { __typename ... on MoneyV2 { amount currencyCode } ... on PricingPercentageValue { percentage } }
	... on DiscountCodeApplication { code }
	... on ManualDiscountApplication { title description }
	... on AutomaticDiscountApplication { title }
	... on ScriptDiscountApplication { title }
"""
ALLOCATION = f"allocatedAmountSet {{ {BAG} }} discountApplication {{ {APPLICATION} }}"
ORDER = f"""
query Order($id: ID!, $lines: Int = 50, $after: String) {{
	order(id: $id) {{
		id name currencyCode presentmentCurrencyCode taxesIncluded displayFinancialStatus edited updatedAt
		capturable fullyPaid unpaid refundable paymentGatewayNames discountCode discountCodes
		subtotalLineItemsQuantity currentSubtotalLineItemsQuantity
		subtotalPriceSet {{ {BAG} }} currentSubtotalPriceSet {{ {BAG} }}
		totalDiscountsSet {{ {BAG} }} currentTotalDiscountsSet {{ {BAG} }}
		cartDiscountAmountSet {{ {BAG} }} currentCartDiscountAmountSet {{ {BAG} }}
		totalShippingPriceSet {{ {BAG} }} currentShippingPriceSet {{ {BAG} }} totalRefundedShippingSet {{ {BAG} }}
		totalTaxSet {{ {BAG} }} currentTotalTaxSet {{ {BAG} }}
		originalTotalDutiesSet {{ {BAG} }} currentTotalDutiesSet {{ {BAG} }}
		originalTotalAdditionalFeesSet {{ {BAG} }} currentTotalAdditionalFeesSet {{ {BAG} }}
		totalPriceSet {{ {BAG} }} originalTotalPriceSet {{ {BAG} }} currentTotalPriceSet {{ {BAG} }}
		totalReceivedSet {{ {BAG} }} totalRefundedSet {{ {BAG} }} totalOutstandingSet {{ {BAG} }}
		totalCapturableSet {{ {BAG} }} totalTipReceivedSet {{ {BAG} }}
		taxLines {{ {TAX} }}
		currentTaxLines {{ {TAX} }}
		discountApplications(first: 10) {{ nodes {{ {APPLICATION} }} }}
		lineItems(first: $lines, after: $after) {{
			nodes {{
				id title name sku quantity currentQuantity unfulfilledQuantity nonFulfillableQuantity
				refundableQuantity requiresShipping taxable isGiftCard variant {{ id }} product {{ id }}
				originalUnitPriceSet {{ {BAG} }} discountedUnitPriceSet {{ {BAG} }}
				discountedUnitPriceAfterAllDiscountsSet {{ {BAG} }} originalTotalSet {{ {BAG} }}
				discountedTotalSet {{ {BAG} }} totalDiscountSet {{ {BAG} }}
				taxLines(first: 5) {{ {TAX} }}
				discountAllocations {{ {ALLOCATION} }}
			}}
			pageInfo {{ hasNextPage endCursor }}
		}}
		shippingLines(first: 5) {{
			nodes {{
				id title code source custom isRemoved
				originalPriceSet {{ {BAG} }} discountedPriceSet {{ {BAG} }} currentDiscountedPriceSet {{ {BAG} }}
				taxLines {{ {TAX} }}
				discountAllocations {{ {ALLOCATION} }}
			}}
		}}
		transactions(first: 10) {{
			id kind status gateway formattedGateway test processedAt amountSet {{ {BAG} }}
			parentTransaction {{ id kind }}
		}}
		refunds(first: 10) {{
			id createdAt note totalRefundedSet {{ {BAG} }}
			refundLineItems(first: 10) {{
				nodes {{ quantity restockType lineItem {{ id }} priceSet {{ {BAG} }} subtotalSet {{ {BAG} }} totalTaxSet {{ {BAG} }} }}
			}}
			refundShippingLines(first: 5) {{
				nodes {{ id shippingLine {{ id title }} subtotalAmountSet {{ {BAG} }} taxAmountSet {{ {BAG} }} }}
			}}
			transactions(first: 5) {{ nodes {{ id kind status gateway amountSet {{ {BAG} }} parentTransaction {{ id }} }} }}
			orderAdjustments(first: 5) {{ nodes {{ id reason amountSet {{ {BAG} }} taxAmountSet {{ {BAG} }} }} }}
		}}
	}}
}}
"""


@pytest.fixture
def sim():
	with ShopifySimulator(TOKEN, client_secret=SECRET, **BIG) as server:
		yield server


@pytest.fixture
def session():
	with requests.Session() as s:
		s.headers["X-Shopify-Access-Token"] = TOKEN
		yield s


def gql(sim, session, query, variables=None):
	response = session.post(sim.graphql_url, json={"query": query, "variables": variables or {}})
	assert response.status_code == 200, response.text
	body = response.json()
	assert "errors" not in body, body["errors"]
	return body


def fetch(sim, session, order, **variables):
	return gql(sim, session, ORDER, {"id": order["id"], **variables})["data"]["order"]


def D(value):
	return Decimal(str(value))


def amount(bag, side="shopMoney"):
	return D(bag[side]["amount"])


def total(bags, side="shopMoney"):
	return sum((amount(b, side) for b in bags), Decimal(0))


def per_title(tax_lines, side="shopMoney"):
	out = {}
	for t in tax_lines:
		out[t["title"]] = out.get(t["title"], Decimal(0)) + amount(t["priceSet"], side)
	return out


def bags(node):
	"""Every MoneyBag in a response tree."""
	if isinstance(node, dict):
		if "shopMoney" in node or "presentmentMoney" in node:
			yield node
			return
		for value in node.values():
			yield from bags(value)
	elif isinstance(node, list):
		for value in node:
			yield from bags(value)


def test_the_document_validates_against_the_schema():
	assert validate(SCHEMA, parse(ORDER)) == []


def test_allocate_is_largest_remainder_to_the_cent():
	assert allocate("10.00", [199, 199, 199]) == [D("3.34"), D("3.33"), D("3.33")]
	assert allocate("0.05", [1, 1, 1, 1, 1, 1]) == [D("0.01")] * 5 + [D("0.00")]
	assert sum(allocate("7.77", ["12.34", "0.01", "99.99", "0"])) == D("7.77")
	assert allocate("1.00", [0, 0]) == [D("0.50"), D("0.50")]
	assert allocate("-0.03", [1, 1]) == [D("-0.02"), D("-0.01")]


# --- taxes -------------------------------------------------------------------------------------------


def test_tax_inclusive_eu_order_adds_up_to_the_cent(session):
	with ShopifySimulator(TOKEN, currency="EUR", timezone="Europe/Berlin", **BIG) as sim:
		vat = [{"title": "MwSt", "rate": 0.2}]
		order = sim.add_order(
			taxes_included=True,
			lines=[
				{"title": "Gelato 500ml", "sku": "GEL-500", "price": "7.99", "quantity": 3, "tax_lines": vat},
				{"title": "Sorbet 1l", "sku": "SOR-1", "price": "12.49", "quantity": 1, "tax_lines": vat},
				{"title": "Cones x12", "sku": "CON-12", "price": "3.33", "quantity": 2, "tax_lines": vat},
			],
			shipping_lines=[{"title": "Kühlversand", "price": "6.90", "tax_lines": vat}],
		)
		data = fetch(sim, session, order)
		shop = gql(sim, session, "{ shop { currencyCode ianaTimezone timezoneAbbreviation } }")["data"]
	assert shop["shop"]["currencyCode"] == "EUR" and shop["shop"]["ianaTimezone"] == "Europe/Berlin"
	assert shop["shop"]["timezoneAbbreviation"] in ("CET", "CEST")
	assert data["taxesIncluded"] is True and data["currencyCode"] == "EUR"
	lines = data["lineItems"]["nodes"]
	shipping = data["shippingLines"]["nodes"][0]
	# prices include VAT: the total is what the lines and the shipping cost, tax not added on top
	line_totals = total(li["originalTotalSet"] for li in lines)
	assert line_totals == D("23.97") + D("12.49") + D("6.66") == D("43.12")
	assert amount(data["totalPriceSet"]) == line_totals + D("6.90") == D("50.02")
	assert amount(data["subtotalPriceSet"]) == line_totals
	# each line's VAT is price x 20/120, rounded half up per line: 3.995, 2.0816.., 1.11
	got = [amount(li["taxLines"][0]["priceSet"]) for li in lines]
	assert got == [D("4.00"), D("2.08"), D("1.11")]
	assert amount(shipping["taxLines"][0]["priceSet"]) == D("1.15")
	# the order's tax is the sum of the line and shipping tax lines
	assert amount(data["totalTaxSet"]) == sum(got) + D("1.15") == D("8.34")
	assert data["taxLines"] == [
		{
			"title": "MwSt",
			"rate": 0.2,
			"ratePercentage": 20.0,
			"channelLiable": None,
			"priceSet": {
				"shopMoney": {"amount": "8.34", "currencyCode": "EUR"},
				"presentmentMoney": {"amount": "8.34", "currencyCode": "EUR"},
			},
		}
	]
	assert all(li["taxLines"][0]["ratePercentage"] == 20.0 for li in lines)


def test_order_level_taxes_are_split_over_the_lines_and_add_up(sim, session):
	order = sim.add_order(
		lines=[
			{"title": "Tub", "sku": "TUB", "price": "10.00", "quantity": 1},
			{"title": "Cone", "sku": "CONE", "price": "3.33", "quantity": 3},
			{"title": "Bar", "sku": "BAR", "price": "0.99", "quantity": 1},
		],
		tax_lines=[{"title": "GST", "rate": 0.05}, {"title": "Cess", "rate": 0.01, "price": "0.21"}],
	)
	data = fetch(sim, session, order)
	lines = data["lineItems"]["nodes"]
	# 10.00 + 9.99 + 0.99 = 20.98; GST 5% = 1.049 -> 1.05; split 10.00 : 9.99 : 0.99
	assert [amount(li["taxLines"][0]["priceSet"]) for li in lines] == [D("0.50"), D("0.50"), D("0.05")]
	assert [amount(li["taxLines"][1]["priceSet"]) for li in lines] == [D("0.10"), D("0.10"), D("0.01")]
	assert per_title(data["taxLines"]) == {"GST": D("1.05"), "Cess": D("0.21")}
	assert per_title(t for li in lines for t in li["taxLines"]) == per_title(data["taxLines"])
	assert amount(data["totalPriceSet"]) == D("20.98") + D("5.00") + D("1.26")


def test_three_us_taxes_on_two_lines(sim, session):
	us = [
		{"title": "CA State Tax", "rate": 0.06},
		{"title": "Los Angeles County Tax", "rate": 0.0025},
		{"title": "Los Angeles City Tax", "rate": 0.0225},
	]
	order = sim.add_order(
		lines=[
			{"title": "Pint", "sku": "PINT", "price": "8.99", "quantity": 3, "tax_lines": us},
			{"title": "Cake", "sku": "CAKE", "price": "34.50", "quantity": 1, "tax_lines": us},
		],
		shipping_lines=[{"title": "Local delivery", "price": "4.00"}],
	)
	data = fetch(sim, session, order)
	pint, cake = data["lineItems"]["nodes"]
	# 26.97 x 6% = 1.6182, x 0.25% = 0.067425, x 2.25% = 0.606825
	assert [amount(t["priceSet"]) for t in pint["taxLines"]] == [D("1.62"), D("0.07"), D("0.61")]
	# 34.50 x 6% = 2.07, x 0.25% = 0.08625, x 2.25% = 0.77625
	assert [amount(t["priceSet"]) for t in cake["taxLines"]] == [D("2.07"), D("0.09"), D("0.78")]
	assert [t["rate"] for t in data["taxLines"]] == [0.06, 0.0025, 0.0225]
	assert [t["ratePercentage"] for t in data["taxLines"]] == [6.0, 0.25, 2.25]
	assert per_title(data["taxLines"]) == {
		"CA State Tax": D("3.69"),
		"Los Angeles County Tax": D("0.16"),
		"Los Angeles City Tax": D("1.39"),
	}
	assert amount(data["totalTaxSet"]) == D("5.24") == total(t["priceSet"] for t in data["taxLines"])
	assert amount(data["totalPriceSet"]) == D("26.97") + D("34.50") + D("4.00") + D("5.24")


# --- two currencies --------------------------------------------------------------------------------


def _hkd(usd):
	return (D(usd) / D("0.128")).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_multi_currency_order_has_both_moneys_in_every_money_bag(session):
	with ShopifySimulator(TOKEN, currency="HKD", timezone="Asia/Hong_Kong", **BIG) as sim:
		order = sim.add_order(
			presentment_currency="USD",
			presentment_rate="0.128",
			lines=[
				{"title": "Mochi box", "sku": "MOC", "price": "12.99", "quantity": 2},
				{"title": "Taro pint", "sku": "TAR", "price": "7.45", "quantity": 1, "discount": "0.50"},
			],
			tax_lines=[{"title": "Sales tax", "rate": 0.0875}],
			shipping_lines=[
				{"title": "Express", "price": "9.99", "tax_lines": [{"title": "Sales tax", "rate": 0.0875}]}
			],
			discount="3.00",
			discount_code="WELCOME3",
			tip="2.00",
		)
		sim.add_transaction(order["id"], "SALE")
		data = fetch(sim, session, order)
		shop = gql(sim, session, "{ shop { currencyCode ianaTimezone timezoneAbbreviation timezoneOffset } }")
		payload = sim.webhook_payload("orders/paid", order["id"])
	assert shop["data"]["shop"] == {
		"currencyCode": "HKD",
		"ianaTimezone": "Asia/Hong_Kong",
		"timezoneAbbreviation": "HKT",
		"timezoneOffset": "+0800",
	}
	assert data["currencyCode"] == "HKD" and data["presentmentCurrencyCode"] == "USD"
	found = list(bags(data))
	assert len(found) > 40
	for bag in found:
		assert bag["shopMoney"]["currencyCode"] == "HKD"
		assert bag["presentmentMoney"]["currencyCode"] == "USD"
		# each MoneyBag converted on its own: presentment / rate, half up to the cent
		assert amount(bag) == _hkd(amount(bag, "presentmentMoney")), bag
	# presentment money adds up exactly: 25.98 + 7.45 - 0.50 - 3.00 = 29.93 + 9.99 + tax + tip
	subtotal = amount(data["subtotalPriceSet"], "presentmentMoney")
	assert subtotal == D("29.93")
	tax = amount(data["totalTaxSet"], "presentmentMoney")
	assert tax == D("2.62") + D("0.87")  # 8.75% of 29.93 = 2.618875; of 9.99 = 0.874125
	price = amount(data["totalPriceSet"], "presentmentMoney")
	assert price == subtotal + D("9.99") + tax + D("2.00") == D("45.41")
	assert amount(data["totalPriceSet"]) == _hkd("45.41") == D("354.77")
	# ...shop money does not always: the parts, converted one by one, miss the total by cents
	parts = [data["subtotalPriceSet"], data["totalTaxSet"], data["totalTipReceivedSet"]]
	parts.append(data["shippingLines"]["nodes"][0]["discountedPriceSet"])
	assert total(parts, "presentmentMoney") == price
	assert total(parts) != amount(data["totalPriceSet"])
	assert abs(total(parts) - amount(data["totalPriceSet"])) <= D("0.03")
	# the discount value is in presentment money
	[code] = data["discountApplications"]["nodes"][1:]
	assert code["value"] == {"__typename": "MoneyV2", "amount": "3.0", "currencyCode": "USD"}
	assert data["displayFinancialStatus"] == "PAID"
	assert data["transactions"][0]["amountSet"]["presentmentMoney"] == {
		"amount": "45.41",
		"currencyCode": "USD",
	}
	assert amount(data["totalOutstandingSet"], "presentmentMoney") == 0
	# REST: shop amounts at the top, both moneys in every *_set
	assert payload["currency"] == "HKD" and payload["presentment_currency"] == "USD"
	assert payload["total_price"] == "354.77"
	assert payload["total_price_set"]["presentment_money"] == {"amount": "45.41", "currency_code": "USD"}
	line = payload["line_items"][0]
	assert line["price"] == "101.48" and line["price_set"]["presentment_money"]["amount"] == "12.99"
	assert line["tax_lines"][0]["price_set"]["presentment_money"]["currency_code"] == "USD"
	assert payload["total_tip_received"] == "15.63"


# --- discounts ----------------------------------------------------------------------------------------


def test_a_discount_code_is_allocated_across_the_lines(sim, session):
	order = sim.add_order(
		lines=[
			{"title": "Sundae", "sku": "SUN", "price": "6.50", "quantity": 2},
			{"title": "Shake", "sku": "SHA", "price": "4.25", "quantity": 1, "discount": "0.25"},
			{"title": "Waffle", "sku": "WAF", "price": "2.99", "quantity": 3},
		],
		discount="5.00",
		discount_code="SUMMER5",
		shipping_lines=[{"title": "Standard", "price": "3.00"}],
	)
	data = fetch(sim, session, order)
	sundae, shake, waffle = data["lineItems"]["nodes"]
	assert data["discountCodes"] == ["SUMMER5"] and data["discountCode"] == "SUMMER5"
	manual, code = data["discountApplications"]["nodes"]
	assert manual == {
		"__typename": "ManualDiscountApplication",
		"allocationMethod": "ACROSS",
		"targetSelection": "EXPLICIT",
		"targetType": "LINE_ITEM",
		"index": 0,
		"value": {"__typename": "MoneyV2", "amount": "0.25", "currencyCode": "USD"},
		"title": "Custom discount",
		"description": None,
	}
	assert code == {
		"__typename": "DiscountCodeApplication",
		"allocationMethod": "ACROSS",
		"targetSelection": "ALL",
		"targetType": "LINE_ITEM",
		"index": 1,
		"value": {"__typename": "MoneyV2", "amount": "5.0", "currencyCode": "USD"},
		"code": "SUMMER5",
	}
	# after the line's own discount: 13.00, 4.00, 8.97 = 25.97; 5.00 pro rata, largest remainder
	code_parts = [
		[
			amount(a["allocatedAmountSet"])
			for a in li["discountAllocations"]
			if a["discountApplication"]["index"] == 1
		]
		for li in (sundae, shake, waffle)
	]
	assert code_parts == [[D("2.50")], [D("0.77")], [D("1.73")]]
	assert sum(p[0] for p in code_parts) == D("5.00")
	# line-level figures hold the line's own discount only, as documented
	assert amount(shake["totalDiscountSet"]) == D("0.25") and amount(sundae["totalDiscountSet"]) == 0
	assert amount(shake["discountedTotalSet"]) == D("4.00")
	assert amount(shake["discountedUnitPriceAfterAllDiscountsSet"]) == D("3.23")
	assert amount(sundae["discountedUnitPriceAfterAllDiscountsSet"]) == D("5.25")
	assert amount(data["totalDiscountsSet"]) == D("5.25") == amount(data["currentTotalDiscountsSet"])
	assert amount(data["cartDiscountAmountSet"]) == D("5.00")
	assert amount(data["subtotalPriceSet"]) == D("20.97")
	assert amount(data["totalPriceSet"]) == D("23.97")


def test_a_percentage_code_and_an_automatic_line_discount(sim, session):
	order = sim.add_order(
		lines=[
			{"title": "A", "sku": "A", "price": "9.99", "quantity": 1},
			{
				"title": "B",
				"sku": "B",
				"price": "5.00",
				"quantity": 2,
				"discount": {"value": "10%", "type": "automatic", "title": "Buy 2 save 10%"},
			},
		],
		discount="15%",
		discount_code="FIFTEEN",
	)
	data = fetch(sim, session, order)
	auto, code = data["discountApplications"]["nodes"]
	assert auto["__typename"] == "AutomaticDiscountApplication" and auto["title"] == "Buy 2 save 10%"
	assert auto["value"] == {"__typename": "PricingPercentageValue", "percentage": 10.0}
	assert code["value"] == {"__typename": "PricingPercentageValue", "percentage": 15.0}
	a, b = data["lineItems"]["nodes"]
	assert amount(b["totalDiscountSet"]) == D("1.00")
	# 15% of (9.99 + 9.00) = 2.8485 -> 2.85, split 9.99 : 9.00
	assert [amount(x["discountAllocations"][-1]["allocatedAmountSet"]) for x in (a, b)] == [
		D("1.50"),
		D("1.35"),
	]
	assert amount(data["subtotalPriceSet"]) == D("18.99") - D("2.85")


def test_free_shipping_code_zeroes_the_shipping_line(sim, session):
	order = sim.add_order(
		lines=[{"title": "Tub", "sku": "TUB", "price": "20.00", "quantity": 2}],
		shipping_lines=[{"title": "Cold chain", "price": "7.50"}],
		shipping_discount={"value": "100%", "code": "FREESHIP"},
	)
	data = fetch(sim, session, order)
	ship = data["shippingLines"]["nodes"][0]
	assert amount(ship["originalPriceSet"]) == D("7.50")
	assert amount(ship["discountedPriceSet"]) == 0 == amount(ship["currentDiscountedPriceSet"])
	[allocation] = ship["discountAllocations"]
	assert amount(allocation["allocatedAmountSet"]) == D("7.50")
	assert allocation["discountApplication"]["code"] == "FREESHIP"
	assert allocation["discountApplication"]["targetType"] == "SHIPPING_LINE"
	assert allocation["discountApplication"]["allocationMethod"] == "EACH"
	assert data["discountCodes"] == ["FREESHIP"]
	assert amount(data["totalShippingPriceSet"]) == D("7.50")  # before discounts, as documented
	assert amount(data["currentShippingPriceSet"]) == 0
	assert amount(data["totalDiscountsSet"]) == D("7.50")
	assert data["cartDiscountAmountSet"] is None
	assert amount(data["totalPriceSet"]) == D("40.00") == amount(data["subtotalPriceSet"])
	rest = sim.webhook_payload("orders/create", order["id"])
	assert rest["discount_codes"] == [{"code": "FREESHIP", "amount": "7.50", "type": "shipping"}]
	assert rest["shipping_lines"][0]["discounted_price"] == "0.00"
	assert rest["discount_applications"][0]["target_type"] == "shipping_line"


# --- transactions ------------------------------------------------------------------------------------


def test_gift_card_and_shopify_payments_transactions(sim, session):
	order = sim.add_order(lines=[{"title": "Party pack", "sku": "PP", "price": "60.00", "quantity": 1}])
	assert fetch(sim, session, order)["displayFinancialStatus"] == "PENDING"
	gift = sim.add_transaction(order["id"], "SALE", "25.00", gateway="gift_card")
	data = fetch(sim, session, order)
	assert data["displayFinancialStatus"] == "PARTIALLY_PAID"
	assert amount(data["totalReceivedSet"]) == D("25.00")
	assert amount(data["totalOutstandingSet"]) == D("40.00")  # 60 + 5 shipping - 25
	sim.add_transaction(order["id"], "SALE", "40.00", gateway="shopify_payments", status="FAILURE")
	assert fetch(sim, session, order)["displayFinancialStatus"] == "PARTIALLY_PAID"
	sim.add_transaction(order["id"], "SALE")  # the outstanding amount
	data = fetch(sim, session, order)
	assert data["displayFinancialStatus"] == "PAID" and data["fullyPaid"] is True
	assert amount(data["totalReceivedSet"]) == D("65.00") and amount(data["totalOutstandingSet"]) == 0
	assert [
		(t["kind"], t["status"], t["gateway"], t["formattedGateway"], t["amountSet"]["shopMoney"]["amount"])
		for t in data["transactions"]
	] == [
		("SALE", "SUCCESS", "gift_card", "Gift card", "25.0"),
		("SALE", "FAILURE", "shopify_payments", "Shopify Payments", "40.0"),
		("SALE", "SUCCESS", "shopify_payments", "Shopify Payments", "40.0"),
	]
	assert data["paymentGatewayNames"] == ["gift_card", "shopify_payments"]
	assert gift["id"] == data["transactions"][0]["id"]
	# a refund goes back through the card, not the gift card
	refund = sim.refund(order["id"], amount="10.00")
	assert refund["transactions"][0]["gateway"] == "shopify_payments"
	assert refund["transactions"][0]["parentTransaction"]["id"] == data["transactions"][2]["id"]


def test_authorize_capture_and_void(sim, session):
	order = sim.add_order(lines=[{"title": "Cake", "sku": "CAKE", "price": "45.00", "quantity": 1}])
	auth = sim.add_transaction(order["id"], "AUTHORIZATION", gateway="paypal")
	data = fetch(sim, session, order)
	assert data["displayFinancialStatus"] == "AUTHORIZED" and data["capturable"] is True
	assert amount(data["totalCapturableSet"]) == D("50.00") and amount(data["totalReceivedSet"]) == 0
	assert gql(
		sim,
		session,
		"query($id: ID!) { order(id: $id) { transactions(first: 5, capturable: true) { id } } }",
		{"id": order["id"]},
	)["data"]["order"]["transactions"] == [{"id": auth["id"]}]
	sim.add_transaction(order["id"], "CAPTURE", "20.00", gateway="paypal")
	data = fetch(sim, session, order)
	assert data["displayFinancialStatus"] == "PARTIALLY_PAID"
	assert amount(data["totalCapturableSet"]) == D("30.00")
	assert data["transactions"][1]["parentTransaction"] == {"id": auth["id"], "kind": "AUTHORIZATION"}
	sim.add_transaction(order["id"], "CAPTURE", gateway="paypal")  # the rest
	data = fetch(sim, session, order)
	assert data["displayFinancialStatus"] == "PAID" and amount(data["totalCapturableSet"]) == 0
	other = sim.add_order(lines=[{"title": "Cake", "sku": "CAKE", "price": "45.00", "quantity": 1}])
	sim.add_transaction(other["id"], "AUTHORIZATION")
	sim.add_transaction(other["id"], "VOID")
	data = fetch(sim, session, other)
	assert data["displayFinancialStatus"] == "VOIDED" and amount(data["totalCapturableSet"]) == 0
	with pytest.raises(ValueError):
		sim.add_transaction(other["id"], "SUGGESTED_REFUND", "1.00")


def test_mark_paid_is_one_sale_for_what_is_outstanding(sim, session):
	order = sim.add_order(lines=[{"title": "Bar", "sku": "BAR", "price": "2.00", "quantity": 5}])
	sim.add_transaction(order["id"], "SALE", "4.00", gateway="cash_on_delivery")
	sim.mark_paid(order["id"])
	sim.mark_paid(order["id"])  # nothing left to pay: no second sale
	data = fetch(sim, session, order)
	assert [(t["gateway"], amount(t["amountSet"])) for t in data["transactions"]] == [
		("cash_on_delivery", D("4.00")),
		("shopify_payments", D("11.00")),
	]
	assert data["displayFinancialStatus"] == "PAID"


# --- refunds -----------------------------------------------------------------------------------------


def test_partial_refund_of_one_line_and_the_shipping(sim, session):
	gst = [{"title": "GST", "rate": 0.18}]
	order = sim.add_order(
		lines=[
			{"title": "Kulfi", "sku": "KUL", "price": "3.50", "quantity": 3},
			{"title": "Falooda", "sku": "FAL", "price": "6.25", "quantity": 2},
		],
		tax_lines=gst,
		discount="1.00",
		shipping_lines=[{"title": "Cold chain", "price": "5.00", "tax_lines": gst}],
	)
	sim.mark_paid(order["id"])
	before = fetch(sim, session, order)
	kulfi = before["lineItems"]["nodes"][0]
	# 10.50 + 12.50 = 23.00; 1.00 split 0.46 / 0.54; GST 18% of 22.00 = 3.96 split 1.81 / 2.15
	assert [
		amount(a["allocatedAmountSet"])
		for li in before["lineItems"]["nodes"]
		for a in li["discountAllocations"]
	] == [D("0.46"), D("0.54")]
	assert amount(kulfi["taxLines"][0]["priceSet"]) == D("1.81")
	assert amount(before["totalPriceSet"]) == D("22.00") + D("3.96") + D("5.00") + D("0.90") == D("31.86")
	refund = sim.refund(order["id"], {0: 1}, shipping="5.00", note="melted")
	data = fetch(sim, session, order)
	[node] = data["refunds"]
	[rli] = node["refundLineItems"]["nodes"]
	assert rli["quantity"] == 1 and rli["lineItem"]["id"] == kulfi["id"] and rli["restockType"] == "RETURN"
	assert amount(rli["priceSet"]) == D("3.50")
	assert amount(rli["subtotalSet"]) == D("3.35")  # (10.50 - 0.46) / 3
	assert amount(rli["totalTaxSet"]) == D("0.60")  # 1.81 / 3
	[rsl] = node["refundShippingLines"]["nodes"]
	assert rsl["shippingLine"]["title"] == "Cold chain"
	assert amount(rsl["subtotalAmountSet"]) == D("5.00") and amount(rsl["taxAmountSet"]) == D("0.90")
	[tx] = node["transactions"]["nodes"]
	assert (tx["kind"], tx["status"], tx["gateway"]) == ("REFUND", "SUCCESS", "shopify_payments")
	assert amount(tx["amountSet"]) == D("3.35") + D("0.60") + D("5.00") + D("0.90") == D("9.85")
	assert amount(node["totalRefundedSet"]) == D("9.85") and node["note"] == "melted"
	assert node["orderAdjustments"]["nodes"] == []
	assert tx["parentTransaction"]["id"] == data["transactions"][0]["id"]
	assert data["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
	# current figures: original minus what was refunded, to the cent
	assert amount(data["currentTotalPriceSet"]) == D("31.86") - D("9.85") == D("22.01")
	assert amount(data["currentSubtotalPriceSet"]) == D("22.00") - D("3.35")
	assert amount(data["currentTotalTaxSet"]) == D("3.96") + D("0.90") - D("0.60") - D("0.90")
	assert amount(data["currentShippingPriceSet"]) == 0 and amount(data["totalRefundedShippingSet"]) == D(
		"5.00"
	)
	assert per_title(data["currentTaxLines"]) == {"GST": D("3.36")}
	assert amount(data["totalPriceSet"]) == D("31.86")  # as at creation
	assert amount(data["totalRefundedSet"]) == D("9.85") and amount(data["totalOutstandingSet"]) == 0
	assert (
		data["lineItems"]["nodes"][0]["currentQuantity"] == 2
		and data["lineItems"]["nodes"][0]["quantity"] == 3
	)
	# the remaining two units refunded later carry the rest of the line, cent for cent
	sim.refund(order["id"], {0: 2})
	data = fetch(sim, session, order)
	second = data["refunds"][1]["refundLineItems"]["nodes"][0]
	assert amount(second["subtotalSet"]) + D("3.35") == D("10.04")
	assert amount(second["totalTaxSet"]) + D("0.60") == D("1.81")
	assert amount(data["currentTotalPriceSet"]) == D("12.50") - D("0.54") + D("2.15")
	hook = sim.webhook_payload("refunds/create", order["id"], refund_id=refund["id"])
	assert (
		hook["refund_line_items"][0]["subtotal"] == 3.35 and hook["refund_line_items"][0]["total_tax"] == 0.6
	)
	assert hook["refund_shipping_lines"][0]["subtotal_amount_set"]["shop_money"]["amount"] == "5.00"
	assert hook["transactions"][0]["amount"] == "9.85" and hook["transactions"][0]["kind"] == "refund"


def test_amount_only_refund(sim, session):
	order = sim.add_order(lines=[{"title": "Tub", "sku": "TUB", "price": "18.00", "quantity": 1}])
	sim.mark_paid(order["id"], gateway="paypal")
	sim.refund(order["id"], amount="4.50", note="goodwill")
	data = fetch(sim, session, order)
	[node] = data["refunds"]
	assert node["refundLineItems"]["nodes"] == [] and node["refundShippingLines"]["nodes"] == []
	[adjustment] = node["orderAdjustments"]["nodes"]
	assert adjustment["reason"] == "REFUND_DISCREPANCY"
	assert amount(adjustment["amountSet"]) == D("-4.50") and amount(adjustment["taxAmountSet"]) == 0
	[tx] = node["transactions"]["nodes"]
	assert (tx["kind"], tx["gateway"], amount(tx["amountSet"])) == ("REFUND", "paypal", D("4.50"))
	assert data["lineItems"]["nodes"][0]["currentQuantity"] == 1
	assert amount(data["totalRefundedSet"]) == D("4.50")
	assert amount(data["currentTotalPriceSet"]) == D("23.00") - D("4.50")
	assert amount(data["totalOutstandingSet"]) == 0
	assert data["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
	hook = sim.webhook_payload("refunds/create", order["id"])
	assert hook["order_adjustments"][0]["amount"] == "-4.50"
	assert hook["order_adjustments"][0]["kind"] == "refund_discrepancy"


def test_full_refund_with_shipping_is_refunded(sim, session):
	order = sim.add_order(
		lines=[{"title": "Tub", "sku": "TUB", "price": "18.00", "quantity": 2}],
		tax_lines=[{"title": "VAT", "rate": 0.2}],
		shipping_lines=[{"title": "Post", "price": "4.00", "tax_lines": [{"title": "VAT", "rate": 0.2}]}],
	)
	sim.mark_paid(order["id"])
	sim.refund(order["id"], shipping=True)
	data = fetch(sim, session, order)
	assert data["displayFinancialStatus"] == "REFUNDED"
	assert amount(data["totalRefundedSet"]) == amount(data["totalPriceSet"]) == D("48.00")
	assert amount(data["currentTotalPriceSet"]) == 0 and amount(data["totalOutstandingSet"]) == 0


# --- edits, tips, gift cards, duties -----------------------------------------------------------------


def test_edit_order_removes_and_adds_lines(sim, session):
	order = sim.add_order(
		lines=[
			{"title": "Cone", "sku": "CONE", "price": "2.50", "quantity": 4},
			{"title": "Cup", "sku": "CUP", "price": "3.00", "quantity": 1},
		],
		tax_lines=[{"title": "GST", "rate": 0.1}],
		updated_at=T0,
	)
	sim.mark_paid(order["id"])
	sim.fulfill(order["id"], {1: 1})
	with pytest.raises(ValueError):
		sim.edit_order(order["id"], remove={1: 1})  # already shipped
	sim.edit_order(
		order["id"], remove={0: 3}, add=[{"title": "Topping", "sku": "TOP", "price": "0.75", "quantity": 2}]
	)
	data = fetch(sim, session, order)
	cone, cup, topping = data["lineItems"]["nodes"]
	assert (cone["quantity"], cone["currentQuantity"], cone["nonFulfillableQuantity"]) == (4, 1, 3)
	assert cone["unfulfilledQuantity"] == 1 and cup["unfulfilledQuantity"] == 0
	assert topping["quantity"] == topping["currentQuantity"] == 2
	assert amount(topping["taxLines"][0]["priceSet"]) == D("0.15")  # the order's GST rate
	assert data["edited"] is True and data["updatedAt"] > "2026-11-01T08:00:00Z"
	assert amount(data["totalPriceSet"]) == D("13.00") + D("1.30") + D("5.00")  # as created
	assert amount(data["currentSubtotalPriceSet"]) == D("2.50") + D("3.00") + D("1.50")
	assert amount(data["currentTotalTaxSet"]) == D("0.25") + D("0.30") + D("0.15")
	assert amount(data["currentTotalPriceSet"]) == D("7.00") + D("0.70") + D("5.00")
	assert amount(data["totalOutstandingSet"]) == D("12.70") - D("19.30")  # owed to the customer
	assert data["currentSubtotalLineItemsQuantity"] == 4 and data["subtotalLineItemsQuantity"] == 5


def test_tip_gift_card_and_custom_lines(sim, session):
	order = sim.add_order(
		lines=[
			{"title": "Scoop", "sku": "SCP", "price": "4.00", "quantity": 2},
			{"title": "Gift card", "price": "25.00", "quantity": 1, "gift_card": True, "custom": True},
			{"title": "Birthday candles", "custom": True, "price": "1.50", "quantity": 1},
		],
		tax_lines=[{"title": "GST", "rate": 0.05}],
		tip="3.00",
	)
	data = fetch(sim, session, order)
	scoop, card, candles, tip = data["lineItems"]["nodes"]
	assert scoop["taxable"] is True and amount(scoop["originalTotalSet"]) == D("8.00")
	assert (tip["title"], tip["name"], tip["sku"], tip["variant"], tip["product"]) == (
		"Tip",
		"Tip",
		None,
		None,
		None,
	)
	assert (tip["requiresShipping"], tip["taxable"], tip["isGiftCard"]) == (False, False, False)
	assert (tip["unfulfilledQuantity"], tip["nonFulfillableQuantity"], tip["taxLines"]) == (0, 1, [])
	assert card["isGiftCard"] is True and card["requiresShipping"] is False and card["taxLines"] == []
	assert candles["variant"] is None and candles["product"] is None and candles["taxable"] is True
	assert amount(data["totalTipReceivedSet"]) == D("3.00")
	assert amount(data["subtotalPriceSet"]) == D("8.00") + D("25.00") + D("1.50")  # no tip
	assert per_title(data["taxLines"]) == {"GST": D("0.48")}  # 5% of 9.50, not of the gift card
	assert amount(data["totalPriceSet"]) == D("34.50") + D("0.48") + D("5.00") + D("3.00")
	sim.mark_paid(order["id"])
	sim.fulfill(order["id"])
	assert sim.get_order(order["id"])["displayFulfillmentStatus"] == "FULFILLED"
	rest = sim.webhook_payload("orders/fulfilled", order["id"])["line_items"]
	assert rest[3]["title"] == "Tip" and rest[3]["fulfillable_quantity"] == 0
	assert rest[1]["gift_card"] is True


def test_duties_and_additional_fees_are_null_unless_given(sim, session):
	plain = fetch(sim, session, sim.add_order())
	for key in (
		"originalTotalDutiesSet",
		"currentTotalDutiesSet",
		"originalTotalAdditionalFeesSet",
		"currentTotalAdditionalFeesSet",
	):
		assert plain[key] is None
	order = sim.add_order(
		lines=[{"title": "Tub", "sku": "TUB", "price": "30.00", "quantity": 1}],
		duties="4.20",
		additional_fees="1.10",
	)
	data = fetch(sim, session, order)
	assert amount(data["originalTotalDutiesSet"]) == D("4.20") == amount(data["currentTotalDutiesSet"])
	assert amount(data["currentTotalAdditionalFeesSet"]) == D("1.10")
	assert amount(data["totalPriceSet"]) == D("30.00") + D("5.00") + D("4.20") + D("1.10")
	rest = sim.webhook_payload("orders/create", order["id"])
	assert rest["original_total_duties_set"]["shop_money"]["amount"] == "4.20"
	assert sim.webhook_payload("orders/create", plain["id"])["current_total_duties_set"] is None


# --- paging and cost -----------------------------------------------------------------------------------


LINE_PAGE = """query($id: ID!, $after: String) { order(id: $id) {
	lineItems(first: 20, after: $after) {
		nodes { sku taxLines(first: 3) { priceSet { shopMoney { amount } } } }
		pageInfo { hasNextPage endCursor }
	}
} }"""


def test_a_23_line_order_is_paged_20_and_3(sim, session):
	order = sim.add_order(
		lines=[
			{"title": f"Flavour {i}", "sku": f"F{i:02d}", "price": "1.00", "quantity": 1} for i in range(23)
		],
		tax_lines=[{"title": "GST", "rate": 0.05}],
	)
	first = gql(sim, session, LINE_PAGE, {"id": order["id"]})
	page = first["data"]["order"]["lineItems"]
	assert [n["sku"] for n in page["nodes"]] == [f"F{i:02d}" for i in range(20)]
	assert page["pageInfo"]["hasNextPage"] is True
	second = gql(sim, session, LINE_PAGE, {"id": order["id"], "after": page["pageInfo"]["endCursor"]})
	rest = second["data"]["order"]["lineItems"]
	assert [n["sku"] for n in rest["nodes"]] == ["F20", "F21", "F22"]
	assert rest["pageInfo"]["hasNextPage"] is False
	taxes = [
		D(t["priceSet"]["shopMoney"]["amount"]) for n in page["nodes"] + rest["nodes"] for t in n["taxLines"]
	]
	assert sum(taxes) == D("1.15") and sorted(set(taxes)) == [D("0.05")]  # 23 x 0.05
	# requested: order 1 + lineItems (2 + 20 x (line 1 + taxLines 3 x (1 + priceSet 1 + shopMoney 1)));
	# actual: what came back (one tax line each; 3 lines on the second page)
	assert first["extensions"]["cost"]["requestedQueryCost"] == 1 + 2 + 20 * (1 + 3 * 3) == 203
	assert first["extensions"]["cost"]["actualQueryCost"] == 1 + 2 + 20 * (1 + 3) == 83
	assert second["extensions"]["cost"]["actualQueryCost"] == 1 + 2 + 3 * (1 + 3) == 15


def test_new_connections_cost_as_connections(sim, session):
	order = sim.add_order(discount="1.00", discount_code="ONE")
	refund = sim.refund(order["id"], amount="1.00")
	query = """query($id: ID!, $r: ID!) {
		order(id: $id) { discountApplications(first: 5) { nodes { index ... on DiscountCodeApplication { code } } } }
		node(id: $r) { ... on Refund {
			refundShippingLines(first: 3) { nodes { shippingLine { title } } }
			transactions(first: 2) { nodes { kind } }
			orderAdjustments(first: 4) { nodes { reason } }
		} }
	}"""
	body = gql(sim, session, query, {"id": order["id"], "r": refund["id"]})
	# order 1 + applications (2 + 5 x 1); node 1 + shipping lines (2 + 3 x (1 + 1)) + (2 + 2) + (2 + 4)
	assert body["extensions"]["cost"]["requestedQueryCost"] == 1 + 7 + 1 + 8 + 4 + 6
	node = body["data"]["node"]
	assert node["transactions"]["nodes"] == [{"kind": "REFUND"}]
	assert node["orderAdjustments"]["nodes"] == [{"reason": "REFUND_DISCREPANCY"}]
	assert body["data"]["order"]["discountApplications"]["nodes"] == [{"index": 0, "code": "ONE"}]


# --- the documented example order, REST -------------------------------------------------------------


@pytest.fixture
def receiver():
	server = SimulatorServer()
	server.route("POST", "/hooks", lambda request: {"ok": True}, auth=False)
	with server:
		yield server


def _usd(value):
	return {
		"shop_money": {"amount": value, "currency_code": "USD"},
		"presentment_money": {"amount": value, "currency_code": "USD"},
	}


def test_the_documented_example_order_as_a_webhook(sim, receiver, session):
	"""Order #1001 of https://shopify.dev/docs/api/admin-rest/latest/resources/order: three "IPod Nano -
	8gb" at 199.00, State Tax 6% shown as 3.98 a line, code TENOFF (10.00 across the lines: 3.34 +
	3.33 + 3.33), Free Shipping, paid through "bogus"; the green line later removed and one line
	refunded, leaving current_total_price 199.65. (The example's ``subtotal_price`` of 597.00 is
	the lines before the discount; Shopify defines it after discounts, which is 587.00 here.)"""
	product = sim.add_product(
		"IPod Nano - 8gb",
		option_name="Color",
		variants=[
			{"sku": "IPOD2008GREEN", "price": "199.00", "option": "green"},
			{"sku": "IPOD2008RED", "price": "199.00", "option": "red"},
			{"sku": "IPOD2008BLACK", "price": "199.00", "option": "black"},
		],
	)
	state_tax = [{"title": "State Tax", "rate": 0.06, "price": "3.98"}]
	order = sim.add_order(
		lines=[{"variant": v["id"], "quantity": 1, "tax_lines": state_tax} for v in product["variants"]],
		discount="10.00",
		discount_code="TENOFF",
		shipping_lines=[{"title": "Free Shipping", "code": "Free Shipping", "price": "0.00"}],
		phone="+557734881234",
	)
	sim.mark_paid(order["id"], gateway="bogus")
	sim.edit_order(order["id"], remove={0: 1})
	sim.refund(order["id"], {2: 1})
	status, _ = sim.deliver_webhook(receiver.url + "/hooks", "orders/updated", order["id"])
	assert status == 200
	body = json.loads(receiver.last_request("POST", "/hooks").body)
	assert {
		k: body[k] for k in ("total_price", "total_tax", "total_discounts", "total_line_items_price")
	} == {
		"total_price": "598.94",
		"total_tax": "11.94",
		"total_discounts": "10.00",
		"total_line_items_price": "597.00",
	}
	assert body["subtotal_price"] == "587.00"
	assert {
		k: body[k]
		for k in (
			"current_subtotal_price",
			"current_total_discounts",
			"current_total_price",
			"current_total_tax",
		)
	} == {
		"current_subtotal_price": "195.67",
		"current_total_discounts": "3.33",
		"current_total_price": "199.65",
		"current_total_tax": "3.98",
	}
	assert body["current_total_price_set"] == _usd("199.65")
	assert body["current_total_duties_set"] is None and body["current_total_additional_fees_set"] is None
	assert body["currency"] == body["presentment_currency"] == "USD"
	assert body["financial_status"] == "partially_refunded"
	assert body["payment_gateway_names"] == ["bogus"]
	assert body["discount_codes"] == [{"code": "TENOFF", "amount": "10.00", "type": "fixed_amount"}]
	assert body["discount_applications"] == [
		{
			"target_type": "line_item",
			"type": "discount_code",
			"value": "10.0",
			"value_type": "fixed_amount",
			"allocation_method": "across",
			"target_selection": "all",
			"code": "TENOFF",
		}
	]
	assert body["tax_lines"] == [
		{
			"channel_liable": None,
			"price": "11.94",
			"price_set": _usd("11.94"),
			"rate": 0.06,
			"title": "State Tax",
		}
	]
	green = body["line_items"][0]
	documented = {
		"admin_graphql_api_id": order["lineItems"][0]["id"],
		"current_quantity": 0,
		"fulfillable_quantity": 0,
		"fulfillment_service": "manual",
		"fulfillment_status": None,
		"gift_card": False,
		"name": "IPod Nano - 8gb - green",
		"price": "199.00",
		"price_set": _usd("199.00"),
		"product_exists": True,
		"quantity": 1,
		"requires_shipping": True,
		"sku": "IPOD2008GREEN",
		"taxable": True,
		"title": "IPod Nano - 8gb",
		"total_discount": "0.00",
		"total_discount_set": _usd("0.00"),
		"variant_title": "green",
		"tax_lines": [
			{
				"channel_liable": None,
				"price": "3.98",
				"price_set": _usd("3.98"),
				"rate": 0.06,
				"title": "State Tax",
			}
		],
		"duties": [],
		"discount_allocations": [
			{"amount": "3.34", "amount_set": _usd("3.34"), "discount_application_index": 0}
		],
	}
	assert {k: green[k] for k in documented} == documented
	assert [li["current_quantity"] for li in body["line_items"]] == [0, 1, 0]
	assert [li["discount_allocations"][0]["amount"] for li in body["line_items"]] == ["3.34", "3.33", "3.33"]
	assert body["shipping_lines"][0] | {"id": None} == {
		"id": None,
		"carrier_identifier": None,
		"code": "Free Shipping",
		"discounted_price": "0.00",
		"discounted_price_set": _usd("0.00"),
		"is_removed": False,
		"phone": None,
		"price": "0.00",
		"price_set": _usd("0.00"),
		"source": "shopify",
		"title": "Free Shipping",
		"tax_lines": [],
		"discount_allocations": [],
	}
	[refund] = body["refunds"]
	assert refund["refund_line_items"][0]["subtotal"] == 195.67
	assert refund["transactions"][0]["amount"] == "199.65" and refund["transactions"][0]["gateway"] == "bogus"
	# the same order over GraphQL
	data = fetch(sim, session, order)
	assert amount(data["currentTotalPriceSet"]) == D("199.65")
	assert amount(data["totalOutstandingSet"]) == D("-199.64")  # the removed green line is owed back


def test_shop_time_zone_defaults_to_utc_and_test_orders_pay_with_test_transactions(sim, session):
	shop = gql(sim, session, "{ shop { ianaTimezone timezoneAbbreviation timezoneOffsetMinutes } }")
	assert shop["data"]["shop"] == {
		"ianaTimezone": "UTC",
		"timezoneAbbreviation": "UTC",
		"timezoneOffsetMinutes": 0,
	}
	order = sim.add_order(test=True)
	sim.mark_paid(order["id"], gateway="bogus")
	[tx] = fetch(sim, session, order)["transactions"]
	assert (tx["gateway"], tx["formattedGateway"], tx["test"]) == ("bogus", "Bogus", True)
	payload = sim.webhook_payload("orders/paid", order["id"])
	assert payload["test"] is True and payload["financial_status"] == "paid"
	assert payload["total_outstanding"] == "0.00" and payload["current_total_price"] == payload["total_price"]
