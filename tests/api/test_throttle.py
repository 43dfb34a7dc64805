"""Guessing keys: slowed, then locked; and bodies over the documented size."""

from __future__ import annotations

import json
import uuid
from unittest import mock

from django.conf import settings
from django.test import override_settings

from api import throttle
from api.bodies import BATCH_BODY_LIMIT, BODY_LIMIT
from api.endpoints import WRONG_CREDENTIALS
from api.keys import api_credential_issue
from api.models import ApiLevel
from tests.api import probe_urls
from tests.api.calls import api_get, basic
from tests.base import BaseTestCase

WHOAMI = "/v1/probe/whoami"


@override_settings(ROOT_URLCONF="tests.api.probe_urls")
class LockoutTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        probe_urls.CALLS.clear()
        self.issued = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Bob's ERP",
            merchant=self.bobs_merchant,
        )
        patcher = mock.patch.object(throttle, "pause")
        self.pause = patcher.start()
        self.addCleanup(patcher.stop)

    def guess(self, api_user: str, key: str = "a-guess") -> dict:
        return self.client.get(WHOAMI, headers={"Authorization": basic(api_user, key)}).json()

    def test_wrong_keys_are_slowed_then_locked(self) -> None:
        api_user = self.issued.credential.api_user
        answers = [self.guess(api_user) for _ in range(throttle.FAILURE_LIMIT)]
        self.assertEqual({answer["message"] for answer in answers}, {WRONG_CREDENTIALS})
        delays = [call.args[0] for call in self.pause.call_args_list]
        self.assertEqual(len(delays), throttle.FAILURE_LIMIT - throttle.SLOW_AFTER)
        self.assertEqual(delays, sorted(delays))
        self.assertLessEqual(max(delays), throttle.MAX_DELAY)

        # Locked: even the right key is refused, and the view never runs.
        with self.assertLogs("api", "INFO"):
            locked = api_get(self.client, WHOAMI, self.issued).json()
        self.assertEqual(locked["error_code"], "RateLimit")
        self.assertIn("locked for 15 minutes", locked["message"])
        self.assertEqual(probe_urls.CALLS, [])

    def test_an_unknown_user_is_locked_with_the_same_words(self) -> None:
        for _ in range(throttle.FAILURE_LIMIT):
            self.guess("hub_nobody")
        unknown = self.guess("hub_nobody")
        for _ in range(throttle.FAILURE_LIMIT):
            self.guess(self.issued.credential.api_user)
        known = self.guess(self.issued.credential.api_user)
        self.assertEqual(unknown, known)

    def test_the_lock_is_per_api_user(self) -> None:
        for _ in range(throttle.FAILURE_LIMIT):
            self.guess("hub_nobody")
        self.assertTrue(api_get(self.client, WHOAMI, self.issued).json()["success_code"])

    def test_few_wrong_keys_neither_slow_nor_lock(self) -> None:
        for _ in range(throttle.SLOW_AFTER):
            self.guess(self.issued.credential.api_user)
        self.pause.assert_not_called()
        self.assertTrue(api_get(self.client, WHOAMI, self.issued).json()["success_code"])

    def test_it_locks_on_redis(self) -> None:
        redis = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # its keys expire within 15 minutes
        }
        with override_settings(CACHES={"default": redis}):
            for _ in range(throttle.FAILURE_LIMIT):
                self.guess("hub_nobody")
            self.assertEqual(self.guess("hub_nobody")["error_code"], "RateLimit")
            self.assertTrue(api_get(self.client, WHOAMI, self.issued).json()["success_code"])

    def test_the_lock_ends(self) -> None:
        for _ in range(throttle.FAILURE_LIMIT):
            self.guess(self.issued.credential.api_user)
        later = throttle.time.time() + throttle.LOCKOUT.total_seconds() + 1
        self.assertEqual(
            api_get(self.client, WHOAMI, self.issued).json()["error_code"], "RateLimit"
        )
        with mock.patch.object(throttle.time, "time", return_value=later):
            answer = api_get(self.client, WHOAMI, self.issued).json()
        self.assertIs(answer["success_code"], True)


@override_settings(ROOT_URLCONF="tests.api.probe_urls")
class BodySizeTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        probe_urls.CALLS.clear()
        issued = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Bob's ERP",
            merchant=self.bobs_merchant,
        )
        self.authorization = basic(issued.credential.api_user, issued.api_key)

    def post(self, path: str, body: str | bytes) -> dict:
        return self.client.post(
            path,
            data=body,
            content_type="application/json",
            headers={"Authorization": self.authorization},
        ).json()

    def padded(self, size: int) -> str:
        """A JSON list of about size bytes."""
        return json.dumps(["x" * 1000] * (size // 1000 + 1))

    def test_a_body_over_1_mb_is_refused_before_parsing(self) -> None:
        answer = self.post("/v1/probe/echo", self.padded(BODY_LIMIT + 10))
        self.assertEqual(answer["error_code"], "Invalid")
        self.assertIn("over 1 MB", answer["message"])
        self.assertEqual(probe_urls.CALLS, [])

    def test_the_batch_create_takes_up_to_5_mb(self) -> None:
        answer = self.post("/v1/probe/batch", self.padded(BODY_LIMIT * 3))
        self.assertIs(answer["success_code"], True)
        answer = self.post("/v1/probe/batch", self.padded(BATCH_BODY_LIMIT + 10))
        self.assertIn("over 5 MB", answer["message"])

    def test_malformed_json_is_refused_with_its_place(self) -> None:
        answer = self.post("/v1/probe/echo", '{"order": ')
        self.assertEqual(answer["error_code"], "Invalid")
        self.assertIn("not valid JSON at line 1", answer["message"])

    def test_an_empty_body_is_refused(self) -> None:
        self.assertIn("body is empty", self.post("/v1/probe/echo", "")["message"])

    def test_a_body_within_the_limit_is_parsed(self) -> None:
        answer = self.post("/v1/probe/echo", '{"a": "é"}')
        self.assertEqual(answer, {"success_code": True, "response": {"a": "é"}})
