"""Whitelisted methods behind the Shopify desk buttons, the Sync Console and /api/method calls.

Each checks a permission explicitly and only enqueues work (the calls to Shopify happen in jobs),
except the read-only console, drift check and webhook registration, which a person waits for.
Each acts on one Shopify Store: ``store`` (its name, the shop domain), which a site with a single
store may leave out.
"""

from __future__ import annotations

import json

import frappe
from frappe import _

from scoopjoy.connectors.shopify import (
	backfill,
	catalog,
	catalog_import,
	console,
	constants,
	inventory,
	items,
	payouts,
	queries,
	sync,
)
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.mapping import gid, legacy_id, order_job_key
from scoopjoy.connectors.shopify.stores import store_name
from scoopjoy.connectors.shopify.webhook import endpoint_url
from scoopjoy.kernel.errors import RecordError
from scoopjoy.reliability.errors import user_facing_errors
from scoopjoy.reliability.jobs import enqueue_integration_job

CONSOLE_ROLES = ("System Manager", "Sales Manager")


def _require_console_role() -> None:
	# explicit, not frappe.only_for (which lets everything through while tests run)
	if not set(CONSOLE_ROLES) & set(frappe.get_roles()):
		frappe.throw(
			_("The Shopify Sync Console is for {0}.").format(_(" or ").join(CONSOLE_ROLES)),
			frappe.PermissionError,
		)


def _store(store: str | None, permission: str = "read") -> str:
	"""The store named (or the site's only one), which the user must be allowed to ``permission``."""
	if not frappe.has_permission(constants.STORE_DOCTYPE, permission):  # before anything is looked up
		frappe.throw(
			_("You need {0} access to Shopify Stores for this.").format(_(permission)), frappe.PermissionError
		)
	with user_facing_errors(title=_("Shopify Store")):
		name = store_name(store)
	if not frappe.has_permission(constants.STORE_DOCTYPE, permission, doc=name):
		frappe.throw(
			_("You need {0} access to Shopify Store {1} for this.").format(_(permission), name),
			frappe.PermissionError,
		)
	return name


@frappe.whitelist()
def get_sync_console(from_date: str, to_date: str, store: str | None = None) -> dict:
	"""Counts per entity, coverage and the "Not synced — and why" list of a store for a window."""
	_require_console_role()
	if str(from_date) > str(to_date):
		frappe.throw(_("From Date must not be after To Date."))
	# Shopify down is an answer the page shows in place (with what to do), not an error dialog
	return console.console_page(from_date, to_date, _store(store))


@frappe.whitelist()
def resync_orders(order_ids: list[str] | str, store: str | None = None) -> dict:
	"""Queue a fresh import of these orders of the store (one job per order, deduplicated)."""
	_require_console_role()
	store = _store(store)
	if isinstance(order_ids, str):
		order_ids = json.loads(order_ids) if order_ids.startswith("[") else [order_ids]
	queued = 0
	for order_id in order_ids:
		queued += enqueue_integration_job(
			constants.SYNC_ORDER_JOB,
			connector=constants.SERVICE_NAME,
			job_key=order_job_key(store, order_id),
			external_id=legacy_id(order_id),
			order_gid=gid("Order", legacy_id(order_id)),
			store=store,
		)
	return {"queued": queued, "requested": len(order_ids)}


@frappe.whitelist()
def resync_not_synced(from_date: str, to_date: str, store: str | None = None) -> dict:
	"""Queue every order of the window that is not in ERPNext (except cancelled-before-import)."""
	_require_console_role()
	store = _store(store)
	with user_facing_errors(title=_("Shopify Sync Console")):
		data = console.console_data(from_date, to_date, store)
	ids = [row["order_id"] for row in data["not_synced"] if row.get("can_resync", True)]
	return resync_orders(ids, store)


@frappe.whitelist(methods=["POST"])
def create_missing_items(order_ids: list | str | None = None, store: str | None = None) -> dict:
	"""The Sync Console's Create Items: for the Shopify orders dead-lettered because a variant has
	no Item (all open ones, or ``order_ids``), make the Items from their Shopify products, then
	replay those dead letters. For whoever may create Items (Item Manager, System Manager); the
	Items are made and the orders replayed as the integration user, as a job would."""
	frappe.has_permission("Item", "create", throw=True)
	store = _store(store)
	if isinstance(order_ids, str):
		order_ids = json.loads(order_ids) if order_ids.strip().startswith("[") else [order_ids]
	with user_facing_errors(title=_("Create Items from Shopify")):
		return items.create_items_for_dead_letters(store, order_ids or None)


