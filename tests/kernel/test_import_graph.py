"""The app's import graph: no cycles, and nothing shipped imports the test support (issue #21).

Every module under ``scoopjoy/`` is read with :mod:`ast` (nothing is imported, no frappe needed).
An import counts wherever it is written: at the top, inside a function (a "lazy" import is still a
dependency, it only hides the cycle until that function runs) or under ``if TYPE_CHECKING:``, and
so does ``importlib.import_module("...")`` with a literal name. Dotted paths that Frappe resolves at
run time (hooks.py, ``frappe.enqueue("scoopjoy...")``, ``frappe.get_attr``) are not imports: they
are how a lower floor names work that lives above it.

1. No import cycle among the app's modules. A cycle is reported as a chain of modules, each step
   with the file and line of its import. :data:`ALLOWED_CYCLES` lists the known ones (none now).
2. No production module (everything under ``scoopjoy/`` but ``scoopjoy/tests/``) imports
   ``scoopjoy.tests``: the simulators and the other test support live there.

Each rule is also run on a small made-up app, to show it can fail.
"""

from __future__ import annotations

import ast
import textwrap
from collections import deque
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP_NAME = "scoopjoy"
TEST_SUPPORT = "tests"  # scoopjoy.tests: tests, simulators, benchmarks' helpers; never shipped code paths

#: Import cycles that may exist for now, each as the exact set of modules it may span. A cycle
#: inside one of these sets passes; an entry no cycle needs any more fails, so it gets removed.
#: None is left: a new cycle is broken by moving what both sides need down a floor.
ALLOWED_CYCLES: tuple[frozenset[str], ...] = ()


# --- reading the app -----------------------------------------------------------------------------


@dataclass
class ImportGraph:
	files: dict[str, Path] = field(default_factory=dict)  # module -> file
	#: module -> imported module -> line of the first such import in the module's file
	edges: dict[str, dict[str, int]] = field(default_factory=dict)

	def where(self, module: str, imported: str) -> str:
		return f"{self.files[module].as_posix()}:{self.edges[module][imported]}"


def module_name(root: Path, path: Path) -> tuple[str, bool]:
	"""(dotted module, whether it is a package's ``__init__``)."""
	parts = list(path.relative_to(root).with_suffix("").parts)
	is_package = parts[-1] == "__init__"
	if is_package:
		parts.pop()
	return ".".join(parts), is_package


def imported_names(tree: ast.Module, module: str, is_package: bool) -> list[tuple[str, int]]:
	"""Every dotted name the module imports, anywhere in its file, with its line."""
	names: list[tuple[str, int]] = []
	for node in ast.walk(tree):
		if isinstance(node, ast.Import):
			names += [(alias.name, node.lineno) for alias in node.names]
		elif isinstance(node, ast.ImportFrom):
			if node.level:
				package = module.split(".") if is_package else module.split(".")[:-1]
				base = package[: len(package) - (node.level - 1)]
				source = ".".join([*base, node.module] if node.module else base)
			else:
				source = node.module or ""
			# a.b when b is a name defined in a, a.b when b is a submodule: build_graph tells
			names += [
				(f"{source}.{alias.name}" if alias.name != "*" else source, node.lineno)
				for alias in node.names
			]
		elif isinstance(node, ast.Call) and node.args:
			func = ast.unparse(node.func)
			arg = node.args[0]
			if (
				func in ("importlib.import_module", "import_module", "__import__")
				and isinstance(arg, ast.Constant)
				and isinstance(arg.value, str)
			):
				names.append((arg.value, node.lineno))
	return names


def build_graph(root: Path, app: str = APP_NAME) -> ImportGraph:
	graph = ImportGraph()
	trees: dict[str, tuple[ast.Module, bool]] = {}
	for path in sorted((root / app).rglob("*.py")):
		if "__pycache__" in path.parts or "node_modules" in path.parts:
			continue
		module, is_package = module_name(root, path)
		graph.files[module] = path.relative_to(root)
		trees[module] = (ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), is_package)

	def owner(name: str) -> str | None:
		"""The app module a dotted name lives in (``a.b.func`` -> ``a.b``)."""
		while name and name not in graph.files:
			name = name.rpartition(".")[0]
		return name or None

	for module, (tree, is_package) in trees.items():
		edges = graph.edges.setdefault(module, {})
		for name, line in imported_names(tree, module, is_package):
			if name.split(".")[0] != app:
				continue
			target = owner(name)
			if target and target != module:
				edges.setdefault(target, line)
	return graph


