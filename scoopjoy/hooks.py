app_name = "scoopjoy"
app_title = "ScoopJoy Connect"
app_publisher = "ScoopJoy Engineering"
app_description = (
	"A connector framework for ERPNext (Shopify, WhatsApp, Google Contacts, mobile app, shipping) "
	"that keeps integrations running"
)
app_email = "engineering@scoopjoy.example"
app_license = "mit"

required_apps = ["frappe/erpnext"]

# This file is the only place that wires the app into Frappe. It is read by
# tools/check_frappe_layer.py with `ast` (never imported): keep every value a literal, and every
# dotted path pointing at a function that exists. Run `python tools/check_frappe_layer.py`.

# Installation
# ------------

# refreshes the module map install-app reads (a map cached before the app was on the bench would
# make install-app sync none of our DocTypes and still mark the app installed)
before_install = "scoopjoy.install.before_install"
after_install = "scoopjoy.install.after_install"
after_migrate = "scoopjoy.install.after_migrate"
before_tests = "scoopjoy.tests.setup.before_tests"

# No before_uninstall on purpose: uninstalling keeps our custom fields and their external ids,
# so that a re-install links to the same Shopify / Google records instead of duplicating them
# (see scoopjoy/install.py).

# Automatically update python controller files with type annotations for this app.
export_python_type_annotations = True

# Document Events
# ---------------
# Connectors register their handlers here, one block per connector, each handler a function of
# (doc, method) that only enqueues work (never calls an external service inside the request):
#
doc_events = {
	"Sales Order": {
		# status pushed to the mobile app only when it changed; enqueued after commit
		"on_change": "scoopjoy.connectors.mobile_app.jobs.on_sales_order_change",
		# WhatsApp order confirmation, sent by a job after commit
		"on_submit": "scoopjoy.connectors.whatsapp.messages.on_sales_order_submit",
	},
	"Delivery Note": {
		# a note of a Shopify order made in ERPNext fulfils it in Shopify (a job after commit)
		"before_insert": "scoopjoy.connectors.shopify.fulfillments.on_delivery_note_before_insert",
		"on_submit": "scoopjoy.connectors.shopify.fulfillments.on_delivery_note_submit",
		"before_update_after_submit": "scoopjoy.connectors.shopify.fulfillments.on_delivery_note_update_after_submit",
		"on_cancel": "scoopjoy.connectors.shopify.fulfillments.on_delivery_note_cancel",
	},
}

# Desk buttons on ERPNext forms
doctype_js = {
	"Sales Order": "public/js/sales_order.js",
	# shipping: Delivery Note -> Shipment -> rates -> booking, label, tracking
	"Delivery Note": ["public/js/shipping.js", "public/js/delivery_note.js"],
	"Shipment": ["public/js/shipping.js", "public/js/shipment.js"],
}
# "Sync to Google Contacts" on the Customer list
doctype_list_js = {"Customer": "public/js/customer_list.js"}

# Scheduled Tasks
# ---------------

scheduler_events = {
	"cron": {
		# retry the dead letters whose next_retry_at has come
		"*/5 * * * *": [
			"scoopjoy.reliability.dead_letters.retry_due_dead_letters",
			# open / close alert incidents from the thresholds in ScoopJoy Settings
			"scoopjoy.operations.alerts.evaluate_alerts",
			# Shopify webhook deliveries a job did not finish: Failed (dead letter), Processed or re-queued
			"scoopjoy.connectors.shopify.webhook.finish_deliveries",
		],
		# the seed's "every_15_minutes" is not a Frappe scheduler event: a cron entry is
		"*/15 * * * *": ["scoopjoy.connectors.mobile_app.jobs.scheduled_menu_sync"],
		# Shopify: changed orders (webhooks bring them live; the poll catches what one missed) and
		# inventory of mapped warehouses; each toggled per Shopify Store; one job per enabled store
		"*/10 * * * *": [
			"scoopjoy.connectors.shopify.sync.scheduled_order_poll",
			"scoopjoy.connectors.shopify.inventory.scheduled_inventory_push",
		],
	},
	"hourly": [
		"scoopjoy.connectors.mobile_app.jobs.scheduled_outlet_sync",
		# Shopify: Items changed since the last push, as products (toggle in the Shopify Store)
		"scoopjoy.connectors.shopify.catalog.scheduled_product_push",
		# Shopify Payments payouts paid since the last run, as bank entries (toggle in the Shopify Store)
		"scoopjoy.connectors.shopify.payouts.scheduled_payout_import",
		# booked shipments' tracking status (toggle in Shipping Settings)
		"scoopjoy.connectors.shipping.shipments.scheduled_tracking_refresh",
	],
	# Google Contacts sync of franchise customers (toggle "Daily Sync" in Google Contacts Settings)
	"daily": ["scoopjoy.connectors.google_contacts.sync.scheduled_sync"],
}

# Alerts
# ------
# What queues an alert's Slack message, called with (subject, message) by
# scoopjoy.reliability.alerts.notify when a webhook is set. The sender is a connector, so alerting
# (which every connector imports) finds it here instead of importing it.

scoopjoy_slack_alert_sender = ["scoopjoy.operations.slack.queue_slack_alert"]

# Tracking booked
# ---------------
# Called with (delivery_notes) by the shipping connector once a carrier booked a parcel for them, so
# that a Shopify fulfilment gets its tracking without the shipping connector importing Shopify's.
scoopjoy_tracking_booked = ["scoopjoy.connectors.shopify.fulfillments.on_tracking_booked"]

# Fulfilled in Shopify
# --------------------
# Called with (delivery_note) once its Shopify fulfilment was made with tracking (or got it): the
# customer's WhatsApp "shipped" message, sent once per fulfilment.
scoopjoy_shopify_fulfilled = ["scoopjoy.connectors.whatsapp.shipped.queue_shipped_message"]

# Log clearing
# ------------
# Log Settings adds these on its daily run and calls <controller>.clear_old_logs(days).
# Connector Request Log keeps failed calls longer (ScoopJoy Settings); Integration Dead Letter
# only ever deletes Resolved dead letters.

default_log_clearing_doctypes = {
	"Connector Request Log": 7,
	"Integration Dead Letter": 30,
	# processed deliveries only; at least 3 days, to dedupe Shopify's retries
	"Shopify Webhook Delivery": 30,
}
