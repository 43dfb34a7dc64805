"""HTTP to BigCommerce's v2 and v3 APIs: auth header, rate-limit headers, the error family."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
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


class BigCommerceClient:
    """One connection's calls; 401/403/404-store become AuthError, 429 RateLimited, 5xx and
    unreadable answers TransientError. Other 4xx are returned to the caller to interpret."""

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

    def _store_missing(self) -> StoreNotFound:
        return StoreNotFound(
            f"BigCommerce has no store with the hash “{self.store_hash}”. Copy the store hash "
            "from the API path BigCommerce showed with the access token "
            "(https://api.bigcommerce.com/stores/<hash>/v3/) into the cart's settings."
        )

    @staticmethod
    def _json(response: requests.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise TransientError(
                "BigCommerce sent an answer the hub could not read (not JSON). "
                "The hub will try again."
            ) from None

    @staticmethod
    def _list(payload: Any, *, what: str) -> list[dict[str, Any]]:
        if payload is None:
            return []
        if isinstance(payload, list) and all(isinstance(item, dict) for item in payload):
            return payload
        raise TransientError(
            f"BigCommerce sent {what} in an unexpected shape. The hub will try again."
        )

    @staticmethod
    def _data(payload: Any, *, what: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        if isinstance(payload, dict) and isinstance(payload.get("data"), list):
            meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else {}
            return payload["data"], meta
        raise TransientError(
            f"BigCommerce sent {what} in an unexpected shape. The hub will try again."
        )

    def _refused(self, response: requests.Response, *, doing: str) -> ConnectorError:
        """A 4xx we did not expect: our request is wrong, and retrying will not help."""
        return ConnectorError(
            f"BigCommerce refused {doing} (HTTP {response.status_code}: "
            f"{v2_messages(response)}). Report this to the hub's maintainers."
        )

    # orders ----------------------------------------------------------------------------

    def orders(
        self,
        *,
        min_date_modified: datetime,
        max_date_modified: datetime,
        page: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        """One page of orders changed in the window, oldest change first; [] past the end."""
        response = self._call(
            "GET",
            f"{self.v2}/orders",
            scope=ORDERS_SCOPE,
            params={
                "min_date_modified": _iso(min_date_modified),
                "max_date_modified": _iso(max_date_modified),
                "sort": "date_modified:asc",
                "page": page,
                "limit": limit,
            },
        )
        if response.status_code == 404:
            raise self._store_missing()
        if response.status_code >= 400:
            raise self._refused(response, doing="the order download")
        return self._list(self._json(response), what="the order list")

    def order_counts(self) -> dict[str, Any]:
        response = self._call("GET", f"{self.v2}/orders/count", scope=ORDERS_SCOPE)
        if response.status_code == 404:
            raise self._store_missing()
        if response.status_code >= 400:
            raise self._refused(response, doing="the order count")
        payload = self._json(response)
        if not isinstance(payload, dict):
            raise TransientError("BigCommerce sent the order count in an unexpected shape.")
        return payload

    def order(self, order_id: str) -> dict[str, Any]:
        response = self._call("GET", f"{self.v2}/orders/{order_id}", scope=ORDERS_SCOPE)
        self._check_order_answer(response, order_id=order_id, doing="reading the order")
        payload = self._json(response)
        if not isinstance(payload, dict):
            raise TransientError("BigCommerce sent an order in an unexpected shape.")
        return payload

    def _order_collection(self, order_id: str, resource: str, *, what: str) -> list[dict]:
        """All pages of an order's sub-resource (products come 50 to a page by default)."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            response = self._call(
                "GET",
                f"{self.v2}/orders/{order_id}/{resource}",
                scope=ORDERS_SCOPE,
                params={"page": page, "limit": PAGE_LIMIT},
            )
            self._check_order_answer(response, order_id=order_id, doing=f"reading {what}")
            batch = self._list(self._json(response), what=what)
            items.extend(batch)
            if len(batch) < PAGE_LIMIT:
                return items
            page += 1

    def order_products(self, order_id: str) -> list[dict[str, Any]]:
        return self._order_collection(order_id, "products", what="the order's products")

    def order_shipping_addresses(self, order_id: str) -> list[dict[str, Any]]:
        return self._order_collection(
            order_id, "shipping_addresses", what="the order's shipping addresses"
        )

    def order_shipments(self, order_id: str) -> list[dict[str, Any]]:
        return self._order_collection(order_id, "shipments", what="the order's shipments")

    def create_shipment(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        # The session never re-sends a POST; after a timeout the caller asks find_shipment.
        response = self._call(
            "POST", f"{self.v2}/orders/{order_id}/shipments", scope=ORDERS_SCOPE, body=body
        )
        self._check_order_answer(response, order_id=order_id, doing="the shipment")
        payload = self._json(response)
        if not isinstance(payload, dict) or "id" not in payload:
            raise TransientError(
                f"BigCommerce accepted the shipment for order {order_id} but its answer "
                "could not be read. The hub will look the shipment up before sending it again."
            )
        return payload

    def set_order_status(self, order_id: str, status_id: int) -> None:
        response = self._call(
            "PUT",
            f"{self.v2}/orders/{order_id}",
            scope=ORDERS_SCOPE,
            body={"status_id": status_id},
        )
        self._check_order_answer(response, order_id=order_id, doing="the status change")

    def _check_order_answer(
        self, response: requests.Response, *, order_id: str, doing: str
    ) -> None:
        if response.status_code == 404:
            raise RecordError(
                f"BigCommerce has no order {order_id} (deleted or archived?) for {doing}.",
                record_ref=order_id,
            )
        if response.status_code >= 400:
            raise RecordError(
                f"BigCommerce refused {doing} for order {order_id}: {v2_messages(response)}",
                record_ref=order_id,
            )

    # catalog and inventory -------------------------------------------------------------

    def variants(
        self, *, sku: str | None = None, page: int = 1, limit: int = PAGE_LIMIT
    ) -> tuple[list[dict[str, Any]], int]:
        """Variants (all, or those with this SKU) as id, product_id and sku; and the page count."""
        params: dict[str, Any] = {
            "include_fields": "sku,product_id",
            "page": page,
            "limit": limit,
        }
        if sku is not None:
            params["sku"] = sku
        response = self._call(
            "GET", f"{self.v3}/catalog/variants", scope=PRODUCTS_SCOPE, params=params
        )
        if response.status_code == 404:
            raise self._store_missing()
        if response.status_code >= 400:
            raise self._refused(response, doing="the product lookup")
        data, meta = self._data(self._json(response), what="the product variants")
        total_pages = int((meta.get("pagination") or {}).get("total_pages") or 1)
        return data, total_pages

    def location_items(self, location_id: int) -> list[dict[str, Any]]:
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
            raise self._refused(response, doing="the inventory lookup")
        data, _ = self._data(self._json(response), what="the inventory items")
        return data

    def absolute_adjustment(
        self, *, items: list[dict[str, Any]], reason: str
    ) -> dict[str, Any] | None:
        """Set stock levels; None when done, or the 422 problem BigCommerce answered."""
        response = self._call(
            "PUT",
            f"{self.v3}/inventory/adjustments/absolute",
            scope=INVENTORY_SCOPE,
            body={"reason": reason, "items": items},
        )
        if response.status_code == 422:
            problem = self._json(response)
            return problem if isinstance(problem, dict) else {"title": error_detail(response)}
        if response.status_code == 404:
            raise self._store_missing()
        if response.status_code >= 400:
            raise self._refused(response, doing="the stock levels")
        self._json(response)  # an unreadable 200 is a fault like any other
        return None


def v2_messages(response: requests.Response) -> str:
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


def _iso(moment: datetime) -> str:
    # ISO-8601 with its offset, to the second: BigCommerce keeps dates to the second.
    return moment.replace(microsecond=0).isoformat()
