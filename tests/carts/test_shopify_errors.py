"""Shopify misbehaviour -> the designed error; the query-cost throttle; test_connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

from carts.connectors.shopify import client as client_module
from carts.connectors.shopify.connector import ShopifyConnector
from integration_manager.connector_errors import (
    AuthError,
    ConnectorError,
    RateLimited,
    TransientError,
)
from integration_manager.records import OrderPage
from tests.support.shopify import T0, QuickShopifyConnector, ShopifyTestCase


class ShopifyConnectionTestTests(ShopifyTestCase):
    def test_it_names_the_shop_and_the_stock_location(self) -> None:
        message = self.connector().test_connection()

        self.assertIn("Hub Test Shop", message)
        self.assertIn("hub-test.myshopify.com", message)
        self.assertIn("Fifth Avenue AppleStore", message)
        self.assertIn("2025-01", message)

    def test_it_says_the_token_was_refused(self) -> None:
        token = "shpat_not_the_right_one_1234"

        with self.assertRaises(AuthError) as refused:
            self.connector(credentials={"access_token": token}).test_connection()

        message = str(refused.exception)
        self.assertIn("HTTP 401", message)
        self.assertIn("access token", message)
        self.assertNotIn(token, message)

    def test_it_says_when_no_token_is_saved(self) -> None:
        with self.assertRaises(AuthError) as refused:
            self.connector(credentials={}).test_connection()

        self.assertIn("no Shopify access token", str(refused.exception))
        self.assertEqual(self.emulator.requests, [])

    def test_it_says_the_shop_is_unknown(self) -> None:
        self.emulator.shop_exists = False

        with self.assertRaises(AuthError) as refused:
            self.connector().test_connection()

        self.assertIn("found no shop", str(refused.exception))
        self.assertIn(self.emulator.base_url, str(refused.exception))

    def test_it_names_each_missing_scope(self) -> None:
        self.emulator.revoke_scope("write_inventory")
        self.emulator.revoke_scope("read_inventory")
        self.emulator.revoke_scope("read_merchant_managed_fulfillment_orders")
        self.emulator.revoke_scope("write_merchant_managed_fulfillment_orders")

        with self.assertRaises(AuthError) as refused:
            self.connector().test_connection()

        message = str(refused.exception)
        self.assertIn("write_inventory", message)
        self.assertIn("write_merchant_managed_fulfillment_orders", message)
        self.assertNotIn("read_orders", message)
        self.assertIn("Configuration", message)  # where to add them

    def test_a_write_scope_counts_as_its_read_scope(self) -> None:
        self.emulator.revoke_scope("read_orders")  # write_orders stays

        self.assertIn("Connected", self.connector().test_connection())

    def test_it_says_the_location_in_the_settings_is_unknown(self) -> None:
        with self.assertRaises(ConnectorError) as refused:
            self.connector(location_id="123").test_connection()

        self.assertIn("no location with the ID 123", str(refused.exception))

    def test_it_warns_that_old_orders_need_read_all_orders(self) -> None:
        long_ago = (datetime.now(UTC) - timedelta(days=90)).date().isoformat()

        message = self.connector(earliest_order_date=long_ago).test_connection()

        self.assertIn("read_all_orders", message)
        self.assertNotIn("read_all_orders", self.connector().test_connection())

    def test_it_says_the_api_version_is_unknown(self) -> None:
        with self.assertRaises(AuthError) as refused:
            self.connector(api_version="2025-02").test_connection()

        self.assertIn("API version 2025-02", str(refused.exception))


class ShopifyMisbehaviourTests(ShopifyTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.emulator.add_order(updated_at=T0)

    def fetch(self, connector_class: type[ShopifyConnector] = ShopifyConnector) -> list[OrderPage]:
        connector = self.connector(
            connector_class=connector_class, earliest_order_date="2026-01-01"
        )
        return list(connector.fetch_orders(None))

    def test_a_missing_scope_while_downloading_is_an_auth_error(self) -> None:
        self.emulator.revoke_scope("read_orders")
        self.emulator.revoke_scope("write_orders")

        with self.assertRaises(AuthError) as refused:
            self.fetch()

        self.assertIn("read_orders", str(refused.exception))

    def test_a_long_retry_after_is_rate_limited_with_its_delay(self) -> None:
        self.emulator.rate_limit_next(retry_after=30)

        with self.assertRaises(RateLimited) as limited:
            self.fetch()

        self.assertEqual(limited.exception.retry_after, 30)

    def test_a_short_retry_after_is_waited_out(self) -> None:
        self.emulator.rate_limit_next(retry_after=0.05)

        (page,) = self.fetch()

        self.assertEqual(len(page.orders), 1)
        self.assertEqual(len(self.calls("HubOrders")), 2)

    def test_a_server_error_is_transient_and_not_resent(self) -> None:
        self.emulator.fail_next(502, body="<html>Bad Gateway</html>")

        with self.assertRaises(TransientError) as failed:
            self.fetch()

        self.assertIn("HTTP 502", str(failed.exception))
        self.assertEqual(len(self.calls("HubOrders")), 1)

    def test_a_slow_answer_is_transient(self) -> None:
        self.emulator.slow_next(1.0)

        with self.assertRaises(TransientError) as failed:
            self.fetch(QuickShopifyConnector)

        self.assertIn("did not answer in time", str(failed.exception))

    def test_malformed_json_is_transient(self) -> None:
        self.emulator.malformed_next()

        with self.assertRaises(TransientError) as failed:
            self.fetch()

        self.assertIn("could not read", str(failed.exception))

    def test_an_internal_error_in_the_body_is_transient(self) -> None:
        self.emulator.fail_next(
            200,
            body={
                "errors": [
                    {
                        "message": "Internal error. Looks like something went wrong on our end.",
                        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                    }
                ]
            },
        )

        with self.assertRaises(TransientError):
            self.fetch()

    def test_a_refused_document_is_a_connector_error_naming_the_version(self) -> None:
        self.emulator.fail_next(
            200,
            body={
                "errors": [
                    {
                        "message": "Field 'currentQuantity' doesn't exist on type 'LineItem'",
                        "locations": [{"line": 9, "column": 3}],
                        "extensions": {"code": "undefinedField"},
                    }
                ]
            },
        )

        with self.assertRaises(ConnectorError) as refused:
            self.fetch()

        self.assertNotIsInstance(refused.exception, TransientError | AuthError)
        self.assertIn("API version", str(refused.exception))


class ShopifyThrottleTests(ShopifyTestCase):
    def setUp(self) -> None:
        super().setUp()
        for minute in range(3):
            self.emulator.add_order(updated_at=T0 + timedelta(minutes=minute))

    def test_a_short_throttle_is_waited_out(self) -> None:
        self.emulator.set_throttle(1000, restore_rate=5_000, available=0)

        pages = list(self.connector(earliest_order_date="2026-01-01").fetch_orders(None))

        self.assertEqual(sum(len(page.orders) for page in pages), 3)
        # The first call found the bucket empty and came again.
        self.assertEqual(len(self.calls("HubOrders")), 2)

    def test_a_long_throttle_is_rate_limited_for_the_refill_time(self) -> None:
        self.emulator.set_throttle(1000, restore_rate=10, available=0)

        with self.assertRaises(RateLimited) as limited:
            list(self.connector(earliest_order_date="2026-01-01").fetch_orders(None))

        # The page costs several hundred points; at 10 a second that is far past 5 s.
        self.assertGreater(limited.exception.retry_after, 20)
        self.assertLess(limited.exception.retry_after, 100)
        self.assertEqual(len(self.calls("HubOrders")), 1)

    def test_it_waits_for_the_bucket_before_a_call_it_knows_the_cost_of(self) -> None:
        connector = self.connector(earliest_order_date="2026-01-01")
        list(connector.fetch_orders(None))
        # As if Shopify had just reported an empty bucket refilling at 1,000 points a second.
        connector.client.throttle.available = 0
        connector.client.throttle.restore_rate = 1000
        waits: list[float] = []

        with mock.patch.object(client_module.time, "sleep", waits.append):
            list(connector.fetch_orders(None))

        (wait,) = waits
        self.assertGreater(wait, 0.1)  # the page costs hundreds of points
        self.assertLessEqual(wait, 1.0)
        self.assertEqual(len(self.calls("HubOrders")), 2)  # no THROTTLED round trip
