"""Guest access only where a signature is checked (security suite, issue #7).

Anyone on the internet can call a method whitelisted with ``allow_guest=True``. So every such
method must be in :data:`SIGNATURE_CHECKED` below, and must prove the caller is the provider
(an HMAC checked by a ``verify_*`` function of :mod:`scoopjoy.kernel.signatures`, or Meta's
verify-token handshake) before it does anything else: before that check it may only read its
Settings, the raw body and the headers; a failed check answers 401 and does nothing more.

Read with :mod:`ast` (no frappe import), so the rule holds on any machine and for code no test
calls yet. Each rule is also run on small broken modules, to show it can fail.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "scoopjoy"
SIGNATURES_MODULE = "scoopjoy.kernel.signatures"

#: The only guest endpoints, with the helper each may hand a GET to before the signature check
#: (Meta's subscription handshake, which proves itself with the verify token instead).
SIGNATURE_CHECKED: dict[str, frozenset[str]] = {
	"scoopjoy.connectors.shopify.webhook.receive": frozenset(),
	"scoopjoy.connectors.whatsapp.webhook.receive": frozenset({"_verification_handshake"}),
}

#: What an endpoint may call before its signature is checked: reads of its Settings, the raw body
#: and the headers. Anything else (an insert, an enqueue, a log) is work done for an unknown caller.
READS_BEFORE_CHECK = frozenset(
	{
		"get_cached_doc",
		"get_single",
		"get_password",
		"get_data",
		"get_request_header",
		# which Shopify store signs the delivery: one read of the store by its domain header
		"store_of_domain",
	}
)

#: What the verify-token handshake may call outside its success branch.
HANDSHAKE_READS = frozenset({"get_password", "get", "str", "encode", "compare_digest"})


# --- reading the source --------------------------------------------------------------------------


@dataclass
class GuestEndpoint:
	path: str  # dotted path, as /api/method/<path> calls it
	node: ast.FunctionDef | ast.AsyncFunctionDef
	module: ast.Module
	file: Path
	verify_names: set[str] = field(default_factory=set)  # local names bound to signatures.verify_*


def _dotted(node: ast.AST) -> str:
	if isinstance(node, ast.Name):
		return node.id
	if isinstance(node, ast.Attribute):
		return f"{_dotted(node.value)}.{node.attr}"
	if isinstance(node, ast.Call):
		return _dotted(node.func)
	if isinstance(node, ast.Subscript):
		return _dotted(node.value)
	return ""


def _is_whitelist(call: ast.Call) -> bool:
	return _dotted(call.func).split(".")[-1] == "whitelist"


def _allows_guest(call: ast.Call) -> bool:
	for keyword in call.keywords:
		if keyword.arg == "allow_guest":
			# a constant False/0 is the only safe value; anything computed counts as guest access
			return not (isinstance(keyword.value, ast.Constant) and not keyword.value.value)
	return False


def _module_name(file: Path, root: Path) -> str:
	parts = list(file.relative_to(root.parent).with_suffix("").parts)
	if parts[-1] == "__init__":
		parts.pop()
	return ".".join(parts)


def _verify_names(module: ast.Module) -> set[str]:
	"""Names under which this module can call a ``verify_*`` of scoopjoy.kernel.signatures."""
	names = set()
	for node in ast.walk(module):
		if isinstance(node, ast.ImportFrom) and node.module == SIGNATURES_MODULE:
			names |= {a.asname or a.name for a in node.names if a.name.startswith("verify_")}
		elif isinstance(node, ast.ImportFrom) and node.module == "scoopjoy.kernel":
			names |= {f"{a.asname or a.name}.verify_" for a in node.names if a.name == "signatures"}
		elif isinstance(node, ast.Import):
			names |= {f"{a.asname or a.name}.verify_" for a in node.names if a.name == SIGNATURES_MODULE}
	return names


def _calls_verify(call: ast.Call, verify_names: set[str]) -> bool:
	name = _dotted(call.func)
	return name in verify_names or any(
		prefix.endswith(".") and name.startswith(prefix) for prefix in verify_names
	)


def guest_endpoints(root: Path = APP) -> tuple[list[GuestEndpoint], list[str]]:
	"""Every function whitelisted with allow_guest under ``root``, and guest whitelistings that
	are not a decorator (``frappe.whitelist(allow_guest=True)(fn)``), which cannot be checked."""
	endpoints, undecorated = [], []
	for file in sorted(root.rglob("*.py")):
		module = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
		module_name = _module_name(file, root)
		verify_names = _verify_names(module)
		decorators = set()
		scopes: list[tuple[ast.AST, str]] = [(module, module_name)]
		while scopes:
			scope, prefix = scopes.pop()
			for node in ast.iter_child_nodes(scope):
				if isinstance(node, ast.ClassDef):
					scopes.append((node, f"{prefix}.{node.name}"))
				elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
					for decorator in node.decorator_list:
						if isinstance(decorator, ast.Call) and _is_whitelist(decorator):
							decorators.add(id(decorator))
							if _allows_guest(decorator):
								endpoints.append(
									GuestEndpoint(f"{prefix}.{node.name}", node, module, file, verify_names)
								)
		for node in ast.walk(module):
			if (
				isinstance(node, ast.Call)
				and _is_whitelist(node)
				and id(node) not in decorators
				and _allows_guest(node)
			):
				undecorated.append(f"{file.relative_to(root.parent)}:{node.lineno}")
	return endpoints, undecorated


def _calls_in(nodes) -> list[ast.Call]:
	calls = []
	for node in nodes:
		calls += [n for n in ast.walk(node) if isinstance(n, ast.Call)]
	return calls


def _call_name(call: ast.Call) -> str:
	return _dotted(call.func).split(".")[-1]


def _signature_guard(endpoint: GuestEndpoint) -> tuple[int, ast.If] | None:
	"""The top-level ``if not verify_*(...):`` of the endpoint, with its position in the body."""
	for index, statement in enumerate(endpoint.node.body):
		if (
			isinstance(statement, ast.If)
			and isinstance(statement.test, ast.UnaryOp)
			and isinstance(statement.test.op, ast.Not)
			and isinstance(statement.test.operand, ast.Call)
			and _calls_verify(statement.test.operand, endpoint.verify_names)
		):
			return index, statement
	return None


def _sets_status(nodes, status: int) -> bool:
	for node in nodes:
		for assign in ast.walk(node):
			if (
				isinstance(assign, ast.Assign)
				and isinstance(assign.value, ast.Constant)
				and assign.value.value == status
				and any(isinstance(t, ast.Subscript) and "response" in _dotted(t) for t in assign.targets)
			):
				return True
	return False


def _returns(nodes) -> bool:
	return any(isinstance(n, ast.Return) for node in nodes for n in ast.walk(node))


def endpoint_problems(endpoint: GuestEndpoint, handshakes: frozenset[str]) -> list[str]:
	"""What is wrong with one guest endpoint; empty when it checks the caller before anything."""
	where = f"{endpoint.path} ({endpoint.file.name}:{endpoint.node.lineno})"
	found = _signature_guard(endpoint)
	if found is None:
		return [
			f"{where} is open to guests but has no top-level `if not verify_*(...)` check using "
			f"{SIGNATURES_MODULE}"
		]
	index, guard = found
	problems = []
	before = [*endpoint.node.body[:index], guard.test]
	for call in _calls_in(before):
		name = _call_name(call)
		if call is guard.test.operand or name in READS_BEFORE_CHECK:
			continue
		if name in handshakes:
			continue
		problems.append(
			f"{where} calls {_dotted(call.func)}() (line {call.lineno}) before checking the signature"
		)
	if _calls_in(guard.body):
		problems.append(f"{where}: the rejected branch does more than answer 401")
	if not _sets_status(guard.body, 401) or not _returns(guard.body):
		problems.append(f"{where}: a failed signature check must set HTTP 401 and return")
	return problems


def handshake_problems(module: ast.Module, name: str) -> list[str]:
	"""Meta's GET handshake: echo the challenge only when the verify token matches (constant time)."""
	functions = [
		n for n in module.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
	]
	if not functions:
		return [f"handshake helper {name} not found in its module"]
	function = functions[0]
	guards = [
		n
		for n in ast.walk(function)
		if isinstance(n, ast.If)
		and any(_dotted(c.func) == "hmac.compare_digest" for c in _calls_in([n.test]))
	]
	if not guards:
		return [f"{name} does not compare the verify token with hmac.compare_digest"]
	inside = {id(c) for guard in guards for c in _calls_in(guard.body)}
	problems = [
		f"{name} calls {_dotted(c.func)}() (line {c.lineno}) outside the verified branch"
		for c in _calls_in(function.body)
		if id(c) not in inside and _call_name(c) not in HANDSHAKE_READS
	]
	if not _sets_status(function.body, 403):
		problems.append(f"{name} must answer 403 to a wrong verify token")
	return problems


