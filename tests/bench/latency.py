"""3. Automatic latency: with every service on Automatic and production intervals (beat ticks
every DISPATCH_INTERVAL_SECONDS, polls every AUTOMATIC_POLL_SECONDS), orders placed one at a
time in a WooCommerce store (emulated), each announced by its signed webhook to the hub over
HTTP. Leg 1: webhook → the order at the 3PL WMS (emulated). Leg 2: the warehouse ships it and
posts its signed webhook → the tracking at the store."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from django.conf import settings

from jobs.models import JobRun
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD, SHIP_CONFIRM, SHIPMENT_UPLOAD
from tests.bench.common import p95, record, say, scaled
from tests.bench.workers import Loop, running, wait_until

WORKERS = 2
LEG_TIMEOUT = 120.0  # well past a tick (30 s) and a poll (60 s): a lost nudge still arrives
LEGS = {
    "webhook_to_wms": (ORDER_DOWNLOAD, ORDER_DELIVERY),
    "ship_to_cart": (SHIP_CONFIRM, SHIPMENT_UPLOAD),
}


@dataclass
class Leg:
    """When each order's leg began and ended (wall clock, to match the job runs' times)."""

    began: list[datetime] = field(default_factory=list)
    ended: list[datetime] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        pairs = zip(self.began, self.ended, strict=True)
        return [(end - begin).total_seconds() for begin, end in pairs]


def run() -> None:
    count = scaled(50, least=10)
    say(
        f"\n3. Automatic latency over HTTP, {count} orders one at a time: cart webhook → 3PL WMS, "
        f"and WMS ships + webhook → tracking in the store ({WORKERS} workers, beat every "
        f"{settings.DISPATCH_INTERVAL_SECONDS:g} s, polls every "
        f"{settings.AUTOMATIC_POLL_SECONDS} s)"
    )
    loop = Loop("latency bench")
    legs = {name: Leg() for name in LEGS}
    with running(loop, workers=WORKERS) as base_url:
        loop.connect_cart()
        _settle(loop)
        for _ in range(count):
            _one_order(loop, base_url, legs)
    _report(loop, legs, count)


def _quiet(loop: Loop) -> bool:
    """Runs have happened, none is running, and the last ended a second ago or more (a run
    that ends often makes another due: it is given that second to start)."""
    runs = JobRun.objects.filter(account=loop.account)
    finished = runs.filter(finished_at__isnull=False).order_by("-finished_at")
    last = finished.values_list("finished_at", flat=True).first()
    return (
        last is not None
        and not runs.filter(finished_at__isnull=True).exists()
        and (_now() - last).total_seconds() >= 1
    )


def _settle(loop: Loop) -> None:
    """The new cart's first download and the first stock run go by before any order is
    timed: they are set-up, not latency."""
    wait_until(lambda: _quiet(loop), what="the first runs of the new cart", timeout=LEG_TIMEOUT)


def _now() -> datetime:
    return datetime.now(UTC)


def _one_order(loop: Loop, base_url: str, legs: dict[str, Leg]) -> None:
    (order_id,) = loop.store.seed_orders(1, start=loop.store.now())
    before = len(loop.warehouse.orders)
    legs["webhook_to_wms"].began.append(_now())
    status = loop.store.send_webhook(loop.cart_webhook_url(base_url), "order.created", order_id)
    if status != 200:
        raise RuntimeError(f"the hub answered the cart webhook with {status}")
    wait_until(
        lambda: len(loop.warehouse.orders) > before,
        what="the order at the WMS",
        timeout=LEG_TIMEOUT,
    )
    legs["webhook_to_wms"].ended.append(_now())
    (wms_order,) = loop.open_wms_orders()
    legs["ship_to_cart"].began.append(_now())
    loop.ship(wms_order)
    headers, body = loop.warehouse.signed_webhook("OrderConfirm", wms_order)
    response = requests.post(loop.wms_webhook_url(base_url), data=body, headers=headers, timeout=10)
    response.raise_for_status()
    wait_until(
        lambda: bool(loop.store.trackings(order_id)),
        what="the tracking at the store",
        timeout=LEG_TIMEOUT,
    )
    legs["ship_to_cart"].ended.append(_now())


def _first_after(runs: list[tuple[str, datetime, str]], service: str, moment: datetime):  # type: ignore[no-untyped-def]
    return next((run for run in runs if run[0] == service and run[1] >= moment), None)


def _breakdown(loop: Loop, name: str, leg: Leg) -> str:
    """Where the leg's time goes, from the job runs: the wait for the first run to start
    (a nudge or a tick), the wait between the first and second run, and the rest."""
    first, second = LEGS[name]
    runs = list(
        JobRun.objects.filter(account=loop.account, service__in=[first, second])
        .order_by("started_at")
        .values_list("service", "started_at", "trigger")
    )
    waits: list[float] = []
    hops: list[float] = []
    triggers: set[str] = set()
    for began in leg.began:
        one = _first_after(runs, first, began)
        two = one and _first_after(runs, second, one[1])
        if one is None or two is None:
            continue
        waits.append((one[1] - began).total_seconds())
        hops.append((two[1] - one[1]).total_seconds())
        triggers.update({one[2], two[2]})
    if not waits:
        return "no job runs matched"
    # A tick or a poll would leave waits spread over their interval; a nudge, well under one.
    slowest = max(*waits, *hops)
    bound = (
        "a nudge (the dispatcher run on a worker at once), not a beat tick or a poll"
        if slowest < settings.DISPATCH_INTERVAL_SECONDS / 4
        else "at least once a beat tick or a poll"
    )
    return (
        f"{first} started {statistics.median(waits):.2f} s after it (median, max "
        f"{max(waits):.2f}), {second} {statistics.median(hops):.2f} s after that (max "
        f"{max(hops):.2f}); triggers seen: {', '.join(sorted(triggers))}; each hop bounded "
        f"by {bound}"
    )


def _report(loop: Loop, legs: dict[str, Leg], count: int) -> None:
    setup = {
        "orders": count,
        "workers": WORKERS,
        "wms": "3PL emulator",
        "cart": "WooCommerce emulator",
        "dispatch_interval_seconds": settings.DISPATCH_INTERVAL_SECONDS,
        "automatic_poll_seconds": settings.AUTOMATIC_POLL_SECONDS,
    }
    for name, leg in legs.items():
        seconds = leg.seconds
        say(
            f"   {name}: p50 {statistics.median(seconds):.2f} s, p95 {p95(seconds):.2f} s, "
            f"max {max(seconds):.2f} s over {len(seconds)} orders"
        )
        say(f"     {_breakdown(loop, name, leg)}")
        record(f"latency_{name}_p50", statistics.median(seconds), "s", **setup)
        record(f"latency_{name}_p95", p95(seconds), "s", goal=("<=", 2), **setup)
        record(f"latency_{name}_max", max(seconds), "s", **setup)