# --- 1. cycles -------------------------------------------------------------------------------------


def strongly_connected(edges: dict[str, dict[str, int]]) -> list[set[str]]:
	"""The groups of two or more modules that import each other, directly or around a loop (Tarjan,
	iterative)."""
	index: dict[str, int] = {}
	low: dict[str, int] = {}
	stack: list[str] = []
	on_stack: set[str] = set()
	groups: list[set[str]] = []
	for start in sorted(edges):
		if start in index:
			continue
		work = [(start, iter(sorted(edges.get(start, {}))))]
		index[start] = low[start] = len(index)
		stack.append(start)
		on_stack.add(start)
		while work:
			node, children = work[-1]
			child = next(children, None)
			if child is not None:
				if child not in index:
					index[child] = low[child] = len(index)
					stack.append(child)
					on_stack.add(child)
					work.append((child, iter(sorted(edges.get(child, {})))))
				elif child in on_stack:
					low[node] = min(low[node], index[child])
				continue
			work.pop()
			if work:
				low[work[-1][0]] = min(low[work[-1][0]], low[node])
			if low[node] == index[node]:
				group = set()
				while True:
					member = stack.pop()
					on_stack.discard(member)
					group.add(member)
					if member == node:
						break
				if len(group) > 1:
					groups.append(group)
	return groups


def shortest_cycle(graph: ImportGraph, group: set[str]) -> list[str]:
	"""One concrete loop through the group, as short as possible: [a, b, ..., a]."""
	best: list[str] | None = None
	for start in sorted(group):
		previous: dict[str, str] = {}
		queue = deque([start])
		found = False
		while queue and not found:
			node = queue.popleft()
			for child in sorted(graph.edges.get(node, {})):
				if child not in group:
					continue
				if child == start:
					path = [node]
					while path[-1] != start:
						path.append(previous[path[-1]])
					cycle = [*reversed(path), start]
					if best is None or len(cycle) < len(best):
						best = cycle
					found = True
					break
				if child not in previous:
					previous[child] = node
					queue.append(child)
	assert best is not None, group
	return best


def describe_cycle(graph: ImportGraph, cycle: list[str]) -> str:
	return "\n".join(f"  {a} -> {b}  ({graph.where(a, b)})" for a, b in pairwise(cycle))


def cycle_problems(graph: ImportGraph, allowed: tuple[frozenset[str], ...] = ALLOWED_CYCLES) -> list[str]:
	problems = []
	groups = strongly_connected(graph.edges)
	for group in groups:
		if any(group <= entry for entry in allowed):
			continue
		cycle = shortest_cycle(graph, group)
		others = sorted(group - set(cycle))
		problems.append(
			f"import cycle among {len(group)} modules:\n{describe_cycle(graph, cycle)}"
			+ (f"\n  (the loop also reaches: {', '.join(others)})" if others else "")
			+ "\nBreak it by moving what both sides need down a floor (a module neither imports back)."
		)
	for entry in allowed:
		if not any(len(group & entry) > 1 for group in groups):
			problems.append(
				f"ALLOWED_CYCLES lists {sorted(entry)}, but those modules no longer import each other "
				"in a loop: remove the entry so the cycle cannot come back."
			)
	return problems


# --- 2. production code never imports the test support ---------------------------------------------


def is_test_support(module: str, app: str = APP_NAME) -> bool:
	prefix = f"{app}.{TEST_SUPPORT}"
	return module == prefix or module.startswith(prefix + ".")


def imports_of_test_support(graph: ImportGraph, app: str = APP_NAME) -> list[str]:
	return [
		f"{graph.where(module, imported)}: {module} imports {imported} "
		f"(test support: only {app}/{TEST_SUPPORT}/, tests/, tools/ and benchmarks/ may)"
		for module, imported_modules in sorted(graph.edges.items())
		if not is_test_support(module, app)
		for imported in sorted(imported_modules)
		if is_test_support(imported, app)
	]


