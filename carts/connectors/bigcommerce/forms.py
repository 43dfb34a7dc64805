"""The BigCommerce cart's settings and credentials form."""

from __future__ import annotations

import re
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms

from carts.connectors.bigcommerce.orders import (
    CANCELLED,
    DEFAULT_DOWNLOAD_STATUSES,
    STATUS_NAMES,
)
from integration_manager.connectors import ConnectorSettingsForm

DEFAULT_BASE_URL = "https://api.bigcommerce.com"
STORE_HASH = re.compile(r"^[a-z0-9]{1,40}$")
# People paste the whole API path BigCommerce shows next to the token; take the hash from it.
STORE_HASH_IN_PATH = re.compile(r"/stores/([A-Za-z0-9]+)")

# Cancelled orders always come down (so the hub can stop them), and Incomplete ones are
# abandoned checkouts: neither is a choice.
DOWNLOAD_STATUS_CHOICES = [
    (str(status_id), name)
    for status_id, name in STATUS_NAMES.items()
    if status_id not in (0, CANCELLED)
]
STATUS_AFTER_SHIPMENT_CHOICES = [
    ("", "Leave it to BigCommerce (Shipped, or Partially Shipped)"),
    ("10", "Completed"),
]


class BigCommerceSettingsForm(ConnectorSettingsForm):
    store_hash = forms.CharField(
        max_length=200,
        help_text="The code after /stores/ in the API path BigCommerce shows with the access "
        "token (https://api.bigcommerce.com/stores/abc123/v3/ → abc123). Pasting the whole "
        "path works too.",
    )
    access_token = forms.CharField(
        max_length=200,
        help_text="From a store-level API account (Settings › Store-level API accounts) with "
        "the scopes Orders: modify, Products: read-only and Store Inventory: modify.",
    )
    client_secret = forms.CharField(
        max_length=200,
        required=False,
        help_text="The same API account's client secret. Only needed for webhooks: it checks "
        "that a webhook really comes from BigCommerce.",
    )
    download_statuses = forms.MultipleChoiceField(
        choices=DOWNLOAD_STATUS_CHOICES,
        initial=[str(status_id) for status_id in DEFAULT_DOWNLOAD_STATUSES],
        widget=forms.CheckboxSelectMultiple,
        label="Download orders in these statuses",
        help_text="Awaiting Fulfillment is a paid order ready to ship; most stores need only "
        "that. Cancelled orders always come down, so the hub can stop them.",
    )
    status_after_shipment = forms.ChoiceField(
        choices=STATUS_AFTER_SHIPMENT_CHOICES,
        required=False,
        initial="",
        help_text="BigCommerce itself marks an order Shipped once every item has shipped. "
        "Choose Completed to move it on from there.",
    )
    inventory_location_id = forms.IntegerField(
        min_value=1,
        initial=1,
        label="Inventory location id",
        help_text="The BigCommerce location whose stock the warehouse sets (Settings › "
        "Locations). The default location is 1.",
    )
    earliest_order_date = forms.DateField(
        required=False,
        help_text="Optional. The first download takes orders changed since this date "
        "(otherwise the last 7 days).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    base_url = forms.URLField(
        required=False,
        assume_scheme="https",
        initial=DEFAULT_BASE_URL,
        label="API address",
        help_text="Leave as it is; only a test server needs another address.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the setup page owns the <form> and its buttons
        self.helper.layout = Layout(
            Fieldset("Store", "store_hash", "access_token", "client_secret"),
            Fieldset("Orders", "download_statuses", "status_after_shipment", "earliest_order_date"),
            Fieldset("Inventory", "inventory_location_id"),
            Fieldset("Advanced", "base_url"),
        )

    def clean_store_hash(self) -> str:
        value = self.cleaned_data["store_hash"].strip()
        found = STORE_HASH_IN_PATH.search(value)
        if found:
            value = found.group(1)
        value = value.lower()
        # The control panel's address: store-abc123.mybigcommerce.com
        if value.startswith("store-"):
            value = value.removeprefix("store-").split(".", 1)[0]
        if not STORE_HASH.match(value):
            raise forms.ValidationError(
                "A store hash is letters and digits only, like abc123. Copy it from the API "
                "path BigCommerce shows with the access token."
            )
        return value

    def clean_base_url(self) -> str:
        return (self.cleaned_data.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
