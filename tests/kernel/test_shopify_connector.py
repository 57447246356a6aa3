"""The Shopify connector's pure parts against the Shopify simulator over real HTTP and the real Redis:
the GraphQL client stays inside the cost budget, absorbs THROTTLED, sorts GraphQL errors; every query
fits Shopify's single-query limit; order mapping and product input say what ERPNext and Shopify need."""

from __future__ import annotations

import ast
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from graphql import parse

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.graphql_client import (
	DEFAULT_ESTIMATED_COST,
	RedisCostMemory,
	ShopifyGraphQL,
	graphql_response_rule,
	raise_user_errors,
)
from scoopjoy.connectors.shopify.mapping import (
	gid,
	legacy_id,
	order_job_key,
	order_plan,
	order_reference_from_webhook,
	product_identifier,
	product_set_input,
	shipments_by_warehouse,
	truncate,
	version_support_end,
	version_warning,
)
from scoopjoy.kernel.errors import AuthError, Classifier, ConnectorError, FailureType, RecordError
from scoopjoy.kernel.rate_limit import RateLimiter
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.tests.simulators.shopify import ShopifySimulator
from scoopjoy.tests.simulators.shopify_schema import SCHEMA, CostCalculator

TOKEN = "shpat_kernel_test_token"


@pytest.fixture
def shop():
	sim = ShopifySimulator(access_token=TOKEN).start()
	yield sim
	sim.stop()


def client_for(shop, *, limiter=None, token=TOKEN, sleep=None, cost_memory=None) -> ShopifyGraphQL:
	transport = HttpTransport(
		service="Shopify",
		base_url=shop.url,
		timeout=5,
		retry_policy=RetryPolicy(max_retries=2, backoff_base=0.05),
		classifier=Classifier(response_rules=(graphql_response_rule,)),
		rate_limiter=limiter,
		auth_headers=lambda: {constants.ACCESS_TOKEN_HEADER: token},
		headers={"Content-Type": "application/json"},
	)
	return ShopifyGraphQL(transport, shop.api_version, sleep=sleep, cost_memory=cost_memory)


PAGE_VARIABLES = {
	"ORDERS_PAGE": {"first": constants.ORDERS_PAGE_SIZE, "lineItems": constants.LINE_ITEMS_PER_ORDER},
	"ORDER_BY_ID": {"id": "gid://shopify/Order/1", "lineItems": constants.LINE_ITEMS_PER_ORDER},
	"ORDERS_BY_IDS": {
		"ids": [f"gid://shopify/Order/{n}" for n in range(1, constants.ORDERS_PER_FETCH + 1)],
		"lineItems": constants.LINE_ITEMS_PER_ORDER,
	},
	"ORDER_SUMMARIES_PAGE": {"first": constants.ORDER_SUMMARIES_PAGE_SIZE},
	"PAYOUTS_PAGE": {"first": constants.PAYOUTS_PAGE_SIZE},
	"BALANCE_TRANSACTIONS_PAGE": {"first": constants.BALANCE_TRANSACTIONS_PAGE_SIZE},
	"ORDER_LINE_ITEMS": {"id": "gid://shopify/Order/1", "first": constants.LINE_ITEMS_PAGE_SIZE},
	"ORDER_MONEY": {"id": "gid://shopify/Order/1"},
	"CATALOG_PAGE": {"first": constants.CATALOG_PAGE_SIZE},
	"VARIANTS_PAGE": {"first": constants.VARIANTS_PAGE_SIZE},
	"BULK_OPERATION": {"id": "gid://shopify/BulkOperation/1"},
}


@pytest.mark.parametrize("name", sorted(queries.ALL_DOCUMENTS))
def test_every_query_fits_shopifys_single_query_cost_limit(name):
	operation = parse(queries.ALL_DOCUMENTS[name]).definitions[0]
	cost = CostCalculator(SCHEMA, operation, {}, PAGE_VARIABLES.get(name, {})).requested()
	assert cost <= constants.MAX_SINGLE_QUERY_COST, f"{name} requests {cost} points"


