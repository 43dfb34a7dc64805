"""An account's data as a whole: exported to one JSON-lines file, or deleted row by row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Account, Membership, User
from integration_manager.fields import EncryptedJSONField

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
