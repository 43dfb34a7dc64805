"""Sending a batch of tasks: the messages apply_async would send, a Redis pipeline per
batch, the file broker of the embedded mode, and a count to trust when the broker fails."""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from base64 import b64decode
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import redis
from celery.signals import after_task_publish
from django.conf import settings
from django.test import SimpleTestCase
from redis.client import Pipeline

from integration_manager.celery import app
from jobs.broker import BATCH_SIZE, tasks_send
from jobs.tasks import dispatch_task, run_schedule_task
from tests.brokers import PrivateRedis, broker_at, closed_port_url

# Per message, not per kind of message: apply_async makes these afresh each time.
UNIQUE_HEADERS = ("id", "root_id")
UNIQUE_PROPERTIES = ("correlation_id", "delivery_tag")


def run_kwargs(count: int) -> list[dict[str, Any]]:
    return [
        {"schedule_id": number, "claimed_at": "2026-12-02T16:37:00+00:00", "trigger": "schedule"}
        for number in range(1, count + 1)
    ]


def queued(client: redis.Redis, queue: str = "celery") -> list[dict[str, Any]]:
    """The messages waiting in a queue, oldest first (kombu pushes on the left)."""
    return [json.loads(raw) for raw in reversed(client.lrange(queue, 0, -1))]


def queued_kwargs(client: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(b64decode(message["body"]))[1] for message in queued(client)]


def without_ids(message: dict[str, Any]) -> dict[str, Any]:
    headers = {
        name: value for name, value in message["headers"].items() if name not in UNIQUE_HEADERS
    }
    properties = {
        name: value
        for name, value in message["properties"].items()
        if name not in UNIQUE_PROPERTIES
    }
    return {**message, "headers": headers, "properties": properties}


@contextmanager
def after_messages(count: int, action: Callable[[], object]) -> Iterator[None]:
    """Run `action` once, as soon as this process has published `count` task messages."""
    published = itertools.count(1)

    def hook(**_: Any) -> None:
        if next(published) == count:
            action()

    after_task_publish.connect(hook, weak=False)
    try:
        yield
    finally:
        after_task_publish.disconnect(hook)


def refuse_writes(server: PrivateRedis) -> None:
    """Redis out of memory: every write is answered with an OOM error from now on."""
    server.client().config_set("maxmemory", 1)


class PrivateBrokerMixin:
    def private_broker(self) -> PrivateRedis:
        server = PrivateRedis()
        server.start()
        self.addCleanup(server.close)  # type: ignore[attr-defined]
        repointed = broker_at(server.url)
        repointed.__enter__()
        self.addCleanup(repointed.__exit__, None, None, None)  # type: ignore[attr-defined]
        return server


