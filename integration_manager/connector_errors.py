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


# Codes a cart's refusal of a stock level may carry, so the hub can tell the cases apart
# (a connector that cannot tell leaves the code empty).
UNKNOWN_SKU = "unknown_sku"  # the cart has no product with this SKU
NOT_TRACKED = "not_tracked"  # the product exists but the cart keeps no stock count for it


class RecordError(ConnectorError):
    """This record is bad: it goes to error with the reason, and the batch goes on."""

    def __init__(self, message: str, *, record_ref: str, code: str = "") -> None:
        super().__init__(message)
        self.record_ref = record_ref
        self.code = code
