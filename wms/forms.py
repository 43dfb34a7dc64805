"""Forms of the WMS page: which WMS, and a ship method added by hand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from accounts.models import Merchant
from wms.connectors.base import CUSTOMER_ID_FIELD
from wms.connectors.registry import WMS_CONNECTORS
from wms.models import WmsConnection


class WmsChoiceForm(forms.Form):
    connector_key = forms.ChoiceField(label="WMS", choices=WMS_CONNECTORS.choices)
    label = forms.CharField(
        max_length=200, required=False, help_text="A name for it in the hub. Empty: the WMS's name."
    )


class ShipMethodForm(forms.Form):
    code = forms.CharField(max_length=100, help_text="Exactly as the WMS expects it.")
    description = forms.CharField(max_length=200, required=False)
    carrier = forms.CharField(max_length=100, required=False)


def merchant_wms_settings_form(
    *,
    merchant: Merchant,
    wms: WmsConnection,
    data: Mapping[str, Any] | None = None,
    options: Mapping[str, list[tuple[str, str]]] | None = None,
) -> forms.Form | None:
    """The WMS connector's form for one merchant, filled with what is saved; fields the WMS
    listed choices for (options) become pickers. None when the WMS needs nothing per
    merchant."""
    connector = WMS_CONNECTORS.find(wms.connector_key)
    if connector is None or connector.merchant_settings_form is None:
        return None
    initial = {**(merchant.wms_settings or {}), CUSTOMER_ID_FIELD: merchant.wms_customer_id}
    form = connector.merchant_settings_form(data, initial=initial, prefix="wms")
    for name, choices in (options or {}).items():
        if name in form.fields:
            field = form.fields[name]
            saved = str(initial.get(name) or "")
            listed = [(str(value), label) for value, label in choices]
            if saved and saved not in {value for value, _ in listed}:
                listed.insert(0, (saved, f"{saved} (saved; not listed by the WMS)"))
            form.fields[name] = forms.ChoiceField(
                label=field.label,
                required=field.required,
                help_text=field.help_text,
                choices=[("", "—"), *listed],
            )
    return form
