"""Google Contacts without Frappe: payloads and batching, Google's errors classified, and the
People API simulator (batch create, etag-guarded updates, 401 / 429 in Google's shape) driven
through the real kernel transport, with the circuit breaker's state in the real Redis."""

import pytest

from scoopjoy.connectors.google_contacts import constants, payloads
from scoopjoy.connectors.google_contacts.errors import (
	google_error,
	google_response_rule,
	is_etag_mismatch,
	is_quota_error,
)
from scoopjoy.kernel.circuit_breaker import CircuitBreaker
from scoopjoy.kernel.errors import AuthError, Classifier, FailureType, RateLimitedError, RecordError
from scoopjoy.kernel.masking import mask_text
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.tests.simulators.google_people import GooglePeopleSimulator, quota_fault

TOKEN = "ya29.a0AfB_byScoopJoyTestAccessToken0123456789"


def customer(name, **extra):
	return {"name": name, "customer_name": f"{name} Ltd", **extra}


@pytest.fixture
def people():
	with GooglePeopleSimulator(access_token=TOKEN) as sim:
		yield sim


@pytest.fixture
def transport(people, redis_server, key_prefix):
	calls = []
	t = HttpTransport(
		service=constants.SERVICE_NAME,
		base_url=people.url + "/",
		timeout=2,
		retry_policy=RetryPolicy(max_retries=2, backoff_base=0.05, backoff_cap=0.2),
		classifier=Classifier(response_rules=(google_response_rule,)),
		breaker=CircuitBreaker(redis_server, f"{key_prefix}google", failure_threshold=5, cooldown=30),
		auth_headers=lambda: {"Authorization": f"Bearer {TOKEN}"},
		on_call=calls.append,
	)
	t.calls = calls
	yield t


# --- payloads and batching ---------------------------------------------------------------------------


def test_a_customer_becomes_a_person_with_our_client_data_key():
	person = payloads.person_payload(
		customer("CUST-1", mobile_no=" +49 171 2345678 ", email_id="buyer@franchise.example"),
		"ScoopJoy Franchise",
	)
	assert person["names"] == [{"unstructuredName": "CUST-1 Ltd"}]
	assert person["phoneNumbers"] == [{"value": "+49 171 2345678", "type": "mobile"}]
	assert person["emailAddresses"][0]["value"] == "buyer@franchise.example"
	assert person["organizations"] == [{"name": "ScoopJoy Franchise"}]
	assert payloads.customer_of(person) == "CUST-1"


def test_a_removed_number_is_sent_as_an_empty_field_so_google_removes_it_too():
	person = payloads.person_payload(customer("CUST-2"))
	assert person["phoneNumbers"] == [] and person["emailAddresses"] == [] and person["organizations"] == []


def test_batches_never_exceed_googles_200_and_keep_the_order():
	items = list(range(450))
	chunks = list(payloads.batches(items, 500))  # a setting above the limit is capped
	assert [len(c) for c in chunks] == [200, 200, 50]
	assert [x for c in chunks for x in c] == items
	assert [len(c) for c in payloads.batches(items[:5], 2)] == [2, 2, 1]
	with pytest.raises(ValueError):
		payloads.batch_create_body([{}] * 201)


def test_plan_creates_new_customers_updates_changed_ones_and_leaves_the_rest():
	unchanged = customer("C-SAME", custom_google_contact_id="people/c1")
	unchanged["custom_google_contact_hash"] = payloads.content_hash(payloads.person_payload(unchanged, "Org"))
	changed = customer("C-CHANGED", custom_google_contact_id="people/c2", custom_google_contact_hash="old")
	new = customer("C-NEW")
	to_create, to_update = payloads.plan_sync([unchanged, changed, new], "Org")
	assert [c["name"] for c, _p, _h in to_create] == ["C-NEW"]
	assert [c["name"] for c, _p, _h in to_update] == ["C-CHANGED"]


def test_the_update_body_carries_the_etag_and_only_the_fields_we_write():
	person = payloads.person_payload(customer("C-3"))
	body = payloads.update_body({**person, "resourceName": "people/c9"}, "%EgUBAi43PRoEAQIFByIMTUF6")
	assert body["etag"] == "%EgUBAi43PRoEAQIFByIMTUF6"
	assert set(body) == {*constants.WRITTEN_FIELDS, "etag"}


# --- Google's errors ---------------------------------------------------------------------------------


def test_googles_error_shape_is_read():
	body = {"error": {"code": 400, "message": "etag", "status": "FAILED_PRECONDITION"}}
	assert google_error(body) == (400, "FAILED_PRECONDITION", "etag")
	assert google_error("not json") == (None, None, "")


# --- against the simulator, through the transport ----------------------------------------------------