def test_a_client_sharing_the_budget_never_meets_throttled(shop, redis_server, key_prefix):
	shop.bucket_size, shop.restore_rate = 1000.0, 1000.0
	shop.set_available(1000.0)
	for _ in range(30):
		shop.add_order()
	limiter = RateLimiter(
		redis_server, "shop", capacity=1000, refill_per_second=1000, key_prefix=key_prefix, max_wait=10
	)
	client = client_for(shop, limiter=limiter)
	seen = 0
	for _round in range(3):
		for page in client.pages(
			queries.ORDERS_PAGE,
			{"first": constants.ORDERS_PAGE_SIZE, "lineItems": constants.LINE_ITEMS_PER_ORDER, "query": None},
			"orders",
			operation="OrdersPage",
		):
			seen += len(page.nodes)
	assert seen == 90
	assert shop.throttled_count == 0  # waited for points instead of being refused
	assert client.throttled == 0


def test_a_new_jobs_first_query_reserves_what_the_query_really_requests(shop, redis_server, key_prefix):
	"""Each job builds its own client: the cost learned by an earlier job is shared through Redis,
	so only the site's very first query of an operation reserves a guess."""
	shop.add_order()
	memory = RedisCostMemory(redis_server, f"{key_prefix}query-cost")
	limiter = RateLimiter(redis_server, "shop", capacity=2000, refill_per_second=100, key_prefix=key_prefix)
	reserved = []

	def spy(client):
		request = client.transport.request
		client.transport.request = lambda *a, **kw: (reserved.append(kw["cost"]), request(*a, **kw))[1]
		return client

	variables = {"id": gid("Order", 1), "lineItems": constants.LINE_ITEMS_PER_ORDER}
	first_job = spy(client_for(shop, limiter=limiter, cost_memory=memory))
	first_job.execute(queries.ORDER_BY_ID, variables, operation="OneOrder")
	next_job = spy(client_for(shop, limiter=limiter, cost_memory=memory))
	next_job.execute(queries.ORDER_BY_ID, variables, operation="OneOrder")
	operation = parse(queries.ORDER_BY_ID).definitions[0]
	expected = CostCalculator(SCHEMA, operation, {}, variables).requested()
	assert reserved == [DEFAULT_ESTIMATED_COST, expected]


def test_without_a_shared_budget_throttled_answers_are_absorbed(shop):
	shop.bucket_size, shop.restore_rate = 800.0, 400.0
	shop.set_available(0.0)  # another app drained the shop's bucket
	waits = []
	client = client_for(shop, sleep=lambda s: (waits.append(s), __import__("time").sleep(s)))
	data = client.execute(
		queries.ORDER_BY_ID,
		{"id": gid("Order", 1), "lineItems": constants.LINE_ITEMS_PER_ORDER},
		operation="OneOrder",
	)
	assert data == {"order": None}
	assert client.throttled >= 1 and shop.throttled_count >= 1
	assert waits and 0 < waits[0] <= 1.0  # the wait Shopify's throttleStatus implies, not a guess


def test_user_errors_are_a_record_problem_and_a_bad_token_is_auth(shop):
	client = client_for(shop)
	data = client.execute(
		queries.PRODUCT_SET,
		{"input": {"title": "x" * 300, "handle": "too-long"}, "identifier": {"handle": "too-long"}},
		operation="ProductSet",
	)
	with pytest.raises(RecordError) as caught:
		raise_user_errors(data["productSet"], "Item TOO-LONG")
	assert "Item TOO-LONG" in str(caught.value)
	with pytest.raises(AuthError):
		client_for(shop, token="shpat_wrong").execute(queries.SHOP, operation="Shop")


def test_a_query_the_schema_rejects_is_a_programming_error(shop):
	with pytest.raises(ConnectorError) as caught:
		client_for(shop).execute("query { shop { noSuchField } }", operation="Broken")
	assert caught.value.failure_type is FailureType.PROGRAMMING


def test_a_backfill_resumes_from_the_saved_cursor_without_gaps_or_repeats():
	# a quick refill, and a client that waits for points as the connector does: this test is about
	# cursors, and 15 pages back to back would otherwise empty a Standard bucket
	shop = ShopifySimulator(access_token=TOKEN, restore_rate=2000.0).start()
	ids = shop.generate_orders(30, spacing=60)
	client = client_for(shop, sleep=time.sleep)
	variables = {"first": constants.ORDERS_PAGE_SIZE, "lineItems": 5, "query": "status:any"}
	seen, cursor = [], None
	for page_number, page in enumerate(
		client.pages(queries.ORDERS_PAGE, variables, "orders", operation="OrdersPage")
	):
		seen += [node["id"] for node in page.nodes]
		cursor = page.end_cursor
		if page_number == 2:
			break  # the worker dies after the third page
	for page in client.pages(
		queries.ORDERS_PAGE, variables, "orders", operation="OrdersPage", start_cursor=cursor
	):
		seen += [node["id"] for node in page.nodes]
	shop.stop()
	assert sorted(seen) == sorted(ids)
	assert len(seen) == len(set(seen))


