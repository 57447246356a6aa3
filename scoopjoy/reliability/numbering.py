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
"""

from __future__ import annotations

import os
import threading

import frappe
from frappe.model.naming import set_new_name

_local = threading.local()


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
		_local.key = key
	return _local.db


def number_apart(doc) -> None:
	"""Give the new ``doc`` its name now, its series' number taken and committed on the second
	connection; ``doc.insert()`` then keeps that name."""
	doc._set_defaults()  # the naming series a new document gets by default
	main = frappe.local.db
	series = _series_connection()
	frappe.local.db = series
	try:
		set_new_name(doc)
		series.commit()
	except Exception:
		series.rollback()
		raise
	finally:
		frappe.local.db = main
	doc.flags.name_set = True
