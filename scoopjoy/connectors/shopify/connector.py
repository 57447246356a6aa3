"""ShopifyConnector: the GraphQL Admin API of one shop, declared on BaseConnector.

Declarations only: the base class gives the retrying transport, the shop's circuit breaker and
the shop's cost bucket in Redis (2,000 points, 100/s on the Standard plan, then whatever
Shopify reports in ``throttleStatus``), and the call log. GraphQL specifics (cost, THROTTLED in a
200, userErrors) live in ``graphql_client.py``.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from scoopjoy.connectors.base import BaseConnector
from scoopjoy.connectors.shopify import constants, queries
from scoopjoy.connectors.shopify.graphql_client import (
	RedisCostMemory,
	ShopifyGraphQL,
	graphql_response_rule,
)
from scoopjoy.connectors.shopify.stores import get_store
from scoopjoy.kernel.errors import ConfigError
from scoopjoy.reliability.runtime import get_redis

REQUIRED_SCOPES = ("read_orders", "read_all_orders", "read_products", "read_customers")


class ShopifyConnector(BaseConnector):
	service_name = constants.SERVICE_NAME
	settings_doctype = constants.SETTINGS_DOCTYPE
	timeout = (5, 30)
	max_retries = 4
	rate_limit = (constants.STANDARD_BUCKET, constants.STANDARD_RESTORE_RATE)
	rate_limit_max_wait = 60.0
	response_rules = (graphql_response_rule,)
	correlation_header = None  # Shopify ignores it; X-Request-Id comes back in the response

	def __init__(self, settings=None, store: str | None = None):
		"""``settings`` is a Shopify Store record; else the store named, else the site's only one."""
		super().__init__(settings or get_store(store))
		self._graphql: ShopifyGraphQL | None = None

	@property
	def store(self) -> str:
		"""The Shopify Store this connector talks to (its name: the shop's domain)."""
		return self.settings.name

	@property
	def base_url(self) -> str:
		if self.settings.api_url:
			return self.settings.api_url.rstrip("/") + "/"
		domain = (self.settings.shop_domain or "").strip().removeprefix("https://").strip("/")
		if not domain:
			raise ConfigError(
				_("Set the Shop Domain (<store>.myshopify.com) of the Shopify Store."),
				service=self.service_name,
			)
		return f"https://{domain}/"

	def expected_sync_interval_minutes(self) -> int | None:
		# the order poll (hooks.py, every 10 minutes) runs while "Sync Orders" is on
		return constants.ORDER_POLL_MINUTES if self.settings.sync_orders else None

	def account_label(self) -> str:
		"""The store (its name, the shop domain): alerts say which shop fails, logs say whose call."""
		return self.settings.name or ""

	def account_id(self) -> str:
		return (self.settings.shop_domain or self.base_url).strip().lower()

	def get_auth_headers(self) -> dict[str, str]:
		token = self.settings.get_password("access_token", raise_exception=False)
		if not token:
			raise ConfigError(
				_(
					"Shopify Store {0} has no Admin API access token. Paste the app's shpat_… token into "
					"'Admin API Access Token' (the token of the same app whose secret signs the webhooks)."
				).format(self.settings.name),
				service=self.service_name,
			)
		return {constants.ACCESS_TOKEN_HEADER: token}

	@property
	def graphql(self) -> ShopifyGraphQL:
		if self._graphql is None:
			version = self.settings.api_version or constants.DEFAULT_API_VERSION
			# what each query requested last time, shared by every job of the shop: a job's first
			# query reserves its real cost from the shop's bucket, not a guess
			memory = RedisCostMemory(
				get_redis(), f"scoopjoy:shopify:{frappe.local.site}:{self.account_id()}:query-cost:{version}"
			)
			self._graphql = ShopifyGraphQL(self.transport, version, cost_memory=memory)
		return self._graphql

	def query(
		self,
		document: str,
		variables: dict[str, Any] | None = None,
		*,
		operation: str,
		idempotent: bool = True,
		reference: tuple[str, str] | None = None,
	) -> dict[str, Any]:
		self.ensure_enabled()
		return self.graphql.execute(
			document, variables, operation=operation, idempotent=idempotent, reference=reference
		)

	def pages(
		self,
		document: str,
		variables: dict[str, Any],
		connection_path: str,
		*,
		operation: str,
		start_cursor=None,
	):
		self.ensure_enabled()
		return self.graphql.pages(
			document, variables, connection_path, operation=operation, start_cursor=start_cursor
		)

	def shop_timezone(self) -> str:
		"""The shop's IANA time zone: from its Shopify Store, else asked once and kept there."""
		if not self.settings.shop_timezone:
			self.remember_shop_timezone(self.query(queries.SHOP, operation="Shop").get("shop") or {})
		return self.settings.shop_timezone

	def remember_shop_timezone(self, shop: dict) -> None:
		timezone = shop.get("ianaTimezone")
		if timezone and timezone != self.settings.shop_timezone:
			frappe.db.set_value(
				constants.STORE_DOCTYPE, self.settings.name, "shop_timezone", timezone, update_modified=False
			)
			self.settings.shop_timezone = timezone

	def granted_scopes(self) -> set[str]:
		"""The access scopes the app has in this shop, asked at most every few minutes: work that
		needs an optional scope checks it first, so a missing one stops that work alone (an
		ACCESS_DENIED answer would count against the shop's breaker)."""
		key = f"scoopjoy:shopify-scopes:{self.store}"
		granted = frappe.cache.get_value(key)
		if granted is None:
			data = self.query(queries.SHOP, operation="Shop")
			granted = sorted(
				s["handle"] for s in ((data.get("currentAppInstallation") or {}).get("accessScopes") or [])
			)
			frappe.cache.set_value(key, granted, expires_in_sec=constants.SCOPES_CACHE_SECONDS)
		return set(granted)

	def test_connection(self) -> str:
		data = self.query(queries.SHOP, operation="Shop")
		shop = data.get("shop") or {}
		granted = {
			s["handle"] for s in ((data.get("currentAppInstallation") or {}).get("accessScopes") or [])
		}
		missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
		if self.settings.get("import_payouts") and constants.PAYOUTS_SCOPE not in granted:
			missing.append(constants.PAYOUTS_SCOPE)  # Import Payouts reads the Shopify Payments account
		if self.settings.get("push_fulfillments") and constants.FULFILLMENT_SCOPE not in granted:
			missing.append(constants.FULFILLMENT_SCOPE)  # Delivery Notes fulfil orders
		self.remember_shop_timezone(shop)
		message = _("Connected to {0} ({1}).").format(shop.get("name"), shop.get("myshopifyDomain"))
		if missing:
			message += " " + _("The app lacks the scopes {0}: add them to the app and reinstall it.").format(
				", ".join(missing)
			)
		if "read_all_orders" in missing:
			message += " " + _("Without read_all_orders only the last 60 days of orders can be read.")
		if constants.FULFILLMENT_SCOPE in missing:
			message += " " + _("Without {0} Delivery Notes cannot fulfil Shopify orders.").format(
				constants.FULFILLMENT_SCOPE
			)
		if constants.RETURNS_SCOPE not in granted:
			message += " " + _(
				"Without {0} the goods of Shopify returns are taken back into stock only from refunds that restock them."
			).format(constants.RETURNS_SCOPE)
		frappe.cache.delete_value(f"scoopjoy:shopify-scopes:{self.store}")  # asked again, fresh
		if constants.PAYOUTS_SCOPE in missing:
			message += " " + _("Without {0} Import Payouts cannot read the payouts.").format(
				constants.PAYOUTS_SCOPE
			)
		return message
