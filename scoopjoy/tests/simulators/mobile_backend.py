"""Simulator of ScoopJoy's franchise mobile app backend (our own API, documented here).

``X-API-Key`` auth (401 ``{"error": "invalid api key"}``), JSON bodies, and the endpoints the
seed chapter's ``MobileAppConnector`` calls: ``GET /api/v1/health``, ``POST /api/v1/menu/sync``,
``POST /api/v1/outlets/sync``, ``POST /api/v1/orders/status``. POSTs honour ``Idempotency-Key``
the way Stripe documents it (https://docs.stripe.com/api/idempotent_requests): a replay returns
the first answer and is not applied twice. Faults come from the harness.
"""

from __future__ import annotations

import json
import threading

from scoopjoy.tests.simulators.harness import SimRequest, SimResponse, SimulatorServer


class MobileBackendSimulator(SimulatorServer):
	def __init__(self, api_key: str = "mobile-test-key", **kwargs):
		self.api_key = api_key
		self._state_lock = threading.Lock()
		super().__init__(**kwargs)
		self.reset_state()

	def reset_state(self) -> None:
		self.received: list[tuple[str, dict]] = []  # (path, body) applied, in order
		self._replays: dict[str, tuple[str, SimResponse]] = {}

	def setup_routes(self) -> None:
		self.route("GET", "/api/v1/health", lambda request: {"status": "ok"})
		for path in ("/api/v1/menu/sync", "/api/v1/outlets/sync", "/api/v1/orders/status"):
			self.route("POST", path, self._accept)

	def check_auth(self, request: SimRequest) -> bool:
		return request.header("X-API-Key") == self.api_key

	def unauthorized_response(self, request: SimRequest) -> SimResponse:
		return SimResponse(401, json={"error": "invalid api key"})

	def _accept(self, request: SimRequest) -> SimResponse:
		try:
			body = request.json()
		except ValueError:
			return SimResponse(400, json={"error": "body is not JSON"})
		key = request.header("Idempotency-Key")
		fingerprint = json.dumps(body, sort_keys=True)
		with self._state_lock:
			if key and key in self._replays:
				seen, response = self._replays[key]
				if seen != fingerprint:
					return SimResponse(400, json={"error": "idempotency key reused with another body"})
				return SimResponse(
					response.status, json=response.json, headers={"Idempotent-Replayed": "true"}
				)
			self.received.append((request.path, body))
			response = SimResponse(200, json={"accepted": True, "sequence": len(self.received)})
			if key:
				self._replays[key] = (fingerprint, response)
		return response
