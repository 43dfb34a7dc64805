"""3PL Warehouse Manager in the whole loop, with a real worker: orders reach the emulator once
(after a 5xx that followed the create, after a worker killed mid-send), shipments come back
with their tracking and lines, stock per facility, and a webhook brings tracking to the cart
within seconds on Automatic."""

from __future__ import annotations

from accounts.models import Merchant
from carts.models import CartConnection
from inventory.jobs import INVENTORY
from inventory.models import InventoryLevel, Location
from jobs.dispatcher import dispatch_tick
from jobs.models import JobRun, ServiceSchedule
from orders.jobs import ORDER_DELIVERY
from orders.models import Order, Shipment
from tests.emulators.threepl import ThreePLEmulator
from tests.emulators.woocommerce import WooCommerceEmulator, line_item
from tests.objects import create_cart, create_order, create_woocommerce_cart
from tests.workers import WorkerTestCase, wait_for
from wms import services as wms_services
from wms.models import WmsShipMethod

UPS_GROUND = "UPS|03|Prepaid|UPSN"


class ThreePLLoopTestCase(WorkerTestCase):
    concurrency = 2

    def setUp(self) -> None:
        super().setUp()
        self.warehouse = ThreePLEmulator()
        self.warehouse.start()
        self.addCleanup(self.warehouse.stop)
        self.wms = wms_services.wms_save(
            account=self.alices_account,
            connector_key="threepl",
            label="Trailhead 3PL",
            settings=self.warehouse.connector_settings(),
            credentials=self.warehouse.connector_credentials(),
        )
        wms_services.merchant_wms_settings_save(
            merchant=self.bobs_merchant, data={"customer_id": "12", "facility_id": "1"}
        )
        self.bobs_merchant = Merchant.objects.get(id=self.bobs_merchant.id)

    def hub_orders(self, cart: CartConnection, count: int) -> list[Order]:
        return [
            create_order(cart, number=number, skus=("PUMP",), ship_code=UPS_GROUND)
            for number in range(1, count + 1)
        ]

    def at_wms(self, count: int) -> bool:
        return (
            Order.objects.filter(delivered_at__isnull=False).count() == count
            and not JobRun.objects.filter(status=JobRun.Status.RUNNING).exists()
        )

    def each_reference_once(self, orders: list[Order]) -> None:
        for order in orders:
            self.assertEqual(len(self.warehouse.orders_with(order.cust_ref)), 1, order.cust_ref)


class ThreePLDeliveryTests(ThreePLLoopTestCase):
    def test_a_5xx_after_the_create_does_not_send_an_order_twice(self) -> None:
        orders = self.hub_orders(create_cart(self.bobs_merchant, prefix="TP-"), 3)
        self.warehouse.error_after_create(500, times=1)
        self.run_now(ORDER_DELIVERY)
        wait_for(
            lambda: JobRun.objects.filter(status=JobRun.Status.FAILED).exists(),
            what="the run with an unclear answer",
        )
        self.run_now(ORDER_DELIVERY)  # the next run asks the WMS before sending again
        wait_for(lambda: self.at_wms(3), what="every order at the WMS")
        self.each_reference_once(orders)
        self.assertEqual(len(self.warehouse.orders), 3)
        found = Order.objects.get(cust_ref=orders[0].cust_ref)
        self.assertEqual(found.wms_reference, str(self.warehouse.orders_with(found.cust_ref)[0].id))

    def test_a_worker_killed_mid_send_does_not_send_an_order_twice(self) -> None:
        orders = self.hub_orders(create_cart(self.bobs_merchant, prefix="TK-"), 2)
        # The WMS takes the first order, then keeps the answer back past the worker's death.
        self.warehouse.timeout_after_create(seconds=60)
        self.run_now(ORDER_DELIVERY)
        wait_for(lambda: len(self.warehouse.orders) >= 1, what="the WMS to take an order")
        self.kill_worker()
        self.worker = self.start_worker()
        dispatch_tick()  # the next tick takes the dead run's claim over
        wait_for(lambda: self.at_wms(2), what="every order at the WMS")
        self.each_reference_once(orders)
        runs = list(JobRun.objects.filter(service=ORDER_DELIVERY).order_by("id"))
        self.assertEqual(runs[0].status, JobRun.Status.FAILED)
        self.assertIn("stopped before the run finished", runs[0].message)


