"""The data the browser tests look at, put on a test site the way the app itself would make it.

Called in the pytest process (which has the site open, like ``bench execute``) with the simulators
the tests start there, so the site's web server talks to them on 127.0.0.1:

- a System Manager who is not Administrator (the desk as an integration manager sees it);
- request logs of every connector over the last days, successes and failures (a connection that
  never got an answer, 429, 5xx, 401, 422), so the cards and charts have something to show;
- dead letters made by real failed jobs (the mobile app's order status against a backend that
  answers 500, then does not answer at all) and by a Shopify order that cannot be imported;
- a Shopify Store pointing at the Shopify simulator, with orders that are imported and orders
  that are not, for every reason the Sync Console gives;
- (asked for by its test) a Shopify order dead-lettered because its product has no Item, for the
  Sync Console's Create Items;
- submitted Sales Orders whose WhatsApp confirmation is sent, delivered, read, failed, uncertain;
  a submitted Delivery Note; franchise customers for the Google Contacts sync.

Refuses to run on a site without ``allow_tests`` (it writes test records and changes Settings).
"""

from __future__ import annotations

import time

import frappe
from frappe.utils import add_days, add_to_date, now_datetime, nowdate

from scoopjoy.connectors.shopify.listings import set_listing
from scoopjoy.kernel.errors import FailureType, RecordError
from scoopjoy.kernel.transport import CallRecord
from scoopjoy.reliability.call_log import _request_log_row
from scoopjoy.reliability.dead_letters import record_dead_letter
from scoopjoy.reliability.jobs import run_integration_job
from scoopjoy.tests.records import test_world, tree_leaf
from scoopjoy.tests.simulators.harness import Fault
from scoopjoy.tests.test_shipping import ensure_address
from scoopjoy.tests.test_shopify import _Simulator, point_store_at, world_accounts
from scoopjoy.tests.utils import make_customer, make_delivery_note, make_item, make_sales_order

USER = "browser-tests@scoopjoy.example"
ROLES = (
	"System Manager",
	"Sales Manager",
	"Sales User",
	"Stock User",
	"Stock Manager",
	"Accounts User",
	"Item Manager",
)
MARK = "browser-seed"
SHOPIFY_TOKEN = "shpat_scoopjoy_browser_token_0123456789"
SHOPIFY_SECRET = "shpss_scoopjoy_browser_secret"
SHOPIFY_GROUP = "ScoopJoy Browser Shop"
#: the Item Group of Items made from Shopify products (Create Items), apart from the published one
SHOPIFY_NEW_ITEMS_GROUP = "ScoopJoy Browser From Shopify"
MOBILE_KEY = "franchise-browser-key"
GOOGLE_TOKEN = "ya29.a0ScoopJoyBrowserAccessToken0123456789abcdef"
GOOGLE_APP = "ScoopJoy Browser Google"
FRANCHISE_GROUP = "ScoopJoy Browser Franchise"
FRANCHISEES = tuple(f"Browser Outlet {city}" for city in ("Berlin", "Munich", "Hamburg", "Cologne", "Bremen"))
WHATSAPP_STATES = ("Sent", "Delivered", "Read", "Failed", "Uncertain")
WHATSAPP_TOKEN = "EAAGscoopjoyBrowserToken0123456789abcdef"
WHATSAPP_PHONE_ID = "106540352242922"


#: Ids unique to this run: Sales Orders of an earlier run on the same site stay there.
BrowserShop = _Simulator


def require_test_site() -> None:
	if not frappe.conf.allow_tests:
		raise RuntimeError(
			f"{frappe.local.site} does not allow tests (site_config allow_tests): the browser tests "
			"write test records and change Settings; run them on a test site."
		)


# --- the site and the user --------------------------------------------------------------------------


def prepare_site(password: str) -> dict:
	"""Setup wizard done, the test company, a System Manager to log in as. Returns the world."""
	require_test_site()
	if not frappe.db.get_single_value("System Settings", "setup_complete") or not frappe.db.a_row_exists(
		"Company"
	):
		from scoopjoy.tests.setup import before_tests

		before_tests()
	world = test_world()
	_user(password)
	frappe.db.commit()
	return world


