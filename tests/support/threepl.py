"""3PL Warehouse Manager test bases: an emulator per test, a connector aimed at it, orders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.test import SimpleTestCase

from integration_manager.connectors import ConnectionContext
from integration_manager.records import Address, DeliveryLine, DeliveryOrder, MerchantRef
from tests.emulators.threepl import ThreePLEmulator
from wms.connectors.threepl.client import Throttle, TokenCache
from wms.connectors.threepl.connector import ThreePLConnector
from wms.connectors.threepl.webhooks import PublicKeyCache

UPS_GROUND = "UPS|03|Prepaid|UPSN"


class FakeClock:
    """A clock tests move by hand; sleeping on it moves it (and is remembered)."""

    def __init__(self, start: float = 10_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class QuickThreePLConnector(ThreePLConnector):
    """The production connector with short timeouts (slow-answer tests stay under 2 s), its
    own caches, and a throttle that never slows a test (ThrottleTests test the real one)."""

    timeout = (1.0, 0.5)
    tokens = TokenCache()
    throttle = Throttle(per_minute=600_000, burst=10_000)
    webhook_keys = PublicKeyCache()


class ThreePLTestCase(SimpleTestCase):
    """An emulator per test and a connector pointed at it."""

    connector_class: type[ThreePLConnector] = QuickThreePLConnector

    def setUp(self) -> None:
        super().setUp()
        self.emulator = self.make_emulator()
        self.emulator.start()
        self.addCleanup(self.emulator.stop)
        for cache in (
            QuickThreePLConnector.tokens,
            QuickThreePLConnector.webhook_keys,
            self.connector_class.tokens,
            self.connector_class.webhook_keys,
        ):
            cache.clear()

    def make_emulator(self) -> ThreePLEmulator:
        return ThreePLEmulator()

    def connector(
        self,
        connector_class: type[ThreePLConnector] | None = None,
        *,
        credentials: dict[str, str] | None = None,
        connection_id: int = 1,
        **settings: Any,
    ) -> ThreePLConnector:
        return (connector_class or self.connector_class)(
            settings=self.emulator.connector_settings(**settings),
            credentials=credentials
            if credentials is not None
            else self.emulator.connector_credentials(),
            context=ConnectionContext(
                connection_id=connection_id, account_id=1, label="Trailhead 3PL"
            ),
        )

    def token_requests(self) -> int:
        return len(self.emulator.requests_to("POST", r"^/AuthServer/api/Token$"))

    def statuses(self, method: str, path_pattern: str) -> list[int]:
        """The statuses the emulator answered to matching requests, in order."""
        pattern = re.compile(path_pattern)
        return [
            response.status
            for request, response in self.emulator.exchanges
            if request.method == method and pattern.search(request.path)
        ]


def merchant(
    customer_id: str = "12", facility_id: str | None = "1", *, name: str = "Bob's Bikes"
) -> MerchantRef:
    settings = {"facility_id": facility_id} if facility_id is not None else {}
    return MerchantRef(id=7, name=name, wms_customer_id=customer_id, settings=settings)


def delivery_order(
    cust_ref: str,
    lines: Mapping[str, int | str] | None = None,
    *,
    ship_code: str = UPS_GROUND,
    to: MerchantRef | None = None,
    notes: str = "",
) -> DeliveryOrder:
    """One of our orders as the delivery service hands it to the connector."""
    address = Address(
        first_name="Ada",
        last_name="Okafor",
        address_1="12 Alder St",
        address_2="Apt 4",
        city="Portland",
        state="OR",
        zip="97205",
        country="US",
        phone="503-555-0101",
        email="ada@example.org",
    )
    return DeliveryOrder(
        cust_ref=cust_ref,
        order_number=f"#{cust_ref}",
        order_source="Trailhead store",
        merchant=to or merchant(),
        ordered_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        ship_to=address,
        bill_to=address,
        ship_code=ship_code,
        lines=tuple(
            DeliveryLine(sku=sku, quantity=Decimal(str(quantity)), price=Decimal("19.50"))
            for sku, quantity in (lines or {"BIKE-RED": 1}).items()
        ),
        shipping_handling=Decimal("7.25"),
        sales_tax=Decimal("1.60"),
        grand_total=Decimal("28.35"),
        notes=notes,
    )
