#!/usr/bin/env python3
"""Static check of the Frappe layer of the app. Runs WITHOUT frappe installed (CI, fresh machine).

Nothing of the app is imported: Python is read with ``ast``, JSON with ``json``, JavaScript with
regular expressions over comment-free source. What is checked:

a. DocTypes: every ``<app>/<module>/doctype/<folder>/<folder>.json`` loads, is a DocType of a
   module in modules.txt, lives in the folder Frappe derives from its name, has a field_order that
   matches its fields, unique and valid fieldnames, options on Link / Dynamic Link / Table fields,
   Select defaults among the options; its controller defines ``class <Name>(Document)`` and, when
   present, the auto-generated type block matches the fields; its JS files have names Frappe loads.
b. hooks.py: every dotted path (install / migrate / uninstall hooks, scheduler_events, doc_events,
   override_whitelisted_methods, ...) points to a module file of the app that defines it (a
   top-level function or class, or ``Class.attribute``), with an arity Frappe can call;
   default_log_clearing_doctypes names DocTypes that implement ``clear_old_logs`` as a staticmethod.
c. ``@frappe.whitelist()`` functions are listed and have annotated parameters (Frappe v15+ validates
   annotated arguments); every ``frappe.call`` / ``frappe.xcall`` / ``method:`` path of the app in
   the JS resolves to a whitelisted function, and ``frm.call("x")`` to a whitelisted method of the
   DocType's controller.
d. The pure packages (kernel, tests/simulators) never import frappe, directly or through app modules.
e. Desk records shipped as JSON (number cards, dashboard charts, workspaces, pages): each lives in
   the folder Frappe derives from its name; a "Custom" number card's method is whitelisted; every
   number card, chart and shortcut a workspace shows is defined (in the app or in the workspace's
   own shortcut table), and its Page and DocType links name pages and DocTypes of the app (or
   Frappe / ERPNext DocTypes, which are not checked).

Exit 0 with a one-line summary, or 1 with the list of problems.

    python tools/check_frappe_layer.py [--app-root PATH] [--app-name NAME] [--verbose]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_APP_ROOT = Path(__file__).resolve().parent.parent
#: dotted below the app package: these run without frappe (the kernel tests import them)
PURE_PACKAGES = ("kernel", "tests.simulators")

# --- Frappe facts (v15 and v16) -----------------------------------------------------------------

FIELD_TYPES = frozenset(
	{
		"Autocomplete",
		"Attach",
		"Attach Image",
		"Barcode",
		"Button",
		"Check",
		"Code",
		"Color",
		"Column Break",
		"Currency",
		"Data",
		"Date",
		"Datetime",
		"Duration",
		"Dynamic Link",
		"Float",
		"Fold",
		"Geolocation",
		"Heading",
		"HTML",
		"HTML Editor",
		"Icon",
		"Image",
		"Int",
		"JSON",
		"Link",
		"Long Text",
		"Markdown Editor",
		"Password",
		"Percent",
		"Phone",
		"Read Only",
		"Rating",
		"Section Break",
		"Select",
		"Signature",
		"Small Text",
		"Tab Break",
		"Table",
		"Table MultiSelect",
		"Text",
		"Text Editor",
		"Time",
	}
)
#: field types that frappe.types.DF knows, so export_python_type_annotations writes them
ANNOTATED_TYPES = frozenset(
	{
		"Data",
		"Text",
		"Autocomplete",
		"Attach",
		"Attach Image",
		"Barcode",
		"Check",
		"Code",
		"Color",
		"Currency",
		"Date",
		"Datetime",
		"Duration",
		"Dynamic Link",
		"Float",
		"HTML Editor",
		"Int",
		"JSON",
		"Link",
		"Long Text",
		"Markdown Editor",
		"Password",
		"Percent",
		"Phone",
		"Read Only",
		"Rating",
		"Select",
		"Small Text",
		"Text Editor",
		"Time",
		"Table",
		"Table MultiSelect",
	}
)
#: frappe/types/exporter.py: these are never ``| None``; the others are unless ``reqd``
NON_NULLABLE_TYPES = frozenset(
	{"Check", "Currency", "Float", "Int", "Percent", "Rating", "Select", "Table", "Table MultiSelect"}
)
TEXT_TYPES = frozenset({"Small Text", "Text", "Long Text", "Code", "Text Editor", "HTML Editor", "JSON"})
STANDARD_COLUMNS = frozenset(
	{"name", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "parent", "parentfield"}
	| {"parenttype", "doctype"}
)
FIELDNAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: files Frappe loads from a DocType folder (besides the controller and tests)
DOCTYPE_JS_SUFFIXES = ("", "_list", "_tree", "_calendar", "_kanban", "_map")
#: core DocTypes that may be named in default_log_clearing_doctypes
CORE_LOG_DOCTYPES = frozenset(
	{
		"Access Log",
		"Activity Log",
		"Email Queue",
		"Error Log",
		"Integration Request",
		"Prepared Report",
		"Route History",
		"Scheduled Job Log",
		"Submission Queue",
		"Webhook Request Log",
	}
)
SCHEDULER_EVENT_KEYS = frozenset(
	{
		"all",
		"hourly",
		"hourly_long",
		"hourly_maintenance",
		"daily",
		"daily_long",
		"daily_maintenance",
		"weekly",
		"weekly_long",
		"monthly",
		"monthly_long",
		"annual",
		"yearly",
		"cron",
	}
)
#: hooks whose dotted paths Frappe calls without arguments
ZERO_ARG_HOOKS = frozenset(
	{
		"before_install",
		"after_install",
		"before_uninstall",
		"after_uninstall",
		"before_migrate",
		"after_migrate",
		"before_tests",
	}
)
#: hooks whose (nested) string values are dotted paths of callables
PATH_HOOKS = ZERO_ARG_HOOKS | {
	"after_app_install",
	"before_app_install",
	"after_app_uninstall",
	"before_app_uninstall",
	"boot_session",
	"extend_bootinfo",
	"on_session_creation",
	"on_login",
	"on_logout",
	"before_request",
	"after_request",
	"before_job",
	"after_job",
	"auth_hooks",
	"override_whitelisted_methods",
	"override_doctype_class",
	"extend_doctype_class",
	"permission_query_conditions",
	"has_permission",
	"has_website_permission",
	"standard_queries",
	"jinja",
	"get_website_user_home_page",
	"website_path_resolver",
	"notification_config",
	"scheduler_events",
	"doc_events",
	# the app's own: scoopjoy.reliability.alerts calls it (subject, message) to queue the Slack post
	"scoopjoy_slack_alert_sender",
}


# --- helpers ------------------------------------------------------------------------------------


def scrub(text: str) -> str:
	"""frappe.scrub: lower case, spaces and hyphens to underscores."""
	return text.replace(" ", "_").replace("-", "_").lower()


def class_name_of(doctype: str) -> str:
	"""The controller class Frappe imports for a DocType."""
	return doctype.replace(" ", "").replace("-", "")


@dataclass
class Report:
	problems: list[str] = field(default_factory=list)
	doctypes: dict[str, DocTypeInfo] = field(default_factory=dict)
	hook_paths: list[str] = field(default_factory=list)
	whitelisted: dict[str, Whitelisted] = field(default_factory=dict)
	js_calls: list[str] = field(default_factory=list)

	def add(self, section: str, message: str) -> None:
		self.problems.append(f"[{section}] {message}")


@dataclass
class DocTypeInfo:
	name: str
	folder: Path
	data: dict
	module: str  # dotted module of the controller
	class_node: ast.ClassDef | None = None


@dataclass
class Whitelisted:
	path: str  # module.function or module.Class.method
	file: Path
	line: int
	allow_guest: bool
	in_class: str | None


@dataclass
class Definition:
	"""What a dotted path resolved to."""

	module: str
	node: ast.AST


class App:
	"""Files of one app, parsed on demand and cached."""

	def __init__(self, root: Path, name: str, report: Report):
		self.root = root
		self.name = name
		self.package = root / name
		self.report = report
		self._trees: dict[Path, ast.Module | None] = {}

	def rel(self, path: Path) -> str:
		try:
			return str(path.relative_to(self.root))
		except ValueError:
			return str(path)

	def module_file(self, dotted: str) -> Path | None:
		parts = dotted.split(".")
		if parts[0] != self.name or not all(p.isidentifier() for p in parts):
			return None
		base = self.root.joinpath(*parts)
		if base.with_suffix(".py").is_file():
			return base.with_suffix(".py")
		if (base / "__init__.py").is_file():
			return base / "__init__.py"
		return None

	def module_name(self, path: Path) -> str:
		parts = list(path.relative_to(self.root).with_suffix("").parts)
		if parts[-1] == "__init__":
			parts.pop()
		return ".".join(parts)

	def tree(self, path: Path) -> ast.Module | None:
		if path not in self._trees:
			try:
				self._trees[path] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
			except SyntaxError as exc:
				self.report.add("python", f"{self.rel(path)}:{exc.lineno}: cannot be parsed: {exc.msg}")
				self._trees[path] = None
			except (OSError, UnicodeDecodeError) as exc:
				self.report.add("python", f"{self.rel(path)}: cannot be read: {exc}")
				self._trees[path] = None
		return self._trees[path]

	def python_files(self, under: Path | None = None) -> Iterator[Path]:
		for path in sorted((under or self.package).rglob("*.py")):
			if "__pycache__" not in path.parts and "node_modules" not in path.parts:
				yield path

	# --- resolving dotted paths ---

	def resolve(self, dotted: str, _depth: int = 0) -> tuple[Definition | None, str]:
		"""Find what ``dotted`` names the way frappe.get_attr does: import everything but the last
		part as a module, then take the last part from it. Returns (definition, why not)."""
		parts = dotted.split(".")
		if parts[0] != self.name:
			return None, f"points outside the app {self.name!r}, so it cannot be checked here"
		if len(parts) < 2 or not all(p.isidentifier() for p in parts):
			return None, "is not a dotted path module.function"
		module, name = ".".join(parts[:-1]), parts[-1]
		path = self.module_file(module)
		if path is None:
			base = self.root.joinpath(*parts[:-1])
			hint = ""
			if len(parts) > 2 and self.module_file(".".join(parts[:-2])):
				hint = " (frappe.get_attr cannot reach Class.method: point to a module-level function)"
			return None, (
				f"needs module {module}, but neither {self.rel(base)}.py nor "
				f"{self.rel(base)}/__init__.py exists{hint}"
			)
		tree = self.tree(path)
		if tree is None:
			return None, f"module {module} cannot be parsed"
		node = find_top_level(tree, name)
		if node is None:
			return None, f"{module} ({self.rel(path)}) defines no {name!r}"
		if isinstance(node, ast.ImportFrom | ast.Import):
			target = imported_path(node, name, module, path.name == "__init__.py")
			if target is None or not target.startswith(self.name + ".") or _depth > 5:
				return Definition(module, node), ""  # re-exported from outside the app
			return self.resolve(target, _depth + 1)
		return Definition(module, node), ""


def iter_top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
	"""Statements of a module or class body, looking into top-level if / try blocks."""
	for node in body:
		if isinstance(node, ast.If):
			yield from iter_top_level(node.body)
			yield from iter_top_level(node.orelse)
		elif isinstance(node, ast.Try):
			yield from iter_top_level(node.body)
			for handler in node.handlers:
				yield from iter_top_level(handler.body)
			yield from iter_top_level(node.orelse)
			yield from iter_top_level(node.finalbody)
		else:
			yield node


def find_top_level(scope: ast.Module | ast.ClassDef, name: str) -> ast.AST | None:
	found = None
	for node in iter_top_level(scope.body):
		if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
			found = node
		elif isinstance(node, ast.Assign) and any(
			isinstance(t, ast.Name) and t.id == name for t in node.targets
		):
			found = node
		elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
			found = node
		elif isinstance(node, ast.ImportFrom | ast.Import) and any(
			(alias.asname or alias.name.split(".")[0]) == name for alias in node.names
		):
			found = node
	return found


def absolute_module(node: ast.ImportFrom, current_module: str, is_package: bool) -> str | None:
	if not node.level:
		return node.module
	package = current_module.split(".") if is_package else current_module.split(".")[:-1]
	if node.level - 1 > len(package):
		return None
	base = package[: len(package) - (node.level - 1)]
	return ".".join([*base, node.module] if node.module else base)


def imported_path(node: ast.AST, name: str, current_module: str, is_package: bool) -> str | None:
	if isinstance(node, ast.ImportFrom):
		source = absolute_module(node, current_module, is_package)
		for alias in node.names:
			if (alias.asname or alias.name) == name and source:
				return f"{source}.{alias.name}"
	elif isinstance(node, ast.Import):
		for alias in node.names:
			if (alias.asname or alias.name.split(".")[0]) == name:
				return alias.name if alias.asname else alias.name.split(".")[0]
	return None


def positional_arity(func: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int | None]:
	"""(required positional parameters, maximum positional parameters or None for *args)."""
	args = func.args
	positional = len(args.posonlyargs) + len(args.args)
	required = positional - len(args.defaults)
	required_kwonly = sum(1 for d in args.kw_defaults if d is None)
	return required + required_kwonly, None if args.vararg else positional


def is_decorated_with(func: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
	return any(isinstance(d, ast.Name) and d.id == name for d in func.decorator_list)


# --- a. DocTypes --------------------------------------------------------------------------------


def check_doctypes(app: App, report: Report) -> None:
	modules_txt = app.package / "modules.txt"
	if not modules_txt.is_file():
		report.add("doctype", f"{app.rel(modules_txt)} is missing")
		modules: list[str] = []
	else:
		modules = [
			line.strip()
			for line in modules_txt.read_text(encoding="utf-8").splitlines()
			if line.strip() and not line.strip().startswith("#")
		]
	for module in modules:
		folder = app.package / scrub(module)
		if not (folder / "__init__.py").is_file():
			report.add(
				"doctype", f"module {module!r} of modules.txt has no package {app.rel(folder)}/__init__.py"
			)

	for doctype_dir in sorted(app.package.glob("*/doctype/*")):
		if not doctype_dir.is_dir() or doctype_dir.name.startswith(("_", ".")):
			continue
		json_path = doctype_dir / f"{doctype_dir.name}.json"
		if not json_path.is_file():
			report.add("doctype", f"{app.rel(doctype_dir)} has no {doctype_dir.name}.json")
			continue
		check_doctype(app, report, json_path, modules)


def check_doctype(app: App, report: Report, json_path: Path, modules: list[str]) -> None:
	where = app.rel(json_path)
	try:
		data = json.loads(json_path.read_text(encoding="utf-8"))
	except (ValueError, UnicodeDecodeError) as exc:
		report.add("doctype", f"{where}: not valid JSON: {exc}")
		return
	if not isinstance(data, dict):
		report.add("doctype", f"{where}: not a JSON object")
		return
	if data.get("doctype") != "DocType":
		report.add("doctype", f"{where}: 'doctype' is {data.get('doctype')!r}, expected 'DocType'")
		return
	name = data.get("name")
	if not isinstance(name, str) or not name:
		report.add("doctype", f"{where}: has no 'name'")
		return
	if name in report.doctypes:
		report.add("doctype", f"{where}: DocType {name!r} is defined twice")
		return
	folder = json_path.parent
	module = data.get("module")
	if module not in modules:
		report.add("doctype", f"{name}: module {module!r} is not listed in modules.txt")
	elif folder.parent.parent.name != scrub(module):
		report.add(
			"doctype",
			f"{name}: module {module!r} lives in {scrub(module)}/, but the DocType is under "
			f"{folder.parent.parent.name}/",
		)
	if folder.name != scrub(name):
		report.add("doctype", f"{name}: folder is {folder.name!r}, Frappe expects {scrub(name)!r}")
	if not (folder / "__init__.py").is_file():
		report.add("doctype", f"{name}: {app.rel(folder)}/__init__.py is missing")

	fields = data.get("fields") or []
	check_fields(report, name, data, fields)

	info = DocTypeInfo(name, folder, data, app.module_name(folder / f"{folder.name}.py"))
	report.doctypes[name] = info
	check_controller(app, report, info)
	check_doctype_js(app, report, info)


def check_fields(report: Report, name: str, data: dict, fields: list) -> None:
	fieldnames: list[str] = []
	by_name: dict[str, dict] = {}
	for index, df in enumerate(fields):
		if not isinstance(df, dict):
			report.add("doctype", f"{name}: field #{index} is not an object")
			continue
		fieldname, fieldtype = df.get("fieldname"), df.get("fieldtype")
		label = f"{name}.{fieldname or f'#{index}'}"
		if not isinstance(fieldname, str) or not FIELDNAME.match(fieldname) or len(fieldname) > 64:
			report.add("doctype", f"{label}: invalid fieldname {fieldname!r} (lower case, digits, _)")
			continue
		if fieldname in STANDARD_COLUMNS:
			report.add("doctype", f"{label}: {fieldname!r} is a standard column and cannot be a field")
		if fieldname in by_name:
			report.add("doctype", f"{label}: fieldname used twice")
		fieldnames.append(fieldname)
		by_name[fieldname] = df
		if fieldtype not in FIELD_TYPES:
			report.add("doctype", f"{label}: unknown fieldtype {fieldtype!r}")
			continue
		options = df.get("options") or ""
		if fieldtype in ("Link", "Dynamic Link", "Table", "Table MultiSelect") and not options.strip():
			report.add("doctype", f"{label}: a {fieldtype} field needs options")
		if fieldtype == "Select" and df.get("default") not in (None, ""):
			choices = [c.strip() for c in options.split("\n")]
			if options and str(df["default"]) not in choices:
				report.add(
					"doctype", f"{label}: default {df['default']!r} is not one of the options {choices}"
				)
		if df.get("unique") and fieldtype in TEXT_TYPES:
			report.add("doctype", f"{label}: unique has no effect on a {fieldtype} (text) column")
	for fieldname, df in by_name.items():
		if df.get("fieldtype") == "Dynamic Link":
			source = by_name.get(df.get("options") or "")
			if source is None or source.get("fieldtype") not in ("Link", "Select", "Data"):
				report.add(
					"doctype",
					f"{name}.{fieldname}: Dynamic Link options {df.get('options')!r} must name a Link "
					f"(to DocType) field of {name}",
				)

	field_order = data.get("field_order")
	if not isinstance(field_order, list):
		report.add("doctype", f"{name}: field_order is missing")
	elif field_order != fieldnames:
		missing = [f for f in fieldnames if f not in field_order]
		extra = [f for f in field_order if f not in by_name]
		if missing or extra or len(field_order) != len(set(field_order)):
			detail = []
			if missing:
				detail.append(f"fields not in field_order: {missing}")
			if extra:
				detail.append(f"field_order entries without a field: {extra}")
			if len(field_order) != len(set(field_order)):
				detail.append("field_order has duplicates")
			report.add("doctype", f"{name}: field_order does not match the fields ({'; '.join(detail)})")

	for key in ("title_field", "image_field"):
		value = data.get(key)
		if value and value not in by_name and value != "name":
			report.add("doctype", f"{name}: {key} {value!r} is not a field")
	sort_field = data.get("sort_field")
	if sort_field and sort_field not in by_name and sort_field not in STANDARD_COLUMNS:
		report.add("doctype", f"{name}: sort_field {sort_field!r} is not a field or standard column")
	for search_field in (data.get("search_fields") or "").split(","):
		if search_field.strip() and search_field.strip() not in by_name:
			report.add("doctype", f"{name}: search_fields names {search_field.strip()!r}, not a field")
	if not data.get("istable") and not data.get("permissions"):
		report.add("doctype", f"{name}: has no permissions (only Administrator could use it)")


def check_controller(app: App, report: Report, info: DocTypeInfo) -> None:
	controller = info.folder / f"{info.folder.name}.py"
	expected = class_name_of(info.name)
	if not controller.is_file():
		report.add("doctype", f"{info.name}: controller {app.rel(controller)} is missing")
		return
	tree = app.tree(controller)
	if tree is None:
		return
	node = find_top_level(tree, expected)
	if not isinstance(node, ast.ClassDef):
		report.add("doctype", f"{info.name}: {app.rel(controller)} defines no class {expected}")
		return
	info.class_node = node
	if not node.bases:
		# Document, or another controller (NestedSet, a base controller of the app, ...)
		report.add("doctype", f"{info.name}: class {expected} must subclass Document")
	check_type_block(report, info, node)


def check_type_block(report: Report, info: DocTypeInfo, node: ast.ClassDef) -> None:
	"""The ``if TYPE_CHECKING:`` block of export_python_type_annotations must match the fields."""
	block = None
	for stmt in node.body:
		if isinstance(stmt, ast.If) and ast.unparse(stmt.test) == "TYPE_CHECKING":
			block = stmt
			break
	if block is None:
		return  # not generated (yet); Frappe writes it on the next save in developer mode
	annotated: dict[str, ast.expr] = {
		stmt.target.id: stmt.annotation
		for stmt in block.body
		if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
	}
	fields = {
		df["fieldname"]: df
		for df in info.data.get("fields") or []
		if isinstance(df, dict) and isinstance(df.get("fieldname"), str)
	}
	extra_ok = set()
	if info.data.get("istable"):
		extra_ok |= {"parent", "parentfield", "parenttype"}
	if info.data.get("autoname") == "autoincrement":
		extra_ok.add("name")
	for fieldname in sorted(set(annotated) - set(fields) - extra_ok):
		report.add("doctype", f"{info.name}: type annotation {fieldname!r} has no field")
	for fieldname, df in fields.items():
		fieldtype = df.get("fieldtype")
		if fieldtype not in ANNOTATED_TYPES or df.get("is_virtual"):
			continue
		if fieldname not in annotated:
			report.add("doctype", f"{info.name}: field {fieldname!r} is missing from the type annotations")
			continue
		problem = annotation_problem(annotated[fieldname], df)
		if problem:
			report.add("doctype", f"{info.name}.{fieldname}: type annotation {problem}")


def annotation_problem(annotation: ast.expr, df: dict) -> str | None:
	fieldtype = df["fieldtype"]
	nullable = False
	expr = annotation
	if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
		if isinstance(expr.right, ast.Constant) and expr.right.value is None:
			nullable, expr = True, expr.left
	should_be_nullable = fieldtype not in NON_NULLABLE_TYPES and not df.get("reqd")
	if nullable != should_be_nullable:
		return f"{ast.unparse(annotation)!r} should {'' if should_be_nullable else 'not '}end in '| None'"
	subscript = None
	if isinstance(expr, ast.Subscript):
		expr, subscript = expr.value, expr.slice
	expected = "Literal" if fieldtype == "Select" else fieldtype.replace(" ", "")
	if not (isinstance(expr, ast.Attribute) and expr.attr == expected and ast.unparse(expr.value) == "DF"):
		return f"{ast.unparse(annotation)!r} does not match fieldtype {fieldtype!r} (DF.{expected})"
	if fieldtype == "Select" and df.get("options"):
		wanted = [o.strip() for o in df["options"].split("\n")]
		items = subscript.elts if isinstance(subscript, ast.Tuple) else [subscript]
		values = [i.value if isinstance(i, ast.Constant) else None for i in items]
		if values != wanted:
			return f"lists {values}, but the options are {wanted}"
	return None


def check_doctype_js(app: App, report: Report, info: DocTypeInfo) -> None:
	folder = info.folder
	allowed = {f"{folder.name}{suffix}.js" for suffix in DOCTYPE_JS_SUFFIXES} | {f"test_{folder.name}.js"}
	for js in sorted(folder.glob("*.js")):
		if js.name not in allowed:
			report.add(
				"js",
				f"{app.rel(js)}: Frappe never loads this file (expected one of {sorted(allowed)})",
			)
			continue
		code = strip_js_comments(js.read_text(encoding="utf-8"))
		if js.name == f"{folder.name}.js":
			names = set(re.findall(r"frappe\.ui\.form\.on\(\s*(['\"])(.+?)\1", code))
			targets = {n for _, n in names}
			if targets and info.name not in targets:
				report.add(
					"js", f"{app.rel(js)}: frappe.ui.form.on names {sorted(targets)}, not {info.name!r}"
				)
		if js.name == f"{folder.name}_list.js":
			targets = {n for _, n in re.findall(r"frappe\.listview_settings\[\s*(['\"])(.+?)\1\s*\]", code)}
			if info.name not in targets:
				report.add("js", f"{app.rel(js)}: sets no frappe.listview_settings[{info.name!r}]")


# --- b. hooks -----------------------------------------------------------------------------------

_NOT_LITERAL = object()


def load_hooks(app: App, report: Report) -> dict[str, object]:
	path = app.package / "hooks.py"
	if not path.is_file():
		report.add("hooks", f"{app.rel(path)} is missing")
		return {}
	tree = app.tree(path)
	if tree is None:
		return {}
	hooks: dict[str, object] = {}
	for node in tree.body:
		targets: list[ast.expr] = []
		value = None
		if isinstance(node, ast.Assign):
			targets, value = node.targets, node.value
		elif isinstance(node, ast.AnnAssign) and node.value is not None:
			targets, value = [node.target], node.value
		elif isinstance(node, ast.AugAssign):
			targets = [node.target]
		for target in targets:
			if isinstance(target, ast.Name) and value is not None:
				try:
					hooks[target.id] = ast.literal_eval(value)
				except ValueError:
					hooks[target.id] = _NOT_LITERAL
					report.add(
						"hooks",
						f"hooks.py:{node.lineno}: {target.id} is not a literal; it cannot be checked statically",
					)
			else:
				report.add(
					"hooks",
					f"hooks.py:{node.lineno}: {ast.unparse(target)} is changed in place; assign each hook "
					"once, as a literal",
				)
	return hooks


def leaf_strings(value: object, trail: str) -> Iterator[tuple[str, str]]:
	"""(dotted path, where) for every string value; dict keys are names, not paths."""
	if isinstance(value, str):
		yield value, trail
	elif isinstance(value, dict):
		for key, item in value.items():
			yield from leaf_strings(item, f"{trail}[{key!r}]")
	elif isinstance(value, list | tuple | set):
		for item in value:
			yield from leaf_strings(item, trail)


def check_hooks(app: App, report: Report) -> None:
	hooks = load_hooks(app, report)
	if not hooks:
		return
	if hooks.get("app_name") != app.name:
		report.add("hooks", f"app_name is {hooks.get('app_name')!r}, but the app package is {app.name!r}")
	required_apps = hooks.get("required_apps", [])
	if required_apps is not _NOT_LITERAL and (
		not isinstance(required_apps, list | tuple) or not all(isinstance(a, str) for a in required_apps)
	):
		report.add("hooks", "required_apps must be a list of app names")

	scheduler = hooks.get("scheduler_events")
	if isinstance(scheduler, dict):
		for key, value in scheduler.items():
			if key not in SCHEDULER_EVENT_KEYS:
				report.add(
					"hooks",
					f"scheduler_events[{key!r}]: unknown event (one of {sorted(SCHEDULER_EVENT_KEYS)})",
				)
			if key == "cron" and isinstance(value, dict):
				for expression in value:
					if not isinstance(expression, str) or len(expression.split()) not in (5, 6):
						report.add(
							"hooks", f"scheduler_events['cron'][{expression!r}]: not a cron expression"
						)

	doc_events = hooks.get("doc_events")
	if doc_events not in (None, _NOT_LITERAL) and not isinstance(doc_events, dict):
		report.add("hooks", "doc_events must be a dict of DocType -> event -> path(s)")

	for hook in sorted(PATH_HOOKS):
		value = hooks.get(hook)
		if value is None or value is _NOT_LITERAL:
			continue
		for dotted, where in leaf_strings(value, hook):
			report.hook_paths.append(dotted)
			check_hook_path(app, report, hook, dotted, where)

	check_log_clearing(app, report, hooks.get("default_log_clearing_doctypes"))
	for hook in ("doctype_js", "doctype_list_js", "doctype_tree_js", "doctype_calendar_js"):
		value = hooks.get(hook)
		if isinstance(value, dict):
			for doctype, files in value.items():
				for file in [files] if isinstance(files, str) else files:
					if not (app.package / file).is_file():
						report.add("hooks", f"{hook}[{doctype!r}]: {file} does not exist under {app.name}/")


def check_hook_path(app: App, report: Report, hook: str, dotted: str, where: str) -> None:
	definition, why = app.resolve(dotted)
	if definition is None:
		report.add("hooks", f"{where}: {dotted!r}: {why}")
		return
	node = definition.node
	if hook == "override_doctype_class":
		if not isinstance(node, ast.ClassDef | ast.ImportFrom | ast.Import):
			report.add("hooks", f"{where}: {dotted!r} is not a class")
		return
	if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
		if isinstance(node, ast.ClassDef):
			report.add("hooks", f"{where}: {dotted!r} is a class, Frappe calls a function here")
		return  # assignments and re-exports cannot be checked further
	required, maximum = positional_arity(node)
	if hook in ZERO_ARG_HOOKS or hook == "scheduler_events":
		if required:
			report.add("hooks", f"{where}: {dotted!r} needs {required} argument(s), Frappe passes none")
	elif hook == "doc_events":
		if required > 2 or (maximum is not None and maximum < 2):
			report.add("hooks", f"{where}: {dotted!r} must accept (doc, method)")


def check_log_clearing(app: App, report: Report, value: object) -> None:
	if value is None or value is _NOT_LITERAL:
		return
	if not isinstance(value, dict):
		report.add("hooks", "default_log_clearing_doctypes must be a dict of DocType -> days")
		return
	for doctype, days in value.items():
		where = f"default_log_clearing_doctypes[{doctype!r}]"
		if not isinstance(days, int) or isinstance(days, bool) or days < 1:
			report.add("hooks", f"{where}: {days!r} is not a number of days (>= 1)")
		if doctype in CORE_LOG_DOCTYPES:
			continue
		info = report.doctypes.get(doctype)
		if info is None:
			report.add("hooks", f"{where}: no such DocType in the app (nor a known core log DocType)")
			continue
		if info.class_node is None:
			continue  # already reported with the controller
		method = find_top_level(info.class_node, "clear_old_logs")
		if not isinstance(method, ast.FunctionDef) or not is_decorated_with(method, "staticmethod"):
			report.add(
				"hooks",
				f"{where}: {info.name} must define clear_old_logs(days) as a @staticmethod: Log Settings "
				"calls it on the class (the LogType protocol) and drops DocTypes without it",
			)


# --- c. whitelisted methods and the JS that calls them -------------------------------------------


def whitelist_decorator(func: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | None:
	for decorator in func.decorator_list:
		target = decorator.func if isinstance(decorator, ast.Call) else decorator
		text = ast.unparse(target)
		if text in ("frappe.whitelist", "whitelist"):
			return decorator
	return None


def collect_whitelisted(app: App, report: Report) -> None:
	"""Fill report.whitelisted with every @frappe.whitelist() function and method of the app."""
	for path in app.python_files():
		tree = app.tree(path)
		if tree is None:
			continue
		module = app.module_name(path)
		for node in iter_top_level(tree.body):
			if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
				register_whitelisted(app, report, path, f"{module}.{node.name}", node, None)
			elif isinstance(node, ast.ClassDef):
				for member in iter_top_level(node.body):
					if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
						register_whitelisted(
							app, report, path, f"{module}.{node.name}.{member.name}", member, node.name
						)


def register_whitelisted(
	app: App,
	report: Report,
	path: Path,
	dotted: str,
	func: ast.FunctionDef | ast.AsyncFunctionDef,
	in_class: str | None,
) -> None:
	decorator = whitelist_decorator(func)
	if decorator is None:
		return
	where = f"{app.rel(path)}:{func.lineno}"
	if not isinstance(decorator, ast.Call):
		report.add(
			"whitelist",
			f"{where}: {func.name} uses @{ast.unparse(decorator)} without (): write @frappe.whitelist()",
		)
		return
	allow_guest = any(
		kw.arg == "allow_guest" and isinstance(kw.value, ast.Constant) and bool(kw.value.value)
		for kw in decorator.keywords
	)
	report.whitelisted[dotted] = Whitelisted(dotted, path, func.lineno, allow_guest, in_class)
	params = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
	if in_class is not None and not is_decorated_with(func, "staticmethod") and params:
		params = params[1:]  # self / cls
	missing = [p.arg for p in params if p.annotation is None]
	if missing:
		report.add(
			"whitelist",
			f"{where}: whitelisted {func.name}() has parameters without type annotations: "
			f"{', '.join(missing)}",
		)


def strip_js_comments(source: str) -> str:
	"""Remove // and /* */ comments, keep strings and line breaks (line numbers stay right)."""
	out: list[str] = []
	i, n = 0, len(source)
	while i < n:
		char = source[i]
		if char in "'\"`":
			j = i + 1
			while j < n and source[j] != char:
				j += 2 if source[j] == "\\" else 1
			out.append(source[i : j + 1])
			i = j + 1
		elif source.startswith("//", i):
			j = source.find("\n", i)
			i = n if j == -1 else j
		elif source.startswith("/*", i):
			j = source.find("*/", i + 2)
			end = n if j == -1 else j + 2
			out.append("\n" * source.count("\n", i, end))
			i = end
		else:
			out.append(char)
			i += 1
	return "".join(out)


