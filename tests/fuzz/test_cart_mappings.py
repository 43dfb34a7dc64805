"""Every cart's order mapping fed spoilt copies of real orders: an order record the hub can
store, or a RecordError with a reason; never another exception, which would stop the page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from unittest import mock

from django.test import SimpleTestCase
from hypothesis import example, given
from hypothesis import strategies as st

from carts.connectors.bigcommerce import orders as bigcommerce
from carts.connectors.csv.orders import orders_read
from carts.connectors.shopify.connector import ShopifyConnector
from carts.connectors.sku_cache import SkuCache
from carts.connectors.woocommerce import orders as woocommerce
from csvfiles.formats import CsvFormat
from csvfiles.pickup import row_failures
from integration_manager.connector_errors import RecordError
from integration_manager.connectors import ConnectionContext
from integration_manager.records import OrderPage
from inventory.rules import cart_rules_load
from orders.models import Order
from orders.services.download import order_page_store
from tests.base import BaseTestCase
from tests.emulators.bigcommerce import BigCommerceEmulator
from tests.emulators.shopify import ACCESS_TOKEN, ShopifyEmulator
from tests.fuzz import DATABASE_EXAMPLES
from tests.fuzz.contract import assert_order_record, read_or_refuse, rolled_back
from tests.fuzz.mutations import emulator_data, mutated, short, spoilt_csv
from tests.objects import create_cart, recorder
from tests.objects import order_record as fuzz_good_order
from tests.support.bigcommerce import QuickBigCommerceConnector
from tests.support.csv import ORDER_FORMAT, order_rows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# The documentation's order, its first line given a SKU (without one it is refused, rightly).
_WOO_DOCUMENTED = emulator_data("woocommerce", "order.json")
WOO_ORDER = {
    **_WOO_DOCUMENTED,
    "line_items": [
        {**line, "sku": line["sku"] or "WOO-SKU-1"} for line in _WOO_DOCUMENTED["line_items"]
    ],
}


def shopify_order_node() -> dict[str, Any]:
    """The fixture order as Shopify's GraphQL API answers it (the emulator serves it)."""
    emulator = ShopifyEmulator()
    emulator.start()
    try:
        emulator.add_fixture_order(updated_at=T0)
        with mock.patch.object(ShopifyConnector, "inventory_items", SkuCache()):
            [page] = list(shopify_connector(emulator.base_url).fetch_orders(None))
    finally:
        emulator.stop()
    [record] = page.orders
    return record.raw


def shopify_connector(base_url: str) -> ShopifyConnector:
    return ShopifyConnector(
        settings={"base_url": base_url, "earliest_order_date": "2000-01-01"},
        credentials={"access_token": ACCESS_TOKEN, "webhook_secret": "s"},
        context=ConnectionContext(connection_id=7, account_id=1, label="Bob's Shopify"),
    )


def bigcommerce_order() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """An order, its products and its shipping addresses as BigCommerce's v2 API answers."""
    emulator = BigCommerceEmulator()
    emulator.start()
    try:
        order_id = str(emulator.add_order(lines=[{"sku": "TENT-2P-GRN", "quantity": 2}]))
        client = QuickBigCommerceConnector(
            settings=emulator.connector_settings(),
            credentials=emulator.connector_credentials(),
            context=ConnectionContext(connection_id=1, account_id=1, label="Trailhead store"),
        ).client
        return (
            client.order_get(order_id),
            client.order_products_list(order_id),
            client.order_shipping_addresses_list(order_id),
        )
    finally:
        emulator.stop()


# each cart's reading of one order, as its connector does it -------------------------------


def checked(page: OrderPage, *, limit: int = 600) -> OrderPage:
    """The page, once each record has been checked and each failure has a short reason."""
    for record in page.orders:
        assert_order_record(record)
    for failure in page.failures:
        assert short(str(failure), limit=limit), str(failure)
    return page


def shopify_page(connector: ShopifyConnector, node: Any) -> OrderPage:
    """What the connector makes of one listed order: a record, a failure, or nothing."""
    page = OrderPage(orders=[])
    read_or_refuse(lambda: connector._read_order(node, page=page))
    return page


def woocommerce_page(payload: Any) -> OrderPage:
    return woocommerce.OrderWalk(start=T0, cursor=None, page_size=100).page([payload])


