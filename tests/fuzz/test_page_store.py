"""Orders the database would refuse, found by the fuzzers: each used to stop the whole page
with a DataError; the page store now skips that order with its reason (orders/storable.py)
and stores the rest."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from integration_manager.records import OrderPage, OrderRecord
from inventory.rules import cart_rules_load
from orders.models import Order
from orders.services.download import order_page_store
from tests.base import BaseTestCase
from tests.fuzz.contract import storable
from tests.objects import create_cart, order_record, recorder


def with_line(record: OrderRecord, **changes: object) -> OrderRecord:
    return replace(record, lines=(replace(record.lines[0], **changes),))


class PageStoreTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="FZ-")

    def assert_page_goes_on(self, spoilt: OrderRecord) -> None:
        self.assertFalse(storable(spoilt))  # so contract.storable keeps it out of the fuzz
        run = recorder(merchant=self.bobs_merchant, service="order_download", cart=self.cart)
        page = OrderPage(orders=[order_record(1), spoilt, order_record(3)])
        order_page_store(cart=self.cart, page=page, run=run, rules=cart_rules_load(cart=self.cart))
        stored = set(Order.objects.filter(cart=self.cart).values_list("source_order_id", flat=True))
        self.assertEqual(stored, {"1", "3"})
        self.assertEqual(run.skipped, 1)

    def test_it_skips_an_order_with_a_nul_in_a_text(self) -> None:
        self.assert_page_goes_on(replace(order_record(2), notes="a\x00b"))

    def test_it_skips_an_order_with_a_nul_in_its_payload(self) -> None:
        self.assert_page_goes_on(replace(order_record(2), raw={"note": "a\x00b"}))

    def test_it_skips_an_order_with_nan_in_its_payload(self) -> None:
        # json.loads (so requests' .json()) reads NaN; PostgreSQL's JSON has no such number.
        self.assert_page_goes_on(replace(order_record(2), raw={"total": float("nan")}))

    def test_it_skips_an_order_with_half_a_surrogate_pair(self) -> None:
        self.assert_page_goes_on(replace(order_record(2), notes="\ud800"))

    def test_it_skips_an_order_whose_number_is_longer_than_its_column(self) -> None:
        self.assert_page_goes_on(replace(order_record(2), order_number="#" + "9" * 120))

    def test_it_skips_an_order_whose_id_is_longer_than_its_column(self) -> None:
        self.assert_page_goes_on(replace(order_record(2), source_order_id="9" * 120))

    def test_it_skips_an_order_with_an_amount_no_money_column_holds(self) -> None:
        self.assert_page_goes_on(with_line(order_record(2), price=Decimal("1e30")))

    def test_it_skips_an_order_with_a_quantity_no_column_holds(self) -> None:
        self.assert_page_goes_on(with_line(order_record(2), quantity=Decimal("1e12")))
