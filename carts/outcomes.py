"""What a cart service's run means for the cart: its last error, a pause on refused
credentials, and the alerts that say so (jobs calls these through the ServiceSpec)."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertKind
from alerts.services import alert_key, alerts_raise, alerts_resolve
from carts.models import CartConnection
from integration_manager.connector_errors import AuthError
from jobs.models import JobRun, ServiceSchedule
from jobs.outcomes import UNREACHABLE_AFTER_TEXT, failing_since, failure_message, keeps_failing
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
    elif keeps_failing(error, since=cart_failing_since(cart), now=now):
        alerts_raise(
            account=cart.account_id,
            merchant=cart.merchant,
            cart=cart,
            kind=AlertKind.CART_FAILING,
            key=alert_key("cart", cart.id),
            subject=f"{cart.label} cannot be reached",
            message=f"{schedule.get_service_display()} failed: {message} The cart has not "
            f"answered for {UNREACHABLE_AFTER_TEXT}. Check that the store is online and that "
            "its address in the cart's settings is right; the hub keeps trying and resolves "
            "this alert at the next success.",
            link=reverse("cart_detail", args=[cart.id]),
        )


def cart_failing_since(cart: CartConnection) -> datetime | None:
    """Since when the cart has not worked: its last success (a run or a passed test)."""
    state = CartConnection.objects.filter(id=cart.id).values("last_success_at", "verified_at")
    times = [time for time in state.get().values() if time is not None]
    return failing_since(
        last_success_at=max(times, default=None), runs=JobRun.objects.filter(cart_id=cart.id)
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
