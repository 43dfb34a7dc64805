"""python -m tests.chaos [--scale S] [--ci] [--seed N]: the loop under faults; exit status 0
only when nothing was duplicated, lost or left stuck and every fault kind resumed in time."""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

# Before anything imports Django or the Celery app: every process of the run uses these.
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

from tests.chaos.services import ChaosRedis, JumpingClock, PrivatePostgres
from tests.chaos.timing import CI, FULL, Timing

DATABASE = "hub"


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fault counts (1: ~70 faults)")
    parser.add_argument(
        "--ci", action="store_true", help="each kind once (worker kills 3×), short intervals"
    )
    parser.add_argument("--seed", type=int, default=None, help="repeat a run (default: random)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the run's folder (logs, data) when it passes"
    )
    return parser.parse_args(argv)


def _point_django_at(
    *, postgres: PrivatePostgres, redis: ChaosRedis, folder: Path, timing: Timing
) -> dict[str, str]:
    """This process's environment, and the hub processes' (returned), before Django's setup:
    the private servers, the run's var folder and the hub's intervals."""
    for name in ("HUB_TEST_SETTINGS_FOR", "PYTEST_XDIST_WORKER", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DATABASE_URL": postgres.url(DATABASE),
            "REDIS_URL": redis.url,
            # tests/settings.py takes the Redis database from here: the private server's 0.
            "HUB_TEST_REDIS_BASE": redis.url,
            "HUB_VAR_DIR": str(folder / "var"),
            "HUB_TEST_VAR_BASE": str(folder / "var"),
            "DISPATCH_INTERVAL_SECONDS": f"{timing.dispatch_interval:g}",
            "AUTOMATIC_POLL_SECONDS": str(timing.automatic_poll),
            "LOG_LEVEL": "WARNING",
        }
    )
    return {**os.environ, "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}


def _log_to_file(path: Path) -> None:
    """This process's own log lines (the web app's, the emulators') go to the run's folder,
    not between the report's lines."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)


def _c_stderr_to(path: Path) -> None:
    """libpq prints a notice that comes while a session starts (a server shutting down says
    so) straight to file descriptor 2: that goes to the run's log; Python's own output
    (tracebacks) keeps the terminal."""
    terminal = os.dup(2)
    sys.stderr = os.fdopen(terminal, "w", buffering=1)
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 2)
    os.close(log)


def _servers(stack: ExitStack, folder: Path) -> tuple[PrivatePostgres, ChaosRedis]:
    postgres = PrivatePostgres(folder)
    stack.callback(postgres.close)
    postgres.init()
    postgres.start()
    postgres.create_database(DATABASE)
    redis = ChaosRedis(folder)
    stack.callback(redis.close)
    redis.start()
    return postgres, redis


def _run(options: argparse.Namespace, *, seed: int, folder: Path, started: float) -> bool:
    timing = CI if options.ci else FULL
    with ExitStack() as stack:
        postgres, redis = _servers(stack, folder)
        clock = JumpingClock(folder)
        hub_environment = _point_django_at(
            postgres=postgres, redis=redis, folder=folder, timing=timing
        )
        import django

        django.setup()
        (folder / "logs").mkdir(exist_ok=True)
        _log_to_file(folder / "logs" / "suite.log")
        _c_stderr_to(folder / "logs" / "suite-stderr.log")
        from tests.chaos.loop import loop_run  # imports models: after the setup

        return loop_run(
            stack,
            postgres=postgres,
            redis=redis,
            clock=clock,
            environment=hub_environment,
            timing=timing,
            scale=0.0 if options.ci else options.scale,
            tails_first=options.ci,
            keep=options.keep,
            seed=seed,
            folder=folder,
            started=started,
            say=say,
        )


def _terminated(number: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C: every process stopped


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    timing = CI if options.ci else FULL
    say(
        f"make chaos: seed {seed} (--seed {seed} repeats it), "
        + ("--ci" if options.ci else f"scale {options.scale:g}")
        + f"; dispatcher every {timing.dispatch_interval:g} s, Automatic polls every "
        f"{timing.automatic_poll} s"
    )
    folder = Path(tempfile.mkdtemp(prefix="hub-chaos-"))
    signal.signal(signal.SIGTERM, _terminated)
    # Ctrl-C even when started with SIGINT ignored (a background job of a script).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    passed = False
    try:
        passed = _run(options, seed=seed, folder=folder, started=time.monotonic())
    except (Exception, KeyboardInterrupt):
        say(f"chaos run stopped; logs and data kept in {folder}")
        raise
    if passed and not options.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
