"""Shopify Payments payouts into ERPNext: each PAID payout once, as a bank Journal Entry.

The rows are :mod:`.payout_booking`'s; here they get their accounts (the Shopify Store), their
company amounts (ERPNext's own rounding), the exchange row when a currency differs, and the Journal
Entry a bookkeeper reconciles with the bank statement (a Bank Entry whose reference is the payout
id, dated the payout's day in the shop's time zone). A payout is booked once: the Journal Entry
carries its id, and the booking runs under a lock per payout. One payout that cannot be booked is
dead-lettered with the reason (its replay books it once the reason is gone); the others go on.

The job reads PAID payouts issued since the last run (less an overlap: a payout is PAID days after
it was issued); a run from the desk names its own window. Scheduled hourly when *Import Payouts*
is on.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import add_days, flt, getdate, nowdate

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.accounts import shop_timezone
from scoopjoy.connectors.shopify.booking import ZERO
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.ledger import gateway_account, local_date
from scoopjoy.connectors.shopify.locks import _lock_until_transaction_ends
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.connectors.shopify.payout_booking import (
	ORDER_MONEY_TYPES,
	RETURNED_PAYOUT_TYPES,
	BalanceLine,
	Booked,
	Payout,
	PayoutNotBooked,
	payout_rows,
)
from scoopjoy.connectors.shopify.stores import enabled_stores, keyed, store_name
from scoopjoy.kernel.errors import ConfigError, FailureType, RecordError
from scoopjoy.reliability.dead_letters import record_dead_letter, resolve_dead_letter
from scoopjoy.reliability.errors import classify
from scoopjoy.reliability.jobs import enqueue_integration_job

PAYOUT_FIELD = "custom_shopify_payout_id"
CARD_GATEWAY = "shopify_payments"

PAYMENTS_ACCOUNT = """
query PaymentsAccount { shopifyPaymentsAccount { id } }
"""


def scheduled_payout_import() -> None:
	for store in enabled_stores("import_payouts"):
		queue_payout_import(store)


def queue_payout_import(store: str, from_date: str | None = None, to_date: str | None = None) -> bool:
	"""The one way a store's import is queued (scheduler and desk share the key: never two at once)."""
	return enqueue_integration_job(
		"scoopjoy.connectors.shopify.payouts.import_payouts",
		connector=constants.SERVICE_NAME,
		job_key=keyed(store, "payouts"),
		queue="long",
		from_date=from_date,
		to_date=to_date,
		store=store,
	)


def import_payouts(
	from_date: str | None = None, to_date: str | None = None, store: str | None = None
) -> dict:
	"""Book every PAID payout of the store issued in the window (default: since the last run).
	Returns counts."""
	connector = ShopifyConnector(store=store)
	settings = connector.settings
	_accounts(settings)  # a configuration problem stops the run before anything is read
	_require_payments(connector)
	since = getdate(from_date) if from_date else _since(settings)
	counts: Counter = Counter()
	newest = None
	for page in _payout_pages(connector, "PAID", since, to_date):
		for node in page.nodes:
			counts[_book_in_savepoint(node, settings, connector)] += 1
			newest = max(newest or "", node.get("issuedAt") or "")
		# Commit per page on purpose: a page's Journal Entries and dead letters are durable together.
		frappe.db.commit()  # nosemgrep
	counts["reversed"] = _reverse_failed(connector, since, to_date)
	if not counts["reversed"]:
		del counts["reversed"]
	if newest and not from_date and newest > (settings.last_payout_sync_at or ""):
		frappe.db.set_value(
			constants.STORE_DOCTYPE, settings.name, "last_payout_sync_at", newest, update_modified=False
		)
		frappe.db.commit()  # nosemgrep: the checkpoint after the window's payouts are booked
	return dict(counts)


