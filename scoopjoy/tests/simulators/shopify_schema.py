"""The Shopify Admin GraphQL schema subset the simulator serves, and Shopify's query cost rules.

Written from the Admin GraphQL reference (https://shopify.dev/docs/api/admin-graphql, version
2026-10): type, field, argument and enum names are Shopify's; only what the connector and its
tests touch is declared. Money amounts are ``Decimal`` scalars serialised as strings, ``Money`` and
``UnsignedInt64`` too, as Shopify does.

Cost (https://shopify.dev/docs/api/usage/limits#cost-calculation): scalars and enums cost 0,
objects 1, a connection 2 + ``first`` (or ``last``) x the cost of one node (the node object plus
what is selected in it; ``edges``/``pageInfo`` add nothing), a list of objects the cost of one
element times its ``first`` (``nodes(ids:)``: the number of ids; 1 without ``first``), an interface
or union the dearest of its fragments, a mutation 10. Every ``...Connection`` type (the order's
``lineItems``, ``shippingLines``, ``discountApplications``; a refund's ``refundLineItems``,
``refundShippingLines``, ``transactions``, ``orderAdjustments``) is charged as a connection;
``Order.transactions``, ``Order.refunds``, ``Order.fulfillments`` and ``LineItem.taxLines`` are
plain lists with ``first`` in Shopify's schema, and are charged as lists. The requested
cost is computed from the document and variables before execution; the actual cost from what was
returned (a null object costs 0, a connection is charged for the nodes it returned).

Pure Python (graphql-core 3.2); never imports frappe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
	FieldNode,
	FragmentDefinitionNode,
	FragmentSpreadNode,
	GraphQLList,
	GraphQLNonNull,
	GraphQLSchema,
	InlineFragmentNode,
	OperationDefinitionNode,
	OperationType,
	SelectionSetNode,
	build_schema,
	get_named_type,
	is_abstract_type,
	is_leaf_type,
)
from graphql.execution.values import get_argument_values

MAX_PAGE_SIZE = 250
MUTATION_COST = 10

SDL = """
schema { query: QueryRoot mutation: Mutation }

"Makes a mutation idempotent: Shopify replays the first result for the same key (required for inventory mutations from 2026-04)."
directive @idempotent(key: String!) on FIELD

scalar DateTime
scalar Decimal
scalar Money
scalar URL
scalar UnsignedInt64
scalar HTML

interface Node { id: ID! }

enum CurrencyCode {
	AED AUD BRL CAD CHF CNY CZK DKK EUR GBP HKD IDR ILS INR JPY KRW MXN MYR NOK NZD PHP PLN SAR SEK SGD THB TRY USD ZAR
}
enum CountryCode {
	AE AT AU BE BR CA CH CN CZ DE DK ES FI FR GB HK ID IE IL IN IT JP KR LK MX MY NL NO NP NZ PH PK PL PT SA SE SG TH TR US ZA
}
enum CountPrecision { EXACT AT_LEAST }
enum WeightUnit { GRAMS KILOGRAMS OUNCES POUNDS }
enum ProductStatus { ACTIVE ARCHIVED DRAFT UNLISTED }
enum OrderSortKeys {
	CREATED_AT CUSTOMER_NAME DESTINATION FINANCIAL_STATUS FULFILLMENT_STATUS ID ORDER_NUMBER PO_NUMBER
	PROCESSED_AT RELEVANCE TOTAL_ITEMS_QUANTITY TOTAL_PRICE UPDATED_AT
}
enum ProductSortKeys { CREATED_AT ID INVENTORY_TOTAL PRODUCT_TYPE PUBLISHED_AT RELEVANCE TITLE UPDATED_AT VENDOR }
enum CustomerSortKeys { CREATED_AT ID LOCATION NAME RELEVANCE UPDATED_AT }
enum LocationSortKeys { ID NAME RELEVANCE }
enum OrderDisplayFinancialStatus {
	AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED VOIDED
}
enum OrderDisplayFulfillmentStatus {
	FULFILLED IN_PROGRESS ON_HOLD OPEN PARTIALLY_FULFILLED PENDING_FULFILLMENT REQUEST_DECLINED RESTOCKED
	SCHEDULED UNFULFILLED
}
enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }
enum OrderTransactionKind { AUTHORIZATION CAPTURE CHANGE EMV_AUTHORIZATION REFUND SALE SUGGESTED_REFUND VOID }
enum DiscountApplicationAllocationMethod { ACROSS EACH ONE }
enum DiscountApplicationTargetSelection { ALL ENTITLED EXPLICIT }
enum DiscountApplicationTargetType { LINE_ITEM SHIPPING_LINE }
enum OrderAdjustmentDiscrepancyReason {
	CUSTOMER DAMAGE FULL_RETURN_BALANCING_ADJUSTMENT PENDING_REFUND_DISCREPANCY REFUND_DISCREPANCY RESTOCK
}
enum OrderTransactionStatus { AWAITING_RESPONSE ERROR FAILURE PENDING SUCCESS UNKNOWN }
enum FulfillmentStatus { CANCELLED ERROR FAILURE OPEN PENDING SUCCESS }
enum RefundLineItemRestockType { CANCEL LEGACY_RESTOCK NO_RESTOCK RETURN }
enum ProductOperationStatus { ACTIVE COMPLETE CREATED }
enum ProductSetUserErrorCode {
	BLANK DUPLICATED_OPTION_VALUE GENERIC_ERROR INVALID INVALID_INPUT INVALID_PRODUCT INVALID_VARIANT
	OPTION_DOES_NOT_EXIST OPTION_VALUE_DOES_NOT_EXIST PRODUCT_DOES_NOT_EXIST PRODUCT_VARIANT_DOES_NOT_EXIST
	TOO_LONG VARIANTS_OVER_LIMIT
}
enum InventorySetQuantitiesUserErrorCode {
	CHANGE_FROM_QUANTITY_STALE COMPARE_QUANTITY_REQUIRED COMPARE_QUANTITY_STALE IDEMPOTENCY_CONCURRENT_REQUEST
	IDEMPOTENCY_KEY_PARAMETER_MISMATCH IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED INVALID_INVENTORY_ITEM INVALID_LOCATION
	INVALID_NAME INVALID_QUANTITY_NEGATIVE INVALID_QUANTITY_TOO_HIGH INVALID_QUANTITY_TOO_LOW INVALID_REASON
	INVALID_REFERENCE_DOCUMENT ITEM_NOT_STOCKED_AT_LOCATION NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR
	NON_MUTABLE_INVENTORY_ITEM
}
enum WebhookSubscriptionTopic {
	APP_UNINSTALLED CUSTOMERS_CREATE CUSTOMERS_UPDATE FULFILLMENTS_CREATE FULFILLMENTS_UPDATE
	INVENTORY_LEVELS_UPDATE ORDERS_CANCELLED ORDERS_CREATE ORDERS_DELETE ORDERS_EDITED ORDERS_FULFILLED
	ORDERS_PAID ORDERS_PARTIALLY_FULFILLED ORDERS_UPDATED PRODUCTS_CREATE PRODUCTS_DELETE PRODUCTS_UPDATE
	REFUNDS_CREATE
}
enum WebhookSubscriptionFormat { JSON XML }

