"""The orders screen's searches by tracking, WMS reference, SKU and city; its time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from orders.models import OrderLine
from tests.base import BaseTestCase
from tests.objects import ADDRESS, create_cart, create_order, create_shipment


class OrderSearchTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.other_cart = create_cart(self.other_merchant, prefix="OO-")
        self.client.force_login(self.alice)

    def numbers(self, **params: str) -> list[str]:
        response = self.client.get(reverse("order_list"), params)
        return sorted(order.order_number for order in response.context["page"].orders)

    def test_it_searches_by_tracking_number(self) -> None:
        create_shipment(create_order(self.cart, number=1), tracking="1ZFIND")
        create_shipment(create_order(self.cart, number=2), tracking="1ZOTHER")
        self.assertEqual(self.numbers(search="1ZFIND", search_in="tracking"), ["#1"])
        self.assertEqual(self.numbers(search="1ZFIND"), [])  # not a number or reference

    def test_it_searches_by_wms_reference(self) -> None:
        create_order(self.cart, number=1, wms_reference="SBX-0000042")
        create_order(self.cart, number=2, wms_reference="SBX-0000043")
        self.assertEqual(self.numbers(search="SBX-0000042", search_in="wms_reference"), ["#1"])

    def test_it_searches_by_cart_or_wms_sku(self) -> None:
        create_order(self.cart, number=1, skus=("TENT-2P-GRN",))
        second = create_order(self.cart, number=2, skus=("MUG",))
        OrderLine.objects.filter(order=second).update(wms_sku="WMS-MUG")
        create_order(self.cart, number=3, skus=("STOVE",))
        self.assertEqual(self.numbers(search="TENT-2P-GRN", search_in="sku"), ["#1"])
        self.assertEqual(self.numbers(search="WMS-MUG", search_in="sku"), ["#2"])

    def test_it_searches_by_city_whatever_the_case(self) -> None:
        create_order(self.cart, number=1)
        create_order(self.cart, number=2, ship_to={**ADDRESS, "city": "Pittsburgh"})
        self.assertEqual(self.numbers(search="pittsburgh", search_in="city"), ["#2"])

    def test_a_search_stays_in_the_members_scope(self) -> None:
        create_shipment(create_order(self.cart, number=1), tracking="1ZSAME")
        create_shipment(create_order(self.other_cart, number=2), tracking="1ZSAME")
        charlies = create_cart(self.charlies_merchant, prefix="CC-")
        create_shipment(create_order(charlies, number=3), tracking="1ZSAME")
        self.assertEqual(self.numbers(search="1ZSAME", search_in="tracking"), ["#1", "#2"])
        self.client.force_login(self.bob)
        self.assertEqual(self.numbers(search="1ZSAME", search_in="tracking"), ["#1"])
        self.client.force_login(self.charlie)
        self.assertEqual(self.numbers(search="1ZSAME", search_in="tracking"), ["#3"])

    def test_dates_are_shown_and_filtered_in_the_accounts_zone(self) -> None:
        # 02:30 UTC on 21 Nov is 21:30 on 20 Nov in New York.
        create_order(self.cart, number=1, ordered_at=datetime(2026, 11, 21, 2, 30, tzinfo=UTC))
        response = self.client.get(reverse("order_list"))
        self.assertContains(response, "Ordered (America/New_York)")
        self.assertContains(response, "20 Nov 2026 21:30")
        self.assertContains(response, "Dates in America/New_York")
        self.assertEqual(self.numbers(date_from="2026-11-20", date_to="2026-11-20"), ["#1"])
        self.assertEqual(self.numbers(date_from="2026-11-21"), [])
        self.client.force_login(self.charlie)  # Berlin
        self.assertContains(self.client.get(reverse("order_list")), "Dates in Europe/Berlin")

    def test_clear_filters_shows_only_when_a_filter_is_set(self) -> None:
        create_order(self.cart, number=1)
        self.assertNotContains(self.client.get(reverse("order_list")), "Clear filters")
        filtered = self.client.get(reverse("order_list"), {"search": "nothing-like-it"})
        self.assertContains(filtered, "Clear filters")
        self.assertContains(filtered, f'href="{reverse("order_list")}"')
        after_only = self.client.get(reverse("order_list"), {"after": "x"})
        self.assertNotContains(after_only, "Clear filters")  # a page is not a filter
