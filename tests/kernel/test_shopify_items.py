"""Items from Shopify products, the pure part: what a product (as PRODUCT_BY_ID reads it from the
simulator) becomes in ERPNext, and what an order line says about its kind (gift card, shipping,
custom). Products are made the way Shopify documents them: productSet with productOptions and
variants (https://shopify.dev/docs/api/admin-graphql/latest/objects/Product)."""

from __future__ import annotations

import pytest
from graphql import parse

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.mapping import (
	attribute_abbreviation,
	legacy_id,
	order_plan,
	product_plan,
)
from scoopjoy.tests.simulators.shopify import ShopifySimulator
from scoopjoy.tests.simulators.shopify_schema import SCHEMA, CostCalculator


@pytest.fixture
def shop():
	sim = ShopifySimulator(access_token="shpat_kernel_items").start()
	yield sim
	sim.stop()


def read_product(shop, product_id: str) -> dict:
	body = shop.run(queries.PRODUCT_BY_ID, {"id": product_id})
	assert "errors" not in body, body
	return body["data"]["product"]


def sundae(shop) -> dict:
	"""A product with two options, as in Shopify's productSet examples."""
	payload = shop.product_set(
		{
			"title": "Sundae Cup",
			"descriptionHtml": "<p>Two scoops, <em>hot fudge</em>.</p>",
			"productOptions": [
				{"name": "Size", "values": [{"name": "Regular"}, {"name": "Large"}]},
				{"name": "Flavour", "values": [{"name": "Vanilla"}, {"name": "Mango"}]},
			],
			"variants": [
				{
					"optionValues": [
						{"optionName": "Size", "name": size},
						{"optionName": "Flavour", "name": flavour},
					],
					"price": price,
					"inventoryItem": {"sku": sku},
				}
				for size, flavour, price, sku in (
					("Regular", "Vanilla", "4.50", "SUNDAE-R-VAN"),
					("Regular", "Mango", "4.50", "SUNDAE-R-MAN"),
					("Large", "Vanilla", "6.00", "SUNDAE-L-VAN"),
					("Large", "Mango", "6.00", None),
				)
			],
		},
		None,
	)
	assert payload["userErrors"] == []
	return payload["product"]


def test_the_product_query_fits_the_cost_limit_with_a_page_of_100_variants():
	operation = parse(queries.PRODUCT_BY_ID).definitions[0]
	cost = CostCalculator(SCHEMA, operation, {}, {"id": "gid://shopify/Product/1"}).requested()
	assert cost <= constants.MAX_SINGLE_QUERY_COST // 4, cost


def test_a_product_without_options_is_one_item_coded_by_its_sku(shop):
	product = shop.product_set(
		{
			"title": "Mango Tub",
			"variants": [
				{
					"optionValues": [{"optionName": "Title", "name": "Default Title"}],
					"price": "9.00",
					"inventoryItem": {"sku": "TUB-MANGO"},
				}
			],
		},
		None,
	)["product"]
	plan = product_plan(read_product(shop, product["id"]))
	assert plan.is_single and plan.options == []
	[variant] = plan.variants
	assert (variant.item_code, variant.sku, variant.attributes) == ("TUB-MANGO", "TUB-MANGO", {})
	assert variant.variant_id == legacy_id(product["variants"][0]["id"])
	assert plan.item_name == "Mango Tub" and plan.description == "<p>Mango Tub</p>"


def test_a_product_with_two_options_is_a_template_with_attributes_and_a_variant_each(shop):
	product = sundae(shop)
	plan = product_plan(read_product(shop, product["id"]))
	assert not plan.is_single
	assert plan.options == [("Size", ["Regular", "Large"]), ("Flavour", ["Vanilla", "Mango"])]
	assert plan.template_code == f"SHOPIFY-PRODUCT-{legacy_id(product['id'])}"
	codes = [v.item_code for v in plan.variants]
	last_id = legacy_id(product["variants"][-1]["id"])
	assert codes == ["SUNDAE-R-VAN", "SUNDAE-R-MAN", "SUNDAE-L-VAN", f"SHOPIFY-{last_id}"]
	assert plan.variants[1].attributes == {"Size": "Regular", "Flavour": "Mango"}
	assert plan.variants[1].item_name == "Sundae Cup - Regular / Mango"
	assert plan.variants[1].description == (
		"<p>Sundae Cup — Regular / Mango</p><p>Two scoops, <em>hot fudge</em>.</p>"
	)


def test_a_long_title_is_cut_to_140_and_kept_whole_in_the_description(shop):
	title = ("Triple Chocolate Fudge & Salted Caramel " * 6)[:199]  # Shopify allows 255
	product = shop.add_product(title)
	plan = product_plan(read_product(shop, product["id"]))
	assert len(plan.item_name) <= constants.ERPNEXT_ITEM_NAME_MAX and plan.item_name.endswith("…")
	assert title.replace("&", "&amp;") in plan.description


def test_variants_are_read_in_pages_of_100(shop):
	product = shop.add_product(
		"Scoop Sampler", variants=[{"sku": f"SAMPLER-{n}", "option": f"Pick {n}"} for n in range(105)]
	)
	first = shop.run(queries.PRODUCT_BY_ID, {"id": product["id"]})["data"]["product"]["variants"]
	assert len(first["nodes"]) == 100 and first["pageInfo"]["hasNextPage"]
	rest = shop.run(queries.PRODUCT_BY_ID, {"id": product["id"], "after": first["pageInfo"]["endCursor"]})
	assert [n["sku"] for n in rest["data"]["product"]["variants"]["nodes"]] == [
		f"SAMPLER-{n}" for n in range(100, 105)
	]


def test_an_order_line_says_gift_card_shipping_custom_and_default_variant(shop):
	plain = shop.add_product("Waffle Cone")
	sized = shop.add_product("Scoop", variants=[{"sku": "SCOOP-S", "option": "Small"}])
	order = shop.add_order(
		lines=[
			{"variant": plain["variants"][0]["id"], "quantity": 1},
			{"variant": sized["variants"][0]["id"], "quantity": 1},
			{"gift_card": True, "title": "Gift Card", "price": "25.00"},
			{"custom": True, "title": "Birthday candles", "price": "2.00", "requires_shipping": False},
		]
	)
	node = shop.run(queries.ORDER_BY_ID, {"id": order["id"], "lineItems": 10})["data"]["order"]
	lines = order_plan(node).lines
	assert [line.only_default_variant for line in lines] == [True, False, None, None]
	assert [line.is_gift_card for line in lines] == [False, False, True, False]
	assert [line.requires_shipping for line in lines] == [True, True, False, False]
	assert [line.is_custom for line in lines] == [False, False, True, True]


def test_a_products_update_webhook_carries_the_rest_product(shop):
	product = sundae(shop)
	body = shop.webhook_payload("products/update", product["id"])
	assert body["admin_graphql_api_id"] == product["id"] and body["title"] == "Sundae Cup"
	assert [o["name"] for o in body["options"]] == ["Size", "Flavour"]
	assert body["variants"][0]["option2"] == "Vanilla" and body["variants"][0]["sku"] == "SUNDAE-R-VAN"
	assert "products/update" in constants.WEBHOOK_TOPICS


def test_attribute_abbreviations_stay_unique_within_an_attribute():
	taken = {"small"}
	assert attribute_abbreviation("small", taken) == "SMALL-2"
	assert attribute_abbreviation("Extra Large", taken) == "EXTRA-LARGE"
