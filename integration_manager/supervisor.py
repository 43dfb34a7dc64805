"""Keeps the embedded mode's processes (web, worker, beat) running: one that exits is started
again after a short pause, as systemd or Docker would restart it in production."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

# The pause before a restart doubles while a process keeps exiting, up to this.
RESTART_PAUSE = 1.0
MAX_RESTART_PAUSE = 30.0
# A process that ran this long before it exited was healthy: its pause starts over.
HEALTHY_AFTER = 60.0


@dataclass
class Supervised:
    name: str
    command: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    pause: float = RESTART_PAUSE
    restart_at: float | None = None
    exits: list[int] = field(default_factory=list)


class Supervisor:
    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        *,
        cwd: Path,
        restart_pause: float = RESTART_PAUSE,
    ) -> None:
        self.cwd = cwd
        self.restart_pause = restart_pause
        self.children = {
            name: Supervised(name, command, pause=restart_pause)
            for name, command in commands.items()
        }
        self._stopping = threading.Event()

    def start(self) -> None:
        for child in self.children.values():
            self._start(child)

    def _start(self, child: Supervised) -> None:
        child.process = subprocess.Popen(child.command, cwd=self.cwd)  # noqa: S603
        child.started_at = time.monotonic()
        child.restart_at = None

    def check(self) -> None:
        """Restart what exited, once its pause is over; call this every half second or so."""
        now = time.monotonic()
        for child in self.children.values():
            if child.process is not None and child.process.poll() is not None:
                code = child.process.returncode
                child.exits.append(code)
                child.process = None
                if now - child.started_at >= HEALTHY_AFTER:
                    child.pause = self.restart_pause
                child.restart_at = now + child.pause
                logger.warning(
                    "the %s process exited (code %s); restarting it in %.0f s",
                    child.name,
                    code,
                    child.pause,
                )
                child.pause = min(MAX_RESTART_PAUSE, child.pause * 2)
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._start(child)

    def run(self, *, interval: float = 0.5) -> None:
        while not self._stopping.is_set():
            self.check()
            self._stopping.wait(interval)

    def request_stop(self) -> None:
        self._stopping.set()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stopping.set()
        running = [
            c.process for c in self.children.values() if c.process and c.process.poll() is None
        ]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
