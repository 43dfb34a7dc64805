"""Skipped orders: listed with their reasons on the orders screen, per cart, per member."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from orders.models import SkippedOrder, SkipReason
from tests.base import BaseTestCase
from tests.objects import create_cart


class SkippedOrderTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-", label="Bob's web store")
        self.second_cart = create_cart(self.bobs_merchant, prefix="BX-", label="Bob's market")
        self.other_cart = create_cart(self.other_merchant, prefix="OO-", label="Other store")
        self.charlies_cart = create_cart(self.charlies_merchant, prefix="CC-", label="Candles")
        self.skip(self.cart, "5001", SkipReason.BEFORE_EARLIEST, count=3)
        self.skip(self.second_cart, "6001", SkipReason.FILTERED)
        self.skip(self.other_cart, "7001", SkipReason.STATUS)
        self.skip(self.charlies_cart, "8001", SkipReason.STATUS)

    def skip(self, cart, number: str, code: str, count: int = 1) -> SkippedOrder:  # type: ignore[no-untyped-def]
        return SkippedOrder.objects.create(
            account_id=cart.account_id,
            merchant_id=cart.merchant_id,
            cart=cart,
            source_order_id=number,
            order_number=f"#{number}",
            ordered_at=datetime(2020, 1, 2, 3, 0, tzinfo=UTC),
            reason_code=code,
            reason=f"Reason words for {number}.",
            count=count,
        )

    def numbers(self, **params: str) -> list[str]:
        response = self.client.get(reverse("skipped_orders"), params)
        self.assertEqual(response.status_code, 200)
        return sorted(row.order_number for row in response.context["page"].object_list)

    def test_the_orders_screen_links_to_them_with_a_count(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(reverse("order_list"))
        self.assertContains(response, "Skipped (3)")
        self.assertContains(response, reverse("skipped_orders"))

    def test_it_lists_cart_number_reason_count_and_last_seen(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(reverse("skipped_orders"))
        for text in (
            "Bob&#x27;s web store",
            "#5001",
            "Older than the earliest order date",
            "Reason words for 5001.",
            "3×",
            "Last seen (America/New_York)",
            "1 Jan 2020 22:00",  # ordered 03:00 UTC, shown in New York time
        ):
            self.assertContains(response, text)
        self.assertEqual(self.numbers(), ["#5001", "#6001", "#7001"])

    def test_it_filters_by_cart(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.numbers(cart=str(self.second_cart.id)), ["#6001"])
        self.assertContains(
            self.client.get(reverse("skipped_orders"), {"cart": self.cart.id}), "Clear filters"
        )

    def test_it_checks_ownership(self) -> None:
        self.client.force_login(self.bob)
        self.assertEqual(self.numbers(), ["#5001", "#6001"])
        self.assertContains(self.client.get(reverse("order_list")), "Skipped (2)")
        # another merchant's cart is not a choice for bob: the filter is ignored, not obeyed
        self.assertEqual(self.numbers(cart=str(self.other_cart.id)), ["#5001", "#6001"])
        self.client.force_login(self.charlie)
        self.assertEqual(self.numbers(), ["#8001"])
        self.assertEqual(self.numbers(cart=str(self.cart.id)), ["#8001"])
