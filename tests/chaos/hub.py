"""The hub's processes: two worker sets and two beats, each started again when it dies (as
systemd would), and the web app serving the webhooks from a thread of this process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from tests.brokers import free_port
from tests.chaos.services import JumpingClock

WORKER_SETS = ("worker-a", "worker-b")
# Worker set B runs on the jumping clock; everything else keeps the real one.
JUMPING = "worker-b"
BEATS = ("beat-a", "beat-b")
SUPERVISE_EVERY = 0.25
READY_TIMEOUT = 90.0


def _celery(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "integration_manager", *arguments]


def _worker_arguments(name: str) -> list[str]:
    return _celery(
        "worker", "--loglevel", "INFO", "--pool", "prefork", "--concurrency", "2",
        "-Q", "celery,dispatch", "--without-mingle", "--without-gossip",
        "--hostname", f"chaos-{name}@%h",
    )  # fmt: skip


def _beat_arguments(name: str, folder: Path) -> list[str]:
    # Each beat its own schedule file: two beats are two dispatchers ticking.
    return _celery("beat", "--loglevel", "INFO", "-s", str(folder / f"{name}-schedule"))


def children_of(pid: int) -> list[int]:
    """The processes whose parent is pid (a worker's pool), read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces and parentheses: the fields follow the last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def local_ports(pid: int) -> set[int]:
    """The local TCP ports of a process's sockets (its PostgreSQL sessions among them)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@dataclass
class Managed:
    """One supervised process: a worker set (main process and pool, one process group) or
    a beat."""

    name: str
    arguments: list[str]
    environment: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    log_offset: int = 0
    killed_pid: int | None = None  # the suite's own kill: an expected death
    # Deaths nobody caused: (when, exit status, the log's last critical line).
    exits: list[tuple[str, int | None, str]] = field(default_factory=list)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def spawn(self) -> None:
        with self.log.open("ab") as log:
            self.log_offset = log.tell()
            log.write(f"=== {self.name} started at {time.strftime('%H:%M:%S')} ===\n".encode())
            self.process = subprocess.Popen(  # noqa: S603
                self.arguments,
                cwd=settings.BASE_DIR,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its pool is killed with it, by group id
            )

    def signal_group(self, number: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, number)

    def _since_spawn(self) -> str:
        with self.log.open("rb") as log:
            log.seek(self.log_offset)
            return log.read().decode(errors="replace")

    def ready(self) -> bool:
        return "ready." in self._since_spawn()

    def note_death(self) -> None:
        """Record a death the suite did not cause, with the reason its log gives."""
        if self.process is None or self.process.pid == self.killed_pid:
            return
        critical = [line for line in self._since_spawn().splitlines() if "CRITICAL" in line]
        self.exits.append(
            (time.strftime("%H:%M:%S"), self.process.returncode, (critical or [""])[-1][:200])
        )


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a webhook storm's lines would drown the report


class _WebServer(ThreadedWSGIServer):
    # A storm's fifty connections at once: with Django's backlog of ten the kernel drops
    # the rest of the SYNs, and a webhook goes unanswered for the harness's sake, where a
    # production server (gunicorn: 2048) would have queued it.
    request_queue_size = 256


class Hub:
    """The hub's processes and web app; stop() ends every process it started, by group."""

    def __init__(self, folder: Path, environment: dict[str, str], clock: JumpingClock) -> None:
        self.folder = folder
        logs = folder / "logs"
        logs.mkdir(exist_ok=True)
        self.managed: dict[str, Managed] = {}
        for name in WORKER_SETS:
            extra = clock.environment() if name == JUMPING else {}
            self.managed[name] = Managed(
                name, _worker_arguments(name), {**environment, **extra}, logs / f"{name}.log"
            )
        for name in BEATS:
            self.managed[name] = Managed(
                name, _beat_arguments(name, folder), environment, logs / f"{name}.log"
            )
        self.clock = clock
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.server: ThreadedWSGIServer | None = None
        self.base_url = ""

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        for managed in self.managed.values():
            managed.spawn()
        for name in WORKER_SETS:
            self.wait_ready(name)
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._supervisor.start()

    def wait_ready(self, name: str, *, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self.managed[name].ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} was not ready after {timeout:.0f} s")
            time.sleep(0.1)

    def start_web(self) -> str:
        port = free_port()
        self.server = _WebServer(("127.0.0.1", port), _QuietHandler)
        self.server.set_app(WSGIHandler())
        threading.Thread(target=self.server.serve_forever, name="web", daemon=True).start()
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(5)
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        with self._lock:
            for managed in self.managed.values():
                managed.signal_group(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for managed in self.managed.values():
                if managed.process is None:
                    continue
                with contextlib.suppress(subprocess.TimeoutExpired):
                    managed.process.wait(max(0.1, deadline - time.monotonic()))
                # The pool too, whether the main process waited for it or not.
                managed.signal_group(signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    managed.process.wait(5)
                self._gone(managed)

    def _supervise(self) -> None:
        """Start a worker set or beat again when its main process is gone, as systemd's
        Restart=always would; a pool child left behind is killed with its group first."""
        while not self._stopping.wait(SUPERVISE_EVERY):
            with self._lock:
                for managed in self.managed.values():
                    if managed.process is not None and managed.process.poll() is not None:
                        managed.note_death()
                        managed.signal_group(signal.SIGKILL)
                        self._gone(managed)
                        managed.spawn()
                        managed.restarts += 1

    # faults ------------------------------------------------------------------------------

    def kill(self, name: str) -> int:
        """SIGKILL a worker set (its main process and pool at once) or a beat; returns the
        pid that died. The supervisor starts it again."""
        with self._lock:
            managed = self.managed[name]
            pid = managed.pid
            assert pid is not None
            managed.killed_pid = pid
            managed.signal_group(signal.SIGKILL)
            managed.process.wait(10)  # type: ignore[union-attr]
            self._gone(managed)
            return pid

    def _gone(self, managed: Managed) -> None:
        if managed.name == JUMPING and managed.pid is not None:
            self.clock.process_gone(managed.pid)

    def wait_restarted(self, name: str, dead_pid: int, *, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.managed[name].pid == dead_pid:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the supervisor did not start {name} again")
            time.sleep(0.05)

    def pool(self, name: str) -> list[int]:
        pid = self.managed[name].pid
        return children_of(pid) if pid is not None else []

    def restarts(self) -> dict[str, int]:
        return {name: managed.restarts for name, managed in self.managed.items()}

    def unexpected_exits(self) -> list[str]:
        """Every death of a worker set or beat that the suite did not cause."""
        return [
            f"{name} at {when} (exit status {status}): {reason}"
            for name, managed in self.managed.items()
            for when, status, reason in managed.exits
        ]

    def log_tail(self, lines: int = 15) -> str:
        tails = []
        for managed in self.managed.values():
            text = managed.log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {managed.log} ---\n" + "\n".join(text))
        return "\n".join(tails)
