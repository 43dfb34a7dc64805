"""The WooCommerce cart's settings and credentials form."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms

from carts.connectors.woocommerce.client import KEYS_PAGE
from integration_manager.connectors import ConnectorSettingsForm

# pending: not paid yet; on-hold: usually awaiting a bank transfer or cheque, so a 3PL does not
# ship it until the merchant moves it to processing. Both can be chosen, neither is the default.
STATUS_CHOICES = [
    ("processing", "Processing (paid, ready to ship)"),
    ("on-hold", "On hold (awaiting payment or review)"),
    ("pending", "Pending payment"),
]
SHIPMENT_TRACKING_CHOICES = [
    ("auto", "Use it when the store has it"),
    ("yes", "Always (the store has the Shipment Tracking extension)"),
    ("no", "Never: tracking goes into an order note"),
]
SLUG = re.compile(r"^[a-z0-9_-]{1,20}$")
# People paste the address they see in the browser; the hub wants the site's home.
PASTED_SUFFIXES = ("/wp-json/wc/v3", "/wp-json", "/wp-admin")


def _status_slug(value: str) -> str:
    slug = value.strip().lower()
    return slug[3:] if slug.startswith("wc-") else slug  # the database form of a status


class StatusSlugsField(forms.CharField):
    """Status slugs typed as text, separated by commas; the setting keeps them as a list."""

    def prepare_value(self, value: Any) -> Any:
        # A saved connection's edit form shows the list as the text it was typed as, so that
        # saving the form unchanged saves the same list (not the list's repr, refused).
        if isinstance(value, list | tuple):
            return ", ".join(str(slug) for slug in value)
        return super().prepare_value(value)


class WooCommerceSettingsForm(ConnectorSettingsForm):
    base_url = forms.URLField(
        label="Store address",
        assume_scheme="https",
        help_text="The WordPress site's home page, e.g. https://shop.example.com. It must be "
        "https: WooCommerce takes API keys over plain http only with OAuth signatures.",
    )
    consumer_key = forms.CharField(
        label="Consumer key",
        max_length=200,
        help_text=f"Starts with ck_. Make a key with Read/Write permission in {KEYS_PAGE}.",
    )
    consumer_secret = forms.CharField(
        label="Consumer secret",
        max_length=200,
        help_text="Starts with cs_. WooCommerce shows it only once, when the key is made.",
    )
    query_string_auth = forms.BooleanField(
        label="Send the keys in the query string",
        required=False,
        help_text="Only if “Test connection” says the web server removes the Authorization "
        "header. The keys then travel in the address (still encrypted by https).",
    )
    download_statuses = forms.MultipleChoiceField(
        label="Download orders with these statuses",
        choices=STATUS_CHOICES,
        initial=["processing"],
        widget=forms.CheckboxSelectMultiple,
        help_text="Cancelled and refunded orders are always read too, so that a cancellation "
        "reaches the hub.",
    )
    extra_statuses = StatusSlugsField(
        label="Other statuses to download",
        required=False,
        help_text="Status slugs added by plugins, separated by commas, e.g. ready-to-ship.",
    )
    earliest_order_date = forms.DateField(
        label="Earliest order date",
        required=False,
        help_text="The first download starts here (orders changed since this date). Empty: "
        "the last 7 days.",
    )
    ship_status = forms.CharField(
        label="Status after shipping",
        required=False,
        initial="completed",
        max_length=23,
        help_text="Set when a shipment is uploaded: completed, or a plugin's status slug such "
        "as shipped. Empty: leave the status alone.",
    )
    notify_customer = forms.BooleanField(
        label="E-mail the tracking note to the customer",
        required=False,
        initial=True,
        help_text="The note becomes a customer note, which WooCommerce e-mails. Off: a private "
        "note. (Not used when tracking goes to the Shipment Tracking extension.)",
    )
    shipment_tracking = forms.ChoiceField(
        label="Shipment Tracking extension",
        choices=SHIPMENT_TRACKING_CHOICES,
        initial="auto",
        help_text="With the extension, tracking numbers show in the customer's e-mails and "
        "account with a carrier link.",
    )
    webhook_secret = forms.CharField(
        label="Webhook secret",
        required=False,
        max_length=200,
        help_text="The Secret of the order.created and order.updated webhooks in WooCommerce > "
        "Settings > Advanced > Webhooks. Optional: without webhooks the hub still downloads "
        "on its schedule.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the setup page owns the <form> and its buttons
        self.helper.layout = Layout(
            Fieldset("Store", "base_url", "consumer_key", "consumer_secret", "query_string_auth"),
            Fieldset("Orders", "download_statuses", "extra_statuses", "earliest_order_date"),
            Fieldset("Shipments", "ship_status", "notify_customer", "shipment_tracking"),
            Fieldset("Webhooks", "webhook_secret"),
        )

    def clean_base_url(self) -> str:
        parts = urlsplit(self.cleaned_data["base_url"].strip())
        if parts.query or parts.fragment:
            raise forms.ValidationError(
                "Enter the store's home page only, without anything after ? or #."
            )
        path = parts.path.rstrip("/")
        for suffix in PASTED_SUFFIXES:
            if suffix in path:
                path = path[: path.index(suffix)]
        # https only (the outbound guard's rule, checked in the base form): over plain http
        # WooCommerce accepts keys only with OAuth signatures, and they would cross the
        # internet unencrypted.
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    def clean_extra_statuses(self) -> list[str]:
        slugs = [
            _status_slug(part)
            for part in re.split(r"[,\s]+", self.cleaned_data.get("extra_statuses") or "")
            if part.strip()
        ]
        wrong = [slug for slug in slugs if not SLUG.match(slug)]
        if wrong:
            raise forms.ValidationError(
                f"{', '.join(wrong)} is not a status slug: use lower-case letters, digits and "
                "dashes, as in the status's URL in WooCommerce."
            )
        return list(dict.fromkeys(slugs))

    def clean_ship_status(self) -> str:
        slug = _status_slug(self.cleaned_data.get("ship_status") or "")
        if slug and not SLUG.match(slug):
            raise forms.ValidationError(
                "Enter a status slug such as completed: lower-case letters, digits and dashes."
            )
        return slug
