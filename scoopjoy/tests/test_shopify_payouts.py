"""Shopify Payments payouts booked on a real site (issue #25), against the simulator's payouts and
balance transactions (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsAccount).

What a bookkeeper checks: each PAID payout is one bank entry, booked once however often the import
runs; the bank gets the net, the fees account the fees, the chargebacks account what a dispute took;
the clearing account keeps exactly what Shopify has not paid out yet (the Sync Console says so); a
payout whose charge has no Payment Entry is a dead letter naming it, and books once the order is
in; a payout in another currency books the bank in that currency and the difference as exchange;
ERPNext's Bank Reconciliation matches the entry with the bank's statement line.
"""

from __future__ import annotations

import json
from decimal import Decimal
from unittest.mock import patch

import frappe
from frappe.utils import add_days, flt, nowdate

from scoopjoy.connectors.shopify import console, orders, payouts
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.kernel.errors import ConfigError
from scoopjoy.reliability.dead_letters import replay_dead_letter
from scoopjoy.tests.records import _leaf_account, test_world
from scoopjoy.tests.test_shopify_money import ShopifyMoneyTestCase, amount, gl_of


def since() -> str:
	"""A window that holds today's payouts in any time zone (issuedAt is UTC, the site's day may not be)."""
	return add_days(nowdate(), -1)


def moved(voucher: str, account: str) -> Decimal:
	"""Debit less credit on ``account`` (company money) in a Journal Entry."""
	return amount(
		sum(flt(r.debit) - flt(r.credit) for r in gl_of("Journal Entry", voucher) if r.account == account)
	)


def balance(account: str) -> Decimal:
	return amount(
		frappe.db.sql(
			"select coalesce(sum(debit - credit), 0) from `tabGL Entry` where account=%s and is_cancelled=0",
			account,
		)[0][0]
	)


