"""The GraphQL Admin API documents this connector sends, in one place.

Written from the Admin GraphQL reference (https://shopify.dev/docs/api/admin-graphql, version
pinned in the Shopify Store). The simulator (scoopjoy/tests/simulators/shopify/) serves a schema
subset written from the same reference, and a kernel test parses every document here against it,
so a field we use but the simulator does not know fails in CI rather than in production.

Pure Python: no frappe.
"""

MONEY = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }"
#: a tax line, as on the order, each line item and each shipping line
TAX_LINE = f"title rate priceSet {{ {MONEY} }}"

LINE_ITEM_FIELDS = f"""
	id
	title
	sku
	quantity
	currentQuantity
	unfulfilledQuantity
	originalUnitPriceSet {{ {MONEY} }}
	totalDiscountSet {{ {MONEY} }}
	discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
	taxLines {{ {TAX_LINE} }}
	isGiftCard
	requiresShipping
	variant {{ id }}
	product {{ id hasOnlyDefaultVariant }}
"""
SHIPPING_LINE_FIELDS = f"""
	title
	originalPriceSet {{ {MONEY} }}
	discountedPriceSet {{ {MONEY} }}
	taxLines {{ {TAX_LINE} }}
"""
#: ``amountRoundingSet``: POS cash rounding of a cash transaction (null for others)
#: (https://shopify.dev/changelog/new-cash-rounding-on-order-and-order-transaction)
TRANSACTION_FIELDS = (
	f"id kind status gateway processedAt amountSet {{ {MONEY} }} amountRoundingSet {{ {MONEY} }}"
)
REFUND_FIELDS = f"id createdAt totalRefundedSet {{ {MONEY} }}"
#: how many transactions and refunds come with an order; an order with as many is read again
#: with ORDER_MONEY (transactions and refunds are plain lists in Shopify's schema: no cursor)
FIRST_TRANSACTIONS = 5
FIRST_REFUNDS = 5
ORDER_FIELDS = f"""
	id
	legacyResourceId
	name
	email
	phone
	createdAt
	updatedAt
	processedAt
	cancelledAt
	cancelReason
	closedAt
	test
	currencyCode
	presentmentCurrencyCode
	taxesIncluded
	discountCodes
	displayFinancialStatus
	displayFulfillmentStatus
	returnStatus
	customer {{
		id
		legacyResourceId
		firstName
		lastName
		displayName
		defaultEmailAddress {{ emailAddress }}
		defaultPhoneNumber {{ phoneNumber }}
	}}
	shippingAddress {{
		firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone
	}}
	billingAddress {{
		firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone
	}}
	lineItems(first: $lineItems) {{
		pageInfo {{ hasNextPage endCursor }}
		nodes {{ {LINE_ITEM_FIELDS} }}
	}}
	shippingLines(first: 3) {{
		pageInfo {{ hasNextPage }}
		nodes {{ {SHIPPING_LINE_FIELDS} }}
	}}
	taxLines {{ {TAX_LINE} }}
	totalDiscountsSet {{ {MONEY} }}
	totalPriceSet {{ {MONEY} }}
	currentTotalPriceSet {{ {MONEY} }}
	currentTotalDutiesSet {{ {MONEY} }}
	totalTipReceivedSet {{ {MONEY} }}
	currentTotalAdditionalFeesSet {{ {MONEY} }}
	transactions(first: {FIRST_TRANSACTIONS}) {{ {TRANSACTION_FIELDS} }}
	fulfillments(first: 5) {{ createdAt }}
	refunds(first: {FIRST_REFUNDS}) {{ {REFUND_FIELDS} }}
"""

#: A page of orders. ``query`` uses Shopify's search syntax, e.g.
#: ``updated_at:>='2026-11-01T00:00:00Z'``; without ``status:`` every order is returned (open,
#: closed, cancelled), which is the playbook's ``status=any``
#: (https://shopify.dev/docs/api/admin-graphql/latest/queries/orders).
ORDERS_PAGE = f"""
query OrdersPage($first: Int!, $after: String, $query: String, $lineItems: Int!) {{
	orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
		nodes {{ {ORDER_FIELDS} }}
		pageInfo {{ hasNextPage endCursor }}
	}}
}}
"""