def test_an_order_maps_to_lines_charges_payment_and_shipped_quantities(shop):
	product = shop.add_product(
		"Scoops", variants=[{"sku": "CONE", "price": "4.50"}, {"sku": "TUB", "price": "9.00"}]
	)
	cone, tub = product["variants"]
	order = shop.add_order(
		lines=[{"variant": cone["id"], "quantity": 2}, {"variant": tub["id"], "quantity": 1}],
		tax_lines=[{"title": "GST", "rate": 0.05, "price": "0.90"}],
		shipping_lines=[{"title": "Cold chain", "price": "5.00"}],
		discount="1.00",
	)
	shop.mark_paid(order["id"])
	shop.fulfill(order["id"], {0: 1})
	node = shop.run(queries.ORDER_BY_ID, {"id": order["id"], "lineItems": 20})["data"]["order"]
	plan = order_plan(node)
	assert plan.order_id == legacy_id(order["id"]) and plan.name == order["name"]
	assert [(line.sku, line.quantity, line.rate) for line in plan.lines] == [
		("CONE", 2, Decimal("4.50")),
		("TUB", 1, Decimal("9.00")),
	]
	assert plan.taxes == [("GST", Decimal("0.90"))]
	assert plan.shipping == [("Cold chain", Decimal("5.00"))]
	assert plan.total == Decimal(order["totalPriceSet"]) and plan.is_paid
	assert plan.paid_amount == plan.total
	assert plan.fulfilled == {plan.lines[0].line_item_id: 1}
	assert plan.customer["customer_id"] == legacy_id(order["customer"]["id"])


def test_what_each_location_shipped_goes_to_its_warehouse(shop):
	"""Two locations fulfil parts of one order (Fulfillment.location); a third location, not mapped
	in Settings, ships from the default warehouse."""
	product = shop.add_product(
		"Scoops", variants=[{"sku": "CONE", "price": "4.50"}, {"sku": "TUB", "price": "9"}]
	)
	cone, tub = product["variants"]
	downtown, harbour, popup = (shop.add_location(name) for name in ("Downtown", "Harbour", "Pop-up"))
	order = shop.add_order(
		lines=[{"variant": cone["id"], "quantity": 3}, {"variant": tub["id"], "quantity": 2}]
	)
	shop.fulfill(order["id"], {0: 2}, location=downtown["id"], at="2026-11-20T09:00:00Z")
	shop.fulfill(order["id"], {0: 1, 1: 1}, location=harbour["id"], at="2026-11-21T09:00:00Z")
	shop.fulfill(order["id"], {1: 1}, location=popup["id"], at="2026-11-22T09:00:00Z")
	found = shop.run(queries.ORDER_FULFILLMENTS, {"id": order["id"]})["data"]["order"]["fulfillments"]
	shipments = shipments_by_warehouse(
		found,
		{legacy_id(downtown["id"]): "Downtown - SJ", legacy_id(harbour["id"]): "Harbour - SJ"},
		"Stores - SJ",
	)
	cone_line, tub_line = (legacy_id(line["id"]) for line in order["lineItems"])
	assert {w: (s.quantities, s.shipped_at[:10]) for w, s in shipments.items()} == {
		"Downtown - SJ": ({cone_line: 2}, "2026-11-20"),
		"Harbour - SJ": ({cone_line: 1, tub_line: 1}, "2026-11-21"),
		"Stores - SJ": ({tub_line: 1}, "2026-11-22"),
	}
	rest = shop.webhook_payload("orders/fulfilled", order["id"])["fulfillments"]
	assert [f["location_id"] for f in rest] == [downtown["_n"], harbour["_n"], popup["_n"]]