class TasksSendTests(PrivateBrokerMixin, SimpleTestCase):
    def setUp(self) -> None:
        self.broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        self.broker.flushdb()
        self.addCleanup(self.broker.flushdb)

    def test_it_sends_the_message_apply_async_would(self) -> None:
        [kwargs] = run_kwargs(1)
        run_schedule_task.apply_async(kwargs=kwargs)
        self.assertEqual(tasks_send(run_schedule_task, kwargs_list=[kwargs]), 1)
        theirs, ours = queued(self.broker)
        self.assertNotEqual(ours["headers"]["id"], theirs["headers"]["id"])
        self.assertEqual(without_ids(ours), without_ids(theirs))

    def test_it_routes_as_apply_async_does(self) -> None:
        self.assertEqual(tasks_send(dispatch_task, kwargs_list=[{}]), 1)
        self.assertEqual(self.broker.llen("dispatch"), 1)  # CELERY_TASK_ROUTES
        self.assertEqual(self.broker.llen("celery"), 0)

    def test_it_sends_one_message_per_kwargs_in_order_a_pipeline_per_batch(self) -> None:
        tasks_send(run_schedule_task, kwargs_list=run_kwargs(1))  # declares the queue (a pipeline)
        self.broker.delete("celery")
        kwargs_list = run_kwargs(BATCH_SIZE * 2 + 50)
        executed = []
        execute = Pipeline.execute

        def counted(pipeline: Pipeline, *args: Any, **kwargs: Any) -> Any:
            executed.append(len(pipeline))
            return execute(pipeline, *args, **kwargs)

        with mock.patch.object(Pipeline, "execute", counted):
            sent = tasks_send(run_schedule_task, kwargs_list=kwargs_list)
        self.assertEqual(sent, len(kwargs_list))
        self.assertEqual(queued_kwargs(self.broker), kwargs_list)
        # Three round trips, not 250: a batch of messages goes in one Redis pipeline.
        self.assertEqual(executed, [BATCH_SIZE, BATCH_SIZE, 50])

    def test_it_sends_nothing_and_raises_nothing_when_the_broker_is_away(self) -> None:
        with broker_at(closed_port_url()):
            self.assertEqual(tasks_send(run_schedule_task, kwargs_list=run_kwargs(3)), 0)

    def test_it_counts_only_the_batches_the_broker_took_when_it_refuses_mid_batch(self) -> None:
        server = self.private_broker()
        # Refused half-way through the second batch: the first is in, none of the second.
        with after_messages(BATCH_SIZE + BATCH_SIZE // 2, lambda: refuse_writes(server)):
            sent = tasks_send(run_schedule_task, kwargs_list=run_kwargs(BATCH_SIZE * 2 + 50))
        self.assertEqual(sent, BATCH_SIZE)
        self.assertEqual(queued_kwargs(server.client()), run_kwargs(BATCH_SIZE))

    def test_it_sends_every_message_when_connections_drop_between_batches(self) -> None:
        server = self.private_broker()
        tasks_send(run_schedule_task, kwargs_list=run_kwargs(1))  # a pooled connection to drop
        server.client().delete("celery")
        kwargs_list = run_kwargs(BATCH_SIZE * 2 + 50)
        dropped: list[int] = []
        with after_messages(BATCH_SIZE + 1, lambda: dropped.append(server.drop_clients())):
            sent = tasks_send(run_schedule_task, kwargs_list=kwargs_list)
        self.assertGreater(dropped[0], 0)
        self.assertEqual(sent, len(kwargs_list))
        self.assertEqual(queued_kwargs(server.client()), kwargs_list)


class FileBrokerTests(SimpleTestCase):
    """The embedded mode's broker (integration_manager/settings.py) has no pipeline."""

    @contextmanager
    def file_broker(self, folder: Path | None = None) -> Iterator[Path]:
        folder = folder or Path(tempfile.mkdtemp(prefix="file-broker-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        before = app.conf.broker_transport_options
        app.conf.broker_transport_options = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
        try:
            with broker_at("hubfile://"):
                yield folder
        finally:
            app.conf.broker_transport_options = before

    def test_it_sends_nothing_and_raises_nothing_when_no_message_can_be_written(self) -> None:
        missing = Path(tempfile.mkdtemp(prefix="file-broker-")) / "gone"
        with self.file_broker(missing):
            self.assertEqual(tasks_send(run_schedule_task, kwargs_list=run_kwargs(3)), 0)

    def test_it_writes_each_message_for_a_worker_to_read(self) -> None:
        kwargs_list = run_kwargs(BATCH_SIZE + 5)
        with self.file_broker() as folder:
            self.assertEqual(tasks_send(run_schedule_task, kwargs_list=kwargs_list), 105)
            self.assertEqual(len(list(folder.glob("*.msg"))), 105)
            read = []
            with app.connection_for_read() as connection:
                queue = connection.SimpleQueue("celery")
                for _ in kwargs_list:
                    message = queue.get(timeout=1)
                    self.assertEqual(message.headers["task"], run_schedule_task.name)
                    read.append(message.payload[1])
                    message.ack()
                queue.close()
        self.assertCountEqual(read, kwargs_list)
