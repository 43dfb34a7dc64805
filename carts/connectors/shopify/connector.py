"""ShopifyConnector: orders, fulfillments and stock through the GraphQL Admin API."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import InvalidOperation
from functools import cached_property
from typing import Any

from carts.connectors.base import (
    FETCH_ORDERS,
    UPLOAD_INVENTORY,
    UPLOAD_SHIPMENT,
    WEBHOOKS,
    CartConnector,
)
from carts.connectors.registry import register
from carts.connectors.shopify import mapping, queries, webhooks
from carts.connectors.shopify.client import (
    SCOPES_HINT,
    TOKEN_HINT,
    QueryCostExceeded,
    ShopifyClient,
)
from carts.connectors.shopify.forms import ShopifySettingsForm
from carts.connectors.shopify.inventory_items import (
    INVENTORY_ITEMS,
    InventoryItemCache,
    InventoryItemRef,
)
from integration_manager.connector_errors import (
    AuthError,
    ConnectorError,
    RecordError,
    TransientError,
)
from integration_manager.http import remote_text
from integration_manager.outbound import AddressRules
from integration_manager.records import (
    OrderPage,
    OrderRecord,
    ShipmentRecord,
    StockLevel,
    UploadOrder,
    WebhookNotice,
)

logger = logging.getLogger(__name__)

# Shopify prices a query before running it and refuses one above 1,000 points; an order with
# its lines costs tens of points. The first page is small, later ones are sized from the
# cost Shopify reports, aiming below the limit.
FIRST_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
TARGET_QUERY_COST = 900
# Lines fetched with each order; an order with more gets the rest in a second query.
LINE_ITEMS_PER_ORDER = 5
SKUS_PER_SEARCH = 50
QUANTITIES_PER_CALL = 100
# Without read_all_orders Shopify shows only this much history.
VISIBLE_HISTORY = timedelta(days=60)

# A write scope includes its read scope. Any one of the fulfillment-order write scopes will
# do: which one applies depends on who the order's location belongs to.
REQUIRED_SCOPES: tuple[tuple[str, ...], ...] = (
    ("read_orders",),
    (
        "write_merchant_managed_fulfillment_orders",
        "write_assigned_fulfillment_orders",
        "write_third_party_fulfillment_orders",
    ),
    ("read_products",),
    ("read_locations",),
    ("write_inventory",),
)


@register
class ShopifyConnector(CartConnector):
    """A Shopify shop through a custom app's Admin API token (GraphQL Admin API).

    Orders come down by updatedAt (cancellations included), shipments go up as fulfillments
    of the order's fulfillment orders with tracking, stock is set at one location, and
    webhooks are checked against the app's client secret.
    """

    key = "shopify"
    label = "Shopify"
    description = "Orders, tracking and stock through a custom app in your Shopify admin."
    capabilities = frozenset({FETCH_ORDERS, UPLOAD_SHIPMENT, UPLOAD_INVENTORY, WEBHOOKS})
    settings_form = ShopifySettingsForm
    secret_fields = ("access_token", "webhook_secret")
    # Every Shopify shop's API answers at its myshopify.com address, and only there.
    address_rules = AddressRules(
        hosts=("*.myshopify.com",),
        hosts_hint="Type the store's myshopify.com address, e.g. https://your-store.myshopify.com "
        "(Shopify shows it under Settings > Domains), not the shop's own domain.",
    )
    # The SKU -> inventory item map outlives one job: a class attribute, so tests can swap it.
    inventory_items: InventoryItemCache = INVENTORY_ITEMS
    _location_node: dict[str, Any] | None = None  # looked up once per connector

    # settings ------------------------------------------------------------------------

    @property
    def api_version(self) -> str:
        return self.settings.get("api_version") or queries.DEFAULT_API_VERSION

    @property
    def financial_statuses(self) -> frozenset[str]:
        chosen = self.settings.get("financial_statuses")
        return frozenset(chosen if chosen else mapping.DEFAULT_FINANCIAL_STATUSES)

    @property
    def notify_customer(self) -> bool:
        return bool(self.settings.get("notify_customer", True))

    @cached_property
    def client(self) -> ShopifyClient:
        token = self.credentials.get("access_token") or ""
        if not token:
            raise AuthError(f"The cart has no Shopify access token. {TOKEN_HINT}")
        if not self.base_url:
            raise ConnectorError(
                "The cart has no store address. Type https://your-store.myshopify.com in the "
                "cart's settings and save."
            )
        return ShopifyClient(
            session=self.session(),
            base_url=self.base_url,
            api_version=self.api_version,
            access_token=token,
        )

    # connection test -------------------------------------------------------------------

    def test_connection(self) -> str:
        data = self.client.execute(
            queries.CONNECTION_TEST_QUERY, operation="HubConnectionTest"
        ).data
        shop = data.get("shop") or {}
        granted = {
            scope.get("handle", "")
            for scope in (data.get("currentAppInstallation") or {}).get("accessScopes") or []
        }
        granted |= {"read_" + scope.removeprefix("write_") for scope in granted}
        missing = [
            " or ".join(choices)
            for choices in REQUIRED_SCOPES
            if not any(choice in granted for choice in choices)
        ]
        if missing:
            raise AuthError(
                "The hub's Shopify app lacks these access scopes: "
                f"{', '.join(missing)}. {SCOPES_HINT}"
            )
        location = self._location()
        message = (
            f"Connected to the Shopify shop “{shop.get('name', '')}” "
            f"({shop.get('myshopifyDomain', '')}), API version {self.api_version}. "
            f"Stock goes to the location “{location.get('name', '')}”."
        )
        earliest = self.settings.get("earliest_order_date")
        if earliest and "read_all_orders" not in granted:
            start = datetime.fromisoformat(str(earliest)).replace(tzinfo=UTC)
            if start < datetime.now(UTC) - VISIBLE_HISTORY:
                message += (
                    " Shopify shows apps only the last 60 days of orders unless Shopify "
                    "grants the app the read_all_orders scope; older orders will not come down."
                )
        return message

    # orders ----------------------------------------------------------------------------

    def fetch_orders(self, cursor: str | None) -> Iterator[OrderPage]:
        """Orders updated since the cursor, oldest change first; the cursor is the newest
        updatedAt seen (ISO 8601), including orders skipped for their status."""
        search = self._order_search(self.window_start(cursor))
        newest = datetime.fromisoformat(cursor) if cursor else None
        first = FIRST_PAGE_SIZE
        target = TARGET_QUERY_COST
        after: str | None = None
        while True:
            variables = {
                "first": first,
                "after": after,
                "query": search,
                "lineItems": LINE_ITEMS_PER_ORDER,
            }
            try:
                result = self.client.execute(queries.ORDERS_QUERY, variables, operation="HubOrders")
            except QueryCostExceeded as refused:
                if first == 1:
                    raise
                if refused.max_cost:
                    # A shop with a lower limit than the usual 1,000: stay 10 % under it.
                    target = min(target, int(refused.max_cost * 0.9))
                first = max(1, first // 2)
                continue
            connection = result.data.get("orders") or {}
            page = OrderPage(orders=[], failures=[], cursor=cursor)
            for node in connection.get("nodes") or []:
                newest = self._read_order(node, page=page, newest=newest)
            page.cursor = newest.isoformat() if newest else cursor
            cursor = page.cursor
            yield page
            page_info = connection.get("pageInfo") or {}
            if not page_info.get("hasNextPage"):
                return
            after = page_info.get("endCursor")
            first = self._next_page_size(result.requested_cost, first, target=target)

    def _order_search(self, start: datetime) -> str:
        terms = [f"updated_at:>='{_search_time(start)}'"]
        earliest = self.settings.get("earliest_order_date")
        if earliest:
            placed = datetime.fromisoformat(str(earliest))
            placed = placed if placed.tzinfo else placed.replace(tzinfo=UTC)
            terms.append(f"created_at:>='{_search_time(placed)}'")
        return " AND ".join(terms)

    def _read_order(
        self, node: dict[str, Any], *, page: OrderPage, newest: datetime | None
    ) -> datetime | None:
        """Add one order to the page (or its failure); return the newest updatedAt so far."""
        reference = str(node.get("legacyResourceId") or node.get("id") or "unknown")
        try:
            updated = datetime.fromisoformat(node["updatedAt"])
            if newest is None or updated > newest:
                newest = updated
            reason = mapping.skip_reason(node, financial_statuses=self.financial_statuses)
            if reason:
                logger.debug("Shopify order %s not downloaded: %s", reference, reason)
                return newest
            record = self._order_record(node)
        except (KeyError, TypeError, ValueError, InvalidOperation) as error:
            logger.warning("Shopify order %s could not be read: %s", reference, error)
            page.failures.append(
                RecordError(
                    f"Shopify order {node.get('name') or reference} could not be read "
                    f"({error}). Check the order in Shopify; it comes down again when it "
                    "changes.",
                    record_ref=reference,
                )
            )
            return newest
        if record.lines or record.canceled:
            page.orders.append(record)
        else:
            logger.debug("Shopify order %s has nothing to ship", reference)
        return newest

    def _order_record(self, node: dict[str, Any]) -> OrderRecord:
        line_items = list((node.get("lineItems") or {}).get("nodes") or [])
        page_info = (node.get("lineItems") or {}).get("pageInfo") or {}
        while page_info.get("hasNextPage"):
            data = self.client.execute(
                queries.ORDER_LINE_ITEMS_QUERY,
                {"id": node["id"], "after": page_info.get("endCursor")},
                operation="HubOrderLineItems",
            ).data
            more = ((data.get("order") or {}).get("lineItems")) or {}
            line_items.extend(more.get("nodes") or [])
            page_info = more.get("pageInfo") or {}
        if len(line_items) > len((node.get("lineItems") or {}).get("nodes") or []):
            # raw comes back with the shipment: keep every line in it.
            node = {
                **node,
                "lineItems": {
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                    "nodes": line_items,
                },
            }
        return mapping.order_record(node, line_items=line_items)

    @staticmethod
    def _next_page_size(requested_cost: float | None, first: int, *, target: int) -> int:
        """As many orders as fit in `target` points, from what this page cost per order."""
        if not requested_cost or first <= 0:
            return first
        per_order = max(1.0, (requested_cost - 3) / first)
        return max(1, min(MAX_PAGE_SIZE, int((target - 3) / per_order)))

    # shipments -------------------------------------------------------------------------

    def upload_shipment(self, order: UploadOrder, shipment: ShipmentRecord) -> str:
        """Create one fulfillment (one per Shopify location the lines sit at) with the
        tracking; returns the fulfillment ids, comma-separated."""
        reference = order.order_number or order.source_order_id
        node = self._fulfillment_orders(order)
        if not node:
            raise RecordError(
                f"Shopify has no order {reference} (id {order.source_order_id}) any more. "
                "Check whether it was deleted in Shopify.",
                record_ref=order.source_order_id,
            )
        if node.get("cancelledAt"):
            raise RecordError(
                f"Shopify order {reference} was cancelled; Shopify takes no shipment for it. "
                "Check with the merchant whether the parcel was stopped.",
                record_ref=order.source_order_id,
            )
        groups = mapping.fulfillment_groups(
            order=order,
            shipment=shipment,
            orders_fulfillment_orders=mapping.fulfillment_orders(node),
        )
        created: list[str] = []
        for group in groups:
            fulfillment: dict[str, Any] = {
                "lineItemsByFulfillmentOrder": group,
                "notifyCustomer": self.notify_customer,
            }
            tracking = mapping.tracking_input(shipment)
            if tracking:
                fulfillment["trackingInfo"] = tracking
            result = (
                self.client.execute(
                    queries.FULFILLMENT_CREATE_MUTATION,
                    {"fulfillment": fulfillment},
                    operation="HubFulfillmentCreate",
                ).data.get("fulfillmentCreate")
                or {}
            )
            errors = result.get("userErrors") or []
            if errors:
                done = (
                    f" (it created fulfillment {', '.join(created)} for the rest)"
                    if created
                    else ""
                )
                raise RecordError(
                    f"Shopify refused the shipment of order {reference}{done}: "
                    f"{_user_errors(errors)}. Check the order's fulfillment in Shopify.",
                    record_ref=order.source_order_id,
                )
            fulfillment_node = result.get("fulfillment") or {}
            if not fulfillment_node.get("id"):
                # Neither a fulfillment nor a reason: treat the outcome as unknown, so the
                # hub asks find_shipment before sending again.
                raise TransientError(
                    f"Shopify did not confirm the shipment of order {reference}. "
                    "The hub will check and try again."
                )
            created.append(
                str(
                    fulfillment_node.get("legacyResourceId")
                    or mapping.legacy_id(fulfillment_node["id"])
                )
            )
            logger.info("Shopify fulfillment %s created for order %s", created[-1], reference)
        return ",".join(created)

    def _fulfillment_orders(self, order: UploadOrder) -> dict[str, Any] | None:
        """The order with all its fulfillment orders and all their lines (None: no order)."""
        node: dict[str, Any] | None = None
        fulfillment_orders: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            data = self.client.execute(
                queries.FULFILLMENT_ORDERS_QUERY,
                {"id": mapping.gid("Order", order.source_order_id), "after": after},
                operation="HubFulfillmentOrders",
            ).data
            node = data.get("order")
            if not node:
                return None
            connection = node.get("fulfillmentOrders") or {}
            fulfillment_orders.extend(connection.get("nodes") or [])
            page_info = connection.get("pageInfo") or {}
            if not page_info.get("hasNextPage"):
                break
            after = page_info.get("endCursor")
        for fulfillment_order in fulfillment_orders:
            lines = fulfillment_order.get("lineItems") or {}
            page_info = lines.get("pageInfo") or {}
            while page_info.get("hasNextPage"):
                more = (
                    self.client.execute(
                        queries.FULFILLMENT_ORDER_LINES_QUERY,
                        {"id": fulfillment_order["id"], "after": page_info.get("endCursor")},
                        operation="HubFulfillmentOrderLines",
                    ).data.get("fulfillmentOrder")
                    or {}
                ).get("lineItems") or {}
                lines.setdefault("nodes", []).extend(more.get("nodes") or [])
                page_info = more.get("pageInfo") or {}
        return {**node, "fulfillmentOrders": {"nodes": fulfillment_orders}}

    def find_shipment(self, order: UploadOrder, shipment: ShipmentRecord) -> str | None:
        """The fulfillments of this order carrying the shipment's tracking number, if any.

        Without a tracking number a shipment cannot be told apart; a second upload is then
        refused by Shopify anyway, as nothing is left to fulfil.
        """
        number = shipment.tracking_number.strip().casefold()
        if not number:
            return None
        data = self.client.execute(
            queries.ORDER_FULFILLMENTS_QUERY,
            {"id": mapping.gid("Order", order.source_order_id)},
            operation="HubOrderFulfillments",
        ).data
        node = data.get("order") or {}
        found = [
            str(fulfillment.get("legacyResourceId") or mapping.legacy_id(fulfillment["id"]))
            for fulfillment in node.get("fulfillments") or []
            if fulfillment.get("status") not in ("CANCELLED", "ERROR", "FAILURE")
            and any(
                (info.get("number") or "").strip().casefold() == number
                for info in fulfillment.get("trackingInfo") or []
            )
        ]
        return ",".join(found) or None

    # inventory -------------------------------------------------------------------------

    def upload_inventory(self, levels: Sequence[StockLevel]) -> list[RecordError]:
        """Set "available" at the cart's location for each SKU (every variant carrying it)."""
        location_id = self._location()["id"]
        wanted: dict[str, int] = {}
        for level in levels:
            # Shopify stores negative stock, but a WMS's negative count means "none to sell".
            wanted[level.sku] = max(0, int(level.available))
        items = self._inventory_items(list(wanted))
        failures: list[RecordError] = []
        quantities: list[tuple[str, str, int]] = []
        for sku, quantity in wanted.items():
            found = items.get(sku)
            if not found:
                failures.append(
                    RecordError(
                        f"No product variant in Shopify has the SKU {sku}. Add the SKU to the "
                        "variant in Shopify, or leave the item out of inventory uploads.",
                        record_ref=sku,
                    )
                )
                continue
            tracked = [item for item in found if item.tracked]
            if not tracked:
                failures.append(
                    RecordError(
                        f"Shopify does not track stock for SKU {sku}. Tick “Track quantity” "
                        "on the variant in Shopify.",
                        record_ref=sku,
                    )
                )
                continue
            quantities.extend((sku, item.id, quantity) for item in tracked)
        for start in range(0, len(quantities), QUANTITIES_PER_CALL):
            batch = quantities[start : start + QUANTITIES_PER_CALL]
            failures.extend(self._set_quantities(batch, location_id=location_id))
        return failures

    def _location(self) -> dict[str, Any]:
        """The location stock goes to: the one in the settings, else the primary location."""
        if self._location_node is None:
            setting = str(self.settings.get("location_id") or "").strip()
            variables = {"id": mapping.gid("Location", setting) if setting else None}
            data = self.client.execute(
                queries.LOCATION_QUERY, variables, operation="HubLocation"
            ).data
            location = data.get("location")
            if not location:
                raise ConnectorError(
                    f"Shopify has no location with the ID {setting}. Copy the number from "
                    "Settings > Locations in Shopify into the cart's settings, or leave it "
                    "blank for the primary location."
                    if setting
                    else "Shopify did not say which location is the shop's primary one. "
                    "Type a location ID in the cart's settings."
                )
            self._location_node = location
        return self._location_node

    @property
    def _cache_key(self) -> tuple[int, str]:
        return (self.context.connection_id, self.base_url)

    def _inventory_items(self, skus: Sequence[str]) -> dict[str, tuple[InventoryItemRef, ...]]:
        found: dict[str, tuple[InventoryItemRef, ...]] = {}
        unknown = []
        for sku in skus:
            cached = self.inventory_items.get(self._cache_key, sku)
            if cached is None:
                unknown.append(sku)
            else:
                found[sku] = cached
        for start in range(0, len(unknown), SKUS_PER_SEARCH):
            batch = unknown[start : start + SKUS_PER_SEARCH]
            resolved = self._search_variants(batch)
            for sku in batch:
                if sku in resolved:
                    found[sku] = resolved[sku]
                    self.inventory_items.put(self._cache_key, sku, resolved[sku])
        return found

    def _search_variants(self, skus: Sequence[str]) -> dict[str, tuple[InventoryItemRef, ...]]:
        search = " OR ".join(f"sku:{_search_value(sku)}" for sku in skus)
        wanted = set(skus)
        resolved: dict[str, list[InventoryItemRef]] = {}
        after: str | None = None
        while True:
            data = self.client.execute(
                queries.VARIANTS_BY_SKU_QUERY,
                {"query": search, "after": after},
                operation="HubVariantsBySku",
            ).data
            connection = data.get("productVariants") or {}
            for variant in connection.get("nodes") or []:
                sku = variant.get("sku") or ""
                item = variant.get("inventoryItem") or {}
                # The search matches loosely (prefixes, other cases): keep exact SKUs only.
                if sku in wanted and item.get("id"):
                    refs = resolved.setdefault(sku, [])
                    ref = InventoryItemRef(id=item["id"], tracked=bool(item.get("tracked")))
                    if ref not in refs:
                        refs.append(ref)
            page_info = connection.get("pageInfo") or {}
            if not page_info.get("hasNextPage"):
                return {sku: tuple(refs) for sku, refs in resolved.items()}
            after = page_info.get("endCursor")

    def _set_quantities(
        self, batch: list[tuple[str, str, int]], *, location_id: str
    ) -> list[RecordError]:
        """Set one batch; Shopify applies all of it or none, so refused SKUs are taken out
        and the rest is sent again."""
        failures: dict[str, RecordError] = {}
        while batch:
            errors = self._send_quantities(batch, location_id=location_id)
            if not errors:
                break
            refused: set[int] = set()
            for error in errors:
                index = _quantity_index(error.get("field"))
                if index is None or index >= len(batch):
                    continue
                refused.add(index)
                sku = batch[index][0]
                if error.get("code") == "INVALID_INVENTORY_ITEM":
                    self.inventory_items.forget(self._cache_key, sku)
                failures.setdefault(
                    sku,
                    RecordError(
                        f"Shopify refused the stock level of SKU {sku}: {error.get('message')}",
                        record_ref=sku,
                    ),
                )
            if not refused:
                # Nothing points at a quantity: the whole batch was refused for one reason.
                message = _user_errors(errors)
                for sku, _item, _quantity in batch:
                    failures.setdefault(
                        sku,
                        RecordError(f"Shopify refused the stock levels: {message}", record_ref=sku),
                    )
                break
            refused_skus = {batch[index][0] for index in refused}
            batch = [entry for entry in batch if entry[0] not in refused_skus]
        return list(failures.values())

    def _send_quantities(
        self, batch: list[tuple[str, str, int]], *, location_id: str
    ) -> list[dict[str, Any]]:
        idempotent = queries.uses_idempotent_inventory(self.api_version)
        quantities = []
        for _sku, item_id, quantity in batch:
            entry: dict[str, Any] = {
                "inventoryItemId": item_id,
                "locationId": location_id,
                "quantity": quantity,
            }
            if idempotent:
                entry["changeFromQuantity"] = None
            quantities.append(entry)
        input_: dict[str, Any] = {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": (
                f"integration-hub://cart/{self.context.connection_id}/inventory-upload"
            ),
            "quantities": quantities,
        }
        if idempotent:
            document = queries.INVENTORY_SET_IDEMPOTENT_MUTATION
            variables: dict[str, Any] = {"input": input_, "idempotencyKey": str(uuid.uuid4())}
        else:
            input_["ignoreCompareQuantity"] = True
            document = queries.INVENTORY_SET_MUTATION
            variables = {"input": input_}
        result = self.client.execute(document, variables, operation="HubInventorySet").data
        return (result.get("inventorySetQuantities") or {}).get("userErrors") or []

    # webhooks --------------------------------------------------------------------------

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        lowered = {name.lower(): value for name, value in headers.items()}
        webhooks.verify(
            secret=self.credentials.get("webhook_secret") or "", headers=lowered, body=body
        )
        return webhooks.notice(headers=lowered, body=body)


def _search_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _search_value(value: str) -> str:
    # Quoted, so SKUs with spaces, colons or dashes are one term of the search syntax.
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


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
