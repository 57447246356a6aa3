"""Fault matrix: every connector's kernel path against its simulator under injected faults.

Why: "no duplicate orders, nothing lost on a timeout" is a claim about how the pieces work
together (transport retries, the classifier with the provider's rules, the Redis breaker and
rate budget, dead letters and their replay, reconciliation of uncertain sends), so it is
measured end to end, over real sockets and the real Redis, for each connector x fault.

For each cell: queue the fault on the simulator (or expire our token), run the connector's
operations the way its job does, put what fails into an in-memory dead-letter list (as
``run_integration_job`` does), clear the fault, let the breaker cool, replay the dead letters
with the same payload and idempotency key, and reconcile the sends that may have gone through
without a key by reading the provider's state (never by resending blindly). Then count, from
the simulator's own state: lost = intended operations neither applied nor still dead-lettered;
duplicated = provider records applied more than once for one intended operation.

Job semantics are reproduced here because the real jobs import frappe (this runs without it):
WhatsApp's "Uncertain" status (``messages._status_after_failed_send``), Google's pending batch
and its reconciliation (``google_contacts.sync``), the Shopify inbox's dedupe by webhook id and
"never an older updatedAt" (``shopify.webhook`` / ``shopify.orders.apply_order``), WhatsApp's
webhook job key and status ordering (``whatsapp.webhook`` / ``whatsapp.statuses.should_apply``).

Run: ``python tools/fault_matrix.py [--quick]`` or ``make fault-matrix``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoopjoy.connectors.google_contacts import constants as google_constants
from scoopjoy.connectors.google_contacts import payloads as google_payloads
from scoopjoy.connectors.google_contacts.errors import google_response_rule
from scoopjoy.connectors.mobile_app import constants as mobile_constants
from scoopjoy.connectors.mobile_app import payloads as mobile_payloads
from scoopjoy.connectors.shipping import constants as shipping_constants
from scoopjoy.connectors.shipping import payloads as shipping_payloads
from scoopjoy.connectors.shopify import constants as shopify_constants
from scoopjoy.connectors.shopify import queries
from scoopjoy.connectors.shopify.graphql_client import (
	ShopifyGraphQL,
	graphql_response_rule,
	raise_user_errors,
)
from scoopjoy.connectors.shopify.mapping import (
	legacy_id,
	order_plan,
	order_reference_from_webhook,
	product_identifier,
	product_set_input,
)
from scoopjoy.connectors.whatsapp import constants as whatsapp_constants
from scoopjoy.connectors.whatsapp import payloads as whatsapp_payloads
from scoopjoy.connectors.whatsapp.errors import WhatsAppClassifier
from scoopjoy.connectors.whatsapp.statuses import parse_status_webhook, should_apply
from scoopjoy.kernel.circuit_breaker import CircuitBreaker
from scoopjoy.kernel.errors import Classifier, ConnectorError, RateLimitedError, RecordError
from scoopjoy.kernel.idempotency import idempotency_key
from scoopjoy.kernel.masking import mask_payload
from scoopjoy.kernel.rate_limit import RateLimiter
from scoopjoy.kernel.retry import RetryPolicy
from scoopjoy.kernel.signatures import (
	META_SIGNATURE_HEADER,
	SHOPIFY_HMAC_HEADER,
	verify_meta_signature,
	verify_shopify_hmac,
)
from scoopjoy.kernel.transport import HttpTransport
from scoopjoy.tests.simulators import Fault
from scoopjoy.tests.simulators.carrier import CarrierSimulator
from scoopjoy.tests.simulators.google_people import GooglePeopleSimulator, quota_fault
from scoopjoy.tests.simulators.mobile_backend import MobileBackendSimulator
from scoopjoy.tests.simulators.shopify import ShopifySimulator
from scoopjoy.tests.simulators.whatsapp_cloud import WhatsAppCloudSimulator

REDIS_URL = os.environ.get("SCOOPJOY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: time is scaled down so the matrix runs in seconds: a read timeout of 0.4 s, a late answer 0.8 s
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 0.4
LATE = 0.8
BREAKER_COOLDOWN = 0.3
#: whole seconds: RFC 9110 delay-seconds is an integer, and urllib3 rejects "0.1" (InvalidHeader,
#: which the kernel classifies as a config failure)
RETRY_AFTER = 1
BAD_TOKEN = "expired-token"


class WorkerKilled(BaseException):
	"""The worker died between the provider's answer and our commit (not an Exception: nothing catches it)."""


# --- results -------------------------------------------------------------------------------------


@dataclass
class Row:
	connector: str
	fault: str
	attempted: int = 0
	succeeded: int = 0  # applied and confirmed on the first pass
	dead_lettered: int = 0  # went to the dead-letter list
	uncertain: int = 0  # may have been applied: reconciled by reading the provider, not resent
	replayed: int = 0  # applied by a dead-letter replay (or a resend after reconciliation found nothing)
	reconciled: int = 0  # found applied at the provider by reconciliation
	left_in_dl: int = 0  # still dead-lettered at the end (not lost: a person or the scheduler retries it)
	lost: int = 0
	duplicated: int = 0
	notes: str = ""


