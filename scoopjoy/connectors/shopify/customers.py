"""The Customer and Address of a Shopify order.

A Shopify customer is found by its id, else by email (which then keeps the id); a new one is made
by one worker under a lock per name while the others wait. An order without a customer is booked
on the Walk-in Customer of its Shopify Store. The order's shipping (else billing) address is found
among the customer's addresses by its first line and city, else made.
"""

from __future__ import annotations

import frappe

from scoopjoy.connectors.shopify.accounts import _require
from scoopjoy.connectors.shopify.locks import _lock_until_transaction_ends, _visible, made_meanwhile
from scoopjoy.connectors.shopify.mapping import OrderPlan, customer_display_name
from scoopjoy.kernel.errors import RecordError


def _customer_for(plan: OrderPlan, settings) -> str:
	info = plan.customer
	if not info:
		if settings.default_customer:
			return settings.default_customer
		raise RecordError(
			f"Shopify order {plan.name} has no customer and Shopify Store {settings.name} has no Walk-in "
			"Customer. Set one, then retry this dead letter.",
			service="Shopify",
		)
	email = (info.get("email") or "").strip().lower()
	name = _existing_customer(info, email, settings.name)
	if name:
		return name
	# A new customer: one worker makes it (and its address) while the others wait, then find it.
	# The lock is per name, because ERPNext names customers by name ("Mei Chan - 1") and two new
	# customers of the same name would race for that too; customers that exist take no lock. A
	# worker whose snapshot predates the other's commit does not see its customer; its insert then
	# meets the unique Shopify customer id and is retried in a fresh transaction. The free name is read
	# with a locking read on the name (the primary key); no locking read by email: on Customer (no
	# index on email) it would lock every row and deadlock workers.
	_lock_until_transaction_ends(customer_display_name(plan).lower(), kind="customer")
	name = _existing_customer(info, email, settings.name)
	if name:
		return name
	_require(settings, "customer_group")
	customer = frappe.new_doc("Customer")
	customer.update(
		{
			"customer_name": customer_display_name(plan),
			"customer_type": "Individual",
			"customer_group": settings.customer_group,
			"custom_shopify_store": settings.name if info.get("customer_id") else None,
			"custom_shopify_customer_id": info.get("customer_id"),
			"email_id": email or None,
			"mobile_no": info.get("phone") or None,
		}
	)
	# another worker may have committed this customer (its unique Shopify id) or taken the numbered
	# name ("Asha Rao - 7") after this transaction's snapshot was taken
	with made_meanwhile(f"customer {customer.customer_name}"):
		customer.insert(set_name=_free_name(customer.customer_name))
	return customer.name


def _free_name(customer_name: str) -> str | None:
	"""The name ERPNext would give a new customer of this name ("Asha Rao", else "Asha Rao - 8"),
	read with a locking read, which sees what other workers committed since this transaction's
	snapshot: under this name's lock, workers making several customers of one name in turn do not
	collide on a number. None where customers are named otherwise (a naming series): ERPNext names."""
	if (frappe.defaults.get_global_default("cust_master_name") or "Customer Name") != "Customer Name":
		return None
	taken = frappe.db.sql(
		"select name from `tabCustomer` where name = %s or name like %s for update",
		(customer_name, f"{customer_name} - %"),
		pluck=True,
	)
	if customer_name not in taken:
		return customer_name
	numbers = [
		int(suffix)
		for name in taken
		if name.startswith(f"{customer_name} - ") and (suffix := name.rsplit(" - ", 1)[1]).isdigit()
	]
	return f"{customer_name} - {max(numbers, default=0) + 1}"


def _existing_customer(info: dict, email: str, store: str) -> str | None:
	"""The Customer of a Shopify customer: by the store's customer id, else by email (then the id is
	stored on it, unless it already holds its id in another store: one person buying in two stores
	is one Customer)."""
	if info.get("customer_id"):
		name = frappe.db.get_value(
			"Customer", {"custom_shopify_store": store, "custom_shopify_customer_id": info["customer_id"]}
		)
		if name:
			return name
	if email:
		name = frappe.db.get_value("Customer", {"email_id": email})
		if name:
			if info.get("customer_id") and not frappe.db.get_value(
				"Customer", name, "custom_shopify_customer_id"
			):
				frappe.db.set_value(
					"Customer",
					name,
					{"custom_shopify_store": store, "custom_shopify_customer_id": info["customer_id"]},
				)
			return name
	return None


def _address_for(plan: OrderPlan, customer: str) -> str | None:
	address = plan.shipping_address or plan.billing_address
	if not address or not address.get("address1") or not address.get("city"):
		return None
	existing = frappe.db.sql(
		"""select address.name from `tabAddress` address
		join `tabDynamic Link` link on link.parent = address.name and link.parenttype = 'Address'
		where link.link_doctype = 'Customer' and link.link_name = %s
			and address.address_line1 = %s and address.city = %s
		limit 1 for update""",
		(customer, address["address1"], address["city"]),
		pluck=True,
	)
	if existing:
		return _visible(existing[0], "Address")
	country = None
	if address.get("countryCodeV2"):
		country = frappe.db.get_value("Country", {"code": address["countryCodeV2"].lower()})
	doc = frappe.new_doc("Address")
	doc.update(
		{
			"address_title": customer,
			"address_type": "Shipping",
			"address_line1": address["address1"][:240],
			"address_line2": (address.get("address2") or "")[:240] or None,
			"city": address["city"],
			"state": address.get("province"),
			"pincode": address.get("zip"),
			"country": country or frappe.db.get_default("country"),
			"phone": address.get("phone"),
		}
	)
	doc.append("links", {"link_doctype": "Customer", "link_name": customer})
	doc.insert()
	return doc.name
