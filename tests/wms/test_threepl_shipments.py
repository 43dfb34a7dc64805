"""3PL Warehouse Manager shipments and stock against the emulator: packages, cursor, paging."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from integration_manager.connector_errors import ConnectorError, TransientError
from integration_manager.records import ShipmentPage, ShipmentRecord
from tests.support.threepl import QuickThreePLConnector, ThreePLTestCase, merchant


class SmallPageConnector(QuickThreePLConnector):
    """Ten orders and ten stock rows a page, so a few records exercise paging."""

    orders_page_size = 10
    stock_page_size = 10


class PlainJsonConnector(QuickThreePLConnector):
    accept = "application/json"


class ShipmentTests(ThreePLTestCase):
    def fetch(self, cursor: str | None = None, **options: object) -> list[ShipmentPage]:
        return list(self.connector(**options).fetch_shipments(merchant(), cursor))

    def shipments(self, cursor: str | None = None) -> list[ShipmentRecord]:
        return [record for page in self.fetch(cursor) for record in page.shipments]

    def test_a_shipped_order_comes_back_with_its_tracking_carrier_and_lines(self) -> None:
        order_id = self.emulator.add_order("HUB-1", {"BIKE-RED": 2, "HELMET-M": 1})
        self.emulator.ship(order_id, tracking_number="1Z999AA10000000001")
        [shipment] = self.shipments()
        self.assertEqual(shipment.cust_ref, "HUB-1")
        self.assertEqual(shipment.tracking_number, "1Z999AA10000000001")
        self.assertEqual((shipment.carrier, shipment.method, shipment.scac), ("UPS", "03", "UPSN"))
        self.assertEqual(
            [(line.sku, line.quantity) for line in shipment.lines],
            [("BIKE-RED", Decimal("2")), ("HELMET-M", Decimal("1"))],
        )
        order = self.emulator.order(order_id)
        self.assertEqual(shipment.wms_shipment_ref, f"{order_id}-{order.packages[0]['packageId']}")

    def test_a_partial_shipment_maps_each_package_back_to_its_lines(self) -> None:
        order_id = self.emulator.add_order("HUB-1", {"BIKE-RED": 2, "HELMET-M": 1, "PUMP": 1})
        self.emulator.ship(
            order_id,
            [
                {"tracking_number": "1ZAAA", "contents": {"BIKE-RED": 1, "HELMET-M": 1}},
                {"tracking_number": "1ZBBB", "contents": {"BIKE-RED": 1}},
            ],
        )  # the pump was short: in no package
        shipments = self.shipments()
        self.assertEqual(
            [
                (
                    shipment.tracking_number,
                    [(line.sku, int(line.quantity)) for line in shipment.lines],
                )
                for shipment in shipments
            ],
            [("1ZAAA", [("BIKE-RED", 1), ("HELMET-M", 1)]), ("1ZBBB", [("BIKE-RED", 1)])],
        )
        self.assertEqual(len({shipment.wms_shipment_ref for shipment in shipments}), 2)

    def test_an_order_closed_without_packages_is_one_shipment_of_every_line(self) -> None:
        order_id = self.emulator.add_order("HUB-1", {"BIKE-RED": 2, "PUMP": 1})
        self.emulator.ship(order_id, [], tracking_number="9400100000000000000001", carrier="USPS")
        [shipment] = self.shipments()
        self.assertEqual((shipment.wms_shipment_ref, shipment.carrier), (str(order_id), "USPS"))
        self.assertEqual(shipment.tracking_number, "9400100000000000000001")
        self.assertEqual([line.sku for line in shipment.lines], ["BIKE-RED", "PUMP"])

    def test_open_orders_and_other_customers_orders_are_not_reported(self) -> None:
        self.emulator.add_order("HUB-OPEN", {"PUMP": 1})
        theirs = self.emulator.add_order("THEIRS-1", {"PUMP": 1}, customer_id=14)
        self.emulator.ship(theirs)
        self.assertEqual(self.shipments(), [])

    def test_the_cursor_is_the_newest_change_and_the_next_read_overlaps_it(self) -> None:
        now = self.emulator.now()
        early, late = (self.emulator.add_order(f"HUB-{n}", {"PUMP": 1}) for n in (1, 2))
        self.emulator.ship(early, modified_at=now - timedelta(hours=3))
        self.emulator.ship(late, modified_at=now - timedelta(hours=1))
        pages = self.fetch()
        self.assertEqual(pages[-1].cursor, (now - timedelta(hours=1)).isoformat())
        # The next run reads from the cursor less the overlap: the late order again (the
        # hub stores each package once), the early one no more.
        again = self.shipments(pages[-1].cursor)
        self.assertEqual([shipment.cust_ref for shipment in again], ["HUB-2"])
        [listing] = self.emulator.requests_to("GET", r"^/orders$")[-1:]
        self.assertIn(
            f"readOnly.lastModifiedDate=ge={(now - timedelta(hours=1, minutes=10)).isoformat()}",
            listing.arg("rql"),
        )
        self.assertEqual(listing.arg("sort"), "readOnly.lastModifiedDate")

    def test_every_order_of_many_pages_is_read_once(self) -> None:
        moment = self.emulator.now() - timedelta(minutes=5)
        for number in range(25):  # all closed in the same second
            self.emulator.ship(
                self.emulator.add_order(f"HUB-{number}", {"PUMP": 1}), modified_at=moment
            )
        pages = list(self.connector(SmallPageConnector).fetch_shipments(merchant(), None))
        references = [record.cust_ref for page in pages for record in page.shipments]
        self.assertEqual(sorted(references), sorted(f"HUB-{number}" for number in range(25)))
        sizes = {request.arg("pgsiz") for request in self.emulator.requests_to("GET", r"^/orders$")}
        self.assertEqual(sizes, {"10"})

    def test_a_page_size_past_the_limit_is_held_to_it(self) -> None:
        class BigPageConnector(QuickThreePLConnector):
            orders_page_size = 5000

        self.emulator.ship(self.emulator.add_order("HUB-1", {"PUMP": 1}))
        pages = list(self.connector(BigPageConnector).fetch_shipments(merchant(), None))
        self.assertEqual([record.cust_ref for record in pages[0].shipments], ["HUB-1"])
        [request] = self.emulator.requests_to("GET", r"^/orders$")
        self.assertEqual(request.arg("pgsiz"), "1000")

    def test_a_query_the_wms_refuses_is_shown_in_its_words(self) -> None:
        self.emulator.fail_next(
            400,
            body={
                "$type": "WMS.V2.Generic.Models.Exceptions.QueryParameterException, WMS.V2",
                "Parameters": ["rql"],
                "ErrorCode": "NotParsable",
                "Hint": "Properties not supported: readonly.isclosed",
            },
            path_contains="/orders",
        )
        with self.assertRaises(ConnectorError) as caught:
            self.fetch()
        self.assertNotIsInstance(caught.exception, TransientError)
        self.assertIn("NotParsable: Properties not supported", str(caught.exception))

    def test_an_answer_that_is_not_json_is_transient(self) -> None:
        self.emulator.malformed_next(path_contains="/orders")
        with self.assertRaises(TransientError) as caught:
            self.fetch()
        self.assertIn("could not read", str(caught.exception))

    def test_no_closed_orders_keep_the_cursor(self) -> None:
        [page] = self.fetch("2026-03-01T00:00:00")
        self.assertEqual((page.shipments, page.cursor), ([], "2026-03-01T00:00:00"))

    def test_the_plain_json_representation_gives_the_same_shipments(self) -> None:
        order_id = self.emulator.add_order("HUB-1", {"BIKE-RED": 2, "HELMET-M": 1})
        self.emulator.ship(
            order_id,
            [
                {"tracking_number": "1ZAAA", "contents": {"BIKE-RED": 2}},
                {"tracking_number": "1ZBBB", "contents": {"HELMET-M": 1}},
            ],
        )
        hal = self.shipments()
        plain = [
            record
            for page in self.connector(PlainJsonConnector).fetch_shipments(merchant(), None)
            for record in page.shipments
        ]
        self.assertEqual(plain, hal)
        self.assertEqual(len(plain), 2)

    def test_a_merchant_without_a_customer_says_what_to_fill_in(self) -> None:
        with self.assertRaises(ConnectorError) as caught:
            list(self.connector().fetch_shipments(merchant(customer_id=""), None))
        self.assertIn("merchant's page (WMS settings)", str(caught.exception))


class InventoryTests(ThreePLTestCase):
    def levels(self, facility_id: str = "1", **options: object) -> dict[str, tuple[int, int]]:
        levels = self.connector(**options).fetch_inventory(merchant(facility_id=facility_id))
        return {level.sku: (level.available, level.on_hand) for level in levels}

    def test_the_merchants_stock_at_its_facility(self) -> None:
        levels = self.connector().fetch_inventory(merchant())
        self.assertEqual(
            {level.sku: level.available for level in levels},
            # PUMP: the merchant's 7, not the 900 another customer keeps under that SKU.
            {"BIKE-RED": 40, "BIKE-BLUE": 12, "HELMET-M": 100, "PUMP": 7},
        )
        self.assertEqual(
            {(level.location_id, level.location_name) for level in levels},
            {("1", "Main Warehouse")},
        )
        [request] = self.emulator.requests_to("GET", r"^/inventory/stocksummaries$")
        self.assertNotIn("sort", request.query)

    def test_an_open_order_takes_from_available_but_not_on_hand(self) -> None:
        self.emulator.add_order("HUB-1", {"BIKE-RED": 3})
        self.assertEqual(self.levels()["BIKE-RED"], (37, 40))

    def test_another_facility_is_another_location(self) -> None:
        levels = self.connector().fetch_inventory(merchant(facility_id="2"))
        self.assertEqual(
            [(level.sku, level.available, level.location_name) for level in levels],
            [("BIKE-RED", 5, "East Annex")],
        )

    def test_many_items_are_read_in_pages_within_the_limit(self) -> None:
        for number in range(1196):
            self.emulator.add_stock(12, 1, f"SKU-{number:04d}", on_hand=number % 7)
        self.assertEqual(len(self.levels()), 1200)
        sizes = [
            request.arg("pgsiz") for request in self.emulator.requests_to("GET", r"stocksummaries")
        ]
        self.assertEqual(sizes, ["500", "500", "500"])

    def test_small_pages_read_everything_too(self) -> None:
        for number in range(15):
            self.emulator.add_stock(12, 1, f"SKU-{number:02d}", on_hand=1)
        levels = self.connector(SmallPageConnector).fetch_inventory(merchant())
        self.assertEqual(len(levels), 19)

    def test_qualified_stock_is_summed_per_sku(self) -> None:
        self.emulator.add_stock(12, 1, "PUMP", on_hand=5, qualifier="Refurbished")
        self.assertEqual(self.levels()["PUMP"], (12, 12))

    def test_the_plain_json_representation_gives_the_same_levels(self) -> None:
        hal = self.connector().fetch_inventory(merchant())
        plain = self.connector(PlainJsonConnector).fetch_inventory(merchant())
        strip = [(level.sku, level.available, level.on_hand, level.location_name) for level in hal]
        self.assertEqual(
            [(level.sku, level.available, level.on_hand, level.location_name) for level in plain],
            strip,
        )
        _, response = self.emulator.exchanges[-1]
        self.assertIn("Summaries", response.body)

    def test_an_unknown_customer_says_what_to_fill_in(self) -> None:
        with self.assertRaises(ConnectorError) as caught:
            self.connector().fetch_inventory(merchant(customer_id="99"))
        self.assertIn("has no customer 99", str(caught.exception))

    def test_a_merchant_without_a_facility_says_what_to_fill_in(self) -> None:
        with self.assertRaises(ConnectorError) as caught:
            self.connector().fetch_inventory(merchant(facility_id=None))
        self.assertIn("has no 3PL facility id", str(caught.exception))
