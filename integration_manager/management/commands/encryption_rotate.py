"""Re-encrypt every stored credential with the first key of FIELD_ENCRYPTION_KEY."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from integration_manager.fields import EncryptedJSONField, rotate_token


class Command(BaseCommand):
    help = (
        "After putting a new key first in FIELD_ENCRYPTION_KEY (keep the old one after it), "
        "re-encrypt all credentials with the new key; then the old key can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedJSONField):
                    total += _rotate_column(model, field)
        self.stdout.write(f"Re-encrypted {total} credential set(s) with the newest key.")


@transaction.atomic
def _rotate_column(model: Any, field: EncryptedJSONField) -> int:
    # Raw tokens, not model values: rotation never needs the plain secrets.
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote(model._meta.pk.column)}, {quote(field.column)} "  # noqa: S608
        f"FROM {quote(model._meta.db_table)} WHERE {quote(field.column)} <> ''"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    for pk, token in rows:
        model.objects.filter(pk=pk).update(**{field.attname: rotate_token(token)})
    return len(rows)
