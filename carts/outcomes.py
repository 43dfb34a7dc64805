"""What a cart service's run means for the cart: its last error, a pause on refused
credentials, and the alerts that say so (jobs calls these through the ServiceSpec)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertKind
from alerts.services import alert_key, alerts_raise, alerts_resolve
from carts.models import CartConnection
from integration_manager.connector_errors import AuthError
from jobs.models import ServiceSchedule
from jobs.outcomes import failure_message, keeps_failing
from jobs.registry import CART, service_maker


def cart_run_failed(schedule: ServiceSchedule, error: Exception) -> None:
    from jobs.services import schedules_refresh

    cart = schedule.cart
    now = timezone.now()
    message = failure_message(error)
    updates: dict[str, object] = {"last_error": message, "last_error_at": now}
    if isinstance(error, AuthError):
        updates.update(paused_at=now, paused_reason=message)
    CartConnection.objects.filter(id=cart.id).update(**updates)
    if isinstance(error, AuthError):
        schedules_refresh(ServiceSchedule.objects.filter(cart=cart))
        alerts_raise(
            account=cart.account_id,
            merchant=cart.merchant,
            cart=cart,
            kind=AlertKind.CART_AUTH,
            key=alert_key("cart", cart.id),
            subject=f"{cart.label} refused the hub's credentials",
            message=f"{message} The cart is paused until its credentials are saved again.",
            link=reverse("cart_edit", args=[cart.id]),
        )
    elif keeps_failing(schedule.consecutive_failures, error):
        alerts_raise(
            account=cart.account_id,
            merchant=cart.merchant,
            cart=cart,
            kind=AlertKind.CART_FAILING,
            key=alert_key("cart", cart.id),
            subject=f"{cart.label} keeps failing",
            message=f"{schedule.get_service_display()} failed {schedule.consecutive_failures + 1} "
            f"times in a row: {message} The hub keeps trying.",
            link=reverse("cart_detail", args=[cart.id]),
        )


def cart_run_succeeded(schedule: ServiceSchedule) -> None:
    cart = schedule.cart
    now = timezone.now()
    CartConnection.objects.filter(id=cart.id).update(
        last_success_at=now, verified_at=now, last_error=""
    )
    alerts_resolve(account_id=cart.account_id, kind=AlertKind.CART_FAILING, cart=cart)


# A cart-level service: its failures and successes are the cart connection's.
cart_service = service_maker(level=CART, on_error=cart_run_failed, on_success=cart_run_succeeded)