type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type Count { count: Int! precision: CountPrecision! }
type MoneyV2 { amount: Decimal! currencyCode: CurrencyCode! }
type MoneyBag { shopMoney: MoneyV2! presentmentMoney: MoneyV2! }
type UserError { field: [String!] message: String! }

type Shop implements Node {
	id: ID! name: String! myshopifyDomain: String! currencyCode: CurrencyCode! email: String!
	ianaTimezone: String! timezoneAbbreviation: String! timezoneOffset: String! timezoneOffsetMinutes: Int!
	url: URL!
}
type AccessScope { handle: String! description: String! }
type AppInstallation implements Node { id: ID! accessScopes: [AccessScope!]! }

type CustomerEmailAddress { emailAddress: String! }
type CustomerPhoneNumber { phoneNumber: String! }
type Customer implements Node {
	id: ID! legacyResourceId: UnsignedInt64! firstName: String lastName: String displayName: String!
	defaultEmailAddress: CustomerEmailAddress defaultPhoneNumber: CustomerPhoneNumber
	defaultAddress: MailingAddress createdAt: DateTime! updatedAt: DateTime! note: String tags: [String!]!
}
type CustomerEdge { node: Customer! cursor: String! }
type CustomerConnection { nodes: [Customer!]! edges: [CustomerEdge!]! pageInfo: PageInfo! }

type MailingAddress implements Node {
	id: ID! firstName: String lastName: String name: String company: String address1: String address2: String
	city: String province: String provinceCode: String zip: String country: String countryCodeV2: CountryCode
	phone: String
}

type Location implements Node {
	id: ID! legacyResourceId: UnsignedInt64! name: String! isActive: Boolean! fulfillsOnlineOrders: Boolean!
	address: LocationAddress!
}
type LocationAddress { address1: String city: String zip: String countryCode: String }
type LocationEdge { node: Location! cursor: String! }
type LocationConnection { nodes: [Location!]! edges: [LocationEdge!]! pageInfo: PageInfo! }

type Weight { unit: WeightUnit! value: Float! }
type InventoryItemMeasurement { id: ID! weight: Weight }
type InventoryQuantity { id: ID! name: String! quantity: Int! updatedAt: DateTime }
type InventoryLevel implements Node {
	id: ID! quantities(names: [String!]!): [InventoryQuantity!]! location: Location! item: InventoryItem!
	updatedAt: DateTime!
}
type InventoryItem implements Node {
	id: ID! legacyResourceId: UnsignedInt64! sku: String tracked: Boolean! requiresShipping: Boolean!
	measurement: InventoryItemMeasurement! inventoryLevel(locationId: ID!): InventoryLevel variant: ProductVariant!
	createdAt: DateTime! updatedAt: DateTime!
}
type SelectedOption { name: String! value: String! }
type ProductVariant implements Node {
	id: ID! legacyResourceId: UnsignedInt64! title: String! displayName: String! sku: String price: Money!
	compareAtPrice: Money barcode: String position: Int! taxable: Boolean! product: Product!
	inventoryItem: InventoryItem! selectedOptions: [SelectedOption!]! createdAt: DateTime! updatedAt: DateTime!
}
type ProductVariantEdge { node: ProductVariant! cursor: String! }
type ProductVariantConnection { nodes: [ProductVariant!]! edges: [ProductVariantEdge!]! pageInfo: PageInfo! }
type ProductOptionValue { id: ID! name: String! hasVariants: Boolean! }
type ProductOption implements Node {
	id: ID! name: String! position: Int! values: [String!]! optionValues: [ProductOptionValue!]!
}
type Product implements Node {
	id: ID! legacyResourceId: UnsignedInt64! title: String! handle: String! descriptionHtml: HTML!
	productType: String! vendor: String! status: ProductStatus! tags: [String!]! hasOnlyDefaultVariant: Boolean!
	options(first: Int): [ProductOption!]!
	variants(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): ProductVariantConnection!
	variantsCount: Count totalInventory: Int! createdAt: DateTime! updatedAt: DateTime!
}
type ProductEdge { node: Product! cursor: String! }
type ProductConnection { nodes: [Product!]! edges: [ProductEdge!]! pageInfo: PageInfo! }

"https://shopify.dev/docs/api/admin-graphql/latest/objects/PricingPercentageValue"
type PricingPercentageValue { percentage: Float! }
union PricingValue = MoneyV2 | PricingPercentageValue

