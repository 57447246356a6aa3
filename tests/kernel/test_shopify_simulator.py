"""The Shopify GraphQL Admin API simulator over real HTTP: schema contract, pagination, cost, mutations, webhooks."""

import json
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from graphql import parse, validate

from scoopjoy.connectors.shopify import queries as Q
from scoopjoy.kernel.signatures import verify_shopify_hmac
from scoopjoy.tests.simulators import Fault, SimulatorServer
from scoopjoy.tests.simulators.shopify import ShopifySimulator, parse_search
from scoopjoy.tests.simulators.shopify_schema import SCHEMA

TOKEN = "shpat_sim_token"
SECRET = "shpss_sim_secret"
BIG = {"bucket_size": 1_000_000.0, "restore_rate": 1_000_000.0}  # pagination tests: no throttling
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def sim():
	with ShopifySimulator(TOKEN, client_secret=SECRET, **BIG) as server:
		yield server


@pytest.fixture
def session():
	with requests.Session() as s:
		s.headers["X-Shopify-Access-Token"] = TOKEN
		yield s


def gql(sim, session, query, variables=None, **kwargs):
	response = session.post(sim.graphql_url, json={"query": query, "variables": variables or {}}, **kwargs)
	assert response.status_code == 200, response.text
	return response.json()


def product_input(title="Vanilla Tub", handle="vanilla-tub", price="4.50", sizes=("Small", "Large")):
	return {
		"title": title,
		"handle": handle,
		"vendor": "ScoopJoy",
		"productType": "Ice Cream",
		"status": "ACTIVE",
		"productOptions": [{"name": "Size", "values": [{"name": s} for s in sizes]}],
		"variants": [
			{
				"optionValues": [{"optionName": "Size", "name": s}],
				"price": price,
				"inventoryItem": {
					"sku": f"VAN-{s[0]}",
					"tracked": True,
					"measurement": {"weight": {"value": 0.5, "unit": "KILOGRAMS"}},
				},
			}
			for s in sizes
		],
	}


# --- the contract: every document the connector sends --------------------------------------------


@pytest.mark.parametrize("name", sorted(Q.ALL_DOCUMENTS))
def test_every_connector_document_validates_against_the_schema(name):
	assert validate(SCHEMA, parse(Q.ALL_DOCUMENTS[name])) == []


