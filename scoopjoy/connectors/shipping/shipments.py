"""Delivery Note -> Shipment -> rates -> booking, label and tracking (the seed's shipping flow).

- ``create_shipment_for_delivery``: one Shipment per Delivery Note (a second call returns the
  first), pickup from the company's warehouse address, delivery to the customer's shipping
  address, one parcel whose weight comes from the items (minimum, dimensions and fallbacks from
  Shipping Settings), value of goods from the Delivery Note. What is missing is named.
- rates come from the ERPNext Shipping app when installed and from the direct carrier when it is
  enabled in Shipping Settings; without either, the message says what to install.
- ``book_shipment_and_print_label``: idempotent. A Redis lock keeps two clicks (or a click and a
  retried job) apart, a Shipment that already has a shipment id / AWB is never booked again,
  and the direct carrier's parcels carry an idempotency key and a unique external reference.
- tracking: booked Shipments are refreshed periodically into the Shipment and its Delivery Notes.

HTTP calls are never made inside a document save: the Shipment is committed first.
"""

from __future__ import annotations

import inspect
import json

import frappe
from frappe import _
from frappe.utils import add_days, flt, nowdate

from scoopjoy.connectors.shipping import constants, payloads
from scoopjoy.connectors.shipping.connector import CarrierConnector
from scoopjoy.kernel.errors import ConnectorError
from scoopjoy.reliability.dead_letters import record_dead_letter
from scoopjoy.reliability.errors import user_facing_errors
from scoopjoy.reliability.jobs import enqueue_integration_job, job_id_for
from scoopjoy.reliability.runtime import get_redis

JOBS = "scoopjoy.connectors.shipping.shipments"
BOOKING_LOCK_SECONDS = 300


#: hooks.py: called with (delivery notes) once a carrier booked their parcel
TRACKING_BOOKED_HOOK = "scoopjoy_tracking_booked"


def shipping_app_installed() -> bool:
	return constants.SHIPPING_APP in frappe.get_installed_apps()


def call_shipping_app(function: str, **arguments):
	"""Call ``function`` of the installed ERPNext Shipping app with the arguments its version takes.

	The app's signatures changed between versions (``shipment_parcel`` became ``parcels``;
	``print_shipping_label(service_provider, shipment_id)`` became ``print_shipping_label(shipment)``;
	newer versions added keyword arguments). We pass everything we know under our names; each is
	renamed to the alias the installed version takes, and what it does not take is left out.
	"""
	method = frappe.get_attr(f"{constants.SHIPPING_APP_API}.{function}")
	accepted = inspect.signature(method).parameters
	call = {}
	for name, value in arguments.items():
		name = next(
			(alias for alias in (name, *constants.SHIPPING_APP_ALIASES.get(name, ())) if alias in accepted),
			None,
		)
		if name:
			call[name] = value
	return method(**call)


def settings():
	return frappe.get_single(constants.SETTINGS_DOCTYPE)


def direct_carrier(shipping_settings=None) -> CarrierConnector | None:
	connector = CarrierConnector(settings=shipping_settings or settings())
	return connector if connector.is_enabled() else None


def no_carrier_message() -> str:
	return _(
		"No carrier is available to quote or book this shipment. Install the ERPNext Shipping app ({0}), "
		"or enable the direct carrier in Shipping Settings."
	).format(constants.INSTALL_HINT)


# --- Delivery Note -> Shipment ------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def create_shipment_for_delivery(delivery_note_name: str) -> dict:
	"""Create (once) the Shipment of a submitted Delivery Note and return it with the carriers' rates."""
	frappe.has_permission("Delivery Note", "read", doc=delivery_note_name, throw=True)
	frappe.has_permission("Shipment", "create", throw=True)
	dn = frappe.get_doc("Delivery Note", delivery_note_name)
	if dn.docstatus != 1:
		frappe.throw(_("Submit Delivery Note {0} before creating its shipment.").format(dn.name))

	existing = existing_shipment(dn.name)
	if existing:
		shipment = frappe.get_doc("Shipment", existing)
	else:
		shipment = _build_shipment(dn, settings())
		shipment.insert()
		_link_delivery_note(dn.name, {"custom_shipment": shipment.name})
		frappe.db.commit()  # nosemgrep: the Shipment is saved before any carrier is called

	rates, message = get_shipping_rates(shipment)
	return {"shipment": shipment.name, "created": not existing, "rates": rates, "message": message}


