"""Bad input at the webhook endpoint and in a cart's address is refused, never a 500; a signed
body sent again under a new delivery id is a repeat."""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse

from carts.models import WebhookDelivery
from tests.base import TenantsMixin
from tests.support.carts import BIGCOMMERCE, SHOPIFY, WOOCOMMERCE, CartKitMixin

SIGNATURE_HEADERS = {
    "shopify": "x-shopify-hmac-sha256",
    "woocommerce": "x-wc-webhook-signature",
    "bigcommerce": "webhook-signature",
}
DELIVERY_HEADERS = {
    "shopify": "x-shopify-webhook-id",
    "woocommerce": "x-wc-webhook-delivery-id",
}


class WebhookInputTests(CartKitMixin, TenantsMixin, TestCase):
    kit = SHOPIFY

    def setUp(self) -> None:
        super().setUp()
        self.create_tenants()
        self.cart = self.start_cart()
        self.order_id = self.kit.add_order(self.emulator)

    def signed(self) -> tuple[dict[str, str], bytes]:
        headers, body = self.kit.webhook(self.emulator, self.order_id)
        return {name.lower(): value for name, value in headers.items()}, body

    def test_a_signature_header_with_bytes_beyond_ascii_is_refused_not_a_500(self) -> None:
        headers, body = self.signed()
        name = SIGNATURE_HEADERS[self.kit.key]
        for forged in ("v1,\xe9\xe8\xff" + headers[name][6:], "\xe9" * 44, "ünïcødé=="):
            with self.subTest(forged=forged):
                response = self.post_webhook(self.cart, {**headers, name: forged}, body)
                self.assertEqual(response.status_code, 401)
        self.assertFalse(WebhookDelivery.objects.exists())

    def test_a_signed_body_sent_again_under_a_new_delivery_id_is_a_repeat(self) -> None:
        headers, body = self.signed()
        self.assertEqual(self.post_webhook(self.cart, headers, body).status_code, 200)
        name = DELIVERY_HEADERS.get(self.kit.key, "webhook-id")
        again = self.post_webhook(self.cart, {**headers, name: "a-brand-new-id"}, body)
        if self.kit.key == "bigcommerce":
            # BigCommerce signs its delivery id: a new one breaks the signature, and the same
            # delivery sent again is the repeat.
            self.assertEqual(again.status_code, 401)
            again = self.post_webhook(self.cart, headers, body)
        self.assertEqual(again.json(), {"ok": True, "duplicate": True})
        self.assertEqual(WebhookDelivery.objects.filter(cart=self.cart).count(), 1)


class WooCommerceWebhookInputTests(WebhookInputTests):
    kit = WOOCOMMERCE


class BigCommerceWebhookInputTests(WebhookInputTests):
    kit = BIGCOMMERCE


class StoreAddressInputTests(CartKitMixin, TenantsMixin, TestCase):
    kit = WOOCOMMERCE

    def test_an_address_of_another_scheme_is_a_form_error_not_a_500(self) -> None:
        self.create_tenants()
        self.client.force_login(self.alice)
        for address in ("ftp://shop.example.com", "javascript:alert(1)", "file:///etc/passwd"):
            with self.subTest(address=address):
                response = self.client.post(
                    reverse("cart_create", args=["woocommerce"]),
                    {
                        "merchant": self.bobs_merchant.id,
                        "label": "Shop",
                        "reference_prefix": "SH-",
                        "settings-base_url": address,
                        "settings-consumer_key": "ck_0123456789",
                        "settings-consumer_secret": "cs_0123456789",
                        "settings-download_statuses": ["processing"],
                        "settings-shipment_tracking": "auto",
                    },
                )
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "https://")
