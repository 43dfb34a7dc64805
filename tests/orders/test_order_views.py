"""The orders screens: filters, keyset pages, detail, actions; a merchant user sees only theirs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, OrderStatus
from orders.selectors import PAGE_SIZE
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_shipment


class OrderListTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.other_cart = create_cart(self.other_merchant, prefix="OO-")
        self.client.force_login(self.alice)

    def numbers(self, response) -> list[str]:  # type: ignore[no-untyped-def]
        return [order.order_number for order in response.context["page"].orders]

    def test_keyset_pages_walk_every_order_once_newest_first(self) -> None:
        start = datetime(2026, 11, 1, tzinfo=UTC)
        for n in range(PAGE_SIZE * 2 + 7):
            create_order(self.cart, number=n, ordered_at=start + timedelta(minutes=n % 40))
        seen, after = [], ""
        while True:
            response = self.client.get(reverse("order_list"), {"after": after} if after else {})
            seen += self.numbers(response)
            after = response.context["page"].next_key
            if not after:
                break
        self.assertEqual(len(seen), PAGE_SIZE * 2 + 7)
        self.assertEqual(len(set(seen)), len(seen))
        times = [Order.objects.get(order_number=n).ordered_at for n in seen]
        self.assertEqual(times, sorted(times, reverse=True))
        # and back: the page before the last one is the second page
        last = self.client.get(
            reverse("order_list"), {"before": response.context["page"].previous_key}
        )
        self.assertEqual(len(self.numbers(last)), PAGE_SIZE)

    def test_filters(self) -> None:
        create_order(self.cart, number=1, status=OrderStatus.ERROR, ship_name="Zed Zebra")
        create_order(self.cart, number=2, status=OrderStatus.AT_WMS)
        create_order(self.other_cart, number=3)
        create_order(self.cart, number=4, status=OrderStatus.CANCELED)
        url = reverse("order_list")
        self.assertEqual(self.numbers(self.client.get(url, {"status": "error"})), ["#1"])
        self.assertEqual(
            sorted(self.numbers(self.client.get(url, {"merchant": self.other_merchant.id}))), ["#3"]
        )
        self.assertEqual(self.numbers(self.client.get(url, {"search": "#2"})), ["#2"])
        self.assertEqual(self.numbers(self.client.get(url, {"search": "BB-1"})), ["#1"])
        self.assertEqual(self.numbers(self.client.get(url, {"search": "zebra"})), ["#1"])
        self.assertNotIn("#4", self.numbers(self.client.get(url)))  # canceled only when asked
        self.assertEqual(self.numbers(self.client.get(url, {"status": "canceled"})), ["#4"])
        response = self.client.get(url, {"date_from": "not a date"})
        self.assertContains(response, "Some filters were not understood")

    def test_dates_at_the_ends_of_the_calendar_are_refused_not_500(self) -> None:
        # Midnight in the account's zone (New York) moved to UTC overflows at either end.
        create_order(self.cart, number=1)
        url = reverse("order_list")
        for dates in [
            {"date_to": "9999-12-31"},
            {"date_from": "0001-01-01"},
            {"date_from": "0001-01-01", "date_to": "9999-12-31"},
        ]:
            with self.subTest(dates=dates):
                response = self.client.get(url, dates)
                self.assertContains(response, "Enter a date between 1900 and 9998.")
                self.assertEqual(self.numbers(response), ["#1"])  # the filter is ignored
        self.client.force_login(self.charlie)  # Berlin: ahead of UTC
        self.assertContains(
            self.client.get(url, {"date_from": "0001-01-01"}), "Enter a date between"
        )
        # The widest dates that are allowed still work.
        self.client.force_login(self.alice)
        response = self.client.get(url, {"date_from": "1900-01-01", "date_to": "9998-12-31"})
        self.assertEqual(self.numbers(response), ["#1"])

    def test_the_list_reads_no_cart_secret(self) -> None:
        create_order(self.cart, number=1001)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(reverse("order_list"))
        self.assertContains(response, "#1001")
        read = " ".join(query["sql"] for query in queries.captured_queries)
        self.assertIn('"carts_cartconnection"."label"', read)  # the cart is read …
        self.assertNotIn('"carts_cartconnection"."credentials"', read)  # … not its secret

    def test_a_merchant_user_sees_only_their_orders(self) -> None:
        create_order(self.cart, number=1)
        create_order(self.other_cart, number=2)
        self.client.force_login(self.bob)
        self.assertEqual(self.numbers(self.client.get(reverse("order_list"))), ["#1"])
        self.client.force_login(self.charlie)
        self.assertEqual(self.numbers(self.client.get(reverse("order_list"))), [])


class OrderDetailTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.client.force_login(self.bob)

    def test_it_shows_addresses_lines_shipments_and_history(self) -> None:
        order = create_order(self.cart, status=OrderStatus.SHIPPED)
        create_shipment(order, tracking="1ZTRACK")
        page = self.client.get(reverse("order_detail", args=[order.id]))
        for text in ("1200 Market St", "TENT-2P-GRN", "1ZTRACK", "Resend tracking", "History"):
            self.assertContains(page, text)

    def test_the_actions(self) -> None:
        order = create_order(self.cart, status=OrderStatus.ERROR, error_reason="No street.")
        self.assertContains(self.client.get(reverse("order_detail", args=[order.id])), "Held:")
        url = lambda action: reverse("order_action", args=[order.id, action])  # noqa: E731
        self.assertContains(
            self.client.post(url("cancel-sending"), follow=True), "will not be sent"
        )
        self.assertTrue(Order.objects.get(id=order.id).sending_canceled)
        self.client.post(url("resume-sending"))
        self.client.post(url("resend"))
        order.refresh_from_db()
        self.assertEqual((order.status, order.sending_canceled), ("new", False))
        refused = self.client.post(url("resend-tracking"), follow=True)
        self.assertContains(refused, "no tracking to send")
