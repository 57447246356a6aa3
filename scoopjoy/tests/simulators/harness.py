"""Local HTTP servers that behave like a provider, for tests and benchmarks.

A connector's retry, timeout, rate-limit and idempotency logic only shows its worth against a
server that misbehaves on cue. Mocking ``requests`` hides exactly the failures that matter in
production (a reset TCP connection, a read timeout after the server already did the work, a
``Retry-After``), so the simulators are real servers on real sockets:

- :class:`SimulatorServer` runs a ``ThreadingHTTPServer`` on ``127.0.0.1`` with a random port in a
  background thread, speaks HTTP/1.1 with keep-alive (every response has ``Content-Length``), and
  routes ``METHOD /path/{param}`` templates to handlers that take a :class:`SimRequest` and return a
  :class:`SimResponse`.
- :class:`Fault` objects queued on ``sim.faults`` are consumed in FIFO order: status codes, 429 with
  ``Retry-After`` (RFC 9110 §10.2.3, https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3),
  delays, abrupt TCP resets, truncated JSON, 401s.
- :class:`RateLimitPolicy` is a token bucket (Shopify's REST limit is a leaky bucket:
  https://shopify.dev/docs/api/usage/limits) a simulator can use to answer 429.
- :func:`paginate` / :func:`build_link_header` produce cursor pages and RFC 8288 ``Link`` headers the
  way Shopify REST does (https://shopify.dev/docs/api/admin-rest/usage/pagination).
- :class:`GenericJsonApi` is a reference provider used by the kernel tests and the benchmark.

Pure Python (stdlib + requests' CaseInsensitiveDict); never imports frappe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json as jsonlib
import math
import re
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from requests.structures import CaseInsensitiveDict

SHOPIFY_UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)"
SHOPIFY_THROTTLED = (
	"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
)
NOT_FOUND_BODY = {"errors": "Not Found"}
MALFORMED_JSON_BODY = b'{"items": [{"id": 1, "title": "Truncated'

# --- requests and responses -----------------------------------------------------------------------


@dataclass(eq=False)
class SimRequest:
	"""One request as the simulator received it.

	``query`` holds the FIRST value of each query parameter (``?a=1&a=2`` -> ``{"a": "1"}``), which
	is what handlers want almost always; ``query_lists`` has every value. ``path`` is percent-decoded
	and without the query; ``target`` is the request target exactly as sent.
	"""

	id: int
	method: str
	path: str
	target: str
	query: dict[str, str]
	query_lists: dict[str, list[str]]
	headers: CaseInsensitiveDict
	body: bytes
	client_address: tuple[str, int]
	received_at: float
	path_params: dict[str, str] = field(default_factory=dict)
	route: str | None = None
	fault: str | None = None  # kind of the fault applied to this request, if any
	status: int | None = None  # status sent back (None: no response, e.g. a reset)
	context: dict[str, Any] = field(default_factory=dict)  # scratch space for hooks

	def json(self) -> Any:
		"""The body decoded as JSON (None for an empty body); raises ValueError when it is not JSON."""
		if not self.body:
			return None
		return jsonlib.loads(self.body)

	@property
	def text(self) -> str:
		return self.body.decode("utf-8", "replace")

	def header(self, name: str, default: str | None = None) -> str | None:
		return self.headers.get(name, default)


@dataclass
class SimResponse:
	"""What a handler returns. ``json`` (when not None) is serialised; otherwise ``body`` is sent as is.

	``close=True`` answers with ``Connection: close`` and closes the connection afterwards.
	"""

	status: int = 200
	json: Any = None
	body: bytes | str | None = None
	headers: dict[str, str] = field(default_factory=dict)
	close: bool = False

	@classmethod
	def error(cls, status: int, message: Any, headers: Mapping[str, str] | None = None) -> SimResponse:
		"""The error shape Shopify's REST API uses: ``{"errors": ...}``."""
		return cls(status=status, json={"errors": message}, headers=dict(headers or {}))

	def payload(self) -> tuple[bytes, str | None]:
		"""(body bytes, default content type)."""
		if self.json is not None:
			body = jsonlib.dumps(self.json, separators=(",", ":")).encode("utf-8")
			return body, "application/json; charset=utf-8"
		if self.body is None:
			return b"", None
		if isinstance(self.body, str):
			ctype = (
				"text/html; charset=utf-8"
				if self.body.lstrip().startswith("<")
				else "text/plain; charset=utf-8"
			)
			return self.body.encode("utf-8"), ctype
		return bytes(self.body), "application/octet-stream"


def _as_response(result: Any) -> SimResponse:
	"""Handlers may return a SimResponse, a dict/list (200 JSON), ``(status, json)`` or None (204)."""
	if isinstance(result, SimResponse):
		return result
	if result is None:
		return SimResponse(status=204)
	if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], int):
		return SimResponse(status=result[0], json=result[1])
	if isinstance(result, dict | list):
		return SimResponse(json=result)
	raise TypeError(f"a simulator handler returned {type(result).__name__}; return a SimResponse")


