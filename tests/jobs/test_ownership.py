"""Run locks on both databases: held while the owning process lives, free once it is killed."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.db import connections
from django.test import TransactionTestCase

from jobs.ownership import RUN_LOCK, RunLock, run_lock, schedules_unowned
from tests.workers import wait_for

HOLDER = """
import sys, threading
import django
django.setup()
from jobs.ownership import RunLock
lock = RunLock(int(sys.argv[1]), using=sys.argv[2])
print("held" if lock.acquire() else "taken", flush=True)
threading.Event().wait(120)
"""


class RunLockTests(TransactionTestCase):
    """One test per database; the owner is another process, killed as the OOM killer would."""

    databases = {"default", "sqlite"}
    schedule_id = 4242

    def hold_elsewhere(self, using: str) -> subprocess.Popen[str]:
        database = connections["default"].settings_dict
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}",
        }
        holder = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", HOLDER, str(self.schedule_id), using],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(holder.kill)
        self.assertEqual(holder.stdout.readline().strip(), "held")
        return holder

    def check(self, using: str) -> None:
        holder = self.hold_elsewhere(using)
        with run_lock(self.schedule_id, using=using) as lock:
            self.assertFalse(lock.held, "a live owner's lock was taken")
        with schedules_unowned([self.schedule_id, self.schedule_id + 1], using=using) as free:
            self.assertEqual(free, {self.schedule_id + 1})
        holder.kill()
        holder.wait(10)

        def free_now() -> bool:
            with run_lock(self.schedule_id, using=using) as lock:
                return lock.held

        wait_for(free_now, what="the dead owner's lock to be free", timeout=5)
        with run_lock(self.schedule_id, using=using) as lock:
            # While we hold it, a second holder in this process is refused as well.
            self.assertTrue(lock.held)
            self.assertTrue(lock.still_held())
            second = RunLock(self.schedule_id, using=using)
            self.assertFalse(second.acquire())

    def test_a_postgresql_lock_dies_with_its_process(self) -> None:
        self.check("default")

    def test_a_sqlite_file_lock_dies_with_its_process(self) -> None:
        self.check("sqlite")

    def test_release_unlocks_before_the_session_closes(self) -> None:
        # A closed session keeps its locks until its backend has exited, so a run that
        # follows at once (a drain, a nudge) could be turned away by the run before it.
        # The session is kept open here to see that release() itself gave the lock up.
        class KeptSession(RunLock):
            def _close_session(self) -> None:
                self.kept = self._session

        lock = KeptSession(self.schedule_id)
        self.assertTrue(lock.acquire())
        lock.release()
        self.addCleanup(lock.kept.close)
        with run_lock(self.schedule_id) as next_run:
            self.assertTrue(next_run.held, "the run before still held the lock")
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK, self.schedule_id])
            self.assertTrue(cursor.fetchone()[0])
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUN_LOCK, self.schedule_id])

    def test_a_lock_lost_with_its_session_is_taken_back_if_nobody_took_it(self) -> None:
        with run_lock(self.schedule_id) as lock:
            self.assertTrue(lock.held)
            self.cut_session(lock)
            self.assertTrue(lock.still_held())

    def test_a_lock_lost_with_its_session_and_taken_by_another_is_lost(self) -> None:
        thief = RunLock(self.schedule_id)
        self.addCleanup(thief.release)
        with run_lock(self.schedule_id) as lock:
            self.cut_session(lock)
            wait_for(thief.acquire, what="another run to take the lock", timeout=5)
            self.assertFalse(lock.still_held())

    @staticmethod
    def cut_session(lock: RunLock) -> None:
        """End the lock's database session, as a PostgreSQL restart would."""
        with lock._session.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

        def gone() -> bool:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                return cursor.fetchone()[0] == 0

        wait_for(gone, what="the lock's session to end", timeout=5)
