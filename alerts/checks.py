"""Checks that raise and resolve alerts no run would: a stopped scheduler, stuck orders."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from alerts.models import Alert, AlertKind
from alerts.services import alert_key, alerts_raise
from integration_manager.text import single_line
from jobs.dispatcher import dispatcher_last_tick
from jobs.models import Frequency, Heartbeat, ServiceSchedule
from jobs.schedules import INTERVALS

# The dispatcher ticks every ~30 s: this long without a tick is not a slow tick.
SCHEDULER_STOPPED_AFTER = timedelta(minutes=5)
# The web requests that look for a stopped scheduler do so at most this often (per cache).
SCHEDULER_CHECK_EVERY = 60
SCHEDULER_CHECK_KEY = "alerts:scheduler-check"
# Stuck orders are counted at most this often, whatever the tick's pace.
STUCK_CHECK_EVERY = timedelta(minutes=5)
STUCK_HEARTBEAT = "alerts_orders_stuck"


def scheduler_check(*, now: datetime | None = None) -> int:
    """Raise "the scheduler stopped" for every account with an enabled schedule, when the
    dispatcher has not ticked for SCHEDULER_STOPPED_AFTER. Called from web requests (the
    alerts page), which still run when beat does not; at most once a minute."""
    if not settings.ALERT_SCHEDULER_CHECK:
        return 0
    if not cache.add(SCHEDULER_CHECK_KEY, True, timeout=SCHEDULER_CHECK_EVERY):
        return 0
    now = now or timezone.now()
    last_tick = dispatcher_last_tick()
    if last_tick is not None and now - last_tick < SCHEDULER_STOPPED_AFTER:
        return 0
    waiting = set(ServiceSchedule.objects.filter(enabled=True).values_list("account_id", flat=True))
    already = set(
        Alert.objects.filter(
            kind=AlertKind.SCHEDULER_STOPPED, resolved_at=None, account_id__in=waiting
        ).values_list("account_id", flat=True)
    )
    accounts = Account.objects.filter(id__in=waiting - already)
    for account in accounts:
        since = (
            f"since {last_tick.astimezone(account.zone):%Y-%m-%d %H:%M} ({account.timezone})"
            if last_tick is not None
            else "since the hub was started"
        )
        alerts_raise(
            account=account,
            kind=AlertKind.SCHEDULER_STOPPED,
            subject="The scheduler stopped: no orders, tracking or stock move",
            message=f"No schedule has been started {since}. Check that the hub's beat and "
            "worker processes are running (make run, or the beat and worker services of "
            "docker compose). This alert resolves itself when the scheduler ticks again.",
            link=reverse("job_run_list"),
        )
    return len(accounts)


def scheduler_resumed(now: datetime) -> int:
    """The dispatcher tick's chore: it ticks, so the scheduler runs again."""
    return Alert.objects.filter(kind=AlertKind.SCHEDULER_STOPPED, resolved_at=None).update(
        resolved_at=now
    )


def orders_stuck_chore(now: datetime) -> None:
    """The dispatcher tick's chore: count stuck orders every STUCK_CHECK_EVERY."""
    if heartbeat_claim(name=STUCK_HEARTBEAT, now=now, every=STUCK_CHECK_EVERY):
        orders_stuck_check(now=now)


def heartbeat_claim(*, name: str, now: datetime, every: timedelta) -> bool:
    """Whether this tick does a chore due every `every`; one of several dispatchers does."""
    Heartbeat.objects.get_or_create(name=name, defaults={"beat_at": now - every})
    # The WHERE clause is the check: of two ticks at once, one updates the row.
    return bool(Heartbeat.objects.filter(name=name, beat_at__lte=now - every).update(beat_at=now))


def orders_stuck_check(*, now: datetime) -> None:
    """Raise one "orders stuck" alert per (merchant, new or at the WMS) with its count, and
    resolve those whose orders moved on."""
    from orders.models import OrderStatus  # orders imports alerts

    stuck: dict[int, dict[tuple[int, str], int]] = defaultdict(dict)
    for (account_id, merchant_id), count in _stuck_new(now).items():
        stuck[account_id][(merchant_id, OrderStatus.NEW)] = count
    for (account_id, merchant_id), count in _stuck_at_wms(now).items():
        stuck[account_id][(merchant_id, OrderStatus.AT_WMS)] = count
    open_alerts = Alert.objects.filter(kind=AlertKind.ORDERS_STUCK, resolved_at=None)
    for account in Account.objects.filter(
        Q(id__in=stuck.keys()) | Q(id__in=open_alerts.values("account_id"))
    ):
        _stuck_alerts_update(account=account, stuck=stuck.get(account.id, {}), now=now)