def existing_shipment(delivery_note: str) -> str | None:
	rows = frappe.get_all(
		"Shipment Delivery Note",
		filters={"delivery_note": delivery_note, "parenttype": "Shipment", "docstatus": ["<", 2]},
		pluck="parent",
		limit=1,
	)
	return rows[0] if rows else None


def _build_shipment(dn, shipping_settings):
	problems = []
	if not dn.shipping_address_name:
		problems.append(
			_("Delivery Note {0} has no shipping address: set one for customer {1}.").format(
				dn.name, dn.customer
			)
		)
	pickup = pickup_address(dn.company, shipping_settings)
	if not pickup:
		problems.append(
			_(
				"Company {0} has no address to pick up from: add an Address of type Warehouse linked to the "
				"company (marked 'Is Your Company Address'), or choose one in Shipping Settings."
			).format(dn.company)
		)
	weight = payloads.parcel_weight(
		[row.as_dict() for row in dn.items],
		minimum_kg=flt(shipping_settings.minimum_parcel_weight),
		fallback_kg=flt(shipping_settings.fallback_item_weight),
		default_uom=shipping_settings.default_weight_uom or "kg",
	)
	weight_problem = payloads.weight_problem(weight)
	if weight_problem:
		problems.append(_("Delivery Note {0}: {1}.").format(dn.name, weight_problem))
	if problems:
		frappe.throw("<br>".join(problems), title=_("Cannot create the shipment"))

	return frappe.get_doc(
		{
			"doctype": "Shipment",
			"pickup_from_type": "Company",
			"pickup_company": dn.company,
			"pickup_address_name": pickup,
			"pickup_contact_person": shipping_settings.pickup_contact_user or frappe.session.user,
			"delivery_to_type": "Customer",
			"delivery_customer": dn.customer,
			"delivery_address_name": dn.shipping_address_name,
			"delivery_contact_name": dn.contact_person,
			"shipment_delivery_note": [{"delivery_note": dn.name, "grand_total": dn.grand_total}],
			"shipment_parcel": payloads.shipment_parcels(
				weight.weight_kg,
				shipping_settings.parcel_length,
				shipping_settings.parcel_width,
				shipping_settings.parcel_height,
			),
			"value_of_goods": dn.grand_total,
			"pickup_date": add_days(nowdate(), shipping_settings.pickup_after_days or 0),
			"pickup_from": shipping_settings.pickup_from,
			"pickup_to": shipping_settings.pickup_to,
			"description_of_content": _("{0} for {1}").format(
				shipping_settings.description_of_content or _("Goods"), dn.customer_name
			),
		}
	)


def pickup_address(company: str, shipping_settings) -> str | None:
	"""Settings' pickup address, else the company's Warehouse address, else its shipping address."""
	if shipping_settings.pickup_address:
		return shipping_settings.pickup_address
	rows = frappe.get_all(
		"Address",
		filters=[
			["Dynamic Link", "link_doctype", "=", "Company"],
			["Dynamic Link", "link_name", "=", company],
			["Address", "is_your_company_address", "=", 1],
			["Address", "disabled", "=", 0],
		],
		fields=["name", "address_type", "is_shipping_address"],
		order_by="name asc",
	)
	for wanted in (lambda r: r.address_type == "Warehouse", lambda r: r.is_shipping_address, lambda r: True):
		for row in rows:
			if wanted(row):
				return row.name
	return None


# --- rates --------------------------------------------------------------------------------------------


@frappe.whitelist()
def get_rates_for_shipment(shipment_name: str) -> dict:
	frappe.has_permission("Shipment", "read", doc=shipment_name, throw=True)
	rates, message = get_shipping_rates(frappe.get_doc("Shipment", shipment_name))
	return {"shipment": shipment_name, "rates": rates, "message": message}


def get_shipping_rates(shipment) -> tuple[list[dict], str | None]:
	"""Rates of every available carrier, cheapest first, and a message when there are none."""
	rates: list[dict] = []
	shipping_settings = settings()
	carrier = direct_carrier(shipping_settings)
	if not shipping_app_installed() and not carrier:
		return [], no_carrier_message()
	if shipping_app_installed():
		rates += _app_rates(shipment)
	if carrier:
		with user_facing_errors(title=_("Shipping rates")):
			rates += _direct_rates(carrier, shipment)
	rates.sort(key=lambda rate: flt(rate.get("total_price")))
	return rates, None if rates else _("No carrier offers a service for this parcel and destination.")


