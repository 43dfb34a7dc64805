"""A guard for kombu's Redis transport: closing a connection whose transport was already
collected must not stop the worker.

After a lost broker connection, Celery 5.7's consumer collects the connection
(Connection.collect: close its channels, then detach the transport) and then closes it.
When the collect is cut short while it closes the channels (a socket timeout while Redis
restarts), the close that follows meets a channel whose transport has no connection any
more: kombu builds a new Redis pool for it to give back the unacknowledged messages, reads
the connection's host from None, and the AttributeError is not one of the connection errors
Celery ignores there: "Unrecoverable error", and the worker exits (found by `make chaos`).

Here that case raises a Redis connection error instead, which Celery ignores and recovers
from. The messages stay in the broker's unacknowledged set, and the broker hands them out
again after its visibility timeout; the hub does not wait for them: the dispatcher takes
over a dead run's claim, and sends again a claim whose task never started
(jobs/dispatcher.py).
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis

_GUARDED = "_hub_guarded"


def redis_broker_guard() -> None:
    """Install the guard (once per process)."""
    channel = kombu_redis.Channel
    if getattr(channel._connparams, _GUARDED, False):
        return
    original = channel._connparams

    def _connparams(self: Any, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("The broker connection is closed.")
        return original(self, asynchronous)

    setattr(_connparams, _GUARDED, True)
    channel._connparams = _connparams
