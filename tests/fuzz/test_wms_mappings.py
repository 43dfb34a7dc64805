"""Every WMS reply the hub reads, spoilt: 3PL Warehouse Manager's closed orders, stock
summaries, carriers and error bodies, and the CSV warehouse's shipment and stock files. Each
gives records the hub can store, or the connector error family with a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests
from django.test import SimpleTestCase
from hypothesis import example, given
from hypothesis import strategies as st

from csvfiles.formats import CsvFormat, inventory_from_csv, shipments_from_csv
from integration_manager.records import ShipmentRecord, StockLevel
from tests.fuzz.contract import read_or_refuse
from tests.fuzz.mutations import json_values, mutated, spoilt_csv
from tests.support.csv import INVENTORY_FORMAT, SHIPMENT_FORMAT, shipment_rows, stock_rows
from tests.wms.test_threepl_payloads import REL, closed_order
from wms.connectors.threepl import inventory, orders, shipments
from wms.connectors.threepl.client import camel_keys, fault_of, resource_list

NOW = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
# A page of GET /orders?detail=All, in the HAL shape, and the same in plain JSON's PascalCase.
CLOSED_ORDER = closed_order()
STOCK_PAGE = {
    "totalResults": 2,
    "_embedded": {
        REL + "inventory/stocksummary": [
            {
                "facilityId": 1,
                "itemIdentifier": {"sku": "BIKE-RED", "id": 11},
                "qualifier": "",
                "onHand": 6.0,
                "available": 4.0,
                "allocated": 2.0,
            },
            {
                "facilityId": 1,
                "itemIdentifier": {"sku": "HELMET-M", "id": 12},
                "qualifier": "B",
                "onHand": 3,
                "available": 3,
            },
        ]
    },
}
CARRIERS = {
    "_embedded": {
        REL + "properties/carrier": [
            {
                "name": "UPS",
                "displayName": "UPS",
                "scacCode": "UPSN",
                "billingCodes": [{"code": "Prepaid"}, {"code": "BillThirdParty"}],
                "shipmentServices": [{"code": "03", "description": "Ground"}],
            }
        ]
    }
}
FAULT = {
    "$type": "Wms.Api.ModelValidationException, Wms.Api",
    "ErrorCode": "DoesNotExist",
    "Hint": "Item does not exist",
    "Properties": [{"Name": "OrderItems[0].ItemIdentifier.Sku", "Value": "NOPE"}],
}


def assert_shipment(record: ShipmentRecord) -> None:
    """Texts are text, quantities finite, the moment aware: what ship confirm stores."""
    for text in (record.cust_ref, record.wms_shipment_ref, record.carrier, record.method):
        assert isinstance(text, str), text
    assert isinstance(record.tracking_number, str) and isinstance(record.scac, str)
    assert record.shipped_at.tzinfo is not None
    assert isinstance(record.cost, Decimal) and record.cost.is_finite()
    for line in record.lines:
        assert isinstance(line.sku, str) and line.sku
        assert isinstance(line.quantity, Decimal) and line.quantity.is_finite()
        assert line.quantity > 0


INTEGER_COLUMN = range(-(2**31), 2**31)  # inventory.models.InventoryLevel's quantities


def assert_level(level: StockLevel, *, stored: bool = True) -> None:
    """Whole numbers an integer column holds, a SKU, a location."""
    assert isinstance(level.sku, str) and level.sku
    assert isinstance(level.location_id, str)
    for quantity in (level.available, level.on_hand):
        assert isinstance(quantity, int), quantity
        # stored=False: csvfiles/formats.py does not bound whole numbers yet (see below).
        assert quantity in INTEGER_COLUMN or not stored, quantity


class ThreePLShipmentMappingTests(SimpleTestCase):
    def read(self, order: Any) -> None:
        records = read_or_refuse(lambda: shipments.shipment_records(order))
        for record in records or []:
            assert_shipment(record)

    def test_it_reads_the_real_order(self) -> None:
        self.assertEqual(len(shipments.shipment_records(CLOSED_ORDER)), 2)

    @given(order=mutated(CLOSED_ORDER))
    @example(order={**CLOSED_ORDER, "readOnly": "closed"})
    @example(order={**CLOSED_ORDER, "orderItems": [None]})
    @example(order=closed_order(routingInfo={"carrier": {"name": "UPS"}}))
    def test_it_reads_a_spoilt_order_or_refuses_it(self, order: dict[str, Any]) -> None:
        self.read(order)

    @given(order=mutated(camel_keys(CLOSED_ORDER)))
    def test_it_reads_a_spoilt_plain_json_order_or_refuses_it(self, order: Any) -> None:
        self.read(order)


def _nan_quantity() -> dict[str, Any]:
    order = json.loads(json.dumps(CLOSED_ORDER))
    order["readOnly"]["packages"][0]["packageContents"][0]["qty"] = "NaN"
    return order


class ThreePLShipmentRegressionTests(SimpleTestCase):
    def test_it_refuses_an_order_with_a_quantity_that_is_not_a_number(self) -> None:
        # Decimal("NaN") > 0 raised InvalidOperation: the whole ship confirm run stopped.
        self.assertIsNone(read_or_refuse(lambda: shipments.shipment_records(_nan_quantity())))


class ThreePLStockMappingTests(SimpleTestCase):
    def read(self, page: Any) -> None:
        def levels() -> list[StockLevel]:
            rows = resource_list(page, "inventory/stocksummary")
            return inventory.stock_levels(rows, facility_id=1, location_name="Main", now=NOW)

        for level in read_or_refuse(levels) or []:
            assert_level(level)

    def test_it_reads_the_real_page(self) -> None:
        rows = resource_list(STOCK_PAGE, "inventory/stocksummary")
        levels = inventory.stock_levels(rows, facility_id=1, location_name="Main", now=NOW)
        self.assertEqual(
            [(level.sku, level.available) for level in levels], [("BIKE-RED", 4), ("HELMET-M", 3)]
        )

    @given(page=mutated(STOCK_PAGE))
    def test_it_reads_a_spoilt_page_or_refuses_it(self, page: dict[str, Any]) -> None:
        self.read(page)


class ThreePLRepliesTests(SimpleTestCase):
    @given(payload=mutated(CARRIERS))
    def test_it_reads_spoilt_carriers_as_ship_methods_or_refuses_them(self, payload: Any) -> None:
        methods = read_or_refuse(
            lambda: orders.ship_method_records(payload, default_billing_code="Prepaid")
        )
        for method in methods or []:
            self.assertTrue(method.code and len(method.code) <= orders.SHIP_CODE_MAX)

    @given(body=st.one_of(mutated(FAULT), json_values))
    def test_it_reads_any_error_body_as_a_fault_that_fits_a_message(self, body: Any) -> None:
        response = requests.Response()
        response.status_code = 400
        response._content = json.dumps(body).encode()
        fault = fault_of(response)
        self.assertLessEqual(len(fault.text), 1000)

    @given(body=st.binary(max_size=64))
    def test_it_reads_any_bytes_as_an_error_body(self, body: bytes) -> None:
        response = requests.Response()
        response.status_code = 400
        response._content = body
        self.assertIsInstance(fault_of(response).text, str)


# CSV files --------------------------------------------------------------------------------

SHIPMENTS = CsvFormat.from_dict(SHIPMENT_FORMAT)
STOCK = CsvFormat.from_dict(INVENTORY_FORMAT)
SHIPMENT_FILE = shipment_rows(
    ("HUB-1001", "1Z1", "UPS", "BIKE-RED", 2), ("HUB-1001", "1Z1", "UPS", "HELMET-M", 1)
)
STOCK_FILE = stock_rows(("BIKE-RED", "MAIN", 4, 6), ("HELMET-M", "MAIN", 3, 3))


class CsvWarehouseFileTests(SimpleTestCase):
    def test_it_reads_the_real_files(self) -> None:
        self.assertEqual(len(shipments_from_csv(SHIPMENT_FILE, SHIPMENTS).records), 1)
        self.assertEqual(len(inventory_from_csv(STOCK_FILE, STOCK).records), 2)

    @given(data=spoilt_csv(SHIPMENT_FILE))
    def test_it_reads_a_spoilt_shipment_file_or_names_the_bad_rows(self, data: bytes) -> None:
        result = shipments_from_csv(data, SHIPMENTS, received_at=NOW)
        for record in result.records:
            assert_shipment(record)
        for error in result.errors:
            self.assertTrue(str(error).strip())

    @given(data=spoilt_csv(STOCK_FILE))
    def test_it_reads_a_spoilt_stock_file_or_names_the_bad_rows(self, data: bytes) -> None:
        result = inventory_from_csv(data, STOCK)
        for level in result.records:
            assert_level(level, stored=False)
        for error in result.errors:
            self.assertTrue(str(error).strip())

    # Found by the deep profile: "1e30" was read as a whole number, and storing it (an
    # integer column) failed the whole file's page.
    def test_it_refuses_a_stock_level_no_integer_column_holds(self) -> None:
        result = inventory_from_csv(stock_rows(("BIKE-RED", "MAIN", "1e30", 6)), STOCK)  # type: ignore[arg-type]
        self.assertEqual(result.records, [])
        self.assertEqual(len(result.errors), 1)
