"""2. The whole loop over HTTP: orders placed in a WooCommerce store (emulated) go down to the
hub, out to a 3PL WMS (emulated), are shipped there, and their tracking comes back up to the
store; PostgreSQL, Redis, two Celery worker processes and celery beat, all services on
Automatic, production intervals.

Then the same loop with the hub's sandbox WMS in place of the 3PL emulator: the 3PL connector's
own request limit (REQUESTS_PER_MINUTE, one POST per order) caps the first at a few orders a
second, so only the second shows what the hub itself can carry.

Last, the sandbox loop again in the embedded mode (`make run`: SQLite and the file broker, the
worker and beat that `manage.py embedded` starts; tests/bench/embedded.py). `--only
loop_embedded` runs that one alone."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from jobs.models import JobRun
from orders.jobs import SHIP_CONFIRM
from orders.models import Order, OrderStatus
from tests.bench.common import record, say, scaled
from tests.bench.embedded import NAME as EMBEDDED_NAME
from tests.bench.embedded import EmbeddedLoop, running_embedded
from tests.bench.workers import (
    SANDBOX_SKUS,
    SEEDED_SKUS,
    Loop,
    SandboxLoop,
    StoreLoop,
    running,
)
from wms.models import SandboxWmsOrder

WORKERS = 2  # worker processes; the embedded mode's one worker has a pool of two
STAGES = ("download", "wms", "shipped", "confirmed", "uploaded")
STAGE_TEXT = {
    "download": "all downloaded to the hub",
    "wms": "all at the WMS",
    "shipped": "all shipped in the WMS",
    "confirmed": "all confirmed in the hub (ship confirm)",
    "uploaded": "all uploaded to the cart",
}


@dataclass
class Progress:
    total: int
    started: float = field(default_factory=time.perf_counter)
    # JobRun times are wall-clock: runs are placed on the loop's own time line by this.
    started_at: datetime = field(default_factory=timezone.now)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    reached: dict[str, float] = field(default_factory=dict)
    wms_webhooks: int = 0
    stuck: int = 0  # orders without tracking in the store when the deadline passed

    def note(self, counts: dict[str, int]) -> None:
        self.counts = counts
        for stage in STAGES:
            if stage not in self.reached and counts[stage] >= self.total:
                self.reached[stage] = time.perf_counter() - self.started

    @property
    def done(self) -> bool:
        return "uploaded" in self.reached

    def line(self) -> str:
        return ", ".join(f"{stage} {self.counts[stage]}" for stage in STAGES)


def _workers_and_beat(loop: StoreLoop) -> AbstractContextManager[str]:
    """The PostgreSQL and Redis hub: WORKERS worker processes, beat, and the web app."""
    return running(loop, workers=WORKERS)


@dataclass(frozen=True)
class Variant:
    """What differs between the loops: the WMS, how it ships, how its orders are counted, and
    which hub runs it."""

    prefix: str  # of the figures' names
    title: str
    wms: str
    new_loop: Callable[[str], Any]
    skus: tuple[str, ...]
    warehouse_step: Callable[[Any, str, Progress], None]
    wms_counts: Callable[[Any], dict[str, int]]
    # The hub's processes around the loop; yields the hub's base URL.
    running: Callable[[Any], AbstractContextManager[str]] = _workers_and_beat
    setup: dict[str, Any] = field(default_factory=dict)


def run() -> None:
    for variant in (THREEPL, SANDBOX, EMBEDDED):
        _run_variant(variant, _total())


def run_embedded() -> None:
    _run_variant(EMBEDDED, _total())


def _total() -> int:
    return scaled(5_000, least=200)


def _run_variant(variant: Variant, total: int) -> None:
    say(variant.title.format(total=total, workers=WORKERS))
    loop = variant.new_loop(f"{variant.prefix} bench")
    with variant.running(loop) as base_url:
        loop.store.seed_orders(total, skus=variant.skus)
        progress = _drive(variant, loop, base_url, total)
        # Before the hub stops: the embedded hub's database goes with it.
        _report(variant, loop, progress)


def _drive(variant: Variant, loop: Any, base_url: str, total: int) -> Progress:
    deadline = max(300.0, total / 5)
    progress = Progress(total)
    cart = loop.connect_cart()
    # As the store does for a new order: its webhook asks for the download now, rather than
    # at the next tick of beat.
    last_order = max(loop.store.orders)
    status = loop.store.send_webhook(loop.cart_webhook_url(base_url), "order.created", last_order)
    say(f"   cart webhook answered {status}")
    printed = 0.0
    while not progress.done:
        elapsed = time.perf_counter() - progress.started
        if elapsed > deadline:
            # Reported, not raised: the figures say how far it got, and the run goes on.
            say(f"   NOT FINISHED after {deadline:.0f} s: {progress.line()}")
            progress.stuck = total - progress.counts["uploaded"]
            break
        variant.warehouse_step(loop, base_url, progress)
        progress.note({**_hub_counts(loop, cart.id), **variant.wms_counts(loop)})
        if elapsed - printed >= 10:
            printed = elapsed
            say(f"   {elapsed:5.0f} s: {progress.line()}")
        time.sleep(0.25)
    return progress


def _warehouse_ships(loop: Loop, base_url: str, progress: Progress) -> None:
    """The warehouse ships what it has received, then tells the hub once for the batch (its
    webhooks only nudge ship confirm, which polls the WMS for every change)."""
    shipped = loop.open_wms_orders()
    for order_id in shipped:
        loop.ship(order_id)
    progress.counts["shipped"] += len(shipped)
    if shipped:
        headers, body = loop.warehouse.signed_webhook("OrderConfirm", shipped[-1])
        requests.post(loop.wms_webhook_url(base_url), data=body, headers=headers, timeout=10)
        progress.wms_webhooks += 1


def _sandbox_ships_itself(loop: StoreLoop, base_url: str, progress: Progress) -> None:
    """Nothing to do: with no ship delay the sandbox reports an order shipped to the first
    ship confirm after it took it, and it has no webhook to hurry that run."""


def _hub_counts(loop: StoreLoop, cart_id: int) -> dict[str, int]:
    return (
        Order.objects.using(loop.database)
        .filter(cart_id=cart_id)
        .aggregate(
            download=Count("id"),
            confirmed=Count(
                "id", filter=Q(status__in=[OrderStatus.SHIPPED, OrderStatus.CONFIRMED])
            ),
            uploaded=Count("id", filter=Q(status=OrderStatus.CONFIRMED)),
            errors=Count("id", filter=Q(status=OrderStatus.ERROR)),
        )
    )


def _threepl_counts(loop: Loop) -> dict[str, int]:
    with loop.warehouse.lock:
        at_wms = len(loop.warehouse.orders)
        shipped = sum(1 for order in loop.warehouse.orders.values() if order.closed)
    return {"wms": at_wms, "shipped": shipped}


def _sandbox_counts(loop: StoreLoop) -> dict[str, int]:
    # Distinct references: a resent order is a second row in the sandbox, not a second order.
    return (
        SandboxWmsOrder.objects.using(loop.database)
        .filter(account=loop.account)
        .aggregate(
            wms=Count("cust_ref", distinct=True),
            shipped=Count("cust_ref", distinct=True, filter=Q(ship_after__lte=timezone.now())),
        )
    )


def _busy_by_service(loop: StoreLoop) -> dict[str, tuple[int, float]]:
    busy: dict[str, list[float]] = defaultdict(list)
    runs = JobRun.objects.using(loop.database).filter(
        account=loop.account, finished_at__isnull=False
    )
    for service, started, finished in runs.values_list("service", "started_at", "finished_at"):
        busy[service].append((finished - started).total_seconds())
    return {service: (len(times), sum(times)) for service, times in busy.items()}


def _report(variant: Variant, loop: Any, progress: Progress) -> None:
    total = progress.total
    wall = progress.reached.get("uploaded") or time.perf_counter() - progress.started
    tracked = sum(1 for order_id in loop.store.orders if loop.store.trackings(order_id))
    say(
        f"   {total:,} orders in {wall:.1f} s end to end ({total / wall:.1f} orders/s); "
        f"{tracked:,} orders carry tracking in the store; {progress.wms_webhooks} WMS webhooks"
    )
    setup = {
        "orders": total,
        "workers": WORKERS,
        "wms": variant.wms,
        "cart": "WooCommerce emulator",
        "dispatcher": "celery beat every DISPATCH_INTERVAL_SECONDS + Automatic nudges",
        **variant.setup,
    }
    name = variant.prefix
    for stage in STAGES:
        if stage in progress.reached:
            say(f"   {STAGE_TEXT[stage]} at {progress.reached[stage]:.1f} s")
            record(f"{name}_stage_{stage}_seconds", progress.reached[stage], "s", **setup)
    record(f"{name}_wall_seconds", wall, "s", **setup)
    record(
        f"{name}_orders_per_second",
        (total - progress.stuck) / wall,
        "orders/s",
        goal=(">=", 200),
        **setup,
    )
    record(f"{name}_orders_without_tracking", progress.stuck, "orders", goal=("<=", 0), **setup)
    _report_workers(loop, progress, name, setup, wall=wall)


def _report_workers(
    loop: Any, progress: Progress, name: str, setup: dict[str, Any], *, wall: float
) -> None:
    busy = _busy_by_service(loop)
    for service, (runs, seconds) in sorted(busy.items()):
        say(f"   {service}: {runs} runs, {seconds:.1f} s of worker time")
    say(f"   ship confirm runs started at {_run_starts(loop, progress, SHIP_CONFIRM)} s")
    idle = 1 - sum(seconds for _, seconds in busy.values()) / (WORKERS * wall)
    say(f"   workers idle {idle:.0%} of the wall time (job runs only)")
    record(f"{name}_worker_idle_share", idle, "share", **setup)


def _run_starts(loop: Any, progress: Progress, service: str) -> str:
    """When a service's runs began, from the cart webhook: the gaps show what paced them."""
    runs = JobRun.objects.using(loop.database).filter(account=loop.account, service=service)
    starts = runs.order_by("started_at")
    return ", ".join(
        f"{(started - progress.started_at).total_seconds():.1f}"
        for started in starts.values_list("started_at", flat=True)
        if started is not None
    )