def test_every_connector_document_executes_over_http(sim, session):
	order = sim.add_order(tax_lines=[{"title": "GST", "rate": 0.05}])
	sim.mark_paid(order["id"])
	refund = sim.refund(order["id"])
	variant = next(iter(sim.variants.values()))
	location = sim.primary_location["id"]
	created = gql(
		sim, session, Q.PRODUCT_SET, {"input": product_input(), "identifier": {"handle": "vanilla-tub"}}
	)
	hook = gql(
		sim,
		session,
		Q.WEBHOOK_SUBSCRIPTION_CREATE,
		{
			"topic": "ORDERS_CREATE",
			"webhookSubscription": {"uri": "https://erp.example.com/hooks", "format": "JSON"},
		},
	)
	to_fulfil = sim.add_order()
	shipped = sim.fulfill(sim.add_order()["id"])
	[fulfillment_order] = sim.fulfillment_order_views(to_fulfil)
	variables = {
		"FULFILLMENT_ORDERS": {"id": to_fulfil["id"]},
		"FULFILLMENT_CREATE": {
			"fulfillment": {
				"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfillment_order["id"]}],
				"trackingInfo": {
					"company": "DHL Express",
					"number": "JD0001",
					"url": "https://dhl.example/JD0001",
				},
			}
		},
		"FULFILLMENT_TRACKING_UPDATE": {
			"fulfillmentId": shipped["id"],
			"trackingInfoInput": {"number": "1Z9"},
		},
		"FULFILLMENT_CANCEL": {"id": shipped["id"]},
		"ORDERS_PAGE": {"first": 1, "lineItems": 5},
		"ORDER_BY_ID": {"id": order["id"], "lineItems": 5},
		"ORDERS_BY_IDS": {"ids": [order["id"], "gid://shopify/Order/999999"], "lineItems": 5},
		"ORDER_SUMMARIES_PAGE": {"first": 5},
		"REFUND_DETAILS": {"id": refund["id"]},
		"ORDER_LINE_ITEMS": {"id": order["id"], "first": 5},
		"ORDER_MONEY": {"id": order["id"]},
		"ORDER_FULFILLMENTS": {"id": order["id"]},
		"PRODUCT_BY_ID": {"id": variant["product"]["id"]},
		"COUNTS": {"orders": "status:any"},
		"WINDOW_CELL_COUNTS": {
			f"c{i}": "status:any" if i == 0 else "created_at:<'1970-01-01T00:00:00Z'"
			for i in range(Q.SLICE_CELLS)
		},
		"PAYOUTS_PAGE": {"first": 5, "query": "status:PAID"},
		"BALANCE_TRANSACTIONS_PAGE": {"first": 5, "query": "payout_status:PENDING"},
		"INVENTORY_SET_QUANTITIES": {
			"idempotencyKey": str(uuid.uuid4()),
			"input": {
				"name": "available",
				"reason": "correction",
				"referenceDocumentUri": "gid://scoopjoy/StockReconciliation/1",
				"quantities": [
					{
						"inventoryItemId": variant["inventoryItem"]["id"],
						"locationId": location,
						"quantity": 9,
						"changeFromQuantity": None,
					}
				],
			},
		},
		"INVENTORY_LEVELS": {"ids": [variant["id"]], "locationId": location},
		"WEBHOOK_SUBSCRIPTION_UPDATE": {
			"id": hook["data"]["webhookSubscriptionCreate"]["webhookSubscription"]["id"],
			"webhookSubscription": {"uri": "https://erp.example.com/hooks/v2"},
		},
		"PRODUCT_SET": {"input": product_input(price="4.75"), "identifier": {"handle": "vanilla-tub"}},
		"WEBHOOK_SUBSCRIPTION_CREATE": {
			"topic": "REFUNDS_CREATE",
			"webhookSubscription": {"uri": "https://erp.example.com/hooks", "format": "JSON"},
		},
		"CATALOG_PAGE": {"first": 5},
		"VARIANTS_PAGE": {"first": 5},
		"BULK_RUN_QUERY": {"query": Q.CATALOG_BULK_QUERY},
		"BULK_OPERATION": {"id": "gid://shopify/BulkOperation/1001"},
		"ORDER_RETURNS": {"id": order["id"]},
	}
	assert created["data"]["productSet"]["userErrors"] == []
	for name, document in Q.ALL_DOCUMENTS.items():
		body = gql(sim, session, document, variables.get(name))
		assert "errors" not in body, (name, body["errors"])
		if name == "WINDOW_CELL_COUNTS":  # aliases: each cell its own count
			cells = body["data"]
			assert cells["c0"]["count"] == len(sim.orders) and cells["c1"]["count"] == 0
		assert body["data"], name
		for payload in body["data"].values():
			if isinstance(payload, dict) and "userErrors" in payload:
				assert payload["userErrors"] == [], (name, payload)
		cost = body["extensions"]["cost"]
		assert set(cost) == {"requestedQueryCost", "actualQueryCost", "throttleStatus"}
		assert 0 <= cost["actualQueryCost"] <= cost["requestedQueryCost"]