def _user(password: str) -> None:
	from frappe.utils.password import update_password

	if not frappe.db.exists("User", USER):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": USER,
				"first_name": "Browser",
				"last_name": "Tests",
				"send_welcome_email": 0,
				"user_type": "System User",
			}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", USER)
	missing = [role for role in ROLES if role not in {r.role for r in user.roles}]
	if missing:
		user.add_roles(*missing)
	update_password(USER, password)


# --- request logs and dead letters ------------------------------------------------------------------


def seed_request_logs() -> int:
	"""Calls of every connector over the last days (outcome, status, failure type as the kernel
	writes them). Earlier rows of this seed are replaced."""
	frappe.db.delete("Connector Request Log", {"correlation_id": ["like", f"{MARK}-%"]})
	now = now_datetime()
	made = 0
	plan = [
		# connector, method, url, status, failure type, error, how many, days back
		(
			"Shopify",
			"POST",
			"https://scoopjoy.myshopify.com/admin/api/2026-10/graphql.json",
			200,
			None,
			None,
			18,
			9,
		),
		(
			"Shopify",
			"POST",
			"https://scoopjoy.myshopify.com/admin/api/2026-10/graphql.json",
			429,
			FailureType.RATE_LIMITED,
			"Shopify: POST /admin/api/2026-10/graphql.json returned HTTP 429 (rate_limited).",
			3,
			4,
		),
		(
			"WhatsApp",
			"POST",
			"https://graph.facebook.com/v21.0/106540352242922/messages",
			200,
			None,
			None,
			9,
			6,
		),
		(
			"WhatsApp",
			"POST",
			"https://graph.facebook.com/v21.0/106540352242922/messages",
			None,
			FailureType.TRANSIENT,
			"WhatsApp: POST /v21.0/106540352242922/messages could not connect (connection refused or reset) (transient).",
			2,
			2,
		),
		(
			"Franchise Mobile App",
			"POST",
			"https://app.scoopjoy.example/api/v1/menu/sync",
			200,
			None,
			None,
			12,
			9,
		),
		(
			"Google Contacts",
			"POST",
			"https://people.googleapis.com/v1/people:batchCreateContacts",
			401,
			FailureType.AUTH,
			"Google Contacts: POST /v1/people:batchCreateContacts returned HTTP 401 (auth).",
			1,
			1,
		),
		(
			"Google Contacts",
			"POST",
			"https://people.googleapis.com/v1/people:batchCreateContacts",
			200,
			None,
			None,
			4,
			5,
		),
		(
			"Shipping Carrier",
			"POST",
			"https://carrier.example/api/v2/parcels",
			422,
			FailureType.RECORD,
			"Shipping Carrier: POST /api/v2/parcels returned HTTP 422 (record).",
			2,
			3,
		),
		(
			"Shipping Carrier",
			"GET",
			"https://carrier.example/api/v2/tracking/3SCOOP0001",
			200,
			None,
			None,
			6,
			8,
		),
	]
	for connector, method, url, status, failure, error, count, days in plan:
		for index in range(count):
			row = _request_log_row(
				CallRecord(
					service=connector,
					method=method,
					url=url,
					correlation_id=f"{MARK}-{frappe.generate_hash(length=10)}",
					status_code=status,
					outcome="Failed" if failure else "Success",
					failure_type=failure,
					duration_ms=round(80 + 37.5 * index, 1),
					attempts=3 if failure == FailureType.TRANSIENT else 1,
					request_headers={"Content-Type": "application/json", "Authorization": "Bearer ****"},
					request_body='{"query": "…"}',
					response_body='{"errors": "Throttled"}' if status == 429 else "{}",
					error=error,
				)
			)
			doc = frappe.get_doc(row)
			doc.flags.ignore_links = True
			doc.insert(ignore_permissions=True)
			when = add_to_date(now, days=-(index % (days + 1)), hours=-(index % 7), minutes=-index)
			frappe.db.set_value(
				"Connector Request Log", doc.name, {"creation": when, "modified": when}, update_modified=False
			)
			made += 1
	frappe.db.commit()
	return made


