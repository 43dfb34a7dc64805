"""What a person can do to an order: resend it, cancel or resume sending, resend tracking."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from jobs.services import schedules_trigger
from orders.jobs import ORDER_DELIVERY, SHIPMENT_UPLOAD
from orders.models import Order, OrderStatus, Shipment
from orders.services.events import order_event_write


@transaction.atomic
def order_resend(*, order: Order, user: User) -> None:
    """Send the order to the WMS again at the next delivery run (now, on Automatic)."""
    order = Order.objects.select_for_update().get(id=order.id)
    if order.status == OrderStatus.CANCELED:
        raise ValidationError("A canceled order is not sent. It was canceled in the cart.")
    if order.status in (OrderStatus.SHIPPED, OrderStatus.CONFIRMED):
        raise ValidationError("The WMS already shipped this order; it is not sent again.")
    if order.status == OrderStatus.NEW and order.delivery_started_at is not None:
        raise ValidationError("The order is being sent right now. Wait for the run to finish.")
    before = order.status
    Order.objects.filter(id=order.id).update(
        status=OrderStatus.NEW,
        sending_canceled=False,
        error_reason="",
        error_code="",
        not_before=None,
        failed_sends=0,
        first_failed_at=None,
        delivery_started_at=None,
        delivery_job_run=None,
        ready_at=None,
        updated_at=timezone.now(),
    )
    message = (
        "Resend to WMS: it goes again, although the WMS had it."
        if before == OrderStatus.AT_WMS
        else "Resend to WMS."
    )
    order_event_write(
        order, from_status=before, to_status=OrderStatus.NEW, message=message, user_id=user.id
    )
    schedules_trigger(service=ORDER_DELIVERY, merchant_id=order.merchant_id)


@transaction.atomic
def order_cancel_sending(*, order: Order, user: User) -> None:
    """Keep the order in the hub but never send it (Extensiv's "Cancel Sending")."""
    updated = Order.objects.filter(
        id=order.id, status__in=[OrderStatus.NEW, OrderStatus.ERROR], delivery_started_at=None
    ).update(sending_canceled=True, updated_at=timezone.now())
    if not updated:
        raise ValidationError("Only an order that was not sent yet can stop being sent.")
    order_event_write(
        order,
        from_status=order.status,
        to_status=order.status,
        message="Cancel sending: it will not go to the WMS.",
        user_id=user.id,
    )


@transaction.atomic
def order_resume_sending(*, order: Order, user: User) -> None:
    updated = Order.objects.filter(id=order.id, sending_canceled=True).update(
        sending_canceled=False, updated_at=timezone.now()
    )
    if not updated:
        raise ValidationError("This order was not held back from sending.")
    order_event_write(
        order,
        from_status=order.status,
        to_status=order.status,
        message="Sending resumed.",
        user_id=user.id,
    )
    schedules_trigger(service=ORDER_DELIVERY, merchant_id=order.merchant_id)


@transaction.atomic
def order_resend_tracking(*, order: Order, user: User) -> None:
    """Upload the order's shipments to the cart again: confirmed goes back to shipped."""
    order = Order.objects.select_for_update().get(id=order.id)
    shipments = Shipment.objects.filter(order=order)
    if not shipments.exists():
        raise ValidationError(
            "The WMS has not shipped this order yet: there is no tracking to send."
        )
    shipments.update(
        uploaded_at=None,
        upload_started_at=None,
        upload_error="",
        upload_attempts=0,
        upload_not_before=None,
    )
    before = order.status
    Order.objects.filter(id=order.id).update(status=OrderStatus.SHIPPED, updated_at=timezone.now())
    order_event_write(
        order,
        from_status=before,
        to_status=OrderStatus.SHIPPED,
        message="Resend tracking to the cart.",
        user_id=user.id,
    )
    schedules_trigger(service=SHIPMENT_UPLOAD, cart_ids=[order.cart_id])
