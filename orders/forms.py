"""The orders screens' forms: the filters, the skipped orders' cart, an order's edit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from accounts.models import Membership, Merchant
from accounts.tenancy import scoped
from carts.models import CartConnection
from orders.models import OrderStatus
from orders.selectors import SEARCH_FIELDS, OrderFilters
from orders.services.edit import ADDRESS_FIELDS, LineEdit

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
    search_in = forms.ChoiceField(
        required=False,
        label="Search in",
        choices=[("", "Number, reference, name"), *SEARCH_FIELDS.items()],
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
        self.fields["cart"].queryset = scoped(
            CartConnection.objects.defer("credentials"), membership
        )
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
            search_in=data["search_in"],
        )

    @property
    def has_filters(self) -> bool:
        """Any filter was given (pages alone are not filters): the screen offers to clear."""
        return any(self.data.get(name) for name in self.fields)


class MarksInvalid:
    """Bootstrap shows a field's error only next to an input marked is-invalid."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def _small(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs["class"] = "form-check-input"
        elif isinstance(field.widget, forms.Select):
            field.widget.attrs["class"] = "form-select form-select-sm"
        else:
            field.widget.attrs["class"] = "form-control form-control-sm"


class SkippedOrderFilterForm(forms.Form):
    cart = forms.ModelChoiceField(
        queryset=CartConnection.objects.none(), required=False, empty_label="All carts"
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cart"].queryset = scoped(
            CartConnection.objects.defer("credentials"), membership
        )
        _small(self)

    def cart_id(self) -> int | None:
        if not self.is_valid() or self.cleaned_data["cart"] is None:
            return None
        return self.cleaned_data["cart"].id


# What delivery needs of a ship-to address; the form says which is missing.
REQUIRED_ADDRESS = {"address_1", "city", "zip", "country"}


class OrderEditForm(MarksInvalid, forms.Form):
    """The ship-to address and ship code; seen_updated_at is when the form was opened."""

    seen_updated_at = forms.CharField(widget=forms.HiddenInput)
    ship_code = forms.CharField(label="Cart ship code", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in ADDRESS_FIELDS:
            self.fields[name] = forms.CharField(
                label=label, max_length=200, required=name in REQUIRED_ADDRESS
            )
            if name in REQUIRED_ADDRESS:
                self.fields[name].error_messages["required"] = (
                    f"Enter the {label.lower()}: the WMS needs it to ship."
                )
        self.order_fields(["seen_updated_at", *[name for name, _ in ADDRESS_FIELDS], "ship_code"])
        _small(self)

    def clean_seen_updated_at(self) -> datetime:
        try:
            return datetime.fromisoformat(self.cleaned_data["seen_updated_at"])
        except ValueError:
            raise forms.ValidationError("Open the order again and make your change.") from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("first_name") or data.get("last_name") or data.get("company")):
            self.add_error("first_name", "Enter a name or a company to ship to.")
        return data

    def ship_to(self) -> dict[str, str]:
        return {name: self.cleaned_data[name].strip() for name, _ in ADDRESS_FIELDS}


class OrderLineForm(MarksInvalid, forms.Form):
    """One line: an existing line (line_id) or, with none, a new one if a SKU is given."""

    line_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    line_number = forms.IntegerField(widget=forms.HiddenInput, required=False)  # shown only
    sku = forms.CharField(label="SKU", max_length=200, required=False)
    quantity = forms.DecimalField(label="Quantity", max_digits=12, decimal_places=3, required=False)
    remove = forms.BooleanField(label="Remove", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _small(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("remove") or not (data.get("line_id") or data.get("sku")):
            return data
        if not data.get("sku"):
            self.add_error("sku", "Enter the SKU, or tick Remove.")
        quantity = data.get("quantity")
        if quantity is None or quantity <= 0:
            self.add_error("quantity", "Enter a quantity above 0, or tick Remove.")
        return data

    def line_edit(self) -> LineEdit | None:
        data = self.cleaned_data
        if not data or not (data.get("line_id") or data.get("sku")):
            return None  # an empty row for a new line, left empty
        return LineEdit(
            line_id=data.get("line_id"),
            sku=(data.get("sku") or "").strip(),
            quantity=data.get("quantity") or Decimal(0),
            remove=bool(data.get("remove")),
        )


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=2, max_num=500)