#: The rest of an order's lines, when it has more than the first page of the order query.
ORDER_LINE_ITEMS = f"""
query OrderLineItems($id: ID!, $first: Int!, $after: String) {{
	order(id: $id) {{
		lineItems(first: $first, after: $after) {{
			pageInfo {{ hasNextPage endCursor }}
			nodes {{ {LINE_ITEM_FIELDS} }}
		}}
	}}
}}
"""
#: All the money of an order with more shipping lines, transactions or refunds than ORDER_FIELDS reads.
ORDER_MONEY = f"""
query OrderMoney($id: ID!) {{
	order(id: $id) {{
		shippingLines(first: 10) {{ pageInfo {{ hasNextPage }} nodes {{ {SHIPPING_LINE_FIELDS} }} }}
		transactions(first: 40) {{ {TRANSACTION_FIELDS} }}
		refunds(first: 25) {{ {REFUND_FIELDS} }}
	}}
}}
"""
ORDER_BY_ID = f"""
query OneOrder($id: ID!, $lineItems: Int!) {{
	order(id: $id) {{ {ORDER_FIELDS} }}
}}
"""
#: Where an order's fulfilments shipped from, and what each shipped (Delivery Notes from the
#: warehouse of each location); read only when the Shopify Store maps locations to warehouses.
#: ``Fulfillment.location``: https://shopify.dev/docs/api/admin-graphql/latest/objects/Fulfillment
FIRST_FULFILLMENTS = 10
FULFILLMENT_LINES = 20
ORDER_FULFILLMENTS = f"""
query OrderFulfillments($id: ID!) {{
	order(id: $id) {{
		fulfillments(first: {FIRST_FULFILLMENTS}) {{
			id
			status
			createdAt
			location {{ id }}
			fulfillmentLineItems(first: {FULFILLMENT_LINES}) {{
				pageInfo {{ hasNextPage }}
				nodes {{ quantity lineItem {{ id }} }}
			}}
		}}
	}}
}}
"""
#: Several orders by id (the webhook drain): ``nodes(ids:)`` costs the node's fields once per id
#: (https://shopify.dev/docs/api/admin-graphql/latest/queries/nodes); a deleted order is null.
ORDERS_BY_IDS = f"""
query OrdersByIds($ids: [ID!]!, $lineItems: Int!) {{
	nodes(ids: $ids) {{ ... on Order {{ {ORDER_FIELDS} }} }}
}}
"""

#: What one refund gave back, read only for a refund that has no credit note yet: nesting this in
#: the order query would multiply its cost past Shopify's 1,000-point limit per query
#: (https://shopify.dev/docs/api/admin-graphql/latest/objects/Refund).
REFUND_DETAILS = f"""
query RefundDetails($id: ID!) {{
	node(id: $id) {{
		... on Refund {{
			id
			createdAt
			totalRefundedSet {{ {MONEY} }}
			refundLineItems(first: 50) {{
				nodes {{
					quantity restockType restocked location {{ id }} lineItem {{ id }}
					subtotalSet {{ {MONEY} }} totalTaxSet {{ {MONEY} }}
				}}
			}}
			refundShippingLines(first: 5) {{
				nodes {{ shippingLine {{ title }} subtotalAmountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }} }}
			}}
			orderAdjustments(first: 5) {{ nodes {{ reason amountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }} }} }}
			transactions(first: 5) {{ nodes {{ {TRANSACTION_FIELDS} }} }}
		}}
	}}
}}
"""

#: One product with its options and variants, to make ERPNext Items of it (Create Missing Items,
#: the products/update webhook). Variants come 100 a page (a product may have up to 2,048;
#: https://shopify.dev/docs/api/admin-graphql/latest/objects/Product): about 210 points a page.
PRODUCT_BY_ID = """
query OneProduct($id: ID!, $after: String) {
	product(id: $id) {
		id
		title
		descriptionHtml
		options { name values }
		variants(first: 100, after: $after) {
			pageInfo { hasNextPage endCursor }
			nodes { id sku price title selectedOptions { name value } }
		}
	}
}
"""

#: The light listing the Sync Console diffs against ERPNext: enough to say why an order is missing.
ORDER_SUMMARIES_PAGE = """
query OrderSummaries($first: Int!, $after: String, $query: String) {
	orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
		nodes {
			id
			legacyResourceId
			name
			createdAt
			cancelledAt
			displayFinancialStatus
			displayFulfillmentStatus
			lineItems(first: 20) { nodes { title variant { id } product { id } } }
		}
		pageInfo { hasNextPage endCursor }
	}
}
"""