def test_order_shape_money_customer_and_deleted_product(sim, session):
	customer = sim.add_customer("Meera", "Iyer", email="meera@example.com", phone="+919800000001")
	product = sim.add_product("Mango Tub", variants=[{"sku": "MAN-1", "price": "6.00", "option": "1L"}])
	order = sim.add_order(
		customer=customer,
		lines=[
			{"variant": product["variants"][0]["id"], "quantity": 2, "discount": "1.00"},
			{"deleted": True, "title": "Retired Sundae", "sku": "OLD-9", "price": "3.25", "quantity": 1},
		],
		shipping_lines=[{"title": "Express", "price": "7.00"}],
		tax_lines=[{"title": "GST", "rate": 0.18, "price": "2.70"}],
		discount="0.50",
	)
	sim.delete_product(product["id"])
	data = gql(sim, session, Q.ORDER_BY_ID, {"id": order["id"], "lineItems": 10})["data"]["order"]
	assert data["customer"]["defaultEmailAddress"] == {"emailAddress": "meera@example.com"}
	assert data["customer"]["defaultPhoneNumber"] == {"phoneNumber": "+919800000001"}
	assert data["customer"]["legacyResourceId"] == customer["legacyResourceId"]
	first, retired = data["lineItems"]["nodes"]
	assert first["originalUnitPriceSet"]["shopMoney"] == {"amount": "6.0", "currencyCode": "USD"}
	assert first["originalUnitPriceSet"].get(
		"presentmentMoney", first["originalUnitPriceSet"]["shopMoney"]
	) == {
		"amount": "6.0",
		"currencyCode": "USD",
	}
	assert first["totalDiscountSet"]["shopMoney"]["amount"] == "1.0"
	assert first["variant"] is None and first["product"] is None  # deleted after the order, as on Shopify
	assert retired["sku"] == "OLD-9" and retired["variant"] is None and retired["product"] is None
	# 12.00 + 3.25 - 1.00 - 0.50 = 13.75; + 7.00 shipping + 2.70 tax
	assert data["totalPriceSet"]["shopMoney"]["amount"] == "23.45"
	assert data["totalDiscountsSet"]["shopMoney"]["amount"] == "1.5"
	assert data["shippingLines"]["nodes"][0]["title"] == "Express"
	assert [(t["title"], t["rate"], t["priceSet"]["shopMoney"]) for t in data["taxLines"]] == [
		("GST", 0.18, {"amount": "2.7", "currencyCode": "USD"})
	]
	# the order's tax, split over the lines after discounts (10.61 and 3.14), adds up to 2.70
	stored = sim.get_order(order["id"])["lineItems"]
	assert [t["priceSet"] for line in stored for t in line["taxLines"]] == ["2.08", "0.62"]


# --- pagination and search -----------------------------------------------------------------------------


def test_orders_pagination_by_updated_at_returns_every_order_once_in_order(sim, session):
	sim.generate_orders(40, start=T0, spacing=300)
	since = (T0 + timedelta(seconds=300 * 12)).strftime("%Y-%m-%dT%H:%M:%SZ")
	expected = sorted(
		(o for o in sim.orders.values() if o["updatedAt"] >= since), key=lambda o: (o["updatedAt"], o["_n"])
	)
	assert 20 < len(expected) < 40
	seen, after, pages = [], None, 0
	while True:
		page = gql(
			sim,
			session,
			Q.ORDERS_PAGE,
			{"first": 2, "after": after, "query": f"updated_at:>='{since}'", "lineItems": 5},
		)["data"]["orders"]
		seen.extend(page["nodes"])
		pages += 1
		if pages == 2:  # an order not reached yet changes meanwhile: the cursor still works
			sim.update_order(expected[-1]["id"], note="changed while paging")
		if not page["pageInfo"]["hasNextPage"]:
			break
		after = page["pageInfo"]["endCursor"]
	ids = [n["id"] for n in seen]
	assert len(ids) == len(set(ids)) == len(expected)
	assert set(ids) == {o["id"] for o in expected}
	stamps = [(n["updatedAt"], int(n["legacyResourceId"])) for n in seen]
	assert stamps == sorted(stamps)


