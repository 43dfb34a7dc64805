"""Shopify shipment upload: fulfillments of fulfillment orders, tracking, find_shipment."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from unittest import mock

from carts.connectors.shopify import shipments
from integration_manager.connector_errors import RecordError, TransientError
from integration_manager.records import ShipmentLineRecord, ShipmentRecord
from tests.support.shopify import QuickShopifyConnector, ShopifyTestCase, upload_order

SHIPPED_AT = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


def shipment(
    *lines: tuple[str, int] | tuple[str, int, str],
    tracking: str = "1Z999AA10123456784",
    carrier: str = "UPS",
    scac: str = "UPSN",
    url: str = "",
) -> ShipmentRecord:
    return ShipmentRecord(
        cust_ref="BOB-1001",
        wms_shipment_ref="PKG-1",
        shipped_at=SHIPPED_AT,
        carrier=carrier,
        scac=scac,
        tracking_number=tracking,
        tracking_url=url,
        lines=tuple(
            ShipmentLineRecord(
                sku=line[0],
                quantity=Decimal(line[1]),
                source_line_id=line[2] if len(line) > 2 else "",
            )
            for line in lines
        ),
    )


class ShopifyShipmentTests(ShopifyTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.order = self.emulator.add_order(
            lines=[
                {"sku": "BIKE", "quantity": 2, "price": "300.00"},
                {"sku": "HELMET", "quantity": 1, "price": "40.00"},
            ]
        )
        self.bike, self.helmet = (str(line["id"]) for line in self.order["line_items"])

    def remaining(self, order: dict[str, Any] | None = None) -> dict[int, int]:
        order = self.emulator.order((order or self.order)["id"])
        return {
            line["line_item_id"]: line["remaining"]
            for fulfillment_order in order["fulfillment_orders"]
            for line in fulfillment_order["line_items"]
        }

    def test_it_creates_a_fulfillment_with_tracking_for_the_shipped_lines(self) -> None:
        created = self.connector().upload_shipment(
            upload_order(self.order),
            shipment(("BIKE", 1, self.bike), url="https://ups.example/track/1Z999AA10123456784"),
        )

        (fulfillment,) = self.emulator.fulfillments
        self.assertEqual(created, fulfillment["id"].rsplit("/", 1)[-1])
        self.assertEqual(
            fulfillment["tracking"],
            [
                {
                    "number": "1Z999AA10123456784",
                    "company": "UPS",
                    "url": "https://ups.example/track/1Z999AA10123456784",
                }
            ],
        )
        self.assertTrue(fulfillment["notify_customer"])
        self.assertEqual(self.remaining(), {int(self.bike): 1, int(self.helmet): 1})
        (call,) = self.calls("HubFulfillmentCreate")
        (group,) = call["variables"]["fulfillment"]["lineItemsByFulfillmentOrder"]
        self.assertEqual(group["fulfillmentOrderId"], fulfillment["fulfillment_order_ids"][0])
        self.assertEqual([item["quantity"] for item in group["fulfillmentOrderLineItems"]], [1])

    def test_it_names_the_carrier_as_shopify_knows_it(self) -> None:
        self.connector().upload_shipment(
            upload_order(self.order),
            shipment(("HELMET", 1), carrier="Federal Express", scac="FDEG", tracking="7489"),
        )

        self.assertEqual(self.emulator.fulfillments[0]["tracking"][0]["company"], "FedEx")

    def test_it_can_leave_the_customer_unnotified(self) -> None:
        self.connector(notify_customer=False).upload_shipment(
            upload_order(self.order), shipment(("HELMET", 1))
        )

        self.assertFalse(self.emulator.fulfillments[0]["notify_customer"])

    def test_it_finds_the_line_by_sku_when_the_wms_gives_no_line_id(self) -> None:
        self.connector().upload_shipment(upload_order(self.order), shipment(("HELMET", 1)))

        self.assertEqual(self.remaining(), {int(self.bike): 2, int(self.helmet): 0})

    def test_a_shipment_without_lines_fulfils_all_that_is_left(self) -> None:
        self.connector().upload_shipment(upload_order(self.order), shipment(("BIKE", 1)))

        self.connector().upload_shipment(upload_order(self.order), shipment(tracking="1Z2"))

        self.assertEqual(self.remaining(), {int(self.bike): 0, int(self.helmet): 0})
        group = self.calls("HubFulfillmentCreate")[1]["variables"]["fulfillment"]
        self.assertNotIn("fulfillmentOrderLineItems", group["lineItemsByFulfillmentOrder"][0])

    def test_it_makes_one_fulfillment_per_location(self) -> None:
        warehouse = self.emulator.add_location("Bob's back room")
        order = self.emulator.add_order(
            lines=[
                {"sku": "FRAME", "quantity": 1, "price": "500.00"},
                {"sku": "WHEEL", "quantity": 2, "price": "80.00", "location_id": warehouse},
            ]
        )

        created = self.connector().upload_shipment(
            upload_order(order), shipment(("FRAME", 1), ("WHEEL", 2))
        )

        self.assertEqual(len(self.emulator.fulfillments), 2)
        self.assertEqual(
            created.split(","),
            [fulfillment["id"].rsplit("/", 1)[-1] for fulfillment in self.emulator.fulfillments],
        )
        self.assertEqual(set(self.remaining(order).values()), {0})

    def test_it_reads_fulfillment_orders_with_many_lines(self) -> None:
        order = self.emulator.add_order(
            lines=[{"sku": f"BOLT-{n:02d}", "quantity": 1, "price": "1.00"} for n in range(60)]
        )

        self.connector().upload_shipment(
            upload_order(order), shipment(*[(f"BOLT-{n:02d}", 1) for n in range(60)])
        )

        self.assertEqual(set(self.remaining(order).values()), {0})
        self.assertEqual(len(self.calls("HubFulfillmentOrderLines")), 1)

    def test_it_refuses_more_than_is_left_to_fulfil(self) -> None:
        with self.assertRaises(RecordError) as refused:
            self.connector().upload_shipment(upload_order(self.order), shipment(("BIKE", 3)))

        self.assertEqual(refused.exception.record_ref, str(self.order["id"]))
        self.assertIn("BIKE", str(refused.exception))
        self.assertEqual(self.emulator.fulfillments, [])

    def test_it_refuses_a_sku_the_order_does_not_have(self) -> None:
        with self.assertRaises(RecordError) as refused:
            self.connector().upload_shipment(upload_order(self.order), shipment(("SADDLE", 1)))

        self.assertIn("no line with SKU SADDLE", str(refused.exception))
        self.assertEqual(self.emulator.fulfillments, [])

    def test_it_refuses_a_shipment_for_a_cancelled_order(self) -> None:
        self.emulator.cancel_order(self.order["id"])

        with self.assertRaises(RecordError) as refused:
            self.connector().upload_shipment(upload_order(self.order), shipment(("BIKE", 1)))

        self.assertIn("cancelled", str(refused.exception))
        self.assertEqual(self.calls("HubFulfillmentCreate"), [])

    def test_it_refuses_a_shipment_held_in_shopify(self) -> None:
        self.emulator.hold_fulfillment_orders(self.order["id"])

        with self.assertRaises(RecordError) as refused:
            self.connector().upload_shipment(upload_order(self.order), shipment(("BIKE", 1)))

        self.assertIn("nothing left to fulfil", str(refused.exception))

    def test_shopify_user_errors_become_a_record_error(self) -> None:
        planned = shipments.fulfillment_groups

        def too_many(**arguments: Any) -> list[list[dict[str, Any]]]:
            # What a stale plan looks like: more than Shopify has left on the line.
            groups = planned(**arguments)
            groups[0][0]["fulfillmentOrderLineItems"][0]["quantity"] = 5
            return groups

        with (
            mock.patch.object(shipments, "fulfillment_groups", too_many),
            self.assertRaises(RecordError) as refused,
        ):
            self.connector().upload_shipment(upload_order(self.order), shipment(("BIKE", 1)))

        self.assertIn(
            "Invalid fulfillment order line item quantity requested", str(refused.exception)
        )
        self.assertEqual(refused.exception.record_ref, str(self.order["id"]))
        self.assertEqual(self.emulator.fulfillments, [])

    def test_the_emulator_refuses_an_unknown_fulfillment_order(self) -> None:
        planned = shipments.fulfillment_groups

        def wrong_id(**arguments: Any) -> list[list[dict[str, Any]]]:
            groups = planned(**arguments)
            groups[0][0]["fulfillmentOrderId"] = "gid://shopify/FulfillmentOrder/1"
            return groups

        with (
            mock.patch.object(shipments, "fulfillment_groups", wrong_id),
            self.assertRaises(RecordError) as refused,
        ):
            self.connector().upload_shipment(upload_order(self.order), shipment(("BIKE", 1)))

        self.assertIn("Fulfillment order does not exist", str(refused.exception))

    def test_it_finds_a_shipment_by_its_tracking_number(self) -> None:
        connector = self.connector()
        sent = shipment(("BIKE", 2))
        self.assertIsNone(connector.find_shipment(upload_order(self.order), sent))

        created = connector.upload_shipment(upload_order(self.order), sent)

        self.assertEqual(connector.find_shipment(upload_order(self.order), sent), created)
        lower_case = shipment(("BIKE", 2), tracking=sent.tracking_number.lower())
        self.assertEqual(connector.find_shipment(upload_order(self.order), lower_case), created)
        other = shipment(("BIKE", 2), tracking="9400111899223")
        self.assertIsNone(connector.find_shipment(upload_order(self.order), other))

    def test_a_timed_out_upload_is_found_and_not_sent_twice(self) -> None:
        sent = shipment(("BIKE", 2))

        with self.assertRaises(TransientError):
            self.timed_out_upload(sent)

        found = self.connector().find_shipment(upload_order(self.order), sent)
        self.assertIsNotNone(found)
        self.assertEqual(len(self.emulator.fulfillments), 1)
        self.assertEqual(found, self.emulator.fulfillments[0]["id"].rsplit("/", 1)[-1])

    def timed_out_upload(self, sent: ShipmentRecord) -> None:
        """Upload while Shopify creates the fulfillment but answers after the client gave up."""
        connector = self.connector(connector_class=QuickShopifyConnector)
        original = connector.client.execute

        def delay_the_mutation(document: str, variables: Any = None, *, operation: str) -> Any:
            if operation == "HubFulfillmentCreate":
                self.emulator.delay_answer_next(0.6)
            return original(document, variables, operation=operation)

        with mock.patch.object(connector.client, "execute", delay_the_mutation):
            connector.upload_shipment(upload_order(self.order), sent)

    def test_a_shipment_without_tracking_cannot_be_found(self) -> None:
        connector = self.connector()
        untracked = shipment(("BIKE", 2), tracking="")
        connector.upload_shipment(upload_order(self.order), untracked)

        self.assertIsNone(connector.find_shipment(upload_order(self.order), untracked))
        # Sending it again is refused by Shopify's own count, not fulfilled twice.
        with self.assertRaises(RecordError):
            connector.upload_shipment(upload_order(self.order), untracked)
        self.assertEqual(len(self.emulator.fulfillments), 1)
