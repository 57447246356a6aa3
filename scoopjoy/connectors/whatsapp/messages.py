"""WhatsApp messages for Sales Orders: the confirmation on submit, the desk buttons, the
plain-text send to opted-in customers, and the status updates from Meta's webhook.

Once per order: every message has a WhatsApp Message row keyed by document + template. The
row is written *before* the call as "Sending" and committed with the result right after it, so
a retried job finds it and does not send again. Meta has no idempotency key: a call that timed
out may or may not have been delivered, so it is marked Uncertain and not resent automatically
(a person decides, with "Send WhatsApp confirmation").
"""

from __future__ import annotations

import time

import frappe
from frappe import _

from scoopjoy.connectors.whatsapp import constants, payloads
from scoopjoy.connectors.whatsapp.connector import WhatsAppConnector
from scoopjoy.connectors.whatsapp.statuses import parse_status_webhook, should_apply
from scoopjoy.kernel.errors import ConnectorError, RecordError, TransientError
from scoopjoy.kernel.masking import mask_phone
from scoopjoy.reliability.errors import user_facing_errors
from scoopjoy.reliability.jobs import enqueue_integration_job
from scoopjoy.reliability.runtime import get_redis

MESSAGE = "WhatsApp Message"
JOBS = "scoopjoy.connectors.whatsapp.messages"
DONE = ("Sent", "Delivered", "Read")
RECENT_UNKNOWN_SECONDS = 600
#: never sent again by a retry; only a person's "Send WhatsApp confirmation" resends
FINAL = (*DONE, "Uncertain")


# --- document event ---------------------------------------------------------------------------------


def on_sales_order_submit(doc, method=None) -> None:
	connector = WhatsAppConnector()
	if not connector.is_enabled() or not connector.settings.send_on_submit:
		return
	queue_confirmation(doc.name)


def queue_confirmation(sales_order: str, resend: bool = False) -> bool:
	return enqueue_integration_job(
		f"{JOBS}.send_order_confirmation",
		connector=constants.SERVICE_NAME,
		job_key=f"confirmation:{sales_order}",
		reference_doctype="Sales Order",
		reference_name=sales_order,
		sales_order=sales_order,
		resend=resend,
	)


# --- the job ----------------------------------------------------------------------------------------------


def send_order_confirmation(sales_order: str, resend: bool = False) -> str:
	"""Send the confirmation template for a submitted Sales Order. Returns the message status."""
	connector = WhatsAppConnector()
	connector.ensure_enabled()
	template = connector.settings.order_confirmation_template or "order_confirmation"
	key = f"Sales Order:{sales_order}:{template}"
	# One sender per message at a time: a dead-letter replay and a button press must not both send.
	lock = get_redis().lock(f"scoopjoy:whatsapp:{frappe.local.site}:{key}", timeout=120, blocking_timeout=60)
	if not lock.acquire():
		raise TransientError(
			f"WhatsApp: another worker is sending the confirmation of {sales_order}; retried later."
		)
	try:
		return _send_order_confirmation(connector, sales_order, template, key, resend)
	finally:
		lock.release()


def _send_order_confirmation(connector, sales_order: str, template: str, key: str, resend: bool) -> str:
	so = frappe.get_doc("Sales Order", sales_order)
	return send_template_once(
		connector,
		so,
		template=template,
		key=key,
		resend=resend,
		body=lambda phone: payloads.order_confirmation_template(
			template,
			connector.settings.template_language or "en_US",
			to=phone,
			customer_name=so.customer_name,
			order_id=so.name,
			grand_total=so.grand_total,
			currency=so.currency,
			delivery_date=str(so.delivery_date or ""),
		),
		show=lambda status: _show_on_order(sales_order, status),
	)


def send_template_once(connector, doc, *, template: str, key: str, resend: bool, body, show=None) -> str:
	"""Send a template about ``doc`` (its customer's mobile) once per ``key``; returns the status.
	``body(phone)``: the message body; ``show(status)``: where the document shows it."""
	settings = connector.settings
	show = show or (lambda status: None)
	existing = frappe.db.get_value(MESSAGE, {"message_key": key}, ["name", "status"], as_dict=True)
	if existing and existing.status in FINAL and not resend:
		return existing.status  # sent (or maybe sent): a retried job sends nothing
	if existing and existing.status == "Sending" and not resend:
		# an earlier run stopped between the send and recording its result: it may have gone out
		message = frappe.get_doc(MESSAGE, existing.name)
		_finish(
			message,
			"Uncertain",
			"An earlier attempt stopped during the send; it may have been delivered. Check before resending.",
		)
		show("Uncertain")
		return "Uncertain"

	raw_phone, country_code = _customer_phone(doc, settings)
	phone = payloads.normalize_phone(raw_phone, country_code)
	message = frappe.get_doc(MESSAGE, existing.name) if existing else frappe.new_doc(MESSAGE)
	message.update(
		{
			"message_key": key,
			"template": template,
			"reference_doctype": doc.doctype,
			"reference_name": doc.name,
			"recipient": mask_phone(phone or raw_phone or ""),
		}
	)
	if not phone:
		reason = payloads.explain_phone_problem(raw_phone, country_code)
		frappe.logger("scoopjoy").info(f"WhatsApp: {doc.doctype} {doc.name} skipped, {reason}")
		_finish(
			message, "Skipped", f"No message sent: {reason}. Add a mobile number to customer {doc.customer}."
		)
		return "Skipped"

	_finish(message, "Sending", None)  # committed: a crash after the send still finds this row
	try:
		message.wamid = connector.send(body(phone), reference=(doc.doctype, doc.name))
	except Exception as error:
		status = _status_after_failed_send(error)
		reason = str(error)
		if status == "Uncertain":
			reason += " It may have been delivered: check before resending."
		_finish(message, status, reason)
		show(status)
		if status == "Failed" and not isinstance(error, RecordError):
			raise  # certainly not delivered and worth retrying: the dead letter sends it later
		return status
	_finish(message, "Sent", None)
	show("Sent")
	return "Sent"


