"""Shipping on a real site (ERPNext's Shipment DocType), against the carrier simulator: a
Delivery Note becomes one Shipment (parcel weight from the items, defaults from Shipping
Settings), a missing address or weight is named, booking twice books one parcel, tracking is
refreshed into the Shipment and the Delivery Note, and without the ERPNext Shipping app (and no
direct carrier) the user is told what to install."""

from unittest.mock import patch
from urllib.parse import urlsplit

import frappe
import requests
from frappe.utils import add_days, nowdate

from scoopjoy.connectors.shipping import constants, shipments
from scoopjoy.connectors.shipping.connector import CarrierConnector
from scoopjoy.tests.simulators.carrier import CarrierSimulator
from scoopjoy.tests.utils import ScoopJoyTestCase, make_customer, make_delivery_note, make_item, test_world

PUBLIC, SECRET = "pk_bench_carrier", "bench-carrier-secret-0123"
CUSTOMER = "Ship Test Eiscafe Berlin"


def ensure_address(title: str, link_doctype: str, link_name: str, address_type: str, **extra) -> str:
	name = frappe.db.get_value("Address", {"address_title": title})
	if name:
		return name
	return (
		frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": title,
				"address_type": address_type,
				"address_line1": "Hauptstr. 1",
				"city": "Berlin",
				"pincode": "10115",
				"country": "Germany",
				"links": [{"link_doctype": link_doctype, "link_name": link_name}],
				**extra,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def weighed_item(code: str, weight: float | None, uom: str = "Kg") -> str:
	make_item(code, rate=10)
	frappe.db.set_value("Item", code, {"weight_per_unit": weight or 0, "weight_uom": uom if weight else None})
	return code


class TestShipping(ScoopJoyTestCase):
	def setUp(self):
		self.carrier = CarrierSimulator(public_key=PUBLIC, secret_key=SECRET).start()
		self.company = test_world().company
		self.warehouse_address = ensure_address(
			"Ship Test Central Kitchen", "Company", self.company, "Warehouse", is_your_company_address=1
		)
		make_customer(CUSTOMER)
		self.customer_address = ensure_address("Ship Test Eiscafe", "Customer", CUSTOMER, "Shipping")
		settings = frappe.get_single(constants.SETTINGS_DOCTYPE)
		settings.update(
			{
				"parcel_length": 40,
				"parcel_width": 30,
				"parcel_height": 25,
				"minimum_parcel_weight": 0.5,
				"fallback_item_weight": 0,
				"pickup_address": None,
				"carrier_enabled": 1,
				"carrier_name": "Direct Carrier",
				"sandbox_mode": 1,
				"carrier_api_url": self.carrier.url,
				"carrier_public_key": PUBLIC,
				"carrier_secret_key": SECRET,
				"refresh_tracking": 1,
			}
		)
		settings.save()
		CarrierConnector().breaker.reset()

	def tearDown(self):
		CarrierConnector().breaker.reset()
		self.carrier.stop()

	def delivery_note(self, items, address: bool = True):
		dn = make_delivery_note(
			CUSTOMER, items, shipping_address_name=self.customer_address if address else None
		)
		if not address:  # ERPNext fills in the customer's default address; a customer may have none
			dn.db_set("shipping_address_name", None)
		return dn

	def test_a_shipment_is_built_from_the_delivery_note_once(self):
		dn = self.delivery_note(
			[(weighed_item("SHIP-TUB-5L", 5.2), 2), (weighed_item("SHIP-CONES", 400, "Gram"), 3)]
		)
		result = shipments.create_shipment_for_delivery(dn.name)

		shipment = frappe.get_doc("Shipment", result["shipment"])
		self.assertTrue(result["created"])
		self.assertEqual(shipment.pickup_address_name, self.warehouse_address)
		self.assertEqual(shipment.delivery_address_name, self.customer_address)
		self.assertEqual(shipment.delivery_customer, CUSTOMER)
		parcel = shipment.shipment_parcel[0]
		self.assertEqual((parcel.length, parcel.width, parcel.height), (40, 30, 25))
		self.assertAlmostEqual(parcel.weight, 11.6, places=3)
		self.assertEqual(shipment.value_of_goods, dn.grand_total)
		self.assertEqual(
			[r["service_name"] for r in result["rates"]], ["DPD Classic 0-31.5kg", "DHL Parcel 5-20kg"]
		)
		self.assertEqual(frappe.db.get_value("Delivery Note", dn.name, "custom_shipment"), shipment.name)

		again = shipments.create_shipment_for_delivery(dn.name)
		self.assertEqual(again["shipment"], shipment.name)
		self.assertFalse(again["created"])

	def test_a_light_delivery_is_shipped_at_the_minimum_weight(self):
		dn = self.delivery_note([(weighed_item("SHIP-SPOON", 5, "Gram"), 4)])
		shipment = frappe.get_doc("Shipment", shipments.create_shipment_for_delivery(dn.name)["shipment"])
		self.assertEqual(shipment.shipment_parcel[0].weight, 0.5)

	def test_missing_shipping_address_and_weights_are_named(self):
		dn = self.delivery_note(
			[(weighed_item("SHIP-NAPKINS", None), 1), (weighed_item("SHIP-LIDS", None), 2)], address=False
		)
		with self.assertRaises(frappe.ValidationError) as caught:
			shipments.create_shipment_for_delivery(dn.name)
		message = str(caught.exception)
		self.assertIn("no shipping address", message)
		self.assertIn("SHIP-NAPKINS", message)
		self.assertIn("SHIP-LIDS", message)
		self.assertFalse(shipments.existing_shipment(dn.name))

	def test_booking_twice_books_one_parcel_and_tracking_is_refreshed(self):
		dn = self.delivery_note([(weighed_item("SHIP-TUB-5L", 5.2), 1)])
		shipment = shipments.create_shipment_for_delivery(dn.name)["shipment"]

		first = shipments.book_shipment_and_print_label(shipment, "Direct Carrier", "DHL Parcel 5-20kg")
		second = shipments.book_shipment_and_print_label(shipment, "Direct Carrier", "DHL Parcel 5-20kg")

		self.assertEqual(len(self.carrier.created), 1)
		self.assertFalse(first["already_booked"])
		self.assertTrue(second["already_booked"])
		self.assertTrue(first["tracking_number"] and first["label_url"])
		self.assertEqual(second["tracking_number"], first["tracking_number"])
		doc = frappe.get_doc("Shipment", shipment)
		self.assertEqual((doc.status, doc.docstatus, doc.carrier_service), ("Booked", 1, "DHL Parcel 5-20kg"))
		self.assertEqual(
			frappe.db.get_value("Delivery Note", dn.name, "custom_tracking_number"), first["tracking_number"]
		)

		self.assertIn(shipment, shipments.shipments_to_track())
		self.carrier.set_status(doc.shipment_id, 11, "Delivered")
		result = shipments.refresh_all_tracking()
		self.assertEqual(result["failed"], [])
		doc.reload()
		self.assertEqual((doc.tracking_status, doc.status), ("Delivered", "Completed"))
		self.assertEqual(frappe.db.get_value("Delivery Note", dn.name, "custom_tracking_status"), "Delivered")
		self.assertNotIn(shipment, shipments.shipments_to_track())

	def test_a_service_the_carrier_does_not_offer_is_refused_with_the_alternatives(self):
		dn = self.delivery_note([(weighed_item("SHIP-TUB-5L", 5.2), 1)])
		shipment = shipments.create_shipment_for_delivery(dn.name)["shipment"]
		with self.assertRaises(frappe.ValidationError) as caught:
			shipments.book_shipment_and_print_label(shipment, "Direct Carrier", "Teleport Express")
		self.assertIn("DHL Parcel 5-20kg", str(caught.exception))
		self.assertEqual(self.carrier.created, [])

	@patch.object(shipments, "shipping_app_installed", return_value=False)
	def test_without_the_shipping_app_the_user_is_told_what_to_install(self, _installed):
		frappe.db.set_single_value(constants.SETTINGS_DOCTYPE, "carrier_enabled", 0)
		dn = self.delivery_note([(weighed_item("SHIP-TUB-5L", 5.2), 1)])
		result = shipments.create_shipment_for_delivery(dn.name)
		self.assertTrue(result["shipment"])  # the Shipment itself is ERPNext core
		self.assertEqual(result["rates"], [])
		self.assertIn("install-app erpnext_shipping", result["message"])
		with self.assertRaises(frappe.ValidationError) as caught:
			shipments.book_shipment_and_print_label(result["shipment"], "SendCloud", "DHL Parcel 5-20kg")
		self.assertIn("erpnext_shipping", str(caught.exception))
		self.assertEqual(len(self.carrier.requests), 0)


#: where the ERPNext Shipping app sends its SendCloud calls (erpnext_shipping/.../sendcloud.py)
SENDCLOUD_ORIGIN = "https://panel.sendcloud.sc"


class TestShippingThroughTheERPNextShippingApp(ScoopJoyTestCase):
	"""The seed's flow through the real ERPNext Shipping app (its SendCloud provider): Delivery Note
	-> Shipment -> rates -> booking -> label -> tracking. Only the app's outbound HTTP is pointed at
	the carrier simulator; our direct carrier is off, so every quote and booking is the app's."""

	def setUp(self):
		if not shipments.shipping_app_installed():
			self.skipTest("the ERPNext Shipping app is not installed on this site")
		self.carrier = ship_through_the_shipping_app(self)
		make_customer(CUSTOMER)
		self.customer_address = ensure_address("Ship Test Eiscafe", "Customer", CUSTOMER, "Shipping")
		self.contact = ensure_contact(CUSTOMER)

	def test_quote_book_label_and_track_through_the_app(self):
		dn = make_delivery_note(
			CUSTOMER,
			[(weighed_item("SHIP-APP-TUB", 5.2), 1)],
			shipping_address_name=self.customer_address,
			contact_person=self.contact,
		)
		result = shipments.create_shipment_for_delivery(dn.name)
		shipment = result["shipment"]

		rates, message = shipments.get_shipping_rates(frappe.get_doc("Shipment", shipment))
		self.assertIsNone(message)
		self.assertTrue(rates)
		self.assertEqual({rate["service_provider"] for rate in rates}, {"SendCloud"})
		chosen = next(rate for rate in rates if rate["service_name"] == "DHL Parcel 5-20kg")

		booked = shipments.book_shipment_and_print_label(shipment, "SendCloud", chosen["service_name"])
		again = shipments.book_shipment_and_print_label(shipment, "SendCloud", chosen["service_name"])

		self.assertEqual(len(self.carrier.created), 1)  # pressed twice, booked once
		self.assertTrue(again["already_booked"])
		doc = frappe.get_doc("Shipment", shipment)
		self.assertEqual((doc.status, doc.service_provider), ("Booked", "SendCloud"))
		parcel = self.carrier.parcels[int(doc.shipment_id)]
		self.assertEqual(doc.awb_number, parcel["tracking_number"])
		self.assertEqual(urlsplit(booked["label_url"]).path, f"/api/v2/labels/label_printer/{parcel['id']}")
		self.assertEqual(self.carrier.created[0]["name"], "Mia Rossi")

		self.carrier.set_status(doc.shipment_id, 11, "Delivered")
		shipments.refresh_shipment_tracking(shipment)
		doc.reload()
		self.assertEqual((doc.tracking_status, doc.status), ("Delivered", "Completed"))
		self.assertEqual(
			frappe.db.get_value("Delivery Note", dn.name, "custom_tracking_number"), doc.awb_number
		)


def ship_through_the_shipping_app(test) -> CarrierSimulator:
	"""The ERPNext Shipping app's SendCloud provider on, its outbound HTTP pointed at a carrier
	simulator (returned), our direct carrier off, the company's warehouse address in place; all
	undone when ``test`` ends."""
	carrier = CarrierSimulator(public_key=PUBLIC, secret_key=SECRET).start()
	sendcloud = frappe.get_single("SendCloud")
	sendcloud.update({"enabled": 1, "api_key": PUBLIC, "api_secret": SECRET})
	sendcloud.save()
	settings = frappe.get_single(constants.SETTINGS_DOCTYPE)
	settings.update(
		{"carrier_enabled": 0, "minimum_parcel_weight": 0.5, "pickup_address": None, "refresh_tracking": 1}
	)
	settings.save()
	ensure_address(
		"Ship Test Central Kitchen", "Company", test_world().company, "Warehouse", is_your_company_address=1
	)
	original = requests.sessions.Session.request

	def request(session, method, url, *args, **kwargs):
		if str(url).startswith(SENDCLOUD_ORIGIN):
			url = carrier.url + str(url)[len(SENDCLOUD_ORIGIN) :]
		return original(session, method, url, *args, **kwargs)

	redirect = patch.object(requests.sessions.Session, "request", request)
	redirect.start()

	def undo():
		redirect.stop()
		carrier.stop()
		frappe.db.set_single_value("SendCloud", "enabled", 0)
		frappe.db.commit()  # nosemgrep: the app's provider must not stay on after the test

	test.addCleanup(undo)
	return carrier


def ensure_contact(customer: str) -> str:
	name = frappe.db.get_value("Contact", {"first_name": "Mia", "last_name": "Rossi"})
	if name:
		return name
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": "Mia",
			"last_name": "Rossi",
			"email_ids": [{"email_id": "mia.rossi@example.invalid", "is_primary": 1}],
			"phone_nos": [{"phone": "+49 30 5550100", "is_primary_phone": 1}],
			"links": [{"link_doctype": "Customer", "link_name": customer}],
		}
	).insert(ignore_permissions=True)
	return contact.name
