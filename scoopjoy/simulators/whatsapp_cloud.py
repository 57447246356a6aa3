"""Simulator of the WhatsApp Business Cloud API (Graph API) messages endpoint and its webhooks.

Followed:
- messages: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
  (``POST /{version}/{phone-number-id}/messages``, Bearer token, answer with ``contacts`` and
  ``messages[0].id`` = ``wamid...``);
- errors: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
  (401 + OAuthException code 190 for a bad token; 400 + 132001 unknown template, 132000 wrong
  parameter count, 131047 free text outside the 24-hour window, 131026 undeliverable; 400 +
  130429 when the sender's throughput is exceeded — Meta answers throughput errors with HTTP 400
  and the code, which is why classification looks at the code and not only at the status);
- webhooks: https://developers.facebook.com/docs/graph-api/webhooks/getting-started and the
  Cloud API payload examples (``entry[].changes[].value.statuses[]``), signed with
  ``X-Hub-Signature-256: sha256=<hex HMAC of the raw body with the app secret>``.
"""

from __future__ import annotations

import itertools
import json
import threading

import requests

from scoopjoy.kernel.signatures import META_SIGNATURE_HEADER, sign_meta
from scoopjoy.simulators.harness import RateLimitPolicy, SimRequest, SimResponse, SimulatorServer


def graph_error(status: int, code: int, message: str, error_type: str = "OAuthException") -> SimResponse:
	return SimResponse(
		status,
		json={"error": {"message": message, "type": error_type, "code": code, "fbtrace_id": "AbCdSimTrace"}},
	)


class WhatsAppCloudSimulator(SimulatorServer):
	def __init__(
		self,
		*,
		access_token: str,
		phone_number_id: str,
		app_secret: str,
		templates: dict[str, dict] | None = None,
		version: str = "v23.0",
		messages_per_second: float = 80,
		**kwargs,
	):
		self.access_token = access_token
		self.phone_number_id = phone_number_id
		self.app_secret = app_secret
		self.templates = templates or {}
		self.version = version
		self.messages_per_second = messages_per_second
		self._state_lock = threading.Lock()
		super().__init__(**kwargs)
		self.reset_state()

	def reset_state(self) -> None:
		self.sent: list[dict] = []  # accepted message bodies, in order
		self.opted_in: set[str] = set()  # numbers that wrote to us in the last 24 h (free text allowed)
		self.throughput = RateLimitPolicy(
			capacity=self.messages_per_second, refill_per_second=self.messages_per_second
		)
		self._wamids = itertools.count(1)

	def setup_routes(self) -> None:
		self.route("POST", "/{version}/{phone_id}/messages", self._messages)

	def check_auth(self, request: SimRequest) -> bool:
		return request.header("Authorization") == f"Bearer {self.access_token}"

	def unauthorized_response(self, request: SimRequest) -> SimResponse:
		return graph_error(401, 190, "Error validating access token: The session has expired.")

	def _messages(self, request: SimRequest) -> SimResponse:
		if request.path_params["phone_id"] != self.phone_number_id:
			return graph_error(
				400, 100, "Unsupported post request. Object does not exist.", "GraphMethodException"
			)
		try:
			body = request.json()
		except ValueError:
			return graph_error(400, 100, "Invalid parameter: body is not JSON")
		if body.get("messaging_product") != "whatsapp":
			return graph_error(400, 100, "(#100) The parameter messaging_product is required.")
		to = str(body.get("to") or "")
		if not to.isdigit() or not 8 <= len(to) <= 15:
			return graph_error(400, 131026, "Message Undeliverable.")
		allowed, _remaining, _wait = self.throughput.check()
		if not allowed:
			return graph_error(400, 130429, "Rate limit hit: throughput exceeded for this phone number.")
		problem = self._validate_content(body, to)
		if problem:
			return problem
		with self._state_lock:
			wamid = f"wamid.SIM{next(self._wamids):08d}"
			self.sent.append(body)
		return SimResponse(
			200,
			json={
				"messaging_product": "whatsapp",
				"contacts": [{"input": to, "wa_id": to}],
				"messages": [{"id": wamid}],
			},
		)

	def _validate_content(self, body: dict, to: str) -> SimResponse | None:
		kind = body.get("type")
		if kind == "template":
			template = body.get("template") or {}
			spec = self.templates.get(template.get("name"))
			language = (template.get("language") or {}).get("code")
			if not spec or spec.get("language", language) != language:
				return graph_error(
					400, 132001, f"(#132001) Template name does not exist in the translation ({language})"
				)
			parameters = [p for c in template.get("components") or [] for p in c.get("parameters") or []]
			if len(parameters) != spec.get("param_count", len(parameters)):
				return graph_error(
					400, 132000, "(#132000) Number of parameters does not match the expected number of params"
				)
			for parameter in parameters:
				text = str(parameter.get("text", ""))
				if "\n" in text or "\t" in text or "     " in text:
					return graph_error(
						400, 132018, "(#132018) There was an issue with the parameters in your template."
					)
			return None
		if kind == "text":
			if to not in self.opted_in:
				return graph_error(
					400, 131047, "Re-engagement message: more than 24 hours since the customer last replied."
				)
			return None
		return graph_error(400, 100, f"(#100) Unsupported message type {kind!r}")

	# --- webhooks -------------------------------------------------------------------------------

	def status_payload(self, wamid: str, status: str, timestamp: int, recipient: str, errors=None) -> dict:
		entry = {"id": wamid, "status": status, "timestamp": str(timestamp), "recipient_id": recipient}
		if errors:
			entry["errors"] = errors
		return {
			"object": "whatsapp_business_account",
			"entry": [
				{
					"id": "WABA_ID",
					"changes": [
						{
							"field": "messages",
							"value": {
								"messaging_product": "whatsapp",
								"metadata": {
									"display_phone_number": "15550000000",
									"phone_number_id": self.phone_number_id,
								},
								"statuses": [entry],
							},
						}
					],
				}
			],
		}

	def status_webhook(
		self, wamid: str, status: str, timestamp: int, recipient: str, errors=None
	) -> tuple[bytes, dict]:
		"""A signed delivery, as Meta would POST it: (raw body, headers)."""
		raw = json.dumps(self.status_payload(wamid, status, timestamp, recipient, errors)).encode()
		return raw, {
			META_SIGNATURE_HEADER: sign_meta(raw, self.app_secret),
			"Content-Type": "application/json",
		}

	def status_sequence(
		self,
		wamid: str,
		recipient: str,
		order=("sent", "read", "delivered"),
		duplicate: bool = True,
		start: int = 1_700_000_000,
	) -> list[tuple[bytes, dict]]:
		"""Deliveries in the given (possibly wrong) order; timestamps follow the true order sent<delivered<read."""
		true_time = {"sent": start, "delivered": start + 5, "read": start + 60, "failed": start + 5}
		deliveries = [self.status_webhook(wamid, s, true_time[s], recipient) for s in order]
		if duplicate and deliveries:
			deliveries.append(deliveries[-1])
		return deliveries

	@staticmethod
	def deliver(url: str, raw_body: bytes, headers: dict, timeout: float = 5) -> requests.Response:
		return requests.post(url, data=raw_body, headers=headers, timeout=timeout)
