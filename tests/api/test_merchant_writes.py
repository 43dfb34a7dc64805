"""What a warehouse's system writes: orders received, shipments, stock, ship-method mappings."""

from __future__ import annotations

from decimal import Decimal

from inventory.models import InventoryLevel
from jobs.models import JobRun
from orders.jobs import SHIP_CONFIRM
from orders.models import HoldReason, OrderEvent, OrderStatus, Shipment
from tests.api.merchant_base import MerchantApiMixin
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order
from wms.models import ShipMethodMap, WmsShipMethod

RECEIVED = "/v1/merchant/orders/received"


class OrdersReceivedTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()

    def test_it_moves_new_orders_to_at_wms_once(self) -> None:
        order = create_order(self.cart, number=1001)
        body = self.call("POST", RECEIVED, body={"cust_refs": [order.cust_ref]})
        self.assertEqual(
            body, {"success_code": True, "response": {"received": ["BB-1001"], "failed": []}}
        )
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        self.assertIsNotNone(order.delivered_at)
        event = OrderEvent.objects.get(order=order)
        self.assertEqual((event.from_status, event.to_status), ("new", "at_wms"))

        again = self.call("POST", RECEIVED, body={"cust_refs": [order.cust_ref]})
        self.assertEqual(again["response"]["received"], [])
        self.assertIn("at_wms, not new", again["response"]["failed"][0]["message"])
        self.assertEqual(OrderEvent.objects.filter(order=order).count(), 1)

    def test_it_answers_each_reference(self) -> None:
        new = create_order(self.cart, number=1001)
        shipped = create_order(self.cart, number=1002, status=OrderStatus.SHIPPED)
        canceled = create_order(self.cart, number=1003, sending_canceled=True)
        body = self.call(
            "POST", RECEIVED, body={"cust_refs": ["BB-1001", "BB-1002", "BB-1003", "NOPE"]}
        )
        self.assertEqual(body["response"]["received"], [new.cust_ref])
        failed = {row["cust_ref"]: row["message"] for row in body["response"]["failed"]}
        self.assertIn("shipped, not new", failed[shipped.cust_ref])
        self.assertIn("canceled", failed[canceled.cust_ref])
        self.assertIn("No order NOPE", failed["NOPE"])
        canceled.refresh_from_db()
        self.assertEqual(canceled.status, OrderStatus.NEW)

    def test_it_never_touches_another_merchants_orders(self) -> None:
        others = create_order(create_cart(self.other_merchant, prefix="OO-"), number=1001)
        body = self.call("POST", RECEIVED, body={"cust_refs": [others.cust_ref]})
        self.assertIn("No order OO-1001", body["response"]["failed"][0]["message"])
        # a warehouse key acting for bob's merchant does not reach it either
        body = self.call(
            "POST",
            RECEIVED,
            self.warehouse_key,
            body={"cust_refs": [others.cust_ref]},
            merchant_pk=self.bobs_merchant.id,
        )
        self.assertEqual(body["response"]["received"], [])
        others.refresh_from_db()
        self.assertEqual(others.status, OrderStatus.NEW)

    def test_a_warehouse_key_cannot_act_for_another_accounts_merchant(self) -> None:
        order = create_order(self.cart, number=1001)
        body = self.call(
            "POST",
            RECEIVED,
            self.charlies_key,
            body={"cust_refs": [order.cust_ref]},
            merchant_pk=self.bobs_merchant.id,
        )
        self.assert_invalid(body, containing="not a merchant of this account")
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.NEW)

    def test_it_refuses_bad_bodies(self) -> None:
        self.assert_invalid(self.call("POST", RECEIVED, body={"refs": []}), containing="cust_refs")
        self.assert_invalid(
            self.call("POST", RECEIVED, body={"cust_refs": [{"a": 1}]}),
            containing="cust_refs[0] must be a string",
        )
        self.assert_invalid(
            self.call("POST", RECEIVED, body={"cust_refs": ["x"] * 101}), containing="at most 100"
        )
        self.assert_invalid(self.call("GET", RECEIVED), containing="takes POST")


class ShipmentsPostTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        self.order = create_order(
            self.cart, number=1001, status=OrderStatus.AT_WMS, skus=("TENT", "LAMP")
        )
        self.path = f"/v1/merchant/orders/shipments/{self.order.cust_ref}"

    def shipment(self, tracking: str = "1Z1", items=(("TENT", 1),)) -> dict:  # type: ignore[no-untyped-def]
        return {
            "carrier": "UPS",
            "method": "Ground",
            "tracking_no": tracking,
            "date": "2026-11-21T09:00:00+00:00",
            "items": [{"item": sku, "quantity": quantity} for sku, quantity in items],
        }

    def test_it_stores_a_partial_then_the_rest(self) -> None:
        body = self.call("POST", self.path, body={"shipments": [self.shipment()]})
        self.assertEqual(
            body["response"],
            {
                "cust_ref": "BB-1001",
                "order_status": "shipped",
                "partially_shipped": "Y",
                "shipments_stored": "1",
            },
        )
        shipment = Shipment.objects.get(order=self.order)
        self.assertEqual((shipment.carrier, shipment.tracking_number), ("UPS", "1Z1"))
        self.assertEqual(shipment.lines.get().quantity, Decimal(1))
        run = JobRun.objects.get(merchant=self.bobs_merchant, service=SHIP_CONFIRM)
        self.assertEqual((run.trigger, run.status), ("webhook", "success"))

        # the same shipment again (a retried call) is stored once
        again = self.call("POST", self.path, body={"shipments": [self.shipment()]})
        self.assertEqual(again["response"]["shipments_stored"], "0")
        rest = self.call(
            "POST", self.path, body={"shipments": [self.shipment("1Z2", (("LAMP", 1),))]}
        )
        self.assertEqual(rest["response"]["partially_shipped"], "N")
        self.assertEqual(Shipment.objects.filter(order=self.order).count(), 2)

    def test_it_is_a_refusal_for_another_merchants_order(self) -> None:
        body = self.call("POST", self.path, self.other_key, body={"shipments": [self.shipment()]})
        self.assert_invalid(body, containing="No order BB-1001")
        body = self.call(
            "POST",
            self.path,
            self.warehouse_key,
            body={"shipments": [self.shipment()]},
            merchant_pk=self.other_merchant.id,
        )
        self.assert_invalid(body, containing="No order BB-1001")
        self.assertFalse(Shipment.objects.exists())

    def test_it_names_the_bad_field(self) -> None:
        cases = [
            ({"shipments": []}, '{"shipments"'),
            (
                {"shipments": [{**self.shipment(), "tracking_no": ""}]},
                "tracking_no or a shipment_id",
            ),
            ({"shipments": [{**self.shipment(), "items": []}]}, "shipments[0].items"),
            (
                {"shipments": [{**self.shipment(), "items": [{"item": "TENT", "quantity": "x"}]}]},
                "shipments[0].items[0].quantity must be a number",
            ),
            (
                {"shipments": [{**self.shipment(), "date": "2026-11-21T09:00:00"}]},
                "needs a time zone",
            ),
            ({"shipments": [{**self.shipment(), "date": "2026-13-45"}]}, "must be a date"),
        ]
        for body, message in cases:
            self.assert_invalid(self.call("POST", self.path, body=body), containing=message)
        self.assertFalse(Shipment.objects.exists())

    def test_a_canceled_order_cannot_ship(self) -> None:
        self.order.status = OrderStatus.CANCELED
        self.order.save()
        body = self.call("POST", self.path, body={"shipments": [self.shipment()]})
        self.assert_invalid(body, containing="canceled")


