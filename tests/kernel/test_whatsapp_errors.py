"""Meta's refusals, classified through the real transport against the Cloud API simulator.

Meta answers almost everything with HTTP 400; only the code tells a message that will never go
(an unknown template: dead-letter it) from one that needs a second's wait (throughput: retry).
"""

import json

import pytest

from scoopjoy.connectors.whatsapp.errors import (
	WhatsAppClassifier,
	classify_meta_code,
	describe_meta_error,
	mask_recipient,
	meta_error,
	whatsapp_response_rule,
)
from scoopjoy.connectors.whatsapp.payloads import order_confirmation_template, text_message
from scoopjoy.kernel.errors import (
	AuthError,
	Classifier,
	ConfigError,
	FailureType,
	RateLimitedError,
	RecordError,
	TransientError,
)
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.tests.simulators import Fault
from scoopjoy.tests.simulators.whatsapp_cloud import WhatsAppCloudSimulator

TOKEN, PHONE_ID, SECRET = "EAAGscoopjoyToken0123456789", "106540352242922", "app-secret"
CUSTOMER = "919876543210"
MESSAGES = f"{PHONE_ID}/messages"


@pytest.fixture
def cloud():
	with WhatsAppCloudSimulator(
		access_token=TOKEN,
		phone_number_id=PHONE_ID,
		app_secret=SECRET,
		templates={"order_confirmation": {"language": "en_US", "param_count": 4}},
		messages_per_second=3,
	) as sim:
		yield sim


def make_transport(cloud, token=TOKEN, classifier=None):
	return HttpTransport(
		service="WhatsApp",
		base_url=f"{cloud.url}/{cloud.version}/",
		timeout=2,
		retry_policy=RetryPolicy(max_retries=0),
		classifier=classifier or Classifier(response_rules=[whatsapp_response_rule]),
		auth_headers=lambda: {"Authorization": f"Bearer {token}"},
	)


def confirmation(template="order_confirmation", language="en_US", to=CUSTOMER):
	return order_confirmation_template(
		template,
		language,
		to=to,
		customer_name="Priya",
		order_id="SO-1",
		grand_total=10,
		currency="INR",
		delivery_date="2026-11-28",
	)


def test_an_approved_template_is_sent_and_returns_a_wamid(cloud):
	response = make_transport(cloud).post(MESSAGES, json=confirmation())
	message = response.data["messages"][0]
	assert message["id"].startswith("wamid.") and message["message_status"] == "accepted"
	assert response.data["contacts"] == [{"input": CUSTOMER, "wa_id": CUSTOMER}]
	assert cloud.sent == [confirmation()] and cloud.messages[message["id"]] == confirmation()


@pytest.mark.parametrize(
	"body, code",
	[
		(confirmation("no_such_template"), 132001),
		(confirmation(language="pt_BR"), 132001),
		(
			{
				**confirmation(),
				"template": {
					**confirmation()["template"],
					"components": [{"type": "body", "parameters": []}],
				},
			},
			132000,
		),
		({**confirmation(), "messaging_product": "sms"}, 100),
		(confirmation(to="+919876543210"), 100),
		({**confirmation(), "type": "sticker"}, 131051),
	],
)
def test_a_bad_template_or_body_is_a_record_error_and_nothing_is_sent(cloud, body, code):
	with pytest.raises(RecordError) as caught:
		make_transport(cloud).post(MESSAGES, json=body)
	assert caught.value.status_code == 400
	assert meta_error(caught.value.response_excerpt)[0] == code
	assert cloud.sent == []


def test_free_text_outside_the_24_hour_window_is_a_record_error_a_person_can_read(cloud):
	with pytest.raises(RecordError) as caught:
		make_transport(cloud).post(MESSAGES, json=text_message(CUSTOMER, "Your scoop is ready"))

	sentence = describe_meta_error(caught.value.response_excerpt, CUSTOMER)
	assert sentence.startswith("WhatsApp refused the message to +91********10: outside the 24-hour")
	assert "(131047); send an approved template instead." in sentence
	assert "9876543210" not in sentence


