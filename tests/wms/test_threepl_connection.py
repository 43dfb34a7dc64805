"""3PL Warehouse Manager's login: tokens kept, refreshed early and once on 401; pacing; tests."""

from __future__ import annotations

import socket
import uuid

from django.conf import settings
from django.test import SimpleTestCase, override_settings

from integration_manager.connector_errors import AuthError, RateLimited, TransientError
from integration_manager.connectors import ConnectionContext
from tests.emulators.threepl import ThreePLEmulator
from tests.support.threepl import FakeClock, QuickThreePLConnector, ThreePLTestCase, merchant
from wms.connectors.threepl.client import Throttle, TokenCache

TPL = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"


class TokenTests(ThreePLTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.clock = FakeClock()

        class ClockedConnector(QuickThreePLConnector):
            tokens = TokenCache(clock=self.clock)

        self.clocked = ClockedConnector

    def call(self, connector: QuickThreePLConnector | None = None) -> None:
        (connector or self.connector(self.clocked)).lookup_order("HUB-1", merchant())

    def test_a_token_serves_every_call_and_connector_of_the_connection(self) -> None:
        self.call()
        self.call()
        self.call(self.connector(self.clocked))
        self.assertEqual(self.token_requests(), 1)
        [login] = self.emulator.requests_to("POST", r"^/AuthServer/api/Token$")
        self.assertEqual(
            login.json(), {"grant_type": "client_credentials", "user_login": "hub-api-user"}
        )
        self.assertTrue(login.header("authorization").startswith("Basic "))

    def test_each_connection_has_its_own_token(self) -> None:
        self.call(self.connector(self.clocked, connection_id=1))
        self.call(self.connector(self.clocked, connection_id=2))
        self.assertEqual(self.token_requests(), 2)

    def test_a_token_is_replaced_before_it_expires(self) -> None:
        self.call()
        self.clock.advance(30 * 60 - 1)
        self.call()
        self.assertEqual(self.token_requests(), 1)
        self.clock.advance(2)  # 3600 s tokens are kept 30 minutes, as Extensiv asks
        self.call()
        self.assertEqual(self.token_requests(), 2)
        self.assertNotIn(401, self.statuses("GET", r"^/orders$"))

    def test_a_short_lived_token_is_replaced_a_margin_before_its_end(self) -> None:
        self.emulator.token_lifetime = 600
        self.call()
        self.clock.advance(600 - 120)
        self.call()
        self.assertEqual(self.token_requests(), 2)
        self.assertNotIn(401, self.statuses("GET", r"^/orders$"))

    def test_a_token_refused_early_is_replaced_once(self) -> None:
        self.call()
        self.emulator.expire_tokens()
        self.call()
        self.assertEqual(self.token_requests(), 2)
        self.assertEqual(self.statuses("GET", r"^/orders$"), [200, 401, 200])

    def test_the_3pl_key_goes_in_braces_when_given(self) -> None:
        self.emulator.tpl = TPL
        self.call(self.connector(self.clocked, tpl=TPL))
        [login] = self.emulator.requests_to("POST", r"^/AuthServer/api/Token$")
        self.assertEqual(login.json()["tpl"], "{" + TPL + "}")


class TestConnectionTests(ThreePLTestCase):
    def test_it_says_where_it_connected_and_what_it_sees(self) -> None:
        message = self.connector().test_connection()
        self.assertIn("Connected to 3PL Warehouse Manager at 127.0.0.1", message)
        self.assertIn("“hub-api-user”", message)
        self.assertIn("3 customer(s) visible", message)

    def test_a_wrong_secret_is_a_refused_login(self) -> None:
        wrong = {"client_id": self.emulator.client_id, "client_secret": "not-the-secret-123"}
        with self.assertRaises(AuthError) as caught:
            self.connector(credentials=wrong).test_connection()
        self.assertIn("refused the login (invalid_client)", str(caught.exception))
        self.assertNotIn("not-the-secret-123", str(caught.exception))

    def test_a_wrong_user_login_is_a_refused_login_with_the_wms_words(self) -> None:
        with self.assertRaises(AuthError) as caught:
            self.connector(user_login="someone-else").test_connection()
        self.assertIn("Unknown user_login", str(caught.exception))

    def test_a_missing_3pl_key_is_a_refused_login(self) -> None:
        self.emulator.tpl = TPL
        with self.assertRaises(AuthError) as caught:
            self.connector(tpl="").test_connection()
        self.assertIn("Bad tpl", str(caught.exception))

    def test_missing_credentials_say_what_to_type(self) -> None:
        with self.assertRaises(AuthError) as caught:
            self.connector(credentials={}).test_connection()
        self.assertIn("client id, client secret or user login", str(caught.exception))

    def test_a_server_that_answers_the_login_with_a_fault_is_transient(self) -> None:
        self.emulator.server_error_next(500, path_contains="/AuthServer")
        with self.assertRaises(TransientError) as caught:
            self.connector().test_connection()
        self.assertIn("HTTP 500", str(caught.exception))
        self.assertNotIn("reference 7f3c2a", str(caught.exception))  # plain text never shown

    def test_nothing_listening_says_so(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with self.assertRaises(TransientError) as caught:
            self.connector(base_url=f"http://127.0.0.1:{port}").test_connection()
        self.assertIn("refused the connection", str(caught.exception))

    def test_a_host_that_does_not_exist_says_so(self) -> None:
        with self.assertRaises(TransientError) as caught:
            self.connector(base_url="https://no-such-host.invalid").test_connection()
        self.assertIn("could not be found", str(caught.exception))


class ThrottleTests(SimpleTestCase):
    def test_a_burst_goes_at_once_then_the_steady_rate(self) -> None:
        clock = FakeClock()
        throttle = Throttle(per_minute=400, burst=20, clock=clock, sleep=clock.sleep)
        for _ in range(20):
            throttle.wait(1)
        self.assertEqual(clock.sleeps, [])
        throttle.wait(1)
        self.assertAlmostEqual(clock.sleeps[0], 60 / 380)

    def test_no_minute_ever_holds_more_than_400_requests(self) -> None:
        clock = FakeClock()
        throttle = Throttle(per_minute=400, burst=20, clock=clock, sleep=clock.sleep)
        sent = []
        for _ in range(1500):
            throttle.wait(1)
            sent.append(clock.now)
        busiest = max(
            sum(1 for moment in sent[index:] if moment < start + 60)
            for index, start in enumerate(sent)
        )
        self.assertLessEqual(busiest, 400)
        self.assertGreater(busiest, 390)  # and it does not hold back much more than that

    def test_connections_are_paced_apart(self) -> None:
        clock = FakeClock()
        throttle = Throttle(per_minute=400, burst=20, clock=clock, sleep=clock.sleep)
        for connection_id in range(1, 6):
            for _ in range(20):
                throttle.wait(connection_id)
        self.assertEqual(clock.sleeps, [])

    def test_a_long_queue_goes_back_to_the_schedule(self) -> None:
        clock = FakeClock()
        throttle = Throttle(per_minute=400, burst=20, clock=clock, sleep=lambda seconds: None)
        with self.assertRaises(RateLimited) as caught:
            for _ in range(200):  # many threads at once: nobody sleeps them off here
                throttle.wait(1)
        self.assertGreater(caught.exception.retry_after, 5)

    def test_worker_processes_share_one_pace_through_redis(self) -> None:
        # Two throttles stand for two worker processes: with Redis as the cache they count
        # together, so the second one waits where a bucket of its own would not.
        clock, waits = FakeClock(), []
        cache = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,  # this test process's own database
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
        first, second = (
            Throttle(per_minute=62, burst=2, sleep=waits.append, wall_clock=lambda: clock.now)
            for _ in range(2)
        )
        with override_settings(CACHES={"default": cache}):
            first.wait(7)
            first.wait(7)
            self.assertEqual(waits, [])  # the burst
            second.wait(7)
            second.wait(8)  # another connection has its own pace
        self.assertEqual(len(waits), 1)
        self.assertAlmostEqual(waits[0], 1.0, places=3)  # 60 a minute after the burst

    def test_without_redis_the_pace_is_kept_in_the_process(self) -> None:
        clock, waits = FakeClock(), []
        unreachable = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
        throttle = Throttle(per_minute=62, burst=2, clock=clock, sleep=waits.append)
        with (
            override_settings(CACHES={"default": unreachable}),
            self.assertLogs("wms.connectors.threepl.client", "WARNING"),
        ):
            for _ in range(3):
                throttle.wait(7)
        self.assertEqual(len(waits), 1)

    def test_the_connector_paces_its_requests(self) -> None:
        clock = FakeClock()

        class PacedConnector(QuickThreePLConnector):
            tokens = TokenCache()
            throttle = Throttle(per_minute=400, burst=3, clock=clock, sleep=clock.sleep)

        emulator = ThreePLEmulator()
        emulator.start()
        self.addCleanup(emulator.stop)
        connector = PacedConnector(
            settings=emulator.connector_settings(),
            credentials=emulator.connector_credentials(),
            context=ConnectionContext(connection_id=9, account_id=1, label="Paced"),
        )
        for _ in range(3):
            connector.lookup_order("HUB-1", merchant())
        # 1 login and 3 lookups: the fourth request waited its turn.
        self.assertEqual(len(clock.sleeps), 1)
        self.assertAlmostEqual(clock.sleeps[0], 60 / 397)
