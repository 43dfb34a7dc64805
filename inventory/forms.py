"""Forms of the alias, kit, item filter and CSV import screens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from inventory.bulk_csv import MAX_UPLOAD_BYTES
from inventory.models import ProductAlias
from inventory.rule_edits import MAX_SKU_LENGTH, item_filter_sku_check


class AliasForm(forms.Form):
    kind = forms.ChoiceField(
        choices=ProductAlias.Kind.choices,
        initial=ProductAlias.Kind.SKU,
        help_text="What the cart's code is: its own SKU, a UPC, an ASIN or the merchant's SKU.",
    )
    alias = forms.CharField(
        label="Alias (the cart's code)",
        max_length=MAX_SKU_LENGTH,
        help_text="The code as the cart sends it on orders. Unique for this merchant.",
    )
    sku = forms.CharField(
        label="WMS SKU",
        max_length=MAX_SKU_LENGTH,
        help_text="The master SKU the warehouse knows the product by.",
    )


class KitForm(forms.Form):
    kit_sku = forms.CharField(
        label="Kit SKU",
        max_length=MAX_SKU_LENGTH,
        help_text="The SKU the cart sells. The WMS gets the components below instead.",
    )


class KitComponentForm(forms.Form):
    component_sku = forms.CharField(label="Component SKU", max_length=MAX_SKU_LENGTH)
    quantity = forms.IntegerField(
        min_value=1, initial=1, help_text="How many of this component one kit holds."
    )


class BaseKitComponentFormSet(forms.BaseFormSet):
    def components(self) -> list[tuple[str, int]]:
        """The filled-in rows; a row left blank or ticked for removal is no component."""
        return [
            (form.cleaned_data["component_sku"].strip(), form.cleaned_data["quantity"])
            for form in self.forms
            if form.cleaned_data
            and form.cleaned_data.get("component_sku")
            and not form.cleaned_data.get("DELETE")
        ]


KitComponentFormSet = forms.formset_factory(
    KitComponentForm, formset=BaseKitComponentFormSet, extra=3, can_delete=True, max_num=200
)


class ItemFilterForm(forms.Form):
    sku = forms.CharField(
        label="SKU",
        max_length=MAX_SKU_LENGTH,
        help_text="An exact SKU, or a prefix ending in * (SAMPLE-*). With aliases, list both "
        "the cart's SKU and the WMS SKU.",
    )

    def clean_sku(self) -> str:
        return item_filter_sku_check(self.cleaned_data["sku"])


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header line, at most 2 MB. Nothing is saved until you "
        "confirm the preview.",
    )

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data["file"]
        if uploaded.size > MAX_UPLOAD_BYTES:
            raise ValidationError("The file is larger than 2 MB. Split it into smaller files.")
        return uploaded
