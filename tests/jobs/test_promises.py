"""The loop's promises in this process: back-off on any frequency, backlogs drained, claims
taken over from dead owners and never from live ones, nudges that cannot fail a run,
events written with their change, alert e-mails claimed before they are sent."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from unittest import mock

import redis
from django.conf import settings
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from alerts.services import alert_notify, alerts_raise
from carts.models import WebhookDelivery
from jobs import dispatcher
from jobs.dispatcher import MAX_SENDS, schedules_claim_due, schedules_reap
from jobs.models import Frequency, JobRun, ServiceSchedule
from jobs.ownership import run_lock
from jobs.runner import schedule_run
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD, SHIP_CONFIRM
from orders.models import Order, OrderEvent, OrderStatus
from orders.services.delivery import BATCH_SIZE, MAX_BATCHES
from tests.base import BaseTestCase
from tests.brokers import broker_at, closed_port_url
from tests.emulators.woocommerce import WooCommerceEmulator
from tests.objects import create_cart, create_order, create_wms, create_woocommerce_cart
from wms.models import SandboxWmsOrder, WmsConnection


class LoopTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.wms = create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="PR-")

    def schedule(self, service: str, *, cart=None) -> ServiceSchedule:  # type: ignore[no-untyped-def]
        return ServiceSchedule.objects.get(merchant=self.bobs_merchant, cart=cart, service=service)

    def run_due(self, service: str, *, cart=None) -> JobRun:  # type: ignore[no-untyped-def]
        """Make the schedule due, let the dispatcher claim it, and run the claim here."""
        schedule = self.schedule(service, cart=cart)
        ServiceSchedule.objects.filter(id=schedule.id).update(
            next_run_at=timezone.now() - timedelta(seconds=1), enabled=True
        )
        claims = [
            claim for claim in schedules_claim_due(now=timezone.now()) if claim[0] == schedule.id
        ]
        self.assertEqual(len(claims), 1)
        _, claimed_at, trigger = claims[0]
        run = schedule_run(schedule_id=schedule.id, claimed_at=claimed_at, trigger=trigger)
        self.assertIsNotNone(run)
        return run


class BackoffTests(LoopTestCase):
    def test_a_failing_automatic_delivery_retries_on_the_back_off_not_at_the_cleanup_run(
        self,
    ) -> None:
        self.assertEqual(self.schedule(ORDER_DELIVERY).frequency, Frequency.AUTOMATIC)
        create_order(self.cart)
        WmsConnection.objects.filter(id=self.wms.id).update(
            settings={"misbehave": {"unavailable": True}}
        )
        for failures in (1, 2, 3):
            before = timezone.now()
            run = self.run_due(ORDER_DELIVERY)
            self.assertEqual(run.status, JobRun.Status.FAILED)
            schedule = self.schedule(ORDER_DELIVERY)
            self.assertEqual(schedule.consecutive_failures, failures)
            wait = timedelta(minutes=2 ** (failures - 1))
            self.assertGreaterEqual(schedule.next_run_at, before + wait)
            self.assertLess(schedule.next_run_at, timezone.now() + wait + timedelta(seconds=5))

    def test_a_failing_daily_service_retries_within_minutes_too(self) -> None:
        schedule = self.schedule(SHIP_CONFIRM)
        ServiceSchedule.objects.filter(id=schedule.id).update(
            frequency=Frequency.DAILY, daily_at="03:00"
        )
        WmsConnection.objects.filter(id=self.wms.id).update(
            settings={"misbehave": {"unavailable": True}}
        )
        before = timezone.now()
        self.assertEqual(self.run_due(SHIP_CONFIRM).status, JobRun.Status.FAILED)
        next_run_at = self.schedule(SHIP_CONFIRM).next_run_at
        self.assertGreaterEqual(next_run_at, before + timedelta(minutes=1))
        self.assertLess(next_run_at, before + timedelta(minutes=2))


class DrainTests(LoopTestCase):
    def test_a_full_delivery_makes_itself_due_again_on_any_frequency(self) -> None:
        schedule = self.schedule(ORDER_DELIVERY)
        ServiceSchedule.objects.filter(id=schedule.id).update(frequency=Frequency.HOURS_1)
        for number in range(1, BATCH_SIZE * MAX_BATCHES + 11):
            create_order(self.cart, number=number)
        run = self.run_due(ORDER_DELIVERY)
        self.assertEqual(run.records_ok, BATCH_SIZE * MAX_BATCHES)
        self.assertLessEqual(self.schedule(ORDER_DELIVERY).next_run_at, timezone.now())
        self.run_due(ORDER_DELIVERY)
        self.assertEqual(Order.objects.filter(status=OrderStatus.AT_WMS).count(), 1010)
        # Nothing left: the schedule goes back to its hour.
        self.assertGreater(
            self.schedule(ORDER_DELIVERY).next_run_at,
            timezone.now() + timedelta(minutes=50),
        )


class TakeoverTests(LoopTestCase):
    def dead_claim(self, service: str, *, minutes_ago: float = 0.5) -> ServiceSchedule:
        """A run whose worker died: started, still marked running, owned by no process."""
        schedule = self.schedule(service)
        moment = timezone.now() - timedelta(minutes=minutes_ago)
        ServiceSchedule.objects.filter(id=schedule.id).update(
            running_since=moment, run_started_at=moment, next_run_at=moment + timedelta(hours=6)
        )
        JobRun.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            schedule=schedule,
            service=service,
            trigger=JobRun.Trigger.AUTOMATIC,
            started_at=moment,
        )
        return schedule

    def test_a_claim_with_no_live_owner_is_taken_over_at_the_next_tick(self) -> None:
        schedule = self.dead_claim(ORDER_DELIVERY)
        self.assertEqual(schedules_reap(now=timezone.now()), 1)
        schedule.refresh_from_db()
        self.assertIsNone(schedule.running_since)
        self.assertLessEqual(schedule.next_run_at, timezone.now())  # at once, the first time
        self.assertEqual(schedule.consecutive_failures, 1)
        run = JobRun.objects.get(schedule=schedule)
        self.assertEqual(run.status, JobRun.Status.FAILED)
        self.assertIn("worker", run.message)

    def test_a_run_that_keeps_dying_backs_off(self) -> None:
        schedule = self.dead_claim(ORDER_DELIVERY)
        ServiceSchedule.objects.filter(id=schedule.id).update(consecutive_failures=3)
        before = timezone.now()
        schedules_reap(now=before)
        schedule.refresh_from_db()
        self.assertGreaterEqual(schedule.next_run_at, before + timedelta(minutes=4))

    def test_a_claim_whose_owner_lives_is_never_taken(self) -> None:
        schedule = self.dead_claim(ORDER_DELIVERY, minutes_ago=60)
        held, release = threading.Event(), threading.Event()

        def owner() -> None:  # another process's run, holding the schedule
            with run_lock(schedule.id) as lock:
                assert lock.held
                held.set()
                release.wait(10)

        thread = threading.Thread(target=owner)
        thread.start()
        try:
            held.wait(10)
            self.assertEqual(schedules_reap(now=timezone.now()), 0)
            self.assertIsNotNone(ServiceSchedule.objects.get(id=schedule.id).running_since)
        finally:
            release.set()
            thread.join(10)
        self.assertEqual(schedules_reap(now=timezone.now()), 1)

    def test_a_copy_of_a_live_run_exits_without_touching_it(self) -> None:
        schedule = self.dead_claim(ORDER_DELIVERY)
        claimed_at = ServiceSchedule.objects.get(id=schedule.id).running_since
        with run_lock(schedule.id) as lock:
            self.assertTrue(lock.held)
            self.assertIsNone(
                schedule_run(schedule_id=schedule.id, claimed_at=claimed_at, trigger="automatic")
            )
        self.assertEqual(JobRun.objects.get(schedule=schedule).status, JobRun.Status.RUNNING)

    def queued_claim(self, *, minutes_ago: float, sent: int) -> ServiceSchedule:
        """A claim whose task message never reached a worker (lost with the broker)."""
        schedule = self.schedule(ORDER_DELIVERY)
        moment = timezone.now() - timedelta(minutes=minutes_ago)
        ServiceSchedule.objects.filter(id=schedule.id).update(
            running_since=moment, enqueued_at=moment, enqueue_count=sent
        )
        schedule.refresh_from_db()
        return schedule

    def test_a_claim_whose_task_never_started_is_sent_again(self) -> None:
        schedule = self.queued_claim(minutes_ago=2, sent=1)
        claimed_at = schedule.running_since
        with self.captureOnCommitCallbacks(execute=True):
            schedules_reap(now=timezone.now())
        schedule.refresh_from_db()
        self.assertEqual(schedule.running_since, claimed_at)  # the same claim, sent again
        self.assertEqual(schedule.enqueue_count, 2)
        self.assertFalse(JobRun.objects.exists())

    def test_a_claim_is_sent_again_only_once_the_reaper_gave_its_lock_back(self) -> None:
        schedule = self.queued_claim(minutes_ago=2, sent=1)
        lock_free_at_send: list[bool] = []
        real_send = dispatcher.claim_send

        def send(**claim):  # type: ignore[no-untyped-def]
            # What a worker taking the task at once finds: the run lock free, or it exits
            # as a copy and the claim waits another interval (found by make chaos).
            with run_lock(claim["schedule_id"]) as lock:
                lock_free_at_send.append(lock.held)
            return real_send(**claim)

        with mock.patch.object(dispatcher, "claim_send", send):
            schedules_reap(now=timezone.now())
        self.assertEqual(lock_free_at_send, [True])
        schedule.refresh_from_db()
        self.assertEqual(schedule.enqueue_count, 2)

    def test_a_claim_sent_again_and_again_is_given_up_visibly(self) -> None:
        schedule = self.queued_claim(minutes_ago=30, sent=MAX_SENDS)
        schedules_reap(now=timezone.now())
        schedule.refresh_from_db()
        self.assertIsNone(schedule.running_since)
        self.assertEqual(schedule.consecutive_failures, 1)
        run = JobRun.objects.get(schedule=schedule)
        self.assertEqual(run.status, JobRun.Status.FAILED)
        self.assertIn("no worker", run.message)

    def test_a_claim_that_cannot_be_sent_again_is_released_visibly(self) -> None:
        schedule = self.queued_claim(minutes_ago=2, sent=1)
        with broker_at(closed_port_url()):
            schedules_reap(now=timezone.now())
        schedule.refresh_from_db()
        self.assertIsNone(schedule.running_since)
        self.assertTrue(JobRun.objects.filter(schedule=schedule, status="failed").exists())


class NudgeTests(LoopTestCase):
    def test_a_download_with_the_broker_down_still_succeeds(self) -> None:
        from carts.models import CartConnection

        CartConnection.objects.filter(id=self.cart.id).update(
            settings={**self.cart.settings, "orders_per_minute": 60}
        )
        with broker_at(closed_port_url()), self.captureOnCommitCallbacks(execute=True):
            run = self.run_due(ORDER_DOWNLOAD, cart=self.cart)
        self.assertEqual(run.status, JobRun.Status.SUCCESS, run.log)
        self.assertTrue(Order.objects.exists())
        # The outbox holds: delivery is due, and the next tick runs it.
        self.assertLessEqual(self.schedule(ORDER_DELIVERY).next_run_at, timezone.now())

    def test_a_webhook_with_the_broker_down_is_stored_not_a_500(self) -> None:
        emulator = WooCommerceEmulator()
        emulator.start()
        self.addCleanup(emulator.stop)
        cart = create_woocommerce_cart(self.bobs_merchant, emulator, prefix="WH-")
        headers, body = emulator.signed_webhook("order.created", emulator.add_order()["id"])
        with broker_at(closed_port_url()), self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("cart_webhook", args=[cart.webhook_token]),
                data=body,
                content_type="application/json",
                headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
            )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(WebhookDelivery.objects.filter(cart=cart).count(), 1)
        self.assertLessEqual(self.schedule(ORDER_DOWNLOAD, cart=cart).next_run_at, timezone.now())

    def test_an_alert_raised_with_the_broker_down_is_e_mailed_by_the_next_tick(self) -> None:
        from jobs.dispatcher import dispatch_tick

        with broker_at(closed_port_url()), self.captureOnCommitCallbacks(execute=True):
            alert = alerts_raise(
                account=self.alices_account, kind="k", subject="Broker away", message="m"
            )
        Alert.objects.filter(id=alert.id).update(
            first_seen_at=timezone.now() - timedelta(minutes=5)
        )
        queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        queue.delete("celery")
        dispatch_tick()
        messages = [json.loads(message) for message in queue.lrange("celery", 0, -1)]
        notices = [m for m in messages if m["headers"]["task"] == "alerts.notify"]
        self.assertEqual(len(notices), 1)


class AlertEmailClaimTests(BaseTestCase):
    def test_a_notify_task_run_twice_e_mails_once(self) -> None:
        alert = alerts_raise(account=self.alices_account, kind="k", subject="Twice", message="m")
        first, second = Alert.objects.get(id=alert.id), Alert.objects.get(id=alert.id)
        alert_notify(alert=first)
        alert_notify(alert=second)  # a copy of the task that read the alert before the first sent
        self.assertEqual(len(mail.outbox), 1)


class EventsWithTheirChangeTests(LoopTestCase):
    """A status change and its event commit together or not at all."""

    def refuse_events(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                CREATE FUNCTION refuse_event() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION 'events refused by the test'; END $$ LANGUAGE plpgsql;
                CREATE TRIGGER refuse_event BEFORE INSERT ON orders_orderevent
                FOR EACH ROW EXECUTE FUNCTION refuse_event();
                """
            )

    def test_a_delivered_order_is_not_at_wms_without_its_event(self) -> None:
        order = create_order(self.cart)
        self.refuse_events()
        run = self.run_due(ORDER_DELIVERY)
        self.assertEqual(run.status, JobRun.Status.FAILED)
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.NEW)  # the next run asks the WMS first
        self.assertIsNotNone(order.delivery_started_at)
        self.assertEqual(SandboxWmsOrder.objects.count(), 1)

    def test_a_held_order_is_not_in_error_without_its_event(self) -> None:
        order = create_order(self.cart, ship_to={"name": "Nobody"})
        self.refuse_events()
        self.run_due(ORDER_DELIVERY)
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.NEW)
        self.assertFalse(OrderEvent.objects.exists())
