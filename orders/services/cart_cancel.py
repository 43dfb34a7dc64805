"""Cancels the hub made (in the WMS) sent to the cart, so the store stops showing the order open."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from carts.connectors.base import CANCEL_ORDER, CartConnector
from carts.models import CartConnection
from integration_manager.connector_errors import RecordError
from jobs.recorder import RunRecorder
from orders.models import Order, OrderStatus
from orders.services.events import order_event_write

MAX_CART_CANCELS = 100
CART_CANCEL_REASON = "Canceled in the warehouse through the integration hub."


def cart_cancels_pending(cart: CartConnection):  # type: ignore[no-untyped-def]
    """Orders of this cart the hub canceled (not the cart) whose cancel the cart has not had."""
    return Order.objects.filter(
        cart=cart,
        status=OrderStatus.CANCELED,
        canceled_in_cart_at=None,
        cart_cancel_sent_at=None,
        cart_cancel_error="",
    )


def cart_cancels_send(*, cart: CartConnection, connector: CartConnector, run: RunRecorder) -> None:
    """Send them (the cart's shipment upload run calls this first). Each order is claimed
    before the cart is called; a claim an earlier run left had no clear outcome and is sent
    again, which is safe: canceling a canceled order changes nothing."""
    if not connector.supports(CANCEL_ORDER):
        return
    from orders.services.shipment_upload import upload_order_for  # it imports us

    for order in cart_cancels_pending(cart).order_by("id")[:MAX_CART_CANCELS]:
        claimed = Order.objects.filter(
            id=order.id,
            cart_cancel_sent_at=None,
            cart_cancel_started_at=order.cart_cancel_started_at,
        ).update(cart_cancel_started_at=timezone.now())
        if not claimed:
            continue
        run.check_owner()
        try:
            connector.cancel_order(upload_order_for(order), reason=CART_CANCEL_REASON)
        except RecordError as refusal:
            _cart_cancel_recorded(order, error=str(refusal), run=run)
        else:
            _cart_cancel_recorded(order, error="", run=run)


@transaction.atomic
def _cart_cancel_recorded(order: Order, *, error: str, run: RunRecorder) -> None:
    now = timezone.now()
    Order.objects.filter(id=order.id).update(
        cart_cancel_sent_at=None if error else now,
        cart_cancel_error=error,
        updated_at=now,
    )
    message = (
        f"The cart did not cancel the order: {error} Cancel it in the store by hand."
        if error
        else "Canceled in the cart too."
    )
    order_event_write(
        order,
        from_status=order.status,
        to_status=order.status,
        message=message,
        job_run_id=run.job_run.id,
    )
    run.log("Order %s: %s", order.order_number, message)
    run.count(**({"failed": 1} if error else {"ok": 1}))
