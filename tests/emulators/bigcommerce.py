"""An emulator of BigCommerce's v2 orders and v3 catalog and inventory APIs, on 127.0.0.1."""

from __future__ import annotations

import base64
import bisect
import email.utils
import hashlib
import hmac
import json
import random
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import requests

from tests.emulators.base import Emulator, Fault, Request, Response, route

DEFAULT_STORE_HASH = "emu4bc7x"
DEFAULT_ACCESS_TOKEN = "bc-emulator-access-token-0001"
DEFAULT_CLIENT_SECRET = "bc-emulator-client-secret-0001"
# OAuth scope parameters as BigCommerce names them; "modify" includes "read-only".
ORDERS_MODIFY = "store_v2_orders"
ORDERS_READ = "store_v2_orders_read_only"
PRODUCTS_MODIFY = "store_v2_products"
PRODUCTS_READ = "store_v2_products_read_only"
INVENTORY_MODIFY = "store_inventory"
INVENTORY_READ = "store_inventory_read_only"
ALL_SCOPES = frozenset({ORDERS_MODIFY, PRODUCTS_MODIFY, INVENTORY_MODIFY})

STATUS_NAMES = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}
SHIPPING_PROVIDERS = {
    "",
    "auspost",
    "canadapost",
    "endicia",
    "usps",
    "fedex",
    "ups",
    "upsready",
    "upsonline",
    "shipperhq",
    "royalmail",
}
PROVIDER_NAMES = {"ups": "UPS", "usps": "USPS", "fedex": "FedEx", "royalmail": "Royal Mail"}
ADJUSTMENT_LIMIT = 2000
PAGE_MAX = 250
PROBLEM_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
FOUR = Decimal("0.0001")
CENT = Decimal("0.01")

_STORE_PATH = re.compile(r"^/stores/(?P<store_hash>[^/]+)/(?P<version>v2|v3)(?P<rest>/.*)?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")

# Synthetic orders draw from this small catalogue (our own data, shaped like BigCommerce's).
CATALOGUE = (
    ("TRL-MUG-12", "Trailhead enamel mug", "14.5000"),
    ("TRL-TEE-M", "Trailhead tee, medium", "22.0000"),
    ("TRL-TEE-L", "Trailhead tee, large", "22.0000"),
    ("TRL-CAP", "Canvas cap", "18.7500"),
    ("TRL-BTL-750", "Steel bottle 750 ml", "27.9900"),
    ("TRL-SOCK-3", "Wool socks, 3 pairs", "16.0000"),
    ("TRL-MAP-NW", "Folded map, north-west", "9.2500"),
    ("TRL-LAMP", "Camp lamp", "34.0000"),
)
FIRST_NAMES = ("Ada", "Bram", "Cleo", "Dev", "Edda", "Finn", "Gus", "Hana", "Ivo", "Juno")
LAST_NAMES = ("Okafor", "Lindqvist", "Moreau", "Tanaka", "Byrne", "Costa", "Novak", "Reyes")
CITIES = (
    ("Portland", "Oregon", "97205"),
    ("Boise", "Idaho", "83702"),
    ("Tacoma", "Washington", "98402"),
    ("Eugene", "Oregon", "97401"),
)


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(FOUR, rounding=ROUND_HALF_UP))


def _rfc2822(epoch: int) -> str:
    return email.utils.format_datetime(datetime.fromtimestamp(epoch, UTC))


