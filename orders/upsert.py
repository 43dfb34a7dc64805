"""How orders, their lines and events, and shipments are written: the one place where
PostgreSQL and SQLite differ.

Both upserts say exactly which rows this call inserted, so lines and events are written
once, however many downloads race on the same page.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.utils import CursorDebugWrapper

from orders.models import Order, Shipment
from orders.rows import ORDERS, SHIPMENTS, Row, Table

# Where an ORDERS row holds what the SQLite path reads.
_SOURCE_ID = ORDERS.names.index("source_order_id")
_CART_ID = ORDERS.names.index("cart_id")
# psycopg2 sends COPY data in pieces of this many characters (8 KiB unless told).
COPY_CHUNK = 1 << 18


@dataclass(frozen=True)
class UpsertedRow:
    id: int
    key: str
    inserted: bool


# The first half of the advisory lock key: "orders", so other locks cannot collide with it.
ORDER_DOWNLOAD_LOCK = 0x6F726473


def cart_download_lock(cart_id: int, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Hold the cart's download lock until the transaction ends.

    An order has two unique keys, (cart, source id) and (account, cust_ref), and ON CONFLICT
    can arbitrate only one: two transactions inserting the same new order at once would
    trip over the other key. So two downloads of one cart store their pages one after the
    other; the second then finds the rows committed and the upsert absorbs them. SQLite
    needs nothing: its transactions already take the write lock at BEGIN.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ORDER_DOWNLOAD_LOCK, cart_id])


def orders_upsert(rows: Sequence[Row], *, using: str = DEFAULT_DB_ALIAS) -> list[UpsertedRow]:
    """Insert new orders; refresh ones still `new` whose cart copy is newer; leave the rest.

    `rows` are ORDERS rows (orders/rows.py), one per source order id. An order past `new`,
    or one whose delivery has started, is never overwritten. Returns a row for each order
    inserted or refreshed (key = source_order_id); an order left alone is not returned.
    """
    if not rows:
        return []
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(Order._meta.db_table)
    # What a newer copy from the cart may change; our own state (status, delivery, errors)
    # is never taken from the cart.
    refreshed = [
        "order_number", "bill_to", "ship_to", "ship_name", "email", "ship_code",
        "ship_description", "currency", "sub_total", "order_discount", "sales_tax",
        "shipping_handling", "grand_total", "notes", "ordered_at", "source_updated_at",
        "updated_at", "raw", "canceled_in_cart_at",
    ]  # fmt: skip
    assignments = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in refreshed)
    # A newer copy is checked again before a warehouse that pulls orders may take it.
    assignments += f", {quote('ready_at')} = NULL"
    conflict = (
        f"ON CONFLICT (cart_id, source_order_id) DO UPDATE SET {assignments} "
        f"WHERE {table}.status = 'new' AND {table}.delivery_started_at IS NULL "
        f"AND {table}.source_updated_at IS NOT NULL "
        f"AND excluded.source_updated_at > {table}.source_updated_at "
    )
    if connection.vendor == "postgresql":
        return _orders_upsert_copied(rows, conflict=conflict, connection=connection)
    return _orders_upsert_sqlite(rows, conflict=conflict, connection=connection)


def _orders_upsert_copied(
    rows: Sequence[Row], *, conflict: str, connection: Any
) -> list[UpsertedRow]:
    """PostgreSQL: COPY the rows into a temporary table, then one INSERT … SELECT … ON
    CONFLICT from it (COPY has no ON CONFLICT of its own). A page's multi-row VALUES
    statement, a literal to parse for each column of each row, took PostgreSQL twice as
    long as both."""
    quote = connection.ops.quote_name
    table = quote(Order._meta.db_table)
    # pg_temp: the session's own schema, whatever the search path says.
    staging = f"pg_temp.{quote(_staging_name(ORDERS, connection.alias))}"
    columns = ", ".join(quote(column) for column in ORDERS.columns)
    # One staging table per database session, kept empty between calls: it costs nothing
    # once it exists, where a table made and dropped by each page rewrote the catalog.
    # Its name carries the columns' types, so a session that outlives a migration
    # makes a new one.
    create = (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS "  # noqa: S608
        f"SELECT {columns} FROM {table} WITH NO DATA"
    )
    # DELETE … RETURNING empties the staging table in the statement that reads it, so a
    # second page in the same transaction never sees the first one's rows.
    upsert = (
        f"WITH page AS (DELETE FROM {staging} RETURNING {columns}) "  # noqa: S608
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM page {conflict}"
        # xmax is 0 on a row this statement inserted, and set on a row it updated.
        "RETURNING id, source_order_id, (xmax = 0)"
    )
    # Without a transaction the COPY would be committed apart from the INSERT.
    atomic = transaction.atomic(using=connection.alias, savepoint=False)
    with atomic, connection.cursor() as cursor:
        cursor.execute(create)
        _copy(cursor, target=staging, table=ORDERS, rows=rows, connection=connection)
        cursor.execute(upsert)
        return [UpsertedRow(row[0], row[1], row[2]) for row in cursor.fetchall()]


def _orders_upsert_sqlite(
    rows: Sequence[Row], *, conflict: str, connection: Any
) -> list[UpsertedRow]:
    # The transaction holds the database's write lock from BEGIN (IMMEDIATE), so nobody
    # can insert between this read and the statements below.
    keys = [row[_SOURCE_ID] for row in rows]
    existing = set(
        Order.objects.using(connection.alias)
        .filter(cart_id=rows[0][_CART_ID], source_order_id__in=keys)
        .values_list("source_order_id", flat=True)
    )
    upserted = []
    with transaction.atomic(using=connection.alias, savepoint=False):
        for head, params in _inserts(ORDERS, rows, connection):
            with connection.cursor() as cursor:
                cursor.execute(f"{head}{conflict}RETURNING id, source_order_id", params)
                upserted += [
                    UpsertedRow(row[0], row[1], row[1] not in existing) for row in cursor.fetchall()
                ]
    return upserted


def rows_insert(*, table: Table, rows: Sequence[Row], using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert rows of a table that has no conflict to arbitrate (order lines, events): COPY
    on PostgreSQL, multi-row INSERTs on SQLite."""
    if not rows:
        return
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            target = connection.ops.quote_name(table.model._meta.db_table)
            _copy(cursor, target=target, table=table, rows=rows, connection=connection)
        return
    with transaction.atomic(using=using, savepoint=False):
        for head, params in _inserts(table, rows, connection):
            with connection.cursor() as cursor:
                cursor.execute(head, params)


