"""Generated Shopify orders booked end to end on a real site, and the cases of issue #20.

The orders come from the space in order_space.py (the kernel's property test proves the booking
rules on hundreds of them; here a few dozen go through ERPNext itself: Sales Order, Sales Invoice,
Payment Entries, Journal Entries, credit notes). For every order a bookkeeper checks that:

- it was booked, not dead-lettered, and the invoice's total is Shopify's to the cent;
- every voucher it made balances, and a paid order leaves nothing outstanding on its invoice;
- the credit notes come to what Shopify refunded;
- gift cards and store credit went to their liability account, never to Cash or the bank.
"""

from __future__ import annotations

from decimal import Decimal

import frappe
from frappe.utils import flt
from hypothesis import HealthCheck, given, seed, settings

from scoopjoy.connectors.shopify import orders
from scoopjoy.connectors.shopify.booking import SHOP_MONEY, money
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.tests.order_space import make_order, order_specs
from scoopjoy.tests.records import _leaf_account, test_world
from scoopjoy.tests.test_shopify_money import ShopifyMoneyTestCase, amount, gl_of

ORDERS = 24  # per major version: a few dozen, in about a minute
#: a fixed budget, repeatable (the seed is on each test)
GENERATED = settings(
	max_examples=ORDERS,
	deadline=None,
	database=None,
	derandomize=True,
	suppress_health_check=list(HealthCheck),
)


def vouchers_of(order_id: str) -> list[tuple[str, str]]:
	"""Every submitted voucher the order made (invoice, credit notes, payments, journal entries)."""
	invoices = frappe.get_all(
		"Sales Invoice", filters={"custom_shopify_order_id": order_id, "docstatus": 1}, pluck="name"
	)
	payments = frappe.get_all(
		"Payment Entry Reference",
		filters={"reference_name": ["in", invoices or [""]], "docstatus": 1},
		pluck="parent",
		distinct=True,
	)
	journals = frappe.get_all(
		"Journal Entry Account",
		filters={"reference_name": ["in", invoices or [""]], "docstatus": 1},
		pluck="parent",
		distinct=True,
	)
	return (
		[("Sales Invoice", n) for n in invoices]
		+ [("Payment Entry", n) for n in payments]
		+ [("Journal Entry", n) for n in journals]
	)


def moved_on(order_id: str, account: str, voucher_type: str | None = None) -> float:
	"""Debit less credit on ``account`` over the order's vouchers (of one type, if given)."""
	return sum(
		flt(r.debit) - flt(r.credit)
		for kind, name in vouchers_of(order_id)
		if voucher_type in (None, kind)
		for r in gl_of(kind, name)
		if r.account == account
	)


