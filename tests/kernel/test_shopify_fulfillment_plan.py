"""Which fulfillment order lines a Delivery Note fulfils, and the fulfilment a lost answer made
(scoopjoy.connectors.shopify.fulfillment_plan), on fulfillment orders shaped like Shopify's
(https://shopify.dev/docs/api/admin-graphql/latest/objects/FulfillmentOrder).

Invariant, on generated layouts (locations, lines split over fulfillment orders, remaining units,
what a note ships): a plan never asks more of a fulfillment order line than it has left, takes only
lines of the note's location, and fulfils exactly what the note ships; otherwise it refuses in words.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from scoopjoy.connectors.shopify.fulfillment_plan import CannotFulfil, Wanted, adoptable, plan_fulfillment


def fo(n: int, location: int, lines: dict[int, int], status: str = "OPEN") -> dict:
	return {
		"id": f"gid://shopify/FulfillmentOrder/{n}",
		"status": status,
		"assignedLocation": {"location": {"id": f"gid://shopify/Location/{location}"}},
		"lineItems": {
			"nodes": [
				{
					"id": f"gid://shopify/FulfillmentOrderLineItem/{n * 100 + line}",
					"remainingQuantity": left,
					"totalQuantity": left,
					"lineItem": {"id": f"gid://shopify/LineItem/{line}"},
				}
				for line, left in lines.items()
			]
		},
	}


def test_a_note_takes_its_units_from_its_locations_fulfillment_order():
	plan = plan_fulfillment([fo(1, 7, {11: 3}), fo(2, 8, {12: 1})], [Wanted("11", 2, "Tub")], "7", "Stores")
	assert plan == [
		{
			"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1",
			"fulfillmentOrderLineItems": [
				{"id": "gid://shopify/FulfillmentOrderLineItem/111", "quantity": 2}
			],
		}
	]


@pytest.mark.parametrize(
	("orders", "location", "message"),
	[
		([fo(1, 7, {11: 3}, "ON_HOLD")], "7", "on hold in Shopify: release the hold"),
		([fo(1, 7, {11: 0}, "CLOSED")], "7", "nothing left to fulfil (its fulfillment order is CLOSED)"),
		([fo(1, 7, {11: 1})], "7", "Shopify has 1 of Tub left to fulfil at that location; the note ships 2"),
		([fo(1, 8, {11: 3})], "7", "assigned to another Shopify location than the one of warehouse Stores"),
		([fo(1, 7, {11: 3}), fo(2, 8, {12: 1})], None, "ships from 2 Shopify locations and warehouse Stores"),
		([fo(1, 7, {11: 3}, "SCHEDULED")], "7", "scheduled for later in Shopify: mark it ready"),
	],
)
def test_what_shopify_would_refuse_is_said_in_words(orders, location, message):
	with pytest.raises(CannotFulfil, match=message.replace("(", r"\(").replace(")", r"\)")):
		plan_fulfillment(orders, [Wanted("11", 2, "Tub")], location, "Stores")


def test_a_line_that_needs_no_shipping_is_left_out():
	plan = plan_fulfillment(
		[fo(1, 7, {11: 3})], [Wanted("11", 1, "Tub"), Wanted("99", 1, "Gift card")], "7", "Stores"
	)
	assert [item["id"] for group in plan for item in group["fulfillmentOrderLineItems"]] == [
		"gid://shopify/FulfillmentOrderLineItem/111"
	]


@st.composite
def layouts(draw):
	locations = draw(st.lists(st.sampled_from((7, 8, 9)), min_size=1, max_size=3, unique=True))
	orders, n = [], 1
	for line in range(1, draw(st.integers(min_value=1, max_value=4)) + 1):
		for location in draw(st.lists(st.sampled_from(locations), min_size=1, max_size=2, unique=True)):
			orders.append((n, location, line, draw(st.integers(min_value=0, max_value=5))))
			n += 1
	wanted = {line: draw(st.integers(min_value=0, max_value=6)) for _n, _loc, line, _left in orders}
	return orders, wanted, draw(st.sampled_from(locations))


@seed(23)
@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(layout=layouts())
def test_a_plan_fulfils_exactly_the_note_from_its_location_within_what_is_left(layout):
	rows, wanted, location = layout
	orders = [fo(n, loc, {line: left}) for n, loc, line, left in rows]
	asked = [Wanted(str(line), units, f"line {line}") for line, units in wanted.items()]
	try:
		plan = plan_fulfillment(orders, asked, str(location), "Stores")
	except CannotFulfil:
		here = {line: 0 for line in wanted}
		for _n, loc, line, left in rows:
			if loc == location:
				here[line] += left
		assert any(units and units > here[line] for line, units in wanted.items())
		return
	left = {item["id"]: item["remainingQuantity"] for order in orders for item in order["lineItems"]["nodes"]}
	location_of = {order["id"]: order["assignedLocation"]["location"]["id"] for order in orders}
	line_of = {item["id"]: item["lineItem"]["id"] for order in orders for item in order["lineItems"]["nodes"]}
	got: dict[str, int] = {}
	for group in plan:
		assert location_of[group["fulfillmentOrderId"]] == f"gid://shopify/Location/{location}"
		for item in group["fulfillmentOrderLineItems"]:
			assert 0 < item["quantity"] <= left[item["id"]]
			key = line_of[item["id"]].rsplit("/", 1)[1]
			got[key] = got.get(key, 0) + item["quantity"]
	assert got == {str(line): units for line, units in wanted.items() if units}


def test_the_fulfilment_of_a_lost_answer_is_found_and_no_other():
	made = {
		"id": "gid://shopify/Fulfillment/55",
		"status": "SUCCESS",
		"createdAt": "2026-12-06T10:00:05Z",
		"location": {"id": "gid://shopify/Location/7"},
		"fulfillmentLineItems": {"nodes": [{"quantity": 2, "lineItem": {"id": "gid://shopify/LineItem/11"}}]},
	}
	older = {**made, "id": "gid://shopify/Fulfillment/54", "createdAt": "2026-12-06T09:00:00Z"}
	wanted = [Wanted("11", 2, "Tub")]
	assert adoptable([older, made], wanted, "7", "2026-12-06T10:00:00Z", []) == "55"
	assert adoptable([older, made], wanted, "7", "2026-12-06T10:00:00Z", ["55"]) is None  # another note's
	assert adoptable([older, made], [Wanted("11", 1, "Tub")], "7", "2026-12-06T10:00:00Z", []) is None
	assert adoptable([{**made, "status": "CANCELLED"}], wanted, "7", "2026-12-06T10:00:00Z", []) is None
	assert adoptable([made], wanted, "8", "2026-12-06T10:00:00Z", []) is None