"https://shopify.dev/docs/api/admin-graphql/latest/interfaces/DiscountApplication"
interface DiscountApplication {
	allocationMethod: DiscountApplicationAllocationMethod! index: Int!
	targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
	value: PricingValue!
}
type DiscountCodeApplication implements DiscountApplication {
	allocationMethod: DiscountApplicationAllocationMethod! index: Int!
	targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
	value: PricingValue! code: String!
}
type ManualDiscountApplication implements DiscountApplication {
	allocationMethod: DiscountApplicationAllocationMethod! index: Int!
	targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
	value: PricingValue! title: String! description: String
}
type AutomaticDiscountApplication implements DiscountApplication {
	allocationMethod: DiscountApplicationAllocationMethod! index: Int!
	targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
	value: PricingValue! title: String!
}
type ScriptDiscountApplication implements DiscountApplication {
	allocationMethod: DiscountApplicationAllocationMethod! index: Int!
	targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
	value: PricingValue! title: String!
}
type DiscountApplicationEdge { node: DiscountApplication! cursor: String! }
type DiscountApplicationConnection {
	nodes: [DiscountApplication!]! edges: [DiscountApplicationEdge!]! pageInfo: PageInfo!
}
"https://shopify.dev/docs/api/admin-graphql/latest/objects/DiscountAllocation"
type DiscountAllocation { allocatedAmountSet: MoneyBag! discountApplication: DiscountApplication! }

"https://shopify.dev/docs/api/admin-graphql/latest/objects/TaxLine"
type TaxLine {
	title: String! rate: Float ratePercentage: Float priceSet: MoneyBag! channelLiable: Boolean source: String
}

"https://shopify.dev/docs/api/admin-graphql/latest/objects/LineItem"
type LineItem implements Node {
	id: ID! title: String! name: String! sku: String variantTitle: String vendor: String quantity: Int!
	currentQuantity: Int! unfulfilledQuantity: Int! nonFulfillableQuantity: Int! refundableQuantity: Int!
	requiresShipping: Boolean! taxable: Boolean! isGiftCard: Boolean!
	originalUnitPriceSet: MoneyBag! discountedUnitPriceSet: MoneyBag!
	discountedUnitPriceAfterAllDiscountsSet: MoneyBag! originalTotalSet: MoneyBag! discountedTotalSet: MoneyBag!
	totalDiscountSet: MoneyBag! taxLines(first: Int): [TaxLine!]! discountAllocations: [DiscountAllocation!]!
	variant: ProductVariant product: Product
}
type LineItemEdge { node: LineItem! cursor: String! }
type LineItemConnection { nodes: [LineItem!]! edges: [LineItemEdge!]! pageInfo: PageInfo! }

"https://shopify.dev/docs/api/admin-graphql/latest/objects/ShippingLine"
type ShippingLine {
	id: ID title: String! code: String source: String carrierIdentifier: String custom: Boolean! isRemoved: Boolean!
	originalPriceSet: MoneyBag! discountedPriceSet: MoneyBag! currentDiscountedPriceSet: MoneyBag!
	taxLines: [TaxLine!]! discountAllocations: [DiscountAllocation!]!
}
type ShippingLineEdge { node: ShippingLine! cursor: String! }
type ShippingLineConnection { nodes: [ShippingLine!]! edges: [ShippingLineEdge!]! pageInfo: PageInfo! }

"https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderTransaction"
type OrderTransaction implements Node {
	id: ID! kind: OrderTransactionKind! status: OrderTransactionStatus! gateway: String formattedGateway: String
	test: Boolean! processedAt: DateTime createdAt: DateTime! amountSet: MoneyBag!
	amountRoundingSet: MoneyBag parentTransaction: OrderTransaction
}
"https://shopify.dev/docs/api/admin-graphql/latest/objects/CashRoundingAdjustment"
type CashRoundingAdjustment { paymentSet: MoneyBag! refundSet: MoneyBag! }
type OrderTransactionEdge { node: OrderTransaction! cursor: String! }
type OrderTransactionConnection {
	nodes: [OrderTransaction!]! edges: [OrderTransactionEdge!]! pageInfo: PageInfo!
}

type FulfillmentLineItem implements Node { id: ID! quantity: Int lineItem: LineItem! }
type FulfillmentLineItemEdge { node: FulfillmentLineItem! cursor: String! }
type FulfillmentLineItemConnection {
	nodes: [FulfillmentLineItem!]! edges: [FulfillmentLineItemEdge!]! pageInfo: PageInfo!
}
"https://shopify.dev/docs/api/admin-graphql/latest/objects/FulfillmentTrackingInfo"
type FulfillmentTrackingInfo { company: String number: String url: URL }
type Fulfillment implements Node {
	id: ID! legacyResourceId: UnsignedInt64! name: String! status: FulfillmentStatus! createdAt: DateTime!
	updatedAt: DateTime! location: Location
	trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
	fulfillmentLineItems(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): FulfillmentLineItemConnection!
}

"https://shopify.dev/docs/api/admin-graphql/latest/objects/FulfillmentOrder"
enum FulfillmentOrderStatus { CANCELLED CLOSED INCOMPLETE IN_PROGRESS ON_HOLD OPEN SCHEDULED }
type FulfillmentOrderAssignedLocation { location: Location name: String! }
type FulfillmentOrderLineItem implements Node { id: ID! totalQuantity: Int! remainingQuantity: Int! lineItem: LineItem! }
type FulfillmentOrderLineItemEdge { node: FulfillmentOrderLineItem! cursor: String! }
type FulfillmentOrderLineItemConnection {
	nodes: [FulfillmentOrderLineItem!]! edges: [FulfillmentOrderLineItemEdge!]! pageInfo: PageInfo!
}
type FulfillmentOrder implements Node {
	id: ID! status: FulfillmentOrderStatus! updatedAt: DateTime! assignedLocation: FulfillmentOrderAssignedLocation!
	lineItems(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): FulfillmentOrderLineItemConnection!
}
type FulfillmentOrderEdge { node: FulfillmentOrder! cursor: String! }
type FulfillmentOrderConnection { nodes: [FulfillmentOrder!]! edges: [FulfillmentOrderEdge!]! pageInfo: PageInfo! }
input FulfillmentTrackingInput { company: String number: String url: URL numbers: [String!] urls: [URL!] }
input FulfillmentOrderLineItemInput { id: ID! quantity: Int! }
input FulfillmentOrderLineItemsInput { fulfillmentOrderId: ID! fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!] }
input FulfillmentInput {
	lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]! notifyCustomer: Boolean = false
	trackingInfo: FulfillmentTrackingInput
}
type FulfillmentCreatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }
type FulfillmentTrackingInfoUpdatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }
type FulfillmentCancelPayload { fulfillment: Fulfillment userErrors: [UserError!]! }

