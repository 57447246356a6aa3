"""Walking paginated APIs: REST ``Link`` headers and GraphQL cursor connections.

Both styles are cursor based: the provider hands out an opaque token for "the page after this
one", and the token must be used exactly as given (Shopify: "The page_info parameter can't be
modified", https://shopify.dev/docs/api/admin-rest/usage/pagination). The iterators here let a
caller persist that token after every page, so a long backfill that dies half way resumes where
it stopped instead of starting over (or, worse, skipping records).

- ``Link`` header: RFC 8288 (https://www.rfc-editor.org/rfc/rfc8288), e.g. Shopify REST
  ``<https://shop/admin/api/2024-01/orders.json?page_info=abc&limit=50>; rel="next"``.
- GraphQL connections: ``edges { cursor node }`` or ``nodes`` plus ``pageInfo { hasNextPage endCursor }``
  (https://shopify.dev/docs/api/usage/pagination-graphql, https://graphql.org/learn/pagination/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urljoin, urlsplit

# --- Link header (RFC 8288) ---------------------------------------------------------------------


def _parse_quoted(value: str, i: int) -> tuple[str, int]:
	"""A quoted-string starting at ``value[i] == '"'`` (RFC 9110 §5.6.4); returns (text, index after)."""
	out = []
	i += 1
	n = len(value)
	while i < n:
		ch = value[i]
		if ch == "\\" and i + 1 < n:
			out.append(value[i + 1])
			i += 2
			continue
		if ch == '"':
			return "".join(out), i + 1
		out.append(ch)
		i += 1
	return "".join(out), i


def parse_link_header_full(value: str | Sequence[str] | None) -> list[tuple[str, dict[str, str]]]:
	"""Every link in a ``Link`` header as ``(target, params)``; param names lower-cased.

	Quoted parameter values may contain ``,`` and ``;``. Malformed parts are skipped, never raised:
	a bad header from a provider must not crash a sync, it just ends the pagination.
	"""
	if not value:
		return []
	if not isinstance(value, str):
		value = ", ".join(v for v in value if v)
	links: list[tuple[str, dict[str, str]]] = []
	i, n = 0, len(value)
	while i < n:
		# find the next "<"
		start = value.find("<", i)
		if start < 0:
			break
		end = value.find(">", start + 1)
		if end < 0:
			break
		target = value[start + 1 : end].strip()
		i = end + 1
		params: dict[str, str] = {}
		while i < n:
			while i < n and value[i] in " \t":
				i += 1
			if i >= n or value[i] != ";":
				break
			i += 1
			while i < n and value[i] in " \t":
				i += 1
			name_start = i
			while i < n and value[i] not in "=;, \t":
				i += 1
			name = value[name_start:i].lower()
			while i < n and value[i] in " \t":
				i += 1
			param_value = ""
			if i < n and value[i] == "=":
				i += 1
				while i < n and value[i] in " \t":
					i += 1
				if i < n and value[i] == '"':
					param_value, i = _parse_quoted(value, i)
				else:
					value_start = i
					while i < n and value[i] not in ";,":
						i += 1
					param_value = value[value_start:i].strip()
			if name and name not in params:  # RFC 8288 §3.3: later occurrences of rel are ignored
				params[name] = param_value
		# skip to the comma that ends this link-value
		while i < n and value[i] != ",":
			if value[i] == "<":
				break
			i += 1
		links.append((target, params))
	return links


def parse_link_header(value: str | Sequence[str] | None, base_url: str | None = None) -> dict[str, str]:
	"""``{rel: url}`` from a ``Link`` header (RFC 8288); rel names lower-cased.

	A link with several relation types (``rel="next last"``) is listed under each. When two links
	claim the same rel, the first wins. ``base_url`` resolves relative targets (RFC 8288 §3.2).
	"""
	out: dict[str, str] = {}
	for target, params in parse_link_header_full(value):
		url = urljoin(base_url, target) if base_url else target
		for rel in params.get("rel", "").split():
			out.setdefault(rel.lower(), url)
	return out


def link_params(url: str | None) -> dict[str, str] | None:
	"""The query parameters of a link target (first value of each), or None for no link."""
	if not url:
		return None
	query = parse_qs(urlsplit(url).query, keep_blank_values=True)
	return {key: values[0] for key, values in query.items()}


def next_link_params(link_header: str | Sequence[str] | None, rel: str = "next") -> dict[str, str] | None:
	"""Query parameters of the ``rel="next"`` link (e.g. ``{"page_info": "abc", "limit": "50"}``), or None."""
	return link_params(parse_link_header(link_header).get(rel))


def next_page_info(link_header: str | Sequence[str] | None, rel: str = "next") -> str | None:
	"""Shopify's ``page_info`` cursor of the next page (or of ``rel``), None on the last page."""
	params = next_link_params(link_header, rel)
	if not params:
		return None
	return params.get("page_info") or None


def iterate_link_pages(
	fetch_page: Callable[[dict[str, str] | None], tuple[Sequence[Any], str | Sequence[str] | None]],
	*,
	start: dict[str, str] | None = None,
	on_page: Callable[[dict[str, str] | None, Sequence[Any]], None] | None = None,
	max_pages: int | None = None,
) -> Iterator[Any]:
	"""Items of every page, following ``rel="next"`` until there is none.

	``fetch_page(params)`` gets None for the first page (the caller sends its own filters), and
	afterwards the query parameters of the next link (Shopify: ``page_info`` and ``limit``; other
	filters must not be repeated). It returns ``(items, link_header_value)``.

	``on_page(params_to_resume_from, items)`` is called once the caller has consumed all items of a
	page; None means the listing is done. Persist the params and pass them back as ``start`` to
	resume. A caller that stops mid-page has not seen ``on_page`` for it, so a resume re-reads that
	page: at least once, never a gap.
	"""
	params = start
	seen: set[tuple[tuple[str, str], ...]] = set()
	pages = 0
	while True:
		items, link_header = fetch_page(dict(params) if params is not None else None)
		pages += 1
		yield from items
		next_params = next_link_params(link_header)
		if next_params is not None:
			key = tuple(sorted(next_params.items()))
			if key in seen or (params is not None and next_params == params):
				raise ValueError(f"pagination did not advance: the next link repeats {next_params!r}")
			seen.add(key)
		if on_page is not None:
			on_page(next_params, items)
		if next_params is None or (max_pages is not None and pages >= max_pages):
			return
		params = next_params