def _direct_rates(carrier: CarrierConnector, shipment) -> list[dict]:
	country = _country_code(shipment.delivery_address_name)
	weight = max((flt(p.weight) for p in shipment.shipment_parcel), default=0)
	return payloads.rates_from_methods(
		carrier.shipping_methods(country), country, weight, carrier.provider_name()
	)


def _app_rates(shipment) -> list[dict]:
	rates = call_shipping_app(
		"fetch_shipping_rates",
		pickup_from_type=shipment.pickup_from_type,
		delivery_to_type=shipment.delivery_to_type,
		pickup_address_name=shipment.pickup_address_name,
		delivery_address_name=shipment.delivery_address_name,
		parcels=json.dumps(_parcels(shipment)),
		description_of_content=shipment.description_of_content,
		pickup_date=str(shipment.pickup_date),
		value_of_goods=shipment.value_of_goods,
		pickup_contact_name=shipment.pickup_contact_person,
		delivery_contact_name=shipment.delivery_contact_name,
		pickup_company=shipment.pickup_company,
		delivery_customer=shipment.delivery_customer,
		total_weight=sum(flt(p.weight) * (p.count or 1) for p in shipment.shipment_parcel),
	)
	return [dict(rate) for rate in rates or []]


# --- booking ------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def book_shipment_and_print_label(shipment_name: str, service_provider: str, service_name: str) -> dict:
	"""Book the Shipment with the chosen service; return tracking number and label URL(s).

	Safe to press twice and to retry: a booked Shipment is returned as it is.
	"""
	frappe.has_permission("Shipment", "write", doc=shipment_name, throw=True)
	lock = get_redis().lock(
		f"scoopjoy:shipping:{frappe.local.site}:book:{shipment_name}",
		timeout=BOOKING_LOCK_SECONDS,
		blocking_timeout=5,
	)
	if not lock.acquire():
		frappe.throw(_("Shipment {0} is being booked right now; refresh in a moment.").format(shipment_name))
	try:
		return _book(shipment_name, service_provider, service_name)
	finally:
		lock.release()


def _book(shipment_name: str, service_provider: str, service_name: str) -> dict:
	shipment = frappe.get_doc("Shipment", shipment_name)
	if shipment.shipment_id or shipment.awb_number or shipment.status == "Booked":
		return _result(shipment, already_booked=True)
	if shipment.docstatus == 2:
		frappe.throw(_("Shipment {0} is cancelled.").format(shipment.name))
	shipping_settings = settings()
	carrier = direct_carrier(shipping_settings)
	use_direct = bool(carrier) and service_provider == carrier.provider_name()
	if not use_direct and not shipping_app_installed():
		frappe.throw(no_carrier_message(), title=_("Shipping app not installed"))
	if shipment.docstatus == 0:
		shipment.submit()
	frappe.db.commit()  # nosemgrep: nothing is held open while the carrier is called

	if use_direct:
		with user_facing_errors(title=_("Booking failed")):
			info = _book_direct(carrier, shipment, service_name)
	else:
		info = _book_with_app(shipment, service_provider, service_name)

	_record_booking(shipment.name, info)
	return _result(frappe.get_doc("Shipment", shipment.name), label_urls=info.get("label_urls"))


def _book_direct(carrier: CarrierConnector, shipment, service_name: str) -> dict:
	address = _address(shipment.delivery_address_name)
	weight = max((flt(p.weight) for p in shipment.shipment_parcel), default=0)
	rates = payloads.rates_from_methods(
		carrier.shipping_methods(address["country_code"]),
		address["country_code"],
		weight,
		carrier.provider_name(),
	)
	rate = next((r for r in rates if r["service_name"] == service_name), None)
	if rate is None:
		frappe.throw(
			_("{0} does not offer '{1}' for this parcel. Available: {2}.").format(
				carrier.provider_name(), service_name, ", ".join(r["service_name"] for r in rates) or "-"
			)
		)
	contact = _contact(shipment.delivery_contact_name)
	currency = frappe.db.get_value("Company", shipment.pickup_company, "default_currency")
	parcels, index = [], 0
	for row in shipment.shipment_parcel:
		for _copy in range(max(1, int(row.count or 1))):
			index += 1
			payload = payloads.carrier_parcel(
				shipment=shipment.name,
				index=index,
				address=address,
				recipient=contact.get("name") or shipment.delivery_customer,
				company_name=frappe.db.get_value("Customer", shipment.delivery_customer, "customer_name"),
				email=contact.get("email"),
				phone=contact.get("phone"),
				weight_kg=flt(row.weight),
				service_id=rate["service_id"],
				value=shipment.value_of_goods,
				currency=currency,
				description=shipment.description_of_content,
			)
			parcels.append(carrier.create_parcel(payload, shipment.name, index))
	info = payloads.booking_info(parcels, rate)
	info["tracking_status"] = constants.IN_PROGRESS
	return info


