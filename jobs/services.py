"""Writes for schedules: create them, change their frequency, switch them, trigger them."""

from __future__ import annotations

from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.models import Merchant
from carts.models import CartConnection
from jobs.clock import hub_now
from jobs.models import Frequency, ServiceSchedule
from jobs.registry import CART, MERCHANT, service_spec, services_at
from jobs.runner import nudge_dispatcher
from jobs.schedules import schedule_next_run


def schedules_ensure_for_cart(*, cart: CartConnection) -> None:
    """The cart's schedules, one per cart service, made once (a second call changes nothing)."""
    for spec in services_at(CART):
        schedule, created = ServiceSchedule.objects.get_or_create(
            cart=cart,
            service=spec.name,
            defaults={
                "account_id": cart.account_id,
                "merchant_id": cart.merchant_id,
                "frequency": spec.default_frequency,
            },
        )
        if created:
            _reschedule(schedule, run_now=spec.starts_at_once)


def schedules_ensure_for_merchant(*, merchant: Merchant) -> None:
    for spec in services_at(MERCHANT):
        schedule, created = ServiceSchedule.objects.get_or_create(
            merchant=merchant,
            cart=None,
            service=spec.name,
            defaults={"account_id": merchant.account_id, "frequency": spec.default_frequency},
        )
        if created:
            _reschedule(schedule, run_now=spec.starts_at_once)


def _usable(schedule: ServiceSchedule) -> bool:
    if not schedule.merchant.is_active:
        return False
    if schedule.cart_id is not None:
        return schedule.cart.is_usable
    wms = getattr(schedule.account, "wms", None)
    # No WMS yet: the run itself says so with an alert, instead of staying silent.
    return wms is None or wms.is_usable


def _reschedule(schedule: ServiceSchedule, *, run_now: bool) -> None:
    now = hub_now()
    schedule.enabled = schedule.frequency != Frequency.OFF and _usable(schedule)
    schedule.next_run_at = now if run_now and schedule.enabled else schedule_next_run(schedule, now)
    schedule.save(update_fields=["enabled", "next_run_at", "updated_at"])


@transaction.atomic
def schedule_update(*, schedule: ServiceSchedule, frequency: str, daily_at: time | None) -> None:
    """Change how often a service runs; the next run is computed from now."""
    if frequency == Frequency.DAILY and daily_at is None:
        raise ValidationError({"daily_at": "Choose the time of day for a daily run."})
    spec = service_spec(schedule.service)
    if frequency == Frequency.OFF and spec.required:
        raise ValidationError(
            f"{spec.label} keeps to the account's policy: it can run less often, but not be "
            "turned off. The policy is on the account's settings page."
        )
    schedule.frequency = frequency
    schedule.daily_at = daily_at if frequency == Frequency.DAILY else None
    schedule.save(update_fields=["frequency", "daily_at", "updated_at"])
    _reschedule(schedule, run_now=frequency == Frequency.AUTOMATIC)
    if schedule.enabled:
        nudge_dispatcher()


def schedules_refresh(schedules: QuerySet[ServiceSchedule]) -> None:
    """Recompute whether these schedules may run (a connection paused, enabled, edited)."""
    for schedule in schedules.select_related("account", "merchant", "cart", "account__wms"):
        enabled = schedule.frequency != Frequency.OFF and _usable(schedule)
        if enabled != schedule.enabled:
            if enabled and schedule.next_run_at is None:
                _reschedule(schedule, run_now=True)
            else:
                ServiceSchedule.objects.filter(id=schedule.id).update(enabled=enabled)


def schedules_trigger(
    *,
    service: str,
    merchant_id: int | None = None,
    cart_ids: list[int] | None = None,
    merchant_ids: list[int] | None = None,
    whatever_frequency: bool = False,
) -> int:
    """Automatic triggering, the one way every caller does it (stored orders, shipments and
    stock; a cart's webhook): make these schedules due now, in the caller's transaction (an
    outbox: if the nudge to the dispatcher is lost, the next tick still finds them due).

    Schedules on other frequencies wait for their time, unless whatever_frequency (a cart
    that pushed a webhook asks for its download now, whatever its frequency, unless Off).
    """
    schedules = ServiceSchedule.objects.filter(service=service)
    if whatever_frequency:
        schedules = schedules.exclude(frequency=Frequency.OFF)
    else:
        schedules = schedules.filter(frequency=Frequency.AUTOMATIC)
    if cart_ids is not None:
        schedules = schedules.filter(cart_id__in=cart_ids)
    elif merchant_ids is not None:
        schedules = schedules.filter(merchant_id__in=merchant_ids, cart=None)
    else:
        schedules = schedules.filter(merchant_id=merchant_id, cart=None)
    now = hub_now()
    due = schedules.filter(Q(next_run_at__isnull=True) | Q(next_run_at__gt=now)).update(
        next_run_at=now
    )
    if due:
        nudge_dispatcher()
    return due


class RunNow:
    """What Run now did: started, found the service running, or found no broker."""

    STARTED = "started"
    RUNNING = "running"
    QUEUE_AWAY = "queue_away"


def schedule_run_now(*, schedule: ServiceSchedule) -> str:
    """Run a service at once, whatever its frequency; a RunNow value says what happened."""
    from jobs.dispatcher import claim_send, claim_unsend, schedule_claim_now
    from jobs.models import JobRun

    claimed_at = schedule_claim_now(schedule=schedule)
    if claimed_at is None:
        return RunNow.RUNNING

    def send() -> bool:
        sent = claim_send(
            schedule_id=schedule.id, claimed_at=claimed_at, trigger=JobRun.Trigger.MANUAL
        )
        if not sent:
            claim_unsend(schedule_id=schedule.id, claimed_at=claimed_at)
        return sent

    if transaction.get_connection().in_atomic_block:
        # A worker must not see the task before it can see the claim.
        transaction.on_commit(send)
        return RunNow.STARTED
    return RunNow.STARTED if send() else RunNow.QUEUE_AWAY
