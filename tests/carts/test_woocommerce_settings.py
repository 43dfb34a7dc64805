"""The WooCommerce settings form: what it accepts, cleans and keeps write-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.test import SimpleTestCase

from carts.connectors.woocommerce.connector import WooCommerceConnector
from carts.connectors.woocommerce.forms import WooCommerceSettingsForm


def form(*, saved: tuple[str, ...] = (), **data: Any) -> WooCommerceSettingsForm:
    values = {
        "base_url": "https://shop.example.com",
        "consumer_key": "ck_live_1234567890",
        "consumer_secret": "cs_live_0987654321",
        "download_statuses": ["processing"],
        "ship_status": "completed",
        "notify_customer": "on",
        "shipment_tracking": "auto",
        **data,
    }
    # A saved connection is edited at the address it was saved for, unless the test says.
    return WooCommerceConnector.form(
        values,
        prefix=None,
        saved_settings={"base_url": "https://shop.example.com"} if saved else None,
        saved_secrets=saved,
    )


class WooCommerceSettingsFormTests(SimpleTestCase):
    def test_it_splits_settings_from_secrets(self) -> None:
        bound = form(earliest_order_date="2026-01-15", webhook_secret="whsec-abcdef")
        self.assertTrue(bound.is_valid(), bound.errors)
        settings = bound.settings_data()
        self.assertEqual(settings["base_url"], "https://shop.example.com")
        self.assertEqual(settings["download_statuses"], ["processing"])
        self.assertEqual(settings["earliest_order_date"], "2026-01-15")
        self.assertIs(settings["notify_customer"], True)
        self.assertIs(settings["query_string_auth"], False)
        self.assertNotIn("consumer_secret", settings)
        self.assertNotIn("consumer_key", settings)
        self.assertEqual(
            bound.secrets_data(),
            {
                "consumer_key": "ck_live_1234567890",
                "consumer_secret": "cs_live_0987654321",
                "webhook_secret": "whsec-abcdef",
            },
        )

    def test_the_keys_are_write_only(self) -> None:
        bound = form()
        for name in WooCommerceConnector.secret_fields:
            self.assertIsInstance(bound.fields[name].widget, forms.PasswordInput)
        self.assertNotIn("cs_live_0987654321", str(bound["consumer_secret"]))

    def test_saved_keys_may_be_left_blank(self) -> None:
        bound = form(consumer_key="", consumer_secret="", saved=("consumer_key", "consumer_secret"))
        self.assertTrue(bound.is_valid(), bound.errors)
        self.assertEqual(bound.secrets_data(), {})

    def test_it_keeps_the_site_address_from_what_was_pasted(self) -> None:
        for pasted in (
            "https://shop.example.com/wp-admin/",
            "https://shop.example.com/wp-json/wc/v3/orders",
            "shop.example.com",
        ):
            bound = form(base_url=pasted)
            self.assertTrue(bound.is_valid(), bound.errors)
            self.assertEqual(bound.cleaned_data["base_url"], "https://shop.example.com")
        bound = form(base_url="https://example.com/shop/wp-admin")
        self.assertTrue(bound.is_valid())
        self.assertEqual(bound.cleaned_data["base_url"], "https://example.com/shop")

    def test_it_refuses_plain_http_except_to_a_network_the_operator_allowed(self) -> None:
        bound = form(base_url="http://shop.example.com")
        self.assertFalse(bound.is_valid())
        self.assertIn("https://", bound.errors["base_url"][0])
        # The tests allow loopback (HUB_OUTBOUND_ALLOW), where the emulators listen.
        self.assertTrue(form(base_url="http://127.0.0.1:8080").is_valid())

    def test_it_cleans_status_slugs(self) -> None:
        bound = form(extra_statuses="wc-ready-to-ship, packed", ship_status="wc-shipped")
        self.assertTrue(bound.is_valid(), bound.errors)
        self.assertEqual(bound.cleaned_data["extra_statuses"], ["ready-to-ship", "packed"])
        self.assertEqual(bound.cleaned_data["ship_status"], "shipped")
        bound = form(extra_statuses="Ready To Ship!")
        self.assertFalse(bound.is_valid())
        self.assertIn("slug", bound.errors["extra_statuses"][0])

    def test_saved_statuses_show_as_text_that_saves_the_same_list(self) -> None:
        saved = {
            "base_url": "https://shop.example.com",
            "extra_statuses": ["ready-to-ship", "packed"],
        }
        shown = WooCommerceConnector.form(saved_settings=saved, prefix=None)["extra_statuses"]
        self.assertEqual(shown.value(), "ready-to-ship, packed")
        bound = form(extra_statuses=shown.value())
        self.assertTrue(bound.is_valid(), bound.errors)
        self.assertEqual(bound.settings_data()["extra_statuses"], ["ready-to-ship", "packed"])

    def test_an_empty_ship_status_leaves_the_status_alone(self) -> None:
        bound = form(ship_status="")
        self.assertTrue(bound.is_valid(), bound.errors)
        self.assertEqual(bound.settings_data()["ship_status"], "")

    def test_it_needs_a_status_to_download(self) -> None:
        self.assertFalse(form(download_statuses=[]).is_valid())

    def test_crispy_renders_it_without_its_own_form_tag(self) -> None:
        from crispy_forms.utils import render_crispy_form

        html = render_crispy_form(form())
        self.assertNotIn("<form", html)
        self.assertIn("Shipment Tracking extension", html)
