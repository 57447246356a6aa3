"""Google People API connector; the bearer token comes from Frappe's Connected App / Token Cache.

Frappe does the OAuth dance and the refresh (``Connected App.get_active_token(user)`` refreshes
an expired token and returns None when it cannot): we never store a Google token ourselves. A
missing token is a ConfigError telling the person to connect their Google account.
"""

from __future__ import annotations

import time

import frappe
from frappe import _

from scoopjoy.connectors.base import BaseConnector
from scoopjoy.connectors.google_contacts import constants, payloads
from scoopjoy.connectors.google_contacts.errors import google_response_rule, is_etag_mismatch, is_quota_error
from scoopjoy.kernel.errors import ConfigError, RateLimitedError


class GoogleContactsConnector(BaseConnector):
	service_name = constants.SERVICE_NAME
	settings_doctype = constants.SETTINGS_DOCTYPE
	timeout = (5, 30)
	max_retries = 3
	retry_backoff = 1.0
	# Contacts writes are limited per user and minute; 1 call/s with a small burst stays under it
	rate_limit = (5, 1)
	response_rules = (google_response_rule,)
	correlation_header = None  # Google rejects nothing, but sends nothing back either: keep it lean

	def __init__(self, settings=None, token_user: str | None = None):
		super().__init__(settings=settings)
		self._token_user = token_user

	@property
	def base_url(self) -> str:
		return (self.settings.api_base_url or constants.PEOPLE_API_URL).rstrip("/") + "/"

	def token_user(self) -> str:
		return self._token_user or self.settings.google_user or ""

	def expected_sync_interval_minutes(self) -> int | None:
		return 24 * 60 if self.settings.daily_sync else None  # hooks.py: daily

	def account_id(self) -> str:
		return f"{self.settings.connected_app or '-'}:{self.token_user() or '-'}"

	# --- the token, from the Connected App -----------------------------------------------------

	def access_token(self) -> str:
		app_name, user = self.settings.connected_app, self.token_user()
		if not app_name or not user:
			raise ConfigError(
				_(
					"Google Contacts: choose the Connected App and the user whose Google account is used in "
					"Google Contacts Settings, then connect your Google account."
				),
				service=self.service_name,
			)
		if not frappe.db.exists("Connected App", app_name):
			raise ConfigError(
				_(
					"Google Contacts: Connected App {0} does not exist. Check Google Contacts Settings."
				).format(app_name),
				service=self.service_name,
			)
		token = frappe.get_doc("Connected App", app_name).get_active_token(user)
		access_token = token.get_password("access_token", raise_exception=False) if token else None
		if not access_token:
			raise ConfigError(
				_(
					"Google Contacts: connect your Google account. There is no valid Google token for {0} "
					"(never connected, or the refresh failed). Open Connected App {1} and press "
					"'Connect to {1}' while logged in as {0}; make sure its query parameters include "
					"access_type=offline and prompt=consent so Google issues a refresh token."
				).format(user, app_name),
				service=self.service_name,
			)
		return access_token

	def get_auth_headers(self) -> dict[str, str]:
		return {"Authorization": f"Bearer {self.access_token()}"}

	def ensure_enabled(self) -> None:
		super().ensure_enabled()
		self.access_token()  # a clear message before anything is sent

	def test_connection(self) -> str:
		data = self.get(constants.CONNECTIONS_PATH, params={"personFields": "names", "pageSize": 1})
		total = (data or {}).get("totalPeople", 0)
		return _("Connected to Google Contacts ({0} contacts).").format(total)

	# --- calls ------------------------------------------------------------------------------------

	def batch_create(self, people: list[dict]) -> dict[str, tuple[str, str | None]]:
		"""Create up to 200 contacts in one call: ``{customer: (resourceName, etag)}``.

		batchCreateContacts has no idempotency key, so the transport never resends it after a
		timeout (the contacts may exist). A 429 is different: Google did nothing, so it is resent
		here after the quota wait, a few times, before the error goes to the dead letter.
		"""
		body = payloads.batch_create_body(people)
		for attempt in range(constants.MAX_QUOTA_WAITS + 1):
			try:
				return payloads.created_contacts(self.post(constants.BATCH_CREATE_PATH, body))
			except RateLimitedError as error:
				wait = error.retry_after or constants.DEFAULT_QUOTA_WAIT_SECONDS * (attempt + 1)
				if attempt == constants.MAX_QUOTA_WAITS or wait > self.max_retry_after:
					raise
				time.sleep(wait)
		raise AssertionError("unreachable")

	def get_contact(self, resource_name: str) -> dict:
		return self.get(
			constants.GET_PATH.format(resource_name=resource_name),
			params={"personFields": constants.READ_MASK},
		)

	def update_contact(self, resource_name: str, person: dict, etag: str | None, *, reference=None) -> dict:
		"""Update with the etag we know; on an etag mismatch re-read the contact and retry once.

		The etag makes a resend harmless (a second identical PATCH meets a new etag and is
		refused), so the transport may retry this PATCH on timeouts and 5xx.
		"""
		path = constants.UPDATE_PATH.format(resource_name=resource_name)
		params = {"updatePersonFields": constants.UPDATE_PERSON_FIELDS, "personFields": constants.READ_MASK}
		try:
			return self.patch(
				path, payloads.update_body(person, etag), params=params, idempotent=True, reference=reference
			)
		except Exception as error:
			if not is_etag_mismatch(error):
				raise
		current = self.get_contact(resource_name)  # someone edited it in Google: take the latest etag
		return self.patch(
			path,
			payloads.update_body(person, current.get("etag")),
			params=params,
			idempotent=True,
			reference=reference,
		)

	def list_contacts(self) -> list[dict]:
		"""Every contact of the account with its clientData (for reconciling an interrupted run)."""
		people, token = [], None
		while True:
			params = {"personFields": "clientData,metadata", "pageSize": constants.CONNECTIONS_PAGE_SIZE}
			if token:
				params["pageToken"] = token
			data = self.get(constants.CONNECTIONS_PATH, params=params) or {}
			people.extend(data.get("connections") or [])
			token = data.get("nextPageToken")
			if not token:
				return people


__all__ = ["GoogleContactsConnector", "is_quota_error"]
