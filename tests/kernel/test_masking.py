"""What a reader of our logs may and may not see: no secret, no full contact detail, readable ids."""

import json

import pytest

from scoopjoy.kernel.masking import (
	SENSITIVE_KEY_PATTERN,
	mask_headers,
	mask_json_text,
	mask_payload,
	mask_text,
	mask_url,
)

SHOPIFY_TOKEN = "shpat_0123456789abcdef0123456789abcdef"
META_TOKEN = "EAAGm0PX4ZCpsBAKZCc0ffee1234567890abcdefXYZ"
EMAIL = "john.doe@example.com"
PHONE_INTL = "+49 171 2345678"
PHONE_GROUPED = "0171 234 5678"


@pytest.mark.parametrize(
	"key",
	[
		"Authorization",
		"X-Shopify-Access-Token",
		"access_token",
		"accessToken",
		"refresh_token",
		"client_secret",
		"password",
		"api_key",
		"apikey",
		"X-Api-Key",
		"Cookie",
		"Set-Cookie",
		"signature",
		"X-Hub-Signature-256",
		"X-Shopify-Hmac-Sha256",
		"hmac",
	],
)
def test_sensitive_keys_are_recognised(key):
	assert SENSITIVE_KEY_PATTERN.search(key)


@pytest.mark.parametrize(
	"key", ["id", "order_id", "title", "key", "shipping", "page_info", "Idempotency-Key", "limit"]
)
def test_ordinary_keys_are_not_sensitive(key):
	assert not SENSITIVE_KEY_PATTERN.search(key)


def test_headers_keep_only_the_scheme_word():
	masked = mask_headers(
		{
			"Authorization": "Bearer s3cr3t-token-value",
			"X-Shopify-Access-Token": SHOPIFY_TOKEN,
			"Cookie": "session=abc123; csrftoken=def456",
			"Proxy-Authorization": "Basic dXNlcjpwYXNzd29yZA==",
			"Content-Type": "application/json",
			"X-Request-Id": "1234567890",
		}
	)
	assert masked["Authorization"] == "Bearer ****"
	assert masked["X-Shopify-Access-Token"] == "****"
	assert masked["Cookie"] == "****"
	assert masked["Proxy-Authorization"] == "Basic ****"
	assert masked["Content-Type"] == "application/json"
	assert masked["X-Request-Id"] == "1234567890"
	dumped = json.dumps(masked)
	for secret in ("s3cr3t", SHOPIFY_TOKEN, "abc123", "dXNlcjpw"):
		assert secret not in dumped


def test_header_input_is_not_modified():
	headers = {"Authorization": "Bearer abc123456"}
	mask_headers(headers)
	assert headers == {"Authorization": "Bearer abc123456"}


def test_url_secret_params_and_password_are_hidden():
	url = (
		"https://admin:hunter2@shop.myshopify.com/admin/api/2024-01/orders.json"
		f"?limit=50&page_info=abc&access_token={SHOPIFY_TOKEN}&email=john.doe%40example.com#access_token={META_TOKEN}"
	)
	masked = mask_url(url)
	assert "hunter2" not in masked
	assert SHOPIFY_TOKEN not in masked and META_TOKEN not in masked
	assert "john.doe" not in masked
	assert masked.startswith(
		"https://admin@shop.myshopify.com/admin/api/2024-01/orders.json?limit=50&page_info=abc"
	)
	assert "access_token=****" in masked


def test_url_without_secrets_is_unchanged():
	url = "https://shop.myshopify.com/admin/api/2024-01/orders/1234567890.json?status=any&limit=250"
	assert mask_url(url) == url
	assert mask_url(None) == ""


def test_text_hides_token_shapes():
	text = (
		f"Authorization: Bearer abc.def.ghi123 token key123:secret456 shopify {SHOPIFY_TOKEN} "
		f"meta {META_TOKEN} https://graph.facebook.com/v19.0/me?access_token=zzzSECRETzzz&fields=id "
		'{"password": "hunter2", "client_secret":"cs_9876"}'
	)
	masked = mask_text(text)
	for secret in (
		"abc.def.ghi123",
		"key123",
		"secret456",
		SHOPIFY_TOKEN,
		META_TOKEN,
		"zzzSECRETzzz",
		"hunter2",
		"cs_9876",
	):
		assert secret not in masked, secret
	assert "Bearer ****" in masked
	assert "shpat_****" in masked
	assert '"password": "****"' in masked


