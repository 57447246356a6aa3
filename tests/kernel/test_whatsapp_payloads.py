"""WhatsApp message bodies from plain data: phone numbers customers really type, the confirmation
template Meta accepts, and parameters cleaned so that a customer's name with a line break does not
make Meta refuse the whole message."""

from datetime import date

import pytest

from scoopjoy.connectors.whatsapp.payloads import (
	explain_phone_problem,
	format_money,
	normalize_phone,
	order_confirmation_template,
	template_text,
	text_message,
)
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.tests.simulators.whatsapp_cloud import WhatsAppCloudSimulator

PHONES = [
	# (typed by the customer, default country code, what Meta gets)
	("+44 7700 900123", None, "447700900123"),
	("+44 7700 900123", "91", "447700900123"),  # an explicit country code beats the default
	("07700 900123", "44", "447700900123"),  # national trunk 0 dropped
	("0044 7700 900123", None, "447700900123"),  # 00 international prefix
	("+44 (0)7700 900123", None, "447700900123"),  # the bracketed trunk 0
	("(0171) 234-5678", "49", "491712345678"),
	("919876543210", "91", "919876543210"),  # already international
	("919876543210", None, "919876543210"),
	("98765 43210", "91", "919876543210"),  # national without trunk prefix
	("9123456789", "91", "919123456789"),  # a national number that starts like the country code
	("+91 98765-43210", "+91", "919876543210"),
	("+91 98765\u201343210", None, "919876543210"),  # an en dash from a word processor
	("\u096f\u096e\u096d\u096c\u096b \u096a\u0969\u0968\u0967\u0966", "91", "919876543210"),  # Devanagari
	("tel:+14155552671", None, "14155552671"),
	("13812345678", "86", "8613812345678"),
	("  +1 (415) 555.2671 ", None, "14155552671"),
	# unusable
	("098765 43210", None, None),  # national number, no country known
	("9876543210", None, None),  # ambiguous without a country
	("12345", "91", None),  # too short
	("+1234567890123456", None, None),  # 16 digits: longer than E.164 allows
	("+0171 2345678", None, None),  # no country code starts with 0
	("44+7700900123", None, None),
	("98765 43210 / 98765 43211", "91", None),  # two numbers
	("98765 43210 ext 12", "91", None),
	("call me", "91", None),
	("N/A", "91", None),
	("-", "91", None),
	("", "91", None),
	("   ", "91", None),
	(None, "91", None),
]


@pytest.mark.parametrize("raw, country, expected", PHONES)
def test_phone_numbers_become_e164_digits_or_none(raw, country, expected):
	assert normalize_phone(raw, country) == expected


@pytest.mark.parametrize("raw, country, expected", PHONES)
def test_every_usable_number_is_plain_digits_of_e164_length(raw, country, expected):
	number = normalize_phone(raw, country)
	if number is not None:
		assert number.isdigit() and number.isascii() and 8 <= len(number) <= 15
		assert not number.startswith("0")
		assert explain_phone_problem(raw, country) == "the number is usable"
	else:
		assert explain_phone_problem(raw, country) != "the number is usable"


@pytest.mark.parametrize(
	"raw, country, words",
	[
		(None, "91", "no mobile number"),
		("", None, "no mobile number"),
		("call me", "91", "no digits"),
		("12345", "91", "too short"),
		("+1234567890123456", None, "too long"),
		("098765 43210", None, "no country code"),
		("98765 43210 ext 12", "91", "letters or symbols"),
		("98765 43210 / 98765 43211", "91", "more than one number"),
		("+0171 2345678", None, "starting with 0"),
	],
)
def test_an_unusable_number_is_explained_without_showing_it(raw, country, words):
	reason = explain_phone_problem(raw, country)
	assert words in reason
	assert "98765" not in reason and "4321" not in reason and "234567890" not in reason


def test_the_confirmation_template_has_the_shape_meta_documents():
	body = order_confirmation_template(
		"order_confirmation",
		"en_US",
		to="919876543210",
		customer_name="Priya Sharma",
		order_id="SAL-ORD-2026-00042",
		grand_total=1250,
		currency="INR",
		delivery_date="2026-11-28",
	)
	assert body == {
		"messaging_product": "whatsapp",
		"recipient_type": "individual",
		"to": "919876543210",
		"type": "template",
		"template": {
			"name": "order_confirmation",
			"language": {"code": "en_US"},
			"components": [
				{
					"type": "body",
					"parameters": [
						{"type": "text", "text": "Priya Sharma"},
						{"type": "text", "text": "SAL-ORD-2026-00042"},
						{"type": "text", "text": "INR 1,250.00"},
						{"type": "text", "text": "2026-11-28"},
					],
				}
			],
		},
	}


