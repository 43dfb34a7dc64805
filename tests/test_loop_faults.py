"""The loop's promise under faults, on real parts: a private Redis the test drops and stops,
PostgreSQL, and Celery workers in their own processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import redis
from django.db import connection

from integration_manager.celery import app
from jobs.dispatcher import dispatch_tick
from jobs.models import JobRun, ServiceSchedule
from orders.jobs import ORDER_DELIVERY, SHIPMENT_UPLOAD
from orders.models import Order, OrderStatus
from orders.services.shipment_upload import BATCH_SIZE as SHIPMENT_BATCH
from tests.emulators.woocommerce import WooCommerceEmulator, line_item
from tests.objects import (
    create_cart,
    create_order,
    create_shipment,
    create_wms,
    create_woocommerce_cart,
)
from tests.workers import WorkerTestCase, wait_for
from wms.models import SandboxWmsOrder, WmsConnection

COPY_EXITS = "a live run owns it"
TRACKINGS = r"/shipment-trackings$"


class BrokerDropMidDeliveryTests(WorkerTestCase):
    """The broker hands an unacknowledged message out again while its run still lives."""

    concurrency = 2
    private_broker = True

    def test_a_copy_handed_out_mid_delivery_does_not_send_any_order_twice(self) -> None:
        wms = create_wms(self.alices_account)
        WmsConnection.objects.filter(id=wms.id).update(
            settings={**wms.settings, "misbehave": {"hang_before_accept_seconds": 6}}
        )
        cart = create_cart(self.bobs_merchant, prefix="BD-")
        for number in range(1, 61):
            create_order(cart, number=number)
        self.run_now(ORDER_DELIVERY)
        wait_for(
            lambda: Order.objects.filter(delivery_started_at__isnull=False).count() == 50,
            what="the first batch to be claimed and in flight",
        )
        self.broker.drop_clients()
        wait_for(
            lambda: (
                Order.objects.filter(delivered_at__isnull=False).count() == 60
                and not JobRun.objects.filter(status=JobRun.Status.RUNNING).exists()
                and (
                    COPY_EXITS in self.log.read_text()
                    or JobRun.objects.filter(service=ORDER_DELIVERY).count() > 1
                )
            ),
            what="the run to finish and the copy to be handled",
            timeout=60,
        )
        self.assertEqual(SandboxWmsOrder.objects.count(), 60, "an order reached the WMS twice")
        runs = list(JobRun.objects.filter(service=ORDER_DELIVERY))
        self.assertEqual([run.status for run in runs], [JobRun.Status.SUCCESS])
        schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=ORDER_DELIVERY
        )
        self.assertIsNone(schedule.running_since)


class BrokerDropMidUploadTests(WorkerTestCase):
    concurrency = 2
    private_broker = True

    def test_a_copy_handed_out_mid_upload_does_not_send_the_tracking_twice(self) -> None:
        emulator = WooCommerceEmulator()
        emulator.start()
        self.addCleanup(emulator.stop)
        cart = create_woocommerce_cart(self.bobs_merchant, emulator, prefix="WU-")
        source = emulator.add_order(line_items=[line_item("TENT-2P-GRN", 1, "189.00")])
        order = create_order(cart, number=source["id"], status=OrderStatus.SHIPPED)
        shipment = create_shipment(order)
        # The tracking is in flight: the cart takes it only after six seconds.
        emulator.slow_next(6, path_contains="/shipment-trackings", method="POST")
        self.run_now(SHIPMENT_UPLOAD, cart=cart)
        wait_for(lambda: emulator.requests_to("POST", TRACKINGS), what="the tracking in flight")
        self.broker.drop_clients()
        wait_for(
            lambda: (
                Order.objects.filter(id=order.id, status=OrderStatus.CONFIRMED).exists()
                and not JobRun.objects.filter(status=JobRun.Status.RUNNING).exists()
                and (
                    COPY_EXITS in self.log.read_text()
                    or JobRun.objects.filter(service=SHIPMENT_UPLOAD).count() > 1
                )
            ),
            what="the upload to finish and the copy to be handled",
            timeout=60,
        )
        trackings = [
            item
            for item in emulator.trackings(source["id"])
            if item["tracking_number"] == shipment.tracking_number
        ]
        self.assertEqual(len(trackings), 1, "the tracking reached the cart twice")
        self.assertEqual(len(emulator.requests_to("POST", TRACKINGS)), 1)


class DrainTests(WorkerTestCase):
    """A service that stops at its batch limit makes itself due again, on any frequency; a
    large upload is shared with helper runs on the other worker process."""

    concurrency = 2

    def test_more_shipments_than_one_batch_all_reach_the_cart_once_shared_by_helpers(
        self,
    ) -> None:
        emulator = WooCommerceEmulator()
        emulator.start()
        self.addCleanup(emulator.stop)
        create_wms(self.alices_account)
        cart = create_woocommerce_cart(self.bobs_merchant, emulator, prefix="DR-")
        count = SHIPMENT_BATCH * 2 + 50
        for number in range(1, count + 1):
            source = emulator.add_order(line_items=[line_item("TENT-2P-GRN", 1, "189.00")])
            order = create_order(cart, number=source["id"], status=OrderStatus.SHIPPED)
            create_shipment(order, ref=f"S-{number}", tracking=f"1Z{number:016d}")
        self.run_now(SHIPMENT_UPLOAD, cart=cart)
        schedule = ServiceSchedule.objects.get(cart=cart, service=SHIPMENT_UPLOAD)
        # Between a run that stopped at its batch limit and the one that follows it, no run
        # is running for a moment: the schedule's claim says whether one is coming.
        wait_for(
            lambda: (
                Order.objects.filter(status=OrderStatus.CONFIRMED).count() == count
                and not JobRun.objects.filter(status=JobRun.Status.RUNNING).exists()
                and ServiceSchedule.objects.filter(id=schedule.id, running_since=None).exists()
            ),
            what="every shipment to reach the cart without a tick, and the runs to end",
            timeout=120,
        )
        sent = [
            len(emulator.trackings(int(order.source_order_id))) for order in Order.objects.all()
        ]
        self.assertEqual(sent, [1] * count, "a shipment reached the cart twice, or never")
        runs = JobRun.objects.filter(service=SHIPMENT_UPLOAD)
        self.assertEqual(sum(run.records_ok for run in runs), count)
        helped = [run for run in runs if run.trigger == JobRun.Trigger.HELPER]
        self.assertTrue(any(run.records_ok for run in helped), "no helper took a share")
        # A helper the last run asked for may start after the backlog is gone and find
        # nothing: it is still running here, or a success; no run failed.
        statuses = {run.status for run in runs} - {JobRun.Status.RUNNING}
        self.assertEqual(statuses, {JobRun.Status.SUCCESS})


class KilledWorkerTests(WorkerTestCase):
    """A worker that dies with its machine gives nothing back to the broker."""

    def test_the_next_tick_takes_over_a_dead_workers_claim(self) -> None:
        wms = create_wms(self.alices_account)
        WmsConnection.objects.filter(id=wms.id).update(
            settings={**wms.settings, "misbehave": {"hang_after_accept_seconds": 120}}
        )
        cart = create_cart(self.bobs_merchant, prefix="KW-")
        for number in (1, 2, 3):
            create_order(cart, number=number)
        self.run_now(ORDER_DELIVERY)
        wait_for(lambda: SandboxWmsOrder.objects.count() == 3, what="the WMS to take the orders")
        self.kill_worker()
        WmsConnection.objects.filter(id=wms.id).update(settings=wms.settings)
        self.worker = self.start_worker()
        schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=ORDER_DELIVERY
        )
        claimed_at = schedule.running_since
        dispatch_tick()  # the first tick after the death, as beat would run it
        schedule.refresh_from_db()
        self.assertNotEqual(schedule.running_since, claimed_at, "the dead claim is still held")
        wait_for(
            lambda: (
                Order.objects.filter(delivered_at__isnull=False).count() == 3
                and not JobRun.objects.filter(status=JobRun.Status.RUNNING).exists()
            ),
            what="the new run to find the orders at the WMS",
        )
        self.assertEqual(SandboxWmsOrder.objects.count(), 3)
        runs = list(JobRun.objects.filter(service=ORDER_DELIVERY).order_by("id"))
        self.assertEqual(
            [run.status for run in runs], [JobRun.Status.FAILED, JobRun.Status.SUCCESS]
        )
        self.assertIn("worker", runs[0].message)


class TaskFailingAtStartTests(WorkerTestCase):
    """PostgreSQL refuses connections when a run's task starts: the task is retried."""

    def test_a_run_whose_task_fails_before_it_starts_is_retried_and_says_so(self) -> None:
        create_wms(self.alices_account)
        cart = create_cart(self.bobs_merchant, prefix="FS-")
        create_order(cart, number=1)
        with database_closed_to_others(connection.settings_dict["NAME"]):
            self.run_now(ORDER_DELIVERY)
            wait_for(
                lambda: "OperationalError" in self.log.read_text(),
                what="the task to fail at its start",
            )
        wait_for(
            lambda: JobRun.objects.filter(finished_at__isnull=False).exists(),
            what="the retried task to run",
        )
        self.assertTrue(Order.objects.filter(delivered_at__isnull=False).exists())
        run = JobRun.objects.get(service=ORDER_DELIVERY)
        self.assertEqual(run.status, JobRun.Status.SUCCESS)
        self.assertIn("attempt", run.log)


