"""ShopifyClient: GraphQL Admin API calls, the query-cost throttle and the error family."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from carts.connectors.shopify import queries
from carts.connectors.shopify.queries import Page, gid, legacy_id
from integration_manager.connector_errors import (
    AuthError,
    ConnectorError,
    RateLimited,
    RecordError,
    TransientError,
)
from integration_manager.http import (
    MAX_INLINE_WAIT,
    HubSession,
    check_response,
    error_detail,
    remote_text,
)

logger = logging.getLogger(__name__)

LABEL = "Shopify"
TOKEN_HINT = (
    "Copy the Admin API access token of the hub's custom app in Shopify (Settings > Apps > "
    "Develop apps > the app > API credentials), paste it in the cart's settings and save."
)
SCOPES_HINT = (
    "In Shopify, open Settings > Apps > Develop apps > the hub's app > Configuration, tick the "
    "missing scope under Admin API integration, save, install the new version of the app, and "
    "paste the access token it shows in the cart's settings."
)
# A throttled call was not run, so sending it again is safe; a few tries, then the schedule.
THROTTLE_RETRIES = 3


class ThrottledError(RateLimited):
    """Shopify's cost bucket is empty; retry_after is how long it takes to refill enough."""


class QueryCostExceeded(ConnectorError):
    """The query asks for more than Shopify allows in one call; ask for fewer records."""

    def __init__(self, message: str, *, cost: float, max_cost: float) -> None:
        super().__init__(message)
        self.cost = cost
        self.max_cost = max_cost


class QuantityRefused(RecordError):
    """Shopify refused one quantity of a stock call (index: its place in the call), or the
    whole call for one reason (index None). unknown_item: the inventory item is gone."""

    def __init__(
        self, message: str, *, record_ref: str, index: int | None, unknown_item: bool = False
    ) -> None:
        super().__init__(message, record_ref=record_ref)
        self.index = index
        self.unknown_item = unknown_item


@dataclass
class ThrottleStatus:
    """The cost bucket as Shopify last reported it, and when (time.monotonic())."""

    maximum: float
    available: float
    restore_rate: float
    seen_at: float

    def available_now(self) -> float:
        refilled = (time.monotonic() - self.seen_at) * self.restore_rate
        return min(self.maximum, self.available + refilled)

    def wait_for(self, cost: float) -> float:
        """Seconds until `cost` points are available; 0 when they are."""
        missing = cost - self.available_now()
        if missing <= 0 or self.restore_rate <= 0:
            return 0.0
        return missing / self.restore_rate


@dataclass
class GraphQLResult:
    """The data of one call and its cost, as Shopify reported them."""

    data: dict[str, Any]
    requested_cost: float | None


@dataclass(frozen=True)
class Shop:
    """The shop the token opens, and the access scopes granted (a write scope counts as its
    read scope too, as Shopify treats it)."""

    name: str
    domain: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class Location:
    """A Shopify location: its global id (what stock is set at) and its name."""

    id: str
    name: str


