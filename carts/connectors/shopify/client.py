"""ShopifyClient: GraphQL Admin API calls, the query-cost throttle and the error family."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import requests

from integration_manager.connector_errors import (
    AuthError,
    ConnectorError,
    RateLimited,
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

LABEL = "Shopify"
TOKEN_HINT = (
    "Copy the Admin API access token of the hub's custom app in Shopify (Settings > Apps > "
    "Develop apps > the app > API credentials), paste it in the cart's settings and save."
)
SCOPES_HINT = (
    "In Shopify, open Settings > Apps > Develop apps > the hub's app > Configuration, tick the "
    "missing scope under Admin API integration, save, install the new version of the app, and "
    "paste the access token it shows in the cart's settings."
)
# A throttled call was not run, so sending it again is safe; a few tries, then the schedule.
THROTTLE_RETRIES = 3


class ThrottledError(RateLimited):
    """Shopify's cost bucket is empty; retry_after is how long it takes to refill enough."""


class QueryCostExceeded(ConnectorError):
    """The query asks for more than Shopify allows in one call; ask for fewer records."""

    def __init__(self, message: str, *, cost: float, max_cost: float) -> None:
        super().__init__(message)
        self.cost = cost
        self.max_cost = max_cost


@dataclass
class ThrottleStatus:
    """The cost bucket as Shopify last reported it, and when (time.monotonic())."""

    maximum: float
    available: float
    restore_rate: float
    seen_at: float

    def available_now(self) -> float:
        refilled = (time.monotonic() - self.seen_at) * self.restore_rate
        return min(self.maximum, self.available + refilled)

    def wait_for(self, cost: float) -> float:
        """Seconds until `cost` points are available; 0 when they are."""
        missing = cost - self.available_now()
        if missing <= 0 or self.restore_rate <= 0:
            return 0.0
        return missing / self.restore_rate


@dataclass
class GraphQLResult:
    """The data of one call and its cost, as Shopify reported them."""

    data: dict[str, Any]
    requested_cost: float | None


