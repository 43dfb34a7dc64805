"""The one error family connectors raise; callers decide to retry, park the record or alert."""

from __future__ import annotations


class ConnectorError(Exception):
    """The message is shown to users: say what to do; never include a secret."""


class AuthError(ConnectorError):
    """Credentials refused: alert, pause the connection, no retry until they are edited."""


class TransientError(ConnectorError):
    """Timeout, 5xx, connection reset: retry with back-off."""


class RateLimited(TransientError):
    """The other side asked us to slow down; retry_after is in seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RecordError(ConnectorError):
    """This record is bad: it goes to error with the reason, and the batch goes on."""

    def __init__(self, message: str, *, record_ref: str) -> None:
        super().__init__(message)
        self.record_ref = record_ref
