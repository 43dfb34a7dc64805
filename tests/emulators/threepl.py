"""An emulator of Extensiv 3PL Warehouse Manager's REST API (HAL and plain JSON) on 127.0.0.1."""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.emulators.base import Emulator, Request, Response, route

DEFAULT_CLIENT_ID = "tpl-emulator-client-0001"
DEFAULT_CLIENT_SECRET = "tpl-emulator-secret-0001-f3a9"
DEFAULT_USER_LOGIN = "hub-api-user"
# The server's rel keys, with its capital C.
REL = "http://api.3plCentral.com/rels/"
HAL = "application/hal+json"
PLAIN_JSON = "application/json"
EXCEPTIONS = "WMS.V2.Generic.Models.Exceptions."
ASSEMBLY = ", WMS.V2.Generic.Models"
OPEN, CLOSED, CANCELED = 0, 1, 2
# (default, maximum) pgsiz per collection, as the REL documentation gives them.
PAGE_LIMITS = {
    "orders": (100, 1000),
    "customers": (20, 100),
    "stocksummaries": (100, 500),
    "facilities": (100, 1000),
}
DETAILS = frozenset(
    {
        "none",
        "orderitems",
        "billingdetails",
        "savedelements",
        "packages",
        "contacts",
        "proposedbilling",
        "outboundserialnumbers",
        "smallparcel",
        "parceloptions",
        "inserts",
        "all",
    }
)
# Plain JSON names what HAL embeds: a collection's items, or an order's lines and contents.
COLLECTION_RELS = frozenset(
    {"orders/order", "customers/customer", "properties/facility", "properties/carrier"}
)
PLAIN_NAMES = {
    "orders/item": "OrderItems",
    "orders/package": "Packages",
    "orders/packagecontent": "PackageContents",
}
SERVER_ERROR_TEXT = "An error has occurred. Please contact support with reference 7f3c2a."

# RSA keys are slow to make: a few per test process, shared by every emulator (rotate_key()
# moves to the next).
_KEYS: list[rsa.RSAPrivateKey] = []
_KEYS_LOCK = threading.Lock()


def _pool_key(index: int) -> rsa.RSAPrivateKey:
    with _KEYS_LOCK:
        while len(_KEYS) <= index:
            _KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _KEYS[index]


def _stamp(moment: datetime) -> str:
    """As the WMS writes a moment: no offset, to the second."""
    return moment.replace(tzinfo=None, microsecond=0).isoformat()


def _pascal(key: str) -> str:
    return key if key.startswith(("$", "_")) or not key else key[0].upper() + key[1:]


def _plain(value: Any) -> Any:
    """The HAL (camelCase) payload as the plain JSON representation writes it: PascalCase,
    collections in ResourceList, embedded lines as OrderItems/Packages/PackageContents."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if not isinstance(value, dict):
        return value
    plain: dict[str, Any] = {}
    for key, item in value.items():
        if key == "_links":
            continue
        if key == "_embedded":
            for rel, items in item.items():
                name = rel.removeprefix(REL)
                plain_name = "ResourceList" if name in COLLECTION_RELS else PLAIN_NAMES[name]
                plain[plain_name] = _plain(items)
            continue
        plain[_pascal(key)] = _plain(item)
    return plain


class _Refused(Exception):
    """An answer the real API gives a request it will not take; raised from checks so each
    stays one line, answered by _answer. Nothing is changed before it is raised."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _fault(kind: str, status: int = 400, **members: Any) -> _Refused:
    """A Newtonsoft error body: "$type" and PascalCase members, whatever the Accept."""
    return _Refused(Response(status, {"$type": f"{EXCEPTIONS}{kind}{ASSEMBLY}", **members}))


def _query_fault(parameter: str, code: str, hint: str) -> _Refused:
    return _fault("QueryParameterException", Parameters=[parameter], ErrorCode=code, Hint=hint)


def _model_fault(code: str, name: str, value: Any, hint: str) -> _Refused:
    return _fault(
        "ModelValidationException",
        ModelType=0,
        Properties=[{"Name": name, "Value": str(value)}],
        ErrorCode=code,
        Hint=hint,
    )


def _operation_fault(action: str, code: str, hint: str) -> _Refused:
    return _fault(
        "OperationException",
        status=403,
        ActionNameType=0,
        ActionName=action,
        ErrorCode=code,
        Hint=hint,
    )


# RQL: ";" and, "," or; a value is URL-decoded a second time (the documented trap).
_PREDICATE = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z0-9.]*)(?P<op>==|!=|=ge=|=gt=|=le=|=lt=)(?P<value>.*)$"
)
Getter = Callable[[Any], Any]


def _typed(kind: str, text: str) -> Any:
    try:
        if kind == "int":
            return int(text)
        if kind == "date":
            return datetime.fromisoformat(text)
        if kind == "bool":
            return {"true": True, "false": False}[text.lower()]
    except (ValueError, KeyError):
        raise _query_fault("rql", "NotParsable", f"Bad value for its property: {text}") from None
    return text.lower()


