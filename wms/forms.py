"""Forms of the WMS page: which WMS, and a ship method added by hand."""

from __future__ import annotations

from django import forms

from wms.connectors.registry import WMS_CONNECTORS


class WmsChoiceForm(forms.Form):
    connector_key = forms.ChoiceField(label="WMS", choices=WMS_CONNECTORS.choices)
    label = forms.CharField(
        max_length=200, required=False, help_text="A name for it in the hub. Empty: the WMS's name."
    )


class ShipMethodForm(forms.Form):
    code = forms.CharField(max_length=100, help_text="Exactly as the WMS expects it.")
    description = forms.CharField(max_length=200, required=False)
    carrier = forms.CharField(max_length=100, required=False)