class ShopifyClient:
    """Sends GraphQL documents to one shop's Admin API and speaks the connector error family.

    HTTP status errors, unreadable answers, THROTTLED, ACCESS_DENIED, schema errors and the
    userErrors of a mutation become AuthError / RateLimited / TransientError / RecordError /
    ConnectorError; each operation returns the parsed data of its answer.
    """

    def __init__(
        self,
        *,
        session: HubSession,
        base_url: str,
        api_version: str,
        access_token: str,
    ) -> None:
        if not access_token:
            raise AuthError(f"The cart has no Shopify access token. {TOKEN_HINT}")
        if not base_url:
            raise ConnectorError(
                "The cart has no store address. Type https://your-store.myshopify.com in the "
                "cart's settings and save."
            )
        self.session = session
        self.url = f"{base_url}/admin/api/{api_version}/graphql.json"
        self.base_url = base_url
        self.api_version = api_version
        self.access_token = access_token
        self.throttle: ThrottleStatus | None = None
        # The last requested cost of each operation: what to wait for before sending it again.
        self.costs: dict[str, float] = {}

    # operations ----------------------------------------------------------------------------

    def shop_read(self, *, required_scopes: Sequence[Sequence[str]]) -> Shop:
        """The shop and its granted scopes; AuthError naming each required scope that is
        missing (each entry of required_scopes is a set of alternatives)."""
        data = self.execute(queries.CONNECTION_TEST_QUERY, operation="HubConnectionTest").data
        shop = data.get("shop") or {}
        handles = {
            scope.get("handle", "")
            for scope in (data.get("currentAppInstallation") or {}).get("accessScopes") or []
        }
        granted = frozenset(handles | {"read_" + scope.removeprefix("write_") for scope in handles})
        missing = [
            " or ".join(choices)
            for choices in required_scopes
            if not any(choice in granted for choice in choices)
        ]
        if missing:
            raise AuthError(
                "The hub's Shopify app lacks these access scopes: "
                f"{', '.join(missing)}. {SCOPES_HINT}"
            )
        return Shop(
            name=remote_text(shop.get("name", "")),
            domain=remote_text(shop.get("myshopifyDomain", "")),
            scopes=granted,
        )

    def location_read(self, location_id: str) -> Location:
        """The location with this numeric id, or the shop's primary location for ""."""
        variables = {"id": gid("Location", location_id) if location_id else None}
        data = self.execute(queries.LOCATION_QUERY, variables, operation="HubLocation").data
        location = data.get("location")
        if not location:
            raise ConnectorError(
                f"Shopify has no location with the ID {location_id}. Copy the number from "
                "Settings > Locations in Shopify into the cart's settings, or leave it "
                "blank for the primary location."
                if location_id
                else "Shopify did not say which location is the shop's primary one. "
                "Type a location ID in the cart's settings."
            )
        return Location(id=location["id"], name=remote_text(location.get("name", "")))

    def orders_list(self, *, first: int, after: str | None, search: str, line_items: int) -> Page:
        """One page of orders (sorted by updatedAt), with the cost Shopify reported for it."""
        variables = {"first": first, "after": after, "query": search, "lineItems": line_items}
        result = self.execute(queries.ORDERS_QUERY, variables, operation="HubOrders")
        return queries.page(result.data.get("orders"), requested_cost=result.requested_cost)

    def order_line_items(self, order_id: str, *, after: str | None) -> list[dict[str, Any]]:
        """The lines of an order from the cursor `after` on (the orders page holds the first
        few)."""
        return self._all_nodes(
            queries.ORDER_LINE_ITEMS_QUERY,
            {"id": order_id},
            operation="HubOrderLineItems",
            path=("order", "lineItems"),
            after=after,
        )

    def fulfillment_orders(self, order_id: str, *, reference: str) -> dict[str, Any]:
        """The order with all its fulfillment orders and all their lines; RecordError when
        Shopify no longer has the order."""
        fulfillment_orders: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            node = self.execute(
                queries.FULFILLMENT_ORDERS_QUERY,
                {"id": gid("Order", order_id), "after": after},
                operation="HubFulfillmentOrders",
            ).data.get("order")
            if not node:
                raise RecordError(
                    f"Shopify has no order {reference} (id {order_id}) any more. "
                    "Check whether it was deleted in Shopify.",
                    record_ref=order_id,
                )
            listed = queries.page(node.get("fulfillmentOrders"))
            fulfillment_orders.extend(listed.nodes)
            if not listed.has_next_page:
                break
            after = listed.end_cursor
        for fulfillment_order in fulfillment_orders:
            self._read_all_lines(fulfillment_order)
        return {**node, "fulfillmentOrders": {"nodes": fulfillment_orders}}

    def order_fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        """The fulfillments of an order (the first fifty), with their tracking numbers."""
        data = self.execute(
            queries.ORDER_FULFILLMENTS_QUERY,
            {"id": gid("Order", order_id)},
            operation="HubOrderFulfillments",
        ).data
        return list((data.get("order") or {}).get("fulfillments") or [])

    def fulfillment_create(
        self,
        fulfillment: dict[str, Any],
        *,
        record_ref: str,
        reference: str,
        created: Sequence[str] = (),
    ) -> str:
        """Create one fulfillment and return its numeric id. userErrors are a RecordError
        that names the fulfillments this shipment created before (`created`)."""
        result = (
            self.execute(
                queries.FULFILLMENT_CREATE_MUTATION,
                {"fulfillment": fulfillment},
                operation="HubFulfillmentCreate",
            ).data.get("fulfillmentCreate")
            or {}
        )
        errors = result.get("userErrors") or []
        if errors:
            done = f" (it created fulfillment {', '.join(created)} for the rest)" if created else ""
            raise RecordError(
                f"Shopify refused the shipment of order {reference}{done}: "
                f"{_user_errors(errors)}. Check the order's fulfillment in Shopify.",
                record_ref=record_ref,
            )
        node = result.get("fulfillment") or {}
        if not node.get("id"):
            # Neither a fulfillment nor a reason: treat the outcome as unknown, so the hub
            # asks find_shipment before sending again.
            raise TransientError(
                f"Shopify did not confirm the shipment of order {reference}. "
                "The hub will check and try again."
            )
        return str(node.get("legacyResourceId") or legacy_id(node["id"]))

    def variants_by_sku(self, search: str) -> list[dict[str, Any]]:
        """Every product variant a SKU search finds (the search matches loosely)."""
        return self._all_nodes(
            queries.VARIANTS_BY_SKU_QUERY,
            {"query": search},
            operation="HubVariantsBySku",
            path=("productVariants",),
        )

    def inventory_set_quantities(
        self, input_: dict[str, Any], *, skus: Sequence[str]
    ) -> list[QuantityRefused]:
        """Set the quantities of input_ (skus: the SKU of each, in order); what Shopify
        refused, [] when it set them all. Shopify applies a call in full or not at all."""
        if queries.uses_idempotent_inventory(self.api_version):
            document = queries.INVENTORY_SET_IDEMPOTENT_MUTATION
            # Each try has its own key: a retry after a refusal sends other quantities.
            variables: dict[str, Any] = {"input": input_, "idempotencyKey": str(uuid.uuid4())}
        else:
            document = queries.INVENTORY_SET_MUTATION
            variables = {"input": input_}
        data = self.execute(document, variables, operation="HubInventorySet").data
        errors = (data.get("inventorySetQuantities") or {}).get("userErrors") or []
        return _quantity_refusals(errors, skus)

    # paging --------------------------------------------------------------------------------

    def _all_nodes(
        self,
        document: str,
        variables: dict[str, Any],
        *,
        operation: str,
        path: tuple[str, ...],
        after: str | None = None,
    ) -> list[dict[str, Any]]:
        """The nodes of the connection at `path` in the answer, read page by page."""
        nodes: list[dict[str, Any]] = []
        while True:
            connection: Any = self.execute(
                document, {**variables, "after": after}, operation=operation
            ).data
            for name in path:
                connection = (connection or {}).get(name)
            listed = queries.page(connection)
            nodes.extend(listed.nodes)
            if not listed.has_next_page:
                return nodes
            after = listed.end_cursor

    def _read_all_lines(self, fulfillment_order: dict[str, Any]) -> None:
        """Add the lines past the first page to a fulfillment order, in place."""
        lines = fulfillment_order.get("lineItems") or {}
        listed = queries.page(lines)
        if listed.has_next_page:
            more = self._all_nodes(
                queries.FULFILLMENT_ORDER_LINES_QUERY,
                {"id": fulfillment_order["id"]},
                operation="HubFulfillmentOrderLines",
                path=("fulfillmentOrder", "lineItems"),
                after=listed.end_cursor,
            )
            lines.setdefault("nodes", []).extend(more)

    # GraphQL -------------------------------------------------------------------------------

    def execute(
        self, document: str, variables: dict[str, Any] | None = None, *, operation: str
    ) -> GraphQLResult:
        """Run one query or mutation and return its data; wait out a short throttle."""
        attempt = 0
        while True:
            self._wait_for_bucket(operation)
            try:
                return self._post(document, variables or {}, operation=operation)
            except ThrottledError as throttled:
                attempt += 1
                if throttled.retry_after > MAX_INLINE_WAIT or attempt > THROTTLE_RETRIES:
                    raise
                logger.info(
                    "Shopify throttled %s; waiting %.2f s", operation, throttled.retry_after
                )
                time.sleep(throttled.retry_after)

    def _wait_for_bucket(self, operation: str) -> None:
        # Waiting a moment here is cheaper than a THROTTLED round trip; a long wait is left to
        # Shopify to announce, so the schedule (not this worker) does the waiting.
        cost = self.costs.get(operation)
        if self.throttle is None or cost is None:
            return
        wait = self.throttle.wait_for(cost)
        if 0 < wait <= MAX_INLINE_WAIT:
            time.sleep(wait)

    def _post(self, document: str, variables: dict[str, Any], *, operation: str) -> GraphQLResult:
        response = self.session.post(
            self.url,
            json={"query": document, "variables": variables, "operationName": operation},
            headers={
                "X-Shopify-Access-Token": self.access_token,
                "Accept": "application/json",
            },
        )
        self._check_status(response)
        try:
            payload = response.json()
        except ValueError:
            raise TransientError(
                "Shopify sent an answer the hub could not read (not JSON). The hub will try again."
            ) from None
        if not isinstance(payload, dict):
            raise TransientError(
                "Shopify sent an answer the hub could not read. The hub will try again."
            )
        requested_cost = self._note_cost(payload, operation=operation)
        errors = payload.get("errors")
        if errors:
            self._raise_for_errors(errors, requested_cost=requested_cost)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise TransientError("Shopify sent an answer without data. The hub will try again.")
        return GraphQLResult(data=data, requested_cost=requested_cost)

    def _check_status(self, response: requests.Response) -> None:
        status = response.status_code
        if status == 200:
            return
        check_response(response, label=LABEL, auth_hint=TOKEN_HINT)
        if status == 404:
            raise AuthError(
                f"Shopify found no shop at {self.base_url} (or no API version "
                f"{self.api_version} there). Check the store address (https://your-store."
                "myshopify.com) and the API version in the cart's settings."
            )
        if status == 402:
            raise AuthError(
                "Shopify says this shop is frozen for an unpaid bill (HTTP 402). "
                "The shop owner must settle it in Shopify; then run the job again."
            )
        if status == 423:
            raise AuthError(
                "Shopify says this shop is locked (HTTP 423). The shop owner must contact "
                "Shopify support; then run the job again."
            )
        raise ConnectorError(
            f"Shopify refused the hub's request (HTTP {status}): {error_detail(response)}"
        )

    def _note_cost(self, payload: dict[str, Any], *, operation: str) -> float | None:
        cost = (payload.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        try:
            if status:
                self.throttle = ThrottleStatus(
                    maximum=float(status["maximumAvailable"]),
                    available=float(status["currentlyAvailable"]),
                    restore_rate=float(status["restoreRate"]),
                    seen_at=time.monotonic(),
                )
            requested = cost.get("requestedQueryCost")
            if requested is not None:
                self.costs[operation] = float(requested)
                return float(requested)
        except (KeyError, TypeError, ValueError):
            # A cost block we cannot read only costs us the pre-emptive wait.
            logger.warning("Shopify sent a cost block the hub could not read for %s", operation)
        return None

    def _raise_for_errors(self, errors: Any, *, requested_cost: float | None) -> None:
        if not isinstance(errors, list):
            # The REST-style {"errors": "..."} shape comes with an HTTP error status, which
            # _check_status handled; with 200 it is unexpected.
            raise ConnectorError(f"Shopify refused the hub's request: {remote_text(errors)}")
        codes = [
            ((error.get("extensions") or {}).get("code") or "") if isinstance(error, dict) else ""
            for error in errors
        ]
        first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
        message = remote_text(first.get("message") or "")
        if "THROTTLED" in codes:
            wait = self._throttle_wait(requested_cost)
            raise ThrottledError(
                "Shopify's query budget for this shop is used up; the hub will try again in "
                f"{wait:.0f} seconds.",
                retry_after=wait,
            )
        if "ACCESS_DENIED" in codes:
            denied = errors[codes.index("ACCESS_DENIED")]
            required = (denied.get("extensions") or {}).get("requiredAccess") or denied.get(
                "message", ""
            )
            raise AuthError(f"The hub's Shopify app lacks a permission: {required} {SCOPES_HINT}")
        if "MAX_COST_EXCEEDED" in codes:
            extensions = errors[codes.index("MAX_COST_EXCEEDED")].get("extensions") or {}
            raise QueryCostExceeded(
                "Shopify refused a query as too costly. Report this to the hub's maintainers.",
                cost=float(extensions.get("cost") or requested_cost or 0),
                max_cost=float(extensions.get("maxCost") or 0),
            )
        if "INTERNAL_SERVER_ERROR" in codes:
            raise TransientError(
                f"Shopify had an internal error ({message}). The hub will try again."
            )
        # Anything else is a document this API version does not accept: a version older or
        # newer than the hub knows, or a hub defect.
        raise ConnectorError(
            f"Shopify refused the hub's request: {message} Check the API version in the "
            "cart's settings; if it is a supported version, report this to the hub's maintainers."
        )

    def _throttle_wait(self, requested_cost: float | None) -> float:
        if self.throttle is None:
            return 1.0
        cost = requested_cost if requested_cost is not None else self.throttle.maximum / 10
        # Never below a small floor: a zero wait would spin on a bucket still refilling.
        return max(0.05, self.throttle.wait_for(cost))


def _quantity_refusals(errors: Sequence[Any], skus: Sequence[str]) -> list[QuantityRefused]:
    """userErrors of inventorySetQuantities as one refusal per quantity they point at, or,
    when none points at a quantity, the whole call refused for each SKU in it."""
    refused = []
    for error in errors:
        index = _quantity_index(error.get("field"))
        if index is None or index >= len(skus):
            continue
        refused.append(
            QuantityRefused(
                f"Shopify refused the stock level of SKU {skus[index]}: "
                f"{remote_text(error.get('message'))}",
                record_ref=skus[index],
                index=index,
                unknown_item=error.get("code") == "INVALID_INVENTORY_ITEM",
            )
        )
    if errors and not refused:
        message = _user_errors(errors)
        return [
            QuantityRefused(
                f"Shopify refused the stock levels: {message}", record_ref=sku, index=None
            )
            for sku in skus
        ]
    return refused


def _quantity_index(field: Any) -> int | None:
    """The quantity a userError points at: field is ["input", "quantities", "3", ...]."""
    if isinstance(field, list) and len(field) >= 3 and field[1] == "quantities":
        try:
            return int(field[2])
        except (TypeError, ValueError):
            return None
    return None


def _user_errors(errors: Sequence[dict[str, Any]]) -> str:
    return remote_text("; ".join(str(error.get("message") or "") for error in errors), limit=400)
