"""What a failed run says to people, and when a connection that keeps failing is worth an
alert: the same for every app that owns a connection (carts/outcomes.py, wms/outcomes.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet

from integration_manager.connector_errors import ConnectorError, RateLimited
from jobs.models import JobRun
from jobs.ownership import RunInterrupted

# A connection is "cannot be reached" after this long without a success, whatever its
# schedule: a 5-minute schedule alerts after about three failures, a daily one on the
# first failure (its last success is a day old), and a blip retried at once never does.
UNREACHABLE_AFTER = timedelta(minutes=15)
UNEXPECTED = "An unexpected error stopped the run; it is logged for the administrator."


def failure_message(error: Exception) -> str:
    """The words a failure may show: a connector's own message, never a bug's text."""
    return str(error) if isinstance(error, ConnectorError | RunInterrupted) else UNEXPECTED


def failing_since(*, last_success_at: datetime | None, runs: QuerySet[JobRun]) -> datetime | None:
    """Since when a connection has not worked: its last success; for one that never worked,
    its first failed run (runs: that connection's runs). None: this is its first failure."""
    if last_success_at is not None:
        return last_success_at
    return (
        runs.filter(status=JobRun.Status.FAILED)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )


def keeps_failing(error: Exception, *, since: datetime | None, now: datetime) -> bool:
    """Whether this failure means the connection cannot be reached: it has not worked for
    UNREACHABLE_AFTER (a slow-down asked for by the other side is not a failure)."""
    if isinstance(error, RateLimited) or since is None:
        return False
    return now - since >= UNREACHABLE_AFTER


UNREACHABLE_AFTER_TEXT = f"{UNREACHABLE_AFTER.seconds // 60} minutes or more"
