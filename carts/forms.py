"""The cart form: what every cart has; each connector adds its own settings form beside it."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Membership, Merchant
from accounts.tenancy import scoped
from carts.models import CartConnection
from integration_manager.text import validate_single_line
from inventory.models import Location


class CartForm(forms.Form):
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.none(), empty_label=None)
    label = forms.CharField(
        max_length=200,
        help_text="A name for this cart in the hub, e.g. “Acme Shopify”.",
        validators=[validate_single_line],  # it goes into alert e-mail subjects
    )
    order_source = forms.CharField(
        max_length=100,
        required=False,
        help_text="Sent to the WMS as the order's source. Empty: the name above.",
    )
    reference_prefix = forms.CharField(
        max_length=11,
        help_text="Starts every order reference the WMS gets (e.g. SHOP- makes SHOP-1001). "
        "Letters or digits and a dash; unique in your account.",
    )
    reject_unmapped_ship_methods = forms.BooleanField(
        required=False,
        label="Reject unmapped ship methods",
        help_text="Hold an order whose ship method has no WMS mapping, and raise an alert. "
        "Off: the cart's code goes to the WMS as it is.",
    )

    def __init__(
        self, *args: Any, membership: Membership, cart: CartConnection | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        merchants = scoped(Merchant.objects.filter(is_active=True), membership)
        self.fields["merchant"].queryset = merchants
        if cart is not None:
            # A cart stays with its merchant: its orders and references belong there.
            del self.fields["merchant"]
            self.fields["inventory_location"] = forms.ModelChoiceField(
                queryset=Location.objects.filter(merchant_id=cart.merchant_id, enabled=True),
                required=False,
                empty_label="All enabled locations, added up",
                help_text="Whose stock this cart shows.",
            )
        elif merchants.count() == 1:
            self.fields["merchant"].initial = merchants.first()
