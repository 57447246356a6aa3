"""Shipping without Frappe: parcel weight from items (minimum, fallbacks, units, what is missing),
carrier payloads, rates and tracking, and the carrier simulator driven through the real kernel
transport: booking with an idempotency key never creates a second parcel."""

import base64

import pytest
import requests

from scoopjoy.connectors.shipping import constants, payloads
from scoopjoy.kernel.circuit_breaker import CircuitBreaker
from scoopjoy.kernel.errors import AuthError, RecordError
from scoopjoy.kernel.idempotency import idempotency_key
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.tests.simulators import Fault
from scoopjoy.tests.simulators.carrier import CarrierSimulator

PUBLIC, SECRET = "pk_carrier_test", "carrier-secret-0123456789"
ADDRESS = {"address_line1": "Hauptstr. 1", "city": "Berlin", "pincode": "10115", "country_code": "de"}


def row(code, qty, weight=None, uom="Kg"):
	return {"item_code": code, "qty": qty, "weight_per_unit": weight, "weight_uom": uom}


# --- parcel weight ---------------------------------------------------------------------------------


def test_weight_is_summed_over_items_in_kilograms():
	weight = payloads.parcel_weight(
		[row("TUB-5L", 2, 5.2), row("CONE-BOX", 3, 800, "Gram"), row("SYRUP", 1, 2, "lb")], minimum_kg=0.5
	)
	assert weight.ok
	assert weight.weight_kg == pytest.approx(10.4 + 2.4 + 0.907, abs=0.001)


def test_a_light_parcel_is_declared_at_the_minimum():
	assert payloads.parcel_weight([row("SPOON", 10, 2, "g")], minimum_kg=0.5).weight_kg == 0.5


def test_items_without_weight_are_named_unless_a_fallback_is_set():
	items = [row("TUB-5L", 1, 5), row("NAPKINS", 4), row("LIDS", 1, 0)]
	weight = payloads.parcel_weight(items, minimum_kg=0.5)
	assert not weight.ok
	assert weight.items_without_weight == ["NAPKINS", "LIDS"]
	message = payloads.weight_problem(weight)
	assert "NAPKINS" in message and "LIDS" in message and "Weight Per Unit" in message

	with_fallback = payloads.parcel_weight(items, minimum_kg=0.5, fallback_kg=0.25)
	assert with_fallback.ok and with_fallback.weight_kg == pytest.approx(5 + 4 * 0.25 + 0.25)


def test_a_weight_in_a_unit_that_is_not_a_weight_is_reported():
	weight = payloads.parcel_weight([row("TUB", 1, 3, "Litre")], minimum_kg=0.5)
	assert weight.unknown_uoms == [("TUB", "Litre")]
	assert "Litre" in payloads.weight_problem(weight)


def test_parcels_use_the_given_dimensions():
	assert payloads.shipment_parcels(3.2, 40, 30, 25) == [
		{"length": 40, "width": 30, "height": 25, "weight": 3.2, "count": 1}
	]


# --- rates and tracking ---------------------------------------------------------------------------


def test_rates_are_filtered_by_destination_and_weight_cheapest_first():
	methods = {
		"shipping_methods": [
			{
				"id": 1,
				"name": "Heavy",
				"carrier": "dhl",
				"min_weight": "5",
				"max_weight": "20",
				"countries": [{"iso_2": "DE", "price": 11}],
			},
			{
				"id": 2,
				"name": "Small",
				"carrier": "dpd",
				"min_weight": "0",
				"max_weight": "5",
				"countries": [{"iso_2": "DE", "price": 8}],
			},
			{
				"id": 3,
				"name": "Cheap",
				"carrier": "ups",
				"min_weight": "0",
				"max_weight": "5",
				"countries": [{"iso_2": "DE", "price": 5}],
			},
			{
				"id": 4,
				"name": "NL only",
				"carrier": "postnl",
				"min_weight": "0",
				"max_weight": "5",
				"countries": [{"iso_2": "NL", "price": 1}],
			},
		]
	}
	rates = payloads.rates_from_methods(methods, "de", 2.0, "Direct Carrier")
	assert [r["service_name"] for r in rates] == ["Cheap", "Small"]
	assert rates[0] == {
		"service_provider": "Direct Carrier",
		"carrier": "UPS",
		"service_name": "Cheap",
		"service_id": 3,
		"total_price": 5.0,
	}


def test_tracking_maps_carrier_statuses_onto_the_shipment_options():
	assert payloads.tracking_status(11, "Delivered") == constants.DELIVERED
	assert payloads.tracking_status(3, "En route to sorting center") == constants.IN_PROGRESS
	assert payloads.tracking_status(80, "Unable to deliver") == constants.LOST
	assert payloads.tracking_status(None, "Returned to sender") == constants.RETURNED
	both = payloads.tracking_from_parcels(
		[
			{"tracking_number": "A1", "status": {"id": 11, "message": "Delivered"}},
			{"tracking_number": "A2", "status": {"id": 3, "message": "En route"}},
		]
	)
	assert both["tracking_status"] == constants.IN_PROGRESS  # delivered only when every parcel is
	assert both["awb_number"] == "A1, A2"


# --- the carrier simulator through the kernel -----------------------------------------------------


@pytest.fixture
def carrier():
	with CarrierSimulator(public_key=PUBLIC, secret_key=SECRET) as sim:
		yield sim


