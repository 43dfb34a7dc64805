"""ConnectionState: the health fields a cart and a WMS connection share (pause, last error)."""

from __future__ import annotations

from django.db import models


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

    class Meta:
        abstract = True

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_usable(self) -> bool:
        return self.enabled and self.paused_at is None
