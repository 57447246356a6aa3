"""Simulator of Slack incoming webhooks (https://api.slack.com/messaging/webhooks).

``POST /services/{team}/{bot}/{secret}`` with a JSON body that has ``text`` or ``blocks``:
``200`` with the plain-text body ``ok``. Errors follow Slack's documented plain-text bodies
(https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks):
``400 invalid_payload`` (not JSON), ``400 no_text`` (neither text nor blocks),
``403 invalid_token`` (wrong secret), ``404 no_service`` (a revoked webhook), ``410
channel_is_archived``. Posting faster than the limit (about one message per second per webhook,
short bursts allowed: https://api.slack.com/apis/rate-limits) gets ``429`` with ``Retry-After``.
Other faults (5xx bursts, resets, timeouts) come from the harness.
"""

from __future__ import annotations

import threading

from scoopjoy.tests.simulators.harness import RateLimitPolicy, SimRequest, SimResponse, SimulatorServer


class SlackWebhookSimulator(SimulatorServer):
	team = "T0SCOOPJOY"
	bot = "B0ALERTS01"

	def __init__(self, secret: str = "XtestSecretForScoopJoyAlerts", burst: int = 5, **kwargs):
		self.secret = secret
		self.revoked = False
		self.archived = False
		self._limit = RateLimitPolicy(capacity=burst, refill_per_second=1.0)
		self._state_lock = threading.Lock()
		self.messages: list[dict] = []
		super().__init__(**kwargs)

	@property
	def webhook_path(self) -> str:
		return f"/services/{self.team}/{self.bot}/{self.secret}"

	@property
	def webhook_url(self) -> str:
		return self.url_for(self.webhook_path)

	def setup_routes(self) -> None:
		# the secret is in the path: no header auth to check
		self.route("POST", "/services/{team}/{bot}/{secret}", self._post, auth=False)

	def _post(self, request: SimRequest) -> SimResponse:
		params = request.path_params
		if (params["team"], params["bot"]) != (self.team, self.bot) or self.revoked:
			return _plain(404, "no_service")
		if params["secret"] != self.secret:
			return _plain(403, "invalid_token")
		if self.archived:
			return _plain(410, "channel_is_archived")
		try:
			body = request.json()
		except ValueError:
			return _plain(400, "invalid_payload")
		if not isinstance(body, dict):
			return _plain(400, "invalid_payload")
		if not body.get("text") and not body.get("blocks"):
			return _plain(400, "no_text")
		allowed, _remaining, wait = self._limit.check()
		if not allowed:
			return SimResponse(429, body="rate_limited", headers={"Retry-After": str(max(1, round(wait)))})
		with self._state_lock:
			self.messages.append(body)
		return _plain(200, "ok")


def _plain(status: int, text: str) -> SimResponse:
	return SimResponse(status, body=text, headers={"Content-Type": "text/plain; charset=utf-8"})
