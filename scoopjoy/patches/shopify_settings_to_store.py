"""Several Shopify stores (issue #22): the single Shopify Settings becomes the first Shopify Store.

Everything the site had is kept and linked to that store: its values and passwords, its Locations,
Tax Accounts and Payment Methods rows, the documents it imported (Sales Orders, invoices and
credit notes, payments, journal and payout entries, customers: ``custom_shopify_store``), the
Items' product / variant / inventory-item ids (now each Item's listing for the store), webhook
deliveries, backfills, and the dead letters still to be dealt with (their replay names the store,
their key is the store's, so an import that succeeds resolves them as before).

A site that never set Shopify up (no shop domain) gets no store. Runs after the DocTypes are
synced; the custom fields it fills are made first (after_migrate would make them only later).
"""

from __future__ import annotations

import json

import frappe

from scoopjoy.connectors.shopify import constants
from scoopjoy.connectors.shopify.delivery_notes import delivery_job_key
from scoopjoy.connectors.shopify.drain import drain_job_key
from scoopjoy.connectors.shopify.items import SYNC_PRODUCT_JOB, product_job_key
from scoopjoy.connectors.shopify.mapping import legacy_id, order_job_key
from scoopjoy.connectors.shopify.stores import keyed
from scoopjoy.install import make_custom_fields
from scoopjoy.reliability.jobs import job_id_for

OLD = "Shopify Settings"
STORE = constants.STORE_DOCTYPE
CHILD_TABLES = ("Shopify Location", "Shopify Tax Account", "Shopify Payment Method")
#: documents carrying a Shopify id, and the field that says they came from Shopify
DOCUMENTS = (
	("Sales Order", "custom_shopify_order_id"),
	("Sales Invoice", "custom_shopify_order_id"),
	("Payment Entry", "custom_shopify_transaction_id"),
	("Journal Entry", "custom_shopify_transaction_id"),
	("Journal Entry", "custom_shopify_payout_id"),
	("Customer", "custom_shopify_customer_id"),
)
#: jobs whose replay takes ``store``
STORE_JOBS = {
	constants.SYNC_ORDER_JOB,
	SYNC_PRODUCT_JOB,
	constants.BOOK_PAYOUT_JOB,
	constants.REVERSE_PAYOUT_JOB,
	"scoopjoy.connectors.shopify.catalog.push_product",
	"scoopjoy.connectors.shopify.catalog.push_products",
	"scoopjoy.connectors.shopify.inventory.push_inventory",
	"scoopjoy.connectors.shopify.payouts.import_payouts",
	"scoopjoy.connectors.shopify.sync.pull_changed_orders",
	"scoopjoy.connectors.shopify.drain.drain_webhook_orders",
}


def execute():
	values = dict(frappe.db.sql("select field, value from `tabSingles` where doctype=%s", OLD))
	domain = (values.get("shop_domain") or "").strip().lower().removeprefix("https://").strip("/")
	if not domain or frappe.db.exists(STORE, domain):
		return
	make_custom_fields()
	_store(domain, values)
	for child in CHILD_TABLES:
		frappe.db.sql(
			f"update `tab{child}` set parent=%s, parenttype=%s where parenttype=%s", (domain, STORE, OLD)
		)
	frappe.db.sql(
		"update `__Auth` set doctype=%s, name=%s where doctype=%s and name=%s", (STORE, domain, OLD, OLD)
	)
	for doctype, id_field in DOCUMENTS:
		frappe.db.sql(
			f"""update `tab{doctype}` set custom_shopify_store=%s
			where ifnull(`{id_field}`, '') != '' and ifnull(custom_shopify_store, '') = ''""",
			domain,
		)
	for doctype in ("Shopify Webhook Delivery", "Shopify Backfill"):
		frappe.db.sql(
			f"update `tab{doctype}` set shopify_store=%s where ifnull(shopify_store, '') = ''", domain
		)
	_listings(domain)
	_dead_letters(domain)
	frappe.db.delete("Singles", {"doctype": OLD})


def _store(domain: str, values: dict) -> None:
	"""The store, with the values exactly as they were (validated when they were saved)."""
	store = frappe.new_doc(STORE)
	for field in frappe.get_meta(STORE).fields:
		if field.fieldname in values and field.fieldtype not in ("Table", "Password"):
			store.set(field.fieldname, values[field.fieldname])
	store.shop_domain = domain
	store.store_name = store.store_name or domain.removesuffix(".myshopify.com")
	store.name = domain
	store.db_insert()


def item_columns() -> list[str]:
	"""The columns of tabItem as the database has them now (Frappe caches its own list)."""
	return frappe.db.sql(
		"select column_name from information_schema.columns where table_schema = database() "
		"and table_name = 'tabItem'",
		pluck=True,
	)


