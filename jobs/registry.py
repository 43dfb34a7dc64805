"""SERVICES: apps register their services here from AppConfig.ready(); jobs runs them by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.models import ServiceSchedule
    from jobs.recorder import RunRecorder


@dataclass(frozen=True)
class ServiceSpec:
    """How to run one service for a schedule, and how its failures and successes are recorded.

    run does the work and records counts on the recorder. on_error and on_success let the
    owning app react to the outcome (pause a connection, raise or resolve an alert); jobs
    itself knows nothing of carts, WMSs or alerts.
    """

    name: str
    run: Callable[[ServiceSchedule, RunRecorder], None]
    on_error: Callable[[ServiceSchedule, Exception], None] | None = None
    on_success: Callable[[ServiceSchedule], None] | None = None


SERVICES: dict[str, ServiceSpec] = {}
# Chores an app asks every dispatcher tick to do (sweeps of an outbox); each takes "now".
PERIODIC: dict[str, Callable[[datetime], None]] = {}


def register(spec: ServiceSpec) -> ServiceSpec:
    if spec.name in SERVICES:
        raise ValueError(f"The service {spec.name!r} is registered twice")
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
