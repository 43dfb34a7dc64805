"""Order events: every change of status, written in bulk with the change itself."""

from __future__ import annotations

from collections.abc import Iterable

from orders.models import Order, OrderEvent


def order_events_write(
    orders: Iterable[Order],
    *,
    from_status: str,
    to_status: str,
    message: str,
    job_run_id: int | None = None,
    user_id: int | None = None,
) -> None:
    """One event per order, in one statement."""
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(
                account_id=order.account_id,
                merchant_id=order.merchant_id,
                order_id=order.id,
                from_status=from_status,
                to_status=to_status,
                message=message,
                job_run_id=job_run_id,
                user_id=user_id,
            )
            for order in orders
        ]
    )


def order_event_write(
    order: Order,
    *,
    from_status: str,
    to_status: str,
    message: str,
    job_run_id: int | None = None,
    user_id: int | None = None,
) -> None:
    order_events_write(
        [order],
        from_status=from_status,
        to_status=to_status,
        message=message,
        job_run_id=job_run_id,
        user_id=user_id,
    )
