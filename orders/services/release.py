"""Held orders released by what fixed them (a mapping, an alias, a kit, an edit): no Resend."""

from __future__ import annotations

from collections.abc import Collection

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from jobs.services import schedules_trigger
from orders.jobs import ORDER_DELIVERY
from orders.models import HoldReason, Order, OrderLine, OrderStatus
from orders.services.events import order_events_write


@transaction.atomic
def held_orders_release(
    orders: QuerySet[Order],
    *,
    codes: Collection[str],
    why: str,
    user_id: int | None = None,
) -> list[Order]:
    """Put the orders of `orders` held (error) for one of `codes` back to new, each with an
    event saying why, and start their merchants' deliveries. Orders held for another reason
    stay held: only what was fixed goes."""
    held = list(
        orders.select_for_update().filter(status=OrderStatus.ERROR, error_code__in=list(codes))
    )
    if not held:
        return []
    Order.objects.filter(id__in=[order.id for order in held], status=OrderStatus.ERROR).update(
        status=OrderStatus.NEW,
        error_reason="",
        error_code="",
        not_before=None,
        failed_sends=0,
        first_failed_at=None,
        ready_at=None,
        updated_at=timezone.now(),
    )
    order_events_write(
        held,
        from_status=OrderStatus.ERROR,
        to_status=OrderStatus.NEW,
        message=why,
        user_id=user_id,
    )
    schedules_trigger(
        service=ORDER_DELIVERY, merchant_ids=sorted({order.merchant_id for order in held})
    )
    return held


def orders_held_for_sku(*, merchant_id: int, skus: Collection[str]) -> QuerySet[Order]:
    """The merchant's orders held because the WMS did not know one of these cart SKUs."""
    with_sku = OrderLine.objects.filter(merchant_id=merchant_id, sku__in=list(skus)).values(
        "order_id"
    )
    return Order.objects.filter(
        merchant_id=merchant_id,
        status=OrderStatus.ERROR,
        error_code=HoldReason.UNKNOWN_SKU,
        id__in=with_sku,
    )
