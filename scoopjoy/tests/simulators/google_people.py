"""Simulator of the Google People API (contacts), for the Google Contacts connector's tests.

Followed:

- batch create: https://developers.google.com/people/api/rest/v1/people/batchCreateContacts
  ``POST /v1/people:batchCreateContacts`` with ``{"contacts": [{"contactPerson": Person}],
  "readMask": "..."}``; at most 200 contacts, else 400 INVALID_ARGUMENT; answers
  ``{"createdPeople": [{"httpStatusCode": 200, "person": Person, "status": {}}]}``, each person
  with a fresh ``resourceName`` (``people/c...``) and ``etag``.
- batch update: https://developers.google.com/people/api/rest/v1/people/batchUpdateContacts
  ``POST /v1/people:batchUpdateContacts`` with ``{"contacts": {resourceName: Person},
  "updateMask": "...", "readMask": "..."}`` -> ``{"updateResult": {resourceName: PersonResponse}}``.
- update: https://developers.google.com/people/api/rest/v1/people/updateContact
  ``PATCH /v1/{resourceName}:updateContact?updatePersonFields=...`` with the Person and its
  ``etag``; a stale etag gets 400 FAILED_PRECONDITION, as Google documents ("The request throws
  a 400 error if person.metadata.sources.etag is different than the contact's etag").
- get: https://developers.google.com/people/api/rest/v1/people/get
  ``GET /v1/{resourceName}?personFields=...`` (personFields is required: 400 without it).
- list: https://developers.google.com/people/api/rest/v1/people.connections/list
  ``GET /v1/people/me/connections?personFields=...&pageSize=...&pageToken=...``.
- errors in Google's shape (https://cloud.google.com/apis/design/errors):
  ``{"error": {"code", "message", "status", "details"}}``: 401 UNAUTHENTICATED for a missing or
  wrong ``Authorization: Bearer`` token, 429 RESOURCE_EXHAUSTED with the quota message
  (:func:`quota_fault`, or a writes-per-minute bucket), 404 NOT_FOUND for an unknown contact.
- "Mutate requests for the same user should be sent sequentially" (batchCreateContacts docs):
  ``max_concurrent_mutations`` records whether a client broke that rule.

Faults queued on ``sim.faults`` apply before any of this. Pure Python: never imports frappe.
"""

from __future__ import annotations

import base64
import itertools
import threading
import uuid
from typing import Any

from scoopjoy.tests.simulators.harness import Fault, RateLimitPolicy, SimRequest, SimResponse, SimulatorServer

MAX_BATCH = 200
QUOTA_MESSAGE = (
	"Quota exceeded for quota metric 'Critical write requests' and limit 'Critical write requests "
	"per minute per user' of service 'people.googleapis.com' for consumer 'project_number:1234567890'."
)
ETAG_MESSAGE = (
	"Request person.etag is different than the current person.etag. Clear local cache and get the "
	"latest person."
)
PERSON_FIELDS = ("names", "emailAddresses", "phoneNumbers", "organizations", "clientData", "biographies")


def google_error(status: int, grpc_status: str, message: str, details: list | None = None) -> SimResponse:
	return SimResponse(
		status,
		json={"error": {"code": status, "message": message, "status": grpc_status, "details": details or []}},
	)


def quota_error_body() -> dict:
	return {
		"error": {
			"code": 429,
			"message": QUOTA_MESSAGE,
			"status": "RESOURCE_EXHAUSTED",
			"details": [
				{
					"@type": "type.googleapis.com/google.rpc.ErrorInfo",
					"reason": "RATE_LIMIT_EXCEEDED",
					"domain": "googleapis.com",
					"metadata": {
						"service": "people.googleapis.com",
						"quota_metric": "Critical write requests",
					},
				}
			],
		}
	}


def quota_fault(
	times: int | None = 1, retry_after: float | None = None, *, method: str | None = "POST", path_prefix=None
) -> Fault:
	"""429 RESOURCE_EXHAUSTED as Google sends it (often without Retry-After)."""
	return Fault.status_code(
		429,
		times=times,
		retry_after=retry_after,
		body=quota_error_body(),
		method=method,
		path_prefix=path_prefix,
	)


