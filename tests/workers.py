"""A real Celery worker in its own process, on the test database and the Redis broker."""

from __future__ import annotations

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
from jobs.services import schedule_run_now
from tests.base import TenantsMixin

DEADLINE = 45.0


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

    def setUp(self) -> None:
        super().setUp()
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
        self.create_tenants()
        self.worker = self.start_worker()

    def tearDown(self) -> None:
        self.stop_worker()
        super().tearDown()

    def start_worker(self) -> subprocess.Popen[bytes]:
        database = connection.settings_dict
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "REDIS_URL": settings.CELERY_BROKER_URL,
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
                self.worker.kill()
                self.worker.wait(5)
        self.log.unlink(missing_ok=True)

    def worker_children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.worker.pid)], capture_output=True, text=True)  # noqa: S603, S607
        return [int(pid) for pid in out.stdout.split()]

    def run_now(self, service: str, *, cart=None) -> None:  # type: ignore[no-untyped-def]
        schedule = ServiceSchedule.objects.get(
            service=service, cart=cart, merchant=cart.merchant if cart else self.bobs_merchant
        )
        self.assertTrue(schedule_run_now(schedule=schedule))
