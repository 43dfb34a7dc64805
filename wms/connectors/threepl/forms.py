"""3PL Warehouse Manager's connection settings, its per-merchant settings and their choices."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.core.validators import RegexValidator

from integration_manager.connectors import ConnectorSettingsForm

DEFAULT_BASE_URL = "https://secure-wms.com"
DEFAULT_BILLING_CODE = "Prepaid"
WHOLE_NUMBER = RegexValidator(r"^\d{1,10}$", "Type the number the WMS shows, digits only.")


class ThreePLSettingsForm(ConnectorSettingsForm):
    client_id = forms.CharField(
        label="Client id",
        max_length=200,
        help_text="From the Extensiv Support Portal (Manage Credentials, REST API). Write-only.",
    )
    client_secret = forms.CharField(
        label="Client secret",
        max_length=200,
        help_text="The same credential's secret. Write-only.",
    )
    user_login = forms.CharField(
        label="User login",
        max_length=200,
        help_text="The 3PL Warehouse Manager user the credential acts as; orders the hub "
        "creates show this user as their creator.",
    )
    # Not a secret: the 3PL key names the warehouse's instance (like a store hash); it is
    # handed to every integrator of that warehouse and is useless without the client secret.
    # Shown, so a wrong one can be spotted.
    tpl = forms.CharField(
        label="3PL key (TPL GUID)",
        required=False,
        max_length=60,
        help_text="Only for “single-tenant dynamic” credentials; leave blank otherwise. "
        "With or without the braces.",
    )
    default_billing_code = forms.CharField(
        label="Default billing code",
        max_length=50,
        initial=DEFAULT_BILLING_CODE,
        help_text="Who pays the carrier, as the WMS names it (Prepaid, BillThirdParty, …): "
        "used where a ship method names none.",
    )
    base_url = forms.URLField(
        required=False,
        assume_scheme="https",
        initial=DEFAULT_BASE_URL,
        label="API address",
        help_text="https://secure-wms.com for most warehouses; a sandbox has its own.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the setup page owns the <form> and its buttons
        self.helper.layout = Layout(
            Fieldset("Login", "client_id", "client_secret", "user_login", "tpl"),
            Fieldset("Orders", "default_billing_code"),
            Fieldset("Advanced", "base_url"),
        )

    def clean_tpl(self) -> str:
        value = self.cleaned_data.get("tpl", "").strip().strip("{}").strip()
        if not value:
            return ""
        try:
            uuid.UUID(value)
        except ValueError:
            raise forms.ValidationError(
                "A 3PL key looks like {1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d}. Copy it from the "
                "credentials file, or leave it blank."
            ) from None
        return value

    def clean_default_billing_code(self) -> str:
        return self.cleaned_data.get("default_billing_code", "").strip() or DEFAULT_BILLING_CODE

    def clean_base_url(self) -> str:
        return (self.cleaned_data.get("base_url") or DEFAULT_BASE_URL).rstrip("/")


class ThreePLMerchantForm(forms.Form):
    """Where a merchant's orders go in the WMS: its customer (kept in
    Merchant.wms_customer_id) and the facility that ships them (Merchant.wms_settings)."""

    customer_id = forms.CharField(
        label="3PL customer id",
        max_length=10,
        validators=[WHOLE_NUMBER],
        help_text="The merchant's customer in 3PL Warehouse Manager (Customers › Manage).",
    )
    facility_id = forms.CharField(
        label="3PL facility id",
        max_length=10,
        validators=[WHOLE_NUMBER],
        help_text="The warehouse (facility) that ships this merchant's orders; its stock is "
        "the merchant's inventory.",
    )

    def clean_customer_id(self) -> str:
        return self.cleaned_data.get("customer_id", "").strip()

    def clean_facility_id(self) -> str:
        return self.cleaned_data.get("facility_id", "").strip()


def merchant_choices(customers: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """Choices for ThreePLMerchantForm from GET /customers: the active customers, and the
    facilities any of them uses ({name, id} on each customer), by name."""
    customer_choices: dict[str, str] = {}
    facility_choices: dict[str, str] = {}
    for customer in customers:
        read_only = customer.get("readOnly") or {}
        if read_only.get("deactivated"):
            continue
        customer_id = read_only.get("customerId") or customer.get("customerId")
        if customer_id is None:
            continue
        company = customer.get("companyInfo") or {}
        name = company.get("companyName") or company.get("name") or f"Customer {customer_id}"
        customer_choices[str(customer_id)] = f"{name} ({customer_id})"
        for facility in customer.get("facilities") or []:
            if isinstance(facility, Mapping) and facility.get("id") is not None:
                facility_id = str(facility["id"])
                label = facility.get("name") or f"Facility {facility_id}"
                facility_choices[facility_id] = f"{label} ({facility_id})"
    return {
        "customer_id": sorted(customer_choices.items(), key=lambda choice: choice[1].lower()),
        "facility_id": sorted(facility_choices.items(), key=lambda choice: choice[1].lower()),
    }
