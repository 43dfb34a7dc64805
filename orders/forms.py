"""The orders screen's filter form."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from accounts.models import Membership, Merchant
from accounts.tenancy import scoped
from carts.models import CartConnection
from orders.models import OrderStatus
from orders.selectors import OrderFilters

# Midnight at either end of the calendar, moved to UTC from the account's zone, is outside
# what datetime can hold; no order is dated near either bound.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(9998, 12, 31)
DATE_RANGE_MESSAGE = "Enter a date between 1900 and 9998."
DATE_VALIDATORS = [
    MinValueValidator(EARLIEST_DATE, message=DATE_RANGE_MESSAGE),
    MaxValueValidator(LATEST_DATE, message=DATE_RANGE_MESSAGE),
]


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
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=DATE_VALIDATORS,
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=DATE_VALIDATORS,
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = scoped(Merchant.objects.all(), membership)
        self.fields["cart"].queryset = scoped(CartConnection.objects.all(), membership)
        if membership.is_merchant_user:
            del self.fields["merchant"]
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if select else "form-control form-control-sm"
            )

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
