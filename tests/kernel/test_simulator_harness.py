"""The simulator harness on real sockets: routing, auth, faults, idempotency, pagination, limits."""

import threading
import time

import pytest
import requests

from scoopjoy.kernel.pagination import iterate_link_pages
from scoopjoy.tests.simulators import (
	SHOPIFY_UNAUTHORIZED,
	Fault,
	GenericJsonApi,
	RateLimitPolicy,
	SimRequest,
	SimResponse,
	SimulatorServer,
	build_link_header,
	decode_page_info,
	encode_page_info,
	handles,
	paginate,
)

TOKEN = "sim-token-123"


@pytest.fixture
def sim():
	with GenericJsonApi(token=TOKEN, items=7) as server:
		yield server


@pytest.fixture
def session():
	with requests.Session() as s:
		s.headers["Authorization"] = f"Bearer {TOKEN}"
		yield s


def test_url_and_lifecycle():
	sim = GenericJsonApi(token=TOKEN)
	with pytest.raises(RuntimeError):
		sim.url
	with sim:
		assert sim.url.startswith("http://127.0.0.1:") and sim.port > 0
		assert (
			requests.get(sim.url + "/v1/ping", headers={"Authorization": f"Bearer {TOKEN}"}).json()["ok"]
			is True
		)
	assert not sim.running


def test_stop_does_not_wait_for_idle_keepalive_connections(session):
	sim = GenericJsonApi(token=TOKEN).start()
	assert session.get(sim.url + "/v1/ping").status_code == 200  # the session keeps the connection open
	started = time.monotonic()
	sim.stop()
	assert time.monotonic() - started < 2


def test_keep_alive_reuses_one_connection(sim, session):
	for _ in range(3):
		response = session.get(sim.url + "/v1/ping")
		assert response.status_code == 200
		assert response.headers["Content-Length"] == str(len(response.content))
	assert len({r.client_address for r in sim.requests}) == 1


def test_all_methods_and_head(sim, session):
	head = session.head(sim.url + "/v1/items/1")
	assert head.status_code == 200 and head.content == b"" and int(head.headers["Content-Length"]) > 0
	assert session.delete(sim.url + "/v1/items/1").status_code == 405
	assert session.get(sim.url + "/v1/ping").status_code == 200  # connection still usable after HEAD and 405


def test_unknown_route_is_404_json(sim, session):
	response = session.get(sim.url + "/v1/nothing-here")
	assert response.status_code == 404
	assert response.json() == {"errors": "Not Found"}


def test_401_without_or_with_wrong_token(sim):
	assert requests.get(sim.url + "/v1/items").status_code == 401
	response = requests.get(sim.url + "/v1/items", headers={"Authorization": "Bearer wrong"})
	assert response.status_code == 401
	assert response.json() == {"errors": SHOPIFY_UNAUTHORIZED}
	assert sim.count("GET", "/v1/items") == 2


def test_get_item_and_404(sim, session):
	assert session.get(sim.url + "/v1/items/3").json()["item"]["title"] == "Item 3"
	assert session.get(sim.url + "/v1/items/999").status_code == 404
	assert sim.last_request("GET").path_params == {"id": "999"}


def test_pagination_walks_all_items_with_link_header(session):
	with GenericJsonApi(token=TOKEN, items=23) as sim:

		def fetch(params):
			response = session.get(sim.url + "/v1/items", params=params or {"limit": 5}, timeout=5)
			response.raise_for_status()
			return response.json()["items"], response.headers.get("Link")

		items = list(iterate_link_pages(fetch))
		assert [i["id"] for i in items] == list(range(1, 24))
		assert sim.count("GET", "/v1/items") == 5
		last = session.get(sim.url + "/v1/items", params={"limit": 5, "page_info": encode_page_info(20)})
		assert 'rel="previous"' in last.headers["Link"] and 'rel="next"' not in last.headers["Link"]
		assert session.get(sim.url + "/v1/items", params={"limit": 500}).status_code == 400
		assert session.get(sim.url + "/v1/items", params={"page_info": "garbage"}).status_code == 400


