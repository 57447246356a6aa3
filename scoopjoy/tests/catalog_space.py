"""Generated Shopify catalogs, for the catalog import's properties (kernel) and bench tests.

A product has no options (its one "Default Title" variant) or one to three options of one to four
values, every combination a variant (more than a catalog page's 20 variants at times), each with a
price of awkward cents and a SKU that is absent, unique, or shared with another variant (Shopify
does not make SKUs unique). Titles run past ERPNext's 140-character item names and carry
non-ASCII letters. Products are made with ``productSet`` as Shopify documents it
(https://shopify.dev/docs/api/admin-graphql/latest/mutations/productSet).
"""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

from hypothesis import strategies as st

OPTION_NAMES = ("Size", "Flavour", "Cone", "Topping")
VALUES = ("Small", "Large", "Mango", "Ube", "Pistachio", "Waffle", "Sprinkles", "Matcha Crème")
WORDS = ("Scoop", "Sundae", "Gelato", "Sorbet", "Crème", "Brûlée", "Kakigōri", "Double", "Fudge")


def _product(title: str, options: list[tuple[str, list[str]]], prices: list, skus: list) -> dict:
	combos = list(itertools.product(*[values for _name, values in options])) if options else [()]
	return {
		"title": title,
		"options": options,
		"variants": [
			{"values": combo, "price": str(prices[i % len(prices)]), "sku": skus[i % len(skus)]}
			for i, combo in enumerate(combos)
		],
	}


@st.composite
def product_specs(draw, sku_pool: int = 40) -> dict:
	words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30))
	title = " ".join(words)[:255]
	names = draw(st.lists(st.sampled_from(OPTION_NAMES), max_size=3, unique=True))
	options = [
		(name, draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=4, unique=True))) for name in names
	]
	size = max(1, len(list(itertools.product(*[v for _n, v in options]))) if options else 1)
	prices = draw(
		st.lists(
			st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2),
			min_size=size,
			max_size=size,
		)
	)
	skus = draw(
		st.lists(
			st.one_of(st.none(), st.integers(min_value=1, max_value=sku_pool).map(lambda n: f"SJ-{n:04d}")),
			min_size=size,
			max_size=size,
		)
	)
	return _product(title, options, prices, skus)


def catalog_specs(max_products: int = 10) -> st.SearchStrategy:
	return st.lists(product_specs(), min_size=0, max_size=max_products)


def random_catalog(rng: random.Random, products: int, sku_prefix: str = "SJ") -> list[dict]:
	"""A seeded catalog of ``products`` products shaped like :func:`product_specs` (for bench tests
	and the benchmark, where Hypothesis would make each example a site's worth of Items)."""
	specs = []
	for n in range(products):
		title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 30)))[:255]
		names = rng.sample(OPTION_NAMES, rng.choice((0, 0, 1, 1, 2, 3)))
		options = [(name, rng.sample(VALUES, rng.randint(2 if len(names) == 3 else 1, 3))) for name in names]
		size = len(list(itertools.product(*[v for _n, v in options]))) if options else 1
		prices = [Decimal(rng.randint(1, 99999)) / 100 for _ in range(size)]
		skus = [
			None
			if rng.random() < 0.2
			else f"{sku_prefix}-{n:05d}-{i}"
			if rng.random() < 0.97
			else f"{sku_prefix}-SHARED"
			for i in range(size)
		]
		specs.append(_product(title, options, prices, skus))
	return specs


def add_catalog(sim, specs: list[dict]) -> list[dict]:
	"""The products in the simulator; returns Shopify's product records."""
	made = []
	for spec in specs:
		options = spec["options"] or [("Title", ["Default Title"])]
		product_input = {
			"title": spec["title"],
			"variants": [
				{
					"optionValues": [
						{"optionName": name, "name": value}
						for (name, _values), value in zip(
							options, variant["values"] or ("Default Title",), strict=True
						)
					],
					"price": variant["price"],
					"inventoryItem": {"sku": variant["sku"]},
				}
				for variant in spec["variants"]
			],
		}
		if spec["options"]:
			product_input["productOptions"] = [
				{"name": name, "values": [{"name": v} for v in values]} for name, values in spec["options"]
			]
		payload = sim.product_set(product_input, None)
		assert not payload["userErrors"], payload["userErrors"]
		made.append(payload["product"])
	return made