def book_payout(payout_id: str, store: str | None = None) -> str:
	"""Book one payout of the store by its legacy id (a dead letter's replay); returns what happened."""
	connector = ShopifyConnector(store=store)
	_require_payments(connector)
	data = connector.query(
		queries.PAYOUTS_PAGE, {"first": 1, "query": f"id:{payout_id}"}, operation="Payouts"
	)
	found = [
		node
		for node in ((data.get("shopifyPaymentsAccount") or {}).get("payouts") or {}).get("nodes") or []
		if str(node.get("legacyResourceId")) == str(payout_id)
	]
	if not found:
		raise RecordError(f"Shopify has no payout {payout_id}.", service="Shopify")
	return _book(found[0], connector.settings, connector)


def _reverse_failed(connector, since, to_date) -> int:
	"""A payout Shopify marked PAID can fail days later: its Journal Entry is cancelled (the bank never
	got it; its charges are back on the clearing account) and its money is booked with the payout
	that pays it again (its TRANSFER_FAILURE). An entry ERPNext will not cancel (reconciled with the
	bank already, a closed period) is a dead letter of its own; the others go on."""
	reversed_ = 0
	for page in _payout_pages(connector, "FAILED", since, to_date):
		for node in page.nodes:
			payout_id = str(node.get("legacyResourceId") or legacy_id(node["id"]))
			done = _alone(
				constants.REVERSE_PAYOUT_JOB,
				f"shopify-payout-reversal:{connector.store}:{payout_id}",
				connector.store,
				payout_id,
				lambda payout_id=payout_id: reverse_payout(payout_id, connector.store),
			)
			reversed_ += done or 0
		frappe.db.commit()  # nosemgrep: each page of reversals is durable on its own
	return reversed_


def reverse_payout(payout_id: str, store: str | None = None) -> int:
	"""Cancel the booked entries of a store's payout that failed after it was paid; how many."""
	names = frappe.get_all(
		"Journal Entry",
		filters={"custom_shopify_store": store_name(store), PAYOUT_FIELD: payout_id, "docstatus": 1},
		pluck="name",
	)
	for name in names:
		entry = frappe.get_doc("Journal Entry", name)
		entry.add_comment(
			"Comment",
			_("Shopify payout {0} failed after it was paid: this entry is cancelled.").format(payout_id),
		)
		entry.cancel()
	return len(names)


def _payout_pages(connector, status: str, since, to_date):
	"""Pages of the payouts of ``status`` issued in the window, oldest first."""
	query = f"status:{status} issued_at:>='{since.isoformat()}T00:00:00Z'"
	if to_date:
		query += f" issued_at:<='{getdate(to_date).isoformat()}T23:59:59Z'"
	return connector.pages(
		queries.PAYOUTS_PAGE,
		{"first": constants.PAYOUTS_PAGE_SIZE, "query": query},
		"shopifyPaymentsAccount.payouts",
		operation="Payouts",
	)


def _since(settings):
	if settings.last_payout_sync_at:
		stamp = getdate(settings.last_payout_sync_at[:10])
		return stamp - timedelta(days=constants.PAYOUTS_OVERLAP_DAYS)
	return getdate(add_days(nowdate(), -constants.PAYOUTS_FIRST_LOOKBACK_DAYS))


def _require_payments(connector: ShopifyConnector) -> None:
	if not connector.query(PAYMENTS_ACCOUNT, operation="PaymentsAccount").get("shopifyPaymentsAccount"):
		raise ConfigError(
			_(
				"Import Payouts is on in Shopify Store {0}, but this shop does not use Shopify Payments "
				"(it has no payouts). Turn Import Payouts off."
			).format(connector.store),
			service="Shopify",
		)


def _book_in_savepoint(node: dict, settings, connector) -> str:
	payout_id = str(node.get("legacyResourceId") or legacy_id(node["id"]))
	outcome = _alone(
		constants.BOOK_PAYOUT_JOB,
		f"shopify-payout:{settings.name}:{payout_id}",
		settings.name,
		payout_id,
		lambda: _book(node, settings, connector),
	)
	return "failed" if outcome is None else outcome