def test_search_syntax_created_at_ranges_reverse_and_unknown_fields(sim, session):
	sim.generate_orders(10, start=T0, spacing=60, mix=False)
	query = """query($q: String, $r: Boolean) { orders(first: 50, query: $q, sortKey: CREATED_AT, reverse: $r) {
		nodes { name createdAt } } }"""
	lo, hi = "2026-11-01T08:02:00Z", "2026-11-01T08:05:00Z"
	body = gql(sim, session, query, {"q": f"created_at:>='{lo}' created_at:<'{hi}'", "r": True})
	assert [n["createdAt"] for n in body["data"]["orders"]["nodes"]] == [
		"2026-11-01T08:04:00Z",
		"2026-11-01T08:03:00Z",
		"2026-11-01T08:02:00Z",
	]
	body = gql(sim, session, query, {"q": "colour:blue created_at:>2026-11-01T08:08:00+00:00"})
	assert len(body["data"]["orders"]["nodes"]) == 1
	assert body["extensions"]["search"][0]["warnings"][0]["field"] == "colour"
	assert [t.field for t in parse_search("updated_at:<='2026-01-01' AND -status:cancelled")] == [
		"updated_at",
		"status",
	]


def test_status_any_includes_cancelled_and_closed_orders(sim, session):
	open_order = sim.add_order()
	cancelled = sim.add_order()
	closed = sim.add_order()
	sim.cancel(cancelled["id"], "customer")
	sim.mark_paid(closed["id"])
	sim.fulfill(closed["id"])
	sim.close(closed["id"])
	count = "query($q: String) { ordersCount(query: $q, limit: null) { count precision } }"
	counts = {
		q: gql(sim, session, count, {"q": q})["data"]["ordersCount"]["count"]
		for q in ("status:any", "status:open", "status:closed", "status:cancelled")
	}
	assert counts == {"status:any": 3, "status:open": 1, "status:closed": 2, "status:cancelled": 1}
	nodes = gql(sim, session, Q.ORDER_SUMMARIES_PAGE, {"first": 5})["data"]["orders"]["nodes"]
	assert {n["id"] for n in nodes} == {open_order["id"], cancelled["id"], closed["id"]}
	assert next(n for n in nodes if n["id"] == cancelled["id"])["cancelledAt"] is not None
	assert gql(sim, session, count.replace("limit: null", "limit: 2"), {"q": "status:any"})["data"][
		"ordersCount"
	] == {
		"count": 2,
		"precision": "AT_LEAST",
	}


def test_page_size_over_250_and_missing_first_are_refused(sim, session):
	body = gql(sim, session, Q.ORDER_SUMMARIES_PAGE, {"first": 251})
	assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST" and "250" in body["errors"][0]["message"]
	assert "data" not in body
	body = gql(sim, session, "{ orders { nodes { id } } }")
	assert body["errors"][0]["message"] == "you must provide one of first or last"
	body = gql(sim, session, "{ orders(first: 1) { nodes { nope } } }")
	assert "nope" in body["errors"][0]["message"]  # validation errors are HTTP 200 too


# --- cost and throttling -----------------------------------------------------------------------------------


def test_cost_is_reported_and_refunded_to_the_actual_cost(sim, session):
	for _ in range(5):
		sim.add_order()
	sim.set_available(2000)
	body = gql(sim, session, Q.ORDER_SUMMARIES_PAGE, {"first": 5})
	cost = body["extensions"]["cost"]
	# 2 + 5 x (order 1 + lineItems(2 + 20 x (line 1 + variant 1 + product 1)))
	assert cost["requestedQueryCost"] == SUMMARIES_COST
	assert cost["actualQueryCost"] == 2 + 5 * (1 + 2 + 1 * 3) == 32
	assert cost["throttleStatus"]["maximumAvailable"] == 1_000_000.0
	assert gql(sim, session, Q.SHOP)["extensions"]["cost"]["requestedQueryCost"] == 3
	assert (
		gql(sim, session, Q.PRODUCT_SET, {"input": product_input()})["extensions"]["cost"][
			"requestedQueryCost"
		]
		== 10
	)


def test_max_cost_exceeded_before_execution(sim, session):
	sim.add_order()
	before = sim.currently_available
	body = gql(sim, session, Q.ORDERS_PAGE, {"first": 10, "lineItems": 50})
	error = body["errors"][0]
	assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
	assert error["extensions"]["maxCost"] == 1000 and error["extensions"]["cost"] > 1000
	assert "data" not in body
	assert sim.currently_available >= before  # nothing was charged


