"""Background work for connectors: enqueued after commit, once per key, run as the integration user,
and never lost: a failure becomes a dead letter that is retried.

Why after commit: the HTTP call must not happen inside the user's save (a slow provider would
hold the row locks, and a rollback would leave the provider changed but ERPNext not). Frappe's
``enqueue_after_commit`` runs ``enqueue`` only once the transaction has committed; a rollback
drops it. ``job_id`` + ``deduplicate`` stop the same work being queued twice by two saves.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import wraps

import frappe
from frappe.utils.background_jobs import create_job_id, get_job_status
from rq.job import JobStatus

from scoopjoy.kernel.errors import FailureType
from scoopjoy.reliability.activity import mark_success
from scoopjoy.reliability.errors import classify
from scoopjoy.reliability.runtime import (  # defined a floor down, for dead_letters
	as_integration_user,
	note_in_transaction,
	noted_in_transaction,
)

RUNNER = "scoopjoy.reliability.jobs.run_integration_job"
#: the job ids this transaction queued (queued after its commit; dropped with its rollback)
JOBS_IN_TRANSACTION = "scoopjoy_jobs_in_transaction"


def job_id_prefix(connector: str) -> str:
	"""What every job id of this connector starts with (the health check counts queued jobs by it)."""
	return "scoopjoy-" + re.sub(r"[^a-z0-9]+", "-", connector.lower()).strip("-") + "-"


def job_id_for(connector: str, job_key: str) -> str:
	"""A job id every rq version accepts (letters, digits, - and _): newer rq refuses ':' and spaces."""
	return job_id_prefix(connector) + hashlib.sha1(job_key.encode()).hexdigest()[:24]


def enqueue_integration_job(
	method: str,
	*,
	connector: str,
	job_key: str,
	queue: str = "short",
	timeout: int | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
	external_id: str | None = None,
	**payload,
) -> bool:
	"""Queue ``method(**payload)`` to run after this transaction commits. Returns False when the
	same ``job_key`` is already waiting (queued in this transaction or in Redis)."""
	job_id = _free_job_id(connector, job_key, noted_in_transaction(JOBS_IN_TRANSACTION))
	if job_id is None:
		return False
	note_in_transaction(JOBS_IN_TRANSACTION, job_id)
	frappe.enqueue(
		RUNNER,
		queue=queue,
		timeout=timeout,
		job_id=job_id,
		deduplicate=True,
		enqueue_after_commit=True,
		job_method=method,
		connector=connector,
		payload=payload,
		dedup_key=job_id_for(connector, job_key),  # one dead letter for the work and its follow-up
		reference_doctype=reference_doctype,
		reference_name=reference_name,
		external_id=external_id,
	)
	return True


def site_job_id(job_id: str = "") -> str:
	"""The id RQ stores for this site's job ``job_id``; with none, what all this site's ids start with.

	Frappe prefixes the site, differently per major (``site::id`` on v15, ``site||id`` on v16), so
	code that reads RQ directly goes through this and never spells the prefix itself.
	"""
	return create_job_id(f"{job_id}~").removesuffix("~")


def job_ids_for(connector: str, job_key: str) -> tuple[str, str]:
	"""The ids one piece of work may run under: its own, and its follow-up's (see _free_job_id)."""
	return job_id_for(connector, job_key), job_id_for(connector, f"{job_key}|again")


def _free_job_id(connector: str, job_key: str, scheduled: set) -> str | None:
	"""The job id to queue this work under, or None when a waiting job will already do it.

	A *queued* job with the same key will read the current state when it runs: nothing to add.
	A *running* one may already have read the state this call is about (a Shopify "paid" webhook
	arriving while the "create" job runs), so one follow-up is queued under a second id.
	"""
	for job_id in job_ids_for(connector, job_key):
		if job_id in scheduled:
			return None
		status = get_job_status(job_id)
		if status == JobStatus.QUEUED:
			return None
		if status != JobStatus.STARTED:
			return job_id
	return None  # the work and its follow-up both run right now; the follow-up reads late enough


def run_integration_job(
	job_method: str,
	connector: str,
	payload: dict,
	dedup_key: str | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
	external_id: str | None = None,
):
	"""Run one piece of connector work; on failure roll it back and dead-letter it."""
	from scoopjoy.reliability.dead_letters import record_dead_letter

	try:
		with as_integration_user():
			result = frappe.get_attr(job_method)(**payload)
	except Exception as error:
		frappe.db.rollback()
		failure_type = classify(error)
		record_dead_letter(
			connector=connector,
			job=job_method,
			payload=payload,
			error=error,
			dedup_key=dedup_key,
			reference_doctype=reference_doctype,
			reference_name=reference_name,
			external_id=external_id,
		)
		# Commit on purpose: the dead letter must survive whatever the job runner does next.
		frappe.db.commit()  # nosemgrep
		if failure_type is FailureType.PROGRAMMING:
			raise  # a bug: let the job fail loudly too (RQ failed registry + Error Log)
		return None
	mark_success(connector, str(payload.get("store") or ""))  # a Shopify job names its store
	if dedup_key:
		from scoopjoy.reliability.dead_letters import resolve_dead_letter

		resolve_dead_letter(dedup_key)  # the same work succeeded another way: its letter is done
	return result


def runs_as_integration_user(func: Callable) -> Callable:
	"""For scheduled jobs (Frappe runs them as Administrator)."""

	@wraps(func)
	def wrapper(*args, **kwargs):
		with as_integration_user():
			return func(*args, **kwargs)

	return wrapper
