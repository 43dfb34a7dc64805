"""The runner: a JobRun around every run; failures pause, alert and back off; nothing escapes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from unittest import mock

from django.utils import timezone

from alerts.models import Alert
from carts import services as cart_services
from carts.models import CartConnection
from jobs.dispatcher import schedule_claim_now
from jobs.models import JobRun, ServiceSchedule
from jobs.registry import service_spec
from jobs.runner import schedule_run
from jobs.services import schedules_trigger
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_wms
from wms.models import WmsConnection


class RunnerTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.wms = create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")

    def run_service(self, service: str, *, cart: CartConnection | None = None) -> JobRun:
        schedule = (
            ServiceSchedule.objects.get(cart=cart, service=service)
            if cart
            else ServiceSchedule.objects.get(
                merchant=self.bobs_merchant, cart=None, service=service
            )
        )
        claimed_at = schedule_claim_now(schedule=schedule)
        self.assertIsNotNone(claimed_at)
        run = schedule_run(schedule_id=schedule.id, claimed_at=claimed_at, trigger="manual")
        schedule.refresh_from_db()
        self.assertIsNone(schedule.running_since, "the claim is always released")
        self.assertEqual(schedule.last_run, run)
        return run

    def test_a_good_run_is_recorded(self) -> None:
        create_order(self.cart)
        run = self.run_service(ORDER_DELIVERY)
        self.assertEqual((run.status, run.records_ok), (JobRun.Status.SUCCESS, 1))
        self.assertEqual(run.message, "1 order(s) sent to the WMS.")
        self.assertIn("Order #1001 sent", run.log)
        self.assertIsNotNone(WmsConnection.objects.get().last_success_at)

    def test_refused_cart_credentials_pause_the_cart_until_they_are_saved_again(self) -> None:
        CartConnection.objects.filter(id=self.cart.id).update(credentials={"api_key": "nope"})
        run = self.run_service(ORDER_DOWNLOAD, cart=self.cart)
        self.assertEqual(run.status, JobRun.Status.FAILED)
        self.assertIn("refused the key", run.message)
        cart = CartConnection.objects.get(id=self.cart.id)
        self.assertIsNotNone(cart.paused_at)
        self.assertIn("refused the key", cart.last_error)
        alert = Alert.objects.get(kind="cart_auth")
        self.assertEqual(alert.link, f"/carts/{cart.id}/edit/")
        self.assertFalse(ServiceSchedule.objects.filter(cart=cart, enabled=True).exists())
        cart_services.cart_update(
            cart=cart,
            label=cart.label,
            order_source=cart.order_source,
            reference_prefix="BB-",
            reject_unmapped_ship_methods=False,
            inventory_location_id=None,
            settings={},
            credentials={"api_key": "sandbox-key"},
        )
        cart.refresh_from_db()
        self.assertIsNone(cart.paused_at)
        self.assertIsNotNone(Alert.objects.get(id=alert.id).resolved_at)
        self.assertEqual(ServiceSchedule.objects.filter(cart=cart, enabled=True).count(), 3)

    def test_a_wms_that_keeps_failing_backs_off_then_alerts_then_recovers(self) -> None:
        create_order(self.cart)
        WmsConnection.objects.filter(id=self.wms.id).update(
            settings={"misbehave": {"unavailable": True}}
        )
        schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=ORDER_DELIVERY
        )
        for failures in (1, 2, 3):
            before = timezone.now()
            run = self.run_service(ORDER_DELIVERY)
            schedule.refresh_from_db()
            self.assertEqual(schedule.consecutive_failures, failures)
            self.assertGreaterEqual(
                schedule.next_run_at, before + timedelta(minutes=2 ** (failures - 1))
            )
        self.assertIn("503", run.message)
        # Three failures within seconds are not "cannot be reached": that takes 15 minutes.
        self.assertFalse(Alert.objects.filter(kind="wms_failing").exists())
        WmsConnection.objects.filter(id=self.wms.id).update(
            last_success_at=timezone.now() - timedelta(minutes=16),
            verified_at=timezone.now() - timedelta(minutes=16),
        )
        self.run_service(ORDER_DELIVERY)
        alert = Alert.objects.get(kind="wms_failing", resolved_at=None)
        self.assertIn("cannot be reached", alert.subject)
        WmsConnection.objects.filter(id=self.wms.id).update(settings={})
        self.run_service(ORDER_DELIVERY)
        schedule.refresh_from_db()
        self.assertEqual(schedule.consecutive_failures, 0)
        self.assertFalse(Alert.objects.filter(kind="wms_failing", resolved_at=None).exists())

    def test_an_unexpected_error_is_recorded_not_raised(self) -> None:
        spec = service_spec(ORDER_DELIVERY)
        broken = dataclasses.replace(
            spec, run=mock.Mock(side_effect=ZeroDivisionError("boom")), on_success=None
        )
        with mock.patch.dict("jobs.registry.SERVICES", {ORDER_DELIVERY: broken}):
            run = self.run_service(ORDER_DELIVERY)
        self.assertEqual(run.status, JobRun.Status.FAILED)
        self.assertIn("unexpected error", run.message)
        self.assertIn("ZeroDivisionError", run.log)
        self.assertNotIn("boom", WmsConnection.objects.get().last_error)

    def test_a_claim_that_is_not_ours_does_nothing(self) -> None:
        schedule = ServiceSchedule.objects.get(cart=self.cart, service=ORDER_DOWNLOAD)
        self.assertIsNone(
            schedule_run(schedule_id=schedule.id, claimed_at=timezone.now(), trigger="manual")
        )
        self.assertFalse(JobRun.objects.exists())

    def test_an_automatic_trigger_during_a_run_runs_it_again_right_after(self) -> None:
        spec = service_spec(ORDER_DELIVERY)

        def run_and_get_news(schedule, recorder):  # type: ignore[no-untyped-def]
            schedules_trigger(service=ORDER_DELIVERY, merchant_id=schedule.merchant_id)

        busy = dataclasses.replace(spec, run=run_and_get_news, on_error=None, on_success=None)
        with mock.patch.dict("jobs.registry.SERVICES", {ORDER_DELIVERY: busy}):
            self.run_service(ORDER_DELIVERY)
        schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=ORDER_DELIVERY
        )
        self.assertLessEqual(schedule.next_run_at, timezone.now())
