"""HTTP to 3PL Warehouse Manager's REST API: the token, both representations, the error family."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from integration_manager.connector_errors import (
    AuthError,
    ConnectorError,
    RateLimited,
    TransientError,
)
from integration_manager.http import MAX_INLINE_WAIT, HubSession, error_detail, remote_text

logger = logging.getLogger(__name__)

LABEL = "3PL Warehouse Manager"
TOKEN_PATH = "/AuthServer/api/Token"
# The HAL representation is the one the vendor documents and recommends; the plain JSON one
# (PascalCase, ResourceList/TotalResults) is read all the same, since some accounts and
# proxies answer with it whatever was asked.
HAL = "application/hal+json"
PLAIN_JSON = "application/json"
# HAL rel keys read http://api.3plCentral.com/rels/<service>/<rel> (capital C); compared
# lower-cased.
REL_PREFIX = "http://api.3plcentral.com/rels/"

# Extensiv: a token lasts "typically between 30 and 60 minutes"; refresh at least every 30.
TOKEN_MAX_AGE = 30 * 60
TOKEN_MARGIN = 120  # seconds before its expiry that a token is replaced
# No limit is published; the one client that states one keeps to 400 requests a minute.
REQUESTS_PER_MINUTE = 400
BURST = 20

# Page-size limits per collection (REL documentation); more is a 400 QueryParameterException.
ORDERS_PAGE_LIMIT = 1000
CUSTOMERS_PAGE_LIMIT = 100
STOCK_SUMMARIES_PAGE_LIMIT = 500

CREDENTIALS_HINT = (
    "Check the client id and secret (Support Portal › Manage Credentials) and the user login "
    "in the WMS settings, then save."
)


# errors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """The parsed fields of a 3PL error body (Newtonsoft "$type" plus its members)."""

    kind: str = ""  # ModelValidationException, QueryParameterException, OperationException…
    error_code: str = ""  # Required, DoesNotExist, Duplicate, OrderConfirmed, NotParsable…
    hint: str = ""
    properties: tuple[tuple[str, str], ...] = ()  # ModelValidationException: (Name, Value)
    parameters: tuple[str, ...] = ()  # QueryParameterException: the query parameters

    @property
    def text(self) -> str:
        """The WMS's own words, fit to show: code, hint and the properties it names."""
        head = ": ".join(part for part in (self.error_code, self.hint) if part)
        named = ", ".join(f"{name} {value}".strip() for name, value in self.properties)
        named = named or ", ".join(self.parameters)
        return remote_text(f"{head} ({named})" if head and named else head or named)


class Refused(ConnectorError):
    """The WMS refused a request it understood: a 400 (a model or query it will not take) or
    a 403 OperationException (the order is past the point where that is allowed)."""

    def __init__(self, message: str, *, status: int, fault: Fault) -> None:
        super().__init__(message)
        self.status = status
        self.fault = fault


class NotFound(ConnectorError):
    """404: no such order, customer or path."""


class PreconditionFailed(ConnectorError):
    """412 (the ETag sent is no longer the order's) or 428 (If-Match missing)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class ServerFault(TransientError):
    """A 5xx: the WMS failed while handling the request; a create may or may not be done."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def fault_of(response: requests.Response) -> Fault:
    """The error body's fields; an empty Fault when the body is not the documented JSON."""
    try:
        payload = camel_keys(response.json())
    except ValueError:
        return Fault()
    if not isinstance(payload, dict):
        return Fault()
    kind = str(payload.get("$type") or "").split(",", 1)[0].rsplit(".", 1)[-1]
    properties = tuple(
        (_short(item.get("name")), _short(item.get("value")))
        for item in _listed(payload.get("properties"))
        if isinstance(item, dict)
    )
    return Fault(
        kind=_short(kind),
        error_code=_short(payload.get("errorCode")),
        hint=remote_text(payload.get("hint") or payload.get("message") or ""),
        properties=properties,
        parameters=tuple(
            remote_text(name, limit=40) for name in _listed(payload.get("parameters"))
        ),
    )


