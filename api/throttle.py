"""Guessing keys: wrong keys for one API user are slowed, then the user is locked out.

Like the login lock-out (accounts/throttle.py, django-axes): FAILURE_LIMIT wrong keys within
FAILURE_WINDOW lock the API user for LOCKOUT; a right key does not reset the count, or a
guesser holding another pair could interleave it. Unknown API users are counted and locked
the same way, so the answers never tell whether a user exists. Counts live in the default
cache (Redis in production, shared by every web process) under a hash of the API user.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from datetime import timedelta

from django.core.cache import caches
from redis.exceptions import RedisError

from api.envelope import RATE_LIMIT, ApiError

logger = logging.getLogger(__name__)

FAILURE_LIMIT = 10
FAILURE_WINDOW = timedelta(minutes=10)
LOCKOUT = timedelta(minutes=15)
# From the SLOW_AFTER-th wrong key on, each answer waits a little longer, up to MAX_DELAY:
# a typo costs nothing, a guessing loop gets a few calls a second at most.
SLOW_AFTER = 3
DELAY_STEP = 0.25
MAX_DELAY = 2.0

LOCKED_MESSAGE = (
    "Too many wrong keys for this API user: it is locked for {minutes} minutes. Check the API "
    "user and key on the hub's API keys page, then try again after the wait."
)


def _digest(api_user: str) -> str:
    return hashlib.sha256(api_user.encode()).hexdigest()[:32]


def _failures_key(api_user: str) -> str:
    return f"api:key-failures:{_digest(api_user)}"


def _lock_key(api_user: str) -> str:
    return f"api:key-lock:{_digest(api_user)}"


def pause(seconds: float) -> None:
    """Slow the answer to a wrong key (the tests replace this to keep their time)."""
    time.sleep(seconds)


def api_lockout_check(*, api_user: str) -> None:
    """Refuse a locked API user before its key is looked at."""
    try:
        locked_until = caches["default"].get(_lock_key(api_user))
    except RedisError as error:
        logger.warning("API key lock-out not read: %s", error.__class__.__name__)
        return
    now = time.time()
    # The entry's timeout ends the lock too; the stamp makes the end exact to the second.
    if locked_until is not None and locked_until > now:
        minutes = max(1, math.ceil((locked_until - now) / 60))
        raise ApiError(RATE_LIMIT, LOCKED_MESSAGE.format(minutes=minutes))


def api_failure_record(*, api_user: str) -> int:
    """Count one wrong key, slow the answer, lock the user at the limit; the count so far."""
    backend = caches["default"]
    key = _failures_key(api_user)
    window = int(FAILURE_WINDOW.total_seconds())
    try:
        # add() then incr() is atomic on Redis; the window starts at the first failure.
        backend.add(key, 0, timeout=window)
        try:
            failures = backend.incr(key)
        except ValueError:  # expired between add() and incr(): a new window
            backend.set(key, 1, timeout=window)
            failures = 1
        if failures >= FAILURE_LIMIT:
            lockout = LOCKOUT.total_seconds()
            backend.set(_lock_key(api_user), time.time() + lockout, timeout=int(lockout))
            backend.delete(key)
            logger.warning("API user %s locked after %s wrong keys", _digest(api_user), failures)
    except RedisError as error:
        logger.warning("API key failure not counted: %s", error.__class__.__name__)
        return 0
    if failures > SLOW_AFTER:
        pause(min(MAX_DELAY, DELAY_STEP * (failures - SLOW_AFTER)))
    return failures
