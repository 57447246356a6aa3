"""Franchise customers -> Google Contacts: the job, the scheduler entry and the desk button.

Idempotent by construction:

- a customer with ``custom_google_contact_id`` is never created again;
- before a batch is sent, its customer names are committed to Settings (``pending_batch``).
  batchCreateContacts has no idempotency key, so when a run stops after sending (timeout, 5xx,
  worker killed) the next run first lists the account's contacts and links those carrying our
  clientData key to their customers, instead of creating them a second time;
- each batch's resourceNames are committed as soon as Google answers.

Batches go one after another (Google: "Mutate requests for the same user should be sent
sequentially"), under a Redis lock so a button press and the daily run never overlap.
"""

from __future__ import annotations

import json

import frappe
from frappe import _

from scoopjoy.connectors.google_contacts import constants, payloads
from scoopjoy.connectors.google_contacts.connector import GoogleContactsConnector
from scoopjoy.kernel.errors import ConnectorError, RecordError, TransientError
from scoopjoy.reliability.dead_letters import record_dead_letter
from scoopjoy.reliability.errors import user_facing_errors
from scoopjoy.reliability.jobs import enqueue_integration_job, job_id_for
from scoopjoy.reliability.progress import report
from scoopjoy.reliability.runtime import get_redis

JOBS = "scoopjoy.connectors.google_contacts.sync"
PROGRESS_EVENT = "scoopjoy_google_contacts_progress"
PROGRESS_KIND = "google-contacts"
LOCK_TIMEOUT_SECONDS = 3600


# --- entry points -----------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def sync_now(user: str | None = None) -> str:
	"""Desk button on the Customer list (and /api/method): queue a sync, report progress live.

	``user``: whose Google account to write to (default: the one in Google Contacts Settings).
	"""
	frappe.has_permission(constants.SETTINGS_DOCTYPE, "write", throw=True)
	frappe.has_permission("Customer", "read", throw=True)
	if user and user != frappe.session.user:
		frappe.only_for("System Manager")  # only an administrator may use another user's account
	with user_facing_errors(title=_("Google Contacts")):
		GoogleContactsConnector(token_user=user).ensure_enabled()
	queued = queue_sync(user=user, notify_user=frappe.session.user)
	return (
		_("Google Contacts sync queued; progress is shown here.")
		if queued
		else _("A Google Contacts sync is already queued.")
	)


def queue_sync(user: str | None = None, notify_user: str | None = None) -> bool:
	queued = enqueue_integration_job(
		f"{JOBS}.sync_contacts",
		connector=constants.SERVICE_NAME,
		job_key=f"sync:{user or '-'}",
		queue="long",
		user=user,
		notify_user=notify_user,
	)
	if queued:
		_progress(None, 0, 0, _("Queued: waiting for a background worker"), status="Queued")
	return queued


def scheduled_sync() -> None:
	"""Daily (hooks.py); runs only when enabled and "Daily sync" is on in Settings."""
	settings = frappe.get_single(constants.SETTINGS_DOCTYPE)
	if not settings.enabled or not settings.daily_sync:
		return
	queue_sync()


# --- the job ----------------------------------------------------------------------------------------


def sync_contacts(user: str | None = None, notify_user: str | None = None, limit: int | None = None) -> dict:
	"""Create missing contacts and update changed ones. Returns counts for the caller."""
	connector = GoogleContactsConnector(token_user=user)
	connector.ensure_enabled()
	lock = get_redis().lock(
		f"scoopjoy:google-contacts:{frappe.local.site}:{connector.account_id()}",
		timeout=LOCK_TIMEOUT_SECONDS,
		blocking_timeout=5,
	)
	if not lock.acquire():
		raise TransientError(
			"Google Contacts: another sync for this account is running; this one is retried later.",
			service=constants.SERVICE_NAME,
		)
	try:
		return _sync(connector, notify_user, limit)
	except Exception as error:
		_progress(
			notify_user,
			0,
			0,
			str(error).splitlines()[0][:300] if str(error) else type(error).__name__,
			status="Failed",
		)
		raise
	finally:
		lock.release()


def _sync(connector: GoogleContactsConnector, notify_user: str | None, limit: int | None) -> dict:
	settings = connector.settings
	result = {"created": 0, "linked": 0, "updated": 0, "unchanged": 0, "failed": [], "total": 0}
	result["linked"] = _reconcile_pending(connector)

	customers = franchise_customers(settings, limit)
	to_create, to_update = payloads.plan_sync(customers, settings.organization_name or None)
	result["total"] = len(customers)
	result["unchanged"] = len(customers) - len(to_create) - len(to_update)
	steps = len(to_create) + len(to_update)
	done = 0
	_progress(notify_user, 0, steps, _("Starting"))

	for batch in payloads.batches(to_create, settings.batch_size or constants.MAX_BATCH_CREATE):
		result["created"] += _create_batch(connector, batch, result["failed"])
		done += len(batch)
		_progress(notify_user, done, steps, _("Created {0} contact(s)").format(result["created"]))

	for customer, person, digest in to_update:
		try:
			_update_one(connector, customer, person, digest)
			result["updated"] += 1
		except ConnectorError as error:
			if not isinstance(error, RecordError):
				raise  # auth / quota / outage: the whole run is retried from its dead letter
			result["failed"].append(customer["name"])
			_dead_letter(customer["name"], error)
		done += 1
		_progress(notify_user, done, steps, _("Updated {0} contact(s)").format(result["updated"]))

	frappe.db.set_single_value(constants.SETTINGS_DOCTYPE, "last_sync", frappe.utils.now())
	frappe.db.commit()  # nosemgrep: the sync's bookkeeping, after the contacts were written
	_progress(notify_user, steps, steps, _("Done"), result=result)
	frappe.logger("scoopjoy").info(
		f"Google Contacts: created {result['created']}, linked {result['linked']}, updated "
		f"{result['updated']}, failed {len(result['failed'])} of {result['total']} customers"
	)
	return result


