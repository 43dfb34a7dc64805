"""The BigCommerce cart: v2 orders and shipments, v3 catalog lookups and inventory."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
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
from carts.connectors.bigcommerce import mapping
from carts.connectors.bigcommerce.client import PAGE_LIMIT, BigCommerceClient
from carts.connectors.bigcommerce.forms import DEFAULT_BASE_URL, BigCommerceSettingsForm
from carts.connectors.registry import register
from carts.connectors.signatures import delivery_key, hmac_sha256_base64, signature_matches
from integration_manager.connector_errors import AuthError, ConnectorError, RecordError
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

ADJUSTMENT_LIMIT = 2000  # items per PUT /v3/inventory/adjustments/absolute
ADJUSTMENT_REASON = "Stock level from the warehouse (integration hub)"
# Standard Webhooks' default tolerance: an older delivery may be a replay.
WEBHOOK_TOLERANCE = 5 * 60
# Above this many unknown SKUs, reading the whole variant list can be cheaper than one
# lookup per SKU; the first page's total says whether it is.
BULK_LOOKUP_THRESHOLD = 50
VARIANT_CACHE_SECONDS = 3600
TRACKED_BY_PRODUCT = re.compile(r"variant_id (\d+) is tracked by product")


@dataclass(frozen=True)
class VariantRef:
    """How BigCommerce's inventory API names one SKU."""

    variant_id: int
    product_id: int
    by_product: bool = False  # stock tracked on the product, not the variant

    def item(self, *, location_id: int, quantity: int) -> dict[str, int]:
        key = (
            ("product_id", self.product_id) if self.by_product else ("variant_id", self.variant_id)
        )
        return {"location_id": location_id, key[0]: key[1], "quantity": quantity}


