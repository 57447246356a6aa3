"""The totals of an order in the Shopify simulator: every order-level MoneyBag (``total*`` as at
creation, ``current*``, received, refunded, outstanding, capturable, cash rounding), the order's tax
lines and discount codes, and ``displayFinancialStatus`` from the transactions.

The rules, with Shopify's documentation, are in the comment at the top of
:class:`~.orders.OrdersMixin`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from scoopjoy.tests.simulators.shopify.amounts import _dec, portion, share


class OrderTotalsMixin:
	"""Of :class:`~.server.ShopifySimulator`: an order's totals, summed from its lines, shipping lines,
	refunds and transactions."""

	def _recompute(self, order: dict) -> None:
		"""Every order-level MoneyBag, from the lines, shipping, refunds and transactions."""
		get = self._pget
		zero = Decimal("0.00")
		included = order["taxesIncluded"]
		subtotal = current_subtotal = discounts = current_discounts = cart = current_cart = zero
		tip = current_tip = items_total = zero
		quantity = current_quantity = 0
		taxes: dict[tuple, list] = {}
		current_taxes: dict[tuple, list] = {}

		def add_tax(table: dict[tuple, list], tax: Mapping[str, Any], amount: Decimal) -> None:
			key = (tax["title"], tax["rate"])
			if key in table:
				table[key][1] += amount
			else:
				table[key] = [tax, amount]

		for line in order["lineItems"]:
			q = line["quantity"]
			gone = q - line["currentQuantity"]
			original = not line.get("_added")
			gross = get(line, "originalUnitPriceSet") * q
			if line.get("_tip"):
				tip += gross if original else zero
				current_tip += gross - share(gross, gone, q)
				continue
			allocated = at_order_level = zero
			for allocation in line["discountAllocations"]:
				amount = get(allocation, "allocatedAmountSet")
				allocated += amount
				if allocation["discountApplication"]["_level"] == "order":
					at_order_level += amount
			net = gross - allocated
			if original:
				subtotal += net
				discounts += allocated
				cart += at_order_level
				quantity += q
				items_total += gross
			current_subtotal += net - share(net, gone, q)
			current_discounts += allocated - share(allocated, gone, q)
			current_cart += at_order_level - share(at_order_level, gone, q)
			current_quantity += line["currentQuantity"]
			for tax in line["taxLines"]:
				amount = get(tax, "priceSet")
				if original:
					add_tax(taxes, tax, amount)
				add_tax(current_taxes, tax, amount - share(amount, gone, q))
		shipping_total = shipping_net = shipping_refunded = zero
		for record in order["shippingLines"]:
			price = get(record, "originalPriceSet")
			net = get(record, "discountedPriceSet")
			refunded = _dec(record.get("_refunded"))
			shipping_total += price
			shipping_net += net
			shipping_refunded += refunded
			discounts += price - net
			current_discounts += price - net
			for tax in record["taxLines"]:
				amount = get(tax, "priceSet")
				add_tax(taxes, tax, amount)
				add_tax(current_taxes, tax, amount - portion(amount, refunded, net))
		adjustments = zero
		for refund in order["refunds"]:
			for adjustment in refund.get("orderAdjustments") or []:
				adjustments += get(adjustment, "amountSet") + get(adjustment, "taxAmountSet")
		duties = order.get("_duties")
		fees = order.get("_fees")
		extras = (duties or zero) + (fees or zero)
		total_tax = sum((amount for _tax, amount in taxes.values()), zero)
		current_tax = sum((amount for _tax, amount in current_taxes.values()), zero)
		total = subtotal + shipping_net + (zero if included else total_tax) + extras + tip
		current_total = (
			current_subtotal
			+ shipping_net
			- shipping_refunded
			+ (zero if included else current_tax)
			+ extras
			+ current_tip
			+ adjustments
		)
		received = refunded = capturable = cash_paid = cash_refunded = zero
		captured: dict[str, Decimal] = {}
		voided: set[str] = set()
		for tx in order["transactions"]:
			if tx["status"] != "SUCCESS":
				continue
			amount = get(tx, "amountSet")
			kind = tx["kind"]
			parent = (tx.get("parentTransaction") or {}).get("id")
			if kind in ("SALE", "CAPTURE"):
				received += amount
				cash_paid += get(tx, "amountRoundingSet")
			elif kind == "CHANGE":
				received -= amount
			elif kind == "REFUND":
				refunded += amount
				cash_refunded += get(tx, "amountRoundingSet")
			if kind == "CAPTURE" and parent:
				captured[parent] = captured.get(parent, zero) + amount
			elif kind == "VOID" and parent:
				voided.add(parent)
		for tx in order["transactions"]:
			if tx["status"] == "SUCCESS" and tx["kind"] in ("AUTHORIZATION", "EMV_AUTHORIZATION"):
				if tx["id"] not in voided:
					capturable += max(zero, get(tx, "amountSet") - captured.get(tx["id"], zero))
		put = self._put
		put(order, order, "subtotalPriceSet", subtotal)
		put(order, order, "currentSubtotalPriceSet", current_subtotal)
		put(order, order, "totalDiscountsSet", discounts)
		put(order, order, "currentTotalDiscountsSet", current_discounts)
		put(
			order,
			order,
			"cartDiscountAmountSet",
			cart if any(a["_level"] == "order" for a in order["discountApplications"]) else None,
		)
		put(order, order, "currentCartDiscountAmountSet", current_cart)
		put(order, order, "totalShippingPriceSet", shipping_total)
		put(order, order, "currentShippingPriceSet", shipping_net - shipping_refunded)
		put(order, order, "totalRefundedShippingSet", shipping_refunded)
		put(order, order, "totalTaxSet", total_tax)
		put(order, order, "currentTotalTaxSet", current_tax)
		put(order, order, "originalTotalDutiesSet", duties)
		put(order, order, "currentTotalDutiesSet", duties)
		put(order, order, "originalTotalAdditionalFeesSet", fees)
		put(order, order, "currentTotalAdditionalFeesSet", fees)
		put(order, order, "totalPriceSet", total)
		put(order, order, "originalTotalPriceSet", total)
		put(order, order, "currentTotalPriceSet", current_total)
		put(order, order, "totalReceivedSet", received)
		put(order, order, "totalRefundedSet", refunded)
		put(order, order, "totalOutstandingSet", current_total - (received - refunded))
		put(order, order, "totalCapturableSet", capturable)
		put(order, order, "totalTipReceivedSet", tip)
		rounding = order["totalCashRoundingAdjustment"] = {}
		put(order, rounding, "paymentSet", cash_paid)
		put(order, rounding, "refundSet", cash_refunded)
		put(order, order, "_lineItemsTotal", items_total)
		order["taxLines"] = [self._tax_sum(order, tax, amount) for tax, amount in taxes.values()]
		order["currentTaxLines"] = [
			self._tax_sum(order, tax, amount) for tax, amount in current_taxes.values()
		]
		order["subtotalLineItemsQuantity"] = quantity
		order["currentSubtotalLineItemsQuantity"] = current_quantity
		codes = [a["code"] for a in order["discountApplications"] if "code" in a]
		order["discountCodes"] = codes
		order["discountCode"] = codes[0] if codes else None

	def _update_financial_status(self, order: dict) -> None:
		"""displayFinancialStatus from the transactions, as Shopify derives it (unchanged without any)."""
		transactions = order["transactions"]
		if not transactions:
			return
		get = self._pget
		received = get(order, "totalReceivedSet")
		refunded = get(order, "totalRefundedSet")
		if refunded > 0:
			base = received if received > 0 else get(order, "totalPriceSet")
			status = "REFUNDED" if refunded >= base else "PARTIALLY_REFUNDED"
		elif received > 0:
			status = "PAID" if received >= get(order, "currentTotalPriceSet") else "PARTIALLY_PAID"
		elif get(order, "totalCapturableSet") > 0:
			status = "AUTHORIZED"
		elif any(t["kind"] == "VOID" and t["status"] == "SUCCESS" for t in transactions):
			status = "VOIDED"
		elif any(t["status"] in ("PENDING", "AWAITING_RESPONSE") for t in transactions):
			status = "PENDING"
		else:
			return
		order["displayFinancialStatus"] = status
