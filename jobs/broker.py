"""Sending tasks to the broker when it may be away: the caller learns it, nothing raises."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from celery import Task
from celery.utils.saferepr import saferepr
from kombu import Producer
from kombu.exceptions import BatchPublishError
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.utils.uuid import uuid
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What publishing raises while the broker is restarting, unreachable or refusing. A Redis
# pipeline that fails raises BatchPublishError: which of its messages arrived is unknown.
BROKER_ERRORS = (KombuOperationalError, BatchPublishError, RedisError, ConnectionError, OSError)

# Messages per Redis pipeline, one round trip each. It bounds the messages whose fate a
# failed pipeline leaves unknown; more per pipeline would save little, as a round trip
# costs about what building one message does.
BATCH_SIZE = 100


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


def tasks_send(task: Task, *, kwargs_list: Sequence[dict[str, Any]]) -> int:
    """Publish one message of `task` per kwargs, in order; return how many the broker took
    for sure, which are always the first ones. Nothing raises when the broker is away.

    One producer for them all, and on Redis one pipeline per BATCH_SIZE messages: sent one
    by one, each message cost a producer from the pool, a Redis client and a round trip.
    When a pipeline fails, none of its messages counts as sent, though some may have
    arrived: a caller that gives those back must have tasks that tolerate such a copy.
    The file broker of the embedded mode has no pipeline and writes each message at once.
    """
    if not kwargs_list:
        return 0
    sent = 0
    try:
        with task.app.producer_or_acquire() as producer:
            publish = _publisher(task, producer)
            for start in range(0, len(kwargs_list), BATCH_SIZE):
                batch = kwargs_list[start : start + BATCH_SIZE]
                with producer.batch(max_size=len(batch)):
                    for kwargs in batch:
                        publish(kwargs)
                sent += len(batch)
    except BROKER_ERRORS as error:
        logger.warning(
            "the broker took %s of %s %s task(s): %s",
            sent,
            len(kwargs_list),
            task.name,
            type(error).__name__,
        )
    return sent


def _publisher(task: Task, producer: Producer) -> Callable[[dict[str, Any]], None]:
    """A function publishing the message apply_async would (for a task without countdown
    or expiry), with the work apply_async repeats per call done once: reading the
    configuration, routing, and declaring the queue (kombu declares it once per channel)."""
    app = task.app
    amqp = app.amqp
    options = amqp.router.route({"serializer": task.serializer}, task.name, (), {}, task)
    parent = app.current_worker_task  # a tick run by a worker: its runs say so, as before
    message_options = {
        "reply_to": app.thread_oid,
        "time_limit": task.time_limit,
        "soft_time_limit": task.soft_time_limit,
        "create_sent_event": app.conf.task_send_sent_event,
        "ignore_result": task.ignore_result,
        "root_id": parent and (parent.request.root_id or parent.request.id),
        "parent_id": parent and parent.request.id,
    }
    maxlevels = app.conf.task_repr_maxlevels
    declare: list[Any] | None = None  # the first message declares its queue

    def publish(kwargs: dict[str, Any]) -> None:
        nonlocal declare
        message = amqp.create_task_message(
            uuid(),
            task.name,
            (),
            kwargs,
            argsrepr="()",
            kwargsrepr=_kwargs_repr(kwargs, maxsize=amqp.kwargsrepr_maxsize, maxlevels=maxlevels),
            **message_options,
        )
        amqp.send_task_message(producer, task.name, message, declare=declare, **options)
        declare = []

    return publish


def _kwargs_repr(kwargs: dict[str, Any], *, maxsize: int, maxlevels: int) -> str:
    # What workers log and monitors show. Celery's saferepr bounds its length and depth but
    # was a fifth of a batched message's cost; a run's few plain values need no bound, and
    # for them repr writes the same text.
    text = repr(kwargs)
    return text if len(text) <= maxsize else saferepr(kwargs, maxsize, maxlevels=maxlevels)