COLUMNS = (
	("connector", "connector"),
	("fault", "fault"),
	("attempted", "attempted"),
	("succeeded", "ok 1st pass"),
	("dead_lettered", "dead-lettered"),
	("uncertain", "uncertain"),
	("replayed", "replayed ok"),
	("reconciled", "reconciled"),
	("left_in_dl", "left in DL"),
	("lost", "**lost**"),
	("duplicated", "**duplicated**"),
	("notes", "notes"),
)


def markdown(rows: list[Row]) -> str:
	lines = [
		"| " + " | ".join(title for _key, title in COLUMNS) + " |",
		"|"
		+ "|".join("---" if key in ("connector", "fault", "notes") else "---:" for key, _t in COLUMNS)
		+ "|",
	]
	for row in rows:
		lines.append("| " + " | ".join(str(getattr(row, key)) for key, _t in COLUMNS) + " |")
	return "\n".join(lines)


# --- environment -----------------------------------------------------------------------------------


@dataclass
class Env:
	redis: redis.Redis
	prefix: str = field(default_factory=lambda: f"scoopjoy-matrix:{uuid.uuid4().hex[:10]}:")

	def cleanup(self) -> None:
		for key in self.redis.scan_iter(match=f"{self.prefix}*"):
			self.redis.delete(key)


def build_transport(
	env: Env,
	*,
	service: str,
	base_url: str,
	max_retries: int,
	classifier: Classifier,
	auth: Callable[[], dict],
	rate: tuple[float, float],
	idempotency_header: str = "Idempotency-Key",
) -> HttpTransport:
	"""What ``BaseConnector._build_transport`` builds, with the connector's declarations and scaled time."""
	return HttpTransport(
		service=service,
		base_url=base_url,
		timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
		retry_policy=RetryPolicy(
			max_retries=max_retries, backoff_base=0.02, backoff_cap=0.1, max_retry_after=5
		),
		classifier=classifier,
		breaker=CircuitBreaker(
			env.redis,
			service,
			failure_threshold=5,
			cooldown=BREAKER_COOLDOWN,
			probe_lease=2.0,
			service=service,
			key_prefix=env.prefix + "breaker:",
		),
		rate_limiter=RateLimiter(
			env.redis,
			service,
			capacity=rate[0],
			refill_per_second=rate[1],
			max_wait=10,
			service=service,
			key_prefix=env.prefix + "rate:",
		),
		headers={"Content-Type": "application/json"},
		auth_headers=auth,
		idempotency_header=idempotency_header,
	)


# --- connectors -------------------------------------------------------------------------------------


class Connector:
	"""One connector's kernel path: its operations, how its job treats a failure, how to count applied work."""

	name = ""
	max_retries = 3
	rate = (50.0, 50.0)
	keyed = True  # mutations carry an idempotency key (or are upserts): safe to replay
	note = ""

	def __init__(self, env: Env):
		self.env = env
		self.token_ok = True
		self.sim = self.start()
		self.transport = self.connect()

	def start(self):
		raise NotImplementedError

	def connect(self) -> HttpTransport:
		raise NotImplementedError

	def stop(self) -> None:
		self.transport.close()
		self.sim.stop()

	def run(self, op: str, crash_after_send: bool = False) -> None:
		raise NotImplementedError

	def applied(self, op: str) -> int:
		"""How many provider-side records exist for this intended operation (from the simulator's state)."""
		raise NotImplementedError

	def uncertain(self, error: ConnectorError) -> bool:
		"""True when the job cannot know whether the provider acted (and has no key to resend safely)."""
		return False

	def reconcile(self, op: str) -> bool:
		"""Read the provider's state: was this operation applied?"""
		return self.applied(op) > 0

	def rate_limit_fault(self, times: int) -> Fault:
		return Fault.rate_limited(times=times, retry_after=RETRY_AFTER)

	# the job loop (run_integration_job per operation) ----------------------------------------------

	def first_pass(self, ops: list[str], crash_at: int | None) -> dict[str, str]:
		outcomes = {}
		for index, op in enumerate(ops):
			if crash_at is not None and index > crash_at:
				outcomes[op] = "not_run"  # the worker is dead; the restarted job does these
				continue
			try:
				self.run(op, crash_after_send=index == crash_at)
				outcomes[op] = "ok"
			except WorkerKilled:
				outcomes[op] = "crashed"
			except ConnectorError as error:
				outcomes[op] = "uncertain" if self.uncertain(error) else "dl"
		return outcomes

	def recover(self, outcomes: dict[str, str]) -> dict[str, str]:
		"""After the fault: replay dead letters (same payload, same key), reconcile uncertain sends."""
		final = {}
		for op, outcome in outcomes.items():
			if outcome == "ok":
				final[op] = "ok"
				continue
			if outcome == "uncertain" or (outcome == "crashed" and not self.keyed):
				if self.reconcile(op):
					final[op] = "reconciled"
					continue
			final[op] = self._replay(op)
		return final

	def _replay(self, op: str) -> str:
		for _round in range(2):  # the scheduler retries a letter that fails again, with backoff
			try:
				self.run(op)
				return "replayed"
			except ConnectorError as error:
				if self.uncertain(error) and self.reconcile(op):
					return "reconciled"
				time.sleep(BREAKER_COOLDOWN)
		return "dl"