def _format_retry_after(value: float | str) -> str:
	"""delay-seconds (RFC 9110 §10.2.3); fractions are kept so tests can use sub-second waits."""
	if isinstance(value, str):
		return value
	value = max(0.0, float(value))
	return str(int(value)) if value.is_integer() else f"{value:g}"


# --- faults ----------------------------------------------------------------------------------------

FAULT_KINDS = ("status", "delay", "reset", "malformed_json")
DELAY_PROCESS_MODES = ("after", "before", "never")


@dataclass(eq=False)
class Fault:
	"""A misbehaviour for the next ``times`` matching requests (None: until cleared).

	A fault matches a request when ``method`` (if set) equals its method, ``path_prefix`` (if set)
	starts its path and ``body_contains`` (if set) is in its body (e.g. one GraphQL operation's name). Every request is recorded in ``sim.requests`` whatever the fault. Except for
	``delay``, a fault answers INSTEAD of the handler: nothing is created, no state changes.

	``Fault.delay(seconds, process=...)`` decides when the handler runs:

	- ``"after"`` (default): sleep, then process and answer normally (a slow server). A client whose
	  read timeout is shorter gives up; the server still does the work, ``seconds`` later.
	- ``"before"``: process at once, then sleep before answering: the work is done (visible in the
	  simulator's state immediately) but the answer arrives too late. This is the case that makes a
	  blind POST retry create a duplicate.
	- ``"never"``: sleep, then close the connection without processing or answering.
	"""

	kind: str
	times: int | None = 1
	method: str | None = None
	path_prefix: str | None = None
	status: int = 0
	retry_after: float | str | None = None
	body: Any = None
	headers: dict[str, str] = field(default_factory=dict)
	seconds: float = 0.0
	process: str = "after"
	hits: int = 0
	body_contains: str | None = None

	def __post_init__(self):
		if self.kind not in FAULT_KINDS:
			raise ValueError(f"unknown fault kind {self.kind!r}; one of {FAULT_KINDS}")
		if self.process not in DELAY_PROCESS_MODES:
			raise ValueError(f"process must be one of {DELAY_PROCESS_MODES}")
		if self.times is not None and self.times < 1:
			raise ValueError("times must be >= 1 (or None for 'until cleared')")
		if self.method:
			self.method = self.method.upper()

	# constructors ---------------------------------------------------------------------------------

	@classmethod
	def status_code(
		cls,
		status: int,
		times: int | None = 1,
		retry_after: float | str | None = None,
		body: Any = None,
		headers: Mapping[str, str] | None = None,
		*,
		method: str | None = None,
		path_prefix: str | None = None,
	) -> Fault:
		"""Answer with ``status``; body defaults to ``{"errors": "<reason phrase>"}`` (dict/list: JSON)."""
		return cls(
			"status",
			times=times,
			status=status,
			retry_after=retry_after,
			body=body,
			headers=dict(headers or {}),
			method=method,
			path_prefix=path_prefix,
		)

	@classmethod
	def rate_limited(
		cls,
		times: int | None = 1,
		retry_after: float | str | None = 2,
		*,
		method: str | None = None,
		path_prefix: str | None = None,
	) -> Fault:
		"""429 with ``Retry-After`` and Shopify's throttling message."""
		return cls.status_code(
			429,
			times=times,
			retry_after=retry_after,
			body={"errors": SHOPIFY_THROTTLED},
			method=method,
			path_prefix=path_prefix,
		)

	@classmethod
	def unauthorized(
		cls, times: int | None = 1, *, method: str | None = None, path_prefix: str | None = None
	) -> Fault:
		"""401 with Shopify's wording, as when a token was revoked between two calls."""
		return cls.status_code(
			401, times=times, body={"errors": SHOPIFY_UNAUTHORIZED}, method=method, path_prefix=path_prefix
		)

	@classmethod
	def delay(
		cls,
		seconds: float,
		times: int | None = 1,
		*,
		process: str = "after",
		method: str | None = None,
		path_prefix: str | None = None,
		body_contains: str | None = None,
	) -> Fault:
		"""Answer ``seconds`` late; see the class docstring for ``process`` ("after", "before", "never")."""
		return cls(
			"delay",
			times=times,
			seconds=seconds,
			process=process,
			method=method,
			path_prefix=path_prefix,
			body_contains=body_contains,
		)

	@classmethod
	def reset(
		cls, times: int | None = 1, *, method: str | None = None, path_prefix: str | None = None
	) -> Fault:
		"""Read the request, then drop the TCP connection with a RST (SO_LINGER 0) and no response."""
		return cls("reset", times=times, method=method, path_prefix=path_prefix)

	@classmethod
	def malformed_json(
		cls, times: int | None = 1, *, method: str | None = None, path_prefix: str | None = None
	) -> Fault:
		"""200 with ``Content-Type: application/json`` and a truncated JSON body."""
		return cls("malformed_json", times=times, method=method, path_prefix=path_prefix)

	# behaviour ------------------------------------------------------------------------------------

	def matches(self, request: SimRequest) -> bool:
		if self.method and request.method != self.method:
			return False
		if self.path_prefix and not request.path.startswith(self.path_prefix):
			return False
		if self.body_contains and self.body_contains not in request.text:
			return False
		return True

	def response(self) -> SimResponse:
		"""The answer of a ``status`` or ``malformed_json`` fault."""
		if self.kind == "malformed_json":
			return SimResponse(200, body=MALFORMED_JSON_BODY, headers={"Content-Type": "application/json"})
		headers = dict(self.headers)
		if self.retry_after is not None:
			headers["Retry-After"] = _format_retry_after(self.retry_after)
		body = self.body
		if body is None:
			try:
				body = {"errors": HTTPStatus(self.status).phrase}
			except ValueError:
				body = {"errors": f"HTTP {self.status}"}
		if isinstance(body, dict | list):
			return SimResponse(self.status, json=body, headers=headers)
		return SimResponse(self.status, body=body, headers=headers)


