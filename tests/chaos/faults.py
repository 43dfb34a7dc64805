"""The faults, one kind at a time: each injects itself and returns how to heal it."""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import connection

from jobs.models import JobRun
from tests.chaos.hub import WORKER_SETS, Hub, local_ports
from tests.chaos.progress import DATABASE_AWAY
from tests.chaos.services import ChaosRedis, JumpingClock, PrivatePostgres
from tests.chaos.tenant import Tenant
from tests.chaos.traffic import Feeder, webhook_post
from tests.emulators.threepl import ThreePLEmulator
from tests.emulators.woocommerce import WooCommerceEmulator

Heal = Callable[[], None]
# Past the 3PL client's 30 s read timeout: the hub cannot tell whether the order was taken.
LATE_ANSWER_SECONDS = 35.0
STORM_THREADS = 50
CART_STORM, WMS_STORM = 200, 50


@dataclass
class World:
    """Everything a fault may act on."""

    postgres: PrivatePostgres
    redis: ChaosRedis
    clock: JumpingClock
    hub: Hub
    tenant: Tenant
    store: WooCommerceEmulator
    warehouse: ThreePLEmulator
    feeder: Feeder
    rng: random.Random
    # How long a hold inside a fault may last (a burst consumed, a late create taken).
    longest_hold: float = 30.0
    jumps: int = field(default=0)

    def wait(self, condition: Callable[[], bool], *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True


def _nothing() -> None:
    """A fault that is over once injected (a kill, a storm)."""


# processes ---------------------------------------------------------------------------


def worker_kill(world: World) -> tuple[str, Heal]:
    name = world.rng.choice(WORKER_SETS)
    pid = world.hub.kill(name)
    # Healed once the supervisor has started the set again, as systemd would.
    return f"SIGKILL {name} (pid {pid}) and its pool", lambda: world.hub.wait_restarted(name, pid)


def _run_lock_ports() -> set[int]:
    """The client ports of the run locks' PostgreSQL sessions: a pool child holding one is
    running a job."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT client_port FROM pg_stat_activity WHERE application_name = 'hub-run-lock'"
            )
            return {row[0] for row in cursor.fetchall() if row[0]}
    except DATABASE_AWAY:
        connection.close()
        return set()


def _busy_children(world: World) -> list[tuple[str, int]]:
    ports = _run_lock_ports()
    return [
        (name, pid)
        for name in WORKER_SETS
        for pid in world.hub.pool(name)
        if local_ports(pid) & ports
    ]


def _wait_for_busy_children(*, world: World, timeout: float) -> list[tuple[str, int]]:
    deadline = time.monotonic() + timeout
    while not (busy := _busy_children(world)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return busy


def pool_child_kill(world: World) -> tuple[str, Heal]:
    busy = _wait_for_busy_children(world=world, timeout=5)
    if busy:
        name, pid = world.rng.choice(busy)
        state = "busy"
    else:
        name = world.rng.choice(WORKER_SETS)
        children = world.hub.pool(name)
        if not children:
            return f"no pool child of {name} to kill", _nothing
        pid, state = world.rng.choice(children), "idle"
    os.kill(pid, signal.SIGKILL)
    return f"SIGKILL {state} pool child {pid} of {name}", _nothing


# broker ------------------------------------------------------------------------------


def redis_restart(world: World) -> tuple[str, Heal]:
    world.redis.stop_keeping_data()
    return "Redis saved and killed (started again with its data)", world.redis.start


def redis_data_loss(world: World) -> tuple[str, Heal]:
    world.redis.stop_losing_data()
    return "Redis killed (started again empty: queued messages lost)", world.redis.start


def _runs_in_flight(world: World) -> bool:
    try:
        return JobRun.objects.filter(
            merchant=world.tenant.merchant, status=JobRun.Status.RUNNING
        ).exists()
    except DATABASE_AWAY:
        connection.close()
        return False


def broker_drop(world: World) -> tuple[str, Heal]:
    in_flight = world.wait(lambda: _runs_in_flight(world), timeout=10)
    dropped = world.redis.drop_clients()
    state = "with runs in flight" if in_flight else "no run in flight"
    return f"{dropped} broker connection(s) dropped ({state})", _nothing


# database ----------------------------------------------------------------------------


def postgres_restart(world: World) -> tuple[str, Heal]:
    world.postgres.restart(mode="fast")
    return "PostgreSQL restarted (pg_ctl restart -m fast)", _nothing


def postgres_immediate(world: World) -> tuple[str, Heal]:
    world.postgres.stop(mode="immediate")
    return "PostgreSQL stopped -m immediate (started again: crash recovery)", world.postgres.start


# outside systems ---------------------------------------------------------------------


def _late_creates(world: World) -> int:
    with world.warehouse.lock:
        return len(world.warehouse._late_creates)


def wms_timeout_after_accept(world: World) -> tuple[str, Heal]:
    times = world.rng.randint(1, 3)
    world.warehouse.timeout_after_create(LATE_ANSWER_SECONDS, times=times)

    def heal() -> None:
        # Over once a create has met it (or after the longest hold): the rest are dropped.
        world.wait(lambda: _late_creates(world) < times, timeout=world.longest_hold)
        with world.warehouse.lock:
            world.warehouse._late_creates.clear()

    return f"the WMS answers the next {times} create(s) after {LATE_ANSWER_SECONDS:g} s", heal


def _faults_left(world: World) -> int:
    with world.store.lock, world.warehouse.lock:
        return len(world.store.faults) + len(world.warehouse.faults)


def faults_clear(world: World) -> None:
    with world.store.lock, world.warehouse.lock:
        world.store.faults.clear()
        world.warehouse.faults.clear()
        world.warehouse._late_creates.clear()


def http_bursts(world: World) -> tuple[str, Heal]:
    rng = world.rng
    limited, cart_errors, wms_errors = (rng.randint(10, 30) for _ in range(3))
    retry_after = rng.randint(2, 10)
    cart_status, wms_status = rng.choice((500, 503)), rng.choice((500, 503))
    world.store.rate_limit_next(retry_after, times=limited)
    world.store.fail_next(cart_status, times=cart_errors)
    world.warehouse.server_error_next(wms_status, times=wms_errors)

    def heal() -> None:
        world.wait(lambda: _faults_left(world) == 0, timeout=world.longest_hold)
        faults_clear(world)

    return (
        f"cart: {limited}× 429 (Retry-After {retry_after}), {cart_errors}× {cart_status}; "
        f"WMS: {wms_errors}× {wms_status}",
        heal,
    )


def _storm(url: str, headers: dict[str, str], body: bytes, times: int) -> Counter[int]:
    with ThreadPoolExecutor(STORM_THREADS) as pool:
        return Counter(pool.map(lambda _: webhook_post(url, headers, body), range(times)))


def webhook_storm(world: World) -> tuple[str, Heal]:
    base_url = world.hub.base_url
    order_id = world.rng.choice(world.feeder.placed[-20:])
    url = world.tenant.cart_webhook_url(base_url)
    headers, body = world.store.signed_webhook("order.created", order_id, url=url)
    cart = _storm(url, headers, body, CART_STORM)
    with world.warehouse.lock:
        shipped = [order.id for order in world.warehouse.orders.values() if order.closed]
    text = f"order.created of {order_id} ×{CART_STORM}: {dict(cart)}"
    if shipped:
        wms_order = world.rng.choice(shipped[-20:])
        headers, body = world.warehouse.signed_webhook("OrderConfirm", wms_order)
        answers = _storm(world.tenant.wms_webhook_url(base_url), headers, body, WMS_STORM)
        text += f"; OrderConfirm of {wms_order} ×{WMS_STORM}: {dict(answers)}"
    return text, _nothing


# time --------------------------------------------------------------------------------


def clock_jump(world: World) -> tuple[str, Heal]:
    # Forward and backward in turn, the first way chosen at random.
    if world.jumps == 0:
        world.jumps = world.rng.choice((1, 2))
    world.jumps += 1
    direction = 1 if world.jumps % 2 else -1
    offset = direction * world.rng.randint(180, 600)
    world.clock.set(offset)
    return f"worker-b's clock jumps {offset:+d} s", lambda: world.clock.set(0)


@dataclass(frozen=True)
class FaultKind:
    name: str
    inject: Callable[[World], tuple[str, Heal]]
    count: int  # at SCALE 1
    hold: tuple[float, float] = (0.0, 0.0)  # seconds between inject and heal
    least: int = 1


KINDS = (
    FaultKind("worker_kill", worker_kill, 24, least=3),
    FaultKind("pool_child_kill", pool_child_kill, 6),
    FaultKind("redis_restart", redis_restart, 4, hold=(0.5, 3.0)),
    FaultKind("redis_data_loss", redis_data_loss, 4, hold=(0.5, 3.0)),
    FaultKind("broker_drop", broker_drop, 5),
    FaultKind("postgres_restart", postgres_restart, 4),
    FaultKind("postgres_immediate", postgres_immediate, 4, hold=(1.0, 4.0)),
    FaultKind("wms_timeout_after_accept", wms_timeout_after_accept, 4),
    FaultKind("http_bursts", http_bursts, 5),
    FaultKind("webhook_storm", webhook_storm, 3),
    FaultKind("clock_jump", clock_jump, 6, hold=(5.0, 20.0)),
)


# Their effects outlast the heal (a create answered after the client's timeout and the
# back-off after it, messages lost with the broker): --ci runs them first, so that the
# rounds after them overlap their tails instead of the settle waiting them out.
LONG_TAILS = ("wms_timeout_after_accept", "http_bursts", "redis_data_loss")


def rounds(*, scale: float, rng: random.Random, tails_first: bool = False) -> list[FaultKind]:
    """Every kind its count at this scale (at least `least`), in a random order."""
    chosen = [kind for kind in KINDS for _ in range(max(kind.least, round(kind.count * scale)))]
    rng.shuffle(chosen)
    if tails_first:
        chosen.sort(key=lambda kind: kind.name not in LONG_TAILS)  # stable: random within
    return chosen
