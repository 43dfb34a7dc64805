"""The one error family connectors raise; callers decide to retry, park the record or alert."""

from __future__ import annotations


class ConnectorError(Exception):
    """The message is shown to users: say what to do; never include a secret.

    The message is redacted when the error is made, so no text a remote server sent (an
    echo of our own request, say) carries a credential onto a page, an alert or an e-mail.
    """

    def __init__(self, message: str = "", *args: object) -> None:
        from integration_manager.redaction import redact  # redaction imports nothing of ours

        super().__init__(redact(str(message)), *args)


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