# ``Fault.status(503, ...)`` reads best in tests; ``status`` is also the dataclass field holding the code,
# so the constructor is attached under that name after the class is built (instances keep the int).
Fault.status = classmethod(Fault.status_code.__func__)  # type: ignore[assignment]


class FaultQueue:
	"""Faults waiting to be applied, FIFO among those that match a request. Thread-safe."""

	def __init__(self):
		self._faults: list[Fault] = []
		self._lock = threading.Lock()

	def add(self, *faults: Fault) -> Fault:
		"""Queue faults (applied in the order added); returns the last one."""
		if not faults:
			raise ValueError("add() needs at least one Fault")
		with self._lock:
			self._faults.extend(faults)
		return faults[-1]

	def take(self, request: SimRequest) -> Fault | None:
		"""The first queued fault matching the request, consuming one of its ``times``."""
		with self._lock:
			for index, fault in enumerate(self._faults):
				if fault.matches(request):
					fault.hits += 1
					if fault.times is not None and fault.hits >= fault.times:
						del self._faults[index]
					return fault
		return None

	def clear(self) -> None:
		with self._lock:
			self._faults.clear()

	@property
	def pending(self) -> list[Fault]:
		with self._lock:
			return list(self._faults)

	def __len__(self) -> int:
		with self._lock:
			return len(self._faults)

	def __bool__(self) -> bool:
		return len(self) > 0


# --- rate limiting -----------------------------------------------------------------------------------


class RateLimitPolicy:
	"""Token bucket: ``capacity`` requests at once, refilled at ``refill_per_second``. Thread-safe.

	``check()`` -> ``(allowed, remaining, retry_after_seconds)``; retry_after is 0.0 when allowed.
	"""

	def __init__(
		self, capacity: float, refill_per_second: float, clock: Callable[[], float] = time.monotonic
	):
		if capacity <= 0 or refill_per_second <= 0:
			raise ValueError("capacity and refill_per_second must be > 0")
		self.capacity = float(capacity)
		self.refill_per_second = float(refill_per_second)
		self._clock = clock
		self._lock = threading.Lock()
		self._tokens = self.capacity
		self._updated = clock()

	@property
	def limit(self) -> int:
		return int(self.capacity)

	def _refill(self, now: float) -> None:
		elapsed = max(0.0, now - self._updated)
		self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_second)
		self._updated = now

	def check(self, cost: float = 1.0) -> tuple[bool, int, float]:
		with self._lock:
			self._refill(self._clock())
			if self._tokens >= cost:
				self._tokens -= cost
				return True, int(self._tokens), 0.0
			return False, int(self._tokens), (cost - self._tokens) / self.refill_per_second

	def remaining(self) -> int:
		with self._lock:
			self._refill(self._clock())
			return int(self._tokens)

	def reset(self) -> None:
		with self._lock:
			self._tokens = self.capacity
			self._updated = self._clock()

	def headers(self, remaining: int, retry_after: float = 0.0) -> dict[str, str]:
		"""``X-RateLimit-Limit``/``-Remaining``/``-Reset`` (seconds until a request is allowed again)."""
		return {
			"X-RateLimit-Limit": str(self.limit),
			"X-RateLimit-Remaining": str(max(0, remaining)),
			"X-RateLimit-Reset": str(math.ceil(retry_after)),
		}


# --- pagination helpers --------------------------------------------------------------------------------


def encode_page_info(offset: int) -> str:
	"""An opaque cursor (base64url JSON, like Shopify's ``page_info``) for a list offset."""
	raw = jsonlib.dumps({"offset": int(offset)}, separators=(",", ":")).encode()
	return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_page_info(page_info: str) -> int:
	"""The offset in a cursor made by :func:`encode_page_info`; ValueError when it is not one."""
	try:
		raw = base64.urlsafe_b64decode(page_info + "=" * (-len(page_info) % 4))
		offset = jsonlib.loads(raw)["offset"]
	except Exception:
		raise ValueError(f"invalid page_info {page_info!r}")
	if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
		raise ValueError(f"invalid page_info {page_info!r}")
	return offset


