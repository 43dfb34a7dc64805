"""The item filter list on a cart's rules page: add, refuse a bad SKU, remove, roles."""

from __future__ import annotations

from django.urls import reverse

from inventory.models import ItemFilter
from tests.base import BaseTestCase
from tests.objects import create_cart


class ItemFilterScreenTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BOB-")
        self.other_cart = create_cart(self.other_merchant, prefix="OO-")
        self.rules_url = reverse("cart_rules", args=[self.cart.id])
        self.add_url = reverse("item_filter_create", args=[self.cart.id])

    def skus(self, cart=None) -> list[str]:  # type: ignore[no-untyped-def]
        filters = ItemFilter.objects.filter(cart=cart or self.cart)
        return sorted(filters.values_list("sku", flat=True))

    def test_it_adds_and_removes_skus(self) -> None:
        self.client.force_login(self.bob)
        response = self.client.post(self.add_url, {"sku": " SAMPLE-* "}, follow=True)
        self.assertRedirects(response, self.rules_url + "#item-filter")
        self.assertContains(response, "SAMPLE-* added to the item filter.")
        self.client.post(self.add_url, {"sku": "GIFT-CARD"})
        again = self.client.post(self.add_url, {"sku": "GIFT-CARD"}, follow=True)
        self.assertContains(again, "GIFT-CARD was on the item filter already.")
        self.assertEqual(self.skus(), ["GIFT-CARD", "SAMPLE-*"])
        item_filter = ItemFilter.objects.get(sku="GIFT-CARD")
        self.assertEqual(
            (item_filter.account_id, item_filter.merchant_id),
            (self.alices_account.id, self.bobs_merchant.id),
        )
        page = self.client.get(self.rules_url)
        self.assertContains(page, "<code>GIFT-CARD</code>", html=False)
        self.client.post(reverse("item_filter_delete", args=[self.cart.id, item_filter.id]))
        self.assertEqual(self.skus(), ["SAMPLE-*"])

    def test_a_bad_sku_is_refused_with_the_reason(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(self.add_url, {"sku": "A*B"}, follow=True)
        self.assertContains(response, "Not added: A * may only end a prefix, as in SAMPLE-*.")
        response = self.client.post(self.add_url, {"sku": "   "}, follow=True)
        self.assertContains(response, "Not added:")
        self.assertEqual(self.skus(), [])

    def test_it_checks_ownership(self) -> None:
        theirs = ItemFilter.objects.create(
            account=self.alices_account, merchant=self.other_merchant, cart=self.other_cart, sku="X"
        )
        self.client.force_login(self.create_staff())
        self.client.post(reverse("item_filter_create", args=[self.other_cart.id]), {"sku": "S"})
        self.assertEqual(self.skus(self.other_cart), ["S", "X"])
        self.client.force_login(self.bob)
        for url in [
            reverse("item_filter_create", args=[self.other_cart.id]),
            reverse("item_filter_delete", args=[self.other_cart.id, theirs.id]),
            # His cart in the URL, the other cart's filter id.
            reverse("item_filter_delete", args=[self.cart.id, theirs.id]),
        ]:
            self.assertEqual(self.client.post(url, {"sku": "B"}).status_code, 404, url)
        self.client.force_login(self.charlie)
        for url in [
            self.add_url,
            reverse("item_filter_delete", args=[self.other_cart.id, theirs.id]),
        ]:
            self.assertEqual(self.client.post(url, {"sku": "C"}).status_code, 404, url)
        self.assertEqual(self.skus(self.other_cart), ["S", "X"])
        self.assertEqual(self.skus(), [])