@frappe.whitelist()
def sync_orders_now(store: str | None = None) -> dict:
	return {"queued": sync.queue_order_poll(_store(store, "write"))}


@frappe.whitelist()
def import_payouts_now(
	from_date: str | None = None, to_date: str | None = None, store: str | None = None
) -> dict:
	"""Book the store's Shopify Payments payouts paid in a window (default: since the last run). For
	whoever may write the Shopify Store and make Journal Entries."""
	store = _store(store, "write")
	frappe.has_permission("Journal Entry", "create", throw=True)
	if from_date and to_date and str(from_date) > str(to_date):
		frappe.throw(_("From Date must not be after To Date."))
	return {"queued": payouts.queue_payout_import(store, from_date or None, to_date or None)}


@frappe.whitelist()
def push_products_now(force: bool = False, store: str | None = None) -> dict:
	return {"queued": catalog.queue_product_push(_store(store, "write"), force=bool(int(force or 0)))}


@frappe.whitelist()
def import_catalog_now(restart: bool = False, store: str | None = None) -> dict:
	"""Import every product and variant of the store into Items and the store's Price List. For
	whoever may write the Shopify Store and create Items (the job writes as the integration user, as
	every import does). ``restart``: from the first product, not from where an interrupted import
	stopped."""
	store = _store(store, "write")
	frappe.has_permission("Item", "create", throw=True)
	return {"queued": catalog_import.queue_catalog_import(store, restart=bool(int(restart or 0)))}


@frappe.whitelist()
def push_inventory_now(store: str | None = None) -> dict:
	return {"queued": inventory.queue_inventory_push(_store(store, "write"))}


@frappe.whitelist()
def check_inventory_drift(store: str | None = None) -> list[dict]:
	_require_console_role()
	store = _store(store)
	with user_facing_errors(title=_("Shopify inventory drift")):
		return inventory.inventory_drift(store)


@frappe.whitelist()
def start_backfill(name: str) -> dict:
	frappe.get_doc(backfill.BACKFILL, name).check_permission("write")
	return {"queued": backfill.start_backfill(name)}


@frappe.whitelist()
def register_webhooks(store: str | None = None) -> dict:
	"""Create or update the store's subscriptions for every topic (a button, never inside validate).
	Every store calls the same endpoint; its deliveries say which store they are from."""
	connector = ShopifyConnector(store=_store(store, "write"))
	uri = endpoint_url()
	created = updated = unchanged = 0
	with user_facing_errors(title=_("Shopify webhooks")):
		existing = connector.query(queries.WEBHOOK_SUBSCRIPTIONS, operation="WebhookSubscriptions")
		by_topic = {n["topic"]: n for n in (existing.get("webhookSubscriptions") or {}).get("nodes") or []}
		for topic in constants.WEBHOOK_TOPICS.values():
			subscription = {"uri": uri, "format": "JSON"}
			current = by_topic.get(topic)
			if current and current.get("uri") == uri:
				unchanged += 1
				continue
			if current:
				result = connector.query(
					queries.WEBHOOK_SUBSCRIPTION_UPDATE,
					{"id": current["id"], "webhookSubscription": subscription},
					operation="WebhookUpdate",
				)["webhookSubscriptionUpdate"]
				updated += 1
			else:
				# not retried blindly: a lost answer is caught by listing the topics on the next press
				result = connector.query(
					queries.WEBHOOK_SUBSCRIPTION_CREATE,
					{"topic": topic, "webhookSubscription": subscription},
					operation="WebhookCreate",
					idempotent=False,
				)["webhookSubscriptionCreate"]
				created += 1
			if result.get("userErrors"):
				raise RecordError(
					f"Shopify refused the {topic} subscription: "
					+ "; ".join(e.get("message") or "" for e in result["userErrors"]),
					service=constants.SERVICE_NAME,
				)
	return {"created": created, "updated": updated, "unchanged": unchanged, "endpoint": uri}