"https://shopify.dev/docs/api/admin-graphql/latest/objects/RefundLineItem: location is where a restocked line goes back to"
type RefundLineItem {
	id: ID quantity: Int! restockType: RefundLineItemRestockType! restocked: Boolean! lineItem: LineItem!
	location: Location
	priceSet: MoneyBag! subtotalSet: MoneyBag! totalTaxSet: MoneyBag!
}
type RefundLineItemEdge { node: RefundLineItem! cursor: String! }
type RefundLineItemConnection { nodes: [RefundLineItem!]! edges: [RefundLineItemEdge!]! pageInfo: PageInfo! }
"https://shopify.dev/docs/api/admin-graphql/latest/objects/RefundShippingLine"
type RefundShippingLine implements Node {
	id: ID! shippingLine: ShippingLine! subtotalAmountSet: MoneyBag! taxAmountSet: MoneyBag!
}
type RefundShippingLineEdge { node: RefundShippingLine! cursor: String! }
type RefundShippingLineConnection {
	nodes: [RefundShippingLine!]! edges: [RefundShippingLineEdge!]! pageInfo: PageInfo!
}
"https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderAdjustment"
type OrderAdjustment implements Node {
	id: ID! amountSet: MoneyBag! taxAmountSet: MoneyBag! reason: OrderAdjustmentDiscrepancyReason
}
type OrderAdjustmentEdge { node: OrderAdjustment! cursor: String! }
type OrderAdjustmentConnection { nodes: [OrderAdjustment!]! edges: [OrderAdjustmentEdge!]! pageInfo: PageInfo! }
"https://shopify.dev/docs/api/admin-graphql/latest/objects/Refund"
type Refund implements Node {
	id: ID! legacyResourceId: UnsignedInt64! note: String createdAt: DateTime updatedAt: DateTime!
	totalRefundedSet: MoneyBag!
	refundLineItems(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): RefundLineItemConnection!
	refundShippingLines(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): RefundShippingLineConnection!
	transactions(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): OrderTransactionConnection!
	orderAdjustments(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): OrderAdjustmentConnection!
}

"https://shopify.dev/docs/api/admin-graphql/latest/objects/Order"
type Order implements Node {
	id: ID! legacyResourceId: UnsignedInt64! name: String! email: String phone: String note: String tags: [String!]!
	createdAt: DateTime! updatedAt: DateTime! processedAt: DateTime! cancelledAt: DateTime
	cancelReason: OrderCancelReason closedAt: DateTime closed: Boolean! test: Boolean! edited: Boolean!
	currencyCode: CurrencyCode! presentmentCurrencyCode: CurrencyCode! taxesIncluded: Boolean!
	displayFinancialStatus: OrderDisplayFinancialStatus displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
	returnStatus: OrderReturnStatus!
	capturable: Boolean! fullyPaid: Boolean! unpaid: Boolean! refundable: Boolean! paymentGatewayNames: [String!]!
	customer: Customer shippingAddress: MailingAddress billingAddress: MailingAddress
	lineItems(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): LineItemConnection!
	shippingLines(first: Int, after: String, last: Int, before: String, reverse: Boolean = false, includeRemovals: Boolean = false): ShippingLineConnection!
	discountApplications(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): DiscountApplicationConnection!
	discountCode: String discountCodes: [String!]!
	taxLines: [TaxLine!]! currentTaxLines: [TaxLine!]!
	subtotalLineItemsQuantity: Int! currentSubtotalLineItemsQuantity: Int!
	subtotalPriceSet: MoneyBag currentSubtotalPriceSet: MoneyBag!
	totalDiscountsSet: MoneyBag currentTotalDiscountsSet: MoneyBag!
	cartDiscountAmountSet: MoneyBag currentCartDiscountAmountSet: MoneyBag!
	totalShippingPriceSet: MoneyBag! currentShippingPriceSet: MoneyBag! totalRefundedShippingSet: MoneyBag!
	totalTaxSet: MoneyBag currentTotalTaxSet: MoneyBag!
	originalTotalDutiesSet: MoneyBag currentTotalDutiesSet: MoneyBag
	originalTotalAdditionalFeesSet: MoneyBag currentTotalAdditionalFeesSet: MoneyBag
	totalPriceSet: MoneyBag! originalTotalPriceSet: MoneyBag! currentTotalPriceSet: MoneyBag!
	totalReceivedSet: MoneyBag! totalRefundedSet: MoneyBag! totalOutstandingSet: MoneyBag!
	totalCapturableSet: MoneyBag! totalTipReceivedSet: MoneyBag!
	totalCashRoundingAdjustment: CashRoundingAdjustment!
	transactions(first: Int, capturable: Boolean, manuallyResolvable: Boolean): [OrderTransaction!]!
	transactionsCount: Count
	fulfillments(first: Int): [Fulfillment!]!
	fulfillmentOrders(first: Int, after: String, last: Int, before: String, reverse: Boolean = false, displayable: Boolean = false, query: String): FulfillmentOrderConnection!
	refunds(first: Int): [Refund!]!
	returns(first: Int, after: String, last: Int, before: String, reverse: Boolean = false, query: String): ReturnConnection!
}
"https://shopify.dev/docs/api/admin-graphql/latest/objects/Return (read_returns)"
enum ReturnStatus { CANCELED CLOSED DECLINED OPEN REQUESTED }
enum OrderReturnStatus { INSPECTION_COMPLETE IN_PROGRESS NO_RETURN RETURNED RETURN_FAILED RETURN_REQUESTED }
enum ReverseFulfillmentOrderStatus { CANCELED CLOSED OPEN }
enum ReverseFulfillmentOrderDispositionType { MISSING NOT_RESTOCKED PROCESSING_REQUIRED RESTOCKED }
interface ReturnLineItemType { id: ID! quantity: Int! }
type ReturnLineItem implements Node & ReturnLineItemType { id: ID! quantity: Int! fulfillmentLineItem: FulfillmentLineItem! }
type ReturnLineItemTypeEdge { node: ReturnLineItemType! cursor: String! }
type ReturnLineItemTypeConnection { nodes: [ReturnLineItemType!]! edges: [ReturnLineItemTypeEdge!]! pageInfo: PageInfo! }
type ReverseFulfillmentOrderDisposition implements Node {
	id: ID! createdAt: DateTime! quantity: Int! type: ReverseFulfillmentOrderDispositionType! location: Location
}
type ReverseFulfillmentOrderLineItem implements Node {
	id: ID! totalQuantity: Int! fulfillmentLineItem: FulfillmentLineItem dispositions: [ReverseFulfillmentOrderDisposition!]!
}
type ReverseFulfillmentOrderLineItemEdge { node: ReverseFulfillmentOrderLineItem! cursor: String! }
type ReverseFulfillmentOrderLineItemConnection {
	nodes: [ReverseFulfillmentOrderLineItem!]! edges: [ReverseFulfillmentOrderLineItemEdge!]! pageInfo: PageInfo!
}
type ReverseFulfillmentOrder implements Node {
	id: ID! status: ReverseFulfillmentOrderStatus!
	lineItems(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): ReverseFulfillmentOrderLineItemConnection!
}
type ReverseFulfillmentOrderEdge { node: ReverseFulfillmentOrder! cursor: String! }
type ReverseFulfillmentOrderConnection { nodes: [ReverseFulfillmentOrder!]! edges: [ReverseFulfillmentOrderEdge!]! pageInfo: PageInfo! }
type Return implements Node {
	id: ID! name: String! status: ReturnStatus! createdAt: DateTime!
	refunds(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): RefundConnection!
	returnLineItems(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): ReturnLineItemTypeConnection!
	reverseFulfillmentOrders(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): ReverseFulfillmentOrderConnection!
}
type ReturnEdge { node: Return! cursor: String! }
type RefundEdge { node: Refund! cursor: String! }
type RefundConnection { nodes: [Refund!]! edges: [RefundEdge!]! pageInfo: PageInfo! }
type ReturnConnection { nodes: [Return!]! edges: [ReturnEdge!]! pageInfo: PageInfo! }
type OrderEdge { node: Order! cursor: String! }
type OrderConnection { nodes: [Order!]! edges: [OrderEdge!]! pageInfo: PageInfo! }

