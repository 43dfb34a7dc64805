"""The WooCommerce connector's test base and helpers: an emulator, the connector pointed at it,
and the records its uploads take."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import requests
from django.test import SimpleTestCase

from carts.connectors.woocommerce.client import API
from carts.connectors.woocommerce.connector import WooCommerceConnector
from integration_manager.connectors import ConnectionContext
from integration_manager.records import (
    OrderPage,
    OrderRecord,
    ShipmentRecord,
    UploadLine,
    UploadOrder,
)
from tests.emulators.woocommerce import WooCommerceEmulator

CONNECTION_IDS = itertools.count(1)


class WooCommerceTestCase(SimpleTestCase):
    """A running emulator and the production connector pointed at it."""

    emulator_options: ClassVar[dict[str, Any]] = {}

    def setUp(self) -> None:
        super().setUp()
        WooCommerceConnector.sku_cache.clear()
        self.emulator = WooCommerceEmulator(**self.emulator_options)
        self.base_url = self.emulator.start()
        self.addCleanup(self.emulator.stop)

    def credentials(self, **overrides: str) -> dict[str, str]:
        return {
            "consumer_key": self.emulator.consumer_key,
            "consumer_secret": self.emulator.consumer_secret,
            "webhook_secret": self.emulator.webhook_secret,
            **overrides,
        }

    def connector(
        self,
        *,
        connector_class: type[WooCommerceConnector] = WooCommerceConnector,
        credentials: dict[str, str] | None = None,
        connection_id: int | None = None,
        **settings: Any,
    ) -> WooCommerceConnector:
        return connector_class(
            settings={"base_url": self.base_url, "earliest_order_date": "2000-01-01", **settings},
            credentials=credentials if credentials is not None else self.credentials(),
            context=ConnectionContext(
                connection_id=connection_id or next(CONNECTION_IDS),
                account_id=1,
                label="Bob's Bikes store",
            ),
        )

    def download(
        self, connector: WooCommerceConnector | None = None, cursor: str | None = None
    ) -> tuple[list[OrderRecord], list[OrderPage]]:
        pages = list((connector or self.connector()).fetch_orders(cursor))
        return [order for page in pages for order in page.orders], pages

    def order_lists(self) -> list[dict[str, str]]:
        """The query of every GET /orders the emulator answered."""
        return [
            {key: values[-1] for key, values in request.query.items()}
            for request in self.emulator.requests_to("GET", r"/wc/v3/orders$")
        ]

    def store_request(
        self, method: str, path: str, *, body: Any = None, api: str = API
    ) -> tuple[int, str]:
        """(status, WordPress error code) of a request straight to the emulated store, with
        the keys: for tests of what the store itself accepts."""
        response = requests.request(
            method,
            f"{self.base_url}{api}{path}",
            json=body,
            auth=(self.emulator.consumer_key, self.emulator.consumer_secret),
            timeout=10,
        )
        data = response.json() if response.content else None
        return response.status_code, data.get("code", "") if isinstance(data, dict) else ""


def upload_order(payload: dict[str, Any]) -> UploadOrder:
    return UploadOrder(
        source_order_id=str(payload["id"]),
        order_number=payload["number"],
        lines=tuple(
            UploadLine(str(line["id"]), line["sku"], Decimal(line["quantity"]))
            for line in payload["line_items"]
        ),
        raw=payload,
    )


def shipment(**fields: Any) -> ShipmentRecord:
    values: dict[str, Any] = {
        "cust_ref": "B1-1000",
        "wms_shipment_ref": "PKG-77",
        "shipped_at": datetime(2026, 4, 2, 15, 30, tzinfo=UTC),
        "carrier": "UPS",
        "method": "Ground",
        "tracking_number": "1Z999AA10123456784",
        "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        "scac": "UPSN",
        **fields,
    }
    return ShipmentRecord(**values)
