"""What a merchant-level service's run means for the account's WMS connection: its last
error, a pause on refused credentials, "no WMS yet", and the alerts that say so."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertKind
from alerts.services import alerts_raise, alerts_resolve
from integration_manager.connector_errors import AuthError
from jobs.models import JobRun, ServiceSchedule
from jobs.outcomes import UNREACHABLE_AFTER_TEXT, failing_since, failure_message, keeps_failing
from jobs.registry import MERCHANT, service_maker
from wms.models import WmsConnection
from wms.selectors import MissingWms


def wms_run_failed(schedule: ServiceSchedule, error: Exception) -> None:
    from jobs.services import schedules_refresh

    account_id = schedule.account_id
    message = failure_message(error)
    setup = reverse("wms_setup")
    if isinstance(error, MissingWms):
        alerts_raise(
            account=account_id,
            kind=AlertKind.WMS_MISSING,
            subject="Missing WMS setup",
            message=message,
            link=setup,
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
            kind=AlertKind.WMS_AUTH,
            subject=f"The WMS ({wms.label}) refused the hub's credentials",
            message=f"{message} Orders wait in the hub until the WMS credentials are saved again.",
            link=setup,
        )
    elif keeps_failing(error, since=wms_failing_since(wms), now=now):
        alerts_raise(
            account=account_id,
            kind=AlertKind.WMS_FAILING,
            subject=f"The WMS ({wms.label}) cannot be reached",
            message=f"{schedule.get_service_display()} for {schedule.merchant} failed: "
            f"{message} The WMS has not answered for {UNREACHABLE_AFTER_TEXT}. Check that it "
            "is up and that its address in the WMS settings is right; orders wait in the hub, "
            "which keeps trying and resolves this alert at the next success.",
            link=setup,
        )


def wms_failing_since(wms: WmsConnection) -> datetime | None:
    """Since when the WMS has not worked: its last success (a run or a passed test)."""
    state = WmsConnection.objects.filter(id=wms.id).values("last_success_at", "verified_at")
    times = [time for time in state.get().values() if time is not None]
    runs = JobRun.objects.filter(account_id=wms.account_id, cart=None)
    return failing_since(last_success_at=max(times, default=None), runs=runs)


def wms_run_succeeded(schedule: ServiceSchedule) -> None:
    now = timezone.now()
    WmsConnection.objects.filter(account_id=schedule.account_id).update(
        last_success_at=now, verified_at=now, last_error=""
    )
    alerts_resolve(account_id=schedule.account_id, kind=AlertKind.WMS_FAILING)
    alerts_resolve(account_id=schedule.account_id, kind=AlertKind.WMS_MISSING)


# A merchant-level service: its failures and successes are the WMS connection's.
wms_service = service_maker(level=MERCHANT, on_error=wms_run_failed, on_success=wms_run_succeeded)
