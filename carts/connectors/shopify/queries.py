"""The GraphQL Admin API documents the Shopify connector sends, its ids, pages and versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The newest stable version when this was written; the merchant can pin another in the
# settings. Versions are quarterly and each is supported for at least twelve months.
DEFAULT_API_VERSION = "2026-10"

# From 2026-04 inventorySetQuantities requires an @idempotent key and a changeFromQuantity
# on each quantity; before it, those are unknown to the schema and the request is refused.
IDEMPOTENT_INVENTORY_FROM = "2026-04"

# Shopify refuses any single query whose requested cost is above this.
MAX_QUERY_COST = 1000


def uses_idempotent_inventory(api_version: str) -> bool:
    """Whether this API version wants the 2026-04 form of inventorySetQuantities."""
    # "unstable" is ahead of every dated version; dated ones compare as text (YYYY-MM).
    return api_version == "unstable" or api_version >= IDEMPOTENT_INVENTORY_FROM


def gid(kind: str, value: str | int) -> str:
    """Shopify's global id for a numeric id; a value that already is one is kept."""
    text = str(value).strip()
    if text.startswith("gid://"):
        return text
    return f"gid://shopify/{kind}/{text}"


def legacy_id(global_id: str) -> str:
    """The numeric id at the end of a global id (gid://shopify/LineItem/123 -> "123")."""
    return str(global_id).rsplit("/", 1)[-1].split("?", 1)[0]


@dataclass
class Page:
    """One page of a GraphQL connection: its nodes and where the next page starts."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    has_next_page: bool = False
    end_cursor: str | None = None
    requested_cost: float | None = None


def page(connection: Any, *, requested_cost: float | None = None) -> Page:
    """A connection ({nodes, pageInfo}) as a Page; a missing one is an empty last page."""
    connection = connection or {}
    page_info = connection.get("pageInfo") or {}
    return Page(
        nodes=list(connection.get("nodes") or []),
        has_next_page=bool(page_info.get("hasNextPage")),
        end_cursor=page_info.get("endCursor"),
        requested_cost=requested_cost,
    )


MONEY = "shopMoney { amount }"

ADDRESS_FRAGMENT = """
fragment HubAddress on MailingAddress {
  firstName
  lastName
  company
  address1
  address2
  city
  province
  provinceCode
  zip
  countryCodeV2
  phone
}
"""

LINE_ITEM_FRAGMENT = f"""
fragment HubLineItem on LineItem {{
  id
  sku
  name
  title
  variantTitle
  quantity
  currentQuantity
  requiresShipping
  originalUnitPriceSet {{ {MONEY} }}
  discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
  taxLines {{ priceSet {{ {MONEY} }} }}
}}
"""

ORDER_FRAGMENT = f"""
fragment HubOrder on Order {{
  id
  legacyResourceId
  name
  createdAt
  updatedAt
  cancelledAt
  cancelReason
  displayFinancialStatus
  displayFulfillmentStatus
  currencyCode
  taxesIncluded
  email
  phone
  note
  shippingAddress {{ ...HubAddress }}
  billingAddress {{ ...HubAddress }}
  shippingLines(first: 2) {{
    nodes {{
      title
      code
      source
      currentDiscountedPriceSet {{ {MONEY} }}
      taxLines {{ priceSet {{ {MONEY} }} }}
    }}
  }}
  lineItems(first: $lineItems) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ ...HubLineItem }}
  }}
}}
"""

# Sorted by updatedAt so the cursor (the newest updatedAt seen) only moves forward, and an
# order changed while we page moves behind the pages still to come instead of being skipped.
ORDERS_QUERY = (
    """
query HubOrders($first: Int!, $after: String, $query: String!, $lineItems: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { ...HubOrder }
  }
}
"""
    + ORDER_FRAGMENT
    + ADDRESS_FRAGMENT
    + LINE_ITEM_FRAGMENT
)

# The lines of an order with more of them than fit in the orders page.
ORDER_LINE_ITEMS_QUERY = (
    """
query HubOrderLineItems($id: ID!, $after: String) {
  order(id: $id) {
    lineItems(first: 50, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...HubLineItem }
    }
  }
}
"""
    + LINE_ITEM_FRAGMENT
)

CONNECTION_TEST_QUERY = """
query HubConnectionTest {
  shop { name myshopifyDomain currencyCode }
  currentAppInstallation { accessScopes { handle } }
}
"""

LOCATION_QUERY = """
query HubLocation($id: ID) {
  location(id: $id) { id legacyResourceId name isActive }
}
"""

FULFILLMENT_ORDER_LINE_FIELDS = """
            id
            remainingQuantity
            lineItem { id sku }
"""

# Five fulfillment orders of fifty lines each keep the query under the cost limit; an order
# with more is read on with the cursors.
FULFILLMENT_ORDERS_QUERY = (
    """
query HubFulfillmentOrders($id: ID!, $after: String) {
  order(id: $id) {
    id
    name
    cancelledAt
    fulfillmentOrders(first: 5, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        status
        assignedLocation { location { id } }
        lineItems(first: 50) {
          pageInfo { hasNextPage endCursor }
          nodes {"""
    + FULFILLMENT_ORDER_LINE_FIELDS
    + """          }
        }
      }
    }
  }
}
"""
)

FULFILLMENT_ORDER_LINES_QUERY = (
    """
query HubFulfillmentOrderLines($id: ID!, $after: String) {
  fulfillmentOrder(id: $id) {
    lineItems(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {"""
    + FULFILLMENT_ORDER_LINE_FIELDS
    + """      }
    }
  }
}
"""
)

ORDER_FULFILLMENTS_QUERY = """
query HubOrderFulfillments($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 50) {
      id
      legacyResourceId
      status
      trackingInfo(first: 5) { number }
    }
  }
}
"""

FULFILLMENT_CREATE_MUTATION = """
mutation HubFulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment {
      id
      legacyResourceId
      status
      trackingInfo(first: 10) { company number url }
    }
    userErrors { field message }
  }
}
"""

VARIANTS_BY_SKU_QUERY = """
query HubVariantsBySku($query: String!, $after: String) {
  productVariants(first: 100, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {
      sku
      inventoryItem { id tracked }
    }
  }
}
"""

_INVENTORY_RESULT = """
    inventoryAdjustmentGroup { createdAt reason changes { name delta } }
    userErrors { code field message }
"""

# Up to 2026-01: no compare-and-swap, said explicitly (the API refuses a quantity without
# compareQuantity unless ignoreCompareQuantity is true).
INVENTORY_SET_MUTATION = (
    """
mutation HubInventorySet($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {"""
    + _INVENTORY_RESULT
    + """  }
}
"""
)

# From 2026-04: the idempotency key is required, and changeFromQuantity: null on each
# quantity opts out of the compare-and-swap (the WMS count is the truth we set).
INVENTORY_SET_IDEMPOTENT_MUTATION = (
    """
mutation HubInventorySet($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {"""
    + _INVENTORY_RESULT
    + """  }
}
"""
)