class GooglePeopleSimulator(SimulatorServer):
	"""One Google account's contacts. ``people``: resourceName -> Person (with ``etag``)."""

	name = "google-people"

	def __init__(self, access_token: str, *, writes_per_minute: float | None = None, **kwargs: Any):
		self.access_token = access_token
		self.writes_per_minute = writes_per_minute
		self._state_lock = threading.Lock()
		super().__init__(**kwargs)
		self.reset_state()

	def reset_state(self) -> None:
		with self._state_lock:
			self.people: dict[str, dict] = {}
			self.batch_sizes: list[int] = []
			self.updates: list[str] = []
			self._person_ids = itertools.count(1001)
			self._in_flight = 0
			self.max_concurrent_mutations = 0
			self._writes = (
				RateLimitPolicy(
					capacity=self.writes_per_minute, refill_per_second=self.writes_per_minute / 60
				)
				if self.writes_per_minute
				else None
			)

	def setup_routes(self) -> None:
		self.route("POST", "/v1/people:batchCreateContacts", self._batch_create)
		self.route("POST", "/v1/people:batchUpdateContacts", self._batch_update)
		self.route("GET", "/v1/people/me/connections", self._list_connections)
		self.route("GET", "/v1/people/{id}", self._get)
		self.route("PATCH", "/v1/people/{id}:updateContact", self._update)

	# --- hooks -----------------------------------------------------------------------------------

	def check_auth(self, request: SimRequest) -> bool:
		return request.header("Authorization") == f"Bearer {self.access_token}"

	def unauthorized_response(self, request: SimRequest) -> SimResponse:
		return google_error(
			401,
			"UNAUTHENTICATED",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
			"or other valid authentication credential. See "
			"https://developers.google.com/identity/sign-in/web/devconsole-project.",
		)

	def not_found_response(self, request: SimRequest) -> SimResponse:
		return google_error(404, "NOT_FOUND", "Requested entity was not found.")

	def before_request(self, request: SimRequest) -> SimResponse | None:
		if request.method in ("POST", "PATCH", "DELETE"):
			if self._writes is not None and not self._writes.check()[0]:
				return SimResponse(429, json=quota_error_body())
		return None

	# --- test helpers ----------------------------------------------------------------------------

	def edit_in_google(self, resource_name: str, **fields: Any) -> str:
		"""Someone changes the contact in Google (new etag). Returns the new etag."""
		with self._state_lock:
			person = self.people[resource_name]
			person.update(fields)
			person["etag"] = self._etag()
			return person["etag"]

	def contacts_for(self, customer: str) -> list[dict]:
		"""Contacts whose clientData names this customer (more than one would be a duplicate)."""
		with self._state_lock:
			return [
				dict(p)
				for p in self.people.values()
				if any(e.get("value") == customer for e in p.get("clientData") or ())
			]

	# --- handlers --------------------------------------------------------------------------------

	def _mutation(self):
		sim = self

		class _Guard:
			def __enter__(self):
				with sim._state_lock:
					sim._in_flight += 1
					sim.max_concurrent_mutations = max(sim.max_concurrent_mutations, sim._in_flight)

			def __exit__(self, *exc):
				with sim._state_lock:
					sim._in_flight -= 1

		return _Guard()

	def _batch_create(self, request: SimRequest) -> SimResponse:
		with self._mutation():
			try:
				body = request.json() or {}
			except ValueError:
				return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
			contacts = body.get("contacts")
			if not isinstance(contacts, list) or not contacts:
				return google_error(400, "INVALID_ARGUMENT", "contacts: must not be empty.")
			if len(contacts) > MAX_BATCH:
				return google_error(
					400, "INVALID_ARGUMENT", f"Too many contacts in the request: at most {MAX_BATCH}."
				)
			if not body.get("readMask"):
				return google_error(400, "INVALID_ARGUMENT", "readMask is required.")
			for contact in contacts:
				person = (contact or {}).get("contactPerson")
				if not isinstance(person, dict) or not person.get("names"):
					return google_error(400, "INVALID_ARGUMENT", "contactPerson.names: a name is required.")
			created = []
			with self._state_lock:
				self.batch_sizes.append(len(contacts))
				for contact in contacts:
					resource_name = f"people/c{next(self._person_ids)}"
					person = {k: v for k, v in contact["contactPerson"].items() if k in PERSON_FIELDS}
					person.update({"resourceName": resource_name, "etag": self._etag()})
					self.people[resource_name] = person
					created.append({"httpStatusCode": 200, "person": dict(person), "status": {}})
			return SimResponse(json={"createdPeople": created})

	def _update(self, request: SimRequest) -> SimResponse:
		with self._mutation():
			resource_name = f"people/{request.path_params['id']}"
			fields = [f for f in (request.query.get("updatePersonFields") or "").split(",") if f]
			if not fields:
				return google_error(400, "INVALID_ARGUMENT", "updatePersonFields mask is required.")
			try:
				body = request.json() or {}
			except ValueError:
				return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
			return self._apply_update(resource_name, body, fields)

	def _batch_update(self, request: SimRequest) -> SimResponse:
		with self._mutation():
			try:
				body = request.json() or {}
			except ValueError:
				return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
			fields = [f for f in (body.get("updateMask") or "").split(",") if f]
			contacts = body.get("contacts") or {}
			if not fields or not isinstance(contacts, dict) or len(contacts) > MAX_BATCH:
				return google_error(
					400, "INVALID_ARGUMENT", "updateMask and at most 200 contacts are required."
				)
			with self._state_lock:  # all or nothing, like Google
				for resource_name, person in contacts.items():
					current = self.people.get(resource_name)
					if current is None:
						return google_error(404, "NOT_FOUND", "Requested entity was not found.")
					if person.get("etag") != current["etag"]:
						return google_error(400, "FAILED_PRECONDITION", ETAG_MESSAGE)
			results = {}
			for resource_name, person in contacts.items():
				response = self._apply_update(resource_name, person, fields)
				results[resource_name] = {"httpStatusCode": 200, "person": response.json, "status": {}}
			return SimResponse(json={"updateResult": results})

	def _apply_update(self, resource_name: str, body: dict, fields: list[str]) -> SimResponse:
		unknown = [f for f in fields if f not in PERSON_FIELDS]
		if unknown:
			return google_error(400, "INVALID_ARGUMENT", f"Invalid updatePersonFields: {','.join(unknown)}")
		with self._state_lock:
			current = self.people.get(resource_name)
			if current is None:
				return google_error(404, "NOT_FOUND", "Requested entity was not found.")
			if not body.get("etag"):
				return google_error(400, "INVALID_ARGUMENT", "Request must set person.etag.")
			if body["etag"] != current["etag"]:
				return google_error(400, "FAILED_PRECONDITION", ETAG_MESSAGE)
			for field in fields:
				current[field] = body.get(field) or []
			current["etag"] = self._etag()
			self.updates.append(resource_name)
			return SimResponse(json=dict(current))

	def _get(self, request: SimRequest) -> SimResponse:
		if not request.query.get("personFields"):
			return google_error(400, "INVALID_ARGUMENT", "personFields mask is required.")
		with self._state_lock:
			person = self.people.get(f"people/{request.path_params['id']}")
			person = dict(person) if person else None
		if person is None:
			return self.not_found_response(request)
		return SimResponse(json=person)

	def _list_connections(self, request: SimRequest) -> SimResponse:
		if not request.query.get("personFields"):
			return google_error(400, "INVALID_ARGUMENT", "personFields mask is required.")
		try:
			size = int(request.query.get("pageSize") or 100)
			offset = int(request.query.get("pageToken") or 0)
		except ValueError:
			return google_error(400, "INVALID_ARGUMENT", "Invalid pageSize or pageToken.")
		if not 1 <= size <= 1000:
			return google_error(400, "INVALID_ARGUMENT", "pageSize must be between 1 and 1000.")
		with self._state_lock:
			people = [dict(p) for p in self.people.values()]
		page = people[offset : offset + size]
		body: dict[str, Any] = {"connections": page, "totalPeople": len(people), "totalItems": len(people)}
		if offset + size < len(people):
			body["nextPageToken"] = str(offset + size)
		return SimResponse(json=body)

	@staticmethod
	def _etag() -> str:
		return "%" + base64.b64encode(uuid.uuid4().bytes).decode().rstrip("=")
