"""Bulk query operations of the Shopify simulator: ``bulkOperationRunQuery``, ``currentBulkOperation``
and the JSONL result file.

Written from https://shopify.dev/docs/api/usage/bulk-operations/queries and the reference of
https://shopify.dev/docs/api/admin-graphql/latest/mutations/bulkOperationRunQuery and
https://shopify.dev/docs/api/admin-graphql/latest/objects/BulkOperation:

- the query runs in the background, without the query cost limit; the mutation costs 10 like any
  other. The query needs at least one connection, at most five, nested at most two levels deep;
  otherwise ``userErrors`` (code ``INVALID``). From API 2026-01 an app runs up to five bulk queries
  at once per shop (a sixth is ``LIMIT_REACHED``); before, one (``OPERATION_IN_PROGRESS``):
  ``bulk_concurrency`` and the API version decide which.
- ``status`` goes CREATED -> RUNNING -> COMPLETED (``bulk_polls``: how many reads of the operation
  say RUNNING before it completes). ``objectCount`` counts every object, ``rootObjectCount`` the
  top-level ones.
- the result is JSONL, one object per line, UTF-8 as is (a description's U+2028 stays raw inside
  its string: only "\\n" ends a line). With ``groupObjects: false`` (what the connector
  asks), a node of a nested connection is a line of its own with ``__parentId``, the id of the node
  it belongs to; lists that are not connections stay inline. Shopify does not promise the lines of
  children follow their parent: ``bulk_shuffle`` mixes them (roots keep their order).
- ``url`` is a signed link to a file on another host that needs no access token (here: this
  server, route ``/bulk-results/{name}``), valid seven days. ``fail_next_bulk`` makes the next
  operation FAILED with that ``errorCode`` and a ``partialDataUrl`` of the first half of the lines.
"""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, execute, get_named_type, parse, validate

from scoopjoy.tests.simulators.harness import SimRequest, SimResponse
from scoopjoy.tests.simulators.shopify.common import gid

MAX_CONNECTIONS = 5
MAX_DEPTH = 2


