"""The BigCommerce cart: v2 orders and shipments, v3 catalog lookups and inventory."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar

from carts.connectors.base import (
    FETCH_ORDERS,
    UPLOAD_INVENTORY,
    UPLOAD_SHIPMENT,
    WEBHOOKS,
    CartConnector,
)
from carts.connectors.bigcommerce import inventory, orders, shipments, webhooks
from carts.connectors.bigcommerce.client import (
    PAGE_LIMIT,
    AdjustmentRefused,
    BigCommerceClient,
)
from carts.connectors.bigcommerce.forms import DEFAULT_BASE_URL, BigCommerceSettingsForm
from carts.connectors.bigcommerce.inventory import VariantRef
from carts.connectors.registry import register
from carts.connectors.sku_cache import SkuCache
from integration_manager.connector_errors import AuthError, ConnectorError, RecordError
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

# SKU -> variant per store, shared by the connections of one worker process: inventory runs
# every few minutes with the same SKUs, and each lookup spends the store's API quota (shared
# with every other app) on an answer that rarely changes.
VARIANT_CACHE_SECONDS = 3600
VARIANTS: SkuCache[VariantRef] = SkuCache(ttl=VARIANT_CACHE_SECONDS)


@register
class BigCommerceConnector(CartConnector):
    """Orders by date_modified (v2, sub-resources per order); shipments with tracking via
    POST /v2/orders/{id}/shipments; stock via v3 absolute adjustments; signed webhooks.

    Orders are listed oldest change first and each page restarts from the last change read
    (not page=N+1), so an order changed while the download runs cannot shift another one
    out of sight. Every changed order is listed; those in the chosen statuses, and every
    cancellation, are normalised.
    """

    key = "bigcommerce"
    label = "BigCommerce"
    description = (
        "BigCommerce stores through a store-level API account: orders down, tracking and "
        "stock levels up."
    )
    capabilities = frozenset({FETCH_ORDERS, UPLOAD_SHIPMENT, UPLOAD_INVENTORY, WEBHOOKS})
    ORDER_STATUSES = orders.ORDER_STATUSES
    DEFAULT_STATUSES = orders.DEFAULT_STATUSES
    settings_form = BigCommerceSettingsForm
    secret_fields = ("access_token", "client_secret")
    default_base_url = DEFAULT_BASE_URL
    # BigCommerce's API has one host; the store hash in the path says which store.
    address_rules = AddressRules(
        hosts=("api.bigcommerce.com",),
        hosts_hint=f"BigCommerce's API answers only at {DEFAULT_BASE_URL}; leave the API "
        "address as it is.",
    )
    address_fields = ("base_url", "store_hash")
    # Every call is one page or one record: the shared (connect, read) timeouts suffice.
    timeout = DEFAULT_TIMEOUT
    page_size = PAGE_LIMIT
    variant_cache: ClassVar[SkuCache[VariantRef]] = VARIANTS

    # settings ----------------------------------------------------------------------------

    @property
    def store_hash(self) -> str:
        return str(self.settings.get("store_hash") or "").strip()

    @property
    def download_statuses(self) -> frozenset[int]:
        chosen = self.settings.get("download_statuses") or orders.DEFAULT_DOWNLOAD_STATUSES
        return frozenset(int(status) for status in chosen)

    @property
    def status_after_shipment(self) -> int | None:
        value = self.settings.get("status_after_shipment")
        return int(value) if value not in (None, "") else None

    @property
    def location_id(self) -> int:
        return int(self.settings.get("inventory_location_id") or 1)

    @cached_property
    def client(self) -> BigCommerceClient:
        token = self.credentials.get("access_token") or ""
        if not self.store_hash or not token:
            raise AuthError(
                "The BigCommerce cart has no store hash or access token. Type both in the "
                "cart's settings and save."
            )
        return BigCommerceClient(
            session=self.session(),
            base_url=self.base_url,
            store_hash=self.store_hash,
            access_token=token,
        )

    # connection ----------------------------------------------------------------------------

    def test_connection(self) -> str:
        counts = self.client.orders_count()
        self.client.catalog_variants_list(page=1, limit=1)
        self.client.inventory_location_items_list(self.location_id)
        waiting = orders.orders_waiting(counts, statuses=self.download_statuses)
        names = orders.status_names(self.download_statuses)
        return (
            f"Connected to BigCommerce store {self.store_hash}: {waiting} orders to download "
            f"({names}) of {orders.orders_in_store(counts)} in the store; products and "
            f"inventory location {self.location_id} can be read. Shipments need the “Orders: "
            "modify” scope and stock levels “Store Inventory: modify”, which can only be "
            "checked by writing."
        )

    # orders ------------------------------------------------------------------------------

    def fetch_orders(self, cursor: str | None) -> Iterator[OrderPage]:
        """Pages of orders changed since the cursor; the cursor is the newest date_modified
        read (UTC, ISO-8601), never earlier than the one given."""
        listing = orders.OrderListing(
            since=self.window_start(cursor).astimezone(UTC), cursor=cursor
        )
        # A fixed end makes the download finish; later changes are the next run's (its
        # window starts before this cursor, so nothing falls between).
        window_end = datetime.now(UTC)
        yielded = False
        while True:
            payloads = self.client.orders_list(
                min_date_modified=listing.since,
                max_date_modified=window_end,
                page=listing.page,
                limit=self.page_size,
            )
            fresh = listing.fresh(payloads)
            if fresh:
                yielded = True
                yield self._read_page(fresh, listing)
            if not listing.advance(payloads, page_size=self.page_size):
                break
        if not yielded:
            yield OrderPage(orders=[], cursor=cursor)

    def _read_page(
        self, payloads: Sequence[Mapping[str, Any]], listing: orders.OrderListing
    ) -> OrderPage:
        page = OrderPage(orders=[])
        for payload in payloads:
            try:
                listing.note(payload)
                record = self._order_record(payload)
            except RecordError as error:
                page.failures.append(error)
                continue
            if record is not None:
                page.orders.append(record)
        page.cursor = listing.next_cursor
        return page

    def _order_record(self, payload: Mapping[str, Any]) -> OrderRecord | None:
        """The order normalised with its sub-resources; None when it is not wanted."""
        if not orders.is_wanted(payload, statuses=self.download_statuses):
            return None
        order_id = str(payload.get("id", ""))
        return orders.order_record(
            payload,
            products=self.client.order_products_list(order_id),
            shipping_addresses=self.client.order_shipping_addresses_list(order_id),
        )

    # shipments ---------------------------------------------------------------------------

    def upload_shipment(
        self, order: UploadOrder, shipment: ShipmentRecord, *, first_attempt: bool = False
    ) -> str:
        order_id = order.source_order_id
        # Fresh products: what is left to ship changes with every shipment, so the copy
        # stored at download time would let BigCommerce refuse a second partial shipment.
        products = self.client.order_products_list(order_id)
        body = shipments.shipment_body(order=order, shipment=shipment, products=products)
        created = self.client.order_shipment_create(order_id, body)
        if self.status_after_shipment is not None:
            self._move_on_when_shipped(order_id, self.status_after_shipment)
        return shipments.shipment_id(created)

    def _move_on_when_shipped(self, order_id: str, status: int) -> None:
        """Set the chosen status once BigCommerce has marked the order Shipped."""
        try:
            if orders.needs_status_after_shipment(self.client.order_get(order_id), status=status):
                self.client.order_status_update(order_id, status)
        except ConnectorError as error:
            # The shipment exists: failing the upload now would make the hub send it again.
            # The status is a courtesy the merchant can set by hand.
            logger.warning(
                "BigCommerce order %s shipped, but its status could not be set: %s",
                order_id,
                error,
            )

    def find_shipment(self, order: UploadOrder, shipment: ShipmentRecord) -> str | None:
        return shipments.matching_shipment(
            self.client.order_shipments_list(order.source_order_id), shipment=shipment
        )

    # inventory ---------------------------------------------------------------------------

    def upload_inventory(self, levels: Sequence[StockLevel]) -> list[RecordError]:
        wanted, failures = inventory.quantities(levels)
        refs = self._variants(list(wanted))
        failures.extend(inventory.unknown_skus(wanted, refs))
        for batch in inventory.batches(wanted, refs):
            failures.extend(self._adjust(batch, refs))
        return failures

    @property
    def _store(self) -> tuple[str, str]:
        return (self.base_url, self.store_hash)

    def _variants(self, skus: Sequence[str]) -> dict[str, VariantRef]:
        """The variant of each SKU BigCommerce has: remembered, listed or looked up."""
        refs = self.variant_cache.get_many(self._store, skus)
        unknown = [sku for sku in skus if sku not in refs]
        if len(unknown) > inventory.BULK_LOOKUP_THRESHOLD:
            found = self._all_variants(wanted=len(unknown))
            self.variant_cache.put_many(self._store, found)
            refs.update({sku: found[sku] for sku in unknown if sku in found})
            unknown = [sku for sku in unknown if sku not in found]
        for sku in unknown:
            ref = inventory.matching_variant(
                self.client.catalog_variants_list(sku=sku).variants, sku
            )
            if ref is not None:
                self.variant_cache.put(self._store, sku, ref)
                refs[sku] = ref
        return refs

    def _all_variants(self, *, wanted: int) -> dict[str, VariantRef]:
        """Every variant of the store, when that takes fewer calls than `wanted` lookups."""
        found: dict[str, VariantRef] = {}
        page, total_pages = 1, 1
        while page <= total_pages:
            listed = self.client.catalog_variants_list(page=page)
            total_pages = listed.total_pages
            if total_pages >= wanted:
                return found  # a big catalogue: one lookup per SKU is cheaper
            found.update(inventory.variant_refs(listed.variants))
            page += 1
        return found

    def _adjust(self, batch: inventory.Batch, refs: dict[str, VariantRef]) -> list[RecordError]:
        """Send one batch; on a refusal, fix what can be fixed and isolate what cannot."""
        items = inventory.adjustment_items(batch, refs, location_id=self.location_id)
        try:
            self.client.inventory_adjustment_absolute(
                items=items, reason=inventory.ADJUSTMENT_REASON
            )
        except AdjustmentRefused as refusal:
            return self._after_refusal(batch, refs, refusal)
        return []

    def _after_refusal(
        self, batch: inventory.Batch, refs: dict[str, VariantRef], refusal: AdjustmentRefused
    ) -> list[RecordError]:
        switched = inventory.tracked_by_product(batch, refs, refusal=refusal.title)
        if switched:
            refs.update(switched)
            self.variant_cache.put_many(self._store, switched)
            return self._adjust(batch, refs)
        if len(batch) == 1:
            sku = batch[0][0]
            self.variant_cache.forget(self._store, [sku])  # looked up afresh next time
            return [inventory.refused(sku, detail=refusal.detail)]
        # Absolute adjustments are all-or-nothing and the problem need not say which item
        # failed: halve the batch until the refused items stand alone (the rest is saved).
        middle = len(batch) // 2
        return self._adjust(batch[:middle], refs) + self._adjust(batch[middle:], refs)

    # webhooks ----------------------------------------------------------------------------

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        """Verify a Standard Webhooks signature keyed with the API account's client secret
        and name the order the thin payload points at (webhooks.py)."""
        return webhooks.webhook_notice(
            headers=headers,
            body=body,
            secret=self.credentials.get("client_secret") or "",
            store_hash=self.store_hash,
        )
