"""Shopify orders booked to the cent on a real site: taxes included or not, several taxes on their
own accounts, discounts ERPNext shows, another currency than the company's with an explicit rate,
the shop's time zone for dates, and test orders skipped. Orders are made by the Shopify simulator
in the shapes of Shopify's Order object (https://shopify.dev/docs/api/admin-graphql/latest/objects/Order).
"""

from __future__ import annotations

from decimal import Decimal

import frappe
from frappe.utils import flt

from scoopjoy.connectors.shopify import orders
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.tests.records import test_world
from scoopjoy.tests.test_shopify import SECRET, SETTINGS, TOKEN, ShopifyTestCase, _Simulator

MULTI_CURRENCY = "Accounts Settings"
TAX_TITLES = ("CA State Tax", "Los Angeles County Tax", "Los Angeles City Tax")


def amount(value) -> Decimal:
	return Decimal(str(value)).quantize(Decimal("0.01"))


def gl_of(voucher_type: str, voucher_no: str) -> list[dict]:
	return frappe.get_all(
		"GL Entry",
		filters={"voucher_type": voucher_type, "voucher_no": voucher_no, "is_cancelled": 0},
		fields=["account", "debit", "credit", "debit_in_account_currency", "credit_in_account_currency"],
	)


def item_wise_tax(document) -> list | dict:
	"""ERPNext's per-item tax breakdown: a child table from v16, a JSON field on each tax row before."""
	if document.meta.has_field("item_wise_tax_details"):
		return document.item_wise_tax_details
	return frappe.parse_json(document.taxes[-1].item_wise_tax_detail or "{}")


