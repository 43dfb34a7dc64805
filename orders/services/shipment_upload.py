"""Shipment upload: send each stored shipment to its cart once; the order is then confirmed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertKind
from alerts.services import alert_key, alerts_raise
from carts.connectors.base import UPLOAD_SHIPMENT
from carts.connectors.registry import cart_connector_for
from carts.models import CartConnection
from integration_manager.connector_errors import AuthError, RateLimited, RecordError
from integration_manager.records import (
    ShipmentLineRecord,
    ShipmentRecord,
    UploadLine,
    UploadOrder,
)
from inventory.rules import kits_complete
from jobs.models import JobRun
from jobs.recorder import RunRecorder
from orders.models import Order, OrderLine, OrderStatus, Shipment, ShipmentLine
from orders.services.cart_cancel import cart_cancels_send
from orders.services.events import order_events_write
from wms.carriers import cart_carrier_for, cart_carriers_load

# A run (or helper) sends this many, then yields: the run is due again at once.
BATCH_SIZE = 200
# Shipments taken from the queue at a time, and recorded as sent together.
CLAIM_CHUNK = 25
# A backlog of more than two chunks is shared with helper runs on other workers.
SHARE_EACH = 2 * CLAIM_CHUNK
MAX_HELPERS = 3
# A shipment the cart refuses is tried again later, this many times, then needs a person.
MAX_ATTEMPTS = 6
RETRY_BASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Sent:
    """A shipment the cart has now, waiting to be recorded with the rest of its chunk."""

    shipment: Shipment
    reference: str
    note: str = ""


def shipments_upload(*, cart: CartConnection, run: RunRecorder) -> None:
    """Send the cart's waiting shipments; a large backlog is shared with helper runs, each
    taking chunks from the same queue (shipments_upload_help)."""
    connector = cart_connector_for(cart)
    cart_cancels_send(cart=cart, connector=connector, run=run)
    if not connector.supports(UPLOAD_SHIPMENT):
        run.say(
            f"{connector.label}: shipments are left for the client, which reads them through "
            "the API and confirms them."
        )
        return
    backlog = _available(cart, now=timezone.now())[: SHARE_EACH * (MAX_HELPERS + 1)].count()
    if backlog > SHARE_EACH:
        run.share(min(MAX_HELPERS, backlog // SHARE_EACH))
    if _drain(cart, connector=connector, run=run):
        run.again()  # more may wait behind this batch: the next run follows at once
    _say(run)


def shipments_upload_help(*, cart: CartConnection, run: RunRecorder) -> None:
    """A helper run's part of a large backlog: chunks from the same queue, until it is empty
    or this helper has sent a batch (the run it helps carries on with the rest)."""
    connector = cart_connector_for(cart)
    if connector.supports(UPLOAD_SHIPMENT):
        _drain(cart, connector=connector, run=run)
    _say(run)


def _say(run: RunRecorder) -> None:
    run.say(
        f"{run.ok} shipment(s) sent to the cart"
        + (f", {run.failed} refused." if run.failed else ".")
    )


def _available(cart: CartConnection, *, now: datetime) -> QuerySet[Shipment]:
    """Shipments waiting for the cart that nobody holds: never sent, not waiting out a
    refusal, and unclaimed or claimed by a run that is no longer running.

    Claims are owned by runs, not timed: a run whose worker died is closed within a
    dispatcher tick (its run lock is gone), so its shipments go on at once rather than
    after a lease, and no process's clock decides whether another's claim ran out."""
    return Shipment.objects.filter(cart=cart, uploaded_at=None).filter(
        Q(upload_not_before__isnull=True) | Q(upload_not_before__lte=now),
        Q(upload_claimed_at__isnull=True)
        | Q(upload_job_run__isnull=True)
        | ~Q(upload_job_run__status=JobRun.Status.RUNNING),
    )


def _drain(cart: CartConnection, *, connector, run: RunRecorder) -> bool:  # type: ignore[no-untyped-def]
    """Send chunk after chunk; True when it stopped at BATCH_SIZE with more waiting."""
    carriers = cart_carriers_load(merchant_id=cart.merchant_id)
    taken = 0
    while taken < BATCH_SIZE:
        chunk, claimed_at = _chunk_claim(cart, run=run)
        if not chunk:
            return False
        taken += len(chunk)
        _chunk_upload(chunk, claimed_at, connector=connector, run=run, carriers=carriers)
    return _available(cart, now=timezone.now()).exists()


def _chunk_claim(cart: CartConnection, *, run: RunRecorder) -> tuple[list[Shipment], datetime]:
    """Take the next CLAIM_CHUNK shipments nobody holds, for this run. SKIP LOCKED lets
    helpers claim side by side on PostgreSQL; SQLite's transactions already take turns."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            _available(cart, now=now)
            .order_by("id")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", flat=True)[:CLAIM_CHUNK]
        )
        Shipment.objects.filter(id__in=ids).update(
            upload_claimed_at=now, upload_job_run=run.job_run
        )
    chunk = list(
        Shipment.objects.filter(id__in=ids, upload_claimed_at=now)
        .select_related("order")
        .prefetch_related("lines__order_line", "order__lines")
        .order_by("id")
    )
    return chunk, now