def paginate(items: Sequence[Any], limit: int, page_info: str | None = None) -> tuple[list[Any], str | None]:
	"""``(page, next_page_info)``: the page starting at ``page_info`` (None: the first page)."""
	if limit < 1:
		raise ValueError("limit must be >= 1")
	offset = decode_page_info(page_info) if page_info else 0
	page = list(items[offset : offset + limit])
	next_info = encode_page_info(offset + limit) if offset + limit < len(items) else None
	return page, next_info


def previous_page_info(limit: int, page_info: str | None) -> str | None:
	"""The cursor of the page before ``page_info`` (None on the first page)."""
	offset = decode_page_info(page_info) if page_info else 0
	if offset <= 0:
		return None
	return encode_page_info(max(0, offset - limit))


def build_link_header(
	url: str,
	next_page_info: str | None = None,
	previous_page_info: str | None = None,
	params: Mapping[str, Any] | None = None,
) -> str | None:
	"""Shopify-style ``Link`` value (RFC 8288), or None when there is no other page.

	``<url?limit=50&page_info=abc>; rel="previous", <url?limit=50&page_info=def>; rel="next"``
	"""
	links = []
	for rel, info in (("previous", previous_page_info), ("next", next_page_info)):
		if info:
			query = urlencode({**dict(params or {}), "page_info": info})
			links.append(f'<{url}?{query}>; rel="{rel}"')
	return ", ".join(links) or None


# --- the server ----------------------------------------------------------------------------------------

_PARAM_RE = re.compile(r"\{(\w+)(?::(path))?\}")
_CONNECTION_ERRORS = (ConnectionError, TimeoutError, OSError)


@dataclass
class _Route:
	method: str
	template: str
	pattern: re.Pattern[str]
	handler: Callable[[SimRequest], Any]
	auth: bool


def _compile_template(template: str) -> re.Pattern[str]:
	"""``/admin/api/{version}/orders/{id}.json`` -> regex; ``{name:path}`` also matches slashes."""
	out, pos = [], 0
	for m in _PARAM_RE.finditer(template):
		out.append(re.escape(template[pos : m.start()]))
		out.append(f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)")
		pos = m.end()
	out.append(re.escape(template[pos:]))
	return re.compile("".join(out) + r"\Z")


def handles(method: str, template: str, *, auth: bool = True):
	"""Class-level route: ``@handles("GET", "/v1/items/{id}")`` on a simulator method."""

	def decorate(func):
		func.__dict__.setdefault("_sim_routes", []).append((method, template, auth))
		return func

	return decorate


class _Handler(BaseHTTPRequestHandler):
	protocol_version = "HTTP/1.1"
	server_version = "scoopjoy-simulator/1"
	disable_nagle_algorithm = True  # headers and body are two writes; Nagle + delayed ACK adds ~40 ms

	def version_string(self):
		return self.server_version

	def setup(self):
		self.timeout = self.server.sim.idle_timeout
		super().setup()
		self.server.sim._track(self.connection, True)

	def finish(self):
		try:
			super().finish()
		except _CONNECTION_ERRORS:
			pass
		finally:
			self.server.sim._track(self.connection, False)

	def log_message(self, format, *args):
		if self.server.sim.verbose:
			sys.stderr.write(f"[{self.server.sim.name}] {self.address_string()} {format % args}\n")

	def _dispatch(self):
		try:
			body = self._read_body()
		except (ValueError, *_CONNECTION_ERRORS):
			self.close_connection = True
			return
		self.server.sim._serve(self, body)

	do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

	def _read_body(self) -> bytes:
		if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
			chunks = []
			while True:
				size_line = self.rfile.readline(65537)
				size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
				if size == 0:
					while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
						pass  # trailers
					return b"".join(chunks)
				chunks.append(self.rfile.read(size))
				self.rfile.readline(65537)
		length = int(self.headers.get("Content-Length") or 0)
		return self.rfile.read(length) if length > 0 else b""

	def write_response(self, response: SimResponse, request: SimRequest) -> None:
		body, default_type = response.payload()
		status = response.status
		request.status = status
		try:
			self.send_response(status)
			headers = CaseInsensitiveDict(response.headers)
			if default_type and "Content-Type" not in headers:
				headers["Content-Type"] = default_type
			no_body = status in (204, 304) or 100 <= status < 200
			if not no_body:
				headers["Content-Length"] = str(len(body))
			headers.setdefault("X-Request-Id", str(request.id))
			if response.close:
				headers["Connection"] = "close"
				self.close_connection = True
			for key, value in headers.items():
				self.send_header(key, str(value))
			self.end_headers()
			if body and not no_body and request.method != "HEAD":
				self.wfile.write(body)
			self.wfile.flush()
		except _CONNECTION_ERRORS:
			self.close_connection = True  # the client went away (e.g. after its read timeout)

	def reset_connection(self) -> None:
		"""Close with RST: SO_LINGER on with a zero timeout makes close() abort the connection."""
		self.close_connection = True
		try:
			self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
		except OSError:
			pass
		for closeable in (self.rfile, self.connection):
			try:
				closeable.close()  # rfile holds a reference to the socket: close both, or no RST
			except OSError:
				pass

	def close_quietly(self) -> None:
		"""Close without a response (a FIN, not a reset)."""
		self.close_connection = True
		try:
			self.connection.shutdown(socket.SHUT_RDWR)
		except OSError:
			pass


