"""A trigram index for searching orders by a part of the customer's name (PostgreSQL only).

Django's icontains is UPPER(ship_name) LIKE UPPER('%…%'): a GIN trigram index on
UPPER(ship_name) answers it without reading every order. SQLite (the embedded mode) has no
pg_trgm and scans, which is fine at its size.
"""

from __future__ import annotations

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS order_ship_name_trgm ON orders_order "
    "USING gin (UPPER(ship_name) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS order_ship_name_trgm"]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_order_account_source")]

    operations = [migrations.RunPython(forwards, backwards)]
