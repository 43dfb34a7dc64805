"""Helper runs: a run shares a large backlog with helpers on other workers; each helper is a
JobRun of its own whose life is its lock's, so a dead one is closed and a live one left be."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from jobs.dispatcher import dispatch_tick, schedule_claim_now
from jobs.models import JobRun, ServiceSchedule
from jobs.ownership import HELPER_LOCK, RunLock
from jobs.runner import helper_lock_key, job_run_create, schedule_help, schedule_run
from orders.jobs import ORDER_DOWNLOAD, SHIPMENT_UPLOAD
from orders.models import Order, OrderStatus, Shipment
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_shipment, create_wms


class HelperRunTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="HR-")
        self.schedule = ServiceSchedule.objects.get(cart=self.cart, service=SHIPMENT_UPLOAD)

    def shipped(self, count: int) -> None:
        for number in range(1, count + 1):
            order = create_order(self.cart, number=number, status=OrderStatus.SHIPPED)
            create_shipment(order, ref=f"S-{number}", tracking=f"1Z{number:016d}")

    def helper_run(self, *, started_ago: timedelta) -> JobRun:
        return job_run_create(
            self.schedule,
            trigger=JobRun.Trigger.HELPER,
            started_at=timezone.now() - started_ago,
        )

    def test_a_helper_sends_its_share_and_records_a_run_of_its_own(self) -> None:
        self.shipped(3)
        run = schedule_help(schedule_id=self.schedule.id, leader_run_id=41)
        self.assertEqual(
            (run.trigger, run.status, run.records_ok),
            (JobRun.Trigger.HELPER, JobRun.Status.SUCCESS, 3),
        )
        self.assertIn("Helps run #41", run.log)
        self.assertFalse(Shipment.objects.filter(uploaded_at=None).exists())
        self.schedule.refresh_from_db()
        self.assertIsNone(self.schedule.last_run, "a helper is not the schedule's last run")

    def test_a_service_without_helpers_starts_none(self) -> None:
        download = ServiceSchedule.objects.get(cart=self.cart, service=ORDER_DOWNLOAD)
        self.assertIsNone(schedule_help(schedule_id=download.id, leader_run_id=1))
        self.assertFalse(JobRun.objects.filter(trigger=JobRun.Trigger.HELPER).exists())

    def test_the_next_run_closes_a_dead_helpers_run_and_leaves_a_live_one(self) -> None:
        dead = self.helper_run(started_ago=timedelta(minutes=3))
        live = self.helper_run(started_ago=timedelta(minutes=3))
        lock = RunLock(helper_lock_key(live.id), namespace=HELPER_LOCK)
        self.assertTrue(lock.acquire())
        self.addCleanup(lock.release)
        claimed_at = schedule_claim_now(schedule=self.schedule)
        run = schedule_run(schedule_id=self.schedule.id, claimed_at=claimed_at, trigger="manual")
        self.assertEqual(run.status, JobRun.Status.SUCCESS, "a live helper does not stop the run")
        dead.refresh_from_db()
        live.refresh_from_db()
        self.assertEqual(dead.status, JobRun.Status.FAILED)
        self.assertIn("stopped before the run finished", dead.message)
        self.assertEqual(live.status, JobRun.Status.RUNNING)

    def test_a_helper_that_just_started_is_not_taken_for_dead(self) -> None:
        young = self.helper_run(started_ago=timedelta(seconds=5))
        claimed_at = schedule_claim_now(schedule=self.schedule)
        schedule_run(schedule_id=self.schedule.id, claimed_at=claimed_at, trigger="manual")
        young.refresh_from_db()
        self.assertEqual(young.status, JobRun.Status.RUNNING)

    def test_a_tick_closes_a_dead_helper_frees_its_shipments_and_makes_the_upload_due(
        self,
    ) -> None:
        self.shipped(2)
        dead = self.helper_run(started_ago=timedelta(seconds=30))
        Shipment.objects.update(upload_claimed_at=timezone.now(), upload_job_run=dead)
        ServiceSchedule.objects.filter(id=self.schedule.id).update(
            next_run_at=timezone.now() + timedelta(hours=1)
        )
        now = timezone.now()
        dispatched = dispatch_tick(now=now)
        dead.refresh_from_db()
        self.assertEqual(dead.status, JobRun.Status.FAILED)
        self.assertIn("stopped before the run finished", dead.message)
        self.assertIn(self.schedule.id, [schedule_id for schedule_id, _, _ in dispatched])
        claimed_at = ServiceSchedule.objects.get(id=self.schedule.id).running_since
        run = schedule_run(schedule_id=self.schedule.id, claimed_at=claimed_at, trigger="auto")
        self.assertEqual(run.records_ok, 2, "the dead helper's shipments were not taken")
        self.assertEqual(Order.objects.filter(status=OrderStatus.CONFIRMED).count(), 2)

    def test_a_tick_leaves_a_live_helper_and_its_shipments_alone(self) -> None:
        self.shipped(1)
        live = self.helper_run(started_ago=timedelta(minutes=3))
        lock = RunLock(helper_lock_key(live.id), namespace=HELPER_LOCK)
        self.assertTrue(lock.acquire())
        self.addCleanup(lock.release)
        Shipment.objects.update(upload_claimed_at=timezone.now(), upload_job_run=live)
        dispatch_tick(now=timezone.now())
        live.refresh_from_db()
        self.assertEqual(live.status, JobRun.Status.RUNNING)
        claimed_at = schedule_claim_now(schedule=self.schedule)
        run = schedule_run(schedule_id=self.schedule.id, claimed_at=claimed_at, trigger="manual")
        self.assertEqual(run.records_seen, 0, "a live helper's shipment was taken")