def test_faults_are_consumed_in_fifo_order(sim, session):
	sim.faults.add(Fault.status(503, times=2))
	sim.faults.add(Fault.rate_limited(times=1, retry_after=2))
	sim.faults.add(Fault.unauthorized())
	statuses = [session.get(sim.url + "/v1/ping") for _ in range(5)]
	assert [r.status_code for r in statuses] == [503, 503, 429, 401, 200]
	assert statuses[2].headers["Retry-After"] == "2"
	assert statuses[3].json() == {"errors": SHOPIFY_UNAUTHORIZED}
	assert [r.fault for r in sim.requests] == ["status", "status", "status", "status", None]
	assert len(sim.faults) == 0


def test_faults_filter_by_method_and_path_prefix(sim, session):
	sim.faults.add(Fault.status(500, method="POST", path_prefix="/v1/items", body="<html>oops</html>"))
	assert session.get(sim.url + "/v1/items/1").status_code == 200
	assert session.get(sim.url + "/v1/ping").status_code == 200
	response = session.post(sim.url + "/v1/items", json={"title": "x"})
	assert response.status_code == 500 and response.headers["Content-Type"].startswith("text/html")
	assert len(sim.created_items) == 0  # a fault answers instead of the handler
	assert session.post(sim.url + "/v1/items", json={"title": "x"}).status_code == 201


def test_reset_fault_really_resets_the_connection(sim, session):
	sim.faults.add(Fault.reset())
	with pytest.raises(requests.ConnectionError):
		session.get(sim.url + "/v1/ping")
	assert sim.count("GET", "/v1/ping") == 1  # the server did receive it
	assert session.get(sim.url + "/v1/ping").status_code == 200  # a new connection works


def test_delay_trips_client_timeout_and_server_still_records(sim, session):
	sim.faults.add(Fault.delay(0.6))
	started = time.monotonic()
	with pytest.raises(requests.exceptions.ReadTimeout):
		session.get(sim.url + "/v1/items/1", timeout=0.2)
	assert time.monotonic() - started < 0.5
	assert sim.count("GET", "/v1/items/1") == 1
	assert sim.wait_for(lambda: sim.last_request().status == 200, timeout=2)  # processed after the delay


def test_post_processed_before_the_late_answer_and_idempotent_retry_replays(sim, session):
	sim.faults.add(Fault.delay(0.5, process="before", method="POST"))
	headers = {"Idempotency-Key": "order-42-create"}
	with pytest.raises(requests.exceptions.ReadTimeout):
		session.post(sim.url + "/v1/items", json={"title": "Scoop"}, headers=headers, timeout=0.2)
	assert len(sim.created_items) == 1  # the work was done although the client saw a timeout

	retry = session.post(sim.url + "/v1/items", json={"title": "Scoop"}, headers=headers, timeout=5)
	assert retry.status_code == 201
	assert retry.headers["Idempotent-Replayed"] == "true"
	assert len(sim.created_items) == 1
	assert retry.json()["item"] == sim.created_items[0]


def test_idempotency_key_with_different_body_is_rejected(sim, session):
	headers = {"Idempotency-Key": "k-1"}
	first = session.post(sim.url + "/v1/items", json={"title": "A"}, headers=headers)
	assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
	other = session.post(sim.url + "/v1/items", json={"title": "B"}, headers=headers)
	assert other.status_code == 400
	assert other.json()["error"]["type"] == "idempotency_error"
	assert len(sim.created_items) == 1
	# without a key every POST creates
	session.post(sim.url + "/v1/items", json={"title": "A"})
	session.post(sim.url + "/v1/items", json={"title": "A"})
	assert len(sim.created_items) == 3 and len(sim.items) == 10


def test_failed_validation_is_not_stored_for_the_key(sim, session):
	headers = {"Idempotency-Key": "k-2"}
	assert session.post(sim.url + "/v1/items", json={"title": ""}, headers=headers).status_code == 422
	fixed = session.post(sim.url + "/v1/items", json={"title": "Fixed"}, headers=headers)
	assert fixed.status_code == 201 and len(sim.created_items) == 1


def test_malformed_json_fault(sim, session):
	sim.faults.add(Fault.malformed_json())
	response = session.get(sim.url + "/v1/items")
	assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
	with pytest.raises(requests.exceptions.JSONDecodeError):
		response.json()


def test_rate_limit_policy_answers_429_with_headers(session):
	with GenericJsonApi(token=TOKEN, rate_limit=RateLimitPolicy(capacity=3, refill_per_second=1)) as sim:
		responses = [session.get(sim.url + "/v1/ping") for _ in range(4)]
		assert [r.status_code for r in responses] == [200, 200, 200, 429]
		assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
		assert responses[0].headers["X-RateLimit-Limit"] == "3"
		assert responses[3].headers["Retry-After"] == "1"


