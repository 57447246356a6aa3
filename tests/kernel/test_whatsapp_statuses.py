"""Message status webhooks: signed by Meta, delivered late, twice and out of order, and applied
so that the order shows what really happened (a read message never goes back to "delivered").

The receiver here is a real HTTP server that does what our webhook endpoint does: check the
signature on the raw body, then parse and apply. The simulator posts to it over a real socket.
"""

import itertools
import json

import pytest

from scoopjoy.connectors.whatsapp.errors import describe_meta_error
from scoopjoy.connectors.whatsapp.statuses import (
	InboundMessage,
	StatusEvent,
	latest_statuses,
	parse_inbound_messages,
	parse_status_webhook,
	parse_webhook,
	should_apply,
)
from scoopjoy.kernel.signatures import META_SIGNATURE_HEADER, sign_meta, verify_meta_signature
from scoopjoy.tests.simulators import SimRequest, SimResponse, SimulatorServer
from scoopjoy.tests.simulators.whatsapp_cloud import WhatsAppCloudSimulator

TOKEN, PHONE_ID, SECRET = "EAAGtoken", "106540352242922", "whatsapp-app-secret"
CUSTOMER = "919876543210"
T0 = 1_700_000_000


class StatusReceiver(SimulatorServer):
	"""A tiny webhook endpoint: 401 for a bad signature, otherwise apply the statuses."""

	name = "status-receiver"

	def __init__(self, secrets, **kwargs):
		self.secrets = secrets
		self.state: dict[str, tuple[str, int]] = {}
		self.applied = 0
		self.inbound: list[InboundMessage] = []
		super().__init__(**kwargs)

	def setup_routes(self):
		self.route("POST", "/webhooks/whatsapp", self.receive, auth=False)

	def receive(self, request: SimRequest) -> SimResponse:
		if not verify_meta_signature(request.body, request.header(META_SIGNATURE_HEADER), self.secrets):
			return SimResponse(401, json={"error": "invalid signature"})
		batch = parse_webhook(json.loads(request.body))
		with self.lock:
			for event in batch.statuses:
				current = self.state.get(event.message_id, ("", 0))
				if should_apply(current[0], current[1], event.status, event.timestamp):
					self.state[event.message_id] = (event.status, event.timestamp)
					self.applied += 1
			self.inbound.extend(batch.messages)
		return SimResponse(200, json={"status": "ok"})


@pytest.fixture
def cloud():
	with WhatsAppCloudSimulator(TOKEN, PHONE_ID, SECRET) as sim:
		yield sim


@pytest.fixture
def receiver():
	with StatusReceiver([SECRET, "previous-secret"]) as server:
		yield server


# --- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"current, current_ts, new, new_ts, applied",
	[
		("", 0, "sent", T0, True),
		(None, None, "delivered", T0, True),
		("sending", 0, "sent", T0, True),  # our own states lose to anything Meta reports
		("uncertain", 0, "read", T0, True),
		("sent", T0, "delivered", T0 + 5, True),
		("delivered", T0 + 5, "read", T0 + 60, True),
		("sent", T0, "read", T0 + 60, True),  # "delivered" may never come
		("read", T0 + 60, "delivered", T0 + 5, False),  # delivered never overwrites read
		("read", T0 + 60, "sent", T0, False),
		("delivered", T0 + 5, "sent", T0 + 99, False),  # a step back, even if stamped later
		("read", T0 + 60, "read", T0 + 60, False),  # a duplicate changes nothing
		("delivered", T0 + 5, "delivered", T0 + 5, False),
		("delivered", T0 + 5, "delivered", T0 + 9, True),  # the same status, newer
		("delivered", T0 + 9, "delivered", T0 + 5, False),  # older never overwrites newer
		("sent", T0, "failed", T0 + 5, True),
		("", 0, "failed", T0, True),
		("delivered", T0 + 5, "failed", T0 + 90, False),  # the customer has it
		("read", T0 + 60, "failed", T0 + 90, False),  # failed after read is ignored
		("failed", T0 + 5, "failed", T0 + 5, False),
		("failed", T0 + 5, "failed", T0 + 9, True),
		("failed", T0 + 5, "delivered", T0 + 9, True),  # a later delivery proves it arrived
		("failed", T0 + 5, "delivered", T0 + 1, False),
		("failed", T0 + 5, "sent", T0, False),
		("Read", T0 + 60, "DELIVERED", T0 + 5, False),  # case does not matter
		("sent", T0, "deleted", T0 + 5, False),  # unknown statuses change nothing
		("sent", T0, "", T0 + 5, False),
		("sent", str(T0), "delivered", str(T0 + 5), True),
	],
)
def test_the_ordering_rule(current, current_ts, new, new_ts, applied):
	assert should_apply(current, current_ts, new, new_ts) is applied