#: requested cost of ORDER_SUMMARIES_PAGE with first: 5
SUMMARIES_COST = 2 + 5 * (1 + 2 + 20 * 3)


def _page_loop(sim, session, n, honour):
	throttled = 0
	for _ in range(n):
		body = gql(sim, session, Q.ORDER_SUMMARIES_PAGE, {"first": 5})
		status = body["extensions"]["cost"]["throttleStatus"]
		if body.get("errors"):
			assert body["errors"][0] == {
				"message": "Throttled",
				"extensions": {
					"code": "THROTTLED",
					"documentation": "https://shopify.dev/api/usage/rate-limits",
				},
			}
			assert body["extensions"]["cost"]["requestedQueryCost"] == SUMMARIES_COST
			throttled += 1
		if honour:
			missing = SUMMARIES_COST - status["currentlyAvailable"]
			if missing > 0:
				time.sleep(missing / status["restoreRate"] + 0.01)
	return throttled


def test_too_fast_client_is_throttled_and_a_client_honouring_throttle_status_is_not(session):
	with ShopifySimulator(TOKEN, bucket_size=400.0, restore_rate=100.0) as sim:
		for _ in range(5):
			sim.add_order()
		assert _page_loop(sim, session, 25, honour=False) > 0
		assert sim.throttled_count > 0
		sim.set_available(400)
		sim.throttled_count = 0
		assert _page_loop(sim, session, 6, honour=True) == 0
		assert sim.throttled_count == 0


# --- mutations -------------------------------------------------------------------------------------------


def test_product_set_create_then_update_by_handle_is_one_product(sim, session):
	first = gql(
		sim, session, Q.PRODUCT_SET, {"input": product_input(), "identifier": {"handle": "vanilla-tub"}}
	)
	first = first["data"]["productSet"]
	assert first["userErrors"] == []
	second = gql(
		sim,
		session,
		Q.PRODUCT_SET,
		{
			"input": product_input(title="Vanilla Tub 1L", price="5.25"),
			"identifier": {"handle": "vanilla-tub"},
		},
	)["data"]["productSet"]
	assert second["userErrors"] == []
	assert second["product"]["id"] == first["product"]["id"]
	assert second["product"]["handle"] == "vanilla-tub"
	assert [v["id"] for v in second["product"]["variants"]["nodes"]] == [
		v["id"] for v in first["product"]["variants"]["nodes"]
	]
	assert [v["sku"] for v in second["product"]["variants"]["nodes"]] == ["VAN-S", "VAN-L"]
	counts = gql(sim, session, Q.COUNTS, {"products": "handle:vanilla-tub"})["data"]
	assert counts["productsCount"] == {"count": 1, "precision": "EXACT"}
	product = sim.product_by_handle("vanilla-tub")
	assert product["title"] == "Vanilla Tub 1L" and product["variants"][0]["price"] == "5.25"
	assert product["variants"][0]["inventoryItem"]["measurement"]["weight"] == {
		"value": 0.5,
		"unit": "KILOGRAMS",
	}
	# without an identifier a second create gets a new handle, as on Shopify
	third = gql(sim, session, Q.PRODUCT_SET, {"input": product_input()})["data"]["productSet"]
	assert third["product"]["handle"] == "vanilla-tub-1"


def test_product_set_invalid_input_is_user_errors_not_http_errors(sim, session):
	too_long = gql(sim, session, Q.PRODUCT_SET, {"input": product_input(title="x" * 256)})["data"][
		"productSet"
	]
	assert too_long["product"] is None
	assert too_long["userErrors"] == [
		{
			"field": ["input", "title"],
			"message": "Title is too long (maximum is 255 characters)",
			"code": "TOO_LONG",
		}
	]
	blank = {k: v for k, v in product_input().items() if k != "title"}
	missing = gql(sim, session, Q.PRODUCT_SET, {"input": blank})["data"]["productSet"]
	assert missing["userErrors"][0]["code"] == "BLANK" and missing["userErrors"][0]["field"] == [
		"input",
		"title",
	]
	unknown = gql(
		sim,
		session,
		Q.PRODUCT_SET,
		{"input": product_input(), "identifier": {"id": "gid://shopify/Product/999"}},
	)
	assert unknown["data"]["productSet"]["userErrors"][0]["code"] == "PRODUCT_DOES_NOT_EXIST"
	assert sim.products == {}


