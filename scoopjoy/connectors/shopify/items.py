"""Which ERPNext Item a Shopify order line is booked on, and Items made from Shopify products.

A line of a product maps to an Item by its variant id in the order's store (the Item's listing for
that store, listings.py), then its product id there (on an Item without variants), then an Item
whose code is the line's SKU, which then keeps the variant id in that store (and the product id
when the product has only its default variant): one Item sold by two stores is listed in both.
The other kinds of lines have an Item of their own in the Shopify Store: a gift
card sold (*Gift Card Item*: a debt to its holder, not income) and a line without product or
variant (*Custom Line Item*: custom items of draft orders and POS, and products deleted since;
Shopify's data does not tell those apart). Tips are not goods (booking.is_tip).

With *Create Missing Items* on (and always from the Sync Console's Create Items button), an
unmapped variant's product is read (query PRODUCT_BY_ID) and becomes Items: one Item for a product
without options (its "Default Title" variant); else a template whose attributes are the product's
options (Item Attributes made, or extended with the values they lack) and one variant Item per
Shopify variant, made by ERPNext's own variant code (erpnext.controllers.item_variant), coded by
its SKU, else SHOPIFY-<variant id>. item_name is cut to ERPNext's 140 characters; the full title
stays in the description.

Two workers meeting the same new product at once make one set of Items: a Redis lock per product,
held until the transaction ends, lets one make them while the other waits. The one that waited
cannot see them yet (MariaDB's REPEATABLE READ keeps the snapshot of its first read), so it applies
its order again in a fresh transaction (locks.StaleSnapshot), which finds them; whatever still
slips through meets the UNIQUE index on (store, variant id) (and on the item code) and is applied
again the same way, never doubled.

``products/update`` webhooks queue :func:`sync_product`: the product is read again and its Items
follow its title, description and new variants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils import now_datetime

from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.listings import (
	item_of_product,
	item_of_variant,
	listing_of,
	listing_row,
	set_listing,
)
from scoopjoy.connectors.shopify.locks import StaleSnapshot, _lock_until_transaction_ends
from scoopjoy.connectors.shopify.mapping import (
	VARIANT_CODE_PREFIX,
	OrderLine,
	OrderPlan,
	ProductPlan,
	VariantPlan,
	attribute_abbreviation,
	gid,
	legacy_id,
	order_plan,
	product_plan,
)
from scoopjoy.connectors.shopify.stores import keyed, store_name
from scoopjoy.connectors.shopify.whole_order import with_every_line
from scoopjoy.kernel.errors import ConfigError, RecordError
from scoopjoy.reliability.runtime import get_redis

SYNC_PRODUCT_JOB = "scoopjoy.connectors.shopify.items.sync_product"
DELIVERY = "Shopify Webhook Delivery"
DEAD_LETTER = "Integration Dead Letter"
#: the words of the dead letter of an order whose variant has no Item (item_for_line)
UNMAPPED = "is not mapped to an Item"
#: orders one press of Create Items handles (each is read from Shopify, then replayed)
CREATE_ITEMS_LIMIT = 50


def product_job_key(store: str, product_id: str | int) -> str:
	"""Every piece of work about one product of one store shares this key: queued once,
	dead-lettered once."""
	return f"product:{store}:{legacy_id(product_id)}"


# --- the Item of an order line -------------------------------------------------------------------


def item_for_line(
	line: OrderLine, plan: OrderPlan, settings, connector: ShopifyConnector | None = None
) -> str:
	"""The Item a Shopify order line is booked on (see the module docstring)."""
	if line.is_gift_card:
		if not settings.gift_card_item:
			raise ConfigError(
				_(
					"Shopify order {0} sells a gift card ('{1}'): set a Gift Card Item in the Shopify Store (a "
					"non-stock Item whose income account is the gift card liability account), then retry the "
					"dead letters."
				).format(plan.name, line.title),
				service=constants.SERVICE_NAME,
			)
		return settings.gift_card_item
	if line.is_custom:
		if settings.custom_line_item:
			return settings.custom_line_item
		raise RecordError(
			f"Shopify order {plan.name}: the product of line '{line.title}' was deleted in Shopify (or the "
			"line is a custom item), so no Item can be mapped. Set a Custom Line Item in the Shopify Store "
			"to book such lines on it, then retry this dead letter; or create the Sales Order by hand if it "
			"must be in ERPNext.",
			service=constants.SERVICE_NAME,
		)
	item = mapped_item(line, settings.name)
	if item:
		return item
	if line.variant_id and line.product_id and settings.create_missing_items:
		item = ensure_product_items(line.product_id, settings, connector).by_variant.get(line.variant_id)
		if item:
			return item
	raise RecordError(
		f"Shopify order {plan.name}: product {line.product_id} / variant {line.variant_id} "
		f"(SKU {line.sku or 'none'}, '{line.title}') is not mapped to an Item. Publish the Item from "
		"ERPNext or set its Shopify Variant ID, then retry this dead letter."
		+ (
			""
			if settings.create_missing_items
			else " Or switch on Create Missing Items in the Shopify Store (or press Create Items in the "
			"Shopify Sync Console) to make the Item from the Shopify product."
		),
		service=constants.SERVICE_NAME,
	)


def mapped_item(line: OrderLine, store: str) -> str | None:
	"""The Item already mapped to a line in its store: by variant id, product id (no variants),
	then SKU."""
	item = item_of_variant(store, line.variant_id) or item_of_product(store, line.product_id, has_variants=0)
	if item:
		return item
	if line.sku:
		found = _item_by_code(line.sku, store)
		if found and not found.has_variants:
			_claim(
				found,
				store,
				line.variant_id,
				line.product_id if line.only_default_variant else None,
			)
			return found.name
	return None


def _item_by_code(item_code: str, store: str):
	"""The Item of this code, with its ids in this store (``variant_id``, ``product_id``)."""
	found = frappe.db.get_value("Item", item_code, ["name", "has_variants", "variant_of"], as_dict=True)
	if found:
		listing = listing_of(found.name, store) or {}
		found.variant_id = listing.get("variant_id")
		found.product_id = listing.get("product_id")
	return found


def _claim(found, store: str, variant_id: str | None, product_id: str | None) -> None:
	"""An Item matched by its code keeps the Shopify ids it lacks in this store (never another
	Item's)."""
	values = {}
	if variant_id and not found.variant_id:
		values["variant_id"] = variant_id
	if (
		product_id
		and not found.product_id
		and not found.variant_of
		and not item_of_product(store, product_id)
	):
		values["product_id"] = product_id
	if not values:
		return
	try:
		set_listing(found.name, store, **values)
	except Exception as error:
		if not frappe.db.is_unique_key_violation(error):
			raise
		# another worker gave the id to an Item at the same moment: it is mapped either way


# --- Items made from a Shopify product ------------------------------------------------------------


def fetch_product(connector: ShopifyConnector, product_id: str) -> dict | None:
	"""The product with every variant (100 a page), or None when Shopify no longer has it."""
	product, nodes, after = None, [], None
	while True:
		found = connector.query(
			queries.PRODUCT_BY_ID,
			{"id": gid("Product", product_id), "after": after},
			operation="OneProduct",
			reference=("Item", legacy_id(product_id)),
		).get("product")
		if found:
			product = product or found
			variants = found.get("variants") or {}
			nodes += variants.get("nodes") or []
			page = variants.get("pageInfo") or {}
			if page.get("hasNextPage"):
				after = page.get("endCursor")
				continue
		return {**product, "variants": {"nodes": nodes}} if product else None


@dataclass
class ProductItems:
	by_variant: dict[str, str] = field(default_factory=dict)  # Shopify variant id -> item code
	made: list[str] = field(default_factory=list)  # item codes made now (templates included)


def require_item_group(settings) -> None:
	if not settings.new_item_group:
		raise ConfigError(
			_(
				"Shopify Store {0} has no New Item Group: set the Item Group of Items made from Shopify "
				"products, then retry the dead letters."
			).format(settings.name),
			service=constants.SERVICE_NAME,
		)


def ensure_product_items(
	product_id: str, settings, connector: ShopifyConnector | None = None
) -> ProductItems:
	"""The Items of a Shopify product's variants, made where ERPNext lacks them."""
	require_item_group(settings)
	lock_product(settings.name, product_id)
	product = fetch_product(connector or ShopifyConnector(settings), product_id)
	if not product:
		raise RecordError(
			f"Shopify product {product_id} no longer exists, so no Item can be made of it.",
			service=constants.SERVICE_NAME,
		)
	return items_of_product(product, settings)


def items_of_product(product: dict, settings) -> ProductItems:
	"""The Items of a product already read (with every variant): found, claimed by SKU, or made.
	The caller holds the product's lock (lock_product)."""
	plan = product_plan(product)
	if not plan.variants:
		raise RecordError(
			f"Shopify product {plan.product_id} ('{plan.title}') has no variants.",
			service=constants.SERVICE_NAME,
		)
	if plan.is_single:
		return _ensure_single(plan, settings)
	return _ensure_variants(plan, settings)


def lock_product(store: str, product_id: str) -> None:
	"""One worker per product of a store until its transaction ends. A worker that had to wait for
	the lock raises StaleSnapshot once it has it: what the other worker made is committed, but this
	transaction's snapshot predates it; a fresh transaction sees it."""
	key = keyed(store, product_id)
	if ("product", key) in (getattr(frappe.local, "scoopjoy_shopify_locks", None) or {}):
		return
	busy = get_redis().exists(f"scoopjoy:shopify:{frappe.local.site}:product:{key}")
	_lock_until_transaction_ends(key, kind="product")
	if busy:
		raise _stale(
			f"Shopify: the Items of product {product_id} were being made by another worker; applied again "
			"in a fresh transaction, which sees them."
		)


def _stale(message: str) -> Exception:
	return StaleSnapshot(message, service=constants.SERVICE_NAME)


def _fresh_retry(func, *args):
	"""``func(*args)``, once more in a fresh transaction when it met another worker's new records."""
	try:
		return func(*args)
	except StaleSnapshot:
		frappe.db.rollback()
		return func(*args)


def _existing(variant: VariantPlan, store: str) -> str | None:
	"""The Item of a variant: by its id in the store, else the Item coded by its SKU (which then
	keeps the id there: an Item another store sells is listed in this one too)."""
	item = item_of_variant(store, variant.variant_id)
	if item:
		return item
	if not variant.sku:
		return (
			None  # SHOPIFY-<id> is a code made here: another store's variant of that number is not this one
		)
	found = _item_by_code(variant.item_code, store)
	if found and not found.has_variants:
		_claim(found, store, variant.variant_id, None)
		return found.name
	return None


def _free_code(variant: VariantPlan, store: str) -> str:
	"""The variant's code, unless a template (or anything else) already has it: SHOPIFY-<id>, and
	when another store's variant of the same number has that, SHOPIFY-<id>-<store>."""
	return _first_free(
		variant.item_code,
		f"{VARIANT_CODE_PREFIX}{variant.variant_id}",
		f"{VARIANT_CODE_PREFIX}{variant.variant_id}-{_store_code(store)}",
	)


def _first_free(*codes: str) -> str:
	"""The first of these item codes no Item has (else the last: its insert then says it is taken)."""
	return next((code for code in codes if not frappe.db.exists("Item", code)), codes[-1])


def _store_code(store: str) -> str:
	"""The store in an item code: its shop's name (scoopjoy-sg of scoopjoy-sg.myshopify.com)."""
	return store.split(".", 1)[0].upper()


def _product_id_free(store: str, product_id: str) -> bool:
	return not item_of_product(store, product_id)


def _new_item(settings, **values):
	item = frappe.new_doc("Item")
	item.update(
		{
			"item_group": settings.new_item_group,
			"stock_uom": settings.stock_uom or "Nos",
			**values,
		}
	)
	return item


def _insert(doc) -> None:
	try:
		doc.insert()
	except (frappe.DuplicateEntryError, frappe.UniqueValidationError) as error:
		frappe.clear_last_message()
		raise _stale(
			f"Shopify: {doc.doctype} {doc.get('item_code') or doc.name or ''} was made by another worker at "
			"the same moment; applied again in a fresh transaction, which finds it."
		) from error


def _ensure_single(plan: ProductPlan, settings) -> ProductItems:
	variant = plan.variants[0]
	store = settings.name
	item = _existing(variant, store)
	if item:
		_claim(_item_by_code(item, store), store, None, plan.product_id)
		return ProductItems({variant.variant_id: item})
	item = _new_item(
		settings,
		item_code=_free_code(variant, store),
		item_name=plan.item_name,
		description=plan.description,
	)
	item.append(
		constants.LISTINGS_FIELD,
		listing_row(
			store,
			product_id=plan.product_id if _product_id_free(store, plan.product_id) else None,
			variant_id=variant.variant_id,
		),
	)
	_insert(item)
	return ProductItems({variant.variant_id: item.name}, [item.name])


def _ensure_variants(plan: ProductPlan, settings) -> ProductItems:
	"""A template with the product's options as attributes, and the variant Items it lacks."""
	from erpnext.controllers.item_variant import create_variant, get_variant

	result = ProductItems()
	pending = []
	store = settings.name
	for variant in plan.variants:
		item = _existing(variant, store)
		if item:
			result.by_variant[variant.variant_id] = item
		else:
			pending.append(variant)
	if not pending:
		return result
	attributes = ensure_attributes(plan.options)
	made = result.made
	template = item_of_product(store, plan.product_id, has_variants=1)
	if not template and not frappe.db.exists(constants.LISTING_DOCTYPE, {"parent": plan.template_code}):
		# a template of that code made by hand (another store's of the same product number is not ours)
		template = frappe.db.get_value("Item", {"name": plan.template_code, "has_variants": 1})
	wanted = [attributes[name][0] for name, _values in plan.options]
	if not template:
		doc = _new_item(
			settings,
			item_code=_first_free(plan.template_code, f"{plan.template_code}-{_store_code(store)}"),
			item_name=plan.item_name,
			description=plan.description,
			has_variants=1,
			variant_based_on="Item Attribute",
			attributes=[{"attribute": attribute} for attribute in wanted],
		)
		if _product_id_free(store, plan.product_id):
			doc.append(constants.LISTINGS_FIELD, listing_row(store, product_id=plan.product_id))
		_insert(doc)
		template = doc.name
		made.append(template)
	else:
		have = frappe.get_all(
			"Item Variant Attribute",
			filters={"parent": template, "parenttype": "Item"},
			pluck="attribute",
			order_by="idx",
		)
		if sorted(a.lower() for a in have) != sorted(a.lower() for a in wanted):
			raise RecordError(
				f"Shopify product {plan.product_id} ('{plan.title}') has the options {', '.join(wanted)}, but "
				f"its template Item {template} has the attributes {', '.join(have) or 'none'}; ERPNext cannot "
				"change a template's attributes. Make the new variants' Items by hand (and set their Shopify "
				"Variant ID), then retry this dead letter.",
				service=constants.SERVICE_NAME,
			)
	for variant in pending:
		args = {
			attributes[name][0]: attributes[name][1].get(value.lower(), value)
			for name, value in variant.attributes.items()
			if name in attributes
		}
		twin = get_variant(template, args)  # a variant made in ERPNext with these values
		if twin:
			_claim(_item_by_code(twin, store), store, variant.variant_id, None)
			result.by_variant[variant.variant_id] = twin
			continue
		doc = create_variant(template, args)
		doc.update(
			{
				"item_code": _free_code(variant, store),
				"item_name": variant.item_name,
				"description": variant.description,
				"item_group": settings.new_item_group,
			}
		)
		# the variant's own listing only, whatever ERPNext copied from the template
		doc.set(constants.LISTINGS_FIELD, [listing_row(store, variant_id=variant.variant_id)])
		_insert(doc)
		made.append(doc.name)
		result.by_variant[variant.variant_id] = doc.name
	return result


def ensure_attributes(options: list[tuple[str, list[str]]]) -> dict[str, tuple[str, dict[str, str]]]:
	"""Item Attributes for a product's options, made or extended with the values they lack.

	Returns ``{option name: (Item Attribute name, {value lowercased: its ERPNext spelling})}``: an
	attribute "Size" that has "Small" serves Shopify's "small". An attribute is shared by many
	products, so values are added as rows under a lock of the attribute's row (taken in name order,
	so two workers never wait for each other), read with locks: saving the whole document would
	rewrite rows another worker has just added. A value another worker added since this
	transaction's snapshot is not seen by ERPNext's variant validation: StaleSnapshot.
	"""
	found: dict[str, tuple[str, dict[str, str]]] = {}
	for name, values in sorted(options, key=lambda option: option[0].lower()):
		attribute = frappe.db.get_value(
			"Item Attribute", name, ["name", "numeric_values"], as_dict=True, for_update=True
		)
		if attribute and not frappe.db.exists("Item Attribute", attribute.name):
			raise _stale(f"Shopify: Item Attribute {attribute.name} was just made by another worker.")
		if not attribute:
			abbreviations: set[str] = set()
			rows = []
			for value in dict.fromkeys(values):
				abbr = attribute_abbreviation(value, abbreviations)
				abbreviations.add(abbr.lower())
				rows.append({"attribute_value": value, "abbr": abbr})
			doc = frappe.get_doc(
				{"doctype": "Item Attribute", "attribute_name": name, "item_attribute_values": rows}
			)
			_insert(doc)
			found[name] = (doc.name, {value.lower(): value for value in values})
			continue
		if attribute.numeric_values:  # ERPNext checks each value against the attribute's range
			found[name] = (attribute.name, {value.lower(): value for value in values})
			continue
		rows = frappe.db.sql(
			"select attribute_value, abbr, idx from `tabItem Attribute Value` where parent = %s for update",
			attribute.name,
			as_dict=True,
		)
		spelling = {row.attribute_value.lower(): row.attribute_value for row in rows}
		abbreviations = {(row.abbr or "").lower() for row in rows}
		idx = max((row.idx or 0 for row in rows), default=0)
		added = False
		visible = set(
			frappe.get_all(
				"Item Attribute Value", filters={"parent": attribute.name}, pluck="attribute_value"
			)
		)
		for value in values:
			if value.lower() in spelling:
				if spelling[value.lower()] not in visible:
					raise _stale(
						f"Shopify: Item Attribute {attribute.name} was just extended by another worker."
					)
				continue
			abbr = attribute_abbreviation(value, abbreviations)
			abbreviations.add(abbr.lower())
			idx += 1
			frappe.get_doc(
				{
					"doctype": "Item Attribute Value",
					"parent": attribute.name,
					"parenttype": "Item Attribute",
					"parentfield": "item_attribute_values",
					"idx": idx,
					"attribute_value": value,
					"abbr": abbr,
				}
			).db_insert()
			spelling[value.lower()] = value
			added = True
		if added:
			frappe.db.set_value(
				"Item Attribute",
				attribute.name,
				{"modified": now_datetime(), "modified_by": frappe.session.user},
				update_modified=False,
			)
		found[name] = (attribute.name, spelling)
	frappe.flags.attribute_values = None  # ERPNext's per-request cache of every attribute's values
	return found


# --- products/update ------------------------------------------------------------------------------


def sync_product(product_gid: str, store: str | None = None) -> str:
	"""Job (products/update webhook): the product's Items follow its title, description and new
	variants. Its waiting deliveries end Processed, Skipped or (the job failed) Failed."""
	connector = ShopifyConnector(store=store)
	product_id = legacy_id(product_gid)
	try:
		action, reason = _fresh_retry(update_product_items, product_id, connector.settings, connector)
	except Exception as error:
		frappe.db.rollback()
		_mark_product_deliveries(connector.store, product_id, "Failed", str(error))
		frappe.db.commit()  # nosemgrep: the delivery says it failed; the dead letter says why
		raise
	_mark_product_deliveries(
		connector.store, product_id, "Skipped" if action == "skipped" else "Processed", reason
	)
	return action


def update_product_items(product_id: str, settings, connector: ShopifyConnector) -> tuple[str, str]:
	if not settings.create_missing_items:
		return "skipped", _("Create Missing Items is off in this Shopify Store: Items do not follow Shopify.")
	product = fetch_product(connector, product_id)
	if not product:
		return "skipped", _("The product no longer exists in Shopify.")
	plan = product_plan(product)
	store = settings.name
	main = item_of_product(store, plan.product_id)
	by_variant = {variant.variant_id: item_of_variant(store, variant.variant_id) for variant in plan.variants}
	known = [name for name in [main, *by_variant.values()] if name]
	if not known:
		return "skipped", _("No Item of this product yet: it is made when an order needs it.")
	if _published_from_erpnext(known, settings):
		return "skipped", _(
			"Published from ERPNext (Publish Products): ERPNext is the source of this product."
		)
	lock_product(store, plan.product_id)
	changed = 0
	if main:
		changed += _rename(main, plan.item_name, plan.description)
	for variant in plan.variants:
		item = by_variant.get(variant.variant_id)
		if item and item != main:
			changed += _rename(item, variant.item_name, variant.description)
	require_item_group(settings)
	ensure = _ensure_single if plan.is_single else _ensure_variants
	made = ensure(plan, settings).made
	return "updated", _("{0} Item(s) updated, {1} made.").format(changed, len(made))


def _published_from_erpnext(items: list[str], settings) -> bool:
	if not (settings.push_products and settings.item_group):
		return False
	templates = {frappe.db.get_value("Item", name, "variant_of") or name for name in items}
	return bool(
		frappe.get_all(
			"Item",
			filters={
				"name": ["in", list(templates)],
				"item_group": ["descendants of (inclusive)", settings.item_group],
			},
			limit=1,
		)
	)


def _rename(item_code: str, item_name: str, description: str) -> int:
	doc = frappe.get_doc("Item", item_code)
	if doc.item_name == item_name and (doc.description or "") == description:
		return 0
	doc.item_name = item_name
	doc.description = description
	doc.flags.dont_update_variants = True  # ERPNext would copy the template's description over them
	doc.save()
	return 1


def _mark_product_deliveries(store: str, product_id: str, status: str, result: str) -> None:
	for name in frappe.get_all(
		DELIVERY,
		filters={"shopify_store": store, "product_id": product_id, "status": ["in", ("Queued", "Failed")]},
		pluck="name",
	):
		frappe.db.set_value(
			DELIVERY,
			name,
			{"status": status, "processed_at": now_datetime(), "result": (result or status)[:500]},
		)


# --- the Sync Console's Create Items button -------------------------------------------------------


def create_items_for_dead_letters(store: str | None = None, order_ids: list[str] | None = None) -> dict:
	"""For a store's Shopify orders dead-lettered because a variant has no Item: make the Items from
	their products (whatever Create Missing Items says: a person asked), commit, then replay the
	letters. Runs as the integration user, as the jobs do."""
	store = store_name(store)
	from scoopjoy.reliability.dead_letters import replay_dead_letter
	from scoopjoy.reliability.jobs import as_integration_user

	filters = {
		"connector": constants.SERVICE_NAME,
		"job": constants.SYNC_ORDER_JOB,
		"status": ["in", ("Open", "Gave Up")],
		"last_error": ["like", f"%{UNMAPPED}%"],
	}
	if order_ids:
		filters["external_id"] = ["in", [legacy_id(order_id) for order_id in order_ids]]
	# this store's letters (their Account), and those of no store (written before several stores)
	mine = [["account", "=", store], ["account", "is", "not set"]]
	total = len(frappe.get_all(DEAD_LETTER, filters=filters, or_filters=mine, pluck="name"))
	letters = frappe.get_all(
		DEAD_LETTER,
		filters=filters,
		or_filters=mine,
		fields=["name", "external_id", "payload"],
		order_by="creation",
		limit=CREATE_ITEMS_LIMIT,
	)
	made: list[str] = []
	replayed = resolved = 0
	problems: list[str] = []
	# the work is a job's, done in this request: what ERPNext says meanwhile to a person at a form
	# ("Changed customer name to …", once per order) is not for the console; the summary is
	shown = list(getattr(frappe.local, "message_log", None) or [])
	with as_integration_user():
		connector = ShopifyConnector(store=store)
		settings = connector.settings
		require_item_group(settings)
		for letter in letters:
			order_gid = (json.loads(letter.payload or "{}") or {}).get("order_gid") or letter.external_id
			try:
				made += _fresh_retry(_items_of_order, gid("Order", order_gid), settings, connector)
				frappe.db.commit()  # nosemgrep: the Items stay whatever the replay does
			except Exception as error:
				frappe.db.rollback()
				first_line = str(error).splitlines()[0][:300] if str(error) else repr(error)
				problems.append(f"{letter.name}: {first_line}")
				continue
			replayed += 1
			resolved += bool(replay_dead_letter(letter.name))
			frappe.db.commit()  # nosemgrep: each replayed order is kept, whatever the next one does
	frappe.local.message_log = shown  # an error raised above keeps its message
	return {
		"items": len(made),
		"item_codes": made,
		"orders": replayed,
		"replayed": resolved,
		"still_failing": replayed - resolved,
		"left": max(total - len(letters), 0),
		"problems": problems,
	}


def _items_of_order(order_gid: str, settings, connector: ShopifyConnector) -> list[str]:
	"""Make the Items of an order's unmapped variants. Returns the item codes made."""
	node = connector.query(
		queries.ORDER_BY_ID,
		{"id": order_gid, "lineItems": constants.LINE_ITEMS_PER_ORDER},
		operation="OneOrder",
		reference=("Sales Order", legacy_id(order_gid)),
	).get("order")
	if not node:
		return []  # gone from Shopify: the replay says so
	plan = order_plan(with_every_line(node, connector))
	products = {
		line.product_id
		for line in plan.lines
		if line.variant_id
		and line.product_id
		and not line.is_tip
		and not line.is_gift_card
		and not mapped_item(line, settings.name)
	}
	made: list[str] = []
	for product_id in sorted(products):
		made += ensure_product_items(product_id, settings, connector).made
	return made
