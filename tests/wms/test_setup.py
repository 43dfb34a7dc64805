"""Setting a warehouse up without surprises: tested before it goes live, "Connected" only after
a passing test, no old error beside new settings, merchant-level WMS settings with a picker,
addresses as the hub is served."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Merchant
from carts.models import CartConnection
from jobs.models import ServiceSchedule
from tests.base import BaseTestCase
from tests.objects import create_wms
from wms.models import WmsConnection


class WmsGoesLiveAfterItsTestTests(BaseTestCase):
    def save(self, key: str):  # type: ignore[no-untyped-def]
        return self.client.post(
            reverse("wms_setup"),
            {
                "connector_key": "sandbox",
                "label": "",
                "settings-api_key": key,
                "settings-ship_delay_seconds": 20,
                "settings-split_percent": 25,
            },
            follow=True,
        )

    def test_a_new_wms_with_a_wrong_key_is_saved_but_not_switched_on(self) -> None:
        self.client.force_login(self.alice)
        page = self.save("wrong-key")
        self.assertContains(page, "saved, but the test failed")
        self.assertContains(page, "Not switched on: test it")
        self.assertNotContains(page, ">Connected<")
        wms = WmsConnection.objects.get()
        self.assertFalse(wms.enabled)
        self.assertIsNone(wms.verified_at)
        self.assertFalse(
            ServiceSchedule.objects.filter(
                account=self.alices_account, enabled=True, cart=None
            ).exists()
        )
        page = self.save("sandbox-key")  # the right key: tested, proved, switched on
        self.assertContains(page, "saved and connected")
        self.assertContains(page, ">Connected<")
        wms.refresh_from_db()
        self.assertTrue(wms.enabled)
        self.assertIsNotNone(wms.verified_at)
        self.assertEqual(wms.last_error, "")

    def test_new_settings_never_show_the_old_error(self) -> None:
        wms = create_wms(self.alices_account)
        WmsConnection.objects.filter(id=wms.id).update(
            last_error="Could not reach old-host.example.com", verified_at=None
        )
        self.client.force_login(self.alice)
        page = self.save("sandbox-key")
        self.assertNotContains(page, "old-host.example.com")


class CartGoesLiveAfterItsTestTests(BaseTestCase):
    def add(self, key: str):  # type: ignore[no-untyped-def]
        return self.client.post(
            reverse("cart_create", args=["sandbox"]),
            {
                "merchant": self.bobs_merchant.id,
                "label": f"Store {key}",
                "reference_prefix": f"K{len(key)}-",
                "settings-api_key": key,
                "settings-orders_per_minute": 2,
                "settings-bad_order_percent": 0,
                "settings-cancel_percent": 0,
            },
            follow=True,
        )

    def test_a_cart_goes_live_only_when_its_test_passes(self) -> None:
        self.client.force_login(self.alice)
        page = self.add("wrong")
        self.assertContains(page, "saved, but not switched on")
        wrong = CartConnection.objects.get(label="Store wrong")
        self.assertFalse(wrong.enabled)
        self.assertFalse(ServiceSchedule.objects.filter(cart=wrong, enabled=True).exists())
        self.assertIn("refused the key", wrong.last_error)
        page = self.add("sandbox-key")
        self.assertContains(page, "connected and switched on")
        right = CartConnection.objects.get(label="Store sandbox-key")
        self.assertTrue(right.enabled)
        self.assertIsNotNone(right.verified_at)
        self.assertEqual(ServiceSchedule.objects.filter(cart=right, enabled=True).count(), 3)
        self.assertContains(self.client.get(reverse("cart_detail", args=[right.id])), "Connected")

    def test_a_failed_cart_switches_on_when_a_later_test_passes(self) -> None:
        self.client.force_login(self.alice)
        self.add("wrong")
        cart = CartConnection.objects.get(label="Store wrong")
        CartConnection.objects.filter(id=cart.id).update(credentials={"api_key": "sandbox-key"})
        page = self.client.post(reverse("cart_test", args=[cart.id]), follow=True)
        self.assertContains(page, "The cart is switched on.")
        self.assertTrue(CartConnection.objects.get(id=cart.id).enabled)

    def test_the_webhook_address_is_the_one_the_hub_is_served_at(self) -> None:
        from tests.emulators.woocommerce import WooCommerceEmulator
        from tests.objects import create_woocommerce_cart

        emulator = WooCommerceEmulator()
        emulator.start()
        self.addCleanup(emulator.stop)
        cart = create_woocommerce_cart(self.bobs_merchant, emulator, prefix="PO-")
        self.client.force_login(self.alice)
        page = self.client.get(reverse("cart_detail", args=[cart.id]), HTTP_HOST="127.0.0.1:8001")
        self.assertContains(page, f"http://127.0.0.1:8001/webhooks/carts/{cart.webhook_token}/")


class MerchantWmsSettingsTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.url = reverse("merchant_wms_settings", args=[self.bobs_merchant.id])

    def test_alice_loads_the_customers_from_the_wms_and_picks_one(self) -> None:
        self.client.force_login(self.alice)
        merchant_page = self.client.get(reverse("merchant_edit", args=[self.bobs_merchant.id]))
        self.assertContains(merchant_page, "Edit WMS settings")
        picker = self.client.get(self.url + "?load=1")
        self.assertContains(picker, "Loaded from the WMS")
        self.assertContains(picker, '<option value="SBX-1002">Trailhead Supply</option>', html=True)
        saved = self.client.post(self.url, {"wms-customer_id": "SBX-1002"})
        self.assertRedirects(saved, reverse("merchant_edit", args=[self.bobs_merchant.id]))
        self.assertEqual(Merchant.objects.get(id=self.bobs_merchant.id).wms_customer_id, "SBX-1002")

    def test_only_this_accounts_admins_reach_it(self) -> None:
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url).status_code, 403)

    def test_a_wms_that_cannot_list_says_so(self) -> None:
        WmsConnection.objects.filter(account=self.alices_account).update(
            credentials={"api_key": "wrong"}
        )
        self.client.force_login(self.alice)
        page = self.client.get(self.url + "?load=1")
        self.assertContains(page, "The WMS could not list them")