def test_text_masks_email_and_phone_but_keeps_order_numbers():
	masked = mask_text(
		f"Customer {EMAIL} called from {PHONE_INTL} and {PHONE_GROUPED}; order 1234567890 total 45.00"
	)
	assert "john.doe" not in masked and "example.com" not in masked
	assert "j***@e***.com" in masked
	assert PHONE_INTL not in masked and PHONE_GROUPED not in masked
	assert "+** *** *****78" in masked  # last two digits stay so a person can tell numbers apart
	assert "**** *** **78" in masked
	assert "order 1234567890 total 45.00" in masked


@pytest.mark.parametrize(
	"text",
	[
		"order 1234567890 total 45.00",
		"gid://shopify/Order/5012345678901 created 2025-11-23T10:00:00Z",
		"qty 3 x 19.99 = 59.97 EUR, invoice ACC-SINV-2025-00042",
		"from 192.168.100.200 version 1.2.3",
		"[API] Invalid API key or access token (unrecognized login or wrong password)",
		"Basic information about token expiry",
	],
)
def test_ordinary_text_stays_readable(text):
	assert mask_text(text) == text


def test_payload_masks_recursively_without_touching_the_input():
	payload = {
		"access_token": SHOPIFY_TOKEN,
		"credentials": {"client_id": "abc", "private_key": "-----BEGIN-----"},
		"customer": {"email": EMAIL, "phone": "+4917123456789", "first_name": "John"},
		"messages": [{"from": "4917123456789", "to": "shipping", "text": {"body": f"mail me at {EMAIL}"}}],
		"order_id": 1234567890,
		"total": "45.00",
		"password": None,
	}
	original = json.loads(json.dumps(payload))
	masked = mask_payload(payload)
	assert payload == original
	dumped = json.dumps(masked)
	for secret in (SHOPIFY_TOKEN, "BEGIN", EMAIL, "john.doe", "4917123456789", "+4917123456789"):
		assert secret not in dumped, secret
	assert masked["access_token"] == "****"
	assert masked["credentials"] == "****"
	assert masked["customer"]["email"] == "j***@e***.com"
	assert masked["customer"]["phone"].endswith("89")
	assert masked["customer"]["first_name"] == "John"
	assert masked["messages"][0]["to"] == "shipping"
	assert masked["order_id"] == 1234567890 and masked["total"] == "45.00"
	assert masked["password"] is None  # "no password was sent" stays visible


def test_json_text_is_parsed_and_masked_or_falls_back_to_text():
	body = json.dumps({"token": "abc123", "contacts": [{"wa_id": "4917123456789"}], "id": 99})
	masked = mask_json_text(body)
	assert json.loads(masked) == {"token": "****", "contacts": [{"wa_id": "***********89"}], "id": 99}
	broken = '{"password": "hunter2", "id": 1'
	assert "hunter2" not in mask_json_text(broken)
	assert mask_json_text(b"plain text 42") == "plain text 42"


def test_masking_is_idempotent():
	text = f"{EMAIL} {PHONE_INTL} Bearer abc123def {SHOPIFY_TOKEN}"
	once = mask_text(text)
	assert mask_text(once) == once


def test_a_logged_whatsapp_answer_does_not_show_the_number():
	import json

	answer = json.dumps(
		{"messaging_product": "whatsapp", "contacts": [{"input": "4917612345678", "wa_id": "4917612345678"}]}
	)
	assert "4917612345678" not in mask_json_text(answer)


def test_an_error_excerpt_masks_json_personal_data_by_key():
	"""A provider echoing the customer back (``"phone": "491715380360"``) must not reach a dead letter."""
	import requests

	from scoopjoy.kernel.errors import Classifier

	response = requests.Response()
	response.status_code = 422
	response._content = (
		b'{"error": "rejected", "contact": {"phone": "491715380360", "email": "ana@example.com"}}'
	)
	response.url = "https://api.example.com/v1/outlets"
	error = Classifier().error_for_response(response, service="Test")
	assert "491715380360" not in error.response_excerpt
	assert "ana@example.com" not in error.response_excerpt
	assert "rejected" in error.response_excerpt