def matching_paren(code: str, open_index: int) -> int:
	"""Index of the bracket closing the one at open_index (strings skipped), or len(code)."""
	pairs = {"(": ")", "{": "}", "[": "]"}
	stack: list[str] = []
	i = open_index
	while i < len(code):
		char = code[i]
		if char in "'\"`":
			j = i + 1
			while j < len(code) and code[j] != char:
				j += 2 if code[j] == "\\" else 1
			i = j + 1
			continue
		if char in pairs:
			stack.append(pairs[char])
		elif stack and char == stack[-1]:
			stack.pop()
			if not stack:
				return i
		i += 1
	return len(code)


def top_level_of(obj: str) -> str:
	"""The text of an object literal ``{...}`` with everything nested deeper blanked out."""
	out: list[str] = []
	depth = 0
	i = 0
	while i < len(obj):
		char = obj[i]
		if char in "'\"`":
			j = i + 1
			while j < len(obj) and obj[j] != char:
				j += 2 if obj[j] == "\\" else 1
			out.append(obj[i : j + 1] if depth == 1 else " " * (j + 1 - i))
			i = j + 1
			continue
		if char in "({[":
			depth += 1
		out.append(char if depth <= 1 else " ")
		if char in ")}]":
			depth -= 1
		i += 1
	return "".join(out)


