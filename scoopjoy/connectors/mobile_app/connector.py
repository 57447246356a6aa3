"""Connector to ScoopJoy's own React Native app backend (seed chapter: MobileAppConnector).

Pushes the menu, outlet information and Sales Order status. Every push carries an idempotency
key derived from what is pushed, so a retried job or a replayed dead letter is applied once.
"""

from __future__ import annotations

import frappe
from frappe.utils import now

from scoopjoy.connectors.base import BaseConnector
from scoopjoy.connectors.mobile_app import constants, payloads
from scoopjoy.kernel.errors import ConnectorError
from scoopjoy.kernel.idempotency import idempotency_key
from scoopjoy.reliability.dead_letters import record_dead_letter
from scoopjoy.reliability.jobs import job_id_for


class MobileAppConnector(BaseConnector):
	service_name = constants.SERVICE_NAME
	settings_doctype = constants.SETTINGS_DOCTYPE
	timeout = (5, 15)
	health_check_path = constants.HEALTH_PATH

	@property
	def base_url(self) -> str:
		return self.settings.api_url or ""

	def get_auth_headers(self) -> dict[str, str]:
		return {constants.API_KEY_HEADER: self.settings.get_password("api_key", raise_exception=False) or ""}

	def expected_sync_interval_minutes(self) -> int | None:
		# outlets are synced hourly while auto sync is on (hooks.py); the menu only when it changed
		return 60 if self.settings.auto_sync_enabled else None

	# --- business methods ---------------------------------------------------------------------

	def menu_items(self) -> list[dict]:
		filters = {"disabled": 0, "is_sales_item": 1, "has_variants": 0}
		if self.settings.menu_item_group:
			filters["item_group"] = ["descendants of (inclusive)", self.settings.menu_item_group]
		item_meta = frappe.get_meta("Item")
		if item_meta.has_field("show_in_website"):  # only with the webshop app
			filters["show_in_website"] = 1
		fields = list(payloads.MENU_FIELDS)
		if item_meta.has_field("custom_available_at"):
			fields.append("custom_available_at")
		return frappe.get_all("Item", filters=filters, fields=fields, order_by="item_code asc")

	def current_menu(self, outlet_id: str | None = None, items: list[dict] | None = None) -> dict:
		items = self.menu_items() if items is None else items
		if outlet_id:
			items = [item for item in items if payloads.available_at(item, outlet_id)]
		return payloads.menu_payload(items, outlet_id)

	def menus_per_outlet(self, items: list[dict]) -> bool:
		"""Per-outlet menus as soon as one item is limited to some outlets."""
		return any((item.get("custom_available_at") or "").strip() for item in items)

	def sync_menu(self, force: bool = False) -> bool:
		"""Push the menu if it changed since the last accepted push. Returns True if sent."""
		items = self.menu_items()
		if self.menus_per_outlet(items):
			return self.sync_outlet_menus(items, force=force) > 0
		menu = self.current_menu(items=items)
		fingerprint = payloads.menu_fingerprint(menu)
		if not force and fingerprint == self.settings.last_menu_hash:
			return False
		self.push_menu(menu, fingerprint)
		# Written only after the app accepted it: a failed push is retried with the same menu.
		frappe.db.set_single_value(
			constants.SETTINGS_DOCTYPE, {"last_menu_hash": fingerprint, "last_menu_sync": now()}
		)
		return True

	def sync_outlet_menu(self, outlet_id: str, items: list[dict] | None = None, force: bool = False) -> bool:
		menu = self.current_menu(outlet_id, items=items)
		fingerprint = payloads.menu_fingerprint(menu)
		if not force and fingerprint == frappe.db.get_value("Franchise Outlet", outlet_id, "last_menu_hash"):
			return False
		self.push_menu(menu, fingerprint, reference=("Franchise Outlet", outlet_id))
		frappe.db.set_value(
			"Franchise Outlet", outlet_id, "last_menu_hash", fingerprint, update_modified=False
		)
		return True

	def sync_outlet_menus(self, items: list[dict], force: bool = False) -> int:
		"""One menu per active outlet; an outlet that fails is dead-lettered, the others still go."""
		sent = 0
		for outlet in frappe.get_all(
			"Franchise Outlet", filters={"is_active": 1}, pluck="name", order_by="name"
		):
			try:
				sent += self.sync_outlet_menu(outlet, items=items, force=force)
			except ConnectorError as error:
				record_dead_letter(
					connector=constants.SERVICE_NAME,
					job=f"{constants.JOBS}.sync_outlet_menu",
					payload={"outlet": outlet, "force": force},
					error=error,
					dedup_key=job_id_for(constants.SERVICE_NAME, f"menu:{outlet}"),
					reference_doctype="Franchise Outlet",
					reference_name=outlet,
				)
		return sent

	def push_menu(self, menu: dict, fingerprint: str, reference: tuple[str, str] | None = None) -> None:
		# The body carries no clock: a retry must send the very body its idempotency key stands for.
		self.post(
			constants.MENU_SYNC_PATH,
			{**menu, "menu_version": fingerprint},
			idempotency_key=idempotency_key("mobile", "menu", menu.get("outlet_id") or "-", fingerprint),
			reference=reference,
		)

	def sync_outlet(self, outlet_id: str) -> None:
		outlet = frappe.get_doc("Franchise Outlet", outlet_id)
		body = payloads.outlet_payload(outlet.as_dict())
		self.post(
			constants.OUTLET_SYNC_PATH,
			{**body, "updated_at": str(outlet.modified)},
			idempotency_key=idempotency_key("mobile", "outlet", outlet.name, outlet.modified),
			reference=("Franchise Outlet", outlet.name),
		)

	def push_order_status(self, sales_order: str, status: str, changed_at: str | None = None) -> None:
		"""``changed_at`` is frozen when the change is queued, so a retry sends the same body."""
		customer, modified = frappe.db.get_value("Sales Order", sales_order, ["customer", "modified"])
		changed_at = changed_at or str(modified)
		email = frappe.db.get_value("Customer", customer, "email_id") if customer else None
		self.post(
			constants.ORDER_STATUS_PATH,
			payloads.order_status_payload(sales_order, status, email, changed_at),
			idempotency_key=idempotency_key("mobile", "order-status", sales_order, status, changed_at),
			reference=("Sales Order", sales_order),
		)
