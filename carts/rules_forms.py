"""The cart's order rules form: alias use, item filter mode and level, order load options."""

from __future__ import annotations

from typing import Any

from django import forms

from carts.connectors.registry import CART_CONNECTORS
from carts.models import CartConnection, ItemFilterLevel, ItemFilterMode

RULE_FIELDS = (
    "translate_item_codes",
    "push_inventory_alias",
    "item_filter_mode",
    "item_filter_level",
    "earliest_order_date",
    "download_statuses",
    "min_inventory_level",
)


class CartRulesForm(forms.ModelForm):
    """Saves only its own fields: a download moving the cart's cursor meanwhile keeps it."""

    download_statuses = forms.MultipleChoiceField(
        label="Cart statuses to download",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CartConnection
        fields = RULE_FIELDS
        labels = {
            "translate_item_codes": "Translate item codes",
            "push_inventory_alias": "Push inventory using alias",
            "item_filter_mode": "Item filter",
            "item_filter_level": "Filter level",
            "earliest_order_date": "Earliest order date",
            "min_inventory_level": "Minimum inventory level",
        }
        help_texts = {
            "translate_item_codes": "CartRover's “Translate Item Code: WMS Master SKU”: an "
            "order line whose code is a product alias goes to the WMS with the WMS SKU the "
            "alias points at. Codes without an alias go as the cart sent them.",
            "push_inventory_alias": "“Push Inventory Using Alias”: stock goes to the cart "
            "under each product's alias (the cart's SKU) instead of the WMS SKU.",
            "item_filter_mode": "Whitelist: only the listed SKUs are accepted on orders and "
            "only they get inventory. Blacklist: the listed SKUs are filtered, everything "
            "else is accepted and gets inventory. The filter applies to order download and "
            "to inventory upload.",
            "item_filter_level": "Filter the item: the line is marked filtered, is not sent "
            "to the WMS and is shown crossed out on the order. Filter the order: an order "
            "with any filtered line is not loaded; it is listed under skipped orders with "
            "its reason.",
            "earliest_order_date": "Orders placed before this day (in the account's time "
            "zone) are not downloaded. Empty: no limit; a new cart's first download goes "
            "back a week.",
            "min_inventory_level": "CartRover's “Minimum Inventory Level”: when fewer are "
            "available, the cart is told 0, so the last few are never oversold. 0: off.",
        }
        widgets = {
            "item_filter_mode": forms.RadioSelect,
            "item_filter_level": forms.RadioSelect,
            "earliest_order_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Blank is the same as 0: no minimum.
        self.fields["min_inventory_level"].required = False
        self.fields["item_filter_mode"].choices = ItemFilterMode.choices
        self.fields["item_filter_level"].choices = ItemFilterLevel.choices
        connector = CART_CONNECTORS.find(self.instance.connector_key)
        statuses = list(getattr(connector, "ORDER_STATUSES", ()))
        if not statuses:  # this cart has no statuses to choose
            del self.fields["download_statuses"]
            return
        field = self.fields["download_statuses"]
        field.choices = statuses
        labels = dict(statuses)
        default = ", ".join(labels.get(code, code) for code in connector.DEFAULT_STATUSES)
        field.help_text = (
            "Only orders in the ticked statuses are downloaded. None ticked: the cart's "
            f"default ({default or 'every status'})."
        )

    def clean_min_inventory_level(self) -> int:
        return self.cleaned_data.get("min_inventory_level") or 0

    def save(self, commit: bool = True) -> CartConnection:
        cart = self.instance
        fields = [name for name in RULE_FIELDS if name in self.fields]
        if commit:
            cart.save(update_fields=[*fields, "updated_at"])
        return cart
