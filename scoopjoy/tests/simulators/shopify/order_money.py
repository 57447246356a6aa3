"""The money of an order's parts in the Shopify simulator: MoneyBag fields in shop and presentment
money, line items, shipping lines, discount applications and their allocations, tax lines.

The rules, with Shopify's documentation, are in the comment at the top of
:class:`~.orders.OrdersMixin`; the order's totals are summed in :mod:`.order_totals`. Not exact
(Shopify does not document it): how Shopify rounds a tax or discount split over lines (here: half
up per line, largest remainder for splits).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from scoopjoy.tests.simulators.shopify.amounts import (
	DISCOUNT_TYPENAMES,
	_dec,
	cents,
	discount_spec,
	money,
	shopify_decimal,
	tax_amount,
)
from scoopjoy.tests.simulators.shopify.common import gid


class OrderMoneyMixin:
	"""Of :class:`~.server.ShopifySimulator`: the money of an order's lines, shipping lines,
	discounts and taxes (stored records keep the shop amount under the GraphQL field name and the
	presentment amount beside it)."""

	# money helpers -----------------------------------------------------------------------------------

	def _put(self, order: Mapping[str, Any], record: dict, field_name: str, amount: Any) -> None:
		"""Store a presentment ``amount`` as a MoneyBag field of ``record`` (None: a null field)."""
		if amount is None:
			record[field_name] = None
			return
		amount = cents(amount)
		rate = order.get("_rate")
		if rate is None:
			record[field_name] = money(amount)
			return
		record[field_name] = money(cents(amount / rate))
		presentment = record.get("_pm")
		if presentment is None:
			presentment = record["_pm"] = {}
			record["_pc"] = order["presentmentCurrencyCode"]
		presentment[field_name] = money(amount)

	@staticmethod
	def _pget(record: Mapping[str, Any], field_name: str) -> Decimal:
		"""The presentment amount of a MoneyBag field (0 when null)."""
		presentment = record.get("_pm")
		if presentment is not None and field_name in presentment:
			return Decimal(presentment[field_name])
		value = record.get(field_name)
		return Decimal(value) if value is not None else Decimal("0.00")

	def _presentment(self, currency: str | None, rate: Any) -> tuple[str, Decimal | None]:
		if not currency or currency == self.currency:
			return self.currency, None
		if rate is None:
			raise ValueError("presentment_rate (presentment units per 1 shop unit) is required")
		value = _dec(rate)
		if value <= 0:
			raise ValueError(f"presentment_rate must be positive, not {rate!r}")
		return currency, value

	def _tax_line(self, order: Mapping[str, Any], spec: Mapping[str, Any], amount: Any) -> dict:
		rate = spec.get("rate", 0)
		rate = float(rate) if rate is not None else None
		tax = {
			"title": spec.get("title", "Tax"),
			"rate": rate,
			"ratePercentage": round(rate * 100, 4) if rate is not None else None,
			"channelLiable": spec.get("channel_liable"),
		}
		self._put(order, tax, "priceSet", amount)
		return tax

	def _tax_sum(self, order: Mapping[str, Any], tax: Mapping[str, Any], amount: Decimal) -> dict:
		"""An order-level TaxLine: the sum of the line and shipping tax lines of one title and rate."""
		total = {
			"title": tax["title"],
			"rate": tax["rate"],
			"ratePercentage": tax["ratePercentage"],
			"channelLiable": tax.get("channelLiable"),
		}
		self._put(order, total, "priceSet", amount)
		return total

	def _discount_application(
		self,
		order: dict,
		spec: Mapping[str, Any],
		*,
		target_type: str,
		target_selection: str,
		allocation_method: str,
		level: str,
	) -> dict:
		applications = order["discountApplications"]
		if spec["value_type"] == "percentage":
			value = {"__typename": "PricingPercentageValue", "percentage": float(spec["value"])}
		else:
			value = {
				"__typename": "MoneyV2",
				"amount": shopify_decimal(spec["value"]),
				"currencyCode": order["presentmentCurrencyCode"],
			}
		application = {
			"__typename": DISCOUNT_TYPENAMES[spec["type"]],
			"index": len(applications),
			"allocationMethod": allocation_method,
			"targetSelection": target_selection,
			"targetType": target_type,
			"value": value,
			"_level": level,
			"_value_type": spec["value_type"],
			"_value": spec["value"],
		}
		if spec["type"] == "code":
			application["code"] = spec["code"]
		else:
			application["title"] = spec["title"]
			if spec["type"] == "manual":
				application["description"] = spec.get("description")
		applications.append(application)
		return application

	def _allocate_to(self, order: dict, application: dict, record: dict, amount: Decimal) -> None:
		allocation = {"discountApplication": application}
		self._put(order, allocation, "allocatedAmountSet", amount)
		record["discountAllocations"].append(allocation)

	def _line_net(self, line: Mapping[str, Any]) -> Decimal:
		"""Presentment price x quantity less every discount allocated to the line."""
		gross = self._pget(line, "originalUnitPriceSet") * line["quantity"]
		return gross - sum(
			(self._pget(a, "allocatedAmountSet") for a in line["discountAllocations"]), Decimal(0)
		)

	def _new_line(self, order: dict, spec: Mapping[str, Any], *, added: bool = False) -> dict:
		tip = bool(spec.get("tip"))
		gift_card = bool(spec.get("gift_card"))
		custom = tip or bool(spec.get("custom")) or bool(spec.get("deleted"))
		variant = None if custom else self._variant_for(spec)
		quantity = int(spec.get("quantity", 1))
		if spec.get("price") is not None:
			price = cents(spec["price"])
		elif variant is not None:
			price = cents(_dec(variant["price"]) * (order.get("_rate") or 1))
		else:
			price = Decimal("5.00")
		title = spec.get("title") or (
			"Tip" if tip else variant["product"]["title"] if variant else "Discontinued item"
		)
		variant_title = variant["title"] if variant and variant["title"] != "Default Title" else None
		ln = self._next_id("LineItem")
		line = {
			"__typename": "LineItem",
			"id": gid("LineItem", ln),
			"title": title,
			"name": f"{title} - {variant_title}" if variant_title else title,
			"sku": spec.get("sku") if spec.get("sku") is not None else (variant or {}).get("sku"),
			"variantTitle": variant_title,
			"vendor": variant["product"]["vendor"] if variant else None,
			"quantity": quantity,
			"currentQuantity": quantity,
			"requiresShipping": bool(spec.get("requires_shipping", not (tip or gift_card))),
			"taxable": bool(spec.get("taxable", not (tip or gift_card))),
			"isGiftCard": gift_card,
			"taxLines": [],
			"discountAllocations": [],
			"_n": ln,
			"_variant": variant["_n"] if variant else None,
			"_product": variant["product"]["_n"] if variant else None,
			"_fulfilled": 0,
			"_refunded": 0,
			"_removed": 0,
		}
		if tip:
			line["_tip"] = True
		if added:
			line["_added"] = True
		self._put(order, line, "originalUnitPriceSet", price)
		if spec.get("discount") not in (None, 0, "0", "0.00", ""):
			discount = discount_spec(spec["discount"], kind="manual")
			application = self._discount_application(
				order,
				discount,
				target_type="LINE_ITEM",
				target_selection="EXPLICIT",
				allocation_method="ACROSS",
				level="line",
			)
			gross = price * quantity
			amount = (
				cents(gross * discount["value"] / 100)
				if discount["value_type"] == "percentage"
				else min(gross, discount["value"])
			)
			self._allocate_to(order, application, line, amount)
		return line

	def _new_shipping_line(self, order: dict, spec: Mapping[str, Any]) -> dict:
		title = spec.get("title", "Standard")
		record = {
			"__typename": "ShippingLine",
			"id": gid("ShippingLine", self._next_id("ShippingLine")),
			"title": title,
			"code": spec.get("code", title),
			"source": spec.get("source", "shopify"),
			"carrierIdentifier": spec.get("carrier_identifier"),
			"custom": bool(spec.get("custom", False)),
			"isRemoved": False,
			"taxLines": [],
			"discountAllocations": [],
		}
		self._put(order, record, "originalPriceSet", cents(spec.get("price", "0")))
		return record

	def _shipping_figures(self, order: dict, record: dict, spec: Mapping[str, Any]) -> None:
		"""A shipping line's discounted price and its tax lines (once its discounts are allocated)."""
		net = self._pget(record, "originalPriceSet") - sum(
			(self._pget(a, "allocatedAmountSet") for a in record["discountAllocations"]), Decimal(0)
		)
		self._put(order, record, "discountedPriceSet", net)
		self._put(order, record, "currentDiscountedPriceSet", net)
		record["taxLines"] = []
		for tax in spec.get("tax_lines") or []:
			amount = (
				cents(tax["price"])
				if tax.get("price") is not None
				else tax_amount(net, tax.get("rate", 0), order["taxesIncluded"])
			)
			record["taxLines"].append(self._tax_line(order, tax, amount))

	def _line_figures(self, order: dict, line: dict) -> None:
		"""The line's own MoneyBags (fixed once its discounts are allocated)."""
		price = self._pget(line, "originalUnitPriceSet")
		quantity = line["quantity"]
		own = everything = Decimal(0)
		for allocation in line["discountAllocations"]:
			amount = self._pget(allocation, "allocatedAmountSet")
			everything += amount
			if allocation["discountApplication"]["_level"] == "line":
				own += amount
		self._put(order, line, "originalTotalSet", price * quantity)
		self._put(order, line, "totalDiscountSet", own)
		self._put(order, line, "discountedTotalSet", price * quantity - own)
		self._put(order, line, "discountedUnitPriceSet", price - own / quantity if quantity else price)
		self._put(
			order,
			line,
			"discountedUnitPriceAfterAllDiscountsSet",
			price - everything / quantity if quantity else price,
		)

	def _line_taxes(self, order: dict, line: dict, specs: Iterable[Mapping[str, Any]]) -> None:
		base = self._line_net(line)
		for spec in specs:
			amount = (
				cents(spec["price"])
				if spec.get("price") is not None
				else tax_amount(base, spec.get("rate", 0), order["taxesIncluded"])
			)
			line["taxLines"].append(self._tax_line(order, spec, amount))
