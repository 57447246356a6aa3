"""Google's error JSON sorted into our failure types. Pure Python: no frappe.

Google APIs answer errors as (https://cloud.google.com/apis/design/errors#http_mapping)::

    {
        "error": {
            "code": 429,
            "message": "Quota exceeded for quota metric ...",
            "status": "RESOURCE_EXHAUSTED",
            "details": [...],
        }
    }

The People API's own notes: 400 FAILED_PRECONDITION when ``person.etag`` is stale
(https://developers.google.com/people/api/rest/v1/people/updateContact: "The request throws a
400 error if person.metadata.sources.etag is different than the contact's etag"), 429
RESOURCE_EXHAUSTED for quota, 401 UNAUTHENTICATED for a missing/expired token, 403
PERMISSION_DENIED for a missing scope (https://www.googleapis.com/auth/contacts).
"""

from __future__ import annotations

import json
from typing import Any

import requests

from scoopjoy.connectors.google_contacts import constants
from scoopjoy.kernel.errors import ConnectorError, FailureType


def google_error(body: Any) -> tuple[int | None, str | None, str]:
	"""``(code, status, message)`` of a Google error body; ``(None, None, "")`` when it is not one."""
	if isinstance(body, bytes | bytearray):
		body = bytes(body).decode("utf-8", "replace")
	if isinstance(body, str):
		try:
			body = json.loads(body)
		except ValueError:
			for status in (
				constants.STATUS_FAILED_PRECONDITION,
				constants.STATUS_RESOURCE_EXHAUSTED,
				constants.STATUS_UNAUTHENTICATED,
			):
				if status in body:
					return None, status, ""
			return None, None, ""
	if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
		return None, None, ""
	error = body["error"]
	code = error.get("code")
	return (
		code if isinstance(code, int) else None,
		error.get("status") if isinstance(error.get("status"), str) else None,
		str(error.get("message") or ""),
	)


def classify_google_status(http_status: int, status: str | None) -> FailureType | None:
	if status == constants.STATUS_RESOURCE_EXHAUSTED or http_status == 429:
		return FailureType.RATE_LIMITED
	if status == constants.STATUS_UNAUTHENTICATED or http_status == 401:
		return FailureType.AUTH
	if status == constants.STATUS_PERMISSION_DENIED:
		return FailureType.AUTH  # the token lacks the contacts scope: reconnect
	if status in (
		constants.STATUS_FAILED_PRECONDITION,
		constants.STATUS_NOT_FOUND,
		constants.STATUS_INVALID_ARGUMENT,
	):
		return FailureType.RECORD
	if status == constants.STATUS_UNAVAILABLE:
		return FailureType.TRANSIENT
	return None


def google_response_rule(response: requests.Response) -> FailureType | None:
	"""A kernel ResponseRule: classify by ``error.status`` first, then the HTTP defaults decide."""
	if response.status_code < 400:
		return None
	try:
		body = response.json()
	except ValueError:
		return None
	_code, status, _message = google_error(body)
	return classify_google_status(response.status_code, status)


def is_etag_mismatch(error: BaseException) -> bool:
	"""The contact changed in Google since we read it (400 FAILED_PRECONDITION)."""
	return (
		isinstance(error, ConnectorError)
		and error.status_code == 400
		and constants.STATUS_FAILED_PRECONDITION in (error.response_excerpt or "")
	)


def is_quota_error(error: BaseException) -> bool:
	return isinstance(error, ConnectorError) and error.failure_type is FailureType.RATE_LIMITED
