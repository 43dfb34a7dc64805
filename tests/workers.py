"""A real Celery worker in its own process, on the test database and the Redis broker."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection
from django.test import TransactionTestCase

from jobs.models import ServiceSchedule
from jobs.services import RunNow, schedule_run_now
from tests.base import TenantsMixin
from tests.brokers import PrivateRedis, broker_at

logger = logging.getLogger(__name__)

# Generous: under make test two pytest workers share the two cores with the Celery workers,
# and a step that takes seconds alone can take many times that.
DEADLINE = 90.0


def wait_for(condition: Callable[[], bool], *, what: str, timeout: float = DEADLINE) -> None:
    """Poll a condition until it holds; fail with `what` when the deadline passes."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.1)):
        if condition():
            return
        pause.wait(0.1)
    raise AssertionError(f"Timed out waiting for {what}")


class WorkerTestCase(TenantsMixin, TransactionTestCase):
    concurrency = 1
    # True: the worker and this process use a redis-server of the test's own, which the
    # test may drop, stop or restart (tests/brokers.py).
    private_broker = False

    def setUp(self) -> None:
        super().setUp()
        self.broker: PrivateRedis | None = None
        if self.private_broker:
            self.broker = PrivateRedis()
            self.broker.start()
            self.addCleanup(self.broker.close)
            repointed = broker_at(self.broker.url)
            repointed.__enter__()
            self.addCleanup(repointed.__exit__, None, None, None)
        else:
            redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
        self.create_tenants()
        self.worker = self.start_worker()

    def tearDown(self) -> None:
        self.stop_worker()
        super().tearDown()

    @property
    def broker_url(self) -> str:
        return self.broker.url if self.broker else settings.CELERY_BROKER_URL

    def start_worker(self) -> subprocess.Popen[bytes]:
        database = connection.settings_dict
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "REDIS_URL": self.broker_url,
        }
        self.log = Path(tempfile.mkstemp(prefix="worker-", suffix=".log")[1])
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "integration_manager",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(self.concurrency),
                "--pool",
                "prefork",
                "--without-mingle",
                "--without-gossip",
                "--hostname",
                f"test-{uuid.uuid4().hex[:8]}@%h",
                "--include",
                "tests.worker_tasks",
            ],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: "ready." in self.log.read_text(), what="the worker to start", timeout=30)
        return process

    def stop_worker(self) -> None:
        if self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)
            try:
                self.worker.wait(15)
            except subprocess.TimeoutExpired:
                self.kill_worker()  # its children too: a hanging task must not outlive the test
        # pytest shows a test's log only when it fails: the worker's side of the story.
        logger.info(
            "worker log %s, last lines:\n%s",
            self.log.name,
            "\n".join(self.log.read_text(errors="replace").splitlines()[-60:]),
        )
        self.log.unlink(missing_ok=True)

    def kill_worker(self) -> None:
        """SIGKILL the worker and its pool children at once: a machine that dies. Nothing
        gives its message back to the broker; only the hub itself can notice."""
        children = self.worker_children()
        self.worker.kill()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.worker.wait(10)

    def worker_children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.worker.pid)], capture_output=True, text=True)  # noqa: S603, S607
        return [int(pid) for pid in out.stdout.split()]

    def run_now(self, service: str, *, cart=None) -> None:  # type: ignore[no-untyped-def]
        schedule = ServiceSchedule.objects.get(
            service=service, cart=cart, merchant=cart.merchant if cart else self.bobs_merchant
        )
        self.assertEqual(schedule_run_now(schedule=schedule), RunNow.STARTED)
