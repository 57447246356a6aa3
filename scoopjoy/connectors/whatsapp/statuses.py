"""Message status webhooks: parsed, and applied only forward in time.

Meta delivers statuses late, twice, and out of order (``read`` before ``delivered``). A status is
applied when it moves forward (sent < delivered < read), or is the same status with a newer
timestamp; ``failed`` applies unless the customer already has the message (delivered/read).
Payload: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scoopjoy.connectors.whatsapp.constants import STATUS_RANK


@dataclass(frozen=True)
class StatusEvent:
	message_id: str
	recipient_id: str
	status: str
	timestamp: int
	errors: list = field(default_factory=list)


def should_apply(current_status: str | None, current_ts: int, new_status: str, new_ts: int) -> bool:
	current = (current_status or "").lower()
	new = (new_status or "").lower()
	if new == "failed":
		return current not in ("delivered", "read", "failed") or (current == "failed" and new_ts > current_ts)
	if new not in STATUS_RANK:
		return False
	if current == "failed":
		return new_ts > current_ts  # a later delivery report beats an earlier failure
	current_rank = STATUS_RANK.get(current, 0)
	if STATUS_RANK[new] != current_rank:
		return STATUS_RANK[new] > current_rank
	return new_ts > current_ts


def parse_status_webhook(payload: dict) -> list[StatusEvent]:
	events = []
	for entry in (payload or {}).get("entry") or []:
		for change in entry.get("changes") or []:
			value = change.get("value") or {}
			for status in value.get("statuses") or []:
				try:
					events.append(
						StatusEvent(
							message_id=str(status["id"]),
							recipient_id=str(status.get("recipient_id") or ""),
							status=str(status["status"]).lower(),
							timestamp=int(status.get("timestamp") or 0),
							errors=list(status.get("errors") or []),
						)
					)
				except (KeyError, TypeError, ValueError):
					continue  # a malformed entry is skipped; the others still apply
	return events
