"""BigCommerce shipment upload against the emulator: the body, partial shipments, lookups."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests
from django.test import SimpleTestCase

from carts.connectors.bigcommerce import shipments
from integration_manager.connector_errors import RecordError, TransientError
from integration_manager.records import ShipmentLineRecord, ShipmentRecord, UploadOrder
from tests.support.bigcommerce import BigCommerceTestCase, shipment, upload_order


class ShipmentUploadTests(BigCommerceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.order_id = self.emulator.add_order(
            lines=[{"sku": "TRL-CAP", "quantity": 2}, {"sku": "TRL-LAMP", "quantity": 1}]
        )
        _, orders = self.download()
        self.order = upload_order(orders[0])
        self.cap, self.lamp = self.order.lines

    def test_it_posts_what_the_real_api_requires(self) -> None:
        shipment_id = self.connector().upload_shipment(self.order, shipment())
        [post] = self.emulator.requests_to("POST", rf"/v2/orders/{self.order_id}/shipments$")
        body = post.json()
        self.assertEqual(body["order_address_id"], self.order.raw["order_address_id"])
        self.assertEqual(
            sorted(body["items"], key=lambda item: item["order_product_id"]),
            [
                {"order_product_id": int(self.cap.source_line_id), "quantity": 2},
                {"order_product_id": int(self.lamp.source_line_id), "quantity": 1},
            ],
        )
        self.assertEqual(body["tracking_number"], "1Z999AA10123456784")
        self.assertEqual(body["shipping_provider"], "ups")
        self.assertEqual(body["shipping_method"], "UPS Ground")
        self.assertEqual(post.header("x-auth-token"), self.emulator.access_token)
        [stored] = self.emulator.shipments(self.order_id)
        self.assertEqual(shipment_id, str(stored["id"]))
        self.assertEqual(self.emulator.order_payload(self.order_id)["status_id"], 2)  # Shipped

    def test_the_emulator_refuses_a_body_without_address_or_items(self) -> None:
        url = (
            f"{self.emulator.base_url}/stores/{self.emulator.store_hash}/v2/orders/"
            f"{self.order_id}/shipments"
        )
        headers = {"X-Auth-Token": self.emulator.access_token}
        item = {"order_product_id": int(self.cap.source_line_id), "quantity": 1}
        no_address = requests.post(url, json={"items": [item]}, headers=headers, timeout=5)
        no_items = requests.post(
            url,
            json={"order_address_id": self.order.raw["order_address_id"]},
            headers=headers,
            timeout=5,
        )
        self.assertEqual(no_address.status_code, 400)
        self.assertIn("order_address_id", no_address.json()[0]["message"])
        self.assertEqual(no_items.status_code, 400)
        self.assertIn("items", no_items.json()[0]["message"])
        self.assertEqual(self.emulator.shipments(self.order_id), [])

    def test_it_ships_part_of_an_order_then_the_rest(self) -> None:
        connector = self.connector()
        first = shipment(
            ShipmentLineRecord(sku="TRL-CAP", quantity=Decimal(1)),  # named by SKU only
            tracking_number="TRACK-A",
        )
        connector.upload_shipment(self.order, first)
        self.assertEqual(self.emulator.order_payload(self.order_id)["status_id"], 3)
        # No lines: the rest of the order, computed from what BigCommerce says is left.
        connector.upload_shipment(self.order, shipment(tracking_number="TRACK-B"))
        second = self.emulator.shipments(self.order_id)[1]
        self.assertEqual(
            sorted((item["order_product_id"], item["quantity"]) for item in second["items"]),
            [(int(self.cap.source_line_id), 1), (int(self.lamp.source_line_id), 1)],
        )
        self.assertEqual(self.emulator.order_payload(self.order_id)["status_id"], 2)

    def test_more_than_is_left_is_a_record_error_and_nothing_is_sent(self) -> None:
        too_many = shipment(
            ShipmentLineRecord(
                sku="TRL-LAMP", quantity=Decimal(2), source_line_id=self.lamp.source_line_id
            )
        )
        with self.assertRaises(RecordError) as caught:
            self.connector().upload_shipment(self.order, too_many)
        self.assertEqual(caught.exception.record_ref, str(self.order_id))
        self.assertIn("more of SKU TRL-LAMP", str(caught.exception))
        self.assertEqual(self.emulator.requests_to("POST", r"/shipments$"), [])

    def test_a_sku_the_order_lacks_is_a_record_error(self) -> None:
        stranger = shipment(ShipmentLineRecord(sku="TRL-MAP-NW", quantity=Decimal(1)))
        with self.assertRaises(RecordError) as caught:
            self.connector().upload_shipment(self.order, stranger)
        self.assertIn("TRL-MAP-NW", str(caught.exception))

    def test_a_carrier_bigcommerce_does_not_know_goes_as_a_tracking_carrier(self) -> None:
        self.connector().upload_shipment(
            self.order, shipment(carrier="OnTrac", method="Ground", tracking_number="C1234")
        )
        body = self.emulator.requests_to("POST", r"/shipments$")[0].json()
        self.assertEqual(body["shipping_provider"], "")
        self.assertEqual(body["tracking_carrier"], "ontrac")

    def test_a_refusal_from_bigcommerce_is_a_record_error_with_its_message(self) -> None:
        self.emulator.fail_next(
            400,
            body=[{"status": 400, "message": "The order is not in a shippable state."}],
            method="POST",
        )
        with self.assertRaises(RecordError) as caught:
            self.connector().upload_shipment(self.order, shipment())
        self.assertIn("not in a shippable state", str(caught.exception))

    def test_a_post_is_never_sent_twice_by_the_connector(self) -> None:
        self.emulator.fail_next(502, times=3, method="POST")
        with self.assertRaises(TransientError):
            self.connector().upload_shipment(self.order, shipment())
        self.assertEqual(len(self.emulator.requests_to("POST", r"/shipments$")), 1)

    def test_status_after_shipment_completes_a_shipped_order(self) -> None:
        connector = self.connector(status_after_shipment="10")
        connector.upload_shipment(
            self.order, shipment(ShipmentLineRecord(sku="TRL-CAP", quantity=Decimal(1)))
        )
        # Partially shipped: BigCommerce's own status stands.
        self.assertEqual(self.emulator.order_payload(self.order_id)["status_id"], 3)
        connector.upload_shipment(self.order, shipment(tracking_number="TRACK-B"))
        self.assertEqual(self.emulator.order_payload(self.order_id)["status_id"], 10)
        [put] = self.emulator.requests_to("PUT", rf"/v2/orders/{self.order_id}$")
        self.assertEqual(put.json(), {"status_id": 10})


class FindShipmentTests(BigCommerceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.order_id = self.emulator.add_order(lines=[{"sku": "TRL-CAP", "quantity": 1}])
        _, orders = self.download()
        self.order = upload_order(orders[0])

    def test_after_a_timeout_it_finds_the_shipment_instead_of_sending_it_again(self) -> None:
        # BigCommerce creates the shipment but the answer comes after the read timeout.
        self.emulator.hang_after_next(1.5, path_contains="/shipments", method="POST")
        connector = self.connector()
        sent = shipment(tracking_number="1z999aa1 0123456784")
        with self.assertRaises(TransientError):
            connector.upload_shipment(self.order, sent)
        found = connector.find_shipment(self.order, shipment(tracking_number="1Z999AA10123456784"))
        [stored] = self.emulator.shipments(self.order_id)
        self.assertEqual(found, str(stored["id"]))
        self.assertEqual(len(self.emulator.requests_to("POST", r"/shipments$")), 1)

    def test_it_finds_nothing_when_there_is_no_shipment(self) -> None:
        self.assertIsNone(self.connector().find_shipment(self.order, shipment()))
        # BigCommerce answers 204 when an order has no shipments.
        [(_request, response)] = [
            exchange
            for exchange in self.emulator.exchanges
            if exchange[0].path.endswith("/shipments")
        ]
        self.assertEqual(response.status, 204)

    def test_it_does_not_take_another_tracking_number_for_this_one(self) -> None:
        self.connector().upload_shipment(self.order, shipment(tracking_number="OTHER-1"))
        self.assertIsNone(self.connector().find_shipment(self.order, shipment()))

    def test_without_tracking_it_matches_an_untracked_shipment(self) -> None:
        untracked = shipment(tracking_number="", carrier="Local courier")
        shipment_id = self.connector().upload_shipment(self.order, untracked)
        self.assertEqual(self.connector().find_shipment(self.order, untracked), shipment_id)


def product(product_id: int, sku: str, quantity: int, shipped: int = 0, **extra: Any) -> dict:
    """An order product as GET /v2/orders/{id}/products lists it, cut to what shipments read."""
    return {
        "id": product_id,
        "sku": sku,
        "quantity": quantity,
        "quantity_shipped": shipped,
        "order_address_id": 7,
        "type": "physical",
        **extra,
    }


class ShipmentMappingTests(SimpleTestCase):
    """shipments.py from payloads, without HTTP."""

    order = UploadOrder(source_order_id="310", order_number="310", lines=(), raw={})

    def items(self, *lines: ShipmentLineRecord, products: list[dict]) -> list[dict[str, int]]:
        return shipments.shipment_items(
            order_id="310", shipment=shipment(*lines), products=products
        )

    def test_one_sku_on_several_lines_is_filled_in_turn(self) -> None:
        products = [product(1, "TRL-TEE-M", 2, shipped=1), product(2, "TRL-TEE-M", 3)]
        items = self.items(ShipmentLineRecord("TRL-TEE-M", Decimal(3)), products=products)
        self.assertEqual(
            items, [{"order_product_id": 1, "quantity": 1}, {"order_product_id": 2, "quantity": 2}]
        )

    def test_no_lines_ships_what_is_left_and_nothing_left_is_a_record_error(self) -> None:
        products = [product(1, "TRL-CAP", 2, shipped=1), product(2, "EBOOK", 1, type="digital")]
        self.assertEqual(self.items(products=products), [{"order_product_id": 1, "quantity": 1}])
        with self.assertRaises(RecordError) as caught:
            self.items(products=[product(1, "TRL-CAP", 2, shipped=2)])
        self.assertEqual(caught.exception.record_ref, "310")

    def test_a_part_of_a_unit_is_a_record_error(self) -> None:
        with self.assertRaises(RecordError) as caught:
            self.items(
                ShipmentLineRecord("TRL-CAP", Decimal("1.5")), products=[product(1, "TRL-CAP", 2)]
            )
        self.assertIn("whole quantities", str(caught.exception))

    def test_the_body_takes_the_products_address_and_a_known_provider_by_scac(self) -> None:
        sent = ShipmentRecord(
            cust_ref="TRL-1", wms_shipment_ref="W-1", shipped_at=self.now(), scac="FDEG"
        )
        body = shipments.shipment_body(
            order=self.order, shipment=sent, products=[product(1, "TRL-CAP", 1)]
        )
        self.assertEqual(body["order_address_id"], 7)
        self.assertEqual((body["shipping_provider"], body["tracking_number"]), ("fedex", ""))
        self.assertNotIn("tracking_carrier", body)

    def test_a_tracking_number_longer_than_bigcommerce_takes_is_a_record_error(self) -> None:
        with self.assertRaises(RecordError):
            shipments.shipment_body(
                order=self.order,
                shipment=shipment(tracking_number="1Z" * 26),
                products=[product(1, "TRL-CAP", 1)],
            )

    def test_an_earlier_upload_is_found_by_its_tracking_number_in_any_spacing(self) -> None:
        existing = [
            {"id": 4, "tracking_number": "OTHER", "items": []},
            {"id": 5, "tracking_number": "1z999 aa1 0123456784", "items": []},
        ]
        self.assertEqual(shipments.matching_shipment(existing, shipment=shipment()), "5")
        self.assertIsNone(shipments.matching_shipment(existing[:1], shipment=shipment()))

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)
