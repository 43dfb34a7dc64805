"""What every API endpoint does around its view: authenticate, scope, answer in the envelope.

A view decorated with api_endpoint gets request.api (ApiContext) and returns api_ok(...) or
raises ApiError; anything else it raises is a server fault (HTTP 500, the envelope still).
Around it: the body size limit (api/bodies.py), the wrong-key lock-out (api/throttle.py), the
rate limit (api/ratelimit.py) and one "api" log line per request, without the credentials.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Account, Merchant
from api.bodies import BODY_LIMIT, api_body_size_check, api_text_check
from api.envelope import INVALID, RATE_LIMIT, ApiError, api_error
from api.keys import api_credential_check, api_credential_touch
from api.models import ApiCredential, ApiLevel
from api.ratelimit import api_rate_take
from api.throttle import api_failure_record, api_lockout_check
from carts.models import CartConnection

logger = logging.getLogger(__name__)
# One line per request: method, path (never the query string: the legacy parameters carry the
# key), process id, credential name and outcome. Never the key or the Authorization header.
request_logger = logging.getLogger("api")

PROCESS_ID_HEADER = "X-CartRover-Process-ID"
HITS_REMAINING_HEADER = "X-CartRover-Api-Minute-Hits-Remaining"
OVER_LIMIT = "Over API Limit. Please slow down requests."
WRONG_CREDENTIALS = "The API user or key is wrong, or the key was revoked."


@dataclass(frozen=True)
class ApiContext:
    """Who is calling and what they may reach: a cart's pair reaches its cart; a merchant's
    pair its merchant; a warehouse pair the account, and one merchant by X-Merchant-Pk."""

    credential: ApiCredential
    account: Account
    merchant: Merchant | None
    cart: CartConnection | None


def _basic_pair(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, key = decoded.partition(":")
    return (user, key) if separator else None


def credential_pair(request: HttpRequest) -> tuple[str, str] | None:
    """HTTP Basic, or the legacy api_user and api_key query parameters."""
    pair = _basic_pair(request)
    if pair is not None:
        return pair
    user, key = request.GET.get("api_user", ""), request.GET.get("api_key", "")
    return (user, key) if user and key else None


def api_authenticate(request: HttpRequest) -> ApiCredential:
    pair = credential_pair(request)
    if pair is None:
        raise ApiError(
            INVALID, "No credentials: send the API user and key with HTTP Basic authentication."
        )
    api_user, api_key = pair
    api_lockout_check(api_user=api_user)
    credential = api_credential_check(api_user, api_key)
    if credential is None:
        api_failure_record(api_user=api_user)
        raise ApiError(INVALID, WRONG_CREDENTIALS)
    return credential


def api_context(
    request: HttpRequest, credential: ApiCredential, *, needs_merchant: bool
) -> ApiContext:
    merchant = credential.merchant
    if credential.level == ApiLevel.WAREHOUSE:
        merchant = _merchant_from_header(request, credential, needs_merchant=needs_merchant)
    return ApiContext(
        credential=credential, account=credential.account, merchant=merchant, cart=credential.cart
    )


def _merchant_from_header(
    request: HttpRequest, credential: ApiCredential, *, needs_merchant: bool
) -> Merchant | None:
    raw = request.headers.get("X-Merchant-Pk", "").strip()
    if not raw:
        if needs_merchant:
            raise ApiError(
                INVALID, "A warehouse key acts for one merchant: send its id in X-Merchant-Pk."
            )
        return None
    merchant = (
        Merchant.objects.filter(account_id=credential.account_id, id=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if merchant is None:
        raise ApiError(INVALID, f"X-Merchant-Pk {raw[:20]} is not a merchant of this account.")
    return merchant


@dataclass
class _Call:
    """What the request log and the headers need to know about one call."""

    process_id: str
    credential: ApiCredential | None = None
    remaining: int | None = None


def api_endpoint(
    *,
    levels: Collection[str],
    methods: Collection[str] = ("GET",),
    needs_merchant: bool = True,
    rate_limited: bool = True,
    body_limit: int = BODY_LIMIT,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap an API view: method, body size, credentials, level, rate limit, scope, envelope,
    process id and the request log. rate_limited=False: the order create, which CartRover
    leaves unlimited. body_limit: api/bodies.py's BATCH_BODY_LIMIT for the batch create."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            call = _Call(process_id=uuid.uuid4().hex)
            started = time.monotonic()
            request.api_body_limit = body_limit  # type: ignore[attr-defined]
            try:
                _check(request, call, levels, methods, rate_limited=rate_limited)
                _url_text_check(request, kwargs)
                request.api = api_context(  # type: ignore[attr-defined]
                    request, call.credential, needs_merchant=needs_merchant
                )
                response, outcome = view(request, *args, **kwargs), "ok"
            except ApiError as error:
                response, outcome = api_error(error), f"{error.error_code}: {error.message}"
            except Exception:
                logger.exception(
                    "API %s %s failed (process %s)", request.method, request.path, call.process_id
                )
                response, outcome = _failure(call.process_id), "Failure"
            response[PROCESS_ID_HEADER] = call.process_id
            if call.remaining is not None:
                response[HITS_REMAINING_HEADER] = str(call.remaining)
            _log(request, call, outcome, started)
            return response

        return wrapper

    return decorate


def _check(
    request: HttpRequest,
    call: _Call,
    levels: Collection[str],
    methods: Collection[str],
    *,
    rate_limited: bool,
) -> None:
    """Everything refused before the view runs; a refused call does nothing."""
    if request.method not in methods:
        raise ApiError(INVALID, f"{request.path} takes {' or '.join(methods)}.")
    api_body_size_check(request, limit=request.api_body_limit)  # type: ignore[attr-defined]
    credential = call.credential = api_authenticate(request)
    if credential.level not in levels:
        raise ApiError(
            INVALID,
            f"A {credential.get_level_display().lower()} key cannot call {request.path}: it takes "
            f"a {' or '.join(levels)} key.",
        )
    if rate_limited:
        decision = api_rate_take(credential_id=credential.id)
        call.remaining = decision.remaining
        if not decision.allowed:
            raise ApiError(RATE_LIMIT, OVER_LIMIT)
    api_credential_touch(credential=credential)


def _url_text_check(request: HttpRequest, kwargs: dict[str, Any]) -> None:
    """A %00 in the path or the query would reach the database as a NUL and fail there."""
    texts = [value for value in kwargs.values() if isinstance(value, str)]
    texts += [text for key, values in request.GET.lists() for text in (key, *values)]
    api_text_check(texts, where="The URL")


def _failure(process_id: str) -> JsonResponse:
    return JsonResponse(
        {
            "success_code": False,
            "error_code": "Failure",
            "message": f"The hub failed to answer. Quote process id {process_id}.",
        },
        status=500,
    )


def _log(request: HttpRequest, call: _Call, outcome: str, started: float) -> None:
    credential = call.credential
    request_logger.info(
        "API %s %s process=%s credential=%s outcome=%s ms=%d",
        request.method,
        request.path,
        call.process_id,
        f'"{credential.name}" ({credential.level} #{credential.id})' if credential else "-",
        outcome[:200],
        (time.monotonic() - started) * 1000,
    )
