"""Shopify constants: names, the pinned Admin API version and its support window, cost limits.

Pure Python: no frappe. The GraphQL Admin API is used because REST is legacy since 1 Oct 2024
and its product endpoints stop at 100 variants
(https://shopify.dev/docs/apps/build/graphql/migrate/new-product-model).
"""

SERVICE_NAME = "Shopify"
#: one record per shop (issue #22): what the single Shopify Settings held until then
STORE_DOCTYPE = "Shopify Store"
SETTINGS_DOCTYPE = STORE_DOCTYPE
#: the child table of an Item listing it in a store (store, product id, variant id)
LISTING_DOCTYPE = "Shopify Item Listing"
LISTINGS_FIELD = "custom_shopify_listings"

#: Shopify releases a version each quarter (January, April, July, October) and supports each
#: for at least 12 months (https://shopify.dev/docs/api/usage/versioning). 2026-10 is the newest
#: stable version on 2026-11-23; Settings pins the version and warns when it ages out.
DEFAULT_API_VERSION = "2026-10"
SUPPORT_MONTHS = 12
#: how long before the end of support the Settings start warning
WARN_DAYS_BEFORE_END = 60

#: GraphQL Admin API limits on the Standard plan: a bucket of 2,000 points refilled at 100
#: points per second; a single query may cost at most 1,000 points
#: (https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits).
STANDARD_BUCKET = 2000.0
STANDARD_RESTORE_RATE = 100.0
MAX_SINGLE_QUERY_COST = 1000

#: Header names (https://shopify.dev/docs/apps/build/webhooks/subscribe/https)
ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"
WEBHOOK_TOPIC_HEADER = "X-Shopify-Topic"
WEBHOOK_SHOP_HEADER = "X-Shopify-Shop-Domain"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
WEBHOOK_EVENT_ID_HEADER = "X-Shopify-Event-Id"
WEBHOOK_TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"
WEBHOOK_API_VERSION_HEADER = "X-Shopify-API-Version"

#: the job that imports one order: its dotted path is stored in dead letters and named by hooks and
#: jobs, so it stays the path of the function (orders.sync_order) wherever this constant lives
SYNC_ORDER_JOB = "scoopjoy.connectors.shopify.orders.sync_order"

#: the scheduled order poll (hooks.py: cron */10)
ORDER_POLL_MINUTES = 10

#: Webhook topics we subscribe to, REST-style names as delivered in X-Shopify-Topic, with the
#: GraphQL WebhookSubscriptionTopic enum value used to register them.
WEBHOOK_TOPICS = {
	"orders/create": "ORDERS_CREATE",
	"orders/updated": "ORDERS_UPDATED",
	"orders/paid": "ORDERS_PAID",
	"orders/fulfilled": "ORDERS_FULFILLED",
	"orders/partially_fulfilled": "ORDERS_PARTIALLY_FULFILLED",
	"orders/cancelled": "ORDERS_CANCELLED",
	"refunds/create": "REFUNDS_CREATE",
	# a product's Items follow its title, description and new variants (Create Missing Items)
	"products/update": "PRODUCTS_UPDATE",
}
#: the topics above whose body is a product, not an order or a refund
PRODUCT_TOPICS = frozenset({"products/update"})

#: ERPNext limits that Shopify data exceeds (ERPNext Item.item_name is Data(140); Shopify
#: product titles go up to 255 characters).
ERPNEXT_ITEM_NAME_MAX = 140
SHOPIFY_TITLE_MAX = 255

#: Page sizes, chosen from Shopify's cost rules (objects 1 point, connections 2 + first x node):
#: an order of ORDER_FIELDS with 10 lines (each with its tax lines, discount allocations and both
#: money sets) requests about 300 points, so 2 orders a page stay well under the 1,000-point single
#: query limit. Only the points actually used are kept from the bucket, so small pages cost little time;
#: a kernel test checks these requested costs with the simulator.
ORDERS_PAGE_SIZE = 2
#: the first lines of each order come with it; an order with more reads the rest in pages of
#: LINE_ITEMS_PAGE_SIZE (the booked total is checked against Shopify's, so none can be missed)
LINE_ITEMS_PER_ORDER = 10
#: orders the webhook drain reads in one ``nodes(ids:)`` query: the single-order query requests
#: about 300 points with 10 lines, so 3 stay under the 1,000-point limit (a kernel test checks it)
ORDERS_PER_FETCH = 3
#: a backfill window is split into slices of at least this many orders (scoopjoy/connectors/shopify/backfill.py):
#: below it, the queueing and the slice's own first page cost more than a second worker saves
BACKFILL_MIN_ORDERS_PER_SLICE = 50
#: a backfill commits its cursor and counts (and shows its progress) at most this often, not after
#: every page of two orders; a killed slice resumes after its last checkpoint
BACKFILL_CHECKPOINT_SECONDS = 2
#: drain jobs (per store) webhooks may keep busy at once when the store does not say
DEFAULT_WEBHOOK_IMPORT_JOBS = 2
LINE_ITEMS_PAGE_SIZE = 40
ORDER_SUMMARIES_PAGE_SIZE = 15
PRODUCTS_PAGE_SIZE = 50

GID_PREFIX = "gid://shopify/"

#: Shopify Payments payouts (issue #25): the scope that reads them, the page sizes, how far the
#: first import looks back and how much each run re-reads before its checkpoint (a payout turns PAID
#: days after it was issued)
PAYOUTS_SCOPE = "read_shopify_payments_payouts"
PAYOUTS_PAGE_SIZE = 50
BALANCE_TRANSACTIONS_PAGE_SIZE = 100
PAYOUTS_FIRST_LOOKBACK_DAYS = 30
PAYOUTS_OVERLAP_DAYS = 10
#: the job that books one payout: stored in dead letters, so it stays this function's path
BOOK_PAYOUT_JOB = "scoopjoy.connectors.shopify.payouts.book_payout"
#: the job that cancels the entry of a payout that failed after it was paid
REVERSE_PAYOUT_JOB = "scoopjoy.connectors.shopify.payouts.reverse_payout"

#: Delivery Notes fulfil Shopify orders (issue #23): the scope fulfillmentCreate needs on orders the
#: merchant fulfils (https://shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentCreate)
FULFILLMENT_SCOPE = "write_merchant_managed_fulfillment_orders"
#: Shopify's Return objects (issue #24), read when an order has a return
RETURNS_SCOPE = "read_returns"
#: how long the app's granted scopes are remembered (a scope added to the app shows within this)
SCOPES_CACHE_SECONDS = 600

#: Import Catalog (issue #24): from this many products the catalog is read as one bulk query
#: (https://shopify.dev/docs/api/usage/bulk-operations/queries) instead of pages of
#: CATALOG_PAGE_SIZE products: a page requests about 880 of the bucket's points, so paging a large
#: catalog waits on the rate limit, while a bulk query costs 10 points however large the catalog.
#: Below it, a bulk query's start-and-wait costs more than the few pages (benchmarks/catalog_import.py).
CATALOG_BULK_FROM = 250
CATALOG_PAGE_SIZE = 20
#: the Sync Console's variants compared with the listings, a page at a time (about 500 points)
VARIANTS_PAGE_SIZE = 250
#: how often a running bulk query is asked about, and how long one run waits for it (the next run
#: of the import picks the same operation up)
BULK_POLL_SECONDS = 2.0
BULK_FIRST_POLL_SECONDS = 0.5
BULK_MAX_WAIT_SECONDS = 3600
#: the import's own job timeout: it commits after each product, so a longer catalog resumes
CATALOG_IMPORT_TIMEOUT = 4 * 3600
