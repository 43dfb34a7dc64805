"""The suite's own PostgreSQL and Redis, which it restarts, and a clock that can jump."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

import psycopg2

from tests.brokers import PrivateRedis, free_port

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
SLEEP_SHIM = Path(__file__).resolve().parent / "faketime"
# PostgreSQL refuses to run as root: under root its files and processes are this user's.
POSTGRES_USER = "postgres"


def _postgres_bin(name: str) -> str:
    """The newest installed PostgreSQL's program (Debian keeps them out of PATH)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    if not versions:
        raise RuntimeError("no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)")
    return str(versions[-1] / name)


class PrivatePostgres:
    """A cluster in the run's folder on a free port (and its socket there too): the
    machine's PostgreSQL on 5432 is never touched, and this one may be restarted at will."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "postgres"
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, *command: str) -> None:
        prefix: list[str] = []
        if os.geteuid() == 0:
            prefix = ["runuser", "-u", POSTGRES_USER, "--"]
        subprocess.run(  # noqa: S603
            [*prefix, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def init(self) -> None:
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam(POSTGRES_USER)
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            # The run's folder is root's (mkdtemp makes it 0700): postgres must reach its own.
            self.folder.parent.chmod(0o711)
        self._as_owner(
            _postgres_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        settings = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.folder}'",
            # Two worker sets, two webhook storms' threads and the run locks' sessions.
            "max_connections": 300,
            # Only a machine crash loses unsynced writes; a killed server keeps them (the
            # crash recovery under test replays the WAL the OS still has).
            "fsync": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _pg_ctl(self, *arguments: str) -> None:
        self._as_owner(
            _postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
            "-t", "120", *arguments,
        )  # fmt: skip

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self, *, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def restart(self, *, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "restart")

    def create_database(self, name: str) -> None:
        admin = psycopg2.connect(
            dbname="postgres", user="postgres", host="127.0.0.1", port=self.port
        )
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            admin.close()

    def postmaster_pid(self) -> int | None:
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().split()[0])
        return None

    def close(self) -> None:
        """Stop it whatever state it is in; pg_ctl starts the server in a session of its own,
        so a server pg_ctl cannot stop is killed by that group."""
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self.stop(mode="immediate")
        pid = self.postmaster_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


class ChaosRedis(PrivateRedis):
    """tests/brokers.py's private Redis, its folder inside the run's, with a restart that
    keeps the data and one that loses it whatever an earlier SAVE left on disk."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = folder / "redis"
        self.folder.mkdir()

    def stop_keeping_data(self) -> None:
        """SAVE, then a kill: the next start loads the dump from --dir."""
        self.client().save()
        self.stop(kill=True)

    def stop_losing_data(self) -> None:
        self.stop(kill=True)
        (self.folder / "dump.rdb").unlink(missing_ok=True)

    def close(self) -> None:
        self.stop(kill=True)


class JumpingClock:
    """libfaketime for the processes started with its environment: the file holds their
    offset from the real clock ("+0", "+300", "-300"), read afresh at every clock call."""

    def __init__(self, folder: Path) -> None:
        self.file = folder / "clock-offset"
        self.offset = 0
        self.set(0)

    def environment(self) -> dict[str, str]:
        if not LIBFAKETIME.exists():
            raise RuntimeError(f"{LIBFAKETIME} is missing: apt-get install -y faketime")
        return {
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME_TIMESTAMP_FILE": str(self.file),
            "FAKETIME_NO_CACHE": "1",
            # Only the wall clock jumps, as NTP or a VM resume makes it: the monotonic clock,
            # which timers and timeouts run on, goes on as before.
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            # Its time.sleep through select(): see faketime/sitecustomize.py.
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(SLEEP_SHIM), os.environ.get("PYTHONPATH", "")])
            ),
        }

    @staticmethod
    def process_gone(pid: int) -> None:
        """libfaketime's shared memory and semaphore of a process that was killed stay in
        /dev/shm (its destructor never ran); a later process given the same pid would fail
        on them."""
        for name in (f"faketime_shm_{pid}", f"sem.faketime_sem_{pid}"):
            Path("/dev/shm", name).unlink(missing_ok=True)  # noqa: S108  (libfaketime's names)

    def set(self, seconds: int) -> None:
        # Written whole under another name and renamed: a reader never sees half a line.
        partial = self.file.with_suffix(".new")
        partial.write_text(f"{seconds:+d}\n")
        partial.replace(self.file)
        self.offset = seconds
