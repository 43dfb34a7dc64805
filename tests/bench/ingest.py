"""1. Ingest: a download page of 250 orders through the real service, against two floors
measured in the same run: one bulk INSERT per table built from the same objects, and
PostgreSQL COPY of rows prepared beforehand (the database's own floor)."""

from __future__ import annotations

import io
import json
import statistics
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integration_manager.records import OrderPage, OrderRecord
from orders.jobs import ORDER_DOWNLOAD
from orders.models import Order, OrderEvent, OrderLine
from orders.services.download import _lines_from_record, _order_from_record, order_page_store
from tests.bench.common import record, say, summary, tenant, timed
from tests.objects import order_record, recorder

PAGE = 250
REPEAT = 10


def run() -> None:
    say(f"\n1. Ingest: a download page of {PAGE} orders (2 lines each)")
    _, merchant, cart = tenant("page")
    run_ = recorder(merchant=merchant, service=ORDER_DOWNLOAD, cart=cart)
    numbers = iter(range(1, 10_000_000))

    def records() -> list[OrderRecord]:
        return [order_record(next(numbers), skus=("A", "B")) for _ in range(PAGE)]

    pages = [OrderPage(orders=records(), cursor="c") for _ in range(REPEAT + 2)]
    with CaptureQueriesContext(connection) as queries:
        order_page_store(cart=cart, page=pages.pop(), run=run_)
    service = timed(lambda: order_page_store(cart=cart, page=pages.pop(), run=run_), REPEAT)

    def bulk_floor() -> None:
        page = records()
        now = timezone.now()
        with transaction.atomic():
            orders = Order.objects.bulk_create([_order_from_record(cart, r, now) for r in page])
            lines, events = _children(orders, page)
            OrderLine.objects.bulk_create(lines)
            OrderEvent.objects.bulk_create(events)

    bulk = timed(bulk_floor, REPEAT)
    prepared = [_copy_rows(cart, records()) for _ in range(REPEAT)]
    copy = timed(lambda: _copy(prepared.pop()), REPEAT)

    say(f"   order_page_store: {summary(service)}; {len(queries.captured_queries)} queries a page")
    say(f"   bulk INSERT floor: {summary(bulk)}")
    say(f"   COPY floor (rows prepared beforehand): {summary(copy)}")
    sizes = {"orders_a_page": PAGE, "lines_an_order": 2, "pages_timed": REPEAT}
    record(
        "ingest_orders_per_second",
        PAGE / statistics.median(service),
        "orders/s",
        **sizes,
    )
    record(
        "ingest_vs_bulk_insert_floor",
        statistics.median(bulk) / statistics.median(service),
        "ratio",
        goal=(">=", 0.85),
        **sizes,
    )
    record(
        "ingest_vs_copy_floor",
        statistics.median(copy) / statistics.median(service),
        "ratio",
        goal=(">=", 0.5),
        **sizes,
    )


def _children(orders: list[Order], page: list[OrderRecord]) -> tuple[list, list]:  # type: ignore[type-arg]
    by_source = {order.source_order_id: order for order in orders}
    lines = [line for r in page for line in _lines_from_record(by_source[r.source_order_id], r)]
    events = [
        OrderEvent(
            account_id=order.account_id,
            merchant_id=order.merchant_id,
            order_id=order.id,
            to_status="new",
            message="bench",
        )
        for order in orders
    ]
    return lines, events


def _copy_rows(cart, page: list[OrderRecord]) -> list[tuple[str, list[str], str]]:  # type: ignore[no-untyped-def]
    """The COPY input of one page (table, columns, CSV text), ids drawn beforehand."""
    now = timezone.now()
    orders = [_order_from_record(cart, r, now) for r in page]
    for order, order_id in zip(orders, _ids(Order, len(orders)), strict=True):
        order.id = order_id
    lines, events = _children(orders, page)
    for rows, model in ((lines, OrderLine), (events, OrderEvent)):
        for row, row_id in zip(rows, _ids(model, len(rows)), strict=True):
            row.id = row_id
    return [_csv(Order, orders), _csv(OrderLine, lines), _csv(OrderEvent, events)]


def _ids(model: type[Model], count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _csv(model: type[Model], objects: Iterable[Model]) -> tuple[str, list[str], str]:
    fields = model._meta.concrete_fields
    out = io.StringIO()
    for obj in objects:
        cells = []
        for field in fields:
            value = field.get_db_prep_save(getattr(obj, field.attname), connection)
            if hasattr(value, "adapted"):  # a JSON value wrapped for psycopg2
                value = json.dumps(value.adapted)
            cells.append("" if value is None else '"' + str(value).replace('"', '""') + '"')
        out.write(",".join(cells) + "\n")
    return model._meta.db_table, [field.column for field in fields], out.getvalue()


def _copy(tables: list[tuple[str, list[str], str]]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns, text in tables:
            cursor.copy_expert(
                f'COPY "{table}" ({", ".join(columns)}) FROM STDIN WITH (FORMAT csv)',
                io.StringIO(text),
            )
