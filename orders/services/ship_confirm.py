"""Ship confirm: fetch shipments from the WMS, store each once, move orders to shipped."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Merchant
from integration_manager.records import ShipmentPage, ShipmentRecord
from inventory.rules import kits_complete
from jobs.models import ServiceSchedule
from jobs.recorder import RunRecorder
from jobs.services import schedules_trigger
from orders.jobs import SHIPMENT_UPLOAD
from orders.models import Order, OrderLine, OrderStatus, Shipment, ShipmentLine
from orders.services.events import order_events_write
from orders.upsert import shipments_insert
from wms.carriers import carrier_codes_record
from wms.connectors.base import FETCH_SHIPMENTS
from wms.selectors import merchant_ref, wms_for

# Statuses a shipment moves an order out of; a confirmed order goes back to shipped
# when another package ships, so that package is uploaded too.
SHIPPABLE = (
    OrderStatus.NEW,
    OrderStatus.AT_WMS,
    OrderStatus.ERROR,
    OrderStatus.CONFIRMED,
    OrderStatus.SHIPPED,
)


def shipments_fetch(*, schedule: ServiceSchedule, run: RunRecorder) -> None:
    """Read new shipments for the schedule's merchant; the cursor lives on the schedule."""
    merchant = schedule.merchant
    wms, connector = wms_for(merchant)
    if not connector.supports(FETCH_SHIPMENTS):
        # An API-access warehouse, say: it posts its shipments, there is nothing to ask.
        run.say(f"{connector.label} sends shipments to the hub; nothing to read here.")
        return
    if not wms.is_usable:
        run.say("The WMS connection cannot report shipments now; nothing read.")
        return
    stored = 0
    for page in connector.fetch_shipments(merchant_ref(merchant), schedule.cursor or None):
        stored += shipment_page_store(schedule=schedule, merchant=merchant, page=page, run=run)
    run.say(f"{stored} new shipment(s) stored ({run.seen} read).")


@transaction.atomic
def shipment_page_store(
    *, schedule: ServiceSchedule, merchant: Merchant, page: ShipmentPage, run: RunRecorder
) -> int:
    run.count(seen=len(page.shipments) + len(page.failures))
    if page.source:
        run.log("Read %s: %s shipment(s).", page.source, len(page.shipments))
    for failure in page.failures:  # a bad row of a file, say: the rest of the page goes on
        run.log("Shipment %s not read: %s", failure.record_ref or "(no reference)", failure)
        run.count(failed=1)
    refs = {shipment.cust_ref for shipment in page.shipments}
    orders = {
        order.cust_ref: order
        for order in Order.objects.filter(
            account_id=merchant.account_id, merchant=merchant, cust_ref__in=refs
        )
    }
    now = timezone.now()
    # A poll re-reads its overlap window: what is stored already is dropped here, with one
    # indexed query, before anything is built for it.
    stored = set(
        Shipment.objects.filter(
            order_id__in=[order.id for order in orders.values()],
            wms_shipment_ref__in={record.wms_shipment_ref[:100] for record in page.shipments},
        ).values_list("order_id", "wms_shipment_ref")
    )
    fresh = [
        record
        for record in page.shipments
        if record.cust_ref not in orders
        or (orders[record.cust_ref].id, record.wms_shipment_ref[:100]) not in stored
    ]
    run.count(skipped=len(page.shipments) - len(fresh))
    carrier_codes_record(
        account_id=merchant.account_id,
        merchant_id=merchant.id,
        codes=[record.scac or record.carrier for record in fresh],
    )
    candidates: list[tuple[Shipment, ShipmentRecord]] = []
    for record in fresh:
        order = orders.get(record.cust_ref)
        if order is None:
            run.log(
                "Shipment %s is for %s, which the hub did not send; skipped.",
                record.wms_shipment_ref,
                record.cust_ref,
            )
            run.count(skipped=1)
            continue
        candidates.append(
            (
                Shipment(
                    account_id=order.account_id,
                    merchant_id=order.merchant_id,
                    cart_id=order.cart_id,
                    order_id=order.id,
                    wms_shipment_ref=record.wms_shipment_ref[:100],
                    # As the WMS said it: the merchant's carrier map applies on upload.
                    carrier=record.carrier[:100],
                    method=record.method[:100],
                    scac=record.scac[:10],
                    tracking_number=record.tracking_number[:100],
                    tracking_url=record.tracking_url[:500],
                    shipped_at=record.shipped_at,
                    cost=record.cost,
                    created_at=now,
                ),
                record,
            )
        )
    inserted = {
        row.key: row.id for row in shipments_insert([shipment for shipment, _ in candidates])
    }
    new = [
        (shipment, record)
        for shipment, record in candidates
        if f"{shipment.order_id}:{shipment.wms_shipment_ref}" in inserted
    ]
    for shipment, _ in new:
        shipment.id = inserted[f"{shipment.order_id}:{shipment.wms_shipment_ref}"]
    _store_lines(new)
    affected = {shipment.order_id for shipment, _ in new}
    _move_to_shipped([order for order in orders.values() if order.id in affected], run=run, now=now)
    if page.cursor:
        ServiceSchedule.objects.filter(id=schedule.id).update(cursor=page.cursor)
    carts = sorted({shipment.cart_id for shipment, _ in new})
    if carts:
        schedules_trigger(service=SHIPMENT_UPLOAD, cart_ids=carts)
    for shipment, _ in new:
        run.log(
            "Shipment %s (%s %s) stored.",
            shipment.wms_shipment_ref,
            shipment.carrier,
            shipment.tracking_number,
        )
    run.count(ok=len(new), skipped=len(candidates) - len(new))
    return len(new)