def test_the_whatsapp_classifier_puts_metas_reason_in_the_error_itself(cloud):
	transport = make_transport(cloud, classifier=WhatsAppClassifier())
	with pytest.raises(RecordError) as caught:
		transport.post(MESSAGES, json=text_message(CUSTOMER, "Your scoop is ready"))
	assert caught.value.provider_code == "131047"
	assert "24-hour customer service window" in str(caught.value)
	assert "returned HTTP 400" in str(caught.value)  # the kernel's part is still there


def test_free_text_is_accepted_once_the_customer_has_written(cloud):
	cloud.customer_writes(CUSTOMER, "Is my order on its way?")
	response = make_transport(cloud).post(MESSAGES, json=text_message(CUSTOMER, "Yes, at 6 pm"))
	assert response.data["messages"][0]["id"].startswith("wamid.")
	assert "message_status" not in response.data["messages"][0]


def test_a_number_not_on_whatsapp_is_a_record_error(cloud):
	cloud.not_on_whatsapp.add(CUSTOMER)
	with pytest.raises(RecordError) as caught:
		make_transport(cloud).post(MESSAGES, json=confirmation())
	assert "cannot receive WhatsApp messages" in describe_meta_error(caught.value.response_excerpt)


def test_throughput_is_rate_limited_although_meta_answers_400(cloud):
	client = make_transport(cloud)
	for _ in range(3):
		client.post(MESSAGES, json=confirmation())
	with pytest.raises(RateLimitedError) as caught:
		client.post(MESSAGES, json=confirmation())
	assert caught.value.status_code == 400
	assert meta_error(caught.value.response_excerpt)[0] == 130429
	assert len(cloud.sent) == 3


def test_without_the_rule_a_throughput_refusal_would_be_dead_lettered(cloud):
	plain = make_transport(cloud, classifier=Classifier())
	for _ in range(3):
		plain.post(MESSAGES, json=confirmation())
	with pytest.raises(RecordError):
		plain.post(MESSAGES, json=confirmation())


def test_the_whatsapp_classifier_says_how_long_to_wait(cloud):
	client = make_transport(cloud, classifier=WhatsAppClassifier())
	with pytest.raises(RateLimitedError) as caught:
		for _ in range(4):
			client.post(MESSAGES, json=confirmation())
	assert caught.value.provider_code == "130429"
	assert caught.value.retry_after == 1.0


def test_the_pair_rate_limit_is_rate_limited():
	with WhatsAppCloudSimulator(
		TOKEN,
		PHONE_ID,
		SECRET,
		{"order_confirmation": {"language": "en_US", "param_count": 4}},
		pair_rate_limit=(1, 0.1),
	) as cloud:
		client = make_transport(cloud)
		client.post(MESSAGES, json=confirmation())
		client.post(MESSAGES, json=confirmation(to="447700900123"))  # another customer: fine
		with pytest.raises(RateLimitedError) as caught:
			client.post(MESSAGES, json=confirmation())
		assert meta_error(caught.value.response_excerpt)[0] == 131056


def test_an_expired_token_is_an_auth_error(cloud):
	with pytest.raises(AuthError) as caught:
		make_transport(cloud, token="EAAGexpired").post(MESSAGES, json=confirmation())
	assert caught.value.status_code == 401
	assert meta_error(caught.value.response_excerpt)[0] == 190
	assert cloud.sent == []


def test_a_wrong_phone_number_id_is_a_config_error_not_a_bad_record(cloud):
	with pytest.raises(ConfigError):
		make_transport(cloud).post("999999999999/messages", json=confirmation())


@pytest.mark.parametrize(
	"status, code, expected",
	[
		(500, 131000, TransientError),  # something went wrong
		(503, 131016, TransientError),  # service unavailable
		(500, 2, TransientError),
		(500, 3, AuthError),  # a permissions problem that Meta answers with 500
		(429, 4, RateLimitedError),
		(400, 80007, RateLimitedError),
		(403, 10, AuthError),
		(400, 131031, ConfigError),  # account locked: a person must act
		(400, 133010, ConfigError),  # our number is not registered
	],
)
def test_metas_code_decides_whatever_the_http_status(cloud, status, code, expected):
	cloud.faults.add(
		Fault.status_code(
			status, body={"error": {"message": f"(#{code}) x", "type": "OAuthException", "code": code}}
		)
	)
	with pytest.raises(expected):
		make_transport(cloud).post(MESSAGES, json=confirmation())


