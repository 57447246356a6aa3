"""Customers of the Shopify simulator: seeded by :meth:`CustomersMixin.add_customer`, found by the
``customer`` and ``customers`` queries (:mod:`.search`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from scoopjoy.tests.simulators.shopify.common import gid, to_iso


class CustomersMixin:
	"""Of :class:`~.server.ShopifySimulator`: customers, each with a default address."""

	def add_customer(
		self,
		first_name: str = "Asha",
		last_name: str = "Rao",
		*,
		email: str | None = None,
		phone: str | None = None,
		address: Mapping[str, Any] | None = None,
		created_at: datetime | str | None = None,
	) -> dict:
		with self.lock:
			n = self._next_id("Customer")
			email = email if email is not None else f"{first_name}.{last_name}.{n}@example.com".lower()
			stamp = to_iso(created_at) if created_at else self._now_iso()
			default_address = {
				"__typename": "MailingAddress",
				"id": gid("MailingAddress", self._next_id("MailingAddress")),
				"firstName": first_name,
				"lastName": last_name,
				"name": f"{first_name} {last_name}".strip(),
				"company": None,
				"address1": "12 MG Road",
				"address2": None,
				"city": "Bengaluru",
				"province": "Karnataka",
				"provinceCode": "KA",
				"zip": "560001",
				"country": "India",
				"countryCodeV2": "IN",
				"phone": phone,
				**dict(address or {}),
			}
			customer = {
				"__typename": "Customer",
				"id": gid("Customer", n),
				"legacyResourceId": str(n),
				"firstName": first_name,
				"lastName": last_name,
				"displayName": f"{first_name} {last_name}".strip() or email,
				"defaultEmailAddress": {"emailAddress": email} if email else None,
				"defaultPhoneNumber": {"phoneNumber": phone} if phone else None,
				"defaultAddress": default_address,
				"createdAt": stamp,
				"updatedAt": stamp,
				"note": None,
				"tags": [],
				"_n": n,
			}
			self.customers[n] = customer
			return customer