type WebhookSubscription implements Node {
	id: ID! legacyResourceId: UnsignedInt64! topic: WebhookSubscriptionTopic! uri: String!
	format: WebhookSubscriptionFormat! includeFields: [String!]! filter: String createdAt: DateTime!
	updatedAt: DateTime!
}
type WebhookSubscriptionEdge { node: WebhookSubscription! cursor: String! }
type WebhookSubscriptionConnection {
	nodes: [WebhookSubscription!]! edges: [WebhookSubscriptionEdge!]! pageInfo: PageInfo!
}

type QueryRoot {
	node(id: ID!): Node
	nodes(ids: [ID!]!): [Node]!
	shop: Shop!
	currentAppInstallation: AppInstallation!
	order(id: ID!): Order
	orders(first: Int, after: String, last: Int, before: String, query: String, sortKey: OrderSortKeys = ID, reverse: Boolean = false, savedSearchId: ID): OrderConnection!
	ordersCount(query: String, limit: Int = 10000, savedSearchId: ID): Count
	customer(id: ID!): Customer
	customers(first: Int, after: String, last: Int, before: String, query: String, sortKey: CustomerSortKeys = ID, reverse: Boolean = false): CustomerConnection!
	customersCount(query: String, limit: Int = 10000): Count
	product(id: ID!): Product
	productByHandle(handle: String!): Product
	products(first: Int, after: String, last: Int, before: String, query: String, sortKey: ProductSortKeys = ID, reverse: Boolean = false): ProductConnection!
	productsCount(query: String, limit: Int = 10000): Count
	productVariant(id: ID!): ProductVariant
	inventoryItem(id: ID!): InventoryItem
	location(id: ID): Location
	locations(first: Int, after: String, last: Int, before: String, query: String, sortKey: LocationSortKeys = NAME, reverse: Boolean = false, includeInactive: Boolean = false, includeLegacy: Boolean = false): LocationConnection!
	webhookSubscription(id: ID!): WebhookSubscription
	webhookSubscriptions(first: Int, after: String, last: Int, before: String, reverse: Boolean = false, topics: [WebhookSubscriptionTopic!], format: WebhookSubscriptionFormat, uri: String): WebhookSubscriptionConnection!
	shopifyPaymentsAccount: ShopifyPaymentsAccount
	productVariants(first: Int, after: String, last: Int, before: String, query: String, sortKey: ProductVariantSortKeys = ID, reverse: Boolean = false): ProductVariantConnection!
	productVariantsCount(query: String, limit: Int = 10000): Count
	currentBulkOperation(type: BulkOperationType = QUERY): BulkOperation
}

