"""Shipment upload: send each stored shipment to its cart once; the order is then confirmed."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertKind
from alerts.services import alert_key, alerts_raise
from carts.connectors.base import UPLOAD_SHIPMENT
from carts.connectors.registry import cart_connector_for
from carts.models import CartConnection
from integration_manager.connector_errors import AuthError, RateLimited, RecordError, TransientError
from integration_manager.records import (
    ShipmentLineRecord,
    ShipmentRecord,
    UploadLine,
    UploadOrder,
)
from inventory.rules import kits_complete
from jobs.recorder import RunRecorder
from orders.models import Order, OrderLine, OrderStatus, Shipment, ShipmentLine
from orders.services.cart_cancel import cart_cancels_send
from orders.services.events import order_event_write
from wms.carriers import cart_carrier_for, cart_carriers_load

BATCH_SIZE = 200
# A shipment the cart refuses is tried again later, this many times, then needs a person.
MAX_ATTEMPTS = 6
RETRY_BASE = timedelta(minutes=10)


def shipments_upload(*, cart: CartConnection, run: RunRecorder) -> None:
    connector = cart_connector_for(cart)
    cart_cancels_send(cart=cart, connector=connector, run=run)
    if not connector.supports(UPLOAD_SHIPMENT):
        run.say(
            f"{connector.label}: shipments are left for the client, which reads them through "
            "the API and confirms them."
        )
        return
    now = timezone.now()
    pending = list(
        Shipment.objects.filter(cart=cart, uploaded_at=None)
        .filter(Q(upload_not_before__isnull=True) | Q(upload_not_before__lte=now))
        .select_related("order")
        .prefetch_related("lines__order_line", "order__lines")
        .order_by("id")[:BATCH_SIZE]
    )
    carriers = cart_carriers_load(merchant_id=cart.merchant_id)
    for shipment in pending:
        run.count(seen=1)
        _upload_one(shipment, connector=connector, run=run, carriers=carriers)
    if len(pending) == BATCH_SIZE:
        run.again()  # more may wait behind this batch: the next run follows at once
    run.say(
        f"{run.ok} shipment(s) sent to the cart"
        + (f", {run.failed} refused." if run.failed else ".")
    )


def upload_order_for(order: Order) -> UploadOrder:
    return UploadOrder(
        source_order_id=order.source_order_id,
        order_number=order.order_number,
        lines=tuple(
            UploadLine(source_line_id=line.source_line_id, sku=line.sku, quantity=line.quantity)
            for line in order.lines.all()
            if line.kit_parent_id is None
        ),
        raw=order.raw,
    )


def shipment_record_for(
    shipment: Shipment, *, carriers: dict[str, str] | None = None
) -> ShipmentRecord:
    """The shipment as its cart is told it: the cart's own SKUs and lines (a kit as the kit
    line, never its components) and the carrier mapped for the carts."""
    return ShipmentRecord(
        cust_ref=shipment.order.cust_ref,
        wms_shipment_ref=shipment.wms_shipment_ref,
        shipped_at=shipment.shipped_at,
        carrier=cart_carrier_for(carriers or {}, scac=shipment.scac, carrier=shipment.carrier),
        method=shipment.method,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        scac=shipment.scac,
        cost=shipment.cost,
        lines=_cart_lines(shipment),
    )


def _cart_lines(shipment: Shipment) -> tuple[ShipmentLineRecord, ...]:
    lines, kits = [], set()
    for line in shipment.lines.all():
        order_line = line.order_line
        if order_line is not None and order_line.kit_parent_id:
            kits.add(order_line.kit_parent_id)
            continue
        lines.append(
            ShipmentLineRecord(
                # The cart knows its own SKU, not the WMS's.
                sku=order_line.sku if order_line else line.sku,
                quantity=line.quantity,
                source_line_id=order_line.source_line_id if order_line else "",
            )
        )
    for kit in OrderLine.objects.filter(id__in=kits).order_by("line_number"):
        quantity = _kits_in(shipment, kit)
        if quantity > 0:
            lines.append(
                ShipmentLineRecord(
                    sku=kit.sku, quantity=quantity, source_line_id=kit.source_line_id
                )
            )
    return tuple(lines)


def _kits_in(shipment: Shipment, kit: OrderLine) -> Decimal:
    """Whole kits this shipment completes: those its components make with the packages
    shipped before it, less those the earlier packages made on their own."""
    parts = list(OrderLine.objects.filter(kit_parent=kit))
    per_kit = [(part.id, part.quantity / kit.quantity) for part in parts if kit.quantity]
    before, through = defaultdict(Decimal), defaultdict(Decimal)
    for line in ShipmentLine.objects.filter(
        order_line__kit_parent=kit, shipment__order_id=shipment.order_id
    ).values("order_line_id", "quantity", "shipment_id"):
        if line["shipment_id"] <= shipment.id:
            through[line["order_line_id"]] += line["quantity"]
        if line["shipment_id"] < shipment.id:
            before[line["order_line_id"]] += line["quantity"]
    after = min(kits_complete(per_kit, through), kit.quantity)
    return after - min(kits_complete(per_kit, before), kit.quantity)


def _upload_one(shipment: Shipment, *, connector, run: RunRecorder, carriers=None) -> None:  # type: ignore[no-untyped-def]
    order = shipment.order
    upload_order = upload_order_for(order)
    record = shipment_record_for(shipment, carriers=carriers)
    if not record.lines and shipment.lines.exists():
        # Only part of a kit: the cart hears of it with the package that completes the kit.
        # A shipment without lines would tell some carts (Shopify) that everything shipped.
        _mark_uploaded(shipment, reference="", run=run, note=" (part of a kit only: not sent)")
        return
    if shipment.upload_started_at is not None:
        # The last attempt had no clear outcome: ask the cart before creating it again.
        existing = connector.find_shipment(upload_order, record)
        if existing:
            _mark_uploaded(shipment, reference=existing, run=run, note=" (found in the cart)")
            return
    started = timezone.now()
    claimed = Shipment.objects.filter(
        id=shipment.id, uploaded_at=None, upload_started_at=shipment.upload_started_at
    ).update(upload_started_at=started)
    if not claimed:
        return  # another run has it
    run.check_owner()
    try:
        reference = connector.upload_shipment(upload_order, record)
    except RecordError as refused:
        _refused(shipment, reason=str(refused), run=run)
    except (AuthError, RateLimited):
        Shipment.objects.filter(id=shipment.id).update(upload_started_at=None)
        raise
    except TransientError:
        # Maybe created, maybe not: upload_started_at stays, and the next run asks the cart.
        raise
    else:
        _mark_uploaded(shipment, reference=reference, run=run)


@transaction.atomic
def _mark_uploaded(shipment: Shipment, *, reference: str, run: RunRecorder, note: str = "") -> None:
    """The shipment is recorded as sent, and its order confirmed with its event, together."""
    now = timezone.now()
    Shipment.objects.filter(id=shipment.id).update(
        uploaded_at=now, upload_reference=(reference or "")[:100], upload_error=""
    )
    order = shipment.order
    waiting = Shipment.objects.filter(order=order, uploaded_at=None).exists()
    if not waiting and Order.objects.filter(id=order.id, status=OrderStatus.SHIPPED).update(
        status=OrderStatus.CONFIRMED, confirmed_at=now, updated_at=now
    ):
        order_event_write(
            order,
            from_status=OrderStatus.SHIPPED,
            to_status=OrderStatus.CONFIRMED,
            message="Tracking sent to the cart."
            + (" Some items are still to ship." if order.partially_shipped else ""),
            job_run_id=run.job_run.id,
        )
    run.log(
        "Shipment %s of order %s sent to the cart%s.",
        shipment.tracking_number,
        shipment.order.order_number,
        note,
    )
    run.count(ok=1)


def _refused(shipment: Shipment, *, reason: str, run: RunRecorder) -> None:
    attempts = shipment.upload_attempts + 1
    Shipment.objects.filter(id=shipment.id).update(
        upload_error=reason,
        upload_attempts=attempts,
        upload_started_at=None,
        upload_not_before=timezone.now() + RETRY_BASE * 2 ** min(attempts - 1, 8),
    )
    run.log(
        "The cart refused shipment %s of order %s: %s",
        shipment.tracking_number,
        shipment.order.order_number,
        reason,
    )
    run.count(failed=1)
    if attempts >= MAX_ATTEMPTS:
        order = shipment.order
        alerts_raise(
            account=order.account_id,
            merchant=order.merchant,
            cart=order.cart,
            kind=AlertKind.SHIPMENT_UPLOAD_FAILED,
            key=alert_key("order", order.id),
            subject=f"Tracking for order {order.order_number} cannot be sent to the cart",
            message=f"The cart refused it {attempts} times: {reason}",
            link=reverse("order_detail", args=[order.id]),
        )
