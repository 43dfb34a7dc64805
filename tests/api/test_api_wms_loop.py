"""The API-access WMS with a real worker: orders wait in the hub until the warehouse's system
lists them, marks them received and posts shipments; the shipments then reach the cart."""

from __future__ import annotations

from api.keys import api_credential_issue
from api.models import ApiLevel
from jobs.models import JobRun
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD
from orders.models import Order, OrderStatus, Shipment
from orders.services.delivery import orders_deliver
from tests.api.merchant_base import MerchantApiMixin
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, recorder
from tests.workers import WorkerTestCase, wait_for
from wms import services as wms_services
from wms.connectors.api_access import API_ACCESS_KEY
from wms.connectors.base import ORDERS_PULLED
from wms.connectors.registry import WMS_CONNECTORS, wms_connector_for


def create_api_access_wms(account):  # type: ignore[no-untyped-def]
    return wms_services.wms_save(
        account=account,
        connector_key=API_ACCESS_KEY,
        label="Warehouse system",
        settings={},
        credentials={},
    )


class ApiAccessWmsTests(BaseTestCase):
    def test_delivery_sends_nothing_and_marks_the_checked_orders_ready(self) -> None:
        create_api_access_wms(self.alices_account)
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        order = create_order(cart, number=1001)
        no_address = create_order(cart, number=1002, ship_to={"name": "Maria Garcia"})
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        orders_deliver(merchant=self.bobs_merchant, run=run)
        self.assertEqual(
            run.message,
            "1 order(s) ready for the warehouse's system to take through the API; 1 held.",
        )
        order.refresh_from_db()
        no_address.refresh_from_db()
        self.assertEqual((order.status, order.delivery_started_at), (OrderStatus.NEW, None))
        self.assertIsNotNone(order.ready_at)
        self.assertEqual((no_address.status, no_address.ready_at), (OrderStatus.ERROR, None))
        self.assertEqual((run.ok, run.failed), (1, 1))

    def test_it_is_offered_with_nothing_to_fill_in(self) -> None:
        connector = WMS_CONNECTORS.get(API_ACCESS_KEY)
        self.assertEqual(connector.label, "API access (a system pulls orders through the API)")
        self.assertEqual(connector.capabilities, frozenset({ORDERS_PULLED}))
        self.assertEqual(list(connector.form().fields), [])
        wms = create_api_access_wms(self.alices_account)
        self.assertIn("merchant or warehouse API key", wms_connector_for(wms).test_connection())


class ApiAccessLoopTests(MerchantApiMixin, WorkerTestCase):
    concurrency = 2

    def test_the_warehouse_pulls_receives_and_ships_through_the_api(self) -> None:
        create_api_access_wms(self.alices_account)
        cart = create_cart(
            self.bobs_merchant,
            prefix="AP-",
            settings={"orders_per_minute": 5, "bad_order_percent": 0, "cancel_percent": 0},
        )
        self.warehouse_key = api_credential_issue(
            account=self.alices_account, level=ApiLevel.WAREHOUSE, name="Warehouse system"
        )
        self.run_now(ORDER_DOWNLOAD, cart=cart)
        wait_for(lambda: Order.objects.filter(cart=cart).exists(), what="the download")
        wait_for(
            lambda: JobRun.objects.filter(
                service=ORDER_DELIVERY, status=JobRun.Status.SUCCESS
            ).exists(),
            what="the Automatic delivery run",
        )
        delivery = JobRun.objects.get(service=ORDER_DELIVERY)
        self.assertIn("ready for the warehouse's system", delivery.message)
        count = Order.objects.filter(cart=cart).count()
        self.assertEqual(Order.objects.filter(cart=cart, status=OrderStatus.NEW).count(), count)

        def call(method: str, path: str, body=None, **query: str):  # type: ignore[no-untyped-def]
            return self.call(
                method,
                path,
                self.warehouse_key,
                body=body,
                merchant_pk=self.bobs_merchant.id,
                **query,
            )

        listed = call("GET", "/v1/merchant/orders/list/new", limit="100")["response"]
        refs = [order["cust_ref"] for order in listed]
        self.assertEqual(len(refs), count)
        received = call("POST", "/v1/merchant/orders/received", {"cust_refs": refs})
        self.assertEqual(sorted(received["response"]["received"]), sorted(refs))
        self.assertEqual(call("GET", "/v1/merchant/orders/list/new")["response"], [])

        for order in listed:
            items = [
                {"item": item["item"], "quantity": item["quantity"]} for item in order["items"]
            ]
            shipment = {
                "carrier": "UPS",
                "method": "Ground",
                "tracking_no": f"1Z{order['cust_ref']}",
                "items": items,
            }
            path = f"/v1/merchant/orders/shipments/{order['cust_ref']}"
            answer = call("POST", path, {"shipments": [shipment]})
            self.assertEqual(answer["response"]["partially_shipped"], "N", answer)

        wait_for(
            lambda: Order.objects.filter(cart=cart, status=OrderStatus.CONFIRMED).count() == count,
            what="the shipments to reach the cart",
        )
        self.assertEqual(Shipment.objects.filter(cart=cart).count(), count)
        status = call("GET", f"/v1/merchant/orders/status/{refs[0]}")["response"]
        self.assertEqual(status["order_status"], "confirmed")
        self.assertFalse(JobRun.objects.filter(status=JobRun.Status.FAILED).exists())