class _Server(ThreadingHTTPServer):
	daemon_threads = True
	block_on_close = False  # stop() must not wait for idle keep-alive connections of a client
	request_queue_size = 128
	allow_reuse_address = True

	def server_bind(self):
		# HTTPServer.server_bind does a reverse DNS lookup (getfqdn); not needed for 127.0.0.1.
		TCPServer.server_bind(self)
		host, port = self.server_address[:2]
		self.server_name = host
		self.server_port = port

	def handle_error(self, request, client_address):
		exc = sys.exc_info()[1]
		if isinstance(exc, _CONNECTION_ERRORS):
			return
		self.sim.handler_errors.append(exc)
		if self.sim.verbose:
			super().handle_error(request, client_address)


class SimulatorServer:
	"""Base class of a provider simulator: a real HTTP/1.1 server on 127.0.0.1 with a random port.

	Use it as a context manager (``with GenericJsonApi(token="t") as sim:``), send requests to
	``sim.url + "/v1/ping"``, queue misbehaviour with ``sim.faults.add(Fault.status(503, times=2))``
	and assert on what arrived with ``sim.count("GET", "/v1/ping")``.

	Subclasses register routes in :meth:`setup_routes` (``self.route("GET", "/x/{id}", self.get_x)``)
	or with :func:`handles`, and may override :meth:`check_auth`, :meth:`before_request`,
	:meth:`after_request` and :meth:`reset_state`. Handlers run on several threads at once: guard
	shared state with ``self.lock``.

	Order of handling: record the request -> apply a queued fault -> match the route (404/405) ->
	``check_auth`` (401) -> ``before_request`` (e.g. 429) -> handler -> ``after_request``.
	Every request is kept in memory (``sim.requests``) until :meth:`reset`.
	"""

	name = "simulator"
	host = "127.0.0.1"
	idle_timeout = 30.0  # seconds an idle keep-alive connection is kept open

	def __init__(self, *, port: int = 0, verbose: bool = False):
		self.port = port
		self.verbose = verbose
		self.lock = threading.RLock()
		self.faults = FaultQueue()
		self.handler_errors: list[BaseException] = []
		self._routes: list[_Route] = []
		self._requests: list[SimRequest] = []
		self._requests_lock = threading.Lock()
		self._ids = itertools.count(1)
		self._connections: set[socket.socket] = set()
		self._connections_lock = threading.Lock()
		self._stopping = threading.Event()
		self._server: _Server | None = None
		self._thread: threading.Thread | None = None
		self._collect_class_routes()
		self.setup_routes()

	# --- routes -------------------------------------------------------------------------------------

	def setup_routes(self) -> None:
		"""Register routes here (subclass hook)."""

	def route(self, method: str, template: str, handler: Callable | None = None, *, auth: bool = True):
		"""Register ``handler`` for ``METHOD template`` (``{name}``: one segment, ``{name:path}``: the rest).

		``method`` ``"*"`` matches any method. Without ``handler`` it works as a decorator.
		"""

		def register(func):
			self._routes.append(_Route(method.upper(), template, _compile_template(template), func, auth))
			return func

		return register(handler) if handler is not None else register

	def _collect_class_routes(self) -> None:
		seen = set()
		for klass in type(self).__mro__:
			for attr, value in vars(klass).items():
				if attr in seen:
					continue
				seen.add(attr)
				for method, template, auth in getattr(value, "_sim_routes", ()):
					self.route(method, template, getattr(self, attr), auth=auth)

	def _match(self, method: str, path: str) -> tuple[_Route | None, dict[str, str], list[str]]:
		allowed = []
		fallback = None
		for route in self._routes:
			m = route.pattern.match(path)
			if not m:
				continue
			params = {k: unquote(v) for k, v in m.groupdict().items()}
			if route.method in (method, "*"):
				return route, params, allowed
			if method == "HEAD" and route.method == "GET" and fallback is None:
				fallback = (route, params)
			allowed.append(route.method)
		if fallback:
			return fallback[0], fallback[1], allowed
		return None, {}, allowed

	# --- lifecycle ----------------------------------------------------------------------------------

	def start(self) -> SimulatorServer:
		if self._server is not None:
			return self
		self._stopping.clear()
		server = _Server((self.host, self.port), _Handler)
		server.sim = self
		self._server = server
		self.port = server.server_address[1]
		self._thread = threading.Thread(
			target=server.serve_forever,
			kwargs={"poll_interval": 0.05},
			name=f"{self.name}:{self.port}",
			daemon=True,
		)
		self._thread.start()
		return self

	def stop(self) -> None:
		server, self._server = self._server, None
		if server is None:
			return
		self._stopping.set()  # wakes handlers sleeping in a delay fault
		server.shutdown()
		server.server_close()
		with self._connections_lock:
			connections = list(self._connections)
		for conn in connections:
			try:
				conn.shutdown(socket.SHUT_RDWR)
			except OSError:
				pass
		if self._thread is not None:
			self._thread.join(timeout=5)
		self._thread = None
		self.port = 0

	def __enter__(self):
		return self.start()

	def __exit__(self, *exc_info):
		self.stop()

	@property
	def running(self) -> bool:
		return self._server is not None

	@property
	def url(self) -> str:
		"""``http://127.0.0.1:PORT`` (no trailing slash)."""
		if self._server is None:
			raise RuntimeError(f"{self.name} is not running; call start() or use it as a context manager")
		return f"http://{self.host}:{self.port}"

	def url_for(self, path: str, **query: Any) -> str:
		return self.url + path + (f"?{urlencode(query)}" if query else "")

	def _track(self, conn: socket.socket, add: bool) -> None:
		with self._connections_lock:
			if add:
				self._connections.add(conn)
			else:
				self._connections.discard(conn)

	def sleep(self, seconds: float) -> None:
		"""Sleep in a handler; returns early when the server stops."""
		self._stopping.wait(max(0.0, seconds))

	# --- request log --------------------------------------------------------------------------------

	@property
	def requests(self) -> list[SimRequest]:
		"""A snapshot of every request received since start (or the last reset), oldest first."""
		with self._requests_lock:
			return list(self._requests)

	def _select(self, method: str | None, path: str | None, path_prefix: str | None) -> list[SimRequest]:
		method = method.upper() if method else None
		return [
			r
			for r in self.requests
			if (method is None or r.method == method)
			and (path is None or r.path == path)
			and (path_prefix is None or r.path.startswith(path_prefix))
		]

	def count(
		self, method: str | None = None, path: str | None = None, *, path_prefix: str | None = None
	) -> int:
		"""How many requests were received (optionally with this method and exact path / prefix)."""
		return len(self._select(method, path, path_prefix))

	def last_request(
		self, method: str | None = None, path: str | None = None, *, path_prefix: str | None = None
	) -> SimRequest | None:
		found = self._select(method, path, path_prefix)
		return found[-1] if found else None

	def wait_for(self, predicate: Callable[[], bool], timeout: float = 2.0, interval: float = 0.01) -> bool:
		"""Poll ``predicate`` until it is true or ``timeout`` passes (work a handler does after a delay)."""
		deadline = time.monotonic() + timeout
		while True:
			if predicate():
				return True
			if time.monotonic() >= deadline:
				return False
			time.sleep(interval)

	def reset(self) -> None:
		"""Forget requests, faults, handler errors and the simulator's state (:meth:`reset_state`)."""
		with self._requests_lock:
			self._requests.clear()
		self.faults.clear()
		self.handler_errors.clear()
		self.reset_state()

	def reset_state(self) -> None:
		"""Subclass hook: put the provider's data back to its seed."""

	# --- hooks --------------------------------------------------------------------------------------

	def check_auth(self, request: SimRequest) -> bool:
		"""True when the request may use an ``auth=True`` route. Default: no authentication."""
		return True

	def unauthorized_response(self, request: SimRequest) -> SimResponse:
		return SimResponse.error(401, SHOPIFY_UNAUTHORIZED)

	def not_found_response(self, request: SimRequest) -> SimResponse:
		return SimResponse(404, json=dict(NOT_FOUND_BODY))

	def before_request(self, request: SimRequest) -> SimResponse | None:
		"""Runs after auth, before the handler; return a response to answer instead (e.g. 429)."""
		return None

	def after_request(self, request: SimRequest, response: SimResponse) -> SimResponse:
		"""Runs on every processed response (not on fault answers); may add headers."""
		return response

	# --- request handling ---------------------------------------------------------------------------

	def _record(self, handler: _Handler, body: bytes) -> SimRequest:
		target = handler.path
		parts = urlsplit(target)
		query_lists = parse_qs(parts.query, keep_blank_values=True)
		headers = CaseInsensitiveDict()
		for key in handler.headers.keys():
			if key not in headers:
				headers[key] = ", ".join(handler.headers.get_all(key) or [])
		request = SimRequest(
			id=next(self._ids),
			method=handler.command.upper(),
			path=unquote(parts.path) or "/",
			target=target,
			query={k: v[0] for k, v in query_lists.items()},
			query_lists=query_lists,
			headers=headers,
			body=body,
			client_address=tuple(handler.client_address[:2]),
			received_at=time.time(),
		)
		with self._requests_lock:
			self._requests.append(request)
		return request

	def _serve(self, handler: _Handler, body: bytes) -> None:
		request = self._record(handler, body)
		fault = self.faults.take(request)
		if fault is None:
			handler.write_response(self.process(request), request)
			return
		request.fault = fault.kind
		if fault.kind == "reset":
			handler.reset_connection()
		elif fault.kind == "delay":
			if fault.process == "before":
				response = self.process(request)
				self.sleep(fault.seconds)
				handler.write_response(response, request)
			elif fault.process == "never":
				self.sleep(fault.seconds)
				handler.close_quietly()
			else:
				self.sleep(fault.seconds)
				handler.write_response(self.process(request), request)
		else:
			handler.write_response(fault.response(), request)

	def process(self, request: SimRequest) -> SimResponse:
		"""Route, authenticate and run the handler (no faults). Exceptions become a 500."""
		route, params, allowed = self._match(request.method, request.path)
		if route is None:
			if allowed:
				response = SimResponse.error(
					405, "Method Not Allowed", {"Allow": ", ".join(sorted(set(allowed)))}
				)
			else:
				response = self.not_found_response(request)
			return response
		request.route = route.template
		request.path_params = params
		try:
			if route.auth and not self.check_auth(request):
				response = self.unauthorized_response(request)
			else:
				response = self.before_request(request)
				if response is None:
					response = _as_response(route.handler(request))
			response = self.after_request(request, response) or response
		except Exception as exc:
			self.handler_errors.append(exc)
			if self.verbose:
				import traceback

				traceback.print_exc()
			response = SimResponse.error(500, f"simulator handler failed: {type(exc).__name__}: {exc}")
		return response