def _epoch(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _v2_error(status: int, message: str) -> Response:
    return Response(status, [{"status": status, "message": message}])


def _v3_problem(status: int, title: str, errors: Mapping[str, str] | None = None) -> Response:
    return Response(
        status,
        {"status": status, "title": title, "type": PROBLEM_TYPE, "errors": dict(errors or {})},
        {"Content-Type": "application/problem+json"},
    )


class _Refused(Exception):
    """What the real API answers a request it refuses, raised from a handler's checks so
    each check stays one line; _answer sends it. Nothing is changed before it is raised."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _v2_refusal(message: str, status: int = 400) -> _Refused:
    return _Refused(_v2_error(status, message))


def _v3_refusal(title: str, errors: Mapping[str, str] | None = None) -> _Refused:
    return _Refused(_v3_problem(422, title, errors))


def _v2_object(request: Request) -> dict[str, Any]:
    """A v2 request's JSON object body."""
    try:
        body = request.json()
    except ValueError:
        raise _v2_refusal("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _v2_refusal("The request body must be an object.")
    return body


def _shipment_address_index(addresses: Sequence[Mapping[str, Any]], body: Mapping[str, Any]) -> int:
    """Which of the order's addresses a shipment body names (order_address_id is required)."""
    address_id = body.get("order_address_id")
    if address_id is None:
        raise _v2_refusal("The required field 'order_address_id' was not supplied.")
    index = next((i for i, entry in enumerate(addresses) if entry["id"] == address_id), None)
    if index is None or isinstance(address_id, bool):
        raise _v2_refusal("The field 'order_address_id' is not a shipping address of this order.")
    return index


def _check_shipment_fields(body: Mapping[str, Any]) -> None:
    """items (required), tracking_number and shipping_provider as orderShipment_Post has them."""
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise _v2_refusal("The required field 'items' was not supplied.")
    tracking_number = body.get("tracking_number", "")
    if not isinstance(tracking_number, str) or len(tracking_number) > 50:
        raise _v2_refusal("The field 'tracking_number' must be a string of at most 50 characters.")
    provider = body.get("shipping_provider", "")
    if not isinstance(provider, str) or (
        provider not in SHIPPING_PROVIDERS and not re.fullmatch(r"carrier_\d+", provider)
    ):
        raise _v2_refusal("The field 'shipping_provider' is invalid.")


def _shipment_item(item: Any) -> tuple[int, int]:
    """(order_product_id, quantity) of one shipment item."""
    if not isinstance(item, dict):
        raise _v2_refusal("Each item needs order_product_id and quantity.")
    product_id, quantity = item.get("order_product_id"), item.get("quantity")
    if not isinstance(product_id, int) or not isinstance(quantity, int) or quantity < 1:
        raise _v2_refusal("Each item needs order_product_id and quantity.")
    return product_id, quantity


@dataclass(slots=True)
class EmulatedLine:
    """An order product; discount is for the whole line, taken off before tax."""

    id: int
    product_id: int
    variant_id: int
    sku: str
    name: str
    quantity: int
    price: Decimal
    discount: Decimal = Decimal(0)
    coupon_code: str = ""
    type: str = "physical"
    options: tuple[tuple[str, str], ...] = ()
    parent_id: int | None = None
    address_index: int = 0
    shipped: int = 0


@dataclass(slots=True)
class EmulatedOrder:
    """An order's state; lines and addresses of a synthetic order are made from its id on
    demand (None here) until something changes them, so 100,000 orders stay small."""

    id: int
    status_id: int
    created: int
    modified: int
    lines: list[EmulatedLine] | None = None
    addresses: list[dict[str, Any]] | None = None
    billing: dict[str, Any] | None = None
    shipping_method: str = "Flat Rate"
    shipping_cost: Decimal = Decimal("7.5000")
    handling_cost: Decimal = Decimal(0)
    order_discount: Decimal = Decimal(0)
    tax_rate: Decimal = Decimal("0.0800")
    customer_message: str = ""
    currency: str = "USD"
    date_shipped: int | None = None


@dataclass
class _PendingChange:
    list_calls_left: int
    order_ids: list[int] = field(default_factory=list)


class BigCommerceEmulator(Emulator):
    """BigCommerce on loopback, following the vendor's OpenAPI files (tests/contracts/).

    Serves, under /stores/{store_hash}/: v2 orders (min/max_date_modified, status_id,
    sort, page, limit ≤ 250, 204 on an empty page), /orders/count, /orders/{id} (GET, PUT
    status_id), /orders/{id}/products, /orders/{id}/shipping_addresses (also spelled
    shippingaddresses, as the order's link has it), /orders/{id}/shipments (GET; POST
    checks order_address_id, items and the quantities left); v3 /catalog/variants (sku,
    include_fields, page, limit), /inventory/locations/{id}/items and PUT
    /inventory/adjustments/absolute (≤ 2,000 items, all or nothing). X-Auth-Token is
    required (401), an unknown store hash is a 404, a token without the scope a 403.
    Every answer carries X-Rate-Limit-Requests-Left/-Quota/-Time-Reset-Ms/-Time-Window-Ms;
    a spent quota answers 429.

    Python API (thread-safe; times are UTC datetimes, order ids ints):
        BigCommerceEmulator(*, store_hash=..., access_token=..., client_secret=...,
                            scopes=ALL_SCOPES)
        start() -> base URL; stop()
        connector_settings(**overrides) -> dict; connector_credentials() -> dict
        add_order(*, status_id=11, lines=None, ship_to=None, billing=None,
                  shipping_method="Flat Rate", shipping_cost="7.50", handling_cost="0",
                  order_discount="0", tax_rate="0.08", customer_message="",
                  currency="USD", created_at=None, modified_at=None) -> int
            lines: [{"sku", "quantity", "price", "name"?, "discount"? (whole line),
                     "coupon_code"?, "type"? ("physical"/"digital"), "options"?
                     [(name, value)], "address"? (index into ship_to when it is a list)}]
        update_order(order_id, *, status_id=None, customer_message=None, ship_to=None,
                     modified_at=None) -> None        (bumps date_modified)
        cancel_order(order_id, *, modified_at=None) -> None   (status 5)
        seed_orders(count, *, status_id=11, start=None, spacing_seconds=1) -> list[int]
        order_payload(order_id) -> dict; order_ids() -> list[int]
        shipments(order_id=None) -> list[dict]         (what was uploaded, oldest first)
        adjustments -> list[dict]                      (accepted absolute-adjustment bodies)
        stock(sku, location_id=1) -> int | None
        add_product(sku, *, name="", tracked_by_product=False) -> int   (variant id)
        remove_product(sku) -> None; add_location(location_id) -> None
        set_rate_limit(*, quota, window_ms) -> None
        throttle_next(*, reset_ms=15000, times=1) -> None   (429 with the reset header)
        change_between_pages(order_ids, *, after_list_calls=1) -> None
            (once the orders list has answered that many more times, those orders change,
             moving to the end of a date_modified sort: "a page that changes between reads")
        signed_webhook(scope, order_id, *, timestamp=None, delivery_id=None, secret=None)
            -> (headers, body)
        send_webhook(url, scope, order_id, **same) -> requests.Response
        and the base misbehaviours: fail_next(status, ...), slow_next(seconds),
        malformed_next(), and hang_after_next(seconds, path_contains=, method=) (the work is
        done, the answer comes too late); requests / requests_to(method, regex);
        exchanges: (request, response) pairs.
    """

    name = "bigcommerce"

    def __init__(
        self,
        *,
        store_hash: str = DEFAULT_STORE_HASH,
        access_token: str = DEFAULT_ACCESS_TOKEN,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        scopes: Iterable[str] = ALL_SCOPES,
    ) -> None:
        super().__init__()
        self.store_hash = store_hash
        self.access_token = access_token
        self.client_secret = client_secret
        self.scopes = frozenset(scopes)
        self.orders: dict[int, EmulatedOrder] = {}
        self._index: list[tuple[int, int]] = []  # (date_modified, id), sorted
        self._shipments: dict[int, list[dict[str, Any]]] = {}
        self._shipment_log: list[dict[str, Any]] = []
        self.variants: dict[int, dict[str, Any]] = {}
        self._variant_by_sku: dict[str, int] = {}
        self.locations: dict[int, str] = {1: "Default location"}
        self._stock: dict[tuple[int, str], int] = {}
        self.adjustments: list[dict[str, Any]] = []
        self.exchanges: list[tuple[Request, Response]] = []
        self._pending_changes: list[_PendingChange] = []
        self._late_faults: list[Fault] = []
        self._next_order_id = 100
        self._next_line_id = 1
        self._next_address_id = 1
        self._next_shipment_id = 1
        self._next_variant_id = 1
        # X-Rate-Limit window: generous by default so ordinary tests never meet it.
        self.rate_quota = 100_000
        self.rate_window_ms = 30_000
        self._window_started = time.monotonic()
        self._window_used = 0

    # set-up for tests --------------------------------------------------------------------

    def connector_settings(self, **overrides: Any) -> dict[str, Any]:
        """Settings for a BigCommerce connector pointed at this emulator (start() first)."""
        settings: dict[str, Any] = {
            "store_hash": self.store_hash,
            "base_url": self.base_url,
            "download_statuses": ["11"],
            "status_after_shipment": "",
            "inventory_location_id": 1,
        }
        settings.update(overrides)
        return settings

    def connector_credentials(self) -> dict[str, str]:
        return {"access_token": self.access_token, "client_secret": self.client_secret}

    def now(self) -> int:
        return int(time.time())

    def add_product(
        self, sku: str, *, name: str = "", tracked_by_product: bool | None = None
    ) -> int:
        """A catalog variant with this SKU (its own product); returns the variant id.
        tracked_by_product: stock kept on the product, so adjustments must name product_id."""
        with self.lock:
            if sku in self._variant_by_sku:
                variant = self.variants[self._variant_by_sku[sku]]
                if tracked_by_product is not None:
                    variant["tracked_by_product"] = tracked_by_product
                return int(variant["id"])
            variant_id = self._next_variant_id
            self._next_variant_id += 1
            self.variants[variant_id] = {
                "id": variant_id,
                "product_id": 500 + variant_id,
                "sku": sku,
                "name": name or sku,
                "tracked_by_product": bool(tracked_by_product),
            }
            self._variant_by_sku[sku] = variant_id
            return variant_id

    def remove_product(self, sku: str) -> None:
        with self.lock:
            variant_id = self._variant_by_sku.pop(sku, None)
            if variant_id is not None:
                del self.variants[variant_id]

    def add_location(self, location_id: int, name: str = "") -> None:
        with self.lock:
            self.locations[location_id] = name or f"Location {location_id}"

    def add_order(
        self,
        *,
        status_id: int = 11,
        lines: Sequence[Mapping[str, Any]] | None = None,
        ship_to: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        billing: Mapping[str, Any] | None = None,
        shipping_method: str = "Flat Rate",
        shipping_cost: str | Decimal = "7.50",
        handling_cost: str | Decimal = "0",
        order_discount: str | Decimal = "0",
        tax_rate: str | Decimal = "0.08",
        customer_message: str = "",
        currency: str = "USD",
        created_at: datetime | None = None,
        modified_at: datetime | None = None,
    ) -> int:
        """Add an order; returns its id. ship_to may be a list (an order to several addresses)."""
        with self.lock:
            order_id = self._next_order_id
            self._next_order_id += 1
            now = self.now()
            created = _epoch(created_at) or now
            modified = _epoch(modified_at) or created
            addresses = [ship_to] if isinstance(ship_to, Mapping) else list(ship_to or [])
            if not addresses:
                addresses = [self._synthetic_address(random.Random(order_id))]
            stored_addresses = []
            for entry in addresses:
                stored = {**self._synthetic_address(random.Random(order_id)), **dict(entry)}
                stored["id"] = self._next_address_id
                self._next_address_id += 1
                stored_addresses.append(stored)
            order = EmulatedOrder(
                id=order_id,
                status_id=status_id,
                created=created,
                modified=modified,
                addresses=stored_addresses,
                billing=dict(billing) if billing else None,
                shipping_method=shipping_method,
                shipping_cost=Decimal(str(shipping_cost)),
                handling_cost=Decimal(str(handling_cost)),
                order_discount=Decimal(str(order_discount)),
                tax_rate=Decimal(str(tax_rate)),
                customer_message=customer_message,
                currency=currency,
            )
            order.lines = [
                self._line(spec) for spec in (lines or [{"sku": "TRL-MUG-12", "quantity": 1}])
            ]
            self.orders[order_id] = order
            bisect.insort(self._index, (order.modified, order_id))
            return order_id

    def _line(self, spec: Mapping[str, Any]) -> EmulatedLine:
        sku = str(spec["sku"])
        known = {entry[0]: entry for entry in CATALOGUE}
        name = str(spec.get("name") or (known[sku][1] if sku in known else sku))
        price = Decimal(str(spec.get("price", known[sku][2] if sku in known else "10.00")))
        variant_id = self.add_product(sku, name=name) if sku else 0
        line_id = self._next_line_id
        self._next_line_id += 1
        return EmulatedLine(
            id=line_id,
            product_id=self.variants[variant_id]["product_id"] if sku else 900,
            variant_id=variant_id,
            sku=sku,
            name=name,
            quantity=int(spec.get("quantity", 1)),
            price=price,
            discount=Decimal(str(spec.get("discount", "0"))),
            coupon_code=str(spec.get("coupon_code", "")),
            type=str(spec.get("type", "physical")),
            options=tuple(tuple(option) for option in spec.get("options", ())),
            address_index=int(spec.get("address", 0)),
        )

    def seed_orders(
        self,
        count: int,
        *,
        status_id: int = 11,
        start: datetime | None = None,
        spacing_seconds: float = 1,
    ) -> list[int]:
        """Add `count` synthetic orders, date_modified from `start` (default: so the last is
        a minute ago) every `spacing_seconds` (0: all in one second). Fast: 100,000 in about
        a second; their lines and addresses are made from the id when served."""
        with self.lock:
            first_at = _epoch(start)
            if first_at is None:
                first_at = self.now() - 60 - int(count * spacing_seconds)
            for sku, name, _ in CATALOGUE:
                self.add_product(sku, name=name)
            ids = []
            keys = []
            for offset in range(count):
                order_id = self._next_order_id
                self._next_order_id += 1
                moment = first_at + int(offset * spacing_seconds)
                self.orders[order_id] = EmulatedOrder(
                    id=order_id, status_id=status_id, created=moment, modified=moment
                )
                ids.append(order_id)
                keys.append((moment, order_id))
            if self._index and keys and keys[0] < self._index[-1]:
                self._index.extend(keys)
                self._index.sort()
            else:
                self._index.extend(keys)
            return ids

    def update_order(
        self,
        order_id: int,
        *,
        status_id: int | None = None,
        customer_message: str | None = None,
        ship_to: Mapping[str, Any] | None = None,
        modified_at: datetime | None = None,
    ) -> None:
        """Change an order as the merchant would; date_modified moves to now (or modified_at)."""
        with self.lock:
            order = self.orders[order_id]
            if status_id is not None:
                order.status_id = status_id
            if customer_message is not None:
                order.customer_message = customer_message
            if ship_to is not None:
                addresses = self._addresses(order)
                addresses[0] = {**addresses[0], **dict(ship_to)}
                order.addresses = addresses
            self._touch(order, _epoch(modified_at))

    def cancel_order(self, order_id: int, *, modified_at: datetime | None = None) -> None:
        self.update_order(order_id, status_id=5, modified_at=modified_at)

    def _touch(self, order: EmulatedOrder, moment: int | None = None) -> None:
        new = moment if moment is not None else max(self.now(), order.modified)
        position = bisect.bisect_left(self._index, (order.modified, order.id))
        if position < len(self._index) and self._index[position] == (order.modified, order.id):
            del self._index[position]
        order.modified = new
        bisect.insort(self._index, (new, order.id))

    def order_ids(self) -> list[int]:
        with self.lock:
            return sorted(self.orders)

    def order_payload(self, order_id: int) -> dict[str, Any]:
        with self.lock:
            return self._order_payload(self.orders[order_id])

    def shipments(self, order_id: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            if order_id is None:
                return [dict(shipment) for shipment in self._shipment_log]
            return [dict(shipment) for shipment in self._shipments.get(order_id, [])]

    def stock(self, sku: str, location_id: int = 1) -> int | None:
        with self.lock:
            return self._stock.get((location_id, sku))

    # misbehaviour ------------------------------------------------------------------------

    def set_rate_limit(self, *, quota: int, window_ms: int) -> None:
        """Allow `quota` requests per `window_ms`; the window starts now."""
        with self.lock:
            self.rate_quota = quota
            self.rate_window_ms = window_ms
            self._window_started = time.monotonic()
            self._window_used = 0

    def throttle_next(self, *, reset_ms: int = 15_000, times: int = 1) -> None:
        """Answer the next requests 429, saying the window resets in reset_ms."""
        self.fail_next(
            429,
            times=times,
            body={"status": 429, "title": "Too many requests", "type": PROBLEM_TYPE},
            headers={
                "X-Rate-Limit-Requests-Left": "0",
                "X-Rate-Limit-Requests-Quota": str(self.rate_quota),
                "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
                "X-Rate-Limit-Time-Window-Ms": str(self.rate_window_ms),
            },
        )

    def hang_after_next(self, seconds: float, *, path_contains: str = "", method: str = "") -> None:
        """Do the next matching request's work, then answer only after `seconds`: the client
        times out not knowing the outcome (a shipment that was created all the same)."""
        with self.lock:
            self._late_faults.append(
                Fault(times=1, delay=seconds, path_contains=path_contains, method=method)
            )

    def change_between_pages(self, order_ids: Iterable[int], *, after_list_calls: int = 1) -> None:
        with self.lock:
            self._pending_changes.append(
                _PendingChange(list_calls_left=after_list_calls, order_ids=list(order_ids))
            )

    # webhooks ----------------------------------------------------------------------------

    def signed_webhook(
        self,
        scope: str,
        order_id: int,
        *,
        timestamp: int | None = None,
        delivery_id: str | None = None,
        secret: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A thin webhook as BigCommerce sends it, signed the Standard Webhooks way."""
        sent_at = int(time.time()) if timestamp is None else timestamp
        if scope.startswith("store/shipment/"):
            data: dict[str, Any] = {"type": "shipment", "id": 1, "orderId": order_id}
        else:
            data = {"type": "order", "id": order_id}
        payload = {
            "scope": scope,
            "store_id": "1000042",
            "data": data,
            # BigCommerce's de-duplication hash: the same event, the same hash.
            "hash": hashlib.sha1(
                json.dumps(data, sort_keys=True).encode(), usedforsecurity=False
            ).hexdigest(),
            "created_at": sent_at,
            "producer": f"stores/{self.store_hash}",
        }
        body = json.dumps(payload).encode()
        message_id = delivery_id or f"msg_{uuid.uuid4().hex}"
        key = (self.client_secret if secret is None else secret).encode()
        signed = f"{message_id}.{sent_at}.".encode() + body
        signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        headers = {
            "webhook-id": message_id,
            "webhook-timestamp": str(sent_at),
            "webhook-signature": f"v1,{signature}",
            "content-type": "application/json",
        }
        return headers, body

    def send_webhook(
        self, url: str, scope: str, order_id: int, **options: Any
    ) -> requests.Response:
        headers, body = self.signed_webhook(scope, order_id, **options)
        return requests.post(url, data=body, headers=headers, timeout=10)

    # dispatch: store, token, quota, scope ------------------------------------------------

    def _answer(self, request: Request) -> Response:
        response, rate_headers = self._gate(request)
        if response is None:
            try:
                response = super()._answer(request)
            except _Refused as refused:
                response = refused.response
        response.headers = {**rate_headers, **response.headers}
        with self.lock:
            self.exchanges.append((request, response))
            late = next((fault for fault in self._late_faults if fault.matches(request)), None)
            if late is not None:
                self._late_faults.remove(late)
        if late is not None:
            time.sleep(late.delay)  # outside the lock: other requests go on meanwhile
        return response

    def _gate(self, request: Request) -> tuple[Response | None, dict[str, str]]:
        found = _STORE_PATH.match(request.path)
        if not found:
            return self.not_found(request), {}
        version = found.group("version")
        if found.group("store_hash") != self.store_hash:
            # What an unknown store hash gets: nothing lives there.
            return _v3_problem(404, "Store not found") if version == "v3" else _v2_error(
                404, "The requested resource was not found."
            ), {}
        if request.header("x-auth-token") != self.access_token:
            message = "You must be authenticated to access this resource."
            if version == "v3":
                return _v3_problem(401, message), {}
            return _v2_error(401, message), {}
        with self.lock:
            now = time.monotonic()
            elapsed_ms = (now - self._window_started) * 1000
            if elapsed_ms >= self.rate_window_ms:
                self._window_started, self._window_used, elapsed_ms = now, 0, 0
            reset_ms = max(0, int(self.rate_window_ms - elapsed_ms))
            limited = self._window_used >= self.rate_quota
            if not limited:
                self._window_used += 1
            headers = {
                "X-Rate-Limit-Requests-Left": str(max(0, self.rate_quota - self._window_used)),
                "X-Rate-Limit-Requests-Quota": str(self.rate_quota),
                "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
                "X-Rate-Limit-Time-Window-Ms": str(self.rate_window_ms),
            }
        if limited:
            return _v3_problem(429, "Too many requests"), headers
        if not self._scope_allows(request.method, found.group("rest") or ""):
            message = "You don't have a required scope to access the endpoint"
            if version == "v3":
                return _v3_problem(403, message), headers
            return _v2_error(403, message), headers
        return None, headers

    def _scope_allows(self, method: str, rest: str) -> bool:
        if rest.startswith("/orders"):
            modify, read = ORDERS_MODIFY, ORDERS_READ
        elif rest.startswith("/catalog"):
            modify, read = PRODUCTS_MODIFY, PRODUCTS_READ
        elif rest.startswith("/inventory"):
            modify, read = INVENTORY_MODIFY, INVENTORY_READ
        else:
            return True
        allowed = {modify, read} if method == "GET" else {modify}
        return bool(allowed & self.scopes)

    # v2 orders ---------------------------------------------------------------------------

    @route("GET", r"/stores/(?P<store_hash>[^/]+)/v2/orders")
    def list_orders(self, request: Request) -> Response:
        try:
            page = int(request.arg("page", "1") or 1)
            limit = int(request.arg("limit", "50") or 50)
            status_id = request.arg("status_id")
            wanted_status = int(status_id) if status_id not in (None, "") else None
        except ValueError:
            return _v2_error(400, "The page, limit and status_id fields must be numbers.")
        if not 1 <= limit <= PAGE_MAX or page < 1:
            return _v2_error(400, f"The field 'limit' must be between 1 and {PAGE_MAX}.")
        bounds: dict[str, int | None] = {}
        for name in ("min_date_modified", "max_date_modified"):
            value = request.arg(name)
            try:
                bounds[name] = _parse_date_arg(value) if value else None
            except ValueError:
                return _v2_error(400, f"The field '{name}' is not a valid date.")
        sort = request.arg("sort", "id") or "id"
        field_name, _, direction = sort.partition(":")
        if field_name not in ("id", "date_modified") or direction not in ("", "asc", "desc"):
            return _v2_error(400, f"Sorting by '{sort}' is not supported by this emulator.")
        low, high = bounds["min_date_modified"], bounds["max_date_modified"]
        start = 0 if low is None else bisect.bisect_left(self._index, (low, -1))
        end = (
            len(self._index) if high is None else bisect.bisect_right(self._index, (high, 1 << 62))
        )
        if field_name == "date_modified" and wanted_status is None and direction != "desc":
            # The benchmark path: a slice of the sorted index, no scan.
            first = start + (page - 1) * limit
            keys = self._index[first : min(first + limit, end)] if first < end else []
            chosen = [self.orders[order_id] for _, order_id in keys]
        else:
            matching = [
                self.orders[order_id]
                for _, order_id in self._index[start:end]
                if wanted_status is None or self.orders[order_id].status_id == wanted_status
            ]
            if field_name == "id":
                matching.sort(key=lambda order: order.id)
            if direction == "desc":
                matching.reverse()
            chosen = matching[(page - 1) * limit : page * limit]
        body = [self._order_payload(order) for order in chosen]
        self._after_list_call()
        if not body:
            return Response(204, None)
        return Response(200, body)

    def _after_list_call(self) -> None:
        for pending in list(self._pending_changes):
            pending.list_calls_left -= 1
            if pending.list_calls_left <= 0:
                self._pending_changes.remove(pending)
                for order_id in pending.order_ids:
                    order = self.orders[order_id]
                    order.customer_message = (order.customer_message + " (changed)").strip()
                    # One second on, at least: the change must sort after everything read.
                    self._touch(order, max(self.now(), self._index[-1][0] + 1))

    @route("GET", r"/stores/(?P<store_hash>[^/]+)/v2/orders/count")
    def count_orders(self, request: Request) -> Response:
        counts: dict[int, int] = {}
        for order in self.orders.values():
            counts[order.status_id] = counts.get(order.status_id, 0) + 1
        statuses = [
            {
                "id": status_id,
                "name": name,
                "system_label": name,
                "custom_label": name,
                "system_description": name,
                "count": counts.get(status_id, 0),
                "sort_order": status_id,
            }
            for status_id, name in STATUS_NAMES.items()
        ]
        return Response(200, {"statuses": statuses, "count": len(self.orders)})

    @route("GET", r"/stores/(?P<store_hash>[^/]+)/v2/orders/(?P<order_id>\d+)")
    def get_order(self, request: Request) -> Response:
        order = self.orders.get(int(request.params["order_id"]))
        if order is None:
            return _v2_error(404, "The requested resource was not found.")
        return Response(200, self._order_payload(order))

    @route("PUT", r"/stores/(?P<store_hash>[^/]+)/v2/orders/(?P<order_id>\d+)")
    def put_order(self, request: Request) -> Response:
        order = self.orders.get(int(request.params["order_id"]))
        if order is None:
            return _v2_error(404, "The requested resource was not found.")
        body = _v2_object(request)
        if "status_id" in body:
            if body["status_id"] not in STATUS_NAMES or isinstance(body["status_id"], bool):
                return _v2_error(400, "The field 'status_id' is invalid.")
            order.status_id = body["status_id"]
        self._touch(order)
        return Response(200, self._order_payload(order))

    @route("GET", r"/stores/(?P<store_hash>[^/]+)/v2/orders/(?P<order_id>\d+)/products")
    def get_products(self, request: Request) -> Response:
        order = self.orders.get(int(request.params["order_id"]))
        if order is None:
            return _v2_error(404, "The requested resource was not found.")
        products = [self._product_payload(order, line) for line in self._lines(order)]
        return self._paged_v2(request, products)

    @route(
        "GET",
        r"/stores/(?P<store_hash>[^/]+)/v2/orders/(?P<order_id>\d+)/(shipping_addresses|shippingaddresses)",
    )
    def get_shipping_addresses(self, request: Request) -> Response:
        order = self.orders.get(int(request.params["order_id"]))
        if order is None:
            return _v2_error(404, "The requested resource was not found.")
        addresses = [
            self._address_payload(order, index) for index in range(len(self._addresses(order)))
        ]
        return self._paged_v2(request, addresses)

    @route("GET", r"/stores/(?P<store_hash>[^/]+)/v2/orders/(?P<order_id>\d+)/shipments")
    def get_shipments(self, request: Request) -> Response:
        order_id = int(request.params["order_id"])
        if order_id not in self.orders:
            return _v2_error(404, "The requested resource was not found.")
        return self._paged_v2(request, [dict(item) for item in self._shipments.get(order_id, [])])

    @route("POST", r"/stores/(?P<store_hash>[^/]+)/v2/orders/(?P<order_id>\d+)/shipments")
    def post_shipment(self, request: Request) -> Response:
        order = self.orders.get(int(request.params["order_id"]))
        if order is None:
            return _v2_error(404, "The requested resource was not found.")
        body = _v2_object(request)
        addresses = self._addresses(order)
        index = _shipment_address_index(addresses, body)
        _check_shipment_fields(body)
        lines = {line.id: line for line in self._lines(order)}
        wanted = _shipped_quantities(body["items"], lines, address_index=index)
        order.lines = list(lines.values())  # a synthetic order keeps its state from now on
        order.addresses = addresses
        for product_id, quantity in wanted.items():
            lines[product_id].shipped += quantity
        physical = [line for line in order.lines if line.type == "physical"]
        order.status_id = 2 if all(line.shipped >= line.quantity for line in physical) else 3
        order.date_shipped = self.now()
        self._touch(order)
        shipment = self._shipment_payload(order, body, address=addresses[index], wanted=wanted)
        self._shipments.setdefault(order.id, []).append(shipment)
        self._shipment_log.append(shipment)
        return Response(201, shipment)

    def _shipment_payload(
        self,
        order: EmulatedOrder,
        body: Mapping[str, Any],
        *,
        address: Mapping[str, Any],
        wanted: Mapping[int, int],
    ) -> dict[str, Any]:
        shipment_id = self._next_shipment_id
        self._next_shipment_id += 1
        lines = {line.id: line for line in self._lines(order)}
        tracking_number = body.get("tracking_number", "")
        provider = body.get("shipping_provider", "")
        tracking_link = str(body.get("tracking_link", ""))
        return {
            "id": shipment_id,
            "order_id": order.id,
            "customer_id": 0,
            "order_address_id": address["id"],
            "date_created": _rfc2822(order.date_shipped or self.now()),
            "tracking_number": tracking_number,
            "merchant_shipping_cost": "0.0000",
            "shipping_method": str(body.get("shipping_method", "")),
            "comments": str(body.get("comments", "")),
            "shipping_provider": provider,
            "tracking_carrier": str(body.get("tracking_carrier", "")),
            "tracking_link": tracking_link,
            "billing_address": self._billing(order),
            "shipping_address": self._plain_address(address),
            "items": [
                {"order_product_id": pid, "product_id": lines[pid].product_id, "quantity": qty}
                for pid, qty in wanted.items()
            ],
            "shipping_provider_display_name": PROVIDER_NAMES.get(provider, provider.upper()),
            "generated_tracking_link": ""
            if tracking_link
            else f"https://track.example.invalid/{provider or 'aftership'}/{tracking_number}",
        }

    # v3 catalog and inventory ------------------------------------------------------------

    @route("GET", r"/stores/(?P<store_hash>[^/]+)/v3/catalog/variants")
    def get_variants(self, request: Request) -> Response:
        try:
            page = int(request.arg("page", "1") or 1)
            limit = int(request.arg("limit", "50") or 50)
        except ValueError:
            return _v3_problem(422, "The page and limit fields must be integers.")
        if not 1 <= limit <= PAGE_MAX or page < 1:
            return _v3_problem(422, f"The limit must be between 1 and {PAGE_MAX}.")
        sku = request.arg("sku")
        if sku is not None:
            found = self._variant_by_sku.get(sku)
            variants = [self.variants[found]] if found is not None else []
        else:
            variants = [self.variants[key] for key in sorted(self.variants)]
        fields = {name for name in (request.arg("include_fields") or "").split(",") if name}
        rows = variants[(page - 1) * limit : page * limit]
        total_pages = max(1, -(-len(variants) // limit))
        data = [self._variant_payload(variant, fields) for variant in rows]
        return Response(
            200,
            {
                "data": data,
                "meta": {
                    "pagination": {
                        "total": len(variants),
                        "count": len(data),
                        "per_page": limit,
                        "current_page": page,
                        "total_pages": total_pages,
                        "links": {"current": f"?page={page}&limit={limit}"},
                    }
                },
            },
        )

    @route(
        "GET", r"/stores/(?P<store_hash>[^/]+)/v3/inventory/locations/(?P<location_id>\d+)/items"
    )
    def get_location_items(self, request: Request) -> Response:
        location_id = int(request.params["location_id"])
        if location_id not in self.locations:
            return _v3_problem(404, f"Location {location_id} was not found.")
        limit = int(request.arg("limit", "50") or 50)
        rows = []
        for variant in list(self.variants.values())[:limit]:
            rows.append(
                {
                    "identity": {
                        "sku": variant["sku"],
                        "variant_id": variant["id"],
                        "product_id": variant["product_id"],
                        "sku_id": None,
                    },
                    "available_to_sell": self._stock.get((location_id, variant["sku"]), 0),
                    "total_inventory_onhand": self._stock.get((location_id, variant["sku"]), 0),
                }
            )
        return Response(200, {"data": rows, "meta": {"pagination": {"total": len(self.variants)}}})

    @route("PUT", r"/stores/(?P<store_hash>[^/]+)/v3/inventory/adjustments/absolute")
    def put_absolute(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return _v3_problem(422, "The request body is not valid JSON.")
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return _v3_problem(422, "The payload is invalid.", {"items": "items is required"})
        if len(items) > ADJUSTMENT_LIMIT:
            return _v3_problem(
                422, f"The payload has {len(items)} items; the limit is {ADJUSTMENT_LIMIT}."
            )
        changes = [self._stock_change(position, item) for position, item in enumerate(items)]
        for location_id, sku, quantity in changes:  # all or nothing, like the real thing
            self._stock[(location_id, sku)] = quantity
        self.adjustments.append(body)
        return Response(200, {"transaction_id": str(uuid.uuid4())})

    def _stock_change(self, position: int, item: Any) -> tuple[int, str, int]:
        """(location_id, sku, quantity) of one absolute adjustment item."""
        where = f"items.{position}"
        key, quantity = _adjustment_key(item, where=where)
        location_id = item.get("location_id")
        if location_id not in self.locations:
            raise _v3_refusal(f"[Location with id {location_id} does not exist]")
        variant = self._find_variant(key, item[key])
        if variant is None:
            raise _v3_refusal(f"[Item with {key} {item[key]} does not exist]")
        if key != "product_id" and variant["tracked_by_product"]:
            raise _v3_refusal(
                f"[Item with variant_id {variant['id']} is tracked by product, please update "
                "stock by product id]"
            )
        return location_id, variant["sku"], quantity

    def _find_variant(self, key: str, value: Any) -> dict[str, Any] | None:
        if key == "sku":
            found = self._variant_by_sku.get(str(value))
            return self.variants.get(found) if found is not None else None
        if key == "variant_id":
            return self.variants.get(value) if isinstance(value, int) else None
        return next(
            (variant for variant in self.variants.values() if variant["product_id"] == value), None
        )

    # payloads ----------------------------------------------------------------------------

    def _paged_v2(self, request: Request, items: list[dict[str, Any]]) -> Response:
        try:
            page = int(request.arg("page", "1") or 1)
            limit = int(request.arg("limit", "50") or 50)
        except ValueError:
            return _v2_error(400, "The page and limit fields must be numbers.")
        if not 1 <= limit <= PAGE_MAX or page < 1:
            return _v2_error(400, f"The field 'limit' must be between 1 and {PAGE_MAX}.")
        chosen = items[(page - 1) * limit : page * limit]
        return Response(200, chosen) if chosen else Response(204, None)

    def _synthetic_address(self, rng: random.Random) -> dict[str, Any]:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, state, zip_code = rng.choice(CITIES)
        return {
            "first_name": first,
            "last_name": last,
            "company": "",
            "street_1": f"{rng.randrange(10, 990)} Alder Street",
            "street_2": "",
            "city": city,
            "state": state,
            "zip": zip_code,
            "country": "United States",
            "country_iso2": "US",
            "phone": f"503-555-{rng.randrange(1000, 9999)}",
            "email": f"{first}.{last}@example.org".lower(),
        }

    def _addresses(self, order: EmulatedOrder) -> list[dict[str, Any]]:
        if order.addresses is not None:
            return order.addresses
        address = self._synthetic_address(random.Random(order.id))
        address["id"] = 1_000_000 + order.id  # stable without being stored
        return [address]

    def _lines(self, order: EmulatedOrder) -> list[EmulatedLine]:
        if order.lines is not None:
            return order.lines
        rng = random.Random(order.id)
        picks = rng.sample(CATALOGUE, k=1 + order.id % 3)
        return [
            EmulatedLine(
                id=order.id * 10 + offset,  # stable without being stored
                product_id=self.variants[self._variant_by_sku[sku]]["product_id"],
                variant_id=self._variant_by_sku[sku],
                sku=sku,
                name=name,
                quantity=1 + rng.randrange(3),
                price=Decimal(price),
            )
            for offset, (sku, name, price) in enumerate(picks)
        ]

    def _billing(self, order: EmulatedOrder) -> dict[str, Any]:
        billing = order.billing or self._plain_address(self._addresses(order)[0])
        return {
            key: billing.get(key, "")
            for key in (
                "first_name",
                "last_name",
                "company",
                "street_1",
                "street_2",
                "city",
                "state",
                "zip",
                "country",
                "country_iso2",
                "phone",
                "email",
            )
        }

    @staticmethod
    def _plain_address(address: Mapping[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in address.items() if key != "id"}

    def _line_tax(self, order: EmulatedOrder, line: EmulatedLine) -> Decimal:
        # BigCommerce taxes the discounted line: (price_ex_tax - discount) * rate.
        return ((line.price * line.quantity - line.discount) * order.tax_rate).quantize(CENT)

    def _order_payload(self, order: EmulatedOrder) -> dict[str, Any]:
        lines = self._lines(order)
        physical = [line for line in lines if line.type == "physical"]
        subtotal_ex = sum((line.price * line.quantity for line in lines), Decimal(0))
        line_discounts = sum((line.discount for line in lines), Decimal(0))
        coupon = sum((line.discount for line in lines if line.coupon_code), Decimal(0))
        subtotal_tax = sum((self._line_tax(order, line) for line in lines), Decimal(0))
        shipping_tax = (order.shipping_cost * order.tax_rate).quantize(CENT)
        total_tax = subtotal_tax + shipping_tax
        total_ex = (
            subtotal_ex
            - line_discounts
            + order.shipping_cost
            + order.handling_cost
            - order.order_discount
        )
        total_inc = total_ex + total_tax
        link = f"https://api.bigcommerce.com/stores/{self.store_hash}/v2/orders/{order.id}"
        return {
            "id": order.id,
            "customer_id": 0,
            "date_created": _rfc2822(order.created),
            "date_modified": _rfc2822(order.modified),
            "date_shipped": _rfc2822(order.date_shipped) if order.date_shipped else "",
            "status_id": order.status_id,
            "status": STATUS_NAMES.get(order.status_id, ""),
            "subtotal_ex_tax": _money(subtotal_ex),
            "subtotal_inc_tax": _money(subtotal_ex + subtotal_tax),
            "subtotal_tax": _money(subtotal_tax),
            "base_shipping_cost": _money(order.shipping_cost),
            "shipping_cost_ex_tax": _money(order.shipping_cost),
            "shipping_cost_inc_tax": _money(order.shipping_cost + shipping_tax),
            "shipping_cost_tax": _money(shipping_tax),
            "shipping_cost_tax_class_id": 0,
            "base_handling_cost": _money(order.handling_cost),
            "handling_cost_ex_tax": _money(order.handling_cost),
            "handling_cost_inc_tax": _money(order.handling_cost),
            "handling_cost_tax": "0.0000",
            "handling_cost_tax_class_id": 0,
            "base_wrapping_cost": "0.0000",
            "wrapping_cost_ex_tax": "0.0000",
            "wrapping_cost_inc_tax": "0.0000",
            "wrapping_cost_tax": "0.0000",
            "wrapping_cost_tax_class_id": 0,
            "total_ex_tax": _money(total_ex),
            "total_inc_tax": _money(total_inc),
            "total_tax": _money(total_tax),
            "is_tax_inclusive_pricing": False,
            "items_total": sum(line.quantity for line in lines),
            "items_shipped": sum(line.shipped for line in lines),
            "payment_method": "Credit Card",
            "payment_provider_id": "",
            "payment_status": "captured",
            "refunded_amount": "0.0000",
            "order_is_digital": not physical,
            "store_credit_amount": "0.0000",
            "gift_certificate_amount": "0.0000",
            "ip_address": "",
            "ip_address_v6": "",
            "geoip_country": "",
            "geoip_country_iso2": "",
            "currency_id": 1,
            "currency_code": order.currency,
            "currency_exchange_rate": "1.0000000000",
            "default_currency_id": 1,
            "default_currency_code": order.currency,
            "staff_notes": "",
            "customer_message": order.customer_message,
            "discount_amount": _money(line_discounts - coupon + order.order_discount),
            "coupon_discount": _money(coupon),
            "shipping_address_count": len(self._addresses(order)),
            "is_deleted": False,
            "ebay_order_id": "0",
            "cart_id": "",
            "billing_address": {**self._billing(order), "form_fields": []},
            "is_email_opt_in": False,
            "order_source": "www",
            "channel_id": 1,
            "external_source": None,
            "products": {"url": f"{link}/products", "resource": f"/orders/{order.id}/products"},
            "shipping_addresses": {
                "url": f"{link}/shippingaddresses",
                "resource": f"/orders/{order.id}/shippingaddresses",
            },
            "coupons": {"url": f"{link}/coupons", "resource": f"/orders/{order.id}/coupons"},
            "external_id": None,
            "external_merchant_id": None,
            "tax_provider_id": "BasicTaxProvider",
            "store_default_currency_code": "",
            "store_default_to_transactional_exchange_rate": "1.0000000000",
            "custom_status": STATUS_NAMES.get(order.status_id, ""),
            "customer_locale": "en",
            "external_order_id": "",
            "fees": [],
        }

    def _product_payload(self, order: EmulatedOrder, line: EmulatedLine) -> dict[str, Any]:
        unit_tax = (line.price * order.tax_rate).quantize(FOUR)
        line_tax = self._line_tax(order, line)
        total_ex = line.price * line.quantity
        addresses = self._addresses(order)
        applied = []
        if line.discount:
            applied.append(
                {
                    "id": "coupon" if line.coupon_code else "total-discount",
                    "amount": _money(line.discount),
                    "name": line.coupon_code or "Discount",
                    "code": line.coupon_code or None,
                    "target": "order",
                }
            )
        return {
            "id": line.id,
            "order_id": order.id,
            "product_id": line.product_id,
            "variant_id": line.variant_id,
            "order_address_id": addresses[min(line.address_index, len(addresses) - 1)]["id"],
            "name": line.name,
            "name_customer": line.name,
            "name_merchant": line.name,
            "sku": line.sku,
            "upc": "",
            "type": line.type,
            "base_price": _money(line.price),
            "price_ex_tax": _money(line.price),
            "price_inc_tax": _money(line.price + unit_tax),
            "price_tax": _money(unit_tax),
            "base_total": _money(total_ex),
            "total_ex_tax": _money(total_ex),
            "total_inc_tax": _money(total_ex + line_tax + line.discount * order.tax_rate),
            "total_tax": _money(line_tax),
            "weight": "1.0000",
            "width": "0.0000",
            "height": "0.0000",
            "depth": "0.0000",
            "quantity": line.quantity,
            "base_cost_price": "0.0000",
            "cost_price_inc_tax": "0.0000",
            "cost_price_ex_tax": "0.0000",
            "cost_price_tax": "0.0000",
            "is_refunded": False,
            "quantity_refunded": 0,
            "refund_amount": "0.0000",
            "return_id": 0,
            "wrapping_id": 0,
            "wrapping_name": "",
            "base_wrapping_cost": "0.0000",
            "wrapping_cost_ex_tax": "0.0000",
            "wrapping_cost_inc_tax": "0.0000",
            "wrapping_cost_tax": "0.0000",
            "wrapping_message": "",
            "quantity_shipped": line.shipped,
            "event_name": None,
            "event_date": None,
            "fixed_shipping_cost": "0.0000",
            "ebay_item_id": "",
            "ebay_transaction_id": "",
            "option_set_id": None,
            "parent_order_product_id": line.parent_id,
            "is_bundled_product": False,
            "bin_picking_number": "",
            "external_id": None,
            "brand": "Trailhead",
            "applied_discounts": applied,
            "product_options": [
                {
                    "id": line.id * 100 + position,
                    "option_id": position + 1,
                    "order_product_id": line.id,
                    "product_option_id": position + 1,
                    "display_name": option_name,
                    "display_value": option_value,
                    "value": option_value,
                    "type": "Multiple choice",
                    "name": option_name,
                    "display_style": "Dropdown",
                }
                for position, (option_name, option_value) in enumerate(line.options)
            ],
            "configurable_fields": [],
            "gift_certificate_id": None,
            "discounted_total_inc_tax": _money(total_ex - line.discount + line_tax),
        }

    def _address_payload(self, order: EmulatedOrder, index: int) -> dict[str, Any]:
        address = self._addresses(order)[index]
        lines = [line for line in self._lines(order) if line.address_index == index]
        shipping_tax = (order.shipping_cost * order.tax_rate).quantize(CENT) if index == 0 else 0
        cost = order.shipping_cost if index == 0 else Decimal(0)
        link = f"https://api.bigcommerce.com/stores/{self.store_hash}/v2/orders/{order.id}"
        return {
            "id": address["id"],
            "order_id": order.id,
            **self._plain_address(address),
            "items_total": sum(line.quantity for line in lines),
            "items_shipped": sum(line.shipped for line in lines),
            "shipping_method": order.shipping_method,
            "base_cost": _money(cost),
            "cost_ex_tax": _money(cost),
            "cost_inc_tax": _money(cost + shipping_tax),
            "cost_tax": _money(Decimal(shipping_tax)),
            "cost_tax_class_id": 0,
            "base_handling_cost": "0.0000",
            "handling_cost_ex_tax": "0.0000",
            "handling_cost_inc_tax": "0.0000",
            "handling_cost_tax": "0.0000",
            "handling_cost_tax_class_id": 0,
            "shipping_zone_id": 1,
            "shipping_zone_name": "United States",
            "shipping_quotes": {
                "url": f"{link}/shippingaddresses/{address['id']}/shippingquotes",
                "resource": f"/orders/{order.id}/shippingaddresses/{address['id']}/shippingquotes",
            },
            "form_fields": [],
        }

    def _variant_payload(self, variant: Mapping[str, Any], fields: set[str]) -> dict[str, Any]:
        full = {
            "id": variant["id"],
            "product_id": variant["product_id"],
            "sku": variant["sku"],
            "sku_id": None,
            "price": 10.0,
            "inventory_level": sum(
                quantity for (_, sku), quantity in self._stock.items() if sku == variant["sku"]
            ),
            "option_values": [],
        }
        if not fields:
            return full
        return {key: value for key, value in full.items() if key == "id" or key in fields}


def _parse_date_arg(value: str) -> int:
    """min/max_date_modified as RFC-2822 or ISO-8601, to whole seconds (inclusive)."""
    if _ISO.match(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        moment = email.utils.parsedate_to_datetime(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _shipped_quantities(
    items: Sequence[Any], lines: Mapping[int, EmulatedLine], *, address_index: int
) -> dict[int, int]:
    """Order product id -> quantity, each within what is left to ship to that address."""
    wanted: dict[int, int] = {}
    for item in items:
        product_id, quantity = _shipment_item(item)
        line = lines.get(product_id)
        if line is None or line.type != "physical":
            raise _v2_refusal(f"The order product {product_id} is not in this order.")
        if line.address_index != address_index:
            raise _v2_refusal(f"The order product {product_id} does not ship to that address.")
        wanted[product_id] = wanted.get(product_id, 0) + quantity
        if wanted[product_id] > line.quantity - line.shipped:
            raise _v2_refusal(
                "The quantity specified is greater than the quantity of the product that "
                "is available to ship."
            )
    return wanted


def _adjustment_key(item: Any, *, where: str) -> tuple[str, int]:
    """Which of sku, variant_id and product_id an adjustment item names it by, and its
    quantity."""
    if not isinstance(item, dict):
        raise _v3_refusal("The payload is invalid.", {where: "must be an object"})
    keys = [key for key in ("sku", "variant_id", "product_id") if key in item]
    quantity = item.get("quantity")
    if len(keys) != 1:
        raise _v3_refusal("The payload is invalid.", {where: "one of sku, variant_id, product_id"})
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise _v3_refusal("The payload is invalid.", {f"{where}.quantity": "invalid"})
    return keys[0], quantity