def _alone(job: str, dedup_key: str, store: str, payout_id: str, work):
	"""``work()`` for one payout in its own savepoint: what fails is rolled back alone and becomes
	that payout's dead letter (None is returned); an auth or configuration failure stops the run."""
	frappe.db.savepoint("shopify_payout")
	try:
		result = work()
	except Exception as error:
		frappe.db.rollback(save_point="shopify_payout")
		if classify(error) in (FailureType.AUTH, FailureType.CONFIG):
			raise
		record_dead_letter(
			connector=constants.SERVICE_NAME,
			job=job,
			payload={"payout_id": payout_id, "store": store},
			error=error,
			dedup_key=dedup_key,
			external_id=payout_id,
		)
		return None
	resolve_dead_letter(dedup_key)
	return result


def _book(node: dict, settings, connector) -> str:
	payout = Payout.from_node(node)
	if payout.status != "PAID":
		return "not paid"
	_lock_until_transaction_ends(keyed(settings.name, payout.payout_id), kind="payout")  # one booker
	# a locking read sees what another worker committed since this transaction's snapshot
	entries = frappe.db.get_values(
		"Journal Entry",
		{"custom_shopify_store": settings.name, PAYOUT_FIELD: payout.payout_id},
		["name", "docstatus"],
		as_dict=True,
		for_update=True,
	)
	if any(e.docstatus < 2 for e in entries):
		return "unchanged"  # booked (or amended by hand and not yet submitted)
	if entries:
		return "cancelled in ERPNext"  # a person cancelled it: amend it, it is not booked again
	accounts = _accounts(settings)
	lines = _lines_of(connector, payout.payout_id)
	returned = {
		line.source_id: _lines_of(connector, line.source_id)
		for line in lines
		if line.type in RETURNED_PAYOUT_TYPES and line.source_id
	}
	company_currency = frappe.get_cached_value("Company", settings.company, "default_currency")
	_check_bank_currency(accounts["bank"], payout)
	for role in ("fees", "chargebacks", "adjustments"):
		if _currency(accounts[role]) != company_currency:
			raise ConfigError(
				_(
					"Shopify Store: the payouts' {0} account {1} must be in the company's currency {2}."
				).format(role, accounts[role], company_currency),
				service="Shopify",
			)
	clearing_currency = _currency(accounts["clearing"])
	if clearing_currency not in (company_currency, payout.currency):
		raise ConfigError(
			_(
				"The Shopify Payments clearing account {0} is in {1}: it must be in the company's "
				"currency ({2}) or the payouts' ({3})."
			).format(accounts["clearing"], clearing_currency, company_currency, payout.currency),
			service="Shopify",
		)
	on_date = local_date(payout.issued_at, shop_timezone(settings)) or getdate(nowdate())
	try:
		every = lines + [line for again in returned.values() for line in again]
		rows = payout_rows(
			payout,
			lines,
			_booked(settings.name, every, accounts["clearing"]),
			rate=_rate(payout.currency, company_currency, on_date),
			clearing_currency=clearing_currency,
			company_currency=company_currency,
			returned=returned,
		)
	except PayoutNotBooked as error:
		raise RecordError(
			f"{error} Nothing was booked for it; the dead letter books it when retried.", service="Shopify"
		) from error
	_journal_entry(payout, rows, accounts, settings, on_date, company_currency)
	return "booked"


def _lines_of(connector, payout_id: str) -> list[BalanceLine]:
	"""The balance transactions a payout holds (its own TRANSFER hidden)."""
	return _balance_lines(connector, f"payments_transfer_id:{payout_id}")


def _accounts(settings) -> dict[str, str]:
	"""The accounts a payout books on, or a ConfigError naming what to set."""
	missing = [
		label
		for label, field in (
			(_("Payout Bank Account"), "payout_bank_account"),
			(_("Payment Fees Account"), "payment_fees_account"),
		)
		if not settings.get(field)
	]
	if missing:
		raise ConfigError(
			_("Import Payouts needs {0} in Shopify Store {1}.").format(", ".join(missing), settings.name),
			service="Shopify",
		)
	clearing, _mode = gateway_account(settings, CARD_GATEWAY)
	return {
		"bank": settings.payout_bank_account,
		"clearing": clearing,
		"fees": settings.payment_fees_account,
		"chargebacks": settings.chargeback_account or settings.payment_fees_account,
		"adjustments": settings.payout_adjustment_account or settings.payment_fees_account,
	}


