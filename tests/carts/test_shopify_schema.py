"""Every GraphQL document the Shopify connector sends, checked against the Admin API schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from graphql import OperationDefinitionNode, parse, validate

from carts.connectors.shopify import queries
from integration_manager.records import (
    ShipmentLineRecord,
    ShipmentRecord,
    StockLevel,
    UploadLine,
    UploadOrder,
)
from tests.emulators.base import Request
from tests.emulators.shopify import (
    IDEMPOTENT_FORM,
    PUBLISHED_FORM,
    ShopifyEmulator,
    admin_schema,
    document_problems,
)
from tests.support.shopify import T0, ShopifyTestCase, upload_order


def documents() -> dict[str, str]:
    """Operation name -> document, for every document in queries.py."""
    found = {}
    for name, value in vars(queries).items():
        if name.endswith(("_QUERY", "_MUTATION")) and isinstance(value, str):
            for definition in parse(value).definitions:
                if isinstance(definition, OperationDefinitionNode):
                    found[definition.name.value] = value
    return found


class ShopifySchemaTests(ShopifyTestCase):
    def exercise(self, *, api_version: str) -> None:
        """Run every operation of the connector once, the paged ones past their first page."""
        connector = self.connector(api_version=api_version, earliest_order_date="2026-01-01")
        order = self.emulator.add_order(
            updated_at=T0,
            lines=[{"sku": f"PART-{n:02d}", "quantity": 1, "price": "2.00"} for n in range(55)],
        )
        connector.test_connection()
        list(connector.fetch_orders(None))
        shipment = ShipmentRecord(
            cust_ref="BOB-1",
            wms_shipment_ref="PKG-1",
            shipped_at=datetime(2026, 3, 3, tzinfo=UTC),
            tracking_number="1Z999",
            lines=(),
        )
        connector.find_shipment(upload_order(order), shipment)
        connector.upload_shipment(upload_order(order), shipment)
        connector.upload_inventory([StockLevel(sku="PART-00", location_id="WH", available=4)])

    def sent(self) -> dict[str, list[tuple[str, str, dict]]]:
        by_operation: dict[str, list[tuple[str, str, dict]]] = {}
        for request in self.emulator.requests_to("POST", r"graphql\.json$"):
            body = request.json()
            by_operation.setdefault(body["operationName"], []).append(
                (request.path.split("/")[3], body["query"], body["variables"])
            )
        return by_operation

    def test_every_document_it_sends_is_valid_for_2025_01(self) -> None:
        self.exercise(api_version="2025-01")

        sent = self.sent()
        self.assertEqual(set(sent), set(documents()))  # every document was exercised
        for operation, calls in sent.items():
            for version, query, variables in calls:
                with self.subTest(operation=operation):
                    self.assertEqual(version, "2025-01")
                    self.assertEqual(document_problems(version, query, variables), [])

    def test_the_2026_04_inventory_form_is_the_published_schemas_version_gap(self) -> None:
        self.exercise(api_version="2026-10")

        ((version, query, variables),) = self.sent()["HubInventorySet"]
        self.assertEqual(query, queries.INVENTORY_SET_IDEMPOTENT_MUTATION)
        # Valid for the schema with the 2026-04 changes, which the emulator serves...
        self.assertEqual(document_problems(version, query, variables), [])
        # ...and refused by the published 2025-01 schema exactly where the versions differ.
        errors = validate(admin_schema(PUBLISHED_FORM), parse(query))
        self.assertEqual([error.message for error in errors], ["Unknown directive '@idempotent'."])
        self.assertEqual(
            validate(admin_schema(IDEMPOTENT_FORM), parse(queries.INVENTORY_SET_MUTATION)), []
        )
        problems = document_problems("2025-01", queries.INVENTORY_SET_MUTATION, variables)
        self.assertTrue(any("changeFromQuantity" in problem for problem in problems))


def masked(value: Any) -> Any:
    """A payload with its timestamps blanked: two runs may straddle a second."""
    if isinstance(value, dict):
        return {
            key: "<time>" if key.endswith("At") and isinstance(item, str) else masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


class ShopifyEmulatorExecutionTests(ShopifyTestCase):
    """The emulator runs documents with its own executor, for speed; it must answer exactly
    as graphql-core's execute() would over the same store."""

    def twin(self, *, reference: bool) -> ShopifyEmulator:
        emulator = ShopifyEmulator()
        emulator.reference_executor = reference
        emulator.set_throttle(None)  # the bucket's level depends on timing, not on execution
        self.stock(emulator)
        return emulator

    @staticmethod
    def stock(emulator: ShopifyEmulator) -> None:
        emulator.add_fixture_order(created_at=T0, updated_at=T0)
        emulator.add_order(
            created_at=T0,
            updated_at=T0,
            lines=[{"sku": f"PART-{n:02d}", "quantity": 2, "price": "2.00"} for n in range(55)],
            order_discount="5.00",
            tax_rate="0.08",
        )
        emulator.add_order(created_at=T0, updated_at=T0, cancelled_at=T0)
        emulator.add_variant("PART-00-XL", tracked=False)

    def replay(self, emulator: ShopifyEmulator, request: Request) -> dict[str, Any]:
        # Straight to the handler, as the server would call it.
        request = Request(
            method=request.method,
            path=request.path,
            query={},
            headers=request.headers,
            body=request.body,
            params={"version": request.path.split("/")[3]},
        )
        with emulator.lock:
            return masked(emulator.graphql(request).body)

    def test_the_fast_executor_answers_as_graphql_core_does(self) -> None:
        self.stock(self.emulator)
        for api_version in ("2025-01", "2026-10"):
            connector = self.connector(api_version=api_version, earliest_order_date="2026-01-01")
            connector.test_connection()
            pages = list(connector.fetch_orders(None))
            order = next(o for page in pages for o in page.orders if len(o.lines) > 50)
            upload = UploadOrder(
                source_order_id=order.source_order_id,
                order_number=order.order_number,
                lines=tuple(
                    UploadLine(line.source_line_id, line.sku, line.quantity) for line in order.lines
                ),
            )
            shipment = ShipmentRecord(
                cust_ref="BOB-1",
                wms_shipment_ref=api_version,
                shipped_at=T0,
                tracking_number=f"1Z{api_version}",
                lines=(ShipmentLineRecord(sku="PART-01", quantity=Decimal(1)),),
            )
            connector.upload_shipment(upload, shipment)
            connector.find_shipment(upload, shipment)
            connector.upload_inventory(
                [
                    StockLevel(sku=sku, location_id="WH", available=3)
                    for sku in ("PART-00", "PART-00-XL", "GHOST")
                ]
            )
        requests = self.emulator.requests_to("POST", r"graphql\.json$")
        fast, reference = self.twin(reference=False), self.twin(reference=True)

        for request in requests:
            with self.subTest(operation=request.json()["operationName"]):
                self.assertEqual(self.replay(fast, request), self.replay(reference, request))
        self.assertGreater(len(requests), 15)

    def test_errors_and_nulls_are_the_same(self) -> None:
        fast, reference = self.twin(reference=False), self.twin(reference=True)
        for emulator in (fast, reference):
            emulator.revoke_scope("read_orders")
            emulator.revoke_scope("write_orders")
            emulator.revoke_scope("read_merchant_managed_fulfillment_orders")
            emulator.revoke_scope("write_merchant_managed_fulfillment_orders")
        documents_and_variables = [
            (queries.ORDERS_QUERY, {"first": 5, "query": "", "lineItems": 5}),  # ACCESS_DENIED
            (queries.ORDERS_QUERY, {"first": "five", "query": "", "lineItems": 5}),  # variable
            (queries.FULFILLMENT_ORDER_LINES_QUERY, {"id": "gid://shopify/FulfillmentOrder/1"}),
            ('{ shop { name } missing: location(id: "gid://shopify/Location/1") { id } }', {}),
            (
                "query Q($s: Boolean!) { shop { name @skip(if: $s) currencyCode "
                "... on Shop { myshopifyDomain } __typename } }",
                {"s": True},
            ),
        ]
        for query, variables in documents_and_variables:
            request = Request(
                method="POST",
                path="/admin/api/2025-01/graphql.json",
                query={},
                headers={"x-shopify-access-token": fast.access_token},
                body=json.dumps({"query": query, "variables": variables}).encode(),
            )
            with self.subTest(query=query[:40]):
                answer = self.replay(fast, request)
                self.assertEqual(answer, self.replay(reference, request))
                self.assertTrue(answer.get("errors") or answer["data"])
