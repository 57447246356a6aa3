"""The records the bench tests stand on, made by the tests themselves.

Why: a site holds whatever its history left (ERPNext's test records put an INR price list first, a
setup-wizard company in Hong Kong has no leaf Tax account), so a test that takes "the first
Company" or "a selling Price List" passes on one site and fails on the next. Every bench test asks
``test_world()`` instead: one company of our own in a currency we choose, with its own accounts,
price list, warehouse, customer group, territory and item group. It is made once per site and found
again on the next run (every record is looked up by name before it is made).
"""

from __future__ import annotations

import frappe
from frappe.utils.nestedset import get_root_of

COMPANY = "ScoopJoy Test Creamery"
ABBR = "SJTC"
CURRENCY = "USD"
COUNTRY = "United States"
PRICE_LIST = "ScoopJoy Test Selling"
CUSTOMER_GROUP = "ScoopJoy Test Customers"
TERRITORY = "ScoopJoy Test Territory"
ITEM_GROUP = "ScoopJoy Test Items"
# the group each kind of account goes under in ERPNext's "Standard" chart, else any group of its root
PARENT_GROUPS = {
	"Liability": "Duties and Taxes",
	"Income": "Direct Income",
	"Asset": "Bank Accounts",
	"Expense": "Indirect Expenses",
}
TAX_ACCOUNTS = ("ScoopJoy Sales Tax", "ScoopJoy County Tax", "ScoopJoy City Tax")
SHIPPING_ACCOUNT = "ScoopJoy Shipping Income"
GIFT_CARD_ACCOUNT = "ScoopJoy Gift Cards Outstanding"
REFUND_ITEM = "SCOOPJOY-TEST-REFUND"
#: a second company in another currency, for a second Shopify store (issue #22)
SECOND = {
	"company": "ScoopJoy Test Singapore",
	"abbr": "SJSG",
	"currency": "SGD",
	"country": "Singapore",
	"price_list": "ScoopJoy Test Selling SGD",
}


class World(frappe._dict):
	"""Names of the test company's records (``world.company``, ``world.tax_account`` ...)."""


def test_world() -> World:
	"""The test company and what hangs off it; made on first use, the same names ever after."""
	return _world(COMPANY, ABBR, CURRENCY, COUNTRY, PRICE_LIST)


def second_world() -> World:
	"""Another company of our own, in Singapore dollars, with the same kind of records."""
	return _world(**SECOND)


def _world(company: str, abbr: str, currency: str, country: str, price_list: str) -> World:
	worlds = getattr(frappe.local, "scoopjoy_test_worlds", None)
	if worlds is None:
		worlds = frappe.local.scoopjoy_test_worlds = {}
	cached = worlds.get(company)
	if cached and frappe.db.exists("Company", cached.company):
		return cached
	company = _company(company, abbr, currency, country)
	world = World(
		company=company.name,
		currency=company.default_currency,
		abbr=company.abbr,
		cost_center=company.cost_center,
		cash_account=company.default_cash_account,
		receivable_account=company.default_receivable_account,
		income_account=company.default_income_account,
		warehouse=_warehouse(company),
		price_list=_price_list(price_list, currency),
		customer_group=tree_leaf("Customer Group", CUSTOMER_GROUP, "customer_group_name"),
		territory=tree_leaf("Territory", TERRITORY, "territory_name"),
		item_group=tree_leaf("Item Group", ITEM_GROUP, "item_group_name"),
		tax_accounts=[_leaf_account(company, title, "Liability", "Tax") for title in TAX_ACCOUNTS],
		shipping_account=_leaf_account(company, SHIPPING_ACCOUNT, "Income", "Chargeable"),
		gift_card_account=_leaf_account(company, GIFT_CARD_ACCOUNT, "Liability", ""),
		refund_item=_service_item(REFUND_ITEM),
	)
	world.tax_account = world.tax_accounts[0]
	# Commit on purpose: the world outlives each test class's rollback (making it takes seconds).
	frappe.db.commit()  # nosemgrep
	worlds[world.company] = world
	return world


def _company(name: str, abbr: str, currency: str, country: str):
	if not frappe.db.exists("Company", name):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": name,
				"abbr": abbr,
				"default_currency": currency,
				"country": country,
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": "Standard",
			}
		).insert(ignore_permissions=True)
	return frappe.get_doc("Company", name)


def _warehouse(company) -> str:
	name = frappe.db.get_value(
		"Warehouse", {"company": company.name, "is_group": 0, "warehouse_name": "Stores"}
	)
	if name:
		return name
	parent = frappe.db.get_value("Warehouse", {"company": company.name, "is_group": 1})
	return (
		frappe.get_doc(
			{
				"doctype": "Warehouse",
				"warehouse_name": "Stores",
				"company": company.name,
				"parent_warehouse": parent,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def _price_list(name: str, currency: str) -> str:
	if not frappe.db.exists("Price List", name):
		frappe.get_doc(
			{
				"doctype": "Price List",
				"price_list_name": name,
				"currency": currency,
				"selling": 1,
				"enabled": 1,
			}
		).insert(ignore_permissions=True)
	return name


def tree_leaf(doctype: str, name: str, name_field: str) -> str:
	"""A leaf of a tree DocType (Item Group, Customer Group, ...) under its root, made once."""
	if not frappe.db.exists(doctype, name):
		root = get_root_of(doctype)
		frappe.get_doc(
			{"doctype": doctype, name_field: name, f"parent_{frappe.scrub(doctype)}": root, "is_group": 0}
		).insert(ignore_permissions=True)
	return name


def _service_item(item_code: str) -> str:
	if not frappe.db.exists("Item", item_code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": item_code,
				"item_group": tree_leaf("Item Group", ITEM_GROUP, "item_group_name"),
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	return item_code


def _leaf_account(company, account_name: str, root_type: str, account_type: str) -> str:
	name = frappe.db.get_value("Account", {"company": company.name, "account_name": account_name})
	if name:
		return name
	groups = {"company": company.name, "is_group": 1, "root_type": root_type}
	parent = frappe.db.get_value(
		"Account", {**groups, "account_name": PARENT_GROUPS[root_type]}
	) or frappe.db.get_value("Account", groups, order_by="lft desc")
	return (
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": account_name,
				"company": company.name,
				"parent_account": parent,
				"account_type": account_type,
				"account_currency": company.default_currency,
				"is_group": 0,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)
