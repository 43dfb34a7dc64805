"""3PL Warehouse Manager shipments: closed orders and their packages as shipment records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from integration_manager.connector_errors import RecordError
from integration_manager.parsing import parse_iso_datetime
from integration_manager.records import ShipmentLineRecord, ShipmentRecord
from wms.connectors.threepl.client import LABEL, resource_list
from wms.connectors.threepl.orders import CANCELED, order_id_of, read_only, status_of

# Changes are read again this far back: a change committed late, or stamped by another
# server's clock, is still seen. Shipments are stored once per package, so a repeat is free.
OVERLAP = timedelta(minutes=10)
FIRST_WINDOW = timedelta(days=7)
# detail=All brings the items and readOnly.packages[].packageContents in the same answer:
# one call a page. The bulk tracking list (/orders/shipmentstrackinginfo) has no contents,
# so lines would cost a call per order.
DETAIL = "All"
SORT = "readOnly.lastModifiedDate"

# WMS timestamps carry no offset, and Extensiv does not say whether a field is UTC or the
# warehouse's time. The cursor therefore stays in the WMS's own terms: the newest
# lastModifiedDate as the WMS wrote it, compared and sent back as the same naive text. Only
# where a moment leaves the connector (the ship date) is it read as UTC.


def _naive(value: Any) -> datetime | None:
    """A WMS timestamp ("2026-03-03T15:04:05", maybe with a fraction) as a naive datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else parsed.astimezone(UTC).replace(tzinfo=None)


def _stamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None, microsecond=0).isoformat()


def modified_of(order: Mapping[str, Any]) -> datetime | None:
    return _naive(read_only(order).get("lastModifiedDate"))


def window_start(cursor: str | None, *, now: datetime) -> str:
    """Where a read starts: the cursor less the overlap; the first read a week back (a
    week is wide enough for any offset between the WMS's clock and UTC)."""
    moment = _naive(cursor) if cursor else None
    if moment is None:
        return _stamp(now.astimezone(UTC) - FIRST_WINDOW)
    return _stamp(moment - OVERLAP)


def closed_orders_rql(*, customer_id: int, since: str) -> str:
    return (
        f"readOnly.isClosed==true;readOnly.customerIdentifier.id=={customer_id};"
        f"readOnly.lastModifiedDate=ge={since}"
    )