def _stuck_new(now: datetime) -> dict[tuple[int, int], int]:
    """New orders per (account, merchant) not sent long after their delivery was due: the
    delivery schedule's interval (none for Automatic, a day for Daily) plus the grace."""
    from orders.jobs import ORDER_DELIVERY
    from orders.models import Order, OrderStatus

    counts: dict[tuple[int, int], int] = {}
    waiting = Order.objects.filter(status=OrderStatus.NEW, sending_canceled=False)
    # Only merchants with a new order at all are looked at: one COUNT per delivery schedule
    # took minutes at 100,000 merchants.
    oldest = dict(
        waiting.order_by()
        .values("merchant_id")
        .annotate(oldest=Min("created_at"))
        .values_list("merchant_id", "oldest")
    )
    # Off, or paused on refused credentials (its own alert): not stuck, held on purpose.
    schedules = ServiceSchedule.objects.filter(
        service=ORDER_DELIVERY, cart=None, enabled=True, merchant_id__in=list(oldest)
    ).select_related("account")
    for schedule in schedules:
        wait = _delivery_interval(schedule.frequency) + timedelta(
            minutes=schedule.account.stuck_new_grace_minutes
        )
        if oldest[schedule.merchant_id] >= now - wait:
            continue
        count = waiting.filter(
            merchant_id=schedule.merchant_id,
            created_at__lt=now - wait,
        ).count()
        if count:
            counts[(schedule.account_id, schedule.merchant_id)] = count
    return counts


def _delivery_interval(frequency: str) -> timedelta:
    if frequency == Frequency.DAILY:
        return timedelta(days=1)
    # Automatic sends as soon as orders are stored.
    return INTERVALS.get(Frequency(frequency), timedelta(0))


def _stuck_at_wms(now: datetime) -> dict[tuple[int, int], int]:
    """Orders per (account, merchant) at the WMS for longer than the account's days."""
    from orders.models import Order, OrderStatus

    counts: dict[tuple[int, int], int] = {}
    for account in Account.objects.only("id", "stuck_at_wms_days"):
        since = now - timedelta(days=account.stuck_at_wms_days)
        rows = (
            Order.objects.filter(account_id=account.id, status=OrderStatus.AT_WMS)
            .filter(Q(delivered_at__lt=since) | Q(delivered_at=None, created_at__lt=since))
            .values("merchant_id")
            .annotate(count=Count("id"))
        )
        for row in rows:
            counts[(account.id, row["merchant_id"])] = row["count"]
    return counts


def _stuck_alerts_update(
    *, account: Account, stuck: dict[tuple[int, str], int], now: datetime
) -> None:
    from accounts.models import Merchant
    from wms.selectors import wms_pulls_orders

    merchants = Merchant.objects.in_bulk([merchant_id for merchant_id, _ in stuck])
    pulled = bool(stuck) and wms_pulls_orders(account_id=account.id)
    keys = set()
    for (merchant_id, status), count in sorted(stuck.items()):
        key = alert_key("merchant", merchant_id, "stuck", status)
        keys.add(key)
        subject, message = _stuck_words(
            account, merchants[merchant_id], status, count, pulled=pulled
        )
        current = Alert.objects.filter(
            account=account, kind=AlertKind.ORDERS_STUCK, key=key, resolved_at=None
        )
        # Open already: the words follow the count, but a repeat of the check is not a
        # repeat of the problem, so its own count and e-mail stay as they are.
        if current.update(subject=single_line(subject)[:200], message=message, last_seen_at=now):
            continue
        alerts_raise(
            account=account,
            merchant=merchants[merchant_id],
            kind=AlertKind.ORDERS_STUCK,
            key=key,
            subject=subject,
            message=message,
            link=f"{reverse('order_list')}?status={status}&merchant={merchant_id}",
        )
    Alert.objects.filter(account=account, kind=AlertKind.ORDERS_STUCK, resolved_at=None).exclude(
        key__in=keys
    ).update(resolved_at=now)


def _stuck_words(
    account: Account, merchant: object, status: str, count: int, *, pulled: bool
) -> tuple[str, str]:
    if status == "new" and pulled:
        return (
            f"{count} new order(s) of {merchant} not taken by the warehouse's system",
            f"{count} order(s) of {merchant} are still new {account.stuck_new_grace_minutes} "
            "minutes after they were due. Open them to see why (a hold), or check that the "
            "warehouse's system is calling the API: its key's last use is on the API keys "
            "page.",
        )
    if status == "new":
        return (
            f"{count} new order(s) of {merchant} not sent to the WMS",
            f"{count} order(s) of {merchant} are still new {account.stuck_new_grace_minutes} "
            "minutes after their delivery run was due. Open them to see why (a hold, a WMS "
            "that cannot be reached), fix it, or resend them.",
        )
    return (
        f"{count} order(s) of {merchant} at the WMS for over {account.stuck_at_wms_days} days",
        f"{count} order(s) of {merchant} were sent to the WMS more than "
        f"{account.stuck_at_wms_days} days ago and have not shipped. Check them in the WMS; "
        "the number of days is set on the alert e-mail page.",
    )
