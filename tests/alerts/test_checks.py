"""Alerts no single run raises: unreachable after a time, a stopped scheduler, stuck orders."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import merchant_create
from alerts.checks import orders_stuck_check, scheduler_check
from alerts.models import Alert, AlertKind
from carts.models import CartConnection
from carts.outcomes import cart_run_failed, cart_run_succeeded
from integration_manager.connector_errors import AuthError, RateLimited, TransientError
from jobs.dispatcher import DISPATCHER_HEARTBEAT, heartbeat_beat
from jobs.models import Frequency, Heartbeat, JobRun, ServiceSchedule
from jobs.registry import PERIODIC
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD
from orders.models import Order
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_wms
from wms.connectors.api_access import API_ACCESS_KEY
from wms.models import WmsConnection

DOWN = TransientError("The cart answered HTTP 503. The hub will try again.")


class UnreachableTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.schedule = ServiceSchedule.objects.get(cart=self.cart, service=ORDER_DOWNLOAD)

    def worked(self, minutes_ago: float | None) -> None:
        at = None if minutes_ago is None else timezone.now() - timedelta(minutes=minutes_ago)
        CartConnection.objects.filter(id=self.cart.id).update(last_success_at=at, verified_at=at)

    def failing_alerts(self):  # type: ignore[no-untyped-def]
        return Alert.objects.filter(kind=AlertKind.CART_FAILING, resolved_at=None)

    def test_it_alerts_after_15_minutes_without_success_not_after_a_count_of_runs(self) -> None:
        self.worked(minutes_ago=5)
        for _ in range(5):  # five quick failures: a blip, retried
            cart_run_failed(self.schedule, DOWN)
        self.assertFalse(self.failing_alerts().exists())
        self.worked(minutes_ago=16)
        cart_run_failed(self.schedule, DOWN)
        alert = self.failing_alerts().get()
        self.assertEqual(alert.subject, "Bob's Bikes store cannot be reached")
        self.assertIn("HTTP 503", alert.message)
        self.assertIn("Check that the store is online", alert.message)
        self.assertEqual(alert.link, reverse("cart_detail", args=[self.cart.id]))
        self.assertEqual((alert.merchant, alert.cart), (self.bobs_merchant, self.cart))

    def test_a_daily_schedule_alerts_on_its_first_failure(self) -> None:
        ServiceSchedule.objects.filter(id=self.schedule.id).update(
            frequency=Frequency.DAILY, daily_at="06:30"
        )
        self.worked(minutes_ago=24 * 60)  # yesterday's run
        cart_run_failed(self.schedule, DOWN)
        self.assertTrue(self.failing_alerts().exists())

    def test_a_cart_that_never_worked_counts_from_its_first_failed_run(self) -> None:
        self.worked(minutes_ago=None)
        cart_run_failed(self.schedule, DOWN)
        self.assertFalse(self.failing_alerts().exists())  # its first failure
        JobRun.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            cart=self.cart,
            schedule=self.schedule,
            service=ORDER_DOWNLOAD,
            trigger="schedule",
            status=JobRun.Status.FAILED,
            started_at=timezone.now() - timedelta(minutes=20),
        )
        cart_run_failed(self.schedule, DOWN)
        self.assertTrue(self.failing_alerts().exists())

    def test_a_slow_down_is_not_unreachable_and_refused_credentials_alert_at_once(self) -> None:
        self.worked(minutes_ago=60)
        cart_run_failed(self.schedule, RateLimited("Slow down.", retry_after=30))
        self.assertFalse(self.failing_alerts().exists())
        self.worked(minutes_ago=0)
        cart_run_failed(self.schedule, AuthError("The cart refused the key."))
        self.assertTrue(Alert.objects.filter(kind=AlertKind.CART_AUTH).exists())

    def test_the_next_success_resolves_it(self) -> None:
        self.worked(minutes_ago=30)
        cart_run_failed(self.schedule, DOWN)
        cart_run_failed(self.schedule, DOWN)
        self.assertEqual(self.failing_alerts().get().count, 2)  # one alert, counted
        cart_run_succeeded(self.schedule)
        self.assertFalse(self.failing_alerts().exists())
        self.assertIsNotNone(Alert.objects.get(kind=AlertKind.CART_FAILING).resolved_at)


@override_settings(ALERT_SCHEDULER_CHECK=True)
class SchedulerStoppedTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        cache.clear()  # the check's once-a-minute mark of an earlier test
        create_cart(self.bobs_merchant, prefix="BB-")  # enabled schedules in alice's account
        # Charlie's account runs nothing: nothing of it is stopped.
        ServiceSchedule.objects.filter(account=self.charlies_account).update(enabled=False)

    def stopped_alerts(self):  # type: ignore[no-untyped-def]
        return Alert.objects.filter(kind=AlertKind.SCHEDULER_STOPPED, resolved_at=None)

    def test_it_is_raised_from_the_alerts_page_and_resolved_by_the_next_tick(self) -> None:
        heartbeat_beat(DISPATCHER_HEARTBEAT, timezone.now() - timedelta(minutes=2))
        self.assertEqual(scheduler_check(), 0)  # a tick two minutes ago: running
        heartbeat_beat(DISPATCHER_HEARTBEAT, timezone.now() - timedelta(minutes=10))
        self.assertEqual(scheduler_check(), 0)  # checked less than a minute ago
        self.client.force_login(self.alice)
        cache.clear()
        page = self.client.get(reverse("alert_list"))
        self.assertContains(page, "The scheduler stopped")
        alert = self.stopped_alerts().get()
        self.assertEqual(alert.account, self.alices_account)
        self.assertIsNone(alert.merchant)
        self.assertIn("beat and worker", alert.message)
        cache.clear()
        self.assertEqual(scheduler_check(), 0)  # already open: no second alert
        self.assertEqual(self.stopped_alerts().get().count, 1)

        PERIODIC["alerts_scheduler_resumed"](timezone.now())  # the dispatcher ticks again
        self.assertFalse(self.stopped_alerts().exists())

    def test_a_scheduler_that_never_ticked_is_stopped(self) -> None:
        Heartbeat.objects.filter(name=DISPATCHER_HEARTBEAT).delete()
        self.assertEqual(scheduler_check(), 1)
        self.assertIn("since the hub was started", self.stopped_alerts().get().message)


class OrdersStuckTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.delivery = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=ORDER_DELIVERY
        )
        self.now = timezone.now()

    def stuck(self):  # type: ignore[no-untyped-def]
        return Alert.objects.filter(kind=AlertKind.ORDERS_STUCK, resolved_at=None)

    def test_new_orders_past_their_delivery_plus_grace_raise_one_alert_with_the_count(
        self,
    ) -> None:
        old = self.now - timedelta(minutes=61)  # Automatic: due at once, plus 60 of grace
        first = create_order(self.cart, number=1, created_at=old)
        create_order(self.cart, number=2, created_at=old)
        create_order(self.cart, number=3, created_at=self.now - timedelta(minutes=30))
        create_order(self.cart, number=4, created_at=old, sending_canceled=True)
        orders_stuck_check(now=self.now)
        alert = self.stuck().get()
        self.assertEqual(alert.subject, "2 new order(s) of Bob's Bikes not sent to the WMS")
        self.assertEqual(alert.merchant, self.bobs_merchant)
        self.assertEqual(alert.link, f"/orders/?status=new&merchant={self.bobs_merchant.id}")
        orders_stuck_check(now=self.now)  # the same orders: nothing new
        self.assertEqual(self.stuck().get().count, 1)

        Order.objects.filter(id=first.id).update(status="at_wms", delivered_at=self.now)
        orders_stuck_check(now=self.now)
        self.assertIn("1 new order(s)", self.stuck().get().subject)
        Order.objects.filter(status="new").update(status="at_wms", delivered_at=self.now)
        orders_stuck_check(now=self.now)
        self.assertFalse(self.stuck().exists())  # resolved: none left

    def test_orders_a_pulling_warehouse_has_not_taken_say_so(self) -> None:
        WmsConnection.objects.filter(account=self.alices_account).update(
            connector_key=API_ACCESS_KEY
        )
        create_order(self.cart, number=1, created_at=self.now - timedelta(minutes=61))
        orders_stuck_check(now=self.now)
        alert = self.stuck().get()
        self.assertEqual(
            alert.subject, "1 new order(s) of Bob's Bikes not taken by the warehouse's system"
        )
        self.assertIn("check that the warehouse's system is calling the API", alert.message)

    def test_a_schedule_waits_its_interval_and_off_is_never_stuck(self) -> None:
        ServiceSchedule.objects.filter(id=self.delivery.id).update(frequency=Frequency.HOURS_2)
        create_order(self.cart, created_at=self.now - timedelta(minutes=150))
        orders_stuck_check(now=self.now)
        self.assertFalse(self.stuck().exists())  # 2 h + 60 min not yet passed
        orders_stuck_check(now=self.now + timedelta(minutes=40))
        self.assertTrue(self.stuck().exists())
        ServiceSchedule.objects.filter(id=self.delivery.id).update(
            frequency=Frequency.OFF, enabled=False
        )
        orders_stuck_check(now=self.now + timedelta(minutes=40))
        self.assertFalse(self.stuck().exists())

    def test_merchants_without_new_orders_cost_no_query_each(self) -> None:
        create_order(self.cart, number=1, created_at=self.now - timedelta(minutes=61))
        orders_stuck_check(now=self.now)  # raises the alert; the checks below find it raised
        with CaptureQueriesContext(connection) as few:
            orders_stuck_check(now=self.now)
        for number in range(20):
            merchant_create(account=self.alices_account, name=f"Quiet {number}")
        with CaptureQueriesContext(connection) as many:
            orders_stuck_check(now=self.now)
        self.assertEqual(len(many), len(few))

    def test_orders_at_the_wms_longer_than_the_accounts_days_are_stuck(self) -> None:
        self.alices_account.stuck_at_wms_days = 3
        self.alices_account.save()
        create_order(self.cart, number=1, status="at_wms", delivered_at=self.now - timedelta(4))
        create_order(self.cart, number=2, status="at_wms", delivered_at=self.now - timedelta(2))
        orders_stuck_check(now=self.now)
        alert = self.stuck().get()
        self.assertEqual(alert.subject, "1 order(s) of Bob's Bikes at the WMS for over 3 days")
        self.assertIn("status=at_wms", alert.link)
        Order.objects.filter(status="at_wms").update(status="shipped")
        orders_stuck_check(now=self.now)
        self.assertFalse(self.stuck().exists())

    def test_the_tick_counts_at_most_every_five_minutes(self) -> None:
        create_order(self.cart, created_at=self.now - timedelta(hours=3))
        chore = PERIODIC["alerts_orders_stuck"]
        chore(self.now - timedelta(minutes=2))
        self.assertTrue(self.stuck().exists())
        Order.objects.update(status="at_wms", delivered_at=self.now)
        chore(self.now)  # two minutes later: not again yet
        self.assertTrue(self.stuck().exists())
        chore(self.now + timedelta(minutes=4))
        self.assertFalse(self.stuck().exists())
