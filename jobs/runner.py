"""Runs one claimed schedule: its run lock held for the run's life, a JobRun around the
service, then the claim released with the next run time."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from integration_manager.connector_errors import ConnectorError, RateLimited
from jobs.clock import hub_now
from jobs.models import JobRun, ServiceSchedule
from jobs.ownership import (
    HELPER_LOCK,
    OwnershipLost,
    RunInterrupted,
    RunLock,
    run_lock,
    schedules_unowned,
)
from jobs.recorder import RunRecorder
from jobs.registry import service_spec
from jobs.schedules import backoff

logger = logging.getLogger(__name__)

INTERRUPTED = (
    "The worker running this stopped before the run finished (it was killed, or lost its "
    "connection). The hub runs it again from what was saved."
)


def schedule_run(
    *, schedule_id: int, claimed_at: datetime, trigger: str, attempt: int = 1
) -> JobRun | None:
    """Run the service of a schedule this caller claimed; None when another run owns it or
    the claim is not ours any more.

    A copy of the task that the broker handed out again while its run lives finds the run
    lock taken and exits. Nothing a service raises escapes: connector errors and unexpected
    exceptions alike end in a failed JobRun with a message, and the schedule backs off.
    """
    with run_lock(schedule_id) as lock:
        if not lock.held:
            logger.info(
                "schedule %s: a live run owns it; this copy of claim %s exits",
                schedule_id,
                claimed_at,
            )
            return None
        return _run_owned(
            schedule_id=schedule_id,
            claimed_at=claimed_at,
            trigger=trigger,
            attempt=attempt,
            lock=lock,
        )


def _run_owned(
    *, schedule_id: int, claimed_at: datetime, trigger: str, attempt: int, lock: RunLock
) -> JobRun | None:
    now = hub_now()
    # A run that is still "running" under this claim died with its worker: we hold the lock,
    # so no live process can be running it.
    with transaction.atomic():
        if not ServiceSchedule.objects.filter(id=schedule_id, running_since=claimed_at).update(
            run_started_at=now
        ):
            logger.info(
                "schedule %s: claim %s is no longer held; not running", schedule_id, claimed_at
            )
            return None
        schedule = ServiceSchedule.objects.select_related("account", "merchant", "cart").get(
            id=schedule_id
        )
        interrupted, wait = schedule_interrupted(schedule, now=now)
        if wait:
            # It keeps dying (a run that kills its worker?): back off instead of rerunning.
            claim_release(
                schedule, claimed_at=claimed_at, job_run=interrupted, next_run_at=now + wait
            )
            return interrupted
        job_run = job_run_create(schedule, trigger=trigger)
    recorder = RunRecorder(job_run, lock=lock, helpers_send=_helpers_sender(schedule, job_run))
    if interrupted is not None:
        recorder.log(
            "The run before this one (#%s) stopped with its worker; this one goes on.",
            interrupted.id,
        )
    if attempt > 1:
        recorder.log(
            "Started on attempt %s: the earlier attempts could not reach the database.", attempt
        )
    if schedule.enqueue_count > 1:
        recorder.log(
            "Its task was sent %s times before a worker took it (a message lost with the "
            "broker, or busy workers).",
            schedule.enqueue_count,
        )
    return _run_service(schedule, claimed_at=claimed_at, job_run=job_run, recorder=recorder)


def _run_service(
    schedule: ServiceSchedule, *, claimed_at: datetime, job_run: JobRun, recorder: RunRecorder
) -> JobRun:
    spec = service_spec(schedule.service)
    error: Exception | None = None
    retry_after: float | None = None
    try:
        spec.run(schedule, recorder)
    except OwnershipLost as lost:
        # Another run holds the schedule now: record this one and leave the claim to it.
        recorder.log("Stopped: %s", lost)
        recorder.say(str(lost))
        _finish(job_run, recorder, failed=True)
        return job_run
    except RateLimited as limited:
        error, retry_after = limited, limited.retry_after
        _stopped(recorder, limited)
    except Exception as failure:  # a bug must not kill the schedule: record it, back off
        error = failure
        _stopped(
            recorder,
            failure,
            unexpected="The run stopped on an unexpected error; the hub will try again.",
        )
    if error is not None and spec.on_error is not None:
        spec.on_error(schedule, error)
    elif error is None and spec.on_success is not None:
        spec.on_success(schedule)
    # The run's end and its schedule's release in one transaction: nobody sees a finished
    # run whose schedule still says it is running.
    with transaction.atomic():
        _finish(job_run, recorder, failed=error is not None)
        _release_after(schedule, claimed_at, job_run, recorder, error, retry_after)
    return job_run


def _release_after(
    schedule: ServiceSchedule,
    claimed_at: datetime,
    job_run: JobRun,
    recorder: RunRecorder,
    error: Exception | None,
    retry_after: float | None,
) -> None:
    now = hub_now()
    if error is not None:
        # Failed runs retry on the back-off whatever the frequency: not at the next interval,
        # nor at an Automatic schedule's cleanup time.
        wait = (
            timedelta(seconds=retry_after)
            if retry_after is not None
            else backoff(schedule.consecutive_failures + 1)
        )
        claim_release(
            schedule, claimed_at=claimed_at, job_run=job_run, next_run_at=now + wait, failed=True
        )
    else:
        # A run that stopped at its batch limit is due again at once, on any frequency.
        claim_release(
            schedule,
            claimed_at=claimed_at,
            job_run=job_run,
            next_run_at=now if recorder.more_waiting else None,
            failed=False,
        )


def schedule_interrupted(
    schedule: ServiceSchedule, *, now: datetime
) -> tuple[JobRun | None, timedelta]:
    """Close the runs of this schedule that died with their worker, as failures.

    The caller holds the schedule's run lock. Returns the closed run (None if there was
    none) and how long to wait before running again: nothing the first time (a killed
    worker is not the service's fault), then the back-off, so a run that kills its worker
    every time does not loop.
    """
    helpers_close_dead(schedule, now=now)
    dead = list(
        JobRun.objects.filter(schedule=schedule, status=JobRun.Status.RUNNING)
        .exclude(trigger=JobRun.Trigger.HELPER)  # a helper's life is its own lock's
        .order_by("id")
    )
    if not dead:
        return None, timedelta(0)
    JobRun.objects.filter(id__in=[run.id for run in dead]).update(
        status=JobRun.Status.FAILED, finished_at=now, message=INTERRUPTED
    )
    failures_before = schedule_failure_count(schedule, message=INTERRUPTED)
    logger.warning("schedule %s: run %s stopped with its worker", schedule.id, dead[-1].id)
    return JobRun.objects.get(id=dead[-1].id), backoff(failures_before)


# A helper run takes its lock right after its JobRun is written; one younger than this may
# not hold it yet. Short: a dead helper's shipments wait this long plus a tick.
HELPER_LOCK_GRACE = timedelta(seconds=20)


def helper_lock_key(job_run_id: int) -> int:
    """An advisory lock's second key is a 32-bit integer."""
    return job_run_id % 2**31


def helpers_close_dead(schedule: ServiceSchedule, *, now: datetime) -> int:
    """Close, as failed, the helper runs of this schedule whose process died (their lock is
    free); returns how many."""
    return len(helper_runs_close_dead(JobRun.objects.filter(schedule=schedule), now=now))


def helper_runs_close_dead(runs: QuerySet[JobRun], *, now: datetime) -> set[int]:
    """Close, as failed, the helper runs among these whose process died; returns their
    schedules' ids. What a dead helper held (claims owned by its run) is free once it is
    closed."""
    running = dict(
        runs.filter(
            status=JobRun.Status.RUNNING,
            trigger=JobRun.Trigger.HELPER,
            started_at__lt=now - HELPER_LOCK_GRACE,
        ).values_list("id", "schedule_id")
    )
    if not running:
        return set()
    keys = {helper_lock_key(run_id): run_id for run_id in running}
    with schedules_unowned(keys, namespace=HELPER_LOCK) as free:
        dead = [keys[key] for key in free]
        JobRun.objects.filter(id__in=dead, status=JobRun.Status.RUNNING).update(
            status=JobRun.Status.FAILED, finished_at=now, message=INTERRUPTED
        )
    if dead:
        logger.warning("closed %s helper run(s) whose worker stopped", len(dead))
    return {running[run_id] for run_id in dead}


def _helpers_sender(schedule: ServiceSchedule, job_run: JobRun):  # type: ignore[no-untyped-def]
    def send(count: int) -> int:
        from jobs.broker import task_send
        from jobs.tasks import help_schedule_task  # tasks import the runner

        kwargs = {"schedule_id": schedule.id, "leader_run_id": job_run.id}
        return sum(task_send(help_schedule_task, kwargs=kwargs, quick=True) for _ in range(count))

    return send


def schedule_help(*, schedule_id: int, leader_run_id: int) -> JobRun | None:
    """A helper run: part of a backlog another run of the schedule shared (RunRecorder.share).

    It needs no claim of the schedule: its service claims each record it takes, so helpers
    and the run never take the same one. Its failures are the run's to count (the run meets
    the same cart), so they only end this JobRun.
    """
    schedule = (
        ServiceSchedule.objects.select_related("account", "merchant", "cart")
        .filter(id=schedule_id, enabled=True)
        .first()
    )
    spec = service_spec(schedule.service) if schedule is not None else None
    if schedule is None or spec is None or spec.helper is None:
        return None
    job_run = job_run_create(schedule, trigger=JobRun.Trigger.HELPER)
    with run_lock(helper_lock_key(job_run.id), namespace=HELPER_LOCK):
        recorder = RunRecorder(job_run)
        recorder.log("Helps run #%s with its backlog.", leader_run_id)
        failed = False
        try:
            spec.helper(schedule, recorder)
        except Exception as failure:  # recorded like a run's, never raised to Celery
            failed = True
            _stopped(
                recorder,
                failure,
                unexpected="The helper stopped on an unexpected error; the run goes on.",
            )
        _finish(job_run, recorder, failed=failed)
    return job_run


def _stopped(recorder: RunRecorder, error: Exception, *, unexpected: str = "") -> None:
    """Say why a run stopped: a connector's reason as it is; a bug by its type only, its
    traceback logged for the administrator. Called while the error is being handled."""
    if isinstance(error, ConnectorError):
        recorder.log("Stopped: %s", error)
        recorder.say(str(error))
        return
    logger.exception("job run %s failed unexpectedly", recorder.job_run.id)
    recorder.log(
        "Stopped by an unexpected error (%s); it is logged for the administrator.",
        type(error).__name__,
    )
    recorder.say(unexpected)


def job_run_create(schedule: ServiceSchedule, *, trigger: str, **fields: object) -> JobRun:
    """A JobRun of this schedule's service (running, unless fields say otherwise)."""
    return JobRun.objects.create(
        account_id=schedule.account_id,
        merchant_id=schedule.merchant_id,
        cart_id=schedule.cart_id,
        schedule=schedule,
        service=schedule.service,
        trigger=trigger,
        **fields,
    )


def schedule_failure_count(schedule: ServiceSchedule, *, message: str) -> int:
    """Count a run that died, or never started, as a failure of its service, where people
    see failures (the connection's last error; its alert after three in a row). Returns the
    count of failures before this one."""
    failures_before = schedule.consecutive_failures
    ServiceSchedule.objects.filter(id=schedule.id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    spec = service_spec(schedule.service)
    if spec.on_error is not None:
        spec.on_error(schedule, RunInterrupted(message))
    schedule.consecutive_failures = failures_before + 1
    return failures_before


def _finish(job_run: JobRun, recorder: RunRecorder, *, failed: bool) -> None:
    if failed:
        status = JobRun.Status.FAILED
    elif recorder.failed and recorder.ok:
        status = JobRun.Status.PARTIAL
    elif recorder.failed:
        status = JobRun.Status.FAILED
    else:
        status = JobRun.Status.SUCCESS
    job_run.status = status
    job_run.finished_at = timezone.now()
    job_run.records_seen = recorder.seen
    job_run.records_ok = recorder.ok
    job_run.records_failed = recorder.failed
    job_run.records_skipped = recorder.skipped
    job_run.message = recorder.message
    job_run.log = recorder.text()
    job_run.save()


def claim_release(
    schedule: ServiceSchedule,
    *,
    claimed_at: datetime,
    job_run: JobRun | None,
    next_run_at: datetime | None,
    failed: bool | None = None,
) -> None:
    """Give the claim back. On success next_run_at stays as the claim set it (or as an
    Automatic trigger during the run set it: then it runs right after), unless given."""
    updates: dict[str, object] = {
        "running_since": None,
        "run_started_at": None,
        "enqueued_at": None,
        "enqueue_count": 0,
    }
    if job_run is not None:
        updates["last_run"] = job_run
    if next_run_at is not None:
        updates["next_run_at"] = next_run_at
    if failed is not None:  # None: an interrupted run counted its failure already
        updates["consecutive_failures"] = F("consecutive_failures") + 1 if failed else 0
    with transaction.atomic():
        released = ServiceSchedule.objects.filter(id=schedule.id, running_since=claimed_at).update(
            **updates
        )
        if released:
            nudge_if_due(schedule_id=schedule.id)


def nudge_dispatcher() -> None:
    """Ask for a dispatcher tick once the current transaction commits (Automatic).

    Best effort: the schedule is already due in the database (an outbox), so a nudge lost
    with the broker only means the next tick starts the run.
    """
    transaction.on_commit(_send_nudge)


def _send_nudge() -> None:
    from jobs.broker import task_send
    from jobs.tasks import dispatch_task  # tasks import the runner

    task_send(dispatch_task, quick=True)


def nudge_if_due(*, schedule_id: int) -> None:
    if ServiceSchedule.objects.filter(
        id=schedule_id, enabled=True, next_run_at__lte=hub_now()
    ).exists():
        nudge_dispatcher()
