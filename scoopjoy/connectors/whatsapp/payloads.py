"""Message bodies and phone numbers for the Cloud API, from plain data (no Frappe).

Messages: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
The ``to`` field takes the international number in digits (E.164 without the "+").
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NON_DIGITS = re.compile(r"\D")
_SPACES = re.compile(r"\s{2,}")
MAX_TEXT = 4096


def normalize_phone(raw: str | None, default_country_code: str | None) -> str | None:
	"""International digits for ``to``, or None when the number is unusable (see explain_phone_problem)."""
	digits = _digits_with_country(raw, default_country_code)
	if digits is None or not 8 <= len(digits) <= 15:
		return None
	return digits


def explain_phone_problem(raw: str | None, default_country_code: str | None) -> str:
	"""Why ``normalize_phone`` gave None, in words for the log and the message record."""
	if not raw or not str(raw).strip():
		return "the customer has no mobile number"
	if not _NON_DIGITS.sub("", str(raw)):
		return f"the mobile number {raw!r} has no digits"
	digits = _digits_with_country(raw, default_country_code)
	if digits is None:
		return "the number has no country code and no default country code is set in WhatsApp Settings"
	if len(digits) < 8:
		return "the mobile number is too short to be an international number"
	if len(digits) > 15:
		return "the mobile number is longer than the 15 digits an international number can have"
	return "the number is usable"


def _digits_with_country(raw: str | None, default_country_code: str | None) -> str | None:
	text = str(raw or "").strip()
	digits = _NON_DIGITS.sub("", text)
	if not digits:
		return None
	if text.startswith("+"):
		return digits
	if digits.startswith("00"):
		return digits[2:]
	country = _NON_DIGITS.sub("", default_country_code or "")
	if digits.startswith("0"):  # national trunk prefix: 07700 900123 in the UK, 098765 43210 in India
		return f"{country}{digits.lstrip('0')}" if country else None
	if country and len(digits) <= 10:  # a national number without its trunk prefix
		return f"{country}{digits}"
	return digits  # already international (e.g. 919876543210)


def format_money(amount, currency: str | None) -> str:
	try:
		value = Decimal(str(amount or 0)).quantize(Decimal("0.01"))
	except InvalidOperation:
		value = Decimal("0.00")
	return f"{currency or ''} {value:,}".strip()


def template_text(value) -> str:
	"""Meta rejects template parameters with new lines, tabs or more than 4 spaces in a row."""
	text = str(value if value is not None else "").replace("\n", " ").replace("\t", " ").replace("\r", " ")
	return _SPACES.sub(" ", text).strip() or "-"


def order_confirmation_template(
	template_name: str,
	language: str,
	*,
	to: str,
	customer_name: str,
	order_id: str,
	grand_total,
	currency: str | None,
	delivery_date: str,
) -> dict:
	"""The confirmation template with its four body parameters, in the seed's order."""
	parameters = [customer_name, order_id, format_money(grand_total, currency), delivery_date]
	return {
		"messaging_product": "whatsapp",
		"recipient_type": "individual",
		"to": to,
		"type": "template",
		"template": {
			"name": template_name,
			"language": {"code": language},
			"components": [
				{
					"type": "body",
					"parameters": [{"type": "text", "text": template_text(p)} for p in parameters],
				}
			],
		},
	}


def text_message(to: str, body: str) -> dict:
	text = body if len(body) <= MAX_TEXT else body[: MAX_TEXT - 1] + "…"
	return {
		"messaging_product": "whatsapp",
		"recipient_type": "individual",
		"to": to,
		"type": "text",
		"text": {"preview_url": False, "body": text},
	}