def make_transport(sim, redis_server, key_prefix, secret=SECRET):
	auth = "Basic " + base64.b64encode(f"{PUBLIC}:{secret}".encode()).decode()
	return HttpTransport(
		service=constants.SERVICE_NAME,
		base_url=sim.url + "/",
		timeout=(1, 0.5),
		retry_policy=RetryPolicy(max_retries=2, backoff_base=0.05, backoff_cap=0.2),
		breaker=CircuitBreaker(redis_server, f"{key_prefix}carrier", failure_threshold=5, cooldown=30),
		auth_headers=lambda: {"Authorization": auth},
	)


def parcel_body(shipment="SHIPMENT-0001", index=1, service_id=8):
	return payloads.carrier_parcel(
		shipment=shipment,
		index=index,
		address=ADDRESS,
		recipient="Anna Schmidt",
		company_name="Eiscafe Berlin",
		email="anna@example.com",
		phone="+49 30 1234567",
		weight_kg=3.5,
		service_id=service_id,
		value=120,
		currency="EUR",
		description="Ice cream supplies",
	)


def test_rates_from_the_simulator(carrier, redis_server, key_prefix):
	transport = make_transport(carrier, redis_server, key_prefix)
	data = transport.get(constants.SHIPPING_METHODS_PATH, params={"to_country": "DE"}).data
	rates = payloads.rates_from_methods(data, "DE", 3.5, "Direct Carrier")
	assert [r["service_name"] for r in rates] == ["DHL Parcel 0-5kg", "DPD Classic 0-31.5kg"]


def test_a_booking_whose_answer_was_lost_is_retried_without_a_second_parcel(
	carrier, redis_server, key_prefix
):
	transport = make_transport(carrier, redis_server, key_prefix)
	key = idempotency_key("carrier", "parcel", "SHIPMENT-0001", 1)
	# the carrier creates the parcel, but its answer arrives after our read timeout
	carrier.faults.add(Fault.delay(1.5, times=1, process="before", method="POST"))
	response = transport.post(constants.PARCELS_PATH, json=parcel_body(), idempotency_key=key)
	parcel = response.data["parcel"]
	assert response.attempts == 2
	assert len(carrier.created) == 1
	assert parcel["tracking_number"] and payloads.label_url(parcel)

	# a second click / a retried job sends the same key: the first parcel comes back
	again = transport.post(constants.PARCELS_PATH, json=parcel_body(), idempotency_key=key).data["parcel"]
	assert again["id"] == parcel["id"]
	assert len(carrier.created) == 1


def test_the_external_reference_refuses_a_second_parcel_even_without_the_key(
	carrier, redis_server, key_prefix
):
	transport = make_transport(carrier, redis_server, key_prefix)
	transport.post(constants.PARCELS_PATH, json=parcel_body(), idempotency_key="first")
	with pytest.raises(RecordError) as caught:
		transport.post(constants.PARCELS_PATH, json=parcel_body(), idempotency_key="other")
	assert "external_reference" in caught.value.response_excerpt
	assert len(carrier.parcels_for("SHIPMENT-0001")) == 1


def test_tracking_status_is_read_from_the_parcel(carrier, redis_server, key_prefix):
	transport = make_transport(carrier, redis_server, key_prefix)
	parcel = transport.post(constants.PARCELS_PATH, json=parcel_body(), idempotency_key="k").data["parcel"]
	carrier.set_status(parcel["id"], 11, "Delivered")
	current = transport.get(constants.PARCEL_PATH.format(id=parcel["id"])).data["parcel"]
	tracking = payloads.tracking_from_parcels([current])
	assert tracking["tracking_status"] == constants.DELIVERED
	assert tracking["awb_number"] == parcel["tracking_number"]


def test_wrong_keys_are_an_auth_failure(carrier, redis_server, key_prefix):
	transport = make_transport(carrier, redis_server, key_prefix, secret="wrong")
	with pytest.raises(AuthError):
		transport.get(constants.SHIPPING_METHODS_PATH)


def test_a_missing_address_field_is_refused_as_a_record_problem(carrier, redis_server, key_prefix):
	transport = make_transport(carrier, redis_server, key_prefix)
	body = parcel_body()
	body["parcel"]["city"] = ""
	with pytest.raises(RecordError):
		transport.post(constants.PARCELS_PATH, json=body, idempotency_key="k2")
	assert carrier.created == []


def test_the_bulk_parcel_form_creates_each_parcel_and_lists_the_failed_ones():
	with CarrierSimulator(public_key="pk", secret_key="sk") as carrier:
		good = {
			"name": "Eis Cafe",
			"address": "Hauptstr. 1",
			"city": "Berlin",
			"postal_code": "10115",
			"country": "DE",
			"weight": "2.0",
			"shipment": {"id": 8},
			"request_label": True,
			"external_reference": "SHIP-BULK-1",
		}
		response = requests.post(
			f"{carrier.url}/api/v2/parcels?errors=verbose",
			json={"parcels": [good, {**good, "external_reference": "SHIP-BULK-2", "city": ""}]},
			auth=("pk", "sk"),
			timeout=5,
		)
	body = response.json()
	assert response.status_code == 200
	assert [p["external_reference"] for p in body["parcels"]] == ["SHIP-BULK-1"]
	assert "city" in body["failed_parcels"][0]["errors"]
