"""What we send to the People API, built from plain data (no Frappe), so it is tested everywhere.

Person resource: https://developers.google.com/people/api/rest/v1/people#Person
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from scoopjoy.connectors.google_contacts import constants

T = TypeVar("T")

#: Customer fields the payload is built from
CUSTOMER_FIELDS = (
	"name",
	"customer_name",
	"mobile_no",
	"email_id",
	"custom_google_contact_id",
	"custom_google_contact_etag",
	"custom_google_contact_hash",
)


def person_payload(customer: Mapping, organization: str | None = None) -> dict:
	"""The Person for one Customer. Empty values are sent as empty lists, so that a number removed
	in ERPNext is removed in Google too (``updatePersonFields`` replaces whole fields)."""
	name = (customer.get("customer_name") or customer["name"]).strip()
	person: dict[str, Any] = {
		"names": [{"unstructuredName": name}],
		"phoneNumbers": [{"value": p, "type": "mobile"} for p in [_clean(customer.get("mobile_no"))] if p],
		"emailAddresses": [{"value": e, "type": "work"} for e in [_clean(customer.get("email_id"))] if e],
		"organizations": [{"name": organization}] if organization else [],
		"clientData": [{"key": constants.CLIENT_DATA_KEY, "value": customer["name"]}],
	}
	return person


def content_hash(person: Mapping) -> str:
	"""Identifies what we last wrote: a customer whose payload is unchanged is not updated again."""
	material = {k: person.get(k) for k in constants.WRITTEN_FIELDS}
	canonical = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
	return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def batches(items: Sequence[T] | Iterable[T], size: int = constants.MAX_BATCH_CREATE) -> Iterator[list[T]]:
	"""Consecutive chunks of at most ``size`` (capped at Google's 200 per batchCreateContacts)."""
	size = max(1, min(int(size or constants.MAX_BATCH_CREATE), constants.MAX_BATCH_CREATE))
	chunk: list[T] = []
	for item in items:
		chunk.append(item)
		if len(chunk) == size:
			yield chunk
			chunk = []
	if chunk:
		yield chunk


def batch_create_body(people: Sequence[Mapping]) -> dict:
	if len(people) > constants.MAX_BATCH_CREATE:
		raise ValueError(f"batchCreateContacts takes at most {constants.MAX_BATCH_CREATE} contacts")
	return {
		"contacts": [{"contactPerson": dict(person)} for person in people],
		"readMask": constants.READ_MASK,
	}


def customer_of(person: Mapping) -> str | None:
	"""The ERPNext Customer a contact was created for (our clientData entry), if any."""
	for entry in person.get("clientData") or ():
		if isinstance(entry, Mapping) and entry.get("key") == constants.CLIENT_DATA_KEY:
			return entry.get("value") or None
	return None


def created_contacts(response: Mapping | None) -> dict[str, tuple[str, str | None]]:
	"""``{customer name: (resourceName, etag)}`` from a batchCreateContacts answer.

	Matched by our clientData key rather than by position: the answer's order is not promised.
	"""
	found: dict[str, tuple[str, str | None]] = {}
	for entry in (response or {}).get("createdPeople") or ():
		person = (entry or {}).get("person") or {}
		resource_name = person.get("resourceName")
		customer = customer_of(person)
		if resource_name and customer:
			found[customer] = (resource_name, person.get("etag"))
	return found


def contacts_by_customer(people: Iterable[Mapping]) -> dict[str, tuple[str, str | None]]:
	"""``{customer name: (resourceName, etag)}`` for listed contacts that carry our clientData."""
	found: dict[str, tuple[str, str | None]] = {}
	for person in people:
		customer = customer_of(person)
		if customer and person.get("resourceName") and customer not in found:
			found[customer] = (person["resourceName"], person.get("etag"))
	return found


def update_body(person: Mapping, etag: str | None) -> dict:
	"""updateContact's body: the Person with the etag we last saw (Google refuses a stale one)."""
	body = {k: person.get(k) for k in constants.WRITTEN_FIELDS}
	if etag:
		body["etag"] = etag
	return body


def plan_sync(customers: Iterable[Mapping], organization: str | None = None) -> tuple[list, list]:
	"""Split customers into ``(to_create, to_update)``, each a list of ``(customer, person, hash)``.

	No contact id: create. A contact id and a payload that differs from the last one written:
	update. Unchanged customers are left alone.
	"""
	to_create, to_update = [], []
	for customer in customers:
		person = person_payload(customer, organization)
		digest = content_hash(person)
		if not customer.get("custom_google_contact_id"):
			to_create.append((customer, person, digest))
		elif digest != customer.get("custom_google_contact_hash"):
			to_update.append((customer, person, digest))
	return to_create, to_update


def _clean(value: Any) -> str:
	return str(value or "").strip()
