"""The dispatcher: claims due schedules atomically and enqueues one run per claimed schedule."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F, Q

from jobs.clock import hub_now
from jobs.models import Frequency, Heartbeat, JobRun, ServiceSchedule
from jobs.ownership import schedules_unowned
from jobs.registry import PERIODIC
from jobs.schedules import backoff, schedule_next_run

logger = logging.getLogger(__name__)

DISPATCHER_HEARTBEAT = "dispatcher"
CLAIM_LIMIT = 500
# A tick claims at most this many rounds (20,000 runs); more wait for the next tick.
MAX_CLAIM_ROUNDS = 40


def _trigger_for(schedule: ServiceSchedule) -> str:
    if schedule.frequency == Frequency.AUTOMATIC:
        return JobRun.Trigger.AUTOMATIC
    return JobRun.Trigger.SCHEDULE


def _claim_fields(now: datetime) -> dict[str, object]:
    # The claim's task is sent right after the claim commits: count that send now.
    return {"running_since": now, "run_started_at": None, "enqueued_at": now, "enqueue_count": 1}


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
                schedules.filter(id__in=ids).update(next_run_at=next_run_at, **_claim_fields(now))
            claimed = [(schedule.id, now, _trigger_for(schedule)) for schedule in rows]
        else:
            for schedule in due[:limit]:
                won = schedules.filter(
                    id=schedule.id, running_since=None, next_run_at=schedule.next_run_at
                ).update(next_run_at=schedule_next_run(schedule, now), **_claim_fields(now))
                if won:
                    claimed.append((schedule.id, now, _trigger_for(schedule)))
    return claimed


def schedule_claim_now(*, schedule: ServiceSchedule) -> datetime | None:
    """Claim one schedule for a manual run, whatever its frequency; None if it is running."""
    now = hub_now()
    won = ServiceSchedule.objects.filter(id=schedule.id, running_since=None).update(
        running_since=now, run_started_at=None, enqueued_at=now, enqueue_count=1
    )
    return now if won else None


def claim_send(*, schedule_id: int, claimed_at: datetime, trigger: str) -> bool:
    """Send the task of one claim; False when the broker could not take it."""
    return _claim_tasks_send([(schedule_id, claimed_at, trigger)]) == 1


def claims_send(claims: list[tuple[int, datetime, str]]) -> int:
    """Send a task per claim, in order; return how many were sent. A claim is never left
    without its task: the claims the broker did not take for sure are given back, due, for
    the next tick.

    Of a Redis pipeline that failed some messages may have arrived although their claims
    are given back: such a task finds its claim gone and exits without running
    (jobs/runner.py), as a copy of a task always does.
    """
    sent = _claim_tasks_send(claims)
    if sent < len(claims):
        claims_unsend(claims[sent:])
        logger.warning(
            "the broker took %s of %s task(s); %s claim(s) given back",
            sent,
            len(claims),
            len(claims) - sent,
        )
    return sent


def _claim_tasks_send(claims: list[tuple[int, datetime, str]]) -> int:
    from jobs.broker import tasks_send
    from jobs.tasks import run_schedule_task  # tasks import us

    # One message per claim, never one for several: each run goes to whichever worker is free.
    return tasks_send(
        run_schedule_task,
        kwargs_list=[
            {"schedule_id": schedule_id, "claimed_at": claimed_at.isoformat(), "trigger": trigger}
            for schedule_id, claimed_at, trigger in claims
        ],
    )


def claim_unsend(*, schedule_id: int, claimed_at: datetime) -> None:
    """Give back a claim whose task was never sent; it is due again at once."""
    claims_unsend([(schedule_id, claimed_at, "")])


def claims_unsend(claims: list[tuple[int, datetime, str]]) -> None:
    """Give back claims whose tasks were not sent for sure; each is due again at once.

    One statement per claim time, and a tick's claims share theirs. A claim whose run has
    started (its task did arrive) is left to that run.
    """
    by_claim_time: dict[datetime, list[int]] = defaultdict(list)
    for schedule_id, claimed_at, _ in claims:
        by_claim_time[claimed_at].append(schedule_id)
    for claimed_at, ids in by_claim_time.items():
        ServiceSchedule.objects.filter(
            id__in=ids, running_since=claimed_at, run_started_at=None
        ).update(running_since=None, enqueued_at=None, enqueue_count=0, next_run_at=claimed_at)


# A claim whose task has not started this long after it was sent (doubling with each send)
# is sent again: the message may have been lost with the broker, or its task may have
# failed before it started. After MAX_SENDS sends (about a quarter of an hour) it is given
# up as a failed run, so a schedule never waits silently.
RESEND_AFTER = timedelta(seconds=60)
MAX_SENDS = 5
NOT_STARTED = (
    "The run did not start: its task was sent {sends} times and no worker ran it. Check that "
    "the workers are running and can reach the broker; the hub tries again."
)
UNSENDABLE = (
    "The run's task could not be sent again: the broker is not reachable. The hub tries again."
)


def resend_after(sends: int) -> timedelta:
    return RESEND_AFTER * 2 ** max(0, sends - 1)


def schedules_reap(*, now: datetime) -> int:
    """Take over claims that no live run owns; returns how many were taken over or given up.

    A started claim whose run lock is free died with its worker: its run is closed as failed
    and the schedule is due again (at once the first time, then on the back-off). A claim
    whose task never started is sent again, then given up visibly.
    """
    claims = list(
        ServiceSchedule.objects.filter(running_since__isnull=False).values_list(
            "id", "running_since", "run_started_at", "enqueued_at", "enqueue_count"
        )
    )
    started = {row[0]: row[1] for row in claims if row[2] is not None}
    queued = {
        row[0]: (row[1], row[4])
        for row in claims
        if row[2] is None and (row[3] is None or now - row[3] >= resend_after(row[4]))
    }
    taken = 0
    resend: list[tuple[int, datetime]] = []
    with schedules_unowned([*started, *queued]) as free:
        for schedule_id in free & started.keys():
            taken += _take_over(schedule_id, started[schedule_id], now=now)
        for schedule_id in free & queued.keys():
            claimed_at, sends = queued[schedule_id]
            if sends < MAX_SENDS:
                resend.append((schedule_id, claimed_at))
            else:
                taken += _give_up_unowned(schedule_id, claimed_at, sends=sends, now=now)
    # Sent once the locks are given back: a worker that takes the task at once must find
    # the run lock free, or it exits as a copy and the claim waits another interval.
    unsent = [claim for claim in resend if not _resend(*claim, now=now)]
    if unsent:
        with schedules_unowned([schedule_id for schedule_id, _ in unsent]) as free:
            for schedule_id, claimed_at in unsent:
                if schedule_id in free:
                    taken += _give_up_unowned(schedule_id, claimed_at, sends=0, now=now)
    if taken:
        logger.warning("took over %s claim(s) that no live run owned", taken)
    return taken


def _take_over(schedule_id: int, claimed_at: datetime, *, now: datetime) -> int:
    """Close the run of a started claim whose lock is free (the caller holds it)."""
    from jobs.runner import claim_release, schedule_interrupted

    schedule = _claimed(schedule_id, claimed_at)
    if schedule is None:
        return 0
    with transaction.atomic():
        job_run, wait = schedule_interrupted(schedule, now=now)
        claim_release(schedule, claimed_at=claimed_at, job_run=job_run, next_run_at=now + wait)
    return 1


def _give_up_unowned(schedule_id: int, claimed_at: datetime, *, sends: int, now: datetime) -> int:
    """Give up a claim whose task never started (the caller holds its lock): sent too often,
    or the broker refused it (sends=0)."""
    schedule = _claimed(schedule_id, claimed_at)
    if schedule is None or schedule.run_started_at is not None:
        return 0
    message = NOT_STARTED.format(sends=sends) if sends >= MAX_SENDS else UNSENDABLE
    _give_up(schedule, claimed_at, message=message, now=now)
    return 1


def _claimed(schedule_id: int, claimed_at: datetime) -> ServiceSchedule | None:
    return (
        ServiceSchedule.objects.select_related("account", "merchant", "cart")
        .filter(id=schedule_id, running_since=claimed_at)
        .first()
    )


def _resend(schedule_id: int, claimed_at: datetime, *, now: datetime) -> bool:
    schedule = _claimed(schedule_id, claimed_at)
    if schedule is None or schedule.run_started_at is not None:
        return True  # it started or ended meanwhile: nothing to send
    if not claim_send(
        schedule_id=schedule_id, claimed_at=claimed_at, trigger=_trigger_for(schedule)
    ):
        return False
    ServiceSchedule.objects.filter(id=schedule_id, running_since=claimed_at).update(
        enqueued_at=now, enqueue_count=F("enqueue_count") + 1
    )
    logger.warning("schedule %s: its task had not started; sent it again", schedule_id)
    return True


@transaction.atomic
def _give_up(
    schedule: ServiceSchedule, claimed_at: datetime, *, message: str, now: datetime
) -> None:
    """Free a claim that never started, as a failed run people can see, with back-off."""
    from jobs.runner import claim_release, job_run_create, schedule_failure_count

    job_run = job_run_create(
        schedule,
        trigger=_trigger_for(schedule),
        status=JobRun.Status.FAILED,
        started_at=claimed_at,
        finished_at=now,
        message=message,
    )
    failures_before = schedule_failure_count(schedule, message=message)
    claim_release(
        schedule,
        claimed_at=claimed_at,
        job_run=job_run,
        next_run_at=now + backoff(failures_before + 1),
    )


def helpers_reap(*, now: datetime) -> int:
    """Close the helper runs whose worker died, and make their schedules due now: what the
    helper held is free, and the run it helped may have ended already."""
    from jobs.runner import helper_runs_close_dead

    schedule_ids = helper_runs_close_dead(JobRun.objects.all(), now=now)
    if schedule_ids:
        ServiceSchedule.objects.filter(id__in=schedule_ids).filter(
            Q(next_run_at__isnull=True) | Q(next_run_at__gt=now)
        ).update(next_run_at=now)
    return len(schedule_ids)


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
    """One tick: heartbeat, take over dead claims, claim what is due and send a task for
    each claim, then the periodic chores apps registered (jobs/registry.py)."""
    now = now or hub_now()
    heartbeat_beat(DISPATCHER_HEARTBEAT, now)
    schedules_reap(now=now)
    helpers_reap(now=now)
    dispatched: list[tuple[int, datetime, str]] = []
    # A full claim means more are due: claim again now rather than a whole tick later.
    for _ in range(MAX_CLAIM_ROUNDS):
        claimed = schedules_claim_due(now=now)
        sent = claims_send(claimed)
        dispatched += claimed[:sent]
        if len(claimed) < CLAIM_LIMIT or sent < len(claimed):
            break
    if dispatched:
        logger.info("dispatched %s job(s)", len(dispatched))
    for chore in PERIODIC.values():
        chore(now)
    return dispatched
