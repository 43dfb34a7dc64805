"""Cancellations: a cancel seen in the cart, and cancels sent to the WMS."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from alerts.models import AlertKind
from alerts.services import alert_key, alerts_raise, alerts_resolve
from carts.models import CartConnection
from integration_manager.connector_errors import RecordError, TransientError
from integration_manager.records import MerchantRef, OrderRecord
from jobs.recorder import RunRecorder
from jobs.services import schedules_trigger
from orders.jobs import ORDER_DELIVERY, SHIPMENT_UPLOAD
from orders.models import Order, OrderStatus
from orders.services.events import order_event_write, order_events_write
from wms.connectors.base import CANCEL_ORDER, WmsConnector
from wms.selectors import wms_supports

# A run asks the WMS about this many cancels at most; the rest wait for the next run.
MAX_CANCELS = 200


def wms_can_cancel(*, account_id: int) -> bool:
    """The account's WMS connector can cancel an order (no WMS: it cannot)."""
    return wms_supports(account_id=account_id, capability=CANCEL_ORDER)


def cancellations_apply(cart: CartConnection, records: list[OrderRecord], run: RunRecorder) -> None:
    """A cancel in the cart stops an order that was not sent; a sent one is canceled in the
    WMS where the WMS can, else it needs a person (an alert)."""
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
    can_cancel = wms_can_cancel(account_id=cart.account_id)
    # Only an order still at the WMS can be stopped there; a shipped one has left.
    to_cancel = [o for o in too_late if can_cancel and o.status == OrderStatus.AT_WMS]
    for order in to_cancel:
        _wms_cancel_request(order)
        order_event_write(
            order,
            from_status=order.status,
            to_status=order.status,
            message="Canceled in the cart after it was sent: the hub asks the WMS to cancel it "
            "at the next delivery run.",
            job_run_id=run.job_run.id,
        )
    if to_cancel:
        schedules_trigger(
            service=ORDER_DELIVERY, merchant_id=cart.merchant_id, whatever_frequency=True
        )
    _alert_canceled_after_delivery(cart, [o for o in too_late if o not in to_cancel], run)


def _alert_canceled_after_delivery(
    cart: CartConnection, orders: list[Order], run: RunRecorder
) -> None:
    order_events_write(
        orders,
        from_status="",
        to_status="",
        message="Canceled in the cart after it was sent to the WMS: cancel it in the WMS.",
        job_run_id=run.job_run.id,
    )
    for order in orders:
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


def _wms_cancel_request(order: Order) -> bool:
    """Mark the order's cancel as asked for; False if it was asked already or is not at the
    WMS. The delivery run claims it later; the caller writes the event."""
    now = timezone.now()
    return bool(
        Order.objects.filter(
            id=order.id, status=OrderStatus.AT_WMS, wms_cancel_requested_at=None
        ).update(
            wms_cancel_requested_at=now,
            wms_cancel_started_at=None,
            wms_cancel_error="",
            updated_at=now,
        )
    )


@transaction.atomic
def order_cancel_in_wms(*, order: Order, user: User | None, actor: str = "") -> None:
    """A person (user), or a client of the API (actor, such as "API user hub_…"), asks the
    WMS to cancel the order: the merchant's next delivery run asks it (triggered now,
    whatever its frequency)."""
    if not wms_can_cancel(account_id=order.account_id):
        raise ValidationError(
            "The WMS cannot cancel orders through the hub. Cancel the order in the WMS itself."
        )
    if order.status != OrderStatus.AT_WMS:
        raise ValidationError(
            "Only an order at the WMS, not shipped yet, can be canceled there. Use Cancel "
            "sending for an order that was not sent."
        )
    if not _wms_cancel_request(order):
        raise ValidationError("The cancel was asked already; the WMS is asked at the next run.")
    order_event_write(
        order,
        from_status=order.status,
        to_status=order.status,
        message=f"Cancel in WMS asked by {user.email if user else actor}.",
        user_id=user.id if user else None,
    )
    schedules_trigger(
        service=ORDER_DELIVERY, merchant_id=order.merchant_id, whatever_frequency=True
    )