"https://shopify.dev/docs/api/admin-graphql/latest/objects/BulkOperation"
enum BulkOperationStatus { CANCELED CANCELING COMPLETED CREATED EXPIRED FAILED RUNNING }
enum BulkOperationType { MUTATION QUERY }
enum BulkOperationErrorCode { ACCESS_DENIED INTERNAL_SERVER_ERROR TIMEOUT }
enum BulkOperationUserErrorCode { INVALID LIMIT_REACHED OPERATION_IN_PROGRESS }
enum ProductVariantSortKeys { ID INVENTORY_LEVELS_AVAILABLE INVENTORY_MANAGEMENT INVENTORY_POLICY INVENTORY_QUANTITY NAME POPULAR POSITION RELEVANCE SKU TITLE }
type BulkOperation implements Node {
	id: ID! status: BulkOperationStatus! errorCode: BulkOperationErrorCode createdAt: DateTime! completedAt: DateTime
	objectCount: UnsignedInt64! rootObjectCount: UnsignedInt64! fileSize: UnsignedInt64 url: URL partialDataUrl: URL
	query: String! type: BulkOperationType!
}
type BulkOperationUserError { field: [String!] message: String! code: BulkOperationUserErrorCode }
type BulkOperationRunQueryPayload { bulkOperation: BulkOperation userErrors: [BulkOperationUserError!]! }

# Shopify Payments (https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopifyPaymentsAccount)
enum ShopifyPaymentsPayoutStatus { CANCELED FAILED PAID SCHEDULED IN_TRANSIT }
enum ShopifyPaymentsPayoutTransactionType { DEPOSIT WITHDRAWAL }
enum ShopifyPaymentsBalanceTransactionPayoutStatus { ACTION_REQUIRED CANCELED FAILED PAID PENDING SCHEDULED IN_TRANSIT }
enum ShopifyPaymentsSourceType { ADJUSTMENT ADJUSTMENT_REVERSAL CHARGE DISPUTE REFUND SYSTEM_ADJUSTMENT TRANSFER }
"The transaction types the simulator produces or the booking names, of Shopify's much longer list"
enum ShopifyPaymentsTransactionType {
	ADJUSTMENT CHARGE CHARGEBACK_FEE CHARGEBACK_HOLD CHARGEBACK_HOLD_RELEASE DISPUTE_REVERSAL DISPUTE_WITHDRAWAL
	REFUND RESERVED_FUNDS RESERVED_FUNDS_REVERSAL RESERVED_FUNDS_WITHDRAWAL TRANSFER TRANSFER_CANCEL TRANSFER_FAILURE
	TRANSFER_REFUND
}
enum PayoutSortKeys { AMOUNT ID ISSUED_AT STATUS }
enum BalanceTransactionSortKeys { AMOUNT FEE ID NET PROCESSED_AT PAYOUT_DATE }
type ShopifyPaymentsPayoutSummary {
	adjustmentsFee: MoneyV2! adjustmentsGross: MoneyV2! chargesFee: MoneyV2! chargesGross: MoneyV2!
	refundsFee: MoneyV2! refundsFeeGross: MoneyV2! reservedFundsFee: MoneyV2! reservedFundsGross: MoneyV2!
	retriedPayoutsFee: MoneyV2! retriedPayoutsGross: MoneyV2!
}
type ShopifyPaymentsPayout implements Node {
	id: ID! legacyResourceId: UnsignedInt64! issuedAt: DateTime! net: MoneyV2! status: ShopifyPaymentsPayoutStatus!
	summary: ShopifyPaymentsPayoutSummary! transactionType: ShopifyPaymentsPayoutTransactionType! externalTraceId: String
}
type ShopifyPaymentsPayoutEdge { node: ShopifyPaymentsPayout! cursor: String! }
type ShopifyPaymentsPayoutConnection { nodes: [ShopifyPaymentsPayout!]! edges: [ShopifyPaymentsPayoutEdge!]! pageInfo: PageInfo! }
type ShopifyPaymentsBalanceTransactionAssociatedPayout { id: ID status: ShopifyPaymentsBalanceTransactionPayoutStatus }
type ShopifyPaymentsAssociatedOrder { id: ID! name: String! }
type ShopifyPaymentsBalanceTransaction implements Node {
	id: ID! type: ShopifyPaymentsTransactionType! test: Boolean! amount: MoneyV2! fee: MoneyV2! net: MoneyV2!
	sourceId: UnsignedInt64 sourceType: ShopifyPaymentsSourceType sourceOrderTransactionId: UnsignedInt64
	associatedOrder: ShopifyPaymentsAssociatedOrder associatedPayout: ShopifyPaymentsBalanceTransactionAssociatedPayout
	adjustmentReason: String transactionDate: DateTime!
}
type ShopifyPaymentsBalanceTransactionEdge { node: ShopifyPaymentsBalanceTransaction! cursor: String! }
type ShopifyPaymentsBalanceTransactionConnection {
	nodes: [ShopifyPaymentsBalanceTransaction!]! edges: [ShopifyPaymentsBalanceTransactionEdge!]! pageInfo: PageInfo!
}
type ShopifyPaymentsAccount implements Node {
	id: ID! activated: Boolean! balance: [MoneyV2!]!
	payouts(first: Int, after: String, last: Int, before: String, query: String, sortKey: PayoutSortKeys = ID, reverse: Boolean = false, transactionType: ShopifyPaymentsPayoutTransactionType): ShopifyPaymentsPayoutConnection!
	balanceTransactions(first: Int, after: String, last: Int, before: String, query: String, sortKey: BalanceTransactionSortKeys = ID, reverse: Boolean = false, hideTransfers: Boolean = false): ShopifyPaymentsBalanceTransactionConnection!
}

input WeightInput { value: Float! unit: WeightUnit! }
input InventoryItemMeasurementInput { weight: WeightInput }
input InventoryItemInput {
	sku: String tracked: Boolean requiresShipping: Boolean cost: Decimal harmonizedSystemCode: String
	measurement: InventoryItemMeasurementInput
}
input VariantOptionValueInput { id: ID name: String optionId: ID optionName: String }
input ProductSetInventoryInput { locationId: ID! name: String! quantity: Int! }
input ProductVariantSetInput {
	id: ID optionValues: [VariantOptionValueInput!]! price: Money compareAtPrice: Money barcode: String
	position: Int taxable: Boolean inventoryItem: InventoryItemInput inventoryQuantities: [ProductSetInventoryInput!]
}
input OptionValueSetInput { id: ID name: String }
input OptionSetInput { id: ID name: String position: Int values: [OptionValueSetInput!] }
input ProductSetInput {
	id: ID title: String handle: String descriptionHtml: String productType: String vendor: String
	status: ProductStatus tags: [String!] productOptions: [OptionSetInput!] variants: [ProductVariantSetInput!]
}
input ProductSetIdentifiers { id: ID handle: String }
type ProductSetUserError { field: [String!] message: String! code: ProductSetUserErrorCode }
type ProductSetOperation implements Node {
	id: ID! status: ProductOperationStatus! product: Product userErrors: [ProductSetUserError!]!
}
type ProductSetPayload {
	product: Product productSetOperation: ProductSetOperation userErrors: [ProductSetUserError!]!
}