def test_rate_limit_policy_refills():
	now = [0.0]
	policy = RateLimitPolicy(2, 4, clock=lambda: now[0])
	assert policy.check()[0] and policy.check()[0]
	allowed, remaining, retry_after = policy.check()
	assert (allowed, remaining) == (False, 0) and retry_after == pytest.approx(0.25)
	now[0] += 0.25
	assert policy.check()[0]


def test_reset_clears_log_faults_and_state(sim, session):
	session.post(sim.url + "/v1/items", json={"title": "x"}, headers={"Idempotency-Key": "k"})
	sim.faults.add(Fault.status(503, times=None))
	assert session.get(sim.url + "/v1/ping").status_code == 503
	sim.reset()
	assert sim.requests == [] and len(sim.faults) == 0 and sim.created_items == [] and len(sim.items) == 7
	again = session.post(sim.url + "/v1/items", json={"title": "x"}, headers={"Idempotency-Key": "k"})
	assert "Idempotent-Replayed" not in again.headers


def test_concurrent_requests_are_all_recorded(sim):
	def worker():
		with requests.Session() as s:
			for _ in range(10):
				s.get(sim.url + "/v1/ping", headers={"Authorization": f"Bearer {TOKEN}"}).raise_for_status()

	threads = [threading.Thread(target=worker) for _ in range(8)]
	for t in threads:
		t.start()
	for t in threads:
		t.join()
	assert sim.count("GET", "/v1/ping") == 80
	assert len({r.id for r in sim.requests}) == 80


class _Shopish(SimulatorServer):
	"""A subclass the way a connector's simulator would be written."""

	def setup_routes(self):
		self.route("GET", "/admin/api/{version}/orders/{id}.json", self.order)

	@handles("POST", "/files/{name:path}", auth=False)
	def upload(self, request: SimRequest):
		return 201, {"name": request.path_params["name"], "size": len(request.body), "q": request.query}

	def check_auth(self, request):
		return request.headers.get("x-shopify-access-token") == "shpat_ok"

	def order(self, request):
		if request.path_params["id"] == "boom":
			raise RuntimeError("handler bug")
		return {"order": {"id": int(request.path_params["id"]), "api": request.path_params["version"]}}


def test_subclass_routes_templates_and_errors():
	with _Shopish() as sim:
		ok = requests.get(
			sim.url + "/admin/api/2024-01/orders/42.json", headers={"X-Shopify-Access-Token": "shpat_ok"}
		)
		assert ok.json() == {"order": {"id": 42, "api": "2024-01"}}
		assert requests.get(sim.url + "/admin/api/2024-01/orders/42.json").status_code == 401
		up = requests.post(sim.url + "/files/a/b/c.txt?x=1&x=2", data=b"12345")
		assert up.status_code == 201 and up.json() == {"name": "a/b/c.txt", "size": 5, "q": {"x": "1"}}
		assert sim.last_request("POST").query_lists == {"x": ["1", "2"]}
		boom = requests.get(
			sim.url + "/admin/api/2024-01/orders/boom.json", headers={"X-Shopify-Access-Token": "shpat_ok"}
		)
		assert boom.status_code == 500 and isinstance(sim.handler_errors[0], RuntimeError)


def test_pagination_helpers():
	items = list(range(7))
	page, nxt = paginate(items, 3)
	assert page == [0, 1, 2] and decode_page_info(nxt) == 3
	page, nxt = paginate(items, 3, nxt)
	page, nxt = paginate(items, 3, nxt)
	assert page == [6] and nxt is None
	with pytest.raises(ValueError):
		decode_page_info("not-a-cursor")
	header = build_link_header("http://h/x", "n1", "p1", {"limit": 3})
	assert (
		header
		== '<http://h/x?limit=3&page_info=p1>; rel="previous", <http://h/x?limit=3&page_info=n1>; rel="next"'
	)
	assert build_link_header("http://h/x") is None


def test_sim_response_shapes():
	assert SimResponse(json={"a": 1}).payload()[1].startswith("application/json")
	assert SimResponse(body=b"x").payload() == (b"x", "application/octet-stream")
	assert SimResponse(status=204).payload() == (b"", None)
