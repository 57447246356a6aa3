"""Mask secrets and personal data in anything we log, store in an Error Log or show to a user.

Logs are read by people who must not see an access token, and they are kept longer than the
data they describe (GDPR art. 5(1)(c), data minimisation: https://gdpr-info.eu/art-5-gdpr/).
So every header, URL, body excerpt and payload goes through these functions before it is
written anywhere. The rules lean towards hiding too much rather than too little, with one
exception: plain numbers (order ids, amounts, quantities) stay readable, because a log that
hides ``order 1234567890`` is useless for support.

What is masked:

- secrets, by key name (:data:`SENSITIVE_KEY_PATTERN`: ``Authorization``, ``X-Shopify-Access-Token``,
  ``client_secret``, ``password`` ...) in headers, query strings, JSON and ``key: value`` text;
- secrets, by shape: Shopify ``shpat_``/``shpca_``/``shppa_`` access tokens and ``shpss_`` app secrets
  (https://shopify.dev/changelog/length-of-the-shopify-access-token-is-increasing,
  https://shopify.dev/changelog/app-secret-key-length-has-increased), Meta
  ``EAA...`` tokens (https://developers.facebook.com/docs/facebook-login/guides/access-tokens),
  ``Bearer``/``Basic``/``token key:secret`` credentials (RFC 9110 §11.4), JWTs, Stripe keys;
- e-mail addresses: ``john@example.com`` -> ``j***@e***.com``;
- phone numbers written with a leading ``+`` or in groups (``0171 234 5678``): only the last two
  digits stay. A bare run of digits is NOT treated as a phone number (it is far more often an id).

Pure Python, no frappe: the transport, the error classifier and the simulators use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

MASK = "****"

# --- key names ----------------------------------------------------------------------------------

# Substrings that make a key secret wherever they appear (``x-shopify-access-token``, ``accessToken``,
# ``client_secret``, ``X-Hub-Signature-256``). Matched on the lower-cased key.
_SECRET_WORDS = (
	r"authoriz|token|secret|passw|passphrase|api[-_]?key|apikey|access[-_]?key|private[-_]?key"
	r"|signing[-_]?key|encryption[-_]?key|cookie|signature|hmac|credential|session[-_]?id|sessionid"
	r"|csrf|xsrf|card[-_]?number|iban"
)
# Short words that are only secret as a whole part of the key (``pin`` but not ``shipping``).
_SECRET_PARTS = r"pwd|otp|pin|cvv|cvc|cvv2|auth|jwt|sid"

#: A key (header name, JSON key, query parameter) whose value is a secret. Use ``.search(key)``;
#: it ignores case.
SENSITIVE_KEY_PATTERN: re.Pattern[str] = re.compile(
	rf"(?:{_SECRET_WORDS})|(?:^|[-_.\s])(?:{_SECRET_PARTS})(?:$|[-_.\s])", re.IGNORECASE
)

#: Keys whose value is personal contact data (masked when the value looks like an e-mail or phone).
PERSONAL_KEYS: frozenset[str] = frozenset(
	{
		"email",
		"email_id",
		"email_address",
		"emailaddress",
		"e-mail",
		"phone",
		"mobile",
		"mobile_no",
		"mobile_number",
		"phone_number",
		"phonenumber",
		"phone_no",
		"wa_id",
		"msisdn",
		"input",  # WhatsApp Cloud API: contacts[].input is the number we sent to
		"recipient_id",  # WhatsApp status webhooks
		"display_phone_number",
		"to",
		"from",
		"recipient",
	}
)
_PERSONAL_SUFFIXES = ("_email", "_phone", "_mobile", "_mobile_no", "_phone_number", "_email_id", "_wa_id")

#: Authentication schemes kept in front of a masked credential (RFC 9110 §11.4 and common variants).
#: The short list is used in free text, where "Key 1234567890" is more likely an order than a secret.
_AUTH_SCHEMES = r"Bearer|Basic|Digest|Token|OAuth|Negotiate|NTLM|ApiKey|AWS4-HMAC-SHA256"
_HEADER_AUTH_SCHEMES = _AUTH_SCHEMES + r"|Bot|Key|HMAC|Hawk|Splunk|SharedAccessSignature"
_SCHEME_RE = re.compile(rf"^\s*({_HEADER_AUTH_SCHEMES})\s+\S", re.IGNORECASE)


def is_sensitive_key(key: Any) -> bool:
	"""True when the value under this key is a secret (token, password, signature, cookie...)."""
	return isinstance(key, str) and SENSITIVE_KEY_PATTERN.search(key) is not None


def is_personal_key(key: Any) -> bool:
	"""True when the value under this key is an e-mail address or phone number of a person."""
	if not isinstance(key, str):
		return False
	key = key.lower()
	return key in PERSONAL_KEYS or key.endswith(_PERSONAL_SUFFIXES)


# --- regular expressions (compiled once: these run on every logged request) -----------------------

# user:password@ in a URL written inside text; the password is dropped.
_URL_USERINFO_RE = re.compile(
	r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/\s:@]*):(?P<pw>[^/\s@]*)@"
)

# key: value / key=value / "key": "value" / 'key': 'value' / \"key\": \"value\" where key is secret.
_KV_KEY = rf"(?<![\w-])(?:[\w-]*(?:{_SECRET_WORDS})[\w-]*|(?:[\w-]*[-_])?(?:{_SECRET_PARTS})(?:[-_][\w-]*)?)"
_KV_RE = re.compile(
	rf"""(?P<key>{_KV_KEY})(?P<kq>\\?["']?)(?P<sep>\s*[:=]\s*)
	(?P<value>
		\\"(?:(?!\\").)*\\"
		|"(?:[^"\\\n]|\\.)*"
		|'(?:[^'\\\n]|\\.)*'
		|(?:(?P<scheme>{_HEADER_AUTH_SCHEMES})\s+)?(?!(?:null|true|false|none)\b)[^\s,;&"'<>{{}}\[\]]+
	)""",
	re.IGNORECASE | re.VERBOSE,
)

# "Bearer abc.def", "token key:secret", "Basic dXNlcjpwYXNz" in free text.
_SCHEME_CRED_RE = re.compile(
	rf"(?<![\w-])(?P<scheme>{_AUTH_SCHEMES})\s+(?P<cred>[A-Za-z0-9\-._~+/:=]{{8,}})", re.IGNORECASE
)

# Secrets recognisable by their shape alone; the non-secret type prefix stays for debugging.
_TOKEN_SHAPES_RE = re.compile(
	r"""\b(?:
		(?P<shopify>shp(?:at|ss|ca|pa|ua|tka)_)[A-Za-z0-9]{8,}
		|(?P<meta>EAA)[A-Za-z0-9]{20,}
		|(?P<stripe>(?:sk|rk|pk)_(?:live|test)_|whsec_)[A-Za-z0-9]{8,}
		|(?P<github>gh[pousr]_)[A-Za-z0-9]{20,}
		|(?P<google>ya29\.|AIza)[A-Za-z0-9_\-]{20,}
		|(?P<slack>xox[abprs]-)[A-Za-z0-9\-]{10,}
		|(?P<jwt>eyJ)[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*
	)""",
	re.VERBOSE,
)

# Slack incoming webhook: /services/T…/B…/<secret> (the URL is the credential); the workspace and
# bot ids stay readable, the secret does not. https://api.slack.com/messaging/webhooks
_SLACK_WEBHOOK_PATH_RE = re.compile(r"(?P<ids>/services/[A-Za-z0-9]+/[A-Za-z0-9]+/)[A-Za-z0-9]+")

_EMAIL_RE = re.compile(
	r"(?<![\w.%+-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+-]*)@(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
	r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)\.(?P<tld>[A-Za-z]{2,24})\b"
)

# +49 171 2345678, +4917123456789, +1 (555) 123-4567 (one character class: no backtracking blow-up)
_PHONE_INTL_RE = re.compile(r"(?<![\w+])\+\d[\d \-()]{5,22}(?<=\d)(?!\w|[.,:/-]\w)")
# 0171 234 5678, (555) 123-4567, 555-123-4567, 030 12345678, 4111 1111 1111 1111: groups of digits
# split by a space or hyphen. ISO dates (2025-11-23) and dd-mm-yyyy are not phone numbers; dots are
# not separators, so amounts (45.00), versions and IP addresses stay as they are.
_PHONE_GROUPED_RE = re.compile(
	r"(?<![\w+./:-])(?!\d{4}-\d{2}-\d{2}(?!\d))(?!\d{2}-\d{2}-\d{4}(?!\d))"
	r"(?:\(\d{2,5}\) ?|\d{2,5}[ -])(?:\d{2,8}[ -]){0,4}\d{2,8}(?!\w|[.,:/-]\w)"
)
_DIGIT_RE = re.compile(r"\d")


# --- single values ------------------------------------------------------------------------------


def mask_email(value: str) -> str:
	"""``john.doe@example.com`` -> ``j***@e***.com``: enough to tell two customers apart, not to write."""
	m = _EMAIL_RE.search(value)
	if not m:
		return MASK
	return _email_sub(m)


def _email_sub(m: re.Match[str]) -> str:
	return f"{m.group('local')[0]}***@{m.group('domain')[0]}***.{m.group('tld')}"


def mask_phone(value: str, keep: int = 2) -> str:
	"""Every digit but the last ``keep`` becomes ``*``; separators and a leading ``+`` stay readable."""
	digits = _DIGIT_RE.findall(value)
	keep_from = len(digits) - keep
	out: list[str] = []
	seen = 0
	for ch in value:
		if ch.isdigit():
			out.append(ch if seen >= keep_from else "*")
			seen += 1
		else:
			out.append(ch)
	return "".join(out)


def _digit_count(text: str) -> int:
	return sum(ch.isdigit() for ch in text)


def _phone_sub(m: re.Match[str]) -> str:
	text = m.group(0)
	n = _digit_count(text)
	if n < 7:  # fewer than 7 digits is a quantity, a postcode or part of a date
		return text
	if n > 15:  # E.164 numbers have at most 15 digits; 16-19 grouped digits are a payment card
		return mask_phone(text, keep=4) if n <= 19 else text
	return mask_phone(text)


def _looks_like_credential(value: str) -> bool:
	"""After ``Bearer``/``token`` etc.: tell a credential from an ordinary word ("Basic information")."""
	if any(ch.isdigit() for ch in value) or any(ch in ":=+/." for ch in value):
		return True
	if len(value) >= 24:
		return True
	return any(ch.isupper() for ch in value[1:]) and any(ch.islower() for ch in value)


def _scheme_sub(m: re.Match[str]) -> str:
	if not _looks_like_credential(m.group("cred")):
		return m.group(0)
	return f"{m.group('scheme')} {MASK}"


def _kv_sub(m: re.Match[str]) -> str:
	value = m.group("value")
	head = m.group("key") + m.group("kq") + m.group("sep")
	if value.startswith('\\"'):
		return f'{head}\\"{MASK}\\"' if len(value) > 4 else m.group(0)
	if value[0] in "\"'":
		return f"{head}{value[0]}{MASK}{value[0]}" if len(value) > 2 else m.group(0)
	if value == MASK:
		return m.group(0)
	if m.group("scheme"):
		return f"{head}{m.group('scheme')} {MASK}"
	return head + MASK


def _token_shape_sub(m: re.Match[str]) -> str:
	for name in ("shopify", "meta", "stripe", "github", "google", "slack", "jwt"):
		prefix = m.group(name)
		if prefix:
			return prefix + MASK
	return MASK


def mask_text(text: Any) -> str:
	"""Free text (a response excerpt, an exception message, a log line) with secrets and contact data masked.

	Numbers without grouping or ``+`` are left alone on purpose (order ids, amounts).
	"""
	if text is None:
		return ""
	if not isinstance(text, str):
		text = text.decode("utf-8", "replace") if isinstance(text, bytes | bytearray) else str(text)
	if not text:
		return text
	if "://" in text:
		text = _URL_USERINFO_RE.sub(r"\g<scheme>\g<user>@", text)
	if ":" in text or "=" in text:
		text = _KV_RE.sub(_kv_sub, text)
	text = _SCHEME_CRED_RE.sub(_scheme_sub, text)
	text = _TOKEN_SHAPES_RE.sub(_token_shape_sub, text)
	if "/services/" in text:
		text = _SLACK_WEBHOOK_PATH_RE.sub(r"\g<ids>" + MASK, text)
	if "@" in text:
		text = _EMAIL_RE.sub(_email_sub, text)
	if "+" in text:
		text = _PHONE_INTL_RE.sub(_phone_sub, text)
	text = _PHONE_GROUPED_RE.sub(_phone_sub, text)
	return text


# --- headers and URLs ---------------------------------------------------------------------------


def mask_secret_value(value: Any) -> Any:
	"""The value of a secret key: ``Bearer abc`` -> ``Bearer ****`` (the scheme only), else ``****``.

	None, booleans and empty strings are returned as they are: they hide nothing and tell a reader
	that a credential was missing, which is the most common support question.
	"""
	if value is None or isinstance(value, bool) or value == "":
		return value
	if isinstance(value, bytes | bytearray):
		value = value.decode("latin-1")
	if isinstance(value, str):
		m = _SCHEME_RE.match(value)
		if m:
			return f"{m.group(1)} {MASK}"
	return MASK


def mask_headers(headers: Mapping[str, Any] | None) -> dict[str, Any]:
	"""A copy of the headers safe to log: secret headers masked, the others pass through :func:`mask_text`."""
	if not headers:
		return {}
	items = headers.items() if hasattr(headers, "items") else headers
	out: dict[str, Any] = {}
	for key, value in items:
		if is_sensitive_key(key):
			out[key] = mask_secret_value(value)
		elif isinstance(value, str):
			out[key] = mask_text(value)
		elif isinstance(value, bytes | bytearray):
			out[key] = mask_text(value.decode("latin-1"))
		else:
			out[key] = value
	return out


def _mask_query(query: str) -> str:
	if not query:
		return query
	parts = []
	for part in query.split("&"):
		name, eq, value = part.partition("=")
		if eq and value and is_sensitive_key(unquote_plus(name)):
			parts.append(f"{name}={MASK}")
			continue
		if eq and value:
			plain = unquote_plus(value)
			masked = mask_text(plain)
			if masked != plain:
				part = f"{name}={quote(masked, safe='*@')}"
		parts.append(part)
	return "&".join(parts)


def mask_url(url: Any) -> str:
	"""A URL safe to log: secret query/fragment parameters masked, ``user:password@`` -> ``user@``."""
	if url is None:
		return ""
	url = str(url)
	if not url:
		return url
	try:
		parts = urlsplit(url)
	except ValueError:
		return mask_text(url)
	netloc = parts.netloc
	if "@" in netloc:
		userinfo, _, hostport = netloc.rpartition("@")
		user = userinfo.partition(":")[0]
		netloc = f"{user}@{hostport}" if user else hostport
	path = mask_text(parts.path) if parts.path else parts.path
	return urlunsplit((parts.scheme, netloc, path, _mask_query(parts.query), _mask_query(parts.fragment)))


# --- structured data ----------------------------------------------------------------------------


def _mask_personal_value(value: Any) -> Any:
	if isinstance(value, bool) or value is None:
		return value
	if isinstance(value, int):
		text = str(value)
		return mask_phone(text) if 7 <= len(text.lstrip("-")) <= 15 else value
	if not isinstance(value, str):
		return mask_payload(value)
	if _EMAIL_RE.search(value):
		return _EMAIL_RE.sub(_email_sub, value)
	stripped = value.strip()
	if stripped and all(ch.isdigit() or ch in "+-() ." for ch in stripped):
		n = _digit_count(stripped)
		if 6 <= n <= 15:
			return mask_phone(value)
	return mask_text(value)


def mask_payload(obj: Any) -> Any:
	"""A masked deep copy of decoded JSON (dicts, lists, tuples); the input is not modified.

	Secret keys -> ``****``; contact keys (``email``, ``phone``, ``wa_id``, ``to``...) holding an
	e-mail/phone -> masked like :func:`mask_text`; every other string goes through :func:`mask_text`.
	"""
	if isinstance(obj, Mapping):
		out = {}
		for key, value in obj.items():
			if is_sensitive_key(key):
				out[key] = mask_secret_value(value) if not isinstance(value, Mapping | list | tuple) else MASK
			elif is_personal_key(key):
				out[key] = _mask_personal_value(value)
			else:
				out[key] = mask_payload(value)
		return out
	if isinstance(obj, list):
		return [mask_payload(v) for v in obj]
	if isinstance(obj, tuple):
		return tuple(mask_payload(v) for v in obj)
	if isinstance(obj, str):
		return mask_text(obj)
	return obj


def mask_json_text(text: Any) -> str:
	"""A body to log: parsed and masked key by key when it is JSON, otherwise masked as text."""
	if text is None:
		return ""
	if isinstance(text, bytes | bytearray):
		text = text.decode("utf-8", "replace")
	text = str(text)
	stripped = text.lstrip()
	if stripped[:1] in ("{", "["):
		try:
			data = json.loads(stripped)
		except ValueError:
			return mask_text(text)
		return json.dumps(mask_payload(data), ensure_ascii=False, default=str)
	return mask_text(text)