def _currency(account: str) -> str:
	return frappe.get_cached_value("Account", account, "account_currency")


def _check_bank_currency(bank: str, payout: Payout) -> None:
	# one payout's problem, not the others': its dead letter says what to do
	if _currency(bank) != payout.currency:
		raise RecordError(
			f"Shopify payout {payout.payout_id} is in {payout.currency} but the Payout Bank Account {bank} is "
			f"in {_currency(bank)}: choose the bank account the payouts arrive in, then retry the dead letter.",
			service="Shopify",
		)


def _rate(currency: str, company_currency: str, on_date) -> Decimal:
	if currency == company_currency:
		return Decimal(1)
	from erpnext.setup.utils import get_exchange_rate

	rate = get_exchange_rate(currency, company_currency, on_date, "for_selling")
	if not rate:
		raise RecordError(
			f"No exchange rate {currency} to {company_currency} on {on_date} for a Shopify payout: add a "
			"Currency Exchange, then retry the dead letter.",
			service="Shopify",
		)
	return Decimal(str(rate))


def _booked(store: str, lines: list[BalanceLine], clearing: str) -> dict[str, Booked]:
	"""What each order transaction's Payment Entry (of this store) put on the clearing account."""
	ids = [line.order_transaction_id for line in lines if line.type in ORDER_MONEY_TYPES]
	if not ids:
		return {}
	entries = frappe.get_all(
		"Payment Entry",
		filters={"custom_shopify_store": store, "custom_shopify_transaction_id": ["in", ids], "docstatus": 1},
		fields=["name", "custom_shopify_transaction_id"],
	)
	by_voucher = {e.name: e.custom_shopify_transaction_id for e in entries}
	booked: dict[str, Booked] = {}
	if not by_voucher:
		return booked
	for row in frappe.get_all(
		"GL Entry",
		filters={
			"voucher_type": "Payment Entry",
			"voucher_no": ["in", list(by_voucher)],
			"account": clearing,
			"is_cancelled": 0,
		},
		fields=[
			"voucher_no",
			"debit",
			"credit",
			"debit_in_account_currency",
			"credit_in_account_currency",
		],
	):
		key = by_voucher[row.voucher_no]
		before = booked.get(key, Booked(ZERO, ZERO))
		booked[key] = Booked(
			before.amount
			+ Decimal(str(flt(row.debit_in_account_currency) - flt(row.credit_in_account_currency))),
			before.base + Decimal(str(flt(row.debit) - flt(row.credit))),
		)
	return booked


