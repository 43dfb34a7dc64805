"""Order download: fetch pages from the cart, store each order once, move the cursor with them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from carts.connectors.base import FETCH_ORDERS
from carts.connectors.registry import CART_CONNECTORS, cart_connector_for
from carts.models import CartConnection
from integration_manager.connector_errors import RecordError
from integration_manager.records import OrderPage, OrderRecord
from inventory.jobs import INVENTORY_UPLOAD
from inventory.rules import CartRules, Skip, cart_rules_load
from jobs.recorder import RunRecorder
from jobs.services import schedules_trigger
from orders.jobs import ORDER_DELIVERY
from orders.models import Order, OrderLine, OrderStatus, SkippedOrder
from orders.rows import ORDER_EVENTS, ORDER_LINES, ORDERS
from orders.services.cancel import cancellations_apply
from orders.storable import ID_LIMIT, order_record_problem
from orders.upsert import cart_download_lock, orders_upsert, rows_insert
from wms.models import ShipMethodMap

ZERO = Decimal("0")


def orders_download(*, cart: CartConnection, run: RunRecorder) -> None:
    """Download what changed in the cart since its cursor, page by page.

    Each page is stored in one transaction together with the cursor after it, so a crash
    between pages loses nothing and repeats nothing: the next run starts after the last
    stored page (minus the overlap, which the upsert absorbs).
    """
    connector = cart_connector_for(cart)
    if not connector.supports(FETCH_ORDERS):
        run.say(f"{connector.label}: orders arrive through the API; nothing to download.")
        return
    rules = cart_rules_for(cart)
    inserted = updated = 0
    for page in connector.fetch_orders(cart.cursor or None):
        page_inserted, page_updated = order_page_store(cart=cart, page=page, run=run, rules=rules)
        inserted += page_inserted
        updated += page_updated
        if page.cursor:
            cart.cursor = page.cursor
    run.say(
        f"{inserted} new order(s), {updated} updated"
        + (f", {run.skipped} skipped" if run.skipped else "")
        + f" ({run.seen} read)."
    )


# Connector settings in which a cart's form chose statuses before the cart had its own list;
# the connector already asks the cart for those only, so the defaults must not narrow them.
CONNECTOR_STATUS_SETTINGS = ("download_statuses", "extra_statuses", "financial_statuses")


def cart_rules_for(cart: CartConnection) -> CartRules:
    """The cart's filters and load options, with its connector's statuses."""
    connector_class = CART_CONNECTORS.get(cart.connector_key)
    statuses = connector_class.ORDER_STATUSES
    if not cart.download_statuses and any(cart.settings.get(k) for k in CONNECTOR_STATUS_SETTINGS):
        statuses = ()
    return cart_rules_load(
        cart=cart, statuses=statuses, default_statuses=connector_class.DEFAULT_STATUSES
    )


@transaction.atomic
def order_page_store(
    *, cart: CartConnection, page: OrderPage, run: RunRecorder, rules: CartRules | None = None
) -> tuple[int, int]:
    """Store one page: its orders once, their lines and events, new ship codes, the cursor.

    Orders not loaded yet that the cart's rules refuse (item filter, earliest date, status)
    are listed as skipped instead; an order already loaded is never dropped by them.
    """
    cart_download_lock(cart.id)
    run.count(seen=len(page.orders) + len(page.failures))
    if page.source:
        run.log("Read %s: %s order(s).", page.source, len(page.orders))
    for failure in page.failures:
        _skip(run, failure)
    records = _readable_records(page, run)
    rules = rules if rules is not None else cart_rules_for(cart)
    _skip_by_rules(cart, records, rules=rules, run=run)
    # Rows straight from the records: a page is hundreds of orders, and building a model
    # object for each order, line and event was most of its time (orders/rows.py).
    now = timezone.now()
    orders = {source_id: _order_values(cart, record, now) for source_id, record in records.items()}
    upserted = orders_upsert(ORDERS.rows(orders.values()))
    new_ids = {row.key: row.id for row in upserted if row.inserted}
    refreshed_ids = {row.key: row.id for row in upserted if not row.inserted}
    if refreshed_ids:
        OrderLine.objects.filter(order_id__in=list(refreshed_ids.values())).delete()
    lines = [
        line
        for source_id, order_id in (new_ids | refreshed_ids).items()
        for line in _line_values(
            account_id=cart.account_id,
            merchant_id=cart.merchant_id,
            order_id=order_id,
            record=records[source_id],
            rules=rules,
        )
    ]
    rows_insert(table=ORDER_LINES, rows=ORDER_LINES.rows(lines))
    filtered = sum(1 for line in lines if line["filtered"])
    if filtered:
        run.log("%s line(s) marked filtered by the item filter; they are not sent.", filtered)
    # Loaded after all (a filter or a date changed): no longer listed as skipped.
    SkippedOrder.objects.filter(cart_id=cart.id, source_order_id__in=list(records)).delete()
    events = _page_events(cart, orders, new_ids=new_ids, refreshed_ids=refreshed_ids, run=run)
    rows_insert(table=ORDER_EVENTS, rows=ORDER_EVENTS.rows(events))
    cancellations_apply(cart, [r for r in records.values() if r.canceled], run)
    _remember_ship_codes(cart, records.values())
    if page.cursor:
        CartConnection.objects.filter(id=cart.id).update(cursor=page.cursor)
    new_to_send = any(orders[source_id]["status"] == OrderStatus.NEW for source_id in new_ids)
    if new_to_send or refreshed_ids:
        schedules_trigger(service=ORDER_DELIVERY, merchant_id=cart.merchant_id)
    if new_to_send:
        _other_inventory_uploads_due(cart)
    for source_id in new_ids:
        run.log(
            "Order %s downloaded (%s).",
            orders[source_id]["order_number"],
            orders[source_id]["cust_ref"],
        )
    run.count(ok=len(new_ids) + len(refreshed_ids))
    return len(new_ids), len(refreshed_ids)


def _page_events(
    cart: CartConnection,
    orders: dict[str, dict[str, Any]],
    *,
    new_ids: dict[str, int],
    refreshed_ids: dict[str, int],
    run: RunRecorder,
) -> list[dict[str, Any]]:
    """The event of each order the page inserted or refreshed, all written at once."""
    messages = {
        ("", OrderStatus.NEW): f"Downloaded from {cart.label}.",
        ("", OrderStatus.CANCELED): (
            f"Downloaded from {cart.label}, already canceled there: it will not be sent."
        ),
        (OrderStatus.NEW, OrderStatus.NEW): "Changed in the cart before it was sent: updated.",
    }
    changes = [
        ("", orders[source_id]["status"], order_id) for source_id, order_id in new_ids.items()
    ]
    changes += [(OrderStatus.NEW, OrderStatus.NEW, order_id) for order_id in refreshed_ids.values()]
    return [
        {
            "account_id": cart.account_id,
            "merchant_id": cart.merchant_id,
            "order_id": order_id,
            "from_status": from_status,
            "to_status": to_status,
            "message": messages[from_status, to_status],
            "job_run_id": run.job_run.id,
        }
        for from_status, to_status, order_id in changes
    ]


def _other_inventory_uploads_due(cart: CartConnection) -> None:
    """A new order's stock is committed until the WMS has it, so the merchant's other carts
    should show less: their uploads become due (each sends only the SKUs whose value moved).
    The cart the order came from lowered its own stock when it sold."""
    others = list(
        CartConnection.objects.filter(merchant_id=cart.merchant_id, enabled=True)
        .exclude(id=cart.id)
        .values_list("id", flat=True)
    )
    if others:
        schedules_trigger(service=INVENTORY_UPLOAD, cart_ids=others)


def _readable_records(page: OrderPage, run: RunRecorder) -> dict[str, OrderRecord]:
    """The page's orders that can be stored, one per source id."""
    records: dict[str, OrderRecord] = {}
    for record in page.orders:
        try:
            _check(record)
        except RecordError as failure:
            _skip(run, failure)
            continue
        # The same order twice on a page (it changed while the cart paged): keep the newest.
        kept = records.get(record.source_order_id)
        if kept is None or _changed_at(record) >= _changed_at(kept):
            records[record.source_order_id] = record
    return records


