"""The peer of the dispatcher tick: django-celery-beat's DatabaseScheduler finding due work."""

from __future__ import annotations

import time
from datetime import datetime

from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule
from django_celery_beat.schedulers import DatabaseScheduler

from integration_manager.celery import app

# The task our dispatcher sends per claimed schedule: beat's rows name the same work.
TASK = "jobs.run_schedule"
NAME_PREFIX = "bench schedule "


def beat_find_due_seconds(total: int, due: int) -> float:
    """Seconds django-celery-beat takes, on a tick after (re)reading the table, to load `total`
    periodic tasks and evaluate each one, `due` of which are due now."""
    # One interval row shared by every task: beat's admin picks from the existing intervals,
    # so a project holds a handful of them, not one per task.
    interval, _ = IntervalSchedule.objects.get_or_create(every=15, period=IntervalSchedule.MINUTES)
    _periodic_tasks(interval, total=total, due=due, now=timezone.now())
    try:
        elapsed, found = _find_due()
    finally:
        _delete_periodic_tasks(interval)
    if found != due:
        raise RuntimeError(f"beat found {found:,} due of {total:,}, expected {due:,}")
    return elapsed


def _find_due() -> tuple[float, int]:
    # lazy=True skips setup_schedule(), which would write the project's CELERY_BEAT_SCHEDULE
    # into beat's table; the first read of `schedule` below is the same initial read.
    scheduler = DatabaseScheduler(app=app, lazy=True)
    started = time.perf_counter()
    # Beat's tick() rebuilds its heap whenever the schedule was (re)read: at start, after any
    # edit of a periodic task and on the forced full sync every 5 minutes. The rebuild is
    # `schedule` (all_as_schedule(): every enabled row and a ModelEntry for each) and then
    # populate_heap(), which calls is_due() on every entry. Only after that does tick() send
    # the task at the top of the heap, so this is all the work of finding what is due; the
    # sending is left out, as it would publish to the broker.
    scheduler.schedule  # noqa: B018  (the property does the database read)
    scheduler.populate_heap()
    elapsed = time.perf_counter() - started
    # A due entry is heaped at "now", the others at their next run, minutes away.
    found = sum(1 for event in scheduler._heap if event.time <= time.time())
    # Beat's exit hook holds the scheduler, and so every entry, until the process exits.
    scheduler._finalize()
    return elapsed, found


def _periodic_tasks(interval: IntervalSchedule, *, total: int, due: int, now: datetime) -> None:
    # The due ones ran 16 minutes ago; the rest within the last 10, spread as real ones are.
    # At least 5 minutes from due: reading a million rows takes beat minutes, and rows that
    # fall due while it reads would be counted as due.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO django_celery_beat_periodictask (name, task, args, kwargs, headers,
                enabled, last_run_at, total_run_count, date_changed, description, interval_id,
                one_off)
            SELECT %s || n, %s, '[]', '{"schedule_id": ' || n || '}', '{}', true,
                   CASE WHEN n <= %s THEN %s::timestamptz - interval '16 minutes'
                        ELSE %s::timestamptz - (n %% 10) * interval '1 minute' END,
                   1, now(), '', %s, false
            FROM generate_series(1, %s) AS n
            """,
            [NAME_PREFIX, TASK, due, now, now, interval.id, total],
        )
        cursor.execute("ANALYZE django_celery_beat_periodictask")


def _delete_periodic_tasks(interval: IntervalSchedule) -> None:
    # In SQL: the ORM's delete() sends a signal per row, which beat turns into a write each.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_celery_beat_periodictask WHERE name LIKE %s",
            [NAME_PREFIX + "%"],
        )
    interval.delete()