def seed_mobile_dead_letters(backend, world) -> list[str]:
	"""Real jobs of the mobile app that fail: the backend answers 500 to every try, then is gone."""
	from scoopjoy.connectors.mobile_app.connector import MobileAppConnector

	settings = frappe.get_single("Mobile App Settings")
	settings.update({"enabled": 1, "sandbox_mode": 1, "api_url": backend.url, "api_key": MOBILE_KEY})
	settings.save()
	frappe.db.commit()
	connector = MobileAppConnector()
	connector.breaker.reset()
	customer = make_customer("Browser Test Walk-in")
	item = make_item("BROWSER-SCOOP-MANGO")
	names = []
	backend.faults.add(Fault.status_code(500, times=None, method="POST"))
	for qty in (1, 2):
		so = make_sales_order(customer, item, qty=qty, rate=3.5, submit=True)
		frappe.db.commit()
		run_integration_job(
			"scoopjoy.connectors.mobile_app.jobs.push_order_status",
			connector="Franchise Mobile App",
			payload={"sales_order": so.name, "status": so.status},
			dedup_key=f"{MARK}:mobile:{so.name}",
			reference_doctype="Sales Order",
			reference_name=so.name,
		)
		names.append(so.name)
	backend.faults.clear()
	connector.breaker.reset()
	frappe.db.commit()
	return names


def age_dead_letters(hours: float = 30) -> None:
	"""Make this seed's dead letters look as old as real ones waiting since yesterday."""
	when = add_to_date(now_datetime(), hours=-hours)
	for name in frappe.get_all(
		"Integration Dead Letter", filters={"dedup_key": ["like", f"{MARK}:%"]}, pluck="name"
	):
		frappe.db.set_value("Integration Dead Letter", name, "creation", when, update_modified=False)
	frappe.db.commit()


def seed_other_dead_letters() -> None:
	record_dead_letter(
		connector="WhatsApp",
		job="scoopjoy.connectors.whatsapp.messages.send_order_confirmation",
		payload={"sales_order": "SAL-ORD-BROWSER-0001"},
		error=RecordError(
			"WhatsApp: POST /v21.0/106540352242922/messages returned HTTP 400 (record). The service "
			"refused this record; fix the record, then retry its dead letter.",
			service="WhatsApp",
			status_code=400,
			response_excerpt='{"error": {"message": "(#131030) Recipient phone number not in allowed list"}}',
		),
		dedup_key=f"{MARK}:whatsapp:0001",
		external_id="SAL-ORD-BROWSER-0001",
	)
	frappe.db.commit()


# --- WhatsApp states, Delivery Note, franchise customers --------------------------------------------


def seed_sales_orders(world) -> dict[str, str]:
	"""One submitted Sales Order per WhatsApp confirmation state. Returns {state: Sales Order}."""
	customer = make_customer("Browser Test Customer", "+91 98450 12345")
	item = make_item("BROWSER-SCOOP-PISTACHIO")
	orders = {}
	for state in WHATSAPP_STATES:
		so = make_sales_order(customer, item, qty=2, rate=4.5, submit=True)
		frappe.db.set_value("Sales Order", so.name, "custom_whatsapp_status", state, update_modified=False)
		key = f"Sales Order:{so.name}:order_confirmation"
		if not frappe.db.exists("WhatsApp Message", {"message_key": key}):
			frappe.get_doc(
				{
					"doctype": "WhatsApp Message",
					"message_key": key,
					"status": state,
					"template": "order_confirmation",
					"recipient": "+91 ******2345",
					"reference_doctype": "Sales Order",
					"reference_name": so.name,
					"wamid": f"wamid.{frappe.generate_hash(length=16)}",
					"status_timestamp": int(time.time()),
					"reason": {
						"Failed": "(#131026) Message undeliverable: the number is not on WhatsApp.",
						"Uncertain": "The send timed out after the request left; it may have been delivered.",
					}.get(state),
				}
			).insert(ignore_permissions=True)
		orders[state] = so.name
	frappe.db.commit()
	return orders


CARRIER_KEYS = ("pk_browser_carrier", "browser-carrier-secret-0123")


def seed_delivery_note(world, carrier) -> str:
	"""A submitted Delivery Note that can be shipped: addresses, weights, a carrier to ask."""
	customer = make_customer("Browser Test Customer", "+91 98450 12345")
	kitchen = ensure_address(
		"Browser Central Kitchen", "Company", world.company, "Warehouse", is_your_company_address=1
	)
	frappe.db.set_value("Address", kitchen, "disabled", 0)  # disabled after each run (see below)
	address = ensure_address("Browser Eiscafe", "Customer", customer, "Shipping")
	item = make_item("BROWSER-SCOOP-TUB")
	frappe.db.set_value("Item", item, {"weight_per_unit": 2.5, "weight_uom": "Kg"})
	settings = frappe.get_single("Shipping Settings")
	settings.update(
		{
			"parcel_length": 40,
			"parcel_width": 30,
			"parcel_height": 25,
			"minimum_parcel_weight": 0.5,
			"pickup_address": None,
			"carrier_enabled": 1,
			"carrier_name": "Direct Carrier",
			"sandbox_mode": 1,
			"carrier_api_url": carrier.url,
			"carrier_public_key": CARRIER_KEYS[0],
			"carrier_secret_key": CARRIER_KEYS[1],
		}
	)
	settings.save()
	dn = make_delivery_note(customer, [(item, 2)], shipping_address_name=address)
	frappe.db.commit()
	return dn.name


