"""RunRecorder: what a service run saw and did, as counts and a readable, redacted log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from integration_manager.redaction import redact
from jobs.models import JobRun
from jobs.ownership import OwnershipLost, RunLock

logger = logging.getLogger(__name__)

MAX_LOG_LINES = 2_000


@dataclass
class RunRecorder:
    job_run: JobRun
    seen: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    message: str = ""
    lines: list[str] = field(default_factory=list)
    dropped_lines: int = 0
    # The run's lock (jobs/ownership.py); None for a service called outside the runner.
    lock: RunLock | None = None
    # Set by a service that stopped at its batch limit: the runner makes it due again.
    more_waiting: bool = False
    # Set by the runner: sends this many helper runs and says how many the broker took.
    helpers_send: Callable[[int], int] | None = None

    def log(self, message: str, *args: object) -> None:
        """Add a line to the run's log (shown on the job run page); secrets are redacted."""
        text = redact(message % args if args else message)
        logger.info("job run %s: %s", self.job_run.id, text)
        if len(self.lines) >= MAX_LOG_LINES:
            self.dropped_lines += 1
            return
        self.lines.append(f"{timezone.now():%H:%M:%S} {text}")

    def count(self, *, seen: int = 0, ok: int = 0, failed: int = 0, skipped: int = 0) -> None:
        self.seen += seen
        self.ok += ok
        self.failed += failed
        self.skipped += skipped

    def check_owner(self) -> None:
        """Call before each side effect (a send to the WMS or a cart): raise OwnershipLost if
        another run may own the schedule now, so two runs never send the same thing."""
        if self.lock is not None and not self.lock.still_held():
            raise OwnershipLost(
                "This run lost its hold on the schedule (the database restarted); it stopped "
                "before sending more. The run that holds it now goes on."
            )

    def again(self) -> None:
        """This run stopped at its batch limit: run the service again right after it."""
        self.more_waiting = True

    def share(self, helpers: int) -> int:
        """Ask for helper runs to take part of a large backlog on other workers (the
        service's ServiceSpec.helper); returns how many were sent. Best effort: this run
        goes on with the backlog either way."""
        if self.helpers_send is None or helpers <= 0:
            return 0
        sent = self.helpers_send(helpers)
        if sent:
            self.log("%s helper run(s) asked to share the backlog on other workers.", sent)
        return sent

    def say(self, message: str) -> None:
        """The one-line summary shown in lists ("12 orders downloaded, 1 skipped")."""
        self.message = redact(message)

    def text(self) -> str:
        tail = [f"… {self.dropped_lines} more lines not kept"] if self.dropped_lines else []
        return "\n".join([*self.lines, *tail])
