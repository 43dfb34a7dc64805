"""Cancellations: a cancel seen in the cart, and cancels sent to the WMS."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertKind
from alerts.services import alert_key, alerts_raise
from carts.models import CartConnection
from integration_manager.records import MerchantRef, OrderRecord
from jobs.recorder import RunRecorder
from orders.models import Order, OrderStatus
from orders.services.events import order_events_write
from wms.connectors.base import WmsConnector


def cancellations_apply(cart: CartConnection, records: list[OrderRecord], run: RunRecorder) -> None:
    """A cancel in the cart stops an order that was not sent; a sent one needs a person."""
    if not records:
        return
    source_ids = [record.source_order_id for record in records]
    now = timezone.now()
    stoppable = list(
        Order.objects.filter(
            cart=cart,
            source_order_id__in=source_ids,
            status__in=[OrderStatus.NEW, OrderStatus.ERROR],
            delivery_started_at=None,
        )
    )
    for status in (OrderStatus.NEW, OrderStatus.ERROR):
        group = [order for order in stoppable if order.status == status]
        Order.objects.filter(id__in=[order.id for order in group], status=status).update(
            status=OrderStatus.CANCELED, canceled_in_cart_at=now, updated_at=now
        )
        order_events_write(
            group,
            from_status=status,
            to_status=OrderStatus.CANCELED,
            message="Canceled in the cart before it was sent: it will not be sent.",
            job_run_id=run.job_run.id,
        )
    too_late = list(
        Order.objects.filter(
            cart=cart,
            source_order_id__in=source_ids,
            canceled_in_cart_at=None,
        ).exclude(status=OrderStatus.CANCELED)
    )
    if not too_late:
        return
    Order.objects.filter(id__in=[order.id for order in too_late]).update(canceled_in_cart_at=now)
    order_events_write(
        too_late,
        from_status="",
        to_status="",
        message="Canceled in the cart after it was sent to the WMS: cancel it in the WMS.",
        job_run_id=run.job_run.id,
    )
    for order in too_late:
        alerts_raise(
            account=order.account_id,
            merchant=cart.merchant,
            cart=cart,
            kind=AlertKind.CANCELED_AFTER_DELIVERY,
            key=alert_key("order", order.id),
            subject=(
                f"Order {order.order_number} was canceled in {cart.label} after it reached the WMS"
            ),
            message="The cart canceled this order after the hub sent it to the WMS. "
            "Cancel it in the WMS before it ships, or tell the merchant it already left.",
            link=reverse("order_detail", args=[order.id]),
        )


def wms_cancels_send(
    *, merchant_id: int, connector: WmsConnector, reference: MerchantRef, run: RunRecorder
) -> None:
    """Send the cancels asked for this merchant's orders to the WMS (the delivery run calls
    this first, so a cancel never races the order's own send)."""
