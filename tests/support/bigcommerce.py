"""BigCommerce test bases: an emulator per test, a connector aimed at it, upload records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import SimpleTestCase

from carts.connectors.bigcommerce.connector import VARIANTS, BigCommerceConnector
from integration_manager.connectors import ConnectionContext
from integration_manager.records import (
    OrderPage,
    OrderRecord,
    ShipmentLineRecord,
    ShipmentRecord,
    UploadLine,
    UploadOrder,
)
from tests.emulators.bigcommerce import BigCommerceEmulator


class QuickBigCommerceConnector(BigCommerceConnector):
    """The production connector with short timeouts (slow-answer tests stay under 2 s)."""

    timeout = (1.0, 0.5)


class SmallPageConnector(QuickBigCommerceConnector):
    """Five orders a page, so a few orders exercise paging."""

    page_size = 5


class BigCommerceTestCase(SimpleTestCase):
    """An emulator per test and a connector pointed at it."""

    connector_class: type[BigCommerceConnector] = QuickBigCommerceConnector

    def setUp(self) -> None:
        super().setUp()
        self.emulator = self.make_emulator()
        self.emulator.start()
        self.addCleanup(self.emulator.stop)
        self.addCleanup(VARIANTS.clear)

    def make_emulator(self) -> BigCommerceEmulator:
        return BigCommerceEmulator()

    def connector(
        self,
        connector_class: type[BigCommerceConnector] | None = None,
        *,
        credentials: dict[str, str] | None = None,
        **settings: Any,
    ) -> BigCommerceConnector:
        return (connector_class or self.connector_class)(
            settings=self.emulator.connector_settings(**settings),
            credentials=credentials
            if credentials is not None
            else self.emulator.connector_credentials(),
            context=ConnectionContext(connection_id=1, account_id=1, label="Trailhead store"),
        )

    def download(
        self, cursor: str | None = None, **options: Any
    ) -> tuple[list[OrderPage], list[OrderRecord]]:
        pages = list(self.connector(**options).fetch_orders(cursor))
        return pages, [order for page in pages for order in page.orders]


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def upload_order(record: OrderRecord) -> UploadOrder:
    """The order as the hub gives it back at upload: ids, lines and the raw payload."""
    return UploadOrder(
        source_order_id=record.source_order_id,
        order_number=record.order_number,
        lines=tuple(
            UploadLine(source_line_id=line.source_line_id, sku=line.sku, quantity=line.quantity)
            for line in record.lines
        ),
        raw=record.raw,
    )


def shipment(
    *lines: ShipmentLineRecord,
    tracking_number: str = "1Z999AA10123456784",
    carrier: str = "UPS",
    method: str = "Ground",
    reference: str = "WMS-SHP-1",
) -> ShipmentRecord:
    return ShipmentRecord(
        cust_ref="TRL-1001",
        wms_shipment_ref=reference,
        shipped_at=datetime(2026, 3, 3, 15, 0, tzinfo=UTC),
        carrier=carrier,
        method=method,
        tracking_number=tracking_number,
        lines=lines,
    )
