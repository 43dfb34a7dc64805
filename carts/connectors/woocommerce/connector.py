"""WooCommerceConnector: orders by modification date, tracking and stock back to the store."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit

from carts.connectors.base import (
    FETCH_ORDERS,
    UPLOAD_INVENTORY,
    UPLOAD_SHIPMENT,
    WEBHOOKS,
    CartConnector,
)
from carts.connectors.registry import register
from carts.connectors.signatures import delivery_key, hmac_sha256_base64, signature_matches
from carts.connectors.woocommerce import mapping
from carts.connectors.woocommerce.client import (
    TRACKING_API,
    Reply,
    WooCommerceClient,
)
from carts.connectors.woocommerce.forms import WooCommerceSettingsForm
from integration_manager.connector_errors import AuthError, RecordError, TransientError
from integration_manager.http import remote_text
from integration_manager.records import (
    OrderPage,
    ShipmentRecord,
    StockLevel,
    UploadOrder,
    WebhookNotice,
)

logger = logging.getLogger(__name__)

ONE_SECOND = mapping.ONE_SECOND
TRACKING_NAMESPACE = "wc-shipment-tracking/v3"
# WooCommerce's first delivery to a new webhook: form-encoded, unsigned, no X-WC-* headers.
PING = re.compile(rb"webhook_id=(\d+)")
# Reading one crowded second again from the start is cheap; orders that keep changing under
# us for this long are better read by the next run.
MAX_RESTARTS = 5
# A GET /products?sku=a,b,… address stays well under the limits of common web servers.
MAX_SKU_QUERY = 1500


@dataclass(frozen=True)
class StockTarget:
    """Where a SKU's stock lives: a product, or a variation of it."""

    product_id: int
    variation_id: int | None = None

    @property
    def object_id(self) -> int:
        return self.variation_id or self.product_id


