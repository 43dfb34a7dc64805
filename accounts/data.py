"""An account's data as a whole: exported to one JSON-lines file, or deleted row by row."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Account, Membership, User
from integration_manager.fields import EncryptedJSONField

logger = logging.getLogger(__name__)

EXPORT_FORMAT = 1
# Columns that hold a secret, or what opens one (a webhook's URL token, a key's digest, an
# invitation's hash); credentials are the encrypted fields, left out by their type.
SECRET_COLUMNS = frozenset({"webhook_token", "key_digest", "token_hash", "password"})
EXPORT_CHUNK = 2_000
DELETE_BATCH = 1_000


def account_models() -> list[type[models.Model]]:
    """Every model with an account foreign key: the tenant's rows (DESIGN.md: every
    tenant-owned row carries its account), found from the models so a new one is included."""
    return [
        model
        for model in apps.get_models()
        if any(
            field.name == "account" and field.related_model is Account
            for field in model._meta.concrete_fields
        )
    ]


def export_columns(model: type[models.Model]) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if not isinstance(field, EncryptedJSONField) and field.name not in SECRET_COLUMNS
    ]


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, cls=DjangoJSONEncoder, ensure_ascii=False) + "\n"


def account_export_lines(*, account: Account) -> Iterator[str]:
    """The account's rows as JSON lines, one table after another: a header, the account,
    then {"table": ..., "row": {...}} per row. No secret: credentials and tokens are left
    out, users appear as their memberships' e-mail addresses only. Read in chunks, so an
    account with millions of orders streams in constant memory."""
    yield _line(
        {
            "export": {
                "format": EXPORT_FORMAT,
                "account_id": account.id,
                "account": account.name,
                "exported_at": timezone.now(),
            }
        }
    )
    account_row = Account.objects.filter(id=account.id).values(*export_columns(Account)).get()
    yield _line({"table": Account._meta.label_lower, "row": account_row})
    for model in account_models():
        columns = export_columns(model)
        if model is Membership:
            columns.append("user__email")
        rows = model._default_manager.filter(account_id=account.id).order_by("pk")
        for row in rows.values(*columns).iterator(chunk_size=EXPORT_CHUNK):
            yield _line({"table": model._meta.label_lower, "row": row})


def _delete_in_batches(model: type[models.Model], account_id: int) -> int:
    """Delete one model's rows of the account, each batch in its own transaction (what
    hangs off them goes with them), so a large account never holds one huge transaction."""
    deleted = 0
    rows = model._default_manager.filter(account_id=account_id)
    while ids := list(rows.order_by("pk").values_list("pk", flat=True)[:DELETE_BATCH]):
        with transaction.atomic():
            model._default_manager.filter(pk__in=ids).delete()
        deleted += len(ids)
    return deleted


# Largest first; what hangs off them goes with them (an order's lines, events, shipments).
LARGE_MODELS = (
    ("orders", "Order"),
    ("jobs", "JobRun"),
    ("inventory", "InventoryLevel"),
    ("wms", "SandboxWmsOrder"),
    ("carts", "WebhookDelivery"),
    ("wms", "WmsWebhookDelivery"),
)


def account_delete(*, account: Account) -> None:
    """Delete every row of the account: all tables with an account foreign key and what
    hangs off them, then its users who belong to no other account (their e-mail is the
    account's data), but never an operator of the hub (staff or superuser).

    Large tables go first in batches of their own transactions; a crash half-way leaves
    the account in place with less data, and deleting it again finishes the work."""
    member_ids = list(Membership.objects.filter(account=account).values_list("user_id", flat=True))
    for app_label, model_name in LARGE_MODELS:
        _delete_in_batches(apps.get_model(app_label, model_name), account.id)
    with transaction.atomic():
        Account.objects.filter(id=account.id).delete()
        # Rows without a database constraint are not cascaded (the order counts' deltas,
        # which deleting the orders appended): delete them by the account's id.
        for model in account_models():
            field = model._meta.get_field("account")
            if not field.db_constraint:  # type: ignore[union-attr]
                model._default_manager.filter(account_id=account.id).delete()
        User.objects.filter(
            id__in=member_ids, memberships__isnull=True, is_staff=False, is_superuser=False
        ).delete()


# A deletion whose task was lost with the broker is sent again by the dispatcher's tick
# after this long; a copy sent while one runs finds the account's lock taken and exits.
DELETION_RESEND_AFTER = timedelta(minutes=1)


def account_deletion_request(*, account: Account) -> None:
    """Close the account at once and delete its rows in a job: nobody enters it from now on
    (accounts/middleware.py, the API), its schedules stop, and a large account's deletion
    does not hang on a web request."""
    from jobs.models import ServiceSchedule

    with transaction.atomic():
        Account.objects.filter(id=account.id, deletion_requested_at=None).update(
            deletion_requested_at=timezone.now()
        )
        ServiceSchedule.objects.filter(account=account).update(enabled=False)
        transaction.on_commit(lambda: account_deletion_send(account_id=account.id))


def account_deletion_send(*, account_id: int) -> bool:
    """Best effort: the request is in the database, and the tick sends it again."""
    from accounts.tasks import delete_account_task
    from jobs.broker import task_send

    return task_send(delete_account_task, kwargs={"account_id": account_id}, quick=True)


def account_deletion_run(*, account_id: int) -> bool:
    """Delete an account whose deletion was requested, holding its deletion lock; False when
    another process is deleting it or there is nothing to delete."""
    from jobs.ownership import DELETE_LOCK, run_lock

    with run_lock(account_id, namespace=DELETE_LOCK) as lock:
        if not lock.held:
            return False
        account = Account.objects.filter(id=account_id, deletion_requested_at__isnull=False).first()
        if account is None:
            return False
        account_delete(account=account)
    logger.info("account %s deleted", account_id)
    return True


def account_deletions_resend(now: datetime) -> None:
    """The dispatcher's chore: send again the deletions that have waited a while."""
    waiting = Account.objects.filter(deletion_requested_at__lt=now - DELETION_RESEND_AFTER)
    for account_id in waiting.values_list("id", flat=True):
        account_deletion_send(account_id=account_id)
