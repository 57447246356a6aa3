"""The customer's WhatsApp "shipped" message: once per Shopify fulfilment made with tracking (or
given it later), to customers who opted in to WhatsApp (Customer > WhatsApp Opt-in).

The Shopify connector says a fulfilment got its tracking through the ``scoopjoy_shopify_fulfilled``
hook (hooks.py), never by importing this module; the message goes through the same once-per-key,
mark-before-send path as the order confirmation (:func:`.messages.send_template_once`).
"""

from __future__ import annotations

import frappe

from scoopjoy.connectors.whatsapp import constants, payloads
from scoopjoy.connectors.whatsapp.connector import WhatsAppConnector
from scoopjoy.connectors.whatsapp.messages import send_template_once
from scoopjoy.reliability.jobs import enqueue_integration_job

NOTE = "Delivery Note"


def queue_shipped_message(delivery_note: str) -> bool:
	connector = WhatsAppConnector()
	if not connector.is_enabled() or not connector.settings.send_when_shipped:
		return False
	return enqueue_integration_job(
		"scoopjoy.connectors.whatsapp.shipped.send_shipped_message",
		connector=constants.SERVICE_NAME,
		job_key=f"shipped:{delivery_note}",
		reference_doctype=NOTE,
		reference_name=delivery_note,
		delivery_note=delivery_note,
	)


def send_shipped_message(delivery_note: str) -> str:
	"""Send the "shipped" template for a note's fulfilment, once. Returns the message status."""
	connector = WhatsAppConnector()
	connector.ensure_enabled()
	dn = frappe.get_doc(NOTE, delivery_note)
	if not frappe.db.get_value("Customer", dn.customer, "custom_whatsapp_opt_in"):
		return "not opted in"
	fulfillment = dn.get("custom_shopify_fulfillment_id")
	tracking = dn.get("custom_tracking_url") or dn.get("custom_tracking_number")
	if not fulfillment or not tracking:
		return "nothing shipped yet"
	template = connector.settings.shipped_template or "order_shipped"
	order = frappe.db.get_value(
		"Sales Order",
		next((i.against_sales_order for i in dn.items if i.against_sales_order), None),
		"custom_shopify_order_name",
	)
	return send_template_once(
		connector,
		dn,
		template=template,
		key=f"{NOTE}:{delivery_note}:{template}:{fulfillment}",
		resend=False,
		body=lambda phone: payloads.shipped_template(
			template,
			connector.settings.template_language or "en_US",
			to=phone,
			customer_name=dn.customer_name,
			order_id=order or dn.name,
			tracking=tracking,
		),
	)
