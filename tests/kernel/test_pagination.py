"""Following Link headers and GraphQL cursors, and resuming from a persisted cursor."""

import pytest

from scoopjoy.kernel.pagination import (
	graphql_page_info,
	iterate_graphql_connection,
	iterate_link_pages,
	next_link_params,
	next_page_info,
	parse_link_header,
	parse_link_header_full,
)

SHOP = "https://scoopjoy.myshopify.com/admin/api/2024-01/products.json"
SHOPIFY_BOTH = (
	f'<{SHOP}?limit=50&page_info=eyJkaXJlY3Rpb24iOiJwcmV2In0>; rel="previous", '
	f'<{SHOP}?limit=50&page_info=eyJkaXJlY3Rpb24iOiJuZXh0In0>; rel="next"'
)


def test_shopify_link_header_with_previous_and_next():
	links = parse_link_header(SHOPIFY_BOTH)
	assert links == {
		"previous": f"{SHOP}?limit=50&page_info=eyJkaXJlY3Rpb24iOiJwcmV2In0",
		"next": f"{SHOP}?limit=50&page_info=eyJkaXJlY3Rpb24iOiJuZXh0In0",
	}
	assert next_page_info(SHOPIFY_BOTH) == "eyJkaXJlY3Rpb24iOiJuZXh0In0"
	assert next_page_info(SHOPIFY_BOTH, rel="previous") == "eyJkaXJlY3Rpb24iOiJwcmV2In0"
	assert next_link_params(SHOPIFY_BOTH) == {"limit": "50", "page_info": "eyJkaXJlY3Rpb24iOiJuZXh0In0"}


def test_last_page_has_only_previous():
	header = f'<{SHOP}?limit=50&page_info=abc>; rel="previous"'
	assert next_page_info(header) is None
	assert next_page_info(None) is None
	assert next_page_info("") is None


def test_rfc8288_details():
	header = (
		'<https://api.example.com/items?page=2>; rel="next last"; title="a, b; c", '
		"</items?page=1>; rel=first, "
		'<https://other.example.com/x>; rel="next"'
	)
	links = parse_link_header(header, base_url="https://api.example.com/items?page=1")
	assert links["next"] == "https://api.example.com/items?page=2"  # first "next" wins
	assert links["last"] == "https://api.example.com/items?page=2"
	assert links["first"] == "https://api.example.com/items?page=1"
	full = parse_link_header_full(header)
	assert full[0][1]["title"] == "a, b; c"


def test_multiple_header_values_and_garbage():
	assert parse_link_header(['<https://a/1>; rel="next"', '<https://a/0>; rel="prev"']) == {
		"next": "https://a/1",
		"prev": "https://a/0",
	}
	assert parse_link_header("garbage, no links here") == {}
	assert parse_link_header('<https://a/1>; rel="next", <broken') == {"next": "https://a/1"}


def _rest_pages():
	pages = {
		None: (["a", "b"], '<https://x/items?page_info=p2&limit=2>; rel="next"'),
		"p2": (
			["c", "d"],
			'<https://x/items?page_info=p1&limit=2>; rel="previous", <https://x/items?page_info=p3&limit=2>; rel="next"',
		),
		"p3": (["e"], '<https://x/items?page_info=p2&limit=2>; rel="previous"'),
	}
	calls = []

	def fetch(params):
		calls.append(params)
		return pages[params["page_info"] if params else None]

	return fetch, calls


def test_iterate_link_pages_walks_all_and_reports_resume_points():
	fetch, calls = _rest_pages()
	checkpoints = []
	items = list(iterate_link_pages(fetch, on_page=lambda params, page: checkpoints.append(params)))
	assert items == ["a", "b", "c", "d", "e"]
	assert calls == [None, {"page_info": "p2", "limit": "2"}, {"page_info": "p3", "limit": "2"}]
	assert checkpoints == [{"page_info": "p2", "limit": "2"}, {"page_info": "p3", "limit": "2"}, None]

	fetch, calls = _rest_pages()
	assert list(iterate_link_pages(fetch, start={"page_info": "p3", "limit": "2"})) == ["e"]


def test_iterate_link_pages_refuses_to_loop():
	def fetch(params):
		return [1], '<https://x/items?page_info=same>; rel="next"'

	with pytest.raises(ValueError, match="did not advance"):
		list(iterate_link_pages(fetch))