def _set_quantity(sim, session, item, quantity, key, change_from=None, document=Q.INVENTORY_SET_QUANTITIES):
	entry = {"inventoryItemId": item, "locationId": sim.primary_location["id"], "quantity": quantity}
	if change_from != "omit":
		entry["changeFromQuantity"] = change_from
	return gql(
		sim,
		session,
		document,
		{
			"idempotencyKey": key,
			"input": {"name": "available", "reason": "correction", "quantities": [entry]},
		},
	)


def test_inventory_set_quantities_is_idempotent_by_key(sim, session):
	product = sim.add_product("Choco Tub", variants=[{"sku": "CHO-1", "price": "5", "available": 4}])
	item = product["variants"][0]["inventoryItem"]["id"]
	key = str(uuid.uuid4())
	first = _set_quantity(sim, session, item, 10, key, change_from=4)["data"]["inventorySetQuantities"]
	assert first["userErrors"] == []
	assert {
		(c["name"], c["delta"], c["quantityAfterChange"])
		for c in first["inventoryAdjustmentGroup"]["changes"]
	} == {
		("available", 6, 10),
		("on_hand", 6, 10),
	}
	sim.set_inventory(item, None, 3)  # a sale elsewhere meanwhile
	replay = _set_quantity(sim, session, item, 10, key, change_from=4)["data"]["inventorySetQuantities"]
	assert replay == first  # the first result, not applied again
	assert sim.inventory_level(item)["available"] == 3
	assert sim.applied_inventory_mutations == 1
	other = _set_quantity(sim, session, item, 11, key, change_from=4)["data"]["inventorySetQuantities"]
	assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
	stale = _set_quantity(sim, session, item, 12, str(uuid.uuid4()), change_from=4)["data"][
		"inventorySetQuantities"
	]
	assert stale["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
	omitted = _set_quantity(sim, session, item, 12, str(uuid.uuid4()), change_from="omit")
	assert omitted["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED"
	levels = gql(
		sim,
		session,
		Q.INVENTORY_LEVELS,
		{"ids": [product["variants"][0]["id"]], "locationId": sim.primary_location["id"]},
	)
	node = levels["data"]["nodes"][0]
	assert node["sku"] == "CHO-1"
	assert node["inventoryItem"]["inventoryLevel"]["quantities"] == [{"name": "available", "quantity": 3}]


def test_inventory_set_quantities_without_idempotent_directive_is_an_error(sim, session):
	product = sim.add_product("Berry Tub", variants=[{"sku": "BER-1", "price": "5"}])
	document = Q.INVENTORY_SET_QUANTITIES.replace(" @idempotent(key: $idempotencyKey)", "").replace(
		", $idempotencyKey: String!", ""
	)
	body = _set_quantity(
		sim, session, product["variants"][0]["inventoryItem"]["id"], 5, "unused", document=document
	)
	assert body["data"]["inventorySetQuantities"] is None
	assert "@idempotent" in body["errors"][0]["message"]
	assert sim.applied_inventory_mutations == 0


def test_webhook_subscriptions_create_update_and_reject_http(sim, session):
	create = Q.WEBHOOK_SUBSCRIPTION_CREATE
	spec = {"uri": "https://erp.example.com/shopify", "format": "JSON"}
	made = gql(sim, session, create, {"topic": "ORDERS_UPDATED", "webhookSubscription": spec})["data"]
	hook = made["webhookSubscriptionCreate"]["webhookSubscription"]
	assert hook["topic"] == "ORDERS_UPDATED" and hook["uri"] == spec["uri"]
	again = gql(sim, session, create, {"topic": "ORDERS_UPDATED", "webhookSubscription": spec})["data"]
	assert (
		again["webhookSubscriptionCreate"]["userErrors"][0]["message"]
		== "Address for this topic has already been taken"
	)
	insecure = gql(
		sim,
		session,
		create,
		{"topic": "ORDERS_PAID", "webhookSubscription": {"uri": "http://erp.example.com"}},
	)
	assert insecure["data"]["webhookSubscriptionCreate"]["webhookSubscription"] is None
	moved = gql(
		sim,
		session,
		Q.WEBHOOK_SUBSCRIPTION_UPDATE,
		{"id": hook["id"], "webhookSubscription": {"uri": spec["uri"] + "/v2"}},
	)
	assert moved["data"]["webhookSubscriptionUpdate"]["webhookSubscription"]["uri"].endswith("/v2")
	listed = gql(sim, session, Q.WEBHOOK_SUBSCRIPTIONS)["data"]["webhookSubscriptions"]["nodes"]
	assert listed == [{"id": hook["id"], "topic": "ORDERS_UPDATED", "uri": spec["uri"] + "/v2"}]


# --- auth, scopes, faults ---------------------------------------------------------------------------------


def test_wrong_or_missing_token_is_401(sim):
	for headers in ({"X-Shopify-Access-Token": "nope"}, {}):
		response = requests.post(sim.graphql_url, json={"query": Q.SHOP}, headers=headers)
		assert response.status_code == 401
		assert response.json() == {
			"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
		}


def test_missing_scope_is_access_denied():
	with ShopifySimulator(TOKEN, access_scopes=("read_products",)) as sim, requests.Session() as s:
		s.headers["X-Shopify-Access-Token"] = TOKEN
		body = gql(sim, s, Q.ORDER_SUMMARIES_PAGE, {"first": 1})
		assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
		assert body["data"] is None


def test_harness_faults_apply_to_the_graphql_route(sim, session):
	prefix = "/admin/api/"
	sim.faults.add(Fault.status(503, path_prefix=prefix), Fault.malformed_json(path_prefix=prefix))
	assert session.post(sim.graphql_url, json={"query": Q.SHOP}).status_code == 503
	malformed = session.post(sim.graphql_url, json={"query": Q.SHOP})
	with pytest.raises(ValueError):
		malformed.json()
	sim.faults.add(Fault.reset(path_prefix=prefix))
	with pytest.raises(requests.ConnectionError):
		session.post(sim.graphql_url, json={"query": Q.SHOP})
	sim.faults.add(Fault.rate_limited(retry_after=1, path_prefix=prefix))
	limited = session.post(sim.graphql_url, json={"query": Q.SHOP})
	assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
	assert gql(sim, session, Q.SHOP)["data"]["shop"]["myshopifyDomain"] == "scoopjoy-test.myshopify.com"


# --- webhooks --------------------------------------------------------------------------------------------


@pytest.fixture
def receiver():
	server = SimulatorServer()
	server.route("POST", "/hooks", lambda request: {"ok": True}, auth=False)
	with server:
		yield server


def test_webhook_is_signed_like_shopify_and_a_wrong_secret_fails(sim, receiver):
	order = sim.add_order()
	status, _ = sim.deliver_webhook(receiver.url + "/hooks", "orders/create", order["id"])
	assert status == 200
	request = receiver.last_request("POST", "/hooks")
	assert verify_shopify_hmac(request.body, request.header("X-Shopify-Hmac-Sha256"), SECRET)
	assert not verify_shopify_hmac(request.body, request.header("X-Shopify-Hmac-Sha256"), "another-secret")
	assert request.header("X-Shopify-Topic") == "orders/create"
	assert request.header("X-Shopify-Shop-Domain") == "scoopjoy-test.myshopify.com"
	assert request.header("X-Shopify-API-Version") == "2026-10"
	assert request.header("X-Shopify-Event-Id") and request.header("X-Shopify-Triggered-At")
	payload = json.loads(request.body)
	assert payload["id"] == int(order["legacyResourceId"])
	assert payload["admin_graphql_api_id"] == order["id"]
	assert payload["financial_status"] == "pending" and payload["fulfillment_status"] is None
	assert payload["line_items"][0]["variant_id"] == int(order["lineItems"][0]["_variant"])
	sim.deliver_webhook(receiver.url + "/hooks", "orders/create", order["id"], secret="forged")
	forged = receiver.last_request("POST", "/hooks")
	assert not verify_shopify_hmac(forged.body, forged.header("X-Shopify-Hmac-Sha256"), SECRET)


def test_webhook_duplicates_and_out_of_order_delivery(sim, receiver):
	url = receiver.url + "/hooks"
	order = sim.add_order()
	early = sim.webhook_payload("orders/updated", order["id"])  # built now, delivered later
	sim.mark_paid(order["id"])
	sim.fulfill(order["id"])
	late = sim.webhook_payload("orders/updated", order["id"])
	sim.deliver_webhook(url, "orders/updated", order["id"], body=late, webhook_id="wh-2")
	sim.deliver_webhook(url, "orders/updated", order["id"], body=early, webhook_id="wh-1")
	sim.deliver_webhook(url, "orders/updated", order["id"], body=early, webhook_id="wh-1")  # duplicate
	got = [(r.header("X-Shopify-Webhook-Id"), json.loads(r.body)) for r in receiver.requests]
	assert [g[0] for g in got] == ["wh-2", "wh-1", "wh-1"]
	assert got[0][1]["updated_at"] > got[1][1]["updated_at"]
	assert got[0][1]["financial_status"] == "paid" and got[0][1]["fulfillment_status"] == "fulfilled"
	assert got[1][1] == got[2][1]
	sim.refund(order["id"], {0: 1})
	refund = sim.webhook_payload("refunds/create", order["id"])
	assert refund["order_id"] == int(order["legacyResourceId"])
	assert refund["refund_line_items"][0]["line_item_id"] == order["lineItems"][0]["_n"]
	assert set(refund) >= {"id", "order_id", "created_at", "refund_line_items", "transactions"}


def test_deleted_product_lines_in_webhooks_have_null_ids(sim):
	product = sim.add_product("Lemon Tub", variants=[{"sku": "LEM-1", "price": "4"}])
	order = sim.add_order(lines=[{"variant": product["variants"][0]["id"], "quantity": 1}])
	sim.delete_product(product["id"])
	line = sim.webhook_payload("orders/updated", order["id"])["line_items"][0]
	assert line["product_id"] is None and line["variant_id"] is None and line["product_exists"] is False
	assert line["sku"] == "LEM-1"


# --- scale -----------------------------------------------------------------------------------------------


def test_generate_5000_orders_is_quick_and_light(session):
	with ShopifySimulator(TOKEN, **BIG) as sim:
		started = time.monotonic()
		ids = sim.generate_orders(5000, start=T0, spacing=30)
		assert time.monotonic() - started < 5
		assert len(ids) == len(set(ids)) == 5000
		body = gql(sim, session, Q.COUNTS, {"orders": "status:any"})
		assert body["data"]["ordersCount"] == {"count": 5000, "precision": "EXACT"}
		cancelled = gql(sim, session, Q.COUNTS, {"orders": "status:cancelled"})["data"]["ordersCount"][
			"count"
		]
		assert cancelled == 250
		page = gql(
			sim, session, Q.ORDER_SUMMARIES_PAGE, {"first": 5, "query": "created_at:>='2026-11-02T00:00:00Z'"}
		)
		assert page["data"]["orders"]["pageInfo"]["hasNextPage"] is True
	light = ShopifySimulator(TOKEN)
	light.generate_orders(1)  # the catalog and customers are shared, not per order
	tracemalloc.start()
	light.generate_orders(300, start=T0, spacing=30, customers=1)
	used, _peak = tracemalloc.get_traced_memory()
	tracemalloc.stop()
	assert used / 300 < 20_000  # bytes per order: 5,000 orders stay well under 100 MB
