"""The loop on real parts: PostgreSQL, the Redis broker and a Celery worker in its own process."""

from __future__ import annotations

import os
import signal
import uuid

import redis
from django.conf import settings

from integration_manager.celery import app
from jobs.models import JobRun
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD, SHIP_CONFIRM
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from tests.objects import create_cart, create_order, create_wms
from tests.workers import WorkerTestCase, wait_for
from wms.models import SandboxWmsOrder, WmsConnection


class AutomaticLoopTests(WorkerTestCase):
    concurrency = 2

    def test_orders_flow_to_confirmed_on_automatic_without_a_tick(self) -> None:
        # No beat runs here: every step after the first is started by the one before it.
        create_wms(self.alices_account, ship_delay_seconds=0)
        cart = create_cart(
            self.bobs_merchant,
            prefix="AU-",
            settings={"orders_per_minute": 5, "bad_order_percent": 0, "cancel_percent": 0},
        )
        self.run_now(ORDER_DOWNLOAD, cart=cart)
        wait_for(lambda: Order.objects.filter(cart=cart).exists(), what="the download")
        count = Order.objects.filter(cart=cart).count()
        wait_for(
            lambda: Order.objects.filter(cart=cart, delivered_at__isnull=False).count() == count,
            what="Automatic delivery",
        )
        delivery = JobRun.objects.filter(service=ORDER_DELIVERY).first()
        self.assertEqual(delivery.trigger, JobRun.Trigger.AUTOMATIC)
        # No run now: the delivery makes ship confirm look at once, and the upload follows.
        wait_for(
            lambda: Order.objects.filter(cart=cart, status=OrderStatus.CONFIRMED).count() == count,
            what="shipments to reach the cart",
        )
        self.assertEqual(SandboxWmsOrder.objects.count(), count)
        self.assertFalse(JobRun.objects.filter(status=JobRun.Status.FAILED).exists())
        confirm = JobRun.objects.filter(service=SHIP_CONFIRM).first()
        self.assertEqual(confirm.trigger, JobRun.Trigger.AUTOMATIC)


class DeliveryOnceTests(WorkerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.wms = create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="DO-")
        self.orders = [create_order(self.cart, number=n) for n in (1, 2)]

    def misbehave(self, **knobs) -> None:  # type: ignore[no-untyped-def]
        WmsConnection.objects.filter(id=self.wms.id).update(settings={"misbehave": knobs})

    def all_at_wms(self) -> bool:
        return Order.objects.filter(cart=self.cart, delivered_at__isnull=False).count() == 2

    def test_a_wms_timeout_after_accepting_does_not_deliver_twice(self) -> None:
        self.misbehave(timeout_after_accept=[order.cust_ref for order in self.orders])
        self.run_now(ORDER_DELIVERY)
        wait_for(
            lambda: JobRun.objects.filter(status=JobRun.Status.FAILED).exists(),
            what="the run that timed out",
        )
        self.assertEqual(SandboxWmsOrder.objects.count(), 2)
        self.assertFalse(Order.objects.filter(delivered_at__isnull=False).exists())
        self.run_now(ORDER_DELIVERY)
        wait_for(self.all_at_wms, what="the lookup to find the orders at the WMS")
        self.assertEqual(SandboxWmsOrder.objects.count(), 2)

    def test_a_worker_killed_mid_delivery_does_not_deliver_twice(self) -> None:
        self.misbehave(hang_after_accept_seconds=60)
        self.run_now(ORDER_DELIVERY)
        wait_for(lambda: SandboxWmsOrder.objects.count() == 2, what="the WMS to accept the orders")
        # The child process running the task dies (out of memory, say); the message goes
        # back to the queue and runs again in a new child.
        for pid in self.worker_children():
            os.kill(pid, signal.SIGKILL)
        wait_for(self.all_at_wms, what="the rerun to find the orders at the WMS")
        # The orders are committed before the rerun records its own end: wait for that too.
        wait_for(
            lambda: (
                not JobRun.objects.filter(
                    service=ORDER_DELIVERY, status=JobRun.Status.RUNNING
                ).exists()
            ),
            what="the rerun to end",
        )
        self.assertEqual(SandboxWmsOrder.objects.count(), 2)
        runs = list(JobRun.objects.filter(service=ORDER_DELIVERY).order_by("id"))
        self.assertEqual(
            [run.status for run in runs], [JobRun.Status.FAILED, JobRun.Status.SUCCESS]
        )
        self.assertIn("stopped before the run finished", runs[0].message)
        events = OrderEvent.objects.filter(to_status=OrderStatus.AT_WMS)
        self.assertTrue(all("not sent again" in event.message for event in events))


class RacingDownloadTests(WorkerTestCase):
    concurrency = 2

    def test_two_workers_storing_the_same_page_at_once_store_it_once(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="RW-")
        numbers = list(range(1, 251))
        key = f"barrier-{uuid.uuid4().hex}"
        for _ in range(2):
            app.send_task(
                "tests.store_page_together",
                kwargs={"cart_id": cart.id, "numbers": numbers, "barrier_key": key, "parties": 2},
            )
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        wait_for(
            lambda: int(broker.get(f"{key}:done") or 0) == 2,
            what="both workers to store the page",
        )
        self.assertEqual(Order.objects.filter(cart=cart).count(), 250)
        self.assertEqual(OrderLine.objects.filter(order__cart=cart).count(), 500)
        self.assertEqual(OrderEvent.objects.filter(order__cart=cart).count(), 250)
        self.assertNotIn("IntegrityError", self.log.read_text())
