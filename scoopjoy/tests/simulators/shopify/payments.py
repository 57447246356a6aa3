"""Transactions and refunds of the Shopify simulator.

- Transactions (sale, authorisation, capture, void, refund, change:
  https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderTransaction) drive
  ``displayFinancialStatus``, ``totalReceivedSet``, ``totalOutstandingSet``; refunds
  (https://shopify.dev/docs/api/admin-graphql/latest/objects/Refund) carry line and shipping tax
  shares, and refund discrepancies (OrderAdjustment).
- Cash rounding (https://shopify.dev/changelog/new-cash-rounding-on-order-and-order-transaction,
  ``OrderTransaction.amountRoundingSet``, ``Order.totalCashRoundingAdjustment``): a cash transaction's
  ``amountSet`` is what it settles of the order and ``amountRoundingSet`` what the drawer got more
  (positive) or less (negative); Shopify does not spell out that sign convention.
- An amount-only refund's VAT is the OrderAdjustment's ``taxAmountSet``, "the taxes that are added
  to amount" (https://shopify.dev/docs/api/admin-rest/latest/resources/refund#resource-object):
  amount and tax together are the discrepancy.

Not exact (Shopify does not document it): that an amount-only refund's discrepancy lowers
``currentTotalPriceSet`` (so that ``totalOutstandingSet`` stays 0). Not modelled: store credit and
gift card balances (their transactions are: ``gateway: "shopify_store_credit"``, ``"gift_card"``),
transaction fees and receipts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from scoopjoy.tests.simulators.shopify.amounts import _dec, cents, portion, share
from scoopjoy.tests.simulators.shopify.common import gid, parse_gid, to_iso

#: OrderTransaction.formattedGateway for the gateway names Shopify uses
#: (https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderTransaction).
FORMATTED_GATEWAYS = {
	"shopify_payments": "Shopify Payments",
	"paypal": "PayPal Express Checkout",
	"manual": "Manual",
	"bogus": "Bogus",
	"gift_card": "Gift card",
	"shopify_store_credit": "Store credit",
	"cash": "Cash",
	"cash_on_delivery": "Cash on Delivery (COD)",
	"bank_deposit": "Bank Deposit",
	"money_order": "Money Order",
}
TRANSACTION_KINDS = ("AUTHORIZATION", "CAPTURE", "CHANGE", "EMV_AUTHORIZATION", "REFUND", "SALE", "VOID")
TRANSACTION_STATUSES = ("AWAITING_RESPONSE", "ERROR", "FAILURE", "PENDING", "SUCCESS", "UNKNOWN")


class PaymentsMixin:
	"""Of :class:`~.server.ShopifySimulator`: an order's transactions, payments and refunds."""

	# --- transactions ---------------------------------------------------------------------------------

	def _new_transaction(
		self,
		order: dict,
		kind: str,
		amount: Any,
		at: str,
		gateway: str = "manual",
		*,
		status: str = "SUCCESS",
		parent: dict | None = None,
		test: bool | None = None,
		rounding: Any = None,
	) -> dict:
		"""A transaction record; ``test`` defaults to the order's (a test order pays through test gateways).
		``rounding``: the cash rounding of a cash transaction (presentment money; the drawer got
		``amount + rounding``)."""
		transaction = {
			"__typename": "OrderTransaction",
			"id": gid("OrderTransaction", self._next_id("OrderTransaction")),
			"kind": kind,
			"status": status,
			"gateway": gateway,
			"formattedGateway": FORMATTED_GATEWAYS.get(gateway, gateway.replace("_", " ").title()),
			"test": bool(order.get("test")) if test is None else test,
			"processedAt": at,
			"createdAt": at,
			"parentTransaction": parent,
		}
		self._put(order, transaction, "amountSet", amount)
		self._put(order, transaction, "amountRoundingSet", rounding)
		return transaction

	def _find_transaction(self, order: dict, ref: Any) -> dict:
		ident = ref.get("id") if isinstance(ref, Mapping) else ref
		n = parse_gid(ident, "OrderTransaction")
		for transaction in order["transactions"]:
			if parse_gid(transaction["id"]) == n:
				return transaction
		raise KeyError(f"no transaction {ref!r} on order {order['name']}")

	def add_transaction(
		self,
		order_id: Any,
		kind: str,
		amount: Any = None,
		gateway: str = "shopify_payments",
		status: str = "SUCCESS",
		parent: Any = None,
		test: bool = False,
		*,
		at: Any = None,
		rounding: Any = None,
	) -> dict:
		"""Record an OrderTransaction (https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderTransaction).

		``kind``: SALE, AUTHORIZATION, CAPTURE, VOID, REFUND or CHANGE; ``status``: SUCCESS, PENDING,
		FAILURE, ERROR...; ``amount`` in presentment money (default: the outstanding amount for a
		SALE or AUTHORIZATION, the uncaptured rest of the parent for a CAPTURE, the parent's amount
		for a VOID); ``parent``: a transaction (record or id), default for CAPTURE and VOID the
		latest successful authorisation. Only SUCCESS transactions count: totalReceivedSet,
		totalOutstandingSet, totalCapturableSet and displayFinancialStatus (AUTHORIZED,
		PARTIALLY_PAID, PAID, PENDING, PARTIALLY_REFUNDED, REFUNDED, VOIDED) follow. A REFUND here
		has no Refund record: use :meth:`refund` for that. ``rounding``: POS cash rounding (see the
		module notes), e.g. ``-0.02`` when 10.02 was settled with 10.00 in cash. Returns the transaction.
		"""
		kind, status = kind.upper(), status.upper()
		if kind not in TRANSACTION_KINDS:
			raise ValueError(f"unknown transaction kind {kind!r}")
		if status not in TRANSACTION_STATUSES:
			raise ValueError(f"unknown transaction status {status!r}")
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			stamp = to_iso(at) if at else self._now_iso()
			parent_tx = self._find_transaction(order, parent) if parent is not None else None
			if parent_tx is None and kind in ("CAPTURE", "VOID"):
				parent_tx = next(
					(
						t
						for t in reversed(order["transactions"])
						if t["kind"] == "AUTHORIZATION" and t["status"] == "SUCCESS"
					),
					None,
				)
				if parent_tx is None:
					raise ValueError(f"a {kind} needs an authorisation to act on")
			if amount is None:
				if kind in ("SALE", "AUTHORIZATION"):
					amount = self._pget(order, "totalOutstandingSet")
				elif kind == "CAPTURE":
					taken = sum(
						(
							self._pget(t, "amountSet")
							for t in order["transactions"]
							if t["kind"] == "CAPTURE"
							and t["status"] == "SUCCESS"
							and (t.get("parentTransaction") or {}).get("id") == parent_tx["id"]
						),
						Decimal(0),
					)
					amount = self._pget(parent_tx, "amountSet") - taken
				elif kind == "VOID":
					amount = self._pget(parent_tx, "amountSet")
				else:
					raise ValueError(f"a {kind} needs an amount")
			transaction = self._new_transaction(
				order,
				kind,
				amount,
				stamp,
				gateway,
				status=status,
				parent=parent_tx,
				test=test,
				rounding=rounding,
			)
			order["transactions"].append(transaction)
			self._recompute(order)
			self._update_financial_status(order)
			self._bump(order, at)
			return transaction

	def mark_paid(
		self, order_id: Any, *, gateway: str = "shopify_payments", at: datetime | str | None = None
	) -> dict:
		"""One successful SALE for the outstanding amount; displayFinancialStatus PAID. Returns the order."""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			self._mark_paid(order, at, gateway)
			return order

	def _mark_paid(self, order: dict, at: Any = None, gateway: str = "shopify_payments") -> None:
		stamp = to_iso(at) if at else self._now_iso()
		outstanding = self._pget(order, "totalOutstandingSet")
		if outstanding > 0:
			order["transactions"].append(self._new_transaction(order, "SALE", outstanding, stamp, gateway))
			self._recompute(order)
		if order["transactions"]:
			self._update_financial_status(order)
		else:
			order["displayFinancialStatus"] = "PAID"
		self._bump(order, at)

	# --- refunds --------------------------------------------------------------------------------------

	def _refund_gateway(self, order: dict) -> dict | None:
		"""The sale a refund goes back to: the latest successful one, a gift card only as a last resort."""
		sales = [
			t for t in order["transactions"] if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"
		]
		cards = [t for t in sales if t["gateway"] != "gift_card"]
		return (cards or sales or [None])[-1]

	def refund(
		self,
		order_id: Any,
		lines: Mapping[Any, int] | Iterable[tuple[Any, int]] | None = None,
		*,
		restock_type: str = "RETURN",
		shipping: Any = 0,
		amount: Any = None,
		note: str | None = None,
		gateway: str | None = None,
		at: Any = None,
		refund_tax: Any = None,
		location: Any = None,
		restocked: bool | None = None,
		return_id: Any = None,
	) -> dict:
		"""A Refund (https://shopify.dev/docs/api/admin-graphql/latest/objects/Refund); returns it.

		``restock_type`` (RefundLineItemRestockType): RETURN (goods that shipped come back: they are
		restocked at ``location``, default the primary one, whose ``available`` and ``on_hand`` go up,
		as Shopify restocks them), CANCEL (units that never shipped), NO_RESTOCK (money only), or
		LEGACY_RESTOCK. A restocked line names its ``location``. ``restocked=False``: a RETURN whose
		units a return's disposition restocks instead (``RefundLineItem.restocked`` false; inventory
		untouched here).

		``lines``: {line item id or index: quantity}; None: every unit still on the order, unless
		``amount`` is given (then no lines). Each refunded line carries its subtotal after all
		discounts and its tax share (``totalTaxSet``). ``shipping``: shipping price refunded
		(presentment money; True: all that is left), with its tax share. ``amount``: what is paid
		back, when it differs from that calculation (an amount-only refund without lines, a
		restocking fee); the difference is an OrderAdjustment REFUND_DISCREPANCY. A REFUND
		transaction goes back through the gateway of the sale (``gateway`` overrides); the order
		becomes REFUNDED or PARTIALLY_REFUNDED. ``refund_tax``: the VAT inside ``amount`` of an amount-only
		refund (the adjustment's ``taxAmountSet``).
		"""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			stamp = to_iso(at) if at else self._now_iso()
			get = self._pget
			if lines is None:
				wanted = (
					[]
					if amount is not None
					else [(line, line["currentQuantity"]) for line in order["lineItems"]]
				)
			else:
				pairs = lines.items() if isinstance(lines, Mapping) else lines
				wanted = [(self._line(order, ref), int(qty)) for ref, qty in pairs]
			wanted = [(line, qty) for line, qty in wanted if qty > 0]
			for line, qty in wanted:
				if qty > line["currentQuantity"]:
					raise ValueError(
						f"cannot refund {qty} of {line['title']}: only {line['currentQuantity']} left"
					)
			refund_lines = []
			lines_total = lines_tax = Decimal(0)
			of_return = self._return(return_id)[1] if return_id else None
			restocked = (
				restock_type in ("RETURN", "CANCEL", "LEGACY_RESTOCK")
				and restocked is not False
				and not of_return
			)
			place = (
				(self.locations[parse_gid(location, "Location")] if location else self.primary_location)
				if restocked
				else None
			)
			for line, qty in wanted:
				q = line["quantity"]
				before = q - line["currentQuantity"]
				after = before + qty
				net = self._line_net(line)
				subtotal = share(net, after, q) - share(net, before, q)
				tax = Decimal(0)
				for t in line["taxLines"]:
					total = get(t, "priceSet")
					tax += share(total, after, q) - share(total, before, q)
				line["currentQuantity"] -= qty
				line["_refunded"] += qty
				lines_total += subtotal
				lines_tax += tax
				record = {
					"__typename": "RefundLineItem",
					"id": gid("RefundLineItem", self._next_id("RefundLineItem")),
					"quantity": qty,
					"restockType": restock_type,
					"restocked": restocked,
					"location": place,
					"lineItem": line,
				}
				variant = self.variants.get(line.get("_variant")) if line.get("_variant") else None
				item = ((variant or {}).get("inventoryItem") or {}).get("_n")
				if restocked and restock_type in ("RETURN", "LEGACY_RESTOCK") and item:
					level = self._stock(item, place["_n"])  # the goods are back on the shelf
					level["_q"]["available"] += qty
					level["_q"]["on_hand"] += qty
				self._put(order, record, "priceSet", get(line, "originalUnitPriceSet"))
				self._put(order, record, "subtotalSet", subtotal)
				self._put(order, record, "totalTaxSet", tax)
				refund_lines.append(record)
			shipping_lines = []
			shipping_total = shipping_tax = Decimal(0)
			rooms = [
				(s, get(s, "discountedPriceSet"), _dec(s.get("_refunded"))) for s in order["shippingLines"]
			]
			want = (
				sum((net - done for _s, net, done in rooms), Decimal(0))
				if shipping is True
				else cents(shipping or 0)
			)
			for record, net, done in rooms:
				part = min(net - done, want)
				if part <= 0:
					continue
				tax = Decimal(0)
				for t in record["taxLines"]:
					total = get(t, "priceSet")
					tax += portion(total, done + part, net) - portion(total, done, net)
				record["_refunded"] = done + part
				want -= part
				shipping_total += part
				shipping_tax += tax
				refunded_line = {
					"__typename": "RefundShippingLine",
					"id": gid("RefundShippingLine", self._next_id("RefundShippingLine")),
					"shippingLine": record,
				}
				self._put(order, refunded_line, "subtotalAmountSet", part)
				self._put(order, refunded_line, "taxAmountSet", tax)
				shipping_lines.append(refunded_line)
			if want > 0:
				raise ValueError(f"cannot refund {want} more shipping than the order has left")
			calculated = lines_total + shipping_total
			if not order["taxesIncluded"]:
				calculated += lines_tax + shipping_tax
			paid_back = cents(amount) if amount is not None else calculated
			tax_back = cents(refund_tax or 0)
			adjustments = []
			if paid_back != calculated or tax_back:
				adjustment = {
					"__typename": "OrderAdjustment",
					"id": gid("OrderAdjustment", self._next_id("OrderAdjustment")),
					"reason": "REFUND_DISCREPANCY",
				}
				# amount and the tax "added to" it are together calculated - paid back
				self._put(order, adjustment, "amountSet", calculated - paid_back + tax_back)
				self._put(order, adjustment, "taxAmountSet", -tax_back)
				adjustments.append(adjustment)
			rn = self._next_id("Refund")
			refund = {
				"__typename": "Refund",
				"id": gid("Refund", rn),
				"legacyResourceId": str(rn),
				"note": note,
				"createdAt": stamp,
				"updatedAt": stamp,
				"refundLineItems": refund_lines,
				"refundShippingLines": shipping_lines,
				"orderAdjustments": adjustments,
				"transactions": [],
				"_n": rn,
				"_transaction": None,
			}
			self._put(order, refund, "totalRefundedSet", paid_back)
			if paid_back > 0:
				sale = self._refund_gateway(order)
				transaction = self._new_transaction(
					order,
					"REFUND",
					paid_back,
					stamp,
					gateway or (sale["gateway"] if sale else "manual"),
					parent=sale,
				)
				order["transactions"].append(transaction)
				refund["transactions"].append(transaction)
				refund["_transaction"] = transaction
			order["refunds"].append(refund)
			if of_return is not None:
				of_return.setdefault("refunds", []).append(refund)
			self._recompute(order)
			self._update_financial_status(order)
			self._update_fulfillment_status(order)
			self._bump(order, at)
			return refund