def franchise_customers(settings, limit: int | None = None) -> list[dict]:
	if not settings.customer_group:
		from scoopjoy.kernel.errors import ConfigError

		raise ConfigError(
			"Google Contacts: choose the franchise Customer Group in Google Contacts Settings.",
			service=constants.SERVICE_NAME,
		)
	return frappe.get_all(
		"Customer",
		filters={
			"customer_group": ["descendants of (inclusive)", settings.customer_group],
			"disabled": 0,
		},
		fields=list(payloads.CUSTOMER_FIELDS),
		order_by="name asc",
		limit=limit or 0,
	)


# --- creating -----------------------------------------------------------------------------------------


def _create_batch(connector: GoogleContactsConnector, batch: list, failed: list) -> int:
	names = [customer["name"] for customer, _person, _digest in batch]
	_set_pending(names)  # committed: an interrupted run is reconciled, not repeated
	try:
		created = connector.batch_create([person for _c, person, _d in batch])
	except RecordError as error:
		# Google refused the batch as a whole (one bad contact); nothing was created. Send the
		# contacts one by one so only the bad one is left out.
		_set_pending([])
		if len(batch) == 1:
			failed.append(names[0])
			_dead_letter(names[0], error)
			return 0
		return sum(_create_batch(connector, [row], failed) for row in batch)
	except ConnectorError as error:
		if error.request_sent is False or error.status_code in (401, 403, 429):
			_set_pending([])  # Google never acted on it
		raise
	hashes = {customer["name"]: digest for customer, _person, digest in batch}
	for customer, (resource_name, etag) in created.items():
		if customer in hashes:
			_store_contact(customer, resource_name, etag, hashes[customer])
	_set_pending([])
	return len(created)


def _reconcile_pending(connector: GoogleContactsConnector) -> int:
	"""Link the contacts an interrupted batch may have created (found by our clientData key)."""
	pending = _get_pending()
	if not pending:
		return 0
	found = payloads.contacts_by_customer(connector.list_contacts())
	linked = 0
	for customer in pending:
		if customer in found and not frappe.db.get_value("Customer", customer, "custom_google_contact_id"):
			resource_name, etag = found[customer]
			_store_contact(customer, resource_name, etag, None)  # hash None: refreshed by an update
			linked += 1
	_set_pending([])
	return linked


def _get_pending() -> list[str]:
	raw = frappe.db.get_single_value(constants.SETTINGS_DOCTYPE, "pending_batch")
	try:
		return list(json.loads(raw)) if raw else []
	except ValueError:
		return []


def _set_pending(names: list[str]) -> None:
	frappe.db.set_single_value(
		constants.SETTINGS_DOCTYPE, "pending_batch", json.dumps(names) if names else None
	)
	frappe.db.commit()  # nosemgrep: must be durable before the call it protects is sent


# --- updating -----------------------------------------------------------------------------------------


def _update_one(connector: GoogleContactsConnector, customer: dict, person: dict, digest: str) -> None:
	updated = connector.update_contact(
		customer["custom_google_contact_id"],
		person,
		customer.get("custom_google_contact_etag"),
		reference=("Customer", customer["name"]),
	)
	_store_contact(
		customer["name"], customer["custom_google_contact_id"], (updated or {}).get("etag"), digest
	)


def update_customer_contact(customer: str) -> None:
	"""Dead-letter replay of one failed update (or create) for one customer."""
	connector = GoogleContactsConnector()
	connector.ensure_enabled()
	row = frappe.db.get_value("Customer", customer, list(payloads.CUSTOMER_FIELDS), as_dict=True)
	if not row:
		return
	to_create, to_update = payloads.plan_sync([row], connector.settings.organization_name or None)
	for _row, person, digest in to_update:
		_update_one(connector, row, person, digest)
	if to_create:
		failed: list = []
		_create_batch(connector, to_create, failed)
		if failed:
			raise RecordError(f"Google Contacts refused customer {customer}.", service=constants.SERVICE_NAME)


def _store_contact(customer: str, resource_name: str, etag: str | None, digest: str | None) -> None:
	frappe.db.set_value(
		"Customer",
		customer,
		{
			"custom_google_contact_id": resource_name,
			"custom_google_contact_etag": etag,
			"custom_google_contact_hash": digest,
		},
		update_modified=False,
	)
	frappe.db.commit()  # nosemgrep: a stored resourceName is what makes a rerun create nothing


def _dead_letter(customer: str, error: BaseException) -> None:
	record_dead_letter(
		connector=constants.SERVICE_NAME,
		job=f"{JOBS}.update_customer_contact",
		payload={"customer": customer},
		error=error,
		dedup_key=job_id_for(constants.SERVICE_NAME, f"contact:{customer}"),
		reference_doctype="Customer",
		reference_name=customer,
	)


# --- progress -----------------------------------------------------------------------------------------


def _progress(
	user: str | None,
	done: int,
	total: int,
	description: str,
	result: dict | None = None,
	status: str | None = None,
) -> None:
	"""Sent live to whoever pressed the button, and kept for the Customer list to poll (it shows
	progress without the realtime server too, and after a reload)."""
	report(
		PROGRESS_KIND,
		done,
		total,
		description,
		status=status or ("Completed" if result is not None else "Running"),
		result=result,
		event=PROGRESS_EVENT if user else None,
		user=user,
	)