def test_a_proxy_error_page_falls_back_to_the_http_status(cloud):
	cloud.faults.add(Fault.status_code(502, body="<html>Bad Gateway</html>"))
	with pytest.raises(TransientError):
		make_transport(cloud).post(MESSAGES, json=confirmation())


@pytest.mark.parametrize(
	"code, subcode, expected",
	[
		(130429, None, FailureType.RATE_LIMITED),
		(131056, None, FailureType.RATE_LIMITED),
		(4, None, FailureType.RATE_LIMITED),
		(80007, None, FailureType.RATE_LIMITED),
		(131047, None, FailureType.RECORD),
		(100, None, FailureType.RECORD),
		(100, 33, FailureType.CONFIG),
		(131008, None, FailureType.RECORD),
		(131009, None, FailureType.RECORD),
		(131026, None, FailureType.RECORD),
		(132000, None, FailureType.RECORD),
		(132016, None, FailureType.RECORD),
		(132018, None, FailureType.RECORD),
		(190, None, FailureType.AUTH),
		(10, None, FailureType.AUTH),
		(200, None, FailureType.AUTH),
		(299, None, FailureType.AUTH),
		(131000, None, FailureType.TRANSIENT),
		(131016, None, FailureType.TRANSIENT),
		(1, None, FailureType.TRANSIENT),
		(131048, None, FailureType.CONFIG),
		(999999, None, None),
		(None, None, None),
	],
)
def test_meta_codes_map_to_failure_types(code, subcode, expected):
	assert classify_meta_code(code, subcode) == expected


def test_meta_error_reads_graph_bodies_webhook_errors_and_cut_excerpts():
	graph = {
		"error": {
			"message": "(#131047) Re-engagement message",
			"type": "OAuthException",
			"code": 131047,
			"error_subcode": 2494010,
			"error_data": {"messaging_product": "whatsapp", "details": "More than 24 hours have passed."},
			"fbtrace_id": "Az8or2yhqkZfEZ",
		}
	}
	assert meta_error(graph) == (
		131047,
		2494010,
		"(#131047) Re-engagement message (More than 24 hours have passed.)",
		"Az8or2yhqkZfEZ",
	)
	assert meta_error(json.dumps(graph).encode()) == meta_error(graph)
	webhook_error = {"code": 131026, "title": "Message undeliverable", "error_data": {"details": "x"}}
	assert meta_error(webhook_error)[:3] == (131026, None, "Message undeliverable (x)")
	assert meta_error(json.dumps(graph)[:120])[0] == 131047  # a logged excerpt cut mid-body
	assert meta_error(json.dumps(graph)[:45])[0] == 131047  # cut before "code": the "(#131047)" prefix
	for nothing in (None, "", "<html>", {"errors": "Not Found"}, {"error": "boom"}, [1, 2]):
		assert meta_error(nothing) == (None, None, "", None)


def test_descriptions_name_the_cause_mask_the_number_and_keep_metas_trace():
	body = {
		"error": {"code": 132001, "message": "(#132001) Template name does not exist", "fbtrace_id": "T1"}
	}
	sentence = describe_meta_error(body, "447700900123")
	assert sentence == (
		"WhatsApp refused the message to +44********23: the template does not exist in this language"
		" (132001); check the template name, language and parameters in WhatsApp Settings and WhatsApp"
		" Manager. Meta trace id: T1."
	)
	unknown = describe_meta_error({"error": {"code": 131999, "message": "(#131999) Something new"}})
	assert unknown == "WhatsApp refused the message to the customer: Something new (131999)."
	invalid = describe_meta_error(
		{
			"error": {
				"code": 100,
				"message": "(#100) Invalid parameter",
				"error_data": {"details": "Param text"},
			}
		}
	)
	assert "Invalid parameter (Param text) (100)" in invalid
	assert "not a WhatsApp error" in describe_meta_error("<html>oops</html>")


@pytest.mark.parametrize(
	"number, masked",
	[
		("447700900123", "+44********23"),
		("+91 98765 43210", "+91********10"),
		("123", "the customer"),
		(None, "the customer"),
	],
)
def test_recipients_are_masked(number, masked):
	assert mask_recipient(number) == masked