class TestShopifyPayouts(ShopifyMoneyTestCase):
	def setUp(self):
		super().setUp()
		# the import commits per page of payouts; here the test's rollback takes it all back
		committing = patch.object(frappe.db, "commit")
		committing.start()
		self.addCleanup(committing.stop)
		world = test_world()
		company = frappe.get_doc("Company", world.company)
		self.clearing = _leaf_account(company, "ScoopJoy Shopify Payments Clearing", "Asset", "Bank")
		self.bank = _leaf_account(company, "ScoopJoy Payouts Bank", "Asset", "Bank")
		self.fees = _leaf_account(company, "ScoopJoy Payment Processing Fees", "Expense", "")
		self.chargebacks = _leaf_account(company, "ScoopJoy Chargebacks", "Expense", "")
		self.settings(
			payment_methods=[{"gateway": "shopify_payments", "account": self.clearing}],
			import_payouts=1,
			payout_bank_account=self.bank,
			payment_fees_account=self.fees,
			chargeback_account=self.chargebacks,
			last_payout_sync_at=None,
		)
		self.cone = self.mapped_variant("SHOP-PAYOUT-CONE", price="25.00")

	def paid_order(self, units: int = 1, import_it: bool = True) -> dict:
		order = self.shop.add_order(
			lines=[{"variant": self.cone["id"], "quantity": units}], shipping_lines=[]
		)
		self.shop.add_transaction(order["id"], "SALE", gateway="shopify_payments")
		if import_it:
			self.assertEqual(orders.sync_order(order["id"]), "created")
		return order

	def entry_of(self, payout: dict) -> str | None:
		return frappe.db.get_value(
			"Journal Entry", {payouts.PAYOUT_FIELD: payout["legacyResourceId"], "docstatus": 1}
		)

	def test_a_week_of_orders_paid_out_twice_is_booked_once_per_payout(self):
		clearing_before, fees_before = balance(self.clearing), balance(self.fees)
		first = self.paid_order(2)  # 50.00: fee 1.75
		second = self.paid_order(4)  # 100.00: fee 3.20
		self.shop.refund(first["id"], {0: 1})  # 25.00 back to the card
		self.assertEqual(orders.sync_order(first["id"]), "updated")
		monday = self.shop.pay_out()
		third = self.paid_order(1)  # 25.00: fee 1.03
		self.shop.add_dispute(second["id"], amount="100.00", fee="15.00")
		friday = self.shop.pay_out()
		still_pending = self.paid_order(3)  # 75.00, not paid out yet

		counts = payouts.import_payouts(from_date=since())
		self.assertEqual(counts, {"booked": 2})
		self.assertEqual(payouts.import_payouts(from_date=since()), {"unchanged": 2})  # never twice

		entries = [self.entry_of(monday), self.entry_of(friday)]
		self.assertTrue(all(entries), entries)
		for payout, entry in zip((monday, friday), entries, strict=True):
			doc = frappe.get_doc("Journal Entry", entry)
			self.assertEqual(doc.voucher_type, "Bank Entry")
			self.assertEqual(doc.cheque_no, payout["legacyResourceId"])  # what the bank line carries
			deposit = Decimal(payout["net"]["amount"])  # a WITHDRAWAL takes it from the bank
			signed = deposit if payout["transactionType"] == "DEPOSIT" else -deposit
			self.assertEqual(moved(entry, self.bank), signed)
			self.assert_books_balance(("Journal Entry", entry))
		# Monday: 48.25 + 96.80 - 25.00; Friday: 23.97 - 100.00 - 15.00 (a withdrawal from the bank)
		self.assertEqual(Decimal(monday["net"]["amount"]), Decimal("120.05"))
		self.assertEqual(friday["transactionType"], "WITHDRAWAL")
		self.assertEqual(moved(entries[1], self.bank), Decimal("-91.03"))
		self.assertEqual(moved(entries[1], self.chargebacks), Decimal("100.00"))
		self.assertEqual(
			balance(self.fees) - fees_before, Decimal("1.75") + Decimal("3.20") + Decimal("1.03") + 15
		)
		# what is left on the clearing account is what Shopify has not paid out: the last order
		self.assertEqual(balance(self.clearing) - clearing_before, Decimal("75.00"))
		check = console.console_data(since(), nowdate())["payouts"]  # what the Sync Console shows
		self.assertEqual(check["account"], self.clearing)
		self.assertEqual(Decimal(str(check["shopify_pending"])), Decimal("75.00"))
		self.assertEqual(Decimal(str(check["erpnext"])) - clearing_before, Decimal("75.00"))
		self.assertTrue(third and still_pending)

	def test_a_scheduled_or_failed_payout_is_not_booked_and_its_money_comes_with_the_next(self):
		self.paid_order(1)  # 25.00: net 23.97
		failed = self.shop.pay_out(status="SCHEDULED")
		self.assertEqual(payouts.import_payouts(from_date=since()), {})  # not paid yet: nothing
		self.shop.set_payout_status(failed, "FAILED")
		self.paid_order(2)  # 50.00: net 48.25
		retried = self.shop.pay_out()
		self.assertEqual(payouts.import_payouts(), {"booked": 1})  # as the hourly job: since the last run
		self.assertEqual(
			frappe.db.get_value("Shopify Store", self.store, "last_payout_sync_at"), retried["issuedAt"]
		)
		self.assertIsNone(self.entry_of(failed))
		self.assertEqual(payouts.book_payout(failed["legacyResourceId"]), "not paid")
		self.assertEqual(moved(self.entry_of(retried), self.bank), Decimal("72.22"))

	def test_a_paid_payout_that_fails_later_is_reversed_and_booked_with_the_one_that_pays_it_again(self):
		clearing_before = balance(self.clearing)
		self.paid_order(1)  # 25.00: net 23.97
		failed = self.shop.pay_out()
		self.assertEqual(payouts.import_payouts(from_date=since()), {"booked": 1})
		entry = self.entry_of(failed)
		self.shop.set_payout_status(failed, "FAILED")  # the bank sent it back days later
		self.assertEqual(payouts.import_payouts(from_date=since()), {"reversed": 1})
		self.assertEqual(frappe.db.get_value("Journal Entry", entry, "docstatus"), 2)
		self.assertEqual(balance(self.clearing) - clearing_before, Decimal("25.00"))  # not paid out
		self.paid_order(2)  # 50.00: net 48.25
		again = self.shop.pay_out()  # the failed 23.97 (TRANSFER_FAILURE) and the new 48.25
		self.assertEqual(payouts.import_payouts(from_date=since()), {"booked": 1})  # FAILED: not PAID
		self.assertEqual(moved(self.entry_of(again), self.bank), Decimal("72.22"))
		self.assertEqual(moved(self.entry_of(again), self.clearing), Decimal("-75.00"))
		self.assertEqual(balance(self.clearing) - clearing_before, Decimal("0.00"))
		self.assertEqual(payouts.import_payouts(from_date=since()), {"unchanged": 1})

	def test_an_entry_erpnext_will_not_cancel_is_a_dead_letter_of_its_own_then_reversed(self):
		from erpnext.accounts.doctype.journal_entry.journal_entry import JournalEntry

		self.paid_order(1)
		failed = self.shop.pay_out()
		payouts.import_payouts(from_date=since())
		entry = self.entry_of(failed)
		self.shop.set_payout_status(failed, "FAILED")
		refused = frappe.ValidationError("Accounting period is closed")
		with patch.object(JournalEntry, "cancel", side_effect=refused):
			self.assertEqual(payouts.import_payouts(from_date=since()), {})  # nothing reversed, no stop
		letter = frappe.get_doc(
			"Integration Dead Letter",
			{"dedup_key": f"shopify-payout-reversal:{self.store}:{failed['legacyResourceId']}"},
		)
		self.assertIn("Accounting period is closed", letter.last_error)
		self.assertEqual(frappe.db.get_value("Journal Entry", entry, "docstatus"), 1)
		self.assertTrue(replay_dead_letter(letter.name))  # the period reopened
		self.assertEqual(frappe.db.get_value("Journal Entry", entry, "docstatus"), 2)

	def test_a_charge_without_its_order_is_a_dead_letter_naming_it_then_booked_once_imported(self):
		order = self.paid_order(1, import_it=False)
		payout = self.shop.pay_out()
		self.assertEqual(payouts.import_payouts(from_date=since()), {"failed": 1})
		self.assertIsNone(self.entry_of(payout))
		letter = frappe.get_doc(
			"Integration Dead Letter", {"external_id": payout["legacyResourceId"], "connector": "Shopify"}
		)
		self.assertIn(f"of order {order['name']}", letter.last_error)
		self.assertIn("has no Payment Entry", letter.last_error)
		self.assertEqual(orders.sync_order(order["id"]), "created")
		self.assertTrue(replay_dead_letter(letter.name))
		self.assertTrue(self.entry_of(payout))
		self.assertEqual(payouts.import_payouts(from_date=since()), {"unchanged": 1})

	def test_a_payout_in_another_currency_books_the_bank_in_it_and_the_difference_as_exchange(self):
		world = test_world()
		eur_bank = self._eur_bank_account()
		self.settings(payout_bank_account=eur_bank)
		rate = frappe.get_doc(
			{
				"doctype": "Currency Exchange",
				"date": nowdate(),
				"from_currency": "EUR",
				"to_currency": world.currency,
				"exchange_rate": 1.1,
				"for_selling": 1,
				"for_buying": 1,
			}
		).insert(ignore_permissions=True)
		self.assertTrue(rate.name)
		self.shop.use_payout_currency("EUR", "0.9")
		self.paid_order(4)  # USD 100.00 -> EUR 90.00, fee 2.91, net 87.09
		payout = self.shop.pay_out()
		self.assertEqual(payout["net"], {"amount": "87.09", "currencyCode": "EUR"})
		self.assertEqual(payouts.import_payouts(from_date=since()), {"booked": 1})
		entry = self.entry_of(payout)
		[bank_row] = [r for r in gl_of("Journal Entry", entry) if r.account == eur_bank]
		self.assertEqual(amount(bank_row.debit_in_account_currency), Decimal("87.09"))
		self.assertEqual(amount(bank_row.debit), Decimal("95.80"))  # at 1.1
		self.assertEqual(moved(entry, self.fees), Decimal("3.20"))  # EUR 2.91 at 1.1
		self.assertEqual(moved(entry, self.clearing), Decimal("-100.00"))  # what the payment booked
		exchange = frappe.get_cached_value("Company", world.company, "exchange_gain_loss_account")
		self.assertEqual(moved(entry, exchange), Decimal("1.00"))  # 95.80 + 3.20 - 100.00: a loss
		self.assert_books_balance(("Journal Entry", entry))

	def test_bank_reconciliation_matches_the_payout_entry_with_the_statement_line(self):
		from erpnext.accounts.doctype.bank_reconciliation_tool.bank_reconciliation_tool import (
			get_linked_payments,
			reconcile_vouchers,
		)

		world = test_world()
		self.paid_order(2)
		payout = self.shop.pay_out()
		payouts.import_payouts(from_date=since())
		entry = self.entry_of(payout)
		line = frappe.get_doc(
			{
				"doctype": "Bank Transaction",
				"date": nowdate(),
				"bank_account": self._bank_account_record(world),
				"deposit": flt(payout["net"]["amount"]),
				"currency": world.currency,
				"reference_number": payout["legacyResourceId"],
				"description": "SHOPIFY PAYOUT",
			}
		).insert(ignore_permissions=True)
		line.submit()
		matches = get_linked_payments(line.name, ["journal_entry"], since(), add_days(nowdate(), 1))
		[match] = [m for m in matches if m.get("name") == entry]
		self.assertEqual(match.get("rank"), 3)  # the reference and the amount both match
		reconcile_vouchers(
			line.name,
			json.dumps([{"payment_doctype": "Journal Entry", "payment_name": entry, "amount": line.deposit}]),
		)
		self.assertEqual(frappe.db.get_value("Bank Transaction", line.name, "status"), "Reconciled")

	def test_settings_without_accounts_or_a_shop_without_shopify_payments_say_what_to_do(self):
		self.settings(payout_bank_account=None)
		with self.assertRaisesRegex(ConfigError, "Payout Bank Account"):
			payouts.import_payouts(from_date=since())
		self.settings(payout_bank_account=self.bank)
		self.shop.payments_activated = False
		with self.assertRaisesRegex(ConfigError, "does not use Shopify Payments"):
			payouts.import_payouts(from_date=since())

	def test_test_connection_names_the_payouts_scope_the_token_lacks(self):
		self.shop.access_scopes = tuple(
			s for s in self.shop.access_scopes if s != "read_shopify_payments_payouts"
		)
		message = ShopifyConnector().test_connection()
		self.assertIn("read_shopify_payments_payouts", message)
		self.settings(import_payouts=0)
		self.assertNotIn("read_shopify_payments_payouts", ShopifyConnector().test_connection())

	def test_the_hourly_job_queues_one_import_when_payouts_are_on(self):
		queued = []
		with patch.object(
			payouts, "enqueue_integration_job", side_effect=lambda *a, **k: queued.append(k) or True
		):
			payouts.scheduled_payout_import()
			self.settings(import_payouts=0)
			payouts.scheduled_payout_import()
		self.assertEqual([k["job_key"] for k in queued], [f"{self.store}:payouts"])

	# --- records --------------------------------------------------------------------------------

	def _eur_bank_account(self) -> str:
		world = test_world()
		name = frappe.db.get_value(
			"Account", {"company": world.company, "account_name": "ScoopJoy EUR Payouts"}
		)
		if name:
			return name
		parent = frappe.db.get_value(
			"Account", {"company": world.company, "is_group": 1, "account_name": "Bank Accounts"}
		)
		return (
			frappe.get_doc(
				{
					"doctype": "Account",
					"account_name": "ScoopJoy EUR Payouts",
					"company": world.company,
					"parent_account": parent,
					"account_type": "Bank",
					"account_currency": "EUR",
				}
			)
			.insert(ignore_permissions=True)
			.name
		)

	def _bank_account_record(self, world) -> str:
		if not frappe.db.exists("Bank", "ScoopJoy Test Bank"):
			frappe.get_doc({"doctype": "Bank", "bank_name": "ScoopJoy Test Bank"}).insert(
				ignore_permissions=True
			)
		name = frappe.db.get_value("Bank Account", {"account": self.bank})
		if name:
			return name
		return (
			frappe.get_doc(
				{
					"doctype": "Bank Account",
					"account_name": "ScoopJoy Payouts",
					"bank": "ScoopJoy Test Bank",
					"account": self.bank,
					"company": world.company,
					"is_company_account": 1,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
