"""SERVICES: each app declares its services here from AppConfig.ready(); jobs runs them by name.

jobs knows the schedule mechanics (frequencies, claims, runs, back-off) and nothing of what
a service does, at which level it runs, how often it starts or what its failures mean: the
app that owns the service says so in its ServiceSpec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.models import ServiceSchedule
    from jobs.recorder import RunRecorder

CART = "cart"
MERCHANT = "merchant"


@dataclass(frozen=True)
class ServiceSpec:
    """One service: its name and label, where it runs, how it starts, and how to run it.

    level: CART (one schedule per cart) or MERCHANT (one per merchant, towards the WMS).
    default_frequency: what a new cart or merchant starts with (jobs.models.Frequency).
    polled: under Automatic it can only learn of new data by asking, so it runs every
    AUTOMATIC_POLL_SECONDS; otherwise Automatic waits for a trigger (and two cleanup runs a
    day). position orders the services on the screens.
    run does the work and records counts on the recorder; on_error and on_success let the
    owning app say what the outcome means for its connection (last error, pause, alerts).
    helper: the work of a helper run, when a run shares a large backlog (RunRecorder.share):
    it takes records from the same queue as the run, each claimed so no two take one.
    """

    name: str
    label: str
    level: str
    default_frequency: str
    run: Callable[[ServiceSchedule, RunRecorder], None]
    polled: bool = False
    # A new cart's or merchant's first run of it starts at once (the first download).
    starts_at_once: bool = False
    position: int = 0
    on_error: Callable[[ServiceSchedule, Exception], None] | None = None
    on_success: Callable[[ServiceSchedule], None] | None = None
    helper: Callable[[ServiceSchedule, RunRecorder], None] | None = None
    # A duty, not a choice (personal data removal): it may run less often, never Off.
    required: bool = False


def service_maker(
    *,
    level: str,
    on_error: Callable[[ServiceSchedule, Exception], None],
    on_success: Callable[[ServiceSchedule], None],
) -> Callable[..., ServiceSpec]:
    """What makes the ServiceSpecs of one kind of connection: the level they run at and
    what their outcomes mean for it; the app adds the name, run and declaration."""

    def make(
        name: str, run: Callable[[ServiceSchedule, RunRecorder], None], **declaration: object
    ) -> ServiceSpec:
        return ServiceSpec(
            name,
            run=run,
            level=level,
            on_error=on_error,
            on_success=on_success,
            **declaration,  # type: ignore[arg-type]
        )

    return make


SERVICES: dict[str, ServiceSpec] = {}
# Chores an app asks every dispatcher tick to do (sweeps of an outbox); each takes "now".
PERIODIC: dict[str, Callable[[datetime], None]] = {}


def register(spec: ServiceSpec) -> ServiceSpec:
    if spec.name in SERVICES:
        raise ValueError(f"The service {spec.name!r} is registered twice")
    if spec.level not in (CART, MERCHANT):
        raise ValueError(f"The service {spec.name!r} has no level (cart or merchant)")
    SERVICES[spec.name] = spec
    return spec


def register_periodic(name: str, chore: Callable[[datetime], None]) -> None:
    if name in PERIODIC:
        raise ValueError(f"The periodic chore {name!r} is registered twice")
    PERIODIC[name] = chore


def service_spec(name: str) -> ServiceSpec:
    try:
        return SERVICES[name]
    except KeyError:
        raise LookupError(f"No service {name!r} is registered; is its app installed?") from None


def services_at(level: str) -> list[ServiceSpec]:
    """The services of one level (CART or MERCHANT), in their order on the screens."""
    return sorted(
        (spec for spec in SERVICES.values() if spec.level == level),
        key=lambda spec: spec.position,
    )


def service_choices() -> list[tuple[str, str]]:
    """Choices for the models' service fields (a callable: apps register after models load)."""
    return [
        (spec.name, spec.label)
        for spec in sorted(SERVICES.values(), key=lambda spec: (spec.level, spec.position))
    ]
