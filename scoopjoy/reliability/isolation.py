"""Imports that commit order by order run their transactions at READ COMMITTED.

Why: under MariaDB's default REPEATABLE READ, a locking read or an ``UPDATE ... (SELECT ...)``
locks the *gap* after the rows it reads as well as the rows. ERPNext's submit of a Sales Invoice
updates what its Sales Order has billed that way, and so locks the gap after the order's last line
in ``tabSales Order Item``'s ``parent`` index: a second worker inserting the lines of the
next-numbered order (they sort right after) waits until the first commits. Measured on two cores
(benchmarks/backfill_workers.py, paid orders): 35 s of row-lock waits in a two-worker backfill of
100 orders, all there, and two workers were 1.08 times one. READ COMMITTED takes no gap locks.

It is safe for what an import relies on: each order is applied under its own lock and re-read
after the lock is held (a fresh read sees what another worker committed meanwhile, which
REPEATABLE READ's older snapshot did not), and ERPNext's own guards are row locks
(``SELECT ... FOR UPDATE`` on the naming series, a Bin, a document), which READ COMMITTED keeps.
ERPNext runs as well on PostgreSQL, whose default level this is.

MariaDB fixes a transaction's level when it starts, so the level is set and then the current
transaction committed: the caller's work before that is committed with it (an import committing
order by order commits it with its first order anyway). On leaving, the session's level is put
back for the transactions after the current one. A server logging statements for replication
(``log_bin`` with ``binlog_format=STATEMENT``) refuses writes at READ COMMITTED: there, nothing
changes.
"""

from __future__ import annotations

from contextlib import contextmanager

import frappe

READ_COMMITTED = "READ COMMITTED"


def _level_now() -> str | None:
	"""The session's level as ``SET`` takes it (``REPEATABLE-READ`` → ``REPEATABLE READ``)."""
	for variable in ("transaction_isolation", "tx_isolation"):  # MariaDB 11.1+ / before
		rows = frappe.db.sql(
			"select variable_value from information_schema.session_variables where variable_name = %s",
			variable.upper(),
		)
		if rows:
			return rows[0][0].replace("-", " ")
	return None


def _statement_binlog() -> bool:
	log_bin, binlog_format = frappe.db.sql("select @@log_bin, @@binlog_format")[0]
	return bool(int(log_bin)) and str(binlog_format).upper() == "STATEMENT"


@contextmanager
def read_committed():
	"""Transactions started inside run at READ COMMITTED (see the module's docstring); where the
	session is at that level already (inside another one), it does nothing."""
	if frappe.db.db_type != "mariadb" or _statement_binlog():
		yield
		return
	before = _level_now()
	if before == READ_COMMITTED:
		yield
		return
	frappe.db.sql(f"set session transaction isolation level {READ_COMMITTED}")
	frappe.db.commit()  # nosemgrep: the level applies from the next transaction (docstring)
	try:
		yield
	finally:
		frappe.db.sql(f"set session transaction isolation level {before or 'REPEATABLE READ'}")
