"""The kit screens: a kit with its component rows as one form, its checks, release, roles."""

from __future__ import annotations

from django.urls import reverse

from inventory.models import KitComponent
from orders.models import HoldReason, OrderEvent, OrderStatus
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order


def kit_post(kit_sku: str, rows: list[tuple[str, str]], **extra: str) -> dict[str, str]:
    """The kit form as the browser posts it: the kit SKU and a formset of component rows."""
    data = {
        "kit_sku": kit_sku,
        "components-TOTAL_FORMS": str(len(rows)),
        "components-INITIAL_FORMS": "0",
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "200",
        **extra,
    }
    for index, (sku, quantity) in enumerate(rows):
        data[f"components-{index}-component_sku"] = sku
        data[f"components-{index}-quantity"] = quantity
    return data


class KitScreenTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.list_url = reverse("kit_list", args=[self.bobs_merchant.id])
        self.new_url = reverse("kit_create", args=[self.bobs_merchant.id])

    def components(self, merchant=None) -> set[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
        rows = KitComponent.objects.filter(merchant=merchant or self.bobs_merchant)
        return set(rows.values_list("kit_sku", "component_sku", "quantity"))

    def test_it_adds_a_kit_with_its_components(self) -> None:
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(self.new_url), "components-2-component_sku")
        response = self.client.post(
            self.new_url,
            kit_post("CAMP-SET", [("TENT-2P-GRN", "1"), ("STAKE-AL", "8"), ("", "1")]),
            follow=True,
        )
        self.assertRedirects(response, self.list_url)
        self.assertContains(response, "Kit CAMP-SET saved.")
        self.assertContains(response, "8 × <code>STAKE-AL</code>", html=False)
        self.assertEqual(
            self.components(), {("CAMP-SET", "TENT-2P-GRN", 1), ("CAMP-SET", "STAKE-AL", 8)}
        )

    def test_a_kit_cannot_contain_itself_nor_a_zero_quantity(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(self.new_url, kit_post("CAMP-SET", [("CAMP-SET", "1")]))
        self.assertContains(response, "A kit cannot contain itself: remove CAMP-SET")
        response = self.client.post(self.new_url, kit_post("CAMP-SET", [("TENT", "0")]))
        self.assertContains(response, "greater than or equal to 1")
        response = self.client.post(self.new_url, kit_post("CAMP-SET", [("", "1")]))
        self.assertContains(response, "A kit needs at least one component.")
        response = self.client.post(
            self.new_url, kit_post("CAMP-SET", [("TENT", "1"), ("TENT", "2")])
        )
        self.assertContains(response, "TENT is listed twice")
        self.assertEqual(self.components(), set())

    def test_it_edits_renames_and_deletes_a_kit(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(self.new_url, kit_post("CAMP-SET", [("TENT", "1"), ("STAKE", "8")]))
        self.client.post(self.new_url, kit_post("OTHER-KIT", [("TENT", "2")]))
        edit_url = reverse("kit_edit", args=[self.bobs_merchant.id]) + "?kit=CAMP-SET"
        page = self.client.get(edit_url)
        self.assertContains(page, 'value="STAKE"')
        # A new kit with an existing kit's SKU is refused, not merged.
        response = self.client.post(self.new_url, kit_post("CAMP-SET", [("MAT", "1")]))
        self.assertContains(response, "CAMP-SET is already a kit of Bob&#x27;s Bikes.")
        # Editing: a row ticked for removal goes, the others are saved; a rename moves it.
        data = kit_post("CAMP-SET-2", [("TENT", "1"), ("STAKE", "10")], replaces="CAMP-SET")
        data["components-0-DELETE"] = "on"
        response = self.client.post(reverse("kit_edit", args=[self.bobs_merchant.id]), data)
        self.assertRedirects(response, self.list_url, fetch_redirect_response=False)
        self.assertEqual(self.components(), {("CAMP-SET-2", "STAKE", 10), ("OTHER-KIT", "TENT", 2)})
        delete_url = reverse("kit_delete", args=[self.bobs_merchant.id])
        self.client.post(delete_url, {"kit_sku": "CAMP-SET-2"})
        self.assertEqual(self.components(), {("OTHER-KIT", "TENT", 2)})
        missing = self.client.get(
            reverse("kit_edit", args=[self.bobs_merchant.id]) + "?kit=NOPE", follow=True
        )
        self.assertContains(missing, "has no kit NOPE")

    def test_saving_a_kit_releases_the_orders_held_for_its_sku(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BOB-")
        held = create_order(
            cart, skus=("CAMP-SET",), status=OrderStatus.ERROR, error_code=HoldReason.UNKNOWN_SKU
        )
        other = create_order(
            cart,
            number=2,
            skus=("TENT",),
            status=OrderStatus.ERROR,
            error_code=HoldReason.UNKNOWN_SKU,
        )
        self.client.force_login(self.alice)
        response = self.client.post(
            self.new_url, kit_post("CAMP-SET", [("TENT", "1")]), follow=True
        )
        self.assertContains(response, "Kit CAMP-SET saved. 1 held order goes to the WMS now.")
        held.refresh_from_db()
        other.refresh_from_db()
        self.assertEqual((held.status, other.status), (OrderStatus.NEW, OrderStatus.ERROR))
        self.assertTrue(
            OrderEvent.objects.filter(order=held, message__contains="Kit CAMP-SET saved").exists()
        )

    def test_it_checks_ownership(self) -> None:
        KitComponent.objects.create(
            account=self.alices_account,
            merchant=self.other_merchant,
            kit_sku="OO-KIT",
            component_sku="HAT",
        )
        other = self.other_merchant.id
        foreign_gets = [
            reverse("kit_list", args=[other]),
            reverse("kit_create", args=[other]),
            reverse("kit_edit", args=[other]) + "?kit=OO-KIT",
            reverse("kit_export", args=[other]),
        ]
        self.client.force_login(self.alice)
        for url in foreign_gets:
            self.assertEqual(self.client.get(url).status_code, 200, url)
        self.client.force_login(self.bob)
        for url in foreign_gets:
            self.assertEqual(self.client.get(url).status_code, 404, url)
        self.assertEqual(
            self.client.post(
                reverse("kit_delete", args=[other]), {"kit_sku": "OO-KIT"}
            ).status_code,
            404,
        )
        # Bob's own merchant in the URL does not reach the other merchant's kit.
        response = self.client.post(
            reverse("kit_delete", args=[self.bobs_merchant.id]), {"kit_sku": "OO-KIT"}, follow=True
        )
        self.assertContains(response, "has no kit OO-KIT")
        self.client.force_login(self.charlie)
        for url in [*foreign_gets, reverse("kit_list", args=[self.bobs_merchant.id])]:
            self.assertEqual(self.client.get(url).status_code, 404, url)
        response = self.client.post(
            reverse("kit_create", args=[other]), kit_post("C-KIT", [("A", "1")])
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(
            self.client.post(
                reverse("kit_delete", args=[other]), {"kit_sku": "OO-KIT"}
            ).status_code,
            404,
        )
        self.assertEqual(self.components(self.other_merchant), {("OO-KIT", "HAT", 1)})