def seed_franchisees(world) -> list[str]:
	tree_leaf("Customer Group", FRANCHISE_GROUP, "customer_group_name")
	for index, name in enumerate(FRANCHISEES):
		if not frappe.db.exists("Customer", name):
			frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": name,
					"customer_group": FRANCHISE_GROUP,
					"territory": world.territory,
				}
			).insert(ignore_permissions=True)
		frappe.db.set_value(
			"Customer",
			name,
			{
				"mobile_no": f"+49 171 555 01{index}{index}",
				"custom_google_contact_id": None,
				"custom_google_contact_etag": None,
				"custom_google_contact_hash": None,
			},
		)
	frappe.db.commit()
	return list(FRANCHISEES)


def configure_google(google) -> None:
	"""Google Contacts Settings against the People API simulator, with a token for the test user."""
	if not frappe.db.exists("Connected App", {"provider_name": GOOGLE_APP}):
		frappe.get_doc(
			{
				"doctype": "Connected App",
				"provider_name": GOOGLE_APP,
				"client_id": "1234-scoopjoy-browser.apps.googleusercontent.com",
				"client_secret": "GOCSPX-browser-secret",
				"authorization_uri": "https://accounts.google.com/o/oauth2/v2/auth",
				"token_uri": google.url + "/oauth2/token",
				"scopes": [{"scope": "https://www.googleapis.com/auth/contacts"}],
				"query_parameters": [
					{"key": "access_type", "value": "offline"},
					{"key": "prompt", "value": "consent"},
				],
			}
		).insert(ignore_permissions=True)
	app = frappe.db.get_value("Connected App", {"provider_name": GOOGLE_APP})
	frappe.db.set_value("Connected App", app, "token_uri", google.url + "/oauth2/token")
	cache = f"{app}-{USER}"
	if frappe.db.exists("Token Cache", cache):
		frappe.delete_doc("Token Cache", cache, ignore_permissions=True, force=True)
	frappe.get_doc(
		{
			"doctype": "Token Cache",
			"connected_app": app,
			"user": USER,
			"access_token": GOOGLE_TOKEN,
			"refresh_token": "1//browser-refresh-token",
			"expires_in": 3600,
			"token_type": "Bearer",
		}
	).insert(ignore_permissions=True)
	settings = frappe.get_single("Google Contacts Settings")
	settings.update(
		{
			"enabled": 1,
			"sandbox_mode": 1,
			"api_base_url": google.url,
			"connected_app": app,
			"google_user": USER,
			"customer_group": FRANCHISE_GROUP,
			"organization_name": "ScoopJoy Franchise Customer",
			"batch_size": 1,
			"pending_batch": None,
		}
	)
	settings.save()
	frappe.db.commit()


# --- Shopify ----------------------------------------------------------------------------------------


def configure_shopify(shop, world) -> None:
	"""The browser's Shopify Store: the simulator's, booking into the seeded world, its one location
	mapped to the world's warehouse."""
	tree_leaf("Item Group", SHOPIFY_GROUP, "item_group_name")
	location = shop.primary_location
	point_store_at(
		shop,
		{
			"access_token": SHOPIFY_TOKEN,
			"client_secret": SHOPIFY_SECRET,
			**world_accounts(world),
			"item_group": SHOPIFY_GROUP,
		},
		locations=[
			{"warehouse": world.warehouse, "location_id": location["id"], "location_name": location["name"]}
		],
	)
	frappe.db.commit()


