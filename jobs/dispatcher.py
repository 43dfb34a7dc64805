"""The dispatcher: claims due schedules atomically and enqueues one run per claimed schedule."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from jobs.models import Frequency, Heartbeat, JobRun, ServiceSchedule
from jobs.schedules import schedule_next_run

logger = logging.getLogger(__name__)

DISPATCHER_HEARTBEAT = "dispatcher"
CLAIM_LIMIT = 500


def _trigger_for(schedule: ServiceSchedule) -> str:
    if schedule.frequency == Frequency.AUTOMATIC:
        return JobRun.Trigger.AUTOMATIC
    return JobRun.Trigger.SCHEDULE


def schedules_claim_due(
    *, now: datetime, limit: int = CLAIM_LIMIT, using: str = DEFAULT_DB_ALIAS
) -> list[tuple[int, datetime, str]]:
    """Claim up to `limit` due schedules: (id, claimed_at, trigger) for each one claimed.

    A claim sets running_since and moves next_run_at on, in one transaction. PostgreSQL
    locks the due rows with FOR UPDATE SKIP LOCKED, so a second dispatcher skips them;
    SQLite has one writer at a time, and each row is taken with a compare-and-swap update
    whose WHERE clause re-checks that nobody claimed it first.
    """
    schedules = ServiceSchedule.objects.using(using)
    due = (
        schedules.filter(enabled=True, running_since=None, next_run_at__lte=now)
        .select_related("account")
        .order_by("next_run_at")
    )
    claimed: list[tuple[int, datetime, str]] = []
    with transaction.atomic(using=using):
        if connections[using].vendor == "postgresql":
            rows = list(due.select_for_update(skip_locked=True, of=("self",))[:limit])
            # One UPDATE per distinct next run: schedules on the same interval share one.
            groups: dict[datetime | None, list[int]] = defaultdict(list)
            for schedule in rows:
                groups[schedule_next_run(schedule, now)].append(schedule.id)
            for next_run_at, ids in groups.items():
                schedules.filter(id__in=ids).update(running_since=now, next_run_at=next_run_at)
            claimed = [(schedule.id, now, _trigger_for(schedule)) for schedule in rows]
        else:
            for schedule in due[:limit]:
                won = schedules.filter(
                    id=schedule.id, running_since=None, next_run_at=schedule.next_run_at
                ).update(running_since=now, next_run_at=schedule_next_run(schedule, now))
                if won:
                    claimed.append((schedule.id, now, _trigger_for(schedule)))
    return claimed


def schedule_claim_now(*, schedule: ServiceSchedule) -> datetime | None:
    """Claim one schedule for a manual run, whatever its frequency; None if it is running."""
    now = timezone.now()
    won = ServiceSchedule.objects.filter(id=schedule.id, running_since=None).update(
        running_since=now
    )
    return now if won else None


def reap_after() -> timedelta:
    # A run cannot outlive the task's hard time limit, so a claim older than that (plus a
    # margin) belongs to a worker that died.
    return timedelta(seconds=settings.JOB_REAP_AFTER_SECONDS)


def schedules_reap(*, now: datetime) -> int:
    """Free schedules whose run died with its worker, and close that run as failed."""
    cutoff = now - reap_after()
    stale = list(
        ServiceSchedule.objects.filter(running_since__lt=cutoff).values_list("id", flat=True)
    )
    if not stale:
        return 0
    JobRun.objects.filter(schedule_id__in=stale, status=JobRun.Status.RUNNING).update(
        status=JobRun.Status.FAILED,
        finished_at=now,
        message="The worker stopped before this run finished. The next run picks up from here.",
    )
    freed = ServiceSchedule.objects.filter(id__in=stale, running_since__lt=cutoff).update(
        running_since=None
    )
    logger.warning("freed %s schedule(s) whose worker stopped", freed)
    return freed


def heartbeat_beat(name: str, now: datetime) -> None:
    if not Heartbeat.objects.filter(name=name).update(beat_at=now):
        Heartbeat.objects.get_or_create(name=name, defaults={"beat_at": now})


def dispatcher_last_tick() -> datetime | None:
    return (
        Heartbeat.objects.filter(name=DISPATCHER_HEARTBEAT)
        .values_list("beat_at", flat=True)
        .first()
    )


def dispatch_tick(*, now: datetime | None = None) -> list[tuple[int, datetime, str]]:
    """One tick: heartbeat, reap, claim what is due, and enqueue a run for each claim."""
    from jobs.tasks import run_schedule_task  # tasks import us

    now = now or timezone.now()
    heartbeat_beat(DISPATCHER_HEARTBEAT, now)
    schedules_reap(now=now)
    claimed = schedules_claim_due(now=now)
    for schedule_id, claimed_at, trigger in claimed:
        run_schedule_task.apply_async(
            kwargs={
                "schedule_id": schedule_id,
                "claimed_at": claimed_at.isoformat(),
                "trigger": trigger,
            }
        )
    if claimed:
        logger.info("dispatched %s job(s)", len(claimed))
    return claimed
