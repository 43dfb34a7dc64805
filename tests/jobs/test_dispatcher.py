"""The dispatcher's claim on PostgreSQL (two at once) and on SQLite (compare-and-swap)."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import redis
from django.conf import settings
from django.db import connection, connections
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, Merchant
from jobs.dispatcher import CLAIM_LIMIT, dispatch_tick, dispatcher_last_tick, schedules_claim_due
from jobs.models import Frequency, ServiceSchedule
from orders.jobs import ORDER_DELIVERY
from tests.base import TenantsMixin

NUMBERS = itertools.count()


def make_schedules(
    merchant: Merchant, count: int, *, due: bool, using: str = "default"
) -> list[int]:
    now = timezone.now()
    rows = [
        ServiceSchedule(
            account_id=merchant.account_id,
            merchant=merchant,
            service=ORDER_DELIVERY,
            frequency=Frequency.MINUTES_15,
            enabled=True,
            next_run_at=now - timedelta(seconds=5) if due else now + timedelta(hours=1),
        )
        for _ in range(count)
    ]
    # The unique (merchant, service) constraint allows one per merchant: one merchant each.
    created = []
    for row in rows:
        row.merchant = Merchant.objects.using(using).create(
            account_id=merchant.account_id, name=f"merchant {next(NUMBERS)}"
        )
        row.save(using=using)
        created.append(row.id)
    return created


class ClaimTests(TenantsMixin, TestCase):
    def setUp(self) -> None:
        self.create_tenants()

    def test_it_claims_due_schedules_and_moves_them_on(self) -> None:
        due = make_schedules(self.bobs_merchant, 3, due=True)
        make_schedules(self.bobs_merchant, 2, due=False)
        now = timezone.now()
        claimed = schedules_claim_due(now=now)
        self.assertCountEqual([row[0] for row in claimed], due)
        for schedule in ServiceSchedule.objects.filter(id__in=due):
            self.assertEqual(schedule.running_since, now)
            self.assertEqual(schedule.next_run_at, now + timedelta(minutes=15))
        self.assertEqual(schedules_claim_due(now=now), [])  # claimed ones are not due again

    def test_disabled_and_running_schedules_are_left_alone(self) -> None:
        ids = make_schedules(self.bobs_merchant, 2, due=True)
        ServiceSchedule.objects.filter(id=ids[0]).update(enabled=False)
        ServiceSchedule.objects.filter(id=ids[1]).update(running_since=timezone.now())
        self.assertEqual(schedules_claim_due(now=timezone.now()), [])

    def test_a_tick_reads_only_due_rows(self) -> None:
        make_schedules(self.bobs_merchant, 3, due=True)
        with CaptureQueriesContext(connection) as few:
            schedules_claim_due(now=timezone.now())
        make_schedules(self.bobs_merchant, 3, due=True)
        make_schedules(self.bobs_merchant, 40, due=False)
        with CaptureQueriesContext(connection) as more:
            schedules_claim_due(now=timezone.now())
        # The same statements however many schedules exist or are due (bulk update).
        self.assertEqual(len(few.captured_queries), len(more.captured_queries))
        claim = next(q["sql"] for q in more.captured_queries if "FOR UPDATE" in q["sql"])
        self.assertIn("SKIP LOCKED", claim)


class FullClaimTests(TenantsMixin, TestCase):
    def setUp(self) -> None:
        self.create_tenants()
        self.broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        self.broker.flushdb()
        self.addCleanup(self.broker.flushdb)

    def test_a_tick_claims_again_while_its_claims_come_back_full(self) -> None:
        due = make_schedules(self.bobs_merchant, CLAIM_LIMIT * 2 + 7, due=True)
        make_schedules(self.bobs_merchant, 5, due=False)
        dispatched = dispatch_tick()
        self.assertCountEqual([row[0] for row in dispatched], due)
        self.assertEqual(self.broker.llen("celery"), len(due))  # one task each, sent
        self.assertEqual(
            ServiceSchedule.objects.filter(id__in=due, running_since__isnull=True).count(), 0
        )


class SqliteClaimTests(TestCase):
    databases = {"default", "sqlite"}

    def test_the_compare_and_swap_claim_works_on_sqlite(self) -> None:
        account = Account.objects.using("sqlite").create(name="Embedded", kind="fulfillment")
        merchant = Merchant.objects.using("sqlite").create(account=account, name="Solo")
        due = make_schedules(merchant, 2, due=True, using="sqlite")
        make_schedules(merchant, 1, due=False, using="sqlite")
        now = timezone.now()
        claimed = schedules_claim_due(now=now, using="sqlite")
        self.assertCountEqual([row[0] for row in claimed], due)
        self.assertEqual(schedules_claim_due(now=now, using="sqlite"), [])
        self.assertEqual(
            ServiceSchedule.objects.using("sqlite").filter(running_since=now).count(), 2
        )


class ConcurrentDispatcherTests(TenantsMixin, TransactionTestCase):
    """Two dispatchers ticking at the same moment on PostgreSQL claim each due job once."""

    def test_two_dispatchers_claim_each_due_job_once(self) -> None:
        self.create_tenants()
        due = make_schedules(self.bobs_merchant, 60, due=True)
        results: list[list[int]] = [[], []]
        start = threading.Barrier(2)

        def tick(slot: int) -> None:
            try:
                start.wait()
                for _ in range(3):
                    results[slot] += [
                        row[0] for row in schedules_claim_due(now=timezone.now(), limit=25)
                    ]
            finally:
                connections.close_all()

        threads = [threading.Thread(target=tick, args=(slot,)) for slot in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        everything = results[0] + results[1]
        self.assertEqual(len(everything), len(set(everything)), "a job was claimed twice")
        self.assertCountEqual(everything, due)
        self.assertTrue(results[0] and results[1], "both dispatchers should have claimed some")


class HeartbeatTests(TenantsMixin, TestCase):
    def test_a_tick_leaves_a_heartbeat(self) -> None:
        from jobs.dispatcher import dispatch_tick

        self.assertIsNone(dispatcher_last_tick())
        dispatch_tick()
        self.assertIsNotNone(dispatcher_last_tick())
