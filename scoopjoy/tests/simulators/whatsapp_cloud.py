"""Simulator of the WhatsApp Business Cloud API messages endpoint and of Meta's signed webhooks.

The connector's worth shows in how it handles Meta's refusals, which all look alike at the HTTP
level (400), and webhooks that arrive twice and out of order; this server produces both on cue.

Followed:

- messages: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
  ``POST /{version}/{phone-number-id}/messages`` with ``Authorization: Bearer <token>``; the answer
  is ``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id":
  "wamid..."}]}`` (templates add ``"message_status": "accepted"``).
- errors: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes, in the Graph
  error shape ``{"error": {"message", "type", "code", "error_data": {"messaging_product",
  "details"}, "fbtrace_id"}}``:

  - 401 + ``OAuthException`` code 190 for a missing or wrong token;
  - 400 + 100 for a bad body, a ``to`` that is not digits, or a template parameter with a new
    line, tab or more than 4 consecutive spaces ("Param text cannot have new-line/tab characters
    or more than 4 consecutive spaces", https://github.com/netflie/whatsapp-cloud-api/issues/201);
    400 + 100 with ``error_subcode`` 33 for an unknown phone number id;
  - 400 + 132001 for a template that does not exist in that language, 132000 for a wrong
    parameter count;
  - 400 + 131047 for free text to a number outside its 24-hour window (``sim.opted_in`` holds the
    numbers that wrote to us; :meth:`customer_writes` adds one). Real Meta often accepts such a
    message and reports 131047 later in a ``failed`` status webhook; the synchronous answer keeps
    tests short, and ``status_webhook(..., "failed", errors=[...])`` covers the webhook path;
  - 400 + 131026 for numbers in ``sim.not_on_whatsapp``;
  - 400 + 130429 when the sender's throughput is exceeded (a token bucket per phone number id,
    ``messages_per_second``). Meta lists its throttling codes with HTTP 400 (some integrators
    report 429); we answer 400 on purpose, so that only a classifier that reads the code
    retries it, and one that reads only the status is caught dead-lettering it;
  - optional pair rate limit (``pair_rate_limit=(burst, per_second)``): 400 + 131056 when one
    customer gets messages too fast (Meta: about one every 6 seconds).
- webhooks: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
  (``entry[].changes[].value.statuses[]`` / ``messages[]``), signed with ``X-Hub-Signature-256:
  sha256=<hex HMAC-SHA256 of the raw body with the app secret>``
  (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads).
  Meta escapes non-ASCII in the JSON it signs; so do we (``ensure_ascii``).

Faults queued on ``sim.faults`` (503, resets, delays...) apply before any of this, as in every
simulator of the harness.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import requests

from scoopjoy.connectors.whatsapp.constants import DEFAULT_GRAPH_API_VERSION, DEFAULT_THROUGHPUT_PER_SECOND
from scoopjoy.kernel.signatures import META_SIGNATURE_HEADER, sign_meta
from scoopjoy.tests.simulators.harness import RateLimitPolicy, SimRequest, SimResponse, SimulatorServer

WABA_ID = "102290129340398"
DISPLAY_PHONE_NUMBER = "15550783881"
_FORBIDDEN_IN_PARAMETERS = ("\n", "\t", "     ")  # a new line, a tab, 5 spaces in a row


def graph_error(
	status: int,
	code: int,
	message: str,
	error_type: str = "OAuthException",
	*,
	details: str | None = None,
	subcode: int | None = None,
) -> SimResponse:
	"""A Graph API error response as Meta sends it (a fresh ``fbtrace_id`` each time)."""
	error: dict[str, Any] = {
		"message": message,
		"type": error_type,
		"code": code,
		"error_data": {"messaging_product": "whatsapp", "details": details or message},
		"fbtrace_id": "A" + uuid.uuid4().hex[:22],
	}
	if subcode is not None:
		error["error_subcode"] = subcode
	return SimResponse(status, json={"error": error})


class WhatsAppCloudSimulator(SimulatorServer):
	"""The Cloud API for one business phone number; see the module docstring for what it checks.

	State (reset by :meth:`reset`): ``sent`` (accepted message bodies, in order), ``messages``
	(wamid -> body), ``opted_in`` (numbers whose 24-hour window is open), ``not_on_whatsapp``.
	"""

	name = "whatsapp-cloud"

	def __init__(
		self,
		access_token: str,
		phone_number_id: str,
		app_secret: str,
		templates: Mapping[str, Mapping[str, Any]] | None = None,
		version: str = DEFAULT_GRAPH_API_VERSION,
		*,
		messages_per_second: float = DEFAULT_THROUGHPUT_PER_SECOND,
		pair_rate_limit: tuple[float, float] | None = None,
		**kwargs: Any,
	):
		"""``templates``: name -> ``{"language": "en_US", "param_count": 4}`` (the approved ones)."""
		self.access_token = access_token
		self.phone_number_id = str(phone_number_id)
		self.app_secret = app_secret
		self.templates = {name: dict(spec) for name, spec in (templates or {}).items()}
		self.version = version
		self.messages_per_second = messages_per_second
		self.pair_rate_limit = pair_rate_limit
		self._state_lock = threading.Lock()
		super().__init__(**kwargs)
		self.reset_state()

	def reset_state(self) -> None:
		with self._state_lock:
			self.sent: list[dict] = []
			self.messages: dict[str, dict] = {}
			self.opted_in: set[str] = set()
			self.not_on_whatsapp: set[str] = set()
			self._throughput: dict[str, RateLimitPolicy] = {}
			self._pairs: dict[tuple[str, str], RateLimitPolicy] = {}

	def setup_routes(self) -> None:
		self.route("POST", "/{version}/{phone_id}/messages", self._messages)

	def check_auth(self, request: SimRequest) -> bool:
		return request.header("Authorization") == f"Bearer {self.access_token}"

	def unauthorized_response(self, request: SimRequest) -> SimResponse:
		return graph_error(
			401,
			190,
			"Error validating access token: Session has expired or the token is invalid.",
			details="The access token is missing, expired or revoked.",
		)

	# --- limiters ------------------------------------------------------------------------------------

	def throughput(self, phone_number_id: str | None = None) -> RateLimitPolicy:
		"""The sender's token bucket (one per business phone number, as Meta counts it)."""
		sender = phone_number_id or self.phone_number_id
		with self._state_lock:
			if sender not in self._throughput:
				rate = self.messages_per_second
				self._throughput[sender] = RateLimitPolicy(capacity=rate, refill_per_second=rate)
			return self._throughput[sender]

	def _pair(self, sender: str, to: str) -> RateLimitPolicy | None:
		if not self.pair_rate_limit:
			return None
		burst, per_second = self.pair_rate_limit
		with self._state_lock:
			return self._pairs.setdefault(
				(sender, to), RateLimitPolicy(capacity=burst, refill_per_second=per_second)
			)

	# --- the messages endpoint -------------------------------------------------------------------------

	def _messages(self, request: SimRequest) -> SimResponse:
		sender = request.path_params["phone_id"]
		if sender != self.phone_number_id:
			return graph_error(
				400,
				100,
				f"Unsupported post request. Object with ID '{sender}' does not exist, cannot be loaded due"
				" to missing permissions, or does not support this operation.",
				"GraphMethodException",
				subcode=33,
			)
		try:
			body = request.json()
		except ValueError:
			return graph_error(400, 100, "(#100) Invalid parameter", details="The request body is not JSON.")
		if not isinstance(body, dict):
			return graph_error(
				400, 100, "(#100) Invalid parameter", details="The body must be a JSON object."
			)
		if body.get("messaging_product") != "whatsapp":
			return graph_error(
				400, 100, "(#100) The parameter messaging_product is required.", details="messaging_product"
			)
		if body.get("recipient_type", "individual") not in ("individual", "group"):
			return graph_error(400, 100, "(#100) Invalid parameter", details="recipient_type")
		to = str(body.get("to") or "")
		if not to.isdigit() or not 8 <= len(to) <= 15:
			return graph_error(
				400, 100, "(#100) Invalid parameter", details="'to' must be the E.164 number in digits"
			)
		allowed, _remaining, _wait = self.throughput(sender).check()
		if not allowed:
			return graph_error(
				400,
				130429,
				"(#130429) Rate limit hit",
				details="Cloud API message throughput has been reached for this phone number.",
			)
		pair = self._pair(sender, to)
		if pair is not None and not pair.check()[0]:
			return graph_error(
				400,
				131056,
				"(#131056) (Business Account, Consumer Account) pair rate limit hit",
				details="Too many messages sent from this phone number to the same phone number in a short time.",
			)
		problem = self._validate_content(body, to)
		if problem is not None:
			return problem
		if to in self.not_on_whatsapp:
			return graph_error(
				400, 131026, "(#131026) Message Undeliverable.", details="The recipient cannot receive it."
			)
		wamid = "wamid.HBgM" + uuid.uuid4().hex.upper()
		with self._state_lock:
			self.sent.append(body)
			self.messages[wamid] = body
		message: dict[str, Any] = {"id": wamid}
		if body.get("type") == "template":
			message["message_status"] = "accepted"
		return SimResponse(
			200,
			json={
				"messaging_product": "whatsapp",
				"contacts": [{"input": to, "wa_id": to}],
				"messages": [message],
			},
		)

	def _validate_content(self, body: dict, to: str) -> SimResponse | None:
		kind = body.get("type", "text")
		if kind == "template":
			return self._validate_template(body.get("template"))
		if kind == "text":
			text = body.get("text") if isinstance(body.get("text"), dict) else {}
			if not str(text.get("body") or "").strip():
				return graph_error(
					400, 131008, "(#131008) Required parameter is missing", details="text.body is required"
				)
			if len(str(text.get("body"))) > 4096:
				return graph_error(
					400, 131009, "(#131009) Parameter value is not valid", details="text.body is too long"
				)
			if to not in self.opted_in:
				return graph_error(
					400,
					131047,
					"(#131047) Re-engagement message",
					details="Message failed to send because more than 24 hours have passed since the"
					" customer last replied to this number.",
				)
			return None
		return graph_error(400, 131051, "(#131051) Unsupported message type", details=f"type {kind!r}")

	def _validate_template(self, template: Any) -> SimResponse | None:
		if not isinstance(template, dict) or not template.get("name"):
			return graph_error(
				400, 131008, "(#131008) Required parameter is missing", details="template.name"
			)
		name = template.get("name")
		language = (
			(template.get("language") or {}).get("code")
			if isinstance(template.get("language"), dict)
			else None
		)
		spec = self.templates.get(name)
		if spec is None or spec.get("language", language) != language:
			return graph_error(
				400,
				132001,
				"(#132001) Template name does not exist in the translation",
				details=f"template name ({name}) does not exist in {language}",
			)
		parameters = [
			parameter
			for component in template.get("components") or []
			if isinstance(component, dict)
			for parameter in component.get("parameters") or []
		]
		expected = spec.get("param_count")
		if expected is not None and len(parameters) != expected:
			return graph_error(
				400,
				132000,
				"(#132000) Number of parameters does not match the expected number of params",
				details=f"body: number of localizable_params ({len(parameters)}) does not match the"
				f" expected number of params ({expected})",
			)
		for parameter in parameters:
			text = str(parameter.get("text", "")) if isinstance(parameter, dict) else ""
			if not text:
				return graph_error(
					400, 131008, "(#131008) Required parameter is missing", details="Parameter text is empty"
				)
			if any(bad in text for bad in _FORBIDDEN_IN_PARAMETERS):
				return graph_error(
					400,
					100,
					"(#100) Invalid parameter",
					details="Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
				)
		return None

	# --- the customer's side --------------------------------------------------------------------------

	def customer_writes(
		self, sender: str, text: str = "Hi", timestamp: int | None = None
	) -> tuple[bytes, dict[str, str]]:
		"""A customer messages us: their 24-hour window opens; returns the signed inbound webhook."""
		with self._state_lock:
			self.opted_in.add(str(sender))
		return self.inbound_message_webhook(sender, text, timestamp)

	# --- webhooks ----------------------------------------------------------------------------------------

	def _envelope(self, value: dict) -> dict:
		return {
			"object": "whatsapp_business_account",
			"entry": [
				{
					"id": WABA_ID,
					"changes": [
						{
							"value": {
								"messaging_product": "whatsapp",
								"metadata": {
									"display_phone_number": DISPLAY_PHONE_NUMBER,
									"phone_number_id": self.phone_number_id,
								},
								**value,
							},
							"field": "messages",
						}
					],
				}
			],
		}

	def status_payload(
		self,
		wamid: str,
		status: str,
		timestamp: int,
		recipient: str,
		errors: Sequence[dict] | None = None,
	) -> dict:
		"""The webhook body Meta posts when one of our messages changes status."""
		entry: dict[str, Any] = {
			"id": wamid,
			"status": status,
			"timestamp": str(int(timestamp)),
			"recipient_id": recipient,
		}
		if status in ("sent", "delivered"):
			entry["pricing"] = {
				"billable": True,
				"pricing_model": "PMP",
				"category": "utility",
				"type": "regular",
			}
		if errors:
			entry["errors"] = [dict(e) for e in errors]
		return self._envelope({"statuses": [entry]})

	def inbound_payload(
		self, sender: str, text: str, timestamp: int | None = None, name: str = "Customer"
	) -> dict:
		ts = int(timestamp if timestamp is not None else time.time())
		return self._envelope(
			{
				"contacts": [{"profile": {"name": name}, "wa_id": sender}],
				"messages": [
					{
						"from": sender,
						"id": "wamid.HBgM" + uuid.uuid4().hex.upper(),
						"timestamp": str(ts),
						"type": "text",
						"text": {"body": text},
					}
				],
			}
		)

	def sign(self, payload: dict | bytes) -> tuple[bytes, dict[str, str]]:
		"""``(raw body, headers)`` as Meta would POST them: JSON with non-ASCII escaped, signed."""
		raw = (
			payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=True).encode("ascii")
		)
		return raw, {
			META_SIGNATURE_HEADER: sign_meta(raw, self.app_secret),
			"Content-Type": "application/json",
		}

	def status_webhook(
		self,
		wamid: str,
		status: str,
		timestamp: int,
		recipient: str,
		errors: Sequence[dict] | None = None,
	) -> tuple[bytes, dict[str, str]]:
		"""A signed status delivery: ``(raw body, headers)``."""
		return self.sign(self.status_payload(wamid, status, timestamp, recipient, errors))

	def inbound_message_webhook(
		self, sender: str, text: str = "Hi", timestamp: int | None = None
	) -> tuple[bytes, dict[str, str]]:
		"""A signed delivery of a message a customer sent us."""
		return self.sign(self.inbound_payload(sender, text, timestamp))

	def status_sequence(
		self,
		wamid: str,
		recipient: str,
		order: Iterable[str] = ("sent", "read", "delivered"),
		duplicate: bool = True,
		start: int = 1_700_000_000,
	) -> list[tuple[bytes, dict[str, str]]]:
		"""Signed deliveries in the given (possibly wrong) arrival ``order``.

		Timestamps follow what really happened (sent, delivered 5 s later, read 60 s later, failed
		5 s after sent), whatever the arrival order. ``duplicate`` sends the last delivery twice,
		byte for byte, as Meta does when our endpoint was slow to answer.
		"""
		true_time = {"sent": start, "delivered": start + 5, "read": start + 60, "failed": start + 5}
		deliveries = []
		for status in order:
			errors = None
			if status == "failed":
				errors = [
					{
						"code": 131026,
						"title": "Message undeliverable",
						"message": "Message undeliverable",
						"error_data": {"details": "Message Undeliverable."},
					}
				]
			deliveries.append(
				self.status_webhook(wamid, status, true_time.get(status, start), recipient, errors)
			)
		if duplicate and deliveries:
			deliveries.append(deliveries[-1])
		return deliveries

	@staticmethod
	def deliver(
		url: str, raw_body: bytes, headers: Mapping[str, str], timeout: float = 5
	) -> requests.Response:
		"""POST a delivery to a receiver (our webhook endpoint in tests), as Meta would."""
		return requests.post(url, data=raw_body, headers=dict(headers), timeout=timeout)
