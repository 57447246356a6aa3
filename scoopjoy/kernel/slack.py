"""Slack incoming webhooks: the message we post and what Slack's answers mean.

https://api.slack.com/messaging/webhooks — POST JSON to the webhook URL; ``200 ok`` on success.
The URL itself is the credential (anyone holding it can post), so it is stored as a Password and
its secret path is masked in logs (``masking.mask_url``).
Errors are plain-text bodies with a status
(https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks): a revoked
webhook or an archived channel is something to fix in Settings, not to retry; ``429`` carries
``Retry-After`` (about one message per second per webhook: https://api.slack.com/apis/rate-limits).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from scoopjoy.kernel.errors import FailureType

#: Slack's error bodies that mean "fix the webhook in Settings"
CONFIG_ERRORS = frozenset(
	{
		"no_service",
		"no_team",
		"invalid_token",
		"action_prohibited",
		"channel_not_found",
		"channel_is_archived",
		"team_disabled",
		"invalid_team",
		"posting_to_general_channel_denied",
		"user_not_found",
	}
)

#: Slack limits a section's text to 3000 characters
SECTION_TEXT_LIMIT = 3000


def slack_response_rule(response: requests.Response) -> FailureType | None:
	if response.status_code < 400:
		return None
	if response.text.strip() in CONFIG_ERRORS:
		return FailureType.CONFIG
	return None  # the status decides (429 rate limited, 5xx transient, 400 a bad payload)


def webhook_origin(url: str) -> str:
	"""The transport's base URL; the webhook URL itself is posted to as an absolute URL (no slash
	is appended to its secret path, and the transport refuses any other host)."""
	parts = urlsplit(url)
	return f"{parts.scheme}://{parts.netloc}"


def escape_mrkdwn(text: str) -> str:
	"""Slack treats ``<``, ``>`` and ``&`` as control characters
	(https://api.slack.com/reference/surfaces/formatting#escaping)."""
	return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def alert_message(title: str, text: str, link: str | None = None) -> dict:
	"""A message with a plain ``text`` fallback (notifications) and one formatted section."""
	body = f"*{escape_mrkdwn(title)}*\n{escape_mrkdwn(text)}"
	if link:
		body += f"\n<{link}|Open in ERPNext>"
	if len(body) > SECTION_TEXT_LIMIT:
		body = body[: SECTION_TEXT_LIMIT - 1] + "…"
	return {
		"text": f"{title}: {text}"[:SECTION_TEXT_LIMIT],
		"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body}}],
	}
