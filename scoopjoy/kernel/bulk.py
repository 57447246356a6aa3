"""Putting a Shopify bulk query's JSONL result back together.

A bulk query's result (https://shopify.dev/docs/api/usage/bulk-operations/queries) is one JSON
object per line. With ``groupObjects: false`` a node of a nested connection (a product's variant)
is a line of its own carrying ``__parentId``, the id of the node it belongs to, and Shopify does
not promise it comes right after its parent. :func:`assemble` gives the top-level objects in file
order with their nested nodes back as connections (``{"nodes": [...]}``, in file order), the shape
a paged query returns, so one mapping serves both. Never imports frappe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from scoopjoy.kernel.errors import RecordError

_GID_TYPE = re.compile(r"^gid://shopify/([A-Za-z]+)/")


class BulkResultError(RecordError):
	"""A result file that cannot be read: a line that is not JSON, or a node whose parent is missing."""


def gid_type(global_id: str) -> str | None:
	"""``ProductVariant`` of ``gid://shopify/ProductVariant/7``."""
	match = _GID_TYPE.match(global_id or "")
	return match.group(1) if match else None


def assemble(lines: Iterable[str], nested: Mapping[str, tuple[str, str]]) -> list[dict]:
	"""The root objects of a bulk result, their nested nodes put back.

	``nested`` says where a node goes by its id's type: ``{"ProductVariant": ("Product",
	"variants")}``: a variant goes into its product's ``variants``. Every object of a parent type
	gets its connections, empty when the file has no node for them."""
	roots: list[dict] = []
	by_id: dict[str, dict] = {}
	children: list[tuple[int, str, dict]] = []
	for number, line in enumerate(lines, start=1):
		line = line.strip()
		if not line:
			continue
		try:
			obj = json.loads(line)
		except ValueError as error:
			raise BulkResultError(f"Bulk result line {number} is not JSON: {line[:80]!r}") from error
		if not isinstance(obj, dict):
			raise BulkResultError(f"Bulk result line {number} is not an object: {line[:80]!r}")
		parent_id = obj.pop("__parentId", None)
		kind = gid_type(obj.get("id", ""))
		for parent_kind, field in nested.values():
			if kind == parent_kind:
				obj.setdefault(field, {"nodes": []})
		if obj.get("id"):
			by_id[obj["id"]] = obj
		if parent_id is None:
			roots.append(obj)
		else:
			children.append((number, parent_id, obj))
	for number, parent_id, obj in children:
		parent = by_id.get(parent_id)
		place = nested.get(gid_type(obj.get("id", "")) or "")
		if parent is None or place is None or gid_type(parent_id) != place[0]:
			raise BulkResultError(
				f"Bulk result line {number}: {obj.get('id')} belongs to {parent_id}, which is not in the file "
				"(or not where such a node goes)."
			)
		parent[place[1]]["nodes"].append(obj)
	return roots
