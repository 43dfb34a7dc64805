"""HTTP to one WooCommerce store: its paths, its two ways of sending keys, its refusals."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from integration_manager.connector_errors import AuthError, RecordError, TransientError
from integration_manager.http import HubSession, check_response, error_detail, remote_text

API = "/wp-json/wc/v3"
TRACKING_API = "/wp-json/wc-shipment-tracking/v3"
# WooCommerce takes keys over plain http only as OAuth 1.0a signatures; Basic and query-string
# keys need TLS, except on this machine (the emulators, a developer's local store).

KEYS_PAGE = "WooCommerce > Settings > Advanced > REST API"
READ_ONLY = (
    "The WooCommerce API key has Read permission only, and the hub must also write (order "
    f"status, tracking, stock). In {KEYS_PAGE}, edit the key, set Permissions to Read/Write "
    "and save; the consumer key and secret stay the same."
)
NO_TRACKING_EXTENSION = (
    "“Shipment Tracking extension” is set to Always, but the store does not have the "
    "extension's REST API (wc-shipment-tracking/v3). Install and activate Shipment "
    "Tracking in WooCommerce, or choose “Use it when the store has it”."
)
HEADER_REMOVED = (
    "The API keys are right, but the store's web server removes the Authorization header "
    "before WooCommerce sees it. Turn on “Send the keys in the query string” in the cart's "
    "settings and save (or ask the host to pass the Authorization header to PHP)."
)


@dataclass(frozen=True)
class StockBatch:
    """What the store said to one products (or one product's variations) batch update."""

    # The "update" list of a 200: one entry per object, the object or {"id", "error"}.
    entries: list[dict[str, Any]] = field(default_factory=list)
    too_large: bool = False  # 413: the store takes fewer objects a call
    parent_gone: bool = False  # the variations' product no longer exists
    refusal: str = ""  # the whole batch was refused: the store's words for why


@dataclass(frozen=True)
class _Reply:
    """One answer, before it is turned into data or an error (never leaves this module)."""

    status: int
    data: Any
    headers: Mapping[str, str]
    detail: str = ""
    readable: bool = True  # False: the body was not JSON (an HTML page, a PHP notice)
    in_query: bool = False  # whether the keys went in the query string
    response: requests.Response | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str:
        """WordPress's error code ("rest_no_route", "woocommerce_rest_…"), or ""."""
        return (
            remote_text(self.data.get("code") or "", limit=80)
            if isinstance(self.data, dict)
            else ""
        )

    @property
    def message(self) -> str:
        return remote_text(self.data.get("message") or "") if isinstance(self.data, dict) else ""

    @property
    def reason(self) -> str:
        """The store's words for a refusal, else its status."""
        return self.message or self.detail or f"HTTP {self.status}"


class WooCommerceClient:
    """The store's REST operations with the keys; each returns data or raises the error family.

    401/403 raise AuthError with what to fix, 429 RateLimited, 5xx and an answer that is not
    JSON (or not shaped as documented) TransientError, a refusal about one order RecordError;
    a 404 rest_no_route means the address is not a WooCommerce store (AuthError).
    """

    def __init__(
        self,
        *,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        query_string_auth: bool,
        session: HubSession,
        label: str = "WooCommerce",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = consumer_key
        self._secret = consumer_secret
        self.query_string_auth = query_string_auth
        self.session = session
        self.label = label
        self._providers: Mapping[str, Any] | None = None

    def __repr__(self) -> str:  # never the keys
        return f"<WooCommerceClient {urlsplit(self.base_url).hostname}>"

    # the site ----------------------------------------------------------------------------

    def namespaces(self) -> list[str] | None:
        """The REST namespaces the site lists (None when the index is locked down)."""
        reply = self._send("GET", "/", api="/wp-json", authenticate=False)
        if reply.status >= 500 or reply.status == 429:
            self._raise_for_any_call(reply)
        if reply.status in (401, 403):
            return None  # some security plugins hide the index; the orders call still tells
        if not reply.ok or not isinstance(reply.data, dict):
            raise AuthError(self.not_woocommerce())
        namespaces = [str(name) for name in reply.data.get("namespaces") or []]
        if "wc/v3" not in namespaces:
            raise AuthError(
                f"WordPress answers at {self.base_url}, but WooCommerce's REST API (wc/v3) is "
                "not there. Check that WooCommerce (3.5 or later) is installed and active."
            )
        return namespaces

    # orders ------------------------------------------------------------------------------

    def orders_list(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """GET /orders with these parameters: the orders of one page."""
        return self._order_list(self._call("GET", "/orders", params=params))

    def orders_probe(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """orders_list for test_connection: keys refused as unknown are tried once more in the
        query string, which tells a web server that removes the Authorization header."""
        reply = self._send("GET", "/orders", params=params)
        if (
            self._keys_unknown_in_header(reply)
            and self._send("GET", "/orders", params=params, query_string_auth=True).ok
        ):
            raise AuthError(HEADER_REMOVED)
        self._raise_for_any_call(reply)
        return self._order_list(reply)

    def orders_total(self, params: Mapping[str, Any]) -> int:
        """How many orders match (X-WP-Total), from a GET /orders with these parameters."""
        reply = self._call("GET", "/orders", params=params)
        self._checked(reply, what="count orders")
        total = str(reply.headers.get("X-WP-Total", "0")).strip()
        if not total.isdigit():
            raise TransientError(
                "WooCommerce did not say how many orders there are. The hub will try again."
            )
        return int(total)

    def orders_batch_probe(self) -> None:
        """An empty POST /orders/batch: it writes nothing, but a read-only key is refused."""
        self._checked(self._call("POST", "/orders/batch", body={}), what="check write access")

    def order_get(self, order_id: str, *, fields: str) -> dict[str, Any]:
        """GET /orders/{id} with only these fields (_fields, comma-separated)."""
        reply = self._call("GET", f"/orders/{order_id}", params={"_fields": fields})
        if reply.status == 404 and reply.code != "rest_no_route":
            raise RecordError(
                f"WooCommerce has no order {order_id} any more (deleted?). Check with the "
                "merchant; the shipment was not uploaded.",
                record_ref=order_id,
            )
        data = self._checked(reply, what=f"read order {order_id}")
        if data is not None and not isinstance(data, dict):
            raise TransientError(
                f"WooCommerce sent order {order_id} in an unexpected shape. The hub will try again."
            )
        return data or {}

    def order_status_update(self, order_id: str, status: str) -> None:
        reply = self._call("PUT", f"/orders/{order_id}", body={"status": status})
        if reply.status == 400 and reply.code == "rest_invalid_param":
            raise AuthError(
                f"WooCommerce has no order status “{status}”. Fix “Status after shipping” in "
                "the cart's settings: completed, or the slug of a status a plugin adds."
            )
        self._about_order(reply, order_id=order_id, what=f"set the status to {status}")

    def order_notes_list(self, order_id: str) -> list[dict[str, Any]]:
        reply = self._call("GET", f"/orders/{order_id}/notes", params={"type": "any"})
        notes = self._about_order(reply, order_id=order_id, what="read the notes")
        return _objects(notes, what="the order notes")

    def order_note_create(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        reply = self._call("POST", f"/orders/{order_id}/notes", body=body)
        return self._created(reply, order_id=order_id, what="add the tracking note", thing="note")

    # the Shipment Tracking extension -----------------------------------------------------

    def shipment_trackings_list(self, order_id: str) -> list[dict[str, Any]] | None:
        """The order's trackings, or None when the store has no Shipment Tracking extension."""
        reply = self._call("GET", f"/orders/{order_id}/shipment-trackings", api=TRACKING_API)
        if reply.status == 404 and reply.code == "rest_no_route":
            return None
        data = self._about_order(reply, order_id=order_id, what="read the trackings")
        return _objects(data, what="the trackings") if isinstance(data, list) else []

    def shipment_tracking_create(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        reply = self._call(
            "POST", f"/orders/{order_id}/shipment-trackings", body=body, api=TRACKING_API
        )
        return self._created(reply, order_id=order_id, what="add the tracking", thing="tracking")

    def shipment_tracking_providers(self, order_id: str) -> Mapping[str, Any]:
        """The extension's carriers, read once per client: {country: {name: link}}."""
        if self._providers is None:
            reply = self._call(
                "GET", f"/orders/{order_id}/shipment-trackings/providers", api=TRACKING_API
            )
            # Without the list every carrier goes as a custom provider, which still works.
            self._providers = reply.data if reply.ok and isinstance(reply.data, dict) else {}
        return self._providers

    # products ----------------------------------------------------------------------------

    def products_list_by_sku(self, skus: Sequence[str]) -> list[dict[str, Any]]:
        """GET /products?sku=a,b,…: the products and variations with these SKUs."""
        # The sku filter searches variations too, which come back with type "variation".
        reply = self._call(
            "GET",
            "/products",
            params={"sku": ",".join(skus), "per_page": 100, "_fields": "id,sku,type,parent_id"},
        )
        products = self._checked(reply, what="look up products by SKU")
        if not isinstance(products, list) or not all(isinstance(p, dict) for p in products):
            raise TransientError("WooCommerce answered the product search with something else.")
        return products

    def stock_batch_update(
        self, product_id: int | None, updates: Sequence[Mapping[str, Any]]
    ) -> StockBatch:
        """POST /products/batch, or /products/{id}/variations/batch for a product's
        variations, with these "update" entries."""
        path = f"/products/{product_id}/variations/batch" if product_id else "/products/batch"
        reply = self._call("POST", path, body={"update": list(updates)})
        if reply.status == 404 and reply.code == "rest_no_route":
            raise AuthError(self.not_woocommerce())
        if reply.status == 404 and product_id:
            return StockBatch(parent_gone=True)
        if not reply.ok:
            return StockBatch(too_large=reply.status == 413, refusal=reply.reason)
        if reply.data is not None and not isinstance(reply.data, dict):
            raise TransientError(
                "WooCommerce answered the stock update with something else. The hub will send "
                "it again next time."
            )
        entries = (reply.data or {}).get("update") or []
        return StockBatch(entries=[entry for entry in entries if isinstance(entry, dict)])

    # requests ----------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        api: str = API,
        authenticate: bool = True,
        query_string_auth: bool | None = None,
    ) -> _Reply:
        """One call, its answer as it came; timeouts and connection errors raise
        TransientError (the session does that)."""
        query = dict(params or {})
        auth: tuple[str, str] | None = None
        in_query = self.query_string_auth if query_string_auth is None else query_string_auth
        if authenticate and in_query:
            # For hosts that drop the Authorization header; the HTTP helper never logs queries.
            query.update(consumer_key=self._key, consumer_secret=self._secret)
        elif authenticate:
            auth = (self._key, self._secret)
        response = self.session.request(
            method,
            f"{self.base_url}{api}{path}",
            params=query or None,
            json=body,
            auth=auth,
            headers={"Accept": "application/json"},
        )
        try:
            data = json.loads(response.content) if response.content else None
            readable = True
        except ValueError:
            data, readable = None, False
        return _Reply(
            status=response.status_code,
            data=data,
            headers=response.headers,
            detail=error_detail(response) if response.status_code >= 400 else "",
            readable=readable,
            in_query=in_query,
            response=response,
        )

    def _keys_unknown_in_header(self, reply: _Reply) -> bool:
        """WooCommerce ran the request as if no keys came: wrong keys, or a removed header."""
        return (
            reply.status == 401
            and reply.code.startswith("woocommerce_rest_cannot_")
            and not self.query_string_auth
        )

    def _call(self, method: str, path: str, **options: Any) -> _Reply:
        """_send, with what every call means the same way raised."""
        reply = self._send(method, path, **options)
        self._raise_for_any_call(reply)
        return reply

    def _raise_for_any_call(self, reply: _Reply) -> None:
        if reply.status in (401, 403):
            raise AuthError(self._refusal(reply))
        if reply.response is not None:
            check_response(reply.response, label=self.label, auth_hint="")
        if reply.ok and not reply.readable:
            raise TransientError(
                f"{self.label} answered with something that is not JSON (often a PHP notice, or "
                "a maintenance or security page printed before the data). The hub will try "
                "again; if this keeps happening, ask the store's developer to check the PHP "
                "error log."
            )

    def _order_list(self, reply: _Reply) -> list[dict[str, Any]]:
        if reply.status == 400:
            raise AuthError(
                f"WooCommerce refused the order query ({reply.message or reply.detail}). The "
                "hub needs WooCommerce 5.8 or later (modified_after, orderby=modified); if the "
                "message names a status, fix the statuses in the cart's settings."
            )
        data = self._checked(reply, what="list orders")
        if not isinstance(data, list):
            raise TransientError(
                "WooCommerce answered the order list with something other than a list. The hub "
                "will try again."
            )
        return _objects(data, what="the order list")

    def _checked(self, reply: _Reply, *, what: str) -> Any:
        """The data of an answer a working connection gets; a 4xx it should never get raises."""
        if reply.status == 404 and reply.code == "rest_no_route":
            raise AuthError(self.not_woocommerce())
        if not reply.ok:
            raise TransientError(
                f"WooCommerce refused to {what} (HTTP {reply.status}: "
                f"{reply.message or reply.detail}). The hub will try again."
            )
        return reply.data

    def _about_order(self, reply: _Reply, *, order_id: str, what: str) -> Any:
        """The data of an answer about one order: a 4xx is that order's problem (RecordError)."""
        if reply.status == 404 and reply.code == "rest_no_route":
            raise AuthError(self.not_woocommerce())
        if reply.status == 404:
            raise RecordError(
                f"WooCommerce has no order {order_id} any more (deleted?), so the hub could not "
                f"{what}. Check with the merchant.",
                record_ref=order_id,
            )
        if not reply.ok:
            raise RecordError(
                f"WooCommerce refused to {what} for order {order_id}: {reply.reason}",
                record_ref=order_id,
            )
        return reply.data if reply.data is not None else {}

    def _created(self, reply: _Reply, *, order_id: str, what: str, thing: str) -> dict[str, Any]:
        data = self._about_order(reply, order_id=order_id, what=what)
        if not isinstance(data, dict):
            raise TransientError(
                f"WooCommerce answered the new {thing} with something else. The hub checks the "
                "order before it tries again."
            )
        return data

    # messages ----------------------------------------------------------------------------

    def _refusal(self, reply: _Reply) -> str:
        """What a 401/403 means, in words that say what to change."""
        code = reply.code
        if code == "woocommerce_rest_authentication_error":
            return _key_refusal(reply.message.casefold(), status=reply.status)
        if code.startswith("woocommerce_rest_cannot_") or code == "rest_forbidden":
            return _permission_refusal(status=reply.status, in_query=reply.in_query)
        if not isinstance(reply.data, dict):
            return (
                f"The store refused the request (HTTP {reply.status}) with a page that is not "
                "WooCommerce's: a security plugin or firewall may be blocking the hub. Allow "
                "requests to /wp-json/wc/v3/ from the hub, then test the connection again."
            )
        return (
            f"WooCommerce refused the request (HTTP {reply.status}, {code or 'no code'}). "
            f"Check the API keys in {KEYS_PAGE}."
        )

    def not_woocommerce(self) -> str:
        return (
            f"{self.base_url} does not answer like a WooCommerce store (no /wp-json/wc/v3/ "
            "there). Check the store address in the settings (the site's home page, e.g. "
            "https://shop.example.com), that WooCommerce is active, and that WordPress "
            "permalinks are not set to “Plain”."
        )


def _key_refusal(text: str, *, status: int) -> str:
    """woocommerce_rest_authentication_error: which part of the key WooCommerce refused."""
    if "write permission" in text:
        return READ_ONLY
    if "read permission" in text:
        return (
            "The WooCommerce API key has Write permission only, and the hub must also "
            f"read orders. In {KEYS_PAGE}, set the key's Permissions to Read/Write."
        )
    if "secret" in text:
        return (
            "WooCommerce knows the consumer key but refused the consumer secret. Paste "
            "the consumer secret (it starts with cs_) shown when the key was made; if "
            f"it is lost, make a new key in {KEYS_PAGE} and paste both."
        )
    if "consumer key" in text:
        return (
            "WooCommerce does not know this consumer key. Paste the consumer key (it "
            f"starts with ck_) of a key listed in {KEYS_PAGE}."
        )
    return (
        f"WooCommerce refused the API keys (HTTP {status}). Check the consumer "
        f"key and secret in {KEYS_PAGE}."
    )


def _permission_refusal(*, status: int, in_query: bool) -> str:
    """woocommerce_rest_cannot_…: the keys were not recognised, or their user may not act."""
    if status == 403:
        return (
            "WooCommerce accepted the API key, but its WordPress user may not manage "
            f"orders and products. In {KEYS_PAGE}, make a key for an administrator or "
            "shop manager, with Read/Write permission."
        )
    if in_query:
        return (
            "WooCommerce did not recognise the API keys. Paste the consumer key (ck_…) "
            f"and consumer secret (cs_…) of a key listed in {KEYS_PAGE}."
        )
    return (
        "WooCommerce did not recognise the API keys. Paste the consumer key (ck_…) and "
        f"consumer secret (cs_…) of a key listed in {KEYS_PAGE}. If they are right, the "
        "web server is removing the Authorization header: turn on “Send the keys in "
        "the query string” and save."
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