class TestGeneratedOrders(ShopifyMoneyTestCase):
	def setUp(self):
		super().setUp()
		world = test_world()
		company = frappe.get_doc("Company", world.company)
		self.bank = _leaf_account(company, "ScoopJoy Shopify Payments Clearing", "Asset", "Bank")
		self.liability = world.gift_card_account
		self.settings(
			refund_item=world.refund_item,
			refund_adjustment_account=world.tax_accounts[2],
			tips_account=world.shipping_account,
			duties_account=world.shipping_account,
			payment_methods=[
				{"gateway": "shopify_payments", "account": self.bank},
				{"gateway": "gift_card", "account": self.liability},
				{"gateway": "shopify_store_credit", "account": self.liability},
				{"gateway": "manual", "mode_of_payment": "Cash", "account": world.cash_account},
				{"gateway": "cash", "mode_of_payment": "Cash", "account": world.cash_account},
			],
		)
		self.variant = self.mapped_variant("SHOP-SPACE-SCOOP", price="3.99")

	@seed(20261206)
	@GENERATED
	@given(spec=order_specs(edits=False))
	def test_generated_orders_book_to_the_cent(self, spec):
		order = make_order(self.shop, spec, line={"variant": self.variant["id"]})
		self.assertIn(orders.sync_order(order["id"]), ("created", "updated"), spec)
		self.assert_booked_to_the_cent(order, spec)

	@seed(20261206)
	@GENERATED
	@given(spec=order_specs())
	def test_orders_booked_when_paid_then_edited_and_refunded(self, spec):
		"""As webhooks deliver them: the order is booked once paid, its refunds come later."""
		booked = []

		def import_when_paid(paid: dict) -> None:
			orders.sync_order(paid["id"])
			booked.append(Decimal(paid["currentTotalPriceSet"]))

		order = make_order(
			self.shop, spec, line={"variant": self.variant["id"]}, after_payment=import_when_paid
		)
		self.assertIn(orders.sync_order(order["id"]), ("created", "updated", "unchanged"), spec)
		self.assert_booked_to_the_cent(order, spec, booked_total=booked[0])

	def assert_booked_to_the_cent(self, order: dict, spec: dict, booked_total: Decimal | None = None) -> None:
		"""``booked_total``: Shopify's total when the order was booked, if before its refunds (its
		current total plus the refunds, each converted on its own, can miss it by their half cents)."""
		world = test_world()
		order_id = legacy_id(order["id"])
		letters = frappe.get_all(
			"Integration Dead Letter",
			filters={"external_id": order_id, "status": ["!=", "Resolved"]},
			pluck="last_error",
		)
		self.assertEqual(letters, [], spec)
		refunds = order["refunds"]
		refunded = sum((Decimal(r["totalRefundedSet"]) for r in refunds), Decimal(0))
		expected = booked_total
		if expected is None:  # shop money, as booked
			expected = Decimal(order["currentTotalPriceSet"]) + refunded
		so = self.sales_order_for(order)
		self.assertEqual(amount(so.grand_total), expected, spec)
		invoice_name = invoice_of(order)
		if not invoice_name:
			return  # nothing paid or promised: a Sales Order only
		invoice = frappe.get_doc("Sales Invoice", invoice_name)
		self.assertEqual(amount(invoice.grand_total), expected, spec)
		for voucher in vouchers_of(order_id):
			self.assert_books_balance(voucher, allow_empty=True)
		if order["displayFinancialStatus"] in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED"):
			self.assertEqual(amount(invoice.outstanding_amount), Decimal("0.00"), spec)
		notes = frappe.get_all(
			"Sales Invoice",
			filters={"return_against": invoice.name, "docstatus": 1},
			fields=["grand_total", "outstanding_amount"],
		)
		self.assertEqual(amount(-sum(flt(n.grand_total) for n in notes)), refunded, spec)
		if order["displayFinancialStatus"] in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED"):
			# every transaction booked: the customer owes nothing and is owed nothing for the order
			self.assertEqual(
				[amount(n.outstanding_amount) for n in notes if flt(n.outstanding_amount)], [], spec
			)
			self.assertEqual(amount(moved_on(order_id, invoice.debit_to)), Decimal("0.00"), spec)
		# gift cards and store credit: their liability account, never Cash or the bank
		owed = sum(
			(
				Decimal(t["amountSet"]) * (1 if t["kind"] == "SALE" else -1)
				for t in order["transactions"]
				if t["status"] == "SUCCESS"
				and t["gateway"] in ("gift_card", "shopify_store_credit")
				and t["kind"] in ("SALE", "REFUND")
			),
			Decimal(0),
		)
		on_liability = moved_on(order_id, self.liability, "Journal Entry")
		self.assertEqual(amount(on_liability), amount(owed), spec)
		cash_in = moved_on(order_id, world.cash_account, "Payment Entry")
		cash_paid = sum(
			(
				Decimal(t["amountSet"]) + Decimal(t.get("amountRoundingSet") or 0)
				for t in order["transactions"]
				if t["status"] == "SUCCESS" and t["gateway"] in ("manual", "cash") and t["kind"] == "SALE"
			),
			Decimal(0),
		)
		self.assertLessEqual(amount(cash_in), amount(cash_paid), spec)


