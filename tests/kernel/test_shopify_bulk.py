"""The catalog read two ways: pages (queries.CATALOG_PAGE) and one bulk query (queries.CATALOG_BULK_QUERY,
its JSONL put back together by kernel.bulk.assemble), against the simulator's bulk operations
(https://shopify.dev/docs/api/usage/bulk-operations/queries).

Properties, on generated catalogs (scoopjoy.tests.catalog_space), with Shopify's lines of nested
nodes in order and mixed:

1. the bulk result put back together is the catalog the pages read, product for product and
   variant for variant (ids, titles, options, SKUs, prices, option values; variants in any order,
   as Shopify's lines keep none), so the same Items come of either path;
2. flattening any product tree the way Shopify writes JSONL and assembling it again gives the tree.

A fixed seed and budget keep CI repeatable (``SCOOPJOY_HYPOTHESIS_EXAMPLES`` raises it).
"""

from __future__ import annotations

import os
import random

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.mapping import product_plan
from scoopjoy.kernel.bulk import BulkResultError, assemble
from scoopjoy.tests.catalog_space import add_catalog, catalog_specs, random_catalog
from scoopjoy.tests.simulators.shopify import ShopifySimulator
from scoopjoy.tests.simulators.shopify.bulk import _flatten
from scoopjoy.tests.simulators.shopify_schema import SCHEMA, CostCalculator
from tests.kernel.properties import property_settings

PROPERTY = property_settings(60)
NESTED = {"ProductVariant": ("Product", "variants")}


@pytest.fixture(scope="module")
def sim():
	shop = ShopifySimulator(access_token="shpat_kernel_bulk", bucket_size=10**9, restore_rate=10**9).start()
	yield shop
	shop.stop()


def run(sim, document: str, variables: dict | None = None) -> dict:
	body = sim.run(document, variables or {})
	assert "errors" not in body, body
	return body["data"]


def paged(sim) -> list[dict]:
	"""The catalog as the import pages it: CATALOG_PAGE, then PRODUCT_BY_ID for a product whose
	variants do not fit the page."""
	products, after = [], None
	while True:
		page = run(sim, queries.CATALOG_PAGE, {"first": constants.CATALOG_PAGE_SIZE, "after": after})[
			"products"
		]
		for product in page["nodes"]:
			if product["variants"]["pageInfo"]["hasNextPage"]:
				nodes, cursor = [], None
				while True:
					whole = run(sim, queries.PRODUCT_BY_ID, {"id": product["id"], "after": cursor})["product"]
					nodes += whole["variants"]["nodes"]
					if not whole["variants"]["pageInfo"]["hasNextPage"]:
						break
					cursor = whole["variants"]["pageInfo"]["endCursor"]
				product = {**product, "variants": {"nodes": nodes}}
			products.append(product)
		if not page["pageInfo"]["hasNextPage"]:
			return products
		after = page["pageInfo"]["endCursor"]


def bulk(sim) -> list[dict]:
	"""The catalog as one bulk query: started, read until COMPLETED, its file downloaded without a
	token and put back together."""
	started = run(sim, queries.BULK_RUN_QUERY, {"query": queries.CATALOG_BULK_QUERY})["bulkOperationRunQuery"]
	assert started["userErrors"] == [], started
	operation = started["bulkOperation"]
	for _ in range(10):
		operation = run(sim, queries.BULK_OPERATION, {"id": operation["id"]})["node"]
		if operation["status"] == "COMPLETED":
			break
	assert operation["status"] == "COMPLETED", operation
	if not operation["url"]:
		return []
	answer = requests.get(operation["url"], timeout=10)  # no X-Shopify-Access-Token: another host's file
	assert answer.status_code == 200
	return assemble(answer.text.split("\n"), NESTED)