class ShopifyProducts(Connector):
	name = "Shopify"
	max_retries = 4  # ShopifyConnector
	rate = (shopify_constants.STANDARD_BUCKET, shopify_constants.STANDARD_RESTORE_RATE)
	note = "productSet by handle (upsert): replay cannot duplicate"
	TOKEN = "shpat_matrix_token"

	def start(self):
		return ShopifySimulator(access_token=self.TOKEN).start()

	def connect(self) -> HttpTransport:
		transport = build_transport(
			self.env,
			service="Shopify",
			base_url=self.sim.url,
			max_retries=self.max_retries,
			classifier=Classifier(response_rules=(graphql_response_rule,)),
			auth=lambda: {shopify_constants.ACCESS_TOKEN_HEADER: self.TOKEN if self.token_ok else BAD_TOKEN},
			rate=self.rate,
		)
		self.client = ShopifyGraphQL(transport, self.sim.api_version, max_throttle_retries=8)
		return transport

	def run(self, op: str, crash_after_send: bool = False) -> None:
		item = {"item_code": op, "item_name": f"Matrix {op}", "rate": 4.5, "description": "matrix"}
		data = self.client.execute(
			queries.PRODUCT_SET,
			{"input": product_set_input(item), "identifier": product_identifier(item)},
			operation="ProductSet",
		)
		if crash_after_send:
			raise WorkerKilled
		raise_user_errors(data.get("productSet"), f"Item {op}")

	def applied(self, op: str) -> int:
		with self.sim.lock:
			return sum(1 for p in self.sim.products.values() if p.get("title") == f"Matrix {op}")


class WhatsApp(Connector):
	name = "WhatsApp"
	max_retries = 2  # WhatsAppConnector
	rate = (20.0, 20.0)
	keyed = False  # Meta has no idempotency key
	note = "no key: uncertain sends reconciled from Meta's record, never resent blindly"
	TOKEN, PHONE_ID, SECRET = "EAAmatrix", "106540352242922", "matrix-app-secret"
	RECIPIENT = "447700900123"

	def start(self):
		return WhatsAppCloudSimulator(
			self.TOKEN,
			self.PHONE_ID,
			self.SECRET,
			templates={"order_confirmation": {"language": "en_US", "param_count": 4}},
		).start()

	def connect(self) -> HttpTransport:
		return build_transport(
			self.env,
			service="WhatsApp",
			base_url=f"{self.sim.url}/{whatsapp_constants.DEFAULT_GRAPH_API_VERSION}/",
			max_retries=self.max_retries,
			classifier=WhatsAppClassifier(),
			auth=lambda: {"Authorization": f"Bearer {self.TOKEN if self.token_ok else BAD_TOKEN}"},
			rate=self.rate,
			idempotency_header="X-ScoopJoy-Idempotency-Key",
		)

	def body(self, op: str) -> dict:
		return whatsapp_payloads.order_confirmation_template(
			"order_confirmation",
			"en_US",
			to=self.RECIPIENT,
			customer_name="Asha Patel",
			order_id=op,
			grand_total=1250,
			currency="INR",
			delivery_date="2026-11-24",
		)

	def run(self, op: str, crash_after_send: bool = False) -> str:
		response = self.transport.post(f"{self.PHONE_ID}/messages", json=self.body(op))
		if crash_after_send:
			raise WorkerKilled  # the "Sending" row is committed: the restart marks it Uncertain
		return response.data["messages"][0]["id"]

	def uncertain(self, error: ConnectorError) -> bool:
		"""``messages._status_after_failed_send``: Failed only when Meta certainly did not take it."""
		if error.request_sent is False:
			return False
		if error.status_code is not None and 300 <= error.status_code < 500:
			return False
		return True

	def applied(self, op: str) -> int:
		sent = list(self.sim.sent)
		return sum(1 for body in sent if body["template"]["components"][0]["parameters"][1]["text"] == op)


class MobileApp(Connector):
	name = "Mobile app"
	max_retries = 3  # BaseConnector default
	note = "Idempotency-Key from what is pushed"
	KEY = "mobile-matrix-key"
	CHANGED_AT = "2026-11-23 10:00:00"

	def start(self):
		return MobileBackendSimulator(api_key=self.KEY).start()

	def connect(self) -> HttpTransport:
		return build_transport(
			self.env,
			service="Franchise Mobile App",
			base_url=self.sim.url,
			max_retries=self.max_retries,
			classifier=Classifier(),
			auth=lambda: {mobile_constants.API_KEY_HEADER: self.KEY if self.token_ok else BAD_TOKEN},
			rate=self.rate,
		)

	def run(self, op: str, crash_after_send: bool = False) -> None:
		self.transport.post(
			mobile_constants.ORDER_STATUS_PATH,
			json=mobile_payloads.order_status_payload(op, "To Deliver", "asha@example.com", self.CHANGED_AT),
			idempotency_key=idempotency_key("mobile", "order-status", op, "To Deliver", self.CHANGED_AT),
		)
		if crash_after_send:
			raise WorkerKilled

	def applied(self, op: str) -> int:
		return sum(1 for _path, body in list(self.sim.received) if body.get("order_id") == op)


