"""The product alias screens: list, search, add, edit, delete, release of held orders, roles."""

from __future__ import annotations

from django.urls import reverse

from inventory.models import ProductAlias
from orders.models import HoldReason, Order, OrderEvent, OrderStatus
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order


class AliasScreenTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.list_url = reverse("alias_list", args=[self.bobs_merchant.id])
        self.new_url = reverse("alias_create", args=[self.bobs_merchant.id])

    def alias(self, alias: str = "BB-TENT", sku: str = "TENT-2P-GRN", **fields) -> ProductAlias:  # type: ignore[no-untyped-def]
        merchant = fields.pop("merchant", self.bobs_merchant)
        return ProductAlias.objects.create(
            account=self.alices_account, merchant=merchant, alias=alias, sku=sku, **fields
        )

    def test_it_adds_an_alias(self) -> None:
        self.client.force_login(self.bob)
        response = self.client.post(
            self.new_url, {"kind": "upc", "alias": " 0812345678901 ", "sku": "TENT-2P-GRN"}
        )
        self.assertRedirects(response, self.list_url, fetch_redirect_response=False)
        alias = ProductAlias.objects.get()
        self.assertEqual(
            (alias.merchant, alias.account, alias.alias, alias.sku, alias.kind),
            (self.bobs_merchant, self.alices_account, "0812345678901", "TENT-2P-GRN", "upc"),
        )
        page = self.client.get(self.list_url)
        self.assertContains(page, "Alias 0812345678901 → TENT-2P-GRN saved.")
        self.assertContains(page, "0812345678901")

    def test_a_value_taken_for_the_merchant_is_a_form_error(self) -> None:
        self.alias("BB-TENT")
        self.alias("BB-STOVE", merchant=self.other_merchant)
        self.client.force_login(self.alice)
        response = self.client.post(self.new_url, {"kind": "sku", "alias": "BB-TENT", "sku": "X"})
        self.assertContains(response, "“BB-TENT” is already an alias of Bob&#x27;s Bikes.")
        self.assertEqual(ProductAlias.objects.filter(merchant=self.bobs_merchant).count(), 1)
        # The same value for another merchant is no clash.
        response = self.client.post(self.new_url, {"kind": "sku", "alias": "BB-STOVE", "sku": "X"})
        self.assertRedirects(response, self.list_url)

    def test_it_edits_and_deletes_an_alias(self) -> None:
        alias = self.alias("BB-TENT", "OLD-SKU")
        self.client.force_login(self.alice)
        edit_url = reverse("alias_edit", args=[self.bobs_merchant.id, alias.id])
        self.assertContains(self.client.get(edit_url), "OLD-SKU")
        # Saving it unchanged is not a clash with itself.
        response = self.client.post(edit_url, {"kind": "sku", "alias": "BB-TENT", "sku": "NEW"})
        self.assertRedirects(response, self.list_url)
        alias.refresh_from_db()
        self.assertEqual(alias.sku, "NEW")
        delete_url = reverse("alias_delete", args=[self.bobs_merchant.id, alias.id])
        self.assertEqual(self.client.get(delete_url).status_code, 405)
        self.assertRedirects(self.client.post(delete_url), self.list_url)
        self.assertFalse(ProductAlias.objects.exists())

    def test_it_searches_and_pages(self) -> None:
        for number in range(60):
            self.alias(f"CART-{number:03}", f"WMS-{number:03}")
        self.alias("ZZ-OTHER", "FIND-ME")
        self.client.force_login(self.alice)
        first = self.client.get(self.list_url)
        self.assertContains(first, "CART-000")
        self.assertNotContains(first, "CART-055")
        self.assertContains(first, "Page 1 of 2")
        self.assertContains(self.client.get(self.list_url, {"page": 2}), "CART-055")
        found = self.client.get(self.list_url, {"q": "find"})
        self.assertContains(found, "ZZ-OTHER")
        self.assertNotContains(found, "CART-000")

    def test_saving_an_alias_releases_the_orders_held_for_that_sku(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BOB-")
        held = [
            create_order(
                cart,
                number=number,
                skus=("BB-TENT",),
                status=OrderStatus.ERROR,
                error_code=HoldReason.UNKNOWN_SKU,
                error_reason="The WMS does not know BB-TENT.",
            )
            for number in (1, 2, 3)
        ]
        # Held for another reason, or for another SKU: these stay.
        address = create_order(
            cart,
            number=4,
            skus=("BB-TENT",),
            status=OrderStatus.ERROR,
            error_code=HoldReason.MISSING_ADDRESS,
        )
        other_sku = create_order(
            cart,
            number=5,
            skus=("BB-STOVE",),
            status=OrderStatus.ERROR,
            error_code=HoldReason.UNKNOWN_SKU,
        )
        self.client.force_login(self.alice)
        response = self.client.post(
            self.new_url, {"kind": "sku", "alias": "BB-TENT", "sku": "TENT-2P-GRN"}, follow=True
        )
        self.assertContains(response, "3 held orders go to the WMS now.")
        for order in held:
            order.refresh_from_db()
            self.assertEqual((order.status, order.error_code), (OrderStatus.NEW, ""))
        event = OrderEvent.objects.filter(order=held[0], to_status=OrderStatus.NEW).get()
        self.assertIn("Alias BB-TENT → TENT-2P-GRN saved", event.message)
        self.assertEqual(event.user_id, self.alice.id)
        statuses = dict(
            Order.objects.filter(id__in=[address.id, other_sku.id]).values_list("id", "status")
        )
        self.assertEqual(set(statuses.values()), {OrderStatus.ERROR})

    def test_it_checks_ownership(self) -> None:
        own = self.alias("BB-TENT")
        others = self.alias("OO-HAT", merchant=self.other_merchant)
        bobs = self.bobs_merchant.id
        other = self.other_merchant.id
        pages = [
            reverse("alias_list", args=[bobs]),
            reverse("alias_create", args=[bobs]),
            reverse("alias_edit", args=[bobs, own.id]),
            reverse("alias_export", args=[bobs]),
            reverse("alias_import", args=[bobs]),
        ]
        self.client.force_login(self.alice)
        for url in pages:
            self.assertEqual(self.client.get(url).status_code, 200, url)
        self.client.force_login(self.create_staff())
        for url in pages:
            self.assertEqual(self.client.get(url).status_code, 200, url)
        self.client.force_login(self.bob)
        for url in pages:
            self.assertEqual(self.client.get(url).status_code, 200, url)
        foreign = [
            reverse("alias_list", args=[other]),
            reverse("alias_create", args=[other]),
            reverse("alias_edit", args=[other, others.id]),
            # His merchant in the URL, the other merchant's alias id: still not his.
            reverse("alias_edit", args=[bobs, others.id]),
            reverse("alias_export", args=[other]),
            reverse("alias_import", args=[other]),
        ]
        for url in foreign:
            self.assertEqual(self.client.get(url).status_code, 404, url)
        for url in [reverse("alias_delete", args=[bobs, others.id]), *foreign[1:3]]:
            self.assertEqual(self.client.post(url, {"alias": "X", "sku": "Y"}).status_code, 404)
        self.client.force_login(self.charlie)
        for url in [*pages, *foreign]:
            self.assertEqual(self.client.get(url).status_code, 404, url)
        delete_url = reverse("alias_delete", args=[bobs, own.id])
        self.assertEqual(self.client.post(delete_url).status_code, 404)
        self.assertEqual(
            self.client.post(pages[1], {"kind": "sku", "alias": "C", "sku": "D"}).status_code, 404
        )
        self.assertEqual(ProductAlias.objects.count(), 2)