def _book_with_app(shipment, service_provider: str, service_name: str) -> dict:
	rate = next(
		(
			r
			for r in _app_rates(shipment)
			if r.get("service_provider") == service_provider and r.get("service_name") == service_name
		),
		None,
	)
	if rate is None:
		frappe.throw(
			_("{0} no longer offers '{1}' for this shipment: fetch the rates again.").format(
				service_provider, service_name
			)
		)
	info = call_shipping_app(
		"create_shipment",
		shipment=shipment.name,
		pickup_from_type=shipment.pickup_from_type,
		delivery_to_type=shipment.delivery_to_type,
		pickup_address_name=shipment.pickup_address_name,
		delivery_address_name=shipment.delivery_address_name,
		parcels=json.dumps(_parcels(shipment)),
		description_of_content=shipment.description_of_content,
		pickup_date=str(shipment.pickup_date),
		value_of_goods=shipment.value_of_goods,
		service_data=json.dumps(rate, default=str),
		pickup_contact_name=shipment.pickup_contact_person,
		delivery_contact_name=shipment.delivery_contact_name,
		delivery_notes=json.dumps([row.delivery_note for row in shipment.shipment_delivery_note]),
	)
	if not info:
		frappe.throw(
			_("{0} did not book the shipment; see the message above or the Error Log.").format(
				service_provider
			)
		)
	labels = call_shipping_app(
		"print_shipping_label",
		shipment=shipment.name,
		service_provider=info.get("service_provider") or service_provider,
		shipment_id=info.get("shipment_id"),
	)
	info = dict(info)
	info["label_urls"] = labels if isinstance(labels, list) else [labels] if labels else []
	return info


def _record_booking(shipment: str, info: dict) -> None:
	fields = (
		"service_provider",
		"carrier",
		"carrier_service",
		"shipment_id",
		"shipment_amount",
		"awb_number",
	)
	values = {f: info.get(f) for f in fields if info.get(f) is not None}
	if info.get("tracking_url"):
		values["tracking_url"] = info["tracking_url"]
	if info.get("tracking_status"):
		values["tracking_status"] = info["tracking_status"]
	values["status"] = "Booked"
	frappe.db.set_value("Shipment", shipment, values)
	for url in info.get("label_urls") or []:
		frappe.get_doc("Shipment", shipment).add_comment("Comment", _("Shipping label: {0}").format(url))
	notes = _delivery_notes(shipment)
	for dn in notes:
		_link_delivery_note(
			dn,
			{
				"custom_shipment": shipment,
				"custom_tracking_number": values.get("awb_number"),
				"custom_tracking_url": values.get("tracking_url"),
				"custom_tracking_status": values.get("tracking_status"),
			},
		)
	if values.get("awb_number"):
		_tell_tracking(notes)
	frappe.db.commit()  # nosemgrep: a booked parcel must be recorded even if something fails later


def _tell_tracking(delivery_notes: list[str]) -> None:
	"""Who else wants a parcel's tracking (a Shopify fulfilment): hooks.py, never an import of theirs."""
	for method in frappe.get_hooks(TRACKING_BOOKED_HOOK):
		frappe.get_attr(method)(delivery_notes)


def _result(shipment, already_booked: bool = False, label_urls: list | None = None) -> dict:
	return {
		"shipment": shipment.name,
		"already_booked": already_booked,
		"carrier": shipment.carrier,
		"service_provider": shipment.service_provider,
		"tracking_number": shipment.awb_number,
		"tracking_url": shipment.tracking_url,
		"label_url": (label_urls or [None])[0],
		"label_urls": label_urls or [],
	}


# --- tracking -----------------------------------------------------------------------------------------


def scheduled_tracking_refresh() -> None:
	"""Hourly (hooks.py): queue one refresh of every booked, not yet delivered Shipment."""
	shipping_settings = settings()
	if not shipping_settings.refresh_tracking:
		return
	enqueue_integration_job(
		f"{JOBS}.refresh_all_tracking", connector=constants.SERVICE_NAME, job_key="tracking", queue="long"
	)


def shipments_to_track() -> list[str]:
	return frappe.get_all(
		"Shipment",
		filters={
			"docstatus": 1,
			"status": "Booked",
			"shipment_id": ["is", "set"],
			"tracking_status": ["not in", list(constants.FINAL_TRACKING_STATUSES)],
		},
		pluck="name",
		order_by="modified asc",
	)


