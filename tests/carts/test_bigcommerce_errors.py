"""BigCommerce misbehaviour → the designed errors; test_connection says what is wrong."""

from __future__ import annotations

from integration_manager.connector_errors import AuthError, RateLimited, TransientError
from integration_manager.records import StockLevel
from tests.emulators.bigcommerce import (
    INVENTORY_MODIFY,
    ORDERS_MODIFY,
    PRODUCTS_MODIFY,
    PRODUCTS_READ,
    BigCommerceEmulator,
)
from tests.support.bigcommerce import BigCommerceTestCase

WRONG_TOKEN = "revoked-token-0123456789"


class DownloadErrorTests(BigCommerceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.emulator.seed_orders(3)

    def fetch(self) -> None:
        list(self.connector().fetch_orders(None))

    def test_a_refused_token_is_an_auth_error_that_says_what_to_do(self) -> None:
        with self.assertRaises(AuthError) as caught:
            list(self.connector(credentials={"access_token": WRONG_TOKEN}).fetch_orders(None))
        message = str(caught.exception)
        self.assertIn("refused the access token", message)
        self.assertIn("Store-level API accounts", message)
        self.assertNotIn(WRONG_TOKEN, message)

    def test_a_revoked_token_mid_download_is_an_auth_error(self) -> None:
        self.emulator.fail_next(
            401, body=[{"status": 401, "message": "Unauthorized"}], path_contains="/products"
        )
        with self.assertRaises(AuthError):
            self.fetch()

    def test_an_unknown_store_hash_is_an_auth_error_naming_it(self) -> None:
        with self.assertRaises(AuthError) as caught:
            list(self.connector(store_hash="nosuchstore").fetch_orders(None))
        self.assertIn("no store with the hash “nosuchstore”", str(caught.exception))

    def test_a_429_with_a_long_reset_is_rate_limited_for_that_long(self) -> None:
        self.emulator.throttle_next(reset_ms=15_000)
        with self.assertRaises(RateLimited) as caught:
            self.fetch()
        self.assertEqual(caught.exception.retry_after, 15.0)

    def test_a_429_with_a_short_reset_is_waited_out(self) -> None:
        self.emulator.throttle_next(reset_ms=50)
        pages = list(self.connector().fetch_orders(None))
        self.assertEqual(sum(len(page.orders) for page in pages), 3)
        self.assertEqual(self.emulator.exchanges[0][1].status, 429)

    def test_a_spent_quota_stops_before_a_certain_429(self) -> None:
        self.emulator.set_rate_limit(quota=2, window_ms=60_000)
        with self.assertRaises(RateLimited) as caught:
            self.fetch()
        self.assertGreater(caught.exception.retry_after, 50)
        # Two requests spent the quota; the third was never sent.
        self.assertEqual(len(self.emulator.requests), 2)
        self.assertEqual([response.status for _, response in self.emulator.exchanges], [200, 200])

    def test_every_answer_carries_the_rate_limit_headers(self) -> None:
        self.emulator.set_rate_limit(quota=500, window_ms=30_000)
        self.fetch()
        for _, response in self.emulator.exchanges:
            self.assertEqual(response.headers["X-Rate-Limit-Requests-Quota"], "500")
            self.assertEqual(response.headers["X-Rate-Limit-Time-Window-Ms"], "30000")
            self.assertIn("X-Rate-Limit-Time-Reset-Ms", response.headers)
        lefts = [int(r.headers["X-Rate-Limit-Requests-Left"]) for _, r in self.emulator.exchanges]
        self.assertEqual(lefts, sorted(lefts, reverse=True))

    def test_server_errors_are_transient_after_the_retries(self) -> None:
        self.emulator.fail_next(503, times=3)
        with self.assertRaises(TransientError) as caught:
            self.fetch()
        self.assertIn("HTTP 503", str(caught.exception))

    def test_one_server_error_is_retried(self) -> None:
        self.emulator.fail_next(500)
        self.fetch()
        self.assertEqual(self.emulator.exchanges[0][1].status, 500)
        self.assertEqual(self.emulator.exchanges[1][1].status, 200)

    def test_a_slow_answer_is_a_transient_error(self) -> None:
        self.emulator.slow_next(1.5)
        with self.assertRaises(TransientError) as caught:
            self.fetch()
        self.assertIn("did not answer in time", str(caught.exception))

    def test_malformed_json_is_a_transient_error(self) -> None:
        self.emulator.malformed_next(path_contains="/shipping_addresses")
        with self.assertRaises(TransientError) as caught:
            self.fetch()
        self.assertIn("could not read", str(caught.exception))

    def test_the_token_never_shows_in_an_error(self) -> None:
        # A refusal's message is the vendor's text: were it to quote the token, it is cut.
        token = self.emulator.access_token
        self.emulator.fail_next(
            400,
            body=[{"status": 400, "message": f"Bad request from {token}"}],
            path_contains="/products",
        )
        pages = list(self.connector().fetch_orders(None))
        [failure] = [failure for page in pages for failure in page.failures]
        self.assertIn("Bad request from", str(failure))
        self.assertNotIn(token, str(failure))


class ScopedEmulatorTestCase(BigCommerceTestCase):
    scopes: frozenset[str] = frozenset()

    def make_emulator(self) -> BigCommerceEmulator:
        return BigCommerceEmulator(scopes=self.scopes)


class MissingOrdersScopeTests(ScopedEmulatorTestCase):
    scopes = frozenset({PRODUCTS_MODIFY, INVENTORY_MODIFY})

    def test_test_connection_names_the_orders_scope(self) -> None:
        with self.assertRaises(AuthError) as caught:
            self.connector().test_connection()
        self.assertIn("“Orders: modify”", str(caught.exception))
        self.assertIn("HTTP 403", str(caught.exception))


class MissingProductsScopeTests(ScopedEmulatorTestCase):
    scopes = frozenset({ORDERS_MODIFY, INVENTORY_MODIFY})

    def test_test_connection_names_the_products_scope(self) -> None:
        with self.assertRaises(AuthError) as caught:
            self.connector().test_connection()
        self.assertIn("“Products: read-only”", str(caught.exception))


class MissingInventoryScopeTests(ScopedEmulatorTestCase):
    scopes = frozenset({ORDERS_MODIFY, PRODUCTS_READ})

    def test_test_connection_names_the_inventory_scope(self) -> None:
        with self.assertRaises(AuthError) as caught:
            self.connector().test_connection()
        self.assertIn("“Store Inventory: modify”", str(caught.exception))

    def test_an_upload_without_the_scope_is_an_auth_error(self) -> None:
        self.emulator.add_product("TRL-CAP")
        with self.assertRaises(AuthError):
            self.connector().upload_inventory([StockLevel("TRL-CAP", "WH-1", 3)])


class TestConnectionTests(BigCommerceTestCase):
    def test_it_says_what_it_found(self) -> None:
        self.emulator.seed_orders(4, status_id=11)
        self.emulator.seed_orders(2, status_id=2)
        message = self.connector().test_connection()
        self.assertIn(f"store {self.emulator.store_hash}", message)
        self.assertIn("4 orders to download (Awaiting Fulfillment) of 6", message)

    def test_a_bad_token(self) -> None:
        with self.assertRaises(AuthError) as caught:
            self.connector(credentials={"access_token": WRONG_TOKEN}).test_connection()
        self.assertIn("refused the access token", str(caught.exception))
        self.assertNotIn(WRONG_TOKEN, str(caught.exception))

    def test_an_unknown_store_hash(self) -> None:
        with self.assertRaises(AuthError) as caught:
            self.connector(store_hash="abc999").test_connection()
        self.assertIn("no store with the hash “abc999”", str(caught.exception))

    def test_an_unknown_inventory_location(self) -> None:
        with self.assertRaises(AuthError) as caught:
            self.connector(inventory_location_id=7).test_connection()
        self.assertIn("no inventory location 7", str(caught.exception))

    def test_missing_settings(self) -> None:
        with self.assertRaises(AuthError) as caught:
            self.connector(credentials={}).test_connection()
        self.assertIn("no store hash or access token", str(caught.exception))
        self.assertEqual(self.emulator.requests, [])