CALL_START = re.compile(r"(?<![\w$])(frappe\.call|frappe\.xcall|(?:cur_frm|frm|this\.frm)\.call)\s*\(")
STRING_ARG = re.compile(r"\s*(['\"`])([^'\"`$]+)\1")
METHOD_KEY = re.compile(r"(?:^|[\s,{])(['\"]?)method\1\s*:\s*(['\"`])(?P<method>[^'\"`$]+)\2")
DOC_KEY = re.compile(r"(?:^|[\s,{])(['\"]?)doc\1\s*:")


@dataclass
class JsCall:
	file: Path
	line: int
	method: str
	doc_bound: bool


def find_js_calls(path: Path) -> Iterator[JsCall]:
	code = strip_js_comments(path.read_text(encoding="utf-8"))
	for match in CALL_START.finditer(code):
		open_index = match.end() - 1
		inner = code[open_index + 1 : matching_paren(code, open_index)]
		line = code.count("\n", 0, match.start()) + 1
		is_form_call = match.group(1).endswith("frm.call")
		string_arg = STRING_ARG.match(inner)
		if string_arg:
			yield JsCall(path, line, string_arg.group(2), doc_bound=is_form_call)
			continue
		stripped = inner.lstrip()
		if not stripped.startswith("{"):
			continue
		obj = stripped[: matching_paren(stripped, 0) + 1]
		top = top_level_of(obj)
		method = METHOD_KEY.search(top)
		if method:
			yield JsCall(
				path, line, method.group("method"), doc_bound=is_form_call or bool(DOC_KEY.search(top))
			)


