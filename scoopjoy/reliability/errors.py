"""Frappe's exceptions, sorted into the kernel's failure types; ConnectorErrors shown to desk users.

The kernel classifies HTTP; replaying work also meets Frappe's own exceptions (a Sales Order
that fails validation is a bad *record*, a missing role is *config*). One rule here feeds the
same :class:`~scoopjoy.kernel.errors.Classifier`, so there is still one table of actions.
"""

from __future__ import annotations

from contextlib import contextmanager

import frappe
import redis

from scoopjoy.kernel.errors import Classifier, ConnectorError, FailureType


def frappe_exception_rule(exc: BaseException) -> FailureType | None:
	if isinstance(exc, ConnectorError):
		return exc.failure_type
	if isinstance(exc, frappe.QueryDeadlockError | frappe.QueryTimeoutError):
		return FailureType.TRANSIENT  # Frappe's wrapping of deadlock / lock wait timeout
	if isinstance(exc, redis.exceptions.RedisError):
		return FailureType.TRANSIENT  # breaker / rate-limit state unreachable for a moment
	if isinstance(exc, frappe.PermissionError):
		return FailureType.CONFIG  # the integration user lacks a role
	if _is_database_error(exc) and (frappe.db.is_deadlocked(exc) or frappe.db.is_timedout(exc)):
		return FailureType.TRANSIENT  # deadlock / lock wait timeout: another worker held the rows
	if isinstance(exc, frappe.ValidationError):
		return FailureType.RECORD  # mandatory field, bad link, duplicate... this record only
	return None


def is_deadlock(exc: BaseException) -> bool:
	"""A deadlock: the database rolled the whole transaction back (savepoints included)."""
	return isinstance(exc, frappe.QueryDeadlockError) or (
		_is_database_error(exc) and frappe.db.is_deadlocked(exc)
	)


def _is_database_error(exc: BaseException) -> bool:
	# the database's own exception classes (pymysql / psycopg2): only those carry an error code
	return (
		bool(frappe.db) and bool(exc.args) and type(exc).__module__.split(".")[0] in ("pymysql", "psycopg2")
	)


CLASSIFIER = Classifier(exception_rules=[frappe_exception_rule])


def classify(exc: BaseException) -> FailureType:
	return CLASSIFIER.classify_exception(exc)


@contextmanager
def user_facing_errors(title: str | None = None):
	"""Turn a ConnectorError into ``frappe.throw`` with the readable message (no traceback)."""
	try:
		yield
	except ConnectorError as error:
		frappe.throw(str(error), title=title or error.service or frappe._("Integration error"))
