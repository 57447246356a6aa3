"""Orders of the Shopify simulator: creation, generated orders, changes, edits, cancellation, archiving.

- Orders and their money: https://shopify.dev/docs/api/admin-graphql/latest/objects/Order and the
  objects it links (LineItem, ShippingLine, TaxLine, MoneyBag, DiscountApplication,
  DiscountAllocation, OrderTransaction, Refund, RefundShippingLine, OrderAdjustment, Shop). Every
  ``*Set`` is a MoneyBag in the shop currency and the order's presentment currency (each amount
  converted on its own, so converted parts may miss a converted total by cents, as on Shopify);
  per-line and per-shipping-line tax lines, order-level taxes split over the lines to the cent;
  discount applications and their allocations (codes, manual, automatic, script; free shipping);
  ``total*`` as at creation and ``current*`` after edits, refunds and cancellation;
  transactions (sale, authorisation, capture, void, refund, change) driving
  ``displayFinancialStatus``, ``totalReceivedSet``, ``totalOutstandingSet``; refunds with line
  and shipping tax shares and refund discrepancies; order edits, tips, gift cards, duties and
  additional fees. The rules are in the comment at the top of :class:`OrdersMixin`, above
  :meth:`OrdersMixin.add_order`; the figures are computed in :mod:`.order_money` and
  :mod:`.order_totals`, transactions and refunds live in :mod:`.payments`, fulfilments in
  :mod:`.fulfillment`.

Not modelled: duties per line (``LineItem.duties``), order-edit sessions (``orderEditBegin``...; an
edit is applied at once), removed shipping lines, returns and exchanges, sales agreements.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from scoopjoy.tests.simulators.shopify.amounts import allocate, cents, discount_spec, tax_amount
from scoopjoy.tests.simulators.shopify.common import gid, parse_datetime, to_iso


class OrdersMixin:
	"""Of :class:`~.server.ShopifySimulator`: orders and the changes made to them."""

	# --- orders ---------------------------------------------------------------------------------------
	#
	# Money, as Shopify documents it for the Order object
	# (https://shopify.dev/docs/api/admin-graphql/latest/objects/Order) and its parts:
	#
	# - Every ``*Set`` field is a MoneyBag (https://shopify.dev/docs/api/admin-graphql/latest/objects/MoneyBag):
	#   ``shopMoney`` in the shop's currency, ``presentmentMoney`` in the currency the customer paid.
	#   The helpers take every amount in *presentment* money and convert each field on its own:
	#   shop = presentment / rate, rounded half up to the cent. Sums of converted parts may therefore
	#   differ by a few cents from the converted total (Shopify converts each field separately too);
	#   the presentment figures always add up exactly.
	# - Stored records keep the shop amount as a "12.50" string under the GraphQL field name (so
	#   ``Decimal(order["totalPriceSet"])`` is the shop total, as before) and, when the presentment
	#   currency differs, the presentment amount in ``record["_pm"][field]`` (``record["_pc"]``: its
	#   currency).
	# - LineItem (https://shopify.dev/docs/api/admin-graphql/latest/objects/LineItem): ``totalDiscountSet``,
	#   ``discountedUnitPriceSet`` and ``discountedTotalSet`` hold line-level discounts only (an
	#   order-level discount code "isn't included", as documented; it shows in
	#   ``discountAllocations`` and ``discountedUnitPriceAfterAllDiscountsSet``); ``taxLines`` are
	#   the line's taxes for its original quantity (TaxLine:
	#   https://shopify.dev/docs/api/admin-graphql/latest/objects/TaxLine).
	# - Discounts (https://shopify.dev/docs/api/admin-graphql/latest/interfaces/DiscountApplication,
	#   .../objects/DiscountAllocation): an order-level discount is one application (ACROSS, ALL,
	#   LINE_ITEM) allocated to the lines pro rata to what they cost after their own discounts,
	#   largest remainder to the cent; a line's ``discount`` is an application of its own (ACROSS,
	#   EXPLICIT); a shipping discount is EACH, ALL, SHIPPING_LINE and lowers the ShippingLine's
	#   ``discountedPriceSet`` (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShippingLine).
	# - Order-level ``tax_lines`` (the older helper API) are split over the taxable lines the same
	#   way, so ``Order.taxLines`` (the per-title sum of line and shipping tax lines) equals their sum.
	# - ``total*``/``subtotal*`` figures are as at creation; ``current*`` ones follow order edits,
	#   refunds, removals and cancellation: a line's current share of an amount is the amount less
	#   ``amount x (quantity - currentQuantity) / quantity`` rounded to the cent, which is also
	#   what a refund of those units carries, so current = original - refunded, to the cent.
	# - Transactions (https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderTransaction):
	#   ``totalReceivedSet`` = successful SALE + CAPTURE - CHANGE; ``totalRefundedSet`` = successful
	#   REFUND; ``totalOutstandingSet`` = currentTotalPrice - (received - refunded), negative when
	#   the shop owes the customer; ``totalCapturableSet`` = authorised, not yet captured or voided.
	# - Refunds (https://shopify.dev/docs/api/admin-graphql/latest/objects/Refund): line subtotals
	#   after all discounts plus the line tax share, refunded shipping with its tax share; an amount
	#   that differs from that (an amount-only refund) is an OrderAdjustment REFUND_DISCREPANCY of
	#   calculated - refunded (https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderAdjustment),
	#   which counts in the current total.

	def _variant_for(self, spec: Mapping[str, Any]) -> dict | None:
		if spec.get("variant") is not None:
			return self._find(self.variants, "ProductVariant", spec["variant"])
		if spec.get("variant_id") is not None:
			return self._find(self.variants, "ProductVariant", spec["variant_id"])
		if spec.get("sku"):
			return next((v for v in self.variants.values() if v.get("sku") == spec["sku"]), None)
		return None

	def _ensure_catalog(self) -> list[dict]:
		if not self.variants:
			for i, flavour in enumerate(("Vanilla", "Chocolate", "Strawberry", "Mango", "Pistachio")):
				self.add_product(
					f"{flavour} Scoop",
					variants=[
						{
							"sku": f"{flavour[:3].upper()}-S",
							"price": f"{3 + i}.50",
							"option": "Small",
							"available": 100,
						},
						{
							"sku": f"{flavour[:3].upper()}-L",
							"price": f"{5 + i}.00",
							"option": "Large",
							"available": 100,
						},
					],
				)
		return list(self.variants.values())

	def get_order(self, order_id: Any) -> dict:
		with self.lock:
			return self._find(self.orders, "Order", order_id)

	def add_order(
		self,
		*,
		customer: Any = "new",
		lines: Iterable[Mapping[str, Any]] | None = None,
		created_at: datetime | str | None = None,
		updated_at: datetime | str | None = None,
		processed_at: datetime | str | None = None,
		email: str | None = None,
		phone: str | None = None,
		shipping_address: Mapping[str, Any] | None = None,
		billing_address: Mapping[str, Any] | None = None,
		shipping_lines: Iterable[Mapping[str, Any]] | None = None,
		tax_lines: Iterable[Mapping[str, Any]] | None = None,
		discount: Any = None,
		taxes_included: bool = False,
		financial_status: str = "PENDING",
		test: bool = False,
		note: str | None = None,
		tags: Iterable[str] = (),
		presentment_currency: str | None = None,
		presentment_rate: Decimal | str | float | None = None,
		discount_code: str | None = None,
		shipping_discount: Any = None,
		tip: Any = None,
		duties: Any = None,
		additional_fees: Any = None,
	) -> dict:
		"""Create an order and return its stored record (see the money notes above this method).

		``customer``: a record or id from :meth:`add_customer`, ``"new"`` (a fresh one) or None (guest).
		``lines``: ``[{"variant_id" | "variant" | "sku", "quantity", "price", "title", "discount",
		"tax_lines", "gift_card", "custom", "taxable", "requires_shipping"}]``; a line with none of
		variant/variant_id/sku (or ``"deleted": True``, or ``"custom": True`` with a ``title``) has no
		product or variant (a custom line, or one whose product no longer exists). Default: one line
		of the first variant. A line's ``discount`` is an amount ("1.00"), a percentage ("10%") or
		``{"value", "type": "manual"|"automatic"|"script"|"code", "title", "code"}``; its
		``tax_lines`` are ``[{"title", "rate", "price", "channel_liable"}]`` (price defaults to rate x
		the line after discounts, or that x rate / (1 + rate) when ``taxes_included``).
		``shipping_lines``: ``[{"title", "price", "code", "tax_lines"}]`` (default one "Standard" line
		at 5.00). ``tax_lines``: order-level ``[{"title", "rate", "price"}]`` (price defaults to rate
		x the lines after discounts), split over the taxable lines without tax lines of their own.
		``discount``: an order-level discount (amount, "10%" or a mapping as for lines), a
		DiscountCodeApplication named ``discount_code`` when given, else a manual one.
		``shipping_discount``: like ``discount`` but on the shipping lines ("100%" is free shipping;
		a code application, default code "FREESHIPPING"). ``tip``: a "Tip" line (no product, not
		taxable, not shippable, never fulfilled; ``totalTipReceivedSet``). ``duties``,
		``additional_fees``: amounts added to the total (``originalTotalDutiesSet``...; null when
		not given). ``presentment_currency`` with ``presentment_rate`` (presentment units per 1 shop
		unit): every price given here is in that currency. Timestamps: datetimes or ISO strings.
		"""
		with self.lock:
			if customer == "new":
				customer_record = self.add_customer()
			elif customer is None:
				customer_record = None
			else:
				customer_record = self._find(self.customers, "Customer", customer)
			line_specs = (
				list(lines)
				if lines is not None
				else [{"variant": self._ensure_catalog()[0]["id"], "quantity": 1}]
			)
			if discount_code and discount in (None, 0, "0", ""):
				raise ValueError("discount_code needs the discount it gives (discount=...)")
			currency, rate = self._presentment(presentment_currency, presentment_rate)
			order_n = self._next_id("Order")
			number = next(self._order_numbers)
			created = to_iso(created_at) if created_at else self._now_iso()
			order: dict[str, Any] = {
				"__typename": "Order",
				"id": gid("Order", order_n),
				"legacyResourceId": str(order_n),
				"presentmentCurrencyCode": currency,
				"currencyCode": self.currency,
				"taxesIncluded": taxes_included,
				"discountApplications": [],
			}
			if rate is not None:
				order["_rate"] = rate
			items = [self._new_line(order, spec) for spec in line_specs]
			if discount not in (None, 0, "0", "0.00", ""):
				spec = discount_spec(discount, kind="code" if discount_code else "manual", code=discount_code)
				eligible = [line for line in items if not line["isGiftCard"]]
				weights = [self._line_net(line) for line in eligible]
				base = sum(weights, Decimal(0))
				amount = (
					cents(base * spec["value"] / 100)
					if spec["value_type"] == "percentage"
					else min(base, spec["value"])
				)
				application = self._discount_application(
					order,
					spec,
					target_type="LINE_ITEM",
					target_selection="ALL",
					allocation_method="ACROSS",
					level="order",
				)
				for line, part in zip(eligible, allocate(amount, weights), strict=True):
					if part:
						self._allocate_to(order, application, line, part)
			if tip not in (None, 0, "0", "0.00", ""):
				items.append(self._new_line(order, {"tip": True, "title": "Tip", "price": tip}))
			for line in items:
				self._line_figures(order, line)
			# taxes: a line's own, then the order-level ones split over the other taxable lines
			for line, spec in zip(items, line_specs, strict=False):
				if spec.get("tax_lines") is not None:
					self._line_taxes(order, line, spec["tax_lines"])
			order_taxes = list(tax_lines or [])
			if order_taxes:
				targets = [
					line
					for line, spec in zip(items, line_specs, strict=False)
					if spec.get("tax_lines") is None and line["taxable"]
				]
				if not targets:
					raise ValueError("order-level tax_lines need a taxable line without tax_lines of its own")
				nets = [self._line_net(line) for line in targets]
				for spec in order_taxes:
					amount = (
						cents(spec["price"])
						if spec.get("price") is not None
						else tax_amount(sum(nets, Decimal(0)), spec.get("rate", 0), taxes_included)
					)
					for line, part in zip(targets, allocate(amount, nets), strict=True):
						line["taxLines"].append(self._tax_line(order, spec, part))
				order["_order_taxes"] = [
					{k: spec[k] for k in ("title", "rate", "channel_liable") if k in spec}
					for spec in order_taxes
				]
			shipping_specs = (
				list(shipping_lines)
				if shipping_lines is not None
				else [{"title": "Standard", "price": "5.00"}]
			)
			shipping = [self._new_shipping_line(order, spec) for spec in shipping_specs]
			if shipping_discount not in (None, 0, "0", "0.00", ""):
				spec = discount_spec(shipping_discount, kind="code", code="FREESHIPPING")
				application = self._discount_application(
					order,
					spec,
					target_type="SHIPPING_LINE",
					target_selection="ALL",
					allocation_method="EACH",
					level="shipping",
				)
				for record in shipping:
					price = self._pget(record, "originalPriceSet")
					part = (
						cents(price * spec["value"] / 100)
						if spec["value_type"] == "percentage"
						else min(price, spec["value"])
					)
					if part:
						self._allocate_to(order, application, record, part)
			for record, spec in zip(shipping, shipping_specs, strict=True):
				self._shipping_figures(order, record, spec)
			address = (
				dict(shipping_address)
				if shipping_address
				else (dict(customer_record["defaultAddress"]) if customer_record else None)
			)
			if address is not None:
				address.setdefault("__typename", "MailingAddress")
				address.setdefault("id", gid("MailingAddress", self._next_id("MailingAddress")))
			billing = dict(billing_address) if billing_address else address
			if email is None and customer_record and customer_record["defaultEmailAddress"]:
				email = customer_record["defaultEmailAddress"]["emailAddress"]
			order.update(
				{
					"name": f"#{number}",
					"email": email,
					"phone": phone,
					"note": note,
					"tags": list(tags),
					"createdAt": created,
					"updatedAt": to_iso(updated_at) if updated_at else created,
					"processedAt": to_iso(processed_at) if processed_at else created,
					"cancelledAt": None,
					"cancelReason": None,
					"closedAt": None,
					"test": test,
					"displayFinancialStatus": financial_status,
					"displayFulfillmentStatus": "UNFULFILLED",
					"customer": customer_record,
					"shippingAddress": address,
					"billingAddress": billing,
					"lineItems": items,
					"shippingLines": shipping,
					"transactions": [],
					"fulfillments": [],
					"refunds": [],
					"_n": order_n,
					"_number": number,
				}
			)
			if duties is not None:
				order["_duties"] = cents(duties)
			if additional_fees is not None:
				order["_fees"] = cents(additional_fees)
			self._recompute(order)
			self.orders[order_n] = order
			return order

	def generate_orders(
		self,
		n: int,
		*,
		start: datetime | str | None = None,
		spacing: float | timedelta = 60.0,
		lines_per_order: tuple[int, int] = (1, 3),
		customers: int = 50,
		seed: int = 7,
		mix: bool = True,
	) -> list[str]:
		"""``n`` orders created ``spacing`` apart from ``start`` (default: so the last is now); their ids.

		Shares a small catalog and a pool of ``customers``. With ``mix``, about 1 in 3 is paid, 1 in 5
		paid and fulfilled, 1 in 20 cancelled, so ``status:`` filters have something to filter.
		"""
		step = spacing if isinstance(spacing, timedelta) else timedelta(seconds=float(spacing))
		rng = random.Random(seed)
		with self.lock:
			variants = self._ensure_catalog()
			begin = (parse_datetime(start) if isinstance(start, str) else start) or (self.now() - step * n)
			pool = [self.add_customer(f"Guest{i}", "Buyer") for i in range(max(1, customers))]
			ids = []
			for i in range(n):
				stamp = begin + step * i
				chosen = rng.sample(variants, k=min(len(variants), rng.randint(*lines_per_order)))
				order = self.add_order(
					customer=pool[i % len(pool)],
					lines=[{"variant": v["id"], "quantity": rng.randint(1, 3)} for v in chosen],
					created_at=stamp,
					tax_lines=[{"title": "GST", "rate": 0.05}],
				)
				if mix:
					if i % 20 == 19:
						self._cancel(order, "CUSTOMER", stamp)
					elif i % 5 == 4:
						self._mark_paid(order, stamp)
						self._fulfill(order, None, stamp)
					elif i % 3 == 2:
						self._mark_paid(order, stamp)
				ids.append(order["id"])
			return ids

	def _bump(self, order: dict, at: datetime | str | None = None) -> None:
		if at is not None:
			order["updatedAt"] = to_iso(at)
			return
		now = self.now()
		previous = parse_datetime(order["updatedAt"])
		order["updatedAt"] = to_iso(max(now, previous + timedelta(seconds=1)))

	def update_order(
		self, order_id: Any, *, updated_at: datetime | str | None = None, **changes: Any
	) -> dict:
		"""Change GraphQL fields of an order (``email=``, ``note=``, ``tags=``...) and bump updatedAt.

		``updatedAt`` moves to now, or one second past its previous value if that is later.
		"""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			for key, value in changes.items():
				if key.startswith("_") or key in ("id", "legacyResourceId"):
					raise ValueError(f"{key} cannot be changed")
				order[key] = value
			self._bump(order, updated_at)
			return order

	def edit_order(
		self,
		order_id: Any,
		*,
		remove: Mapping[Any, int] | Iterable[tuple[Any, int]] | None = None,
		add: Iterable[Mapping[str, Any]] | None = None,
		at: Any = None,
		add_shipping: Iterable[Mapping[str, Any]] | None = None,
		shipping_price: Mapping[Any, Any] | None = None,
	) -> dict:
		"""An order edit (https://shopify.dev/docs/apps/build/orders-fulfillment/order-management-apps/edit-orders).

		``remove``: {line item id or index: quantity} taken off unfulfilled units: ``currentQuantity``
		drops, ``quantity`` stays the original. ``add``: line specs as for :meth:`add_order` (taxed
		with their own ``tax_lines``, else at the order-level tax rates). ``add_shipping``: shipping
		line specs as for :meth:`add_order`; ``shipping_price``: {shipping line index or title: new
		price} (its tax lines recomputed at their rates): ``orderEditAddShippingLine`` and
		``orderEditUpdateShippingLine`` (https://shopify.dev/docs/api/admin-graphql/latest/mutations/orderEditUpdateShippingLine).
		``current*`` totals follow,
		``total*`` stay as at creation; ``edited`` becomes true and updatedAt moves. Returns the order.
		"""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			pairs = remove.items() if isinstance(remove, Mapping) else (remove or [])
			for ref, qty in [(self._line(order, ref), int(qty)) for ref, qty in pairs]:
				left = ref["currentQuantity"] - ref["_fulfilled"]
				if qty > left:
					raise ValueError(f"cannot remove {qty} of {ref['title']}: only {left} unfulfilled")
				ref["currentQuantity"] -= qty
				ref["_removed"] += qty
			for spec in add or []:
				line = self._new_line(order, spec, added=True)
				self._line_figures(order, line)
				if spec.get("tax_lines") is not None:
					self._line_taxes(order, line, spec["tax_lines"])
				elif line["taxable"] and not line.get("_tip"):
					self._line_taxes(order, line, order.get("_order_taxes") or [])
				order["lineItems"].append(line)
			for spec in add_shipping or []:
				record = self._new_shipping_line(order, spec)
				self._shipping_figures(order, record, spec)
				order["shippingLines"].append(record)
			for ref, price in (shipping_price or {}).items():
				record = next(
					r for i, r in enumerate(order["shippingLines"]) if ref in (i, r["title"], r["id"])
				)
				taxes = [{"title": t["title"], "rate": t["rate"]} for t in record["taxLines"]]
				self._put(order, record, "originalPriceSet", cents(price))
				record["discountAllocations"] = []
				self._shipping_figures(order, record, {"tax_lines": taxes})
			order["_edited"] = True
			self._recompute(order)
			self._update_financial_status(order)
			self._update_fulfillment_status(order)
			self._bump(order, at)
			return order

	def cancel(self, order_id: Any, reason: str = "CUSTOMER", *, at: Any = None) -> dict:
		"""Cancel (and close) an order; unpaid orders become VOIDED; line current quantities drop to 0."""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			self._cancel(order, reason, at)
			return order

	def _cancel(self, order: dict, reason: str, at: Any) -> None:
		stamp = to_iso(at) if at else self._now_iso()
		order["cancelledAt"] = stamp
		order["cancelReason"] = reason.upper()
		order["closedAt"] = stamp
		if order["displayFinancialStatus"] in ("PENDING", "AUTHORIZED"):
			order["displayFinancialStatus"] = "VOIDED"
		for line in order["lineItems"]:
			line["currentQuantity"] = line["_fulfilled"]
		self._recompute(order)
		self._bump(order, at)

	def close(self, order_id: Any, *, at: Any = None) -> dict:
		"""Archive an order (closedAt), as Shopify does after fulfilment when auto-archive is on."""
		with self.lock:
			order = self._find(self.orders, "Order", order_id)
			order["closedAt"] = to_iso(at) if at else self._now_iso()
			self._bump(order, at)
			return order