class Carrier(Connector):
	name = "Shipping carrier"
	max_retries = 3  # CarrierConnector
	note = "Idempotency-Key + unique external_reference"
	PUBLIC, SECRET = "matrix-public", "matrix-secret"

	def start(self):
		return CarrierSimulator(self.PUBLIC, self.SECRET).start()

	def connect(self) -> HttpTransport:
		def auth():
			secret = self.SECRET if self.token_ok else BAD_TOKEN
			return {"Authorization": "Basic " + base64.b64encode(f"{self.PUBLIC}:{secret}".encode()).decode()}

		return build_transport(
			self.env,
			service="Shipping Carrier",
			base_url=self.sim.url,
			max_retries=self.max_retries,
			classifier=Classifier(),
			auth=auth,
			rate=self.rate,
		)

	def run(self, op: str, crash_after_send: bool = False) -> None:
		payload = shipping_payloads.carrier_parcel(
			shipment=op,
			index=0,
			address={
				"address_line1": "Keizersgracht 1",
				"city": "Amsterdam",
				"pincode": "1015",
				"country_code": "nl",
			},
			recipient="Asha Patel",
			company_name=None,
			email="asha@example.com",
			phone="+31 20 123 4567",
			weight_kg=1.2,
			service_id=8,
			value=24.0,
			currency="EUR",
			description="Ice cream (frozen)",
		)
		self.transport.post(
			shipping_constants.PARCELS_PATH,
			json=payload,
			idempotency_key=idempotency_key("carrier", "parcel", op, 0),
		)
		if crash_after_send:
			raise WorkerKilled

	def applied(self, op: str) -> int:
		reference = shipping_payloads.external_reference(op, 0)
		return sum(1 for p in self.sim.parcels_for(op) if p.get("external_reference") == reference)


