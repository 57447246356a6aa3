"""Shipped in ERPNext, fulfilled in Shopify (issue #23), on a real site against the Shopify
simulator's fulfillment orders and fulfilment mutations
(https://shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentCreate).

What the merchant sees: a Delivery Note of a Shopify order fulfils exactly its units at the location
of its warehouse, partly or fully; a job retried after a lost answer does not fulfil twice; a note
made from a Shopify fulfilment is never pushed back; cancelling the note cancels the fulfilment (or
a dead letter says why Shopify would not); a hold or a wrong location is a dead letter in words; the
tracking of a Shipment booked through the ERPNext Shipping app lands on the fulfilment; the customer
gets one WhatsApp "shipped" message.
"""

from __future__ import annotations

from unittest.mock import patch

import frappe
from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

from scoopjoy.connectors.shopify import fulfillments, orders
from scoopjoy.connectors.shopify.connector import ShopifyConnector
from scoopjoy.connectors.shopify.mapping import legacy_id
from scoopjoy.kernel.errors import ConnectorError, RecordError
from scoopjoy.reliability.jobs import job_id_for
from scoopjoy.tests.simulators.harness import Fault
from scoopjoy.tests.test_shopify_money import ShopifyMoneyTestCase

NOTE = "Delivery Note"


def queued_jobs() -> set[str]:
	return set(getattr(frappe.local, "scoopjoy_jobs_in_transaction", None) or ())


class ShopifyFulfilmentTestCase(ShopifyMoneyTestCase):
	def setUp(self):
		super().setUp()
		# push_fulfillment commits "Sending" before it calls Shopify; here the test's rollback undoes it
		committing = patch.object(frappe.db, "commit")
		committing.start()
		self.addCleanup(committing.stop)
		self.settings(push_fulfillments=1, notify_customer_of_fulfillment=1)

	def order_in_erpnext(self, *quantities: int, code: str = "SHOP-FUL-TUB"):
		variant = self.mapped_variant(code, price="8.00")
		order = self.shop.add_order(
			lines=[{"variant": variant["id"], "quantity": q} for q in quantities], shipping_lines=[]
		)
		self.shop.mark_paid(order["id"])
		self.assertEqual(orders.sync_order(order["id"]), "created")
		return order, self.sales_order_for(order)

	def deliver(self, so, quantities: dict[int, float] | None = None, warehouse: str | None = None):
		"""A Delivery Note made in ERPNext: ``quantities`` by Sales Order row index (default: all)."""
		dn = make_delivery_note(so.name)
		rows = []
		for row in dn.items:
			index = next(i for i, r in enumerate(so.items) if r.name == row.so_detail)
			if quantities is None or index in quantities:
				row.qty = quantities[index] if quantities else row.qty
				if warehouse:
					row.warehouse = warehouse
				rows.append(row)
		dn.items = rows
		if warehouse:
			dn.set_warehouse = warehouse
		dn.insert()
		dn.submit()
		return dn

	def fulfilled(self, order) -> list[tuple[int, str | None]]:
		"""Shopify's successful fulfilments of the order: (units, location id)."""
		return [
			(sum(i["quantity"] for i in f["fulfillmentLineItems"]), legacy_id(f["location"]["id"]))
			for f in self.shop.get_order(order["id"])["fulfillments"]
			if f["status"] == "SUCCESS"
		]