def guest_access_problems(
	root: Path = APP, allowed: dict[str, frozenset[str]] = SIGNATURE_CHECKED
) -> list[str]:
	endpoints, undecorated = guest_endpoints(root)
	problems = [f"{place}: allow_guest whitelisting outside a decorator" for place in undecorated]
	for endpoint in endpoints:
		if endpoint.path not in allowed:
			problems.append(
				f"{endpoint.path} ({endpoint.file.name}:{endpoint.node.lineno}) is open to guests but is not "
				"a signature-checked endpoint (SIGNATURE_CHECKED in tests/kernel/test_security_static.py)"
			)
			continue
		problems += endpoint_problems(endpoint, allowed[endpoint.path])
		for helper in allowed[endpoint.path]:
			problems += handshake_problems(endpoint.module, helper)
	return problems


# --- the app ----------------------------------------------------------------------------------


def test_every_guest_endpoint_of_the_app_checks_a_signature_before_anything_else():
	assert guest_access_problems() == []


def test_the_guest_endpoints_are_exactly_the_two_webhooks():
	endpoints, _ = guest_endpoints()
	assert sorted(e.path for e in endpoints) == sorted(SIGNATURE_CHECKED)


# --- the rules fail on broken code -----------------------------------------------------------------

GOOD_WEBHOOK = """
	import frappe
	from scoopjoy.kernel.signatures import verify_shopify_hmac
	from scoopjoy.reliability.jobs import enqueue_integration_job

	@frappe.whitelist(allow_guest=True, methods=["POST"])
	def receive():
		settings = frappe.get_cached_doc("Shopify Settings")
		raw_body = frappe.request.get_data(cache=True) or b""
		secrets = [settings.get_password("client_secret", raise_exception=False)]
		if not verify_shopify_hmac(raw_body, frappe.get_request_header("X-Shopify-Hmac-Sha256"), secrets):
			frappe.local.response["http_status_code"] = 401
			return {"error": "invalid signature"}
		enqueue_integration_job("x.y", connector="Shopify", job_key="k")
		return {"status": "queued"}
"""


