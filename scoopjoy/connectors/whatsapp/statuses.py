"""Message status webhooks: parsed from Meta's payload, and applied only forward.

Why a rule: Meta delivers status webhooks late, more than once and out of order (``read`` before
``delivered``; ``delivered`` is even skipped when a message is read at once), and a customer
with several devices can produce ``delivered`` and ``failed`` for the same message. Applying them
in arrival order would show "Delivered" on an order the customer has read. :func:`should_apply`:

- sent < delivered < read: a status that moves forward is applied, one that moves back is not;
- the same status again is applied only with a newer timestamp (a duplicate changes nothing);
- ``failed`` is applied unless the customer already has the message (delivered/read); after
  ``failed``, a sent/delivered/read report is applied only when it is newer than the failure;
- an unknown status (a future one, "deleted", "played" for voice) changes nothing.

Payload: ``entry[].changes[].value.statuses[]`` for our messages, ``value.messages[]`` for what
customers send us (which opens the 24-hour window), ``value.errors[]`` for account-level errors.
https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
Pure Python: no frappe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scoopjoy.connectors.whatsapp.constants import FAILED_STATUS, STATUS_ORDER, STATUSES_THAT_BEAT_FAILED


@dataclass(frozen=True)
class StatusEvent:
	"""One ``statuses[]`` entry: what happened to one of our messages."""

	message_id: str  # the wamid returned when we sent it
	recipient_id: str  # the customer's WhatsApp id (E.164 digits)
	status: str  # sent | delivered | read | failed (lower case)
	timestamp: int  # epoch seconds, as Meta sends it
	errors: list = field(default_factory=list)  # [{code, title, message, error_data: {details}}] when failed
	conversation: dict | None = None  # {id, expiration_timestamp, origin: {type}} (older pricing model)
	pricing: dict | None = None  # {billable, pricing_model, category, type}
	phone_number_id: str | None = None  # our business number that sent it (value.metadata)
	callback_data: str | None = None  # biz_opaque_callback_data we set on the send, if any

	@property
	def error_codes(self) -> list[int]:
		codes = []
		for error in self.errors:
			try:
				codes.append(int(error.get("code")))
			except (AttributeError, TypeError, ValueError):
				continue
		return codes


@dataclass(frozen=True)
class InboundMessage:
	"""One ``messages[]`` entry: a customer wrote to us (their 24-hour window opens at ``timestamp``)."""

	message_id: str
	sender: str  # the customer's WhatsApp id ("from")
	timestamp: int
	type: str  # text | image | button | interactive | ...
	text: str | None = None  # text.body, button.text or the interactive reply's title
	profile_name: str | None = None  # contacts[].profile.name
	phone_number_id: str | None = None


@dataclass(frozen=True)
class WebhookBatch:
	statuses: list[StatusEvent] = field(default_factory=list)
	messages: list[InboundMessage] = field(default_factory=list)
	errors: list[dict] = field(default_factory=list)  # value.errors[]: problems not tied to one message


# --- the ordering rule -------------------------------------------------------------------------------


def should_apply(
	current_status: str | None, current_ts: int | float | str | None, new_status: str | None, new_ts
) -> bool:
	"""True when ``new_status`` at ``new_ts`` should replace ``current_status`` at ``current_ts``.

	``current_status`` may be empty or one of our own states ("sending", "uncertain"): anything
	Meta reports beats those. Timestamps are epoch seconds (None counts as 0).
	"""
	current = (current_status or "").strip().lower()
	new = (new_status or "").strip().lower()
	current_time, new_time = _ts(current_ts), _ts(new_ts)
	if new == FAILED_STATUS:
		if current in STATUSES_THAT_BEAT_FAILED:
			return False  # the customer has the message: a failure report is stale or from another device
		if current == FAILED_STATUS:
			return new_time > current_time  # a newer failure may carry newer error details
		return True
	if new not in STATUS_ORDER:
		return False
	if current == FAILED_STATUS:
		return new_time > current_time  # only a later report proves the failure was not final
	current_rank = STATUS_ORDER.get(current, 0)
	if STATUS_ORDER[new] != current_rank:
		return STATUS_ORDER[new] > current_rank
	return new_time > current_time


def latest_statuses(
	events: Iterable[StatusEvent], current: dict[str, tuple[str, int]] | None = None
) -> dict[str, tuple[str, int]]:
	"""Fold events into ``{wamid: (status, timestamp)}`` with :func:`should_apply`, in any arrival order.

	Events are taken oldest first, so a batch that holds several updates of one message ends on
	the right one; ``current`` (not modified) is the state already stored.
	"""
	state = dict(current or {})
	for event in sorted(events, key=lambda e: e.timestamp):
		status, ts = state.get(event.message_id, ("", 0))
		if should_apply(status, ts, event.status, event.timestamp):
			state[event.message_id] = (event.status, event.timestamp)
	return state


# --- parsing -----------------------------------------------------------------------------------------------


def parse_webhook(payload: Any) -> WebhookBatch:
	"""Every status, inbound message and error in a webhook body; malformed entries are skipped."""
	batch = WebhookBatch()
	for value in _values(payload):
		phone_number_id = _str((value.get("metadata") or {}).get("phone_number_id")) or None
		names = {
			_str(contact.get("wa_id")): _str((contact.get("profile") or {}).get("name")) or None
			for contact in _list(value.get("contacts"))
			if isinstance(contact, dict)
		}
		for status in _list(value.get("statuses")):
			event = _status_event(status, phone_number_id)
			if event is not None:
				batch.statuses.append(event)
		for message in _list(value.get("messages")):
			inbound = _inbound_message(message, phone_number_id, names)
			if inbound is not None:
				batch.messages.append(inbound)
		batch.errors.extend(e for e in _list(value.get("errors")) if isinstance(e, dict))
	return batch


def parse_status_webhook(payload: Any) -> list[StatusEvent]:
	"""The ``statuses[]`` of a webhook body, in payload order (inbound messages are ignored)."""
	return parse_webhook(payload).statuses


def parse_inbound_messages(payload: Any) -> list[InboundMessage]:
	"""The ``messages[]`` customers sent us, in payload order."""
	return parse_webhook(payload).messages


def _values(payload: Any) -> list[dict]:
	values = []
	if not isinstance(payload, dict):
		return values
	for entry in _list(payload.get("entry")):
		if not isinstance(entry, dict):
			continue
		for change in _list(entry.get("changes")):
			if isinstance(change, dict) and isinstance(change.get("value"), dict):
				if change.get("field", "messages") == "messages":
					values.append(change["value"])
	return values


def _status_event(status: Any, phone_number_id: str | None) -> StatusEvent | None:
	if not isinstance(status, dict):
		return None
	message_id, name, timestamp = (
		_str(status.get("id")),
		_str(status.get("status")).lower(),
		_int(status.get("timestamp")),
	)
	if not message_id or not name or timestamp is None:
		return None
	return StatusEvent(
		message_id=message_id,
		recipient_id=_str(status.get("recipient_id")),
		status=name,
		timestamp=timestamp,
		errors=[e for e in _list(status.get("errors")) if isinstance(e, dict)],
		conversation=status.get("conversation") if isinstance(status.get("conversation"), dict) else None,
		pricing=status.get("pricing") if isinstance(status.get("pricing"), dict) else None,
		phone_number_id=phone_number_id,
		callback_data=_str(status.get("biz_opaque_callback_data")) or None,
	)


def _inbound_message(message: Any, phone_number_id: str | None, names: dict) -> InboundMessage | None:
	if not isinstance(message, dict):
		return None
	message_id, sender, timestamp = (
		_str(message.get("id")),
		_str(message.get("from")),
		_int(message.get("timestamp")),
	)
	if not message_id or not sender or timestamp is None:
		return None
	kind = _str(message.get("type")) or "unknown"
	text = None
	if isinstance(message.get("text"), dict):
		text = message["text"].get("body")
	elif isinstance(message.get("button"), dict):
		text = message["button"].get("text")
	elif isinstance(message.get("interactive"), dict):
		reply = message["interactive"].get("button_reply") or message["interactive"].get("list_reply") or {}
		text = reply.get("title") if isinstance(reply, dict) else None
	return InboundMessage(
		message_id=message_id,
		sender=sender,
		timestamp=timestamp,
		type=kind,
		text=_str(text) or None,
		profile_name=names.get(sender),
		phone_number_id=phone_number_id,
	)


def _list(value: Any) -> list:
	return value if isinstance(value, list) else []


def _str(value: Any) -> str:
	return "" if value is None else str(value).strip()


def _int(value: Any) -> int | None:
	try:
		return int(str(value).strip())
	except (TypeError, ValueError):
		return None


def _ts(value: Any) -> float:
	try:
		return float(value) if value not in (None, "") else 0.0
	except (TypeError, ValueError):
		return 0.0