def refresh_all_tracking() -> dict:
	"""Refresh each booked Shipment; one that fails is dead-lettered, the others go on."""
	refreshed, failed = 0, []
	for name in shipments_to_track():
		try:
			refresh_shipment_tracking(name)
			refreshed += 1
		except ConnectorError as error:
			failed.append(name)
			record_dead_letter(
				connector=constants.SERVICE_NAME,
				job=f"{JOBS}.refresh_shipment_tracking",
				payload={"shipment": name},
				error=error,
				dedup_key=job_id_for(constants.SERVICE_NAME, f"tracking:{name}"),
				reference_doctype="Shipment",
				reference_name=name,
			)
	return {"refreshed": refreshed, "failed": failed}


def refresh_shipment_tracking(shipment: str) -> dict | None:
	doc = frappe.get_doc("Shipment", shipment)
	if not doc.shipment_id:
		return None
	carrier = direct_carrier()
	if carrier and doc.service_provider == carrier.provider_name():
		parcels = [
			carrier.get_parcel(pid.strip(), shipment)
			for pid in str(doc.shipment_id).split(",")
			if pid.strip()
		]
		tracking = payloads.tracking_from_parcels(parcels)
	elif shipping_app_installed():
		call_shipping_app(
			"update_tracking",
			shipment=shipment,
			service_provider=doc.service_provider,
			shipment_id=doc.shipment_id,
			delivery_notes=json.dumps(_delivery_notes(shipment)),
		)
		tracking = frappe.db.get_value(
			"Shipment",
			shipment,
			["awb_number", "tracking_status", "tracking_status_info", "tracking_url"],
			as_dict=True,
		)
	else:
		return None
	values = {k: v for k, v in tracking.items() if v}
	if tracking.get("tracking_status") == constants.DELIVERED:
		values["status"] = "Completed"
	frappe.db.set_value("Shipment", shipment, values)
	notes = _delivery_notes(shipment)
	for dn in notes:
		_link_delivery_note(
			dn,
			{
				"custom_tracking_number": tracking.get("awb_number"),
				"custom_tracking_status": tracking.get("tracking_status_info")
				or tracking.get("tracking_status"),
				"custom_tracking_url": tracking.get("tracking_url"),
			},
		)
	if tracking.get("awb_number"):
		_tell_tracking(notes)  # a tracking URL or a new number can come with a refresh
	return dict(tracking)


@frappe.whitelist(methods=["POST"])
def refresh_tracking_now(shipment_name: str) -> dict | None:
	frappe.has_permission("Shipment", "write", doc=shipment_name, throw=True)
	with user_facing_errors(title=_("Tracking")):
		return refresh_shipment_tracking(shipment_name)


# --- helpers ------------------------------------------------------------------------------------------


def _parcels(shipment) -> list[dict]:
	return [
		{"length": p.length, "width": p.width, "height": p.height, "weight": flt(p.weight), "count": p.count}
		for p in shipment.shipment_parcel
	]


def _delivery_notes(shipment: str) -> list[str]:
	return frappe.get_all(
		"Shipment Delivery Note",
		filters={"parent": shipment, "parenttype": "Shipment"},
		pluck="delivery_note",
	)


def _link_delivery_note(delivery_note: str, values: dict) -> None:
	meta = frappe.get_meta("Delivery Note")
	values = {k: v for k, v in values.items() if meta.has_field(k) and v is not None}
	if values:
		frappe.db.set_value("Delivery Note", delivery_note, values, update_modified=False)


def _country_code(address_name: str) -> str:
	return _address(address_name)["country_code"]


def _address(address_name: str) -> dict:
	address = frappe.db.get_value(
		"Address",
		address_name,
		["address_line1", "address_line2", "city", "pincode", "country"],
		as_dict=True,
	)
	if not address:
		frappe.throw(_("Address {0} does not exist.").format(address_name))
	address["country_code"] = (frappe.db.get_value("Country", address.country, "code") or "").upper()
	return address


def _contact(contact_name: str | None) -> dict:
	if not contact_name:
		return {}
	row = frappe.db.get_value(
		"Contact", contact_name, ["first_name", "last_name", "email_id", "phone", "mobile_no"], as_dict=True
	)
	if not row:
		return {}
	return {
		"name": " ".join(p for p in (row.first_name, row.last_name) if p),
		"email": row.email_id,
		"phone": row.mobile_no or row.phone,
	}