COUNTS = """
query Counts($orders: String, $customers: String, $products: String) {
	ordersCount(query: $orders, limit: null) { count precision }
	customersCount(query: $customers, limit: null) { count precision }
	productsCount(query: $products, limit: null) { count precision }
}
"""

#: a backfill window is cut into this many equal cells whose order counts come in one query; the
#: slices that run side by side are then joined from whole cells (scoopjoy/kernel/slices.py)
SLICE_CELLS = 32

WINDOW_CELL_COUNTS = (
	"query WindowCellCounts("
	+ ", ".join(f"$c{i}: String!" for i in range(SLICE_CELLS))
	+ ") {\n"
	+ "".join(
		f"\tc{i}: ordersCount(query: $c{i}, limit: null) {{ count precision }}\n" for i in range(SLICE_CELLS)
	)
	+ "}\n"
)

SHOP = """
query Shop {
	shop { name myshopifyDomain currencyCode ianaTimezone }
	currentAppInstallation { accessScopes { handle } }
}
"""

#: Create or update one product with its variants in one call. ``identifier`` by handle makes a
#: retry after a lost response update the product it created instead of creating a second one
#: (https://shopify.dev/docs/api/admin-graphql/latest/mutations/productSet).
PRODUCT_SET = """
mutation ProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
	productSet(input: $input, identifier: $identifier, synchronous: true) {
		product {
			id
			legacyResourceId
			handle
			variants(first: 100) {
				nodes { id legacyResourceId sku inventoryItem { id } }
			}
		}
		userErrors { field message code }
	}
}
"""

#: Absolute quantities (not deltas), so sending the same batch twice is harmless; the
#: ``@idempotent`` directive is required for inventory mutations from API 2026-04
#: (https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities).
INVENTORY_SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
	inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
		inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
		userErrors { field message code }
	}
}
"""

#: What Shopify holds for some variants at one location (the drift check).
INVENTORY_LEVELS = """
query InventoryLevels($ids: [ID!]!, $locationId: ID!) {
	nodes(ids: $ids) {
		... on ProductVariant {
			id
			sku
			inventoryItem {
				id
				inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } }
			}
		}
	}
}
"""

LOCATIONS = """
query Locations {
	locations(first: 50) { nodes { id name isActive } }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions {
	webhookSubscriptions(first: 100) { nodes { id topic uri } }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
	webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
		webhookSubscription { id topic uri }
		userErrors { field message }
	}
}
"""

WEBHOOK_SUBSCRIPTION_UPDATE = """
mutation WebhookUpdate($id: ID!, $webhookSubscription: WebhookSubscriptionInput!) {
	webhookSubscriptionUpdate(id: $id, webhookSubscription: $webhookSubscription) {
		webhookSubscription { id topic uri }
		userErrors { field message }
	}
}
"""

#: Shopify Payments payouts, oldest first (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsAccount);
#: null ``shopifyPaymentsAccount``: the shop does not use Shopify Payments
PAYOUTS_PAGE = """
query Payouts($first: Int!, $after: String, $query: String) {
	shopifyPaymentsAccount {
		id
		payouts(first: $first, after: $after, query: $query, sortKey: ISSUED_AT) {
			nodes {
				id legacyResourceId issuedAt status transactionType
				net { amount currencyCode }
			}
			pageInfo { hasNextPage endCursor }
		}
	}
}
"""

#: the balance transactions of one payout (``payments_transfer_id``: the payout's legacy id), or of
#: those not paid out yet (``payout_status``); the payout's own TRANSFER hidden
BALANCE_TRANSACTIONS_PAGE = """
query BalanceTransactions($first: Int!, $after: String, $query: String) {
	shopifyPaymentsAccount {
		id
		balanceTransactions(first: $first, after: $after, query: $query, hideTransfers: true) {
			nodes {
				id type test sourceType sourceId sourceOrderTransactionId adjustmentReason transactionDate
				amount { amount currencyCode } fee { amount } net { amount }
				associatedOrder { id name } associatedPayout { id status }
			}
			pageInfo { hasNextPage endCursor }
		}
	}
}
"""

#: an order's fulfillment orders: what is left to fulfil at which location
#: (https://shopify.dev/docs/api/admin-graphql/latest/objects/FulfillmentOrder)
FIRST_FULFILLMENT_ORDERS = 5
FULFILLMENT_ORDER_LINES = 50
FULFILLMENT_ORDERS = f"""
query FulfillmentOrders($id: ID!) {{
	order(id: $id) {{
		id name
		fulfillmentOrders(first: {FIRST_FULFILLMENT_ORDERS}) {{
			nodes {{
				id status
				assignedLocation {{ location {{ id }} }}
				lineItems(first: {FULFILLMENT_ORDER_LINES}) {{
					nodes {{ id totalQuantity remainingQuantity lineItem {{ id }} }}
					pageInfo {{ hasNextPage }}
				}}
			}}
			pageInfo {{ hasNextPage }}
		}}
	}}
}}
"""

#: https://shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentCreate (no idempotency key)
FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!, $message: String) {
	fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
		fulfillment { id status trackingInfo(first: 1) { company number url } }
		userErrors { field message }
	}
}
"""