def essentials(products: list[dict]) -> list[tuple]:
	"""What Items are made of, from either path."""
	return [
		(
			p["id"],
			p["title"],
			tuple((o["name"], tuple(o["values"])) for o in p["options"]),
			tuple(
				(
					v["id"],
					v["sku"],
					v["price"],
					v["title"],
					tuple((s["name"], s["value"]) for s in v["selectedOptions"]),
				)
				for v in sorted(p["variants"]["nodes"], key=lambda v: int(v["id"].rsplit("/", 1)[1]))
			),
		)
		for p in products
	]


@PROPERTY
@given(specs=catalog_specs(max_products=8), shuffle=st.booleans())
def test_the_bulk_result_is_the_catalog_the_pages_read(sim, specs, shuffle):
	sim.reset_state()
	sim.bulk_shuffle = shuffle
	add_catalog(sim, specs)
	by_pages, by_bulk = paged(sim), bulk(sim)
	assert essentials(by_bulk) == essentials(by_pages)
	assert len(by_bulk) == len(specs)
	plans = [product_plan(p) for p in by_bulk], [product_plan(p) for p in by_pages]
	for plan in (*plans[0], *plans[1]):
		plan.variants.sort(key=lambda v: int(v.variant_id))  # Shopify keeps no order among the lines
	assert plans[0] == plans[1]


@PROPERTY
@given(specs=catalog_specs(max_products=6), shuffle=st.booleans())
def test_flattened_trees_assemble_again(specs, shuffle):
	roots = [
		{
			"id": f"gid://shopify/Product/{n}",
			"title": spec["title"],
			"variants": {
				"edges": [
					{
						"node": {
							"id": f"gid://shopify/ProductVariant/{n * 100 + i}",
							"sku": v["sku"],
							"price": v["price"],
						}
					}
					for i, v in enumerate(spec["variants"])
				]
			},
		}
		for n, spec in enumerate(specs, start=1)
	]
	lines, count = _flatten({"edges": [{"node": r} for r in roots]}, group_objects=False, shuffle=shuffle)
	assert count == len(roots)
	by_id = lambda node: node["id"]  # noqa: E731
	again = assemble(lines, NESTED)
	for product in again:
		product["variants"]["nodes"].sort(key=by_id)
	assert again == [
		{**r, "variants": {"nodes": sorted((e["node"] for e in r["variants"]["edges"]), key=by_id)}}
		for r in roots
	]
	if not shuffle:  # in file order, each product's variants come in Shopify's order
		assert [[v["id"] for v in p["variants"]["nodes"]] for p in assemble(lines, NESTED)] == [
			[e["node"]["id"] for e in r["variants"]["edges"]] for r in roots
		]


def test_a_large_catalog_costs_ten_points_in_bulk_and_many_pages_paged(sim):
	"""Why the import switches: the bulk query's start costs a mutation's 10 points whatever the
	catalog; each page requests ~880 of the bucket (the single-query limit is 1,000)."""
	from graphql import parse
	from graphql.utilities import get_operation_ast

	operation = get_operation_ast(parse(queries.CATALOG_PAGE))
	requested = CostCalculator(SCHEMA, operation, {}, {"first": constants.CATALOG_PAGE_SIZE}).requested()
	assert 800 < requested <= constants.MAX_SINGLE_QUERY_COST
	sim.reset_state()
	add_catalog(sim, random_catalog(random.Random(7), 60))
	body = sim.run(queries.BULK_RUN_QUERY, {"query": queries.CATALOG_BULK_QUERY})
	assert body["extensions"]["cost"]["requestedQueryCost"] == 10