class VariantCache:
    """SKU → variant per store, shared by the connections of one worker process.

    Inventory runs every few minutes with the same SKUs; looking each up every time would
    spend the store's API quota (shared with every other app) on answers that rarely change.
    Entries expire, and a SKU BigCommerce refuses is forgotten at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stores: dict[tuple[str, str], dict[str, tuple[VariantRef, float]]] = {}

    def get(self, store: tuple[str, str], skus: Sequence[str]) -> dict[str, VariantRef]:
        now = time.monotonic()
        with self._lock:
            known = self._stores.get(store, {})
            return {
                sku: known[sku][0]
                for sku in skus
                if sku in known and now - known[sku][1] < VARIANT_CACHE_SECONDS
            }

    def put(self, store: tuple[str, str], refs: Mapping[str, VariantRef]) -> None:
        now = time.monotonic()
        with self._lock:
            known = self._stores.setdefault(store, {})
            known.update({sku: (ref, now) for sku, ref in refs.items()})

    def forget(self, store: tuple[str, str], skus: Sequence[str]) -> None:
        with self._lock:
            known = self._stores.get(store, {})
            for sku in skus:
                known.pop(sku, None)

    def clear(self) -> None:
        with self._lock:
            self._stores.clear()


VARIANTS = VariantCache()


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
    page_size = PAGE_LIMIT

    # settings ----------------------------------------------------------------------------

    @property
    def store_hash(self) -> str:
        return str(self.settings.get("store_hash") or "").strip()

    @property
    def download_statuses(self) -> frozenset[int]:
        chosen = self.settings.get("download_statuses") or mapping.DEFAULT_DOWNLOAD_STATUSES
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
        counts = self.client.order_counts()
        self.client.variants(page=1, limit=1)
        self.client.location_items(self.location_id)
        waiting = sum(
            int(status.get("count") or 0)
            for status in counts.get("statuses") or []
            if int(status.get("id", -1)) in self.download_statuses
        )
        names = ", ".join(
            mapping.STATUS_NAMES.get(status, str(status))
            for status in sorted(self.download_statuses)
        )
        return (
            f"Connected to BigCommerce store {self.store_hash}: {waiting} orders to download "
            f"({names}) of {int(counts.get('count') or 0)} in the store; products and "
            f"inventory location {self.location_id} can be read. Shipments need the “Orders: "
            "modify” scope and stock levels “Store Inventory: modify”, which can only be "
            "checked by writing."
        )

    # orders ------------------------------------------------------------------------------

    def fetch_orders(self, cursor: str | None) -> Iterator[OrderPage]:
        """Pages of orders changed since the cursor; the cursor is the newest date_modified
        read (UTC, ISO-8601), never earlier than the one given."""
        window_start = self.window_start(cursor).astimezone(UTC)
        # A fixed end makes the download finish; later changes are the next run's (its
        # window starts before this cursor, so nothing falls between).
        window_end = datetime.now(UTC)
        newest = _aware(datetime.fromisoformat(cursor)) if cursor else None
        seen: dict[str, Any] = {}  # order id -> the date_modified already handled
        since, page = window_start, 1
        yielded = False
        while True:
            payloads = self.client.orders(
                min_date_modified=since,
                max_date_modified=window_end,
                page=page,
                limit=self.page_size,
            )
            fresh = [
                payload
                for payload in payloads
                if seen.get(str(payload.get("id"))) != payload.get("date_modified")
            ]
            if fresh:
                orders, failures, newest = self._read_page(fresh, seen=seen, newest=newest)
                yielded = True
                yield OrderPage(
                    orders=orders,
                    failures=failures,
                    cursor=newest.isoformat() if newest else cursor,
                )
            if len(payloads) < self.page_size:
                break  # the end of the window (204 or a short page)
            last = _modified_or_none(payloads[-1])
            if last is not None and last > since:
                since, page = last, 1
            else:
                # A full page changed within one second: step through that second by page.
                page += 1
        if not yielded:
            yield OrderPage(orders=[], cursor=cursor)

    def _read_page(
        self,
        payloads: Sequence[Mapping[str, Any]],
        *,
        seen: dict[str, Any],
        newest: datetime | None,
    ) -> tuple[list[OrderRecord], list[RecordError], datetime | None]:
        orders: list[OrderRecord] = []
        failures: list[RecordError] = []
        for payload in payloads:
            order_id = str(payload.get("id", ""))
            seen[order_id] = payload.get("date_modified")
            changed = _modified_or_none(payload)
            if changed is None:
                failures.append(
                    RecordError(
                        f"Order {order_id} has an unreadable date_modified; check it in "
                        "BigCommerce.",
                        record_ref=order_id,
                    )
                )
                continue
            newest = changed if newest is None else max(newest, changed)
            if not self._wanted(payload):
                continue
            try:
                record = mapping.order_record(
                    payload,
                    products=self.client.order_products(order_id),
                    shipping_addresses=self.client.order_shipping_addresses(order_id),
                )
            except RecordError as error:
                failures.append(error)
                continue
            if record is not None:
                orders.append(record)
        return orders, failures, newest

    def _wanted(self, payload: Mapping[str, Any]) -> bool:
        try:
            status_id = int(payload.get("status_id", -1))
        except (TypeError, ValueError):
            return True  # let normalisation report the order as unreadable
        return status_id in self.download_statuses or status_id == mapping.CANCELLED

    # shipments ---------------------------------------------------------------------------

    def upload_shipment(self, order: UploadOrder, shipment: ShipmentRecord) -> str:
        order_id = order.source_order_id
        # Fresh products: what is left to ship changes with every shipment, so the copy
        # stored at download time would let BigCommerce refuse a second partial shipment.
        products = self.client.order_products(order_id)
        body = mapping.shipment_body(order=order, shipment=shipment, products=products)
        created = self.client.create_shipment(order_id, body)
        shipment_id = str(created["id"])
        if self.status_after_shipment is not None:
            self._move_on_when_shipped(order_id)
        return shipment_id

    def _move_on_when_shipped(self, order_id: str) -> None:
        """Set the chosen status once BigCommerce has marked the order Shipped."""
        try:
            status_id = int(self.client.order(order_id).get("status_id", -1))
            if status_id == mapping.SHIPPED and status_id != self.status_after_shipment:
                self.client.set_order_status(order_id, self.status_after_shipment)
        except ConnectorError as error:
            # The shipment exists: failing the upload now would make the hub send it again.
            # The status is a courtesy the merchant can set by hand.
            logger.warning(
                "BigCommerce order %s shipped, but its status could not be set: %s",
                order_id,
                error,
            )

    def find_shipment(self, order: UploadOrder, shipment: ShipmentRecord) -> str | None:
        return mapping.matching_shipment(
            self.client.order_shipments(order.source_order_id), shipment=shipment
        )

    # inventory ---------------------------------------------------------------------------

    def upload_inventory(self, levels: Sequence[StockLevel]) -> list[RecordError]:
        failures: list[RecordError] = []
        quantities: dict[str, int] = {}
        for level in levels:
            sku = level.sku.strip()
            if not sku:
                failures.append(
                    RecordError("A stock level without a SKU cannot be sent.", record_ref="")
                )
                continue
            # BigCommerce refuses negative stock; a warehouse's oversold count means none left.
            quantities[sku] = max(0, int(level.available))
        refs = self._variants(list(quantities))
        for sku in quantities:
            if sku not in refs:
                failures.append(
                    RecordError(
                        f"BigCommerce has no product or variant with SKU {sku}. Add the SKU in "
                        "BigCommerce, or filter it out of this cart's inventory.",
                        record_ref=sku,
                    )
                )
        batch: list[tuple[str, int]] = [
            (sku, qty) for sku, qty in quantities.items() if sku in refs
        ]
        for start in range(0, len(batch), ADJUSTMENT_LIMIT):
            failures.extend(self._adjust(batch[start : start + ADJUSTMENT_LIMIT], refs))
        return failures

    @property
    def _store(self) -> tuple[str, str]:
        return (self.base_url, self.store_hash)

    def _variants(self, skus: Sequence[str]) -> dict[str, VariantRef]:
        refs = VARIANTS.get(self._store, skus)
        unknown = [sku for sku in skus if sku not in refs]
        if len(unknown) > BULK_LOOKUP_THRESHOLD:
            found = self._all_variants(wanted=len(unknown))
            VARIANTS.put(self._store, found)
            refs.update({sku: found[sku] for sku in unknown if sku in found})
            unknown = [sku for sku in unknown if sku not in found]
        for sku in unknown:
            data, _ = self.client.variants(sku=sku)
            match = [variant for variant in data if variant.get("sku") == sku] or [
                variant for variant in data if str(variant.get("sku", "")).lower() == sku.lower()
            ]
            if match:
                ref = _variant_ref(match[0])
                VARIANTS.put(self._store, {sku: ref})
                refs[sku] = ref
        return refs

    def _all_variants(self, *, wanted: int) -> dict[str, VariantRef]:
        """Every variant of the store, when that takes fewer calls than `wanted` lookups."""
        found: dict[str, VariantRef] = {}
        page, total_pages = 1, 1
        while page <= total_pages:
            data, total_pages = self.client.variants(page=page)
            if total_pages >= wanted:
                return found  # a big catalogue: one lookup per SKU is cheaper
            found.update({str(variant["sku"]): _variant_ref(variant) for variant in data})
            page += 1
        return found

    def _adjust(
        self, batch: Sequence[tuple[str, int]], refs: dict[str, VariantRef]
    ) -> list[RecordError]:
        """Send one batch; on a refusal, fix what can be fixed and isolate what cannot."""
        items = [refs[sku].item(location_id=self.location_id, quantity=qty) for sku, qty in batch]
        problem = self.client.absolute_adjustment(items=items, reason=ADJUSTMENT_REASON)
        if problem is None:
            return []
        title = str(problem.get("title") or problem)
        # "Item with variant_id 106 is tracked by product, please update stock by product id"
        switched = {
            sku: VariantRef(ref.variant_id, ref.product_id, by_product=True)
            for sku, ref in refs.items()
            if not ref.by_product and str(ref.variant_id) in TRACKED_BY_PRODUCT.findall(title)
        }
        switched = {sku: ref for sku, ref in switched.items() if sku in dict(batch)}
        if switched:
            refs.update(switched)
            VARIANTS.put(self._store, switched)
            return self._adjust(batch, refs)
        if len(batch) == 1:
            sku = batch[0][0]
            VARIANTS.forget(self._store, [sku])  # looked up afresh next time
            return [
                RecordError(
                    f"BigCommerce refused the stock level for SKU {sku}: {title}",
                    record_ref=sku,
                )
            ]
        # Absolute adjustments are all-or-nothing and the problem need not say which item
        # failed: halve the batch until the refused items stand alone (the rest is saved).
        middle = len(batch) // 2
        return self._adjust(batch[:middle], refs) + self._adjust(batch[middle:], refs)

    # webhooks ----------------------------------------------------------------------------

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        """Verify a Standard Webhooks signature (webhook-id, webhook-timestamp,
        webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>", keyed with the API
        account's client secret) and name the order the thin payload points at."""
        secret = self.credentials.get("client_secret") or ""
        if not secret:
            raise AuthError(
                "A BigCommerce webhook arrived, but the cart has no client secret to check it "
                "with. Paste the API account's client secret in the cart's settings."
            )
        delivery_id = headers.get("webhook-id", "")
        timestamp = headers.get("webhook-timestamp", "")
        signatures = headers.get("webhook-signature", "")
        if not (delivery_id and timestamp and signatures):
            raise AuthError("A BigCommerce webhook arrived without its signature headers.")
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise AuthError("A BigCommerce webhook arrived with an unreadable timestamp.") from None
        if abs(time.time() - sent_at) > WEBHOOK_TOLERANCE:
            raise AuthError(
                "A BigCommerce webhook arrived with a timestamp more than 5 minutes off; it "
                "was refused as a possible replay. Check this server's clock."
            )
        signed = (
            delivery_id.encode("utf-8", "surrogateescape") + b"." + timestamp.encode() + b"." + body
        )
        expected = hmac_sha256_base64(secret, signed)
        # The header may carry several space-separated "v1,<signature>" (key rotation).
        offered = [
            candidate.split(",", 1)[1]
            for candidate in signatures.split()
            if candidate.startswith("v1,")
        ]
        if not any(signature_matches(expected, candidate) for candidate in offered):
            raise AuthError(
                "A BigCommerce webhook's signature does not match the client secret. Check "
                "that the cart's client secret belongs to the API account that made the hook."
            )
        try:
            payload = json.loads(body)
            scope = str(payload["scope"])
            data = payload.get("data") or {}
            if not isinstance(data, dict):
                raise TypeError("data is not an object")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise RecordError(
                "A BigCommerce webhook had an unreadable body.", record_ref=delivery_id
            ) from None
        producer = str(payload.get("producer") or "")
        if producer and producer != f"stores/{self.store_hash}":
            raise RecordError(
                f"A BigCommerce webhook came from {producer}, not this cart's store.",
                record_ref=delivery_id,
            )
        # Order hooks name the order; shipment hooks name it as orderId.
        order_id = data.get("id") if data.get("type") == "order" else data.get("orderId")
        return WebhookNotice(
            delivery_id=delivery_key(signed),
            topic=scope,
            source_order_ids=(str(order_id),) if order_id not in (None, "") else (),
        )


def _modified_or_none(payload: Mapping[str, Any]) -> datetime | None:
    try:
        return mapping.modified_at(payload)
    except ValueError:
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _variant_ref(variant: Mapping[str, Any]) -> VariantRef:
    return VariantRef(variant_id=int(variant["id"]), product_id=int(variant["product_id"]))
