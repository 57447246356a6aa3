"""Simulator of a parcel carrier platform of the kind the ERPNext Shipping app talks to, shaped
like SendCloud's public API v2 (one of ERPNext Shipping's providers).

Followed (SendCloud public API, https://api.sendcloud.dev/docs/sendcloud-public-api/):

- authentication: HTTP Basic with the API public key and secret key; anything else gets 401
  ``{"error": {"code": 401, "message": "Invalid username/password.", "request": ...}}``.
- rates: ``GET /api/v2/shipping_methods?to_country=DE`` ->
  ``{"shipping_methods": [{"id", "name", "carrier", "min_weight", "max_weight",
  "countries": [{"iso_2", "price"}]}]}`` (https://api.sendcloud.dev/docs/sendcloud-public-api/shipping-methods).
- parcel creation: ``POST /api/v2/parcels`` with ``{"parcel": {...}}`` and ``request_label: true``
  -> ``{"parcel": {"id", "tracking_number", "tracking_url", "status": {"id", "message"},
  "label": {"label_printer", "normal_printer": [...]}, "external_reference", ...}}``
  (https://api.sendcloud.dev/docs/sendcloud-public-api/parcels/operations/create-a-parcel).
  ``external_reference`` must be unique across parcels: a second parcel with the same one is
  refused with 400. An ``Idempotency-Key`` header replays the first answer (and a different body
  under the same key is refused), like Stripe-style idempotent POSTs. The bulk form
  ``{"parcels": [...]}`` answers ``{"parcels": [...], "failed_parcels": [{"parcel", "errors"}]}``
  (https://api.sendcloud.dev/docs/sendcloud-public-api/parcels/operations/create-a-parcel, "parcels").
- parcel and tracking: ``GET /api/v2/parcels/{id}``; label: ``GET /api/v2/labels/{id}``; the label
  PDF itself at the ``label_printer`` URL. Status ids as SendCloud lists them
  (https://api.sendcloud.dev/docs/sendcloud-public-api/parcel-statuses): 1000 "Ready to send",
  3 "En route to sorting center", 11 "Delivered", 80 "Unable to deliver".

Test helpers: :meth:`set_status` moves a parcel along. Faults queued on ``sim.faults`` apply
first. Pure Python: never imports frappe.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from typing import Any

from scoopjoy.tests.simulators.harness import SimRequest, SimResponse, SimulatorServer

DEFAULT_METHODS = (
	{
		"id": 8,
		"name": "DHL Parcel 0-5kg",
		"carrier": "dhl",
		"min_weight": "0.001",
		"max_weight": "5.001",
		"price": 6.9,
	},
	{
		"id": 9,
		"name": "DHL Parcel 5-20kg",
		"carrier": "dhl",
		"min_weight": "5.001",
		"max_weight": "20.001",
		"price": 11.5,
	},
	{
		"id": 1343,
		"name": "DPD Classic 0-31.5kg",
		"carrier": "dpd",
		"min_weight": "0.001",
		"max_weight": "31.501",
		"price": 8.2,
	},
)
REQUIRED_PARCEL_FIELDS = ("name", "address", "city", "postal_code", "country", "weight")


def sendcloud_error(status: int, message: str, request: str = "") -> SimResponse:
	return SimResponse(status, json={"error": {"code": status, "message": message, "request": request}})


class CarrierSimulator(SimulatorServer):
	"""A carrier account. ``parcels``: id -> parcel; ``created``: bodies of parcels really created."""

	name = "carrier"

	def __init__(
		self,
		public_key: str,
		secret_key: str,
		countries: tuple[str, ...] = ("DE", "NL", "FR", "IN", "GB"),
		**kwargs: Any,
	):
		self.public_key = public_key
		self.secret_key = secret_key
		self.countries = countries
		self._state_lock = threading.Lock()
		super().__init__(**kwargs)
		self.reset_state()

	def reset_state(self) -> None:
		with self._state_lock:
			self.parcels: dict[int, dict] = {}
			self.created: list[dict] = []
			self._by_reference: dict[str, int] = {}
			self._idempotency: dict[str, tuple[str, int, dict]] = {}
			self._parcel_ids = itertools.count(70_000_001)

	def setup_routes(self) -> None:
		self.route("GET", "/api/v2/shipping_methods", self._methods)
		self.route("POST", "/api/v2/parcels", self._create)
		self.route("GET", "/api/v2/parcels/{id}", self._parcel)
		self.route("GET", "/api/v2/labels/{id}", self._label)
		self.route("GET", "/api/v2/labels/label_printer/{id}", self._label_pdf)

	# --- hooks -----------------------------------------------------------------------------------

	def check_auth(self, request: SimRequest) -> bool:
		expected = "Basic " + base64.b64encode(f"{self.public_key}:{self.secret_key}".encode()).decode()
		return request.header("Authorization") == expected

	def unauthorized_response(self, request: SimRequest) -> SimResponse:
		return sendcloud_error(401, "Invalid username/password.", request.path.lstrip("/"))

	def not_found_response(self, request: SimRequest) -> SimResponse:
		return sendcloud_error(404, "Not found.", request.path.lstrip("/"))

	# --- test helpers ----------------------------------------------------------------------------

	def set_status(self, parcel_id: int | str, status_id: int, message: str) -> None:
		with self._state_lock:
			self.parcels[int(parcel_id)]["status"] = {"id": status_id, "message": message}

	def parcels_for(self, reference_prefix: str) -> list[dict]:
		with self._state_lock:
			return [
				dict(p)
				for p in self.parcels.values()
				if str(p.get("external_reference") or "").startswith(reference_prefix)
			]

	# --- handlers --------------------------------------------------------------------------------

	def _methods(self, request: SimRequest) -> SimResponse:
		to_country = (request.query.get("to_country") or "").upper()
		methods = []
		for method in DEFAULT_METHODS:
			countries = [
				{"iso_2": c, "price": method["price"], "name": c}
				for c in self.countries
				if not to_country or c == to_country
			]
			methods.append(
				{
					**{k: v for k, v in method.items() if k != "price"},
					"service_point_input": "none",
					"countries": countries,
				}
			)
		return SimResponse(json={"shipping_methods": methods})

	def _create(self, request: SimRequest) -> SimResponse:
		key = request.header("Idempotency-Key")
		fingerprint = hashlib.sha256(request.body or b"").hexdigest()
		if key:
			with self._state_lock:
				stored = self._idempotency.get(key)
			if stored is not None:
				if stored[0] != fingerprint:
					return sendcloud_error(
						422,
						"Idempotency-Key was already used with a different request body.",
						"api/v2/parcels",
					)
				return SimResponse(stored[1], json=stored[2], headers={"Idempotent-Replayed": "true"})
		response = self._create_parcel(request)
		if key and response.status < 500 and response.status not in (400, 422):
			with self._state_lock:
				self._idempotency[key] = (fingerprint, response.status, response.json)
		return response

	def _create_parcel(self, request: SimRequest) -> SimResponse:
		try:
			body = request.json() or {}
		except ValueError:
			return sendcloud_error(400, "JSON parse error.", "api/v2/parcels")
		if isinstance(body.get("parcels"), list):
			return self._create_batch(body["parcels"])
		data = body.get("parcel")
		if not isinstance(data, dict):
			return sendcloud_error(400, "parcel: This field is required.", "api/v2/parcels")
		return self._create_one(data)

	def _create_batch(self, items: list) -> SimResponse:
		"""``{"parcels": [...]}``: several parcels in one call; the ones that fail are listed under
		``failed_parcels`` with their errors, the others are created (SendCloud's bulk form, as the
		ERPNext Shipping app sends it)."""
		created, failed = [], []
		for data in items:
			response = self._create_one(data if isinstance(data, dict) else {})
			if response.status == 200:
				created.append(response.json["parcel"])
			else:
				failed.append({"parcel": data, "errors": response.json.get("error", {}).get("message")})
		body = {"parcels": created}
		if failed:
			body["failed_parcels"] = failed
		return SimResponse(json=body)

	def _create_one(self, data: dict) -> SimResponse:
		missing = [f for f in REQUIRED_PARCEL_FIELDS if not str(data.get(f) or "").strip()]
		if missing:
			return sendcloud_error(400, f"{', '.join(missing)}: This field is required.", "api/v2/parcels")
		method_id = (data.get("shipment") or {}).get("id")
		if data.get("request_label") and not any(m["id"] == method_id for m in DEFAULT_METHODS):
			return sendcloud_error(400, "shipment: Invalid shipping method.", "api/v2/parcels")
		reference = data.get("external_reference")
		with self._state_lock:
			if reference and reference in self._by_reference:
				return sendcloud_error(
					400,
					f"external_reference: A parcel with external reference '{reference}' already exists.",
					"api/v2/parcels",
				)
			parcel_id = next(self._parcel_ids)
			tracking = f"JVGL{parcel_id:010d}"
			parcel = {
				**{k: v for k, v in data.items() if k not in ("shipment", "request_label")},
				"id": parcel_id,
				"tracking_number": tracking,
				"tracking_url": f"{self.url}/tracking/{tracking}",
				"status": {"id": 1000, "message": "Ready to send"},
				"shipment": {
					"id": method_id,
					"name": next((m["name"] for m in DEFAULT_METHODS if m["id"] == method_id), ""),
				},
				"label": {
					"label_printer": f"{self.url}/api/v2/labels/label_printer/{parcel_id}",
					"normal_printer": [
						f"{self.url}/api/v2/labels/label_printer/{parcel_id}?start_from={i}" for i in range(4)
					],
				},
			}
			self.parcels[parcel_id] = parcel
			self.created.append(json.loads(json.dumps(data)))
			if reference:
				self._by_reference[reference] = parcel_id
			return SimResponse(json={"parcel": dict(parcel)})

	def _get(self, request: SimRequest) -> dict | None:
		try:
			parcel_id = int(request.path_params["id"])
		except ValueError:
			return None
		with self._state_lock:
			parcel = self.parcels.get(parcel_id)
			return dict(parcel) if parcel else None

	def _parcel(self, request: SimRequest) -> SimResponse:
		parcel = self._get(request)
		return SimResponse(json={"parcel": parcel}) if parcel else self.not_found_response(request)

	def _label(self, request: SimRequest) -> SimResponse:
		parcel = self._get(request)
		if not parcel:
			return self.not_found_response(request)
		return SimResponse(json={"label": {**parcel["label"], "parcel": parcel["id"]}})

	def _label_pdf(self, request: SimRequest) -> SimResponse:
		parcel = self._get(request)
		if not parcel:
			return self.not_found_response(request)
		return SimResponse(
			body=b"%PDF-1.4\n% label " + str(parcel["id"]).encode() + b"\n%%EOF\n",
			headers={"Content-Type": "application/pdf"},
		)