def _compare(actual: Any, op: str, wanted: Any) -> bool:
    if isinstance(actual, str):
        actual = actual.lower()
    if op == "==":
        return actual == wanted
    if op == "!=":
        return actual != wanted
    if actual is None:
        return False
    return {
        "=ge=": actual >= wanted,
        "=gt=": actual > wanted,
        "=le=": actual <= wanted,
        "=lt=": actual < wanted,
    }[op]


def rql_filter(text: str, fields: Mapping[str, tuple[str, Getter]]) -> Callable[[Any], bool]:
    """A predicate for the RQL subset: AND (;) of OR (,) groups of comparisons on the named
    properties (case-insensitive); NotParsable for anything else."""
    groups = []
    for term in text.split(";") if text else []:
        alternatives = []
        for part in term.split(","):
            found = _PREDICATE.match(part)
            if not found:
                raise _query_fault("rql", "NotParsable", f"Cannot parse: {part}")
            name = found.group("name").lower()
            if name not in fields:
                raise _query_fault("rql", "NotParsable", f"Properties not supported: {name}")
            kind, getter = fields[name]
            value = _typed(kind, unquote(found.group("value")))
            alternatives.append((getter, found.group("op"), value))
        groups.append(alternatives)
    return lambda record: all(
        any(_compare(getter(record), op, value) for getter, op, value in alternatives)
        for alternatives in groups
    )


@dataclass
class EmulatedCustomer:
    id: int
    name: str
    facility_ids: list[int]
    skus: set[str]
    deactivated: bool = False


@dataclass
class EmulatedOrder:
    """An order as the WMS keeps it: the posted body, its lines, state and packages."""

    id: int
    customer_id: int
    facility_id: int
    reference: str
    body: dict[str, Any]
    items: list[dict[str, Any]]  # {"orderItemId", "sku", "qty"}
    created: datetime
    modified: datetime
    version: int = 1
    status: int = OPEN
    closed: bool = False
    packages: list[dict[str, Any]] = field(default_factory=list)
    routing: dict[str, Any] = field(default_factory=dict)
    ship_date: datetime | None = None
    cancel_reason: str = ""

    @property
    def etag(self) -> str:
        # Opaque, like the SQL rowversion the real one is made of.
        return '"' + base64.b64encode(self.version.to_bytes(8, "big")).decode() + '"'


ORDER_FIELDS: dict[str, tuple[str, Getter]] = {
    "referencenum": ("str", lambda order: order.reference),
    "readonly.customeridentifier.id": ("int", lambda order: order.customer_id),
    "customeridentifier.id": ("int", lambda order: order.customer_id),
    "readonly.facilityidentifier.id": ("int", lambda order: order.facility_id),
    "readonly.isclosed": ("bool", lambda order: order.closed),
    "readonly.lastmodifieddate": ("date", lambda order: order.modified),
    "readonly.status": ("int", lambda order: order.status),
    "readonly.orderid": ("int", lambda order: order.id),
}
# A summary row has no customer field; the emulator keeps it hidden beside the row.
STOCK_FIELDS: dict[str, tuple[str, Getter]] = {
    "facilityid": ("int", lambda row: row["facilityId"]),
    "customeridentifier.id": ("int", lambda row: row["customerId"]),
    "itemidentifier.sku": ("str", lambda row: row["sku"]),
}

FACILITIES = {1: "Main Warehouse", 2: "East Annex", 3: "West Dock"}
CARRIERS: list[dict[str, Any]] = [
    {
        "name": "UPS",
        "displayName": "UPS",
        "carrierCode": "UPS",
        "scacCode": "UPSN",
        "description": "United Parcel Service",
        "deactivated": False,
        "shipmentServices": [
            {"code": "03", "description": "Ground", "shipEngineId": "ups_ground"},
            {"code": "02", "description": "2nd Day Air", "shipEngineId": "ups_2nd_day_air"},
            {"code": "14", "description": "Next Day Air Early", "deactivated": True},
        ],
        "billingCodes": ["Prepaid", "BillThirdParty", "FreightCollect"],
    },
    {
        "name": "FedEx",
        "displayName": "FedEx",
        "carrierCode": "FDX",
        "scacCode": "FDEG",
        "description": "Federal Express",
        "deactivated": False,
        "shipmentServices": [
            {"code": "FEDEX_GROUND", "description": "Ground"},
            {"code": "PRIORITY_OVERNIGHT", "description": "Priority Overnight"},
        ],
        "billingCodes": ["Prepaid", "Third Party"],
    },
    {
        "name": "USPS",
        "displayName": "US Postal Service",
        "carrierCode": "USPS",
        "scacCode": "USPS",
        "description": "",
        "deactivated": False,
        "shipmentServices": [{"code": "Priority", "description": "Priority Mail"}],
        "billingCodes": ["Prepaid"],
    },
    {
        "name": "DHL",
        "displayName": "DHL",
        "carrierCode": "DHL",
        "scacCode": "DHLC",
        "deactivated": True,
        "shipmentServices": [{"code": "EXPRESS", "description": "Express"}],
        "billingCodes": ["Prepaid"],
    },
]


