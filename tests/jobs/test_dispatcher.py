"""The dispatcher's claim on PostgreSQL (two at once) and on SQLite (compare-and-swap)."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import connection, connections
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, Merchant
from jobs.broker import BATCH_SIZE
from jobs.dispatcher import (
    CLAIM_LIMIT,
    claims_send,
    claims_unsend,
    dispatch_tick,
    dispatcher_last_tick,
    schedules_claim_due,
)
from jobs.models import Frequency, JobRun, ServiceSchedule
from jobs.runner import schedule_run
from orders.jobs import ORDER_DELIVERY
from tests.base import TenantsMixin
from tests.brokers import broker_at, closed_port_url
from tests.jobs.test_broker import PrivateBrokerMixin, after_messages, queued_kwargs, refuse_writes

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


class ClaimsSendTests(PrivateBrokerMixin, TenantsMixin, TestCase):
    """A task per claim, sent in batches; what the broker did not take for sure is given back."""

    def setUp(self) -> None:
        self.create_tenants()
        self.broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        self.broker.flushdb()
        self.addCleanup(self.broker.flushdb)

    def claim(self, count: int) -> list[tuple[int, datetime, str]]:
        make_schedules(self.bobs_merchant, count, due=True)
        return schedules_claim_due(now=timezone.now(), limit=count)

    def assert_sent(self, claims: list[tuple[int, datetime, str]], queue: redis.Redis) -> None:
        """Each claim is still held, and its one task waits in the queue."""
        self.assertEqual(
            queued_kwargs(queue),
            [
                {
                    "schedule_id": schedule_id,
                    "claimed_at": claimed_at.isoformat(),
                    "trigger": trigger,
                }
                for schedule_id, claimed_at, trigger in claims
            ],
        )
        held = ServiceSchedule.objects.filter(id__in=[claim[0] for claim in claims])
        self.assertEqual(held.filter(running_since=claims[0][1]).count(), len(claims))

    def assert_given_back(self, claims: list[tuple[int, datetime, str]]) -> None:
        claimed_at = claims[0][1]
        rows = ServiceSchedule.objects.filter(id__in=[claim[0] for claim in claims])
        self.assertEqual(
            list(rows.values_list("running_since", "enqueue_count", "next_run_at").distinct()),
            [(None, 0, claimed_at)],  # due again at once, as if never claimed
        )
        self.assertEqual(rows.count(), len(claims))

    def test_it_sends_a_task_per_claim_without_a_statement_per_claim(self) -> None:
        claims = self.claim(BATCH_SIZE * 2 + 50)
        with CaptureQueriesContext(connection) as statements:
            self.assertEqual(claims_send(claims), len(claims))
        self.assertEqual(len(statements.captured_queries), 0)
        self.assert_sent(claims, self.broker)

    def test_it_gives_back_exactly_the_claims_the_broker_did_not_take(self) -> None:
        server = self.private_broker()
        claims = self.claim(BATCH_SIZE * 2 + 50)
        # The broker refuses writes half-way through the second batch.
        with after_messages(BATCH_SIZE + BATCH_SIZE // 2, lambda: refuse_writes(server)):
            self.assertEqual(claims_send(claims), BATCH_SIZE)
        self.assert_sent(claims[:BATCH_SIZE], server.client())
        self.assert_given_back(claims[BATCH_SIZE:])
        later = claims[0][1] + timedelta(seconds=30)
        self.assertCountEqual(
            [claim[0] for claim in schedules_claim_due(now=later, limit=1000)],
            [claim[0] for claim in claims[BATCH_SIZE:]],
        )

    def test_it_gives_every_claim_of_a_tick_back_when_the_broker_is_away(self) -> None:
        due = make_schedules(self.bobs_merchant, 3, due=True)
        with broker_at(closed_port_url()):
            self.assertEqual(dispatch_tick(), [])
        rows = ServiceSchedule.objects.filter(id__in=due)
        self.assertEqual(rows.filter(running_since=None).count(), 3)
        self.assertEqual(rows.filter(next_run_at__lte=timezone.now()).count(), 3)

    def test_it_gives_claims_back_in_one_statement_however_many(self) -> None:
        few, many = self.claim(3), self.claim(30)
        with CaptureQueriesContext(connection) as for_few:
            claims_unsend(few)
        with CaptureQueriesContext(connection) as for_many:
            claims_unsend(many)
        self.assertEqual(len(for_few.captured_queries), 1)
        self.assertEqual(len(for_many.captured_queries), 1)
        self.assert_given_back(many)

    def test_it_leaves_nothing_to_run_for_a_task_whose_claim_was_given_back(self) -> None:
        # A failed pipeline may have delivered some of its messages; their claims are given
        # back all the same, and such a task must find nothing to run.
        [(schedule_id, claimed_at, trigger)] = self.claim(1)
        claims_unsend([(schedule_id, claimed_at, trigger)])
        run = schedule_run(schedule_id=schedule_id, claimed_at=claimed_at, trigger=trigger)
        self.assertIsNone(run)
        self.assertFalse(JobRun.objects.exists())
        self.assertIsNone(ServiceSchedule.objects.get(id=schedule_id).running_since)


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