def _status_after_failed_send(error: BaseException) -> str:
	"""Failed: Meta did not take the message (it answered with a refusal, or nothing was sent).
	Uncertain: the request may have been accepted (timeout, 5xx, reset, or an error after the
	response) and Meta has no idempotency key, so a blind retry could message the customer twice."""
	if not isinstance(error, ConnectorError):
		return "Uncertain"
	if error.request_sent is False:
		return "Failed"
	if error.status_code is not None and 300 <= error.status_code < 500:
		return "Failed"
	return "Uncertain"


def _show_on_order(sales_order: str, status: str) -> None:
	frappe.db.set_value("Sales Order", sales_order, "custom_whatsapp_status", status, update_modified=False)


def _finish(message, status: str, reason: str | None) -> None:
	message.status = status
	message.reason = reason
	message.save(ignore_permissions=True) if not message.is_new() else message.insert(ignore_permissions=True)
	# Commit on purpose, once per message: the record that a message went out must not be rolled
	# back by anything that fails later in the job, or a retry would send it again.
	frappe.db.commit()  # nosemgrep


def _customer_phone(so, settings) -> tuple[str | None, str | None]:
	phone = so.get("contact_mobile") or frappe.db.get_value("Customer", so.customer, "mobile_no")
	country_code = None
	address = so.get("shipping_address_name") or so.get("customer_address")
	country = frappe.db.get_value("Address", address, "country") if address else None
	if country:
		from frappe.geo.country_info import get_country_info

		country_code = (get_country_info(country) or {}).get("isd", "").lstrip("+") or None
	return phone, country_code or settings.default_country_code


# --- status webhook processing (a job; the endpoint only verifies and enqueues) ------------------------------


def apply_status_webhook(payload: dict) -> int:
	"""Apply every status in a webhook body (see :func:`apply_status_events`)."""
	return apply_status_events(status_events(payload))


def status_events(payload: dict) -> list[dict]:
	"""Only what is needed to apply a status: no phone numbers (they would sit in a dead letter)."""
	return [
		{
			"message_id": event.message_id,
			"status": event.status,
			"timestamp": event.timestamp,
			"errors": [str(e.get("title") or e.get("message") or e.get("code")) for e in event.errors],
		}
		for event in parse_status_webhook(payload)
	]


def apply_status_events(events: list[dict]) -> int:
	"""Apply status events in timestamp order; an older or repeated event changes nothing.

	An event for a message we have not recorded yet, but which is recent, is retried later: its
	send may still be committing its message id (Meta can be faster than our commit)."""
	applied, waiting = 0, []
	for event in sorted(events, key=lambda event: event["timestamp"]):
		row = frappe.db.get_value(
			MESSAGE,
			{"wamid": event["message_id"]},
			["name", "status", "status_timestamp", "reference_name"],
			as_dict=True,
		)
		if not row:
			if event["timestamp"] >= time.time() - RECENT_UNKNOWN_SECONDS:
				waiting.append(event["message_id"])
			continue  # an old unknown id is not one of ours: nothing to update
		if not should_apply(row.status or "", row.status_timestamp or 0, event["status"], event["timestamp"]):
			continue
		status = event["status"].capitalize()
		frappe.db.set_value(
			MESSAGE,
			row.name,
			{
				"status": status,
				"status_timestamp": event["timestamp"],
				"reason": "; ".join(event["errors"]) or None,
			},
		)
		if row.reference_name:
			_show_on_order(row.reference_name, status)
		applied += 1
	if waiting:
		raise TransientError(
			f"WhatsApp: status for message(s) not recorded yet ({', '.join(waiting)}); retried shortly.",
			service=constants.SERVICE_NAME,
		)
	return applied


# --- desk ----------------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def send_confirmation_now(sales_order: str) -> str:
	"""Button on a submitted Sales Order: (re)send the confirmation in the background."""
	frappe.has_permission("Sales Order", "write", doc=sales_order, throw=True)
	if frappe.db.get_value("Sales Order", sales_order, "docstatus") != 1:
		frappe.throw(_("Only a submitted Sales Order can be confirmed on WhatsApp."))
	with user_facing_errors():
		WhatsAppConnector().ensure_enabled()
	queued = queue_confirmation(sales_order, resend=True)
	return _("WhatsApp confirmation queued.") if queued else _("A confirmation is already queued.")


@frappe.whitelist(methods=["POST"])
def send_text(customer: str, text: str) -> str:
	"""Plain text to a customer who opted in (Meta allows free text only within 24 h of their last
	message; outside it the send fails with 131047 and says so)."""
	frappe.has_permission("Customer", "write", doc=customer, throw=True)
	if not (text or "").strip():
		frappe.throw(_("Write the message first: an empty WhatsApp message cannot be sent."))
	mobile, opted_in = frappe.db.get_value("Customer", customer, ["mobile_no", "custom_whatsapp_opt_in"])
	if not opted_in:
		frappe.throw(_("Customer {0} has not opted in to WhatsApp messages.").format(customer))
	connector = WhatsAppConnector()
	phone = payloads.normalize_phone(mobile, connector.settings.default_country_code)
	if not phone:
		frappe.throw(
			_("Customer {0}: {1}").format(
				customer, payloads.explain_phone_problem(mobile, connector.settings.default_country_code)
			)
		)
	with user_facing_errors():
		connector.ensure_enabled()
		connector.send(payloads.text_message(phone, text), reference=("Customer", customer))
	return _("Message sent to {0}.").format(mask_phone(phone))
