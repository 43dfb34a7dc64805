"""An account's deletion, as a task: it takes the account's id and calls accounts/data.py."""

from __future__ import annotations

from celery import shared_task

from jobs.tasks import RETRY_WHILE_DATABASE_AWAY


@shared_task(name="accounts.delete_account", ignore_result=True, **RETRY_WHILE_DATABASE_AWAY)
def delete_account_task(*, account_id: int) -> bool:
    """Safe to run twice: a copy finds the deletion lock taken or the account gone."""
    from accounts.data import account_deletion_run

    return account_deletion_run(account_id=account_id)