def _listings(store: str) -> None:
	"""Each Item's Shopify ids (the old Item fields) become its listing for the store."""
	columns = set(item_columns())
	fields = [f for f in ("custom_shopify_product_id", "custom_shopify_variant_id") if f in columns]
	if not fields:
		return
	inventory = (
		"custom_shopify_inventory_item_id" if "custom_shopify_inventory_item_id" in columns else "null"
	)
	rows = frappe.db.sql(
		f"""select name, {", ".join(fields)}, {inventory} as inventory_item_id from `tabItem`
		where {" or ".join(f"ifnull(`{f}`, '') != ''" for f in fields)}""",
		as_dict=True,
	)
	for row in rows:
		if frappe.db.exists(constants.LISTING_DOCTYPE, {"parent": row.name, "shopify_store": store}):
			continue
		frappe.get_doc(
			{
				"doctype": constants.LISTING_DOCTYPE,
				"parent": row.name,
				"parenttype": "Item",
				"parentfield": constants.LISTINGS_FIELD,
				"idx": 1,
				"shopify_store": store,
				"product_id": row.get("custom_shopify_product_id") or None,
				"variant_id": row.get("custom_shopify_variant_id") or None,
				"inventory_item_id": row.get("inventory_item_id") or None,
			}
		).db_insert()
	for field in (
		"custom_shopify_product_id",
		"custom_shopify_variant_id",
		"custom_shopify_inventory_item_id",
	):
		# the values stay in their columns; the form no longer shows the fields
		frappe.db.delete("Custom Field", {"dt": "Item", "fieldname": field})
	frappe.clear_cache(doctype="Item")


def _dead_letters(store: str) -> None:
	service = constants.SERVICE_NAME
	for letter in frappe.get_all(
		"Integration Dead Letter",
		filters={"connector": service, "status": ["!=", "Resolved"]},
		fields=["name", "job", "payload", "dedup_key"],
	):
		payload = json.loads(letter.payload or "{}") or {}
		values = {"account": store}  # every Shopify letter was the one store's
		if letter.job in STORE_JOBS and "store" not in payload:
			payload["store"] = store
			values["payload"] = json.dumps(payload, default=str, sort_keys=True, indent=1)
		new_key = _new_key(store, letter.job, payload, letter.dedup_key)
		if new_key:
			values["dedup_key"] = new_key
		frappe.db.set_value("Integration Dead Letter", letter.name, values, update_modified=False)


def _new_key(store: str, job: str, payload: dict, old: str | None) -> str | None:
	"""The dedup key the same work has now, when ``old`` is the key it had."""
	service = constants.SERVICE_NAME
	candidates: list[tuple[str, str]] = []  # (old key, new key)
	if job == constants.SYNC_ORDER_JOB and payload.get("order_gid"):
		order_id = legacy_id(payload["order_gid"])
		candidates += [
			(job_id_for(service, f"order:{order_id}"), job_id_for(service, order_job_key(store, order_id))),
			(
				job_id_for(service, f"order:{order_id}:delivery"),
				job_id_for(service, delivery_job_key(store, order_id)),
			),
		]
	elif job == SYNC_PRODUCT_JOB and payload.get("product_gid"):
		product_id = legacy_id(payload["product_gid"])
		candidates.append(
			(
				job_id_for(service, f"product:{product_id}"),
				job_id_for(service, product_job_key(store, product_id)),
			)
		)
	elif job.endswith("catalog.push_product") and payload.get("item_code"):
		item = payload["item_code"]
		candidates.append(
			(job_id_for(service, f"product:{item}"), job_id_for(service, keyed(store, f"publish:{item}")))
		)
	elif job == constants.BOOK_PAYOUT_JOB and payload.get("payout_id"):
		candidates.append(
			(f"shopify-payout:{payload['payout_id']}", f"shopify-payout:{store}:{payload['payout_id']}")
		)
	elif job == constants.REVERSE_PAYOUT_JOB and payload.get("payout_id"):
		payout = payload["payout_id"]
		candidates.append((f"shopify-payout-reversal:{payout}", f"shopify-payout-reversal:{store}:{payout}"))
	for key in ("poll", "payouts", "push-products", "push-inventory"):
		candidates.append((job_id_for(service, key), job_id_for(service, keyed(store, key))))
	for lane in range(16):
		candidates.append(
			(job_id_for(service, f"webhook-drain:{lane}"), job_id_for(service, drain_job_key(store, lane)))
		)
	return next((new for before, new in candidates if before == old), None)