def js_files(app: App) -> Iterator[Path]:
	for path in sorted(app.package.rglob("*.js")):
		parts = set(path.parts)
		if parts & {"node_modules", "dist", "__pycache__"} or path.name.endswith(".bundle.min.js"):
			continue
		yield path


def doctype_of_js(app: App, report: Report, path: Path) -> DocTypeInfo | None:
	for info in report.doctypes.values():
		if path.parent == info.folder:
			return info
	code = strip_js_comments(path.read_text(encoding="utf-8"))
	names = {n for _, n in re.findall(r"frappe\.ui\.form\.on\(\s*(['\"])(.+?)\1", code)}
	if len(names) == 1:
		return report.doctypes.get(names.pop())
	return None


def is_document_base(base: ast.expr) -> bool:
	text = ast.unparse(base)
	return text == "Document" or text.endswith(".Document")


def find_method(
	app: App, module: str, cls: ast.ClassDef, name: str, depth: int = 0
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, bool]:
	"""A method of ``cls`` or of its base classes in the app: (method, whether every base was seen)."""
	for member in iter_top_level(cls.body):
		if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and member.name == name:
			return member, True
	complete = True
	for base in cls.bases:
		if is_document_base(base):
			continue
		found = resolve_class(app, module, base) if depth < 10 else None
		if found is None:
			complete = False  # a base outside the app (NestedSet, ...): cannot be looked into
			continue
		method, seen_all = find_method(app, found[0], found[1], name, depth + 1)
		if method is not None:
			return method, True
		complete = complete and seen_all
	return None, complete


