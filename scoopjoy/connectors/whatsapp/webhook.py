"""The WhatsApp webhook endpoint: Meta's GET verification handshake and signed status POSTs.

https://developers.facebook.com/docs/graph-api/webhooks/getting-started
- GET: ``hub.mode=subscribe`` with our verify token -> echo ``hub.challenge`` as the bare body.
- POST: ``X-Hub-Signature-256`` checked on the raw body in constant time against the app secret
  (and the previous one during a rotation). A missing or wrong signature gets 401 and nothing
  else: no Error Log row, no job, so forged traffic cannot flood anything. A good one is queued
  (job id = hash of the body, so a duplicate delivery is not queued twice) and answered at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import frappe

from scoopjoy.connectors.whatsapp import constants
from scoopjoy.connectors.whatsapp.messages import status_events
from scoopjoy.kernel.signatures import META_SIGNATURE_HEADER, verify_meta_signature
from scoopjoy.reliability.jobs import enqueue_integration_job

ENDPOINT = "scoopjoy.connectors.whatsapp.webhook.receive"


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
def receive():
	settings = frappe.get_cached_doc(constants.SETTINGS_DOCTYPE)
	if frappe.request.method == "GET":
		return _verification_handshake(settings)
	raw_body = frappe.request.get_data(cache=True) or b""
	secrets = [
		settings.get_password("app_secret", raise_exception=False),
		settings.get_password("previous_app_secret", raise_exception=False),
	]
	if not verify_meta_signature(raw_body, frappe.get_request_header(META_SIGNATURE_HEADER), secrets):
		frappe.local.response["http_status_code"] = 401
		return {"error": "invalid signature"}
	try:
		payload = json.loads(raw_body)
	except ValueError:
		frappe.local.response["http_status_code"] = 400
		return {"error": "body is not JSON"}
	events = status_events(payload)
	if events:  # inbound messages and other fields are not ours to handle yet
		enqueue_integration_job(
			"scoopjoy.connectors.whatsapp.messages.apply_status_events",
			connector=constants.SERVICE_NAME,
			job_key=f"webhook:{hashlib.sha256(raw_body).hexdigest()[:32]}",
			events=events,
		)
	return {"status": "queued"}  # Frappe commits a POST request, which releases the queued job


def _verification_handshake(settings):
	args = frappe.local.form_dict
	token = settings.get_password("webhook_verify_token", raise_exception=False)
	offered = str(args.get("hub.verify_token") or "")
	if (
		args.get("hub.mode") == "subscribe"
		and token
		and hmac.compare_digest(offered.encode(), token.encode())
	):
		frappe.local.response.update(
			{
				"type": "download",
				"filename": "challenge.txt",
				"content_type": "text/plain",
				"display_content_as": "inline",
				"filecontent": str(args.get("hub.challenge") or ""),
			}
		)
		return None
	frappe.local.response["http_status_code"] = 403
	return {"error": "verification failed"}