def _journal_entry(payout: Payout, rows, accounts: dict, settings, on_date, company_currency: str) -> None:
	cost_center = settings.cost_center or frappe.get_cached_value("Company", settings.company, "cost_center")
	entry = frappe.new_doc("Journal Entry")
	entry.update(
		{
			"voucher_type": "Bank Entry",
			"company": settings.company,
			"posting_date": on_date,
			"cheque_no": payout.payout_id,
			"cheque_date": on_date,
			"custom_shopify_store": settings.name,
			PAYOUT_FIELD: payout.payout_id,
			"user_remark": _("Shopify Payments payout {0} of {1} {2}").format(
				payout.payout_id, payout.net, payout.currency
			),
		}
	)
	base_total = 0.0
	for row in rows:
		account = accounts[row.role]
		rate = flt(row.rate, 9)
		amount = flt(row.amount, 2)
		# as ERPNext rounds a row: its positive debit or credit times the rate
		base_total += (1 if amount > 0 else -1) * flt(abs(amount) * rate, 2)
		entry.append(
			"accounts",
			{
				"account": account,
				"cost_center": cost_center,
				"exchange_rate": rate,
				"debit_in_account_currency": amount if amount > 0 else 0,
				"credit_in_account_currency": -amount if amount < 0 else 0,
				"user_remark": row.remark,
			},
		)
	difference = flt(base_total, 2)
	foreign = any(_currency(accounts[row.role]) != company_currency for row in rows)
	if difference:
		if not foreign:  # one currency adds up exactly, or book_payout would have refused
			raise RecordError(
				f"Shopify payout {payout.payout_id}: its rows miss by {difference} {company_currency}.",
				service="Shopify",
			)
		account = frappe.get_cached_value("Company", settings.company, "exchange_gain_loss_account")
		if not account:
			raise ConfigError(
				_(
					"Set the Exchange Gain / Loss Account of company {0}: a payout in {1} books its difference there."
				).format(settings.company, payout.currency),
				service="Shopify",
			)
		entry.append(
			"accounts",
			{
				"account": account,
				"cost_center": cost_center,
				"exchange_rate": 1,
				"debit_in_account_currency": -difference if difference < 0 else 0,
				"credit_in_account_currency": difference if difference > 0 else 0,
				"user_remark": _("Exchange difference"),
			},
		)
	entry.multi_currency = int(foreign)
	entry.flags.ignore_exchange_rate = True  # the payout's rates, not ERPNext's fetch of the day's
	entry.insert()
	entry.submit()


def clearing_check(connector: ShopifyConnector) -> dict | None:
	"""The clearing account against Shopify: once every paid payout is booked, what the account holds
	is what Shopify has not paid out yet (the gross of the charges and refunds still in the balance,
	those of failed payouts included until they are paid out again). None when payouts are not
	imported."""
	settings = connector.settings
	if not settings.import_payouts:
		return None
	clearing, _mode = gateway_account(settings, CARD_GATEWAY)
	repaid = {
		line.source_id
		for line in _balance_lines(connector, "payout_status:PAID")
		if line.type in RETURNED_PAYOUT_TYPES
	}
	pending, currency = ZERO, None
	for status in ("PENDING", "SCHEDULED", "ACTION_REQUIRED", "FAILED", "CANCELED"):
		for page in connector.pages(
			queries.BALANCE_TRANSACTIONS_PAGE,
			{"first": constants.BALANCE_TRANSACTIONS_PAGE_SIZE, "query": f"payout_status:{status}"},
			"shopifyPaymentsAccount.balanceTransactions",
			operation="BalanceTransactions",
		):
			for node in page.nodes:
				line = BalanceLine.from_node(node)
				payout_id = legacy_id((node.get("associatedPayout") or {}).get("id"))
				if status in ("FAILED", "CANCELED") and payout_id in repaid:
					continue  # a failed payout's money was paid out again since
				if line.type in ORDER_MONEY_TYPES and not node.get("test"):
					pending += line.amount
					currency = currency or (node.get("amount") or {}).get("currencyCode")
	held = frappe.db.sql(
		"""select coalesce(sum(debit_in_account_currency - credit_in_account_currency), 0)
		from `tabGL Entry` where account = %s and is_cancelled = 0""",
		clearing,
	)[0][0]
	account_currency = _currency(clearing)
	comparable = currency in (None, account_currency)
	difference = Decimal(str(flt(held, 2))) - pending
	return {
		"account": clearing,
		"currency": account_currency,
		"erpnext": flt(held, 2),
		"shopify_pending": float(pending),
		"pending_currency": currency or account_currency,
		"difference": float(difference) if comparable else None,
		"matches": comparable and not difference,
		"last_payout": settings.last_payout_sync_at,
	}


def _balance_lines(connector, query: str) -> list[BalanceLine]:
	return [
		BalanceLine.from_node(n)
		for page in connector.pages(
			queries.BALANCE_TRANSACTIONS_PAGE,
			{"first": constants.BALANCE_TRANSACTIONS_PAGE_SIZE, "query": query},
			"shopifyPaymentsAccount.balanceTransactions",
			operation="BalanceTransactions",
		)
		for n in page.nodes
	]
