"""Which Shopify store: every piece of Shopify work belongs to one Shopify Store (issue #22).

A store is a record named by its ``<store>.myshopify.com`` domain. Work names its store: jobs carry
``store=`` (so a dead letter replays into the same store), scheduled jobs fan out over the enabled
stores, webhooks find theirs by ``X-Shopify-Shop-Domain``. Everything keyed by a Shopify id (job
and dead-letter keys, per-record locks, the documents' ids) is keyed by the store as well, so the
same numeric id in two stores never meets.

A site with one store works as before: where no store is named (a dead letter written before the
upgrade, a desk call of the single-store days) the only store is meant; with several, the caller
must say which, and is told so.
"""

from __future__ import annotations

import frappe
from frappe import _

from scoopjoy.connectors.shopify import constants
from scoopjoy.kernel.errors import ConfigError
from scoopjoy.reliability.numbering import number_apart

STORE = constants.STORE_DOCTYPE


def store_name(store: str | None = None) -> str:
	"""``store`` when named (it must exist), else the site's only store."""
	if store:
		if not frappe.db.exists(STORE, store):
			raise ConfigError(
				_(
					"There is no Shopify Store {0}. Add it under Shopify Store, or name an existing one."
				).format(store),
				service=constants.SERVICE_NAME,
			)
		return store
	names = frappe.get_all(STORE, pluck="name", order_by="creation asc", limit=2)
	if len(names) == 1:
		return names[0]
	if not names:
		raise ConfigError(
			_(
				"No Shopify Store is set up: add one (its myshopify.com domain, token and secret) under Shopify Store."
			),
			service=constants.SERVICE_NAME,
		)
	raise ConfigError(
		_("This site has several Shopify stores: name the store this work belongs to."),
		service=constants.SERVICE_NAME,
	)


def get_store(store: str | None = None):
	"""A fresh copy of the store's record (callers may change it in memory)."""
	return frappe.get_doc(STORE, store_name(store))


def cached_store(store: str | None = None):
	"""The store's record from the document cache: read it, never change it (request paths)."""
	return frappe.get_cached_doc(STORE, store_name(store))


def enabled_stores(switch: str | None = None) -> list[str]:
	"""The enabled stores, those with ``switch`` on too when named (the scheduler's fan-out)."""
	filters = {"enabled": 1}
	if switch:
		filters[switch] = 1
	return frappe.get_all(STORE, filters=filters, pluck="name", order_by="creation asc")


def store_of_domain(domain: str | None) -> str | None:
	"""The store a webhook's ``X-Shopify-Shop-Domain`` names, or None (an unknown shop)."""
	domain = (domain or "").strip().lower()
	return frappe.db.get_value(STORE, {"shop_domain": domain}) if domain else None


def keyed(store: str, key: str) -> str:
	"""A job, dead-letter or lock key of one store: the same Shopify id in two stores never meets."""
	return f"{store}:{key}"


def number_for_import(doc, store: str) -> None:
	"""A document the import makes for ``store`` takes its series' number apart from the import's
	transaction when the store says so (*Number Documents Apart*; reliability/numbering.py)."""
	if frappe.get_cached_doc(STORE, store).number_documents_apart:
		number_apart(doc)
