"""WooCommerce orders normalised into the hub's records, following the charge definitions."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.test import SimpleTestCase

from carts.connectors.woocommerce import orders
from integration_manager.connector_errors import AuthError, RecordError
from integration_manager.records import OrderRecord
from tests.emulators.woocommerce import coupon_line, fee_line, line_item, shipping_line
from tests.support.woocommerce import WooCommerceTestCase

FIXTURE = Path(__file__).parents[1] / "emulators" / "data" / "woocommerce" / "order.json"


def fixture_order(**changes: Any) -> dict[str, Any]:
    order = json.loads(FIXTURE.read_text())
    order["line_items"][0]["sku"] = "WOO-SINGLE-1"  # the docs' sample leaves it empty
    order.update(changes)
    return order


def charges_add_up(order: OrderRecord) -> Decimal:
    assert order.sub_total is not None
    return order.sub_total + order.sales_tax + order.shipping_handling - order.order_discount


class WooCommerceOrderRecordTests(SimpleTestCase):
    def test_it_reads_the_documented_order(self) -> None:
        order = orders.order_record(fixture_order())
        self.assertEqual(order.source_order_id, "727")
        self.assertEqual(order.order_number, "727")
        # The GMT fields, not the store's local time three hours earlier.
        self.assertEqual(order.ordered_at, datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC))
        self.assertEqual(order.updated_at, datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC))
        self.assertEqual(order.currency, "USD")
        self.assertEqual(order.sub_total, Decimal("18.00"))
        self.assertEqual(order.sales_tax, Decimal("1.35"))
        self.assertEqual(order.shipping_handling, Decimal("10.00"))
        self.assertEqual(order.order_discount, Decimal("0"))
        self.assertEqual(order.grand_total, Decimal("29.35"))
        self.assertEqual(charges_add_up(order), order.grand_total)
        self.assertFalse(order.canceled)
        self.assertEqual(order.raw["id"], 727)

    def test_money_is_decimal_never_float(self) -> None:
        order = orders.order_record(fixture_order())
        amounts = [order.sub_total, order.sales_tax, order.shipping_handling, order.grand_total]
        for line in order.lines:
            amounts += [line.quantity, line.price, line.discount, line.addl_discount, line.tax]
        self.assertTrue(all(isinstance(amount, Decimal) for amount in amounts))

    def test_lines_carry_unit_price_and_the_whole_line_tax(self) -> None:
        first, second = orders.order_record(fixture_order()).lines
        self.assertEqual(first.sku, "WOO-SINGLE-1")
        self.assertEqual(first.source_line_id, "315")
        self.assertEqual(first.quantity, Decimal("2"))
        self.assertEqual(first.price, Decimal("3.00"))  # subtotal 6.00 for two
        self.assertEqual(first.tax, Decimal("0.45"))
        self.assertEqual(second.sku, "Bar3")
        self.assertEqual(second.description, "Ship Your Idea – Color: Black, Size: M Test")
        self.assertEqual(second.tax, Decimal("0.90"))

    def test_addresses_come_from_shipping_with_billing_contact(self) -> None:
        payload = fixture_order()
        payload["shipping"].update(first_name="Jane", address_1="1 Dock Rd", postcode="10001")
        order = orders.order_record(payload)
        self.assertEqual(order.ship_to.first_name, "Jane")
        self.assertEqual(order.ship_to.address_1, "1 Dock Rd")
        self.assertEqual(order.ship_to.zip, "10001")
        self.assertEqual(order.ship_to.country, "US")
        self.assertEqual(order.ship_to.email, "john.doe@example.com")
        self.assertEqual(order.ship_to.phone, "(555) 555-5555")
        self.assertEqual(order.bill_to.first_name, "John")
        self.assertEqual(order.bill_to.email, "john.doe@example.com")

    def test_an_order_without_a_shipping_address_ships_to_billing(self) -> None:
        payload = fixture_order()
        payload["shipping"] = {key: "" for key in payload["shipping"]}
        payload["billing"]["address_1"] = "12 Billing St"
        self.assertEqual(orders.order_record(payload).ship_to.address_1, "12 Billing St")

    def test_the_ship_code_is_the_shipping_lines_title(self) -> None:
        payload = fixture_order(
            shipping_lines=[
                {**shipping_line("UPS Ground", instance_id="4", total="7.50"), "id": 1},
            ]
        )
        order = orders.order_record(payload)
        self.assertEqual(order.ship_code, "UPS Ground")
        self.assertEqual(order.ship_description, "flat_rate:4")
        self.assertEqual(orders.order_record(fixture_order(shipping_lines=[])).ship_code, "")

    def test_a_coupon_is_a_pre_tax_discount_per_unit(self) -> None:
        # 3 x 10.00 with a 6.00 coupon: 2.00 off each unit before tax; tax 1.92 on 24.00.
        payload = fixture_order(
            line_items=[{**line_item("MUG", 3, "10.00", discount="6.00", tax="1.92"), "id": 9}],
            coupon_lines=[coupon_line("SAVE6", "6.00")],
            shipping_total="5.00",
            total_tax="1.92",
            total="30.92",
        )
        order = orders.order_record(payload)
        [line] = order.lines
        self.assertEqual(line.price, Decimal("10.00"))
        self.assertEqual(line.discount, Decimal("2.00"))
        self.assertEqual(line.addl_discount, Decimal("0"))
        self.assertEqual(line.extended_amount, Decimal("24.00"))
        self.assertEqual(order.sub_total, Decimal("24.00"))
        self.assertEqual(order.order_discount, Decimal("0"))  # not counted twice
        self.assertEqual(charges_add_up(order), Decimal("30.92"))

    def test_an_uneven_unit_price_keeps_four_places_and_the_exact_subtotal(self) -> None:
        payload = fixture_order(line_items=[{**line_item("PEN", 3, "3.3333"), "id": 4}])
        payload["line_items"][0]["subtotal"] = payload["line_items"][0]["total"] = "10.00"
        order = orders.order_record(payload)
        self.assertEqual(order.lines[0].price, Decimal("3.3333"))
        self.assertEqual(order.sub_total, Decimal("10.00"))

    def test_fees_count_as_handling_or_as_a_post_tax_discount(self) -> None:
        payload = fixture_order(
            fee_lines=[fee_line("Gift wrap", "4.00"), fee_line("Loyalty discount", "-3.00")],
            total="30.35",  # 29.35 + 4.00 - 3.00
        )
        order = orders.order_record(payload)
        self.assertEqual(order.shipping_handling, Decimal("14.00"))
        self.assertEqual(order.order_discount, Decimal("3.00"))
        self.assertEqual(charges_add_up(order), order.grand_total)

    def test_cancelled_and_refunded_orders_are_canceled(self) -> None:
        self.assertTrue(orders.order_record(fixture_order(status="cancelled")).canceled)
        self.assertTrue(orders.order_record(fixture_order(status="refunded")).canceled)
        self.assertFalse(orders.order_record(fixture_order(status="on-hold")).canceled)

    def test_a_line_without_sku_refuses_the_order_but_not_its_cancellation(self) -> None:
        payload = json.loads(FIXTURE.read_text())  # line 315 has an empty SKU
        with self.assertRaises(RecordError) as refused:
            orders.order_record(payload)
        self.assertEqual(refused.exception.record_ref, "727")
        self.assertIn("Woo Single #1", str(refused.exception))
        cancelled = orders.order_record({**copy.deepcopy(payload), "status": "cancelled"})
        self.assertTrue(cancelled.canceled)
        self.assertEqual([line.sku for line in cancelled.lines], ["Bar3"])

    def test_an_unreadable_amount_names_the_order(self) -> None:
        with self.assertRaises(RecordError) as refused:
            orders.order_record(fixture_order(total="12,50"))
        self.assertEqual(refused.exception.record_ref, "727")
        self.assertIn("total", str(refused.exception))

    def test_the_customers_note_comes_along(self) -> None:
        order = orders.order_record(fixture_order(customer_note="Leave at the back door"))
        self.assertEqual(order.notes, "Leave at the back door")


class WooCommerceOrderWalkTests(SimpleTestCase):
    """The download's walk from fixtures: list_orders stands in for GET /orders."""

    start = datetime(2017, 3, 22, 19, 0, 0, 500_000, tzinfo=UTC)

    def walk(self, cursor: str | None = None) -> orders.OrderWalk:
        return orders.OrderWalk(start=self.start, cursor=cursor, page_size=100)

    def test_the_last_page_carries_the_newest_change_as_cursor(self) -> None:
        queries: list[dict[str, Any]] = []

        def list_orders(query: Any) -> list[dict[str, Any]]:
            queries.append(dict(query))
            return [fixture_order()]

        [page] = list(self.walk().pages(list_orders))
        self.assertEqual([order.source_order_id for order in page.orders], ["727"])
        self.assertEqual(page.cursor, "2017-03-22T19:28:08+00:00")
        self.assertEqual(queries[0]["modified_after"], "2017-03-22T19:00:00")  # whole seconds
        self.assertEqual(queries[0]["orderby"], "modified")

    def test_an_order_read_again_unchanged_is_yielded_once(self) -> None:
        walk = self.walk()
        self.assertEqual(len(walk.page([fixture_order()]).orders), 1)
        self.assertEqual(walk.page([fixture_order()]).orders, [])
        changed = fixture_order(date_modified_gmt="2017-03-22T19:30:00")
        self.assertEqual(len(walk.page([changed]).orders), 1)

    def test_a_store_that_does_not_sort_by_modification_is_refused(self) -> None:
        newer = fixture_order(id=728, date_modified_gmt="2017-03-22T19:40:00")
        with self.assertRaisesMessage(AuthError, "did not filter or sort"):
            list(self.walk().pages(lambda query: [newer, fixture_order()]))

    def test_the_cursor_never_goes_back(self) -> None:
        [page] = list(self.walk(cursor="2017-03-22T20:00:00+00:00").pages(lambda query: []))
        self.assertEqual(page.cursor, "2017-03-22T20:00:00+00:00")


class WooCommerceNormalisedDownloadTests(WooCommerceTestCase):
    def test_an_emulated_order_arrives_with_its_charges(self) -> None:
        added = self.emulator.add_order(
            line_items=[
                line_item("MUG", 2, "8.00", discount="4.00", tax="1.20"),
                line_item("TEE", 1, "20.00", tax="2.00"),
            ],
            shipping_lines=[shipping_line("Express", total="12.00", tax="1.20")],
            fee_lines=[fee_line("Gift wrap", "2.50", tax="0.25")],
            coupon_lines=[coupon_line("MUG4", "4.00")],
        )
        [order], _ = self.download()
        self.assertEqual(order.source_order_id, str(added["id"]))
        self.assertEqual(order.sub_total, Decimal("32.00"))
        self.assertEqual(order.sales_tax, Decimal("4.65"))
        self.assertEqual(order.shipping_handling, Decimal("14.50"))
        self.assertEqual(order.grand_total, Decimal(added["total"]))
        self.assertEqual(charges_add_up(order), order.grand_total)
        mug = order.lines[0]
        self.assertEqual((mug.price, mug.discount, mug.tax), (8, 2, Decimal("1.20")))
        self.assertEqual(order.ship_code, "Express")
