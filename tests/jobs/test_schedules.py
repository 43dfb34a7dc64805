from __future__ import annotations

import itertools
import zoneinfo
from datetime import UTC, datetime, time, timedelta

from django.test import SimpleTestCase, override_settings

from jobs.models import Frequency
from jobs.schedules import backoff, cleanup_run_after, daily_run_after, next_run_after
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD, SHIP_CONFIRM

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class DailyScheduleTests(SimpleTestCase):
    def test_it_runs_at_the_local_time_today_or_tomorrow(self) -> None:
        # 09:00 in New York is 14:00 UTC in winter.
        self.assertEqual(
            daily_run_after(utc(2026, 1, 15, 12), at=time(9), zone=NEW_YORK), utc(2026, 1, 15, 14)
        )
        self.assertEqual(
            daily_run_after(utc(2026, 1, 15, 14), at=time(9), zone=NEW_YORK), utc(2026, 1, 16, 14)
        )

    def test_it_follows_summer_time(self) -> None:
        # 09:00 EDT is 13:00 UTC.
        self.assertEqual(
            daily_run_after(utc(2026, 7, 1, 0), at=time(9), zone=NEW_YORK), utc(2026, 7, 1, 13)
        )

    def test_spring_forward_day(self) -> None:
        # 2026-03-08: New York skips 02:00-03:00. 09:00 still means 09:00 EDT (13:00 UTC)...
        self.assertEqual(
            daily_run_after(utc(2026, 3, 8, 5), at=time(9), zone=NEW_YORK), utc(2026, 3, 8, 13)
        )
        # ...the day before it was 14:00 UTC...
        self.assertEqual(
            daily_run_after(utc(2026, 3, 7, 5), at=time(9), zone=NEW_YORK), utc(2026, 3, 7, 14)
        )
        # ...and 02:30, which does not exist that day, runs once, at 03:30 EDT (07:30 UTC).
        run = daily_run_after(utc(2026, 3, 8, 5), at=time(2, 30), zone=NEW_YORK)
        self.assertEqual(run, utc(2026, 3, 8, 7, 30))
        self.assertEqual(run.astimezone(NEW_YORK).hour, 3)
        self.assertEqual(
            daily_run_after(run, at=time(2, 30), zone=NEW_YORK), utc(2026, 3, 9, 6, 30)
        )

    def test_fall_back_day(self) -> None:
        # 2026-11-01: 01:00-02:00 happens twice. 01:30 runs once, at its first occurrence (EDT).
        first = daily_run_after(utc(2026, 11, 1, 0), at=time(1, 30), zone=NEW_YORK)
        self.assertEqual(first, utc(2026, 11, 1, 5, 30))
        # Right after it, the next run is tomorrow's 01:30 EST, not the repeat an hour later.
        self.assertEqual(
            daily_run_after(first, at=time(1, 30), zone=NEW_YORK), utc(2026, 11, 2, 6, 30)
        )
        # 09:00 after the change is 14:00 UTC again.
        self.assertEqual(
            daily_run_after(utc(2026, 11, 1, 7), at=time(9), zone=NEW_YORK), utc(2026, 11, 1, 14)
        )

    def test_a_day_has_one_run_across_both_changes(self) -> None:
        for start in (utc(2026, 3, 6), utc(2026, 10, 30)):
            moment, runs = start, []
            for _ in range(5):
                moment = daily_run_after(moment, at=time(1, 30), zone=NEW_YORK)
                runs.append(moment.astimezone(NEW_YORK).date())
            self.assertEqual(len(set(runs)), 5, runs)
            self.assertEqual([(b - a).days for a, b in itertools.pairwise(runs)], [1, 1, 1, 1])


class NextRunTests(SimpleTestCase):
    def next_run(self, frequency: str, service: str = ORDER_DOWNLOAD, **kwargs):
        return next_run_after(
            utc(2026, 5, 1, 12),
            frequency=frequency,
            service=service,
            daily_at=kwargs.get("daily_at"),
            zone=NEW_YORK,
            seed=7,
        )

    def test_intervals(self) -> None:
        self.assertEqual(self.next_run(Frequency.MINUTES_5), utc(2026, 5, 1, 12, 5))
        self.assertEqual(self.next_run(Frequency.HOURS_6), utc(2026, 5, 1, 18))
        self.assertIsNone(self.next_run(Frequency.OFF))

    @override_settings(AUTOMATIC_POLL_SECONDS=60)
    def test_automatic_polls_sources_and_waits_for_events_elsewhere(self) -> None:
        self.assertEqual(self.next_run(Frequency.AUTOMATIC, SHIP_CONFIRM), utc(2026, 5, 1, 12, 1))
        # Delivery on Automatic runs on events; left alone it only has its cleanup runs.
        cleanup = self.next_run(Frequency.AUTOMATIC, ORDER_DELIVERY)
        self.assertGreater(cleanup, utc(2026, 5, 1, 12))
        self.assertLessEqual(cleanup, utc(2026, 5, 2, 0))

    def test_cleanup_runs_twice_a_day_twelve_hours_apart(self) -> None:
        first = cleanup_run_after(utc(2026, 5, 1), seed=42, zone=NEW_YORK)
        second = cleanup_run_after(first, seed=42, zone=NEW_YORK)
        third = cleanup_run_after(second, seed=42, zone=NEW_YORK)
        self.assertEqual(second - first, timedelta(hours=12))
        self.assertEqual(third - second, timedelta(hours=12))
        # Schedules spread out instead of all retrying at the same minute.
        self.assertNotEqual(first, cleanup_run_after(utc(2026, 5, 1), seed=43, zone=NEW_YORK))

    def test_daily_needs_a_time(self) -> None:
        self.assertIsNone(self.next_run(Frequency.DAILY))
        self.assertEqual(self.next_run(Frequency.DAILY, daily_at=time(6)), utc(2026, 5, 2, 10))

    def test_backoff_doubles_up_to_an_hour(self) -> None:
        self.assertEqual(
            [backoff(n).total_seconds() / 60 for n in range(1, 9)], [1, 2, 4, 8, 16, 32, 60, 60]
        )
        self.assertEqual(backoff(0), timedelta(0))
