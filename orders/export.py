"""The orders screen's CSV export: one row per line, streamed chunk by chunk."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from integration_manager.records import Address
from orders.models import Order, OrderLine, Shipment

CHUNK_SIZE = 2000
ROWS_PER_WRITE = 500
ORDER_COLUMNS = [
    "order_number",
    "reference",
    "status",
    "merchant",
    "cart",
    "ordered_at",
    "ship_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "zip",
    "country",
    "email",
    "ship_code",
    "wms_ship_code",
    "wms_reference",
    "tracking_numbers",
    "grand_total",
    "currency",
]
LINE_COLUMNS = [
    "line_number",
    "sku",
    "wms_sku",
    "description",
    "quantity",
    "quantity_shipped",
    "price",
    "line_amount",
    "filtered",
]
EXPORTED_FIELDS = (
    "order_number",
    "cust_ref",
    "status",
    "merchant__name",
    "cart__label",
    "ordered_at",
    "ship_name",
    "ship_to",
    "email",
    "ship_code",
    "wms_ship_code",
    "wms_reference",
    "grand_total",
    "currency",
)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """csv.writer writes into this and gets the line back, so nothing is buffered."""

    def write(self, value: str) -> str:
        return value


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _chunks(orders: Iterable[Order], size: int) -> Iterator[list[Order]]:
    iterator = iter(orders)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _order_cells(order: Order, zone: ZoneInfo, tracking: str) -> list[str]:
    ship_to = Address.from_dict(order.ship_to)
    ordered_at: datetime = order.ordered_at.astimezone(zone)
    return [
        _text(order.order_number),
        order.cust_ref,
        order.get_status_display(),
        _text(order.merchant.name),
        _text(order.cart.label),
        ordered_at.strftime("%Y-%m-%d %H:%M:%S"),
        _text(order.ship_name),
        _text(ship_to.company),
        _text(ship_to.address_1),
        _text(ship_to.address_2),
        _text(ship_to.city),
        _text(ship_to.state),
        _text(ship_to.zip),
        _text(ship_to.country),
        _text(order.email),
        _text(order.ship_code),
        _text(order.wms_ship_code),
        _text(order.wms_reference),
        _text(tracking),
        f"{order.grand_total:.2f}",
        order.currency,
    ]


def _line_cells(line: OrderLine) -> list[str]:
    return [
        str(line.line_number),
        _text(line.sku),
        _text(line.wms_sku),
        _text(line.description),
        format(line.quantity.normalize(), "f"),
        format(line.quantity_shipped.normalize(), "f"),
        f"{line.price:.2f}",
        f"{line.extended_amount:.2f}",
        "yes" if line.filtered else "",
    ]


def order_export_rows(
    orders: QuerySet[Order], *, zone: ZoneInfo, chunk_size: int = CHUNK_SIZE
) -> Iterator[list[str]]:
    """The header, then one row per line (an order without lines: one row). Orders are read
    with a server-side cursor; their lines and tracking numbers one chunk at a time."""
    yield [*ORDER_COLUMNS, *LINE_COLUMNS]
    # Only what the file shows: the cart's credentials are never decrypted a million times.
    ordered = (
        orders.select_related("merchant", "cart")
        .only(*EXPORTED_FIELDS)
        .order_by("-ordered_at", "-id")
    )
    for chunk in _chunks(ordered.iterator(chunk_size=chunk_size), chunk_size):
        ids = [order.id for order in chunk]
        lines: dict[int, list[OrderLine]] = {}
        for line in OrderLine.objects.filter(order_id__in=ids).order_by("order_id", "line_number"):
            lines.setdefault(line.order_id, []).append(line)
        tracking: dict[int, list[str]] = {}
        shipments = Shipment.objects.filter(order_id__in=ids).exclude(tracking_number="")
        for order_id, number in shipments.values_list("order_id", "tracking_number"):
            tracking.setdefault(order_id, []).append(number)
        for order in chunk:
            cells = _order_cells(order, zone, " ".join(tracking.get(order.id, [])))
            order_lines = lines.get(order.id)
            if not order_lines:
                yield [*cells, *[""] * len(LINE_COLUMNS)]
            for line in order_lines or []:
                yield [*cells, *_line_cells(line)]


def order_export_csv(
    orders: QuerySet[Order], *, zone: ZoneInfo, chunk_size: int = CHUNK_SIZE
) -> Iterator[str]:
    """The export as CSV text, a row at a time (for a StreamingHttpResponse)."""
    writer = csv.writer(_Echo())
    buffer = ["\ufeff"]  # a byte-order mark, so spreadsheets read the file as UTF-8
    for row in order_export_rows(orders, zone=zone, chunk_size=chunk_size):
        buffer.append(writer.writerow(row))
        if len(buffer) >= ROWS_PER_WRITE:  # fewer, larger writes to the socket
            yield "".join(buffer)
            buffer = []
    yield "".join(buffer)