input InventoryQuantityInput { inventoryItemId: ID! locationId: ID! quantity: Int! changeFromQuantity: Int }
input InventorySetQuantitiesInput {
	name: String! reason: String! referenceDocumentUri: String quantities: [InventoryQuantityInput!]!
}
type InventoryChange {
	name: String! delta: Int! quantityAfterChange: Int item: InventoryItem location: Location
	ledgerDocumentUri: String
}
type InventoryAdjustmentGroup implements Node {
	id: ID! createdAt: DateTime! reason: String! referenceDocumentUri: String changes: [InventoryChange!]!
}
type InventorySetQuantitiesUserError { field: [String!] message: String! code: InventorySetQuantitiesUserErrorCode }
type InventorySetQuantitiesPayload {
	inventoryAdjustmentGroup: InventoryAdjustmentGroup userErrors: [InventorySetQuantitiesUserError!]!
}

input WebhookSubscriptionInput {
	uri: String format: WebhookSubscriptionFormat includeFields: [String!] metafieldNamespaces: [String!]
	filter: String
}
type WebhookSubscriptionCreatePayload { webhookSubscription: WebhookSubscription userErrors: [UserError!]! }
type WebhookSubscriptionUpdatePayload { webhookSubscription: WebhookSubscription userErrors: [UserError!]! }
type WebhookSubscriptionDeletePayload { deletedWebhookSubscriptionId: ID userErrors: [UserError!]! }

type Mutation {
	productSet(input: ProductSetInput!, identifier: ProductSetIdentifiers, synchronous: Boolean = true): ProductSetPayload
	inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
	webhookSubscriptionCreate(topic: WebhookSubscriptionTopic!, webhookSubscription: WebhookSubscriptionInput!): WebhookSubscriptionCreatePayload
	webhookSubscriptionUpdate(id: ID!, webhookSubscription: WebhookSubscriptionInput!): WebhookSubscriptionUpdatePayload
	webhookSubscriptionDelete(id: ID!): WebhookSubscriptionDeletePayload
	fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): FulfillmentCreatePayload
	fulfillmentTrackingInfoUpdate(fulfillmentId: ID!, trackingInfoInput: FulfillmentTrackingInput!, notifyCustomer: Boolean): FulfillmentTrackingInfoUpdatePayload
	fulfillmentCancel(id: ID!): FulfillmentCancelPayload
	bulkOperationRunQuery(query: String!, groupObjects: Boolean! = true): BulkOperationRunQueryPayload
}
"""


def build_shopify_schema() -> GraphQLSchema:
	"""A fresh schema without resolvers (the simulator wires its own)."""
	return build_schema(SDL)


#: For validating documents (e.g. in tests) without a server.
SCHEMA = build_shopify_schema()


# --- cost ------------------------------------------------------------------------------------------


class CostError(Exception):
	"""A document the API refuses before execution (page size, missing first/last)."""

	def __init__(self, message: str, code: str = "BAD_REQUEST", path: list[str] | None = None):
		super().__init__(message)
		self.message = message
		self.code = code
		self.path = path or []


def _is_connection(named_type: Any) -> bool:
	return getattr(named_type, "name", "").endswith("Connection") and "nodes" in getattr(
		named_type, "fields", {}
	)


def _unwrap(field_type: Any) -> tuple[Any, bool]:
	"""(named type, is a list) for a field's output type."""
	t = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
	return get_named_type(t), isinstance(t, GraphQLList)


