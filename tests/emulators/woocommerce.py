"""An emulator of a WooCommerce store's REST API v3 and the Shipment Tracking extension.

It speaks the real protocol on 127.0.0.1 (plain http stands in for the store's https):

- ``GET /wp-json/`` (the namespaces a site lists, no keys needed), ``/wp-json/wc/v3/orders``
  with ``modified_after``/``modified_before``/``after``/``before``/``dates_are_gmt``,
  ``status`` (a list or ``any``), ``page``/``per_page`` (1..100)/``offset``,
  ``orderby`` (date, id, include, title, slug, modified) and ``order``, answering
  ``X-WP-Total``, ``X-WP-TotalPages`` and ``Link``; ``GET``/``PUT /orders/{id}``,
  ``POST /orders/batch``; ``GET``/``POST /orders/{id}/notes``; ``GET /products?sku=a,b``
  (variations included, as WooCommerce does), ``PUT /products/{id}``, ``POST /products/batch``
  and ``/products/{id}/variations/batch`` capped at ``batch_limit`` objects (413
  ``woocommerce_rest_request_entity_too_large``, as ``WC_REST_Controller::check_batch_limit``);
  ``_fields`` on any GET.
- Keys as WooCommerce checks them over https (``WC_REST_Authentication``): HTTP Basic, else
  ``consumer_key``/``consumer_secret`` in the query string. An unknown key is not an error by
  itself: the request runs unauthenticated and the route answers 401
  ``woocommerce_rest_cannot_view`` (…``_create``, ``_edit``, ``_batch``). A known key with the
  wrong secret: 401 ``woocommerce_rest_authentication_error`` "Consumer secret is invalid.";
  a read key writing: 401 "The API key provided does not have write permissions.".
- Unknown ``/wp-json/`` routes: 404 ``rest_no_route``; other paths: an HTML 404 page.
- The Shipment Tracking extension (``/wp-json/wc-shipment-tracking/v3/orders/{id}/
  shipment-trackings`` and ``…/providers``), switched by ``shipment_tracking``.
- Signed webhooks: ``X-WC-Webhook-Signature`` = base64 HMAC-SHA256 of the body (slashes
  escaped as PHP's ``json_encode`` does) with the webhook secret, the ``-Source``, ``-Topic``,
  ``-Resource``, ``-Event``, ``-ID`` and ``-Delivery-ID`` headers; the delivery id is a hash of
  the webhook id and the current second, as in ``WC_Webhook::get_new_delivery_id``. Failures
  are counted as ``WC_Webhook::failed_delivery`` does: a delivery that fails while more than
  ``MAX_DELIVERY_FAILURES`` (5) failures are already counted disables the webhook, so the 7th
  consecutive failure disables it and nothing more is sent.

Stricter than WooCommerce (so a wrong connector fails loudly): a status PUT with an unknown
status, a note without text, a tracking without a number or with a ``tracking_provider`` the
extension does not list, a products batch naming a variation (or a variations batch naming
another product's variation), a non-integer ``stock_quantity``: all 400.

The store's clock is real UTC time, to the second, unless frozen. Orders are kept as small
records in per-status lists sorted by (date_modified_gmt, id), so 100,000 seeded orders page
by bisection. Local dates are the GMT ones plus ``utc_offset_hours`` (-3, as in the fixtures),
so a connector that reads the wrong field gets wrong dates.

Python API (tests and benchmarks):

    emulator = WooCommerceEmulator(permissions="read_write", shipment_tracking=True)
    base_url = emulator.start(); ...; emulator.stop()
    emulator.consumer_key, emulator.consumer_secret, emulator.webhook_secret
    emulator.add_key(consumer_key, consumer_secret, permissions="read") -> ApiKey
    emulator.now() -> datetime; freeze_clock(at); advance_clock(seconds)

    add_order(*, order_id=None, status="processing", line_items=None, shipping_lines=None,
              fee_lines=None, coupon_lines=None, created=None, modified=None, **fields) -> dict
    update_order(order_id, **fields) -> dict        # bumps date_modified_gmt
    cancel_order(order_id) -> dict
    seed_orders(count, *, start=None, seconds_apart=1.0, status="processing",
                skus=("WOO-SINGLE-1", "Bar3")) -> range   # fast, for benchmarks
    order(order_id) -> dict                          # as GET /orders/{id} answers
    orders                                           # read-only mapping id -> order
    register_status(slug, label)                     # a plugin's custom order status
    line_item(...), shipping_line(...), fee_line(...), coupon_line(...)  # module functions

    add_product(sku, *, stock_quantity=None, manage_stock=False, product_type="simple") -> dict
    add_variation(parent_id, sku, *, stock_quantity=None, manage_stock=False) -> dict
    delete_product(product_id)
    stock(sku) -> int | None

    status_changes: list[tuple[int, str, str]]       # (order id, from, to)
    notes(order_id) -> list[dict]                    # newest first, as the API lists them
    api_notes(order_id) -> list[dict]                # only those POSTed through the API
    trackings(order_id) -> list[dict]
    stock_writes: list[tuple[int, str, int]]          # (product or variation id, sku, quantity)

    add_webhook(url, topic, *, secret=None) -> Webhook; webhooks: dict[int, Webhook]
    signed_webhook(topic, order_id, *, url="") -> (headers, body)   # for Django's test client
    send_webhook(url, topic, order_id) -> int | None  # HTTP status; None if disabled
    send_ping(url, *, webhook_id=None) -> int         # the unsigned first delivery

    # misbehaviour, besides fail_next / slow_next / malformed_next from the base:
    change_between_reads(order_id, *, after_reads=1, status=None)  # the page moves under you
    after_orders_read(callback, *, reads=1)
    rate_limit_next(retry_after, *, times=1, path_contains="")
    strip_authorization = True    # a host that drops the Authorization header
    shuffle_ties = True           # orders of one second in a new order on every read (MySQL)
    woocommerce_active = False    # WordPress without WooCommerce
"""

from __future__ import annotations

import base64
import bisect
import copy
import hashlib
import heapq
import hmac
import itertools
import json
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from tests.emulators.base import Emulator, Request, Response, route

DATA = Path(__file__).parent / "data" / "woocommerce"
API = "/wp-json/wc/v3"
TRACKING = "/wp-json/wc-shipment-tracking/v3"
NOT_FOUND_PAGE = b"<!doctype html><html><body><h1>Not Found</h1></body></html>"