class ShopifyMoneyTestCase(ShopifyTestCase):
	def use_shop(self, **options) -> None:
		"""Another simulated shop (currency, time zone) in place of the default one."""
		self.shop.stop()
		self.shop = _Simulator(access_token=TOKEN, client_secret=SECRET, **options).start()
		self.set_store({"api_url": self.shop.url, "shop_domain": self.shop.shop_domain})
		frappe.clear_document_cache(SETTINGS, self.store)

	def allow_multi_currency_invoices(self) -> None:
		"""Accounts Settings: a customer's receivable stays in USD whatever the invoice's currency."""
		field = "allow_multi_currency_invoices_against_single_party_account"
		frappe.db.set_single_value(MULTI_CURRENCY, field, 1)
		self.addCleanup(frappe.db.set_single_value, MULTI_CURRENCY, field, 0)

	def import_paid(self, order: dict):
		self.shop.mark_paid(order["id"])
		self.assertIn(orders.sync_order(order["id"]), ("created", "updated", "unchanged"))
		so = self.sales_order_for(order)
		invoice = frappe.get_doc(
			"Sales Invoice",
			{"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 0, "docstatus": 1},
		)
		return so, invoice

	def outlet_warehouse(self, name: str) -> str:
		world = test_world()
		found = frappe.db.get_value("Warehouse", {"company": world.company, "warehouse_name": name})
		if found:
			return found
		parent = frappe.db.get_value("Warehouse", world.warehouse, "parent_warehouse")
		return (
			frappe.get_doc(
				{
					"doctype": "Warehouse",
					"warehouse_name": name,
					"company": world.company,
					"parent_warehouse": parent,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)

	def receive(self, item_code: str, warehouse: str, qty: float) -> None:
		frappe.get_doc(
			{
				"doctype": "Stock Entry",
				"stock_entry_type": "Material Receipt",
				"company": test_world().company,
				"items": [{"item_code": item_code, "qty": qty, "t_warehouse": warehouse, "basic_rate": 2}],
			}
		).insert(ignore_permissions=True).submit()

	def assert_books_balance(self, *vouchers: tuple[str, str], allow_empty: bool = False) -> None:
		for voucher_type, name in vouchers:
			rows = gl_of(voucher_type, name)
			if allow_empty and not rows:
				continue  # a voucher of nothing (an order given away) posts nothing
			self.assertTrue(rows, f"{voucher_type} {name} posted nothing")
			self.assertAlmostEqual(
				sum(flt(r.debit) for r in rows), sum(flt(r.credit) for r in rows), 2, f"{voucher_type} {name}"
			)


class TestTaxes(ShopifyMoneyTestCase):
	def test_prices_including_vat_book_the_vat_and_total_to_the_cent(self):
		world = test_world()
		self.settings(tax_account=world.tax_accounts[0], rounding_account=world.tax_accounts[2])
		scoop = self.mapped_variant("SHOP-M-VAT-SCOOP", price="3.99")
		tub = self.mapped_variant("SHOP-M-VAT-TUB", price="7.50")
		order = self.shop.add_order(
			lines=[
				{"variant": scoop["id"], "quantity": 3, "tax_lines": [{"title": "GB VAT", "rate": 0.2}]},
				{"variant": tub["id"], "quantity": 1, "tax_lines": [{"title": "GB VAT", "rate": 0.2}]},
			],
			shipping_lines=[
				{"title": "Chilled", "price": "3.95", "tax_lines": [{"title": "GB VAT", "rate": 0.2}]}
			],
			taxes_included=True,
		)
		so, invoice = self.import_paid(order)
		self.assertEqual(amount(so.grand_total), amount(order["totalPriceSet"]))
		vat = sum(flt(t.tax_amount) for t in so.taxes if t.account_head == world.tax_accounts[0])
		self.assertEqual(amount(vat), amount(order["totalTaxSet"]))  # the VAT is in the ledger
		self.assertEqual(amount(invoice.grand_total), amount(order["totalPriceSet"]))
		posted_vat = sum(
			flt(r.credit) - flt(r.debit)
			for r in gl_of("Sales Invoice", invoice.name)
			if r.account == world.tax_accounts[0]
		)
		self.assertEqual(amount(posted_vat), amount(order["totalTaxSet"]))
		for row in so.items:  # net unit prices: the VAT is not also inside the item amounts
			self.assertLess(row.rate, 3.99 if row.item_code == "SHOP-M-VAT-SCOOP" else 7.50)
		payment = frappe.get_all(
			"Payment Entry Reference",
			filters={"reference_name": invoice.name, "docstatus": 1},
			pluck="parent",
		)
		self.assert_books_balance(("Sales Invoice", invoice.name), ("Payment Entry", payment[0]))

	def test_each_tax_title_goes_to_its_own_account(self):
		world = test_world()
		self.settings(
			tax_account=None,
			tax_accounts=[
				{"tax_title": title, "account": account}
				for title, account in zip(TAX_TITLES, world.tax_accounts, strict=True)
			],
		)
		cone = self.mapped_variant("SHOP-M-US-CONE", price="4.50")
		pint = self.mapped_variant("SHOP-M-US-PINT", price="12.00")
		taxes = [
			{"title": TAX_TITLES[0], "rate": 0.0725},
			{"title": TAX_TITLES[1], "rate": 0.0225},
			{"title": TAX_TITLES[2], "rate": 0.005},
		]
		order = self.shop.add_order(
			lines=[
				{"variant": cone["id"], "quantity": 2, "tax_lines": taxes},
				{"variant": pint["id"], "quantity": 1, "tax_lines": taxes},
			],
			shipping_lines=[{"title": "Cold chain", "price": "5.00", "tax_lines": taxes[:1]}],
		)
		self.sync(order)
		so = self.sales_order_for(order)
		booked = {
			t.account_head: amount(t.tax_amount) for t in so.taxes if t.account_head in world.tax_accounts
		}
		expected = {
			account: sum(
				(amount(t["priceSet"]) for t in order["taxLines"] if t["title"] == title), Decimal("0")
			)
			for title, account in zip(TAX_TITLES, world.tax_accounts, strict=True)
		}
		self.assertEqual(booked, expected)
		self.assertEqual(amount(so.grand_total), amount(order["totalPriceSet"]))
		self.assertEqual(amount(so.total_taxes_and_charges) - amount("5.00"), amount(order["totalTaxSet"]))
		self.assertTrue(item_wise_tax(so), "item-wise tax detail is filled, so invoices print tax per item")

	def test_a_tax_title_without_an_account_dead_letters_with_what_to_do(self):
		self.settings(tax_account=None, tax_accounts=[])
		cone = self.mapped_variant("SHOP-M-NOACC", price="4.50")
		order = self.shop.add_order(
			lines=[
				{"variant": cone["id"], "quantity": 1, "tax_lines": [{"title": "Eco fee VAT", "rate": 0.1}]}
			]
		)
		with self.assertRaisesRegex(Exception, "Eco fee VAT 10%.*Tax Accounts table"):
			self.sync(order)
		frappe.db.rollback()


class TestDiscounts(ShopifyMoneyTestCase):
	def test_codes_and_line_discounts_show_as_the_orders_discount_and_free_shipping_books_no_shipping(self):
		cone = self.mapped_variant("SHOP-M-DISC-CONE", price="4.00")
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 5, "discount": "2.00"}],
			discount="10%",
			discount_code="SUMMER10",
			shipping_lines=[{"title": "Standard", "price": "5.00"}],
			shipping_discount="100%",
		)
		self.sync(order)
		so = self.sales_order_for(order)
		self.assertEqual(amount(so.grand_total), amount(order["totalPriceSet"]))
		self.assertEqual(so.custom_shopify_discount_codes, "SUMMER10, FREESHIPPING")
		line_discounts = sum(
			(
				amount(a["allocatedAmountSet"])
				for line in order["lineItems"]
				for a in line["discountAllocations"]
			),
			Decimal("0"),
		)
		self.assertEqual(amount(so.discount_amount), line_discounts)
		self.assertFalse([t for t in so.taxes if t.description == "Standard"])  # shipped free


