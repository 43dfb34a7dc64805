"""Job run retention: old runs deleted by the account's policy, linked ones kept."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.urls import reverse
from django.utils import timezone

from alerts.services import alerts_raise
from jobs.dispatcher import schedule_claim_now
from jobs.models import Frequency, JobRun, ServiceSchedule
from jobs.retention import JOB_RUN_CLEANUP
from jobs.runner import schedule_run
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD
from orders.models import OrderEvent
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order


class JobRunRetentionTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")

    def job_run(self, *, days: int, status: str = JobRun.Status.SUCCESS, merchant=None) -> JobRun:  # type: ignore[no-untyped-def]
        merchant = merchant or self.bobs_merchant
        return JobRun.objects.create(
            account_id=merchant.account_id,
            merchant=merchant,
            cart=self.cart if merchant == self.bobs_merchant else None,
            service=ORDER_DOWNLOAD,
            trigger=JobRun.Trigger.SCHEDULE,
            status=status,
            started_at=timezone.now() - timedelta(days=days),
            finished_at=timezone.now() - timedelta(days=days),
        )

    def prune(self) -> JobRun:
        schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=JOB_RUN_CLEANUP
        )
        claimed_at = schedule_claim_now(schedule=schedule)
        return schedule_run(schedule_id=schedule.id, claimed_at=claimed_at, trigger="manual")

    def test_every_merchant_gets_a_schedule_for_it(self) -> None:
        schedule = ServiceSchedule.objects.get(
            merchant=self.charlies_merchant, cart=None, service=JOB_RUN_CLEANUP
        )
        self.assertEqual(schedule.frequency, Frequency.HOURS_12)

    def test_it_deletes_successes_after_30_days_and_failures_after_180(self) -> None:
        old_success = self.job_run(days=31)
        old_skip = self.job_run(days=31, status=JobRun.Status.SKIPPED)
        recent_success = self.job_run(days=29)
        failed = self.job_run(days=31, status=JobRun.Status.FAILED)
        old_failed = self.job_run(days=181, status=JobRun.Status.PARTIAL)
        still_running = self.job_run(days=400, status=JobRun.Status.RUNNING)
        run = self.prune()
        left = set(JobRun.objects.values_list("id", flat=True))
        self.assertNotIn(old_success.id, left)
        self.assertNotIn(old_skip.id, left)
        self.assertNotIn(old_failed.id, left)
        self.assertTrue({recent_success.id, failed.id, still_running.id, run.id} <= left)
        self.assertEqual(run.records_ok, 3)

    def test_it_follows_the_accounts_policy(self) -> None:
        self.alices_account.job_runs_kept_days = 60
        self.alices_account.failed_job_runs_kept_days = 10
        self.alices_account.save()
        success = self.job_run(days=31)
        failed = self.job_run(days=11, status=JobRun.Status.FAILED)
        self.prune()
        self.assertTrue(JobRun.objects.filter(id=success.id).exists())
        self.assertFalse(JobRun.objects.filter(id=failed.id).exists())

    def test_it_keeps_runs_that_something_links_to(self) -> None:
        by_event = self.job_run(days=100)
        order = create_order(self.cart, delivery_job_run=self.job_run(days=100))
        OrderEvent.objects.create(
            account=self.alices_account, merchant=self.bobs_merchant, order=order, job_run=by_event
        )
        last = self.job_run(days=100)
        schedule = ServiceSchedule.objects.get(cart=self.cart, service=ORDER_DOWNLOAD)
        ServiceSchedule.objects.filter(id=schedule.id).update(last_run=last)
        alerted = self.job_run(days=100)
        alerts_raise(
            account=self.alices_account,
            kind="cart_failing",
            subject="The store cannot be reached",
            message="See the run.",
            link=reverse("job_run_detail", args=[alerted.id]),
        )
        lonely = self.job_run(days=100)
        self.prune()
        left = set(JobRun.objects.values_list("id", flat=True))
        self.assertNotIn(lonely.id, left)
        self.assertTrue({by_event.id, order.delivery_job_run_id, last.id, alerted.id} <= left)

    def test_it_leaves_other_merchants_and_accounts_alone(self) -> None:
        other = self.job_run(days=100, merchant=self.other_merchant)
        charlies = self.job_run(days=100, merchant=self.charlies_merchant)
        self.prune()
        self.assertEqual(JobRun.objects.filter(id__in=[other.id, charlies.id]).count(), 2)

    def test_a_backlog_past_the_batch_limit_makes_the_run_due_again(self) -> None:
        for _ in range(5):
            self.job_run(days=100)
        with (
            mock.patch("jobs.retention.BATCH_SIZE", 2),
            mock.patch("jobs.retention.BATCHES_PER_RUN", 2),
        ):
            run = self.prune()
        self.assertEqual(run.records_ok, 4)
        schedule = ServiceSchedule.objects.get(id=run.schedule_id)
        self.assertLessEqual(schedule.next_run_at, timezone.now())
        self.assertEqual(
            JobRun.objects.filter(service=ORDER_DOWNLOAD, merchant=self.bobs_merchant).count(), 1
        )

    def test_the_delivery_service_name_is_not_special(self) -> None:
        # Every service's runs are pruned alike, merchant-level ones too.
        run = JobRun.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            service=ORDER_DELIVERY,
            trigger=JobRun.Trigger.AUTOMATIC,
            status=JobRun.Status.SUCCESS,
            started_at=timezone.now() - timedelta(days=40),
        )
        self.prune()
        self.assertFalse(JobRun.objects.filter(id=run.id).exists())
