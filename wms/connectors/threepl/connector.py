"""The Extensiv 3PL Warehouse Manager WMS: orders in, shipments, stock and carriers back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit

from integration_manager.connector_errors import (
    AuthError,
    ConnectorError,
    RateLimited,
    RecordError,
    TransientError,
)
from integration_manager.http import DEFAULT_TIMEOUT
from integration_manager.outbound import ANY_PUBLIC_HOST
from integration_manager.records import (
    DeliveryOrder,
    DeliveryResult,
    MerchantRef,
    ShipmentPage,
    ShipMethodRecord,
    StockLevel,
    WebhookNotice,
)
from wms.connectors.base import (
    CANCEL_ORDER,
    DELIVER_ORDERS,
    FETCH_INVENTORY,
    FETCH_SHIP_METHODS,
    FETCH_SHIPMENTS,
    LOOKUP_ORDER,
    MERCHANT_OPTIONS,
    WEBHOOKS,
    WmsConnector,
)
from wms.connectors.registry import register
from wms.connectors.threepl import inventory, orders, shipments, webhooks
from wms.connectors.threepl.client import (
    CUSTOMERS_PAGE_LIMIT,
    HAL,
    LABEL,
    STOCK_SUMMARIES_PAGE_LIMIT,
    Listing,
    Login,
    NotFound,
    PreconditionFailed,
    Refused,
    ServerFault,
    ThreePLClient,
    Throttle,
    TokenCache,
    webhook_key,
)
from wms.connectors.threepl.forms import (
    DEFAULT_BASE_URL,
    DEFAULT_BILLING_CODE,
    ThreePLMerchantForm,
    ThreePLSettingsForm,
    merchant_choices,
)

logger = logging.getLogger(__name__)

# Shared by the connections of one worker process (each keyed by connection).
TOKENS = TokenCache()
THROTTLE = Throttle()
WEBHOOK_KEYS = webhooks.PublicKeyCache()

# Two sends in a row without an answer: the WMS is down, and the rest wait for the next run.
UNCLEAR_IN_A_ROW = 2
MAX_PAGES = 200  # a run reads at most this many pages; the cursor lets the next go on
SETTINGS_WHERE = "on the merchant's page (WMS settings)"


@register
class ThreePLConnector(WmsConnector):
    """Extensiv 3PL Warehouse Manager (formerly 3PL Central) through its REST API.

    Orders are created one by one with our cust_ref as referenceNum, which the WMS keeps
    unique per customer: a second create of the same order is refused as a Duplicate and
    answered by a lookup, never a second order. Shipments come from closed orders (their
    packages and contents), stock from the stock summaries of the merchant's facility. Each
    merchant names its customer and facility in its WMS settings.
    """

    key = "threepl"
    label = "Extensiv 3PL Warehouse Manager"
    description = (
        "3PL Warehouse Manager (formerly 3PL Central) through its REST API: orders in, "
        "tracking, stock and carriers back, with event notifications."
    )
    capabilities = frozenset(
        {
            DELIVER_ORDERS,
            LOOKUP_ORDER,
            FETCH_SHIPMENTS,
            FETCH_INVENTORY,
            FETCH_SHIP_METHODS,
            CANCEL_ORDER,
            MERCHANT_OPTIONS,
            WEBHOOKS,
        }
    )
    settings_form = ThreePLSettingsForm
    merchant_settings_form = ThreePLMerchantForm
    # The client id is half of the Basic login, so it is kept like the secret.
    secret_fields = ("client_id", "client_secret")
    default_base_url = DEFAULT_BASE_URL
    # Sandboxes and regional hosts differ, so any public https host may be typed.
    address_rules = ANY_PUBLIC_HOST
    address_fields = ("base_url",)
    timeout = DEFAULT_TIMEOUT
    orders_page_size = 100
    stock_page_size = STOCK_SUMMARIES_PAGE_LIMIT
    accept = HAL
    tokens: ClassVar[TokenCache] = TOKENS
    throttle: ClassVar[Throttle] = THROTTLE
    webhook_keys: ClassVar[webhooks.PublicKeyCache] = WEBHOOK_KEYS

    # settings ----------------------------------------------------------------------------

    @property
    def user_login(self) -> str:
        return str(self.settings.get("user_login") or "").strip()

    @property
    def default_billing_code(self) -> str:
        return str(self.settings.get("default_billing_code") or DEFAULT_BILLING_CODE)

    @cached_property
    def client(self) -> ThreePLClient:
        client_id = self.credentials.get("client_id") or ""
        client_secret = self.credentials.get("client_secret") or ""
        if not (client_id and client_secret and self.user_login):
            raise AuthError(
                f"The {LABEL} connection lacks its client id, client secret or user login. "
                "Type them in the WMS settings and save."
            )
        return ThreePLClient(
            session=self.session(),
            base_url=self.base_url,
            login=Login(
                client_id=client_id,
                client_secret=client_secret,
                user_login=self.user_login,
                tpl=str(self.settings.get("tpl") or ""),
            ),
            connection_id=self.context.connection_id,
            tokens=self.tokens,
            throttle=self.throttle,
            accept=self.accept,
        )

    def test_connection(self) -> str:
        self.client.token()
        listing = self.client.customers_list(page_size=1)
        count = listing.total if listing.total is not None else len(listing.items)
        return (
            f"Connected to {LABEL} at {urlsplit(self.base_url).hostname} as “{self.user_login}”: "
            f"{count} customer(s) visible. Choose each merchant's customer and facility "
            f"{SETTINGS_WHERE}."
        )

    # merchants ---------------------------------------------------------------------------

    @staticmethod
    def _merchant_problem(merchant: MerchantRef, *, facility: bool) -> str:
        """What the merchant's WMS settings lack; "" when they are complete."""
        wanted = [("customer id", merchant.wms_customer_id)]
        if facility:
            wanted.append(("facility id", merchant.settings.get("facility_id")))
        for name, value in wanted:
            text = str(value or "").strip()
            if not text.isdigit():
                state = "has no" if not text else "has a wrong"
                return (
                    f"The merchant {merchant.name} {state} 3PL {name}. Choose its customer and "
                    f"facility {SETTINGS_WHERE}."
                )
        return ""

    def _merchant_ids(self, merchant: MerchantRef, *, facility: bool) -> tuple[int, int]:
        """The merchant's customer and facility ids; ConnectorError (for its runs) if unset."""
        problem = self._merchant_problem(merchant, facility=facility)
        if problem:
            raise ConnectorError(problem)
        facility_id = int(merchant.settings.get("facility_id") or 0) if facility else 0
        return int(merchant.wms_customer_id), facility_id

    def merchant_options(self) -> dict[str, list[tuple[str, str]]]:
        customers = self._all_pages(
            lambda page: self.client.customers_list(page=page), page_size=CUSTOMERS_PAGE_LIMIT
        )
        return merchant_choices(customers)

    @staticmethod
    def _all_pages(fetch: Callable[[int], Listing], *, page_size: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            listing = fetch(page)
            items.extend(listing.items)
            if len(listing.items) < page_size or (
                listing.total is not None and len(items) >= listing.total
            ):
                break
        return items

    # orders ------------------------------------------------------------------------------

    def deliver_orders(self, orders: Sequence[DeliveryOrder]) -> list[DeliveryResult]:
        """One create per order. An order whose create had no clear answer (a timeout, a
        5xx after it was sent) is left out of the results, so the hub asks lookup_order
        before sending it again; a second such answer in a row means the WMS is down, and
        the rest wait (TransientError)."""
        results = []
        unclear = 0
        for order in orders:
            try:
                results.append(self._deliver(order))
                unclear = 0
            except RateLimited:
                raise
            except TransientError as error:
                unclear += 1
                logger.warning("Order %s: no clear answer from %s", order.cust_ref, LABEL)
                down = isinstance(error, ServerFault) and error.status == 503
                if down or unclear >= UNCLEAR_IN_A_ROW:
                    raise TransientError(
                        f"{error} The orders not confirmed yet are looked up, and sent if "
                        "missing, at the next run."
                    ) from None
        return results

    def _deliver(self, order: DeliveryOrder) -> DeliveryResult:
        problem = self._merchant_problem(order.merchant, facility=True)
        if problem:
            return DeliveryResult(cust_ref=order.cust_ref, ok=False, error=problem)
        customer_id, facility_id = self._merchant_ids(order.merchant, facility=True)
        body = orders.order_body(
            order,
            customer_id=customer_id,
            facility_id=facility_id,
            default_billing_code=self.default_billing_code,
        )
        try:
            created = self.client.order_create(body)
        except Refused as refusal:
            return self._refused(order, refusal)
        order_id = orders.order_id_of(created)
        if order_id is None:
            raise TransientError(f"{LABEL} created order {order.cust_ref} without an id.")
        return DeliveryResult(cust_ref=order.cust_ref, ok=True, wms_reference=str(order_id))

    def _refused(self, order: DeliveryOrder, refusal: Refused) -> DeliveryResult:
        fault = refusal.fault
        if orders.is_duplicate(fault):
            # The reference is taken: this order is there already (an earlier send whose
            # answer was lost). Never a second order: take the one it has.
            existing = self.lookup_order(order.cust_ref, order.merchant)
            if existing:
                return DeliveryResult(cust_ref=order.cust_ref, ok=True, wms_reference=existing)
            return DeliveryResult(
                cust_ref=order.cust_ref,
                ok=False,
                permanent=False,
                error=f"{LABEL} says reference {order.cust_ref} is taken, but it lists no such "
                "order for this customer yet; the hub will try again.",
            )
        words = fault.text or str(refusal)
        if orders.unknown_sku(fault):
            return DeliveryResult(
                cust_ref=order.cust_ref,
                ok=False,
                code="unknown_sku",
                error=f"{LABEL} has no item for a SKU of this order ({words}). Add the item "
                "for the merchant's customer in the WMS, or map the SKU with a product alias, "
                "then resend.",
            )
        return DeliveryResult(cust_ref=order.cust_ref, ok=False, error=words)

    def lookup_order(self, cust_ref: str, merchant: MerchantRef) -> str | None:
        customer_id, _ = self._merchant_ids(merchant, facility=False)
        found = self._find(cust_ref, customer_id)
        return str(orders.order_id_of(found)) if found is not None else None

    def _find(self, cust_ref: str, customer_id: int) -> Mapping[str, Any] | None:
        listing = self.client.orders_list(
            rql=orders.lookup_rql(cust_ref=cust_ref, customer_id=customer_id), page_size=10
        )
        return orders.found_order(listing.items, cust_ref=cust_ref)

    def cancel_order(self, cust_ref: str, merchant: MerchantRef) -> None:
        """Cancel the order in the WMS with its ETag; RecordError with the WMS's words when
        it will not (closed already, say). An order the WMS does not have is done."""
        customer_id, _ = self._merchant_ids(merchant, facility=False)
        found = self._find(cust_ref, customer_id)
        order_id = orders.order_id_of(found) if found is not None else None
        if order_id is None:
            return
        for attempt in (1, 2):
            # A fresh read each time: the ETag must be the order's current one.
            payload, etag = self.client.order_get(order_id)
            if orders.status_of(payload) == orders.CANCELED:
                return
            try:
                self.client.order_cancel(order_id, etag=etag, reason=orders.CANCEL_REASON)
                return
            except PreconditionFailed:
                if attempt == 2:
                    raise TransientError(
                        f"Order {cust_ref} keeps changing in {LABEL} while the hub cancels it; "
                        "the hub will try again."
                    ) from None
            except Refused as refusal:
                raise RecordError(
                    f"{LABEL} would not cancel the order: {refusal.fault.text or refusal}",
                    record_ref=cust_ref,
                ) from None

    # shipments ---------------------------------------------------------------------------

    def fetch_shipments(self, merchant: MerchantRef, cursor: str | None) -> Iterator[ShipmentPage]:
        """Closed orders of the merchant's customer changed since the cursor (less an
        overlap), oldest change first; the cursor is the newest lastModifiedDate read."""
        customer_id, _ = self._merchant_ids(merchant, facility=False)
        listing = shipments.ClosedOrderListing(cursor=cursor, now=datetime.now(UTC))
        yielded = False
        for _ in range(MAX_PAGES):
            page = self.client.orders_list(
                rql=shipments.closed_orders_rql(customer_id=customer_id, since=listing.since),
                page_size=self.orders_page_size,
                page=listing.page,
                sort=shipments.SORT,
                detail=shipments.DETAIL,
            )
            fresh = listing.fresh(page.items)
            if fresh:
                yielded = True
                records = [item for order in fresh for item in shipments.shipment_records(order)]
                yield ShipmentPage(shipments=records, cursor=listing.cursor)
            if not listing.advance(page.items, page_size=self.orders_page_size):
                break
        if not yielded:
            yield ShipmentPage(shipments=[], cursor=cursor)

    # inventory ---------------------------------------------------------------------------

    def fetch_inventory(self, merchant: MerchantRef) -> list[StockLevel]:
        customer_id, facility_id = self._merchant_ids(merchant, facility=True)
        try:
            customer = self.client.customer_get(customer_id)
        except NotFound:
            raise ConnectorError(
                f"{LABEL} has no customer {customer_id} (merchant {merchant.name}). Choose its "
                f"customer {SETTINGS_WHERE}."
            ) from None
        rql = inventory.stock_rql(customer_id=customer_id, facility_id=facility_id)
        rows = self._all_pages(
            lambda page: self.client.stock_summaries(
                rql=rql, page_size=self.stock_page_size, page=page
            ),
            page_size=self.stock_page_size,
        )
        return inventory.stock_levels(
            rows,
            facility_id=facility_id,
            location_name=inventory.facility_name(customer, facility_id),
            now=datetime.now(UTC),
        )

    def fetch_ship_methods(self) -> list[ShipMethodRecord]:
        return orders.ship_method_records(
            self.client.carriers(), default_billing_code=self.default_billing_code
        )

    # webhooks ----------------------------------------------------------------------------

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        """Verify the Signature (RSA-SHA256 with the WMS's published key; a failure fetches
        the key once more, for a rotation) and say what the event names."""
        signature = webhooks.signature_of(headers)
        key = self.webhook_keys.get(self.base_url)
        if key is None or not webhooks.signature_holds(key, signature, body):
            if key is not None and not self.webhook_keys.may_refresh(self.base_url):
                raise AuthError(f"A {LABEL} webhook's signature does not match the WMS's key.")
            key = webhooks.public_key(webhook_key(self.session(), self.base_url))
            self.webhook_keys.put(self.base_url, key)
            if not webhooks.signature_holds(key, signature, body):
                raise AuthError(
                    f"A {LABEL} webhook's signature does not match the WMS's key; it was refused."
                )
        return webhooks.webhook_notice(body)
