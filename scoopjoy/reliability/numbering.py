"""Naming-series numbers taken in a transaction of their own.

Why: ERPNext numbers a document (``SAL-ORD-2026-00042``) by locking its naming series' row in
``tabSeries`` and keeps that lock until the document's transaction commits. An import holds its
transaction through the whole order (insert, submit, invoice, payment), so two workers importing
orders wait for each other's series row most of the time: measured on two cores, 27 of 40 seconds
of a two-worker backfill were row-lock waits, all on ``tabSeries`` (benchmarks/backfill_workers.py).
Taking the number on a connection of its own that commits at once holds that row for one statement.

The price: a number taken by an import that then fails (and is rolled back) is not used, so the
series has a gap there, as it has where a document was deleted. A Shopify Store whose books need
unbroken numbers switches *Number Documents Apart* off and its imports number as ERPNext does.

When the caller's own transaction already holds the series' row (it numbered a document of that
series in place: a credit note of the invoice's series, a document a person's code made first),
the second connection would wait for the first one, which waits for it: it waits
``SERIES_WAIT_SECONDS`` at most, and then that document, and every later one of its doctype in
this transaction, is numbered in place as ERPNext numbers it.
"""

from __future__ import annotations

import os
import threading

import frappe
from frappe.model.naming import set_new_name

from scoopjoy.reliability.runtime import note_in_transaction, noted_in_transaction

_local = threading.local()
#: the doctypes this transaction numbers in place (see the module's docstring)
NUMBERED_IN_PLACE = "scoopjoy_numbered_in_place"
#: InnoDB's shortest lock wait: another worker's number takes one statement and a commit
SERIES_WAIT_SECONDS = 1


def _series_connection():
	"""This thread's second connection to the site's database (one per site and process)."""
	conf = frappe.local.conf
	key = (frappe.local.site, os.getpid())
	if getattr(_local, "key", None) != key:
		from frappe.database import get_db

		_local.db = get_db(
			socket=conf.db_socket,
			host=conf.db_host,
			port=conf.db_port,
			user=conf.db_user or conf.db_name,
			password=conf.db_password,
			cur_db_name=conf.db_name,
		)
		_local.db.sql(f"set session innodb_lock_wait_timeout = {SERIES_WAIT_SECONDS}")
		_local.key = key
	return _local.db


def number_apart(doc) -> None:
	"""Give the new ``doc`` its name now, its series' number taken and committed on the second
	connection; ``doc.insert()`` then keeps that name."""
	if doc.doctype in noted_in_transaction(NUMBERED_IN_PLACE):
		return  # insert() numbers it in this transaction
	doc._set_defaults()  # the naming series a new document gets by default
	main = frappe.local.db
	series = _series_connection()
	frappe.local.db = series
	try:
		set_new_name(doc)
		series.commit()
	except frappe.QueryTimeoutError:  # this transaction holds the series' row itself
		series.rollback()
		doc.name = None
		note_in_transaction(NUMBERED_IN_PLACE, doc.doctype)
		return
	except Exception:
		series.rollback()
		raise
	finally:
		frappe.local.db = main
	doc.flags.name_set = True
