"""HTTP to BigCommerce's v2 and v3 APIs: auth header, rate-limit headers, the error family."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from integration_manager.connector_errors import (
    AuthError,
    ConnectorError,
    RateLimited,
    RecordError,
    TransientError,
)
from integration_manager.http import (
    MAX_INLINE_WAIT,
    HubSession,
    check_response,
    error_detail,
    remote_text,
)
from integration_manager.parsing import format_utc

logger = logging.getLogger(__name__)

LABEL = "BigCommerce"
PAGE_LIMIT = 250  # the v2 and v3 collection maximum
TOKEN_HINT = (
    "Create a store-level API account in BigCommerce (Settings › Store-level API accounts), "
    "paste its access token in the cart's settings and save."
)

# What each part of the hub needs, as BigCommerce names the OAuth scopes in its control panel.
ORDERS_SCOPE = "Orders: modify"
PRODUCTS_SCOPE = "Products: read-only"
INVENTORY_SCOPE = "Store Inventory: modify"


class StoreNotFound(AuthError):
    """The store hash names no store: a setting to fix, like a refused token."""


class AdjustmentRefused(ConnectorError):
    """BigCommerce refused a batch of stock levels (422). Absolute adjustments are all or
    nothing and the problem need not say which item it was: the caller narrows it down."""

    def __init__(self, *, title: str, detail: str) -> None:
        super().__init__(
            f"BigCommerce refused the stock levels: {detail}. Check the SKUs in BigCommerce."
        )
        self.title = title  # the problem's own words, to read which variants it names
        self.detail = detail  # the same, fit to show


@dataclass(frozen=True)
class VariantPage:
    """One page of GET /v3/catalog/variants: the variants (id, product_id, sku) and how
    many pages the listing has."""

    variants: list[dict[str, Any]]
    total_pages: int


class BigCommerceClient:
    """One connection's calls, named after BigCommerce's operations; each returns parsed JSON
    or raises the error family (401/403/404-store AuthError, 429 RateLimited, 5xx and
    unreadable answers TransientError, a refused order RecordError, other 4xx ConnectorError).
    """

    def __init__(
        self,
        *,
        session: HubSession,
        base_url: str,
        store_hash: str,
        access_token: str,
    ) -> None:
        self.session = session
        self.store_hash = store_hash
        self.v2 = f"{base_url}/stores/{store_hash}/v2"
        self.v3 = f"{base_url}/stores/{store_hash}/v3"
        session.headers.update(
            {
                "X-Auth-Token": access_token,
                "Accept": "application/json",
                # The vendor's OpenAPI files require it on every call, GETs included.
                "Content-Type": "application/json",
            }
        )
        session.hooks["response"].append(self._note_rate_limit)
        self._requests_left: int | None = None
        self._reset_seconds = 0.0
        self._noted_at = 0.0

    # rate limit ------------------------------------------------------------------------

    def _note_rate_limit(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Remember the quota left; give a 429 the Retry-After the shared session reads."""
        left = response.headers.get("X-Rate-Limit-Requests-Left")
        reset_ms = response.headers.get("X-Rate-Limit-Time-Reset-Ms")
        if left is not None and left.strip().lstrip("-").isdigit():
            self._requests_left = int(left)
            self._reset_seconds = _seconds(reset_ms)
            self._noted_at = time.monotonic()
        # BigCommerce says when the window resets instead of sending Retry-After. A 429
        # without the header is platform load: the session then backs off its default.
        if (
            response.status_code == 429
            and "Retry-After" not in response.headers
            and reset_ms is not None
        ):
            response.headers["Retry-After"] = f"{_seconds(reset_ms):.3f}"

    def _throttle(self) -> None:
        # The quota is shared by every app on the store: once it is spent, wait for the
        # window instead of spending a request on a certain 429.
        if self._requests_left is None or self._requests_left > 0:
            return
        wait = self._reset_seconds - (time.monotonic() - self._noted_at)
        self._requests_left = None
        if wait <= 0:
            return
        if wait > MAX_INLINE_WAIT:
            raise RateLimited(
                f"The BigCommerce store's API quota is used up; the hub will try again in "
                f"{math.ceil(wait)} seconds.",
                retry_after=wait,
            )
        time.sleep(wait)

    # transport -------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        url: str,
        *,
        scope: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> requests.Response:
        """Send one request; the statuses every call means the same way become errors."""
        self._throttle()
        response = self.session.request(method, url, params=params, json=body)
        if response.status_code == 401:
            raise AuthError(f"BigCommerce refused the access token (HTTP 401). {TOKEN_HINT}")
        if response.status_code == 403:
            raise AuthError(
                f"BigCommerce says the API account lacks a permission (HTTP 403): this needs "
                f"the “{scope}” OAuth scope. Edit the store-level API account in BigCommerce "
                "(Settings › Store-level API accounts) to give it that scope; if BigCommerce "
                "shows a new access token, paste it in the cart's settings and save."
            )
        check_response(response, label=LABEL, auth_hint=TOKEN_HINT)
        return response

    def _json_call(
        self,
        method: str,
        url: str,
        *,
        scope: str,
        doing: str,
        order_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """One call's parsed body; a 4xx is refused about the order named, else the store."""
        response = self._call(method, url, scope=scope, params=params, body=body)
        if response.status_code >= 400:
            raise self._refusal(response, doing=doing, order_id=order_id)
        return _json(response)

    def _refusal(
        self, response: requests.Response, *, doing: str, order_id: str | None
    ) -> ConnectorError:
        if order_id is not None:  # about one order: that order goes to error, the rest go on
            return _order_refused(response, order_id=order_id, doing=doing)
        if response.status_code == 404:  # store-wide paths exist: the store hash is wrong
            return self._store_missing()
        return _refused(response, doing=doing)

    def _store_missing(self) -> StoreNotFound:
        return StoreNotFound(
            f"BigCommerce has no store with the hash “{self.store_hash}”. Copy the store hash "
            "from the API path BigCommerce showed with the access token "
            "(https://api.bigcommerce.com/stores/<hash>/v3/) into the cart's settings."
        )

    # orders ----------------------------------------------------------------------------

    def orders_list(
        self,
        *,
        min_date_modified: datetime,
        max_date_modified: datetime,
        page: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        """One page of orders changed in the window, oldest change first; [] past the end."""
        payload = self._json_call(
            "GET",
            f"{self.v2}/orders",
            scope=ORDERS_SCOPE,
            doing="the order download",
            params={
                # ISO-8601 to the second: BigCommerce keeps dates to the second.
                "min_date_modified": format_utc(min_date_modified),
                "max_date_modified": format_utc(max_date_modified),
                "sort": "date_modified:asc",
                "page": page,
                "limit": limit,
            },
        )
        return _list(payload, what="the order list")

    def orders_count(self) -> dict[str, Any]:
        """GET /v2/orders/count: the number of orders, in all and per status."""
        payload = self._json_call(
            "GET", f"{self.v2}/orders/count", scope=ORDERS_SCOPE, doing="the order count"
        )
        if not isinstance(payload, dict):
            raise TransientError("BigCommerce sent the order count in an unexpected shape.")
        return payload

    def order_get(self, order_id: str) -> dict[str, Any]:
        payload = self._json_call(
            "GET",
            f"{self.v2}/orders/{order_id}",
            scope=ORDERS_SCOPE,
            order_id=order_id,
            doing="reading the order",
        )
        if not isinstance(payload, dict):
            raise TransientError("BigCommerce sent an order in an unexpected shape.")
        return payload

    def _order_collection(self, order_id: str, resource: str, *, what: str) -> list[dict]:
        """All pages of an order's sub-resource (products come 50 to a page by default)."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            payload = self._json_call(
                "GET",
                f"{self.v2}/orders/{order_id}/{resource}",
                scope=ORDERS_SCOPE,
                order_id=order_id,
                doing=f"reading {what}",
                params={"page": page, "limit": PAGE_LIMIT},
            )
            batch = _list(payload, what=what)
            items.extend(batch)
            if len(batch) < PAGE_LIMIT:
                return items
            page += 1

    def order_products_list(self, order_id: str) -> list[dict[str, Any]]:
        return self._order_collection(order_id, "products", what="the order's products")

    def order_shipping_addresses_list(self, order_id: str) -> list[dict[str, Any]]:
        return self._order_collection(
            order_id, "shipping_addresses", what="the order's shipping addresses"
        )

    def order_shipments_list(self, order_id: str) -> list[dict[str, Any]]:
        return self._order_collection(order_id, "shipments", what="the order's shipments")

    def order_shipment_create(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /v2/orders/{id}/shipments; the shipment BigCommerce created (it has an id)."""
        # The session never re-sends a POST; after a timeout the caller asks find_shipment.
        payload = self._json_call(
            "POST",
            f"{self.v2}/orders/{order_id}/shipments",
            scope=ORDERS_SCOPE,
            order_id=order_id,
            doing="the shipment",
            body=body,
        )
        if not isinstance(payload, dict) or "id" not in payload:
            raise TransientError(
                f"BigCommerce accepted the shipment for order {order_id} but its answer "
                "could not be read. The hub will look the shipment up before sending it again."
            )
        return payload

    def order_status_update(self, order_id: str, status_id: int) -> None:
        self._json_call(
            "PUT",
            f"{self.v2}/orders/{order_id}",
            scope=ORDERS_SCOPE,
            order_id=order_id,
            doing="the status change",
            body={"status_id": status_id},
        )

    # catalog and inventory -------------------------------------------------------------

    def catalog_variants_list(
        self, *, sku: str | None = None, page: int = 1, limit: int = PAGE_LIMIT
    ) -> VariantPage:
        """Variants (all, or those with this SKU) as id, product_id and sku."""
        params: dict[str, Any] = {
            "include_fields": "sku,product_id",
            "page": page,
            "limit": limit,
        }
        if sku is not None:
            params["sku"] = sku
        payload = self._json_call(
            "GET",
            f"{self.v3}/catalog/variants",
            scope=PRODUCTS_SCOPE,
            doing="the product lookup",
            params=params,
        )
        data, meta = _data(payload, what="the product variants")
        total_pages = int((meta.get("pagination") or {}).get("total_pages") or 1)
        return VariantPage(variants=data, total_pages=total_pages)

    def inventory_location_items_list(self, location_id: int) -> list[dict[str, Any]]:
        """One item of an inventory location: proves the location exists and is readable."""
        response = self._call(
            "GET",
            f"{self.v3}/inventory/locations/{location_id}/items",
            scope=INVENTORY_SCOPE,
            params={"page": 1, "limit": 1},
        )
        if response.status_code == 404:
            raise AuthError(
                f"BigCommerce has no inventory location {location_id}. Type the id of the "
                "location the warehouse stocks (BigCommerce: Settings › Locations; the default "
                "location is 1) in the cart's settings."
            )
        if response.status_code >= 400:
            raise _refused(response, doing="the inventory lookup")
        data, _ = _data(_json(response), what="the inventory items")
        return data

    def inventory_adjustment_absolute(self, *, items: list[dict[str, Any]], reason: str) -> None:
        """Set stock levels; AdjustmentRefused when BigCommerce refuses the batch (422)."""
        response = self._call(
            "PUT",
            f"{self.v3}/inventory/adjustments/absolute",
            scope=INVENTORY_SCOPE,
            body={"reason": reason, "items": items},
        )
        if response.status_code == 422:
            raise _adjustment_refused(response)
        if response.status_code >= 400:
            raise self._refusal(response, doing="the stock levels", order_id=None)
        _json(response)  # an unreadable 200 is a fault like any other


# replies ---------------------------------------------------------------------------------


def _json(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise TransientError(
            "BigCommerce sent an answer the hub could not read (not JSON). The hub will try again."
        ) from None


def _list(payload: Any, *, what: str) -> list[dict[str, Any]]:
    if payload is None:
        return []
    if isinstance(payload, list) and all(isinstance(item, dict) for item in payload):
        return payload
    raise TransientError(f"BigCommerce sent {what} in an unexpected shape. The hub will try again.")


def _data(payload: Any, *, what: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else {}
        return payload["data"], meta
    raise TransientError(f"BigCommerce sent {what} in an unexpected shape. The hub will try again.")


def _order_refused(response: requests.Response, *, order_id: str, doing: str) -> RecordError:
    if response.status_code == 404:
        return RecordError(
            f"BigCommerce has no order {order_id} (deleted or archived?) for {doing}.",
            record_ref=order_id,
        )
    return RecordError(
        f"BigCommerce refused {doing} for order {order_id}: {vendor_message(response)}",
        record_ref=order_id,
    )


def _refused(response: requests.Response, *, doing: str) -> ConnectorError:
    """A 4xx we did not expect: our request is wrong, and retrying will not help."""
    return ConnectorError(
        f"BigCommerce refused {doing} (HTTP {response.status_code}: "
        f"{vendor_message(response)}). Report this to the hub's maintainers."
    )


def _adjustment_refused(response: requests.Response) -> AdjustmentRefused:
    problem = _json(response)  # an unreadable refusal is a fault like any other
    detail = vendor_message(response)
    title = problem.get("title") if isinstance(problem, dict) else None
    return AdjustmentRefused(title=str(title or detail), detail=detail)


def vendor_message(response: requests.Response) -> str:
    """The messages of a v2 error ([{"status": 400, "message": "..."}]) or a v3 title."""
    try:
        payload = response.json()
    except ValueError:
        return error_detail(response)
    # Shown to users: the vendor's words, redacted like every other body excerpt.
    if isinstance(payload, list):
        messages = [str(item.get("message", "")) for item in payload if isinstance(item, dict)]
        if any(messages):
            return remote_text("; ".join(message for message in messages if message))
    if isinstance(payload, dict) and payload.get("title"):
        return remote_text(payload["title"])
    return error_detail(response)


def _seconds(milliseconds: str | None) -> float:
    try:
        return max(0.0, float(milliseconds or 0) / 1000)
    except ValueError:
        return 0.0
