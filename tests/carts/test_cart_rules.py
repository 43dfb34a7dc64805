"""The cart rules page: alias options, item filter mode and level, order load options."""

from __future__ import annotations

import datetime
from unittest import mock

from django.urls import reverse

from carts.connectors.sandbox import SandboxCartConnector
from carts.models import CartConnection, ItemFilterLevel, ItemFilterMode
from tests.base import BaseTestCase
from tests.objects import create_cart

STATUSES = (("open", "Open"), ("paid", "Paid"), ("canceled", "Canceled"))


class CartRulesTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BOB-")
        self.url = reverse("cart_rules", args=[self.cart.id])

    @mock.patch.object(SandboxCartConnector, "DEFAULT_STATUSES", ("open",))
    @mock.patch.object(SandboxCartConnector, "ORDER_STATUSES", STATUSES)
    def test_it_saves_the_rules_and_nothing_else(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(self.url)
        self.assertContains(page, "Translate item codes")
        self.assertContains(page, "None ticked: the cart's default (Open).")
        self.assertContains(page, 'value="paid"')
        # A download moves the cursor while the page is open: saving keeps the new cursor.
        CartConnection.objects.filter(id=self.cart.id).update(cursor="2026-11-20T12:00:00+00:00")
        response = self.client.post(
            self.url,
            {
                "translate_item_codes": "on",
                "push_inventory_alias": "on",
                "item_filter_mode": ItemFilterMode.BLACKLIST,
                "item_filter_level": ItemFilterLevel.ORDER,
                "earliest_order_date": "2026-10-01",
                "download_statuses": ["open", "paid"],
            },
            follow=True,
        )
        self.assertContains(response, "Rules of “Bob&#x27;s Bikes store” saved.")
        cart = CartConnection.objects.get(id=self.cart.id)
        self.assertEqual(
            (
                cart.translate_item_codes,
                cart.push_inventory_alias,
                cart.item_filter_mode,
                cart.item_filter_level,
                cart.earliest_order_date,
                cart.download_statuses,
                cart.cursor,
            ),
            (
                True,
                True,
                "blacklist",
                "order",
                datetime.date(2026, 10, 1),
                ["open", "paid"],
                "2026-11-20T12:00:00+00:00",
            ),
        )
        self.assertContains(self.client.get(reverse("cart_detail", args=[cart.id])), "blacklist")

    @mock.patch.object(SandboxCartConnector, "ORDER_STATUSES", STATUSES)
    def test_it_refuses_a_status_the_cart_does_not_have(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            self.url,
            {
                "item_filter_mode": "off",
                "item_filter_level": "item",
                "download_statuses": ["shipped"],
            },
        )
        self.assertContains(response, "Select a valid choice. shipped is not one of")
        response = self.client.post(self.url, {"item_filter_mode": "sideways"})
        self.assertContains(response, "Select a valid choice. sideways is not one of")
        self.assertEqual(CartConnection.objects.get(id=self.cart.id).download_statuses, [])

    @mock.patch.object(SandboxCartConnector, "ORDER_STATUSES", ())
    def test_a_cart_without_statuses_shows_no_status_choice(self) -> None:
        CartConnection.objects.filter(id=self.cart.id).update(download_statuses=["kept"])
        self.client.force_login(self.alice)
        self.assertNotContains(self.client.get(self.url), "Cart statuses to download")
        self.client.post(self.url, {"item_filter_mode": "whitelist", "item_filter_level": "item"})
        cart = CartConnection.objects.get(id=self.cart.id)
        self.assertEqual((cart.item_filter_mode, cart.download_statuses), ("whitelist", ["kept"]))

    def test_it_checks_ownership(self) -> None:
        other_cart = create_cart(self.other_merchant, prefix="OO-")
        data = {"item_filter_mode": "whitelist", "item_filter_level": "item"}
        self.client.force_login(self.create_staff())
        self.assertEqual(
            self.client.get(reverse("cart_rules", args=[other_cart.id])).status_code, 200
        )
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url).status_code, 200)
        other_url = reverse("cart_rules", args=[other_cart.id])
        self.assertEqual(self.client.get(other_url).status_code, 404)
        self.assertEqual(self.client.post(other_url, data).status_code, 404)
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, data).status_code, 404)
        modes = set(CartConnection.objects.values_list("item_filter_mode", flat=True))
        self.assertEqual(modes, {"off"})
