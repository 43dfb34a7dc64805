"""Limits on guessing: failed logins (django-axes' hooks) and counted e-mail requests."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Iterable
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# E-mail requests (password reset, sign-up) per hour: an address may be a whole office
# behind one router, an e-mail is one person's inbox.
REQUEST_WINDOW_SECONDS = 3600
REQUEST_LIMITS = {"address": 20, "email": 5}


def client_address(request: HttpRequest) -> str | None:
    """The address the outermost of our PROXY_COUNT proxies saw the client come from.

    Only the entries our own proxies appended to X-Forwarded-For are trusted: anything to
    their left was sent by the client and would let it pick a fresh address per guess.
    """
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The e-mail a login attempt was for, as users are stored: Bob@X and bob@x count together."""
    if credentials is not None:
        value = credentials.get("username") or credentials.get("email")
    else:
        value = request.POST.get("username")
    return value.strip().lower() if isinstance(value, str) else None


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lock-out check before the password is looked at.

    authenticate() without a request (the shell, the test client's login()) has no client
    to count; axes would refuse it with an error, so it is left to the next backend.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class LoginAttemptsHandler(AxesDatabaseHandler):
    """Axes' database handler, with a higher limit for an address than for an account.

    One address is often a whole warehouse behind one router: one person's typos must not
    lock out their colleagues, while a guesser trying many accounts from it still stops.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # One count per AXES_LOCKOUT_PARAMETERS entry: ["username", "ip_address"].
        by_username, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        # Axes compares one number with AXES_FAILURE_LIMIT: the address's count is scaled
        # so that it reaches that limit at LOGIN_ADDRESS_FAILURE_LIMIT.
        scaled = by_address * settings.AXES_FAILURE_LIMIT // settings.LOGIN_ADDRESS_FAILURE_LIMIT
        return max(by_username, scaled)


def lockout_minutes(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return math.ceil(cool_off.total_seconds() / 60) if cool_off else 0


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page a locked-out login gets instead of the login form (429)."""
    context = {
        "username": login_username(request, credentials) or "",
        "minutes": lockout_minutes(request),
    }
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def login_lockouts(usernames: Iterable[str]) -> set[str]:
    """Which of these e-mails are locked out now (by their own failures, not their address's)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def login_unlock(*, username: str) -> int:
    """Forget the failed logins for this e-mail, from every address; the count removed."""
    # The rows also counted towards their addresses' limits: an address locked only by this
    # user's own mistakes is free again too.
    return reset(username=username.strip().lower())


def request_throttle(*, action: str, address: str | None, email: str) -> int | None:
    """Count one e-mail request; the minutes to wait when the address or the e-mail is over
    its hourly limit, else None.

    Fixed hourly windows in the cache: add() then incr() is atomic on Redis, so web
    processes count together. Keys hold hashes, never the address or the e-mail.
    """
    now = time.time()
    window = int(now // REQUEST_WINDOW_SECONDS)
    over = False
    for kind, value in (("address", address), ("email", email.strip().lower())):
        if not value:
            continue
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        key = f"throttle:{action}:{kind}:{digest}:{window}"
        try:
            count = _count(key)
        except RedisError as error:
            # Open, not shut: while Redis is away people can still reset a password.
            logger.warning("%s throttle not counted: %s", action, error.__class__.__name__)
            return None
        over = over or count > REQUEST_LIMITS[kind]
    if not over:
        return None
    return math.ceil((REQUEST_WINDOW_SECONDS - now % REQUEST_WINDOW_SECONDS) / 60)


def _count(key: str) -> int:
    cache.add(key, 0, timeout=REQUEST_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr(): a new window
        cache.set(key, 1, timeout=REQUEST_WINDOW_SECONDS)
        return 1
