"""The one HTTP session factory: timeouts on every call, the error family, nothing secret logged."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from integration_manager.connector_errors import AuthError, RateLimited, TransientError
from integration_manager.redaction import redact, register_secret

logger = logging.getLogger(__name__)

# (connect, read) seconds; a connector may ask for longer reads, never for none.
DEFAULT_TIMEOUT = (5.0, 30.0)
# A short Retry-After is waited out inside the call; a longer one goes back to the
# schedule as RateLimited, so a worker is never parked for minutes.
MAX_INLINE_WAIT = 5.0
RETRIES_ON_5XX = 2  # idempotent methods only: a POST is never sent twice by this helper
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def retry_after_seconds(response: requests.Response, default: float = 60.0) -> float:
    """Seconds to wait, from Retry-After (seconds or an HTTP date); the default when absent."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed is None:
            return default
        return max(0.0, parsed.timestamp() - time.time())


def _url_for_log(url: str) -> str:
    # The query string can carry credentials (WooCommerce's query-string auth): log the path.
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))


class HubSession(requests.Session):
    """A requests session that always times out and speaks the connector error family."""

    def __init__(self, *, label: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.label = label
        self.timeout = timeout
        self.headers["User-Agent"] = "integration-hub/0.1"

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        method = method.upper()
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = super().request(method, url, *args, **kwargs)
            except requests.Timeout:
                logger.warning("%s %s timed out", method, _url_for_log(url))
                # The cause is left out: its text quotes the URL, which may hold a key.
                raise TransientError(
                    f"{self.label} did not answer in time. The hub will try again."
                ) from None
            except requests.ConnectionError:
                logger.warning("%s %s could not connect", method, _url_for_log(url))
                raise TransientError(
                    f"Could not reach {self.label} at {urlsplit(url).hostname}. "
                    "Check the address in the settings; the hub will try again."
                ) from None
            elapsed = (time.monotonic() - started) * 1000
            logger.info(
                "%s %s -> %s in %.0f ms", method, _url_for_log(url), response.status_code, elapsed
            )
            if response.status_code == 429:
                wait = retry_after_seconds(response)
                if wait <= MAX_INLINE_WAIT and attempt <= 3:
                    time.sleep(wait)
                    continue
                raise RateLimited(
                    f"{self.label} asked the hub to slow down; it will try again in "
                    f"{wait:.0f} seconds.",
                    retry_after=wait,
                )
            if response.status_code >= 500 and method in IDEMPOTENT and attempt <= RETRIES_ON_5XX:
                time.sleep(0.2 * attempt)
                continue
            return response


def http_session(
    *,
    label: str,
    secrets: Iterable[str] = (),
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> HubSession:
    """A session for one connection; its secrets are registered so no log line shows them."""
    for secret in secrets:
        register_secret(secret)
    return HubSession(label=label, timeout=timeout)


def check_response(response: requests.Response, *, label: str, auth_hint: str) -> None:
    """Raise the error family for statuses every API means the same way; 4xx is the caller's."""
    status = response.status_code
    if status in (401, 403):
        raise AuthError(f"{label} refused the credentials (HTTP {status}). {auth_hint}")
    if status == 429:
        raise RateLimited(
            f"{label} asked the hub to slow down.", retry_after=retry_after_seconds(response)
        )
    if status >= 500:
        raise TransientError(
            f"{label} answered HTTP {status} ({response.reason}). The hub will try again."
        )


def error_detail(response: requests.Response, limit: int = 300) -> str:
    """A short, redacted excerpt of an error body, for messages shown to users."""
    text = response.text.strip().replace("\n", " ")
    return redact(text[:limit])