def resolve_class(app: App, module: str, base: ast.expr) -> tuple[str, ast.ClassDef] | None:
	if not isinstance(base, ast.Name):
		return None
	path = app.module_file(module)
	tree = app.tree(path) if path else None
	node = find_top_level(tree, base.id) if tree else None
	if isinstance(node, ast.ClassDef):
		return module, node
	if isinstance(node, ast.ImportFrom | ast.Import):
		target = imported_path(node, base.id, module, path.name == "__init__.py")
		definition, _why = app.resolve(target) if target else (None, "")
		if definition is not None and isinstance(definition.node, ast.ClassDef):
			return definition.module, definition.node
	return None


def check_js(app: App, report: Report) -> None:
	prefix = app.name + "."
	for path in js_files(app):
		for call in find_js_calls(path):
			where = f"{app.rel(call.file)}:{call.line}"
			if not call.doc_bound:
				if not call.method.startswith(prefix):
					continue  # frappe / erpnext methods are not ours to check
				report.js_calls.append(call.method)
				if call.method in report.whitelisted and report.whitelisted[call.method].in_class is None:
					continue
				definition, why = app.resolve(call.method)
				if definition is None:
					report.add("js", f"{where}: calls {call.method!r}: {why}")
				else:
					report.add("js", f"{where}: calls {call.method!r}, which is not @frappe.whitelist()-ed")
				continue
			info = doctype_of_js(app, report, path)
			if info is None or info.class_node is None:
				continue  # a form of a DocType outside the app, or one already reported
			report.js_calls.append(f"{info.name}.{call.method}")
			label = f"{where}: frm.call({call.method!r})"
			method, complete = find_method(app, info.module, info.class_node, call.method)
			if method is not None:
				if whitelist_decorator(method) is None:
					report.add(
						"js", f"{label}: {info.class_node.name}.{call.method} is not @frappe.whitelist()-ed"
					)
			elif complete:
				report.add("js", f"{label}: {info.class_node.name} (and its bases) has no such method")
			# else: the method may come from a base class outside the app; not checked


