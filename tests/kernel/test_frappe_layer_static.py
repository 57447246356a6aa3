"""tools/check_frappe_layer.py passes on this repository, and fails on broken app trees.

The checker is what CI relies on to catch a hook pointing nowhere or a kernel importing frappe on
a machine without Frappe, so it is tested like code: a small valid app is written to tmp_path,
broken in one way per test, and the checker must name the problem.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECKER = REPO / "tools" / "check_frappe_layer.py"


def _load_checker():
	spec = importlib.util.spec_from_file_location("check_frappe_layer", CHECKER)
	module = importlib.util.module_from_spec(spec)
	sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
	spec.loader.exec_module(module)
	return module


checker = _load_checker()


# --- a small valid app ---------------------------------------------------------------------------

DOCTYPE = {
	"actions": [],
	"autoname": "hash",
	"creation": "2026-11-23 12:00:00.000000",
	"doctype": "DocType",
	"engine": "InnoDB",
	"field_order": ["status", "reference_doctype", "reference_name", "note"],
	"fields": [
		{
			"default": "Open",
			"fieldname": "status",
			"fieldtype": "Select",
			"label": "Status",
			"options": "Open\nDone",
		},
		{"fieldname": "reference_doctype", "fieldtype": "Link", "label": "Type", "options": "DocType"},
		{
			"fieldname": "reference_name",
			"fieldtype": "Dynamic Link",
			"label": "Name",
			"options": "reference_doctype",
		},
		{"fieldname": "note", "fieldtype": "Small Text", "label": "Note"},
	],
	"in_create": 1,
	"links": [],
	"modified": "2026-11-23 12:00:00.000000",
	"modified_by": "Administrator",
	"module": "Demo App",
	"name": "Demo Log",
	"owner": "Administrator",
	"permissions": [{"delete": 1, "read": 1, "role": "System Manager"}],
	"row_format": "Dynamic",
	"sort_field": "creation",
	"sort_order": "DESC",
	"states": [],
	"title_field": "status",
}

FILES = {
	"demoapp/__init__.py": "",
	"demoapp/modules.txt": "Demo App\n",
	"demoapp/hooks.py": """
		app_name = "demoapp"
		required_apps = ["erpnext"]
		after_install = "demoapp.install.after_install"
		after_migrate = ["demoapp.install.after_migrate"]
		scheduler_events = {"cron": {"*/5 * * * *": ["demoapp.tasks.every_five_minutes"]}}
		doc_events = {"Sales Order": {"on_submit": "demoapp.events.on_submit"}}
		default_log_clearing_doctypes = {"Demo Log": 7, "Error Log": 30}
	""",
	"demoapp/install.py": """
		import frappe

		def after_install():
			pass

		def after_migrate():
			pass
	""",
	"demoapp/tasks.py": """
		def every_five_minutes(batch=100):
			return batch
	""",
	"demoapp/events.py": """
		def on_submit(doc, method=None):
			pass
	""",
	"demoapp/api.py": """
		import frappe

		@frappe.whitelist(methods=["POST"])
		def retry(name: str, names: list[str] | str | None = None) -> dict:
			return {}

		def helper(name):
			return name
	""",
	"demoapp/demo_app/__init__.py": "",
	"demoapp/demo_app/doctype/__init__.py": "",
	"demoapp/demo_app/doctype/demo_log/__init__.py": "",
	"demoapp/demo_app/doctype/demo_log/demo_log.json": json.dumps(DOCTYPE, indent=1, sort_keys=True),
	"demoapp/demo_app/doctype/demo_log/demo_log.py": """
		import frappe
		from frappe.model.document import Document


		class DemoLog(Document):
			# begin: auto-generated types
			from typing import TYPE_CHECKING

			if TYPE_CHECKING:
				from frappe.types import DF

				note: DF.SmallText | None
				reference_doctype: DF.Link | None
				reference_name: DF.DynamicLink | None
				status: DF.Literal["Open", "Done"]
			# end: auto-generated types

			@staticmethod
			def clear_old_logs(days=None):
				pass

			@frappe.whitelist()
			def close(self, reason: str):
				pass
	""",
	"demoapp/demo_app/doctype/demo_log/demo_log.js": """
		// frappe.call({method: "demoapp.api.does_not_exist"}) is only a comment
		frappe.ui.form.on("Demo Log", {
			refresh(frm) {
				frm.add_custom_button(__("Retry"), () =>
					frappe.call({
						method: "demoapp.api.retry",
						args: { name: frm.doc.name, options: { method: "GET" } },
						freeze: true,
					})
				);
				frm.add_custom_button(__("Close"), () => frm.call("close", { reason: "done" }));
				frappe.xcall("frappe.client.get_count", { doctype: "Demo Log" });
				fetch("/x", { method: "POST" });
			},
		});
	""",
	"demoapp/demo_app/doctype/demo_log/demo_log_list.js": """
		frappe.listview_settings["Demo Log"] = {
			onload(listview) {
				frappe.call("demoapp.api.retry", { name: "x" });
			},
		};
	""",
	"demoapp/kernel/__init__.py": "",
	"demoapp/kernel/core.py": """
		import json

		from demoapp.kernel import helpers
		from demoapp import constants
	""",
	"demoapp/kernel/helpers.py": "import requests\n",
	"demoapp/constants.py": "LIMIT = 3\n",
	"demoapp/tests/__init__.py": "",
	"demoapp/tests/simulators/__init__.py": "",
}


def write(root: Path, relative: str, content: str) -> None:
	path = root / relative
	path.parent.mkdir(parents=True, exist_ok=True)
	path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")


def make_app(root: Path) -> Path:
	for relative, content in FILES.items():
		write(root, relative, content)
	return root


def run(root: Path, capsys) -> tuple[int, str]:
	code = checker.main(["--app-root", str(root)])
	return code, capsys.readouterr().out


def edit(root: Path, relative: str, old: str, new: str) -> None:
	path = root / relative
	text = path.read_text(encoding="utf-8")
	assert old in text, f"{old!r} not in {relative}"
	path.write_text(text.replace(old, new), encoding="utf-8")


def edit_doctype(root: Path, change) -> None:
	path = root / "demoapp/demo_app/doctype/demo_log/demo_log.json"
	data = json.loads(path.read_text(encoding="utf-8"))
	change(data)
	path.write_text(json.dumps(data, indent=1), encoding="utf-8")


@pytest.fixture
def app(tmp_path: Path) -> Path:
	return make_app(tmp_path)


def assert_fails(root: Path, capsys, *expected: str) -> str:
	code, out = run(root, capsys)
	assert code == 1, out
	for text in expected:
		assert text in out, out
	return out


# --- the repository ------------------------------------------------------------------------------


def test_repository_passes_without_frappe():
	"""Run as CI runs it: a separate interpreter, nothing of the app imported."""
	result = subprocess.run(
		[sys.executable, str(CHECKER)], cwd=REPO, capture_output=True, text=True, timeout=120
	)
	assert result.returncode == 0, result.stdout + result.stderr
	assert result.stdout.startswith("frappe-layer static check: ")
	assert result.stdout.rstrip().endswith(": OK")


# --- the valid app passes ------------------------------------------------------------------------


def test_valid_app_passes(app, capsys):
	code, out = run(app, capsys)
	assert code == 0, out
	assert out.strip() == "frappe-layer static check: 1 doctypes, 4 hook paths, 2 whitelisted methods: OK"


def test_verbose_lists_what_was_checked(app, capsys):
	assert checker.main(["--app-root", str(app), "--verbose"]) == 0
	out = capsys.readouterr().out
	assert "demoapp.api.retry" in out
	assert "demoapp.demo_app.doctype.demo_log.demo_log.DemoLog.close" in out
	assert "demoapp.tasks.every_five_minutes" in out


# --- a. DocTypes ---------------------------------------------------------------------------------


def test_bad_json(app, capsys):
	write(app, "demoapp/demo_app/doctype/demo_log/demo_log.json", '{"doctype": "DocType", "name": ')
	assert_fails(app, capsys, "demo_log.json: not valid JSON")


def test_module_not_in_modules_txt(app, capsys):
	edit_doctype(app, lambda d: d.update(module="Other Module"))
	assert_fails(app, capsys, "module 'Other Module' is not listed in modules.txt")


def test_folder_must_be_the_scrubbed_name(app, capsys):
	edit_doctype(app, lambda d: d.update(name="Demo-Log Entry"))
	assert_fails(app, capsys, "Frappe expects 'demo_log_entry'", "defines no class DemoLogEntry")


def test_field_order_must_match_fields(app, capsys):
	edit_doctype(app, lambda d: d["field_order"].append("ghost"))
	assert_fails(app, capsys, "field_order entries without a field: ['ghost']")


def test_duplicate_fieldname(app, capsys):
	def duplicate(data):
		data["fields"].append(dict(data["fields"][-1]))
		data["field_order"].append("note")

	edit_doctype(app, duplicate)
	assert_fails(app, capsys, "Demo Log.note: fieldname used twice")


def test_link_needs_options(app, capsys):
	edit_doctype(app, lambda d: d["fields"][1].pop("options"))
	assert_fails(app, capsys, "Demo Log.reference_doctype: a Link field needs options")


def test_select_default_must_be_an_option(app, capsys):
	edit_doctype(app, lambda d: d["fields"][0].update(default="Closed"))
	assert_fails(app, capsys, "default 'Closed' is not one of the options")


def test_controller_class_must_exist(app, capsys):
	edit(app, "demoapp/demo_app/doctype/demo_log/demo_log.py", "class DemoLog(", "class Demolog(")
	assert_fails(app, capsys, "defines no class DemoLog")


def test_type_annotations_must_follow_the_fields(app, capsys):
	edit_doctype(app, lambda d: d["fields"][0].update(options="Open\nDone\nFailed"))
	assert_fails(app, capsys, "Demo Log.status: type annotation lists ['Open', 'Done']")


def test_list_js_must_name_its_doctype(app, capsys):
	edit(
		app,
		"demoapp/demo_app/doctype/demo_log/demo_log_list.js",
		'listview_settings["Demo Log"]',
		'listview_settings["Demo Logs"]',
	)
	assert_fails(app, capsys, "sets no frappe.listview_settings['Demo Log']")


# --- b. hooks ------------------------------------------------------------------------------------


def test_missing_hook_function(app, capsys):
	edit(app, "demoapp/hooks.py", "demoapp.tasks.every_five_minutes", "demoapp.tasks.every_ten_minutes")
	assert_fails(
		app,
		capsys,
		"'demoapp.tasks.every_ten_minutes': demoapp.tasks (demoapp/tasks.py) defines no 'every_ten_minutes'",
	)


def test_missing_hook_module(app, capsys):
	edit(app, "demoapp/hooks.py", "demoapp.install.after_install", "demoapp.setup.install.after_install")
	assert_fails(app, capsys, "needs module demoapp.setup.install")


def test_hook_outside_the_app(app, capsys):
	edit(app, "demoapp/hooks.py", "demoapp.events.on_submit", "erpnext.events.on_submit")
	assert_fails(app, capsys, "'erpnext.events.on_submit': points outside the app 'demoapp'")


def test_scheduler_job_must_take_no_arguments(app, capsys):
	edit(app, "demoapp/tasks.py", "batch=100", "batch")
	assert_fails(app, capsys, "needs 1 argument(s), Frappe passes none")


def test_doc_event_must_accept_doc_and_method(app, capsys):
	edit(app, "demoapp/events.py", "def on_submit(doc, method=None):", "def on_submit(doc):")
	assert_fails(app, capsys, "must accept (doc, method)")


def test_unknown_scheduler_event(app, capsys):
	edit(app, "demoapp/hooks.py", '{"cron":', '{"every_minute": [], "cron":')
	assert_fails(app, capsys, "scheduler_events['every_minute']: unknown event")


def test_log_clearing_needs_a_static_clear_old_logs(app, capsys):
	edit(app, "demoapp/demo_app/doctype/demo_log/demo_log.py", "\t@staticmethod\n", "")
	assert_fails(app, capsys, "Demo Log must define clear_old_logs(days) as a @staticmethod")


def test_log_clearing_of_unknown_doctype(app, capsys):
	edit(app, "demoapp/hooks.py", '"Demo Log": 7', '"Demo Logs": 7')
	assert_fails(app, capsys, "default_log_clearing_doctypes['Demo Logs']: no such DocType")


def test_hooks_must_be_literals(app, capsys):
	edit(
		app,
		"demoapp/hooks.py",
		'required_apps = ["erpnext"]',
		'required_apps = ["erp" + "next"]\nx = {}\nx["a"] = 1',
	)
	assert_fails(app, capsys, "required_apps is not a literal", "x['a'] is changed in place")


# --- c. whitelisted methods and JS ----------------------------------------------------------------


def test_js_calling_an_unknown_method(app, capsys):
	edit(app, "demoapp/demo_app/doctype/demo_log/demo_log.js", "demoapp.api.retry", "demoapp.api.retry_all")
	assert_fails(
		app,
		capsys,
		"demo_log.js:5: calls 'demoapp.api.retry_all': demoapp.api (demoapp/api.py) defines no 'retry_all'",
	)


def test_js_calling_a_function_that_is_not_whitelisted(app, capsys):
	edit(app, "demoapp/demo_app/doctype/demo_log/demo_log_list.js", "demoapp.api.retry", "demoapp.api.helper")
	assert_fails(app, capsys, "calls 'demoapp.api.helper', which is not @frappe.whitelist()-ed")


def test_frm_call_to_unknown_document_method(app, capsys):
	edit(app, "demoapp/demo_app/doctype/demo_log/demo_log.js", 'frm.call("close"', 'frm.call("reopen"')
	assert_fails(app, capsys, "frm.call('reopen'): DemoLog (and its bases) has no such method")


def test_frm_call_to_a_method_that_is_not_whitelisted(app, capsys):
	edit(
		app,
		"demoapp/demo_app/doctype/demo_log/demo_log.py",
		"\t@frappe.whitelist()\n\tdef close",
		"\tdef close",
	)
	assert_fails(app, capsys, "frm.call('close'): DemoLog.close is not @frappe.whitelist()-ed")


def inherit_close_from_a_base_controller(app: Path) -> None:
	"""DemoLog gets close() from demoapp.base.BaseLog, the way connector settings share methods."""
	write(
		app,
		"demoapp/base.py",
		"""
		import frappe
		from frappe.model.document import Document


		class BaseLog(Document):
			@frappe.whitelist()
			def close(self, reason: str):
				pass
		""",
	)
	path = "demoapp/demo_app/doctype/demo_log/demo_log.py"
	edit(
		app, path, "class DemoLog(Document):", "from demoapp.base import BaseLog\n\n\nclass DemoLog(BaseLog):"
	)
	edit(app, path, "\t@frappe.whitelist()\n\tdef close(self, reason: str):\n\t\tpass\n", "")


def test_frm_call_to_a_method_of_a_base_controller(app, capsys):
	inherit_close_from_a_base_controller(app)
	code, out = run(app, capsys)
	assert code == 0, out


def test_frm_call_to_a_method_no_base_controller_has(app, capsys):
	inherit_close_from_a_base_controller(app)
	edit(app, "demoapp/demo_app/doctype/demo_log/demo_log.js", 'frm.call("close"', 'frm.call("reopen"')
	assert_fails(app, capsys, "frm.call('reopen'): DemoLog (and its bases) has no such method")


def test_whitelisted_parameters_need_annotations(app, capsys):
	edit(app, "demoapp/api.py", "def retry(name: str,", "def retry(name,")
	assert_fails(app, capsys, "whitelisted retry() has parameters without type annotations: name")


def test_whitelist_without_parentheses(app, capsys):
	edit(app, "demoapp/api.py", '@frappe.whitelist(methods=["POST"])', "@frappe.whitelist")
	assert_fails(app, capsys, "uses @frappe.whitelist without ()")


# --- d. the kernel never imports frappe ----------------------------------------------------------


def test_kernel_importing_frappe(app, capsys):
	write(app, "demoapp/kernel/helpers.py", "import requests\nfrom frappe.utils import cint\n")
	assert_fails(app, capsys, "demoapp/kernel/helpers.py:2: imports frappe.utils")


def test_kernel_importing_frappe_lazily(app, capsys):
	write(app, "demoapp/tests/simulators/server.py", "def run():\n\timport frappe\n\treturn frappe\n")
	assert_fails(app, capsys, "demoapp/tests/simulators/server.py:2: imports frappe")


def test_type_only_import_of_frappe_in_an_app_module_is_fine(app, capsys):
	write(
		app,
		"demoapp/constants.py",
		"from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n\timport frappe\n\nLIMIT = 3\n",
	)
	code, out = run(app, capsys)
	assert code == 0, out


def test_kernel_importing_frappe_through_an_app_module(app, capsys):
	write(app, "demoapp/constants.py", "import frappe\n\nLIMIT = 3\n")
	assert_fails(app, capsys, "imports demoapp.constants, which imports frappe (demoapp.constants -> frappe)")


# --- e. desk records ------------------------------------------------------------------------------


def write_desk_records(root: Path, *, card_method: str, shown_card: str, page: str = "demo-status") -> None:
	card = {"doctype": "Number Card", "name": "Demo Calls", "type": "Custom", "method": card_method}
	write(root, "demoapp/demo_app/number_card/demo_calls/demo_calls.json", json.dumps(card))
	page_doc = {"doctype": "Page", "name": "demo-status", "page_name": "demo-status"}
	write(root, "demoapp/demo_app/page/demo_status/demo_status.json", json.dumps(page_doc))
	content = [{"id": "a", "type": "number_card", "data": {"number_card_name": shown_card, "col": 3}}]
	workspace = {
		"doctype": "Workspace",
		"name": "Demo Ops",
		"content": json.dumps(content),
		"number_cards": [{"number_card_name": "Demo Calls", "label": "Calls (24 h)"}],
		"shortcuts": [{"type": "Page", "link_to": page, "label": "Status"}],
		"links": [],
	}
	write(root, "demoapp/demo_app/workspace/demo_ops/demo_ops.json", json.dumps(workspace))


def test_desk_records_that_fit_together_pass(app, capsys):
	write_desk_records(app, card_method="demoapp.api.retry", shown_card="Calls (24 h)")
	code, out = run(app, capsys)
	assert code == 0, out


def test_a_custom_number_card_needs_a_whitelisted_method(app, capsys):
	write_desk_records(app, card_method="demoapp.api.not_there", shown_card="Calls (24 h)")
	assert_fails(app, capsys, "'Demo Calls': method 'demoapp.api.not_there' is not a whitelisted function")


def test_a_workspace_must_show_defined_cards_and_existing_pages(app, capsys):
	write_desk_records(app, card_method="demoapp.api.retry", shown_card="Missing Card", page="nowhere")
	assert_fails(
		app,
		capsys,
		"'Demo Ops' shows number_card 'Missing Card', which is not the label of a row",
		"'Demo Ops' links to page 'nowhere'",
	)


def test_a_workspace_block_names_the_row_label_not_the_card_name(app, capsys):
	# the desk matches blocks by the row's label: a card named by its record name never shows
	write_desk_records(app, card_method="demoapp.api.retry", shown_card="Demo Calls")
	assert_fails(app, capsys, "'Demo Ops' shows number_card 'Demo Calls', which is not the label of a row")
