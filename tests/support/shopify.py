"""What the Shopify connector tests share: the base test case, a quick connector, records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest import mock

from django.test import SimpleTestCase

from carts.connectors.shopify.connector import ShopifyConnector
from carts.connectors.sku_cache import SkuCache
from integration_manager.connectors import ConnectionContext
from integration_manager.records import OrderPage, OrderRecord, UploadLine, UploadOrder
from tests.emulators.shopify import ShopifyEmulator, document_problems

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class ShopifyTestCase(SimpleTestCase):
    """The production connector against a fresh emulator. When a test ends, every document
    the connector sent is checked against the Admin API schema of its version."""

    api_version = "2025-01"

    def setUp(self) -> None:
        super().setUp()
        self.emulator = ShopifyEmulator()
        self.emulator.start()
        self.addCleanup(self.emulator.stop)
        # The SKU cache outlives connectors by design; each test starts with an empty one.
        patcher = mock.patch.object(ShopifyConnector, "inventory_items", SkuCache())
        patcher.start()
        self.addCleanup(patcher.stop)
        self.addCleanup(self.assert_documents_valid)

    def connector(
        self,
        *,
        connector_class: type[ShopifyConnector] = ShopifyConnector,
        credentials: dict[str, str] | None = None,
        **settings: Any,
    ) -> ShopifyConnector:
        return connector_class(
            settings={
                "base_url": self.emulator.base_url,
                "api_version": self.api_version,
                **settings,
            },
            credentials=credentials
            if credentials is not None
            else {
                "access_token": self.emulator.access_token,
                "webhook_secret": self.emulator.webhook_secret,
            },
            context=ConnectionContext(connection_id=7, account_id=1, label="Bob's Shopify"),
        )

    def download(
        self, connector: ShopifyConnector | None = None, *, cursor: str | None = None
    ) -> list[OrderPage]:
        connector = connector or self.connector(earliest_order_date="2026-01-01")
        return list(connector.fetch_orders(cursor))

    @staticmethod
    def orders_in(pages: list[OrderPage]) -> list[OrderRecord]:
        return [order for page in pages for order in page.orders]

    def calls(self, operation: str) -> list[dict[str, Any]]:
        """The bodies of the GraphQL calls of one operation, in order."""
        bodies = [request.json() for request in self.emulator.requests_to("POST", "graphql")]
        return [body for body in bodies if body.get("operationName") == operation]

    def assert_documents_valid(self) -> None:
        for request in self.emulator.requests_to("POST", r"/graphql\.json$"):
            if not request.header("user-agent").startswith("integration-hub"):
                continue  # a test's own request, invalid on purpose
            body = request.json()
            version = request.path.split("/")[3]  # /admin/api/{version}/graphql.json
            problems = document_problems(version, body["query"], body.get("variables") or {})
            if problems:
                self.fail(f"Shopify {version} would refuse a document: {problems}\n{body}")


class QuickShopifyConnector(ShopifyConnector):
    """The production connector with a short read timeout, so a late answer is quick to test."""

    timeout = (1.0, 0.3)


def upload_order(order: dict[str, Any]) -> UploadOrder:
    """What the hub hands back for an order it downloaded from the emulator."""
    return UploadOrder(
        source_order_id=str(order["id"]),
        order_number=order["name"],
        lines=tuple(
            UploadLine(source_line_id=str(line["id"]), sku=line["sku"], quantity=line["quantity"])
            for line in order["line_items"]
        ),
    )
