"""Cancels: asked by a person or by the cart, sent to the WMS by the delivery run, recorded."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, AlertKind
from integration_manager.connector_errors import TransientError
from integration_manager.records import OrderPage
from jobs.models import Frequency, JobRun, ServiceSchedule
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD
from orders.models import Order, OrderStatus
from orders.services.delivery import orders_deliver
from orders.services.download import order_page_store
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_wms, order_record, recorder
from wms.models import SandboxWmsOrder, WmsConnection


class CancelTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        # The sandbox warehouse ships an hour after it accepts: there is time to cancel.
        self.wms = create_wms(self.alices_account, ship_delay_seconds=3600)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.client.force_login(self.alice)

    def deliver(self):  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        try:
            orders_deliver(merchant=self.bobs_merchant, run=run)
        finally:  # the run ends, as the runner ends it
            JobRun.objects.filter(id=run.job_run.id).update(status=JobRun.Status.FAILED)
        return run

    def at_wms(self, number: int = 1001) -> Order:
        order = create_order(self.cart, number=number)
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        return order

    def ask(self, order: Order):  # type: ignore[no-untyped-def]
        return self.client.post(
            reverse("order_action", args=[order.id, "cancel-in-wms"]), follow=True
        )

    def misbehave(self, **knobs) -> None:  # type: ignore[no-untyped-def]
        WmsConnection.objects.filter(id=self.wms.id).update(
            settings={**self.wms.settings, "misbehave": knobs}
        )


class CancelInWmsTests(CancelTestCase):
    def test_the_wms_accepts_the_cancel(self) -> None:
        order = self.at_wms()
        detail = self.client.get(reverse("order_detail", args=[order.id]))
        self.assertContains(detail, "Cancel in WMS")
        ServiceSchedule.objects.filter(merchant=self.bobs_merchant, cart=None).update(
            next_run_at=None, frequency=Frequency.HOURS_1
        )
        response = self.ask(order)
        self.assertContains(response, "Cancel asked; the WMS is asked at the next delivery run.")
        self.assertNotContains(response, "bi-x-octagon")  # the button is gone once asked
        order.refresh_from_db()
        self.assertIsNotNone(order.wms_cancel_requested_at)
        self.assertEqual(order.events.last().message, "Cancel in WMS asked by alice@example.org.")
        self.assertEqual(order.events.last().user, self.alice)
        # The delivery is made due now, whatever its frequency.
        schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=ORDER_DELIVERY
        )
        self.assertLessEqual(schedule.next_run_at, timezone.now())
        self.assertContains(self.ask(order), "asked already")
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.CANCELED)
        self.assertIsNone(order.wms_cancel_requested_at)
        self.assertEqual(order.events.last().message, "Canceled in the WMS.")
        self.assertIsNotNone(SandboxWmsOrder.objects.get(cust_ref=order.cust_ref).canceled_at)

    def test_the_wms_refuses_a_shipped_order_with_its_reason(self) -> None:
        order = self.at_wms()
        SandboxWmsOrder.objects.update(ship_after=timezone.now())  # the warehouse shipped it
        self.ask(order)
        run = self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        self.assertIn("already shipped", order.wms_cancel_error)
        self.assertEqual(run.failed, 1)
        alert = Alert.objects.get(kind=AlertKind.WMS_CANCEL_REFUSED)
        self.assertEqual(alert.key, f"order:{order.id}")
        self.assertEqual(alert.link, reverse("order_detail", args=[order.id]))
        self.assertEqual(alert.merchant, self.bobs_merchant)
        detail = self.client.get(reverse("order_detail", args=[order.id]))
        self.assertContains(detail, "The WMS did not cancel this order:")
        self.assertContains(detail, "already shipped")
        self.assertIsNone(SandboxWmsOrder.objects.get().canceled_at)

    def test_an_unclear_answer_keeps_the_claim_and_the_next_run_cancels(self) -> None:
        order = self.at_wms()
        self.ask(order)
        self.misbehave(unavailable=True)
        with self.assertRaises(TransientError):
            self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        self.assertIsNotNone(order.wms_cancel_started_at)  # claimed, outcome unknown
        self.misbehave()
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.CANCELED)
        self.assertFalse(Alert.objects.filter(kind=AlertKind.WMS_CANCEL_REFUSED).exists())

    def test_only_an_order_at_the_wms_can_be_canceled_there(self) -> None:
        order = create_order(self.cart, number=1)
        self.assertNotContains(
            self.client.get(reverse("order_detail", args=[order.id])), "Cancel in WMS"
        )
        self.assertContains(self.ask(order), "Only an order at the WMS")
        self.assertIsNone(Order.objects.get(id=order.id).wms_cancel_requested_at)

    def test_a_wms_that_cannot_cancel_shows_no_button(self) -> None:
        order = self.at_wms()
        WmsConnection.objects.all().delete()
        self.assertNotContains(
            self.client.get(reverse("order_detail", args=[order.id])), "Cancel in WMS"
        )
        self.assertContains(self.ask(order), "The WMS cannot cancel orders through the hub")

    def test_it_checks_ownership(self) -> None:
        order = self.at_wms()
        other_cart = create_cart(self.other_merchant, prefix="OO-")
        other = create_order(other_cart, number=7, status=OrderStatus.AT_WMS)
        self.client.force_login(self.bob)
        self.assertEqual(self.ask(other).status_code, 404)
        self.client.force_login(self.charlie)
        self.assertEqual(self.ask(order).status_code, 404)
        self.assertIsNone(Order.objects.get(id=order.id).wms_cancel_requested_at)
        self.assertIsNone(Order.objects.get(id=other.id).wms_cancel_requested_at)


class CartCancelTests(CancelTestCase):
    def store(self, *records) -> None:  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DOWNLOAD, cart=self.cart)
        order_page_store(cart=self.cart, page=OrderPage(orders=list(records), cursor="c"), run=run)

    def test_a_cart_cancel_after_delivery_is_sent_to_the_wms(self) -> None:
        self.store(order_record(1001))
        self.deliver()
        self.store(order_record(1001, minutes=2, canceled=True))
        order = Order.objects.get()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        self.assertIsNotNone(order.wms_cancel_requested_at)
        self.assertIn("asks the WMS to cancel it", order.events.last().message)
        self.assertFalse(Alert.objects.filter(kind=AlertKind.CANCELED_AFTER_DELIVERY).exists())
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.CANCELED)
        self.assertIsNotNone(SandboxWmsOrder.objects.get().canceled_at)
        self.store(order_record(1001, minutes=3, canceled=True))  # seen again: nothing more
        self.assertEqual(Order.objects.get().status, OrderStatus.CANCELED)

    def test_a_cart_cancel_after_shipping_still_alerts(self) -> None:
        self.store(order_record(1001))
        Order.objects.update(status=OrderStatus.SHIPPED)
        self.store(order_record(1001, minutes=2, canceled=True))
        order = Order.objects.get()
        self.assertIsNone(order.wms_cancel_requested_at)
        self.assertEqual(
            Alert.objects.get(kind=AlertKind.CANCELED_AFTER_DELIVERY).key, f"order:{order.id}"
        )
