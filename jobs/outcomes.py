"""What a failed run says to people, and when a connection that keeps failing is worth an
alert: the same for every app that owns a connection (carts/outcomes.py, wms/outcomes.py)."""

from __future__ import annotations

from integration_manager.connector_errors import ConnectorError, RateLimited
from jobs.ownership import RunInterrupted

# A connection that keeps failing for other reasons (5xx, timeouts) alerts on the third
# failed run in a row, not the first: one blip is retried quietly.
FAILURES_BEFORE_ALERT = 3
UNEXPECTED = "An unexpected error stopped the run; it is logged for the administrator."


def failure_message(error: Exception) -> str:
    """The words a failure may show: a connector's own message, never a bug's text."""
    return str(error) if isinstance(error, ConnectorError | RunInterrupted) else UNEXPECTED


def keeps_failing(consecutive_failures_before: int, error: Exception) -> bool:
    """Whether this failure makes it FAILURES_BEFORE_ALERT in a row (a slow-down is not one)."""
    return (
        not isinstance(error, RateLimited)
        and consecutive_failures_before + 1 >= FAILURES_BEFORE_ALERT
    )