@pytest.mark.parametrize("order", list(itertools.permutations(["sent", "delivered", "read"])))
def test_every_arrival_order_with_duplicates_ends_read(order):
	true_time = {"sent": T0, "delivered": T0 + 5, "read": T0 + 60}
	events = [StatusEvent("wamid.A", CUSTOMER, s, true_time[s]) for s in order]
	events += events  # every delivery twice
	assert latest_statuses(events) == {"wamid.A": ("read", T0 + 60)}
	# and one by one, in arrival order, as webhooks come
	state = ("", 0)
	for event in events:
		if should_apply(state[0], state[1], event.status, event.timestamp):
			state = (event.status, event.timestamp)
	assert state == ("read", T0 + 60)


def test_latest_statuses_starts_from_what_is_stored_and_leaves_it_alone():
	stored = {"wamid.A": ("read", T0 + 60)}
	result = latest_statuses(
		[StatusEvent("wamid.A", CUSTOMER, "delivered", T0 + 5), StatusEvent("wamid.B", CUSTOMER, "sent", T0)],
		stored,
	)
	assert result == {"wamid.A": ("read", T0 + 60), "wamid.B": ("sent", T0)}
	assert stored == {"wamid.A": ("read", T0 + 60)}


# --- parsing --------------------------------------------------------------------------------------


def test_a_status_payload_is_parsed_with_pricing_and_errors(cloud):
	error = {
		"code": 131047,
		"title": "Re-engagement message",
		"message": "Re-engagement message",
		"error_data": {"details": "Message failed to send because more than 24 hours have passed."},
	}
	payload = cloud.status_payload("wamid.F", "failed", T0 + 5, CUSTOMER, errors=[error])
	payload["entry"][0]["changes"][0]["value"]["statuses"].append(
		{
			"id": "wamid.S",
			"status": "sent",
			"timestamp": str(T0),
			"recipient_id": CUSTOMER,
			"pricing": {"billable": True},
		}
	)
	failed, sent = parse_status_webhook(payload)
	assert failed == StatusEvent(
		message_id="wamid.F",
		recipient_id=CUSTOMER,
		status="failed",
		timestamp=T0 + 5,
		errors=[error],
		phone_number_id=PHONE_ID,
	)
	assert failed.error_codes == [131047]
	assert sent.pricing == {"billable": True} and sent.status == "sent"
	assert "24-hour" in describe_meta_error(failed.errors[0], failed.recipient_id)


def test_inbound_messages_are_returned_apart_from_statuses(cloud):
	payload = cloud.inbound_payload(CUSTOMER, "Where is my order?", T0, name="Priya")
	assert parse_status_webhook(payload) == []
	(message,) = parse_inbound_messages(payload)
	assert (message.sender, message.text, message.timestamp, message.type, message.profile_name) == (
		CUSTOMER,
		"Where is my order?",
		T0,
		"text",
		"Priya",
	)


@pytest.mark.parametrize(
	"payload",
	[
		None,
		[],
		"text",
		{},
		{"entry": "x"},
		{"entry": [{"changes": [{"value": "x"}]}]},
		{
			"entry": [
				{
					"changes": [
						{
							"field": "account_update",
							"value": {"statuses": [{"id": "w", "status": "sent", "timestamp": "1"}]},
						}
					]
				}
			]
		},
		{"entry": [{"changes": [{"value": {"statuses": [{"status": "sent", "timestamp": "1"}]}}]}]},  # no id
		{
			"entry": [
				{"changes": [{"value": {"statuses": [{"id": "w", "status": "sent", "timestamp": "soon"}]}}]}
			]
		},
		{"entry": [{"changes": [{"value": {"statuses": ["x", None, 3]}}]}]},
	],
)
def test_malformed_payloads_give_no_events_instead_of_an_exception(payload):
	assert parse_status_webhook(payload) == []


