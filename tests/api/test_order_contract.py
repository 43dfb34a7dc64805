"""The cart endpoints' answers have CartRover's keys and types (extensiv_ruby's fixtures)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from api.order_objects import BACK_OFFICE_FIELDS, ECHOED_FIELDS
from orders.models import Order, OrderStatus, ShipmentLine
from tests.api.test_cart_orders import CartApiTestCase, fixture
from tests.objects import create_shipment

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
DAY = re.compile(r"^\d{4}-\d\d-\d\d$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")
UNIT_MONEY = re.compile(r"^-?\d+\.\d{4}$")
QUANTITY = re.compile(r"^-?\d+(\.\d+)?$")
# What the hub leaves null where CartRover's sample had a value: back-office fields, fields
# the client did not send, and address parts.
MAY_BE_NULL = {*BACK_OFFICE_FIELDS, *ECHOED_FIELDS, "record_no", "error_code", "error_msg"}


class OrderContractTests(CartApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.post("/v1/cart/orders/cartrover", fixture("create_data.json"))
        order = Order.objects.get(cart=self.cart)
        Order.objects.filter(id=order.id).update(
            status=OrderStatus.SHIPPED,
            delivered_at=datetime(2026, 11, 20, 12, 0, 5, 123456, tzinfo=UTC),
            shipped_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
        )
        shipment = create_shipment(order, tracking="Test456")
        ShipmentLine.objects.create(
            account_id=order.account_id,
            merchant_id=order.merchant_id,
            shipment=shipment,
            sku="C100",
            quantity=Decimal("2"),
        )

    def assert_shaped_like(self, ours: Any, theirs: Any, where: str = "") -> None:
        """Every key of theirs is ours, with the same JSON type (a string may be null in ours
        only where MAY_BE_NULL or an address part says so)."""
        if isinstance(theirs, dict):
            self.assertIsInstance(ours, dict, where)
            missing = set(theirs) - set(ours)
            self.assertEqual(missing, set(), f"{where}: keys missing")
            for key, value in theirs.items():
                self.assert_value(ours[key], value, key, f"{where}.{key}")
        elif isinstance(theirs, list):
            self.assertIsInstance(ours, list, where)
            if theirs:
                self.assertTrue(ours, f"{where}: empty, CartRover's sample is not")
                self.assert_shaped_like(ours[0], theirs[0], f"{where}[0]")

    def assert_value(self, ours: Any, theirs: Any, key: str, where: str) -> None:
        if isinstance(theirs, dict | list):
            self.assert_shaped_like(ours, theirs, where)
        elif isinstance(theirs, str | int | bool):
            address = key.startswith(("cust_", "ship_")) and key not in ("cust_ref", "cust_po_no")
            nullable = key in MAY_BE_NULL or address or "[" in where
            allowed = (type(theirs), type(None)) if nullable else (type(theirs),)
            self.assertIsInstance(ours, allowed, where)
        else:
            self.assertIsInstance(ours, str | type(None), where)

    def assert_formats(self, order: dict[str, Any]) -> None:
        for key in ("created_date_time", "updated_date_time", "delivered_to_wms_date"):
            self.assertRegex(order[key], TIMESTAMP, key)
        self.assertRegex(order["order_date"], DAY)
        for key in ("sub_total", "order_discount", "sales_tax", "shipping_handling", "grand_total"):
            self.assertRegex(order[key], MONEY, key)
        for key in ("sending_canceled", "shipping_pickup_canceled", "on_hold"):
            self.assertIn(order[key], ("Y", "N"))
        item = order["items"][0]
        self.assertRegex(item["price"], UNIT_MONEY)
        self.assertRegex(item["extended_amount"], MONEY)
        self.assertRegex(item["quantity"], QUANTITY)
        self.assertEqual(item["Description"], None)
        self.assertNotIn("description", item)
        self.assertRegex(order["shipments"][0]["date"], TIMESTAMP)

    def test_create_answers_like_create_json(self) -> None:
        body = self.post(
            "/v1/cart/orders/cartrover", fixture("create_data.json") | {"cust_ref": "T9"}
        )
        self.assertEqual(set(body), set(fixture("create.json")))
        self.assert_shaped_like(body, fixture("create.json"))

    def test_batch_answers_like_batch_create_json(self) -> None:
        orders = fixture("batch_create_data.json")
        orders[0]["cust_ref"] = "TEST05"
        second = dict(orders[0], cust_ref="TEST02")  # the setUp's order: a duplicate
        third = dict(orders[0])
        del third["cust_ref"]
        body = self.post("/v1/cart/orders/batch", [orders[0], second, third])
        theirs = fixture("batch_create.json")
        self.assert_shaped_like(body, theirs)
        self.assertEqual(set(body["response"]["failed"][0]), set(theirs["response"]["failed"][0]))
        self.assertEqual(set(body["response"]["failed"][1]), set(theirs["response"]["failed"][1]))
        self.assertEqual(
            body["response"]["failed"][1]["message"], theirs["response"]["failed"][1]["message"]
        )

    def test_view_answers_like_retrieve_json(self) -> None:
        body = self.get("/v1/cart/orders/TEST02")
        self.assert_shaped_like(body, fixture("retrieve.json"))
        self.assert_formats(body["response"])
        self.assertEqual(body["response"]["delivered_to_wms_date"], "2026-11-20T12:00:05+00:00")

    def test_list_answers_like_list_json(self) -> None:
        body = self.get("/v1/cart/orders/list/shipped")
        self.assert_shaped_like(body, fixture("list.json"))
        order = body["response"][0]
        self.assert_formats(order)
        self.assertEqual(
            (order["total_qty"], order["num_shipped"], order["num_to_ship"]), ("3", "2", "1")
        )

    def test_status_answers_like_status_json(self) -> None:
        body = self.get("/v1/cart/orders/status/TEST02")
        self.assert_shaped_like(body, fixture("status.json"))
        self.assertEqual(body["response"]["shipments"][0]["items"][0]["quantity"], "2")

    def test_update_and_cancel_answer_like_their_fixtures(self) -> None:
        body = self.post(
            "/v1/cart/orders/update/TEST02",
            fixture("update_status_confirmed_data.json")
            | {"shipments": [{"tracking_no": "Test456"}]},
        )
        self.assertEqual(body, fixture("update_status_confirmed.json"))
        self.post("/v1/cart/orders/cartrover", fixture("create_data.json") | {"cust_ref": "T10"})
        cancel = self.get("/v1/cart/orders/wms_cancel/T10")
        self.assertEqual(set(cancel["response"]), set(fixture("cancel.json")["response"]))
        self.assertIs(cancel["response"]["success"], True)
