"""The Shopify cart's settings and credentials form."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from carts.connectors.shopify.orders import DEFAULT_FINANCIAL_STATUSES, FINANCIAL_STATUSES
from carts.connectors.shopify.queries import DEFAULT_API_VERSION
from integration_manager.connectors import ConnectorSettingsForm

API_VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")
LOCATION_ID = re.compile(r"^(gid://shopify/Location/)?(?P<id>\d+)$")


class ShopifySettingsForm(ConnectorSettingsForm):
    base_url = forms.CharField(
        label="Store address",
        max_length=200,
        help_text="Your store's myshopify.com address, e.g. https://your-store.myshopify.com "
        "(shown in Shopify under Settings > Domains), not the shop's own domain.",
    )
    access_token = forms.CharField(
        label="Admin API access token",
        max_length=200,
        help_text="From the hub's custom app in Shopify: Settings > Apps > Develop apps > "
        "the app > API credentials. It starts with shpat_ and is shown only once.",
    )
    api_version = forms.CharField(
        label="API version",
        max_length=10,
        initial=DEFAULT_API_VERSION,
        help_text=f"The Shopify Admin API version to use, e.g. {DEFAULT_API_VERSION}. "
        "Keep the default unless Shopify's e-mails about your app say otherwise.",
    )
    financial_statuses = forms.MultipleChoiceField(
        label="Download orders that are",
        choices=FINANCIAL_STATUSES,
        initial=list(DEFAULT_FINANCIAL_STATUSES),
        widget=forms.CheckboxSelectMultiple,
        help_text="Orders in other payment states wait in Shopify until they change. "
        "Tick Authorized if the shop captures payments when the order ships. "
        "Cancelled orders always come down, so the hub can stop them.",
    )
    location_id = forms.CharField(
        label="Inventory location ID",
        required=False,
        max_length=80,
        help_text="The Shopify location whose stock the hub sets: the number at the end of "
        "the address of Settings > Locations > the location. Leave blank for the shop's "
        "primary location.",
    )
    notify_customer = forms.BooleanField(
        label="E-mail the customer when an order ships",
        required=False,
        initial=True,
        help_text="Shopify sends its shipping confirmation with the tracking number.",
    )
    earliest_order_date = forms.DateField(
        label="Earliest order date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Orders placed before this day are never downloaded. Leave blank to start "
        "with the last seven days.",
    )
    webhook_secret = forms.CharField(
        label="Webhook signing secret",
        required=False,
        max_length=200,
        help_text="Only for webhooks. For webhooks made under Settings > Notifications > "
        "Webhooks, the key that page says they are signed with; for webhooks the app "
        "subscribes to, the app's API secret key (client secret).",
    )

    def clean_base_url(self) -> str:
        value = self.cleaned_data["base_url"].strip()
        if "://" not in value:
            # "your-store" or "your-store.myshopify.com": what merchants copy most often.
            host = value.strip("/")
            value = f"https://{host if '.' in host else host + '.myshopify.com'}"
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(
                "Type the store's address, e.g. https://your-store.myshopify.com."
            )
        # The admin pages' addresses are often pasted whole; the API lives at the root.
        return f"{parts.scheme}://{parts.netloc}"

    def clean_access_token(self) -> str:
        return self.cleaned_data["access_token"].strip()

    def clean_webhook_secret(self) -> str:
        return self.cleaned_data["webhook_secret"].strip()

    def clean_api_version(self) -> str:
        value = self.cleaned_data["api_version"].strip().lower()
        if not API_VERSION.match(value):
            raise ValidationError(
                f"Type a Shopify API version such as {DEFAULT_API_VERSION} "
                "(year-month, with month 01, 04, 07 or 10)."
            )
        return value

    def clean_location_id(self) -> str:
        value = self.cleaned_data["location_id"].strip()
        if not value:
            return ""
        match = LOCATION_ID.match(value)
        if match is None:
            raise ValidationError(
                "Type the location's number, e.g. 65468416213, or leave blank for the "
                "primary location."
            )
        return match.group("id")