class ThreePLEmulator(Emulator):
    """3PL Warehouse Manager on 127.0.0.1 with two customers, three facilities, stock and
    carriers (our own data, shaped like the REL documentation's samples).

    Speaks: POST /AuthServer/api/Token (Basic + JSON body, expiring bearer tokens); GET and
    POST /orders (pgsiz ≤ 1000, rql, sort, detail; a taken referenceNum is a 400 Duplicate,
    an unknown SKU a 400 DoesNotExist); GET /orders/{id} (ETag); POST
    /orders/{id}/canceler (If-Match: 428 without, 412 when stale, 403 OperationException
    once closed); GET /customers (pgsiz ≤ 100), /customers/{id}, /properties/facilities,
    /properties/carriers, /inventory/stocksummaries (pgsiz ≤ 500, no sort);
    GET /events/webhook/key. HAL camelCase or plain JSON PascalCase, by Accept.

    For tests: connector_settings() / connector_credentials(); add_customer, add_stock,
    add_order; ship(order_id, packages=...) closes an order with packages; signed_webhook
    and send_webhook; rotate_key(); expire_tokens(); refuse_tokens = True (every bearer
    refused); timeout_after_create(seconds) and error_after_create(status) (the order is made,
    the answer is late or a 5xx); server_error_next(...) (500 plain text);
    change_after_read(order_id); and the base fail_next / slow_next / malformed_next.
    exchanges: (request, response) pairs, as answered.
    """

    name = "threepl"

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        user_login: str = DEFAULT_USER_LOGIN,
        tpl: str = "",
        token_lifetime: int = 3600,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.user_login = user_login
        self.tpl = tpl
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, float] = {}
        self.refuse_tokens = False
        self.customers: dict[int, EmulatedCustomer] = {}
        self.facilities = dict(FACILITIES)
        self.orders: dict[int, EmulatedOrder] = {}
        self.carriers = copy.deepcopy(CARRIERS)
        # (customer, facility, sku, qualifier) -> {"received", "onHand", "allocated", "onHold"}
        self.stock: dict[tuple[int, int, str, str], dict[str, Decimal]] = {}
        self.key_index = 0
        self._late_creates: list[float] = []
        self._error_creates: list[int] = []
        self._changes_after_read: dict[int, int] = {}
        self.exchanges: list[tuple[Request, Response]] = []
        self._order_ids = itertools.count(5001)
        self._item_ids = itertools.count(90001)
        self._package_ids = itertools.count(700)
        self._event_ids = itertools.count(2070354)
        self._seed()

    def _seed(self) -> None:
        bikes = ["BIKE-RED", "BIKE-BLUE", "HELMET-M", "PUMP"]
        self.add_customer(12, "Bob's Bikes", facilities=[1, 2], skus=bikes)
        self.add_customer(14, "Other Outfitters", facilities=[1, 3], skus=["TENT-2P", "PUMP"])
        self.add_customer(15, "Closed Account", facilities=[1], skus=[], deactivated=True)
        for sku, on_hand in (("BIKE-RED", 40), ("BIKE-BLUE", 12), ("HELMET-M", 100), ("PUMP", 7)):
            self.add_stock(12, 1, sku, on_hand=on_hand)
        self.add_stock(12, 2, "BIKE-RED", on_hand=5)
        self.add_stock(14, 1, "PUMP", on_hand=900)  # the same SKU, another customer's
        self.add_stock(14, 1, "TENT-2P", on_hand=30)

    # set-up for tests --------------------------------------------------------------------

    def connector_settings(self, **overrides: Any) -> dict[str, Any]:
        """Settings for a 3PL connector pointed at this emulator (start() first)."""
        settings: dict[str, Any] = {
            "base_url": self.base_url,
            "user_login": self.user_login,
            "tpl": self.tpl,
            "default_billing_code": "Prepaid",
        }
        settings.update(overrides)
        return settings

    def connector_credentials(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def add_customer(
        self,
        customer_id: int,
        name: str,
        *,
        facilities: Sequence[int] = (1,),
        skus: Iterable[str] = (),
        deactivated: bool = False,
    ) -> None:
        """Add a customer, or add facilities and items to one."""
        with self.lock:
            customer = self.customers.setdefault(
                customer_id, EmulatedCustomer(customer_id, name, [], set(), deactivated)
            )
            customer.facility_ids.extend(f for f in facilities if f not in customer.facility_ids)
            customer.skus.update(skus)

    def add_stock(
        self,
        customer_id: int,
        facility_id: int,
        sku: str,
        *,
        on_hand: int | float,
        allocated: int | float = 0,
        on_hold: int | float = 0,
        qualifier: str = "",
    ) -> None:
        with self.lock:
            self.customers[customer_id].skus.add(sku)
            self.stock[(customer_id, facility_id, sku, qualifier)] = {
                "received": Decimal(str(on_hand)),
                "onHand": Decimal(str(on_hand)),
                "allocated": Decimal(str(allocated)),
                "onHold": Decimal(str(on_hold)),
            }

    def add_order(
        self,
        reference: str,
        lines: Mapping[str, int | float],
        *,
        customer_id: int = 12,
        facility_id: int = 1,
        modified_at: datetime | None = None,
    ) -> int:
        """An order that is in the WMS already (entered by the warehouse, or an earlier
        send); returns its id."""
        body = {
            "customerIdentifier": {"id": customer_id},
            "facilityIdentifier": {"id": facility_id},
            "referenceNum": reference,
            "billingCode": "Prepaid",
            "routingInfo": {"carrier": "UPS", "mode": "03", "scacCode": "UPSN"},
            "shipTo": {"name": "Ada Okafor", "address1": "1 Main St", "city": "Portland"},
            "orderItems": [
                {"itemIdentifier": {"sku": sku}, "qty": qty} for sku, qty in lines.items()
            ],
        }
        with self.lock:
            order = self._create(body)
            if modified_at is not None:
                order.created = order.modified = modified_at.replace(tzinfo=None, microsecond=0)
            return order.id

    def order(self, order_id: int) -> EmulatedOrder:
        with self.lock:
            return self.orders[order_id]

    def orders_with(self, reference: str) -> list[EmulatedOrder]:
        with self.lock:
            return [order for order in self.orders.values() if order.reference == reference]

    def available(self, customer_id: int, facility_id: int, sku: str) -> Decimal:
        with self.lock:
            row = self.stock[(customer_id, facility_id, sku, "")]
            return row["onHand"] - row["allocated"] - row["onHold"]

    def ship(
        self,
        order_id: int,
        packages: Sequence[Mapping[str, Any]] | None = None,
        *,
        tracking_number: str = "",
        carrier: str | None = None,
        mode: str | None = None,
        scac: str | None = None,
        modified_at: datetime | None = None,
    ) -> None:
        """Ship and Close: the order is closed with packages, each {"tracking_number": …,
        "contents": {sku: qty}}. None: one package with every line; []: no packages, only
        the order's tracking number. Lines in no package were not shipped (short)."""
        with self.lock:
            order = self.orders[order_id]
            if packages is None:
                contents = {item["sku"]: item["qty"] for item in order.items}
                packages = [{"tracking_number": tracking_number, "contents": contents}]
            order.packages = [self._package(order, spec) for spec in packages]
            first = next((p["trackingNumber"] for p in order.packages if p["trackingNumber"]), "")
            order.routing["trackingNumber"] = tracking_number or first
            given = {"carrier": carrier, "mode": mode, "scacCode": scac}
            order.routing.update({key: value for key, value in given.items() if value is not None})
            order.closed, order.status = True, CLOSED
            order.ship_date = self.now()
            self._stock_after_ship(order)
            self._touch(order, modified_at)

    def _package(self, order: EmulatedOrder, spec: Mapping[str, Any]) -> dict[str, Any]:
        package_id = next(self._package_ids)
        item_ids = {}
        for item in order.items:
            item_ids.setdefault(item["sku"], item["orderItemId"])
        return {
            "packageId": package_id,
            "packageTypeId": 1,
            "length": 12.0,
            "width": 9.0,
            "height": 4.0,
            "weight": 2.5,
            "trackingNumber": spec.get("tracking_number", ""),
            "description": "",
            "createDate": _stamp(self.now()),
            "packageContents": [
                {
                    "packageContentId": next(self._package_ids),
                    "packageId": package_id,
                    "orderItemId": item_ids[sku],
                    "receiveItemId": 1,
                    "qty": float(qty),
                    "createDate": _stamp(self.now()),
                    "serialNumbers": [],
                }
                for sku, qty in spec.get("contents", {}).items()
            ],
        }

    def _stock_after_ship(self, order: EmulatedOrder) -> None:
        for package in order.packages:
            for content in package["packageContents"]:
                sku = next(
                    i["sku"] for i in order.items if i["orderItemId"] == content["orderItemId"]
                )
                row = self.stock.get((order.customer_id, order.facility_id, sku, ""))
                if row is not None:
                    row["onHand"] -= Decimal(str(content["qty"]))
        self._allocate(order, sign=-1)

    def _touch(self, order: EmulatedOrder, moment: datetime | None = None) -> None:
        order.version += 1
        order.modified = (moment or self.now()).replace(tzinfo=None, microsecond=0)

    # misbehaviour ------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every token issued so far is expired from now on (the next call gets a 401)."""
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def timeout_after_create(self, seconds: float = 1.5, *, times: int = 1) -> None:
        """Create the next orders, then answer only after `seconds`: the client times out
        not knowing the order exists."""
        with self.lock:
            self._late_creates.extend([seconds] * times)

    def error_after_create(self, status: int = 500, *, times: int = 1) -> None:
        """Create the next orders, then answer with a 5xx (plain text)."""
        with self.lock:
            self._error_creates.extend([status] * times)

    def server_error_next(
        self, status: int = 500, *, times: int = 1, path_contains: str = "", method: str = ""
    ) -> None:
        """The next matching requests fail before doing anything, with the plain-text body
        the API documents for a 500."""
        self.fail_next(
            status,
            times=times,
            body=SERVER_ERROR_TEXT,
            headers={"Content-Type": "text/plain; charset=utf-8"},
            path_contains=path_contains,
            method=method,
        )

    def change_after_read(self, order_id: int, *, times: int = 1) -> None:
        """After each of the next `times` GETs of this order is answered, the warehouse
        changes it: the ETag the client just read is stale."""
        with self.lock:
            self._changes_after_read[order_id] = times

    def rotate_key(self) -> None:
        """Sign with a new key from now on; the key endpoint serves the new one."""
        with self.lock:
            self.key_index += 1

    # webhooks ----------------------------------------------------------------------------

    def signed_webhook(
        self, event_type: str, order_id: int, *, include_resource: bool = True
    ) -> tuple[dict[str, str], bytes]:
        """An event notification as the WMS posts it: resource.body, links and data are
        JSON text inside the JSON; Signature is base64(RSA-SHA256(body))."""
        with self.lock:
            order = self.orders[order_id]
            now = _stamp(self.now())
            resource = json.dumps(self._order_payload(order, items=True, packages=True))
            payload = {
                "tplId": 2,
                "wmsEventId": next(self._event_ids),
                "dateTime": now,
                "eventDateTimeUtc": now,
                "warehouseTransactionEventId": order.id,
                "createDateTimeUtc": now,
                "eventType": event_type,
                "resource": {
                    "rel": "orders/order",
                    "href": f"/orders/{order.id}?detail=OrderItems",
                    "body": resource if include_resource else None,
                },
                "links": json.dumps(
                    {
                        "customers/customer": f"/customers/{order.customer_id}",
                        "properties/facility": f"/properties/facilities/{order.facility_id}",
                    }
                ),
                "data": json.dumps({"OrderId": str(order.id)}),
                "tags": "Shipped" if order.closed else "",
            }
            key = _pool_key(self.key_index)
        body = json.dumps(payload).encode()
        return {"Signature": self.sign(body, key), "Content-Type": "application/json"}, body

    def sign(self, body: bytes, key: rsa.RSAPrivateKey | None = None) -> str:
        """The Signature header for a body: base64(RSA-SHA256), with the current key."""
        key = key or _pool_key(self.key_index)
        return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()

    def send_webhook(self, url: str, event_type: str, order_id: int) -> requests.Response:
        headers, body = self.signed_webhook(event_type, order_id)
        return requests.post(url, data=body, headers=headers, timeout=10)

    # dispatch ----------------------------------------------------------------------------

    def _answer(self, request: Request) -> Response:
        open_paths = ("/AuthServer/api/Token", "/events/webhook/key")
        if request.path not in open_paths and not self._bearer_ok(request):
            response = Response(401, b"", {"WWW-Authenticate": "Bearer"})
        else:
            try:
                response = super()._answer(request)
            except _Refused as refused:
                response = refused.response
        late = self._late_answer(request, response)
        with self.lock:
            self.exchanges.append((request, response))
        if late:
            time.sleep(late)  # outside the lock: other requests go on meanwhile
        return self._represented(request, response, open_paths)

    def _bearer_ok(self, request: Request) -> bool:
        scheme, _, token = request.header("authorization").partition(" ")
        with self.lock:
            expires = self.tokens.get(token)
            return (
                scheme == "Bearer"
                and expires is not None
                and expires > time.monotonic()
                and not self.refuse_tokens
            )

    def _late_answer(self, request: Request, response: Response) -> float:
        if request.method != "POST" or request.path != "/orders" or response.status != 201:
            return 0.0
        with self.lock:
            if self._error_creates:
                status = self._error_creates.pop(0)
                response.status, response.body = status, SERVER_ERROR_TEXT
                response.headers = {"Content-Type": "text/plain; charset=utf-8"}
                return 0.0
            return self._late_creates.pop(0) if self._late_creates else 0.0

    @staticmethod
    def _represented(request: Request, response: Response, open_paths: Sequence[str]) -> Response:
        if request.path in open_paths or response.status >= 400:
            return response
        if not isinstance(response.body, dict | list):
            return response
        if PLAIN_JSON in request.header("accept") and HAL not in request.header("accept"):
            response.body = _plain(response.body)
            response.headers = {**response.headers, "Content-Type": f"{PLAIN_JSON}; charset=utf-8"}
        else:
            response.headers = {**response.headers, "Content-Type": f"{HAL}; charset=utf-8"}
        return response

    # token -------------------------------------------------------------------------------

    @route("POST", r"/AuthServer/api/Token")
    def token(self, request: Request) -> Response:
        if self._basic_login(request) != (self.client_id, self.client_secret):
            return Response(401, {"error": "invalid_client"})
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type"})
        if body.get("user_login") != self.user_login:
            return Response(
                400, {"error": "invalid_grant", "error_description": "Unknown user_login."}
            )
        if self.tpl and body.get("tpl") != "{" + self.tpl + "}":
            return Response(400, {"error": "invalid_request", "error_description": "Bad tpl."})
        token = secrets.token_urlsafe(32)
        self.tokens[token] = time.monotonic() + self.token_lifetime
        return Response(
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "refresh_token": None,
                "scope": None,
            },
        )

    @staticmethod
    def _basic_login(request: Request) -> tuple[str, str]:
        scheme, _, encoded = request.header("authorization").partition(" ")
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ("", "")
        user, _, password = decoded.partition(":")
        return (user, password) if scheme == "Basic" else ("", "")

    # orders ------------------------------------------------------------------------------

    @route("GET", r"/orders")
    def list_orders(self, request: Request) -> Response:
        size, number = self._paging(request, "orders")
        matches = rql_filter(request.arg("rql", "") or "", ORDER_FIELDS)
        orders = [order for order in self.orders.values() if matches(order)]
        orders = self._sorted(orders, request.arg("sort", "") or "")
        items, packages = self._detail(request)
        page = orders[(number - 1) * size : number * size]
        return Response(
            200,
            {
                "totalResults": len(orders),
                "_links": {"self": {"href": "/orders"}},
                "_embedded": {
                    REL + "orders/order": [
                        self._order_payload(order, items=items, packages=packages) for order in page
                    ]
                },
            },
        )

    @staticmethod
    def _sorted(orders: list[EmulatedOrder], sort: str) -> list[EmulatedOrder]:
        orders = sorted(orders, key=lambda order: order.id)
        for term in reversed([term for term in sort.split(",") if term]):
            name = term.lstrip("-").lower()
            if name not in ORDER_FIELDS:
                raise _query_fault("sort", "NotParsable", f"Properties not supported: {name}")
            getter = ORDER_FIELDS[name][1]
            orders.sort(key=getter, reverse=term.startswith("-"))
        return orders

    @staticmethod
    def _detail(request: Request) -> tuple[bool, bool]:
        """(items, packages) as detail= asks for them."""
        wanted = {part.strip().lower() for part in (request.arg("detail", "") or "").split(",")}
        wanted.discard("")
        if wanted - DETAILS:
            raise _query_fault("detail", "NotParsable", f"Unknown detail: {sorted(wanted)}")
        every = "all" in wanted
        return every or "orderitems" in wanted, every or "packages" in wanted

    @route("GET", r"/orders/(?P<order_id>\d+)")
    def get_order(self, request: Request) -> Response:
        order = self._order_or_404(request)
        items, packages = self._detail(request)
        response = Response(
            200,
            self._order_payload(order, items=items, packages=packages),
            {"ETag": order.etag},
        )
        if self._changes_after_read.get(order.id):
            self._changes_after_read[order.id] -= 1
            self._touch(order)
        return response

    @route("POST", r"/orders")
    def create_order(self, request: Request) -> Response:
        body = self._body(request)
        order = self._create(body)
        payload = self._order_payload(order, items=True, packages=False)
        return Response(201, payload, {"ETag": order.etag, "Location": f"/orders/{order.id}"})

    @route("POST", r"/orders/(?P<order_id>\d+)/canceler")
    def cancel_order(self, request: Request) -> Response:
        order = self._order_or_404(request)
        if_match = request.header("if-match")
        if not if_match:
            return Response(428, b"")
        if if_match != order.etag:
            return Response(412, b"")
        reason = self._body(request).get("reason")
        if not reason:
            raise _model_fault("Required", "Reason", "", "A reason is required.")
        if order.status == CANCELED:
            raise _operation_fault("ordercancel", "OrderCanceled", "The order is canceled.")
        if order.closed:
            raise _operation_fault(
                "ordercancel", "OrderConfirmed", "Order can't be canceled because it's confirmed"
            )
        order.status, order.cancel_reason = CANCELED, str(reason)
        self._allocate(order, sign=-1)
        self._touch(order)
        return Response(204, None)

    def _order_or_404(self, request: Request) -> EmulatedOrder:
        order = self.orders.get(int(request.params["order_id"]))
        if order is None:
            raise _Refused(Response(404, b""))
        return order

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _model_fault("Required", "Body", "", "The body must be a JSON object.")
        return body

    def _create(self, body: Mapping[str, Any]) -> EmulatedOrder:
        customer, facility_id = self._customer_and_facility(body)
        reference = str(body.get("referenceNum") or "")
        if not reference:
            raise _model_fault("Required", "ReferenceNum", "", "ReferenceNum is required.")
        if any(
            o.customer_id == customer.id and o.reference == reference for o in self.orders.values()
        ):
            raise _model_fault(
                "Duplicate", "ReferenceNum", reference, "Duplicate ReferenceNum for this customer."
            )
        if not body.get("shipTo"):
            raise _model_fault("Required", "ShipTo", "", "ShipTo is required.")
        lines = self._lines(customer, body.get("orderItems"))
        self._check_routing(body)
        now = self.now()
        order = EmulatedOrder(
            id=next(self._order_ids),
            customer_id=customer.id,
            facility_id=facility_id,
            reference=reference,
            body=copy.deepcopy(dict(body)),
            items=[
                {"orderItemId": next(self._item_ids), "sku": sku, "qty": qty} for sku, qty in lines
            ],
            created=now,
            modified=now,
            routing=dict(body.get("routingInfo") or {}),
        )
        self.orders[order.id] = order
        self._allocate(order, sign=1)
        return order

    def _customer_and_facility(self, body: Mapping[str, Any]) -> tuple[EmulatedCustomer, int]:
        customer_id = (body.get("customerIdentifier") or {}).get("id")
        customer = self.customers.get(customer_id) if isinstance(customer_id, int) else None
        if customer is None or customer.deactivated:
            raise _model_fault(
                "DoesNotExist", "CustomerIdentifier", customer_id, "No such customer."
            )
        facility_id = (body.get("facilityIdentifier") or {}).get("id")
        if facility_id not in customer.facility_ids:
            raise _model_fault(
                "DoesNotExist", "FacilityIdentifier", facility_id, "No such facility."
            )
        return customer, int(facility_id)

    @staticmethod
    def _lines(customer: EmulatedCustomer, items: Any) -> list[tuple[str, Decimal]]:
        if not isinstance(items, list) or not items:
            raise _model_fault("Required", "OrderItems", "", "At least one item is required.")
        lines = []
        for item in items:
            sku = str(((item or {}).get("itemIdentifier") or {}).get("sku") or "")
            if sku not in customer.skus:
                raise _model_fault("DoesNotExist", "ItemIdentifier.Sku", sku, "No such item.")
            quantity = Decimal(str(item.get("qty") or 0))
            if quantity <= 0:
                raise _model_fault("ValueNotSupported", "Qty", quantity, "Qty must be positive.")
            lines.append((sku, quantity))
        return lines

    def _check_routing(self, body: Mapping[str, Any]) -> None:
        """Carrier, mode and billing code must be ones /properties/carriers lists."""
        routing = body.get("routingInfo") or {}
        carrier_name = routing.get("carrier")
        billing = body.get("billingCode")
        if not carrier_name:
            return
        carrier = next((c for c in self.carriers if c["name"] == carrier_name), None)
        if carrier is None or carrier.get("deactivated"):
            raise _model_fault(
                "ValueNotSupported", "RoutingInfo.Carrier", carrier_name, "Unknown carrier."
            )
        modes = {service["code"] for service in carrier["shipmentServices"]}
        if routing.get("mode") and routing["mode"] not in modes:
            raise _model_fault(
                "ValueNotSupported", "RoutingInfo.Mode", routing["mode"], "Bad mode."
            )
        if billing and billing not in carrier["billingCodes"]:
            raise _model_fault("ValueNotSupported", "BillingCode", billing, "Bad billing code.")

    def _allocate(self, order: EmulatedOrder, *, sign: int) -> None:
        for item in order.items:
            row = self.stock.get((order.customer_id, order.facility_id, item["sku"], ""))
            if row is not None:
                row["allocated"] = max(Decimal("0"), row["allocated"] + sign * item["qty"])

    def _order_payload(
        self, order: EmulatedOrder, *, items: bool, packages: bool
    ) -> dict[str, Any]:
        customer = self.customers[order.customer_id]
        read_only: dict[str, Any] = {
            "orderId": order.id,
            "fullyAllocated": True,
            "isClosed": order.closed,
            "status": order.status,
            "customerIdentifier": {"externalId": "", "name": customer.name, "id": customer.id},
            "facilityIdentifier": {
                "name": self.facilities[order.facility_id],
                "id": order.facility_id,
            },
            "warehouseTransactionSourceType": 7,
            "creationDate": _stamp(order.created),
            "createdByIdentifier": {"name": self.user_login, "id": 41},
            "lastModifiedDate": _stamp(order.modified),
            "lastModifiedByIdentifier": {"name": self.user_login, "id": 41},
        }
        if order.ship_date is not None:
            read_only["processDate"] = read_only["shipDate"] = _stamp(order.ship_date)
        if packages:
            read_only["packages"] = copy.deepcopy(order.packages)
        payload: dict[str, Any] = {"readOnly": read_only}
        for name in ("referenceNum", "poNum", "notes", "billingCode", "shipTo", "soldTo"):
            if name in order.body:
                payload[name] = copy.deepcopy(order.body[name])
        payload["routingInfo"] = dict(order.routing)
        payload["_links"] = {"self": {"href": f"/orders/{order.id}"}}
        if items:
            payload["_embedded"] = {
                REL + "orders/item": [
                    {
                        "readOnly": {"orderItemId": item["orderItemId"], "fullyAllocated": True},
                        "itemIdentifier": {"sku": item["sku"], "id": 300 + len(item["sku"])},
                        "qty": float(item["qty"]),
                    }
                    for item in order.items
                ]
            }
        return payload

    # customers, facilities, carriers -----------------------------------------------------

    @route("GET", r"/customers")
    def list_customers(self, request: Request) -> Response:
        size, number = self._paging(request, "customers")
        customers = sorted(self.customers.values(), key=lambda customer: customer.id)
        page = customers[(number - 1) * size : number * size]
        return Response(
            200,
            {
                "totalResults": len(customers),
                "_embedded": {REL + "customers/customer": [self._customer(c) for c in page]},
            },
        )

    @route("GET", r"/customers/(?P<customer_id>\d+)")
    def get_customer(self, request: Request) -> Response:
        customer = self.customers.get(int(request.params["customer_id"]))
        if customer is None:
            return Response(404, b"")
        return Response(200, self._customer(customer), {"ETag": f'"{customer.id}"'})

    def _customer(self, customer: EmulatedCustomer) -> dict[str, Any]:
        facilities = [
            {"name": self.facilities[facility_id], "id": facility_id}
            for facility_id in customer.facility_ids
        ]
        return {
            "readOnly": {
                "customerId": customer.id,
                "creationDate": "2024-02-01T09:00:00",
                "deactivated": customer.deactivated,
            },
            "companyInfo": {"companyName": customer.name, "name": "Warehouse contact"},
            "externalId": "",
            "facilities": facilities,
            "primaryFacilityIdentifier": facilities[0] if facilities else None,
        }

    @route("GET", r"/properties/facilities")
    def list_facilities(self, request: Request) -> Response:
        size, number = self._paging(request, "facilities")
        rows = sorted(self.facilities.items())[(number - 1) * size : number * size]
        return Response(
            200,
            {
                "totalResults": len(self.facilities),
                "_embedded": {
                    REL + "properties/facility": [
                        {"facilityId": facility_id, "name": name, "deactivated": False}
                        for facility_id, name in rows
                    ]
                },
            },
        )

    @route("GET", r"/properties/carriers")
    def list_carriers(self, request: Request) -> Response:
        return Response(
            200,
            {
                "defaultBillingCodes": ["Prepaid"],
                "defaultShipmentServices": [],
                "_embedded": {REL + "properties/carrier": copy.deepcopy(self.carriers)},
            },
        )

    # inventory ---------------------------------------------------------------------------

    @route("GET", r"/inventory/stocksummaries")
    def stock_summaries(self, request: Request) -> Response:
        if "sort" in request.query:
            raise _query_fault("sort", "NotParsable", "This resource has no sort.")
        size, number = self._paging(request, "stocksummaries")
        matches = rql_filter(request.arg("rql", "") or "", STOCK_FIELDS)
        rows = [
            {
                "customerId": customer_id,
                "facilityId": facility_id,
                "sku": sku,
                **row,
                "q": qualifier,
            }
            for (customer_id, facility_id, sku, qualifier), row in sorted(self.stock.items())
        ]
        rows = [row for row in rows if matches(row)]
        page = rows[(number - 1) * size : number * size]
        return Response(
            200, {"totalResults": len(rows), "summaries": [self._summary(row) for row in page]}
        )

    @staticmethod
    def _summary(row: Mapping[str, Any]) -> dict[str, Any]:
        available = row["onHand"] - row["allocated"] - row["onHold"]
        return {
            "itemIdentifier": {"sku": row["sku"], "id": 300 + len(row["sku"])},
            "qualifier": row["q"],
            "totalReceived": float(row["received"]),
            "allocated": float(row["allocated"]),
            "available": float(available),
            "onHold": float(row["onHold"]),
            "onHand": float(row["onHand"]),
            "orderedNotAllocated": None,
            "facilityId": row["facilityId"],
        }

    # webhook key -------------------------------------------------------------------------

    @route("GET", r"/events/webhook/key")
    def webhook_key(self, request: Request) -> Response:
        pem = (
            _pool_key(self.key_index)
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return Response(
            200,
            {"publicKey": pem.decode(), "retrievalDateISO": datetime.now(UTC).isoformat()},
            {"Content-Type": "application/json; charset=utf-8"},
        )

    # paging ------------------------------------------------------------------------------

    @staticmethod
    def _paging(request: Request, collection: str) -> tuple[int, int]:
        default, limit = PAGE_LIMITS[collection]
        try:
            size = int(request.arg("pgsiz", str(default)) or default)
            number = int(request.arg("pgnum", "1") or 1)
        except ValueError:
            raise _query_fault("pgsiz", "NotParsable", "pgsiz and pgnum are numbers.") from None
        if not 1 <= size <= limit:
            raise _query_fault("pgsiz", "NotParsable", f"pgsiz must be 1 to {limit}.")
        if number < 1:
            raise _query_fault("pgnum", "NotParsable", "pgnum starts at 1.")
        return size, number
