"""Meta's Graph API errors sorted into our failure types (one classifier, provider rules first).

Error body: ``{"error": {"message", "type", "code", "error_subcode", "error_data": {"details"},
"fbtrace_id"}}`` — https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
"""

from __future__ import annotations

from scoopjoy.connectors.whatsapp import constants
from scoopjoy.kernel.errors import FailureType
from scoopjoy.kernel.masking import mask_text


def meta_error(body) -> tuple[int | None, int | None, str, str | None]:
	"""(code, subcode, message, fbtrace_id) from a Graph error body; (None, None, "", None) if none."""
	error = body.get("error") if isinstance(body, dict) else None
	if not isinstance(error, dict):
		return None, None, "", None
	details = (
		(error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
	)
	message = error.get("message") or ""
	if details and details not in message:
		message = f"{message} ({details})"
	return _int(error.get("code")), _int(error.get("error_subcode")), message, error.get("fbtrace_id")


def whatsapp_response_rule(response) -> FailureType | None:
	if response.status_code < 400:
		return None
	try:
		body = response.json()
	except ValueError:
		return None
	code, _subcode, _message, _trace = meta_error(body)
	if code is None:
		return None
	if code in constants.RATE_LIMIT_CODES:
		return FailureType.RATE_LIMITED
	if code in constants.AUTH_CODES:
		return FailureType.AUTH
	if code in constants.RECORD_CODES:
		return FailureType.RECORD
	if code in constants.TRANSIENT_CODES:
		return FailureType.TRANSIENT
	return None


_ADVICE = {
	constants.REENGAGEMENT_CODE: "outside the 24-hour customer service window; send an approved template instead",
	131026: "the number cannot receive WhatsApp messages",
	132001: "the template does not exist in this language; check the template name and language in WhatsApp Settings",
	132000: "the template's parameter count does not match; check the template in WhatsApp Manager",
	130429: "throughput limit reached; the message is retried",
	131056: "too many messages to this customer in a short time; the message is retried",
	190: "the access token expired or was revoked; update it in WhatsApp Settings",
}


def describe_meta_error(body, recipient: str | None = None) -> str:
	code, _subcode, message, trace = meta_error(body)
	who = f" to {mask_text('+' + recipient) if recipient else 'the customer'}"
	advice = _ADVICE.get(code or -1, message or "unknown error")
	trace_text = f" [fbtrace {trace}]" if trace else ""
	return f"WhatsApp refused the message{who}: {advice} ({code}).{trace_text}"


def _int(value) -> int | None:
	try:
		return int(value)
	except (TypeError, ValueError):
		return None