STATUS_LABELS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
    "trash": "Trash",
}
ORDERBY = ("date", "id", "include", "title", "slug", "modified")
PROVIDERS: dict[str, dict[str, str]] = {
    "Australia": {"Australia Post": "https://auspost.com.au/mypost/track/#/details/%1$s"},
    "Canada": {
        "Canada Post": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=%1$s"
    },
    "United Kingdom": {
        "Royal Mail": "https://www.royalmail.com/track-your-item#/tracking-results/%1$s"
    },
    "United States": {
        "Fedex": "https://www.fedex.com/apps/fedextrack/?action=track&tracknumbers=%1$s",
        "OnTrac": "https://www.ontrac.com/trackingdetail.asp?tracking=%1$s",
        "UPS": "https://www.ups.com/track?loc=en_US&tracknum=%1$s",
        "USPS": "https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1=%1$s",
        "DHL US": "https://www.logistics.dhl/us-en/home/tracking/tracking-ecommerce.html?tracking-id=%1$s",
    },
}
UNAUTHENTICATED = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "batch": (
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
}
AFTER_ALL = float("inf")  # sorts after every id in a (date, id) key


def _money(value: Any) -> str:
    return f"{Decimal(str(value)):.2f}"


def _gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def _parse_date(value: str) -> datetime | None:
    """An ISO 8601 date-time as WordPress accepts it; naive means "as given" (GMT or local)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def wc_error(status: int, code: str, message: str, **data: Any) -> Response:
    """An error body as WordPress's REST server writes it."""
    return Response(status, {"code": code, "message": message, "data": {"status": status, **data}})


def invalid_param(name: str, reason: str) -> Response:
    return wc_error(
        400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: reason}
    )


def line_item(
    sku: str,
    quantity: int = 1,
    price: str = "10.00",
    *,
    discount: str = "0.00",
    tax: str = "0.00",
    name: str | None = None,
    product_id: int = 0,
    variation_id: int = 0,
) -> dict[str, Any]:
    """A line as WooCommerce lists it: discount is the line's pre-tax coupon amount, tax the
    tax after discount; "price" is the discounted unit price, a float, as WooCommerce sends."""
    subtotal = Decimal(price) * quantity
    total = subtotal - Decimal(discount)
    subtotal_tax = (Decimal(tax) * subtotal / total) if total else Decimal(tax)
    return {
        "id": None,  # given when the order is added
        "name": name or f"Product {sku}",
        "product_id": product_id,
        "variation_id": variation_id,
        "quantity": quantity,
        "tax_class": "",
        "subtotal": _money(subtotal),
        "subtotal_tax": _money(subtotal_tax),
        "total": _money(total),
        "total_tax": _money(tax),
        "taxes": [{"id": 75, "total": _money(tax), "subtotal": _money(subtotal_tax)}],
        "meta_data": [],
        "sku": sku,
        "price": float(total / quantity) if quantity else 0.0,
    }


def shipping_line(
    title: str = "Flat Rate",
    *,
    method_id: str = "flat_rate",
    instance_id: str = "1",
    total: str = "10.00",
    tax: str = "0.00",
) -> dict[str, Any]:
    return {
        "id": None,
        "method_title": title,
        "method_id": method_id,
        "instance_id": instance_id,
        "total": _money(total),
        "total_tax": _money(tax),
        "taxes": [],
        "meta_data": [],
    }


def fee_line(name: str, total: str, *, tax: str = "0.00") -> dict[str, Any]:
    return {
        "id": None,
        "name": name,
        "tax_class": "",
        "tax_status": "taxable",
        "total": _money(total),
        "total_tax": _money(tax),
        "taxes": [],
        "meta_data": [],
    }


def coupon_line(code: str, discount: str, *, discount_tax: str = "0.00") -> dict[str, Any]:
    return {
        "id": None,
        "code": code,
        "discount": _money(discount),
        "discount_tax": _money(discount_tax),
        "meta_data": [],
    }


@dataclass
class ApiKey:
    consumer_key: str
    consumer_secret: str
    permissions: str = "read_write"  # read, write or read_write


@dataclass
class Webhook:
    id: int
    topic: str
    delivery_url: str
    secret: str
    status: str = "active"  # active, paused, disabled
    failure_count: int = 0
    deliveries: list[int] = field(default_factory=list)  # HTTP statuses (0: no answer)


@dataclass
class _ReadHook:
    reads: int
    callback: Callable[[], None]


@dataclass(frozen=True)
class _OrderQuery:
    """What a GET /orders asked for, once WordPress accepted the parameters."""

    per_page: int
    page: int
    offset: int | None
    orderby: str
    descending: bool
    statuses: list[str]
    bounds: dict[str, str | None]
    include: list[int]

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else (self.page - 1) * self.per_page