def _app(tmp_path: Path, source: str, name: str = "webhook.py") -> Path:
	root = tmp_path / "scoopjoy"
	(root / "hooks").mkdir(parents=True)
	(root / "hooks" / name).write_text(textwrap.dedent(source), encoding="utf-8")
	return root


ALLOWED = {"scoopjoy.hooks.webhook.receive": frozenset()}


def test_a_correct_webhook_passes(tmp_path):
	assert guest_access_problems(_app(tmp_path, GOOD_WEBHOOK), ALLOWED) == []


@pytest.mark.parametrize(
	("old", "new", "expected"),
	[
		pytest.param(
			"def receive():",
			"def receive_orders():",
			"is not a signature-checked endpoint",
			id="a new guest method not in the list",
		),
		pytest.param(
			'if not verify_shopify_hmac(raw_body, frappe.get_request_header("X-Shopify-Hmac-Sha256"), secrets):',
			"if not raw_body:",
			"has no top-level `if not verify_*(...)` check",
			id="the signature check removed",
		),
		pytest.param(
			"from scoopjoy.kernel.signatures import verify_shopify_hmac",
			"from scoopjoy.hooks.mine import verify_shopify_hmac",
			"has no top-level `if not verify_*(...)` check",
			id="a home-made verify_ function",
		),
		pytest.param(
			'raw_body = frappe.request.get_data(cache=True) or b""',
			'raw_body = frappe.request.get_data(cache=True) or b""\n'
			'\tenqueue_integration_job("x.y", connector="Shopify", job_key="k")',
			"calls enqueue_integration_job() (line",
			id="work queued before the check",
		),
		pytest.param(
			'\t\tfrappe.local.response["http_status_code"] = 401',
			'\t\tfrappe.log_error("forged webhook")\n\t\tfrappe.local.response["http_status_code"] = 401',
			"the rejected branch does more than answer 401",
			id="forged traffic logged",
		),
		pytest.param(
			'frappe.local.response["http_status_code"] = 401',
			'frappe.local.response["http_status_code"] = 200',
			"must set HTTP 401 and return",
			id="a forged request answered 200",
		),
	],
)
def test_each_rule_fails_on_code_that_breaks_it(tmp_path, old, new, expected):
	source = textwrap.dedent(GOOD_WEBHOOK)
	assert source.count(old) == 1
	problems = guest_access_problems(_app(tmp_path, source.replace(old, new)), ALLOWED)
	assert any(expected in p for p in problems), problems