class TestCurrency(ShopifyMoneyTestCase):
	def test_an_order_in_another_currency_is_booked_in_it_with_the_exchange_rate_of_its_date(self):
		world = test_world()
		self.use_shop(currency="EUR")
		cone = self.mapped_variant("SHOP-M-EUR", price="10.00")
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 2}],
			shipping_lines=[],
			processed_at="2026-11-20T10:00:00Z",
		)
		with self.assertRaisesRegex(
			Exception, "no Currency Exchange record from EUR to USD on or before 2026-11-20"
		):
			self.sync(order)
		self.assertIsNone(self.sales_order_for(order))  # never booked as USD
		self.allow_multi_currency_invoices()
		frappe.get_doc(
			{
				"doctype": "Currency Exchange",
				"date": "2026-11-19",
				"from_currency": "EUR",
				"to_currency": world.currency,
				"exchange_rate": 1.0825,
				"for_selling": 1,
			}
		).insert(ignore_permissions=True)
		so, invoice = self.import_paid(order)
		self.assertEqual((so.currency, flt(so.conversion_rate, 4)), ("EUR", 1.0825))
		self.assertEqual(amount(so.grand_total), amount("20.00"))
		self.assertEqual(amount(so.base_grand_total), amount("21.65"))  # never 20 USD
		self.assertEqual((invoice.currency, flt(invoice.conversion_rate, 4)), ("EUR", 1.0825))
		payment = frappe.get_all(
			"Payment Entry Reference",
			filters={"reference_name": invoice.name, "docstatus": 1},
			pluck="parent",
		)
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount"), 0)
		self.assert_books_balance(("Sales Invoice", invoice.name), ("Payment Entry", payment[0]))

	def test_the_customers_currency_can_be_booked_at_shopifys_own_rate(self):
		self.settings(book_in="Customer's currency")
		self.allow_multi_currency_invoices()
		cone = self.mapped_variant("SHOP-M-CAD", price="13.50")  # in CAD, the customer's money
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 1, "price": "13.50"}],
			shipping_lines=[],
			presentment_currency="CAD",
			presentment_rate="1.35",
		)
		self.sync(order)
		so = self.sales_order_for(order)
		self.assertEqual(so.currency, "CAD")
		self.assertEqual(amount(so.grand_total), amount("13.50"))
		self.assertEqual(amount(so.base_grand_total), amount(order["totalPriceSet"]))  # the shop's USD