def test_a_good_entry_survives_a_malformed_neighbour():
	payload = {
		"entry": [
			{
				"changes": [
					{
						"value": {
							"statuses": [
								{"id": "wamid.BAD", "status": "sent"},
								{
									"id": "wamid.OK",
									"status": "Delivered",
									"timestamp": T0,
									"recipient_id": CUSTOMER,
								},
							],
							"errors": [{"code": 131000, "title": "Something went wrong"}],
						}
					}
				]
			}
		]
	}
	batch = parse_webhook(payload)
	assert [(e.message_id, e.status) for e in batch.statuses] == [("wamid.OK", "delivered")]
	assert batch.errors == [{"code": 131000, "title": "Something went wrong"}]


# --- signed deliveries over a real socket -----------------------------------------------------------


def test_an_out_of_order_sequence_with_a_duplicate_ends_read(cloud, receiver):
	url = receiver.url_for("/webhooks/whatsapp")
	for raw, headers in cloud.status_sequence("wamid.Y", CUSTOMER, order=["sent", "read", "delivered"]):
		assert cloud.deliver(url, raw, headers).status_code == 200
	assert receiver.count("POST") == 4  # sent, read, delivered, delivered again
	assert receiver.state == {"wamid.Y": ("read", T0 + 60)}
	assert receiver.applied == 2  # sent, then read; the late delivered and its duplicate changed nothing


def test_failed_after_read_is_ignored_and_failed_after_sent_is_kept(cloud, receiver):
	url = receiver.url_for("/webhooks/whatsapp")
	for raw, headers in cloud.status_sequence(
		"wamid.R", CUSTOMER, order=["sent", "read", "failed"], duplicate=False
	):
		cloud.deliver(url, raw, headers)
	for raw, headers in cloud.status_sequence("wamid.F", CUSTOMER, order=["sent", "failed"], duplicate=True):
		cloud.deliver(url, raw, headers)
	assert receiver.state["wamid.R"] == ("read", T0 + 60)
	assert receiver.state["wamid.F"] == ("failed", T0 + 5)


def test_signed_deliveries_verify_and_forged_ones_are_refused(cloud, receiver):
	url = receiver.url_for("/webhooks/whatsapp")
	raw, headers = cloud.status_webhook("wamid.X", "read", T0 + 60, CUSTOMER)
	assert verify_meta_signature(raw, headers[META_SIGNATURE_HEADER], SECRET)

	forgeries = [
		(raw.replace(b'"read"', b'"sent"'), headers),  # body changed, signature kept
		(raw, {**headers, META_SIGNATURE_HEADER: sign_meta(raw, "not-the-app-secret")}),
		(raw, {**headers, META_SIGNATURE_HEADER: "sha256=" + "0" * 64}),
		(raw, {"Content-Type": "application/json"}),  # no signature at all
		# the same JSON re-serialised: equal as data, different bytes, so the signature fails
		(json.dumps(json.loads(raw), indent=1).encode(), headers),
	]
	for body, forged_headers in forgeries:
		assert cloud.deliver(url, body, forged_headers).status_code == 401
	assert receiver.state == {}

	assert cloud.deliver(url, raw, headers).status_code == 200
	assert receiver.state == {"wamid.X": ("read", T0 + 60)}


def test_a_delivery_signed_with_the_previous_secret_still_verifies_during_a_rotation(receiver):
	with WhatsAppCloudSimulator(TOKEN, PHONE_ID, "previous-secret") as old:
		raw, headers = old.status_webhook("wamid.P", "delivered", T0 + 5, CUSTOMER)
		assert old.deliver(receiver.url_for("/webhooks/whatsapp"), raw, headers).status_code == 200
	assert receiver.state == {"wamid.P": ("delivered", T0 + 5)}


def test_a_customers_message_with_accents_verifies_and_opens_the_window(cloud, receiver):
	raw, headers = cloud.customer_writes(CUSTOMER, "Zoë wants pistachio 🍨", T0)
	assert raw.isascii()  # non-ASCII escaped, as Meta signs it
	assert cloud.deliver(receiver.url_for("/webhooks/whatsapp"), raw, headers).status_code == 200
	assert [m.text for m in receiver.inbound] == ["Zoë wants pistachio 🍨"]
	assert CUSTOMER in cloud.opted_in