# --- the app -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_graph() -> ImportGraph:
	return build_graph(REPO)


def test_the_app_has_no_import_cycle(app_graph):
	assert len(app_graph.files) > 50, "the app's modules were not found"
	problems = cycle_problems(app_graph)
	assert not problems, "\n\n".join(problems)


def test_no_production_module_imports_the_test_support(app_graph):
	problems = imports_of_test_support(app_graph)
	assert not problems, "\n".join(problems)


def test_the_simulators_are_test_support(app_graph):
	simulators = [m for m in app_graph.files if ".simulators" in m]
	assert simulators and all(m.startswith(f"{APP_NAME}.{TEST_SUPPORT}.simulators") for m in simulators)


# --- the rules on a made-up app ------------------------------------------------------------------------


def make_app(root: Path, files: dict[str, str]) -> ImportGraph:
	for relative, content in {"demo/__init__.py": "", "demo/tests/__init__.py": "", **files}.items():
		path = root / relative
		path.parent.mkdir(parents=True, exist_ok=True)
		path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
	return build_graph(root, "demo")


def test_a_lazy_import_inside_a_function_closes_a_cycle(tmp_path):
	graph = make_app(
		tmp_path,
		{
			"demo/base.py": "from demo.alerts import alert\n",
			"demo/alerts.py": "def alert():\n\tfrom demo.slack import post\n\tpost()\n",
			"demo/slack.py": "import json\n\nfrom demo import base\n\n\ndef post():\n\tpass\n",
		},
	)
	[problem] = cycle_problems(graph, allowed=())
	assert "demo.alerts -> demo.slack  (demo/alerts.py:2)" in problem
	assert "demo.slack -> demo.base  (demo/slack.py:3)" in problem
	assert "demo.base -> demo.alerts  (demo/base.py:1)" in problem


def test_relative_and_importlib_imports_count(tmp_path):
	graph = make_app(
		tmp_path,
		{
			"demo/pkg/__init__.py": "",
			"demo/pkg/a.py": "from . import b\n",
			"demo/pkg/b.py": "import importlib\n\n\ndef f():\n\treturn importlib.import_module('demo.pkg.a')\n",
		},
	)
	[problem] = cycle_problems(graph, allowed=())
	assert "demo.pkg.a -> demo.pkg.b  (demo/pkg/a.py:1)" in problem
	assert "demo.pkg.b -> demo.pkg.a  (demo/pkg/b.py:5)" in problem


def test_an_allowed_cycle_passes_only_while_it_exists_and_stays_inside_its_modules(tmp_path):
	files = {
		"demo/orders.py": "from demo.items import make_item\n",
		"demo/items.py": "def make_item():\n\tfrom demo.orders import lock\n",
	}
	allowed = (frozenset({"demo.orders", "demo.items"}),)
	assert cycle_problems(make_app(tmp_path / "a", files), allowed) == []

	wider = {**files, "demo/items.py": "from demo.stock import x\n", "demo/stock.py": "import demo.orders\n"}
	[problem] = cycle_problems(make_app(tmp_path / "b", wider), allowed)
	assert "demo.stock -> demo.orders" in problem

	[stale] = cycle_problems(make_app(tmp_path / "c", {"demo/orders.py": "", "demo/items.py": ""}), allowed)
	assert "remove the entry" in stale


def test_a_production_module_importing_the_test_support_fails(tmp_path):
	graph = make_app(
		tmp_path,
		{
			"demo/tests/simulators/__init__.py": "",
			"demo/tests/simulators/shop.py": "from demo.connector import Connector\n",
			"demo/tests/test_connector.py": "from demo.tests.simulators.shop import Shop\n",
			"demo/connector.py": "class Connector:\n\tdef fake(self):\n\t\tfrom demo.tests import simulators\n",
			"demo/api.py": "from demo import tests\n",
		},
	)
	assert imports_of_test_support(graph, "demo") == [
		"demo/api.py:1: demo.api imports demo.tests "
		"(test support: only demo/tests/, tests/, tools/ and benchmarks/ may)",
		"demo/connector.py:3: demo.connector imports demo.tests.simulators "
		"(test support: only demo/tests/, tests/, tools/ and benchmarks/ may)",
	]