@contextmanager
def database_closed_to_others(name: str) -> Iterator[None]:
    """No new connection to the database (not even a superuser's) and the open ones of other
    processes cut, as during a PostgreSQL restart; this process keeps its own connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own,) = cursor.fetchone()
    # A database cannot close itself to connections from its own session: ask from another.
    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres", user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                [name, own],
            )
        try:
            yield
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    finally:
        admin.close()


class BrokerRestartTests(WorkerTestCase):
    """The worker lives through every way the broker goes away with messages in flight, and
    goes on consuming. A failover's read-only phase made the worker exit before
    broker_channel_error_retry; kombu's restore of unacknowledged messages met READONLY."""

    concurrency = 2
    private_broker = True

    def assert_consuming(self, what: str) -> None:
        key = f"marker-{uuid.uuid4().hex}"
        app.send_task("tests.marker", kwargs={"key": key})
        wait_for(lambda: self.broker_alive() and self.broker.client().get(key), what=what)
        self.assertIsNone(self.worker.poll(), f"the worker exited after {what}")

    def broker_alive(self) -> bool:
        try:
            return bool(self.broker.client().ping())
        except redis.ConnectionError:
            return False

    def in_flight(self) -> None:
        for _ in range(2):
            app.send_task("tests.busy", kwargs={"seconds": 3})
        wait_for(lambda: self.broker.client().hlen("unacked") >= 1, what="a message in flight")

    def test_the_worker_survives_restarts_kills_drops_and_a_failover(self) -> None:
        self.assert_consuming("the start")
        self.in_flight()
        self.broker.restart()
        self.assert_consuming("a restart")
        self.in_flight()
        self.broker.restart(kill=True)
        self.assert_consuming("a kill -9")
        self.in_flight()
        self.broker.drop_clients()
        self.assert_consuming("dropped connections")
        self.in_flight()
        self.broker.fail_over(read_only_seconds=4)
        self.assert_consuming("a failover's read-only phase")
        self.assertNotIn("Unrecoverable error", self.log.read_text())
