"""The Shopify settings form: what merchants paste, cleaned; credentials kept write-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.test import SimpleTestCase
from django.utils.datastructures import MultiValueDict

from carts.connectors.shopify.connector import ShopifyConnector
from carts.connectors.shopify.forms import ShopifySettingsForm
from carts.connectors.shopify.orders import DEFAULT_FINANCIAL_STATUSES
from carts.connectors.shopify.queries import DEFAULT_API_VERSION
from tests.support.forms import form_values

VALID = {
    "base_url": "https://bobs-bikes.myshopify.com",
    "access_token": "shpat_0123456789abcdef",
    "api_version": "2026-10",
    "financial_statuses": ["PAID"],
}


def form(saved_secrets: tuple[str, ...] = (), **data: Any) -> ShopifySettingsForm:
    return ShopifySettingsForm(
        data={**VALID, **data},
        secret_fields=ShopifyConnector.secret_fields,
        saved_secrets=saved_secrets,
    )


class ShopifySettingsFormTests(SimpleTestCase):
    def test_it_cleans_the_store_address(self) -> None:
        for typed, cleaned in (
            ("bobs-bikes", "https://bobs-bikes.myshopify.com"),
            ("bobs-bikes.myshopify.com/", "https://bobs-bikes.myshopify.com"),
            ("https://bobs-bikes.myshopify.com/admin/orders", "https://bobs-bikes.myshopify.com"),
            ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ):
            with self.subTest(typed=typed):
                settings = form(base_url=typed)
                self.assertTrue(settings.is_valid(), settings.errors)
                self.assertEqual(settings.cleaned_data["base_url"], cleaned)

    def test_it_refuses_an_api_version_shopify_never_released(self) -> None:
        settings = form(api_version="2026-05")

        self.assertFalse(settings.is_valid())
        self.assertIn("01, 04, 07 or 10", settings.errors["api_version"][0])

    def test_it_takes_a_location_as_a_number_or_a_global_id(self) -> None:
        for typed in ("65468416213", "gid://shopify/Location/65468416213"):
            settings = form(location_id=typed)
            self.assertTrue(settings.is_valid(), settings.errors)
            self.assertEqual(settings.cleaned_data["location_id"], "65468416213")
        self.assertFalse(form(location_id="Main warehouse").is_valid())

    def test_credentials_are_write_only_and_kept_apart(self) -> None:
        settings = form(webhook_secret="shpss_secret_value ")

        self.assertTrue(settings.is_valid(), settings.errors)
        self.assertIsInstance(settings.fields["access_token"].widget, forms.PasswordInput)
        self.assertIsInstance(settings.fields["webhook_secret"].widget, forms.PasswordInput)
        self.assertEqual(
            settings.secrets_data(),
            {"access_token": "shpat_0123456789abcdef", "webhook_secret": "shpss_secret_value"},
        )
        self.assertNotIn("access_token", settings.settings_data())
        self.assertEqual(settings.settings_data()["financial_statuses"], ["PAID"])

    def test_a_saved_token_may_be_left_blank(self) -> None:
        self.assertFalse(form(access_token="").is_valid())
        self.assertTrue(form(saved_secrets=("access_token",), access_token="").is_valid())

    def test_the_defaults_are_what_a_3pl_expects(self) -> None:
        fields = ShopifySettingsForm().fields

        self.assertEqual(fields["api_version"].initial, DEFAULT_API_VERSION)
        self.assertEqual(fields["financial_statuses"].initial, list(DEFAULT_FINANCIAL_STATUSES))
        self.assertNotIn("AUTHORIZED", fields["financial_statuses"].initial)
        self.assertTrue(fields["notify_customer"].initial)
        self.assertFalse(fields["location_id"].required)

    def test_the_earliest_order_date_is_saved_as_text(self) -> None:
        settings = form(earliest_order_date="2026-01-15")

        self.assertTrue(settings.is_valid(), settings.errors)
        self.assertEqual(settings.settings_data()["earliest_order_date"], "2026-01-15")

    def test_every_saved_setting_survives_an_unchanged_edit(self) -> None:
        # What the edit page does: the saved settings rendered, posted back as a browser
        # would, cleaned again. Lists must come back as lists, not as their text.
        saved = {
            "base_url": "https://bobs-bikes.myshopify.com",
            "api_version": "2026-07",
            "financial_statuses": ["PAID", "PARTIALLY_REFUNDED", "AUTHORIZED"],  # form order
            "location_id": "65468416213",
            "notify_customer": False,
            "earliest_order_date": "2026-01-15",
        }
        secrets = ("access_token", "webhook_secret")
        page = ShopifyConnector.form(saved_settings=saved, saved_secrets=secrets)
        posted = form_values(
            f'<form method="post">{page.as_div()}</form>', containing="settings-base_url"
        )

        edited = ShopifyConnector.form(
            MultiValueDict(posted), saved_settings=saved, saved_secrets=secrets
        )

        self.assertTrue(edited.is_valid(), edited.errors)
        self.assertEqual(edited.settings_data(), saved)
        self.assertEqual(edited.secrets_data(), {})  # the saved credentials are kept
