"""Run ownership: a lock per schedule that a run holds while its process lives, and loses when
the process dies, so a copy of its task waits its turn and a dead run is taken over at once.

PostgreSQL: a session-level advisory lock on a connection of the lock's own (not Django's,
which Celery closes around every task). The server drops the lock when that session ends: a
killed process's socket closes at once; a vanished machine is noticed by TCP keepalives
within about half a minute. SQLite (the embedded mode, one machine): flock() on a file per
schedule, which the kernel releases when the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

# The first half of every run lock's key, "jobs"; downloads use "ords" (orders/upsert.py).
RUN_LOCK = 0x6A6F6273
# A helper run's lock ("help"), keyed by its JobRun: held while the helper's process lives.
HELPER_LOCK = 0x68656C70
# An account's deletion ("dele"), keyed by the account: one deleting process at a time.
DELETE_LOCK = 0x64656C65
_LOCK_FILES = {RUN_LOCK: "schedule", HELPER_LOCK: "helper", DELETE_LOCK: "deletion"}
# The server notices a silent peer after idle + interval × count seconds.
KEEPALIVE = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
_DJANGO_ONLY_OPTIONS = {"isolation_level", "assume_role", "server_side_binding", "pool"}


class OwnershipLost(Exception):
    """A run's lock went with its database session and another run holds it now."""


class RunInterrupted(Exception):
    """A run died with its worker, or its task never started; the message is for users."""


def _connect(using: str) -> Any:
    """A new PostgreSQL session on the same database as Django's `using` connection."""
    database = connections[using].settings_dict
    options = {
        key: value
        for key, value in (database.get("OPTIONS") or {}).items()
        if key not in _DJANGO_ONLY_OPTIONS
    }
    session = psycopg2.connect(
        dbname=database["NAME"],
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        application_name="hub-run-lock",
        connect_timeout=5,
        **KEEPALIVE,
        **options,
    )
    session.autocommit = True
    with session.cursor() as cursor:
        # The server's side of the same keepalive: it frees the lock of a machine that
        # vanished without closing its socket.
        cursor.execute(
            "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
            "SET tcp_keepalives_count = 3"
        )
    return session


def _lock_folder() -> Path:
    folder = Path(settings.VAR_DIR) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class RunLock:
    """One schedule's lock (or, under HELPER_LOCK, one helper run's), held or not by this
    process."""

    def __init__(
        self, schedule_id: int, *, using: str = DEFAULT_DB_ALIAS, namespace: int = RUN_LOCK
    ) -> None:
        self.schedule_id = schedule_id
        self.using = using
        self.namespace = namespace
        self.held = False
        self._session: Any = None
        self._file: int | None = None

    @property
    def _postgres(self) -> bool:
        return connections[self.using].vendor == "postgresql"

    def acquire(self) -> bool:
        """Take the lock unless a live process holds it; never waits."""
        if self._postgres:
            self._session = _connect(self.using)
            self.held = self._try(self._session)
        else:
            path = _lock_folder() / f"{_LOCK_FILES[self.namespace]}-{self.schedule_id}.lock"
            self._file = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
            except BlockingIOError:
                self.held = False
        if not self.held:
            self.release()
        return self.held

    def _try(self, session: Any) -> bool:
        with session.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", [self.namespace, self.schedule_id]
            )
            return bool(cursor.fetchone()[0])

    def still_held(self) -> bool:
        """True while this process owns the schedule. A lock session that died with a database
        restart is opened again and the lock taken back, unless another run took it first."""
        if not self.held:
            return False
        if not self._postgres:
            return True
        try:
            with self._session.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            logger.warning("schedule %s: the run lock's session was lost", self.schedule_id)
        self._close_session()
        self._session = _connect(self.using)
        self.held = self._try(self._session)
        return self.held

    def release(self) -> None:
        if self.held and self._session is not None:
            # Unlocked before the session closes: the server drops a closed session's locks
            # only once its backend has exited, and a run that follows at once (a drain, a
            # nudge) would meanwhile find the lock taken and exit without running.
            with contextlib.suppress(psycopg2.Error), self._session.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [self.namespace, self.schedule_id]
                )
        self.held = False
        self._close_session()
        if self._file is not None:
            os.close(self._file)  # closing the file gives up the flock
            self._file = None

    def _close_session(self) -> None:
        if self._session is not None:
            # Already gone or not: the server releases the session's locks with it.
            with contextlib.suppress(psycopg2.Error):
                self._session.close()
            self._session = None


@contextmanager
def run_lock(
    schedule_id: int, *, using: str = DEFAULT_DB_ALIAS, namespace: int = RUN_LOCK
) -> Iterator[RunLock]:
    """Hold a schedule's run lock for the block; `lock.held` says whether it was free."""
    lock = RunLock(schedule_id, using=using, namespace=namespace)
    try:
        lock.acquire()
        yield lock
    finally:
        lock.release()


@contextmanager
def schedules_unowned(
    schedule_ids: Iterable[int], *, using: str = DEFAULT_DB_ALIAS, namespace: int = RUN_LOCK
) -> Iterator[set[int]]:
    """Lock the schedules among these that no live run owns, and yield their ids; a run that
    starts meanwhile finds them taken. The locks go when the block ends."""
    ids = sorted(set(schedule_ids))
    if not ids:
        yield set()
        return
    if connections[using].vendor == "postgresql":
        session = _connect(using)
        try:
            with session.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM unnest(%s::bigint[]) AS candidate(id) "
                    "WHERE pg_try_advisory_lock(%s, id::int)",
                    [ids, namespace],
                )
                free = {row[0] for row in cursor.fetchall()}
            yield free
        finally:
            # Unlocked, not only closed: a closed session's locks outlive it until its
            # backend exits (see RunLock.release).
            with contextlib.suppress(psycopg2.Error), session.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock_all()")
            session.close()
        return
    locks = [RunLock(schedule_id, using=using, namespace=namespace) for schedule_id in ids]
    try:
        yield {lock.schedule_id for lock in locks if lock.acquire()}
    finally:
        for lock in locks:
            lock.release()
