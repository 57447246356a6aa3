"""WhatsApp, framework-free: phone numbers, message bodies, Meta's error codes classified through
the real transport against the Graph API simulator, and the status ordering rule."""

import json

import pytest

from scoopjoy.connectors.whatsapp.errors import describe_meta_error, whatsapp_response_rule
from scoopjoy.connectors.whatsapp.payloads import (
	explain_phone_problem,
	normalize_phone,
	order_confirmation_template,
	text_message,
)
from scoopjoy.connectors.whatsapp.statuses import parse_status_webhook, should_apply
from scoopjoy.kernel.errors import AuthError, Classifier, RateLimitedError, RecordError
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.signatures import META_SIGNATURE_HEADER, verify_meta_signature
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.simulators.whatsapp_cloud import WhatsAppCloudSimulator

TOKEN, PHONE_ID, SECRET = "EAAGtesttoken123456789", "106540352242922", "app-secret"


@pytest.mark.parametrize(
	"raw, country, expected",
	[
		("+44 7700 900123", None, "447700900123"),
		("07700 900123", "44", "447700900123"),
		("0044 7700 900123", None, "447700900123"),
		("(0171) 234-5678", "49", "491712345678"),
		("919876543210", "91", "919876543210"),
		("98765 43210", "91", "919876543210"),
		("098765 43210", None, None),  # national number, no country known
		("12345", "91", None),
		("+1234567890123456", None, None),
		("", "91", None),
		(None, "91", None),
		("call me", "91", None),
	],
)
def test_phone_numbers_become_international_digits(raw, country, expected):
	assert normalize_phone(raw, country) == expected


def test_an_unusable_number_is_explained():
	assert "no mobile number" in explain_phone_problem(None, "91")
	assert "too short" in explain_phone_problem("12345", "91")
	assert "no country code" in explain_phone_problem("098765 43210", None)


def test_the_confirmation_template_carries_four_clean_parameters():
	body = order_confirmation_template(
		"order_confirmation",
		"en_US",
		to="919876543210",
		customer_name="Priya\nSharma",
		order_id="SAL-ORD-2026-00042",
		grand_total=1250,
		currency="INR",
		delivery_date="2026-11-28",
	)
	texts = [p["text"] for p in body["template"]["components"][0]["parameters"]]
	assert texts == ["Priya Sharma", "SAL-ORD-2026-00042", "INR 1,250.00", "2026-11-28"]
	assert body["to"] == "919876543210" and body["messaging_product"] == "whatsapp"


def test_long_text_is_cut_to_what_meta_accepts():
	assert len(text_message("919876543210", "x" * 5000)["text"]["body"]) == 4096


@pytest.fixture
def cloud():
	with WhatsAppCloudSimulator(
		access_token=TOKEN,
		phone_number_id=PHONE_ID,
		app_secret=SECRET,
		templates={"order_confirmation": {"language": "en_US", "param_count": 4}},
		messages_per_second=2,
	) as sim:
		yield sim


def transport(cloud, token=TOKEN):
	return HttpTransport(
		service="WhatsApp",
		base_url=f"{cloud.url}/{cloud.version}/",
		timeout=2,
		retry_policy=RetryPolicy(max_retries=0),
		classifier=Classifier(response_rules=[whatsapp_response_rule]),
		auth_headers=lambda: {"Authorization": f"Bearer {token}"},
	)


def confirmation(template="order_confirmation"):
	return order_confirmation_template(
		template,
		"en_US",
		to="919876543210",
		customer_name="Priya",
		order_id="SO-1",
		grand_total=10,
		currency="INR",
		delivery_date="2026-11-28",
	)


def test_a_template_send_returns_a_wamid(cloud):
	response = transport(cloud).post(f"{PHONE_ID}/messages", json=confirmation())
	assert response.data["messages"][0]["id"].startswith("wamid.")


def test_unknown_template_is_a_record_error(cloud):
	with pytest.raises(RecordError):
		transport(cloud).post(f"{PHONE_ID}/messages", json=confirmation("nope"))


def test_free_text_outside_24_hours_is_a_record_error_explained(cloud):
	with pytest.raises(RecordError) as caught:
		transport(cloud).post(
			f"{PHONE_ID}/messages", json=text_message("919876543210", "Your scoop is ready")
		)
	body = json.loads(caught.value.response_excerpt)
	sentence = describe_meta_error(body, "919876543210")
	assert "24-hour" in sentence and "131047" in sentence
	assert "9876543210" not in sentence


def test_throughput_limit_is_rate_limited_although_meta_answers_400(cloud):
	client = transport(cloud)
	with pytest.raises(RateLimitedError):
		for _ in range(5):
			client.post(f"{PHONE_ID}/messages", json=confirmation())


def test_expired_token_is_an_auth_error(cloud):
	with pytest.raises(AuthError):
		transport(cloud, token="EAAGexpired").post(f"{PHONE_ID}/messages", json=confirmation())


def test_delivered_never_overwrites_read_and_duplicates_change_nothing():
	assert should_apply("sent", 100, "delivered", 200)
	assert should_apply("delivered", 200, "read", 300)
	assert not should_apply("read", 300, "delivered", 200)
	assert not should_apply("read", 300, "read", 300)  # duplicate
	assert not should_apply("read", 300, "failed", 400)  # the customer already read it
	assert should_apply("sent", 100, "failed", 150)


def test_signed_status_deliveries_verify_and_forged_ones_do_not(cloud):
	raw, headers = cloud.status_webhook("wamid.X", "read", 1_700_000_060, "919876543210")
	assert verify_meta_signature(raw, headers[META_SIGNATURE_HEADER], [SECRET])
	assert not verify_meta_signature(raw + b" ", headers[META_SIGNATURE_HEADER], [SECRET])
	assert not verify_meta_signature(raw, headers[META_SIGNATURE_HEADER], ["another-secret"])
	events = parse_status_webhook(json.loads(raw))
	assert [(e.message_id, e.status, e.timestamp) for e in events] == [("wamid.X", "read", 1_700_000_060)]


def test_out_of_order_sequence_ends_read():
	with WhatsAppCloudSimulator(access_token=TOKEN, phone_number_id=PHONE_ID, app_secret=SECRET) as sim:
		state = ("", 0)
		for raw, _headers in sim.status_sequence(
			"wamid.Y", "919876543210", order=("sent", "read", "delivered")
		):
			for event in parse_status_webhook(json.loads(raw)):
				if should_apply(state[0], state[1], event.status, event.timestamp):
					state = (event.status, event.timestamp)
		assert state[0] == "read"


def test_a_logged_meta_answer_does_not_show_the_number():
	from scoopjoy.kernel.masking import mask_json_text

	answer = json.dumps(
		{"messaging_product": "whatsapp", "contacts": [{"input": "4917612345678", "wa_id": "4917612345678"}]}
	)
	assert "4917612345678" not in mask_json_text(answer)