#: https://shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentTrackingInfoUpdate
FULFILLMENT_TRACKING_UPDATE = """
mutation FulfillmentTrackingInfoUpdate($fulfillmentId: ID!, $trackingInfoInput: FulfillmentTrackingInput!, $notifyCustomer: Boolean) {
	fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId, trackingInfoInput: $trackingInfoInput, notifyCustomer: $notifyCustomer) {
		fulfillment { id trackingInfo(first: 1) { company number url } }
		userErrors { field message }
	}
}
"""

#: https://shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentCancel
FULFILLMENT_CANCEL = """
mutation FulfillmentCancel($id: ID!) {
	fulfillmentCancel(id: $id) {
		fulfillment { id status }
		userErrors { field message }
	}
}
"""

#: An order's returns and what became of their units (returns.py), read when the order has
#: deliveries. Needs the read_returns scope (https://shopify.dev/docs/api/admin-graphql/latest/objects/Return).
#: About 550 points requested (5 returns, 2 reverse fulfillment orders each, 10 lines each).
ORDER_RETURNS = """
query OrderReturns($id: ID!) {
	order(id: $id) {
		returns(first: 5) {
			pageInfo { hasNextPage }
			nodes {
				id
				name
				status
				refunds(first: 5) { nodes { id } }
				reverseFulfillmentOrders(first: 2) {
					pageInfo { hasNextPage }
					nodes {
						lineItems(first: 10) {
							pageInfo { hasNextPage }
							nodes {
								fulfillmentLineItem { lineItem { id } }
								dispositions { id createdAt quantity type location { id } }
							}
						}
					}
				}
			}
		}
	}
}
"""

# --- the catalog import (catalog_import.py) ---------------------------------------------------------

#: What an Item is made of, per product and per variant: the same fields as PRODUCT_BY_ID.
CATALOG_PRODUCT_FIELDS = "id title descriptionHtml options { name values }"
CATALOG_VARIANT_FIELDS = "id sku price title selectedOptions { name value }"
#: variants read with their product on a page; a product with more is read whole (PRODUCT_BY_ID)
CATALOG_PAGE_VARIANTS = 20

#: The catalog a page at a time, below the bulk threshold. About 46 points a product (requested,
#: before the refund of what the variants did not use), so 20 products a page stay under the
#: 1,000-point single query limit (https://shopify.dev/docs/api/usage/limits#cost-calculation).
CATALOG_PAGE = f"""
query CatalogPage($first: Int!, $after: String) {{
	products(first: $first, after: $after, sortKey: ID) {{
		pageInfo {{ hasNextPage endCursor }}
		nodes {{
			{CATALOG_PRODUCT_FIELDS}
			variants(first: {CATALOG_PAGE_VARIANTS}) {{
				pageInfo {{ hasNextPage }}
				nodes {{ {CATALOG_VARIANT_FIELDS} }}
			}}
		}}
	}}
}}
"""