def _listed(value: Any) -> list[Any]:
    # An error body is read whatever it holds: a number where a list belongs is no list.
    return value if isinstance(value, list) else []


def _short(value: Any) -> str:
    return remote_text(value if value is not None else "", limit=60)


# representations ---------------------------------------------------------------------------


def camel_key(key: str) -> str:
    """PascalCase → camelCase the way the HAL representation spells it: ResourceList →
    resourceList, SCACCode → scacCode, UPC → upc; camelCase and "$type" stay as they are."""
    if not key[:1].isupper():
        return key
    run = len(key) - len(key.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if run == len(key) or run == 1:
        return key[:run].lower() + key[run:]
    return key[: run - 1].lower() + key[run - 1 :]


def camel_keys(value: Any) -> Any:
    """A payload in either representation with every key in camelCase, so the pure modules
    read one spelling."""
    if isinstance(value, dict):
        return {camel_key(str(key)): camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    return value


def resource_list(payload: Any, rel: str) -> list[dict[str, Any]]:
    """The items of a collection in either representation: HAL's _embedded under the rel
    (or the bare "item" some collections use), or plain JSON's ResourceList."""
    if not isinstance(payload, Mapping):
        return []
    embedded = payload.get("_embedded")
    if isinstance(embedded, Mapping):
        wanted = (REL_PREFIX + rel).lower()
        for key, items in embedded.items():
            if str(key).lower() in (wanted, "item") and isinstance(items, list):
                return [item for item in items if isinstance(item, dict)]
    items = payload.get("resourceList")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


@dataclass(frozen=True)
class Listing:
    """One page of a collection and the total the WMS reports (None when it does not)."""

    items: list[dict[str, Any]]
    total: int | None = None


def _total(payload: Any) -> int | None:
    value = payload.get("totalResults") if isinstance(payload, Mapping) else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# tokens and pacing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    """What a token is asked for with."""

    client_id: str
    client_secret: str
    user_login: str
    tpl: str = ""

    def digest(self, base_url: str) -> str:
        """Keys the token cache: a token never outlives the credentials it was made with."""
        text = "\0".join((base_url, self.client_id, self.client_secret, self.user_login, self.tpl))
        return hashlib.sha256(text.encode()).hexdigest()


class TokenCache:
    """Bearer tokens by (connection id, credentials digest), shared by the threads of one
    worker process: a token is good for half an hour, and asking for one per run would
    double the calls of a short run."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[tuple[int, str], tuple[str, float]] = {}

    def get(self, key: tuple[int, str]) -> str | None:
        with self._lock:
            entry = self._tokens.get(key)
            if entry is None or self.clock() >= entry[1]:
                return None
            return entry[0]

    def put(self, key: tuple[int, str], token: str, *, expires_in: float) -> None:
        # Replaced early (a margin, or halfway for a short-lived token) and after 30 minutes
        # at most, as Extensiv asks.
        lifetime = min(TOKEN_MAX_AGE, expires_in - min(TOKEN_MARGIN, expires_in / 2))
        with self._lock:
            self._tokens[key] = (token, self.clock() + max(0.0, lifetime))

    def forget(self, key: tuple[int, str], token: str) -> None:
        """Drop a token the WMS refused, unless another thread has already replaced it."""
        with self._lock:
            if self._tokens.get(key, ("",))[0] == token:
                del self._tokens[key]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


# One Redis key per connection: the moment from which the next request may go (GCRA). A
# request may run `tolerance` seconds ahead of it (the burst); each one moves it on by one
# interval. ARGV: now, interval, tolerance, the longest wait taken inline. Returns the wait
# in seconds, or minus the wait when it is longer than that (nothing taken).
_RESERVE_SCRIPT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local longest = tonumber(ARGV[4])
local next_at = tonumber(redis.call('GET', KEYS[1])) or now
if next_at < now then next_at = now end
local wait = next_at - tolerance - now
if wait < 0 then wait = 0 end
if wait > longest then return tostring(-wait) end
redis.call('SET', KEYS[1], tostring(next_at + interval), 'EX', math.ceil(next_at - now) + 61)
return tostring(wait)
"""


class Throttle:
    """A token bucket per connection: at most `per_minute` requests in any minute (a burst
    of `burst`, then a steady rate).

    With Redis as the cache (production) the bucket lives there, so every worker process
    counts together: two workers never send twice the limit to one WMS account. Without it
    (the embedded mode: one worker) it lives in this process, for all its threads.
    """

    def __init__(
        self,
        *,
        per_minute: int = REQUESTS_PER_MINUTE,
        burst: int = BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.burst = burst
        self.rate = (per_minute - burst) / 60.0  # so burst + a minute's refill = per_minute
        self.clock = clock
        self.sleep = sleep
        self.wall_clock = wall_clock
        self._lock = threading.Lock()
        self._buckets: dict[int, tuple[float, float]] = {}  # key -> (tokens, as of)

    def wait(self, key: int) -> None:
        """Take a request's place, sleeping until it is due; RateLimited if that is long."""
        delay = self._shared_delay(key)
        if delay is None:
            delay = self._local_delay(key)
        if delay > MAX_INLINE_WAIT:
            raise RateLimited(
                f"The hub keeps to {REQUESTS_PER_MINUTE} requests a minute to {LABEL}; it "
                "will go on shortly.",
                retry_after=delay,
            )
        if delay:
            self.sleep(delay)

    def _shared_delay(self, key: int) -> float | None:
        backend = caches["default"]
        if not isinstance(backend, RedisCache):
            return None
        name = backend.make_and_validate_key(f"threepl:throttle:{key}")
        interval = 1 / self.rate
        try:
            client = backend._cache.get_client(name, write=True)
            answer = float(
                client.eval(
                    _RESERVE_SCRIPT,
                    1,
                    name,
                    repr(self.wall_clock()),
                    repr(interval),
                    repr((self.burst - 1) * interval),
                    repr(MAX_INLINE_WAIT),
                )
            )
        except RedisError as error:
            # Counted in this process instead: a Redis outage must not stop deliveries.
            logger.warning("3PL request pacing kept in this process: %s", type(error).__name__)
            return None
        return -answer if answer < 0 else answer

    def _local_delay(self, key: int) -> float:
        with self._lock:
            now = self.clock()
            tokens, as_of = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - as_of) * self.rate) - 1
            delay = -tokens / self.rate if tokens < 0 else 0.0
            if delay > MAX_INLINE_WAIT:
                tokens += 1  # not taken: the run goes back to its schedule
            self._buckets[key] = (tokens, now)
        return delay

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()


# the client --------------------------------------------------------------------------------


@dataclass
class ThreePLClient:
    """One connection's calls, named after the WMS's operations. Each returns camelCase data
    or raises the error family: a refused login or a role the user lacks AuthError, 400 and
    403 OperationException Refused, 404 NotFound, 412/428 PreconditionFailed, 5xx
    ServerFault, timeouts and unreadable answers TransientError."""

    session: HubSession
    base_url: str
    login: Login
    connection_id: int
    tokens: TokenCache
    throttle: Throttle
    accept: str = HAL
    _cache_key: tuple[int, str] = field(init=False)

    def __post_init__(self) -> None:
        self._cache_key = (self.connection_id, self.login.digest(self.base_url))

    # token ---------------------------------------------------------------------------------

    def token(self) -> str:
        """The cached bearer token, or a new one."""
        token = self.tokens.get(self._cache_key)
        return token if token is not None else self._token_fetch()

    def _token_fetch(self) -> str:
        body = {"grant_type": "client_credentials", "user_login": self.login.user_login}
        if self.login.tpl:  # only "single-tenant dynamic" credentials take it, in braces
            body["tpl"] = "{" + self.login.tpl + "}"
        self.throttle.wait(self.connection_id)
        response = self.session.post(
            f"{self.base_url}{TOKEN_PATH}",
            json=body,
            auth=(self.login.client_id, self.login.client_secret),
            headers={"Accept": PLAIN_JSON, "Content-Type": "application/json; charset=utf-8"},
        )
        if response.status_code in (400, 401, 403):
            raise AuthError(
                f"{LABEL} refused the login ({error_detail(response)}). {CREDENTIALS_HINT}"
            )
        _check_server(response)
        if response.status_code >= 300:
            raise ConnectorError(
                f"{LABEL} answered the login with HTTP {response.status_code}. Check the API "
                "address in the WMS settings (https://secure-wms.com for most warehouses)."
            )
        payload = _json(response)
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise TransientError(f"{LABEL} answered the login without a token; the hub will retry.")
        try:
            expires_in = float(payload.get("expires_in") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600.0
        self.tokens.put(self._cache_key, token, expires_in=expires_in)
        return token

    # transport -----------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One request with a bearer token; a 401 gets one new token and one more try (a
        refused request was not carried out, so even a create may be sent again)."""
        for attempt in (1, 2):
            token = self.token()
            self.throttle.wait(self.connection_id)
            sent = {"Authorization": f"Bearer {token}", "Accept": self.accept, **(headers or {})}
            if body is not None:
                sent["Content-Type"] = f"{self.accept}; charset=utf-8"
            response = self.session.request(
                method, f"{self.base_url}{path}", params=params, json=body, headers=sent
            )
            if response.status_code != 401:
                return response
            self.tokens.forget(self._cache_key, token)
            logger.info("%s refused a token (attempt %s); asking for a new one", LABEL, attempt)
        raise AuthError(
            f"{LABEL} refused the hub's requests although it gave a new token (HTTP 401). "
            f"{CREDENTIALS_HINT}"
        )

    def _call(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        response = self._send(method, path, params=params, body=body, headers=headers)
        status = response.status_code
        if status < 400:
            return response
        if status in (400, 403):
            raise self._refusal(response, doing=doing)
        if status == 404:
            raise NotFound(
                f"{LABEL} found nothing for {doing} (HTTP 404). If this keeps happening, check "
                "the API address in the WMS settings."
            )
        if status in (412, 428):
            raise PreconditionFailed(
                f"{LABEL} refused {doing}: the hub's copy of the order was not its current "
                f"version (HTTP {status}).",
                status=status,
            )
        _check_server(response)
        raise ConnectorError(
            f"{LABEL} refused {doing} (HTTP {status}: {error_detail(response)}). Report this "
            "to the hub's maintainers."
        )

    def _refusal(self, response: requests.Response, *, doing: str) -> ConnectorError:
        fault = fault_of(response)
        if response.status_code == 403 and fault.kind != "OperationException":
            return AuthError(
                f"{LABEL} does not let the user login do {doing} (HTTP 403"
                + (f": {fault.text}" if fault.text else "")
                + "). Ask the warehouse's 3PL Warehouse Manager administrator to give the "
                "API user the roles for orders, customers and inventory."
            )
        words = fault.text or error_detail(response)
        return Refused(
            f"{LABEL} refused {doing}: {words}", status=response.status_code, fault=fault
        )

    def _listing(self, path: str, *, doing: str, rel: str, params: Mapping[str, Any]) -> Listing:
        payload = _json(self._call("GET", path, doing=doing, params=params))
        if rel == "summaries":  # stock summaries: no _embedded, a "summaries" list
            rows = payload.get("summaries") if isinstance(payload, dict) else None
            items = [row for row in rows or [] if isinstance(row, dict)]
        else:
            items = resource_list(payload, rel)
        return Listing(items=items, total=_total(payload))

    # orders --------------------------------------------------------------------------------

    def orders_list(
        self,
        *,
        rql: str,
        page_size: int,
        page: int = 1,
        sort: str | None = None,
        detail: str | None = None,
    ) -> Listing:
        params: dict[str, Any] = {
            "pgsiz": min(page_size, ORDERS_PAGE_LIMIT),
            "pgnum": page,
            "rql": rql,
        }
        if sort:
            params["sort"] = sort
        if detail:
            params["detail"] = detail
            params["itemdetail"] = "None"
        return self._listing("/orders", doing="the order search", rel="orders/order", params=params)

    def order_get(self, order_id: int) -> tuple[dict[str, Any], str]:
        """The order and its ETag (what If-Match must say to change it)."""
        response = self._call("GET", f"/orders/{order_id}", doing=f"reading order {order_id}")
        payload = _json(response)
        if not isinstance(payload, dict):
            raise TransientError(f"{LABEL} sent order {order_id} in an unexpected shape.")
        return payload, response.headers.get("ETag", "")

    def order_create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /orders: the order as created. Never sent twice by the session: after a
        timeout the caller looks the reference up."""
        payload = _json(self._call("POST", "/orders", doing="the order", body=body))
        if not isinstance(payload, dict):
            raise TransientError(
                f"{LABEL} accepted an order but its answer could not be read; the hub will look "
                "it up by reference before sending it again."
            )
        return payload

    def order_cancel(self, order_id: int, *, etag: str, reason: str) -> None:
        self._call(
            "POST",
            f"/orders/{order_id}/canceler",
            doing=f"canceling order {order_id}",
            body={"reason": reason},
            headers={"If-Match": etag} if etag else None,
        )

    # customers, stock, carriers ------------------------------------------------------------

    def customers_list(self, *, page_size: int = CUSTOMERS_PAGE_LIMIT, page: int = 1) -> Listing:
        return self._listing(
            "/customers",
            doing="the customer list",
            rel="customers/customer",
            params={"pgsiz": min(page_size, CUSTOMERS_PAGE_LIMIT), "pgnum": page},
        )

    def customer_get(self, customer_id: int) -> dict[str, Any]:
        payload = _json(
            self._call("GET", f"/customers/{customer_id}", doing=f"reading customer {customer_id}")
        )
        if not isinstance(payload, dict):
            raise TransientError(f"{LABEL} sent customer {customer_id} in an unexpected shape.")
        return payload

    def stock_summaries(self, *, rql: str, page_size: int, page: int = 1) -> Listing:
        # No sort parameter: this collection has none, and refuses one.
        return self._listing(
            "/inventory/stocksummaries",
            doing="the stock summaries",
            rel="summaries",
            params={
                "pgsiz": min(page_size, STOCK_SUMMARIES_PAGE_LIMIT),
                "pgnum": page,
                "rql": rql,
            },
        )

    def carriers(self) -> dict[str, Any]:
        payload = _json(self._call("GET", "/properties/carriers", doing="the carrier list"))
        if not isinstance(payload, dict):
            raise TransientError(f"{LABEL} sent the carrier list in an unexpected shape.")
        return payload


def webhook_key(session: HubSession, base_url: str) -> dict[str, Any]:
    """GET /events/webhook/key: the public key webhooks are signed with; it needs no login."""
    response = session.get(f"{base_url}/events/webhook/key", headers={"Accept": PLAIN_JSON})
    _check_server(response)
    if response.status_code >= 400:
        raise ConnectorError(
            f"{LABEL} did not give its webhook key (HTTP {response.status_code}: "
            f"{error_detail(response)}). Check the API address in the WMS settings."
        )
    payload = _json(response)
    if not isinstance(payload, dict):
        raise TransientError(f"{LABEL} sent its webhook key in an unexpected shape.")
    return payload


def _check_server(response: requests.Response) -> None:
    if response.status_code >= 500:
        # The documented 500 body is plain text (a stack trace at worst): never shown.
        raise ServerFault(
            f"{LABEL} answered HTTP {response.status_code} (a fault on its side). The hub "
            "will try again.",
            status=response.status_code,
        )


def _json(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return camel_keys(response.json())
    except ValueError:
        raise TransientError(
            f"{LABEL} sent an answer the hub could not read (not JSON). The hub will try again."
        ) from None
