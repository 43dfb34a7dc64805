"""Job run retention: successful runs kept for the account's days, failed ones longer."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Merchant
from jobs.models import Frequency, JobRun
from jobs.recorder import RunRecorder
from jobs.registry import MERCHANT, ServiceSpec

JOB_RUN_CLEANUP = "job_run_cleanup"

# Runs per transaction, and transactions per run; more makes the run due again.
BATCH_SIZE = 1_000
BATCHES_PER_RUN = 20

SUCCEEDED = (JobRun.Status.SUCCESS, JobRun.Status.SKIPPED)
FAILED = (JobRun.Status.FAILED, JobRun.Status.PARTIAL)


def _linked(queryset: QuerySet[JobRun]) -> QuerySet[JobRun]:
    """Leave out runs that another row links to: an order's history says which run changed
    it, the file ledger which run read a file, a schedule shows its last run. Those foreign
    keys are SET_NULL, so deleting the run would quietly blank the link. Found from the
    model's relations, so jobs needs to know no app that links to it."""
    # include_hidden: these foreign keys have related_name="+", which hides them.
    relations = [
        field
        for field in JobRun._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and field.is_relation
    ]
    for relation in relations:
        links = relation.related_model._default_manager.filter(
            **{relation.field.name: OuterRef("pk")}
        )
        queryset = queryset.exclude(Exists(links))
    return queryset


def _alert_linked_ids(account_id: int) -> set[int]:
    """Runs an alert points at (its link is a URL, not a foreign key)."""
    from alerts.models import Alert  # alerts imports jobs: not at the top

    prefix = reverse("job_run_detail", args=[0]).rsplit("0/", 1)[0]
    pattern = re.compile(re.escape(prefix) + r"(\d+)/")
    links = Alert.objects.filter(account_id=account_id, link__startswith=prefix)
    return {
        int(match.group(1))
        for link in links.values_list("link", flat=True)
        if (match := pattern.match(link))
    }


def job_runs_expired(*, merchant: Merchant, now: datetime) -> QuerySet[JobRun]:
    """The merchant's finished runs older than the account keeps them, that nothing links
    to; a run still running is never one of them."""
    account = merchant.account
    kept_since = now - timedelta(days=account.job_runs_kept_days)
    failed_kept_since = now - timedelta(days=account.failed_job_runs_kept_days)
    expired = JobRun.objects.filter(
        Q(status__in=SUCCEEDED, started_at__lt=kept_since)
        | Q(status__in=FAILED, started_at__lt=failed_kept_since),
        account_id=merchant.account_id,
        merchant=merchant,
    ).exclude(id__in=_alert_linked_ids(merchant.account_id))
    return _linked(expired)


@transaction.atomic
def job_runs_delete_batch(*, merchant: Merchant, now: datetime) -> int:
    """Delete one batch of expired runs in one transaction; returns how many."""
    ids = list(
        job_runs_expired(merchant=merchant, now=now)
        .order_by("id")
        .values_list("id", flat=True)[:BATCH_SIZE]
    )
    if not ids:
        return 0
    # Checked again in the DELETE itself: a schedule may have made one its last run since.
    deleted, _ = _linked(JobRun.objects.filter(id__in=ids)).delete()
    return deleted


def job_runs_prune(*, merchant: Merchant, run: RunRecorder) -> None:
    """The merchant's scheduled retention: expired runs, BATCH_SIZE at a time, up to
    BATCHES_PER_RUN batches; more than that makes the run due again."""
    now = timezone.now()
    done = 0
    for _ in range(BATCHES_PER_RUN):
        deleted = job_runs_delete_batch(merchant=merchant, now=now)
        done += deleted
        if deleted < BATCH_SIZE:
            break
    else:
        run.again()
    account = merchant.account
    run.count(seen=done, ok=done)
    run.log(
        "%s job run(s) deleted: successful ones older than %s day(s), failed ones older than "
        "%s day(s), except those an order's history, a file, a schedule or an alert links to.",
        done,
        account.job_runs_kept_days,
        account.failed_job_runs_kept_days,
    )
    run.say(f"{done} old job run(s) deleted." if done else "No job run was old enough to delete.")


def retention_services() -> list[ServiceSpec]:
    """Runs every 12 hours like personal data removal (a daily schedule needs a time of day,
    which a new merchant's schedules start without)."""
    return [
        ServiceSpec(
            JOB_RUN_CLEANUP,
            label="Job run cleanup",
            level=MERCHANT,
            default_frequency=Frequency.HOURS_12,
            run=lambda schedule, run: job_runs_prune(merchant=schedule.merchant, run=run),
            position=95,
        )
    ]
