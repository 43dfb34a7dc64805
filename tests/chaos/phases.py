"""The run's phases once the servers are up: the hub and its traffic started, a warm-up
round of the loop, the fault rounds with their time to resume, and the settle."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.chaos.faults import FaultKind, World, faults_clear
from tests.chaos.progress import Snapshot, busy, done, snapshot, stages_waiting
from tests.chaos.timing import Timing

Say = Callable[[str], None]
POLL = 0.5


@dataclass(frozen=True)
class RoundResult:
    kind: str
    text: str
    resumed_after: float | None  # None: not within the cap


@dataclass(frozen=True)
class Settled:
    seconds: float
    finished: bool


def _snapshot(world: World) -> Snapshot | None:
    return snapshot(
        world.tenant, store=world.store, warehouse=world.warehouse, placed=world.feeder.placed
    )


def warm_up(world: World, timing: Timing, say: Say) -> float:
    """Wait for the first order to go all the way round: the faults start on a loop that
    works."""
    started = time.monotonic()
    while True:
        current = _snapshot(world)
        if current is not None and current.trackings:
            seconds = time.monotonic() - started
            say(f"warm-up: the first order went round in {seconds:.1f} s")
            return seconds
        if time.monotonic() - started > timing.warm_up_deadline:
            raise RuntimeError(f"the loop did not go round once in warm-up: {current}")
        time.sleep(POLL)


def _baseline(world: World) -> Snapshot:
    deadline = time.monotonic() + 60
    while (current := _snapshot(world)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the database stayed away for a minute after a heal")
        time.sleep(0.1)
    return current


def _waiting(world: World) -> frozenset[str]:
    deadline = time.monotonic() + 60
    while (
        due := stages_waiting(world.tenant, warehouse=world.warehouse, placed=world.feeder.placed)
    ) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the database stayed away for a minute after a heal")
        time.sleep(0.1)
    return due


def _resumed(world: World, base: Snapshot, due: frozenset[str]) -> bool:
    """Every stage that had work due at the heal has moved (its counter grew, or its work
    is no longer due); with nothing due, any move at all."""
    current = _snapshot(world)
    if current is None:
        return False
    if not due:
        return current.moved_since(base)
    still = _waiting(world)
    return all(getattr(current, stage) > getattr(base, stage) or stage not in still
               for stage in due)  # fmt: skip


def time_to_resume(world: World, *, cap: float) -> tuple[float | None, frozenset[str]]:
    """Seconds from now (the heal) until every stage of the loop that had work due has
    moved on (a download, a send to the WMS, a shipment stored, a tracking uploaded), and
    which stages those were; None if not within `cap`."""
    healed = time.monotonic()
    base = _baseline(world)
    due = _waiting(world)
    while (elapsed := time.monotonic() - healed) <= cap:
        if _resumed(world, base, due):
            return elapsed, due
        time.sleep(POLL)
    return None, due


def fault_round(
    world: World, kind: FaultKind, timing: Timing, *, label: str, say: Say
) -> RoundResult:
    time.sleep(world.rng.uniform(*timing.wait))
    injected = time.monotonic()
    text, heal = kind.inject(world)
    # The wall clock, to find the round in the workers' logs.
    say(f"{label} {time.strftime('%H:%M:%S')} {kind.name}: {text}")
    time.sleep(world.rng.uniform(*kind.hold) * timing.hold_factor)
    heal()
    held = time.monotonic() - injected
    resumed, due = time_to_resume(world, cap=timing.resume_cap)
    outcome = f"resumed after {resumed:.1f} s" if resumed is not None else "NOT RESUMED"
    stages = f" ({', '.join(sorted(due))} due)" if due else ""
    say(f"{' ' * (len(label) + 9)} healed after {held:.1f} s; {outcome}{stages}")
    return RoundResult(kind.name, text, resumed)


def fault_phase(
    world: World, kinds: list[FaultKind], timing: Timing, say: Say
) -> list[RoundResult]:
    width = len(str(len(kinds)))
    return [
        fault_round(world, kind, timing, label=f"[{number:>{width}}/{len(kinds)}]", say=say)
        for number, kind in enumerate(kinds, start=1)
    ]


def settle(world: World, timing: Timing, say: Say) -> Settled:
    """No more orders; everything healed; the warehouse goes on shipping. Settled when the
    loop is done, nothing changed for a quiet period and no run is claimed or under way;
    the seconds are until the last change."""
    world.feeder.stop()
    world.clock.set(0)
    faults_clear(world)
    say(f"settle: {len(world.feeder.placed)} orders placed; waiting for the loop to finish")
    started = last_said = time.monotonic()
    last, changed = _snapshot(world), started
    while True:
        time.sleep(POLL)
        now = time.monotonic()
        current = _snapshot(world)
        if current is not None and current != last:
            last, changed = current, now
        quiet = now - changed >= timing.quiet
        tenant, store, placed = world.tenant, world.store, world.feeder.placed
        if quiet and done(tenant, store=store, placed=placed) and busy(tenant) is False:
            return Settled(changed - started, finished=True)
        if now - started > timing.settle_deadline:
            say(f"settle: NOT SETTLED after {timing.settle_deadline:.0f} s: {last}")
            return Settled(now - started, finished=False)
        if now - last_said >= 30:
            last_said = now
            say(f"settle: {now - started:.0f} s: {last}")
