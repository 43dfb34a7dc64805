"""ShopifyConnector: orders, fulfillments and stock through the GraphQL Admin API."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
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
from carts.connectors.shopify import inventory, orders, queries, shipments, webhooks
from carts.connectors.shopify.client import Location, QueryCostExceeded, ShopifyClient
from carts.connectors.shopify.forms import ShopifySettingsForm
from carts.connectors.shopify.inventory import INVENTORY_ITEMS, InventoryItemRef
from carts.connectors.sku_cache import SkuCache
from integration_manager.connector_errors import RecordError
from integration_manager.http import DEFAULT_TIMEOUT
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
    # An order's cart_status is its financial status, the one the download filters on.
    ORDER_STATUSES = orders.FINANCIAL_STATUSES
    DEFAULT_STATUSES = orders.DEFAULT_FINANCIAL_STATUSES
    settings_form = ShopifySettingsForm
    secret_fields = ("access_token", "webhook_secret")
    # Every Shopify shop's API answers at its myshopify.com address, and only there.
    address_rules = AddressRules(
        hosts=("*.myshopify.com",),
        hosts_hint="Type the store's myshopify.com address, e.g. https://your-store.myshopify.com "
        "(Shopify shows it under Settings > Domains), not the shop's own domain.",
    )
    address_fields = ("base_url",)
    default_base_url = ""  # each shop has its own address
    timeout = DEFAULT_TIMEOUT
    # The SKU -> inventory items map outlives one job: a class attribute, so tests can swap it.
    inventory_items: SkuCache[tuple[InventoryItemRef, ...]] = INVENTORY_ITEMS
    _location_node: Location | None = None  # looked up once per connector

    # settings ------------------------------------------------------------------------------

    @property
    def api_version(self) -> str:
        return self.settings.get("api_version") or queries.DEFAULT_API_VERSION

    @property
    def financial_statuses(self) -> frozenset[str]:
        chosen = self.settings.get("financial_statuses")
        return frozenset(chosen if chosen else orders.DEFAULT_FINANCIAL_STATUSES)

    @property
    def notify_customer(self) -> bool:
        return bool(self.settings.get("notify_customer", True))

    @cached_property
    def client(self) -> ShopifyClient:
        return ShopifyClient(
            session=self.session(),
            base_url=self.base_url,
            api_version=self.api_version,
            access_token=self.credentials.get("access_token") or "",
        )

    # connection test -----------------------------------------------------------------------

    def test_connection(self) -> str:
        shop = self.client.shop_read(required_scopes=REQUIRED_SCOPES)
        location = self._location()
        message = (
            f"Connected to the Shopify shop “{shop.name}” ({shop.domain}), API version "
            f"{self.api_version}. Stock goes to the location “{location.name}”."
        )
        return message + orders.history_warning(
            self.settings.get("earliest_order_date"), shop.scopes, now=datetime.now(UTC)
        )

    def _location(self) -> Location:
        """The location stock goes to: the one in the settings, else the primary location."""
        if self._location_node is None:
            setting = str(self.settings.get("location_id") or "").strip()
            self._location_node = self.client.location_read(setting)
        return self._location_node

    # orders --------------------------------------------------------------------------------

    def fetch_orders(self, cursor: str | None) -> Iterator[OrderPage]:
        """Orders updated since the cursor, oldest change first; the cursor is the newest
        updatedAt seen (ISO 8601), including orders skipped for their status."""
        search = orders.order_search(
            self.window_start(cursor), self.settings.get("earliest_order_date")
        )
        size = orders.PageSize()
        after: str | None = None
        while True:
            listed = self._orders_list(search=search, after=after, size=size)
            page = OrderPage(
                orders=[], failures=[], cursor=orders.next_cursor(listed.nodes, cursor)
            )
            for node in listed.nodes:
                self._read_order(node, page=page)
            cursor = page.cursor
            yield page
            if not listed.has_next_page:
                return
            after = listed.end_cursor
            size.fit(listed.requested_cost)

    def _orders_list(
        self, *, search: str, after: str | None, size: orders.PageSize
    ) -> queries.Page:
        """One page of orders; a page Shopify calls too costly is asked for again, smaller."""
        while True:
            try:
                return self.client.orders_list(
                    first=size.first,
                    after=after,
                    search=search,
                    line_items=orders.LINE_ITEMS_PER_ORDER,
                )
            except QueryCostExceeded as refused:
                if not size.shrink(refused.max_cost):
                    raise

    def _read_order(self, node: dict[str, Any], *, page: OrderPage) -> None:
        """Add one order to the page, or its failure; an order left in Shopify adds nothing."""
        reference = orders.reference(node)
        try:
            record = self._order_record(node)
        except orders.UNREADABLE as error:
            logger.warning("Shopify order %s could not be read: %s", reference, error)
            page.failures.append(orders.unreadable(node, error))
            return
        if record is None:
            return
        if orders.worth_storing(record):
            page.orders.append(record)
        else:
            logger.debug("Shopify order %s has nothing to ship", reference)

    def _order_record(self, node: dict[str, Any]) -> OrderRecord | None:
        orders.updated_at(node)  # an order without a readable change time is a failure
        reason = orders.skip_reason(node, financial_statuses=self.financial_statuses)
        if reason:
            logger.debug("Shopify order %s not downloaded: %s", orders.reference(node), reason)
            return None
        listed = orders.line_items_page(node)
        line_items = listed.nodes
        if listed.has_next_page:
            line_items += self.client.order_line_items(node["id"], after=listed.end_cursor)
        return orders.order_record(node, line_items=line_items)

    # shipments -----------------------------------------------------------------------------

    def upload_shipment(
        self, order: UploadOrder, shipment: ShipmentRecord, *, first_attempt: bool = False
    ) -> str:
        """Create one fulfillment (one per Shopify location the lines sit at) with the
        tracking; returns the fulfillment ids, comma-separated."""
        reference = shipments.order_reference(order)
        node = self.client.fulfillment_orders(order.source_order_id, reference=reference)
        shipments.check_not_cancelled(node, order)
        groups = shipments.fulfillment_groups(
            order=order,
            shipment=shipment,
            orders_fulfillment_orders=shipments.fulfillment_orders(node),
        )
        created: list[str] = []
        for group in groups:
            fulfillment = shipments.fulfillment_input(
                group, shipment=shipment, notify_customer=self.notify_customer
            )
            created.append(
                self.client.fulfillment_create(
                    fulfillment,
                    record_ref=order.source_order_id,
                    reference=reference,
                    created=tuple(created),
                )
            )
            logger.info("Shopify fulfillment %s created for order %s", created[-1], reference)
        return ",".join(created)

    def find_shipment(self, order: UploadOrder, shipment: ShipmentRecord) -> str | None:
        """The fulfillments of this order carrying the shipment's tracking number, if any.

        Without a tracking number a shipment cannot be told apart; a second upload is then
        refused by Shopify anyway, as nothing is left to fulfil.
        """
        number = shipments.tracking_key(shipment)
        if not number:
            return None
        fulfillments = self.client.order_fulfillments(order.source_order_id)
        return ",".join(shipments.fulfillments_with_tracking(fulfillments, number)) or None

    # inventory -----------------------------------------------------------------------------

    def upload_inventory(self, levels: Sequence[StockLevel]) -> list[RecordError]:
        """Set "available" at the cart's location for each SKU (every variant carrying it)."""
        location_id = self._location().id
        wanted = inventory.wanted_quantities(levels)
        items = self._inventory_items(list(wanted))
        quantities, failures = inventory.quantities_to_set(wanted, items)
        for batch in inventory.batches(quantities, inventory.QUANTITIES_PER_CALL):
            failures.extend(self._set_quantities(batch, location_id=location_id))
        return failures

    @property
    def _cache_scope(self) -> tuple[int, str]:
        return (self.context.connection_id, self.base_url)

    def _inventory_items(self, skus: Sequence[str]) -> dict[str, tuple[InventoryItemRef, ...]]:
        found = self.inventory_items.get_many(self._cache_scope, skus)
        unknown = [sku for sku in skus if sku not in found]
        for batch in inventory.batches(unknown, inventory.SKUS_PER_SEARCH):
            variants = self.client.variants_by_sku(inventory.sku_search(batch))
            resolved = inventory.inventory_items(variants, batch)
            self.inventory_items.put_many(self._cache_scope, resolved)
            found.update(resolved)
        return found

    def _set_quantities(
        self, batch: list[inventory.Quantity], *, location_id: str
    ) -> list[RecordError]:
        """Set one batch; the SKUs Shopify refuses are taken out and the rest is sent again."""
        failures: dict[str, RecordError] = {}
        idempotent = queries.uses_idempotent_inventory(self.api_version)
        reference_uri = f"integration-hub://cart/{self.context.connection_id}/inventory-upload"
        while batch:
            input_ = inventory.quantities_input(
                batch, location_id=location_id, reference_uri=reference_uri, idempotent=idempotent
            )
            refused = self.client.inventory_set_quantities(
                input_, skus=[entry.sku for entry in batch]
            )
            for refusal in refused:
                failures.setdefault(refusal.record_ref, refusal)
            gone = [refusal.record_ref for refusal in refused if refusal.unknown_item]
            self.inventory_items.forget(self._cache_scope, gone)
            batch = inventory.still_to_send(batch, refused)
        return list(failures.values())

    # webhooks ------------------------------------------------------------------------------

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        return webhooks.parse(
            secret=self.credentials.get("webhook_secret") or "", headers=headers, body=body
        )