def test_five_bulk_queries_at_a_time_and_what_shopify_refuses(sim):
	"""From API 2026-01 five run at once (a sixth: LIMIT_REACHED); before, one (OPERATION_IN_PROGRESS)."""
	sim.reset_state()
	add_catalog(sim, random_catalog(random.Random(3), 3))
	started = [
		run(sim, queries.BULK_RUN_QUERY, {"query": queries.CATALOG_BULK_QUERY})["bulkOperationRunQuery"]
		for _ in range(6)
	]
	assert [bool(s["bulkOperation"]) for s in started] == [True] * 5 + [False]
	assert started[5]["userErrors"][0]["code"] == "LIMIT_REACHED"
	current = run(sim, queries.CURRENT_BULK_OPERATION)["currentBulkOperation"]
	assert current["id"] == started[4]["bulkOperation"]["id"] and " ".join(
		current["query"].split()
	) == " ".join(queries.CATALOG_BULK_QUERY.split())
	old = ShopifySimulator(access_token="shpat_kernel_bulk_old", api_version="2025-10").start()
	try:
		first = old.run(queries.BULK_RUN_QUERY, {"query": queries.CATALOG_BULK_QUERY})["data"][
			"bulkOperationRunQuery"
		]
		again = old.run(queries.BULK_RUN_QUERY, {"query": queries.CATALOG_BULK_QUERY})["data"][
			"bulkOperationRunQuery"
		]
		assert first["bulkOperation"] and again["userErrors"][0]["code"] == "OPERATION_IN_PROGRESS"
	finally:
		old.stop()
	for bad in (
		"{ shop { name } }",  # no connection
		"{ products { edges { node { variants { edges { node { product { variants { edges { node { id } } } } } } } } } } }",
	):
		sim.reset_state()
		refused = run(sim, queries.BULK_RUN_QUERY, {"query": bad})["bulkOperationRunQuery"]
		assert refused["userErrors"][0]["code"] == "INVALID", (bad, refused)


def test_a_failed_operation_has_partial_data_and_an_expired_url_is_refused(sim):
	sim.reset_state()
	add_catalog(sim, random_catalog(random.Random(5), 6))
	sim.fail_next_bulk = "TIMEOUT"
	operation = run(sim, queries.BULK_RUN_QUERY, {"query": queries.CATALOG_BULK_QUERY})[
		"bulkOperationRunQuery"
	]["bulkOperation"]
	for _ in range(5):
		operation = run(sim, queries.BULK_OPERATION, {"id": operation["id"]})["node"]
	assert (operation["status"], operation["errorCode"], operation["url"]) == ("FAILED", "TIMEOUT", None)
	assert requests.get(operation["partialDataUrl"], timeout=10).status_code == 200
	sim.reset_state()
	add_catalog(sim, random_catalog(random.Random(5), 2))
	done = bulk(sim)
	assert len(done) == 2
	url = run(sim, queries.CURRENT_BULK_OPERATION)["currentBulkOperation"]["url"]
	sim.expire_bulk_results()
	assert run(sim, queries.CURRENT_BULK_OPERATION)["currentBulkOperation"]["status"] == "EXPIRED"
	assert requests.get(url, timeout=10).status_code == 403


def test_a_description_with_a_line_separator_stays_one_line(sim):
	"""JSON lets U+2028 and U+0085 stand raw inside a string; only "\\n" ends a JSONL line."""
	sim.reset_state()
	made = add_catalog(sim, random_catalog(random.Random(9), 2))
	sim.products[int(made[0]["id"].rsplit("/", 1)[1])]["descriptionHtml"] = "<p>Cold\u2028and\x85sweet</p>"
	(found,) = [p for p in bulk(sim) if p["id"] == made[0]["id"]]
	assert found["descriptionHtml"] == "<p>Cold\u2028and\x85sweet</p>"


def test_a_result_that_cannot_be_read_names_its_line():
	with pytest.raises(BulkResultError, match="line 2 is not JSON"):
		assemble(['{"id":"gid://shopify/Product/1"}', "{cut off"], NESTED)
	with pytest.raises(BulkResultError, match="line 1: gid://shopify/ProductVariant/9 belongs to"):
		assemble(['{"id":"gid://shopify/ProductVariant/9","__parentId":"gid://shopify/Product/4"}'], NESTED)