def test_the_recipient_may_be_set_by_the_caller():
	body = order_confirmation_template(
		"order_confirmation",
		"en",
		customer_name="A",
		order_id="SO-1",
		grand_total=1,
		currency="INR",
		delivery_date=date(2026, 11, 28),
	)
	assert "to" not in body
	assert body["template"]["components"][0]["parameters"][3]["text"] == "2026-11-28"


@pytest.mark.parametrize("name, language", [("", "en_US"), ("order_confirmation", ""), ("  ", "en_US")])
def test_a_template_without_name_or_language_is_a_programming_error(name, language):
	with pytest.raises(ValueError):
		order_confirmation_template(
			name, language, customer_name="A", order_id="1", grand_total=1, currency="INR", delivery_date="x"
		)


@pytest.mark.parametrize(
	"value, expected",
	[
		("Priya\nSharma", "Priya Sharma"),
		("Priya\r\n\tSharma", "Priya Sharma"),
		("Priya      Sharma", "Priya Sharma"),  # 6 spaces: Meta allows at most 4
		("  Priya Sharma  ", "Priya Sharma"),
		("Pri\u200bya\u202e Sharma", "Priya Sharma"),  # zero-width and bidi controls
		("Zoë Ørsted", "Zoë Ørsted"),  # letters of every language stay
		("", "-"),
		(None, "-"),
		("\n\t ", "-"),
		(date(2026, 11, 28), "2026-11-28"),
		(42, "42"),
	],
)
def test_template_parameters_are_flattened_to_one_clean_line(value, expected):
	assert template_text(value) == expected


def test_a_very_long_parameter_is_cut_with_an_ellipsis():
	text = template_text("Gelato " * 100)
	assert len(text) == 250 and text.endswith("…")


@pytest.mark.parametrize(
	"amount, currency, expected",
	[
		(1250, "INR", "INR 1,250.00"),
		("1250.5", "inr", "INR 1,250.50"),
		(1234567.005, "USD", "USD 1,234,567.01"),  # half up, as on an invoice
		(0.125, "EUR", "EUR 0.13"),
		(None, "INR", "INR 0.00"),
		("not a number", "INR", "INR 0.00"),
		(float("nan"), "INR", "INR 0.00"),
		(1500.5, "JPY", "JPY 1,501"),  # no minor unit
		(-3.4565, "KWD", "KWD -3.457"),  # three decimals
		(99, None, "99.00"),
	],
)
def test_money_reads_like_an_invoice(amount, currency, expected):
	assert format_money(amount, currency) == expected


def test_text_messages_do_not_preview_links_and_fit_metas_limit():
	body = text_message("919876543210", "Your scoop is ready: https://scoopjoy.example/o/42")
	assert body == {
		"messaging_product": "whatsapp",
		"recipient_type": "individual",
		"to": "919876543210",
		"type": "text",
		"text": {"preview_url": False, "body": "Your scoop is ready: https://scoopjoy.example/o/42"},
	}
	long_body = text_message("919876543210", "x" * 5000)["text"]["body"]
	assert len(long_body) == 4096 and long_body.endswith("…")
	assert text_message("919876543210", "y" * 4096)["text"]["body"] == "y" * 4096
	with pytest.raises(ValueError):
		text_message("919876543210", "   ")


def test_a_messy_customer_name_is_accepted_by_the_cloud_api_once_cleaned():
	"""End to end over a real socket: the raw name makes the simulator (like Meta) refuse the
	message with (#100); the body built by order_confirmation_template goes through."""
	with WhatsAppCloudSimulator(
		"EAAGtoken",
		"106540352242922",
		"app-secret",
		{"order_confirmation": {"language": "en_US", "param_count": 4}},
	) as cloud:
		transport = HttpTransport(
			service="WhatsApp",
			base_url=f"{cloud.url}/{cloud.version}/",
			timeout=2,
			retry_policy=RetryPolicy(max_retries=0),
			auth_headers=lambda: {"Authorization": "Bearer EAAGtoken"},
		)
		body = order_confirmation_template(
			"order_confirmation",
			"en_US",
			to=normalize_phone("098765 43210", "91"),
			customer_name="Priya\nSharma\t(Koramangala)",
			order_id="SO-42",
			grand_total="1250",
			currency="INR",
			delivery_date="2026-11-28",
		)
		raw = {
			**body,
			"template": {**body["template"], "components": [dict(body["template"]["components"][0])]},
		}
		raw["template"]["components"][0]["parameters"] = [
			{"type": "text", "text": "Priya\nSharma"},
			*body["template"]["components"][0]["parameters"][1:],
		]

		refused = transport.session.post(
			transport.base_url + "106540352242922/messages",
			json=raw,
			headers={"Authorization": "Bearer EAAGtoken"},
			timeout=2,
		)
		assert refused.status_code == 400 and refused.json()["error"]["code"] == 100

		response = transport.post("106540352242922/messages", json=body)
		assert response.data["messages"][0]["id"].startswith("wamid.")
		assert cloud.sent[-1]["to"] == "919876543210"
		transport.close()
