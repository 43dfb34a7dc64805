"""The BigCommerce settings form: secrets apart, store hashes, choices, an unchanged edit."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import QueryDict
from django.test import SimpleTestCase

from carts.connectors.bigcommerce.connector import BigCommerceConnector
from carts.connectors.bigcommerce.forms import BigCommerceSettingsForm
from integration_manager.connectors import ConnectorSettingsForm
from tests.support.forms import form_values


class SettingsFormTests(SimpleTestCase):
    def form(self, **data: object) -> BigCommerceSettingsForm:
        values = {
            "store_hash": "abc123",
            "access_token": "token-value-123",
            "client_secret": "secret-value-123",
            "download_statuses": ["11"],
            "inventory_location_id": "1",
            "base_url": "",
        }
        values.update(data)
        return BigCommerceSettingsForm(data=values, secret_fields=("access_token", "client_secret"))

    def test_it_splits_settings_from_secrets(self) -> None:
        form = self.form(earliest_order_date="2026-01-15")
        self.assertTrue(form.is_valid(), form.errors)
        settings = form.settings_data()
        self.assertEqual(settings["store_hash"], "abc123")
        self.assertEqual(settings["download_statuses"], ["11"])
        self.assertEqual(settings["base_url"], "https://api.bigcommerce.com")
        self.assertEqual(settings["earliest_order_date"], "2026-01-15")
        self.assertNotIn("access_token", settings)
        self.assertEqual(
            form.secrets_data(),
            {"access_token": "token-value-123", "client_secret": "secret-value-123"},
        )

    def test_a_pasted_api_path_gives_the_store_hash(self) -> None:
        form = self.form(store_hash="https://api.bigcommerce.com/stores/Ab12cd/v3/")
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data["store_hash"], "ab12cd")

    def test_the_control_panel_address_gives_the_store_hash(self) -> None:
        form = self.form(store_hash="store-x9y8z7.mybigcommerce.com")
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data["store_hash"], "x9y8z7")

    def test_a_bad_store_hash_says_what_one_looks_like(self) -> None:
        form = self.form(store_hash="my shop!")
        self.assertFalse(form.is_valid())
        self.assertIn("letters and digits only", form.errors["store_hash"][0])

    def test_cancelled_is_not_a_choice_because_it_always_comes_down(self) -> None:
        form = self.form(download_statuses=["5"])
        self.assertFalse(form.is_valid())
        self.assertIn("download_statuses", form.errors)

    def test_secrets_are_write_only(self) -> None:
        form = BigCommerceSettingsForm(
            initial={"access_token": "token-value-123"},
            secret_fields=("access_token", "client_secret"),
            saved_secrets=("access_token",),
        )
        self.assertNotIn("token-value-123", form.as_p())
        self.assertFalse(form.fields["access_token"].required)


class SettingsRoundTripTests(SimpleTestCase):
    """A saved connection's form, posted back unchanged as a browser would, saves the same
    settings: the statuses are ticked boxes (saved as strings or, from older saves, ints), the
    date and the location id render as the inputs parse them."""

    saved = {
        "store_hash": "abc123",
        "download_statuses": [11, "9"],
        "status_after_shipment": "10",
        "inventory_location_id": 3,
        "earliest_order_date": "2026-01-15",
        "base_url": "https://api.bigcommerce.com",
    }

    def form(self, data: dict[str, list[str]] | None = None) -> ConnectorSettingsForm:
        return BigCommerceConnector.form(
            data, saved_settings=self.saved, saved_secrets=("access_token", "client_secret")
        )

    def test_an_unchanged_edit_saves_the_same_settings(self) -> None:
        page = f'<form method="post">{self.form().as_p()}</form>'
        posted = self.form(
            QueryDict(urlencode(form_values(page, containing="settings-store_hash"), doseq=True))
        )
        self.assertTrue(posted.is_valid(), posted.errors)
        self.assertEqual(posted.settings_data(), {**self.saved, "download_statuses": ["9", "11"]})
        self.assertEqual(posted.secrets_data(), {})  # blank keeps the saved secrets