class TestFulfilments(ShopifyFulfilmentTestCase):
	def test_full_and_partial_delivery_notes_fulfil_their_units_once(self):
		order, so = self.order_in_erpnext(3)
		first = self.deliver(so, {0: 1})
		self.assertEqual(frappe.db.get_value(NOTE, first.name, fulfillments.STATUS), "Queued")
		self.assertIn(job_id_for("Shopify", f"fulfil:{first.name}"), queued_jobs())  # after commit
		self.assertEqual(fulfillments.push_fulfillment(first.name), "fulfilled")
		primary = legacy_id(self.shop.primary_location["id"])
		self.assertEqual(self.fulfilled(order), [(1, primary)])
		self.assertEqual(self.shop.get_order(order["id"])["displayFulfillmentStatus"], "PARTIALLY_FULFILLED")
		self.assertEqual(fulfillments.push_fulfillment(first.name), "unchanged")  # never twice

		rest = self.deliver(so)  # what is left: 2
		self.assertEqual(fulfillments.push_fulfillment(rest.name), "fulfilled")
		self.assertEqual(self.fulfilled(order), [(1, primary), (2, primary)])
		self.assertEqual(self.shop.get_order(order["id"])["displayFulfillmentStatus"], "FULFILLED")
		stored = frappe.db.get_value(NOTE, rest.name, [fulfillments.STATUS, fulfillments.FULFILLMENT_ID])
		self.assertEqual(stored[0], "Fulfilled")
		self.assertEqual(stored[1], legacy_id(self.shop.get_order(order["id"])["fulfillments"][1]["id"]))
		# the order comes back (webhook, poll): Shopify's fulfilments are ERPNext's notes, no third note
		orders.sync_order(order["id"])
		self.assertEqual(
			len(
				frappe.get_all("Delivery Note Item", filters={"against_sales_order": so.name, "docstatus": 1})
			),
			2,
		)

	def test_the_location_of_the_warehouse_fulfils_and_a_line_of_another_location_is_named(self):
		harbour = self.shop.add_location("Harbour")
		harbour_warehouse = self.outlet_warehouse("Harbour")
		settings = self.store_doc()
		settings.append(
			"locations",
			{"location_id": harbour["id"], "location_name": "Harbour", "warehouse": harbour_warehouse},
		)
		settings.save()
		variant = self.mapped_variant("SHOP-FUL-CONE", price="3.00")
		tub = self.mapped_variant("SHOP-FUL-LOC-TUB", price="8.00")
		order = self.shop.add_order(
			lines=[{"variant": variant["id"], "quantity": 2}, {"variant": tub["id"], "quantity": 1}],
			shipping_lines=[],
		)
		self.shop.assign_location(order["id"], 0, harbour["id"])  # the cones ship from Harbour
		self.shop.mark_paid(order["id"])
		orders.sync_order(order["id"])
		so = self.sales_order_for(order)

		cones = self.deliver(so, {0: 2}, warehouse=harbour_warehouse)
		self.assertEqual(fulfillments.push_fulfillment(cones.name), "fulfilled")
		self.assertEqual(self.fulfilled(order), [(2, legacy_id(harbour["id"]))])

		wrong = self.deliver(so, {1: 1}, warehouse=harbour_warehouse)  # the tub is not at Harbour
		with self.assertRaisesRegex(RecordError, "assigned to another Shopify location") as caught:
			fulfillments.push_fulfillment(wrong.name)
		self.assertIn(wrong.name, str(caught.exception))
		self.assertEqual(frappe.db.get_value(NOTE, wrong.name, fulfillments.STATUS), "Failed")
		self.assertEqual(len(self.fulfilled(order)), 1)  # nothing sent

	def test_a_job_retried_after_a_lost_answer_fulfils_once(self):
		order, so = self.order_in_erpnext(2)
		dn = self.deliver(so)
		# Shopify makes the fulfilment, but its answer comes after the client stopped waiting
		self.shop.faults.add(Fault.delay(2.5, process="before", body_contains="FulfillmentCreate"))
		with patch.object(ShopifyConnector, "timeout", (2, 1)), self.assertRaises(ConnectorError):
			fulfillments.push_fulfillment(dn.name)
		self.assertEqual(frappe.db.get_value(NOTE, dn.name, fulfillments.STATUS), "Sending")
		self.assertEqual(len(self.fulfilled(order)), 1)  # it was made
		self.assertEqual(fulfillments.push_fulfillment(dn.name), "adopted")  # the dead letter's retry
		self.assertEqual(len(self.fulfilled(order)), 1)  # and not made again
		self.assertEqual(
			frappe.db.get_value(NOTE, dn.name, fulfillments.FULFILLMENT_ID),
			legacy_id(self.shop.get_order(order["id"])["fulfillments"][0]["id"]),
		)

	def test_a_note_made_from_a_shopify_fulfilment_is_not_pushed_back(self):
		order, so = self.order_in_erpnext(2)
		self.shop.fulfill(order["id"])  # shipped by the shop
		orders.sync_order(order["id"])
		[name] = frappe.get_all(
			"Delivery Note Item", filters={"against_sales_order": so.name, "docstatus": 1}, pluck="parent"
		)
		self.assertEqual(frappe.db.get_value(NOTE, name, fulfillments.STATUS), "From Shopify")
		self.assertNotIn(job_id_for("Shopify", f"fulfil:{name}"), queued_jobs())
		self.assertEqual(len(self.fulfilled(order)), 1)

	def test_cancelling_the_note_cancels_its_fulfilment_or_says_why_shopify_would_not(self):
		order, so = self.order_in_erpnext(3)
		dn = self.deliver(so, {0: 2})
		fulfillments.push_fulfillment(dn.name)
		dn.reload()
		dn.cancel()
		self.assertIn(job_id_for("Shopify", f"unfulfil:{dn.name}"), queued_jobs())
		# before the cancel job runs, the order comes back: its units are still fulfilled in Shopify by
		# this note, so no note is made from Shopify for them
		orders.sync_order(order["id"])
		self.assertEqual(
			frappe.get_all("Delivery Note Item", filters={"against_sales_order": so.name, "docstatus": 1}), []
		)
		self.assertEqual(fulfillments.cancel_fulfillment(dn.name), "cancelled")
		self.assertEqual(self.fulfilled(order), [])
		self.assertEqual(self.shop.get_order(order["id"])["displayFulfillmentStatus"], "UNFULFILLED")
		self.assertEqual(frappe.db.get_value(NOTE, dn.name, fulfillments.STATUS), "Cancelled")

		again = self.deliver(so, {0: 1})
		fulfillments.push_fulfillment(again.name)
		made = frappe.db.get_value(NOTE, again.name, fulfillments.FULFILLMENT_ID)
		self.shop.fulfillment_cancel(f"gid://shopify/Fulfillment/{made}")  # cancelled in Shopify already
		again.reload()
		again.cancel()
		self.assertEqual(fulfillments.cancel_fulfillment(again.name), "cancelled")  # what was wanted

		third = self.deliver(so, {0: 1})
		fulfillments.push_fulfillment(third.name)
		frappe.db.set_value(NOTE, third.name, fulfillments.FULFILLMENT_ID, "404404")  # Shopify has none
		third.reload()
		third.cancel()
		with self.assertRaisesRegex(RecordError, "Shopify refused to cancel its fulfilment 404404"):
			fulfillments.cancel_fulfillment(third.name)

	def test_an_amended_note_is_a_new_fulfilment_and_a_stale_form_keeps_what_the_job_wrote(self):
		order, so = self.order_in_erpnext(2)
		dn = self.deliver(so, {0: 1})
		stale = frappe.get_doc(NOTE, dn.name)  # a form opened before the job ran
		fulfillments.push_fulfillment(dn.name)
		stale.po_no = "PO-FRONT-DESK"  # editable after submit
		stale.save()
		self.assertEqual(frappe.db.get_value(NOTE, dn.name, fulfillments.STATUS), "Fulfilled")
		self.assertTrue(frappe.db.get_value(NOTE, dn.name, fulfillments.FULFILLMENT_ID))
		dn.reload()
		dn.cancel()
		fulfillments.cancel_fulfillment(dn.name)
		amended = frappe.copy_doc(dn)  # as Amend does: every field, no-copy ones too
		for field in (fulfillments.STATUS, fulfillments.FULFILLMENT_ID, fulfillments.SENT_AT):
			amended.set(field, dn.get(field) or frappe.db.get_value(NOTE, dn.name, field))
		amended.docstatus = 0
		amended.amended_from = dn.name
		amended.insert()
		amended.submit()
		self.assertEqual(frappe.db.get_value(NOTE, amended.name, fulfillments.STATUS), "Queued")
		self.assertFalse(frappe.db.get_value(NOTE, amended.name, fulfillments.FULFILLMENT_ID))
		self.assertEqual(fulfillments.push_fulfillment(amended.name), "fulfilled")
		self.assertEqual(self.fulfilled(order), [(1, legacy_id(self.shop.primary_location["id"]))])

	def test_a_hold_or_fewer_units_left_is_a_dead_letter_in_words_and_nothing_is_sent(self):
		order, so = self.order_in_erpnext(2)
		self.shop.hold_fulfillment_order(order["id"])
		dn = self.deliver(so)
		with self.assertRaisesRegex(RecordError, "on hold in Shopify: release the hold"):
			fulfillments.push_fulfillment(dn.name)
		self.assertEqual(self.fulfilled(order), [])

		order, so = self.order_in_erpnext(2, code="SHOP-FUL-FEWER")
		self.shop.fulfill(order["id"], {0: 1})  # one shipped in Shopify, not imported yet
		dn = self.deliver(so)  # ERPNext ships both
		with self.assertRaisesRegex(
			RecordError, "Shopify has 1 of .* left to fulfil at that location; the note ships 2"
		):
			fulfillments.push_fulfillment(dn.name)

	def test_nothing_is_queued_for_a_note_of_no_shopify_order_or_with_the_switch_off(self):
		from scoopjoy.tests.utils import make_customer, make_item
		from scoopjoy.tests.utils import make_delivery_note as plain_delivery_note

		walk_in = plain_delivery_note(make_customer("Ful Test Walk-in"), [(make_item("SHOP-FUL-PLAIN"), 1)])
		self.assertFalse(frappe.db.get_value(NOTE, walk_in.name, fulfillments.STATUS))
		self.assertNotIn(job_id_for("Shopify", f"fulfil:{walk_in.name}"), queued_jobs())
		_order, so = self.order_in_erpnext(1)
		self.settings(push_fulfillments=0)
		dn = self.deliver(so)
		self.assertFalse(frappe.db.get_value(NOTE, dn.name, fulfillments.STATUS))
		self.assertNotIn(job_id_for("Shopify", f"fulfil:{dn.name}"), queued_jobs())

	def test_test_connection_names_the_fulfilment_scope_the_token_lacks(self):
		self.shop.access_scopes = tuple(
			s for s in self.shop.access_scopes if s != "write_merchant_managed_fulfillment_orders"
		)
		self.assertIn("write_merchant_managed_fulfillment_orders", ShopifyConnector().test_connection())


