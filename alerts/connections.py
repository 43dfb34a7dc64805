"""What a failed or successful run means for its connection: pause, last error, alerts."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from alerts.services import alerts_raise, alerts_resolve
from carts.models import CartConnection
from integration_manager.connector_errors import AuthError, ConnectorError, RateLimited
from jobs.models import ServiceSchedule
from jobs.ownership import RunInterrupted
from jobs.recorder import RunRecorder
from jobs.registry import ServiceSpec
from wms.models import WmsConnection

# A connection that keeps failing for other reasons (5xx, timeouts) alerts on the third
# failed run in a row, not the first: one blip is retried quietly.
FAILURES_BEFORE_ALERT = 3
UNEXPECTED = "An unexpected error stopped the run; it is logged for the administrator."


def _message(error: Exception) -> str:
    return str(error) if isinstance(error, ConnectorError | RunInterrupted) else UNEXPECTED


def cart_run_failed(schedule: ServiceSchedule, error: Exception) -> None:
    from jobs.services import schedules_refresh

    cart = schedule.cart
    now = timezone.now()
    message = _message(error)
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
            kind="cart_auth",
            subject=f"{cart.label} refused the hub's credentials",
            message=f"{message} The cart is paused until its credentials are saved again.",
            link=f"/carts/{cart.id}/edit/",
        )
    elif (
        not isinstance(error, RateLimited)
        and schedule.consecutive_failures + 1 >= FAILURES_BEFORE_ALERT
    ):
        alerts_raise(
            account=cart.account_id,
            merchant=cart.merchant,
            cart=cart,
            kind="cart_failing",
            subject=f"{cart.label} keeps failing",
            message=f"{schedule.get_service_display()} failed {schedule.consecutive_failures + 1} "
            f"times in a row: {message} The hub keeps trying.",
            link=f"/carts/{cart.id}/",
        )


def cart_run_succeeded(schedule: ServiceSchedule) -> None:
    cart = schedule.cart
    CartConnection.objects.filter(id=cart.id).update(last_success_at=timezone.now(), last_error="")
    alerts_resolve(account_id=cart.account_id, kind="cart_failing", cart=cart)


def wms_run_failed(schedule: ServiceSchedule, error: Exception) -> None:
    from jobs.services import schedules_refresh
    from orders.services.delivery import MissingWms

    account_id = schedule.account_id
    message = _message(error)
    if isinstance(error, MissingWms):
        alerts_raise(
            account=account_id,
            kind="wms_missing",
            subject="Missing WMS setup",
            message=message,
            link="/wms/",
        )
        return
    wms = WmsConnection.objects.filter(account_id=account_id).first()
    if wms is None:
        return
    now = timezone.now()
    updates: dict[str, object] = {"last_error": message, "last_error_at": now}
    if isinstance(error, AuthError):
        updates.update(paused_at=now, paused_reason=message)
    WmsConnection.objects.filter(id=wms.id).update(**updates)
    if isinstance(error, AuthError):
        schedules_refresh(ServiceSchedule.objects.filter(account_id=account_id, cart=None))
        alerts_raise(
            account=account_id,
            kind="wms_auth",
            subject=f"The WMS ({wms.label}) refused the hub's credentials",
            message=f"{message} Orders wait in the hub until the WMS credentials are saved again.",
            link="/wms/",
        )
    elif (
        not isinstance(error, RateLimited)
        and schedule.consecutive_failures + 1 >= FAILURES_BEFORE_ALERT
    ):
        alerts_raise(
            account=account_id,
            kind="wms_failing",
            subject=f"The WMS ({wms.label}) keeps failing",
            message=f"{schedule.get_service_display()} for {schedule.merchant} failed "
            f"{schedule.consecutive_failures + 1} times in a row: {message} The hub keeps trying.",
            link="/wms/",
        )


def wms_run_succeeded(schedule: ServiceSchedule) -> None:
    WmsConnection.objects.filter(account_id=schedule.account_id).update(
        last_success_at=timezone.now(), last_error=""
    )
    alerts_resolve(account_id=schedule.account_id, kind="wms_failing")
    alerts_resolve(account_id=schedule.account_id, kind="wms_missing")


def cart_service(name: str, run: Callable[[ServiceSchedule, RunRecorder], None]) -> ServiceSpec:
    """A cart-level service: its failures and successes are the cart connection's."""
    return ServiceSpec(name, run=run, on_error=cart_run_failed, on_success=cart_run_succeeded)


def wms_service(name: str, run: Callable[[ServiceSchedule, RunRecorder], None]) -> ServiceSpec:
    """A merchant-level service: its failures and successes are the WMS connection's."""
    return ServiceSpec(name, run=run, on_error=wms_run_failed, on_success=wms_run_succeeded)
