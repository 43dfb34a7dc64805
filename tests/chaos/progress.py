"""How far the loop has got, read from the private database and the emulators: the suite
polls it to see when the loop moves again after a fault, and when it has settled."""

from __future__ import annotations

from dataclasses import astuple, dataclass

from django.db import InterfaceError, OperationalError, connection
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Now

from jobs.models import JobRun, ServiceSchedule
from orders.models import Order, OrderEvent, OrderStatus, Shipment
from tests.chaos.tenant import Tenant
from tests.emulators.threepl import ThreePLEmulator
from tests.emulators.woocommerce import WooCommerceEmulator

DATABASE_AWAY = (OperationalError, InterfaceError)
PAST_WMS = [OrderStatus.AT_WMS, OrderStatus.SHIPPED, OrderStatus.CONFIRMED]
ON_THE_WAY = [OrderStatus.NEW, OrderStatus.AT_WMS, OrderStatus.SHIPPED]


@dataclass(frozen=True)
class Snapshot:
    """Counts that only grow while the loop moves: an order reaching its next stage grows
    one of them."""

    downloaded: int
    at_wms: int  # in the hub: at_wms or later
    wms_orders: int  # in the WMS
    shipments: int
    uploaded: int
    trackings: int  # in the cart
    events: int  # order events, any change of status

    def moved_since(self, earlier: Snapshot) -> bool:
        return any(now > then for now, then in zip(astuple(self), astuple(earlier), strict=True))


def _database_counts(tenant: Tenant) -> dict[str, int]:
    orders = Order.objects.filter(merchant=tenant.merchant).aggregate(
        downloaded=Count("id"), at_wms=Count("id", filter=Q(status__in=PAST_WMS))
    )
    shipments = Shipment.objects.filter(merchant=tenant.merchant).aggregate(
        shipments=Count("id"), uploaded=Count("id", filter=Q(uploaded_at__isnull=False))
    )
    events = OrderEvent.objects.filter(merchant=tenant.merchant).count()
    return {**orders, **shipments, "events": events}


def snapshot(
    tenant: Tenant, *, store: WooCommerceEmulator, warehouse: ThreePLEmulator, placed: list[int]
) -> Snapshot | None:
    """None while the database cannot be read (a restart under way)."""
    try:
        counts = _database_counts(tenant)
    except DATABASE_AWAY:
        connection.close()  # the next query opens a new session
        return None
    with warehouse.lock:
        wms_orders = len(warehouse.orders)
    trackings = sum(len(store.trackings(order_id)) for order_id in list(placed))
    return Snapshot(**counts, wms_orders=wms_orders, trackings=trackings)


# The stages whose counter (a Snapshot field) grows when the work waiting there is done.
STAGES = ("downloaded", "at_wms", "shipments", "uploaded")


def _due(field: str) -> Q:
    """Not waiting out a back-off the hub set on purpose (a retry after a refusal)."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": Now()})


def stages_waiting(
    tenant: Tenant, *, warehouse: ThreePLEmulator, placed: list[int]
) -> frozenset[str] | None:
    """The stages with work due now: orders placed and not downloaded, new orders not held
    nor backing off, packages the WMS shipped that the hub has not stored, shipments not
    uploaded nor backing off. None while the database is away."""
    try:
        orders = Order.objects.filter(merchant=tenant.merchant)
        downloaded = orders.count()
        deliverable = orders.filter(_due("not_before"), status=OrderStatus.NEW).exists()
        with_shipment = orders.filter(Exists(Shipment.objects.filter(order=OuterRef("pk")))).count()
        uploadable = Shipment.objects.filter(
            _due("upload_not_before"), merchant=tenant.merchant, uploaded_at=None
        ).exists()
    except DATABASE_AWAY:
        connection.close()
        return None
    with warehouse.lock:
        shipped = sum(1 for order in warehouse.orders.values() if order.closed)
    waiting = {
        "downloaded": len(placed) > downloaded,
        "at_wms": deliverable,
        "shipments": shipped > with_shipment,
        "uploaded": uploadable,
    }
    return frozenset(stage for stage, due in waiting.items() if due)


def busy(tenant: Tenant) -> bool | None:
    """Whether a run is claimed or under way now; None while the database is away."""
    try:
        return (
            ServiceSchedule.objects.filter(
                merchant=tenant.merchant, running_since__isnull=False
            ).exists()
            or JobRun.objects.filter(
                merchant=tenant.merchant, status=JobRun.Status.RUNNING
            ).exists()
        )
    except DATABASE_AWAY:
        connection.close()
        return None


def done(tenant: Tenant, *, store: WooCommerceEmulator, placed: list[int]) -> bool | None:
    """Every placed order is in the hub and none is still on its way (new, at the WMS,
    shipped); each confirmed one carries its tracking in the cart. An order held in error
    is done too: a person has to act on it, and the invariants list it."""
    try:
        statuses = dict(
            Order.objects.filter(merchant=tenant.merchant).values_list("source_order_id", "status")
        )
    except DATABASE_AWAY:
        connection.close()
        return None
    if len(statuses) < len(placed) or set(statuses.values()) & set(ON_THE_WAY):
        return False
    return all(
        store.trackings(order_id)
        for order_id in list(placed)
        if statuses.get(str(order_id)) == OrderStatus.CONFIRMED
    )
