"""Webhook signatures: only the provider's exact bytes, signed with an active secret, pass."""

import base64
import hashlib
import hmac
import json

import pytest

from scoopjoy.kernel.signatures import (
	META_SIGNATURE_HEADER,
	SHOPIFY_HMAC_HEADER,
	sign_hex,
	sign_meta,
	sign_shopify,
	verify_hex_hmac,
	verify_meta_signature,
	verify_shopify_hmac,
)

BODY = json.dumps({"id": 820982911946154508, "email": "jon@example.com", "total_price": "45.00"}).encode()
SECRET = "shpss_current_secret"
OLD_SECRET = "shpss_previous_secret"


def test_header_names():
	assert SHOPIFY_HMAC_HEADER == "X-Shopify-Hmac-Sha256"
	assert META_SIGNATURE_HEADER == "X-Hub-Signature-256"


def test_shopify_signature_matches_the_documented_algorithm():
	expected = base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()
	assert sign_shopify(BODY, SECRET) == expected
	assert verify_shopify_hmac(BODY, expected, [SECRET])


def test_shopify_rotated_secrets():
	signed_with_old = sign_shopify(BODY, OLD_SECRET)
	assert verify_shopify_hmac(BODY, signed_with_old, [SECRET, OLD_SECRET])
	assert not verify_shopify_hmac(BODY, signed_with_old, [SECRET])
	assert verify_shopify_hmac(BODY, sign_shopify(BODY, SECRET), (s for s in [OLD_SECRET, SECRET]))


def test_shopify_single_secret_string_is_one_secret():
	assert verify_shopify_hmac(BODY, sign_shopify(BODY, SECRET), SECRET)


def test_shopify_body_changed_by_one_byte_fails():
	signature = sign_shopify(BODY, SECRET)
	tampered = BODY.replace(b"45.00", b"46.00")
	assert len(tampered) == len(BODY)
	assert not verify_shopify_hmac(tampered, signature, [SECRET])
	assert not verify_shopify_hmac(BODY + b" ", signature, [SECRET])


def test_reserialised_json_fails_the_check():
	signature = sign_shopify(BODY, SECRET)
	reserialised = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
	assert reserialised != BODY
	assert not verify_shopify_hmac(reserialised, signature, [SECRET])


@pytest.mark.parametrize(
	"header",
	[None, "", "   ", "not base64!!", base64.b64encode(b"short").decode(), "ünïcode", sign_hex(BODY, SECRET)],
)
def test_shopify_bad_headers_are_false_not_errors(header):
	assert verify_shopify_hmac(BODY, header, [SECRET]) is False


@pytest.mark.parametrize("secrets", [None, [], [""], [None], 42])
def test_no_usable_secret_is_false(secrets):
	assert verify_shopify_hmac(BODY, sign_shopify(BODY, SECRET), secrets) is False
	assert verify_meta_signature(BODY, sign_meta(BODY, SECRET), secrets) is False


def test_forged_signature_with_wrong_secret_fails():
	assert not verify_shopify_hmac(BODY, sign_shopify(BODY, "attacker"), [SECRET])
	assert not verify_meta_signature(BODY, sign_meta(BODY, "attacker"), [SECRET])


def test_meta_signature_format_and_verification():
	app_secret = "meta-app-secret"
	signature = sign_meta(BODY, app_secret)
	assert signature == "sha256=" + hmac.new(app_secret.encode(), BODY, hashlib.sha256).hexdigest()
	assert verify_meta_signature(BODY, signature, [app_secret])
	assert verify_meta_signature(BODY, signature.upper().replace("SHA256=", "sha256="), [app_secret])
	assert verify_meta_signature(bytearray(BODY), signature, ["old", app_secret])
	assert not verify_meta_signature(BODY[:-1], signature, [app_secret])


@pytest.mark.parametrize(
	"header",
	[None, "", "sha256=", "sha1=abcdef", "sha256=zz", "sha256=" + "ab" * 31, "sha256=ünïcode", "abc"],
)
def test_meta_bad_headers_are_false(header):
	assert verify_meta_signature(BODY, header, ["meta-app-secret"]) is False


def test_meta_signature_without_prefix_fails():
	bare = sign_hex(BODY, "s")
	assert not verify_meta_signature(BODY, bare, ["s"])


def test_generic_hex_hmac_with_other_algorithm_and_prefix():
	signature = sign_hex(BODY, "k", algorithm="sha512", prefix="v1=")
	assert signature.startswith("v1=") and len(signature) == 3 + 128
	assert verify_hex_hmac(BODY, signature, ["k"], algorithm="sha512", prefix="v1=")
	assert not verify_hex_hmac(BODY, signature, ["k"], algorithm="sha256", prefix="v1=")
	assert not verify_hex_hmac(BODY, signature, ["k"], algorithm="no-such-hash", prefix="v1=")
	assert verify_hex_hmac(BODY, sign_hex(BODY, "k"), ["k"])


def test_none_body_is_false():
	assert verify_shopify_hmac(None, sign_shopify(b"", SECRET), [SECRET]) is False
	assert verify_shopify_hmac(b"", sign_shopify(b"", SECRET), [SECRET]) is True