class ClosedOrderListing:
    """Pages of one customer's closed orders, oldest change first.

    Each page after a full one starts again at the newest change read (not at the next page
    number), so an order changed during the read moves to the end instead of pushing one not
    yet read onto a page already passed. Orders read twice are dropped; a full page all of one
    moment goes on by page number.
    """

    def __init__(self, *, cursor: str | None, now: datetime) -> None:
        self.since = window_start(cursor, now=now)
        self.page = 1
        self.cursor = cursor
        self._newest = _naive(cursor) if cursor else None
        self._seen: set[int] = set()

    def fresh(self, orders: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The orders of a page not read before in this listing; the cursor follows them."""
        fresh = []
        for order in orders:
            order_id = order_id_of(order)
            if order_id is None or order_id in self._seen:
                continue
            self._seen.add(order_id)
            fresh.append(order)
            modified = modified_of(order)
            if modified is not None and (self._newest is None or modified > self._newest):
                self._newest = modified
                self.cursor = _stamp(modified)
        return fresh

    def advance(self, orders: Sequence[Mapping[str, Any]], *, page_size: int) -> bool:
        """Move to the next page; False when this one was the last."""
        if len(orders) < page_size:
            return False
        moments = [moment for moment in map(modified_of, orders) if moment is not None]
        newest = _stamp(max(moments)) if moments else self.since
        if newest > self.since:
            self.since, self.page = newest, 1
        else:
            self.page += 1
        return True


# Ship confirm stores quantities in a column of 12 digits, 3 after the point.
MAX_QUANTITY = Decimal(10) ** 9


def _quantity(value: Any) -> Decimal:
    """A line's quantity; 0 when missing or not a number. ValueError for an infinite, NaN or
    impossibly large one, which cannot be stored and says nothing of what shipped."""
    try:
        quantity = Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        return Decimal("0")
    if not quantity.is_finite() or abs(quantity) >= MAX_QUANTITY:
        raise ValueError(f"quantity {str(value)[:20]}")
    return quantity


def _items(order: Mapping[str, Any]) -> list[tuple[str, str, Decimal]]:
    """(orderItemId, sku, qty) of each line, from either representation."""
    items = order.get("orderItems") or resource_list(order, "orders/item")
    lines = []
    for item in items if isinstance(items, list) else []:
        item_id = str((item.get("readOnly") or {}).get("orderItemId") or "")
        sku = str((item.get("itemIdentifier") or {}).get("sku") or "")
        lines.append((item_id, sku, _quantity(item.get("qty"))))
    return lines


def _lines(quantities: Iterable[tuple[str, Decimal]]) -> tuple[ShipmentLineRecord, ...]:
    """One line per SKU, in first-seen order (lots of one item are summed)."""
    totals: dict[str, Decimal] = {}
    for sku, quantity in quantities:
        if sku and quantity > 0:
            totals[sku] = totals.get(sku, Decimal("0")) + quantity
    return tuple(ShipmentLineRecord(sku=sku, quantity=quantity) for sku, quantity in totals.items())


def _contents(package: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    contents = package.get("packageContents")
    if isinstance(contents, list):
        return [entry for entry in contents if isinstance(entry, Mapping)]
    return resource_list(package, "orders/packagecontent")


def _shipped_at(order: Mapping[str, Any]) -> datetime:
    dates = read_only(order)
    for name in ("shipDate", "smallParcelShipDate", "processDate", "lastModifiedDate"):
        try:
            return parse_iso_datetime(dates.get(name))  # no offset: read as UTC
        except ValueError:
            continue
    return datetime.now(UTC).replace(microsecond=0)


# What reading an order that is not what the WMS documents raises: a value of another type
# (a line that is null has no .get), a quantity that is no finite number (_quantity).
UNREADABLE = (LookupError, TypeError, ValueError, AttributeError, ArithmeticError)


def shipment_records(order: Mapping[str, Any]) -> list[ShipmentRecord]:
    """A closed order's shipments: one per package, its lines from packageContents; an order
    closed without packages is one shipment of all its lines (order-level tracking, if any).
    The documented order model has no shipping cost, so none is reported. RecordError for an
    order that cannot be read."""
    try:
        return _shipment_records(order)
    except UNREADABLE as error:
        reference = str(order.get("referenceNum") or order_id_of(order) or "")[:40]
        raise RecordError(
            f"{LABEL} sent a closed order ({reference or 'no reference'}) the hub could not "
            f"read ({type(error).__name__}: {str(error)[:80]}). Check the order in the WMS.",
            record_ref=reference,
        ) from None


def _shipment_records(order: Mapping[str, Any]) -> list[ShipmentRecord]:
    order_id = order_id_of(order)
    if order_id is None or status_of(order) == CANCELED:
        return []
    routing = order.get("routingInfo") or {}
    items = _items(order)
    sku_by_item = {item_id: sku for item_id, sku, _ in items}
    packages = [
        package
        for package in read_only(order).get("packages") or []
        if isinstance(package, Mapping)
    ]
    common = {
        "cust_ref": str(order.get("referenceNum") or ""),
        "shipped_at": _shipped_at(order),
        "carrier": str(routing.get("carrier") or ""),
        "method": str(routing.get("mode") or ""),
        "scac": str(routing.get("scacCode") or ""),
    }
    order_tracking = str(routing.get("trackingNumber") or "")
    all_lines = _lines((sku, quantity) for _, sku, quantity in items)
    if not packages:
        return [
            ShipmentRecord(
                wms_shipment_ref=str(order_id),
                tracking_number=order_tracking,
                lines=all_lines,
                **common,
            )
        ]
    # Packages recorded without contents: the first carries the order's lines.
    without_contents = not any(_contents(package) for package in packages)
    records = []
    for index, package in enumerate(packages):
        if without_contents:
            lines = all_lines if index == 0 else ()
        else:
            contents = _contents(package)
            lines = _lines(
                (
                    sku_by_item.get(str(entry.get("orderItemId") or ""), ""),
                    _quantity(entry.get("qty")),
                )
                for entry in contents
            )
        package_id = package.get("packageId") or index + 1
        records.append(
            ShipmentRecord(
                wms_shipment_ref=f"{order_id}-{package_id}",
                tracking_number=str(package.get("trackingNumber") or order_tracking),
                lines=lines,
                **common,
            )
        )
    return records