# --- d. pure packages never import frappe --------------------------------------------------------


def runtime_top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
	"""Module-level statements that run on import (``if TYPE_CHECKING:`` blocks do not)."""
	for node in body:
		if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
			yield from runtime_top_level(node.orelse)
		elif isinstance(node, ast.If):
			yield from runtime_top_level(node.body)
			yield from runtime_top_level(node.orelse)
		elif isinstance(node, ast.Try):
			yield from runtime_top_level(node.body)
			for handler in node.handlers:
				yield from runtime_top_level(handler.body)
			yield from runtime_top_level(node.orelse)
			yield from runtime_top_level(node.finalbody)
		else:
			yield node


def imports_of(
	tree: ast.Module, module: str, is_package: bool, top_level_only: bool
) -> Iterator[tuple[str, int]]:
	"""Modules imported by ``tree``: everywhere (any import of frappe in a pure package counts,
	even a lazy or type-only one), or only those a plain import of the module executes."""
	nodes: Iterable[ast.AST] = runtime_top_level(tree.body) if top_level_only else ast.walk(tree)
	for node in nodes:
		if isinstance(node, ast.Import):
			for alias in node.names:
				yield alias.name, node.lineno
		elif isinstance(node, ast.ImportFrom):
			source = absolute_module(node, module, is_package)
			if source:
				yield source, node.lineno
				for alias in node.names:
					yield f"{source}.{alias.name}", node.lineno
		elif isinstance(node, ast.Call) and not top_level_only:
			func = ast.unparse(node.func)
			if func in ("importlib.import_module", "import_module", "__import__") and node.args:
				arg = node.args[0]
				if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
					yield arg.value, node.lineno


