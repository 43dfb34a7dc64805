"""HTTP to one WooCommerce store: its paths, its two ways of sending keys, its error bodies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from integration_manager.connector_errors import AuthError, TransientError
from integration_manager.http import HubSession, check_response, error_detail, remote_text

API = "/wp-json/wc/v3"
TRACKING_API = "/wp-json/wc-shipment-tracking/v3"
# WooCommerce takes keys over plain http only as OAuth 1.0a signatures; Basic and query-string
# keys need TLS, except on this machine (the emulators, a developer's local store).

KEYS_PAGE = "WooCommerce > Settings > Advanced > REST API"
READ_ONLY = (
    "The WooCommerce API key has Read permission only, and the hub must also write (order "
    f"status, tracking, stock). In {KEYS_PAGE}, edit the key, set Permissions to Read/Write "
    "and save; the consumer key and secret stay the same."
)


@dataclass(frozen=True)
class Reply:
    """A WooCommerce answer the caller has to interpret (2xx, or a 4xx other than 401/403)."""

    status: int
    data: Any
    headers: Mapping[str, str]
    detail: str = ""
    readable: bool = True  # False: the body was not JSON (an HTML page, a PHP notice)
    in_query: bool = False  # whether the keys went in the query string
    response: requests.Response | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str:
        """WordPress's error code ("rest_no_route", "woocommerce_rest_…"), or ""."""
        return (
            remote_text(self.data.get("code") or "", limit=80)
            if isinstance(self.data, dict)
            else ""
        )

    @property
    def message(self) -> str:
        return remote_text(self.data.get("message") or "") if isinstance(self.data, dict) else ""


class WooCommerceClient:
    """Requests to /wp-json/… with the keys, WooCommerce's refusals turned into the error family.

    401/403 raise AuthError with what to fix, 429 RateLimited, 5xx TransientError, a 2xx that
    is not JSON TransientError; any other 4xx comes back as a Reply for the caller to judge.
    """

    def __init__(
        self,
        *,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        query_string_auth: bool,
        session: HubSession,
        label: str = "WooCommerce",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = consumer_key
        self._secret = consumer_secret
        self.query_string_auth = query_string_auth
        self.session = session
        self.label = label

    def __repr__(self) -> str:  # never the keys
        return f"<WooCommerceClient {urlsplit(self.base_url).hostname}>"

    # requests --------------------------------------------------------------------------

    def get(self, path: str, *, params: Mapping[str, Any] | None = None, api: str = API) -> Reply:
        return self.request("GET", path, params=params, api=api)

    def post(self, path: str, *, body: Any, api: str = API) -> Reply:
        return self.request("POST", path, body=body, api=api)

    def put(self, path: str, *, body: Any, api: str = API) -> Reply:
        return self.request("PUT", path, body=body, api=api)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        api: str = API,
        authenticate: bool = True,
        query_string_auth: bool | None = None,
        interpret: bool = True,
    ) -> Reply:
        """One call. interpret=False returns every answer as a Reply (test_connection reads
        refusals itself); timeouts and connection errors raise TransientError either way."""
        query = dict(params or {})
        auth: tuple[str, str] | None = None
        in_query = self.query_string_auth if query_string_auth is None else query_string_auth
        if authenticate and in_query:
            # For hosts that drop the Authorization header; the HTTP helper never logs queries.
            query.update(consumer_key=self._key, consumer_secret=self._secret)
        elif authenticate:
            auth = (self._key, self._secret)
        response = self.session.request(
            method,
            f"{self.base_url}{api}{path}",
            params=query or None,
            json=body,
            auth=auth,
            headers={"Accept": "application/json"},
        )
        try:
            data = json.loads(response.content) if response.content else None
            readable = True
        except ValueError:
            data, readable = None, False
        reply = Reply(
            status=response.status_code,
            data=data,
            headers=response.headers,
            detail=error_detail(response) if response.status_code >= 400 else "",
            readable=readable,
            in_query=in_query,
            response=response,
        )
        if interpret:
            self.interpret(reply)
        return reply

    def interpret(self, reply: Reply) -> Reply:
        """Raise the error family for what every call means the same way; else the reply."""
        if reply.status in (401, 403):
            raise AuthError(self.refusal(reply, in_query=reply.in_query))
        if reply.response is not None:
            check_response(reply.response, label=self.label, auth_hint="")
        if reply.ok and not reply.readable:
            raise TransientError(
                f"{self.label} answered with something that is not JSON (often a PHP notice, or "
                "a maintenance or security page printed before the data). The hub will try "
                "again; if this keeps happening, ask the store's developer to check the PHP "
                "error log."
            )
        return reply

    # messages --------------------------------------------------------------------------

    def refusal(self, reply: Reply, *, in_query: bool) -> str:
        """What a 401/403 means, in words that say what to change."""
        code, text = reply.code, reply.message.casefold()
        if code == "woocommerce_rest_authentication_error":
            if "write permission" in text:
                return READ_ONLY
            if "read permission" in text:
                return (
                    "The WooCommerce API key has Write permission only, and the hub must also "
                    f"read orders. In {KEYS_PAGE}, set the key's Permissions to Read/Write."
                )
            if "secret" in text:
                return (
                    "WooCommerce knows the consumer key but refused the consumer secret. Paste "
                    "the consumer secret (it starts with cs_) shown when the key was made; if "
                    f"it is lost, make a new key in {KEYS_PAGE} and paste both."
                )
            if "consumer key" in text:
                return (
                    "WooCommerce does not know this consumer key. Paste the consumer key (it "
                    f"starts with ck_) of a key listed in {KEYS_PAGE}."
                )
            return (
                f"WooCommerce refused the API keys (HTTP {reply.status}). Check the consumer "
                f"key and secret in {KEYS_PAGE}."
            )
        if code.startswith("woocommerce_rest_cannot_") or code == "rest_forbidden":
            if reply.status == 403:
                return (
                    "WooCommerce accepted the API key, but its WordPress user may not manage "
                    f"orders and products. In {KEYS_PAGE}, make a key for an administrator or "
                    "shop manager, with Read/Write permission."
                )
            if in_query:
                return (
                    "WooCommerce did not recognise the API keys. Paste the consumer key (ck_…) "
                    f"and consumer secret (cs_…) of a key listed in {KEYS_PAGE}."
                )
            return (
                "WooCommerce did not recognise the API keys. Paste the consumer key (ck_…) and "
                f"consumer secret (cs_…) of a key listed in {KEYS_PAGE}. If they are right, the "
                "web server is removing the Authorization header: turn on “Send the keys in "
                "the query string” and save."
            )
        if not isinstance(reply.data, dict):
            return (
                f"The store refused the request (HTTP {reply.status}) with a page that is not "
                "WooCommerce's: a security plugin or firewall may be blocking the hub. Allow "
                "requests to /wp-json/wc/v3/ from the hub, then test the connection again."
            )
        return (
            f"WooCommerce refused the request (HTTP {reply.status}, {code or 'no code'}). "
            f"Check the API keys in {KEYS_PAGE}."
        )

    def not_woocommerce(self) -> str:
        return (
            f"{self.base_url} does not answer like a WooCommerce store (no /wp-json/wc/v3/ "
            "there). Check the store address in the settings (the site's home page, e.g. "
            "https://shop.example.com), that WooCommerce is active, and that WordPress "
            "permalinks are not set to “Plain”."
        )
