"""Order counts per (account, merchant, status) kept by triggers, so the dashboard's open
counts cost the same at any number of orders (orders/status_counts.py reads and folds them).

PostgreSQL: statement-level triggers with transition tables append one delta row per group
per statement (a 250-order update writes a handful of rows, not 250). PostgreSQL refuses
transition tables on a trigger with a column list, so the update function compares old and
new itself. SQLite (the embedded mode) has only row-level triggers: one or two rows each.

SQLite drops a table's triggers with the table, and Django's SQLite schema editor remakes
orders_order (copy, drop, rename) for most AddField and AlterField operations: a later
migration that does so must run SQLITE_CREATE again (and refill the counts), or the counts
stop moving in the embedded mode (tests/orders/test_status_counts.py would fail).
"""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL_CREATE = [
    """
    CREATE FUNCTION orders_status_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO orders_orderstatuscountdelta (account_id, merchant_id, status, delta)
        SELECT account_id, merchant_id, status, count(*) FROM inserted_orders
        GROUP BY account_id, merchant_id, status;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION orders_status_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO orders_orderstatuscountdelta (account_id, merchant_id, status, delta)
        SELECT account_id, merchant_id, status, -count(*) FROM deleted_orders
        GROUP BY account_id, merchant_id, status;
        RETURN NULL;
    END $$
    """,
    # Each moved order counts -1 where it was and +1 where it is; groups that net to zero
    # (one order in, another out) write nothing. (old and new are PL/pgSQL's own names.)
    """
    CREATE FUNCTION orders_status_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO orders_orderstatuscountdelta (account_id, merchant_id, status, delta)
        SELECT change.account_id, change.merchant_id, change.status, sum(change.delta)
        FROM old_orders AS old_row JOIN new_orders AS new_row ON new_row.id = old_row.id
        CROSS JOIN LATERAL (
            VALUES (old_row.account_id, old_row.merchant_id, old_row.status, -1),
                   (new_row.account_id, new_row.merchant_id, new_row.status, 1)
        ) AS change (account_id, merchant_id, status, delta)
        WHERE old_row.status <> new_row.status
           OR old_row.merchant_id <> new_row.merchant_id
           OR old_row.account_id <> new_row.account_id
        GROUP BY change.account_id, change.merchant_id, change.status
        HAVING sum(change.delta) <> 0;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER orders_status_count_insert AFTER INSERT ON orders_order
    REFERENCING NEW TABLE AS inserted_orders
    FOR EACH STATEMENT EXECUTE FUNCTION orders_status_count_insert()
    """,
    """
    CREATE TRIGGER orders_status_count_update AFTER UPDATE ON orders_order
    REFERENCING OLD TABLE AS old_orders NEW TABLE AS new_orders
    FOR EACH STATEMENT EXECUTE FUNCTION orders_status_count_update()
    """,
    """
    CREATE TRIGGER orders_status_count_delete AFTER DELETE ON orders_order
    REFERENCING OLD TABLE AS deleted_orders
    FOR EACH STATEMENT EXECUTE FUNCTION orders_status_count_delete()
    """,
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS orders_status_count_{event} ON orders_order"
    for event in ("insert", "update", "delete")
] + [
    f"DROP FUNCTION IF EXISTS orders_status_count_{event}()"
    for event in ("insert", "update", "delete")
]

SQLITE_CREATE = [
    """
    CREATE TRIGGER orders_status_count_insert AFTER INSERT ON orders_order
    BEGIN
        INSERT INTO orders_orderstatuscountdelta (account_id, merchant_id, status, delta)
        VALUES (NEW.account_id, NEW.merchant_id, NEW.status, 1);
    END
    """,
    """
    CREATE TRIGGER orders_status_count_update
    AFTER UPDATE OF status, merchant_id, account_id ON orders_order
    WHEN OLD.status IS NOT NEW.status
        OR OLD.merchant_id IS NOT NEW.merchant_id
        OR OLD.account_id IS NOT NEW.account_id
    BEGIN
        INSERT INTO orders_orderstatuscountdelta (account_id, merchant_id, status, delta)
        VALUES (OLD.account_id, OLD.merchant_id, OLD.status, -1),
               (NEW.account_id, NEW.merchant_id, NEW.status, 1);
    END
    """,
    """
    CREATE TRIGGER orders_status_count_delete AFTER DELETE ON orders_order
    BEGIN
        INSERT INTO orders_orderstatuscountdelta (account_id, merchant_id, status, delta)
        VALUES (OLD.account_id, OLD.merchant_id, OLD.status, -1);
    END
    """,
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS orders_status_count_{event}"
    for event in ("insert", "update", "delete")
]

# After the triggers: on PostgreSQL, CREATE TRIGGER locks out writers of orders_order until
# this migration commits, so every order is counted once, here or by a trigger.
FILL = """
    INSERT INTO orders_orderstatuscount (account_id, merchant_id, status, count)
    SELECT account_id, merchant_id, status, count(*) FROM orders_order
    GROUP BY account_id, merchant_id, status
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in [*(POSTGRESQL_CREATE if postgresql else SQLITE_CREATE), FILL]:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRESQL_DROP if postgresql else SQLITE_DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_order_ready_for_pull")]

    operations = [
        migrations.CreateModel(
            name="OrderStatusCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("new", "New"),
                            ("at_wms", "At WMS"),
                            ("shipped", "Shipped"),
                            ("confirmed", "Confirmed"),
                            ("error", "Error"),
                            ("canceled", "Canceled"),
                        ],
                        max_length=12,
                    ),
                ),
                ("count", models.BigIntegerField(default=0)),
                (
                    "account",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.account",
                    ),
                ),
                (
                    "merchant",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.merchant",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account", "merchant", "status"), name="order_status_count_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="OrderStatusCountDelta",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("new", "New"),
                            ("at_wms", "At WMS"),
                            ("shipped", "Shipped"),
                            ("confirmed", "Confirmed"),
                            ("error", "Error"),
                            ("canceled", "Canceled"),
                        ],
                        max_length=12,
                    ),
                ),
                ("delta", models.IntegerField()),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.account",
                    ),
                ),
                (
                    "merchant",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.merchant",
                    ),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