class TestDatesAndTestOrders(ShopifyMoneyTestCase):
	def test_documents_are_dated_on_the_shops_day_of_processing(self):
		self.use_shop(timezone="Asia/Hong_Kong")
		self.settings(shop_timezone=None)
		cone = self.mapped_variant("SHOP-M-HK", price="4.00")
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 1}],
			processed_at="2026-03-01T17:30:00Z",  # 01:30 on 2 March in Hong Kong
		)
		so, invoice = self.import_paid(order)
		self.assertEqual(str(so.transaction_date), "2026-03-02")
		self.assertEqual(str(invoice.posting_date), "2026-03-02")
		self.assertEqual(frappe.db.get_value("Shopify Store", self.store, "shop_timezone"), "Asia/Hong_Kong")

	def test_test_orders_are_not_booked(self):
		cone = self.mapped_variant("SHOP-M-TEST", price="4.00")
		order = self.shop.add_order(lines=[{"variant": cone["id"], "quantity": 1}], test=True)
		self.assertEqual(self.sync(order), "skipped")
		self.assertIsNone(self.sales_order_for(order))


class TestPayments(ShopifyMoneyTestCase):
	def setUp(self):
		super().setUp()
		world = test_world()
		self.settings(
			payment_methods=[
				{"gateway": "shopify_payments", "mode_of_payment": "Cash", "account": world.cash_account},
				{"gateway": "gift_card", "account": world.gift_card_account},
			]
		)

	def payments_of(self, invoice: str) -> list[dict]:
		names = frappe.get_all(
			"Payment Entry Reference",
			filters={"reference_name": invoice, "docstatus": 1},
			pluck="parent",
			distinct=True,
		)
		return frappe.get_all(
			"Payment Entry",
			filters={"name": ["in", names]},
			fields=[
				"name",
				"paid_amount",
				"mode_of_payment",
				"payment_type",
				"custom_shopify_transaction_id",
			],
		)

	def test_each_captured_transaction_is_a_payment_and_a_gift_card_is_not_cash(self):
		world = test_world()
		tub = self.mapped_variant("SHOP-M-PAY-TUB", price="20.00")
		order = self.shop.add_order(lines=[{"variant": tub["id"], "quantity": 1}], shipping_lines=[])
		self.shop.add_transaction(order["id"], "SALE", "5.00", gateway="gift_card")
		self.shop.add_transaction(order["id"], "SALE", "15.00", gateway="shopify_payments")
		self.sync(order)
		self.sync(order)  # orders/paid delivered twice
		invoice = frappe.get_doc(
			"Sales Invoice",
			{"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 0, "docstatus": 1},
		)
		self.assertEqual(invoice.outstanding_amount, 0)
		[payment] = self.payments_of(invoice.name)
		self.assertEqual((payment.paid_amount, payment.mode_of_payment), (15.0, "Cash"))
		gift_card = frappe.get_all(
			"Journal Entry Account",
			filters={"account": world.gift_card_account, "docstatus": 1, "parenttype": "Journal Entry"},
			fields=["parent", "debit"],
		)
		journal = [g for g in gift_card if frappe.db.get_value("Journal Entry", g.parent, "cheque_no")]
		self.assertEqual([g.debit for g in journal[-1:]], [5.0])  # the liability goes down, not the cash
		self.assert_books_balance(("Sales Invoice", invoice.name), ("Payment Entry", payment.name))

	def test_more_transactions_than_the_order_query_reads_are_all_booked(self):
		tub = self.mapped_variant("SHOP-M-PAY-MANY", price="14.00")
		order = self.shop.add_order(lines=[{"variant": tub["id"], "quantity": 1}], shipping_lines=[])
		for _ in range(7):  # seven instalments of 2.00
			self.shop.add_transaction(order["id"], "SALE", "2.00", gateway="shopify_payments")
		self.sync(order)
		invoice = frappe.db.get_value(
			"Sales Invoice",
			{"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 0, "docstatus": 1},
		)
		self.assertEqual(len(self.payments_of(invoice)), 7)
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice, "outstanding_amount"), 0)

	def test_pending_and_partly_paid_orders_are_invoiced_with_what_is_still_owed(self):
		tub = self.mapped_variant("SHOP-M-PAY-COD", price="30.00")
		order = self.shop.add_order(lines=[{"variant": tub["id"], "quantity": 1}], shipping_lines=[])
		self.sync(order)  # cash on delivery: nothing received yet
		invoice = frappe.get_doc(
			"Sales Invoice",
			{"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 0, "docstatus": 1},
		)
		self.assertEqual(invoice.outstanding_amount, 30)
		self.shop.add_transaction(order["id"], "SALE", "10.00", gateway="shopify_payments")
		self.sync(order)
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount"), 20)
		self.assertEqual([p.paid_amount for p in self.payments_of(invoice.name)], [10.0])

	def test_an_authorisation_is_not_money_until_it_is_captured(self):
		tub = self.mapped_variant("SHOP-M-PAY-AUTH", price="12.00")
		order = self.shop.add_order(lines=[{"variant": tub["id"], "quantity": 1}], shipping_lines=[])
		self.shop.add_transaction(order["id"], "AUTHORIZATION", "12.00", gateway="shopify_payments")
		self.sync(order)
		invoice = frappe.db.get_value(
			"Sales Invoice",
			{"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 0, "docstatus": 1},
		)
		self.assertEqual(self.payments_of(invoice), [])
		self.shop.add_transaction(order["id"], "CAPTURE", "12.00", gateway="shopify_payments")
		self.sync(order)
		self.assertEqual([p.paid_amount for p in self.payments_of(invoice)], [12.0])


class TestRefunds(ShopifyMoneyTestCase):
	def setUp(self):
		super().setUp()
		world = test_world()
		self.settings(refund_item=world.refund_item, refund_adjustment_account=world.shipping_account)

	def credit_notes(self, order: dict) -> list:
		return [
			frappe.get_doc("Sales Invoice", name)
			for name in frappe.get_all(
				"Sales Invoice",
				filters={"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 1, "docstatus": 1},
				pluck="name",
				order_by="creation",
			)
		]

	def test_a_partial_refund_credits_the_returned_unit_its_tax_share_and_pays_it_back(self):
		world = test_world()
		cone = self.mapped_variant("SHOP-M-REF-CONE", price="4.00")
		tub = self.mapped_variant("SHOP-M-REF-TUB", price="10.00")
		vat = [{"title": "GST", "rate": 0.1}]
		order = self.shop.add_order(
			lines=[
				{"variant": cone["id"], "quantity": 3, "tax_lines": vat},
				{"variant": tub["id"], "quantity": 1, "tax_lines": vat},
			],
			shipping_lines=[{"title": "Cold chain", "price": "5.00"}],
		)
		self.shop.mark_paid(order["id"])
		refund = self.shop.refund(order["id"], {0: 1})  # before the order was ever imported
		self.sync(order)
		so = self.sales_order_for(order)  # what was sold, then what was given back
		self.assertEqual(
			[(r.item_code, r.qty) for r in so.items], [("SHOP-M-REF-CONE", 3), ("SHOP-M-REF-TUB", 1)]
		)
		self.assertEqual(amount(so.grand_total), amount(order["totalPriceSet"]))
		[note] = self.credit_notes(order)
		self.assertEqual(amount(-note.grand_total), amount(refund["totalRefundedSet"]))  # 4.00 + 0.40
		self.assertEqual([(r.item_code, r.qty) for r in note.items], [("SHOP-M-REF-CONE", -1)])
		self.assertEqual(
			{t.account_head: amount(t.tax_amount) for t in note.taxes}, {world.tax_account: amount("-0.40")}
		)  # no shipping, no other lines' tax: only what this refund gave back
		self.assertEqual(note.outstanding_amount, 0)  # the refund payment paid it out
		refund_payment = frappe.get_all(
			"Payment Entry Reference", filters={"reference_name": note.name, "docstatus": 1}, pluck="parent"
		)
		self.assertEqual(frappe.db.get_value("Payment Entry", refund_payment[0], "payment_type"), "Pay")
		self.assert_books_balance(("Sales Invoice", note.name), ("Payment Entry", refund_payment[0]))
		self.sync(order)  # refunds/create delivered again
		self.assertEqual(len(self.credit_notes(order)), 1)

	def test_shipping_only_and_amount_only_refunds_credit_just_that(self):
		cone = self.mapped_variant("SHOP-M-REF-SHIP", price="4.00")
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 2}],
			shipping_lines=[{"title": "Cold chain", "price": "5.00"}],
		)
		self.shop.mark_paid(order["id"])
		self.sync(order)
		self.shop.refund(order["id"], {}, shipping=True)  # no items back
		self.shop.refund(order["id"], amount="1.50")  # a goodwill refund, no items back
		self.sync(order)
		shipping, goodwill = self.credit_notes(order)
		self.assertEqual(amount(shipping.grand_total), amount("-5.00"))
		self.assertEqual([t.description for t in shipping.taxes], ["Cold chain"])
		self.assertEqual(amount(goodwill.grand_total), amount("-1.50"))
		self.assertEqual([(r.item_code, r.qty) for r in goodwill.items], [(test_world().refund_item, -1)])
		self.assertEqual(self.sales_order_for(order).docstatus, 1)  # nothing rolled back
		for note in (shipping, goodwill):
			self.assertEqual(frappe.db.get_value("Sales Invoice", note.name, "outstanding_amount"), 0)

	def test_a_refunded_and_cancelled_order_books_the_refund_and_closes_the_order(self):
		cone = self.mapped_variant("SHOP-M-REF-CANCEL", price="6.00")
		order = self.shop.add_order(lines=[{"variant": cone["id"], "quantity": 1}], shipping_lines=[])
		self.shop.mark_paid(order["id"])
		self.sync(order)
		self.shop.refund(order["id"])
		self.shop.cancel(order["id"], "CUSTOMER")
		self.sync(order)
		so = self.sales_order_for(order)
		self.assertEqual((so.docstatus, so.status), (1, "Closed"))
		[note] = self.credit_notes(order)
		self.assertEqual(amount(note.grand_total), amount("-6.00"))
		invoice = frappe.db.get_value(
			"Sales Invoice",
			{"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 0, "docstatus": 1},
			["name", "outstanding_amount"],
			as_dict=True,
		)
		self.assertEqual((invoice.outstanding_amount, note.outstanding_amount), (0, 0))


class TestWholeOrders(ShopifyMoneyTestCase):
	def test_an_order_with_more_lines_than_a_page_is_booked_whole(self):
		variants = [self.mapped_variant(f"SHOP-M-MANY-{n}", price=f"{n + 1}.00") for n in range(3)]
		order = self.shop.add_order(
			lines=[{"variant": variants[n % 3]["id"], "quantity": 1} for n in range(23)],
			shipping_lines=[],
		)
		self.sync(order)
		so = self.sales_order_for(order)
		self.assertEqual(len(so.items), 23)
		self.assertEqual(amount(so.grand_total), amount(order["totalPriceSet"]))

	def test_a_tip_is_booked_on_the_tips_account_not_as_goods(self):
		world = test_world()
		self.settings(tips_account=world.income_account)
		cone = self.mapped_variant("SHOP-M-TIP", price="4.00")
		order = self.shop.add_order(
			lines=[{"variant": cone["id"], "quantity": 1}], shipping_lines=[], tip="1.50"
		)
		self.sync(order)
		so = self.sales_order_for(order)
		self.assertEqual([r.item_code for r in so.items], ["SHOP-M-TIP"])
		self.assertEqual(
			[(t.account_head, amount(t.tax_amount)) for t in so.taxes],
			[(world.income_account, amount("1.50"))],
		)
		self.assertEqual(amount(so.grand_total), amount(order["totalPriceSet"]))

	def test_an_unpaid_order_edited_after_booking_is_booked_again_as_it_now_is(self):
		cone = self.mapped_variant("SHOP-M-EDIT-CONE", price="4.00")
		tub = self.mapped_variant("SHOP-M-EDIT-TUB", price="9.00")
		order = self.shop.add_order(lines=[{"variant": cone["id"], "quantity": 3}], shipping_lines=[])
		self.sync(order)
		first = self.sales_order_for(order)
		edited = self.shop.edit_order(order["id"], remove={0: 1}, add=[{"variant": tub["id"], "quantity": 1}])
		self.sync(order)
		so = self.sales_order_for(order)
		self.assertEqual(so.amended_from, first.name)
		self.assertEqual(frappe.db.get_value("Sales Order", first.name, "docstatus"), 2)
		self.assertEqual(
			[(r.item_code, r.qty) for r in so.items], [("SHOP-M-EDIT-CONE", 2), ("SHOP-M-EDIT-TUB", 1)]
		)
		self.assertEqual(amount(so.grand_total), amount(edited["currentTotalPriceSet"]))
		invoices = frappe.get_all(
			"Sales Invoice",
			filters={"custom_shopify_order_id": legacy_id(order["id"]), "is_return": 0, "docstatus": 1},
			pluck="grand_total",
		)
		self.assertEqual([amount(total) for total in invoices], [amount(so.grand_total)])

	def test_a_paid_order_edited_after_booking_is_named_not_silently_changed(self):
		cone = self.mapped_variant("SHOP-M-EDIT-PAID", price="4.00")
		tub = self.mapped_variant("SHOP-M-EDIT-PAID-TUB", price="9.00")
		order = self.shop.add_order(lines=[{"variant": cone["id"], "quantity": 1}], shipping_lines=[])
		self.shop.mark_paid(order["id"])
		self.sync(order)
		self.shop.edit_order(order["id"], add=[{"variant": tub["id"], "quantity": 1}])
		with self.assertRaisesRegex(Exception, "was edited after Sales Order .* was booked, and money"):
			self.sync(order)


class TestDeliveries(ShopifyMoneyTestCase):
	def test_a_stock_shortage_fails_only_the_delivery_note_and_its_retry_delivers(self):
		from scoopjoy.connectors.shopify.delivery_notes import delivery_job_key
		from scoopjoy.reliability.jobs import job_id_for

		world = test_world()
		frappe.db.set_single_value("Stock Settings", "allow_negative_stock", 0)
		variant = self.mapped_variant("SHOP-M-STOCK", price="6.00")
		frappe.db.set_value("Item", "SHOP-M-STOCK", "is_stock_item", 1)
		order = self.shop.add_order(lines=[{"variant": variant["id"], "quantity": 2}], shipping_lines=[])
		self.shop.mark_paid(order["id"])
		self.shop.fulfill(order["id"])
		self.sync(order)  # shipped in Shopify, but the warehouse has none
		so = self.sales_order_for(order)
		self.assertEqual(so.docstatus, 1)  # the order, its invoice and payment stay booked
		self.assertTrue(self.invoice_for(order))
		key = job_id_for("Shopify", delivery_job_key(self.store, legacy_id(order["id"])))
		letter = frappe.get_doc("Integration Dead Letter", {"dedup_key": key})
		self.assertIn("Delivery Note", letter.last_error)
		self.assertEqual((letter.reference_doctype, letter.reference_name), ("Sales Order", so.name))

		receipt = frappe.get_doc(
			{
				"doctype": "Stock Entry",
				"stock_entry_type": "Material Receipt",
				"company": world.company,
				"items": [
					{"item_code": "SHOP-M-STOCK", "qty": 5, "t_warehouse": world.warehouse, "basic_rate": 2}
				],
			}
		).insert(ignore_permissions=True)
		receipt.submit()
		self.sync(order)  # the dead letter's replay
		delivered = frappe.get_all(
			"Delivery Note Item", filters={"against_sales_order": so.name, "docstatus": 1}, pluck="qty"
		)
		self.assertEqual(delivered, [2])
		self.assertEqual(frappe.db.get_value("Integration Dead Letter", letter.name, "status"), "Resolved")

	def test_each_location_delivers_from_its_warehouse_and_a_shortage_fails_only_that_note(self):
		"""Downtown and Harbour are mapped to their warehouses in the Shopify Store. Downtown ships two
		tubs, Harbour one tub and a cone, but Harbour's warehouse has no cones: Downtown's Delivery
		Note is submitted, Harbour's is dead-lettered naming its warehouse; once the cones are in, the
		retry delivers Harbour's part and nothing twice."""
		from scoopjoy.connectors.shopify.delivery_notes import delivery_job_key
		from scoopjoy.reliability.jobs import job_id_for

		frappe.db.set_single_value("Stock Settings", "allow_negative_stock", 0)
		downtown, harbour = self.shop.add_location("Downtown"), self.shop.add_location("Harbour")
		warehouses = {
			"Downtown": self.outlet_warehouse("Downtown"),
			"Harbour": self.outlet_warehouse("Harbour"),
		}
		settings = self.store_doc()
		for location in (downtown, harbour):
			settings.append(
				"locations",
				{
					"location_id": location["id"],
					"location_name": location["name"],
					"warehouse": warehouses[location["name"]],
				},
			)
		settings.save()
		tub, cone = (
			self.mapped_variant("SHOP-M-LOC-TUB", price="9.00"),
			self.mapped_variant("SHOP-M-LOC-CONE"),
		)
		for code in ("SHOP-M-LOC-TUB", "SHOP-M-LOC-CONE"):
			frappe.db.set_value("Item", code, "is_stock_item", 1)
		self.receive("SHOP-M-LOC-TUB", warehouses["Downtown"], 5)
		self.receive("SHOP-M-LOC-TUB", warehouses["Harbour"], 5)
		order = self.shop.add_order(
			lines=[{"variant": tub["id"], "quantity": 3}, {"variant": cone["id"], "quantity": 1}],
			shipping_lines=[],
		)
		self.shop.mark_paid(order["id"])
		self.shop.fulfill(order["id"], {0: 2}, location=downtown["id"])
		self.shop.fulfill(order["id"], {0: 1, 1: 1}, location=harbour["id"])

		self.sync(order)

		so = self.sales_order_for(order)
		self.assertEqual(so.docstatus, 1)
		self.assertTrue(self.invoice_for(order))

		def delivered() -> list[tuple]:
			return sorted(
				(row.warehouse, row.item_code, row.qty)
				for row in frappe.get_all(
					"Delivery Note Item",
					filters={"against_sales_order": so.name, "docstatus": 1},
					fields=["warehouse", "item_code", "qty"],
				)
			)

		self.assertEqual(delivered(), [(warehouses["Downtown"], "SHOP-M-LOC-TUB", 2)])
		letter = frappe.get_doc(
			"Integration Dead Letter",
			{"dedup_key": job_id_for("Shopify", delivery_job_key(self.store, legacy_id(order["id"])))},
		)
		self.assertIn(warehouses["Harbour"], letter.last_error)
		self.assertNotIn(warehouses["Downtown"], letter.last_error)

		self.receive("SHOP-M-LOC-CONE", warehouses["Harbour"], 3)
		self.sync(order)  # the dead letter's replay

		self.assertEqual(
			delivered(),
			sorted(
				[
					(warehouses["Downtown"], "SHOP-M-LOC-TUB", 2),
					(warehouses["Harbour"], "SHOP-M-LOC-CONE", 1),
					(warehouses["Harbour"], "SHOP-M-LOC-TUB", 1),
				]
			),
		)
		self.assertEqual(frappe.db.get_value("Integration Dead Letter", letter.name, "status"), "Resolved")