class BulkMixin:
	"""Of :class:`~.server.ShopifySimulator`: bulk query operations and their result files."""

	#: reads of a running operation before it says COMPLETED
	bulk_polls = 1
	#: bulk queries an app may run at once per shop (API 2026-01 and later; before: one)
	bulk_concurrency = 5
	#: mix the lines of nested nodes among the others (Shopify does not keep them after their parent)
	bulk_shuffle = False
	#: the errorCode of the next operation's failure (ACCESS_DENIED, INTERNAL_SERVER_ERROR, TIMEOUT)
	fail_next_bulk: str | None = None

	def reset_bulk(self) -> None:
		self.bulk_operations: dict[int, dict] = {}
		self.bulk_files: dict[str, str] = {}
		self.bulk_runs = 0  # bulkOperationRunQuery calls that started an operation
		self._bulk_ids = itertools.count(1001)

	def setup_bulk_routes(self) -> None:
		self.route("GET", "/bulk-results/{name}", self._bulk_file, auth=False)

	def _bulk_file(self, request: SimRequest) -> SimResponse:
		text = self.bulk_files.get(request.path_params.get("name", ""))
		if text is None:  # an expired or unknown signed URL: the storage host's answer
			return SimResponse(403, body="<Error><Code>AccessDenied</Code></Error>")
		return SimResponse(200, body=text, headers={"Content-Type": "application/jsonl"})

	# --- the mutation -------------------------------------------------------------------------------

	def bulk_operation_run_query(self, query: str, group_objects: bool = False) -> dict:
		def refused(message: str, code: str) -> dict:
			return {
				"bulkOperation": None,
				"userErrors": [{"field": ["query"], "message": message, "code": code}],
			}

		running = [op for op in self.bulk_operations.values() if op["status"] in ("CREATED", "RUNNING")]
		several = self.api_version >= "2026-01" or self.api_version == "unstable"
		if len(running) >= (self.bulk_concurrency if several else 1):
			if several:
				return refused(
					f"Bulk operations limit reached: {len(running)} bulk query operations are running.",
					"LIMIT_REACHED",
				)
			return refused(
				f"A bulk query operation for this app and shop is already in progress: {running[0]['id']}.",
				"OPERATION_IN_PROGRESS",
			)
		try:
			document = parse(query)
		except GraphQLError as error:
			return refused(f"Invalid bulk query: {error.message}", "INVALID")
		errors = validate(self.schema, document)
		if errors:
			return refused(f"Invalid bulk query: {errors[0].message}", "INVALID")
		operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
		connections, depth = _connections(self.schema.query_type, operation.selection_set, 0)
		if not connections:
			return refused("Bulk queries must contain at least one connection.", "INVALID")
		if connections > MAX_CONNECTIONS:
			return refused(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.", "INVALID")
		if depth > MAX_DEPTH:
			return refused(
				f"Bulk queries cannot contain connections nested more than {MAX_DEPTH} levels.", "INVALID"
			)

		from scoopjoy.tests.simulators.shopify.search import _Context

		result = execute(self.schema, document, context_value=_Context(self))
		number = next(self._bulk_ids)
		op = {
			"__typename": "BulkOperation",
			"id": gid("BulkOperation", number),
			"status": "CREATED",
			"errorCode": None,
			"createdAt": self._now_iso(),
			"completedAt": None,
			"objectCount": "0",
			"rootObjectCount": "0",
			"fileSize": None,
			"url": None,
			"partialDataUrl": None,
			"query": query,
			"type": "QUERY",
			"_reads_left": self.bulk_polls,
			"_lines": [],
			"_roots": 0,
			"_failure": self.fail_next_bulk,
		}
		self.fail_next_bulk = None
		if result.errors:  # e.g. ACCESS_DENIED on a field outside the app's scopes
			op["_failure"] = "ACCESS_DENIED"
		else:
			(root,) = result.data.values()
			op["_lines"], op["_roots"] = _flatten(root, group_objects, self.bulk_shuffle)
		self.bulk_operations[number] = op
		self.bulk_runs += 1
		return {"bulkOperation": op, "userErrors": []}

	# --- reading an operation ---------------------------------------------------------------------

	def current_bulk_operation(self) -> dict | None:
		if not self.bulk_operations:
			return None
		return self.read_bulk_operation(self.bulk_operations[max(self.bulk_operations)])

	def read_bulk_operation(self, op: dict) -> dict:
		"""One read of the operation: it runs, then completes (or fails) after ``bulk_polls`` reads."""
		if op["status"] == "CREATED":
			op["status"] = "RUNNING"
		elif op["status"] == "RUNNING":
			op["_reads_left"] -= 1
		if op["status"] == "RUNNING" and op["_reads_left"] < 0:
			self._finish(op)
		return op

	def _finish(self, op: dict) -> None:
		lines = op["_lines"]
		name = f"{op['id'].rsplit('/', 1)[-1]}-{random.getrandbits(48):012x}.jsonl"
		op["completedAt"] = self._now_iso()
		if op["_failure"]:
			op["status"], op["errorCode"] = "FAILED", op["_failure"]
			partial = lines[: len(lines) // 2]
			if partial:
				self.bulk_files[name] = "".join(line + "\n" for line in partial)
				op["partialDataUrl"] = f"{self.url}/bulk-results/{name}"
			op["objectCount"] = str(len(partial))
			return
		text = "".join(line + "\n" for line in lines)
		op["status"] = "COMPLETED"
		op["objectCount"], op["rootObjectCount"] = str(len(lines)), str(op["_roots"])
		op["fileSize"] = str(len(text.encode()))
		if lines:  # Shopify gives no url when the query found nothing
			self.bulk_files[name] = text
			op["url"] = f"{self.url}/bulk-results/{name}"

	def expire_bulk_results(self) -> None:
		"""Seven days later: the operations say EXPIRED and their URLs answer 403."""
		for op in self.bulk_operations.values():
			if op["status"] == "COMPLETED":
				op["status"] = "EXPIRED"
		self.bulk_files.clear()


def _connections(parent_type, selection_set, level: int) -> tuple[int, int]:
	"""(connections in the selection, the deepest level of connections: ``products`` 1, its
	``variants`` 2)."""
	count, deepest = 0, level
	for selection in selection_set.selections if selection_set else ():
		if not isinstance(selection, FieldNode):
			continue
		field = getattr(parent_type, "fields", {}).get(selection.name.value)
		if field is None:
			continue
		named = get_named_type(field.type)
		inner = level + 1 if named.name.endswith("Connection") else level
		below, below_level = _connections(named, selection.selection_set, inner)
		count += below + (inner > level)
		deepest = max(deepest, inner, below_level)
	return count, deepest


def _nodes_of(connection: dict) -> list[dict]:
	if "edges" in connection:
		return [edge["node"] for edge in connection.get("edges") or [] if edge.get("node") is not None]
	return list(connection.get("nodes") or [])


def _is_connection(value: Any) -> bool:
	return isinstance(value, dict) and ("edges" in value or "nodes" in value) and not value.get("id")


def _flatten(root: dict, group_objects: bool, shuffle: bool) -> tuple[list[str], int]:
	"""The JSONL lines of a connection's result, and how many root objects there are."""
	roots, children = [], []

	def emit(node: dict, parent_id: str | None, into: list) -> None:
		own = {}
		nested = []
		for key, value in node.items():
			if _is_connection(value):
				nested.append(_nodes_of(value))
			else:
				own[key] = value
		if parent_id:
			own["__parentId"] = parent_id
		into.append(json.dumps(own, separators=(",", ":"), ensure_ascii=False))
		for nodes in nested:
			for child in nodes:
				emit(child, node.get("id"), into if group_objects or not shuffle else children)

	nodes = _nodes_of(root)
	for node in nodes:
		emit(node, None, roots)
	if children:  # interleave the children at random places after the first root
		rng = random.Random(len(roots) * 7919 + len(children))
		lines = list(roots)
		for child in children:
			lines.insert(rng.randint(1, len(lines)), child)
		return lines, len(nodes)
	return roots, len(nodes)
