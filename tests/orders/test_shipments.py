"""Ship confirm and shipment upload: each shipment stored once, uploaded once, orders confirmed."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Alert
from carts.connectors.base import UPLOAD_SHIPMENT
from integration_manager.connector_errors import AuthError, RecordError, TransientError
from jobs.models import ServiceSchedule
from orders.jobs import SHIP_CONFIRM, SHIPMENT_UPLOAD
from orders.models import Order, OrderStatus, Shipment
from orders.services import actions
from orders.services.delivery import orders_deliver
from orders.services.ship_confirm import shipments_fetch
from orders.services.shipment_upload import shipments_upload
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_shipment, create_wms, recorder


class ShipConfirmTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=SHIP_CONFIRM
        )

    def deliver(self) -> None:
        orders_deliver(
            merchant=self.bobs_merchant,
            run=recorder(merchant=self.bobs_merchant, service="order_delivery"),
        )

    def confirm(self):  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.bobs_merchant, service=SHIP_CONFIRM)
        shipments_fetch(schedule=ServiceSchedule.objects.get(id=self.schedule.id), run=run)
        return run

    def test_shipments_are_stored_once_and_move_orders_to_shipped(self) -> None:
        order = create_order(self.cart, skus=("TENT-2P-GRN", "MUG-ENM-WHT"))
        self.deliver()
        self.confirm()
        self.confirm()  # the overlap reads it again: stored once
        shipment = Shipment.objects.get()
        self.assertEqual(shipment.order, order)
        self.assertEqual(shipment.carrier, "UPS")
        self.assertTrue(shipment.tracking_number.startswith("1Z"))
        order.refresh_from_db()
        self.assertEqual((order.status, order.partially_shipped), (OrderStatus.SHIPPED, False))
        self.assertEqual(
            [line.quantity_shipped for line in order.lines.all()], [Decimal(1), Decimal(1)]
        )
        self.assertTrue(ServiceSchedule.objects.get(id=self.schedule.id).cursor)

    def test_an_idle_poll_drops_what_is_stored_before_building_anything(self) -> None:
        for number in (1, 2, 3):
            create_order(self.cart, number=number)
        self.deliver()
        self.assertEqual(self.confirm().ok, 3)
        with CaptureQueriesContext(connection) as queries:
            run = self.confirm()  # the overlap window reads the same three again
        self.assertEqual((run.ok, run.skipped), (0, 3))
        tables = ('"orders_shipment"', '"orders_shipmentline"', '"wms_carriermap"')
        hub_writes = [
            query["sql"]
            for query in queries.captured_queries
            if query["sql"].startswith(("INSERT", "UPDATE"))
            and any(table in query["sql"] for table in tables)
        ]
        self.assertEqual(hub_writes, [])
        self.assertEqual(Shipment.objects.count(), 3)

    def test_a_delivery_recorded_while_its_shipment_is_stored_still_ships(self) -> None:
        # Found by the loop benchmark: ship confirm read the order as new, the delivery run
        # then recorded it at_wms, and the move to shipped (filtered on "new") missed it,
        # leaving it at_wms with its shipment stored, never to move again.
        from orders.services.ship_confirm import _move_to_shipped

        order = create_order(self.cart, number=7)
        read_by_ship_confirm = Order.objects.get(id=order.id)  # status new, in memory
        Order.objects.filter(id=order.id).update(status=OrderStatus.AT_WMS)  # the delivery
        create_shipment(order)
        run = recorder(merchant=self.bobs_merchant, service=SHIP_CONFIRM)
        _move_to_shipped([read_by_ship_confirm], run=run, now=timezone.now())
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.SHIPPED)
        self.assertEqual(order.events.last().from_status, OrderStatus.AT_WMS)

    def test_a_partial_shipment_is_flagged(self) -> None:
        order = create_order(self.cart, skus=("TENT-2P-GRN", "MUG-ENM-WHT"))
        self.deliver()
        from integration_manager.records import ShipmentLineRecord, ShipmentPage, ShipmentRecord
        from orders.services.ship_confirm import shipment_page_store

        page = ShipmentPage(
            shipments=[
                ShipmentRecord(
                    cust_ref=order.cust_ref,
                    wms_shipment_ref="P-1",
                    shipped_at=timezone.now(),
                    carrier="FedEx",
                    tracking_number="7777",
                    lines=(ShipmentLineRecord(sku="TENT-2P-GRN", quantity=Decimal(1)),),
                )
            ],
            cursor="c",
        )
        run = recorder(merchant=self.bobs_merchant, service=SHIP_CONFIRM)
        shipment_page_store(schedule=self.schedule, merchant=self.bobs_merchant, page=page, run=run)
        order.refresh_from_db()
        self.assertEqual((order.status, order.partially_shipped), (OrderStatus.SHIPPED, True))

    def test_a_shipment_for_an_unknown_order_is_skipped(self) -> None:
        from wms.models import SandboxWmsOrder

        SandboxWmsOrder.objects.create(
            account=self.alices_account,
            merchant_key=f"merchant-{self.bobs_merchant.id}",
            cust_ref="NOT-OURS-1",
            reference="SBX-9",
            ship_after=timezone.now(),
            payload={"lines": [["TENT-2P-GRN", "1"]]},
        )
        run = self.confirm()
        self.assertEqual(run.skipped, 1)
        self.assertIn("which the hub did not send", run.text())
        self.assertFalse(Shipment.objects.exists())

    def test_new_shipments_make_the_carts_upload_due(self) -> None:
        create_order(self.cart)
        self.deliver()
        upload = ServiceSchedule.objects.get(cart=self.cart, service=SHIPMENT_UPLOAD)
        self.assertGreater(upload.next_run_at, timezone.now())
        self.confirm()
        upload.refresh_from_db()
        self.assertLessEqual(upload.next_run_at, timezone.now())


class FlakyCart:
    """Stands in for a cart connector: refuses, times out or accepts, as told."""

    def __init__(self, outcome: Exception | None = None, existing: str | None = None) -> None:
        self.outcome = outcome
        self.existing = existing
        self.uploads = 0
        self.first_attempts: list[bool] = []

    def supports(self, capability: str) -> bool:
        return capability == UPLOAD_SHIPMENT

    def find_shipment(self, order, shipment):  # type: ignore[no-untyped-def]
        return self.existing

    def upload_shipment(self, order, shipment, *, first_attempt=False):  # type: ignore[no-untyped-def]
        self.uploads += 1
        self.first_attempts.append(first_attempt)
        if self.outcome is not None:
            raise self.outcome
        return "F-1"


class ShipmentUploadTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.order = create_order(self.cart, status=OrderStatus.SHIPPED)
        self.shipment = Shipment.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            cart=self.cart,
            order=self.order,
            wms_shipment_ref="S-1",
            carrier="UPS",
            tracking_number="1Z1",
            shipped_at=timezone.now(),
        )

    def upload(self, connector=None):  # type: ignore[no-untyped-def]
        from unittest import mock

        run = recorder(merchant=self.bobs_merchant, service=SHIPMENT_UPLOAD, cart=self.cart)
        if connector is None:
            shipments_upload(cart=self.cart, run=run)
        else:
            # Only the connector is replaced; the service and the database are the real ones.
            with mock.patch(
                "orders.services.shipment_upload.cart_connector_for", return_value=connector
            ):
                shipments_upload(cart=self.cart, run=run)
        return run

    def test_it_uploads_to_the_sandbox_cart_and_confirms_the_order(self) -> None:
        self.upload()
        self.shipment.refresh_from_db()
        self.order.refresh_from_db()
        self.assertIsNotNone(self.shipment.uploaded_at)
        self.assertTrue(self.shipment.upload_reference.startswith("SBX-FUL-"))
        self.assertEqual(self.order.status, OrderStatus.CONFIRMED)
        run = self.upload()  # nothing left to send
        self.assertEqual(run.seen, 0)

    def test_a_refused_shipment_waits_and_alerts_after_six_tries(self) -> None:
        cart = FlakyCart(RecordError("Tracking number is invalid.", record_ref="1001"))
        self.upload(cart)
        self.shipment.refresh_from_db()
        self.assertEqual(
            (self.shipment.upload_attempts, self.shipment.upload_error),
            (1, "Tracking number is invalid."),
        )
        self.assertGreater(self.shipment.upload_not_before, timezone.now())
        Shipment.objects.filter(id=self.shipment.id).update(
            upload_not_before=None, upload_attempts=5
        )
        self.upload(cart)
        self.assertTrue(Alert.objects.filter(kind="shipment_upload_failed").exists())
        self.order.refresh_from_db()
        self.assertEqual(self.order.status, OrderStatus.SHIPPED)

    def test_after_an_unclear_upload_the_cart_is_asked_first(self) -> None:
        with self.assertRaises(TransientError):
            self.upload(FlakyCart(TransientError("timeout")))
        self.shipment.refresh_from_db()
        self.assertIsNotNone(self.shipment.upload_started_at)
        found = FlakyCart(existing="F-EXISTING")
        self.upload(found)
        self.shipment.refresh_from_db()
        self.assertEqual(found.uploads, 0)  # not created twice
        self.assertEqual(self.shipment.upload_reference, "F-EXISTING")

    def test_refused_credentials_release_the_shipment(self) -> None:
        with self.assertRaises(AuthError):
            self.upload(FlakyCart(AuthError("no")))
        self.shipment.refresh_from_db()
        self.assertIsNone(self.shipment.upload_started_at)

    def test_resend_tracking_uploads_again(self) -> None:
        self.upload()
        actions.order_resend_tracking(order=self.order, user=self.alice)
        self.order.refresh_from_db()
        self.assertEqual(self.order.status, OrderStatus.SHIPPED)
        self.upload()
        self.assertEqual(Order.objects.get(id=self.order.id).status, OrderStatus.CONFIRMED)
