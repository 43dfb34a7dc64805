"""Schedules and claims keep the database's time: a host whose clock jumped ahead neither
delays the work it makes due nor takes claims that are not due."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.db import connection
from django.utils import timezone

from jobs.clock import hub_now
from jobs.dispatcher import dispatch_tick
from jobs.models import ServiceSchedule
from jobs.services import schedules_trigger
from orders.jobs import SHIP_CONFIRM
from tests.base import BaseTestCase
from tests.objects import create_wms

JUMP = timedelta(minutes=10)


def database_now():  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


class JumpedClockTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=SHIP_CONFIRM
        )
        ServiceSchedule.objects.filter(id=self.schedule.id).update(
            frequency="automatic", next_run_at=database_now() + timedelta(hours=1)
        )
        ahead = timezone.now() + JUMP
        # This process's clock, ten minutes ahead; the database's stays right.
        patcher = mock.patch("django.utils.timezone.now", return_value=ahead)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_hub_now_is_the_databases_clock(self) -> None:
        self.assertLess(abs(hub_now() - database_now()), timedelta(seconds=5))
        self.assertGreater(timezone.now() - hub_now(), JUMP - timedelta(seconds=5))

    def test_work_made_due_by_a_host_whose_clock_is_ahead_is_due_now(self) -> None:
        schedules_trigger(service=SHIP_CONFIRM, merchant_id=self.bobs_merchant.id)
        self.schedule.refresh_from_db()
        self.assertLessEqual(self.schedule.next_run_at, database_now())

    def test_a_dispatcher_whose_clock_is_ahead_claims_only_what_is_due(self) -> None:
        ServiceSchedule.objects.exclude(id=self.schedule.id).update(
            next_run_at=database_now() + timedelta(minutes=5)
        )
        ServiceSchedule.objects.filter(id=self.schedule.id).update(
            next_run_at=database_now() - timedelta(seconds=1)
        )
        dispatched = dispatch_tick()
        self.assertEqual([schedule_id for schedule_id, _, _ in dispatched], [self.schedule.id])