def seed_shopify(shop, world) -> dict:
	"""Orders in the simulator: some imported, the others missing for each reason the console
	knows. Returns {reason key: order} for the tests."""
	from scoopjoy.connectors.shopify import orders as shopify_orders
	from scoopjoy.connectors.shopify.constants import SYNC_ORDER_JOB
	from scoopjoy.connectors.shopify.mapping import legacy_id

	configure_shopify(shop, world)
	mango = shop.add_product(
		"Mango Sorbet", variants=[{"sku": "BROWSER-SHOP-MANGO", "price": "4.50", "option": "Cup"}]
	)
	variant = mango["variants"][0]
	make_item("BROWSER-SHOP-MANGO", SHOPIFY_GROUP, rate=4.5)
	set_listing("BROWSER-SHOP-MANGO", shop.shop_domain, variant_id=variant["legacyResourceId"])
	vanilla = shop.add_product(
		"Vanilla Scoop",
		variants=[
			{"sku": "BROWSER-SHOP-VANILLA-S", "price": "3.00", "option": "Small"},
			{"sku": "BROWSER-SHOP-VANILLA-L", "price": "5.00", "option": "Large"},
		],
	)
	day = lambda n: f"{add_days(nowdate(), -n)}T1{n % 10}:{10 + n:02d}:00Z"  # noqa: E731
	made = {}
	made["imported"] = [
		shop.add_order(lines=[{"variant": variant["id"], "quantity": 1 + n}], created_at=day(n + 2))
		for n in range(3)
	]
	made["deleted_product"] = shop.add_order(
		lines=[{"deleted": True, "title": "Retired Rum Raisin", "quantity": 1}], created_at=day(6)
	)
	made["unmapped_product"] = shop.add_order(
		lines=[
			{"variant": vanilla["variants"][0]["id"], "quantity": 1},
			{"variant": vanilla["variants"][1]["id"], "quantity": 2},
		],
		created_at=day(7),
	)
	made["cancelled"] = shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}], created_at=day(8))
	shop.cancel(made["cancelled"]["id"], "CUSTOMER")
	made["error"] = shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}], created_at=day(9))
	made["pending"] = shop.add_order(lines=[{"variant": variant["id"], "quantity": 2}], created_at=day(10))
	made["recent"] = shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}])
	for order in made["imported"]:
		shopify_orders.sync_order(order["id"])
		frappe.db.commit()
	made["fulfil_note"] = _draft_delivery_note(made["imported"][0])
	# the import of this one failed the way a bad order fails: a dead letter with the reason
	record_dead_letter(
		connector="Shopify",
		job=SYNC_ORDER_JOB,
		payload={"order_gid": made["error"]["id"]},
		error=frappe.ValidationError(
			"Row #1: Delivery Date cannot be before Sales Order Date (order "
			f"{made['error']['name']}); edit the order in Shopify or the item's lead time, then retry."
		),
		dedup_key=f"{MARK}:shopify:{legacy_id(made['error']['id'])}",
		external_id=legacy_id(made["error"]["id"]),
	)
	frappe.db.commit()
	return made


SECOND_STORE_TOKEN = "shpat_scoopjoy_browser_sg_token_0123456"
SECOND_STORE_SECRET = "shpss_scoopjoy_browser_sg_secret"


def second_store(shop, world, orders: int = 3) -> str:
	"""A second Shopify Store (Singapore), booking into the same company, whose simulator holds
	``orders`` orders nothing imported yet; for the store list and a console per store."""
	from scoopjoy.connectors.shopify.connector import ShopifyConnector

	settings = frappe.new_doc("Shopify Store")
	settings.update(
		{
			"enabled": 1,
			"sandbox_mode": 1,
			"store_name": "ScoopJoy Singapore",
			"shop_domain": shop.shop_domain,
			"api_url": shop.url,
			"api_version": shop.api_version,
			"access_token": SECOND_STORE_TOKEN,
			"client_secret": SECOND_STORE_SECRET,
			"sync_orders": 0,  # the scheduler leaves it alone while the browser looks
			**world_accounts(world),
		}
	)
	settings.insert(ignore_permissions=True)
	ShopifyConnector(settings).breaker.reset()
	product = shop.add_product(
		"Durian Gelato", variants=[{"sku": "BROWSER-SG-DURIAN", "price": "6.00", "option": "Cup"}]
	)
	for _ in range(orders):
		shop.add_order(lines=[{"variant": product["variants"][0]["id"], "quantity": 1}])
	frappe.db.commit()
	return settings.name