class InventoryPostTests(MerchantApiMixin, BaseTestCase):
    path = "/v1/merchant/inventory"

    def setUp(self) -> None:
        super().setUp()
        self.create_keys()

    def test_it_stores_levels_by_warehouse(self) -> None:
        body = self.call(
            "POST",
            self.path,
            body={
                "warehouses": {
                    "EAST": [{"sku": "TENT", "qty_available": "10", "qty_on_hand": 15}],
                    "WEST": [{"sku": "TENT", "qty_available": 5}],
                }
            },
        )
        self.assertEqual(body["response"]["levels_read"], "2")
        self.assertEqual(sorted(body["response"]["new_warehouses"]), ["EAST", "WEST"])
        levels = {
            level.location.wms_location_id: (level.available, level.on_hand)
            for level in InventoryLevel.objects.filter(merchant=self.bobs_merchant)
        }
        self.assertEqual(levels, {"EAST": (10, 15), "WEST": (5, 5)})

    def test_it_stores_a_list_and_reads_it_back(self) -> None:
        self.call(
            "POST",
            self.path,
            body=[{"sku": "LAMP", "warehouse": "EAST", "qty_available": 3, "qty_on_hand": 4}],
        )
        item = self.call("GET", f"{self.path}/LAMP")["response"]
        self.assertEqual((item["qty_available"], item["qty_on_hand"]), ("3", "4"))

    def test_it_stores_for_the_merchant_of_the_key_only(self) -> None:
        self.call(
            "POST",
            self.path,
            self.warehouse_key,
            body=[{"sku": "LAMP", "warehouse": "EAST", "qty_available": 3}],
            merchant_pk=self.other_merchant.id,
        )
        self.assertEqual(
            list(InventoryLevel.objects.values_list("merchant_id", flat=True)),
            [self.other_merchant.id],
        )
        body = self.call(
            "POST",
            self.path,
            self.charlies_key,
            body=[{"sku": "LAMP", "qty_available": 3}],
            merchant_pk=self.bobs_merchant.id,
        )
        self.assert_invalid(body, containing="not a merchant of this account")

    def test_it_names_the_bad_level(self) -> None:
        cases = [
            ({"levels": []}, '{"warehouses"'),
            ([{"sku": "A", "qty_available": -1}], "[0].qty_available must be zero or more"),
            ([{"sku": "A", "qty_available": 1.5}], "[0].qty_available must be a whole number"),
            ({"warehouses": {"EAST": [{"qty_available": 1}]}}, "warehouses.EAST[0].sku is missing"),
        ]
        for body, message in cases:
            self.assert_invalid(self.call("POST", self.path, body=body), containing=message)
        self.assertFalse(InventoryLevel.objects.exists())

    def test_a_cart_key_reads_stock_but_does_not_write_it(self) -> None:
        from api.keys import api_credential_issue
        from api.models import ApiLevel

        cart_key = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.CART,
            name="cart",
            merchant=self.bobs_merchant,
            cart=self.cart,
        )
        body = self.call("POST", self.path, cart_key, body=[{"sku": "A", "qty_available": 1}])
        self.assert_invalid(body, containing="cannot call")
        self.assertTrue(self.call("GET", self.path, cart_key)["success_code"])


class ShipMethodPostTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        WmsShipMethod.objects.create(account=self.alices_account, code="20", carrier="UPS")
        self.path = f"/v1/cart/shipmethod/{self.cart.order_source}"

    def test_it_maps_and_releases_held_orders(self) -> None:
        held = create_order(
            self.cart,
            number=1001,
            status=OrderStatus.ERROR,
            ship_code="Express",
            error_code=HoldReason.UNMAPPED_SHIP_METHOD,
        )
        body = self.call(
            "POST",
            self.path,
            body=[
                {"cart_code": "Express", "wms_code": "20"},
                {"cart_code": "Std", "wms_code": None},
            ],
        )
        self.assertEqual(body["response"], {"saved": "2", "orders_released": "1"})
        maps = {
            entry.cart_code: (entry.wms_code, entry.passthrough)
            for entry in ShipMethodMap.objects.filter(cart=self.cart)
        }
        self.assertEqual(maps, {"Express": ("20", False), "Std": ("", True)})
        held.refresh_from_db()
        self.assertEqual(held.status, OrderStatus.NEW)
        listed = self.call("GET", f"/v1/cart/shipmethod/list/{self.cart.order_source}")
        self.assertEqual(
            [(row["cart_code"], row["wms_code"]) for row in listed["response"]],
            [("Express", "20"), ("Std", None)],
        )

    def test_it_refuses_an_unknown_wms_code_and_saves_nothing(self) -> None:
        body = self.call(
            "POST",
            self.path,
            body=[{"cart_code": "Express", "wms_code": "20"}, {"cart_code": "X", "wms_code": "99"}],
        )
        self.assert_invalid(body, containing="[1].wms_code 99 is not a WMS ship method")
        self.assertFalse(ShipMethodMap.objects.exists())

    def test_another_merchants_cart_is_unknown(self) -> None:
        body = self.call(
            "POST", self.path, self.other_key, body=[{"cart_code": "A", "wms_code": None}]
        )
        self.assert_invalid(body, containing="No cart with order source")
        body = self.call(
            "POST",
            self.path,
            self.charlies_key,
            body=[{"cart_code": "A", "wms_code": None}],
            merchant_pk=self.charlies_merchant.id,
        )
        self.assert_invalid(body, containing="No cart with order source")
        self.assertFalse(ShipMethodMap.objects.exists())
