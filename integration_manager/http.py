"""The one HTTP session factory: the outbound guard, timeouts on every call, the error family,
no redirect to another host, and nothing secret logged."""

from __future__ import annotations

import email.utils
import errno
import json
import logging
import re
import time
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from integration_manager.connector_errors import (
    AuthError,
    ConnectorError,
    RateLimited,
    TransientError,
)
from integration_manager.outbound import (
    ANY_PUBLIC_HOST,
    AddressRules,
    call_check,
    guarded_connect,
)
from integration_manager.redaction import redact, register_secret, register_secret_forms

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


class _GuardedConnection:
    """urllib3's connection, opened to addresses the outbound guard checked at this moment."""

    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    _dns_host: str

    def _new_conn(self) -> Any:
        import socket

        try:
            # OutboundRefused passes through untouched: nothing was sent.
            return guarded_connect(
                self._dns_host,
                self.port,
                timeout=self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]
        except TimeoutError as error:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from error
        except OSError as error:
            raise NewConnectionError(self, f"Failed to connect: {error}") from error  # type: ignore[arg-type]


class _GuardedHTTPConnection(_GuardedConnection, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """Every connection of a HubSession is made through the outbound guard."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-auth-token", "x-api-key"}
)
CREDENTIAL_PARAMETER = re.compile(r"(?i)key|secret|token|signature|password|auth")

# Redirects are followed only on the same host, over https, for reads, this many times.
MAX_REDIRECTS = 3


class HubSession(requests.Session):
    """A requests session that goes through the outbound guard, always times out, follows no
    redirect to another host and speaks the connector error family."""

    def __init__(
        self,
        *,
        label: str,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        rules: AddressRules = ANY_PUBLIC_HOST,
    ) -> None:
        super().__init__()
        self.label = label
        self.timeout = timeout
        self.rules = rules
        # Proxies from the environment would be connected to instead of the checked host.
        self.trust_env = False
        adapter = GuardedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.headers["User-Agent"] = "integration-hub/0.1"

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """Whatever a connector derived from its credentials for this request (a Basic header,
        a bearer token, keys or a signature in the query) is registered as a secret before
        it leaves, so an echo of the request can never show it."""
        prepared = super().prepare_request(request)
        for name, value in prepared.headers.items():
            if name.lower() in CREDENTIAL_HEADERS or "token" in name.lower():
                register_secret(value)
                register_secret(value.split(" ", 1)[-1])
        for name, value in parse_qsl(urlsplit(prepared.url or "").query):
            if CREDENTIAL_PARAMETER.search(name):
                register_secret_forms(value)
        return prepared

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        kwargs["allow_redirects"] = False
        method = method.upper()
        for _ in range(MAX_REDIRECTS + 1):
            response = self._request_with_retries(method, url, *args, **kwargs)
            if not response.is_redirect:
                return response
            url = self._redirect_target(method, url, response)
        raise ConnectorError(
            f"{self.label} keeps redirecting the hub's request. Check the address in the "
            "settings (the one your browser ends up on)."
        )

    def _redirect_target(self, method: str, url: str, response: requests.Response) -> str:
        """Where a redirect may be followed: the same host, over https, for a read."""
        target = urljoin(url, response.headers.get("Location", ""))
        source, destination = urlsplit(url), urlsplit(target)
        if (
            method in ("GET", "HEAD")
            and destination.scheme == "https"
            and destination.hostname == source.hostname
        ):
            return target
        shown = remote_text(f"{destination.scheme}://{destination.hostname or ''}", limit=100)
        raise ConnectorError(
            f"{self.label} answered with a redirect (HTTP {response.status_code}) to {shown}; "
            "the hub does not follow redirects to another address, so nothing was sent "
            "there. If that is the right address, put it in the settings."
        )

    def _request_with_retries(
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        call_check(url, rules=self.rules)
        host = urlsplit(url).hostname or ""
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = super().request(method, url, *args, **kwargs)
            except requests.exceptions.SSLError:
                logger.warning("%s %s: certificate refused", method, _url_for_log(url))
                raise TransientError(
                    f"The certificate of {host} could not be verified, so the hub sent "
                    "nothing. Check that the address is the service's own https address; "
                    "if it is, the site's certificate needs fixing."
                ) from None
            except requests.exceptions.ConnectTimeout:
                logger.warning("%s %s: connect timed out", method, _url_for_log(url))
                raise TransientError(
                    f"{host} did not accept a connection in time. The hub will try again."
                ) from None
            except requests.Timeout:
                logger.warning("%s %s timed out", method, _url_for_log(url))
                # The cause is left out: its text quotes the URL, which may hold a key.
                raise TransientError(
                    f"{self.label} did not answer in time. The hub will try again."
                ) from None
            except requests.ConnectionError as error:
                logger.warning("%s %s could not connect", method, _url_for_log(url))
                raise TransientError(
                    _connection_failure(error, url=url, label=self.label)
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


def _connection_failure(error: requests.ConnectionError, *, url: str, label: str) -> str:
    """Words for why a connection failed: a name that does not resolve, a closed port, a
    connection cut. Each is told apart, so a user knows what to check."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, NameResolutionError):
            return (
                f"The address {host} could not be found (no such name in DNS). Check its "
                "spelling in the settings; the hub will try again."
            )
        if isinstance(cause, NewConnectionError) and isinstance(
            cause.__cause__, ConnectionRefusedError
        ):
            return (
                f"{host} refused the connection on port {port}: nothing answers there. Check "
                "the address and port in the settings; the hub will try again."
            )
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return f"There is no route to {host}. The hub will try again."
        cause = cause.__context__ if cause.__cause__ is None else cause.__cause__
        if isinstance(error, requests.ConnectionError) and cause is error:
            break
    return (
        f"The connection to {label} at {host} was cut before it answered. The hub will try again."
    )


def http_session(
    *,
    label: str,
    secrets: Iterable[str] = (),
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    rules: AddressRules = ANY_PUBLIC_HOST,
) -> HubSession:
    """A session for one connection; its secrets, and what is derived from them, are
    registered so no log line, message or page shows them."""
    for secret in secrets:
        register_secret_forms(secret)
    return HubSession(label=label, timeout=timeout, rules=rules)


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


# The fields vendors put their error message and code in, in the order they are tried.
MESSAGE_FIELDS = ("message", "error_description", "title", "detail", "error", "errors")
CODE_FIELDS = ("code", "error_code", "type", "status")


def remote_text(value: object, *, limit: int = 200) -> str:
    """A field a remote server sent, fit to show: one line, printable, cut short, redacted."""
    text = "".join(
        character if unicodedata.category(character)[0] != "C" else " " for character in str(value)
    )
    text = " ".join(text.split())
    return redact(text[:limit] + ("…" if len(text) > limit else ""))


def _first_text(payload: Any, fields: tuple[str, ...]) -> str:
    if isinstance(payload, list):
        return "; ".join(filter(None, (_first_text(item, fields) for item in payload[:3])))
    if not isinstance(payload, dict):
        return payload if isinstance(payload, str) else ""
    for name in fields:
        value = payload.get(name)
        if isinstance(value, str | int) and str(value).strip():
            return str(value)
        if isinstance(value, dict | list):
            nested = _first_text(value, fields)
            if nested:
                return nested
    return ""


def error_detail(response: requests.Response, limit: int = 200) -> str:
    """The vendor's own error message (and code) parsed from a JSON error body, cut short and
    redacted; never the raw body (an HTML page, a stack trace, an echo of our request)."""
    try:
        payload = json.loads(response.content or b"null")
    except ValueError:
        return f"HTTP {response.status_code}, an answer that is not JSON"
    message = _first_text(payload, MESSAGE_FIELDS)
    code = _first_text(payload, CODE_FIELDS) if isinstance(payload, dict) else ""
    if not message:
        return f"HTTP {response.status_code}"
    shown = remote_text(message, limit=limit)
    return f"{shown} ({remote_text(code, limit=60)})" if code and code != message else shown