def is_frappe(module: str) -> bool:
	return module == "frappe" or module.startswith("frappe.")


def module_chain(app: App, module: str) -> list[str]:
	"""The packages Python executes to import ``module`` (a.b.c -> a, a.b, a.b.c) that exist."""
	parts = module.split(".")
	return [".".join(parts[:i]) for i in range(1, len(parts) + 1) if app.module_file(".".join(parts[:i]))]


def check_pure_packages(app: App, report: Report, packages: Iterable[str]) -> None:
	pure_roots = [app.package.joinpath(*p.split(".")) for p in packages]
	pure_modules = [f"{app.name}.{p}" for p in packages]
	cache: dict[str, list[str] | None] = {}

	def reaches_frappe(module: str, stack: tuple[str, ...]) -> list[str] | None:
		"""An import chain from ``module`` (imported at module level) to frappe, or None."""
		if module in cache:
			return cache[module]
		if module in stack:
			return None
		cache[module] = None  # cycle guard
		path = app.module_file(module)
		tree = app.tree(path) if path else None
		result = None
		if tree is not None:
			for imported, _line in imports_of(tree, module, path.name == "__init__.py", top_level_only=True):
				if is_frappe(imported):
					result = [module, imported]
					break
				if imported.split(".")[0] != app.name:
					continue
				for step in module_chain(app, imported):
					if step == module:
						continue
					chain = reaches_frappe(step, (*stack, module))
					if chain:
						result = [module, *chain]
						break
				if result:
					break
		cache[module] = result
		return result

	for root, root_module in zip(pure_roots, pure_modules, strict=True):
		if not root.is_dir():
			continue
		for path in app.python_files(root):
			tree = app.tree(path)
			if tree is None:
				continue
			module = app.module_name(path)
			where = app.rel(path)
			reported: set[int] = set()
			for imported, line in imports_of(tree, module, path.name == "__init__.py", top_level_only=False):
				if line in reported:
					continue
				if is_frappe(imported):
					reported.add(line)
					report.add(
						"kernel",
						f"{where}:{line}: imports {imported} ({root_module} must run without frappe)",
					)
					continue
				if imported.split(".")[0] != app.name:
					continue
				for step in module_chain(app, imported):
					if any(step == m or step.startswith(m + ".") for m in pure_modules):
						continue  # checked on its own
					chain = reaches_frappe(step, ())
					if chain:
						report.add(
							"kernel",
							f"{where}:{line}: imports {imported}, which imports frappe ({' -> '.join(chain)})",
						)
						reported.add(line)
						break


