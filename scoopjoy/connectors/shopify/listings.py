"""Which product and variant an Item is in each Shopify store (issue #22).

Items are shared by the stores, listings are per store: an Item's ``custom_shopify_listings`` rows
(Shopify Item Listing) say, per store, the product (on a template or an Item without variants), the
variant and its inventory item. The same tub sold in Hong Kong and Singapore is one Item, one stock
ledger, with a row for each store. A (store, variant id) and a (store, product id) belong to one
Item at most: a UNIQUE index on each (install.make_store_unique_indexes), so two workers claiming
the same id for two Items end in a duplicate-entry error, never in a double.

Rows are written directly (``db_insert`` / ``set_value``) rather than by saving the Item: the
connector must not rewrite an Item a person may be editing, nor run its validations for an id.
"""

from __future__ import annotations

import frappe

from scoopjoy.connectors.shopify import constants

LISTING = constants.LISTING_DOCTYPE
FIELD = constants.LISTINGS_FIELD


def _listing():
	return frappe.qb.DocType(LISTING)


def item_of_variant(store: str, variant_id: str | None) -> str | None:
	"""The Item that is this variant in this store."""
	if not variant_id:
		return None
	return frappe.db.get_value(
		LISTING, {"shopify_store": store, "variant_id": str(variant_id), "parenttype": "Item"}, "parent"
	)


def item_of_product(store: str, product_id: str | None, has_variants: int | None = None) -> str | None:
	"""The Item that is this product in this store (a template when ``has_variants`` is 1, an Item
	without variants when 0)."""
	if not product_id:
		return None
	listing, item = _listing(), frappe.qb.DocType("Item")
	query = (
		frappe.qb.from_(listing)
		.join(item)
		.on(item.name == listing.parent)
		.select(item.name)
		.where(
			(listing.shopify_store == store)
			& (listing.product_id == str(product_id))
			& (listing.parenttype == "Item")
		)
		.limit(1)
	)
	if has_variants is not None:
		query = query.where(item.has_variants == has_variants)
	found = query.run(pluck=True)
	return found[0] if found else None


def listing_of(item_code: str, store: str, more: tuple[str, ...] = ()) -> frappe._dict | None:
	"""The Item's row for this store: product_id, variant_id, inventory_item_id (and ``more``)."""
	return frappe.db.get_value(
		LISTING,
		{"parent": item_code, "parenttype": "Item", "shopify_store": store},
		["name", "product_id", "variant_id", "inventory_item_id", *more],
		as_dict=True,
	)


def listing_row(store: str, product_id=None, variant_id=None, inventory_item_id=None) -> dict:
	"""A row to append to a new Item's listings."""
	return {
		"shopify_store": store,
		"product_id": str(product_id) if product_id else None,
		"variant_id": str(variant_id) if variant_id else None,
		"inventory_item_id": str(inventory_item_id) if inventory_item_id else None,
	}


def set_listing(item_code: str, store: str, **ids) -> None:
	"""Give the Item these ids in this store (``product_id``, ``variant_id``, ``inventory_item_id``;
	None clears one), adding its row for the store when it has none. A UNIQUE violation (another
	Item holds the id in this store) is raised to the caller."""
	values = {key: (str(value) if value else None) for key, value in ids.items()}
	row = listing_of(item_code, store)
	if row:
		changed = {key: value for key, value in values.items() if row.get(key) != value}
		if changed:
			frappe.db.set_value(LISTING, row.name, changed, update_modified=False)
		return
	if not any(values.values()):
		return
	idx = frappe.db.count(LISTING, {"parent": item_code, "parenttype": "Item"}) + 1
	doc = frappe.get_doc(
		{
			"doctype": LISTING,
			"parent": item_code,
			"parenttype": "Item",
			"parentfield": FIELD,
			"idx": idx,
			**listing_row(store, **values),
		}
	)
	doc.db_insert()


def listed_items(store: str, fields: tuple[str, ...] = ("product_id", "variant_id", "inventory_item_id")):
	"""Every Item listed in this store, with its ids there: [{item_code, product_id, ...}]."""
	listing = _listing()
	return (
		frappe.qb.from_(listing)
		.select(listing.parent.as_("item_code"), *(listing[field] for field in fields))
		.where((listing.shopify_store == store) & (listing.parenttype == "Item"))
		.run(as_dict=True)
	)
