"""Runs one claimed schedule: a JobRun around the service, then the claim released."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from integration_manager.connector_errors import ConnectorError, RateLimited
from jobs.models import JobRun, ServiceSchedule
from jobs.recorder import RunRecorder
from jobs.registry import service_spec
from jobs.schedules import backoff

logger = logging.getLogger(__name__)


def schedule_run(*, schedule_id: int, claimed_at: datetime, trigger: str) -> JobRun | None:
    """Run the service of a schedule this caller claimed; None when the claim is not ours.

    Nothing a service raises escapes: connector errors and unexpected exceptions alike end
    in a failed JobRun with a message, and the schedule backs off.
    """
    schedule = (
        ServiceSchedule.objects.select_related("account", "merchant", "cart")
        .filter(id=schedule_id, running_since=claimed_at)
        .first()
    )
    if schedule is None:
        # Reaped, or a late copy of a message whose claim was already released.
        logger.info("schedule %s: claim %s is no longer held; not running", schedule_id, claimed_at)
        return None
    # A run of this claim that is still "running" died with its worker process (the task
    # was handed out again): close it before starting over.
    JobRun.objects.filter(schedule=schedule, status=JobRun.Status.RUNNING).update(
        status=JobRun.Status.FAILED,
        finished_at=timezone.now(),
        message="The worker stopped before this run finished; it ran again.",
    )
    job_run = JobRun.objects.create(
        account_id=schedule.account_id,
        merchant_id=schedule.merchant_id,
        cart_id=schedule.cart_id,
        schedule=schedule,
        service=schedule.service,
        trigger=trigger,
    )
    recorder = RunRecorder(job_run)
    spec = service_spec(schedule.service)
    error: Exception | None = None
    retry_after: float | None = None
    try:
        spec.run(schedule, recorder)
    except RateLimited as limited:
        error, retry_after = limited, limited.retry_after
        recorder.log("Stopped: %s", limited)
        recorder.say(str(limited))
    except ConnectorError as failure:
        error = failure
        recorder.log("Stopped: %s", failure)
        recorder.say(str(failure))
    except Exception as unexpected:  # a bug must not kill the schedule: record it, back off
        error = unexpected
        logger.exception("job run %s failed unexpectedly", job_run.id)
        recorder.log(
            "Stopped by an unexpected error (%s); it is logged for the administrator.",
            type(unexpected).__name__,
        )
        recorder.say("The run stopped on an unexpected error; the hub will try again.")
    if error is not None and spec.on_error is not None:
        spec.on_error(schedule, error)
    elif error is None and spec.on_success is not None:
        spec.on_success(schedule)
    _finish(job_run, recorder, failed=error is not None)
    _release(
        schedule,
        claimed_at=claimed_at,
        job_run=job_run,
        failed=error is not None,
        retry_after=retry_after,
    )
    return job_run


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


def _release(
    schedule: ServiceSchedule,
    *,
    claimed_at: datetime,
    job_run: JobRun,
    failed: bool,
    retry_after: float | None,
) -> None:
    """Give the claim back. next_run_at is only pushed later, never earlier: an Automatic
    trigger that came in during the run (next_run_at = now) still runs right after."""
    now = timezone.now()
    updates: dict[str, object] = {"running_since": None, "last_run": job_run}
    if failed:
        failures = schedule.consecutive_failures + 1
        wait = timedelta(seconds=retry_after) if retry_after is not None else backoff(failures)
        updates["consecutive_failures"] = failures
        updates["next_run_at"] = Greatest(F("next_run_at"), now + wait)
    else:
        updates["consecutive_failures"] = 0
    with transaction.atomic():
        released = ServiceSchedule.objects.filter(id=schedule.id, running_since=claimed_at).update(
            **updates
        )
        if released:
            nudge_if_due(schedule_id=schedule.id)


def nudge_dispatcher() -> None:
    """Ask for a dispatcher tick once the current transaction commits (Automatic)."""
    from jobs.tasks import dispatch_task  # tasks import the runner

    transaction.on_commit(dispatch_task.delay)


def nudge_if_due(*, schedule_id: int) -> None:
    if ServiceSchedule.objects.filter(
        id=schedule_id, enabled=True, next_run_at__lte=timezone.now()
    ).exists():
        nudge_dispatcher()
