"""Message bodies and phone numbers for the WhatsApp Cloud API, from plain data (no frappe).

Messages endpoint: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages

- ``to`` is the customer's international number as digits only: E.164 without the leading "+"
  (https://www.itu.int/rec/T-REC-E.164), e.g. ``447700900123``. Customers type numbers every way
  ("07700 900123", "+44 (0)7700 900123", "0044 ..."), and a number sent to the wrong country is
  a message to a stranger, so a number we cannot read with certainty is refused (None) and
  :func:`explain_phone_problem` says why, instead of guessing.
- Template text parameters must not contain new lines, tabs or more than 4 consecutive spaces:
  Meta refuses the whole message ("Param text cannot have new-line/tab characters or more than 4
  consecutive spaces", https://github.com/netflie/whatsapp-cloud-api/issues/201), so every
  parameter is flattened to one line.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from scoopjoy.connectors.whatsapp.constants import (
	MAX_PHONE_DIGITS,
	MAX_TEMPLATE_PARAMETER,
	MAX_TEXT_BODY,
	MESSAGING_PRODUCT,
	MIN_PHONE_DIGITS,
)
from scoopjoy.kernel.masking import mask_phone

# Kept for callers that imported the old name.
MAX_TEXT = MAX_TEXT_BODY
ELLIPSIS = "…"

# --- phone numbers -------------------------------------------------------------------------------

_NON_DIGITS = re.compile(r"[^0-9]")
# what may appear in a written phone number besides digits
_PHONE_CHARS = re.compile(r"^[0-9\s+().\-]+$")
_SEVERAL_NUMBERS = re.compile(r"[,;/|&]|\bor\b", re.IGNORECASE)
# "+44 (0) 7700 900123": the national trunk 0 written in brackets after the country code
_BRACKETED_TRUNK = re.compile(r"\(\s*0\s*\)")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")


def normalize_phone(raw: str | None, default_country_code: str | None) -> str | None:
	"""E.164 digits without "+" for the ``to`` field, or None when the number is not usable.

	- "+44 7700 900123", "0044 7700 900123", "+44 (0)7700 900123" -> "447700900123"
	- "07700 900123" with default "44" -> "447700900123" (the national trunk 0 is dropped)
	- "98765 43210" with default "91" -> "919876543210" (a national number gets the country code)
	- "919876543210" -> kept when it already starts with the default country code and is longer
	  than a national number (more than 10 digits), or has 11-15 digits and no default is set
	- None for empty input, letters, several numbers, fewer than 8 or more than 15 digits, or a
	  national number when no country code is known. :func:`explain_phone_problem` tells why.
	"""
	return _analyse(raw, default_country_code)[0]


def explain_phone_problem(raw: str | None, default_country_code: str | None) -> str:
	"""Why :func:`normalize_phone` returned None, in words for the log and the message record.

	The number itself is masked (only its last two digits show): the text ends up in logs.
	Returns "the number is usable" when there is no problem.
	"""
	return _analyse(raw, default_country_code)[1] or "the number is usable"


def _analyse(raw, default_country_code) -> tuple[str | None, str]:
	text = _ascii_digits(str(raw if raw is not None else "")).translate(_DASHES).strip()
	if text.lower().startswith("tel:"):
		text = text[4:].strip()
	if not text:
		return None, "the customer has no mobile number"
	masked = mask_phone(text)
	if not _NON_DIGITS.sub("", text):
		return None, "the mobile number has no digits"
	if _SEVERAL_NUMBERS.search(text):
		return None, f"the mobile number {masked!r} looks like more than one number; keep one"
	if not _PHONE_CHARS.match(text):
		return None, (
			f"the mobile number {masked!r} contains letters or symbols that are not part of a phone number"
		)
	if "+" in text[1:]:
		return None, f"the mobile number {masked!r} has a '+' that is not at its start"
	country = _NON_DIGITS.sub("", _ascii_digits(default_country_code or "")).lstrip("0")
	if text.startswith("+") or _NON_DIGITS.sub("", text).startswith("00"):
		# international: "+<cc>" or the "00" international call prefix; "(0)" is a trunk 0 to drop
		digits = _NON_DIGITS.sub("", _BRACKETED_TRUNK.sub("", text))
		if not text.startswith("+"):
			digits = digits[2:]
		if digits.startswith("0"):
			return None, f"the mobile number {masked!r} has a country code starting with 0, which none has"
	else:
		digits = _NON_DIGITS.sub("", text)
		if digits.startswith("0"):  # national trunk prefix: 07700 900123 (UK), (0171) ... (DE)
			if not country:
				return None, _no_country(masked)
			digits = country + digits[1:]
		elif country:
			# "919876543210" is already international; "9876543210" is national (10 digits or less)
			if not (digits.startswith(country) and len(digits) > 10):
				digits = country + digits
		elif len(digits) <= 10:
			return None, _no_country(masked)
	if len(digits) < MIN_PHONE_DIGITS:
		return None, (
			f"the mobile number {masked!r} is too short ({len(digits)} digits with the country code;"
			f" a mobile number has at least {MIN_PHONE_DIGITS})"
		)
	if len(digits) > MAX_PHONE_DIGITS:
		return None, (
			f"the mobile number {masked!r} is too long ({len(digits)} digits; an international number"
			f" has at most {MAX_PHONE_DIGITS})"
		)
	return digits, ""


def _no_country(masked: str) -> str:
	return (
		f"the mobile number {masked!r} has no country code and no default country code is set"
		" (write it as +<country code> <number>, or set the default country code in WhatsApp Settings)"
	)


def _ascii_digits(text: str) -> str:
	"""Digits of any script (e.g. Devanagari ९) as ASCII; everything else unchanged."""
	if text.isascii():
		return text
	return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


# --- text ------------------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")
# zero-width and bidi controls: invisible, and a way to make a parameter look like something else
_INVISIBLE = dict.fromkeys(
	map(ord, "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"),
	None,
)

#: ISO 4217 currencies that do not use two decimals
_CURRENCY_DECIMALS = {
	"JPY": 0,
	"KRW": 0,
	"VND": 0,
	"CLP": 0,
	"ISK": 0,
	"BHD": 3,
	"KWD": 3,
	"OMR": 3,
	"JOD": 3,
}


def format_money(amount, currency: str | None, decimals: int | None = None) -> str:
	"""``"INR 1,250.00"``: the currency code, thousands separators, the currency's decimals.

	Rounded half up, as an invoice is. An amount that is not a number shows as 0.00.
	"""
	code = (currency or "").strip().upper()
	places = decimals if decimals is not None else _CURRENCY_DECIMALS.get(code, 2)
	try:
		value = Decimal(str(amount if amount not in (None, "") else 0))
		if not value.is_finite():
			raise InvalidOperation
		value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
	except (InvalidOperation, ValueError):
		value = Decimal(0).quantize(Decimal(1).scaleb(-places))
	return f"{code} {value:,.{places}f}".strip()


def template_text(value, max_length: int = MAX_TEMPLATE_PARAMETER) -> str:
	"""One template text parameter as Meta accepts it.

	New lines, tabs and runs of spaces become one space (Meta refuses new lines, tabs and more
	than 4 consecutive spaces), invisible characters are removed, the text is cut to
	``max_length`` with an ellipsis, and an empty value becomes "-" (an empty parameter is refused).
	"""
	if isinstance(value, datetime):
		value = value.strftime("%Y-%m-%d %H:%M")
	elif isinstance(value, date):
		value = value.isoformat()
	text = str(value if value is not None else "").translate(_INVISIBLE)
	text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
	text = _WHITESPACE.sub(" ", text).strip()
	if len(text) > max_length:
		text = text[: max_length - 1].rstrip() + ELLIPSIS
	return text or "-"


def _truncate(text: str, limit: int) -> str:
	return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


# --- message bodies ----------------------------------------------------------------------------------


def order_confirmation_template(
	template_name: str,
	language: str,
	*,
	to: str | None = None,
	customer_name,
	order_id,
	grand_total,
	currency: str | None,
	delivery_date,
) -> dict:
	"""The body of ``POST /{phone-number-id}/messages`` for the order confirmation template.

	Body parameters, in the seed's order: {{1}} customer name, {{2}} order id, {{3}} grand total
	("INR 1,250.00"), {{4}} delivery date (ISO, unambiguous in every language). ``to`` (E.164
	digits from :func:`normalize_phone`) may be left out and set by the caller.
	https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#template-object
	"""
	parameters = [customer_name, order_id, format_money(grand_total, currency), delivery_date]
	return template_message(template_name, language, parameters, to=to)


def shipped_template(
	template_name: str, language: str, *, to: str | None = None, customer_name, order_id, tracking
) -> dict:
	"""The "shipped" template: {{1}} customer name, {{2}} order, {{3}} the tracking link (else number)."""
	return template_message(template_name, language, [customer_name, order_id, tracking], to=to)


def template_message(template_name: str, language: str, parameters: list, *, to: str | None = None) -> dict:
	"""A template message whose body takes ``parameters`` in order (each cut to Meta's limit).
	https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#template-object"""
	if not template_name or not str(template_name).strip():
		raise ValueError("a template name is required")
	if not language or not str(language).strip():
		raise ValueError("a template language code (e.g. en_US) is required")
	body = {
		"messaging_product": MESSAGING_PRODUCT,
		"recipient_type": "individual",
		"type": "template",
		"template": {
			"name": str(template_name).strip(),
			"language": {"code": str(language).strip()},
			"components": [
				{
					"type": "body",
					"parameters": [{"type": "text", "text": template_text(p)} for p in parameters],
				}
			],
		},
	}
	if to is not None:
		body["to"] = str(to)
	return body


def text_message(to: str, body: str, *, preview_url: bool = False) -> dict:
	"""A free-text message (only inside the 24-hour window; otherwise Meta answers 131047).

	``body`` is cut to Meta's 4096 characters with an ellipsis; links are not previewed unless
	asked. https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#text-object
	"""
	text = str(body if body is not None else "")
	if not text.strip():
		raise ValueError("a WhatsApp text message needs a body")
	return {
		"messaging_product": MESSAGING_PRODUCT,
		"recipient_type": "individual",
		"to": str(to),
		"type": "text",
		"text": {"preview_url": bool(preview_url), "body": _truncate(text, MAX_TEXT_BODY)},
	}