def remove_store(name: str) -> None:
	frappe.db.rollback()
	frappe.delete_doc("Shopify Store", name, force=True, ignore_permissions=True)
	frappe.db.commit()


def seed_backfill_window(shop, count: int = 12) -> dict:
	"""Orders of one day long ago that nothing imported yet, and a Shopify Backfill for that day."""
	variant = shop.add_product(
		"Backfill Cone", variants=[{"sku": "BROWSER-SHOP-CONE", "price": "2.50", "option": "Cone"}]
	)["variants"][0]
	make_item("BROWSER-SHOP-CONE", SHOPIFY_GROUP, rate=2.5)
	set_listing("BROWSER-SHOP-CONE", shop.shop_domain, variant_id=variant["legacyResourceId"])
	day = add_days(nowdate(), -45)
	for n in range(count):
		shop.add_order(lines=[{"variant": variant["id"], "quantity": 1}], created_at=f"{day}T09:{n:02d}:00Z")
	backfill = frappe.get_doc(
		{"doctype": "Shopify Backfill", "shopify_store": shop.shop_domain, "from_date": day, "to_date": day}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return {"name": backfill.name, "day": day, "count": count}


def seed_unmapped_order(shop) -> dict:
	"""A Shopify order of a product that has no ERPNext Item, dead-lettered as unmapped by its own
	import job (Create Missing Items off, as a store starts), for the Sync Console's Create Items.
	The product has two sizes (a template and two variant Items once made); its SKUs are this run's
	own: an Item of an earlier run with the same SKU would map the line and import the order."""
	from scoopjoy.connectors.shopify.constants import SYNC_ORDER_JOB
	from scoopjoy.connectors.shopify.items import UNMAPPED
	from scoopjoy.connectors.shopify.mapping import legacy_id

	tree_leaf("Item Group", SHOPIFY_NEW_ITEMS_GROUP, "item_group_name")
	settings = frappe.get_doc("Shopify Store", shop.shop_domain)
	settings.update({"create_missing_items": 0, "new_item_group": SHOPIFY_NEW_ITEMS_GROUP})
	settings.save()
	frappe.db.commit()
	run = frappe.generate_hash(length=5).upper()
	skus = [f"BROWSER-SHOP-STRAWBERRY-{size}-{run}" for size in ("CUP", "TUB")]
	product = shop.add_product(
		"Strawberry Swirl",
		variants=[
			{"sku": skus[0], "price": "4.00", "option": "Cup"},
			{"sku": skus[1], "price": "9.50", "option": "Tub"},
		],
	)
	order = shop.add_order(
		lines=[{"variant": product["variants"][0]["id"], "quantity": 2}],
		created_at=f"{add_days(nowdate(), -4)}T11:30:00Z",
	)
	order_id = legacy_id(order["id"])
	dedup_key = f"{MARK}:shopify:{order_id}"
	run_integration_job(
		SYNC_ORDER_JOB,
		connector="Shopify",
		payload={"order_gid": order["id"]},
		dedup_key=dedup_key,
		external_id=order_id,
	)
	letter = frappe.db.get_value(
		"Integration Dead Letter",
		{"dedup_key": dedup_key, "status": ["!=", "Resolved"]},
		["name", "last_error"],
		as_dict=True,
	)
	if not letter or UNMAPPED not in (letter.last_error or ""):
		raise RuntimeError(
			f"the import of Shopify order {order['name']} was not dead-lettered as unmapped: {letter}"
		)
	return {
		"order": order,
		"order_id": order_id,
		"dead_letter": letter.name,
		"product_id": legacy_id(product["id"]),
		"variant_ids": [v["legacyResourceId"] for v in product["variants"]],
		"skus": skus,
	}


# --- jobs -------------------------------------------------------------------------------------------


def _draft_delivery_note(order: dict) -> str:
	"""A draft Delivery Note of an imported Shopify order, for the desk to submit; Delivery Notes fulfil
	Shopify orders on this site."""
	from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

	from scoopjoy.connectors.shopify.mapping import legacy_id

	frappe.db.set_value("Shopify Store", {"name": ["is", "set"]}, "push_fulfillments", 1)
	so = frappe.db.get_value(
		"Sales Order", {"custom_shopify_order_id": legacy_id(order["id"]), "docstatus": 1}
	)
	note = make_delivery_note(so)
	note.insert(ignore_permissions=True)
	frappe.db.commit()
	return note.name


def run_queued_jobs(prefix: str = "scoopjoy-") -> list[str]:
	"""Run this site's queued ``scoopjoy-*`` jobs here and now, as an RQ worker would, and take them
	off the queue. No worker runs for the test site (a bench worker would also take other sites'
	jobs), so a test that pressed a button runs the job it queued with this."""
	from frappe.utils.background_jobs import get_queues

	from scoopjoy.reliability.jobs import site_job_id

	ran = []
	wanted = site_job_id(prefix)
	for queue in get_queues():
		for job_id in queue.get_job_ids():
			if not job_id.startswith(wanted):
				continue
			job = queue.fetch_job(job_id)
			if not job:
				continue
			kwargs = job.kwargs
			queue.remove(job_id)
			job.delete()
			previous = frappe.session.user
			frappe.set_user(kwargs.get("user") or "Administrator")
			try:
				frappe.get_attr(kwargs["method"])(**kwargs["kwargs"])
				frappe.db.commit()
			finally:
				frappe.set_user(previous)
			ran.append(kwargs["kwargs"].get("job_method") or kwargs["method"])
	return ran


def configure_whatsapp(cloud) -> None:
	"""WhatsApp Settings against the Cloud API simulator (no send on submit: the tests press the button)."""
	settings = frappe.get_single("WhatsApp Settings")
	settings.update(
		{
			"enabled": 1,
			"send_on_submit": 0,
			"sandbox_mode": 1,
			"api_base_url": cloud.url,
			"graph_api_version": cloud.version,
			"phone_number_id": WHATSAPP_PHONE_ID,
			"access_token": WHATSAPP_TOKEN,
			"app_secret": "whatsapp-browser-secret",
			"webhook_verify_token": "verify-me",
			"order_confirmation_template": "order_confirmation",
			"template_language": "en_US",
			"default_country_code": "91",
		}
	)
	settings.save()
	frappe.db.commit()


def publishable_items(count: int = 4) -> list[str]:
	"""Items of the published group, so "Publish products now" has work to show progress for."""
	codes = []
	for n in range(count):
		code = f"BROWSER-SHOP-FLAVOUR-{n + 1}"
		make_item(code, SHOPIFY_GROUP, rate=3 + n)
		frappe.db.set_value("Item", code, "item_name", f"Browser Flavour {n + 1}")
		codes.append(code)
	frappe.db.set_value("Shopify Store", {"name": ["is", "set"]}, "last_product_push_at", None)
	frappe.db.commit()
	return codes


def seed_catalog(shop, products: int = 8) -> int:
	"""Shopify products (with variants) for Import catalog; the store makes Items in the published
	group. Returns how many products the shop has."""
	import random

	from scoopjoy.tests.catalog_space import add_catalog, random_catalog

	add_catalog(
		shop,
		random_catalog(
			random.Random(8), products, sku_prefix=f"BROWSER-CAT-{frappe.generate_hash(length=4).upper()}"
		),
	)
	frappe.db.set_value(
		"Shopify Store",
		shop.shop_domain,
		{"new_item_group": SHOPIFY_GROUP, "stock_uom": "Nos", "catalog_import_state": None},
	)
	frappe.db.commit()
	return len(shop.products)


def remove_seeded_records() -> None:
	"""After the run: the seed's dead letters and request logs go, so that nothing it aged on purpose
	(dead letters "waiting since yesterday") sets off the site's alerts or its other tests."""
	frappe.db.rollback()
	frappe.db.delete("Integration Dead Letter", {"dedup_key": ["like", f"{MARK}:%"]})
	frappe.db.delete("Connector Request Log", {"correlation_id": ["like", f"{MARK}-%"]})
	# the company's pickup address stays (shipments link it) but is no one else's pickup address
	frappe.db.set_value("Address", {"address_title": "Browser Central Kitchen"}, "disabled", 1)
	frappe.db.commit()


def seed_outlet() -> str:
	name = "Browser Outlet Mitte"
	if not frappe.db.exists("Franchise Outlet", name):
		frappe.get_doc(
			{
				"doctype": "Franchise Outlet",
				"outlet_name": name,
				"is_active": 1,
				"opening_time": "10:00:00",
				"closing_time": "22:00:00",
				"latitude": 52.52,
				"longitude": 13.405,
			}
		).insert(ignore_permissions=True)
	frappe.db.commit()
	return name
