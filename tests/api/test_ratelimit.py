"""The leaky bucket: 100 calls, one more every 0.6 s, per credential, on Redis and in process."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from api import ratelimit
from api.endpoints import HITS_REMAINING_HEADER, OVER_LIMIT
from api.keys import api_credential_issue
from api.models import ApiLevel
from api.ratelimit import BUCKET_SIZE, LEAK_SECONDS, api_rate_take
from tests.api import probe_urls
from tests.api.calls import api_get, basic
from tests.base import BaseTestCase

WHOAMI = "/v1/probe/whoami"


def redis_cache() -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": settings.CELERY_BROKER_URL,  # this test process's own Redis database
        "KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # its buckets expire within a minute
    }


class BucketTests(BaseTestCase):
    """api_rate_take on both stores; the same numbers either way."""

    def check_bucket(self) -> None:
        now = 1_000_000.0
        decisions = [api_rate_take(credential_id=7, now=now) for _ in range(BUCKET_SIZE)]
        self.assertTrue(all(decision.allowed for decision in decisions))
        self.assertEqual(decisions[0].remaining, BUCKET_SIZE - 1)
        self.assertEqual(decisions[-1].remaining, 0)
        over = api_rate_take(credential_id=7, now=now)
        self.assertFalse(over.allowed)
        self.assertEqual(over.remaining, 0)
        # Another credential has its own bucket.
        self.assertTrue(api_rate_take(credential_id=8, now=now).allowed)
        # One call leaks out every LEAK_SECONDS: one fits again, not two.
        later = now + LEAK_SECONDS + 0.01
        self.assertTrue(api_rate_take(credential_id=7, now=later).allowed)
        self.assertFalse(api_rate_take(credential_id=7, now=later).allowed)
        # An idle minute empties the bucket.
        self.assertEqual(
            api_rate_take(credential_id=7, now=now + BUCKET_SIZE * LEAK_SECONDS + 1).remaining,
            BUCKET_SIZE - 1,
        )

    def test_it_leaks_in_process(self) -> None:
        self.assertEqual(caches["default"].__class__.__name__, "LocMemCache")
        self.check_bucket()

    def test_it_leaks_on_redis(self) -> None:
        with override_settings(CACHES={"default": redis_cache()}):
            self.assertEqual(caches["default"].__class__.__name__, "RedisCache")
            self.check_bucket()

    def check_concurrent_calls(self) -> None:
        # Eight threads race for the bucket: exactly BUCKET_SIZE calls get in, never more.
        with ThreadPoolExecutor(max_workers=8) as pool:
            decisions = list(
                pool.map(
                    lambda _: api_rate_take(credential_id=9, now=2_000_000.0),
                    range(BUCKET_SIZE + 50),
                )
            )
        self.assertEqual(sum(decision.allowed for decision in decisions), BUCKET_SIZE)

    def test_concurrent_calls_never_overfill_in_process(self) -> None:
        self.check_concurrent_calls()

    def test_concurrent_calls_never_overfill_on_redis(self) -> None:
        with override_settings(CACHES={"default": redis_cache()}):
            self.check_concurrent_calls()

    def test_without_redis_calls_are_let_through(self) -> None:
        unreachable = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
        with (
            override_settings(CACHES={"default": unreachable}),
            self.assertLogs("api.ratelimit", "WARNING"),
        ):
            self.assertTrue(api_rate_take(credential_id=7).allowed)


@override_settings(ROOT_URLCONF="tests.api.probe_urls")
class RateLimitedEndpointTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        probe_urls.CALLS.clear()
        self.issued = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Bob's ERP",
            merchant=self.bobs_merchant,
        )
        # A hundred test calls take longer than 0.6 s: the bucket's clock stands still.
        patcher = mock.patch.object(ratelimit.time, "time", return_value=1_000_000.0)
        patcher.start()
        self.addCleanup(patcher.stop)

    def flood(self) -> None:
        responses = [api_get(self.client, WHOAMI, self.issued) for _ in range(BUCKET_SIZE)]
        self.assertTrue(all(response.json()["success_code"] for response in responses))
        self.assertEqual(responses[0][HITS_REMAINING_HEADER], str(BUCKET_SIZE - 1))
        probe_urls.CALLS.clear()
        over = api_get(self.client, WHOAMI, self.issued)
        self.assertEqual(
            over.json(),
            {"success_code": False, "error_code": "RateLimit", "message": OVER_LIMIT},
        )
        self.assertEqual(over[HITS_REMAINING_HEADER], "0")
        self.assertEqual(probe_urls.CALLS, [])  # nothing done

    def test_a_flood_past_the_limit_is_refused(self) -> None:
        self.flood()

    def test_a_flood_past_the_limit_is_refused_on_redis(self) -> None:
        with override_settings(CACHES={"default": redis_cache()}):
            self.flood()

    def test_the_order_create_is_not_limited(self) -> None:
        self.flood()
        authorization = basic(self.issued.credential.api_user, self.issued.api_key)
        response = self.client.post(
            "/v1/probe/unlimited",
            data="[1, 2]",
            content_type="application/json",
            headers={"Authorization": authorization},
        )
        self.assertEqual(response.json(), {"success_code": True, "received": 2})
        self.assertNotIn(HITS_REMAINING_HEADER, response)

    def test_each_credential_has_its_own_bucket(self) -> None:
        self.flood()
        other = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Other's ERP",
            merchant=self.other_merchant,
        )
        self.assertTrue(api_get(self.client, WHOAMI, other).json()["success_code"])