def _skip_by_rules(
    cart: CartConnection, records: dict[str, OrderRecord], *, rules: CartRules, run: RunRecorder
) -> None:
    """Take the orders the rules refuse out of `records` and list them as skipped."""
    refused = {
        source_id: skip
        for source_id, record in records.items()
        if (skip := rules.skip_for(record)) is not None
    }
    if not refused:  # the usual page: nothing to look up
        return
    loaded = set(
        Order.objects.filter(cart_id=cart.id, source_order_id__in=list(refused)).values_list(
            "source_order_id", flat=True
        )
    )
    now = timezone.now()
    for source_id, skip in refused.items():
        if source_id in loaded:
            continue
        record = records.pop(source_id)
        _skipped_order_save(cart, record, skip, now=now)
        run.log("Order %s skipped: %s", record.order_number or source_id, skip.reason)
        run.count(skipped=1)


def _skipped_order_save(cart: CartConnection, record: OrderRecord, skip: Skip, *, now) -> None:  # type: ignore[no-untyped-def]
    # The page holds the cart's download lock, so the update-then-create cannot race.
    seen_again = SkippedOrder.objects.filter(
        cart_id=cart.id, source_order_id=record.source_order_id
    ).update(
        reason_code=skip.code,
        reason=skip.reason,
        order_number=(record.order_number or record.source_order_id)[:100],
        ordered_at=record.ordered_at,
        last_seen_at=now,
        count=F("count") + 1,
    )
    if not seen_again:
        SkippedOrder.objects.create(
            account_id=cart.account_id,
            merchant_id=cart.merchant_id,
            cart_id=cart.id,
            source_order_id=record.source_order_id[:100],
            order_number=(record.order_number or record.source_order_id)[:100],
            ordered_at=record.ordered_at,
            reason_code=skip.code,
            reason=skip.reason,
            first_seen_at=now,
            last_seen_at=now,
        )


