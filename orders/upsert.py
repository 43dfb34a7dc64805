"""INSERT … ON CONFLICT for orders and shipments: the one place where PostgreSQL and SQLite differ.

Both statements say exactly which rows this call inserted, so lines and events are written
once, however many downloads race on the same page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

from orders.models import Order, Shipment


@dataclass(frozen=True)
class UpsertedRow:
    id: int
    key: str
    inserted: bool


def _columns(model: type[Model], exclude: set[str]) -> list[Any]:
    return [field for field in model._meta.concrete_fields if field.attname not in exclude]


def _insert_head(
    model: type[Model], instances: Sequence[Model], connection: Any
) -> tuple[str, list[Any]]:
    """`INSERT INTO table (columns) VALUES (...), (...)` for these instances, and its params."""
    quote = connection.ops.quote_name
    fields = _columns(model, exclude={"id"})
    values, params = _values(fields, instances, connection)
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES {values} ", params  # noqa: S608


def _values(
    fields: list[Any], instances: Sequence[Model], connection: Any
) -> tuple[str, list[Any]]:
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for instance in instances:
        for field in fields:
            params.append(field.get_db_prep_save(getattr(instance, field.attname), connection))
    return ", ".join([row] * len(instances)), params


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


def orders_upsert(orders: Sequence[Order], *, using: str = DEFAULT_DB_ALIAS) -> list[UpsertedRow]:
    """Insert new orders; refresh ones still `new` whose cart copy is newer; leave the rest.

    An order past `new`, or one whose delivery has started, is never overwritten. Returns a
    row for each order inserted or refreshed (key = source_order_id); an order left alone
    is not returned.
    """
    if not orders:
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
    head, params = _insert_head(Order, orders, connection)
    assignments = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in refreshed)
    # A newer copy is checked again before a warehouse that pulls orders may take it.
    assignments += f", {quote('ready_at')} = NULL"
    sql = (
        f"{head}ON CONFLICT (cart_id, source_order_id) DO UPDATE SET {assignments} "
        f"WHERE {table}.status = 'new' AND {table}.delivery_started_at IS NULL "
        f"AND {table}.source_updated_at IS NOT NULL "
        f"AND excluded.source_updated_at > {table}.source_updated_at "
    )
    cart_id = orders[0].cart_id
    if connection.vendor == "postgresql":
        # xmax is 0 on a row this statement inserted, and set on a row it updated.
        sql += "RETURNING id, source_order_id, (xmax = 0)"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [UpsertedRow(row[0], row[1], row[2]) for row in cursor.fetchall()]
    # SQLite: the transaction holds the database's write lock from BEGIN (IMMEDIATE), so
    # nobody can insert between this read and the statement below.
    existing = set(
        Order.objects.using(using)
        .filter(cart_id=cart_id, source_order_id__in=[order.source_order_id for order in orders])
        .values_list("source_order_id", flat=True)
    )
    sql += "RETURNING id, source_order_id"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [UpsertedRow(row[0], row[1], row[1] not in existing) for row in cursor.fetchall()]


def shipments_insert(
    shipments: Sequence[Shipment], *, using: str = DEFAULT_DB_ALIAS
) -> list[UpsertedRow]:
    """Insert shipments not stored yet; returns the inserted ones (key = order_id:ref)."""
    if not shipments:
        return []
    connection = connections[using]
    head, params = _insert_head(Shipment, shipments, connection)
    sql = (
        f"{head}ON CONFLICT (order_id, wms_shipment_ref) DO NOTHING "
        "RETURNING id, order_id, wms_shipment_ref"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [UpsertedRow(row[0], f"{row[1]}:{row[2]}", True) for row in cursor.fetchall()]