# --- main ---------------------------------------------------------------------------------------


def detect_app_name(root: Path) -> str:
	candidates = [p.parent.name for p in root.glob("*/hooks.py") if (p.parent / "__init__.py").is_file()]
	if len(candidates) == 1:
		return candidates[0]
	return "scoopjoy"


# --- e. desk records: number cards, charts, workspaces, pages -------------------------------------


def desk_records(app: App, report: Report, kind: str) -> dict[str, dict]:
	"""name -> JSON of every ``<app>/<module>/<kind>/<folder>/<folder>.json``."""
	records: dict[str, dict] = {}
	for path in sorted(app.package.glob(f"*/{kind}/*/*.json")):
		if path.stem != path.parent.name:
			continue
		try:
			data = json.loads(path.read_text(encoding="utf-8"))
		except (OSError, ValueError) as exc:
			report.add(kind, f"{app.rel(path)}: not valid JSON ({exc})")
			continue
		name = data.get("name") or ""
		if scrub(name) != path.parent.name:
			report.add(kind, f"{app.rel(path)}: {name!r} must live in a folder named {scrub(name)!r}")
		records[name] = data
	return records


def check_desk_records(app: App, report: Report) -> None:
	cards = desk_records(app, report, "number_card")
	charts = desk_records(app, report, "dashboard_chart")
	pages = desk_records(app, report, "page")
	for name, card in cards.items():
		method = card.get("method") or ""
		if card.get("type") == "Custom" and method not in report.whitelisted:
			report.add("number_card", f"{name!r}: method {method!r} is not a whitelisted function of the app")
	for name, workspace in desk_records(app, report, "workspace").items():
		try:
			blocks = json.loads(workspace.get("content") or "[]")
		except ValueError:
			report.add("workspace", f"{name!r}: content is not JSON")
			continue
		# Frappe's desk finds every block by the *label* of its row in the workspace's tables
		# (number_cards, charts, shortcuts, links): a block named otherwise is dropped silently.
		shortcuts = {row.get("label") for row in workspace.get("shortcuts", [])}
		cards_in_table = {
			row.get("label") for row in workspace.get("links", []) if row.get("type") == "Card Break"
		}
		rows = {
			"number_card": ("number_cards", "number_card_name", cards),
			"chart": ("charts", "chart_name", charts),
		}
		labelled: dict[str, set] = {}
		for kind, (table, key, defined) in rows.items():
			labelled[kind] = set()
			for row in workspace.get(table, []):
				labelled[kind].add(row.get("label") or row.get(key))
				if row.get(key) not in defined:
					report.add("workspace", f"{name!r} lists {kind} {row.get(key)!r}, which is not defined")
		wanted = {
			"number_card": ("number_card_name", labelled["number_card"]),
			"chart": ("chart_name", labelled["chart"]),
			"shortcut": ("shortcut_name", shortcuts),
			"card": ("card_name", cards_in_table),
		}
		for block in blocks:
			key, known = wanted.get(block.get("type"), (None, None))
			if key and block.get("data", {}).get(key) not in known:
				report.add(
					"workspace",
					f"{name!r} shows {block['type']} {block['data'].get(key)!r}, which is not the label of "
					f"a row of its {block['type']} table (the desk matches blocks by that label)",
				)
		for row in [*workspace.get("shortcuts", []), *workspace.get("links", [])]:
			target, kind = (
				row.get("link_to"),
				row.get("type") if "type" in row and row.get("type") != "Link" else row.get("link_type"),
			)
			if kind == "Page" and target not in pages:
				report.add("workspace", f"{name!r} links to page {target!r}, which the app does not define")


def run_checks(
	app_root: Path, app_name: str | None = None, pure_packages: Iterable[str] = PURE_PACKAGES
) -> Report:
	report = Report()
	app_root = app_root.resolve()
	app = App(app_root, app_name or detect_app_name(app_root), report)
	if not app.package.is_dir():
		report.add("app", f"{app.package} is not a directory")
		return report
	check_doctypes(app, report)
	collect_whitelisted(app, report)
	check_hooks(app, report)
	check_js(app, report)
	check_pure_packages(app, report, pure_packages)
	check_desk_records(app, report)
	return report


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument(
		"--app-root", type=Path, default=DEFAULT_APP_ROOT, help="repository root (default: %(default)s)"
	)
	parser.add_argument(
		"--app-name", default=None, help="app package (default: the one folder with hooks.py)"
	)
	parser.add_argument("--verbose", "-v", action="store_true", help="list what was checked")
	args = parser.parse_args(argv)

	report = run_checks(args.app_root, args.app_name)
	if args.verbose:
		print("doctypes:", ", ".join(sorted(report.doctypes)) or "-")
		print("hook paths:")
		for path in sorted(set(report.hook_paths)):
			print(f"  {path}")
		print("whitelisted methods:")
		for path, item in sorted(report.whitelisted.items()):
			print(f"  {path}{' (allow_guest)' if item.allow_guest else ''}")
		print("js calls:")
		for path in sorted(set(report.js_calls)):
			print(f"  {path}")
	if report.problems:
		print(f"frappe-layer static check: {len(report.problems)} problem(s)")
		for problem in report.problems:
			print(f"  - {problem}")
		return 1
	print(
		f"frappe-layer static check: {len(report.doctypes)} doctypes, {len(set(report.hook_paths))} hook "
		f"paths, {len(report.whitelisted)} whitelisted methods: OK"
	)
	return 0


if __name__ == "__main__":
	sys.exit(main())
