"""Mobile app jobs: wired in hooks.py (scheduler, Sales Order on_change) and desk buttons.

Nothing here calls the app inside a user's transaction: document events enqueue after commit,
scheduled runs happen in workers as the integration user, and one failing outlet is
dead-lettered while the others go on.
"""

from __future__ import annotations

import frappe
from frappe.utils import get_datetime, now_datetime

from scoopjoy.connectors.mobile_app import constants
from scoopjoy.connectors.mobile_app.connector import MobileAppConnector
from scoopjoy.kernel.errors import ConnectorError
from scoopjoy.reliability.dead_letters import record_dead_letter
from scoopjoy.reliability.errors import user_facing_errors
from scoopjoy.reliability.jobs import enqueue_integration_job, job_id_for

JOBS = constants.JOBS


def _auto_sync_connector() -> MobileAppConnector | None:
	connector = MobileAppConnector()
	if not connector.is_enabled():
		frappe.logger("scoopjoy").info(
			f"{connector.service_name}: disabled in Mobile App Settings; nothing sent"
		)
		return None
	if not connector.settings.auto_sync_enabled:
		frappe.logger("scoopjoy").info(f"{connector.service_name}: auto sync is off; nothing sent")
		return None
	return connector


# --- scheduler ------------------------------------------------------------------------------------


def scheduled_menu_sync() -> None:
	"""Every 15 minutes; honours the interval in Mobile App Settings, sends only a changed menu."""
	connector = _auto_sync_connector()
	if not connector:
		return
	interval = connector.settings.sync_interval_minutes or 15
	last = connector.settings.last_menu_sync
	if last and (now_datetime() - get_datetime(last)).total_seconds() < (interval - 1) * 60:
		return
	enqueue_integration_job(
		f"{JOBS}.sync_menu", connector=constants.SERVICE_NAME, job_key="menu", queue="default"
	)


def scheduled_outlet_sync() -> None:
	"""Hourly: queue one job for all active outlets."""
	if _auto_sync_connector():
		enqueue_integration_job(
			f"{JOBS}.sync_all_outlets", connector=constants.SERVICE_NAME, job_key="outlets", queue="long"
		)


# --- document events -----------------------------------------------------------------------------


def on_sales_order_change(doc, method=None) -> None:
	"""Sales Order on_change (save, submit, cancel and status updates through db_set).

	Pushes only a status other than the one last queued for this order, read from the database:
	``has_value_changed`` compares with ``doc_before_save``, which a ``reload()`` does not refresh,
	so a later ``db_set`` of any field would push the same status again.
	"""
	if doc.docstatus == 0:
		return  # drafts are not the customer's business yet
	if frappe.db.get_value("Sales Order", doc.name, "custom_mobile_app_status") == doc.status:
		return
	connector = MobileAppConnector()
	if not connector.is_enabled():
		return
	# in the same transaction as the change: a rollback forgets both the mark and the job
	frappe.db.set_value(
		"Sales Order", doc.name, "custom_mobile_app_status", doc.status, update_modified=False
	)
	enqueue_integration_job(
		f"{JOBS}.push_order_status",
		connector=constants.SERVICE_NAME,
		job_key=f"order-status:{doc.name}:{doc.status}:{doc.modified}",
		reference_doctype="Sales Order",
		reference_name=doc.name,
		sales_order=doc.name,
		status=doc.status,
		changed_at=str(doc.modified),
	)


# --- job bodies (also what dead letters replay) ----------------------------------------------------


def sync_menu(force: bool = False) -> bool:
	return MobileAppConnector().sync_menu(force=force)


def sync_outlet(outlet: str) -> None:
	MobileAppConnector().sync_outlet(outlet)


def push_order_status(sales_order: str, status: str, changed_at: str | None = None) -> bool:
	"""Push one status change. A change that is no longer current (a replay arriving after a newer
	status) is not sent: the newer change has its own job, and the app must not go backwards."""
	current = frappe.db.get_value("Sales Order", sales_order, "status")
	if current != status:
		frappe.logger("scoopjoy").info(
			f"{constants.SERVICE_NAME}: {sales_order} is now {current!r}; its older status {status!r} is not pushed"
		)
		return False
	MobileAppConnector().push_order_status(sales_order, status, changed_at)
	return True


def sync_outlet_menu(outlet: str, force: bool = False) -> bool:
	return MobileAppConnector().sync_outlet_menu(outlet, force=force)


def sync_all_outlets() -> dict:
	"""Push every active outlet; a failing outlet is dead-lettered and the others still go."""
	connector = MobileAppConnector()
	outlets = frappe.get_all("Franchise Outlet", filters={"is_active": 1}, pluck="name", order_by="name")
	synced, failed = 0, []
	for outlet in outlets:
		try:
			connector.sync_outlet(outlet)
			synced += 1
		except ConnectorError as error:
			failed.append(outlet)
			record_dead_letter(
				connector=constants.SERVICE_NAME,
				job=f"{JOBS}.sync_outlet",
				payload={"outlet": outlet},
				error=error,
				dedup_key=job_id_for(constants.SERVICE_NAME, f"outlet:{outlet}"),
				reference_doctype="Franchise Outlet",
				reference_name=outlet,
			)
	frappe.logger("scoopjoy").info(
		f"{constants.SERVICE_NAME}: {synced}/{len(outlets)} outlets synced"
		+ (f"; dead-lettered: {', '.join(failed)}" if failed else "")
	)
	return {"synced": synced, "failed": failed}


# --- desk buttons ----------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def sync_menu_now() -> str:
	frappe.has_permission(constants.SETTINGS_DOCTYPE, "write", throw=True)
	with user_facing_errors():
		MobileAppConnector().ensure_enabled()
	queued = enqueue_integration_job(
		f"{JOBS}.sync_menu", connector=constants.SERVICE_NAME, job_key="menu", queue="default", force=True
	)
	return frappe._("Menu sync queued.") if queued else frappe._("A menu sync is already queued.")


@frappe.whitelist(methods=["POST"])
def sync_outlet_now(outlet: str) -> str:
	frappe.has_permission("Franchise Outlet", "write", doc=outlet, throw=True)
	with user_facing_errors():
		MobileAppConnector().ensure_enabled()
	queued = enqueue_integration_job(
		f"{JOBS}.sync_outlet",
		connector=constants.SERVICE_NAME,
		job_key=f"outlet:{outlet}",
		reference_doctype="Franchise Outlet",
		reference_name=outlet,
		outlet=outlet,
	)
	return (
		frappe._("Sync of {0} queued.").format(outlet)
		if queued
		else frappe._("A sync of {0} is already queued.").format(outlet)
	)
