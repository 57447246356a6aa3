"""Meta's Graph API errors sorted into our failure types, and told to a person in one sentence.

Why by code: the Cloud API answers most refusals with HTTP 400 (a throughput limit as much as an
unknown template), so the HTTP status alone would dead-letter messages that only needed a
second's wait. Meta recommends building error handling on ``error.code`` (and ``details``):
https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes

Error body (Graph API, https://developers.facebook.com/docs/graph-api/guides/error-handling)::

    {
        "error": {
            "message": "(#131047) Re-engagement message",
            "type": "OAuthException",
            "code": 131047,
            "error_subcode": 2494010,
            "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
            "error_data": {"messaging_product": "whatsapp", "details": "..."},
        }
    }

Webhook errors (``statuses[].errors[]``) have the same fields without the ``error`` wrapper;
:func:`meta_error` reads both. Pure Python: no frappe.
"""

from __future__ import annotations

import json
import re
from typing import Any

import requests

from scoopjoy.connectors.whatsapp import constants
from scoopjoy.kernel.errors import Classifier, ConnectorError, FailureType

__all__ = [
	"WhatsAppClassifier",
	"classify_meta_code",
	"describe_meta_error",
	"mask_recipient",
	"meta_error",
	"whatsapp_response_rule",
]

_CODE_IN_TEXT = re.compile(r'"code"\s*:\s*"?(\d+)')
_CODE_IN_MESSAGE = re.compile(r"\(#(\d+)\)")  # Meta's messages start with "(#131047) "


def meta_error(body: Any) -> tuple[int | None, int | None, str, str | None]:
	"""``(code, subcode, message, fbtrace_id)`` of a Graph error; ``(None, None, "", None)`` if none.

	``body`` may be the decoded JSON (``{"error": {...}}`` or a webhook error object), its text or
	bytes. ``message`` includes ``error_data.details`` when Meta sent details, which usually say
	which parameter was wrong. A body cut short (a logged excerpt) still yields its code.
	"""
	if isinstance(body, bytes | bytearray):
		body = bytes(body).decode("utf-8", "replace")
	if isinstance(body, str):
		try:
			body = json.loads(body)
		except ValueError:
			found = _CODE_IN_TEXT.search(body) or _CODE_IN_MESSAGE.search(body)
			return (int(found.group(1)) if found else None), None, "", None
	if not isinstance(body, dict):
		return None, None, "", None
	error = body.get("error") if "error" in body else body
	if not isinstance(error, dict) or "code" not in error:
		return None, None, "", None
	error_data = error.get("error_data")
	details = error_data.get("details") if isinstance(error_data, dict) else None
	message = str(error.get("message") or error.get("title") or "")
	if details and str(details) not in message:
		message = f"{message} ({details})" if message else str(details)
	trace = error.get("fbtrace_id")
	return _int(error.get("code")), _int(error.get("error_subcode")), message, str(trace) if trace else None


def classify_meta_code(code: int | None, subcode: int | None = None) -> FailureType | None:
	"""Our failure type for a Meta error code, or None when the code says nothing we know."""
	if code is None:
		return None
	if code in constants.RATE_LIMIT_CODES:
		return FailureType.RATE_LIMITED
	if code in constants.AUTH_CODES:
		return FailureType.AUTH
	if code == 100 and subcode == constants.OBJECT_DOES_NOT_EXIST_SUBCODE:
		return (
			FailureType.CONFIG
		)  # "Unsupported post request. Object ... does not exist": wrong phone number id
	if code in constants.CONFIG_CODES:
		return FailureType.CONFIG
	if code in constants.RECORD_CODES:
		return FailureType.RECORD
	if code in constants.TRANSIENT_CODES:
		return FailureType.TRANSIENT
	return None


def whatsapp_response_rule(response: requests.Response) -> FailureType | None:
	"""A kernel :data:`~scoopjoy.kernel.errors.ResponseRule`: classify an error response by Meta's code.

	None for a success, a body that is not a Graph error, or an unknown code: the HTTP status
	decides then (400 record, 401/403 auth, 5xx transient, 429 rate limited).
	"""
	if response.status_code < 400:
		return None
	try:
		body = response.json()
	except ValueError:
		return None
	code, subcode, _message, _trace = meta_error(body)
	return classify_meta_code(code, subcode)


# --- for people ------------------------------------------------------------------------------------

_TEMPLATE_ADVICE = (
	"check the template name, language and parameters in WhatsApp Settings and WhatsApp Manager"
)
_TOKEN_ADVICE = "update the access token (and its permissions) in WhatsApp Settings"
_ACCOUNT_ADVICE = "open WhatsApp Manager and resolve the account's status; nothing is sent until then"

