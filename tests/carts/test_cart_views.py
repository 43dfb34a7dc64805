"""The cart screens: add, edit with write-only credentials, test, enable, ship methods, roles."""

from __future__ import annotations

from django.urls import reverse

from carts.models import CartConnection
from jobs.models import ServiceSchedule
from orders.models import HoldReason, Order, OrderStatus
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_wms
from wms.models import ShipMethodMap, WmsShipMethod

SANDBOX_FORM = {
    "label": "Bob's web store",
    "order_source": "",
    "reference_prefix": "bob-",
    "settings-api_key": "sandbox-key",
    "settings-orders_per_minute": "2",
    "settings-bad_order_percent": "5",
    "settings-cancel_percent": "3",
}


class CartViewTests(BaseTestCase):
    def test_bob_adds_a_cart_for_his_merchant(self) -> None:
        self.client.force_login(self.bob)
        picker = self.client.get(reverse("cart_new"))
        self.assertContains(picker, "Shopify")
        self.assertContains(picker, "WooCommerce")
        self.assertContains(picker, "BigCommerce")
        response = self.client.post(
            reverse("cart_create", args=["sandbox"]),
            {**SANDBOX_FORM, "merchant": self.bobs_merchant.id},
        )
        cart = CartConnection.objects.get()
        self.assertRedirects(response, reverse("cart_detail", args=[cart.id]))
        self.assertEqual(
            (cart.merchant, cart.reference_prefix, cart.order_source),
            (self.bobs_merchant, "BOB-", "Bob's web store"),
        )
        self.assertEqual(cart.credentials["api_key"], "sandbox-key")
        self.assertNotIn("api_key", cart.settings)
        self.assertEqual(ServiceSchedule.objects.filter(cart=cart).count(), 3)

    def test_bob_cannot_add_a_cart_for_the_other_merchant(self) -> None:
        self.client.force_login(self.bob)
        response = self.client.post(
            reverse("cart_create", args=["sandbox"]),
            {**SANDBOX_FORM, "merchant": self.other_merchant.id},
        )
        self.assertContains(response, "Select a valid choice")
        self.assertFalse(CartConnection.objects.exists())

    def test_bad_input_saves_nothing(self) -> None:
        self.client.force_login(self.alice)
        create_cart(self.bobs_merchant, prefix="TAKEN-")
        base = {**SANDBOX_FORM, "merchant": self.bobs_merchant.id}
        for change, message in [
            ({"reference_prefix": "no spaces"}, "letters or digits followed by a dash"),
            ({"reference_prefix": "taken-"}, "Another cart uses this prefix"),
            ({"settings-api_key": ""}, "This field is required"),
            ({"settings-orders_per_minute": "-1"}, "greater than or equal to 0"),
            ({"label": ""}, "This field is required"),
        ]:
            with self.subTest(change=change):
                self.assertContains(
                    self.client.post(reverse("cart_create", args=["sandbox"]), {**base, **change}),
                    message,
                )
        self.assertEqual(CartConnection.objects.count(), 1)

    def test_an_unknown_cart_type_is_404(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(reverse("cart_create", args=["nope"])).status_code, 404)

    def test_saved_credentials_are_never_shown_and_blank_keeps_them(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.client.force_login(self.alice)
        page = self.client.get(reverse("cart_edit", args=[cart.id]))
        self.assertNotContains(page, "sandbox-key")
        self.assertContains(page, "Leave blank to keep it")
        response = self.client.post(
            reverse("cart_edit", args=[cart.id]),
            {
                **SANDBOX_FORM,
                "label": "Renamed",
                "reference_prefix": "BB-",
                "settings-api_key": "",
            },
        )
        self.assertRedirects(response, reverse("cart_detail", args=[cart.id]))
        cart.refresh_from_db()
        self.assertEqual((cart.label, cart.credentials["api_key"]), ("Renamed", "sandbox-key"))

    def test_staff_operate_carts_but_cannot_edit_credentials(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.client.force_login(self.create_staff())
        self.assertContains(
            self.client.get(reverse("cart_detail", args=[cart.id])), "Test connection"
        )
        self.assertEqual(self.client.get(reverse("cart_edit", args=[cart.id])).status_code, 403)
        self.assertEqual(self.client.get(reverse("cart_new")).status_code, 403)
        response = self.client.post(reverse("cart_test", args=[cart.id]), follow=True)
        self.assertContains(response, "Test passed. Connected to the sandbox store")

    def test_test_connection_says_what_is_wrong(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BB-", credentials={"api_key": "wrong"})
        self.client.force_login(self.alice)
        response = self.client.post(reverse("cart_test", args=[cart.id]), follow=True)
        self.assertContains(response, "Test failed: The sandbox store refused the key.")

    def test_disable_and_enable(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.client.force_login(self.alice)
        self.client.post(reverse("cart_toggle", args=[cart.id]))
        self.assertFalse(ServiceSchedule.objects.filter(cart=cart, enabled=True).exists())
        self.client.post(reverse("cart_toggle", args=[cart.id]))
        self.assertEqual(ServiceSchedule.objects.filter(cart=cart, enabled=True).count(), 3)

    def test_the_cart_page_shows_services_and_last_runs(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.client.force_login(self.bob)
        page = self.client.get(reverse("cart_detail", args=[cart.id]))
        for text in (
            "Order download",
            "Shipment upload",
            "Inventory upload",
            "Run now",
            "never run",
        ):
            self.assertContains(page, text)

    def test_mapping_a_ship_method_releases_held_orders(self) -> None:
        create_wms(self.alices_account)
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        WmsShipMethod.objects.create(
            account=self.alices_account, code="UPS-GND", description="UPS Ground"
        )
        entry = ShipMethodMap.objects.create(
            account=self.alices_account, merchant=self.bobs_merchant, cart=cart, cart_code="pigeon"
        )
        held = create_order(
            cart,
            status=OrderStatus.ERROR,
            ship_code="pigeon",
            error_reason="The ship method “pigeon” has no WMS mapping. Map it.",
            error_code=HoldReason.UNMAPPED_SHIP_METHOD,
        )
        self.client.force_login(self.alice)
        url = reverse("cart_ship_methods", args=[cart.id])
        self.assertContains(self.client.get(url), "unmapped")
        bad = self.client.post(url, {f"map-{entry.id}": "FAKE"}, follow=True)
        self.assertContains(bad, "is not one of the WMS")
        self.client.post(url, {f"map-{entry.id}": "UPS-GND"})
        entry.refresh_from_db()
        self.assertEqual(entry.wms_code, "UPS-GND")
        self.assertEqual(Order.objects.get(id=held.id).status, OrderStatus.NEW)
        self.client.post(url, {f"map-{entry.id}": "__passthrough__"})
        entry.refresh_from_db()
        self.assertEqual((entry.wms_code, entry.passthrough), ("", True))

    def test_merchant_users_do_not_map_ship_methods(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.client.force_login(self.bob)
        self.assertEqual(
            self.client.get(reverse("cart_ship_methods", args=[cart.id])).status_code, 403
        )

    def test_the_cart_list_is_scoped(self) -> None:
        create_cart(self.bobs_merchant, prefix="BB-", label="Bobs shop")
        create_cart(self.other_merchant, prefix="OO-", label="Others shop")
        create_cart(self.charlies_merchant, prefix="CC-", label="Charlies shop")
        self.client.force_login(self.bob)
        page = self.client.get(reverse("cart_list"))
        self.assertContains(page, "Bobs shop")
        self.assertNotContains(page, "Others shop")
        self.assertNotContains(page, "Charlies shop")


class WebhookEndpointTests(BaseTestCase):
    def test_a_cart_without_webhooks_answers_404(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BB-")  # the sandbox takes none
        response = self.client.post(
            reverse("cart_webhook", args=[cart.webhook_token]),
            data=b"{}",
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 404)
        CartConnection.objects.filter(id=cart.id).update(connector_key="uninstalled")
        response = self.client.post(
            reverse("cart_webhook", args=[cart.webhook_token]),
            data=b"{}",
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 404)

    def test_only_post_is_allowed(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.assertEqual(
            self.client.get(reverse("cart_webhook", args=[cart.webhook_token])).status_code, 405
        )
