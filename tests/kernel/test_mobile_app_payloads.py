"""Mobile app payloads and backend simulator: the same menu always has the same fingerprint, a
price change is noticed, bad coordinates are explained, and a replayed push is applied once."""

import pytest

from scoopjoy.connectors.mobile_app.payloads import (
	coordinate_problem,
	menu_fingerprint,
	menu_payload,
	outlet_payload,
)
from scoopjoy.kernel.errors import AuthError
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.tests.simulators.mobile_backend import MobileBackendSimulator

ITEMS = [
	{
		"item_code": "SCOOP-MANGO",
		"item_name": "Mango Sorbet",
		"item_group": "Ice Cream",
		"standard_rate": 3.5,
	},
	{"item_code": "SCOOP-CHOC", "item_name": "Dark Chocolate", "item_group": "Ice Cream", "standard_rate": 4},
]


def test_the_same_menu_in_another_order_has_the_same_fingerprint():
	assert menu_fingerprint(menu_payload(ITEMS)) == menu_fingerprint(menu_payload(list(reversed(ITEMS))))


def test_a_price_change_changes_the_fingerprint():
	changed = [dict(ITEMS[0], standard_rate=3.75), ITEMS[1]]
	assert menu_fingerprint(menu_payload(ITEMS)) != menu_fingerprint(menu_payload(changed))


def test_prices_are_sent_as_two_decimal_strings():
	rows = menu_payload(ITEMS)["items"]
	assert [row["price"] for row in rows] == ["4.00", "3.50"]


@pytest.mark.parametrize(
	"lat, lon, problem",
	[
		(51.5074, -0.1278, None),
		(None, None, None),
		(95, 10, "latitude 95.0 is outside -90..90"),
		(10, 200, "longitude 200.0 is outside -180..180"),
		(0, 0, "both 0"),
		("north", 1, "must be numbers"),
	],
)
def test_coordinates_are_checked_with_a_reason(lat, lon, problem):
	result = coordinate_problem(lat, lon)
	if problem is None:
		assert result is None
	else:
		assert problem in result


def test_outlet_times_are_sent_with_seconds():
	body = outlet_payload(
		{"name": "Koramangala", "opening_time": "10:00", "closing_time": "22:30:00", "is_active": 1}
	)
	assert (body["opening_time"], body["closing_time"], body["is_active"]) == ("10:00:00", "22:30:00", True)


def test_backend_simulator_applies_a_replayed_push_once():
	with MobileBackendSimulator(api_key="k1") as backend:
		transport = HttpTransport(
			service="Mobile", base_url=backend.url, timeout=2, auth_headers=lambda: {"X-API-Key": "k1"}
		)
		first = transport.post(
			"/api/v1/orders/status", json={"order_id": "SO-1", "status": "To Deliver"}, idempotency_key="sj-1"
		)
		again = transport.post(
			"/api/v1/orders/status", json={"order_id": "SO-1", "status": "To Deliver"}, idempotency_key="sj-1"
		)
		assert first.data == again.data
		assert again.headers.get("Idempotent-Replayed") == "true"
		assert len(backend.received) == 1


def test_backend_simulator_refuses_a_wrong_key():
	with MobileBackendSimulator(api_key="k1") as backend:
		transport = HttpTransport(
			service="Mobile", base_url=backend.url, timeout=2, auth_headers=lambda: {"X-API-Key": "nope"}
		)
		with pytest.raises(AuthError):
			transport.get("/api/v1/health")


def test_availability_lines_name_outlets_and_empty_means_everywhere():
	from scoopjoy.connectors.mobile_app.payloads import available_at

	assert available_at({"custom_available_at": "Koramangala\nIndiranagar"}, "Indiranagar")
	assert not available_at({"custom_available_at": "Koramangala"}, "Indiranagar")
	assert available_at({"custom_available_at": ""}, "Indiranagar")
	assert available_at({}, "Indiranagar")