def bigcommerce_page(order: Any, products: Any, addresses: Any) -> OrderPage:
    """The connector's steps for one listed order: the status check, the cursor's note of
    its date, the mapping (its sub-resources fetched in between)."""
    page = OrderPage(orders=[])

    def steps() -> None:
        if not bigcommerce.is_wanted(order, statuses=frozenset({11})):
            return
        bigcommerce.OrderListing(since=T0).note(order)
        record = bigcommerce.order_record(order, products=products, shipping_addresses=addresses)
        if record is not None:
            page.orders.append(record)

    try:
        steps()
    except RecordError as failure:
        page.failures.append(failure)
    return page


def csv_page(data: bytes) -> OrderPage:
    """An order file as the CSV cart's download reads it (csvfiles/pickup.py)."""
    result = orders_read(data, CSV_FORMAT, changed_at=T0)
    return OrderPage(orders=result.records, failures=row_failures("fuzz.csv", result))


class ShopifyOrderMappingTests(SimpleTestCase):
    node: ClassVar[dict[str, Any]]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.node = shopify_order_node()

    def setUp(self) -> None:
        # A node whose lines say "more on the next page" makes the connector ask Shopify:
        # nothing answers on this loopback port, which the connector reports as a
        # TransientError (the whole page is tried again later).
        self.connector = shopify_connector("http://127.0.0.1:9")

    def read(self, node: Any) -> OrderPage:
        return checked(shopify_page(self.connector, node))

    def test_it_reads_the_real_order(self) -> None:
        page = self.read(self.node)
        self.assertEqual(len(page.orders), 1)

    def test_it_fails_alone_each_order_that_once_stopped_the_page(self) -> None:
        address = self.node["shippingAddress"]
        found = {
            # AttributeError: 'bool' object has no attribute 'get'
            "lines not a connection": {"lineItems": True},
            # AttributeError: 'str' object has no attribute 'get'
            "a shipping line's tax a string": {"shippingLines": {"nodes": [{"taxLines": ["x"]}]}},
            # passed through as the company: a bool where the page store slices text
            "a company that is a flag": {"shippingAddress": {**address, "company": True}},
            "an id that is a list": {"legacyResourceId": ["450789469"]},
        }
        for name, change in found.items():
            with self.subTest(name):
                page = self.read({**self.node, **change})
                self.assertEqual((page.orders, len(page.failures)), ([], 1))

    @given(node=st.deferred(lambda: mutated(ShopifyOrderMappingTests.node)))
    def test_it_reads_a_spoilt_order_or_fails_it_alone(self, node: dict[str, Any]) -> None:
        self.read(node)


class WooCommerceOrderMappingTests(SimpleTestCase):
    def read(self, payload: Any) -> OrderPage:
        return checked(woocommerce_page(payload))

    def test_it_reads_the_real_order(self) -> None:
        self.assertEqual(len(self.read(WOO_ORDER).orders), 1)

    def test_it_fails_alone_each_order_that_once_stopped_the_page(self) -> None:
        found = {
            # AttributeError: 'NoneType' object has no attribute 'get'
            "a shipping line that is null": {"shipping_lines": [None]},
            "a line that is null": {"line_items": [None]},
            # the message quoted the whole value
            "a total of five thousand characters": {"total": "9" * 5_000 + "x"},
        }
        for name, change in found.items():
            with self.subTest(name):
                page = self.read({**WOO_ORDER, **change})
                self.assertEqual((page.orders, len(page.failures)), ([], 1))

    @given(payload=mutated(WOO_ORDER))
    def test_it_reads_a_spoilt_order_or_fails_it_alone(self, payload: dict[str, Any]) -> None:
        self.read(payload)


