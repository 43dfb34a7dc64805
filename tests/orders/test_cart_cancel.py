"""A cancel the hub made in the WMS goes to the cart once; the cart's refusal is on the order."""

from __future__ import annotations

from django.urls import reverse

from integration_manager.records import UploadOrder
from jobs.models import JobRun
from orders.jobs import SHIPMENT_UPLOAD
from orders.models import Order, OrderStatus
from orders.services.cart_cancel import CART_CANCEL_REASON
from orders.services.shipment_upload import shipments_upload
from tests.objects import recorder
from tests.orders.test_cancel import CancelTestCase
from tests.support.woocommerce import WooCommerceTestCase, upload_order


class CartCancelTests(CancelTestCase):
    def upload(self) -> None:
        run = recorder(merchant=self.bobs_merchant, service=SHIPMENT_UPLOAD, cart=self.cart)
        try:
            shipments_upload(cart=self.cart, run=run)
        finally:
            JobRun.objects.filter(id=run.job_run.id).update(status=JobRun.Status.SUCCESS)

    def canceled_in_the_wms(self) -> Order:
        order = self.at_wms()
        self.client.post(reverse("order_action", args=[order.id, "cancel-in-wms"]))
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.CANCELED)
        return order

    def test_a_cancel_made_in_the_wms_reaches_the_cart_once(self) -> None:
        order = self.canceled_in_the_wms()
        self.upload()
        order.refresh_from_db()
        self.assertIsNotNone(order.cart_cancel_sent_at)
        self.assertEqual(order.cart_cancel_error, "")
        self.assertEqual(order.events.last().message, "Canceled in the cart too.")
        events = order.events.count()
        self.upload()
        self.assertEqual(order.events.count(), events)  # not sent twice

    def test_an_order_the_cart_canceled_is_not_canceled_there_again(self) -> None:
        order = self.canceled_in_the_wms()
        Order.objects.filter(id=order.id).update(canceled_in_cart_at=order.updated_at)
        self.upload()
        order.refresh_from_db()
        self.assertIsNone(order.cart_cancel_sent_at)

    def test_an_unclear_answer_is_asked_again_by_the_next_run(self) -> None:
        order = self.canceled_in_the_wms()
        # A worker died after claiming it: the claim stays, and the next run sends it again.
        Order.objects.filter(id=order.id).update(cart_cancel_started_at=order.updated_at)
        self.upload()
        order.refresh_from_db()
        self.assertIsNotNone(order.cart_cancel_sent_at)


class WooCommerceCancelTests(WooCommerceTestCase):
    def order_for(self, status: str) -> UploadOrder:
        payload = self.emulator.add_order(status=status)
        return upload_order(payload)

    def test_an_open_order_is_set_to_cancelled(self) -> None:
        order = self.order_for("processing")
        self.connector().cancel_order(order, reason=CART_CANCEL_REASON)
        self.assertIn(
            (int(order.source_order_id), "processing", "cancelled"), self.emulator.status_changes
        )

    def test_a_completed_order_is_kept_and_the_store_says_why(self) -> None:
        order = self.order_for("completed")
        with self.assertRaisesMessage(Exception, "is completed: the store keeps it"):
            self.connector().cancel_order(order, reason=CART_CANCEL_REASON)
        self.assertEqual(self.emulator.status_changes, [])

    def test_a_cancelled_order_is_left_as_it_is(self) -> None:
        order = self.order_for("cancelled")
        self.connector().cancel_order(order, reason=CART_CANCEL_REASON)
        self.assertEqual(self.emulator.status_changes, [])
