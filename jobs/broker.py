"""Sending tasks to the broker when it may be away: the caller learns it, nothing raises."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What publishing raises while the broker is restarting, unreachable or refusing.
BROKER_ERRORS = (KombuOperationalError, RedisError, ConnectionError, OSError)


def task_send(task: Task, *, kwargs: dict[str, Any] | None = None, quick: bool = False) -> bool:
    """Publish one task; False when the broker could not take it.

    quick: one attempt (a nudge the next tick makes up for). Otherwise kombu's short publish
    retry applies (well under a second when the port is closed).
    """
    # Not retry=False: that path leaves redis-py's own connection retries on (six seconds).
    options: dict[str, Any] = {"retry_policy": {"max_retries": 0}} if quick else {}
    try:
        task.apply_async(kwargs=kwargs or {}, **options)
    except BROKER_ERRORS as error:
        logger.warning("could not send %s to the broker: %s", task.name, type(error).__name__)
        return False
    return True