class TestIssue20Cases(ShopifyMoneyTestCase):
	"""The orders #20 reported, each a regression test on a real site."""

	def assert_payment(self, transaction: dict, cash: Decimal, gain: Decimal = Decimal("0.00")) -> None:
		"""The Payment Entry of a Shopify transaction: what it moved on the Cash account (in: +, out:
		-), its exchange gain (+) or loss (-), and that it balances."""
		world = test_world()
		[payment] = frappe.get_all(
			"Payment Entry",
			filters={"custom_shopify_transaction_id": legacy_id(transaction["id"]), "docstatus": 1},
			pluck="name",
		)
		rows = gl_of("Payment Entry", payment)
		moved = sum(flt(r.debit) - flt(r.credit) for r in rows if r.account == world.cash_account)
		self.assertEqual(amount(moved), cash)
		account = frappe.get_cached_value("Company", world.company, "exchange_gain_loss_account")
		self.assertEqual(
			amount(sum(flt(r.credit) - flt(r.debit) for r in rows if r.account == account)), gain
		)
		self.assert_books_balance(("Payment Entry", payment))

	def setUp(self):
		super().setUp()
		world = test_world()
		self.settings(
			refund_item=world.refund_item,
			payment_methods=[
				{"gateway": "shopify_payments", "mode_of_payment": "Cash", "account": world.cash_account},
				{"gateway": "cash", "mode_of_payment": "Cash", "account": world.cash_account},
				{"gateway": "shopify_store_credit", "account": world.gift_card_account},
			],
		)

	def test_24_cheap_units_with_vat_included_are_booked_with_a_rounding_row(self):
		world = test_world()
		self.settings(tax_account=world.tax_accounts[0])
		scoop = self.mapped_variant("SHOP-20-CHEAP", price="1.99")
		order = self.shop.add_order(
			lines=[{"variant": scoop["id"], "quantity": 24, "tax_lines": [{"title": "VAT", "rate": 0.2}]}],
			shipping_lines=[],
			taxes_included=True,
		)
		so, invoice = self.import_paid(order)
		self.assertEqual(amount(invoice.grand_total), Decimal("47.76"))
		vat = sum(flt(t.tax_amount) for t in so.taxes if t.account_head == world.tax_accounts[0])
		self.assertEqual(amount(vat), Decimal("7.96"))
		self.assertEqual(amount(invoice.outstanding_amount), Decimal("0.00"))

	def test_store_credit_is_a_liability_not_cash(self):
		world = test_world()
		cone = self.mapped_variant("SHOP-20-CREDIT", price="100.00")
		order = self.shop.add_order(lines=[{"variant": cone["id"], "quantity": 1}], shipping_lines=[])
		self.shop.add_transaction(order["id"], "SALE", "30.00", gateway="shopify_store_credit")
		self.shop.add_transaction(order["id"], "SALE", "70.00", gateway="shopify_payments")
		orders.sync_order(order["id"])
		invoice = frappe.get_doc("Sales Invoice", invoice_of(order))
		self.assertEqual(amount(invoice.outstanding_amount), Decimal("0.00"))
		self.assertEqual(amount(moved_on(legacy_id(order["id"]), world.cash_account)), Decimal("70.00"))
		self.assertEqual(amount(moved_on(legacy_id(order["id"]), world.gift_card_account)), Decimal("30.00"))

	def test_store_credit_without_a_payment_methods_row_is_a_dead_letter_naming_it(self):
		self.settings(payment_methods=[])
		cone = self.mapped_variant("SHOP-20-CREDIT-NOROW", price="10.00")
		order = self.shop.add_order(lines=[{"variant": cone["id"], "quantity": 1}], shipping_lines=[])
		self.shop.add_transaction(order["id"], "SALE", "10.00", gateway="shopify_store_credit")
		with self.assertRaisesRegex(Exception, "shopify_store_credit"):
			orders.sync_order(order["id"])

	def test_cash_rounding_books_what_the_drawer_got(self):
		world = test_world()
		cone = self.mapped_variant("SHOP-20-CASH", price="10.02")
		order = self.shop.add_order(lines=[{"variant": cone["id"], "quantity": 1}], shipping_lines=[])
		self.shop.add_transaction(order["id"], "SALE", "10.02", gateway="cash", rounding="-0.02")
		orders.sync_order(order["id"])
		invoice = frappe.get_doc("Sales Invoice", invoice_of(order))
		self.assertEqual(amount(invoice.outstanding_amount), Decimal("0.00"))
		[(_, payment)] = [v for v in vouchers_of(legacy_id(order["id"])) if v[0] == "Payment Entry"]
		rows = gl_of("Payment Entry", payment)
		self.assertEqual(
			amount(sum(flt(r.debit) for r in rows if r.account == world.cash_account)), Decimal("10.00")
		)
		self.assert_books_balance(("Payment Entry", payment))

	def test_a_payment_in_another_currency_books_the_exchange_difference(self):
		# presentment EUR, shop and company USD: Shopify settles the payment at its own conversion
		cone = self.mapped_variant("SHOP-20-FX", price="9.99")
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 3, "price": "8.53"}],
			shipping_lines=[{"title": "Standard", "price": "3.99"}],
			discount="10%",
			discount_code="SCOOP10",
			presentment_currency="EUR",
			presentment_rate="0.8537",
		)
		transaction = self.shop.add_transaction(order["id"], "SALE", gateway="shopify_payments")
		# what it settled as in the shop's money, a few cents from the order's own conversion
		transaction["amountSet"] = money_str(Decimal(order["currentTotalPriceSet"]) + Decimal("0.07"))
		orders.sync_order(order["id"])
		invoice = frappe.get_doc("Sales Invoice", invoice_of(order))
		self.assertEqual(amount(invoice.outstanding_amount), Decimal("0.00"))
		self.assert_payment(transaction, cash=amount(transaction["amountSet"]), gain=Decimal("0.07"))

	def test_a_refund_in_another_currency_books_the_exchange_difference(self):
		cone = self.mapped_variant("SHOP-20-FX-REFUND", price="9.99")
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 2, "price": "8.53"}],
			shipping_lines=[],
			presentment_currency="EUR",
			presentment_rate="0.8537",
		)
		self.shop.add_transaction(order["id"], "SALE", gateway="shopify_payments")
		refund = self.shop.refund(order["id"], {0: 1})
		[transaction] = refund["transactions"]
		# Shopify paid the refund back at its own conversion: 0.05 more than the credit note
		transaction["amountSet"] = money_str(Decimal(refund["totalRefundedSet"]) + Decimal("0.05"))
		orders.sync_order(order["id"])
		note = frappe.get_doc(
			"Sales Invoice", {"custom_shopify_refund_id": legacy_id(refund["id"]), "docstatus": 1}
		)
		self.assertEqual(amount(note.outstanding_amount), Decimal("0.00"))
		self.assert_payment(transaction, cash=-amount(transaction["amountSet"]), gain=Decimal("-0.05"))

	def test_a_cash_refund_books_what_left_the_drawer(self):
		cone = self.mapped_variant("SHOP-20-CASH-REFUND", price="10.02")
		order = self.shop.add_order(lines=[{"variant": cone["id"], "quantity": 1}], shipping_lines=[])
		self.shop.add_transaction(order["id"], "SALE", "10.02", gateway="cash", rounding="-0.02")
		refund = self.shop.refund(order["id"], {0: 1}, gateway="cash")
		[transaction] = refund["transactions"]
		transaction["amountRoundingSet"] = "-0.02"  # 10.02 back, 10.00 from the drawer
		orders.sync_order(order["id"])
		note = frappe.get_doc(
			"Sales Invoice", {"custom_shopify_refund_id": legacy_id(refund["id"]), "docstatus": 1}
		)
		self.assertEqual(amount(note.outstanding_amount), Decimal("0.00"))
		self.assert_payment(transaction, cash=Decimal("-10.00"))

	def test_cash_change_is_not_kept(self):
		# 43.00 owed, 50.00 tendered, 7.00 given back: the drawer keeps 43.00, no gain is booked
		cone = self.mapped_variant("SHOP-20-CHANGE", price="43.00")
		order = self.shop.add_order(lines=[{"variant": cone["id"], "quantity": 1}], shipping_lines=[])
		sale = self.shop.add_transaction(order["id"], "SALE", "50.00", gateway="cash")
		self.shop.add_transaction(order["id"], "CHANGE", "7.00", gateway="cash")
		orders.sync_order(order["id"])
		self.assertEqual(amount(frappe.get_doc("Sales Invoice", invoice_of(order)).outstanding_amount), 0)
		self.assert_payment(sale, cash=Decimal("43.00"))

	def test_one_payment_settles_the_invoice_and_the_debit_note_of_an_edit(self):
		cone = self.mapped_variant("SHOP-20-TWO-DOCS", price="40.00")
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 1}],
			shipping_lines=[{"title": "Std", "price": "10.00"}],
		)
		self.shop.add_transaction(order["id"], "SALE", "20.00", gateway="shopify_payments")  # a deposit
		orders.sync_order(order["id"])
		self.shop.edit_order(order["id"], shipping_price={0: "15.00"})  # 5.00 more
		rest = self.shop.add_transaction(order["id"], "SALE", gateway="shopify_payments")  # 35.00
		orders.sync_order(order["id"])
		invoice = frappe.get_doc("Sales Invoice", invoice_of(order))
		[note] = frappe.get_all(
			"Sales Invoice",
			filters={"return_against": invoice.name, "is_debit_note": 1, "docstatus": 1},
			fields=["name", "grand_total", "outstanding_amount"],
		)
		self.assertEqual((amount(invoice.outstanding_amount), amount(note.outstanding_amount)), (0, 0))
		self.assertEqual(amount(note.grand_total), Decimal("5.00"))
		self.assert_payment(rest, cash=Decimal("35.00"))

	def test_refunded_units_never_shipped_complete_the_sales_order(self):
		cone = self.mapped_variant("SHOP-20-CANCEL", price="5.00")
		order = self.shop.add_order(lines=[{"variant": cone["id"], "quantity": 3}], shipping_lines=[])
		self.shop.mark_paid(order["id"])
		self.shop.refund(order["id"], {0: 1}, restock_type="CANCEL")
		self.shop.fulfill(order["id"])
		orders.sync_order(order["id"])
		so = self.sales_order_for(order)
		self.assertEqual(so.status, "Closed")

	def test_free_samples_returned_after_a_discounted_refund_credit_nothing(self):
		"""ERPNext 16 adds the discounts of earlier credit notes to a new one's and refuses it when its
		total before discount is not negative: a refund of a free sample (price 0.00) after a refund
		that carried part of the order's discount."""
		cone = self.mapped_variant("SHOP-20-FREE-RETURN", price="4.00")
		order = self.shop.add_order(
			lines=[
				{"variant": cone["id"], "quantity": 3},
				{"variant": cone["id"], "quantity": 2, "price": "0.00"},
			],
			discount="10%",
			discount_code="SCOOP10",
			shipping_lines=[],
		)
		self.shop.mark_paid(order["id"])
		orders.sync_order(order["id"])
		invoice = frappe.get_doc("Sales Invoice", invoice_of(order))
		self.shop.refund(order["id"], {0: 1})
		self.shop.refund(order["id"], {1: 1})
		orders.sync_order(order["id"])
		letters = frappe.get_all(
			"Integration Dead Letter",
			filters={"external_id": legacy_id(order["id"]), "status": ["!=", "Resolved"]},
			pluck="last_error",
		)
		self.assertEqual(letters, [])
		notes = frappe.get_all(
			"Sales Invoice",
			filters={"return_against": invoice.name, "docstatus": 1},
			fields=["grand_total", "outstanding_amount"],
			order_by="creation",
		)
		# the free samples' refund credits nothing: no note for it, and the paid one is settled
		self.assertEqual([amount(n.grand_total) for n in notes], [Decimal("-3.60")])
		self.assertEqual([amount(n.outstanding_amount) for n in notes], [Decimal("0.00")])
		self.assertEqual(
			amount(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")), Decimal("0.00")
		)
		self.assertEqual(orders.sync_order(order["id"]), "unchanged")

	def test_shipping_raised_by_an_edit_after_payment_is_a_debit_note_and_its_payment_settles_it(self):
		world = test_world()
		cone = self.mapped_variant("SHOP-20-SHIPEDIT-PAID", price="5.00")
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 1}],
			shipping_lines=[{"title": "Std", "price": "2.00", "tax_lines": [{"title": "GST", "rate": 0.1}]}],
		)
		self.shop.mark_paid(order["id"])
		orders.sync_order(order["id"])
		invoice = frappe.get_doc("Sales Invoice", invoice_of(order))
		self.shop.edit_order(order["id"], shipping_price={0: "6.50"})  # 4.50 + 0.45 GST more
		self.shop.add_transaction(order["id"], "SALE", gateway="shopify_payments")
		self.assertEqual(orders.sync_order(order["id"]), "updated")
		self.assertEqual(self.sales_order_for(order).name, invoice.items[0].sales_order)
		[note] = frappe.get_all(
			"Sales Invoice",
			filters={"return_against": invoice.name, "is_debit_note": 1, "docstatus": 1},
			fields=["name", "grand_total", "outstanding_amount"],
		)
		self.assertEqual(amount(note.grand_total), Decimal("4.95"))
		self.assertEqual(amount(note.outstanding_amount), Decimal("0.00"))
		self.assertEqual(
			amount(flt(invoice.grand_total) + flt(note.grand_total)),
			amount(self.shop.get_order(order["id"])["currentTotalPriceSet"]),
		)
		gst = sum(
			flt(r.credit) - flt(r.debit)
			for r in gl_of("Sales Invoice", note.name)
			if r.account == world.tax_account
		)
		self.assertEqual(amount(gst), Decimal("0.45"))
		self.assertEqual(orders.sync_order(order["id"]), "unchanged")  # nothing booked twice
		self.assertEqual(
			len(
				frappe.get_all("Sales Invoice", filters={"return_against": invoice.name, "is_debit_note": 1})
			),
			1,
		)

	def test_shipping_added_by_an_edit_is_booked(self):
		cone = self.mapped_variant("SHOP-20-SHIPEDIT", price="5.00")
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 1}], shipping_lines=[{"title": "Std", "price": "2.00"}]
		)
		orders.sync_order(order["id"])
		first = self.sales_order_for(order)
		self.shop.edit_order(order["id"], shipping_price={0: "6.50"})
		orders.sync_order(order["id"])
		so = self.sales_order_for(order)
		self.assertNotEqual(so.name, first.name)
		self.assertEqual(amount(so.grand_total), Decimal("11.50"))


def invoice_of(order: dict) -> str | None:
	"""The order's submitted Sales Invoice (not one of its credit notes)."""
	return frappe.db.get_value(
		"Sales Invoice",
		{"custom_shopify_order_id": legacy_id(order["id"]), "docstatus": 1, "is_return": 0},
	)


def money_str(value: Decimal) -> str:
	return str(value.quantize(Decimal("0.01")))
