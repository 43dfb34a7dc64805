"""The embedded mode (`make run`) for the loop benchmark: `manage.py embedded` (web, worker and
beat under its supervisor, SQLite in WAL mode and the file broker) in a fresh var folder of its
own, with none of the benchmark's PostgreSQL, Redis or keys in its environment."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import requests
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connections

from accounts.models import Account
from carts.models import CartConnection
from tests.bench.common import record, say
from tests.bench.workers import StoreLoop, free_port, wait_until

# The benchmark process's name for the embedded hub's SQLite file (tests/bench/settings.py).
DATABASE = "embedded"
NAME = "loop_embedded"  # of the figures and of the kept log
# integration_manager/supervisor.py's warning when web, worker or beat exits (it restarts it):
# a restart costs the loop the process's start-up, and a worker's crash may lose a message.
RESTART_LINE = "process exited (code"
# What the benchmark's own environment carries that would point the embedded hub at the
# machine's PostgreSQL and Redis, at the tests' var folder, or give it the tests' keys.
FOREIGN = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_",
    "HUB_",
    "BENCH_",
    "PYTEST_",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "LOG_LEVEL",
)
START_TIMEOUT = 180.0  # migrating a new SQLite file, then three processes importing Django


class EmbeddedHub:
    """One `manage.py embedded`; stop() ends it and every process it started, by group id."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="bench-embedded-"))
        self.log = self.folder / "embedded.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    @property
    def database(self) -> Path:
        return self.folder / "hub.sqlite3"  # where integration_manager/settings.py puts it

    def environment(self) -> dict[str, str]:
        own = {name: value for name, value in os.environ.items() if not name.startswith(FOREIGN)}
        return {
            **own,
            "DJANGO_SETTINGS_MODULE": "integration_manager.settings",
            "HUB_VAR_DIR": str(self.folder),
            # The store (emulated) listens on loopback.
            "HUB_OUTBOUND_ALLOW": "127.0.0.0/8,::1/128",
            # The intervals the other loops run with (production's, not `make run`'s demo
            # pace), so the figures compare.
            "DISPATCH_INTERVAL_SECONDS": f"{settings.DISPATCH_INTERVAL_SECONDS:g}",
            "AUTOMATIC_POLL_SECONDS": str(settings.AUTOMATIC_POLL_SECONDS),
        }

    def start(self) -> str:
        # Keys of its own, made as `make run` makes var/local.env.
        (self.folder / "local.env").write_text(
            f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
            f"FIELD_ENCRYPTION_KEY={Fernet.generate_key().decode()}\n"
        )
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "embedded", "--no-demo", "--port", str(port)],
            cwd=settings.BASE_DIR,
            env=self.environment(),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # web, worker, beat and the pool: one group to stop
        )
        wait_until(self._serving, what="the embedded hub's web server", timeout=START_TIMEOUT)
        wait_until(
            lambda: "ready." in self.log.read_text(errors="replace"),
            what="the embedded hub's worker",
            timeout=START_TIMEOUT,
        )
        if "DATABASE_URL is set" in self.log.read_text(errors="replace"):
            # A .env in the working tree can still name a server: never measure (or write) it.
            raise RuntimeError("The embedded hub did not start on SQLite: see .env")
        connections[DATABASE].settings_dict["NAME"] = str(self.database)
        return self.base_url

    def _serving(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"manage.py embedded exited with {self.process.returncode}")
        try:
            requests.get(self.base_url, timeout=2)
        except requests.ConnectionError:
            return False
        return True

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return "--- manage.py embedded did not start ---"
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return "--- manage.py embedded ---\n" + "\n".join(text)

    def keep_log(self, name: str) -> Path:
        """The hub's log (a timestamp on every line) beside the figures, for a look at what
        paced the run after its folder is gone."""
        kept = Path(settings.BASE_DIR) / "var" / "bench" / f"{name}.log"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.log, kept)
        return kept

    def stop(self) -> None:
        connections[DATABASE].close()
        # Unnamed again: a late read fails plainly instead of making an empty file.
        connections[DATABASE].settings_dict["NAME"] = ""
        if self.process is not None:
            # The command's own Ctrl-C path: its supervisor stops web, worker and beat.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            # Whatever outlived it (a pool child whose parent was killed) is in its group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)


class EmbeddedLoop(StoreLoop):
    """The sandbox loop's merchant, made in the embedded hub by a process in its environment
    (tests/bench/embedded_tenant.py): its on-commit tasks go to that hub's file broker, and
    the credentials are encrypted with its key. This process only reads that hub's rows."""

    cart_prefix = "WE-"
    database = DATABASE

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.tenant: subprocess.Popen[str] | None = None
        self.tenant_log = Path()

    def start(self, hub: EmbeddedHub) -> None:
        self.store.start()
        store = {
            "base_url": self.store.base_url,
            "consumer_key": self.store.consumer_key,
            "consumer_secret": self.store.consumer_secret,
            "webhook_secret": self.store.webhook_secret,
        }
        self.tenant_log = hub.folder / "tenant.log"
        with self.tenant_log.open("wb") as log:
            self.tenant = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "tests.bench.embedded_tenant", json.dumps(store), self.name],
                cwd=settings.BASE_DIR,
                # Its database as tests/bench/__init__.py takes one: the hub's SQLite file.
                env={**hub.environment(), "BENCH_DATABASE_URL": f"sqlite:///{hub.database}"},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        answer = _read_answer(self.tenant.stdout, self.tenant_log)
        self.account = Account.objects.using(DATABASE).get(id=answer["account"])

    def connect_cart(self) -> CartConnection:
        self.tenant.stdin.write("connect\n")
        self.tenant.stdin.flush()
        answer = _read_answer(self.tenant.stdout, self.tenant_log)
        # Not the credentials: they are encrypted with the embedded hub's key, not ours.
        self.cart = (
            CartConnection.objects.using(DATABASE)
            .only("id", "account_id", "webhook_token")
            .get(id=answer["cart"])
        )
        self.tenant.wait(30)
        return self.cart

    def stop(self) -> None:
        super().stop()
        if self.tenant is None:
            return
        self.tenant.stdin.close()  # end of input: one still waiting leaves without the cart
        try:
            self.tenant.wait(30)
        except subprocess.TimeoutExpired:
            self.tenant.kill()
            self.tenant.wait(5)
        self.tenant.stdout.close()


def _read_answer(stream: IO[str], log: Path) -> dict[str, Any]:
    line = stream.readline()
    if not line:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"The embedded hub's set-up process stopped:\n{tail}")
    return json.loads(line)


@contextmanager
def running_embedded(loop: EmbeddedLoop) -> Iterator[str]:
    """The embedded hub and the loop's store and merchant; yields the hub's base URL. On a
    failure the hub's last log lines are printed; everything started is stopped."""
    hub = EmbeddedHub()
    try:
        base_url = hub.start()
        loop.start(hub)
        yield base_url
        _report_restarts(hub)
    except Exception:
        say(hub.log_tail())
        raise
    finally:
        loop.stop()
        hub.stop()


def _report_restarts(hub: EmbeddedHub) -> None:
    restarts = hub.log.read_text(errors="replace").count(RESTART_LINE)
    say(f"   processes restarted by the embedded hub's supervisor: {restarts}")
    say(f"   the embedded hub's log: {hub.keep_log(NAME)}")
    record(
        f"{NAME}_process_restarts", restarts, "restarts", goal=("<=", 0), hub="manage.py embedded"
    )