class _Refused(Exception):
    """A parameter WordPress refuses; the answer to send is ready."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _paging(request: Request) -> tuple[int, int, int | None]:
    """(per_page, page, offset) as WordPress checks them."""
    try:
        per_page = int(request.arg("per_page") or 10)
        page = int(request.arg("page") or 1)
        offset = int(request.arg("offset")) if request.arg("offset") else None
    except ValueError:
        raise _Refused(invalid_param("per_page", "per_page is not of type integer.")) from None
    if not 1 <= per_page <= 100:
        raise _Refused(
            invalid_param("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
        )
    if page < 1 or (offset is not None and offset < 0):
        raise _Refused(invalid_param("page", "page must be greater than or equal to 1"))
    return per_page, page, offset


class _OrdersView(Mapping[int, dict[str, Any]]):
    """emulator.orders: order id -> the order as the API shows it (built on access)."""

    def __init__(self, emulator: WooCommerceEmulator) -> None:
        self._emulator = emulator

    def __getitem__(self, order_id: int) -> dict[str, Any]:
        return self._emulator.order(order_id)

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._emulator._orders))

    def __len__(self) -> int:
        return len(self._emulator._orders)


def _walk(items: list[tuple[str, int]], low: int, high: int, *, reverse: bool) -> Iterator[Any]:
    # A function, not a generator expression in a loop: each range binds its own list.
    indexes = range(high - 1, low - 1, -1) if reverse else range(low, high)
    for index in indexes:
        yield items[index]


class WooCommerceEmulator(Emulator):
    """A WooCommerce store on 127.0.0.1; see the module docstring for its API."""

    name = "woocommerce"
    MAX_DELIVERY_FAILURES = 5  # woocommerce_max_webhook_delivery_failures

    # The keys are made up, for an emulated store.
    def __init__(
        self,
        *,
        consumer_key: str = "ck_4f1e9c0b2d7a6e5f8a9b0c1d2e3f4a5b6c7d8e9f",
        consumer_secret: str = "cs_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",  # noqa: S107
        permissions: str = "read_write",
        webhook_secret: str = "wh-secret-3b9f1c2d8e7a",  # noqa: S107
        shipment_tracking: bool = True,
        batch_limit: int = 100,
        utc_offset_hours: int = -3,
    ) -> None:
        super().__init__()
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.webhook_secret = webhook_secret
        self.keys: dict[str, ApiKey] = {}
        self.add_key(consumer_key, consumer_secret, permissions=permissions)
        self.shipment_tracking = shipment_tracking
        self.batch_limit = batch_limit
        self.utc_offset = timedelta(hours=utc_offset_hours)
        self.strip_authorization = False
        self.shuffle_ties = False
        self.woocommerce_active = True
        self.statuses = dict(STATUS_LABELS)

        self._frozen_at: datetime | None = None
        self._ids = itertools.count(1000)  # posts: orders, products, variations
        self._line_ids = itertools.count(5000)
        self._note_ids = itertools.count(300)
        self._orders: dict[int, dict[str, Any]] = {}
        self._index: dict[str, list[tuple[str, int]]] = {}
        self._notes: dict[int, list[dict[str, Any]]] = {}
        self._api_note_ids: set[int] = set()
        self._trackings: dict[int, list[dict[str, Any]]] = {}
        self._products: dict[int, dict[str, Any]] = {}
        self._orders_reads = 0
        self._read_hooks: list[_ReadHook] = []

        self.status_changes: list[tuple[int, str, str]] = []
        self.stock_writes: list[tuple[int, str, int]] = []
        self.webhooks: dict[int, Webhook] = {}
        self._webhook_ids = itertools.count(140)

        self._order_template = json.loads((DATA / "order.json").read_text())
        self._product_template = json.loads((DATA / "product.json").read_text())
        self._variation_template = json.loads((DATA / "product_variation.json").read_text())
        self._synthetic_base: dict[str, Any] | None = None

    # keys and clock --------------------------------------------------------------------

    def add_key(self, consumer_key: str, consumer_secret: str, *, permissions: str) -> ApiKey:
        assert permissions in ("read", "write", "read_write")
        with self.lock:
            key = self.keys[consumer_key] = ApiKey(consumer_key, consumer_secret, permissions)
            return key

    def now(self) -> datetime:
        return (self._frozen_at or datetime.now(UTC)).replace(microsecond=0)

    def freeze_clock(self, at: datetime) -> None:
        self._frozen_at = at.astimezone(UTC).replace(microsecond=0)

    def advance_clock(self, seconds: float) -> None:
        self._frozen_at = self.now() + timedelta(seconds=seconds)

    # orders: Python API ----------------------------------------------------------------

    @property
    def orders(self) -> Mapping[int, dict[str, Any]]:
        return _OrdersView(self)

    def register_status(self, slug: str, label: str) -> None:
        """A custom order status, as a plugin registers one (e.g. shipped)."""
        self.statuses[slug] = label

    def add_order(
        self,
        *,
        order_id: int | None = None,
        status: str = "processing",
        line_items: Sequence[dict[str, Any]] | None = None,
        shipping_lines: Sequence[dict[str, Any]] | None = None,
        fee_lines: Sequence[dict[str, Any]] | None = None,
        coupon_lines: Sequence[dict[str, Any]] | None = None,
        created: datetime | None = None,
        modified: datetime | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Add an order shaped like the fixture (two lines, a flat rate) unless told otherwise;
        the totals are worked out from the lines, fees and shipping unless given."""
        with self.lock:
            oid = order_id or next(self._ids)
            order = copy.deepcopy(self._order_template)
            order.pop("_links", None)
            created_at = _gmt(created or self.now())
            order.update(
                id=oid,
                number=str(oid),
                order_key=f"wc_order_{oid:x}",
                created_via="checkout",
                status=status,
                date_created_gmt=created_at,
                date_modified_gmt=_gmt(modified) if modified else created_at,
                date_paid_gmt=created_at,
                line_items=copy.deepcopy(
                    list(line_items)
                    if line_items is not None
                    else [
                        line_item("WOO-SINGLE-1", 2, "3.00", tax="0.45", name="Woo Single #1"),
                        line_item("Bar3", 1, "12.00", tax="0.90", name="Ship Your Idea"),
                    ]
                ),
                shipping_lines=copy.deepcopy(
                    list(shipping_lines) if shipping_lines is not None else [shipping_line()]
                ),
                fee_lines=copy.deepcopy(list(fee_lines or [])),
                coupon_lines=copy.deepcopy(list(coupon_lines or [])),
                meta_data=[],
                refunds=[],
            )
            self._number_lines(order)
            _recompute_totals(order)
            order.update(fields)
            self._orders[oid] = order
            self._index_add(order)
            return self.order(oid)

    def update_order(self, order_id: int, **fields: Any) -> dict[str, Any]:
        """Change an order as an admin would; its date_modified_gmt becomes now."""
        with self.lock:
            order = self._full_record(order_id)
            self._index_remove(order)
            new_status = fields.pop("status", None)
            if new_status is not None and new_status != order["status"]:
                self._change_status(order, new_status)
            order.update(fields)
            if {"line_items", "shipping_lines", "fee_lines"} & fields.keys():
                self._number_lines(order)
                if "total" not in fields:
                    _recompute_totals(order)
            order["date_modified_gmt"] = _gmt(self.now())
            self._index_add(order)
            return self.order(order_id)

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        return self.update_order(order_id, status="cancelled")

    def seed_orders(
        self,
        count: int,
        *,
        start: datetime | None = None,
        seconds_apart: float = 1.0,
        status: str = "processing",
        skus: Sequence[str] = ("WOO-SINGLE-1", "Bar3"),
    ) -> range:
        """Add `count` small orders fast (benchmarks): modification dates from `start` (default:
        so that the last is now), `seconds_apart` apart (0: all in one second). Each is built
        in full from the fixture's shape only when read."""
        with self.lock:
            first = start or self.now() - timedelta(seconds=seconds_apart * count)
            first_id = next(self._ids)
            ids = range(first_id, first_id + count)
            self._ids = itertools.count(first_id + count)
            added = self._index.setdefault(status, [])
            for offset, oid in enumerate(ids):
                moment = _gmt(first + timedelta(seconds=seconds_apart * offset))
                self._orders[oid] = {
                    "_synthetic": tuple(skus),
                    "id": oid,
                    "status": status,
                    "date_created_gmt": moment,
                    "date_modified_gmt": moment,
                }
                added.append((moment, oid))
            added.sort()
            return ids

    def order(self, order_id: int) -> dict[str, Any]:
        """The order as GET /orders/{id} shows it."""
        with self.lock:
            return self._payload(self._orders[order_id])

    def notes(self, order_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(note) for note in reversed(self._notes.get(order_id, []))]

    def api_notes(self, order_id: int) -> list[dict[str, Any]]:
        return [note for note in self.notes(order_id) if note["id"] in self._api_note_ids]

    def trackings(self, order_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(item) for item in self._trackings.get(order_id, [])]

    # products: Python API --------------------------------------------------------------

    def add_product(
        self,
        sku: str,
        *,
        stock_quantity: int | None = None,
        manage_stock: bool = False,
        product_type: str = "simple",
        name: str | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            product = copy.deepcopy(self._product_template)
            product.pop("_links", None)
            pid = next(self._ids)
            product.update(
                id=pid,
                name=name or f"Product {sku}",
                slug=f"product-{pid}",
                sku=sku,
                type=product_type,
                parent_id=0,
                manage_stock=manage_stock,
                stock_quantity=stock_quantity,
                variations=[],
            )
            self._products[pid] = product
            return copy.deepcopy(product)

    def add_variation(
        self,
        parent_id: int,
        sku: str,
        *,
        stock_quantity: int | None = None,
        manage_stock: bool = False,
    ) -> dict[str, Any]:
        with self.lock:
            parent = self._products[parent_id]
            parent["type"] = "variable"
            variation = copy.deepcopy(self._variation_template)
            variation.pop("_links", None)
            vid = next(self._ids)
            variation.update(
                id=vid,
                sku=sku,
                type="variation",
                parent_id=parent_id,
                name=f"{parent['name']} - {sku}",
                manage_stock=manage_stock,
                stock_quantity=stock_quantity,
            )
            parent["variations"].append(vid)
            self._products[vid] = variation
            return copy.deepcopy(variation)

    def delete_product(self, product_id: int) -> None:
        """Delete a product or variation (ids are never reused, as in WordPress)."""
        with self.lock:
            product = self._products.pop(product_id)
            parent = self._products.get(product.get("parent_id") or 0)
            if parent is not None:
                parent["variations"].remove(product_id)

    def stock(self, sku: str) -> int | None:
        with self.lock:
            for product in self._products.values():
                if product["sku"] == sku:
                    return product["stock_quantity"]
        raise KeyError(sku)

    # webhooks: Python API --------------------------------------------------------------

    def add_webhook(self, url: str, topic: str, *, secret: str | None = None) -> Webhook:
        with self.lock:
            webhook = Webhook(next(self._webhook_ids), topic, url, secret or self.webhook_secret)
            self.webhooks[webhook.id] = webhook
            return webhook

    def _webhook_for(self, url: str, topic: str) -> Webhook:
        for webhook in self.webhooks.values():
            if webhook.delivery_url == url and webhook.topic == topic:
                return webhook
        return self.add_webhook(url, topic)

    def signed_webhook(
        self, topic: str, order_id: int, *, url: str = ""
    ) -> tuple[dict[str, str], bytes]:
        """The headers and body WooCommerce would POST for this topic and order."""
        with self.lock:
            return self._delivery(self._webhook_for(url, topic), order_id)

    def _delivery(self, webhook: Webhook, order_id: int) -> tuple[dict[str, str], bytes]:
        resource, event = webhook.topic.split(".", 1)
        payload = {"id": order_id} if event == "deleted" else self.order(order_id)
        # wp_json_encode: compact, non-ASCII as \\u escapes, and "/" escaped as "\\/".
        body = json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()
        signature = hmac.new(webhook.secret.encode(), body, hashlib.sha256).digest()
        second = int(self.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
            "X-WC-Webhook-Source": f"{self.base_url}/" if self._server else "https://shop/",
            "X-WC-Webhook-Topic": webhook.topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-WC-Webhook-ID": str(webhook.id),
            "X-WC-Webhook-Delivery-ID": hashlib.md5(  # noqa: S324  (wp_hash; not security)
                f"{webhook.id}{second}".encode()
            ).hexdigest(),
        }
        return headers, body

    def send_webhook(self, url: str, topic: str, order_id: int) -> int | None:
        """Deliver like WooCommerce: the HTTP status (0 for no answer), or None when the webhook
        is not active (disabled after failures, or paused)."""
        with self.lock:
            webhook = self._webhook_for(url, topic)
            if webhook.status != "active":
                return None
            headers, body = self._delivery(webhook, order_id)
        # Not under the lock: the receiver may call this emulator back.
        try:
            status = requests.post(
                url, data=body, headers=headers, timeout=10, allow_redirects=False
            ).status_code
        except requests.RequestException:
            status = 0
        with self.lock:
            webhook.deliveries.append(status)
            if 200 <= status < 303:  # WooCommerce counts 2xx, 301 and 302 as delivered
                webhook.failure_count = 0
            elif webhook.failure_count > self.MAX_DELIVERY_FAILURES:
                webhook.status = "disabled"
            else:
                webhook.failure_count += 1
        return status

    def send_ping(self, url: str, *, webhook_id: int | None = None) -> int:
        """The first delivery to a new webhook: form-encoded webhook_id=N, no signature."""
        webhook_id = webhook_id or next(self._webhook_ids)
        try:
            return requests.post(
                url,
                data=f"webhook_id={webhook_id}".encode(),
                headers={
                    "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                timeout=10,
            ).status_code
        except requests.RequestException:
            return 0

    # misbehaviour ----------------------------------------------------------------------

    def after_orders_read(self, callback: Callable[[], None], *, reads: int = 1) -> None:
        """Run callback right after the `reads`-th GET /orders list from now is answered."""
        with self.lock:
            self._read_hooks.append(_ReadHook(self._orders_reads + reads, callback))

    def change_between_reads(
        self, order_id: int, *, after_reads: int = 1, status: str | None = None
    ) -> None:
        """A page that changes between reads: after that many order lists, the order is
        modified (and given `status`), which moves it to the end of a by-modified list."""
        fields = {} if status is None else {"status": status}
        self.after_orders_read(lambda: self.update_order(order_id, **fields), reads=after_reads)

    def rate_limit_next(
        self, retry_after: float, *, times: int = 1, path_contains: str = ""
    ) -> None:
        """429 with Retry-After, as a host's firewall sends (WooCommerce itself never does)."""
        self.fail_next(
            429,
            times=times,
            body={"code": "too_many_requests", "message": "Too many requests.", "data": {}},
            headers={"Retry-After": f"{retry_after:g}"},
            path_contains=path_contains,
        )

    # internals: storage ----------------------------------------------------------------

    def _number_lines(self, order: dict[str, Any]) -> None:
        for key in ("line_items", "shipping_lines", "fee_lines", "coupon_lines"):
            for line in order.get(key) or []:
                if not line.get("id"):
                    line["id"] = next(self._line_ids)

    def _index_add(self, order: Mapping[str, Any]) -> None:
        bisect.insort(
            self._index.setdefault(order["status"], []),
            (order["date_modified_gmt"], order["id"]),
        )

    def _index_remove(self, order: Mapping[str, Any]) -> None:
        items = self._index.get(order["status"], [])
        key = (order["date_modified_gmt"], order["id"])
        position = bisect.bisect_left(items, key)
        if position < len(items) and items[position] == key:
            del items[position]

    def _full_record(self, order_id: int) -> dict[str, Any]:
        """The stored order, turned from a seeded stub into a full dict before a change."""
        record = self._orders[order_id]
        if "_synthetic" in record:
            record = copy.deepcopy(self._synthetic(record))
            for key in ("date_created", "date_modified", "date_paid", "date_completed"):
                record.pop(key, None)
            record.pop("_links", None)
            self._orders[order_id] = record
        return record

    def _synthetic(self, record: Mapping[str, Any]) -> dict[str, Any]:
        if self._synthetic_base is None:
            base = copy.deepcopy(self._order_template)
            base.pop("_links", None)
            self._synthetic_base = base
        oid = record["id"]
        lines = [
            line_item(sku, 1 + index, "12.00", tax="0.90", name=f"Seeded {sku}")
            for index, sku in enumerate(record["_synthetic"])
        ]
        for index, line in enumerate(lines):
            line["id"] = oid * 10 + index
        order = {
            **self._synthetic_base,
            "id": oid,
            "number": str(oid),
            "order_key": f"wc_order_{oid:x}",
            "status": record["status"],
            "date_created_gmt": record["date_created_gmt"],
            "date_modified_gmt": record["date_modified_gmt"],
            "date_paid_gmt": record["date_created_gmt"],
            "line_items": lines,
            "shipping_lines": [{**shipping_line(), "id": oid * 10 + 9}],
            "fee_lines": [],
            "coupon_lines": [],
            "meta_data": [],
        }
        _recompute_totals(order)
        return order

    def _payload(self, record: Mapping[str, Any]) -> dict[str, Any]:
        order = self._synthetic(record) if "_synthetic" in record else copy.deepcopy(dict(record))
        for name in ("date_created", "date_modified", "date_paid", "date_completed"):
            gmt = order.get(f"{name}_gmt")
            order[name] = (
                _gmt(datetime.fromisoformat(gmt).replace(tzinfo=UTC) + self.utc_offset)
                if gmt
                else None
            )
        href = f"{self.base_url if self._server else 'https://shop'}{API}/orders"
        order["_links"] = {
            "self": [{"href": f"{href}/{order['id']}"}],
            "collection": [{"href": href}],
        }
        return order

    def _change_status(self, order: dict[str, Any], new: str) -> None:
        old = order["status"]
        order["status"] = new
        if new == "completed":
            order["date_completed_gmt"] = _gmt(self.now())
        self.status_changes.append((order["id"], old, new))
        self._add_note(
            order["id"],
            f"Order status changed from {self.statuses.get(old, old)} to "
            f"{self.statuses.get(new, new)}.",
            customer_note=False,
        )

    def _add_note(self, order_id: int, text: str, *, customer_note: bool) -> dict[str, Any]:
        note = {
            "id": next(self._note_ids),
            "author": "system",
            "date_created": _gmt(self.now() + self.utc_offset),
            "date_created_gmt": _gmt(self.now()),
            "note": text,
            "customer_note": customer_note,
        }
        self._notes.setdefault(order_id, []).append(note)
        return note

    # internals: HTTP -------------------------------------------------------------------

    def not_found(self, request: Request) -> Response:
        if request.path.startswith("/wp-json"):
            return wc_error(
                404, "rest_no_route", "No route was found matching the URL and request method."
            )
        return Response(404, NOT_FOUND_PAGE, {"Content-Type": "text/html; charset=UTF-8"})

    def _guard(self, request: Request, action: str) -> Response | None:
        """WC_REST_Authentication, then the route's permission check: None when allowed."""
        key = secret = None
        header = request.header("authorization")
        if header.lower().startswith("basic ") and not self.strip_authorization:
            try:
                key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                key = secret = None
        elif request.arg("consumer_key") and request.arg("consumer_secret"):
            key, secret = request.arg("consumer_key"), request.arg("consumer_secret")
        api_key = self.keys.get(key or "")
        if api_key is not None and secret:
            if not hmac.compare_digest(secret.encode(), api_key.consumer_secret.encode()):
                return wc_error(
                    401, "woocommerce_rest_authentication_error", "Consumer secret is invalid."
                )
            writing = request.method in ("POST", "PUT", "PATCH", "DELETE")
            if writing and api_key.permissions == "read":
                return wc_error(
                    401,
                    "woocommerce_rest_authentication_error",
                    "The API key provided does not have write permissions.",
                )
            if not writing and api_key.permissions == "write":
                return wc_error(
                    401,
                    "woocommerce_rest_authentication_error",
                    "The API key provided does not have read permissions.",
                )
            return None
        code, message = UNAUTHENTICATED[action]
        return wc_error(401, code, message)

    def _woocommerce_route(self, request: Request, action: str) -> Response | None:
        if not self.woocommerce_active:
            return self.not_found(request)
        return self._guard(request, action)

    @staticmethod
    def _body(request: Request) -> tuple[Any, Response | None]:
        try:
            return request.json(), None
        except ValueError:
            return None, wc_error(400, "rest_invalid_json", "Invalid JSON body passed.")

    @staticmethod
    def _fields(request: Request, item: dict[str, Any]) -> dict[str, Any]:
        wanted = [name.strip() for name in (request.arg("_fields") or "").split(",") if name]
        if not wanted:
            return item
        return {name: item[name] for name in wanted if name in item}

    # routes: discovery -----------------------------------------------------------------

    @route("GET", r"/wp-json/?")
    def site_index(self, request: Request) -> Response:
        namespaces = ["oembed/1.0", "wp/v2", "wp-site-health/v1"]
        if self.woocommerce_active:
            namespaces += ["wc/v1", "wc/v2", "wc/v3", "wc/store/v1"]
            if self.shipment_tracking:
                namespaces.append("wc-shipment-tracking/v3")
        return Response(
            200,
            {
                "name": "Emulated Store",
                "description": "Just another WordPress site",
                "url": self.base_url,
                "home": self.base_url,
                "namespaces": namespaces,
                "authentication": {},
                "routes": {},
            },
        )

    # routes: orders --------------------------------------------------------------------

    @route("GET", rf"{API}/orders")
    def list_orders(self, request: Request) -> Response:
        denied = self._woocommerce_route(request, "list")
        if denied:
            return denied
        try:
            query = self._order_query(request)
        except _Refused as refused:
            return refused.response
        total, keys = self._select_orders(query)
        body = [self._fields(request, self._payload(self._orders[oid])) for _, oid in keys]
        headers = self._list_headers(request, query, total)
        self._orders_read()
        return Response(200, body, headers)

    def _order_query(self, request: Request) -> _OrderQuery:
        """The parameters of GET /orders, checked in the order WordPress checks them."""
        per_page, page, offset = _paging(request)
        orderby = request.arg("orderby") or "date"
        if orderby not in ORDERBY:
            raise _Refused(invalid_param("orderby", f"orderby is not one of {', '.join(ORDERBY)}."))
        order = request.arg("order") or "desc"
        if order not in ("asc", "desc"):
            raise _Refused(invalid_param("order", "order is not one of asc and desc."))
        return _OrderQuery(
            per_page=per_page,
            page=page,
            offset=offset,
            orderby=orderby,
            descending=order == "desc",
            statuses=self._statuses_asked(request),
            bounds=self._date_bounds(request),
            include=[int(value) for value in (request.arg("include") or "").split(",") if value],
        )

    def _statuses_asked(self, request: Request) -> list[str]:
        """status (a comma list, status[] or any; default any): the statuses to list."""
        wanted: list[str] = []
        for value in [*request.query.get("status", []), *request.query.get("status[]", [])]:
            wanted += [part.strip() for part in value.split(",") if part.strip()]
        wanted = wanted or ["any"]
        for status in wanted:
            if status != "any" and status not in self.statuses:
                raise _Refused(
                    invalid_param(
                        "status", f"status[0] is not one of any, {', '.join(self.statuses)}."
                    )
                )
        if "any" in wanted:
            return [status for status in self.statuses if status != "trash"]
        return list(dict.fromkeys(wanted))

    def _date_bounds(self, request: Request) -> dict[str, str | None]:
        """modified_after/_before, after/before as stored GMT text (None: not asked)."""
        gmt = (request.arg("dates_are_gmt") or "").lower() in ("1", "true")
        bounds: dict[str, str | None] = {}
        for name in ("modified_after", "modified_before", "after", "before"):
            value = request.arg(name)
            if value is None:
                bounds[name] = None
                continue
            parsed = _parse_date(value)
            if parsed is None:
                raise _Refused(invalid_param(name, "Invalid date."))
            # Without dates_are_gmt WooCommerce compares the store's local dates.
            bounds[name] = _gmt((parsed if gmt else parsed - self.utc_offset).replace(tzinfo=UTC))
        return bounds

    def _select_orders(self, query: _OrderQuery) -> tuple[int, list[tuple[str, int]]]:
        """(total, the page's (modified, id) keys)."""
        bounds = query.bounds
        fast = (
            query.orderby == "modified"
            and not query.include
            and bounds["after"] is None
            and bounds["before"] is None
            and not self.shuffle_ties
        )
        if fast:
            return self._modified_slice(
                query.statuses,
                bounds,
                start=query.start,
                count=query.per_page,
                reverse=query.descending,
            )
        candidates = self._candidates(query.statuses, bounds, query.include)
        candidates.sort(key=self._sort_key(query.orderby, query.include), reverse=query.descending)
        return len(candidates), candidates[query.start : query.start + query.per_page]

    def _list_headers(self, request: Request, query: _OrderQuery, total: int) -> dict[str, str]:
        """X-WP-Total, X-WP-TotalPages and, when paging by number, Link (prev, next)."""
        pages = -(-total // query.per_page)
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        arguments = {key: values[-1] for key, values in request.query.items()}
        arguments.pop("consumer_key", None)
        arguments.pop("consumer_secret", None)
        address = f"{self.base_url}{request.path}"
        links = []
        if query.offset is None and query.page > 1:
            links.append(
                f'<{address}?{urlencode({**arguments, "page": query.page - 1})}>; rel="prev"'
            )
        if query.offset is None and query.page < pages:
            links.append(
                f'<{address}?{urlencode({**arguments, "page": query.page + 1})}>; rel="next"'
            )
        if links:
            headers["Link"] = ", ".join(links)
        return headers

    def _orders_read(self) -> None:
        """Count a list of orders answered, and run the hooks that waited for it."""
        self._orders_reads += 1
        for hook in [hook for hook in self._read_hooks if hook.reads <= self._orders_reads]:
            self._read_hooks.remove(hook)
            hook.callback()

    def _modified_slice(
        self,
        statuses: Iterable[str],
        bounds: Mapping[str, str | None],
        *,
        start: int,
        count: int,
        reverse: bool,
    ) -> tuple[int, list[tuple[str, int]]]:
        """(total, one page of keys) by bisection of the per-status lists: fast at 100,000."""
        walks = []
        total = 0
        for status in statuses:
            items = self._index.get(status, [])
            low = (
                bisect.bisect_right(items, (bounds["modified_after"], AFTER_ALL))
                if bounds["modified_after"]
                else 0
            )
            high = (
                bisect.bisect_left(items, (bounds["modified_before"], -1))
                if bounds["modified_before"]
                else len(items)
            )
            if high > low:
                total += high - low
                walks.append(_walk(items, low, high, reverse=reverse))
        merged = heapq.merge(*walks, reverse=reverse)
        return total, list(itertools.islice(merged, start, start + count))

    def _candidates(
        self, statuses: Iterable[str], bounds: Mapping[str, str | None], include: list[int]
    ) -> list[tuple[str, int]]:
        found = []
        for status in statuses:
            for modified, oid in self._index.get(status, []):
                if bounds["modified_after"] and modified <= bounds["modified_after"]:
                    continue
                if bounds["modified_before"] and modified >= bounds["modified_before"]:
                    continue
                created = self._orders[oid]["date_created_gmt"]
                if bounds["after"] and created <= bounds["after"]:
                    continue
                if bounds["before"] and created >= bounds["before"]:
                    continue
                if include and oid not in include:
                    continue
                found.append((modified, oid))
        return found

    def _sort_key(self, orderby: str, include: list[int]) -> Callable[[tuple[str, int]], Any]:
        if orderby == "modified":
            if self.shuffle_ties:
                # MySQL returns rows of equal sort value in no set order, and not the same
                # order from one query to the next.
                shuffle = random.Random(self._orders_reads)
                salt = {oid: shuffle.random() for oid in self._orders}
                return lambda key: (key[0], salt[key[1]])
            return lambda key: key
        if orderby == "date":
            return lambda key: (self._orders[key[1]]["date_created_gmt"], key[1])
        if orderby == "include" and include:
            return lambda key: include.index(key[1])
        return lambda key: key[1]

    @route("POST", rf"{API}/orders/batch")
    def batch_orders(self, request: Request) -> Response:
        denied = self._woocommerce_route(request, "batch")
        if denied:
            return denied
        body, bad = self._body(request)
        if bad:
            return bad
        body = body or {}
        if not isinstance(body, dict):
            return wc_error(400, "rest_invalid_json", "Invalid JSON body passed.")
        if (
            sum(len(body.get(key) or []) for key in ("create", "update", "delete"))
            > self.batch_limit
        ):
            return self._too_large()
        answer: dict[str, list[Any]] = {}
        for item in body.get("update") or []:
            oid = int(item.get("id") or 0) if isinstance(item, dict) else 0
            result = self._update_order_from_api(oid, item if isinstance(item, dict) else {})
            if result.status >= 400:
                answer.setdefault("update", []).append(
                    {
                        "id": oid,
                        "error": {
                            "code": result.body["code"],
                            "message": result.body["message"],
                            "data": result.body["data"],
                        },
                    }
                )
            else:
                answer.setdefault("update", []).append(result.body)
        # PHP encodes an empty array as [], which is what an empty batch answers.
        return Response(200, answer or [])

    @route("GET", rf"{API}/orders/(?P<order_id>\d+)")
    def get_order(self, request: Request) -> Response:
        denied = self._woocommerce_route(request, "view")
        if denied:
            return denied
        oid = int(request.params["order_id"])
        if oid not in self._orders:
            return wc_error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return Response(200, self._fields(request, self._payload(self._orders[oid])))

    @route("PUT", rf"{API}/orders/(?P<order_id>\d+)")
    def put_order(self, request: Request) -> Response:
        denied = self._woocommerce_route(request, "edit")
        if denied:
            return denied
        body, bad = self._body(request)
        if bad or not isinstance(body, dict):
            return bad or wc_error(400, "rest_invalid_json", "Invalid JSON body passed.")
        return self._update_order_from_api(int(request.params["order_id"]), body)

    def _update_order_from_api(self, order_id: int, body: dict[str, Any]) -> Response:
        if order_id not in self._orders:
            return wc_error(400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        status = body.get("status")
        if status is not None and status not in self.statuses:
            return invalid_param("status", f"status is not one of {', '.join(self.statuses)}.")
        fields = {key: value for key, value in body.items() if key not in ("id", "number")}
        return Response(200, self.update_order(order_id, **fields))

    @route("GET", rf"{API}/orders/(?P<order_id>\d+)/notes")
    def list_notes(self, request: Request) -> Response:
        denied = self._woocommerce_route(request, "list")
        if denied:
            return denied
        oid = int(request.params["order_id"])
        if oid not in self._orders:
            return wc_error(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        kind = request.arg("type") or "any"
        notes = [
            note
            for note in self.notes(oid)
            if kind == "any" or (kind == "customer") == bool(note["customer_note"])
        ]
        return Response(200, [self._fields(request, note) for note in notes])

    @route("POST", rf"{API}/orders/(?P<order_id>\d+)/notes")
    def add_note(self, request: Request) -> Response:
        denied = self._woocommerce_route(request, "create")
        if denied:
            return denied
        oid = int(request.params["order_id"])
        if oid not in self._orders:
            return wc_error(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        body, bad = self._body(request)
        if bad or not isinstance(body, dict):
            return bad or wc_error(400, "rest_invalid_json", "Invalid JSON body passed.")
        text = body.get("note")
        if not isinstance(text, str) or not text.strip():
            return wc_error(
                400,
                "rest_missing_callback_param",
                "Missing parameter(s): note",
                params=["note"],
            )
        customer_note = body.get("customer_note", False)
        if not isinstance(customer_note, bool):
            return invalid_param("customer_note", "customer_note is not of type boolean.")
        note = self._add_note(oid, text, customer_note=customer_note)
        self._api_note_ids.add(note["id"])
        return Response(201, dict(note))

    # routes: products ------------------------------------------------------------------

    @route("GET", rf"{API}/products")
    def list_products(self, request: Request) -> Response:
        denied = self._woocommerce_route(request, "list")
        if denied:
            return denied
        per_page = int(request.arg("per_page") or 10)
        if not 1 <= per_page <= 100:
            return invalid_param(
                "per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)"
            )
        page = int(request.arg("page") or 1)
        sku = request.arg("sku")
        if sku:
            # WooCommerce splits on commas, also tries the whole value, and searches variations
            # too; MySQL's collation makes the match case-insensitive.
            wanted = {part.strip().casefold() for part in sku.split(",")} | {sku.casefold()}
            found = [
                p for p in self._products.values() if p["sku"] and p["sku"].casefold() in wanted
            ]
        else:
            found = [p for p in self._products.values() if p["type"] != "variation"]
        found.sort(key=lambda product: product["id"])
        chosen = found[(page - 1) * per_page : page * per_page]
        headers = {
            "X-WP-Total": str(len(found)),
            "X-WP-TotalPages": str(-(-len(found) // per_page)),
        }
        return Response(200, [self._fields(request, copy.deepcopy(p)) for p in chosen], headers)

    @route("GET", rf"{API}/products/(?P<product_id>\d+)")
    def get_product(self, request: Request) -> Response:
        denied = self._woocommerce_route(request, "view")
        if denied:
            return denied
        product = self._products.get(int(request.params["product_id"]))
        if product is None or product["type"] == "variation":
            return wc_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return Response(200, self._fields(request, copy.deepcopy(product)))

    @route("PUT", rf"{API}/products/(?P<product_id>\d+)")
    def put_product(self, request: Request) -> Response:
        denied = self._woocommerce_route(request, "edit")
        if denied:
            return denied
        body, bad = self._body(request)
        if bad or not isinstance(body, dict):
            return bad or wc_error(400, "rest_invalid_json", "Invalid JSON body passed.")
        product = self._products.get(int(request.params["product_id"]))
        if product is None or product["type"] == "variation":
            return wc_error(400, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        problem = self._apply_stock(product, body)
        return problem or Response(200, copy.deepcopy(product))

    @route("GET", rf"{API}/products/(?P<product_id>\d+)/variations")
    def list_variations(self, request: Request) -> Response:
        denied = self._woocommerce_route(request, "list")
        if denied:
            return denied
        pid = int(request.params["product_id"])
        found = [
            p
            for p in self._products.values()
            if p.get("parent_id") == pid and p["type"] == "variation"
        ]
        return Response(200, [self._fields(request, copy.deepcopy(p)) for p in found])

    @route("POST", rf"{API}/products/batch")
    def batch_products(self, request: Request) -> Response:
        return self._batch(request, parent_id=None)

    @route("POST", rf"{API}/products/(?P<product_id>\d+)/variations/batch")
    def batch_variations(self, request: Request) -> Response:
        return self._batch(request, parent_id=int(request.params["product_id"]))

    def _too_large(self) -> Response:
        return wc_error(
            413,
            "woocommerce_rest_request_entity_too_large",
            f"Unable to accept more than {self.batch_limit} items for this request.",
        )

    def _batch(self, request: Request, *, parent_id: int | None) -> Response:
        denied = self._woocommerce_route(request, "batch")
        if denied:
            return denied
        body, bad = self._body(request)
        if bad or not isinstance(body, dict):
            return bad or wc_error(400, "rest_invalid_json", "Invalid JSON body passed.")
        if (
            sum(len(body.get(key) or []) for key in ("create", "update", "delete"))
            > self.batch_limit
        ):
            return self._too_large()
        invalid = (
            "woocommerce_rest_product_variation_invalid_id"
            if parent_id
            else "woocommerce_rest_product_invalid_id"
        )
        updates = []
        for item in body.get("update") or []:
            object_id = int(item.get("id") or 0) if isinstance(item, dict) else 0
            target = self._products.get(object_id)
            right_kind = target is not None and (
                target["type"] == "variation" and target["parent_id"] == parent_id
                if parent_id
                else target["type"] != "variation"
            )
            if not right_kind:
                updates.append(
                    {
                        "id": object_id,
                        "error": {
                            "code": invalid,
                            "message": "Invalid ID.",
                            "data": {"status": 400},
                        },
                    }
                )
                continue
            problem = self._apply_stock(target, item)
            if problem is not None:
                updates.append({"id": object_id, "error": problem.body})
            else:
                updates.append(copy.deepcopy(target))
        return Response(200, {"update": updates} if updates else [])

    def _apply_stock(self, product: dict[str, Any], fields: Mapping[str, Any]) -> Response | None:
        quantity = fields.get("stock_quantity", product["stock_quantity"])
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int)):
            return invalid_param("stock_quantity", "stock_quantity is not of type integer.")
        manage = fields.get("manage_stock", product["manage_stock"])
        if not isinstance(manage, bool):
            return invalid_param("manage_stock", "manage_stock is not of type boolean.")
        product["manage_stock"] = manage
        if "stock_quantity" in fields:
            product["stock_quantity"] = quantity
            self.stock_writes.append((product["id"], product["sku"], quantity))
        if manage and product["stock_quantity"] is not None:
            product["stock_status"] = "instock" if product["stock_quantity"] > 0 else "outofstock"
        product["date_modified_gmt"] = _gmt(self.now())
        return None

    # routes: Shipment Tracking extension -----------------------------------------------

    def _tracking_route(self, request: Request, action: str) -> tuple[int, Response | None]:
        if not (self.shipment_tracking and self.woocommerce_active):
            return 0, self.not_found(request)
        denied = self._guard(request, action)
        if denied:
            return 0, denied
        oid = int(request.params["order_id"])
        if oid not in self._orders:
            return 0, wc_error(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        return oid, None

    @route("GET", rf"{TRACKING}/orders/(?P<order_id>\d+)/shipment-trackings")
    def list_trackings(self, request: Request) -> Response:
        oid, refused = self._tracking_route(request, "list")
        return refused or Response(200, self.trackings(oid))

    @route("GET", rf"{TRACKING}/orders/(?P<order_id>\d+)/shipment-trackings/providers")
    def list_providers(self, request: Request) -> Response:
        _, refused = self._tracking_route(request, "list")
        return refused or Response(200, copy.deepcopy(PROVIDERS))

    @route("POST", rf"{TRACKING}/orders/(?P<order_id>\d+)/shipment-trackings")
    def add_tracking(self, request: Request) -> Response:
        oid, refused = self._tracking_route(request, "create")
        if refused:
            return refused
        body, bad = self._body(request)
        if bad or not isinstance(body, dict):
            return bad or wc_error(400, "rest_invalid_json", "Invalid JSON body passed.")
        number = body.get("tracking_number")
        if not isinstance(number, str) or not number.strip():
            return wc_error(
                400,
                "rest_missing_callback_param",
                "Missing parameter(s): tracking_number",
                params=["tracking_number"],
            )
        provider = str(body.get("tracking_provider") or "")
        custom = str(body.get("custom_tracking_provider") or "")
        links = {name: link for group in PROVIDERS.values() for name, link in group.items()}
        if provider and provider not in links:
            return invalid_param("tracking_provider", "tracking_provider is not a listed provider.")
        if not provider and not custom:
            return invalid_param(
                "tracking_provider", "Give tracking_provider or custom_tracking_provider."
            )
        shipped = str(body.get("date_shipped") or _gmt(self.now())[:10])
        if not (shipped.isdigit() or _parse_date(f"{shipped}T00:00:00")):
            return invalid_param("date_shipped", "date_shipped is not a date.")
        tracking_id = hashlib.md5(  # noqa: S324  (the extension's id format)
            f"{number}{provider or custom}{len(self._trackings.get(oid, []))}".encode()
        ).hexdigest()
        item = {
            "tracking_id": tracking_id,
            "tracking_provider": provider,
            "custom_tracking_provider": custom,
            "custom_tracking_link": str(body.get("custom_tracking_link") or ""),
            "tracking_link": links[provider].replace("%1$s", number)
            if provider
            else str(body.get("custom_tracking_link") or ""),
            "tracking_number": number,
            "date_shipped": shipped,
        }
        self._trackings.setdefault(oid, []).append(item)
        return Response(201, dict(item))


def _recompute_totals(order: dict[str, Any]) -> None:
    """The order totals WooCommerce derives from its lines (coupons are already in lines)."""

    def total(items: Iterable[Mapping[str, Any]], key: str) -> Decimal:
        return sum((Decimal(str(item.get(key) or "0")) for item in items), Decimal("0"))

    lines = order.get("line_items") or []
    fees = order.get("fee_lines") or []
    shipping = order.get("shipping_lines") or []
    line_tax, fee_tax, shipping_tax = (
        total(lines, "total_tax"),
        total(fees, "total_tax"),
        total(shipping, "total_tax"),
    )
    order.update(
        discount_total=_money(total(lines, "subtotal") - total(lines, "total")),
        discount_tax=_money(total(lines, "subtotal_tax") - line_tax),
        shipping_total=_money(total(shipping, "total")),
        shipping_tax=_money(shipping_tax),
        cart_tax=_money(line_tax + fee_tax),
        total_tax=_money(line_tax + fee_tax + shipping_tax),
        total=_money(
            total(lines, "total")
            + total(fees, "total")
            + total(shipping, "total")
            + line_tax
            + fee_tax
            + shipping_tax
        ),
        tax_lines=[
            {
                "id": 318,
                "rate_code": "US-CA-STATE TAX",
                "rate_id": 75,
                "label": "State Tax",
                "compound": False,
                "tax_total": _money(line_tax + fee_tax),
                "shipping_tax_total": _money(shipping_tax),
                "meta_data": [],
            }
        ]
        if line_tax + fee_tax + shipping_tax
        else [],
    )