# --- GraphQL ---------------------------------------------------------------------------------------

ORDERS = [{"id": f"gid://shopify/Order/{i}", "name": f"#{1000 + i}"} for i in range(1, 8)]


def _graphql_server(shape="edges", page_size=3):
	"""Answers like Shopify's Admin GraphQL API for ``orders(first: 3, after: $cursor)``."""
	calls = []

	def run_query(cursor):
		calls.append(cursor)
		start = 0 if cursor is None else int(cursor.removeprefix("c")) + 1
		chunk = ORDERS[start : start + page_size]
		end = start + len(chunk) - 1
		page_info = {"hasNextPage": end < len(ORDERS) - 1, "endCursor": f"c{end}" if chunk else None}
		if shape == "edges":
			connection = {"edges": [{"cursor": f"c{start + i}", "node": n} for i, n in enumerate(chunk)]}
		else:
			connection = {"nodes": chunk}
		connection["pageInfo"] = page_info
		return {"data": {"orders": connection}, "extensions": {"cost": {"requestedQueryCost": 5}}}

	return run_query, calls


@pytest.mark.parametrize("shape", ["edges", "nodes"])
def test_graphql_page_info_reads_both_shapes(shape):
	run_query, _ = _graphql_server(shape)
	nodes, has_next, end_cursor = graphql_page_info(run_query(None), ["orders"])
	assert [n["name"] for n in nodes] == ["#1001", "#1002", "#1003"]
	assert has_next is True and end_cursor == "c2"
	nodes, has_next, end_cursor = graphql_page_info(run_query("c5")["data"], "orders")
	assert [n["name"] for n in nodes] == ["#1007"] and has_next is False


def test_graphql_nested_connection_path():
	data = {"data": {"customer": {"orders": {"nodes": [{"id": 1}], "pageInfo": {"hasNextPage": False}}}}}
	assert graphql_page_info(data, ("customer", "orders")) == ([{"id": 1}], False, None)


def test_graphql_missing_path_names_it():
	with pytest.raises(ValueError, match=r"customer\.orders"):
		graphql_page_info(
			{"data": {"customer": None}, "errors": [{"message": "Customer not found"}]},
			("customer", "orders"),
		)
	with pytest.raises(ValueError, match="Throttled"):
		graphql_page_info({"errors": [{"message": "Throttled"}]}, ["orders"])


def test_graphql_iteration_over_three_pages_resumes_from_persisted_cursor():
	run_query, calls = _graphql_server()
	persisted = {}

	def save(cursor, nodes):
		persisted["cursor"] = cursor

	seen = []
	for node in iterate_graphql_connection(run_query, ["orders"], on_page=save):
		seen.append(node["name"])
		if len(seen) == 4:  # the job dies while processing the second page
			break
	assert persisted["cursor"] == "c2"  # only the first page was finished
	assert calls == [None, "c2"]

	calls.clear()
	resumed = [
		n["name"]
		for n in iterate_graphql_connection(
			run_query, ["orders"], start_cursor=persisted["cursor"], on_page=save
		)
	]
	assert calls == ["c2", "c5"]
	assert resumed == ["#1004", "#1005", "#1006", "#1007"]  # page 2 again (at least once), then page 3
	assert persisted["cursor"] is None  # done: the next run starts from the beginning
	assert set(seen) | set(resumed) == {o["name"] for o in ORDERS}


def test_graphql_all_pages_in_one_run():
	run_query, _ = _graphql_server(shape="nodes")
	cursors = []
	nodes = list(
		iterate_graphql_connection(run_query, "orders", on_page=lambda c, n: cursors.append((c, len(n))))
	)
	assert [n["id"] for n in nodes] == [o["id"] for o in ORDERS]
	assert cursors == [("c2", 3), ("c5", 3), (None, 1)]


def test_graphql_has_next_without_cursor_is_an_error():
	def run_query(cursor):
		return {"data": {"orders": {"nodes": [{"id": 1}], "pageInfo": {"hasNextPage": True}}}}

	with pytest.raises(ValueError, match="endCursor"):
		list(iterate_graphql_connection(run_query, ["orders"]))
