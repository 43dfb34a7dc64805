"""Thin Celery tasks: they take ids and call the dispatcher or the runner."""

from __future__ import annotations

from datetime import datetime

import psycopg2
from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

# What a task meets when PostgreSQL restarts or refuses connections: worth another attempt.
DATABASE_AWAY = (OperationalError, InterfaceError, psycopg2.OperationalError)


@shared_task(name="jobs.dispatch", ignore_result=True)
def dispatch_task() -> int:
    """One dispatcher tick (beat runs it every DISPATCH_INTERVAL_SECONDS; Automatic nudges it)."""
    from jobs.dispatcher import dispatch_tick

    return len(dispatch_tick())


# A run whose task cannot reach the database is tried again: 1, 2, 4 … 60 s apart, for about
# ten minutes, so a PostgreSQL restart costs a short wait, not a stranded claim. The longest
# wait stays far below the broker's visibility timeout.
RETRY_WHILE_DATABASE_AWAY = {
    "autoretry_for": DATABASE_AWAY,
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "max_retries": 14,
}


@shared_task(bind=True, name="jobs.run_schedule", ignore_result=True, **RETRY_WHILE_DATABASE_AWAY)
def run_schedule_task(self: Task, *, schedule_id: int, claimed_at: str, trigger: str) -> None:
    """Run one claimed schedule. Safe to run twice: a copy finds the run lock taken or the
    claim gone and does nothing, and a rerun picks up from what the last one saved."""
    from jobs.runner import schedule_run

    schedule_run(
        schedule_id=schedule_id,
        claimed_at=datetime.fromisoformat(claimed_at),
        trigger=trigger,
        attempt=self.request.retries + 1,
    )


@shared_task(
    name="jobs.help_schedule",
    ignore_result=True,
    autoretry_for=DATABASE_AWAY,
    retry_backoff=1,
    retry_backoff_max=60,
    max_retries=5,
)
def help_schedule_task(*, schedule_id: int, leader_run_id: int) -> None:
    """A helper run sharing a schedule's backlog. Safe to run twice, or not at all: it
    claims each record it takes, and the run it helps drains the backlog without it."""
    from jobs.runner import schedule_help

    schedule_help(schedule_id=schedule_id, leader_run_id=leader_run_id)
