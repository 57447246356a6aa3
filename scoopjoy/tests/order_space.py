"""The space of Shopify orders the money must be right on: Hypothesis strategies for order specs,
and :func:`make_order`, which plays one spec into the Shopify simulator the way a shop would
(the order, its edits, its payments, its refunds).

Shared by the kernel's property test (tests/kernel/test_shopify_booking_properties.py) and the bench
test that imports generated orders end to end (scoopjoy/tests/test_shopify_order_space.py). Test
support only: no frappe, never imported by the app.

What is drawn: 1-3 lines of 1-50 units at awkward prices (0.99, 1.99, 3.33, 7.77, 99.99, a free
sample at 0.00, any cent up to 250), none, one or two tax lines per line (same title at different rates too), taxes included
or not, line, order and shipping discounts up to 100 % (amounts and percentages, codes), taxed
shipping, tips, duties, a presentment currency other than the shop's at an awkward rate, edits that
remove units, payments by card, gift card, store credit, manual and cash with rounding, and refunds
of units (each restock type), of shipping, and of an amount with its VAT.
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

# Hypothesis caches in ./.hypothesis of the working directory (a bench's sites/ under Frappe's
# runner): elsewhere, unless the caller chose a place (the test command does)
os.environ.setdefault(
	"HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "scoopjoy-hypothesis")
)

AWKWARD_PRICES = ("0.99", "1.99", "3.33", "7.77", "99.99", "4.00", "0.01", "12.50", "0.00")
TAXES = (
	("VAT", "0.2"),
	("VAT", "0.05"),
	("GST", "0.05"),
	("PST", "0.07"),
	("State", "0.0625"),
	("County", "0.0125"),
)
#: presentment units per shop unit (shop: HKD): awkward, as real rates are
RATES = {"USD": ("0.1281", "0.12847"), "EUR": ("0.1173", "0.11", "0.1197")}
GATEWAYS = ("shopify_payments", "gift_card", "shopify_store_credit", "manual", "cash")


def _price() -> st.SearchStrategy[str]:
	cents = st.integers(min_value=1, max_value=25000).map(lambda c: str(Decimal(c) / 100))
	return st.one_of(st.sampled_from(AWKWARD_PRICES), cents)


def _discount(max_percent: int = 100) -> st.SearchStrategy[str | None]:
	return st.one_of(
		st.none(),
		st.integers(min_value=1, max_value=max_percent).map(lambda p: f"{p}%"),
		st.sampled_from(("0.50", "1.00", "5.00", "12.34")),
	)


def _taxes() -> st.SearchStrategy[list[dict]]:
	return st.lists(st.sampled_from(TAXES), max_size=2, unique=True).map(
		lambda found: [{"title": title, "rate": rate} for title, rate in found]
	)


@st.composite
def order_specs(draw, *, refunds: bool = True, edits: bool = True, cash: bool = True) -> dict[str, Any]:
	"""One order as a shop could produce it, with what happens to it afterwards."""
	lines = draw(
		st.lists(
			st.fixed_dictionaries(
				{
					"price": _price(),
					"quantity": st.integers(min_value=1, max_value=50),
					"tax_lines": _taxes(),
					"discount": _discount(),
				}
			),
			min_size=1,
			max_size=3,
		)
	)
	presentment = draw(st.one_of(st.none(), st.sampled_from(sorted(RATES))))
	spec: dict[str, Any] = {
		"lines": lines,
		"taxes_included": draw(st.booleans()),
		"discount": draw(_discount(max_percent=100)),
		"discount_code": draw(st.sampled_from((None, "SCOOP10"))),
		"shipping": draw(
			st.lists(
				st.fixed_dictionaries({"price": _price(), "tax_lines": _taxes()}), min_size=0, max_size=2
			)
		),
		"shipping_discount": draw(st.sampled_from((None, "100%", "50%", "1.00"))),
		"tip": draw(st.sampled_from((None, None, "2.00", "0.99"))),
		"duties": draw(st.sampled_from((None, None, "3.21"))),
		"presentment": presentment,
		"rate": draw(st.sampled_from(RATES[presentment])) if presentment else None,
		"payments": draw(
			st.lists(st.sampled_from(GATEWAYS[:-1] + ((GATEWAYS[-1],) if cash else ())), max_size=2)
		),
		"cash_rounding": draw(st.sampled_from(("-0.02", "0.01", "-0.01", "0.02"))),
		"edit": draw(st.one_of(st.none(), st.integers(min_value=1, max_value=3))) if edits else None,
		"refunds": draw(
			st.lists(
				st.fixed_dictionaries(
					{
						"kind": st.sampled_from(("units", "units", "shipping", "amount", "all")),
						"restock": st.sampled_from(("RETURN", "CANCEL", "NO_RESTOCK")),
						"units": st.integers(min_value=1, max_value=5),
					}
				),
				max_size=2,
			)
		)
		if refunds
		else [],
	}
	if spec["discount"] is None:
		spec["discount_code"] = None
	return spec


def make_order(sim, spec: dict[str, Any], *, after_payment=None, **order_kwargs: Any) -> dict:
	"""Play ``spec`` into ``sim`` (a ShopifySimulator); the stored order record. ``line``: fields for
	every line (e.g. its variant); ``after_payment(order)``: called once the order is paid, before its
	refunds (e.g. to import it then, as a webhook would); the other keyword arguments go to
	``add_order``."""
	for_every_line = order_kwargs.pop("line", {})
	order = sim.add_order(
		lines=[
			{
				"price": line["price"],
				"quantity": line["quantity"],
				"tax_lines": line["tax_lines"],
				"discount": line["discount"],
				**for_every_line,
			}
			for line in spec["lines"]
		],
		taxes_included=spec["taxes_included"],
		discount=spec["discount"],
		discount_code=spec["discount_code"],
		shipping_lines=[
			{"title": f"Ship {i}", "price": s["price"], "tax_lines": s["tax_lines"]}
			for i, s in enumerate(spec["shipping"])
		],
		shipping_discount=spec["shipping_discount"] if spec["shipping"] else None,
		tip=spec["tip"],
		duties=spec["duties"],
		presentment_currency=spec["presentment"],
		presentment_rate=spec["rate"],
		**order_kwargs,
	)
	if spec["edit"]:
		first = order["lineItems"][0]
		units = min(spec["edit"], first["currentQuantity"] - 1)
		if units > 0:
			sim.edit_order(order["id"], remove={0: units})
	_pay(sim, order, spec)
	if after_payment is not None:
		after_payment(order)
	for refund in spec["refunds"]:
		_refund(sim, order, refund)
	return order


def _outstanding(sim, order) -> Decimal:
	return sim._pget(order, "totalOutstandingSet")


def _pay(sim, order: dict, spec: dict) -> None:
	gateways = spec["payments"]
	for index, gateway in enumerate(gateways):
		outstanding = _outstanding(sim, order)
		if outstanding <= 0:
			return
		last = index == len(gateways) - 1
		amount = outstanding if last else max(Decimal("0.01"), (outstanding / 3).quantize(Decimal("0.01")))
		rounding = spec["cash_rounding"] if gateway == "cash" else None
		sim.add_transaction(order["id"], "SALE", amount, gateway=gateway, rounding=rounding)


def _refund(sim, order: dict, refund: dict) -> None:
	paid = sim._pget(order, "totalReceivedSet") - sim._pget(order, "totalRefundedSet")
	if paid <= 0:
		return
	goods = [line for line in order["lineItems"] if line["currentQuantity"] > 0 and not line.get("_tip")]
	kind = refund["kind"]
	try:
		if kind == "units" and goods:
			line = goods[0]
			sim.refund(
				order["id"],
				{line["id"]: min(refund["units"], line["currentQuantity"])},
				restock_type=refund["restock"],
			)
		elif kind == "all" and goods:
			sim.refund(
				order["id"],
				{line["id"]: line["currentQuantity"] for line in goods},
				restock_type=refund["restock"],
				shipping=True,
			)
		elif kind == "shipping" and order["shippingLines"]:
			sim.refund(order["id"], [], shipping=True)
		elif kind == "amount":
			amount = min(paid, Decimal("5.00"))
			# VAT inside an amount-only refund, at the order's first tax rate when it has one
			rates = [Decimal(str(t["rate"])) for line in goods for t in line["taxLines"]]
			vat = (amount * rates[0] / (1 + rates[0])).quantize(Decimal("0.01")) if rates else None
			sim.refund(order["id"], [], amount=amount, refund_tax=vat)
	except ValueError:
		return  # nothing of that kind left to refund (the simulator refuses, as Shopify would)
