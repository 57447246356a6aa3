"""Webhook signature checks: is this request really from the provider, and unchanged?

A webhook endpoint is public, so anyone can POST to it; the HMAC in a header is the only proof of
origin. Rules followed here:

- the HMAC is computed over the RAW request body, byte for byte, before any JSON parsing
  (re-serialised JSON differs in spacing and escaping, and the check would fail or, worse, pass
  for a different body);
- comparison with :func:`hmac.compare_digest`, so the time taken does not leak how many bytes
  matched (https://docs.python.org/3/library/hmac.html#hmac.compare_digest);
- several secrets may be active at once, so a secret can be rotated without losing webhooks
  signed with the old one while the provider switches over;
- bad input (missing header, no secrets, non-ASCII header, wrong length) is a plain ``False``,
  never an exception: the caller answers 401 and logs, it does not crash.

Providers:

- Shopify: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(app client secret, raw body)),
  https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
- Meta (WhatsApp Cloud API, Graph API webhooks): ``X-Hub-Signature-256: sha256=<hex>`` =
  HMAC-SHA256(app secret, raw body), https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads
  (Meta signs the payload as sent, with unicode escaped, so hashing the raw bytes is what works).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable

SHOPIFY_HMAC_HEADER = "X-Shopify-Hmac-Sha256"
SHOPIFY_TOPIC_HEADER = "X-Shopify-Topic"
SHOPIFY_SHOP_DOMAIN_HEADER = "X-Shopify-Shop-Domain"
SHOPIFY_WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
META_SIGNATURE_HEADER = "X-Hub-Signature-256"
META_SIGNATURE_PREFIX = "sha256="

BytesLike = bytes | bytearray | memoryview
SecretLike = str | bytes


def _body_bytes(raw_body: BytesLike | str | None) -> bytes | None:
	if raw_body is None:
		return None
	if isinstance(raw_body, bytes):
		return raw_body
	if isinstance(raw_body, bytearray | memoryview):
		return bytes(raw_body)
	if isinstance(raw_body, str):
		# Only correct when the caller decoded the body as UTF-8 without changing it; prefer bytes.
		return raw_body.encode("utf-8")
	return None


def _secret_list(secrets: Iterable[SecretLike] | SecretLike | None) -> list[bytes]:
	"""Usable secrets as bytes. A single string is one secret, not an iterable of characters."""
	if secrets is None:
		return []
	if isinstance(secrets, str | bytes | bytearray):
		secrets = [secrets]
	out = []
	try:
		for secret in secrets:
			if isinstance(secret, str) and secret:
				out.append(secret.encode("utf-8"))
			elif isinstance(secret, bytes | bytearray) and secret:
				out.append(bytes(secret))
	except TypeError:
		return []
	return out


def _header_ascii(header_value: str | bytes | None) -> str | None:
	if header_value is None:
		return None
	if isinstance(header_value, bytes | bytearray):
		try:
			header_value = bytes(header_value).decode("ascii")
		except UnicodeDecodeError:
			return None
	if not isinstance(header_value, str):
		return None
	header_value = header_value.strip()
	if not header_value or not header_value.isascii():
		return None
	return header_value


def _digest(algorithm: str, secret: bytes, body: bytes) -> bytes | None:
	try:
		return hmac.new(secret, body, algorithm).digest()
	except (ValueError, TypeError):  # unknown algorithm name
		return None


def _matches_any(expected_digest: bytes, body: bytes, secrets: list[bytes], algorithm: str) -> bool:
	# Every secret is tried (no early exit): the time does not tell which secret is current.
	ok = False
	for secret in secrets:
		digest = _digest(algorithm, secret, body)
		if digest is not None and hmac.compare_digest(digest, expected_digest):
			ok = True
	return ok


# --- verification -------------------------------------------------------------------------------


def verify_hex_hmac(
	raw_body: BytesLike | str | None,
	header_value: str | bytes | None,
	secrets: Iterable[SecretLike] | SecretLike | None,
	algorithm: str = "sha256",
	prefix: str = "",
) -> bool:
	"""True when ``header_value`` is ``prefix`` + hex(HMAC(secret, raw_body)) for one of ``secrets``.

	The prefix (``sha256=``) and the hex digits are compared without regard to case.
	"""
	body = _body_bytes(raw_body)
	header = _header_ascii(header_value)
	keys = _secret_list(secrets)
	if body is None or header is None or not keys:
		return False
	if prefix:
		if not header.lower().startswith(prefix.lower()):
			return False
		header = header[len(prefix) :].strip()
	try:
		expected = bytes.fromhex(header)
	except ValueError:
		return False
	try:
		size = hashlib.new(algorithm).digest_size
	except (ValueError, TypeError):
		return False
	if len(expected) != size:
		return False
	return _matches_any(expected, body, keys, algorithm)


def verify_shopify_hmac(
	raw_body: BytesLike | str | None,
	header_value: str | bytes | None,
	secrets: Iterable[SecretLike] | SecretLike | None,
) -> bool:
	"""Shopify webhook: ``X-Shopify-Hmac-Sha256`` is base64(HMAC-SHA256(secret, raw body)).

	https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
	"""
	body = _body_bytes(raw_body)
	header = _header_ascii(header_value)
	keys = _secret_list(secrets)
	if body is None or header is None or not keys:
		return False
	try:
		expected = base64.b64decode(header, validate=True)
	except (binascii.Error, ValueError):
		return False
	if len(expected) != hashlib.sha256().digest_size:
		return False
	return _matches_any(expected, body, keys, "sha256")


def verify_meta_signature(
	raw_body: BytesLike | str | None,
	header_value: str | bytes | None,
	secrets: Iterable[SecretLike] | SecretLike | None,
) -> bool:
	"""Meta webhook (WhatsApp Cloud API): ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``.

	https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads
	"""
	return verify_hex_hmac(raw_body, header_value, secrets, algorithm="sha256", prefix=META_SIGNATURE_PREFIX)


# --- signing (simulators, tests, outgoing webhooks) ----------------------------------------------


def _secret_bytes(secret: SecretLike) -> bytes:
	return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def sign_hex(
	raw_body: BytesLike | str, secret: SecretLike, algorithm: str = "sha256", prefix: str = ""
) -> str:
	"""``prefix`` + hex HMAC of the body: what :func:`verify_hex_hmac` accepts."""
	body = _body_bytes(raw_body) or b""
	return prefix + hmac.new(_secret_bytes(secret), body, algorithm).hexdigest()


def sign_shopify(raw_body: BytesLike | str, secret: SecretLike) -> str:
	"""The ``X-Shopify-Hmac-Sha256`` value Shopify would send for this body."""
	body = _body_bytes(raw_body) or b""
	return base64.b64encode(hmac.new(_secret_bytes(secret), body, hashlib.sha256).digest()).decode("ascii")


def sign_meta(raw_body: BytesLike | str, secret: SecretLike) -> str:
	"""The ``X-Hub-Signature-256`` value Meta would send for this body (``sha256=<hex>``)."""
	return sign_hex(raw_body, secret, "sha256", META_SIGNATURE_PREFIX)