#: code -> (what happened, what to do)
_EXPLANATIONS: dict[int, tuple[str, str]] = {
	constants.REENGAGEMENT_CODE: (
		"outside the 24-hour customer service window",
		"send an approved template instead",
	),
	131026: (
		"the number cannot receive WhatsApp messages (not on WhatsApp, an old app version or terms not accepted)",
		"check the customer's mobile number",
	),
	131030: (
		"the number is not in the test recipients of this development app",
		"add it to the app's test numbers or use a production number",
	),
	131049: ("Meta chose not to deliver it to protect the customer's experience", "try again later"),
	131050: ("the customer has stopped marketing messages from this business", "do not resend"),
	131051: ("the message type is not supported", "send a text or template message"),
	132000: ("the number of template parameters does not match the approved template", _TEMPLATE_ADVICE),
	132001: ("the template does not exist in this language", _TEMPLATE_ADVICE),
	132005: ("the template text is too long once its parameters are filled in", _TEMPLATE_ADVICE),
	132007: ("the template breaks a formatting rule", _TEMPLATE_ADVICE),
	132012: ("a template parameter has the wrong format", _TEMPLATE_ADVICE),
	132015: ("the template is paused because of low quality", "edit it in WhatsApp Manager or use another"),
	132016: ("the template is disabled", "use another approved template"),
	132018: ("a template parameter was refused", _TEMPLATE_ADVICE),
	130429: ("the phone number's message throughput limit was reached", "the message is retried shortly"),
	131056: ("too many messages to this customer in a short time", "the message is retried in a few seconds"),
	4: ("the app reached its API call limit", "the message is retried later"),
	80007: ("the WhatsApp Business Account reached its rate limit", "the message is retried later"),
	190: ("the access token has expired or was revoked", _TOKEN_ADVICE),
	0: ("the access token could not be authenticated", _TOKEN_ADVICE),
	3: ("the app lacks the capability or permission for this call", _TOKEN_ADVICE),
	10: ("a permission was not granted or was removed", _TOKEN_ADVICE),
	131005: ("access was denied", _TOKEN_ADVICE),
	33: ("the business phone number was deleted", "check the phone number id in WhatsApp Settings"),
	133010: (
		"the business phone number is not registered on the Cloud API",
		"register it, or check the phone number id in WhatsApp Settings",
	),
	131031: ("the business account is locked", _ACCOUNT_ADVICE),
	131042: ("the business account has a payment problem", _ACCOUNT_ADVICE),
	131045: ("the business phone number's certificate is not valid", _ACCOUNT_ADVICE),
	131048: ("sending is restricted because too many messages were blocked or reported", _ACCOUNT_ADVICE),
	368: ("the business account is blocked for a policy violation", _ACCOUNT_ADVICE),
	131000: ("Meta had a temporary problem", "the message is retried"),
	131016: ("the WhatsApp service is temporarily unavailable", "the message is retried"),
	1: ("Meta reported an unknown error", "the message is retried"),
	2: ("the WhatsApp service is temporarily down or overloaded", "the message is retried"),
}


def mask_recipient(number: str | None) -> str:
	"""``+44********23``: the country prefix and the last two digits stay, for a log or a message."""
	digits = re.sub(r"[^0-9]", "", str(number or ""))
	if len(digits) < 6:
		return "the customer"
	return f"+{digits[:2]}{'*' * (len(digits) - 4)}{digits[-2:]}"


def describe_meta_error(body: Any, recipient: str | None = None) -> str:
	"""One sentence for a person: what Meta refused, why, and what to do.

	"WhatsApp refused the message to +44********23: outside the 24-hour customer service window
	(131047); send an approved template instead." The number is masked; Meta's trace id is added
	because Meta's support asks for it.
	"""
	code, subcode, message, trace = meta_error(body)
	who = mask_recipient(recipient) if recipient else "the customer"
	if code is None:
		what = message or "an answer that is not a WhatsApp error"
		sentence = f"WhatsApp refused the message to {who}: {what}."
	else:
		what, advice = _EXPLANATIONS.get(code, (None, None))
		if code == 100 and subcode == constants.OBJECT_DOES_NOT_EXIST_SUBCODE:
			what, advice = (
				"the phone number id does not exist",
				"check the phone number id in WhatsApp Settings",
			)
		if what is None:
			what = _strip_code_prefix(message) or "an error Meta did not explain"
		sentence = f"WhatsApp refused the message to {who}: {what} ({code})"
		if code in constants.INVALID_PARAMETER_CODES and message and what != _strip_code_prefix(message):
			sentence += f" [{_strip_code_prefix(message)}]"
		sentence += f"; {advice}." if advice else "."
	if trace:
		sentence += f" Meta trace id: {trace}."
	return sentence


def _strip_code_prefix(message: str) -> str:
	"""Meta prefixes messages with "(#131047) "; the code is shown separately."""
	return re.sub(r"^\(#\d+\)\s*", "", message or "").strip()


# --- a classifier whose errors read well ------------------------------------------------------------


class WhatsAppClassifier(Classifier):
	"""The kernel classifier with :func:`whatsapp_response_rule` first, whose errors say what Meta said.

	The kernel's message names the call and the HTTP status; this adds :func:`describe_meta_error`,
	sets ``provider_code`` to Meta's code and, for throttling without ``Retry-After``, the wait in
	:data:`~scoopjoy.connectors.whatsapp.constants.RETRY_AFTER_HINTS`.
	"""

	def __init__(self, response_rules=(), exception_rules=()):
		super().__init__((whatsapp_response_rule, *response_rules), exception_rules)

	def error_for_response(
		self, response: requests.Response, *, service: str, failure_type: FailureType | None = None
	) -> ConnectorError | None:
		error = super().error_for_response(response, service=service, failure_type=failure_type)
		if error is None:
			return None
		try:
			body = response.json()
		except ValueError:
			return error
		code, _subcode, _message, _trace = meta_error(body)
		if code is None:
			return error
		error.provider_code = str(code)
		error.message = f"{error.message} {describe_meta_error(body)}"
		error.args = (error.message,)
		if error.retry_after is None and error.failure_type is FailureType.RATE_LIMITED:
			error.retry_after = constants.RETRY_AFTER_HINTS.get(code)
		return error


def _int(value) -> int | None:
	try:
		return int(value)
	except (TypeError, ValueError):
		return None