class BigCommerceOrderMappingTests(SimpleTestCase):
    order: ClassVar[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.order = bigcommerce_order()

    def read(self, order: Any, products: Any, addresses: Any) -> OrderPage:
        return checked(bigcommerce_page(order, products, addresses))

    def test_it_reads_the_real_order(self) -> None:
        order, products, addresses = self.order
        record = bigcommerce.order_record(order, products=products, shipping_addresses=addresses)
        self.assertIsNotNone(record)

    def test_it_fails_alone_each_order_that_once_stopped_the_page(self) -> None:
        order, products, addresses = self.order
        product = products[0]
        found = {
            # AttributeError: 'str' object has no attribute 'get'
            "an option that is a string": (order, [{**product, "product_options": ["x"]}]),
            # AttributeError: 'list' object has no attribute 'get'
            "a discount that is a list": (order, [{**product, "applied_discounts": [[1]]}]),
            "a product that is a list": (order, [["x"]]),
            # OverflowError: cannot convert float infinity to integer
            "an infinite status": ({**order, "status_id": float("inf")}, products),
        }
        for name, (spoilt, spoilt_products) in found.items():
            with self.subTest(name):
                page = self.read(spoilt, spoilt_products, addresses)
                self.assertEqual((page.orders, len(page.failures)), ([], 1))

    @given(data=st.data())
    def test_it_reads_a_spoilt_order_or_fails_it_alone(self, data: st.DataObject) -> None:
        order, products, addresses = (
            data.draw(st.one_of(st.just(part), mutated(part))) for part in self.order
        )
        self.read(order, products, addresses)


# CSV ------------------------------------------------------------------------------------------

CSV_FORMAT = CsvFormat.from_dict(ORDER_FORMAT)
CSV_FILE = order_rows(("1001", "TENT", 2), ("1001", "LAMP", 1))


class CsvOrderMappingTests(SimpleTestCase):
    def read(self, data: bytes) -> OrderPage:
        return checked(csv_page(data), limit=100_000)

    # Found by the deep profile: a header cell of 5,000 characters was quoted whole in the
    # reason shown on the cart's page.
    def test_it_names_a_long_bad_cell_in_a_short_reason(self) -> None:
        data = order_rows(("1001", "TENT", 2)).replace(b"Order number", b"x" * 5_000)
        checked(csv_page(data))

    def test_it_reads_the_real_file(self) -> None:
        result = orders_read(order_rows(("1001", "TENT", 2)), CSV_FORMAT, changed_at=T0)
        self.assertEqual((len(result.records), result.errors), (1, []))

    @given(data=spoilt_csv(CSV_FILE))
    @example(data=b"\xff\xfe\x00")
    def test_it_reads_a_spoilt_file_or_names_the_bad_rows(self, data: bytes) -> None:
        self.read(data)


# the page store ------------------------------------------------------------------------------


class OrderPageStoreTests(BaseTestCase):
    """A spoilt order read by each cart's mapping, in a page of good ones, through the real
    page store and PostgreSQL: the good orders are stored and the spoilt one is stored or
    skipped with its reason, never an error that stops the page."""

    node: ClassVar[dict[str, Any]]
    bigcommerce: ClassVar[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.node = shopify_order_node()
        cls.bigcommerce = bigcommerce_order()

    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="FZ-")

    def store(self, spoilt: OrderPage) -> None:
        good = [fuzz_good_order(990001), fuzz_good_order(990002)]
        page = OrderPage(
            orders=[good[0], *spoilt.orders, good[1]], failures=spoilt.failures, cursor="c"
        )
        # No status or filter rule: a record the rules skipped would never reach storage.
        rules = cart_rules_load(cart=self.cart)
        with rolled_back():
            run = recorder(merchant=self.bobs_merchant, service="order_download", cart=self.cart)
            order_page_store(cart=self.cart, page=page, run=run, rules=rules)
            stored = Order.objects.filter(cart=self.cart).values_list("source_order_id", flat=True)
            self.assertLessEqual({"990001", "990002"}, set(stored))
            self.assertEqual(run.seen, len(page.orders) + len(page.failures))

    def test_it_stores_the_good_orders_of_a_page_with_a_spoilt_shopify_order(self) -> None:
        connector = shopify_connector("http://127.0.0.1:9")

        @DATABASE_EXAMPLES
        @given(node=mutated(self.node))
        def check(node: dict[str, Any]) -> None:
            self.store(shopify_page(connector, node))

        check()

    def test_it_stores_the_good_orders_of_a_page_with_a_spoilt_woocommerce_order(self) -> None:
        @DATABASE_EXAMPLES
        @given(payload=mutated(WOO_ORDER))
        def check(payload: dict[str, Any]) -> None:
            self.store(woocommerce_page(payload))

        check()

    def test_it_stores_the_good_orders_of_a_page_with_a_spoilt_bigcommerce_order(self) -> None:
        @DATABASE_EXAMPLES
        @given(order=mutated(self.bigcommerce[0]), products=mutated(self.bigcommerce[1]))
        def check(order: dict[str, Any], products: list[dict[str, Any]]) -> None:
            self.store(bigcommerce_page(order, products, self.bigcommerce[2]))

        check()

    def test_it_stores_the_good_orders_of_a_page_with_a_spoilt_csv_file(self) -> None:
        @DATABASE_EXAMPLES
        @given(data=spoilt_csv(CSV_FILE))
        def check(data: bytes) -> None:
            self.store(csv_page(data))

        check()