THREEPL = Variant(
    prefix="loop",
    title="\n2. The whole loop over HTTP: {total:,} orders, WooCommerce emulator → hub → 3PL "
    "emulator → shipped → tracking back to the store ({workers} workers, beat, Automatic)",
    wms="3PL emulator",
    new_loop=Loop,
    skus=SEEDED_SKUS,
    warehouse_step=_warehouse_ships,
    wms_counts=_threepl_counts,
)
SANDBOX = Variant(
    prefix="loop_sandbox",
    title="\n2b. The whole loop with the sandbox WMS: {total:,} orders, WooCommerce emulator → "
    "hub → sandbox WMS (the hub's database, no ship delay) → shipped at ship confirm → tracking "
    "back to the store ({workers} workers, beat, Automatic)",
    wms="sandbox WMS (ship_delay_seconds 0, split_percent 0)",
    new_loop=SandboxLoop,
    skus=SANDBOX_SKUS,
    warehouse_step=_sandbox_ships_itself,
    wms_counts=_sandbox_counts,
    # Nothing nudges ship confirm here: it runs when its poll comes due at a beat tick.
    setup={
        "automatic_poll_seconds": settings.AUTOMATIC_POLL_SECONDS,
        "dispatch_interval_seconds": settings.DISPATCH_INTERVAL_SECONDS,
    },
)
EMBEDDED = Variant(
    prefix=EMBEDDED_NAME,
    title="\n2c. The whole loop in the embedded mode: {total:,} orders, WooCommerce emulator → "
    "hub on SQLite (WAL) and the file broker (manage.py embedded: web, one worker with a pool "
    "of two, beat) → sandbox WMS → shipped at ship confirm → tracking back to the store "
    "(Automatic)",
    wms="sandbox WMS (ship_delay_seconds 0, split_percent 0)",
    new_loop=EmbeddedLoop,
    skus=SANDBOX_SKUS,
    warehouse_step=_sandbox_ships_itself,
    wms_counts=_sandbox_counts,
    running=running_embedded,
    setup={
        "database": "SQLite, WAL (the embedded hub's var/hub.sqlite3)",
        "broker": "kombu filesystem (the embedded hub's var/broker/)",
        "hub": "manage.py embedded --no-demo (runserver, celery worker --concurrency 2, beat)",
        "automatic_poll_seconds": settings.AUTOMATIC_POLL_SECONDS,
        "dispatch_interval_seconds": settings.DISPATCH_INTERVAL_SECONDS,
    },
)
