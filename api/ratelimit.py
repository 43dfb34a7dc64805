"""The API's rate limit: a leaky bucket of BUCKET_SIZE calls per credential, one call leaking
out every LEAK_SECONDS (CartRover's 100 calls, refilled at 100 a minute).

The bucket lives in the default cache. On Redis one Lua script reads, leaks, fills and writes
it, so every web process counts together and two calls cannot both take the last place. Any
other cache (LocMem: the embedded mode, the tests) has one process, and a lock in it is enough.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

BUCKET_SIZE = 100
LEAK_SECONDS = 0.6
# An idle bucket is empty after BUCKET_SIZE * LEAK_SECONDS: keep it no longer than that.
BUCKET_TIMEOUT = math.ceil(BUCKET_SIZE * LEAK_SECONDS) + 1

# KEYS[1] the bucket; ARGV: size, seconds per leaked call, now (seconds).
# Returns {1 if the call fits, the places left} — numbers as strings keep their fractions.
_FILL_SCRIPT = """
local state = redis.call('HMGET', KEYS[1], 'level', 'at')
local size = tonumber(ARGV[1])
local leak = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local level = tonumber(state[1]) or 0
local at = tonumber(state[2]) or now
level = math.max(0, level - math.max(0, now - at) / leak)
if level + 1 > size then
  return {0, tostring(size - level)}
end
level = level + 1
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {1, tostring(size - level)}
"""

_local_lock = threading.Lock()


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int  # whole calls that fit now, for X-CartRover-Api-Minute-Hits-Remaining


def _bucket_key(credential_id: int) -> str:
    return f"api:bucket:{credential_id}"


def api_rate_take(*, credential_id: int, now: float | None = None) -> RateDecision:
    """Put one call in the credential's bucket if it fits; a full bucket refuses it."""
    now = time.time() if now is None else now
    backend = caches["default"]
    try:
        if isinstance(backend, RedisCache):
            return _take_on_redis(backend, credential_id, now)
    except RedisError as error:
        # Open, not shut: a Redis outage must not stop every cart's orders.
        logger.warning("API rate limit not counted: %s", error.__class__.__name__)
        return RateDecision(allowed=True, remaining=BUCKET_SIZE)
    return _take_in_process(backend, credential_id, now)


def _take_on_redis(backend: RedisCache, credential_id: int, now: float) -> RateDecision:
    key = backend.make_and_validate_key(_bucket_key(credential_id))
    client = backend._cache.get_client(key, write=True)
    allowed, remaining = client.eval(
        _FILL_SCRIPT, 1, key, BUCKET_SIZE, LEAK_SECONDS, repr(now), BUCKET_TIMEOUT
    )
    return RateDecision(allowed=bool(int(allowed)), remaining=int(float(remaining)))


def _take_in_process(backend: BaseCache, credential_id: int, now: float) -> RateDecision:
    key = _bucket_key(credential_id)
    with _local_lock:
        level, at = backend.get(key, (0.0, now))
        level = max(0.0, level - max(0.0, now - at) / LEAK_SECONDS)
        if level + 1 > BUCKET_SIZE:
            return RateDecision(allowed=False, remaining=int(BUCKET_SIZE - level))
        level += 1
        backend.set(key, (level, now), timeout=BUCKET_TIMEOUT)
    return RateDecision(allowed=True, remaining=int(BUCKET_SIZE - level))