class TestTrackingAndTheCustomer(ShopifyFulfilmentTestCase):
	"""The Shipment of a Shopify order's Delivery Note booked through the real ERPNext Shipping app
	(its outbound HTTP pointed at the carrier simulator): the tracking lands on the fulfilment, and the
	customer who opted in gets one WhatsApp "shipped" message."""

	def setUp(self):
		super().setUp()
		from scoopjoy.connectors.shipping import shipments

		if not shipments.shipping_app_installed():
			self.skipTest("the ERPNext Shipping app is not installed on this site")

	def shippable_note(self):
		from scoopjoy.tests.test_shipping import ensure_address, ship_through_the_shipping_app

		self.carrier = ship_through_the_shipping_app(self)
		order, so = self.order_in_erpnext(1, code="SHOP-FUL-SHIP-TUB")
		frappe.db.set_value("Item", "SHOP-FUL-SHIP-TUB", {"weight_per_unit": 2.5, "weight_uom": "Kg"})
		address = ensure_address(f"Ship {so.customer}", "Customer", so.customer, "Shipping")
		dn = make_delivery_note(so.name)
		dn.shipping_address_name = address
		dn.contact_person = (
			frappe.get_doc(
				{
					"doctype": "Contact",
					"first_name": "Asha",
					"last_name": "Rao",
					"email_ids": [{"email_id": "buyer@example.invalid", "is_primary": 1}],
					"phone_nos": [{"phone": "+49 30 5550100", "is_primary_phone": 1}],
					"links": [{"link_doctype": "Customer", "link_name": so.customer}],
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		dn.insert()
		dn.submit()
		return order, dn

	def book(self, dn) -> str:
		from scoopjoy.connectors.shipping import shipments

		shipment = shipments.create_shipment_for_delivery(dn.name)["shipment"]
		rates, _ = shipments.get_shipping_rates(frappe.get_doc("Shipment", shipment))
		chosen = next(rate for rate in rates if rate["service_name"] == "DHL Parcel 5-20kg")
		shipments.book_shipment_and_print_label(shipment, "SendCloud", chosen["service_name"])
		return frappe.db.get_value("Shipment", shipment, "awb_number")

	def test_the_tracking_of_a_shipment_booked_through_the_shipping_app_lands_on_the_fulfilment(self):
		order, dn = self.shippable_note()
		self.assertEqual(fulfillments.push_fulfillment(dn.name), "fulfilled")  # before the parcel
		number = self.book(dn)
		self.assertTrue(number)
		self.assertIn(job_id_for("Shopify", f"tracking:{dn.name}"), queued_jobs())  # the hook
		self.assertEqual(fulfillments.push_tracking(dn.name), "updated")
		[fulfilment] = self.shop.get_order(order["id"])["fulfillments"]
		self.assertEqual(fulfilment["trackingInfo"][0]["number"], number)
		self.assertEqual(fulfilment["_notified"], [True, True])  # Settings: notify the customer
		self.assertEqual(fulfillments.push_tracking(dn.name), "unchanged")
		queued_jobs_cleared = frappe.local.scoopjoy_jobs_in_transaction = set()
		fulfillments.on_tracking_booked([dn.name])  # an hourly refresh with nothing new queues nothing
		self.assertEqual(queued_jobs_cleared, set())
		frappe.db.set_value(NOTE, dn.name, "custom_tracking_url", f"https://track.example/{number}")
		self.assertEqual(fulfillments.push_tracking(dn.name), "updated")  # the URL came with a refresh
		self.assertEqual(
			self.shop.get_order(order["id"])["fulfillments"][0]["trackingInfo"][0]["url"],
			f"https://track.example/{number}",
		)
		frappe.db.set_value(NOTE, dn.name, "custom_tracking_number", "JD-REBOOKED-1")  # a new parcel
		self.assertEqual(fulfillments.push_tracking(dn.name), "updated")
		self.assertEqual(
			self.shop.get_order(order["id"])["fulfillments"][0]["trackingInfo"][0]["number"], "JD-REBOOKED-1"
		)

	def test_a_parcel_booked_before_the_fulfilment_goes_with_it_and_the_customer_is_told_once(self):
		from scoopjoy.connectors.whatsapp import shipped
		from scoopjoy.connectors.whatsapp.connector import WhatsAppConnector
		from scoopjoy.tests.simulators.whatsapp_cloud import WhatsAppCloudSimulator

		cloud = WhatsAppCloudSimulator(
			access_token="EAAGshippedToken0123456789",
			phone_number_id="106540352242922",
			app_secret="whatsapp-app-secret",
			templates={"order_shipped": {"language": "en_US", "param_count": 3}},
		).start()
		self.addCleanup(cloud.stop)
		whatsapp = frappe.get_single("WhatsApp Settings")
		whatsapp.update(
			{
				"enabled": 1,
				"send_on_submit": 0,
				"send_when_shipped": 1,
				"shipped_template": "order_shipped",
				"sandbox_mode": 1,
				"api_base_url": cloud.url,
				"graph_api_version": cloud.version,
				"phone_number_id": "106540352242922",
				"access_token": "EAAGshippedToken0123456789",
				"app_secret": "whatsapp-app-secret",
				"template_language": "en_US",
				"default_country_code": "49",
			}
		)
		whatsapp.save()
		WhatsAppConnector().breaker.reset()
		order, dn = self.shippable_note()
		frappe.db.set_value(
			"Customer", dn.customer, {"custom_whatsapp_opt_in": 1, "mobile_no": "+49 30 5550100"}
		)
		number = self.book(dn)  # the parcel is booked while the fulfilment still waits for its job
		self.assertEqual(fulfillments.push_fulfillment(dn.name), "fulfilled")
		[fulfilment] = self.shop.get_order(order["id"])["fulfillments"]
		self.assertEqual(fulfilment["trackingInfo"][0]["number"], number)  # created with it
		self.assertIn(job_id_for("WhatsApp", f"shipped:{dn.name}"), queued_jobs())
		self.assertEqual(shipped.send_shipped_message(dn.name), "Sent")
		self.assertEqual(shipped.send_shipped_message(dn.name), "Sent")  # a retried job
		self.assertEqual(len(cloud.sent), 1)
		texts = [p["text"] for p in cloud.sent[0]["template"]["components"][0]["parameters"]]
		self.assertEqual(texts[1], order["name"])
		frappe.db.set_value("Customer", dn.customer, "custom_whatsapp_opt_in", 0)
		frappe.db.delete("WhatsApp Message", {"reference_name": dn.name})
		self.assertEqual(shipped.send_shipped_message(dn.name), "not opted in")
		self.assertEqual(len(cloud.sent), 1)
