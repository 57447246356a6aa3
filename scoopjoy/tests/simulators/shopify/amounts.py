"""Money arithmetic of the Shopify simulator: two-decimal strings, Shopify's Decimal, cents, pro-rata
splits to the cent, tax shares, and discounts as the helpers take them.

Not exact (Shopify does not document it): how Shopify rounds a tax or discount split over lines
(here: half up per line, largest remainder for splits).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: https://shopify.dev/docs/api/admin-graphql/latest/interfaces/DiscountApplication (implementations)
DISCOUNT_TYPENAMES = {
	"code": "DiscountCodeApplication",
	"manual": "ManualDiscountApplication",
	"automatic": "AutomaticDiscountApplication",
	"script": "ScriptDiscountApplication",
}
DEFAULT_DISCOUNT_TITLES = {
	"manual": "Custom discount",
	"automatic": "Automatic discount",
	"script": "Script discount",
}
_CENT = Decimal("0.01")


def money(value: Any) -> str:
	"""Two-decimal string ("12.50") of a number or numeric string."""
	return str(Decimal(str(value)).quantize(_CENT))


def shopify_decimal(value: Any) -> str:
	"""How the GraphQL API writes a Decimal: no trailing zeros but at least one decimal ("12.5", "10.0")."""
	d = Decimal(str(value)).normalize()
	s = format(d, "f")
	return s if "." in s else s + ".0"


def _dec(value: Any) -> Decimal:
	"""A Decimal from a number or numeric string (None: 0)."""
	if value is None:
		return Decimal(0)
	if isinstance(value, Decimal):
		return value
	return Decimal(str(value))


def cents(value: Any) -> Decimal:
	"""Rounded to the cent, half up."""
	return _dec(value).quantize(_CENT, rounding=ROUND_HALF_UP)


def allocate(total: Any, weights: Iterable[Any]) -> list[Decimal]:
	"""``total`` split over ``weights`` pro rata, to the cent, by largest remainder (ties: first).

	The parts always add up to ``total`` exactly; all-zero weights share it equally.
	"""
	shares = [max(Decimal(0), _dec(w)) for w in weights]
	if not shares:
		return []
	units = int(cents(total) * 100)
	sign = -1 if units < 0 else 1
	units = abs(units)
	whole = sum(shares, Decimal(0))
	if whole == 0:
		shares = [Decimal(1)] * len(shares)
		whole = Decimal(len(shares))
	raw = [units * w / whole for w in shares]
	parts = [int(r) for r in raw]
	for i in sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))[: units - sum(parts)]:
		parts[i] += 1
	return [(Decimal(sign * p) / 100).quantize(_CENT) for p in parts]


def share(amount: Decimal, part: int, whole: int) -> Decimal:
	"""The cents of ``amount`` that ``part`` of ``whole`` units carry (all of it for all units)."""
	if part <= 0 or not whole:
		return Decimal("0.00")
	if part >= whole:
		return amount
	return cents(amount * part / whole)


def portion(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
	"""Like :func:`share` for money weights (a tax share of a partly refunded shipping price)."""
	if part <= 0:
		return Decimal("0.00")
	if whole <= 0 or part >= whole:
		return amount
	return cents(amount * part / whole)


def tax_amount(base: Decimal, rate: Any, included: bool) -> Decimal:
	"""Tax on ``base`` at ``rate``: base x rate, or base x rate / (1 + rate) when prices include tax."""
	r = _dec(rate)
	return cents(base * r / (1 + r)) if included else cents(base * r)


def discount_spec(value: Any, *, kind: str = "manual", code: str | None = None) -> dict:
	"""A discount given as an amount ("5.00"), a percentage ("10%") or a mapping ``{"value" |
	"amount" | "percentage", "type": "code" | "manual" | "automatic" | "script", "code", "title",
	"description"}``, normalised."""
	spec = dict(value) if isinstance(value, Mapping) else {"value": value}
	if spec.get("value") is None:
		spec["value"] = f"{spec['percentage']}%" if spec.get("percentage") is not None else spec.get("amount")
	if spec["value"] is None:
		raise ValueError(f"a discount needs a value: {value!r}")
	text = str(spec["value"]).strip()
	if text.endswith("%"):
		value_type, amount = "percentage", Decimal(text[:-1].strip())
	else:
		value_type, amount = "fixed_amount", cents(text)
	kind = spec.get("type") or ("code" if spec.get("code") else kind)
	if kind not in DISCOUNT_TYPENAMES:
		raise ValueError(f"unknown discount type {kind!r}")
	return {
		"type": kind,
		"value_type": value_type,
		"value": amount,
		"code": spec.get("code") or code or "DISCOUNT",
		"title": spec.get("title") or DEFAULT_DISCOUNT_TITLES.get(kind, "Discount"),
		"description": spec.get("description"),
	}