class GoogleContacts(Connector):
	"""The contact sync: batches without an idempotency key, a pending batch committed before each send."""

	name = "Google Contacts"
	max_retries = 3  # GoogleContactsConnector
	rate = (20.0, 20.0)  # the connector declares (5, 1): scaled so the matrix runs in seconds
	keyed = False
	note = "no key: pending batch reconciled by listing contacts (clientData)"
	TOKEN = "ya29.matrix"
	BATCH = 2

	def start(self):
		return GooglePeopleSimulator(self.TOKEN).start()

	def connect(self) -> HttpTransport:
		self.linked: dict[str, str] = {}  # Customer.custom_google_contact_id
		self.pending: list[str] = []  # Settings.pending_batch (committed before the send)
		return build_transport(
			self.env,
			service="Google Contacts",
			base_url=self.sim.url,
			max_retries=self.max_retries,
			classifier=Classifier(response_rules=(google_response_rule,)),
			auth=lambda: {"Authorization": f"Bearer {self.TOKEN if self.token_ok else BAD_TOKEN}"},
			rate=self.rate,
		)

	def rate_limit_fault(self, times: int) -> Fault:
		return quota_fault(times=times, retry_after=RETRY_AFTER)

	def person(self, op: str) -> dict:
		return google_payloads.person_payload(
			{
				"name": op,
				"customer_name": f"Franchise {op}",
				"mobile_no": "+91 98765 43210",
				"email_id": "f@example.com",
			},
			"ScoopJoy",
		)

	def batch_create(self, people: list[dict]) -> dict:
		"""``GoogleContactsConnector.batch_create``: a 429 is resent after the quota wait (Google did nothing)."""
		body = google_payloads.batch_create_body(people)
		for attempt in range(google_constants.MAX_QUOTA_WAITS + 1):
			try:
				return google_payloads.created_contacts(
					self.transport.post(google_constants.BATCH_CREATE_PATH, json=body).data
				)
			except RateLimitedError as error:
				wait = error.retry_after or google_constants.DEFAULT_QUOTA_WAIT_SECONDS * (attempt + 1)
				if attempt == google_constants.MAX_QUOTA_WAITS or wait > 60:
					raise
				time.sleep(wait)
		raise AssertionError("unreachable")

	def list_contacts(self) -> list[dict]:
		people, token = [], None
		while True:
			params = {
				"personFields": "clientData,metadata",
				"pageSize": google_constants.CONNECTIONS_PAGE_SIZE,
			}
			if token:
				params["pageToken"] = token
			data = self.transport.get(google_constants.CONNECTIONS_PATH, params=params).data or {}
			people.extend(data.get("connections") or [])
			token = data.get("nextPageToken")
			if not token:
				return people

	def sync(self, ops: list[str], crash_after_batch: int | None = None) -> int:
		"""``sync._sync``: reconcile the pending batch, then create the unlinked in batches.

		Returns how many contacts reconciliation linked. Raises the batch's ConnectorError like the
		job does (the whole run goes to the dead letter).
		"""
		linked = 0
		if self.pending:
			found = google_payloads.contacts_by_customer(self.list_contacts())
			for customer in self.pending:
				if customer in found and customer not in self.linked:
					self.linked[customer] = found[customer][0]
					linked += 1
			self.pending = []
		todo = [op for op in ops if op not in self.linked]
		for index, batch in enumerate(google_payloads.batches(todo, self.BATCH)):
			self.pending = list(batch)
			try:
				created = self.batch_create([self.person(op) for op in batch])
			except RecordError:
				self.pending = []
				raise
			except ConnectorError as error:
				if error.request_sent is False or error.status_code in (401, 403, 429):
					self.pending = []  # Google never acted on it
				raise
			if crash_after_batch == index:
				raise WorkerKilled  # the answer is lost; pending stays committed
			for customer, (resource_name, _etag) in created.items():
				self.linked[customer] = resource_name
			self.pending = []
		return linked

	def first_pass(self, ops: list[str], crash_at: int | None) -> dict[str, str]:
		try:
			self.sync(ops, crash_after_batch=None if crash_at is None else crash_at // self.BATCH)
		except WorkerKilled:
			return {
				op: "ok" if op in self.linked else ("crashed" if op in self.pending else "not_run")
				for op in ops
			}
		except ConnectorError:
			pass  # the whole run is dead-lettered
		return {
			op: "ok" if op in self.linked else ("uncertain" if op in self.pending else "dl") for op in ops
		}

	def recover(self, outcomes: dict[str, str]) -> dict[str, str]:
		"""The dead letter (or the next daily run) runs the sync again: the pending batch first, then the rest."""
		existed = {op for op in outcomes if op not in self.linked and self.applied(op) > 0}
		for _round in range(2):
			try:
				self.sync(list(outcomes))
				break
			except ConnectorError:
				time.sleep(BREAKER_COOLDOWN)
		final = {}
		for op, outcome in outcomes.items():
			if outcome == "ok":
				final[op] = "ok"
			elif op not in self.linked:
				final[op] = "dl"
			elif op in existed:
				final[op] = "reconciled"  # it was at Google before the rerun: linked from the listing
			else:
				final[op] = "replayed"
		return final

	def applied(self, op: str) -> int:
		return len(self.sim.contacts_for(op))


CONNECTORS: tuple[type[Connector], ...] = (ShopifyProducts, WhatsApp, MobileApp, GoogleContacts, Carrier)


# --- faults ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultSpec:
	name: str
	inject: Callable[[Connector], None]
	late_work: bool = False  # the simulator may still act after the client gave up
	crash: bool = False


def _burst(connector: Connector) -> int:
	"""Enough failures to exhaust the transport's retries for the first two operations."""
	return 2 * (connector.max_retries + 1) + 1


def _expire_token(connector: Connector) -> None:
	connector.token_ok = False


FAULTS: tuple[FaultSpec, ...] = (
	FaultSpec("5xx burst (503)", lambda c: c.sim.faults.add(Fault.status(503, times=_burst(c)))),
	FaultSpec(
		"timeout, server acts late",
		lambda c: c.sim.faults.add(Fault.delay(LATE, times=c.max_retries + 2, process="after")),
		late_work=True,
	),
	FaultSpec(
		'timeout, work done before the answer (process="before")',
		lambda c: c.sim.faults.add(Fault.delay(LATE, times=c.max_retries + 2, process="before")),
		late_work=True,
	),
	FaultSpec("connection reset", lambda c: c.sim.faults.add(Fault.reset(times=_burst(c)))),
	FaultSpec(
		"429 storm (Retry-After: 1)", lambda c: c.sim.faults.add(c.rate_limit_fault(c.max_retries + 2))
	),
	FaultSpec("malformed JSON (200)", lambda c: c.sim.faults.add(Fault.malformed_json(times=3))),
	FaultSpec("expired token (401)", _expire_token),
	FaultSpec("worker killed after send, before commit", lambda c: None, crash=True),
)


def run_cell(connector_class: type[Connector], spec: FaultSpec, n: int, env: Env) -> Row:
	connector = connector_class(env)
	row = Row(connector.name, spec.name, attempted=n)
	try:
		slug = hashlib.sha1(spec.name.encode()).hexdigest()[:6]
		ops = [f"FM-{slug}-{i}" for i in range(n)]
		spec.inject(connector)
		outcomes = connector.first_pass(ops, crash_at=n // 2 if spec.crash else None)
		# the fault is over: the provider is healthy, Settings hold a good token again
		connector.sim.faults.clear()
		connector.token_ok = True
		if spec.late_work:
			time.sleep(LATE + 0.2)  # dead letters are due minutes later; late work has landed by then
		time.sleep(BREAKER_COOLDOWN + 0.05)  # the first replay is the breaker's probe
		final = connector.recover(outcomes)
		counts = Counter(outcomes.values())
		row.succeeded = counts["ok"]
		row.dead_lettered = counts["dl"]
		row.uncertain = counts["uncertain"] + counts["crashed"]
		ends = Counter(final.values())
		row.replayed, row.reconciled, row.left_in_dl = ends["replayed"], ends["reconciled"], ends["dl"]
		applied = {op: connector.applied(op) for op in ops}
		row.lost = sum(1 for op in ops if applied[op] == 0 and final[op] != "dl")
		row.duplicated = sum(max(0, count - 1) for count in applied.values())
		extra = []
		if counts["not_run"]:
			extra.append(f"{counts['not_run']} run by the restarted job")
		row.notes = "; ".join([connector.note, *extra])
	finally:
		connector.stop()
	return row


# --- webhooks ------------------------------------------------------------------------------------------


class ShopifyInbox:
	"""``shopify.webhook.receive`` + ``orders.sync_order``/``apply_order`` without Frappe, in memory.

	Verify the HMAC on the raw body, drop a webhook id already stored, queue one job per order
	(a job already queued for that order is not queued twice), and the job applies the order's
	*current* state, never one older than what is stored.
	"""

	def __init__(self, secret: str, client: ShopifyGraphQL):
		self.secret = secret
		self.client = client
		self.deliveries: dict[str, dict] = {}  # Shopify Webhook Delivery, named by webhook id
		self.queue: list[str] = []
		self.store: dict[str, dict] = {}  # Sales Order by custom_shopify_order_id
		self.duplicates = self.stale = self.rejected = 0

	def receive(self, raw: bytes, headers: dict) -> int:
		if not verify_shopify_hmac(raw, headers.get(SHOPIFY_HMAC_HEADER), [self.secret]):
			self.rejected += 1
			return 401
		webhook_id = headers.get(shopify_constants.WEBHOOK_ID_HEADER) or ""
		if webhook_id in self.deliveries:
			self.duplicates += 1
			return 200
		payload = json.loads(raw)
		order_gid = order_reference_from_webhook(headers[shopify_constants.WEBHOOK_TOPIC_HEADER], payload)
		self.deliveries[webhook_id] = {"order_id": legacy_id(order_gid), "payload": mask_payload(payload)}
		if order_gid and order_gid not in self.queue:
			self.queue.append(order_gid)
		return 200

	def drain(self) -> None:
		while self.queue:
			order_gid = self.queue.pop(0)
			data = self.client.execute(
				queries.ORDER_BY_ID,
				{"id": order_gid, "lineItems": shopify_constants.LINE_ITEMS_PER_ORDER},
				operation="OneOrder",
			)
			self.apply(data["order"])

	def apply(self, node: dict) -> str:
		plan = order_plan(node)
		stamp = plan.updated_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
		existing = self.store.get(plan.order_id)
		if existing and existing["stamp"] > stamp:
			self.stale += 1
			return "stale"
		if not existing:
			self.store[plan.order_id] = {"stamp": stamp, "creates": 1}
			return "created"
		existing["stamp"] = stamp
		return "updated"


def shopify_webhooks(env: Env, n: int, out_of_order: bool) -> Row:
	connector = ShopifyProducts(env)
	sim = connector.sim
	fault = "out-of-order webhooks" if out_of_order else "duplicate webhook deliveries"
	row = Row("Shopify", fault)
	try:
		order_ids = sim.generate_orders(n, mix=False)
		inbox = ShopifyInbox(sim.client_secret, connector.client)
		deliveries = []
		early_nodes = []
		for order_id in order_ids:
			versions = [sim.webhook_request("orders/create", order_id)]
			if out_of_order:
				early_nodes.append(
					connector.client.execute(
						queries.ORDER_BY_ID,
						{"id": order_id, "lineItems": shopify_constants.LINE_ITEMS_PER_ORDER},
						operation="OneOrder",
					)["order"]
				)
				sim.update_order(order_id, note="changed by the shop")
				versions.append(sim.webhook_request("orders/updated", order_id))
				sim.mark_paid(order_id)
				versions.append(sim.webhook_request("orders/paid", order_id))
				versions.reverse()  # newest first
			# Shopify retries a delivery it thinks failed: the same webhook id, byte for byte
			deliveries.extend([*versions, versions[0], versions[-1]])
		forged_body, forged_headers = sim.webhook_request(
			"orders/create", order_ids[0], secret="not-the-secret"
		)
		deliveries.append((forged_body, forged_headers))
		random.Random(7).shuffle(deliveries)
		for index, (raw, headers) in enumerate(deliveries):
			inbox.receive(raw, headers)
			if index % 3 == 2:
				inbox.drain()  # jobs run while deliveries keep arriving
		inbox.drain()
		for node in early_nodes:  # a slow poller's page read before the updates, applied last
			inbox.apply(node)
		row.attempted = len(deliveries)
		row.succeeded = len(inbox.deliveries)
		current = {}
		for order_id in order_ids:
			order = sim.get_order(order_id)
			current[legacy_id(order_id)] = order_plan_stamp(order["updatedAt"])
		row.lost = sum(1 for oid, stamp in current.items() if inbox.store.get(oid, {}).get("stamp") != stamp)
		row.duplicated = sum(max(0, r["creates"] - 1) for r in inbox.store.values())
		row.notes = (
			f"in-memory inbox (the real one is Frappe): {inbox.duplicates} duplicate ids dropped, "
			f"{inbox.rejected} forged rejected, {inbox.stale} older state(s) refused; {n} orders end on Shopify's "
			"current updatedAt"
		)
	finally:
		connector.stop()
	return row


def order_plan_stamp(updated_at: str) -> str:
	from scoopjoy.connectors.shopify.mapping import parse_time

	return parse_time(updated_at).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class WhatsAppStatusInbox:
	"""``whatsapp.webhook.receive`` + ``messages.apply_status_events`` without Frappe, in memory."""

	def __init__(self, secret: str):
		self.secret = secret
		self.queued: dict[str, list] = {}  # job key (hash of the body) -> events
		self.state: dict[str, tuple[str, int]] = {}
		self.applications: Counter = Counter()
		self.deduped = self.ignored = self.rejected = 0

	def receive(self, raw: bytes, headers: dict) -> int:
		if not verify_meta_signature(raw, headers.get(META_SIGNATURE_HEADER), [self.secret]):
			self.rejected += 1
			return 401
		events = parse_status_webhook(json.loads(raw))
		key = f"webhook:{hashlib.sha256(raw).hexdigest()[:32]}"
		if key in self.queued:
			self.deduped += 1  # enqueue_integration_job: the same job id is not queued twice
		elif events:
			self.queued[key] = events
		return 200

	def drain(self) -> None:
		for events in self.queued.values():
			for event in sorted(events, key=lambda e: e.timestamp):
				status, ts = self.state.get(event.message_id, ("sent", 0))
				if should_apply(status, ts, event.status, event.timestamp):
					self.state[event.message_id] = (event.status, event.timestamp)
					self.applications[(event.message_id, event.status, event.timestamp)] += 1
				else:
					self.ignored += 1
		self.queued.clear()


def whatsapp_webhooks(env: Env, n: int, out_of_order: bool) -> Row:
	connector = WhatsApp(env)
	sim = connector.sim
	fault = "out-of-order webhooks" if out_of_order else "duplicate webhook deliveries"
	row = Row("WhatsApp", fault)
	try:
		wamids = [connector.run(f"WH-{i}") for i in range(n)]
		order = ("read", "sent", "delivered") if out_of_order else ("sent", "delivered", "read")
		deliveries = []
		for wamid in wamids:
			deliveries.extend(sim.status_sequence(wamid, connector.RECIPIENT, order=order, duplicate=True))
		deliveries.append(
			(deliveries[0][0], {**deliveries[0][1], META_SIGNATURE_HEADER: "sha256=" + "0" * 64})
		)
		if out_of_order:
			random.Random(11).shuffle(deliveries)
		inbox = WhatsAppStatusInbox(connector.SECRET)
		for index, (raw, headers) in enumerate(deliveries):
			inbox.receive(raw, headers)
			if index % 2 == 1:
				inbox.drain()
		inbox.drain()
		row.attempted = len(deliveries)
		row.succeeded = sum(inbox.applications.values())
		row.lost = sum(1 for wamid in wamids if inbox.state.get(wamid, ("", 0))[0] != "read")
		row.duplicated = sum(count - 1 for count in inbox.applications.values() if count > 1)
		row.notes = (
			f"in-memory consumer with statuses.should_apply (the real one is Frappe): {inbox.deduped} queued "
			f"twice avoided, {inbox.ignored} older/repeated statuses ignored, {inbox.rejected} forged rejected; "
			f"all {n} messages end 'read'"
		)
	finally:
		connector.stop()
	return row


# --- the killed backfill ---------------------------------------------------------------------------------


def backfill_worker(url: str, redis_url: str, prefix: str) -> None:
	"""``sync.run_backfill`` without Frappe: pages from the saved cursor; each page's orders and the
	cursor after it are committed together (one Redis MULTI), as the job commits them per page."""
	client_redis = redis.Redis.from_url(redis_url)
	transport = build_transport(
		Env(client_redis, prefix),
		service="Shopify",
		base_url=url,
		max_retries=ShopifyProducts.max_retries,
		classifier=Classifier(response_rules=(graphql_response_rule,)),
		auth=lambda: {shopify_constants.ACCESS_TOKEN_HEADER: ShopifyProducts.TOKEN},
		rate=ShopifyProducts.rate,
	)
	client = ShopifyGraphQL(transport, shopify_constants.DEFAULT_API_VERSION)
	cursor = client_redis.get(prefix + "cursor")
	for page in client.pages(
		queries.ORDERS_PAGE,
		{
			"first": shopify_constants.ORDERS_PAGE_SIZE,
			"lineItems": shopify_constants.LINE_ITEMS_PER_ORDER,
			"query": "created_at:>='2000-01-01T00:00:00Z'",
		},
		"orders",
		operation="OrdersPage",
		start_cursor=cursor.decode() if cursor else None,
	):
		ids = []
		for node in page.nodes:
			client_redis.hincrby(prefix + "fetched", legacy_id(node["id"]), 1)  # not part of the commit
			ids.append(order_plan(node).order_id)
			time.sleep(0.02)  # apply_order's database work
		existing = client_redis.hmget(prefix + "created", ids) if ids else []
		with client_redis.pipeline(transaction=True) as tx:
			for order_id, seen in zip(ids, existing, strict=True):
				if seen is None:
					tx.hincrby(prefix + "created", order_id, 1)  # apply_order: no Sales Order yet -> create
				tx.hincrby(prefix + "applied", order_id, 1)
			if page.end_cursor:
				tx.set(prefix + "cursor", page.end_cursor)
			tx.incr(prefix + "pages")
			tx.execute()
	transport.close()


def shopify_killed_backfill(env: Env, n: int) -> Row:
	row = Row("Shopify", "worker SIGKILLed mid-backfill, restarted")
	sim = ShopifySimulator(access_token=ShopifyProducts.TOKEN).start()
	try:
		sim.generate_orders(n, spacing=30, mix=True)
		sim.faults.add(Fault.delay(0.05, times=None))  # pages take a little time: the kill lands mid-run
		worker = subprocess.Popen(
			[sys.executable, __file__, "--backfill-worker", sim.url, REDIS_URL, env.prefix],
			stdout=subprocess.DEVNULL,
			stderr=subprocess.PIPE,
		)
		deadline = time.monotonic() + 30
		while int(env.redis.get(env.prefix + "pages") or 0) < 2:
			if worker.poll() is not None or time.monotonic() > deadline:
				raise RuntimeError(f"backfill worker ended early: {worker.stderr.read().decode()[-2000:]}")
			time.sleep(0.005)
		time.sleep(0.1)  # into the next page: fetched, partly applied, not committed
		worker.kill()  # SIGKILL: no except, no finally, no dead letter
		worker.wait(timeout=10)
		pages_before = int(env.redis.get(env.prefix + "pages") or 0)
		sim.faults.clear()
		backfill_worker(sim.url, REDIS_URL, env.prefix)  # the restarted job
		created = {k.decode(): int(v) for k, v in env.redis.hgetall(env.prefix + "created").items()}
		fetched = {k.decode(): int(v) for k, v in env.redis.hgetall(env.prefix + "fetched").items()}
		with sim.lock:
			in_window = [str(o["_n"]) for o in sim.orders.values()]
		row.attempted = len(in_window)
		row.succeeded = sum(1 for oid in in_window if created.get(oid))
		row.lost = sum(1 for oid in in_window if not created.get(oid))
		row.duplicated = sum(max(0, count - 1) for count in created.values())
		reread = sum(1 for count in fetched.values() if count > 1)
		row.notes = (
			f"killed after {pages_before} committed page(s); resumed with ShopifyGraphQL.pages(start_cursor=); "
			f"{reread} order(s) of the unfinished page read again after the restart"
		)
	finally:
		sim.stop()
	return row


# --- the whole matrix ----------------------------------------------------------------------------------


def build_matrix(quick: bool = False, redis_url: str = REDIS_URL) -> list[Row]:
	n = 6 if quick else 20
	client = redis.Redis.from_url(redis_url)
	client.ping()

	def cell(make: Callable[[Env], Row]) -> Row:
		env = Env(client)
		try:
			return make(env)
		finally:
			env.cleanup()

	def connector_rows(connector_class: type[Connector]) -> list[Row]:
		return [cell(lambda env, s=spec: run_cell(connector_class, s, n, env)) for spec in FAULTS]

	def other_rows() -> list[Row]:
		rows = [cell(lambda env: shopify_killed_backfill(env, 40 if quick else 200))]
		for out_of_order in (False, True):
			rows.append(cell(lambda env, o=out_of_order: shopify_webhooks(env, 4 if quick else 10, o)))
			rows.append(cell(lambda env, o=out_of_order: whatsapp_webhooks(env, 4 if quick else 10, o)))
		return rows

	# Connectors are independent (own simulator, own Redis keys): run them side by side.
	with ThreadPoolExecutor(max_workers=len(CONNECTORS) + 1) as pool:
		futures = [pool.submit(connector_rows, c) for c in CONNECTORS] + [pool.submit(other_rows)]
		return [row for future in futures for row in future.result()]


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--quick", action="store_true", help="fewer operations per cell (the test uses this)")
	parser.add_argument(
		"--backfill-worker", nargs=3, metavar=("URL", "REDIS", "PREFIX"), help=argparse.SUPPRESS
	)
	args = parser.parse_args()
	if args.backfill_worker:
		backfill_worker(*args.backfill_worker)
		return
	started = time.monotonic()
	rows = build_matrix(quick=args.quick)
	print(markdown(rows))
	print()
	print(
		f"{len(rows)} cells in {time.monotonic() - started:.0f}s; lost {sum(r.lost for r in rows)}, "
		f"duplicated {sum(r.duplicated for r in rows)}. Time is scaled: read timeout {READ_TIMEOUT}s, late "
		f"answers {LATE}s, breaker cool-down {BREAKER_COOLDOWN}s. Dead letters are an in-memory list replayed "
		"after the fault clears (the real ones are the Integration Dead Letter DocType)."
	)
	if any(r.lost or r.duplicated for r in rows):
		sys.exit(1)


if __name__ == "__main__":
	main()
