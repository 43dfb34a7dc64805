"""The hub's time for schedules and claims: the database's clock.

Every process on every machine reads the same clock, so a host whose clock jumps (an NTP
step, a VM resumed from a pause) neither delays the schedules it touches by the size of
the jump nor runs them early. The embedded mode runs on one machine: its clock is the
database's.
"""

from __future__ import annotations

from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone


def hub_now(using: str = DEFAULT_DB_ALIAS) -> datetime:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        # clock_timestamp(), not now(): inside a transaction now() stands still.
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]
