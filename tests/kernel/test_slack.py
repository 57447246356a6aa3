"""Posting alerts to a Slack incoming webhook through the kernel transport, against the simulator."""

import pytest

from scoopjoy.kernel.errors import Classifier, ConfigError, ConnectorError, FailureType
from scoopjoy.kernel.masking import mask_text, mask_url
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.slack import alert_message, escape_mrkdwn, slack_response_rule, webhook_origin
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.tests.simulators.harness import Fault
from scoopjoy.tests.simulators.slack import SlackWebhookSimulator


@pytest.fixture
def slack():
	with SlackWebhookSimulator(burst=2) as sim:
		yield sim


def transport_for(url, records):
	transport = HttpTransport(
		service="Slack Alerts",
		base_url=webhook_origin(url),
		timeout=2,
		retry_policy=RetryPolicy(max_retries=1, backoff_base=0.01),
		classifier=Classifier(response_rules=(slack_response_rule,)),
		on_call=records.append,
	)
	transport.webhook_url = url
	return transport


def post(transport, message):
	return transport.request("POST", transport.webhook_url, json=message, expect_json=False)


def test_an_alert_reaches_the_channel_and_the_log_hides_the_webhook_secret(slack):
	records = []
	post(transport_for(slack.webhook_url, records), alert_message("Shopify: circuit open", "Calls paused"))
	[message] = slack.messages
	assert message["text"] == "Shopify: circuit open: Calls paused"
	assert message["blocks"][0]["text"]["text"].startswith("*Shopify: circuit open*")
	assert slack.secret not in records[0].url
	assert records[0].url.endswith("/services/T0SCOOPJOY/B0ALERTS01/****")


def test_a_revoked_webhook_is_a_config_error_not_retried(slack):
	slack.revoked = True
	records = []
	with pytest.raises(ConfigError) as raised:
		post(transport_for(slack.webhook_url, records), alert_message("t", "x"))
	assert raised.value.failure_type is FailureType.CONFIG
	assert len(slack.requests) == 1
	assert slack.messages == []


def test_a_wrong_secret_is_a_config_error(slack):
	records = []
	wrong = slack.webhook_url.replace(slack.secret, "Xwrong")
	with pytest.raises(ConnectorError) as raised:
		post(transport_for(wrong, records), alert_message("t", "x"))
	assert raised.value.failure_type is FailureType.CONFIG


def test_posting_faster_than_slack_allows_is_rate_limited_with_retry_after(slack):
	transport = transport_for(slack.webhook_url, [])
	post(transport, alert_message("a", "1"))
	post(transport, alert_message("b", "2"))
	with pytest.raises(ConnectorError) as raised:
		post(transport, alert_message("c", "3"))
	assert raised.value.failure_type is FailureType.RATE_LIMITED
	assert len(slack.messages) == 2


def test_a_server_error_is_transient_and_a_post_without_key_is_not_repeated(slack):
	slack.faults.add(Fault.status(500, body="rollup_error"))
	with pytest.raises(ConnectorError) as raised:
		post(transport_for(slack.webhook_url, []), alert_message("a", "1"))
	assert raised.value.failure_type is FailureType.TRANSIENT
	assert len(slack.requests) == 1  # a second POST could double the message


def test_message_text_is_escaped_and_bounded():
	assert escape_mrkdwn("<b> & <!channel>") == "&lt;b&gt; &amp; &lt;!channel&gt;"
	long = alert_message("title", "x" * 5000, link="https://erp.example/app/integration-status")
	assert len(long["blocks"][0]["text"]["text"]) == 3000
	assert len(long["text"]) <= 3000


def test_slack_webhook_secrets_are_masked_in_free_text():
	text = "Max retries exceeded with url: /services/T1/B2/AbCdEf0123456789xyz"
	assert mask_text(text).endswith("/services/T1/B2/****")
	assert (
		mask_url("https://hooks.slack.com/services/T1/B2/AbCdEf0123")
		== "https://hooks.slack.com/services/T1/B2/****"
	)