#: Short alias.
Simulator = SimulatorServer


# --- reference simulator ----------------------------------------------------------------------------


@dataclass
class _IdempotentResult:
	fingerprint: str
	status: int | None = None  # None while the first request is still running
	body: bytes = b""
	headers: dict[str, str] = field(default_factory=dict)


class GenericJsonApi(SimulatorServer):
	"""A small JSON API that behaves like a well-run provider; used by kernel tests and benchmarks.

	- Bearer token auth (``Authorization: Bearer <token>``), 401 with Shopify's wording otherwise.
	- ``GET /v1/ping`` -> ``{"ok": true}``.
	- ``GET /v1/items?limit=N&page_info=...`` -> ``{"items": [...]}`` with cursor pagination in a
	  ``Link`` header (RFC 8288, https://www.rfc-editor.org/rfc/rfc8288; Shopify style
	  https://shopify.dev/docs/api/admin-rest/usage/pagination); ``limit`` 1..``max_limit``.
	- ``GET /v1/items/{id}`` -> ``{"item": {...}}`` or 404 ``{"errors": "Not Found"}``.
	- ``POST /v1/items`` with ``{"title": ...}`` (or ``{"item": {...}}``) -> 201 ``{"item": {...}}``;
	  422 ``{"errors": {"title": ["can't be blank"]}}`` without a title. An ``Idempotency-Key`` header
	  works like Stripe's (https://docs.stripe.com/api/idempotent_requests): the first response for a
	  key is stored and replayed for the same key and the same request with ``Idempotent-Replayed:
	  true`` (no second item); the same key with a different body is a 400 ``idempotency_error``; a
	  key whose first request is still running is a 409. Like Stripe, nothing is stored when the
	  request fails validation, so the client can fix it and retry with the same key.
	- With a :class:`RateLimitPolicy`, every response carries ``X-RateLimit-Limit`` /
	  ``X-RateLimit-Remaining`` (the de-facto names the IETF draft standardises as ``RateLimit-*``,
	  https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/), and a client going too
	  fast gets 429 with ``Retry-After`` (RFC 9110 §10.2.3). Without a policy, no rate-limit headers.

	``sim.items`` (snapshot list) tells how many items really exist; ``sim.created_items`` only the
	ones created through POST.
	"""

	name = "generic-json-api"

	def __init__(
		self,
		token: str = "test-token",
		*,
		items: int | Iterable[Mapping[str, Any]] = 10,
		rate_limit: RateLimitPolicy | None = None,
		default_limit: int = 50,
		max_limit: int = 250,
		**kwargs: Any,
	):
		self.token = token
		self.rate_limit = rate_limit
		self.default_limit = default_limit
		self.max_limit = max_limit
		self._seed = items if isinstance(items, int) else [dict(item) for item in items]
		self._items: dict[int, dict[str, Any]] = {}
		self._created: list[dict[str, Any]] = []
		self._idempotency: dict[str, _IdempotentResult] = {}
		self._next_id = 1
		super().__init__(**kwargs)
		self.reset_state()

	def setup_routes(self) -> None:
		self.route("GET", "/v1/ping", self.ping)
		self.route("GET", "/v1/items", self.list_items)
		self.route("POST", "/v1/items", self.create_item)
		self.route("GET", "/v1/items/{id}", self.get_item)

	def reset_state(self) -> None:
		with self.lock:
			self._items = {}
			self._created = []
			self._idempotency = {}
			seed = (
				[{"id": i, "title": f"Item {i}", "price": f"{i * 1.5:.2f}"} for i in range(1, self._seed + 1)]
				if isinstance(self._seed, int)
				else [dict(item) for item in self._seed]
			)
			next_id = 1
			for item in seed:
				item.setdefault("id", next_id)
				self._items[int(item["id"])] = item
				next_id = max(next_id, int(item["id"]) + 1)
			self._next_id = next_id
		if self.rate_limit is not None:
			self.rate_limit.reset()

	# --- state for assertions ---------------------------------------------------------------------

	@property
	def items(self) -> list[dict[str, Any]]:
		with self.lock:
			return [dict(item) for item in self._items.values()]

	@property
	def created_items(self) -> list[dict[str, Any]]:
		with self.lock:
			return [dict(item) for item in self._created]

	# --- hooks ------------------------------------------------------------------------------------

	def check_auth(self, request: SimRequest) -> bool:
		expected = f"Bearer {self.token}".encode()
		given = (request.headers.get("Authorization") or "").encode("utf-8", "replace")
		return hmac.compare_digest(given, expected)

	def before_request(self, request: SimRequest) -> SimResponse | None:
		if self.rate_limit is None:
			return None
		allowed, remaining, retry_after = self.rate_limit.check()
		request.context["rate_limit"] = (remaining, retry_after)
		if allowed:
			return None
		return SimResponse.error(
			429, "Too Many Requests", {"Retry-After": _format_retry_after(max(1, math.ceil(retry_after)))}
		)

	def after_request(self, request: SimRequest, response: SimResponse) -> SimResponse:
		if self.rate_limit is not None and "rate_limit" in request.context:
			remaining, retry_after = request.context["rate_limit"]
			for key, value in self.rate_limit.headers(remaining, retry_after).items():
				response.headers.setdefault(key, value)
		return response

	# --- handlers ---------------------------------------------------------------------------------

	def ping(self, request: SimRequest) -> SimResponse:
		return SimResponse(json={"ok": True, "service": self.name})

	def list_items(self, request: SimRequest) -> SimResponse:
		try:
			limit = int(request.query.get("limit") or self.default_limit)
		except ValueError:
			limit = -1
		if not 1 <= limit <= self.max_limit:
			return SimResponse.error(400, f"limit must be between 1 and {self.max_limit}")
		page_info = request.query.get("page_info") or None
		with self.lock:
			items = list(self._items.values())
		try:
			page, next_info = paginate(items, limit, page_info)
			previous_info = previous_page_info(limit, page_info)
		except ValueError:
			return SimResponse.error(400, "Invalid page_info")
		headers = {}
		link = build_link_header(self.url + request.path, next_info, previous_info, {"limit": limit})
		if link:
			headers["Link"] = link
		return SimResponse(json={"items": page}, headers=headers)

	def get_item(self, request: SimRequest) -> SimResponse:
		try:
			item_id = int(request.path_params["id"])
		except ValueError:
			return self.not_found_response(request)
		with self.lock:
			item = self._items.get(item_id)
			item = dict(item) if item is not None else None
		if item is None:
			return self.not_found_response(request)
		return SimResponse(json={"item": item})

	def create_item(self, request: SimRequest) -> SimResponse:
		key = request.headers.get("Idempotency-Key")
		if key:
			fingerprint = self._fingerprint(request)
			with self.lock:
				stored = self._idempotency.get(key)
				if stored is None:
					self._idempotency[key] = _IdempotentResult(fingerprint)
			if stored is not None:
				return self._replay(key, stored, fingerprint)
		response = self._create(request)
		if key:
			with self.lock:
				if response.status in (400, 422):
					self._idempotency.pop(key, None)  # validation failed: nothing saved (Stripe)
				else:
					body, default_type = response.payload()
					headers = dict(response.headers)
					if default_type:
						headers.setdefault("Content-Type", default_type)
					self._idempotency[key] = _IdempotentResult(fingerprint, response.status, body, headers)
		return response

	def _replay(self, key: str, stored: _IdempotentResult, fingerprint: str) -> SimResponse:
		if stored.fingerprint != fingerprint:
			return SimResponse(
				400,
				json={
					"error": {
						"type": "idempotency_error",
						"message": (
							"Keys for idempotent requests can only be used with the same parameters they were"
							f" first used with. Try using a key other than '{key}' if you meant to execute a"
							" different request."
						),
					}
				},
			)
		if stored.status is None:
			return SimResponse(
				409,
				json={
					"error": {
						"type": "idempotency_error",
						"message": "A request with this key is in progress.",
					}
				},
				headers={"Retry-After": "1"},
			)
		return SimResponse(
			stored.status, body=stored.body, headers={**stored.headers, "Idempotent-Replayed": "true"}
		)

	@staticmethod
	def _fingerprint(request: SimRequest) -> str:
		try:
			canonical = jsonlib.dumps(request.json(), sort_keys=True, separators=(",", ":")).encode()
		except ValueError:
			canonical = request.body
		return hashlib.sha256(
			request.method.encode() + b" " + request.path.encode() + b"\n" + canonical
		).hexdigest()

	def _create(self, request: SimRequest) -> SimResponse:
		try:
			data = request.json()
		except ValueError:
			return SimResponse.error(400, "body is not valid JSON")
		if isinstance(data, dict) and isinstance(data.get("item"), dict):
			data = data["item"]
		if not isinstance(data, dict):
			return SimResponse.error(400, "body must be a JSON object")
		title = data.get("title")
		if not isinstance(title, str) or not title.strip():
			return SimResponse.error(422, {"title": ["can't be blank"]})
		with self.lock:
			item = {**{k: v for k, v in data.items() if k != "id"}, "id": self._next_id}
			self._next_id += 1
			self._items[item["id"]] = item
			self._created.append(item)
			item = dict(item)
		return SimResponse(
			201, json={"item": item}, headers={"Location": f"{self.url}/v1/items/{item['id']}"}
		)