class ChunkClaim:
    """The claims this process holds on one chunk: the chunk's, then each shipment's own,
    taken again just before it is sent so that a claim never runs out mid-send."""

    def __init__(self, chunk: list[Shipment], claimed_at: datetime) -> None:
        self.held = {shipment.id: claimed_at for shipment in chunk}

    def take(self, shipment: Shipment) -> datetime | None:
        """Mark the attempt begun (upload_started_at) under a fresh claim; None when the
        chunk's claim ran out and another process holds the shipment now."""
        started = timezone.now()
        if Shipment.objects.filter(
            id=shipment.id, uploaded_at=None, upload_claimed_at=self.held[shipment.id]
        ).update(upload_started_at=started, upload_claimed_at=started):
            self.held[shipment.id] = started
            return started
        self.drop(shipment.id)
        return None

    def drop(self, shipment_id: int) -> None:
        self.held.pop(shipment_id, None)

    def release(self) -> None:
        """Give back the claims still held on shipments not sent, so a later run or another
        helper takes them without waiting for the lease to run out."""
        if self.held:
            Shipment.objects.filter(
                id__in=list(self.held),
                uploaded_at=None,
                upload_claimed_at__in=set(self.held.values()),
            ).update(upload_claimed_at=None)


def _chunk_upload(
    chunk: list[Shipment], claimed_at: datetime, *, connector, run: RunRecorder, carriers
) -> None:  # type: ignore[no-untyped-def]
    """Send each shipment of a chunk and record the sent ones together; the claims of those
    not sent are given back, also when a connection error stops the chunk."""
    claim = ChunkClaim(chunk, claimed_at)
    sent: list[Sent] = []
    try:
        for shipment in chunk:
            run.count(seen=1)
            outcome = _upload_one(
                shipment, claim=claim, connector=connector, run=run, carriers=carriers
            )
            if outcome is not None:
                sent.append(outcome)
    finally:
        _sent_record(sent, run=run)
        claim.release()


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


def _upload_one(
    shipment: Shipment, *, claim: ChunkClaim, connector, run: RunRecorder, carriers
) -> Sent | None:  # type: ignore[no-untyped-def]
    """Send one shipment; a Sent when the cart has it now, None when it was refused or
    another process holds it."""
    upload_order = upload_order_for(shipment.order)
    record = shipment_record_for(shipment, carriers=carriers)
    if not record.lines and shipment.lines.exists():
        # Only part of a kit: the cart hears of it with the package that completes the kit.
        # A shipment without lines would tell some carts (Shopify) that everything shipped.
        return Sent(shipment, reference="", note=" (part of a kit only: not sent)")
    earlier_attempt = shipment.upload_started_at
    if earlier_attempt is not None:
        # The last attempt had no clear outcome: ask the cart before creating it again.
        existing = connector.find_shipment(upload_order, record)
        if existing:
            return Sent(shipment, reference=existing, note=" (found in the cart)")
    if claim.take(shipment) is None:
        return None  # its claim ran out while earlier ones were sent: another has it now
    run.check_owner()
    try:
        # Never begun and never sent (a resend keeps the reference of the first upload):
        # nothing of it can be in the cart, so the connector need not look.
        first_attempt = earlier_attempt is None and not shipment.upload_reference
        reference = connector.upload_shipment(upload_order, record, first_attempt=first_attempt)
    except RecordError as refused:
        claim.drop(shipment.id)
        _refused(shipment, reason=str(refused), run=run)
        return None
    except (AuthError, RateLimited):
        # Refused before anything was made: as it was before this attempt.
        Shipment.objects.filter(id=shipment.id).update(upload_started_at=earlier_attempt)
        raise
    # A TransientError goes up as it is: maybe created, maybe not, so upload_started_at stays
    # and the next attempt asks the cart first.
    return Sent(shipment, reference=reference)


def _sent_record(sent: list[Sent], *, run: RunRecorder) -> None:
    """Record a chunk's sent shipments, and confirm each order with nothing left to send,
    with its event, in one transaction."""
    if not sent:
        return
    now = timezone.now()
    for item in sent:
        item.shipment.uploaded_at = now
        item.shipment.upload_reference = (item.reference or "")[:100]
        item.shipment.upload_error = ""
        item.shipment.upload_claimed_at = None
    with transaction.atomic():
        Shipment.objects.bulk_update(
            [item.shipment for item in sent],
            ["uploaded_at", "upload_reference", "upload_error", "upload_claimed_at"],
        )
        _orders_confirm({item.shipment.order_id for item in sent}, now=now, run=run)
    for item in sent:
        run.log(
            "Shipment %s of order %s sent to the cart%s.",
            item.shipment.tracking_number,
            item.shipment.order.order_number,
            item.note,
        )
    run.count(ok=len(sent))


def _orders_confirm(order_ids: set[int], *, now: datetime, run: RunRecorder) -> None:
    """Shipped orders with no shipment left to send become confirmed, with their events."""
    waiting = Shipment.objects.filter(order=OuterRef("pk"), uploaded_at=None)
    orders = list(
        Order.objects.filter(id__in=order_ids, status=OrderStatus.SHIPPED)
        .exclude(Exists(waiting))
        .select_for_update()
        .only("id", "account_id", "merchant_id", "partially_shipped")
    )
    if not orders:
        return
    Order.objects.filter(id__in=[order.id for order in orders]).update(
        status=OrderStatus.CONFIRMED, confirmed_at=now, updated_at=now
    )
    for partial in (False, True):
        order_events_write(
            [order for order in orders if order.partially_shipped is partial],
            from_status=OrderStatus.SHIPPED,
            to_status=OrderStatus.CONFIRMED,
            message="Tracking sent to the cart."
            + (" Some items are still to ship." if partial else ""),
            job_run_id=run.job_run.id,
        )


def _refused(shipment: Shipment, *, reason: str, run: RunRecorder) -> None:
    attempts = shipment.upload_attempts + 1
    Shipment.objects.filter(id=shipment.id).update(
        upload_error=reason,
        upload_attempts=attempts,
        upload_started_at=None,
        upload_claimed_at=None,
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
