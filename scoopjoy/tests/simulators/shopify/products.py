"""Products of the Shopify simulator: seeding, lookups, deletion, and the ``productSet`` mutation.

Mutation ``productSet``: create or update by ``identifier {id | handle}``; the variant list is
the full set: matched by id, then by option values, others deleted. Invalid input is
``userErrors`` in the payload, not an HTTP error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from scoopjoy.tests.simulators.shopify.amounts import money
from scoopjoy.tests.simulators.shopify.common import gid, parse_gid, to_iso


def _slug(text: str) -> str:
	slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
	return slug or "product"


class ProductsMixin:
	"""Of :class:`~.server.ShopifySimulator`: products, their options and variants (each variant with
	its inventory item, stocked at the primary location)."""

	def add_product(
		self,
		title: str,
		*,
		handle: str | None = None,
		variants: Iterable[Mapping[str, Any]] | None = None,
		vendor: str = "ScoopJoy",
		product_type: str = "Ice Cream",
		status: str = "ACTIVE",
		option_name: str = "Size",
		created_at: datetime | str | None = None,
	) -> dict:
		"""A product; ``variants``: ``[{"sku", "price", "option" (value of ``option_name``), "available"}]``.

		Without variants: one "Default Title" variant. ``available`` stocks the primary location.
		"""
		specs = list(variants or [])
		product_input: dict[str, Any] = {
			"title": title,
			"vendor": vendor,
			"productType": product_type,
			"status": status,
		}
		if handle:
			product_input["handle"] = handle
		if specs:
			values = [
				str(spec.get("option") or spec.get("sku") or f"Option {i + 1}")
				for i, spec in enumerate(specs)
			]
			product_input["productOptions"] = [{"name": option_name, "values": [{"name": v} for v in values]}]
			product_input["variants"] = [
				{
					"optionValues": [{"optionName": option_name, "name": value}],
					"price": money(spec.get("price", "5.00")),
					"inventoryItem": {"sku": spec.get("sku"), "tracked": True},
				}
				for spec, value in zip(specs, values, strict=True)
			]
		with self.lock:
			payload = self.product_set(product_input, None)
			if payload["userErrors"]:
				raise ValueError(f"add_product: {payload['userErrors']}")
			product = payload["product"]
			if created_at is not None:
				product["createdAt"] = to_iso(created_at)
			for spec, variant in zip(specs, product["variants"], strict=False):
				if spec.get("available") is not None:
					self.set_inventory(variant["inventoryItem"]["id"], None, int(spec["available"]))
			return product

	def get_product(self, product_id: Any) -> dict:
		with self.lock:
			return self._find(self.products, "Product", product_id)

	def product_by_handle(self, handle: str) -> dict | None:
		with self.lock:
			return next((p for p in self.products.values() if p["handle"] == handle), None)

	def delete_product(self, product_id: Any) -> None:
		"""Delete a product with its variants and stock; orders keep their lines (product/variant null)."""
		with self.lock:
			product = self._find(self.products, "Product", product_id)
			for variant in product["variants"]:
				self._drop_variant(variant)
			del self.products[product["_n"]]

	def _drop_variant(self, variant: dict) -> None:
		self.variants.pop(variant["_n"], None)
		item_n = variant["inventoryItem"]["_n"]
		self.inventory_items.pop(item_n, None)
		for key in [k for k in self.levels if k[0] == item_n]:
			del self.levels[key]

	# --- productSet -----------------------------------------------------------------------------------

	def product_set(
		self, product_input: Mapping[str, Any], identifier: Mapping[str, Any] | None, synchronous: bool = True
	) -> dict:
		"""The ``productSet`` mutation (also used by :meth:`add_product`); returns the payload."""
		with self.lock:
			errors: list[dict] = []

			def error(path: list[Any], message: str, code: str) -> None:
				errors.append({"field": [str(p) for p in path], "message": message, "code": code})

			target = None
			if identifier:
				if identifier.get("id"):
					target = self.products.get(parse_gid(identifier["id"], "Product") or -1)
					if target is None:
						error(["identifier", "id"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")
				elif identifier.get("handle"):
					target = next(
						(p for p in self.products.values() if p["handle"] == identifier["handle"]), None
					)
				else:
					error(["identifier"], "An identifier must have an id or a handle", "INVALID_INPUT")
			elif product_input.get("id"):
				target = self.products.get(parse_gid(product_input["id"], "Product") or -1)
				if target is None:
					error(["input", "id"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")
			if errors:
				return {"product": None, "productSetOperation": None, "userErrors": errors}

			title = product_input.get("title") if "title" in product_input else (target or {}).get("title")
			if title is None or not str(title).strip():
				error(["input", "title"], "Title can't be blank", "BLANK")
			elif len(title) > 255:
				error(["input", "title"], "Title is too long (maximum is 255 characters)", "TOO_LONG")
			handle = product_input.get("handle")
			if handle is not None and len(handle) > 255:
				error(["input", "handle"], "Handle is too long (maximum is 255 characters)", "TOO_LONG")

			if product_input.get("productOptions") is not None:
				options = []
				for i, option in enumerate(product_input["productOptions"]):
					values = [v.get("name") for v in option.get("values") or []]
					if not option.get("name"):
						error(["input", "productOptions", i, "name"], "Option name can't be blank", "BLANK")
					if not values or any(not v for v in values):
						error(
							["input", "productOptions", i, "values"], "Option values can't be blank", "BLANK"
						)
					if len(set(values)) != len(values):
						error(
							["input", "productOptions", i, "values"],
							"Duplicated option value",
							"DUPLICATED_OPTION_VALUE",
						)
					options.append({"name": option.get("name"), "values": values})
			elif target is not None:
				options = [{"name": o["name"], "values": list(o["values"])} for o in target["options"]]
			else:
				options = [{"name": "Title", "values": ["Default Title"]}]

			variant_specs = product_input.get("variants")
			if variant_specs is None and target is None:
				variant_specs = [
					{"optionValues": [{"optionName": options[0]["name"], "name": options[0]["values"][0]}]}
				]
			option_names = [o["name"] for o in options]
			seen_combos: set[tuple] = set()
			resolved: list[tuple[Mapping[str, Any], tuple, dict | None]] = []
			for i, spec in enumerate(variant_specs or []):
				given = {v.get("optionName"): v.get("name") for v in spec.get("optionValues") or []}
				combo = tuple(given.get(name) for name in option_names)
				for name, value in given.items():
					if name not in option_names:
						error(
							["input", "variants", i, "optionValues"],
							f"Option '{name}' does not exist",
							"OPTION_DOES_NOT_EXIST",
						)
					elif value not in options[option_names.index(name)]["values"]:
						error(
							["input", "variants", i, "optionValues"],
							f"Option value '{value}' does not exist",
							"OPTION_VALUE_DOES_NOT_EXIST",
						)
				if None in combo:
					error(
						["input", "variants", i, "optionValues"],
						"A value is required for every option",
						"INVALID_VARIANT",
					)
				if combo in seen_combos:
					error(
						["input", "variants", i],
						f"The variant '{' / '.join(map(str, combo))}' already exists.",
						"INVALID_VARIANT",
					)
				seen_combos.add(combo)
				existing = None
				if spec.get("id"):
					existing = self.variants.get(parse_gid(spec["id"], "ProductVariant") or -1)
					if existing is None or target is None or existing["product"] is not target:
						error(
							["input", "variants", i, "id"],
							"Product variant does not exist",
							"PRODUCT_VARIANT_DOES_NOT_EXIST",
						)
				elif target is not None:
					existing = next((v for v in target["variants"] if v["_combo"] == combo), None)
				price = spec.get("price")
				if price is not None:
					try:
						Decimal(str(price))
					except InvalidOperation:
						error(["input", "variants", i, "price"], "Price is invalid", "INVALID_VARIANT")
				for j, inv in enumerate(spec.get("inventoryQuantities") or []):
					if parse_gid(inv.get("locationId"), "Location") not in self.locations:
						error(
							["input", "variants", i, "inventoryQuantities", j, "locationId"],
							"Location does not exist",
							"INVALID_INPUT",
						)
				resolved.append((spec, combo, existing))
			if len(resolved) > 2048:
				error(
					["input", "variants"], "A product can have at most 2048 variants", "VARIANTS_OVER_LIMIT"
				)
			if errors:
				return {"product": None, "productSetOperation": None, "userErrors": errors}

			# apply
			stamp = self._now_iso()
			if target is None:
				n = self._next_id("Product")
				wanted = handle or (identifier or {}).get("handle") or _slug(title)
				target = {
					"__typename": "Product",
					"id": gid("Product", n),
					"legacyResourceId": str(n),
					"handle": self._unique_handle(wanted),
					"descriptionHtml": "",
					"productType": "",
					"vendor": self.shop_name,
					"status": "ACTIVE",
					"tags": [],
					"options": [],
					"variants": [],
					"createdAt": stamp,
					"_n": n,
				}
				self.products[n] = target
			elif handle and handle != target["handle"]:
				target["handle"] = self._unique_handle(handle, exclude=target)
			target["title"] = title
			for key in ("descriptionHtml", "productType", "vendor", "status", "tags"):
				if product_input.get(key) is not None:
					target[key] = product_input[key]
			target["options"] = [
				{
					"__typename": "ProductOption",
					"id": gid("ProductOption", self._next_id("ProductOption")),
					"name": o["name"],
					"position": i + 1,
					"values": list(o["values"]),
					"optionValues": [
						{
							"id": gid("ProductOptionValue", self._next_id("ProductOptionValue")),
							"name": v,
							"hasVariants": True,
						}
						for v in o["values"]
					],
				}
				for i, o in enumerate(options)
			]
			if variant_specs is not None:
				keep: list[dict] = []
				for position, (spec, combo, existing) in enumerate(resolved, start=1):
					variant = existing or self._new_variant(target, stamp)
					self._apply_variant(variant, spec, combo, option_names, position, stamp)
					keep.append(variant)
				for old in target["variants"]:
					if all(old is not v for v in keep):
						self._drop_variant(old)
				target["variants"] = keep
			target["updatedAt"] = stamp
			if not synchronous:
				operation = {
					"__typename": "ProductSetOperation",
					"id": gid("ProductSetOperation", self._next_id("ProductSetOperation")),
					"status": "CREATED",
					"product": None,
					"userErrors": [],
				}
				return {"product": None, "productSetOperation": operation, "userErrors": []}
			return {"product": target, "productSetOperation": None, "userErrors": []}

	def _unique_handle(self, wanted: str, exclude: dict | None = None) -> str:
		taken = {p["handle"] for p in self.products.values() if p is not exclude}
		handle, i = wanted, 1
		while handle in taken:
			handle = f"{wanted}-{i}"
			i += 1
		return handle

	def _new_variant(self, product: dict, stamp: str) -> dict:
		vn = self._next_id("ProductVariant")
		item_n = self._next_id("InventoryItem")
		variant = {
			"__typename": "ProductVariant",
			"id": gid("ProductVariant", vn),
			"legacyResourceId": str(vn),
			"price": "0.00",
			"compareAtPrice": None,
			"barcode": None,
			"taxable": True,
			"product": product,
			"createdAt": stamp,
			"_n": vn,
		}
		item = {
			"__typename": "InventoryItem",
			"id": gid("InventoryItem", item_n),
			"legacyResourceId": str(item_n),
			"sku": None,
			"tracked": True,
			"requiresShipping": True,
			"measurement": {"id": gid("InventoryItemMeasurement", item_n), "weight": None},
			"variant": variant,
			"createdAt": stamp,
			"updatedAt": stamp,
			"_n": item_n,
		}
		variant["inventoryItem"] = item
		self.variants[vn] = variant
		self.inventory_items[item_n] = item
		self._stock(item_n, self.primary_location["_n"])
		return variant

	def _apply_variant(
		self,
		variant: dict,
		spec: Mapping[str, Any],
		combo: tuple,
		option_names: list[str],
		position: int,
		stamp: str,
	) -> None:
		item = variant["inventoryItem"]
		if spec.get("price") is not None:
			variant["price"] = money(spec["price"])
		for key in ("compareAtPrice", "barcode", "taxable"):
			if spec.get(key) is not None:
				variant[key] = money(spec[key]) if key == "compareAtPrice" else spec[key]
		inv = spec.get("inventoryItem") or {}
		if "sku" in inv:
			item["sku"] = inv["sku"]
		for key in ("tracked", "requiresShipping"):
			if inv.get(key) is not None:
				item[key] = inv[key]
		weight = ((inv.get("measurement") or {}).get("weight")) if inv else None
		if weight:
			item["measurement"]["weight"] = {"value": float(weight["value"]), "unit": weight["unit"]}
		item["updatedAt"] = stamp
		variant["sku"] = item["sku"]
		variant["_combo"] = combo
		variant["selectedOptions"] = [
			{"name": n, "value": v} for n, v in zip(option_names, combo, strict=True)
		]
		variant["title"] = " / ".join(str(v) for v in combo)
		variant["displayName"] = f"{variant['product']['title']} - {variant['title']}"
		variant["position"] = position
		variant["updatedAt"] = stamp
		for q in spec.get("inventoryQuantities") or []:
			level = self._stock(item["_n"], parse_gid(q["locationId"], "Location"))
			name = q.get("name") or "available"
			delta = int(q["quantity"]) - level["_q"].get(name, 0)
			level["_q"][name] = int(q["quantity"])
			other = "on_hand" if name == "available" else "available" if name == "on_hand" else None
			if other:
				level["_q"][other] += delta