def _store_lines(new: list[tuple[Shipment, ShipmentRecord]]) -> None:
    order_lines: dict[int, dict[str, OrderLine]] = defaultdict(dict)
    lines = list(OrderLine.objects.filter(order_id__in={s.order_id for s, _ in new}))
    # A kit line is never shipped as such: the WMS ships its components, which map to theirs.
    kits = {line.kit_parent_id for line in lines if line.kit_parent_id}
    for line in lines:
        if line.id in kits:
            continue
        order_lines[line.order_id].setdefault(line.wms_sku or line.sku, line)
        order_lines[line.order_id].setdefault(line.sku, line)
    ShipmentLine.objects.bulk_create(
        [
            ShipmentLine(
                account_id=shipment.account_id,
                merchant_id=shipment.merchant_id,
                shipment_id=shipment.id,
                order_line=order_lines[shipment.order_id].get(line.sku),
                sku=line.sku[:200],
                quantity=line.quantity,
            )
            for shipment, record in new
            for line in record.lines
        ]
    )


def _kits_shipped(lines: list[OrderLine]) -> None:
    """A kit line has shipped as many kits as its shipped components make whole."""
    components: dict[int, list[OrderLine]] = defaultdict(list)
    for line in lines:
        if line.kit_parent_id:
            components[line.kit_parent_id].append(line)
    for line in lines:
        parts = components.get(line.id)
        if not parts or not line.quantity:
            continue
        line.quantity_shipped = min(
            kits_complete(
                [(part.wms_sku, part.quantity / line.quantity) for part in parts],
                {part.wms_sku: part.quantity_shipped for part in parts},
            ),
            line.quantity,
        )


def _move_to_shipped(orders: list[Order], *, run: RunRecorder, now) -> None:  # type: ignore[no-untyped-def]
    if not orders:
        return
    ids = [order.id for order in orders]
    shipped = defaultdict(Decimal)
    for row in (
        ShipmentLine.objects.filter(shipment__order_id__in=ids)
        .values("shipment__order_id", "order_line_id")
        .annotate(quantity=Sum("quantity"))
    ):
        shipped[(row["shipment__order_id"], row["order_line_id"])] += row["quantity"]
    lines = list(OrderLine.objects.filter(order_id__in=ids, filtered=False))
    for line in lines:
        line.quantity_shipped = shipped.get((line.order_id, line.id), Decimal("0"))
    _kits_shipped(lines)
    OrderLine.objects.bulk_update(lines, ["quantity_shipped"])
    partial = {line.order_id for line in lines if line.quantity_shipped < line.quantity}
    with transaction.atomic():
        # The statuses as they are now, not as read before the shipments were stored: a
        # delivery run may have moved an order from new to at_wms meanwhile, and an update
        # filtered on the old status would leave it at_wms, its shipment stored, for good.
        current = dict(
            Order.objects.select_for_update()
            .filter(id__in=ids, status__in=SHIPPABLE)
            .values_list("id", "status")
        )
        for order in orders:
            order.status = current.get(order.id, order.status)
        _shipped_now(
            [order for order in orders if order.id in current], partial=partial, run=run, now=now
        )


def _shipped_now(orders: list[Order], *, partial: set[int], run: RunRecorder, now) -> None:  # type: ignore[no-untyped-def]
    for status in SHIPPABLE:
        group = [order for order in orders if order.status == status]
        if not group:
            continue
        for flag in (True, False):
            subset = [order for order in group if (order.id in partial) == flag]
            if not subset:
                continue
            Order.objects.filter(id__in=[o.id for o in subset], status=status).update(
                status=OrderStatus.SHIPPED,
                partially_shipped=flag,
                shipped_at=now,
                updated_at=now,
                error_reason="",
                error_code="",
            )
            order_events_write(
                subset,
                from_status=status,
                to_status=OrderStatus.SHIPPED,
                message="Partly shipped by the WMS." if flag else "Shipped by the WMS.",
                job_run_id=run.job_run.id,
            )