def wms_cancels_send(
    *, merchant_id: int, connector: WmsConnector, reference: MerchantRef, run: RunRecorder
) -> None:
    """Send the cancels asked for this merchant's orders to the WMS (the delivery run calls
    this first, so a cancel never races the order's own send).

    Each order is claimed (wms_cancel_started_at) before the WMS is called. A claim left by
    an earlier run had no clear outcome; it is sent again, which is safe because a cancel in
    the WMS is idempotent (an order canceled already, or unknown to it, is done).
    """
    # The runner holds the merchant's delivery lock, so no claim here is a live send.
    asked = list(
        Order.objects.filter(
            merchant_id=merchant_id,
            status=OrderStatus.AT_WMS,
            wms_cancel_requested_at__isnull=False,
        ).order_by("wms_cancel_requested_at", "id")[:MAX_CANCELS]
    )
    if not asked:
        return
    if not connector.supports(CANCEL_ORDER):
        for order in asked:
            _cancel_refused(
                order,
                "The WMS cannot cancel orders through the hub. Cancel it in the WMS itself.",
                run=run,
            )
        return
    for order in asked:
        if not _cancel_claim(order):
            continue
        run.check_owner()
        try:
            connector.cancel_order(order.cust_ref, reference)
        except RecordError as refusal:
            _cancel_refused(order, str(refusal), run=run)
        except TransientError:
            # Maybe canceled, maybe not: the claim stays and the next run asks again.
            run.log("No clear answer from the WMS to the cancel of %s.", order.order_number)
            raise
        else:
            _canceled(order, run=run)


def _cancel_claim(order: Order) -> bool:
    claimed = Order.objects.filter(
        id=order.id,
        status=OrderStatus.AT_WMS,
        wms_cancel_requested_at=order.wms_cancel_requested_at,
        wms_cancel_started_at=order.wms_cancel_started_at,
    ).update(wms_cancel_started_at=timezone.now())
    return claimed == 1


@transaction.atomic
def _canceled(order: Order, *, run: RunRecorder) -> None:
    now = timezone.now()
    moved = Order.objects.filter(id=order.id, status=OrderStatus.AT_WMS).update(
        status=OrderStatus.CANCELED,
        wms_cancel_requested_at=None,
        wms_cancel_started_at=None,
        wms_cancel_error="",
        updated_at=now,
    )
    if not moved:
        return
    order_event_write(
        order,
        from_status=OrderStatus.AT_WMS,
        to_status=OrderStatus.CANCELED,
        message="Canceled in the WMS.",
        job_run_id=run.job_run.id,
    )
    run.log("Order %s canceled in the WMS.", order.order_number)
    run.count(ok=1)
    if order.canceled_in_cart_at is None:
        # The cart still has it open: its shipment upload run tells it (cart_cancel.py).
        schedules_trigger(service=SHIPMENT_UPLOAD, cart_ids=[order.cart_id])
    for kind in (AlertKind.WMS_CANCEL_REFUSED, AlertKind.CANCELED_AFTER_DELIVERY):
        alerts_resolve(account_id=order.account_id, kind=kind, key=alert_key("order", order.id))


@transaction.atomic
def _cancel_refused(order: Order, reason: str, *, run: RunRecorder) -> None:
    moved = Order.objects.filter(id=order.id, wms_cancel_requested_at__isnull=False).update(
        wms_cancel_requested_at=None,
        wms_cancel_started_at=None,
        wms_cancel_error=reason,
        updated_at=timezone.now(),
    )
    if not moved:
        return
    order_event_write(
        order,
        from_status=order.status,
        to_status=order.status,
        message=f"The WMS did not cancel the order: {reason}",
        job_run_id=run.job_run.id,
    )
    run.log("Order %s not canceled by the WMS: %s", order.order_number, reason)
    run.count(failed=1)
    alerts_raise(
        account=order.account_id,
        merchant=order.merchant,
        kind=AlertKind.WMS_CANCEL_REFUSED,
        key=alert_key("order", order.id),
        subject=f"The WMS would not cancel order {order.order_number}",
        message=f"{reason} Check the order in the WMS; if it shipped, tell the merchant.",
        link=reverse("order_detail", args=[order.id]),
    )