class CostCalculator:
	"""Requested and actual cost of one operation, per Shopify's rules (see the module docstring)."""

	def __init__(
		self,
		schema: GraphQLSchema,
		operation: OperationDefinitionNode,
		fragments: Mapping[str, FragmentDefinitionNode],
		variables: Mapping[str, Any] | None,
		max_page_size: int = MAX_PAGE_SIZE,
	):
		self.schema = schema
		self.operation = operation
		self.fragments = fragments
		self.variables = dict(variables or {})
		self.max_page_size = max_page_size
		self.is_mutation = operation.operation == OperationType.MUTATION
		self.root = schema.mutation_type if self.is_mutation else schema.query_type

	# requested ---------------------------------------------------------------------------------------

	def requested(self) -> int:
		if self.is_mutation:
			return MUTATION_COST * len(self._root_fields())
		return self._selection_cost(self.operation.selection_set, self.root, [])

	def _root_fields(self) -> list[FieldNode]:
		fields: list[FieldNode] = []

		def collect(selection_set: SelectionSetNode):
			for sel in selection_set.selections:
				if isinstance(sel, FieldNode):
					if not sel.name.value.startswith("__"):
						fields.append(sel)
				elif isinstance(sel, InlineFragmentNode):
					collect(sel.selection_set)
				elif isinstance(sel, FragmentSpreadNode) and sel.name.value in self.fragments:
					collect(self.fragments[sel.name.value].selection_set)

		collect(self.operation.selection_set)
		return fields

	def _fragment_parts(self, selection_set: SelectionSetNode, parent: Any):
		"""(fields, [(type, selection_set) of fragments])."""
		fields, fragments = [], []
		for sel in selection_set.selections:
			if isinstance(sel, FieldNode):
				fields.append(sel)
			elif isinstance(sel, InlineFragmentNode):
				cond = self.schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
				fragments.append((cond, sel.selection_set))
			elif isinstance(sel, FragmentSpreadNode):
				frag = self.fragments.get(sel.name.value)
				if frag is not None:
					fragments.append(
						(self.schema.get_type(frag.type_condition.name.value), frag.selection_set)
					)
		return fields, fragments

	def _selection_cost(self, selection_set: SelectionSetNode | None, parent: Any, path: list[str]) -> int:
		if selection_set is None:
			return 0
		fields, fragments = self._fragment_parts(selection_set, parent)
		total = sum(self._field_cost(node, parent, path) for node in fields)
		frag_costs = [self._selection_cost(sel, cond or parent, path) for cond, sel in fragments]
		if frag_costs:
			total += max(frag_costs) if is_abstract_type(parent) else sum(frag_costs)
		return total

	def _args(self, field_def: Any, node: FieldNode) -> dict[str, Any]:
		try:
			return get_argument_values(field_def, node, self.variables)
		except Exception:
			return {}

	def _page_size(self, args: Mapping[str, Any], name: str, path: list[str], connection: bool) -> int | None:
		first, last = args.get("first"), args.get("last")
		for arg, value in (("first", first), ("last", last)):
			if value is not None and (value < 0 or value > self.max_page_size):
				raise CostError(
					f"The {arg} argument on {name} must be between 0 and {self.max_page_size}; {value} was given.",
					"BAD_REQUEST",
					path,
				)
		if connection and first is None and last is None:
			raise CostError("you must provide one of first or last", "BAD_REQUEST", path)
		if first is not None:
			return first
		return last

	def _field_cost(self, node: FieldNode, parent: Any, path: list[str]) -> int:
		name = node.name.value
		if name.startswith("__"):
			return 0
		field_def = getattr(parent, "fields", {}).get(name)
		if field_def is None:
			return 0
		named, is_list = _unwrap(field_def.type)
		if is_leaf_type(named):
			return 0
		here = [*path, (node.alias.value if node.alias else name)]
		args = self._args(field_def, node)
		if _is_connection(named):
			size = self._page_size(args, name, here, True) or 0
			return 2 + size * (1 + self._connection_node_cost(node, named, here))
		child = self._selection_cost(node.selection_set, named, here)
		if is_list:
			if "ids" in args and isinstance(args["ids"], list):
				multiplier = len(args["ids"])
			else:
				size = self._page_size(args, name, here, False)
				multiplier = 1 if size is None else size
			return multiplier * (1 + child)
		return 1 + child

	def _connection_parts(self, node: FieldNode, connection_type: Any):
		"""[(node type, selection set on one node)] for ``nodes { ... }`` and ``edges { node { ... } }``."""
		node_type = get_named_type(connection_type.fields["nodes"].type)
		parts = []
		fields, fragments = (
			self._fragment_parts(node.selection_set, connection_type) if node.selection_set else ([], [])
		)
		for _cond, sel in fragments:
			more, _ = self._fragment_parts(sel, connection_type)
			fields.extend(more)
		for field in fields:
			if field.name.value == "nodes":
				parts.append(("nodes", None, field.selection_set))
			elif field.name.value == "edges" and field.selection_set:
				for sub in field.selection_set.selections:
					if isinstance(sub, FieldNode) and sub.name.value == "node":
						parts.append(("edges", sub, sub.selection_set))
		return node_type, parts

	def _connection_node_cost(self, node: FieldNode, connection_type: Any, path: list[str]) -> int:
		node_type, parts = self._connection_parts(node, connection_type)
		costs = [self._selection_cost(sel, node_type, path) for _kind, _n, sel in parts]
		return max(costs, default=0)

	# actual ----------------------------------------------------------------------------------------

	def actual(self, data: Any) -> int:
		if self.is_mutation:
			return MUTATION_COST * len(self._root_fields())
		if not isinstance(data, dict):
			return 0
		return self._actual_selection(self.operation.selection_set, self.root, data)

	def _actual_selection(self, selection_set: SelectionSetNode | None, parent: Any, data: Any) -> int:
		if selection_set is None or not isinstance(data, dict):
			return 0
		fields, fragments = self._fragment_parts(selection_set, parent)
		total = sum(self._actual_field(node, parent, data) for node in fields)
		frag_costs = [self._actual_selection(sel, cond or parent, data) for cond, sel in fragments]
		if frag_costs:
			total += max(frag_costs) if is_abstract_type(parent) else sum(frag_costs)
		return total

	def _actual_field(self, node: FieldNode, parent: Any, data: dict) -> int:
		name = node.name.value
		if name.startswith("__"):
			return 0
		field_def = getattr(parent, "fields", {}).get(name)
		if field_def is None:
			return 0
		named, is_list = _unwrap(field_def.type)
		if is_leaf_type(named):
			return 0
		value = data.get(node.alias.value if node.alias else name)
		if value is None:
			return 0
		if _is_connection(named):
			node_type, parts = self._connection_parts(node, named)
			best = 0
			for kind, sub, sel in parts:
				key = None
				if kind == "nodes":
					field = next(
						f
						for f in node.selection_set.selections
						if isinstance(f, FieldNode) and f.name.value == "nodes" and f.selection_set is sel
					)
					key = field.alias.value if field.alias else "nodes"
					items = value.get(key) or []
				else:
					edges_field = next(
						f
						for f in node.selection_set.selections
						if isinstance(f, FieldNode)
						and f.name.value == "edges"
						and sub in f.selection_set.selections
					)
					edges = value.get(edges_field.alias.value if edges_field.alias else "edges") or []
					sub_key = sub.alias.value if sub.alias else "node"
					items = [e.get(sub_key) for e in edges if isinstance(e, dict)]
				best = max(
					best, sum(1 + self._actual_selection(sel, node_type, item) for item in items if item)
				)
			return 2 + best
		if is_list:
			return sum(
				1 + self._actual_selection(node.selection_set, named, item)
				for item in value
				if item is not None
			)
		return 1 + self._actual_selection(node.selection_set, named, value)
