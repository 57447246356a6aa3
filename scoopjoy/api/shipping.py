"""The seed's endpoints: ``/api/method/scoopjoy.api.shipping.create_shipment_for_delivery`` and
``.book_shipment_and_print_label``. The work is done in :mod:`scoopjoy.connectors.shipping.shipments`."""

from __future__ import annotations

import frappe

from scoopjoy.connectors.shipping import shipments


@frappe.whitelist(methods=["POST"])
def create_shipment_for_delivery(delivery_note_name: str) -> dict:
	return shipments.create_shipment_for_delivery(delivery_note_name)


@frappe.whitelist(methods=["POST"])
def book_shipment_and_print_label(shipment_name: str, service_provider: str, service_name: str) -> dict:
	return shipments.book_shipment_and_print_label(shipment_name, service_provider, service_name)
