"""What a warehouse's system writes through the API: orders received, shipments, stock levels,
ship-method mappings. Bodies are read into records here (ApiError names the bad field); the
hub's own services store them, so the carts get them as from any other WMS."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Merchant
from api.envelope import INVALID, ApiError
from carts.models import CartConnection
from integration_manager.records import ShipmentLineRecord, ShipmentPage, ShipmentRecord, StockLevel
from inventory.pickup import PickupOutcome, inventory_levels_store
from jobs.models import JobRun, ServiceSchedule
from jobs.recorder import RunRecorder
from orders.jobs import SHIP_CONFIRM
from orders.models import Order, OrderStatus
from orders.services.events import order_event_write
from orders.services.ship_confirm import shipment_page_store
from wms.models import WmsShipMethod
from wms.services import ship_method_map_save

MAX_REFS = 100  # as a page of the list: one call per page of new orders
MAX_SHIPMENTS = 50
MAX_LEVELS = 5_000
RECEIVED = "Received by the warehouse's system through the API."
NOT_READY = (
    "The hub is still checking this order (its rules and ship method): it is not listed as "
    "new yet. Take it once GET /v1/merchant/orders/list/new lists it."
)


def _text(value: Any, *, name: str, required: bool = True, length: int = 200) -> str:
    if value is None or value == "":
        if required:
            raise ApiError(INVALID, f"{name} is missing.")
        return ""
    if not isinstance(value, str | int):
        raise ApiError(INVALID, f"{name} must be a string.")
    text = str(value).strip()
    if len(text) > length:
        raise ApiError(INVALID, f"{name} is longer than {length} characters.")
    return text


# What the columns hold: money has 14 digits (4 after the point), shipped quantities 12 (3
# after), stock levels are integers. A larger number was a server error when stored.
MONEY_LIMIT = Decimal(10) ** 10
QUANTITY_LIMIT = Decimal(10) ** 9
STOCK_LIMIT = Decimal(2**31 - 1)


def _number(value: Any, *, name: str, limit: Decimal = MONEY_LIMIT) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApiError(INVALID, f"{name} must be a number, not {str(value)[:20]!r}.") from None
    if not number.is_finite() or number < 0:
        raise ApiError(INVALID, f"{name} must be zero or more.")
    if number >= limit:
        raise ApiError(INVALID, f"{name} must be less than {limit:,.0f}.")
    return number


def _whole(value: Any, *, name: str) -> int:
    number = _number(value, name=name, limit=STOCK_LIMIT + 1)
    if number != number.to_integral_value():
        raise ApiError(INVALID, f"{name} must be a whole number.")
    return int(number)


def _moment(value: Any, *, name: str) -> datetime:
    """A timestamp with a zone, or a date (taken as midnight UTC)."""
    text = _text(value, name=name, length=40)
    try:
        # A date first: parse_datetime would take "2026-11-21" as a naive midnight.
        day = parse_date(text)
        moment = None if day else parse_datetime(text)
    except ValueError:
        day = moment = None
    if day is not None:
        return datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    if moment is None:
        raise ApiError(INVALID, f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time.")
    if timezone.is_naive(moment):
        raise ApiError(INVALID, f"{name} needs a time zone, e.g. 2018-08-27T02:24:58+00:00.")
    return moment


# orders received ---------------------------------------------------------------------------


@dataclass
class Receipts:
    received: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)


def received_refs_parse(body: Any) -> list[str]:
    refs = body.get("cust_refs") if isinstance(body, dict) else None
    if not isinstance(refs, list) or not refs:
        raise ApiError(INVALID, 'Send {"cust_refs": ["…", …]}: the references of the orders.')
    if len(refs) > MAX_REFS:
        raise ApiError(INVALID, f"Send at most {MAX_REFS} cust_refs per call.")
    return [_text(ref, name=f"cust_refs[{index}]", length=40) for index, ref in enumerate(refs)]


def orders_receive(*, merchant: Merchant, cust_refs: list[str], only_ready: bool) -> Receipts:
    """new → at_wms for each order named, once: a second call for the same order, or an
    order in another status, is answered in `failed` with its status. only_ready: a new
    order the hub has not checked yet (not listed) is refused too."""
    orders = {
        order.cust_ref: order
        for order in Order.objects.filter(
            account_id=merchant.account_id, merchant=merchant, cust_ref__in=cust_refs
        )
    }
    receipts = Receipts()
    for ref in dict.fromkeys(cust_refs):
        order = orders.get(ref)
        if order is None:
            receipts.failed.append(_refusal(ref, f"No order {ref} for this merchant."))
        elif order.sending_canceled:
            receipts.failed.append(_refusal(ref, "Sending was canceled: do not ship it."))
        elif only_ready and order.status == OrderStatus.NEW and order.ready_at is None:
            receipts.failed.append(_refusal(ref, NOT_READY))
        elif _receive(order, only_ready=only_ready):
            receipts.received.append(ref)
        else:
            order.refresh_from_db(fields=["status"])
            receipts.failed.append(
                _refusal(ref, f"The order is {order.status}, not new: nothing changed.")
            )
    return receipts


def _refusal(ref: str, message: str) -> dict[str, str]:
    return {"cust_ref": ref, "error_code": INVALID, "message": message}


@transaction.atomic
def _receive(order: Order, *, only_ready: bool) -> bool:
    now = timezone.now()
    # The status is the claim: of two calls for one order, one moves it and writes the event.
    receivable = Order.objects.filter(id=order.id, status=OrderStatus.NEW, sending_canceled=False)
    if only_ready:
        receivable = receivable.filter(ready_at__isnull=False)
    moved = receivable.update(
        status=OrderStatus.AT_WMS,
        delivered_at=now,
        updated_at=now,
        error_reason="",
        error_code="",
        not_before=None,
    )
    if moved:
        order_event_write(
            order, from_status=OrderStatus.NEW, to_status=OrderStatus.AT_WMS, message=RECEIVED
        )
    return bool(moved)


# shipments ---------------------------------------------------------------------------------


def shipments_parse(body: Any, *, cust_ref: str) -> list[ShipmentRecord]:
    shipments = body.get("shipments") if isinstance(body, dict) else None
    if not isinstance(shipments, list) or not shipments:
        raise ApiError(INVALID, 'Send {"shipments": [{"carrier", "tracking_no", "items", …}]}.')
    if len(shipments) > MAX_SHIPMENTS:
        raise ApiError(INVALID, f"Send at most {MAX_SHIPMENTS} shipments per call.")
    return [
        _shipment(entry, cust_ref=cust_ref, name=f"shipments[{index}]")
        for index, entry in enumerate(shipments)
    ]


def _shipment(entry: Any, *, cust_ref: str, name: str) -> ShipmentRecord:
    if not isinstance(entry, dict):
        raise ApiError(INVALID, f"{name} must be an object.")
    tracking = _text(entry.get("tracking_no"), name=f"{name}.tracking_no", required=False)
    # Its reference makes a shipment posted twice (a retried call) the same shipment.
    reference = _text(entry.get("shipment_id"), name=f"{name}.shipment_id", required=False)
    if not (reference or tracking):
        raise ApiError(INVALID, f"{name} needs a tracking_no or a shipment_id.")
    shipped = entry.get("date")
    items = entry.get("items")
    if not isinstance(items, list) or not items:
        raise ApiError(INVALID, f"{name}.items must list the items shipped: [{{item, quantity}}].")
    return ShipmentRecord(
        cust_ref=cust_ref,
        wms_shipment_ref=reference or tracking,
        shipped_at=_moment(shipped, name=f"{name}.date") if shipped else timezone.now(),
        carrier=_text(entry.get("carrier"), name=f"{name}.carrier", required=False, length=100),
        method=_text(entry.get("method"), name=f"{name}.method", required=False, length=100),
        tracking_number=tracking,
        cost=_number(entry.get("cost") or 0, name=f"{name}.cost"),
        lines=tuple(
            _shipment_line(item, name=f"{name}.items[{i}]") for i, item in enumerate(items)
        ),
    )


def _shipment_line(item: Any, *, name: str) -> ShipmentLineRecord:
    if not isinstance(item, dict):
        raise ApiError(INVALID, f"{name} must be an object with item and quantity.")
    quantity = _number(item.get("quantity"), name=f"{name}.quantity", limit=QUANTITY_LIMIT)
    if not quantity:
        raise ApiError(INVALID, f"{name}.quantity must be more than zero.")
    return ShipmentLineRecord(sku=_text(item.get("item"), name=f"{name}.item"), quantity=quantity)


def api_shipments_store(
    *, merchant: Merchant, order: Order, shipments: list[ShipmentRecord]
) -> int:
    """Store the shipments as ship confirm would (each once; the order becomes shipped, or
    partly shipped, and its cart's shipment upload is made due); recorded as a run of the
    merchant's ship confirm so people see it where they see every other shipment."""
    if order.status == OrderStatus.CANCELED:
        raise ApiError(INVALID, f"Order {order.cust_ref} is canceled: it cannot ship.")
    with _api_run(merchant=merchant) as (schedule, run):
        stored = shipment_page_store(
            schedule=schedule, merchant=merchant, page=ShipmentPage(shipments=shipments), run=run
        )
        run.say(f"{stored} new shipment(s) posted through the API for {order.cust_ref}.")
    return stored


@contextmanager
def _api_run(*, merchant: Merchant) -> Iterator[tuple[ServiceSchedule, RunRecorder]]:
    """A JobRun of the merchant's ship confirm for one API call (trigger "webhook": the
    warehouse's system pushed it), finished with the call."""
    from jobs.services import schedules_ensure_for_merchant

    schedules_ensure_for_merchant(merchant=merchant)
    schedule = ServiceSchedule.objects.get(merchant=merchant, cart=None, service=SHIP_CONFIRM)
    run = RunRecorder(
        JobRun.objects.create(
            account_id=merchant.account_id,
            merchant=merchant,
            schedule=schedule,
            service=SHIP_CONFIRM,
            trigger=JobRun.Trigger.WEBHOOK,
        )
    )
    failed = True
    try:
        yield schedule, run
        failed = False
    finally:
        JobRun.objects.filter(id=run.job_run.id).update(
            status=JobRun.Status.FAILED if failed or run.failed else JobRun.Status.SUCCESS,
            finished_at=timezone.now(),
            records_seen=run.seen,
            records_ok=run.ok,
            records_failed=run.failed,
            records_skipped=run.skipped,
            message=run.message or "The API call failed; the warehouse's system was told.",
            log=run.text(),
        )


# stock levels ------------------------------------------------------------------------------


def levels_parse(body: Any) -> list[StockLevel]:
    """{"warehouses": {"<warehouse>": [{sku, qty_available, qty_on_hand}, …]}} or a list of
    {sku, warehouse, qty_available, qty_on_hand}; warehouse is the WMS's own location id."""
    if isinstance(body, dict) and isinstance(body.get("warehouses"), dict):
        rows = list(_rows_by_warehouse(body["warehouses"]))
    elif isinstance(body, list):
        rows = [(f"[{index}]", row, None) for index, row in enumerate(body)]
    else:
        raise ApiError(
            INVALID,
            'Send {"warehouses": {"<warehouse>": [{"sku", "qty_available", "qty_on_hand"}]}} '
            'or a list of {"sku", "warehouse", "qty_available", "qty_on_hand"}.',
        )
    if not rows:
        raise ApiError(INVALID, "No stock levels in the body.")
    if len(rows) > MAX_LEVELS:
        raise ApiError(INVALID, f"Send at most {MAX_LEVELS} stock levels per call.")
    return [_level(name, row, warehouse) for name, row, warehouse in rows]


def _rows_by_warehouse(warehouses: dict[str, Any]) -> Iterator[tuple[str, Any, str]]:
    for warehouse, rows in warehouses.items():
        if not isinstance(rows, list):
            raise ApiError(INVALID, f"warehouses.{warehouse[:40]} must be a list of levels.")
        for index, row in enumerate(rows):
            yield f"warehouses.{warehouse[:40]}[{index}]", row, warehouse


def _level(name: str, row: Any, warehouse: str | None) -> StockLevel:
    if not isinstance(row, dict):
        raise ApiError(INVALID, f"{name} must be an object.")
    if warehouse is None:
        warehouse = _text(row.get("warehouse"), name=f"{name}.warehouse", required=False)
    available = _whole(row.get("qty_available"), name=f"{name}.qty_available")
    on_hand = row.get("qty_on_hand")
    stamp = row.get("wms_datetime")
    return StockLevel(
        sku=_text(row.get("sku"), name=f"{name}.sku"),
        location_id=_text(warehouse, name=f"{name}.warehouse", required=False, length=100),
        available=available,
        on_hand=available if on_hand is None else _whole(on_hand, name=f"{name}.qty_on_hand"),
        updated_at=_moment(stamp, name=f"{name}.wms_datetime") if stamp else None,
    )


def api_levels_store(*, merchant: Merchant, levels: list[StockLevel]) -> PickupOutcome:
    """Stored as an inventory run stores them: the carts whose stock changed get an upload."""
    return inventory_levels_store(merchant=merchant, levels=levels)


# ship-method mappings ----------------------------------------------------------------------


def ship_maps_parse(body: Any, *, account_id: int) -> list[tuple[str, str]]:
    """[{"cart_code", "wms_code" or null}]: a wms_code must be one of the account's active
    WMS ship methods; null maps the code to itself (passthrough)."""
    if not isinstance(body, list) or not body:
        raise ApiError(INVALID, 'Send a list: [{"cart_code": "Express", "wms_code": "20"}].')
    known = set(
        WmsShipMethod.objects.filter(account_id=account_id, is_active=True).values_list(
            "code", flat=True
        )
    )
    pairs = []
    for index, entry in enumerate(body):
        if not isinstance(entry, dict):
            raise ApiError(INVALID, f"[{index}] must be an object with cart_code and wms_code.")
        cart_code = _text(entry.get("cart_code"), name=f"[{index}].cart_code")
        wms_code = _text(entry.get("wms_code"), name=f"[{index}].wms_code", required=False)
        if wms_code and wms_code not in known:
            raise ApiError(
                INVALID,
                f"[{index}].wms_code {wms_code[:40]} is not a WMS ship method of this account "
                "(GET /v1/wms/shipmethod/list lists them); send null to pass the code through.",
            )
        pairs.append((cart_code, wms_code))
    return pairs


@transaction.atomic
def api_ship_maps_save(*, cart: CartConnection, pairs: list[tuple[str, str]]) -> int:
    """Save each mapping; the orders held for a code now mapped are released. Returns how
    many held orders go to the WMS."""
    released = 0
    for cart_code, wms_code in pairs:
        entry = ship_method_map_save(
            cart=cart, cart_code=cart_code, wms_code=wms_code, passthrough=not wms_code
        )
        released += getattr(entry, "released", 0)
    return released
