"""When a schedule runs next: intervals, daily at a local time (DST-safe), Automatic."""

from __future__ import annotations

import hashlib
import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings

from jobs.models import Frequency, ServiceSchedule
from jobs.registry import service_spec

INTERVALS = {
    Frequency.MINUTES_5: timedelta(minutes=5),
    Frequency.MINUTES_10: timedelta(minutes=10),
    Frequency.MINUTES_15: timedelta(minutes=15),
    Frequency.MINUTES_30: timedelta(minutes=30),
    Frequency.HOURS_1: timedelta(hours=1),
    Frequency.HOURS_2: timedelta(hours=2),
    Frequency.HOURS_4: timedelta(hours=4),
    Frequency.HOURS_6: timedelta(hours=6),
    Frequency.HOURS_12: timedelta(hours=12),
}


# Back-off after consecutive failures: 1, 2, 4 ... minutes, at most an hour.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)


def daily_run_after(now: datetime, *, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first moment after `now` when the local clock in `zone` shows `at`.

    On the spring-forward day a time that does not exist (02:30) runs at the same offset
    from the change (03:30); on the fall-back day a time that happens twice runs once, at
    its first occurrence.
    """
    local_now = now.astimezone(zone)
    day = local_now.date()
    for _ in range(3):
        candidate = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first occurrence
        candidate_utc = candidate.astimezone(zoneinfo.ZoneInfo("UTC"))
        if candidate_utc > now:
            return candidate_utc
        day += timedelta(days=1)
    raise AssertionError("a daily time always comes round within three days")


def cleanup_run_after(now: datetime, *, seed: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """Automatic event-driven services also run twice a day to retry failed records, at two
    times 12 hours apart that differ per schedule (so they do not all run at once)."""
    minute_of_day = int(hashlib.sha256(str(seed).encode()).hexdigest(), 16) % (12 * 60)
    first = time(minute_of_day // 60, minute_of_day % 60)
    second = time(minute_of_day // 60 + 12, minute_of_day % 60)
    return min(
        daily_run_after(now, at=first, zone=zone), daily_run_after(now, at=second, zone=zone)
    )


def next_run_after(
    now: datetime,
    *,
    frequency: str,
    service: str,
    daily_at: time | None,
    zone: zoneinfo.ZoneInfo,
    seed: int,
) -> datetime | None:
    """When a schedule with this frequency runs next after `now`; None when it is off."""
    if frequency == Frequency.OFF:
        return None
    if frequency == Frequency.AUTOMATIC:
        # A service that can only learn of new data by asking (ServiceSpec.polled) polls.
        if service_spec(service).polled:
            return now + timedelta(seconds=settings.AUTOMATIC_POLL_SECONDS)
        return cleanup_run_after(now, seed=seed, zone=zone)
    if frequency == Frequency.DAILY:
        if daily_at is None:
            return None
        return daily_run_after(now, at=daily_at, zone=zone)
    return now + INTERVALS[Frequency(frequency)]


def backoff(consecutive_failures: int) -> timedelta:
    if consecutive_failures <= 0:
        return timedelta(0)
    return min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (consecutive_failures - 1))


def schedule_next_run(schedule: ServiceSchedule, now: datetime) -> datetime | None:
    """When this schedule runs next after `now`, in its account's time zone."""
    return next_run_after(
        now,
        frequency=schedule.frequency,
        service=schedule.service,
        daily_at=schedule.daily_at,
        zone=schedule.account.zone,
        seed=schedule.id,
    )