def _skip(run: RunRecorder, failure: RecordError) -> None:
    run.log("Order %s skipped: %s", failure.record_ref or "(no id)", failure)
    run.count(skipped=1)


def _check(record: OrderRecord) -> None:
    if not record.source_order_id:
        raise RecordError("The cart sent an order without an id.", record_ref="")
    if record.ordered_at is None or record.ordered_at.tzinfo is None:
        raise RecordError(
            "The order has no date (or one without a time zone).", record_ref=record.source_order_id
        )
    problem = order_record_problem(record)
    if problem is not None:
        raise RecordError(problem, record_ref=record.source_order_id[:ID_LIMIT])


def _changed_at(record: OrderRecord):  # type: ignore[no-untyped-def]
    return record.updated_at or record.ordered_at


def cust_ref_for(cart: CartConnection, source_order_id: str) -> str:
    """The short reference the WMS gets: unique in the account because prefixes are."""
    return f"{cart.reference_prefix}{source_order_id}"[:40]


def _order_values(cart: CartConnection, record: OrderRecord, now: datetime) -> dict[str, Any]:
    """The new order's fields, by attribute name, from the cart's record."""
    sub_total = record.sub_total
    if sub_total is None:
        sub_total = sum((line.extended_amount for line in record.lines), ZERO)
    grand_total = record.grand_total
    if grand_total is None:
        grand_total = (
            sub_total + record.sales_tax + record.shipping_handling - record.order_discount
        )
    return {
        "account_id": cart.account_id,
        "merchant_id": cart.merchant_id,
        "cart_id": cart.id,
        "source_order_id": record.source_order_id,
        "order_number": record.order_number or record.source_order_id,
        "cust_ref": cust_ref_for(cart, record.source_order_id),
        "status": OrderStatus.CANCELED if record.canceled else OrderStatus.NEW,
        "canceled_in_cart_at": now if record.canceled else None,
        "bill_to": record.bill_to.as_dict(),
        "ship_to": record.ship_to.as_dict(),
        "ship_name": record.ship_to.name[:200],
        "email": (record.ship_to.email or record.bill_to.email)[:254],
        "ship_code": record.ship_code[:200],
        "ship_description": record.ship_description[:200],
        "currency": (record.currency or "USD")[:3],
        "sub_total": sub_total,
        "order_discount": record.order_discount,
        "sales_tax": record.sales_tax,
        "shipping_handling": record.shipping_handling,
        "grand_total": grand_total,
        "notes": record.notes,
        "ordered_at": record.ordered_at,
        "source_updated_at": _changed_at(record),
        "created_at": now,
        "updated_at": now,
        "raw": record.raw,
    }


def _line_values(
    *,
    account_id: int,
    merchant_id: int,
    order_id: int,
    record: OrderRecord,
    rules: CartRules | None = None,
) -> list[dict[str, Any]]:
    """The order's lines' fields, by attribute name, from the cart's record."""
    filtered = rules.lines_kept_filtered(record) if rules else [False] * len(record.lines)
    return [
        {
            "account_id": account_id,
            "merchant_id": merchant_id,
            "order_id": order_id,
            "line_number": number,
            "source_line_id": line.source_line_id[:100],
            "sku": line.sku[:200],
            "wms_sku": line.sku[:200],
            "description": line.description[:500],
            "quantity": line.quantity,
            "price": line.price,
            "discount": line.discount,
            "addl_discount": line.addl_discount,
            "tax": line.tax,
            "extended_amount": line.extended_amount,
            "filtered": filtered[number - 1],
        }
        for number, line in enumerate(record.lines, start=1)
    ]


# The same values as model objects: the ingest benchmark's bulk-INSERT floor
# (tests/bench/ingest.py) is built from them, so it measures what the service writes.
def _order_from_record(cart: CartConnection, record: OrderRecord, now: datetime) -> Order:
    return Order(**_order_values(cart, record, now))


def _lines_from_record(
    order: Order, record: OrderRecord, *, rules: CartRules | None = None
) -> list[OrderLine]:
    lines = _line_values(
        account_id=order.account_id,
        merchant_id=order.merchant_id,
        order_id=order.id,
        record=record,
        rules=rules,
    )
    return [OrderLine(**line) for line in lines]


def _remember_ship_codes(cart: CartConnection, records) -> None:  # type: ignore[no-untyped-def]
    """New ship codes join the cart's mapping list, unmapped, for an admin to map."""
    codes = {record.ship_code: record.ship_description for record in records if record.ship_code}
    if codes:
        ShipMethodMap.objects.bulk_create(
            [
                ShipMethodMap(
                    account_id=cart.account_id,
                    merchant_id=cart.merchant_id,
                    cart=cart,
                    cart_code=code[:200],
                    cart_description=description[:200],
                )
                for code, description in codes.items()
            ],
            ignore_conflicts=True,
        )