def _copy(cursor: Any, *, target: str, table: Table, rows: Sequence[Row], connection: Any) -> None:
    quote = connection.ops.quote_name
    sql = f"COPY {target} ({', '.join(quote(column) for column in table.columns)}) FROM STDIN"
    text = io.StringIO(table.copy_text(rows, connection))
    # psycopg2's COPY (the driver pyproject.toml pins). Django logs execute() only: the query
    # log (and the tests' query counts) must see the COPY too, and its errors must arrive
    # as Django's (IntegrityError …) like any other statement's.
    logged = cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
    connection.validate_no_broken_transaction()
    with logged, connection.wrap_database_errors:
        cursor.cursor.copy_expert(sql, text, size=COPY_CHUNK)


def _inserts(table: Table, rows: Sequence[Row], connection: Any) -> Iterator[tuple[str, list[Any]]]:
    """`INSERT INTO table (columns) VALUES (...), (...) ` and its params, in batches of as
    many rows as the database takes parameters for."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in table.columns)
    head = f"INSERT INTO {quote(table.model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    placeholders = "(" + ", ".join(["%s"] * len(table.columns)) + ")"
    # PostgreSQL takes any number of rows in one statement; SQLite a few hundred parameters.
    size = max(1, connection.ops.bulk_batch_size(table.fields, rows))
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        yield head + ", ".join([placeholders] * len(batch)) + " ", table.params(batch, connection)


@cache
def _staging_name(table: Table, alias: str) -> str:
    connection = connections[alias]
    types = ",".join(f"{field.column} {field.db_type(connection)}" for field in table.fields)
    digest = hashlib.sha1(types.encode()).hexdigest()[:10]  # noqa: S324 (a name, not a secret)
    return f"{table.model._meta.db_table}_page_{digest}"


def shipments_insert(
    shipments: Sequence[Shipment], *, using: str = DEFAULT_DB_ALIAS
) -> list[UpsertedRow]:
    """Insert shipments not stored yet; returns the inserted ones (key = order_id:ref)."""
    connection = connections[using]
    rows = [tuple(getattr(shipment, name) for name in SHIPMENTS.names) for shipment in shipments]
    inserted = []
    for head, params in _inserts(SHIPMENTS, rows, connection):
        with connection.cursor() as cursor:
            cursor.execute(
                f"{head}ON CONFLICT (order_id, wms_shipment_ref) DO NOTHING "
                "RETURNING id, order_id, wms_shipment_ref",
                params,
            )
            inserted += [
                UpsertedRow(row[0], f"{row[1]}:{row[2]}", True) for row in cursor.fetchall()
            ]
    return inserted