def test_a_line_of_a_deleted_product_is_unmapped():
	node = {
		"id": gid("Order", 7),
		"name": "#1007",
		"createdAt": "2026-11-01T10:00:00Z",
		"updatedAt": "2026-11-01T10:00:00Z",
		"lineItems": {
			"nodes": [
				{"id": gid("LineItem", 1), "title": "Gone", "quantity": 1, "variant": None, "product": None}
			]
		},
	}
	plan = order_plan(node)
	assert [line.title for line in plan.unmapped_lines()] == ["Gone"]


def test_titles_are_cut_to_erpnext_and_shopify_limits():
	title = "Triple Chocolate Fudge " * 10
	assert len(truncate(title, constants.ERPNEXT_ITEM_NAME_MAX)) == 140
	assert truncate(title, constants.ERPNEXT_ITEM_NAME_MAX).endswith("…")
	assert truncate("Mango", 140) == "Mango"


def test_product_input_carries_variants_as_options_and_is_addressed_by_handle_until_an_id_exists():
	item = {"item_code": "SCOOP-TMPL", "item_name": "Scoop", "rate": 4}
	variants = [
		{
			"item_code": "SCOOP-S",
			"rate": 4,
			"attributes": {"Size": "Small"},
			"weight_per_unit": 0.2,
			"weight_uom": "Kg",
		},
		{"item_code": "SCOOP-L", "rate": 6.5, "attributes": {"Size": "Large"}, "shopify_variant_id": "77"},
	]
	data = product_set_input(item, variants)
	assert data["productOptions"] == [{"name": "Size", "values": [{"name": "Small"}, {"name": "Large"}]}]
	assert [v["price"] for v in data["variants"]] == ["4.00", "6.50"]
	assert data["variants"][0]["inventoryItem"]["measurement"]["weight"] == {
		"value": 0.2,
		"unit": "KILOGRAMS",
	}
	assert data["variants"][1]["id"] == gid("ProductVariant", 77)
	assert product_identifier(item) == {"handle": "erpnext-scoop-tmpl"}
	assert product_identifier({**item, "shopify_product_id": "5"}) == {"id": gid("Product", 5)}


def test_the_product_set_input_is_accepted_by_shopify_and_a_retry_updates_the_same_product(shop):
	client = client_for(shop)
	item = {"item_code": "SCOOP-ONE", "item_name": "One Scoop", "rate": 3}
	for _ in range(2):
		data = client.execute(
			queries.PRODUCT_SET,
			{"input": product_set_input(item), "identifier": product_identifier(item)},
			operation="ProductSet",
		)
		raise_user_errors(data["productSet"], "Item SCOOP-ONE")
	assert [p["title"] for p in shop.products.values()] == ["One Scoop"]


def test_the_api_version_window_and_warnings():
	assert version_support_end("2026-10") == date(2027, 10, 1)
	assert version_warning("2026-10", date(2026, 11, 23)) is None
	assert "leaves its support window" in version_warning("2026-01", date(2026, 11, 23))
	assert "past its support window" in version_warning("2025-07", date(2026, 11, 23))
	with pytest.raises(ValueError):
		version_support_end("2026-02")


def test_webhooks_name_the_order_they_are_about(shop):
	order = shop.add_order()
	assert (
		order_reference_from_webhook("orders/paid", shop.webhook_payload("orders/paid", order["id"]))
		== order["id"]
	)
	shop.mark_paid(order["id"])
	refund = shop.refund(order["id"])
	payload = shop.webhook_payload("refunds/create", order["id"], refund_id=refund["id"])
	assert order_reference_from_webhook("refunds/create", payload) == order["id"]


def test_the_order_job_is_named_by_the_path_dead_letters_store():
	"""SYNC_ORDER_JOB lives in constants.py, but dead letters, hooks and queued jobs store its dotted
	path: it stays the path of orders.sync_order, and that function is defined there."""
	assert constants.SYNC_ORDER_JOB == "scoopjoy.connectors.shopify.orders.sync_order"
	module, _, function = constants.SYNC_ORDER_JOB.rpartition(".")
	source = Path(__file__).resolve().parents[2].joinpath(*module.split(".")).with_suffix(".py")
	tree = ast.parse(source.read_text(encoding="utf-8"))
	assert function in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
	hk = "scoopjoy-hk.myshopify.com"
	assert order_job_key(hk, gid("Order", 450789469)) == order_job_key(hk, "450789469")
	# the same order id in another store is other work (issue #22)
	assert order_job_key(hk, "450789469") != order_job_key("scoopjoy-sg.myshopify.com", "450789469")