# --- GraphQL connections --------------------------------------------------------------------------


class GraphQLPage(NamedTuple):
	"""One page of a connection: unpacks as ``nodes, has_next, end_cursor``."""

	nodes: list[Any]
	has_next: bool
	end_cursor: str | None


def _path_tuple(connection_path: Sequence[str] | str) -> tuple[str, ...]:
	if isinstance(connection_path, str):
		return tuple(part for part in connection_path.split(".") if part)
	return tuple(connection_path)


def graphql_page_info(data: Mapping[str, Any], connection_path: Sequence[str] | str) -> GraphQLPage:
	"""``(nodes, has_next, end_cursor)`` of the connection at ``connection_path`` (e.g. ``("orders",)``).

	``data`` may be the whole response body (``{"data": {...}}``) or its ``data`` member. Both
	``edges { node }`` and ``nodes`` shapes are read. Raises ValueError naming the path when the
	connection is not in the response (a typo in the query, or a null parent such as a deleted
	customer), including the first GraphQL error message when there is one.
	"""
	path = _path_tuple(connection_path)
	if not path:
		raise ValueError("connection_path is empty")
	dotted = ".".join(path)
	if not isinstance(data, Mapping):
		raise ValueError(f"GraphQL response is not an object; expected a connection at '{dotted}'")
	current: Any = data
	if path[0] not in data and isinstance(data.get("data"), Mapping):
		current = data["data"]
	for depth, key in enumerate(path):
		if not isinstance(current, Mapping) or current.get(key) is None:
			where = ".".join(path[: depth + 1])
			raise ValueError(
				f"GraphQL connection '{dotted}' not found in the response (missing or null at '{where}')"
				+ _first_error(data)
			)
		current = current[key]
	connection = current
	if not isinstance(connection, Mapping):
		raise ValueError(f"GraphQL connection '{dotted}' is not an object")

	edges = connection.get("edges")
	if edges is not None:
		nodes = [edge.get("node") for edge in edges if isinstance(edge, Mapping)]
	elif connection.get("nodes") is not None:
		nodes = list(connection["nodes"])
		edges = None
	else:
		raise ValueError(f"GraphQL connection '{dotted}' has neither 'edges' nor 'nodes' in the response")

	page_info = connection.get("pageInfo") or {}
	has_next = bool(page_info.get("hasNextPage"))
	end_cursor = page_info.get("endCursor")
	if end_cursor is None and edges:
		last = edges[-1]
		end_cursor = last.get("cursor") if isinstance(last, Mapping) else None
	return GraphQLPage(nodes, has_next, end_cursor)


def _first_error(data: Any) -> str:
	errors = data.get("errors") if isinstance(data, Mapping) else None
	if isinstance(errors, list) and errors:
		first = errors[0]
		message = first.get("message") if isinstance(first, Mapping) else str(first)
		if message:
			return f"; first GraphQL error: {str(message)[:200]}"
	return ""


def iterate_graphql_pages(
	run_query: Callable[[str | None], Mapping[str, Any]],
	connection_path: Sequence[str] | str,
	*,
	start_cursor: str | None = None,
	max_pages: int | None = None,
) -> Iterator[GraphQLPage]:
	"""Page after page of a connection. ``run_query(after_cursor)`` runs the query with ``after: $cursor``."""
	cursor = start_cursor
	pages = 0
	while True:
		page = graphql_page_info(run_query(cursor), connection_path)
		pages += 1
		yield page
		if not page.has_next or (max_pages is not None and pages >= max_pages):
			return
		if not page.end_cursor or page.end_cursor == cursor:
			raise ValueError(
				f"GraphQL connection '{'.'.join(_path_tuple(connection_path))}' says hasNextPage "
				"but its endCursor does not advance (request pageInfo { hasNextPage endCursor })"
			)
		cursor = page.end_cursor


def iterate_graphql_connection(
	run_query: Callable[[str | None], Mapping[str, Any]],
	connection_path: Sequence[str] | str,
	*,
	start_cursor: str | None = None,
	on_page: Callable[[str | None, list[Any]], None] | None = None,
	max_pages: int | None = None,
) -> Iterator[Any]:
	"""Every node of a connection, page after page (https://shopify.dev/docs/api/usage/pagination-graphql).

	``run_query(cursor)`` gets ``start_cursor`` (None: from the beginning) and then each page's
	``endCursor``. ``on_page(cursor_to_resume_from, nodes)`` is called once the caller has consumed
	the page's nodes; the cursor is None when the connection is exhausted. Persist it and pass it as
	``start_cursor`` to resume after a crash: nodes of an unfinished page are read again (at least
	once, never a gap).
	"""
	for page in iterate_graphql_pages(
		run_query, connection_path, start_cursor=start_cursor, max_pages=max_pages
	):
		yield from page.nodes
		if on_page is not None and not (page.has_next and not page.end_cursor):
			# (hasNextPage without a cursor raises in iterate_graphql_pages; do not record "done")
			on_page(page.end_cursor if page.has_next else None, page.nodes)