class ShopifyClient:
    """Sends GraphQL documents to one shop's Admin API and speaks the connector error family.

    HTTP status errors, unreadable answers, THROTTLED, ACCESS_DENIED and schema errors become
    AuthError / RateLimited / TransientError / ConnectorError; the caller reads userErrors.
    """

    def __init__(
        self,
        *,
        session: HubSession,
        base_url: str,
        api_version: str,
        access_token: str,
    ) -> None:
        self.session = session
        self.url = f"{base_url}/admin/api/{api_version}/graphql.json"
        self.base_url = base_url
        self.api_version = api_version
        self.access_token = access_token
        self.throttle: ThrottleStatus | None = None
        # The last requested cost of each operation: what to wait for before sending it again.
        self.costs: dict[str, float] = {}

    def execute(
        self, document: str, variables: dict[str, Any] | None = None, *, operation: str
    ) -> GraphQLResult:
        """Run one query or mutation and return its data; wait out a short throttle."""
        attempt = 0
        while True:
            self._wait_for_bucket(operation)
            try:
                return self._post(document, variables or {}, operation=operation)
            except ThrottledError as throttled:
                attempt += 1
                if throttled.retry_after > MAX_INLINE_WAIT or attempt > THROTTLE_RETRIES:
                    raise
                logger.info(
                    "Shopify throttled %s; waiting %.2f s", operation, throttled.retry_after
                )
                time.sleep(throttled.retry_after)

    def _wait_for_bucket(self, operation: str) -> None:
        # Waiting a moment here is cheaper than a THROTTLED round trip; a long wait is left to
        # Shopify to announce, so the schedule (not this worker) does the waiting.
        cost = self.costs.get(operation)
        if self.throttle is None or cost is None:
            return
        wait = self.throttle.wait_for(cost)
        if 0 < wait <= MAX_INLINE_WAIT:
            time.sleep(wait)

    def _post(self, document: str, variables: dict[str, Any], *, operation: str) -> GraphQLResult:
        response = self.session.post(
            self.url,
            json={"query": document, "variables": variables, "operationName": operation},
            headers={
                "X-Shopify-Access-Token": self.access_token,
                "Accept": "application/json",
            },
        )
        self._check_status(response)
        try:
            payload = response.json()
        except ValueError:
            raise TransientError(
                "Shopify sent an answer the hub could not read (not JSON). The hub will try again."
            ) from None
        if not isinstance(payload, dict):
            raise TransientError(
                "Shopify sent an answer the hub could not read. The hub will try again."
            )
        requested_cost = self._note_cost(payload, operation=operation)
        errors = payload.get("errors")
        if errors:
            self._raise_for_errors(errors, requested_cost=requested_cost)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise TransientError("Shopify sent an answer without data. The hub will try again.")
        return GraphQLResult(data=data, requested_cost=requested_cost)

    def _check_status(self, response: requests.Response) -> None:
        status = response.status_code
        if status == 200:
            return
        check_response(response, label=LABEL, auth_hint=TOKEN_HINT)
        if status == 404:
            raise AuthError(
                f"Shopify found no shop at {self.base_url} (or no API version "
                f"{self.api_version} there). Check the store address (https://your-store."
                "myshopify.com) and the API version in the cart's settings."
            )
        if status == 402:
            raise AuthError(
                "Shopify says this shop is frozen for an unpaid bill (HTTP 402). "
                "The shop owner must settle it in Shopify; then run the job again."
            )
        if status == 423:
            raise AuthError(
                "Shopify says this shop is locked (HTTP 423). The shop owner must contact "
                "Shopify support; then run the job again."
            )
        raise ConnectorError(
            f"Shopify refused the hub's request (HTTP {status}): {error_detail(response)}"
        )

    def _note_cost(self, payload: dict[str, Any], *, operation: str) -> float | None:
        cost = (payload.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        try:
            if status:
                self.throttle = ThrottleStatus(
                    maximum=float(status["maximumAvailable"]),
                    available=float(status["currentlyAvailable"]),
                    restore_rate=float(status["restoreRate"]),
                    seen_at=time.monotonic(),
                )
            requested = cost.get("requestedQueryCost")
            if requested is not None:
                self.costs[operation] = float(requested)
                return float(requested)
        except (KeyError, TypeError, ValueError):
            # A cost block we cannot read only costs us the pre-emptive wait.
            logger.warning("Shopify sent a cost block the hub could not read for %s", operation)
        return None

    def _raise_for_errors(self, errors: Any, *, requested_cost: float | None) -> None:
        if not isinstance(errors, list):
            # The REST-style {"errors": "..."} shape comes with an HTTP error status, which
            # _check_status handled; with 200 it is unexpected.
            raise ConnectorError(f"Shopify refused the hub's request: {remote_text(errors)}")
        codes = [
            ((error.get("extensions") or {}).get("code") or "") if isinstance(error, dict) else ""
            for error in errors
        ]
        first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
        message = remote_text(first.get("message") or "")
        if "THROTTLED" in codes:
            wait = self._throttle_wait(requested_cost)
            raise ThrottledError(
                "Shopify's query budget for this shop is used up; the hub will try again in "
                f"{wait:.0f} seconds.",
                retry_after=wait,
            )
        if "ACCESS_DENIED" in codes:
            denied = errors[codes.index("ACCESS_DENIED")]
            required = (denied.get("extensions") or {}).get("requiredAccess") or denied.get(
                "message", ""
            )
            raise AuthError(f"The hub's Shopify app lacks a permission: {required} {SCOPES_HINT}")
        if "MAX_COST_EXCEEDED" in codes:
            extensions = errors[codes.index("MAX_COST_EXCEEDED")].get("extensions") or {}
            raise QueryCostExceeded(
                "Shopify refused a query as too costly. Report this to the hub's maintainers.",
                cost=float(extensions.get("cost") or requested_cost or 0),
                max_cost=float(extensions.get("maxCost") or 0),
            )
        if "INTERNAL_SERVER_ERROR" in codes:
            raise TransientError(
                f"Shopify had an internal error ({message}). The hub will try again."
            )
        # Anything else is a document this API version does not accept: a version older or
        # newer than the hub knows, or a hub defect.
        raise ConnectorError(
            f"Shopify refused the hub's request: {message} Check the API version in the "
            "cart's settings; if it is a supported version, report this to the hub's maintainers."
        )

    def _throttle_wait(self, requested_cost: float | None) -> float:
        if self.throttle is None:
            return 1.0
        cost = requested_cost if requested_cost is not None else self.throttle.maximum / 10
        # Never below a small floor: a zero wait would spin on a bucket still refilling.
        return max(0.05, self.throttle.wait_for(cost))
