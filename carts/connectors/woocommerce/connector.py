"""WooCommerceConnector: the WooCommerce cart, wired to its client and mapping modules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit

from carts.connectors.base import (
    CANCEL_ORDER,
    FETCH_ORDERS,
    UPLOAD_INVENTORY,
    UPLOAD_SHIPMENT,
    WEBHOOKS,
    CartConnector,
)
from carts.connectors.registry import register
from carts.connectors.sku_cache import SkuCache
from carts.connectors.woocommerce import inventory, orders, shipments, webhooks
from carts.connectors.woocommerce.client import NO_TRACKING_EXTENSION, WooCommerceClient
from carts.connectors.woocommerce.forms import WooCommerceSettingsForm
from carts.connectors.woocommerce.inventory import StockTarget
from integration_manager.connector_errors import AuthError, RecordError
from integration_manager.http import DEFAULT_TIMEOUT
from integration_manager.outbound import ANY_PUBLIC_HOST, AddressRules
from integration_manager.records import (
    OrderPage,
    ShipmentRecord,
    StockLevel,
    UploadOrder,
    WebhookNotice,
)

TRACKING_NAMESPACE = "wc-shipment-tracking/v3"

# SKU -> product or variation, per connection and store address, for a few hours: a lookup
# costs a request per ~50 SKUs and stock runs come every few minutes.
SKU_CACHE: SkuCache[StockTarget] = SkuCache()


@register
class WooCommerceConnector(CartConnector):
    """Orders by modification date (GMT); tracking goes back as an order note or to the
    Shipment Tracking extension, with the order status; stock by product or variation.

    Downloads walk the orders by modification date (orders.OrderWalk says how an order that
    changes while we read is never skipped).
    """

    key = "woocommerce"
    label = "WooCommerce"
    description = (
        "WooCommerce REST API v3 with consumer key and secret. Orders by modification date, "
        "tracking as an order note or through the Shipment Tracking extension, stock by SKU."
    )
    capabilities = frozenset(
        {FETCH_ORDERS, UPLOAD_SHIPMENT, UPLOAD_INVENTORY, WEBHOOKS, CANCEL_ORDER}
    )
    ORDER_STATUSES = orders.ORDER_STATUSES
    DEFAULT_STATUSES = orders.DEFAULT_STATUSES
    settings_form = WooCommerceSettingsForm
    # The consumer key travels beside the secret (in the query string on some hosts) and
    # WooCommerce itself never shows it again in full, so both are write-only.
    secret_fields = ("consumer_key", "consumer_secret", "webhook_secret")
    # Any public store, over https only: plain http is refused by the outbound guard, except
    # to a network the operator allowed (WooCommerce takes keys over http only as OAuth).
    address_rules: ClassVar[AddressRules] = ANY_PUBLIC_HOST
    address_fields = ("base_url",)
    default_base_url = ""  # every store has its own address
    timeout: ClassVar[tuple[float, float]] = DEFAULT_TIMEOUT

    page_size: ClassVar[int] = 100  # WordPress's per_page maximum
    batch_size: ClassVar[int] = 100  # WooCommerce's default batch limit
    # Shared by the connections of one worker process; tests may swap or clear it.
    sku_cache: ClassVar[SkuCache[StockTarget]] = SKU_CACHE
    # Learnt from the store by the first shipment a connector sends (None: not asked yet).
    _tracking_extension: bool | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Lowered for the rest of this connector's life when the store answers 413.
        self.batch_limit = self.batch_size

    # settings ------------------------------------------------------------------------------

    @cached_property
    def client(self) -> WooCommerceClient:
        return WooCommerceClient(
            base_url=self.base_url,
            consumer_key=self.credentials.get("consumer_key", ""),
            consumer_secret=self.credentials.get("consumer_secret", ""),
            query_string_auth=bool(self.settings.get("query_string_auth")),
            session=self.session(),
            label=self.label,
        )

    def _chosen(self) -> list[str]:
        """The statuses the merchant chose (download_statuses adds the cancellations)."""
        return [
            *(self.settings.get("download_statuses") or ["processing"]),
            *(self.settings.get("extra_statuses") or []),
        ]

    @property
    def download_statuses(self) -> list[str]:
        return orders.statuses_to_download(self._chosen())

    @property
    def ship_status(self) -> str:
        return str(self.settings.get("ship_status", "completed") or "")

    @property
    def tracking_mode(self) -> str:
        return str(self.settings.get("shipment_tracking") or "auto")

    @property
    def notify_customer(self) -> bool:
        return bool(self.settings.get("notify_customer", True))

    # test connection -----------------------------------------------------------------------

    def test_connection(self) -> str:
        namespaces = self.client.namespaces()
        orders.check_probe(self.client.orders_probe(orders.probe_query(datetime.now(UTC))))
        # A read-only key is refused on any write; an empty batch writes nothing.
        self.client.orders_batch_probe()
        tracking_found = None if namespaces is None else TRACKING_NAMESPACE in namespaces
        if self.tracking_mode == "yes" and tracking_found is False:
            raise AuthError(NO_TRACKING_EXTENSION)
        statuses = list(dict.fromkeys(self._chosen()))
        waiting = self.client.orders_total(orders.count_query(statuses))
        return (
            f"Connected to WooCommerce at {urlsplit(self.base_url).hostname}: the API keys can "
            f"read and write. {waiting} orders wait with status {', '.join(statuses)}; "
            f"{self._tracking_summary(tracking_found)}."
        )

    def _tracking_summary(self, found: bool | None) -> str:
        if self.tracking_mode == "no" or found is False:
            return "tracking numbers go into an order note"
        if found:
            return "the Shipment Tracking extension is installed and gets the tracking numbers"
        return "tracking numbers go to the Shipment Tracking extension if it answers"

    # orders --------------------------------------------------------------------------------

    def fetch_orders(self, cursor: str | None) -> Iterator[OrderPage]:
        walk = orders.OrderWalk(
            start=self.window_start(cursor), cursor=cursor, page_size=self.page_size
        )
        yield from walk.pages(self._list_orders)

    def _list_orders(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self.client.orders_list({**params, "status": ",".join(self.download_statuses)})

    # shipments -----------------------------------------------------------------------------

    def upload_shipment(
        self, order: UploadOrder, shipment: ShipmentRecord, *, first_attempt: bool = False
    ) -> str:
        """Add the tracking (once: an earlier attempt's note or tracking is reused), then set
        the order status. Tracking goes first because the "completed order" e-mail carries the
        Shipment Tracking extension's tracking only if it is already on the order."""
        order_id = order.source_order_id
        status = self._order_status(order_id)
        shipments.check_not_stopped(order, status)
        earlier = None if first_attempt else self._existing_shipment(order_id, shipment)
        shipment_id = earlier or self._add_shipment(order_id, shipment)
        if self.ship_status and status != self.ship_status:
            self.client.order_status_update(order_id, self.ship_status)
        return shipment_id

    def cancel_order(self, order: UploadOrder, *, reason: str) -> None:
        """Set the order's status to cancelled, unless it is completed or refunded already
        (then the store keeps it, and the hub says why). Cancelled already: nothing to do."""
        status = self._order_status(order.source_order_id)
        if status == "cancelled":
            return
        if status in shipments.FINAL_STATUSES:
            raise RecordError(
                f"WooCommerce order {order.order_number} is {status}: the store keeps it.",
                record_ref=order.source_order_id,
            )
        self.client.order_status_update(order.source_order_id, "cancelled")

    def find_shipment(self, order: UploadOrder, shipment: ShipmentRecord) -> str | None:
        """The note or tracking of this shipment, if the whole upload happened: when the status
        was not set yet, None, so the hub uploads again (which reuses the note)."""
        try:
            status = self._order_status(order.source_order_id)
        except RecordError:
            return None  # the order is gone; the upload will say so
        found = self._existing_shipment(order.source_order_id, shipment)
        if found and not shipments.upload_finished(status, ship_status=self.ship_status):
            return None
        return found

    def _order_status(self, order_id: str) -> str:
        return shipments.order_status(
            self.client.order_get(order_id, fields=shipments.STATUS_FIELDS)
        )

    def _use_tracking(self, shipment: ShipmentRecord) -> bool:
        return self.tracking_mode != "no" and bool(shipment.tracking_number.strip())

    def _trackings(self, order_id: str) -> list[dict[str, Any]] | None:
        """The order's trackings, or None when the store has no Shipment Tracking extension."""
        trackings = self.client.shipment_trackings_list(order_id)
        if trackings is None and self.tracking_mode == "yes":
            raise AuthError(NO_TRACKING_EXTENSION)
        return trackings

    def _existing_shipment(self, order_id: str, shipment: ShipmentRecord) -> str | None:
        marker = shipments.shipment_marker(shipment)
        if not marker:
            return None
        if self._use_tracking(shipment):
            found = shipments.find_tracking(self._trackings(order_id) or [], marker)
            if found:
                return found
        # Notes too: an earlier attempt may have used a note (no extension then, other settings).
        return shipments.find_note(self.client.order_notes_list(order_id), marker)

    def _has_tracking_extension(self, order_id: str) -> bool:
        """Whether the store has the Shipment Tracking extension: asked once per connector,
        that is once per run, not before every shipment."""
        if self._tracking_extension is None:
            self._tracking_extension = self._trackings(order_id) is not None
        return self._tracking_extension

    def _add_shipment(self, order_id: str, shipment: ShipmentRecord) -> str:
        if self._use_tracking(shipment) and self._has_tracking_extension(order_id):
            providers = self.client.shipment_tracking_providers(order_id)
            body = shipments.tracking_body(shipment, providers=providers)
            return shipments.tracking_ref(self.client.shipment_tracking_create(order_id, body))
        body = shipments.note_body(shipment, notify_customer=self.notify_customer)
        return shipments.note_ref(self.client.order_note_create(order_id, body))

    # inventory -----------------------------------------------------------------------------

    def upload_inventory(self, levels: Sequence[StockLevel]) -> list[RecordError]:
        """Set stock_quantity per SKU through the batch endpoints, at most batch_size objects a
        call; return a RecordError (record_ref = SKU) for each SKU the store refused."""
        quantities = inventory.stock_quantities(levels)
        if not quantities:
            return []
        targets, failures = self._targets(list(quantities))
        written = self._write_stock(targets, quantities)
        if written.stale:
            # Products deleted and made again since the SKUs were cached: look them up again.
            self.sku_cache.forget(self._scope, written.stale)
            retargets, missing = self._targets(written.stale)
            again = self._write_stock(retargets, quantities)
            failures += missing + [inventory.stale_sku(sku) for sku in again.stale]
            written.refused += again.refused
        return failures + written.refused

    @property
    def _scope(self) -> tuple[Any, ...]:
        return (self.context.connection_id, self.base_url)

    def _targets(self, skus: Sequence[str]) -> tuple[dict[str, StockTarget], list[RecordError]]:
        """Where each SKU's stock goes: from the cache, else looked up (and then cached)."""
        targets = self.sku_cache.get_many(self._scope, skus)
        failures: list[RecordError] = []
        for group in inventory.sku_groups([sku for sku in skus if sku not in targets]):
            products = self.client.products_list_by_sku(group)
            found, refused = inventory.stock_targets(products, group)
            self.sku_cache.put_many(self._scope, found)
            targets.update(found)
            failures += refused
        return targets, failures

    def _write_stock(
        self, targets: Mapping[str, StockTarget], quantities: Mapping[str, int]
    ) -> inventory.StockOutcome:
        outcome = inventory.StockOutcome()
        for product_id, items in inventory.batch_groups(targets).items():
            outcome.add(self._send_batches(product_id, items, quantities))
        return outcome

    def _send_batches(
        self, product_id: int | None, items: Sequence[inventory.Item], quantities: Mapping[str, int]
    ) -> inventory.StockOutcome:
        """Send the items in batches of at most batch_limit. When the store lowered
        woocommerce_rest_batch_items_limit (413), a batch is halved until it fits, and the
        size is kept for the rest of this upload."""
        outcome = inventory.StockOutcome()
        pending = [items]  # what is still to send, the next part last
        while pending:
            part = pending.pop()
            batch, rest = part[: self.batch_limit], part[self.batch_limit :]
            if rest:
                pending.append(rest)
            answer = self.client.stock_batch_update(
                product_id, inventory.batch_updates(batch, quantities)
            )
            if answer.too_large and len(batch) > 1:
                self.batch_limit = max(1, min(self.batch_limit, len(batch) // 2))
                pending.append(batch)  # sent again next, in smaller batches
                continue
            outcome.add(inventory.batch_outcome(batch, answer))
        return outcome

    # webhooks ------------------------------------------------------------------------------

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        """See webhooks.webhook_notice: the signature over the raw body, the unsigned ping."""
        return webhooks.webhook_notice(
            headers=headers, body=body, secret=self.credentials.get("webhook_secret", "")
        )