class SkuCache:
    """SKU -> product or variation, per connection, for a few hours.

    Resolving costs a request per ~50 SKUs and stock runs come every few minutes, so it is
    done once. A product deleted and made again shows up as an invalid id when its stock is
    written; that entry is then forgotten and looked up again.
    """

    def __init__(self, *, ttl: float, max_entries: int = 500_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[tuple[Any, ...], tuple[float, StockTarget]] = {}
        self._lock = threading.Lock()

    def get(self, scope: tuple[Any, ...], sku: str) -> StockTarget | None:
        with self._lock:
            entry = self._entries.get((*scope, sku))
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, scope: tuple[Any, ...], sku: str, target: StockTarget) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # crude, but a worker's memory stays bounded
            self._entries[(*scope, sku)] = (time.monotonic(), target)

    def forget(self, scope: tuple[Any, ...], sku: str) -> None:
        with self._lock:
            self._entries.pop((*scope, sku), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


SKU_CACHE = SkuCache(ttl=6 * 3600)


def _cursor(moment: datetime) -> str:
    return mapping.whole_second(moment).isoformat()


@register
class WooCommerceConnector(CartConnector):
    """Orders by modification date (GMT); tracking goes back as an order note or to the
    Shipment Tracking extension, with the order status; stock by product or variation.

    Downloads ask for orders modified after a moment, oldest change first, and start again
    from the newest change read after every page rather than asking for page 2: an order
    that changes while we read moves to the end of the list, so page numbers would shift and
    skip one. Only when a whole page shares one second (a bulk edit) are that second's orders
    listed by id, with an overlap of one order that shows when the list moved.
    """

    key = "woocommerce"
    label = "WooCommerce"
    description = (
        "WooCommerce REST API v3 with consumer key and secret. Orders by modification date, "
        "tracking as an order note or through the Shipment Tracking extension, stock by SKU."
    )
    capabilities = frozenset({FETCH_ORDERS, UPLOAD_SHIPMENT, UPLOAD_INVENTORY, WEBHOOKS})
    settings_form = WooCommerceSettingsForm
    # The consumer key travels beside the secret (in the query string on some hosts) and
    # WooCommerce itself never shows it again in full, so both are write-only.
    secret_fields = ("consumer_key", "consumer_secret", "webhook_secret")

    page_size: ClassVar[int] = 100  # WordPress's per_page maximum
    batch_size: ClassVar[int] = 100  # WooCommerce's default batch limit

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Lowered for the rest of this connector's life when the store answers 413.
        self.batch_limit = self.batch_size
        self._provider_list: Mapping[str, Any] | None = None

    # settings --------------------------------------------------------------------------

    @cached_property
    def client(self) -> WooCommerceClient:
        # Plain http is refused by the outbound guard (AddressRules: https only), except to
        # a network the operator allowed.
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
        return list(dict.fromkeys([*self._chosen(), *mapping.CANCELLATION_STATUSES]))

    @property
    def ship_status(self) -> str:
        return str(self.settings.get("ship_status", "completed") or "")

    @property
    def tracking_mode(self) -> str:
        return str(self.settings.get("shipment_tracking") or "auto")

    # test connection -------------------------------------------------------------------

    def test_connection(self) -> str:
        client = self.client
        namespaces = self._namespaces()
        probe = {
            # A moment in the future: a store that honours modified_after lists nothing.
            "modified_after": mapping.format_gmt(datetime.now(UTC) + timedelta(days=1)),
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
            "per_page": 1,
        }
        reply = client.request("GET", "/orders", params=probe, interpret=False)
        if (
            reply.status == 401
            and reply.code.startswith("woocommerce_rest_cannot_")
            and not client.query_string_auth
        ):
            retry = client.request(
                "GET", "/orders", params=probe, query_string_auth=True, interpret=False
            )
            if retry.ok:
                raise AuthError(
                    "The API keys are right, but the store's web server removes the "
                    "Authorization header before WooCommerce sees it. Turn on “Send the keys "
                    "in the query string” in the cart's settings and save (or ask the host to "
                    "pass the Authorization header to PHP)."
                )
        if self._orders_or_raise(client.interpret(reply)):
            raise AuthError(
                "This WooCommerce ignores the modified_after filter, so the hub would download "
                "every order again each time. Update WooCommerce to 5.8 or later."
            )
        # A read-only key is refused on any write; an empty batch writes nothing.
        self._check(client.post("/orders/batch", body={}), what="check write access")
        tracking_found = None if namespaces is None else TRACKING_NAMESPACE in namespaces
        if self.tracking_mode == "yes" and tracking_found is False:
            raise AuthError(self._no_tracking_extension())
        statuses = list(dict.fromkeys(self._chosen()))
        waiting = self._check(
            client.get("/orders", params={"status": ",".join(statuses), "per_page": 1}),
            what="count orders",
        ).headers.get("X-WP-Total", "0")
        if self.tracking_mode == "no" or tracking_found is False:
            tracking = "tracking numbers go into an order note"
        elif tracking_found:
            tracking = "the Shipment Tracking extension is installed and gets the tracking numbers"
        else:
            tracking = "tracking numbers go to the Shipment Tracking extension if it answers"
        return (
            f"Connected to WooCommerce at {urlsplit(self.base_url).hostname}: the API keys can "
            f"read and write. {waiting} orders wait with status {', '.join(statuses)}; "
            f"{tracking}."
        )

    def _namespaces(self) -> list[str] | None:
        """The REST namespaces the site lists (None when the index is locked down)."""
        index = self.client.request("GET", "/", api="/wp-json", authenticate=False, interpret=False)
        if index.status >= 500 or index.status == 429:
            self.client.interpret(index)
        if index.status in (401, 403):
            return None  # some security plugins hide the index; the orders call still tells
        if not index.ok or not isinstance(index.data, dict):
            raise AuthError(self.client.not_woocommerce())
        namespaces = [str(name) for name in index.data.get("namespaces") or []]
        if "wc/v3" not in namespaces:
            raise AuthError(
                f"WordPress answers at {self.base_url}, but WooCommerce's REST API (wc/v3) is "
                "not there. Check that WooCommerce (3.5 or later) is installed and active."
            )
        return namespaces

    def _check(self, reply: Reply, *, what: str) -> Reply:
        """Raise for a 4xx that a working connection should never get."""
        if reply.status == 404 and reply.code == "rest_no_route":
            raise AuthError(self.client.not_woocommerce())
        if not reply.ok:
            raise TransientError(
                f"WooCommerce refused to {what} (HTTP {reply.status}: "
                f"{reply.message or reply.detail}). The hub will try again."
            )
        return reply

    def _no_tracking_extension(self) -> str:
        return (
            "“Shipment Tracking extension” is set to Always, but the store does not have the "
            "extension's REST API (wc-shipment-tracking/v3). Install and activate Shipment "
            "Tracking in WooCommerce, or choose “Use it when the store has it”."
        )

    # orders ----------------------------------------------------------------------------

    def fetch_orders(self, cursor: str | None) -> Iterator[OrderPage]:
        after = mapping.whole_second(self.window_start(cursor))
        # The cursor never goes back, though each download re-reads an overlap before it.
        watermark = max(after, datetime.fromisoformat(cursor)) if cursor else after
        seen: dict[str, datetime | None] = {}  # order id -> modification already yielded
        while True:
            payloads = self._list_orders(
                {
                    "modified_after": mapping.format_gmt(after),
                    "dates_are_gmt": "true",
                    "orderby": "modified",
                    "order": "asc",
                    "per_page": self.page_size,
                    "page": 1,
                }
            )
            dates = self._modified_dates(payloads, after=after)
            if len(payloads) < self.page_size:  # the last page: everything after `after`
                watermark = max([watermark, *dates])
                yield self._page(payloads, seen, cursor=watermark)
                return
            last = dates[-1]
            if last - ONE_SECOND > after:
                # Everything before `last` is on this page; orders of the second `last` may
                # continue on the next one, so that second is asked for again.
                after = last - ONE_SECOND
                watermark = max(watermark, after)
                yield self._page(payloads, seen, cursor=watermark)
            else:
                # A whole page within one second (a bulk edit): list that second by id.
                if last <= after:
                    raise TransientError(
                        "WooCommerce listed orders without a usable modification date. The "
                        "hub will try again."
                    )
                yield self._page(payloads, seen, cursor=watermark)
                yield from self._orders_in_second(last, seen, cursor=watermark)
                # Not the watermark: the overlap before an incoming cursor is still to read.
                after = last
                watermark = max(watermark, last)
            seen = {key: value for key, value in seen.items() if value is None or value > after}

    def _orders_in_second(
        self, second: datetime, seen: dict[str, datetime | None], *, cursor: datetime
    ) -> Iterator[OrderPage]:
        """Every order modified in this second, by id. Each read after the first starts one
        order early: if that order is not the last one read, an order left or joined the list
        in front of us and positions moved, so the second is read again from the start (what
        was yielded already is not yielded twice)."""
        params: dict[str, Any] = {
            "modified_after": mapping.format_gmt(second - ONE_SECOND),
            "modified_before": mapping.format_gmt(second + ONE_SECOND),
            "dates_are_gmt": "true",
            "orderby": "id",
            "order": "asc",
            "per_page": self.page_size,
        }
        offset, previous, restarts = 0, "", 0
        while True:
            payloads = self._list_orders({**params, "offset": offset} if offset else params)
            fresh = payloads
            if previous:
                if not payloads or mapping.order_id_of(payloads[0]) != previous:
                    restarts += 1
                    if restarts > MAX_RESTARTS:
                        raise TransientError(
                            "WooCommerce orders kept changing while the hub read them. The hub "
                            "will try again."
                        )
                    offset, previous = 0, ""
                    continue
                fresh = payloads[1:]
            yield self._page(fresh, seen, cursor=cursor)
            if len(payloads) < self.page_size:
                return
            previous = mapping.order_id_of(payloads[-1])
            offset += len(payloads) - 1

    def _list_orders(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        reply = self.client.get(
            "/orders", params={**params, "status": ",".join(self.download_statuses)}
        )
        return self._orders_or_raise(reply)

    def _orders_or_raise(self, reply: Reply) -> list[dict[str, Any]]:
        if reply.status == 400:
            raise AuthError(
                f"WooCommerce refused the order query ({reply.message or reply.detail}). The "
                "hub needs WooCommerce 5.8 or later (modified_after, orderby=modified); if the "
                "message names a status, fix the statuses in the cart's settings."
            )
        reply = self._check(reply, what="list orders")
        if not isinstance(reply.data, list):
            raise TransientError(
                "WooCommerce answered the order list with something other than a list. The hub "
                "will try again."
            )
        return reply.data

    def _modified_dates(self, payloads: list[dict[str, Any]], *, after: datetime) -> list[datetime]:
        """The page's modification dates, checked: the restart logic relies on the store
        filtering and sorting by them."""
        dates = [mapping.modified_at(payload) or after for payload in payloads]
        if any(date < after for date in dates) or dates != sorted(dates):
            raise AuthError(
                "WooCommerce did not filter or sort orders by modification date (modified_after, "
                "orderby=modified, dates_are_gmt). Update WooCommerce to 5.8 or later, or "
                "disable the plugin that changes order queries."
            )
        return dates

    def _page(
        self,
        payloads: Sequence[dict[str, Any]],
        seen: dict[str, datetime | None],
        *,
        cursor: datetime,
    ) -> OrderPage:
        page = OrderPage(orders=[], cursor=_cursor(cursor))
        for payload in payloads:
            order_id = mapping.order_id_of(payload)
            modified = mapping.modified_at(payload)
            if order_id in seen and seen[order_id] == modified:
                continue  # read again at a page boundary: already in an earlier page
            seen[order_id] = modified
            try:
                page.orders.append(mapping.order_record(payload))
            except RecordError as error:
                logger.warning("WooCommerce order %s not normalised", order_id or "?")
                page.failures.append(error)
        return page

    # shipments -------------------------------------------------------------------------

    def upload_shipment(self, order: UploadOrder, shipment: ShipmentRecord) -> str:
        """Add the tracking (once: an earlier attempt's note or tracking is reused), then set
        the order status. Tracking goes first because the "completed order" e-mail carries the
        Shipment Tracking extension's tracking only if it is already on the order."""
        order_id = order.source_order_id
        status = self._order_status(order_id)
        if status in mapping.STOPPED_STATUSES:
            raise RecordError(
                f"WooCommerce order {order.order_number} is {status}, so the hub did not add "
                "the tracking or change its status. Check with the merchant whether it should "
                "have shipped.",
                record_ref=order_id,
            )
        shipment_id = self._existing_shipment(order_id, shipment) or self._add_shipment(
            order_id, shipment
        )
        if self.ship_status and status != self.ship_status:
            self._set_status(order_id, self.ship_status)
        return shipment_id

    def find_shipment(self, order: UploadOrder, shipment: ShipmentRecord) -> str | None:
        """The note or tracking of this shipment, if the whole upload happened: when the status
        was not set yet, None, so the hub uploads again (which reuses the note)."""
        try:
            status = self._order_status(order.source_order_id)
        except RecordError:
            return None  # the order is gone; the upload will say so
        found = self._existing_shipment(order.source_order_id, shipment)
        if (
            found
            and self.ship_status
            and status != self.ship_status
            and status not in mapping.STOPPED_STATUSES
        ):
            return None
        return found

    def _order_status(self, order_id: str) -> str:
        reply = self.client.get(f"/orders/{order_id}", params={"_fields": "id,status"})
        if reply.status == 404 and reply.code != "rest_no_route":
            raise RecordError(
                f"WooCommerce has no order {order_id} any more (deleted?). Check with the "
                "merchant; the shipment was not uploaded.",
                record_ref=order_id,
            )
        reply = self._check(reply, what=f"read order {order_id}")
        return str((reply.data or {}).get("status") or "")

    def _use_tracking(self, shipment: ShipmentRecord) -> bool:
        return self.tracking_mode != "no" and bool(shipment.tracking_number.strip())

    def _existing_shipment(self, order_id: str, shipment: ShipmentRecord) -> str | None:
        marker = mapping.shipment_marker(shipment)
        if not marker:
            return None
        if self._use_tracking(shipment):
            for item in _objects(self._trackings(order_id), what="the trackings"):
                if str(item.get("tracking_number") or "").strip() == marker:
                    return f"tracking:{item.get('tracking_id')}"
        # Notes too: an earlier attempt may have used a note (no extension then, other settings).
        reply = self.client.get(f"/orders/{order_id}/notes", params={"type": "any"})
        notes = self._record_reply(reply, order_id=order_id, what="read the notes")
        for note in _objects(notes, what="the order notes"):
            if mapping.mentions(str(note.get("note") or ""), marker):
                return f"note:{note.get('id')}"
        return None

    def _trackings(self, order_id: str) -> list[dict[str, Any]] | None:
        """The order's trackings, or None when the store has no Shipment Tracking extension."""
        reply = self.client.get(f"/orders/{order_id}/shipment-trackings", api=TRACKING_API)
        if reply.status == 404 and reply.code == "rest_no_route":
            if self.tracking_mode == "yes":
                raise AuthError(self._no_tracking_extension())
            return None
        data = self._record_reply(reply, order_id=order_id, what="read the trackings")
        return data if isinstance(data, list) else []

    def _add_shipment(self, order_id: str, shipment: ShipmentRecord) -> str:
        if self._use_tracking(shipment) and self._trackings(order_id) is not None:
            body = mapping.tracking_body(shipment, providers=self._providers(order_id))
            reply = self.client.post(
                f"/orders/{order_id}/shipment-trackings", body=body, api=TRACKING_API
            )
            data = self._record_reply(reply, order_id=order_id, what="add the tracking")
            return f"tracking:{data.get('tracking_id')}"
        body = {
            "note": mapping.tracking_note(shipment),
            "customer_note": bool(self.settings.get("notify_customer", True)),
        }
        reply = self.client.post(f"/orders/{order_id}/notes", body=body)
        data = self._record_reply(reply, order_id=order_id, what="add the tracking note")
        if not isinstance(data, dict):
            raise TransientError(
                "WooCommerce answered the new note with something else. The hub checks the "
                "order before it tries again."
            )
        return f"note:{data.get('id')}"

    def _providers(self, order_id: str) -> Mapping[str, Any]:
        """The extension's carriers, read once per connector: {country: {name: link}}."""
        if self._provider_list is None:
            reply = self.client.get(
                f"/orders/{order_id}/shipment-trackings/providers", api=TRACKING_API
            )
            # Without the list every carrier goes as a custom provider, which still works.
            self._provider_list = reply.data if reply.ok and isinstance(reply.data, dict) else {}
        return self._provider_list

    def _set_status(self, order_id: str, status: str) -> None:
        reply = self.client.put(f"/orders/{order_id}", body={"status": status})
        if reply.status == 400 and reply.code == "rest_invalid_param":
            raise AuthError(
                f"WooCommerce has no order status “{status}”. Fix “Status after shipping” in "
                "the cart's settings: completed, or the slug of a status a plugin adds."
            )
        self._record_reply(reply, order_id=order_id, what=f"set the status to {status}")

    def _record_reply(self, reply: Reply, *, order_id: str, what: str) -> Any:
        """A reply about one order: a 4xx is that order's problem (RecordError)."""
        if reply.status == 404 and reply.code == "rest_no_route":
            raise AuthError(self.client.not_woocommerce())
        if reply.status == 404:
            raise RecordError(
                f"WooCommerce has no order {order_id} any more (deleted?), so the hub could not "
                f"{what}. Check with the merchant.",
                record_ref=order_id,
            )
        if not reply.ok:
            raise RecordError(
                f"WooCommerce refused to {what} for order {order_id}: "
                f"{reply.message or reply.detail or f'HTTP {reply.status}'}",
                record_ref=order_id,
            )
        return reply.data if reply.data is not None else {}

    # inventory -------------------------------------------------------------------------

    def upload_inventory(self, levels: Sequence[StockLevel]) -> list[RecordError]:
        """Set stock_quantity per SKU through the batch endpoints, at most batch_size objects a
        call; return a RecordError (record_ref = SKU) for each SKU the store refused."""
        quantities = mapping.stock_quantities(levels)
        if not quantities:
            return []
        targets, failures = self._targets(list(quantities))
        stale, refused = self._write_stock(targets, quantities)
        if stale:
            # Products deleted and made again since the SKUs were cached: look them up again.
            for sku in stale:
                SKU_CACHE.forget(self._scope, sku)
            retargets, missing = self._targets(stale)
            failures += missing
            still_stale, refused_again = self._write_stock(retargets, quantities)
            refused += refused_again
            failures += [
                RecordError(
                    f"WooCommerce refused the stock for SKU {sku}: its product id is not valid. "
                    "The hub will look it up again next time.",
                    record_ref=sku,
                )
                for sku in still_stale
            ]
        return failures + refused

    @property
    def _scope(self) -> tuple[Any, ...]:
        return (self.context.connection_id, self.base_url)

    def _targets(self, skus: Sequence[str]) -> tuple[dict[str, StockTarget], list[RecordError]]:
        targets: dict[str, StockTarget] = {}
        unknown: list[str] = []
        for sku in skus:
            cached = SKU_CACHE.get(self._scope, sku)
            if cached is None:
                unknown.append(sku)
            else:
                targets[sku] = cached
        failures: list[RecordError] = []
        for group in self._sku_groups(unknown):
            found, refused = self._look_up(group)
            failures += refused
            for sku in group:
                if sku in found:
                    targets[sku] = found[sku]
                    SKU_CACHE.put(self._scope, sku, found[sku])
                elif not any(error.record_ref == sku for error in refused):
                    failures.append(
                        RecordError(
                            f"WooCommerce has no product or variation with SKU {sku}. Give the "
                            "product that SKU in WooCommerce (Inventory tab), or map the SKU to "
                            "the store's SKU in the hub.",
                            record_ref=sku,
                        )
                    )
        return targets, failures

    @staticmethod
    def _sku_groups(skus: Sequence[str]) -> Iterator[list[str]]:
        """SKUs for one GET /products?sku=a,b,…; a SKU with a comma goes alone, as WooCommerce
        splits the parameter on commas (and also tries the whole value)."""
        group: list[str] = []
        length = 0
        for sku in skus:
            if "," in sku:
                yield [sku]
                continue
            if group and (length + len(sku) + 1 > MAX_SKU_QUERY or len(group) >= 50):
                yield group
                group, length = [], 0
            group.append(sku)
            length += len(sku) + 1
        if group:
            yield group

    def _look_up(self, skus: list[str]) -> tuple[dict[str, StockTarget], list[RecordError]]:
        # The sku filter searches variations too, which come back with type "variation".
        reply = self.client.get(
            "/products",
            params={"sku": ",".join(skus), "per_page": 100, "_fields": "id,sku,type,parent_id"},
        )
        products = self._check(reply, what="look up products by SKU").data
        if not isinstance(products, list):
            raise TransientError("WooCommerce answered the product search with something else.")
        exact = {str(product.get("sku") or ""): product for product in products}
        folded = {key.casefold(): product for key, product in exact.items()}  # MySQL ignores case
        found: dict[str, StockTarget] = {}
        refused: list[RecordError] = []
        for sku in skus:
            product = exact.get(sku) or folded.get(sku.casefold())
            if product is None:
                continue
            kind = str(product.get("type") or "simple")
            if kind == "variation" and int(product.get("parent_id") or 0):
                found[sku] = StockTarget(int(product["parent_id"]), int(product["id"]))
            elif kind in ("grouped", "external"):
                refused.append(
                    RecordError(
                        f"SKU {sku} is a {kind} product in WooCommerce, which has no stock of "
                        "its own. Put the SKU on the product that is shipped.",
                        record_ref=sku,
                    )
                )
            else:
                found[sku] = StockTarget(int(product["id"]))
        return found, refused

    def _write_stock(
        self, targets: Mapping[str, StockTarget], quantities: Mapping[str, int]
    ) -> tuple[list[str], list[RecordError]]:
        """Send the batches; return (SKUs whose cached id the store no longer knows, refusals)."""
        by_path: dict[str, list[tuple[str, StockTarget]]] = {}
        for sku, target in targets.items():
            path = (
                f"/products/{target.product_id}/variations/batch"
                if target.variation_id
                else "/products/batch"
            )
            by_path.setdefault(path, []).append((sku, target))
        stale: list[str] = []
        refused: list[RecordError] = []
        for path, items in by_path.items():
            stale_part, refused_part = self._send_batches(path, items, quantities)
            stale += stale_part
            refused += refused_part
        return stale, refused

    def _send_batches(
        self,
        path: str,
        items: Sequence[tuple[str, StockTarget]],
        quantities: Mapping[str, int],
    ) -> tuple[list[str], list[RecordError]]:
        stale: list[str] = []
        refused: list[RecordError] = []
        start = 0
        while start < len(items):
            chunk = items[start : start + self.batch_limit]  # batch_limit may drop meanwhile
            stale_part, refused_part = self._send_batch(path, chunk, quantities)
            stale += stale_part
            refused += refused_part
            start += len(chunk)
        return stale, refused

    def _send_batch(
        self,
        path: str,
        items: Sequence[tuple[str, StockTarget]],
        quantities: Mapping[str, int],
    ) -> tuple[list[str], list[RecordError]]:
        body = {
            "update": [
                mapping.stock_update(target.object_id, quantities[sku]) for sku, target in items
            ]
        }
        reply = self.client.post(path, body=body)
        if reply.status == 413 and len(items) > 1:
            # The store lowered woocommerce_rest_batch_items_limit: halve until it fits, and
            # keep the size for the rest of this upload.
            self.batch_limit = max(1, min(self.batch_limit, len(items) // 2))
            return self._send_batches(path, items, quantities)
        if reply.status == 404 and reply.code != "rest_no_route" and "variations" in path:
            return [sku for sku, _ in items], []  # the parent product is gone
        if reply.status == 404 and reply.code == "rest_no_route":
            raise AuthError(self.client.not_woocommerce())
        if not reply.ok:
            return [], [
                RecordError(
                    f"WooCommerce refused the stock update for SKU {sku}: "
                    f"{reply.message or reply.detail or f'HTTP {reply.status}'}",
                    record_ref=sku,
                )
                for sku, _ in items
            ]
        answers = {
            int(entry.get("id") or 0): entry
            for entry in (reply.data or {}).get("update") or []
            if isinstance(entry, dict)
        }
        stale: list[str] = []
        refused: list[RecordError] = []
        for sku, target in items:
            answer = answers.get(target.object_id)
            error = answer.get("error") if answer else None
            if answer is None:
                refused.append(
                    RecordError(
                        f"WooCommerce did not confirm the stock of SKU {sku}. The hub will send "
                        "it again next time.",
                        record_ref=sku,
                    )
                )
            elif isinstance(error, dict) and "invalid_id" in str(error.get("code") or ""):
                stale.append(sku)
            elif error:
                message = error.get("message") if isinstance(error, dict) else error
                refused.append(
                    RecordError(
                        f"WooCommerce refused the stock of SKU {sku}: {remote_text(message)}",
                        record_ref=sku,
                    )
                )
        return stale, refused

    # webhooks --------------------------------------------------------------------------

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        """Verify X-WC-Webhook-Signature (base64 HMAC-SHA256 of the raw body with the webhook's
        secret) and name the order.

        WooCommerce's first delivery to a new webhook is an unsigned ping, body webhook_id=N.
        It is answered as harmless (topic "ping", no orders) because WooCommerce shows an error
        on the webhook unless it gets a 200; a forged ping can only cause nothing.

        The Delivery-ID header is a hash of the webhook id and the current second (two
        deliveries in one second share it) and is not signed: a delivery is known by a digest
        of its signed body instead, which names the order and its modification date.
        """
        signature = headers.get("x-wc-webhook-signature", "").strip()
        if not signature:
            ping = PING.fullmatch(body.strip())
            if ping and not headers.get("x-wc-webhook-topic"):
                return WebhookNotice(delivery_id=f"ping:{ping.group(1).decode()}", topic="ping")
            raise AuthError(
                "A request reached the WooCommerce webhook address without an "
                "X-WC-Webhook-Signature header, so it was refused. Deliveries from WooCommerce "
                "always carry one; if they do not, check for a proxy that removes headers."
            )
        secret = self.credentials.get("webhook_secret", "")
        if not secret:
            raise AuthError(
                "WooCommerce sent a signed webhook, but the hub has no webhook secret for this "
                "cart. Paste the webhook's Secret (WooCommerce > Settings > Advanced > "
                "Webhooks) into the cart's settings."
            )
        if not signature_matches(hmac_sha256_base64(secret, body), signature):
            raise AuthError(
                "A WooCommerce webhook's signature does not match. Make the Secret of the "
                "webhook in WooCommerce and the webhook secret in the cart's settings the same "
                "(letters and digits only: WordPress decodes HTML entities in it)."
            )
        topic = headers.get("x-wc-webhook-topic", "")
        header_id = headers.get("x-wc-webhook-delivery-id", "")
        try:
            payload = json.loads(body)
        except ValueError:
            raise RecordError(
                "A WooCommerce webhook (correctly signed) had a body that is not JSON; it was "
                "ignored. The scheduled download still picks up the order.",
                record_ref=header_id or "webhook",
            ) from None
        order_id = mapping.order_id_of(payload) if topic.startswith("order.") else ""
        return WebhookNotice(
            # The signature covers the body, which names the order and its change time.
            delivery_id=delivery_key(body),
            topic=topic,
            source_order_ids=(order_id,) if order_id else (),
        )


def _objects(data: Any, *, what: str) -> list[dict[str, Any]]:
    """A list of JSON objects as WooCommerce sends them, or a TransientError saying the shape
    was wrong (a plugin printing into the answer, a proxy page): never a crash."""
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise TransientError(
            f"WooCommerce sent {what} in an unexpected shape. The hub will try again."
        )
    return data