def test_guest_whitelisting_outside_a_decorator_is_reported(tmp_path):
	source = (
		textwrap.dedent(GOOD_WEBHOOK)
		+ "\n\ndef status():\n\treturn 'ok'\n\n\nfrappe.whitelist(allow_guest=True)(status)\n"
	)
	problems = guest_access_problems(_app(tmp_path, source), ALLOWED)
	assert any("outside a decorator" in p for p in problems), problems


HANDSHAKE = """
	import hmac
	import frappe
	from scoopjoy.kernel.signatures import verify_meta_signature

	@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
	def receive():
		settings = frappe.get_cached_doc("WhatsApp Settings")
		if frappe.request.method == "GET":
			return _verification_handshake(settings)
		raw_body = frappe.request.get_data(cache=True) or b""
		if not verify_meta_signature(raw_body, frappe.get_request_header("X-Hub-Signature-256"), ["s"]):
			frappe.local.response["http_status_code"] = 401
			return {"error": "invalid signature"}
		return {"status": "queued"}

	def _verification_handshake(settings):
		args = frappe.local.form_dict
		token = settings.get_password("webhook_verify_token", raise_exception=False)
		offered = str(args.get("hub.verify_token") or "")
		if args.get("hub.mode") == "subscribe" and token and hmac.compare_digest(offered.encode(), token.encode()):
			frappe.local.response.update({"filecontent": str(args.get("hub.challenge") or "")})
			return None
		frappe.local.response["http_status_code"] = 403
		return {"error": "verification failed"}
"""

HANDSHAKE_ALLOWED = {"scoopjoy.hooks.webhook.receive": frozenset({"_verification_handshake"})}


def test_the_verify_token_handshake_passes_and_fails_when_weakened(tmp_path):
	assert guest_access_problems(_app(tmp_path, HANDSHAKE), HANDSHAKE_ALLOWED) == []
	plain = textwrap.dedent(HANDSHAKE).replace(
		"hmac.compare_digest(offered.encode(), token.encode())", "offered == token"
	)
	problems = guest_access_problems(_app(tmp_path / "plain", plain), HANDSHAKE_ALLOWED)
	assert any("does not compare the verify token" in p for p in problems), problems
	# the GET branch handed to a helper the list does not name
	problems = guest_access_problems(_app(tmp_path / "unlisted", HANDSHAKE), ALLOWED)
	assert any("calls _verification_handshake()" in p for p in problems), problems
