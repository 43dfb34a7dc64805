"""One chaos run once Django points at the private servers: the schema, the emulators and
the tenant, the hub's processes and the traffic; then the phases, the invariants and the
report."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from tests.chaos.faults import KINDS, World, rounds
from tests.chaos.hub import Hub
from tests.chaos.invariants import VISIBLE, Check, invariants_check, outside_read
from tests.chaos.phases import fault_phase, settle, warm_up
from tests.chaos.report import summary_make, summary_write
from tests.chaos.services import ChaosRedis, JumpingClock, PrivatePostgres
from tests.chaos.tenant import cart_connect, tenant_create
from tests.chaos.timing import Timing
from tests.chaos.traffic import Feeder, Warehouse
from tests.emulators.threepl import ThreePLEmulator
from tests.emulators.woocommerce import WooCommerceEmulator

Say = Callable[[str], None]
logger = logging.getLogger(__name__)


def _started(stack: ExitStack, emulator: WooCommerceEmulator | ThreePLEmulator) -> None:
    emulator.start()
    stack.callback(emulator.stop)

    def handle_error(request: object, client_address: tuple[str, int]) -> None:
        # A worker killed mid-request resets its connection: socketserver would print the
        # traceback between the report's lines; the run's log keeps it.
        logger.warning("%s: a request from %s failed", emulator.name, client_address, exc_info=True)

    emulator._server.handle_error = handle_error  # type: ignore[union-attr, method-assign]


def world_start(
    stack: ExitStack,
    *,
    postgres: PrivatePostgres,
    redis: ChaosRedis,
    clock: JumpingClock,
    environment: dict[str, str],
    timing: Timing,
    seed: int,
    folder: Path,
) -> World:
    """Everything running, each stopped by the stack in turn (the traffic first)."""
    call_command("migrate", verbosity=0)
    store, warehouse = WooCommerceEmulator(), ThreePLEmulator()
    _started(stack, store)
    _started(stack, warehouse)
    tenant = tenant_create(warehouse=warehouse)
    hub = Hub(folder, environment, clock)
    stack.callback(hub.stop)
    base_url = hub.start_web()
    hub.start()
    cart_connect(tenant, store=store)
    feeder = Feeder(store, url=tenant.cart_webhook_url(base_url), interval=timing.feed_interval)
    shipper = Warehouse(
        warehouse, url=tenant.wms_webhook_url(base_url), rng=random.Random(seed + 1)
    )
    for traffic in (feeder, shipper):
        traffic.start()
        stack.callback(traffic.stop)
    return World(
        postgres=postgres,
        redis=redis,
        clock=clock,
        hub=hub,
        tenant=tenant,
        store=store,
        warehouse=warehouse,
        feeder=feeder,
        rng=random.Random(seed),
        longest_hold=timing.longest_hold,
    )


def _exits_check(world: World) -> Check:
    """Not an invariant, but worth seeing: a worker set or beat that died by itself."""
    check = Check("hub process died by itself (the supervisor restarted it)", VISIBLE)
    for text in world.hub.unexpected_exits():
        check.add(1, text)
    return check


def loop_run(
    stack: ExitStack,
    *,
    postgres: PrivatePostgres,
    redis: ChaosRedis,
    clock: JumpingClock,
    environment: dict[str, str],
    timing: Timing,
    scale: float,
    tails_first: bool,
    keep: bool,
    seed: int,
    folder: Path,
    started: float,
    say: Say,
) -> bool:
    world = world_start(
        stack,
        postgres=postgres,
        redis=redis,
        clock=clock,
        environment=environment,
        timing=timing,
        seed=seed,
        folder=folder,
    )
    say(f"hub up after {time.monotonic() - started:.0f} s (logs in {folder / 'logs'})")
    warm_up(world, timing, say)
    kinds = rounds(scale=scale, rng=world.rng, tails_first=tails_first)
    say(f"fault phase: {len(kinds)} faults, one at a time")
    results = fault_phase(world, kinds, timing, say)
    settled = settle(world, timing, say)
    outside = outside_read(store=world.store, warehouse=world.warehouse, placed=world.feeder.placed)
    checks = [*invariants_check(world.tenant, outside), _exits_check(world)]
    summary, body = summary_make(
        results=results,
        checks=checks,
        orders=len(world.feeder.placed),
        settled=settled,
        timing=timing,
        setup={
            "seed": seed,
            "mode": "--ci" if tails_first else f"scale {scale:g}",
            "dispatch_interval_seconds": timing.dispatch_interval,
            "automatic_poll_seconds": timing.automatic_poll,
            "kinds": [kind.name for kind in KINDS],
        },
    )
    path = summary_write(summary, Path(settings.BASE_DIR) / "var" / "chaos")
    for line in body:
        say(line)
    say(f"supervisor restarts: {world.hub.restarts()}")
    say(f"cart webhooks answered: {dict(world.feeder.answers)}")
    say(f"wall time {time.monotonic() - started:.0f} s; figures in {path}")
    if not summary.passed or keep:
        verdict = "passed" if summary.passed else "FAILED"
        say(f"{verdict}: logs and data kept in {folder} (logs/: workers, beats, this process)")
    for line in summary.last_lines:
        say(line)
    return summary.passed
