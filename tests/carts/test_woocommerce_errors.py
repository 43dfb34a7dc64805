"""WooCommerce keys, secrets out of logs, misbehaviour to errors, and test connection."""

from __future__ import annotations

import base64
import logging
from typing import ClassVar

from carts.connectors.woocommerce.client import READ_ONLY
from carts.connectors.woocommerce.connector import WooCommerceConnector
from integration_manager.connector_errors import (
    AuthError,
    RateLimited,
    RecordError,
    TransientError,
)
from integration_manager.outbound import OutboundRefused
from integration_manager.records import StockLevel
from integration_manager.redaction import RedactingFilter
from tests.support.woocommerce import WooCommerceTestCase, shipment, upload_order


class QuickWooCommerce(WooCommerceConnector):
    """The production connector with a short read timeout, so a slow answer fails fast."""

    timeout: ClassVar[tuple[float, float]] = (1.0, 0.3)


class CapturingHandler(logging.Handler):
    """Every formatted log line, raw or through the redaction the hub's handlers use."""

    def __init__(self, *, redacting: bool) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        if redacting:
            self.addFilter(RedactingFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class WooCommerceAuthTests(WooCommerceTestCase):
    def capture_logs(self) -> tuple[CapturingHandler, CapturingHandler]:
        """(our loggers, raw) and (everything incl. urllib3, as the hub's handler writes it)."""
        ours, everything = CapturingHandler(redacting=False), CapturingHandler(redacting=True)
        root = logging.getLogger()
        previous = root.level
        root.setLevel(logging.DEBUG)
        root.addHandler(everything)
        for name in ("integration_manager", "carts"):
            logging.getLogger(name).addHandler(ours)

        def restore() -> None:
            root.setLevel(previous)
            root.removeHandler(everything)
            for name in ("integration_manager", "carts"):
                logging.getLogger(name).removeHandler(ours)

        self.addCleanup(restore)
        return ours, everything

    def exercise(self, connector: WooCommerceConnector) -> None:
        self.emulator.add_order()
        self.emulator.add_product("MUG-RED")
        list(connector.fetch_orders(None))
        connector.upload_inventory([StockLevel(sku="MUG-RED", location_id="1", available=2)])
        self.emulator.fail_next(503, times=3, path_contains="/orders")
        with self.assertRaises(TransientError) as failed:
            list(connector.fetch_orders(None))
        self.assertNotIn(self.emulator.consumer_secret, str(failed.exception))

    def test_basic_auth_sends_the_keys_in_the_header_only(self) -> None:
        ours, everything = self.capture_logs()
        self.exercise(self.connector())
        request = self.emulator.requests_to("GET", r"/orders$")[0]
        expected = base64.b64encode(
            f"{self.emulator.consumer_key}:{self.emulator.consumer_secret}".encode()
        ).decode()
        self.assertEqual(request.header("authorization"), f"Basic {expected}")
        self.assertNotIn("consumer_secret", request.query)
        self.assertTrue(ours.lines)
        for line in ours.lines + everything.lines:
            self.assertNotIn(self.emulator.consumer_secret, line)

    def test_query_string_auth_works_where_the_header_is_removed(self) -> None:
        self.emulator.strip_authorization = True
        ours, everything = self.capture_logs()
        self.exercise(self.connector(query_string_auth=True))
        request = self.emulator.requests_to("GET", r"/orders$")[0]
        self.assertEqual(request.header("authorization"), "")
        self.assertEqual(request.arg("consumer_secret"), self.emulator.consumer_secret)
        self.assertTrue(any("/wp-json/wc/v3/orders" in line for line in ours.lines))
        # urllib3 logs the full URL at DEBUG: only the hub's redacting handler keeps the keys
        # out of that line, so the redaction must have happened.
        self.assertTrue(any("[redacted]" in line for line in everything.lines))
        for line in ours.lines + everything.lines:
            self.assertNotIn(self.emulator.consumer_secret, line)

    def test_a_wrong_secret_says_so(self) -> None:
        connector = self.connector(credentials=self.credentials(consumer_secret="cs_wrong_123456"))
        with self.assertRaises(AuthError) as refused:
            list(connector.fetch_orders(None))
        self.assertIn("refused the consumer secret", str(refused.exception))
        self.assertNotIn("cs_wrong_123456", str(refused.exception))

    def test_an_unknown_key_says_what_to_check(self) -> None:
        connector = self.connector(credentials=self.credentials(consumer_key="ck_unknown_1234"))
        with self.assertRaisesMessage(AuthError, "did not recognise the API keys"):
            list(connector.fetch_orders(None))

    def test_a_read_only_key_downloads_but_cannot_ship(self) -> None:
        self.emulator.add_key("ck_read_only_key", "cs_read_only_secret", permissions="read")
        order = self.emulator.add_order()
        connector = self.connector(
            credentials=self.credentials(
                consumer_key="ck_read_only_key", consumer_secret="cs_read_only_secret"
            ),
            shipment_tracking="no",
        )
        [page] = list(connector.fetch_orders(None))
        self.assertEqual(len(page.orders), 1)
        with self.assertRaisesMessage(AuthError, READ_ONLY):
            connector.upload_shipment(upload_order(order), shipment())

    def test_plain_http_to_another_machine_is_refused_before_sending(self) -> None:
        connector = self.connector(base_url="http://shop.example.com")
        with self.assertRaisesMessage(OutboundRefused, "does not connect to shop.example.com"):
            list(connector.fetch_orders(None))


class WooCommerceMisbehaviourTests(WooCommerceTestCase):
    def test_a_long_retry_after_is_rate_limited(self) -> None:
        self.emulator.rate_limit_next(120)
        with self.assertRaises(RateLimited) as limited:
            list(self.connector().fetch_orders(None))
        self.assertEqual(limited.exception.retry_after, 120)

    def test_a_short_retry_after_is_waited_out(self) -> None:
        self.emulator.add_order()
        self.emulator.rate_limit_next(0)
        [page] = list(self.connector().fetch_orders(None))
        self.assertEqual(len(page.orders), 1)
        self.assertEqual(len(self.emulator.requests_to("GET", r"/orders$")), 2)

    def test_server_errors_are_retried_then_transient(self) -> None:
        self.emulator.add_order()
        self.emulator.fail_next(502)
        [page] = list(self.connector().fetch_orders(None))
        self.assertEqual(len(page.orders), 1)
        self.emulator.fail_next(503, times=3)
        with self.assertRaisesMessage(TransientError, "HTTP 503"):
            list(self.connector().fetch_orders(None))

    def test_a_post_is_never_sent_twice(self) -> None:
        order = self.emulator.add_order()
        self.emulator.fail_next(500, method="POST", path_contains="/notes")
        with self.assertRaises(TransientError):
            self.connector(shipment_tracking="no").upload_shipment(upload_order(order), shipment())
        self.assertEqual(len(self.emulator.requests_to("POST", "/notes")), 1)

    def test_a_slow_answer_times_out(self) -> None:
        self.emulator.slow_next(1.0)
        with self.assertRaisesMessage(TransientError, "did not answer in time"):
            list(self.connector(connector_class=QuickWooCommerce).fetch_orders(None))

    def test_a_reply_that_is_not_json_is_transient(self) -> None:
        self.emulator.malformed_next()
        with self.assertRaisesMessage(TransientError, "not JSON"):
            list(self.connector().fetch_orders(None))

    def test_an_unreachable_store_is_transient(self) -> None:
        self.emulator.stop()
        with self.assertRaisesMessage(TransientError, "refused the connection on port"):
            list(self.connector().fetch_orders(None))

    def test_a_firewall_page_on_a_write_is_a_record_error_for_that_order(self) -> None:
        order = self.emulator.add_order()
        self.emulator.fail_next(406, body=b"<html>Not Acceptable</html>", path_contains="/notes")
        with self.assertRaises(RecordError) as refused:
            self.connector(shipment_tracking="no").upload_shipment(upload_order(order), shipment())
        self.assertEqual(refused.exception.record_ref, str(order["id"]))


class WooCommerceTestConnectionTests(WooCommerceTestCase):
    def test_it_reports_what_it_found(self) -> None:
        self.emulator.seed_orders(3)
        message = self.connector().test_connection()
        self.assertIn("can read and write", message)
        self.assertIn("3 orders wait with status processing", message)
        self.assertIn("Shipment Tracking extension is installed", message)
        self.emulator.shipment_tracking = False
        self.assertIn("order note", self.connector().test_connection())

    def test_bad_keys(self) -> None:
        connector = self.connector(credentials=self.credentials(consumer_secret="cs_bad_999999"))
        with self.assertRaisesMessage(AuthError, "refused the consumer secret"):
            connector.test_connection()
        connector = self.connector(credentials=self.credentials(consumer_key="ck_bad_999999"))
        with self.assertRaisesMessage(AuthError, "did not recognise the API keys"):
            connector.test_connection()

    def test_a_server_that_removes_the_authorization_header(self) -> None:
        self.emulator.strip_authorization = True
        with self.assertRaisesMessage(AuthError, "removes the Authorization header"):
            self.connector().test_connection()
        self.assertIn("read and write", self.connector(query_string_auth=True).test_connection())

    def test_a_read_only_key(self) -> None:
        self.emulator.add_key("ck_read_only_key", "cs_read_only_secret", permissions="read")
        connector = self.connector(
            credentials=self.credentials(
                consumer_key="ck_read_only_key", consumer_secret="cs_read_only_secret"
            )
        )
        with self.assertRaisesMessage(AuthError, "Read permission only"):
            connector.test_connection()

    def test_wordpress_without_woocommerce(self) -> None:
        self.emulator.woocommerce_active = False
        with self.assertRaisesMessage(AuthError, "WooCommerce's REST API (wc/v3) is not there"):
            self.connector().test_connection()

    def test_an_address_that_is_not_a_wordpress_site(self) -> None:
        connector = self.connector(base_url=f"{self.base_url}/some/shop")
        with self.assertRaisesMessage(AuthError, "does not answer like a WooCommerce store"):
            connector.test_connection()

    def test_always_tracking_without_the_extension(self) -> None:
        self.emulator.shipment_tracking = False
        with self.assertRaisesMessage(AuthError, "Install and activate Shipment Tracking"):
            self.connector(shipment_tracking="yes").test_connection()

    def test_a_store_too_old_for_modified_after(self) -> None:
        order = self.emulator.add_order()
        self.emulator.fail_next(200, body=[order], path_contains="/orders")
        with self.assertRaisesMessage(AuthError, "5.8 or later"):
            self.connector().test_connection()
