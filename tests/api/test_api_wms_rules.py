"""The rules on an API-access WMS: the warehouse's system lists an order only once the hub has
checked it and applied the aliases, kits and ship-method mapping, and sees the lines as the
WMS is to ship them."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from alerts.models import Alert, AlertKind
from integration_manager.records import OrderPage
from inventory.models import ProductAlias
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD
from orders.models import HoldReason, Order, OrderLine, OrderStatus
from orders.services.delivery import orders_deliver
from orders.services.download import order_page_store
from tests.api.merchant_base import MerchantApiMixin
from tests.api.test_api_wms_loop import create_api_access_wms
from tests.base import BaseTestCase
from tests.objects import create_kit, create_order, create_wms, order_record, recorder
from wms.models import WmsConnection, WmsShipMethod
from wms.services import ship_method_map_save

NEW = "/v1/merchant/orders/list/new"
RECEIVED = "/v1/merchant/orders/received"


class PulledOrderRulesTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_api_access_wms(self.alices_account)
        self.create_keys()
        create_kit(self.bobs_merchant, "COOK-KIT", {"STOVE-CAN-1": 1, "POT-TI-750": 2})
        ProductAlias.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            alias="mug-white",
            sku="MUG-ENM-WHT",
        )
        self.cart.translate_item_codes = True
        self.cart.save(update_fields=["translate_item_codes"])
        WmsShipMethod.objects.create(account=self.alices_account, code="FDX-GRD")

    def deliver(self):  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        orders_deliver(merchant=self.bobs_merchant, run=run)
        return run

    def listed(self, status: str = "new", **query: str) -> dict[str, list[tuple[str, ...]]]:
        """The listed orders: each one's items as (item, quantity, alt_sku)."""
        body = self.call("GET", f"/v1/merchant/orders/list/{status}", **query)
        assert body["success_code"] is True, body
        return {
            order["cust_ref"]: [
                (item["item"], item["quantity"], item["alt_sku"]) for item in order["items"]
            ]
            for order in body["response"]
        }

    def test_the_warehouse_sees_components_wms_skus_and_the_mapped_ship_method(self) -> None:
        ship_method_map_save(
            cart=self.cart, cart_code="standard", wms_code="FDX-GRD", passthrough=False
        )
        order = create_order(self.cart, number=1, skus=("COOK-KIT", "mug-white"))
        OrderLine.objects.filter(order=order, sku="COOK-KIT").update(quantity=Decimal(3))

        # Not checked yet: not listed, and not to be taken.
        self.assertEqual(self.listed(), {})
        refused = self.call("POST", RECEIVED, body={"cust_refs": ["BB-1"]})["response"]
        self.assertEqual(refused["received"], [])
        self.assertIn("still checking this order", refused["failed"][0]["message"])

        run = self.deliver()
        self.assertIn("1 order(s) ready for the warehouse's system", run.message)
        self.assertEqual(
            self.listed(include_aliases="Y"),
            {
                "BB-1": [
                    ("POT-TI-750", "6", None),
                    ("STOVE-CAN-1", "3", None),
                    ("MUG-ENM-WHT", "1", "mug-white"),
                ]
            },
        )
        seen = self.call(
            "GET",
            "/v1/merchant/orders/BB-1",
            key=self.warehouse_key,
            merchant_pk=self.bobs_merchant.pk,
        )["response"]
        self.assertEqual(
            (seen["ship_code"], seen["working_ship_code"], seen["total_qty"]),
            ("standard", "FDX-GRD", "10"),
        )
        self.client.force_login(self.alice)
        page = self.client.get(reverse("order_detail", args=[order.id]))
        self.assertContains(page, "the warehouse's system takes it through the API")
        # The cart still sees what it sent.
        lines = order.lines.filter(kit_parent=None).order_by("line_number")
        self.assertEqual([line.sku for line in lines], ["COOK-KIT", "mug-white"])

        taken = self.call("POST", RECEIVED, body={"cust_refs": ["BB-1"]})["response"]
        self.assertEqual(taken, {"received": ["BB-1"], "failed": []})
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        # A second run finds nothing left to check.
        self.assertIn("0 order(s) ready", self.deliver().message)

        # The warehouse ships what it saw; the cart's lines are shipped: the kit and the mug.
        shipped = self.call(
            "POST",
            "/v1/merchant/orders/shipments/BB-1",
            body={
                "shipments": [
                    {
                        "tracking_no": "1Z999AA10000000077",
                        "carrier": "FEDEX",
                        "method": "FDX-GRD",
                        "items": [
                            {"item": "POT-TI-750", "quantity": 6},
                            {"item": "STOVE-CAN-1", "quantity": 3},
                            {"item": "MUG-ENM-WHT", "quantity": 1},
                        ],
                    }
                ]
            },
        )["response"]
        self.assertEqual((shipped["order_status"], shipped["partially_shipped"]), ("shipped", "N"))
        self.assertEqual(
            {line.sku: line.quantity_shipped for line in order.lines.filter(kit_parent=None)},
            {"COOK-KIT": 3, "mug-white": 1},
        )

    def test_an_unmapped_ship_method_holds_the_order_until_it_is_mapped(self) -> None:
        self.cart.reject_unmapped_ship_methods = True
        self.cart.save(update_fields=["reject_unmapped_ship_methods"])
        order = create_order(self.cart, number=2, ship_code="overnight")

        run = self.deliver()
        order.refresh_from_db()
        self.assertEqual(
            (order.status, order.error_code, order.ready_at),
            (OrderStatus.ERROR, HoldReason.UNMAPPED_SHIP_METHOD, None),
        )
        self.assertIn("0 order(s) ready", run.message)
        self.assertTrue(
            Alert.objects.filter(
                account=self.alices_account, kind=AlertKind.UNMAPPED_SHIP_METHOD, resolved_at=None
            ).exists()
        )
        self.assertEqual(self.listed(), {})
        self.assertEqual(list(self.listed("error")), ["BB-2"])

        mapped = self.call(
            "POST",
            f"/v1/cart/shipmethod/{self.cart.order_source}",
            body=[{"cart_code": "overnight", "wms_code": "FDX-GRD"}],
        )
        self.assertTrue(mapped["success_code"], mapped)
        order.refresh_from_db()
        self.assertEqual((order.status, order.ready_at), (OrderStatus.NEW, None))
        self.assertEqual(self.listed(), {})  # released, but not checked again yet

        self.deliver()
        body = self.call("GET", NEW)["response"]
        self.assertEqual(
            [(entry["cust_ref"], entry["working_ship_code"]) for entry in body],
            [("BB-2", "FDX-GRD")],
        )

    def test_a_newer_copy_from_the_cart_is_checked_again_before_it_is_listed(self) -> None:
        def download(record) -> None:  # type: ignore[no-untyped-def]
            run = recorder(merchant=self.bobs_merchant, service=ORDER_DOWNLOAD, cart=self.cart)
            order_page_store(cart=self.cart, page=OrderPage(orders=[record]), run=run)

        download(order_record(3, skus=("mug-white",)))
        self.deliver()
        self.assertEqual(self.listed(), {"BB-3": [("MUG-ENM-WHT", "2", None)]})

        # The customer swaps the mug for the kit before the warehouse took the order.
        download(order_record(3, minutes=5, skus=("COOK-KIT",)))
        order = Order.objects.get(cart=self.cart, source_order_id="3")
        self.assertIsNone(order.ready_at)
        self.assertEqual(self.listed(), {})
        refused = self.call("POST", RECEIVED, body={"cust_refs": ["BB-3"]})["response"]
        self.assertEqual(refused["received"], [])

        self.deliver()
        self.assertEqual(
            self.listed(), {"BB-3": [("POT-TI-750", "4", None), ("STOVE-CAN-1", "2", None)]}
        )

    def test_a_warehouse_that_is_sent_orders_lists_every_new_order(self) -> None:
        # The filter belongs to the pulling warehouse only: with the sandbox WMS, a merchant
        # key lists new orders whether or not a delivery run has seen them.
        WmsConnection.objects.filter(account=self.alices_account).delete()
        create_wms(self.alices_account)
        create_order(self.cart, number=4, skus=("COOK-KIT",))
        self.assertEqual(self.listed(), {"BB-4": [("COOK-KIT", "1", None)]})
