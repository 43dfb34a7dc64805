from __future__ import annotations

from datetime import time

from django.urls import reverse

from jobs.models import Frequency, JobRun, ServiceSchedule
from orders.jobs import ORDER_DOWNLOAD
from tests.base import BaseTestCase
from tests.objects import create_cart


class ScheduleViewTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.schedule = ServiceSchedule.objects.get(cart=self.cart, service=ORDER_DOWNLOAD)
        self.client.force_login(self.bob)

    def test_bob_sets_a_daily_download(self) -> None:
        url = reverse("schedule_update", args=[self.schedule.id])
        back = reverse("cart_detail", args=[self.cart.id])
        response = self.client.post(
            url, {"frequency": "daily", "daily_at": "06:30", "next": back}, follow=True
        )
        self.assertRedirects(response, back)
        self.assertContains(response, "Order download now runs: daily at 06:30 (America/New_York)")
        self.schedule.refresh_from_db()
        self.assertEqual(
            (self.schedule.frequency, self.schedule.daily_at), (Frequency.DAILY, time(6, 30))
        )
        self.assertEqual(
            self.schedule.next_run_at.astimezone(self.alices_account.zone).time(), time(6, 30)
        )

    def test_a_daily_run_needs_a_time_and_nothing_changes_without_one(self) -> None:
        response = self.client.post(
            reverse("schedule_update", args=[self.schedule.id]), {"frequency": "daily"}, follow=True
        )
        self.assertContains(response, "Choose the time of day")
        self.schedule.refresh_from_db()
        self.assertEqual(self.schedule.frequency, Frequency.AUTOMATIC)

    def test_off_disables_and_run_now_still_works(self) -> None:
        self.client.post(reverse("schedule_update", args=[self.schedule.id]), {"frequency": "off"})
        self.schedule.refresh_from_db()
        self.assertFalse(self.schedule.enabled)
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            response = self.client.post(
                reverse("schedule_run", args=[self.schedule.id]), follow=True
            )
        self.assertContains(response, "Order download started")
        self.assertEqual(len(callbacks), 1)  # the task is sent once the claim is committed
        self.schedule.refresh_from_db()
        self.assertIsNotNone(self.schedule.running_since)
        again = self.client.post(reverse("schedule_run", args=[self.schedule.id]), follow=True)
        self.assertContains(again, "is running already")

    def test_an_outside_next_is_ignored(self) -> None:
        response = self.client.post(
            reverse("schedule_update", args=[self.schedule.id]),
            {"frequency": "1h", "next": "https://evil.example/"},
        )
        self.assertEqual(response.url, reverse("dashboard"))


class JobRunViewTests(BaseTestCase):
    def test_the_list_and_the_log(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        run = JobRun.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            cart=cart,
            service=ORDER_DOWNLOAD,
            trigger="manual",
            status="partial",
            message="3 new order(s)",
            log="12:00:00 Order #1 skipped: no lines",
        )
        JobRun.objects.create(
            account=self.charlies_account,
            merchant=self.charlies_merchant,
            service=ORDER_DOWNLOAD,
            trigger="manual",
            message="charlies run",
        )
        self.client.force_login(self.bob)
        listing = self.client.get(reverse("job_run_list"))
        self.assertContains(listing, "3 new order(s)")
        self.assertNotContains(listing, "charlies run")
        self.assertContains(
            self.client.get(reverse("job_run_list"), {"status": "failed"}), "No runs match"
        )
        detail = self.client.get(reverse("job_run_detail", args=[run.id]))
        self.assertContains(detail, "Order #1 skipped: no lines")