def test_batch_create_returns_resource_names_matched_by_customer(people, transport):
	batch = [payloads.person_payload(customer(f"C-{i}")) for i in range(3)]
	response = transport.post(constants.BATCH_CREATE_PATH, json=payloads.batch_create_body(batch))
	created = payloads.created_contacts(response.data)
	assert set(created) == {"C-0", "C-1", "C-2"}
	assert all(name.startswith("people/c") and etag for name, etag in created.values())
	assert people.batch_sizes == [3]


def test_a_stale_etag_is_a_record_failure_recognised_as_an_etag_mismatch(people, transport):
	response = transport.post(
		constants.BATCH_CREATE_PATH,
		json=payloads.batch_create_body([payloads.person_payload(customer("C-E"))]),
	)
	resource_name, etag = payloads.created_contacts(response.data)["C-E"]
	people.edit_in_google(resource_name, biographies=[{"value": "edited on a phone"}])
	path = constants.UPDATE_PATH.format(resource_name=resource_name)
	params = {"updatePersonFields": constants.UPDATE_PERSON_FIELDS}
	person = payloads.person_payload(customer("C-E", mobile_no="+44 20 7946 0000"))

	with pytest.raises(RecordError) as caught:
		transport.patch(path, json=payloads.update_body(person, etag), params=params, idempotent=True)
	assert is_etag_mismatch(caught.value)

	current = transport.get(
		constants.GET_PATH.format(resource_name=resource_name), params={"personFields": constants.READ_MASK}
	).data
	updated = transport.patch(path, json=payloads.update_body(person, current["etag"]), params=params).data
	assert updated["phoneNumbers"][0]["value"] == "+44 20 7946 0000"
	assert updated["etag"] != current["etag"]


def test_a_quota_429_is_rate_limited_and_never_creates_anything(people, transport):
	people.faults.add(quota_fault(times=1, retry_after=7))
	with pytest.raises(RateLimitedError) as caught:
		transport.post(
			constants.BATCH_CREATE_PATH,
			json=payloads.batch_create_body([payloads.person_payload(customer("C-Q"))]),
		)
	assert is_quota_error(caught.value)
	assert caught.value.retry_after == 7
	assert "RESOURCE_EXHAUSTED" in caught.value.response_excerpt
	assert people.people == {}  # a 429 created nothing, so resending it is safe
	assert people.count("POST", constants.BATCH_CREATE_PATH) == 1  # POST without a key: not resent


def test_a_writes_per_minute_quota_answers_429_resource_exhausted(redis_server, key_prefix):
	with GooglePeopleSimulator(access_token=TOKEN, writes_per_minute=1) as sim:
		t = HttpTransport(
			service=constants.SERVICE_NAME,
			base_url=sim.url + "/",
			timeout=2,
			retry_policy=RetryPolicy(max_retries=0),
			classifier=Classifier(response_rules=(google_response_rule,)),
			auth_headers=lambda: {"Authorization": f"Bearer {TOKEN}"},
		)
		body = payloads.batch_create_body([payloads.person_payload(customer("C-W"))])
		t.post(constants.BATCH_CREATE_PATH, json=body)
		with pytest.raises(RateLimitedError):
			t.post(constants.BATCH_CREATE_PATH, json=body)


def test_a_wrong_token_is_an_auth_failure_and_the_token_is_not_logged(people, transport):
	people.access_token = "ya29.another-token-entirely-0123456789abcdef"
	with pytest.raises(AuthError) as caught:
		transport.get(constants.CONNECTIONS_PATH, params={"personFields": "names"})
	assert caught.value.failure_type is FailureType.AUTH
	assert "UNAUTHENTICATED" in caught.value.response_excerpt
	logged = " ".join(str(c.request_headers) + (c.error or "") for c in transport.calls)
	assert TOKEN not in logged and TOKEN not in mask_text(f"Bearer {TOKEN}")


def test_listing_contacts_finds_those_an_interrupted_batch_created(people, transport):
	batch = [payloads.person_payload(customer(f"C-L{i}")) for i in range(5)]
	transport.post(constants.BATCH_CREATE_PATH, json=payloads.batch_create_body(batch))
	found, token = [], None
	while True:
		params = {
			"personFields": "clientData,metadata",
			"pageSize": 2,
			**({"pageToken": token} if token else {}),
		}
		data = transport.get(constants.CONNECTIONS_PATH, params=params).data
		found += data.get("connections", [])
		token = data.get("nextPageToken")
		if not token:
			break
	assert set(payloads.contacts_by_customer(found)) == {f"C-L{i}" for i in range(5)}


def test_more_than_200_contacts_in_one_call_is_refused_by_the_simulator(people, transport):
	body = {
		"contacts": [{"contactPerson": payloads.person_payload(customer(f"X{i}"))} for i in range(201)],
		"readMask": "names",
	}
	with pytest.raises(RecordError):
		transport.post(constants.BATCH_CREATE_PATH, json=body)
	assert people.people == {}