class ThreePLReturnTests(ThreePLLoopTestCase):
    def test_a_webhook_brings_partial_tracking_to_the_cart_within_seconds(self) -> None:
        store = WooCommerceEmulator()
        store.start()
        self.addCleanup(store.stop)
        cart = create_woocommerce_cart(self.bobs_merchant, store, prefix="WC-")
        source = store.add_order(
            line_items=[line_item("PUMP", 2, "19.00"), line_item("HELMET-M", 1, "49.00")]
        )
        order = create_order(
            cart, number=source["id"], skus=("PUMP", "HELMET-M"), ship_code=UPS_GROUND
        )
        self.run_now(ORDER_DELIVERY)
        wait_for(lambda: self.at_wms(1), what="the order at the WMS")
        wms_order = self.warehouse.orders_with(order.cust_ref)[0]
        # The warehouse ships the pump only, in one package, and tells the hub.
        self.warehouse.ship(
            wms_order.id,
            [{"tracking_number": "1Z999AA10123456784", "contents": {"PUMP": 1}}],
            carrier="UPS",
        )
        headers, body = self.warehouse.signed_webhook("OrderConfirm", wms_order.id)
        response = self.client.post(
            f"/webhooks/wms/{self.wms.webhook_token}/",
            data=body,
            content_type="application/json",
            headers={"Signature": headers["Signature"]},
        )
        self.assertEqual(response.status_code, 200)
        wait_for(
            lambda: any(
                item["tracking_number"] == "1Z999AA10123456784"
                for item in store.trackings(source["id"])
            ),
            what="the tracking to reach the cart",
        )
        order.refresh_from_db()
        self.assertTrue(order.partially_shipped)
        shipment = Shipment.objects.get(order=order)
        self.assertEqual(
            (shipment.carrier, shipment.tracking_number), ("UPS", "1Z999AA10123456784")
        )
        self.assertEqual(
            [(line.sku, int(line.quantity)) for line in shipment.lines.all()], [("PUMP", 1)]
        )

    def test_stock_arrives_per_facility_and_ship_methods_load(self) -> None:
        create_cart(self.bobs_merchant, prefix="IN-")
        self.run_now(INVENTORY)
        # The run is finished a moment before its schedule records it as the last run.
        wait_for(
            lambda: (
                InventoryLevel.objects.filter(merchant=self.bobs_merchant).exists()
                and not JobRun.objects.filter(status=JobRun.Status.RUNNING).exists()
                and ServiceSchedule.objects.filter(
                    service=INVENTORY, running_since=None, last_run__isnull=False
                ).exists()
            ),
            what="the stock, and the run recorded on its schedule",
        )
        pump = InventoryLevel.objects.get(merchant=self.bobs_merchant, sku="PUMP")
        self.assertEqual(pump.location.wms_location_id, "1")
        self.assertEqual(int(pump.on_hand), 7)  # customer 12's pump, not customer 14's
        self.assertEqual(
            set(
                Location.objects.filter(merchant=self.bobs_merchant).values_list(
                    "wms_location_id", flat=True
                )
            ),
            {"", "1"},  # the default location every merchant has, and facility 1
        )
        self.assertTrue(
            ServiceSchedule.objects.filter(service=INVENTORY, last_run__status="success").exists()
        )
        self.assertGreater(wms_services.wms_ship_methods_refresh(wms=self.wms), 0)
        self.assertTrue(WmsShipMethod.objects.filter(code__startswith="UPS|").exists())
