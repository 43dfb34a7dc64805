"""ConnectionState: the health fields a cart and a WMS connection share (pause, last error)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from integration_manager.connector_errors import ConnectorError


class ConnectionState(models.Model):
    """Whether a connection may be used, and what happened the last time it was."""

    enabled = models.BooleanField(default=True)
    # Set when the other side refused our credentials; services skip the connection until
    # its credentials are edited, instead of failing on every tick.
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.TextField(blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # When a test or a run last proved these settings and credentials work; cleared when
    # they change. "Connected" is shown only then, never right after saving a wrong key.
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_usable(self) -> bool:
        return self.enabled and self.paused_at is None

    @property
    def state(self) -> str:
        """For the screens: off, paused, failing, connected, or untested (saved, not proved)."""
        if not self.enabled:
            return "off"
        if self.paused_at is not None:
            return "paused"
        if self.last_error:
            return "failing"
        return "connected" if self.verified_at is not None else "untested"


def connection_test(connection: ConnectionState, connector: Any) -> tuple[str, bool]:
    """Run a connection's test and record the result before it is shown: a pass proves the
    settings (verified_at) and clears the last error; a failure is the last error, raised.
    Returns what the test found, and whether the connection was waiting for its first pass
    (saved switched off by the setup screens), for the caller to switch it on."""
    model = type(connection)
    now = timezone.now()
    try:
        found = connector.test_connection()
    except ConnectorError as failure:
        model.objects.filter(id=connection.id).update(last_error=str(failure), last_error_at=now)
        raise
    waiting = not connection.enabled and connection.verified_at is None
    model.objects.filter(id=connection.id).update(
        verified_at=now, last_error="", last_error_at=None
    )
    # What the test learned and later runs need, such as the SFTP host key it saw first (a
    # file connector's learned_settings()): merged under a lock, beside any other edit.
    learned = getattr(connector, "learned_settings", dict)()
    if learned:
        with transaction.atomic():
            locked = model.objects.select_for_update().get(id=connection.id)
            connection.settings = {**locked.settings, **learned}
            model.objects.filter(id=connection.id).update(settings=connection.settings)
    connection.verified_at = now
    return found, waiting