#: The whole catalog as one bulk query: Shopify runs it in the background, without the cost
#: limit, and answers with a JSONL file (https://shopify.dev/docs/api/usage/bulk-operations/queries).
CATALOG_BULK_QUERY = f"""
{{
	products(sortKey: ID) {{
		edges {{
			node {{
				{CATALOG_PRODUCT_FIELDS}
				variants {{ edges {{ node {{ {CATALOG_VARIANT_FIELDS} }} }} }}
			}}
		}}
	}}
}}
"""

#: groupObjects false: Shopify's advice (grouping is slow and times out); lines are put back
#: together here (kernel.bulk).
BULK_RUN_QUERY = """
mutation BulkRunQuery($query: String!) {
	bulkOperationRunQuery(query: $query, groupObjects: false) {
		bulkOperation { id status }
		userErrors { field message code }
	}
}
"""

BULK_OPERATION_FIELDS = "id status errorCode objectCount rootObjectCount url partialDataUrl"

BULK_OPERATION = f"""
query BulkOperation($id: ID!) {{
	node(id: $id) {{ ... on BulkOperation {{ {BULK_OPERATION_FIELDS} }} }}
}}
"""

CURRENT_BULK_OPERATION = f"""
query CurrentBulkOperation {{
	currentBulkOperation(type: QUERY) {{ {BULK_OPERATION_FIELDS} query }}
}}
"""

#: The Sync Console's catalog line: how many products and variants the store has.
CATALOG_COUNTS = """
query CatalogCounts {
	productsCount(limit: null) { count precision }
	productVariantsCount(limit: null) { count precision }
}
"""

#: The variants the Sync Console compares with the store's listings, newest first (those are the
#: ones most likely without an Item), 250 a page.
VARIANTS_PAGE = """
query VariantsPage($first: Int!, $after: String) {
	productVariants(first: $first, after: $after, sortKey: ID, reverse: true) {
		pageInfo { hasNextPage endCursor }
		nodes { id sku title product { id title } }
	}
}
"""

ALL_DOCUMENTS = {
	"FULFILLMENT_ORDERS": FULFILLMENT_ORDERS,
	"FULFILLMENT_CREATE": FULFILLMENT_CREATE,
	"FULFILLMENT_TRACKING_UPDATE": FULFILLMENT_TRACKING_UPDATE,
	"FULFILLMENT_CANCEL": FULFILLMENT_CANCEL,
	"PAYOUTS_PAGE": PAYOUTS_PAGE,
	"BALANCE_TRANSACTIONS_PAGE": BALANCE_TRANSACTIONS_PAGE,
	"ORDERS_PAGE": ORDERS_PAGE,
	"ORDER_BY_ID": ORDER_BY_ID,
	"ORDERS_BY_IDS": ORDERS_BY_IDS,
	"ORDER_FULFILLMENTS": ORDER_FULFILLMENTS,
	"ORDER_SUMMARIES_PAGE": ORDER_SUMMARIES_PAGE,
	"REFUND_DETAILS": REFUND_DETAILS,
	"ORDER_LINE_ITEMS": ORDER_LINE_ITEMS,
	"ORDER_MONEY": ORDER_MONEY,
	"PRODUCT_BY_ID": PRODUCT_BY_ID,
	"COUNTS": COUNTS,
	"WINDOW_CELL_COUNTS": WINDOW_CELL_COUNTS,
	"SHOP": SHOP,
	"PRODUCT_SET": PRODUCT_SET,
	"INVENTORY_SET_QUANTITIES": INVENTORY_SET_QUANTITIES,
	"INVENTORY_LEVELS": INVENTORY_LEVELS,
	"LOCATIONS": LOCATIONS,
	"WEBHOOK_SUBSCRIPTIONS": WEBHOOK_SUBSCRIPTIONS,
	"WEBHOOK_SUBSCRIPTION_CREATE": WEBHOOK_SUBSCRIPTION_CREATE,
	"WEBHOOK_SUBSCRIPTION_UPDATE": WEBHOOK_SUBSCRIPTION_UPDATE,
	"CATALOG_PAGE": CATALOG_PAGE,
	"BULK_RUN_QUERY": BULK_RUN_QUERY,
	"BULK_OPERATION": BULK_OPERATION,
	"CURRENT_BULK_OPERATION": CURRENT_BULK_OPERATION,
	"CATALOG_COUNTS": CATALOG_COUNTS,
	"VARIANTS_PAGE": VARIANTS_PAGE,
	"ORDER_RETURNS": ORDER_RETURNS,
}
