"""The orders screen's filter form."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Membership, Merchant
from accounts.tenancy import scoped
from carts.models import CartConnection
from orders.models import OrderStatus
from orders.selectors import OrderFilters


class OrderFilterForm(forms.Form):
    search = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Order number, reference or name"}),
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "All but canceled"), *OrderStatus.choices]
    )
    merchant = forms.ModelChoiceField(
        queryset=Merchant.objects.none(), required=False, empty_label="All merchants"
    )
    cart = forms.ModelChoiceField(
        queryset=CartConnection.objects.none(), required=False, empty_label="All carts"
    )
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = scoped(Merchant.objects.all(), membership)
        self.fields["cart"].queryset = scoped(CartConnection.objects.all(), membership)
        if membership.is_merchant_user:
            del self.fields["merchant"]

    def filters(self) -> OrderFilters:
        if not self.is_valid():
            return OrderFilters()
        data = self.cleaned_data
        merchant = data.get("merchant")
        cart = data.get("cart")
        return OrderFilters(
            status=data["status"],
            merchant_id=merchant.id if merchant else None,
            cart_id=cart.id if cart else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
            search=data["search"],
        )
