"""A private Redis for tests that drop, stop or restart the broker, not the machine's."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from integration_manager.celery import app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """redis-server on its own port and folder; it keeps nothing on disk unless asked."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self, *options: str) -> None:
        """Start the server; options are redis-server's own (e.g. "--replicaof", ...)."""
        self.process = subprocess.Popen(  # noqa: S603
            [  # noqa: S607
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                *options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        pause = threading.Event()
        for _ in range(100):
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                pause.wait(0.05)
        raise AssertionError(f"the private redis-server on port {self.port} did not start")

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server; its queued messages are lost (it keeps nothing on disk)."""
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(10)
        self.process = None

    def restart(self, *, kill: bool = False) -> None:
        self.stop(kill=kill)
        self.start()

    def fail_over(self, *, read_only_seconds: float) -> None:
        """Restart through a read-only phase, as a managed or Sentinel failover does: for a
        while the server answers every write with READONLY, then it is promoted."""
        self.stop(kill=True)
        self.start("--replicaof", "127.0.0.1", "1")  # a replica of nothing: read-only
        threading.Event().wait(read_only_seconds)
        self.client().execute_command("REPLICAOF", "NO", "ONE")

    def drop_clients(self) -> int:
        """Close every client connection, as a network blip or a failover does."""
        return int(self.client().client_kill_filter(_type="normal", skipme=True))

    def close(self) -> None:
        self.stop(kill=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def _repoint(url: str) -> None:
    app.conf.broker_url = url
    # The producer pools were made for the old URL; Celery rebuilds them on next use.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Publish this process's tasks to another broker while the block runs."""
    before = app.conf.broker_url
    _repoint(url)
    try:
        yield
    finally:
        _repoint(before)


def closed_port_url() -> str:
    """A broker address where nothing listens: every publish fails to connect."""
    return f"redis://127.0.0.1:{free_port()}/0"
