"""Thin Celery tasks: they take ids and call the dispatcher or the runner."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task


@shared_task(name="jobs.dispatch", ignore_result=True)
def dispatch_task() -> int:
    """One dispatcher tick (beat runs it every DISPATCH_INTERVAL_SECONDS; Automatic nudges it)."""
    from jobs.dispatcher import dispatch_tick

    return len(dispatch_tick())


@shared_task(name="jobs.run_schedule", ignore_result=True)
def run_schedule_task(*, schedule_id: int, claimed_at: str, trigger: str) -> None:
    """Run one claimed schedule. Safe to run twice: the claim and the order states are in the
    database, so a copy whose claim is gone does nothing and a rerun picks up where it was."""
    from jobs.runner import schedule_run

    schedule_run(
        schedule_id=schedule_id, claimed_at=datetime.fromisoformat(claimed_at), trigger=trigger
    )
