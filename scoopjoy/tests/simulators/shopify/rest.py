"""The REST-shaped JSON that the Shopify simulator's webhooks send.

:meth:`~.webhooks.WebhooksMixin.webhook_payload` builds the REST-shaped JSON of
https://shopify.dev/docs/api/admin-rest/latest/resources/order (numeric ``id``,
``admin_graphql_api_id``, prices as strings in shop money, ``*_set`` with ``shop_money`` and
``presentment_money``, per-line ``tax_lines`` and ``discount_allocations``, ``current_*`` totals,
timestamps in the shop's time zone), and for products/create and products/update the REST Product
(https://shopify.dev/docs/api/admin-rest/latest/resources/product), from the methods here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from scoopjoy.tests.simulators.shopify.amounts import cents, money, shopify_decimal
from scoopjoy.tests.simulators.shopify.common import parse_datetime, parse_gid


class RestMixin:
	"""Of :class:`~.server.ShopifySimulator`: orders, refunds, transactions and products as REST JSON."""

	def _rest_time(self, value: str | None) -> str | None:
		if value is None:
			return None
		return parse_datetime(value).astimezone(self.shop_tz).isoformat()

	def _rest_address(self, address: Mapping[str, Any] | None) -> dict | None:
		if not address:
			return None
		return {
			"first_name": address.get("firstName"),
			"last_name": address.get("lastName"),
			"name": address.get("name"),
			"company": address.get("company"),
			"address1": address.get("address1"),
			"address2": address.get("address2"),
			"city": address.get("city"),
			"province": address.get("province"),
			"province_code": address.get("provinceCode"),
			"zip": address.get("zip"),
			"country": address.get("country"),
			"country_code": address.get("countryCodeV2"),
			"phone": address.get("phone"),
		}

	# REST shapes: https://shopify.dev/docs/api/admin-rest/latest/resources/order (and .../refund,
	# .../transaction): amounts as two-decimal strings in shop money, ``*_set`` with shop_money and
	# presentment_money, rates as numbers.

	def _rest_set(self, record: Mapping[str, Any], field_name: str) -> dict | None:
		shop = record.get(field_name)
		if shop is None:
			return None
		presentment = (record.get("_pm") or {}).get(field_name, shop)
		return {
			"shop_money": {"amount": money(shop), "currency_code": self.currency},
			"presentment_money": {
				"amount": money(presentment),
				"currency_code": record.get("_pc") or self.currency,
			},
		}

	def _rest_amount(self, record: Mapping[str, Any], field_name: str) -> str | None:
		value = record.get(field_name)
		return money(value) if value is not None else None

	def _rest_tax(self, tax: Mapping[str, Any]) -> dict:
		return {
			"channel_liable": tax.get("channelLiable"),
			"price": money(tax["priceSet"]),
			"price_set": self._rest_set(tax, "priceSet"),
			"rate": tax["rate"],
			"title": tax["title"],
		}

	def _rest_allocation(self, allocation: Mapping[str, Any]) -> dict:
		return {
			"amount": money(allocation["allocatedAmountSet"]),
			"amount_set": self._rest_set(allocation, "allocatedAmountSet"),
			"discount_application_index": allocation["discountApplication"]["index"],
		}

	def _rest_discount_application(self, application: Mapping[str, Any]) -> dict:
		rest = {
			"target_type": application["targetType"].lower(),
			"type": {
				"DiscountCodeApplication": "discount_code",
				"ManualDiscountApplication": "manual",
				"AutomaticDiscountApplication": "automatic",
				"ScriptDiscountApplication": "script",
			}[application["__typename"]],
			"value": shopify_decimal(application["_value"]),
			"value_type": application["_value_type"],
			"allocation_method": application["allocationMethod"].lower(),
			"target_selection": application["targetSelection"].lower(),
		}
		if "code" in application:
			rest["code"] = application["code"]
		else:
			rest["title"] = application["title"]
			rest["description"] = application.get("description") or application["title"]
		return rest

	def _rest_discount_codes(self, order: Mapping[str, Any]) -> list[dict]:
		codes = []
		for application in order["discountApplications"]:
			if "code" not in application:
				continue
			total = sum(
				(
					self._pget(a, "allocatedAmountSet")
					for record in [*order["lineItems"], *order["shippingLines"]]
					for a in record["discountAllocations"]
					if a["discountApplication"] is application
				),
				Decimal(0),
			)
			rate = order.get("_rate")
			codes.append(
				{
					"code": application["code"],
					"amount": money(cents(total / rate) if rate else total),
					"type": "shipping"
					if application["targetType"] == "SHIPPING_LINE"
					else application["_value_type"],
				}
			)
		return codes

	def _rest_transaction(self, order: Mapping[str, Any], transaction: Mapping[str, Any]) -> dict:
		parent = transaction.get("parentTransaction")
		return {
			"id": parse_gid(transaction["id"]),
			"admin_graphql_api_id": transaction["id"],
			"order_id": order["_n"],
			"kind": transaction["kind"].lower(),
			"status": transaction["status"].lower(),
			"gateway": transaction["gateway"],
			"amount": (transaction.get("_pm") or {}).get("amountSet", transaction["amountSet"]),
			"currency": transaction.get("_pc") or self.currency,
			"parent_id": parse_gid(parent["id"]) if parent else None,
			"test": transaction["test"],
			"created_at": self._rest_time(transaction["createdAt"]),
			"processed_at": self._rest_time(transaction["processedAt"]),
		}

	def _rest_line(self, line: dict) -> dict:
		variant = self.variants.get(line["_variant"]) if line["_variant"] else None
		product_exists = line["_product"] is not None and line["_product"] in self.products
		tip = bool(line.get("_tip"))
		return {
			"id": line["_n"],
			"admin_graphql_api_id": line["id"],
			"current_quantity": line["currentQuantity"],
			"fulfillable_quantity": 0 if tip else max(0, line["currentQuantity"] - line["_fulfilled"]),
			"fulfillment_service": "manual",
			"fulfillment_status": (
				"fulfilled"
				if line["_fulfilled"] and line["_fulfilled"] >= line["currentQuantity"]
				else "partial"
				if line["_fulfilled"]
				else None
			),
			"gift_card": line["isGiftCard"],
			"name": line["name"],
			"price": line["originalUnitPriceSet"],
			"price_set": self._rest_set(line, "originalUnitPriceSet"),
			"product_exists": product_exists,
			"product_id": line["_product"] if product_exists else None,
			"properties": [],
			"quantity": line["quantity"],
			"requires_shipping": line["requiresShipping"],
			"sku": line["sku"],
			"taxable": line["taxable"],
			"title": line["title"],
			"total_discount": line["totalDiscountSet"],
			"total_discount_set": self._rest_set(line, "totalDiscountSet"),
			"variant_id": line["_variant"] if variant else None,
			"variant_title": line["variantTitle"],
			"vendor": line["vendor"],
			"tax_lines": [self._rest_tax(t) for t in line["taxLines"]],
			"duties": [],
			"discount_allocations": [self._rest_allocation(a) for a in line["discountAllocations"]],
		}

	def _rest_shipping_line(self, record: Mapping[str, Any]) -> dict:
		return {
			"id": parse_gid(record["id"]),
			"carrier_identifier": record.get("carrierIdentifier"),
			"code": record["code"],
			"discounted_price": record["discountedPriceSet"],
			"discounted_price_set": self._rest_set(record, "discountedPriceSet"),
			"is_removed": record["isRemoved"],
			"phone": None,
			"price": record["originalPriceSet"],
			"price_set": self._rest_set(record, "originalPriceSet"),
			"source": record["source"],
			"title": record["title"],
			"tax_lines": [self._rest_tax(t) for t in record["taxLines"]],
			"discount_allocations": [self._rest_allocation(a) for a in record["discountAllocations"]],
		}

	def _rest_refund(self, order: dict, refund: dict) -> dict:
		return {
			"id": refund["_n"],
			"admin_graphql_api_id": refund["id"],
			"order_id": order["_n"],
			"created_at": self._rest_time(refund["createdAt"]),
			"processed_at": self._rest_time(refund["createdAt"]),
			"note": refund["note"],
			"restock": any(rl["restocked"] for rl in refund["refundLineItems"]),
			"user_id": None,
			"total_refunded_set": self._rest_set(refund, "totalRefundedSet"),
			"refund_line_items": [
				{
					"id": parse_gid(rl["id"]),
					"line_item_id": rl["lineItem"]["_n"],
					"quantity": rl["quantity"],
					"restock_type": rl["restockType"].lower(),
					"location_id": self.primary_location["_n"] if rl["restocked"] else None,
					"subtotal": float(rl["subtotalSet"]),
					"subtotal_set": self._rest_set(rl, "subtotalSet"),
					"total_tax": float(rl["totalTaxSet"]),
					"total_tax_set": self._rest_set(rl, "totalTaxSet"),
					"line_item": self._rest_line(rl["lineItem"]),
				}
				for rl in refund["refundLineItems"]
			],
			"refund_shipping_lines": [
				{
					"id": parse_gid(rs["id"]),
					"shipping_line_id": parse_gid(rs["shippingLine"]["id"]),
					"subtotal_amount_set": self._rest_set(rs, "subtotalAmountSet"),
					"tax_amount_set": self._rest_set(rs, "taxAmountSet"),
				}
				for rs in refund.get("refundShippingLines") or []
			],
			"transactions": [self._rest_transaction(order, t) for t in refund.get("transactions") or []],
			"order_adjustments": [
				{
					"id": parse_gid(adj["id"]),
					"order_id": order["_n"],
					"refund_id": refund["_n"],
					"amount": adj["amountSet"],
					"amount_set": self._rest_set(adj, "amountSet"),
					"tax_amount": adj["taxAmountSet"],
					"tax_amount_set": self._rest_set(adj, "taxAmountSet"),
					"kind": "refund_discrepancy",
					"reason": "Refund discrepancy",
				}
				for adj in refund.get("orderAdjustments") or []
			],
		}

	def _rest_product(self, product: dict) -> dict:
		"""https://shopify.dev/docs/api/admin-rest/latest/resources/product (as a webhook sends it)."""
		n = product["_n"]
		return {
			"id": n,
			"admin_graphql_api_id": product["id"],
			"title": product["title"],
			"body_html": product.get("descriptionHtml") or "",
			"vendor": product.get("vendor"),
			"product_type": product.get("productType") or "",
			"handle": product["handle"],
			"status": (product.get("status") or "ACTIVE").lower(),
			"tags": ", ".join(product.get("tags") or []),
			"created_at": self._rest_time(product.get("createdAt")),
			"updated_at": self._rest_time(product.get("updatedAt")),
			"published_scope": "web",
			"variants": [
				{
					"id": variant["_n"],
					"admin_graphql_api_id": variant["id"],
					"product_id": n,
					"title": variant["title"],
					"price": money(variant["price"]),
					"sku": variant.get("sku"),
					"position": variant.get("position"),
					"barcode": variant.get("barcode"),
					"taxable": variant.get("taxable"),
					"requires_shipping": variant["inventoryItem"]["requiresShipping"],
					"inventory_item_id": variant["inventoryItem"]["_n"],
					**{
						f"option{i}": option["value"]
						for i, option in enumerate(variant.get("selectedOptions") or [], start=1)
					},
					"created_at": self._rest_time(variant.get("createdAt")),
					"updated_at": self._rest_time(variant.get("updatedAt")),
				}
				for variant in product["variants"]
			],
			"options": [
				{
					"id": parse_gid(option["id"]),
					"product_id": n,
					"name": option["name"],
					"position": option["position"],
					"values": list(option["values"]),
				}
				for option in product["options"]
			],
			"images": [],
			"image": None,
		}

	def _rest_order(self, order: dict) -> dict:
		customer = order["customer"]
		financial = order["displayFinancialStatus"]
		fulfillment = {
			"FULFILLED": "fulfilled",
			"PARTIALLY_FULFILLED": "partial",
			"RESTOCKED": "restocked",
		}.get(order["displayFulfillmentStatus"])
		rest_set = self._rest_set
		gateways: list[str] = []
		for t in order["transactions"]:
			if t["kind"] in ("SALE", "AUTHORIZATION") and t["gateway"] not in gateways:
				gateways.append(t["gateway"])
		return {
			"id": order["_n"],
			"admin_graphql_api_id": order["id"],
			"name": order["name"],
			"order_number": order["_number"],
			"number": order["_number"] - 1000,
			"email": order["email"],
			"contact_email": order["email"],
			"phone": order["phone"],
			"note": order["note"],
			"tags": ", ".join(order["tags"]),
			"test": order["test"],
			"confirmed": True,
			"created_at": self._rest_time(order["createdAt"]),
			"updated_at": self._rest_time(order["updatedAt"]),
			"processed_at": self._rest_time(order["processedAt"]),
			"cancelled_at": self._rest_time(order["cancelledAt"]),
			"cancel_reason": order["cancelReason"].lower() if order["cancelReason"] else None,
			"closed_at": self._rest_time(order["closedAt"]),
			"currency": order["currencyCode"],
			"presentment_currency": order["presentmentCurrencyCode"],
			"financial_status": financial.lower() if financial else None,
			"fulfillment_status": fulfillment,
			"taxes_included": order["taxesIncluded"],
			"estimated_taxes": False,
			"payment_gateway_names": gateways,
			"total_price": order["totalPriceSet"],
			"total_price_set": rest_set(order, "totalPriceSet"),
			"subtotal_price": order["subtotalPriceSet"],
			"subtotal_price_set": rest_set(order, "subtotalPriceSet"),
			"total_line_items_price": order["_lineItemsTotal"],
			"total_line_items_price_set": rest_set(order, "_lineItemsTotal"),
			"total_discounts": order["totalDiscountsSet"],
			"total_discounts_set": rest_set(order, "totalDiscountsSet"),
			"total_tax": order["totalTaxSet"],
			"total_tax_set": rest_set(order, "totalTaxSet"),
			"total_shipping_price_set": rest_set(order, "totalShippingPriceSet"),
			"total_tip_received": order["totalTipReceivedSet"],
			"total_outstanding": order["totalOutstandingSet"],
			"current_subtotal_price": order["currentSubtotalPriceSet"],
			"current_subtotal_price_set": rest_set(order, "currentSubtotalPriceSet"),
			"current_total_discounts": order["currentTotalDiscountsSet"],
			"current_total_discounts_set": rest_set(order, "currentTotalDiscountsSet"),
			"current_total_price": order["currentTotalPriceSet"],
			"current_total_price_set": rest_set(order, "currentTotalPriceSet"),
			"current_total_tax": order["currentTotalTaxSet"],
			"current_total_tax_set": rest_set(order, "currentTotalTaxSet"),
			"current_total_duties_set": rest_set(order, "currentTotalDutiesSet"),
			"original_total_duties_set": rest_set(order, "originalTotalDutiesSet"),
			"current_total_additional_fees_set": rest_set(order, "currentTotalAdditionalFeesSet"),
			"original_total_additional_fees_set": rest_set(order, "originalTotalAdditionalFeesSet"),
			"discount_applications": [
				self._rest_discount_application(a) for a in order["discountApplications"]
			],
			"discount_codes": self._rest_discount_codes(order),
			"customer": (
				{
					"id": customer["_n"],
					"admin_graphql_api_id": customer["id"],
					"email": (customer["defaultEmailAddress"] or {}).get("emailAddress"),
					"phone": (customer["defaultPhoneNumber"] or {}).get("phoneNumber"),
					"first_name": customer["firstName"],
					"last_name": customer["lastName"],
					"created_at": self._rest_time(customer["createdAt"]),
					"updated_at": self._rest_time(customer["updatedAt"]),
				}
				if customer
				else None
			),
			"shipping_address": self._rest_address(order["shippingAddress"]),
			"billing_address": self._rest_address(order["billingAddress"]),
			"line_items": [self._rest_line(li) for li in order["lineItems"]],
			"shipping_lines": [self._rest_shipping_line(s) for s in order["shippingLines"]],
			"tax_lines": [self._rest_tax(t) for t in order["taxLines"]],
			"fulfillments": [
				{
					"id": parse_gid(f["id"]),
					"admin_graphql_api_id": f["id"],
					"order_id": order["_n"],
					"name": f["name"],
					"status": f["status"].lower(),
					"location_id": f["location"]["_n"],
					"created_at": self._rest_time(f["createdAt"]),
					"updated_at": self._rest_time(f["updatedAt"]),
					"line_items": [
						{**self._rest_line(fl["lineItem"]), "quantity": fl["quantity"]}
						for fl in f["fulfillmentLineItems"]
					],
				}
				for f in order["fulfillments"]
			],
			"refunds": [self._rest_refund(order, r) for r in order["refunds"]],
		}
