"""Screens for a merchant's stock (per location, searchable, exported as CSV) and locations."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from accounts.models import Merchant
from accounts.tenancy import member_required
from inventory import stock_selectors as selectors
from inventory.locations import (
    NAME_MAX_LENGTH,
    location_default_ensure,
    location_make_default,
    location_rename,
    location_set_enabled,
)
from inventory.models import Location


class LocationForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="Shown on the stock screen, in the export and in each cart's location "
        "setting. The WMS id stays as it is, and a later pickup does not rename it.",
    )


def _merchant(request: HttpRequest, merchant_id: int) -> Merchant:
    return get_object_or_404(selectors.stock_merchant_list(request.membership), id=merchant_id)


def _location(request: HttpRequest, merchant: Merchant, location_id: int) -> Location:
    return get_object_or_404(
        selectors.location_list(request.membership, merchant=merchant), id=location_id
    )


@member_required()
def stock_index(request: HttpRequest) -> HttpResponse:
    """The merchants to pick from; a merchant user goes straight to their own stock."""
    membership = request.membership
    if membership.is_merchant_user:
        return redirect("stock_list", merchant_id=membership.merchant_id)
    merchants = selectors.stock_merchant_list(membership).filter(is_active=True)
    return render(request, "inventory/stock_index.html", {"merchants": merchants})


@member_required()
def stock_list(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    membership = request.membership
    search = request.GET.get("q", "").strip()
    locations = selectors.stock_locations(membership, merchant=merchant)
    page = selectors.stock_page(
        membership,
        merchant=merchant,
        locations=locations,
        search=search,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    context = {
        "merchant": merchant,
        "locations": locations,
        "page": page,
        "search": search,
        "sku_count": selectors.stock_sku_count(membership, merchant=merchant, search=search),
        "count_limit": selectors.COUNT_LIMIT,
        "current": "stock",
    }
    return render(request, "inventory/stock_list.html", context)


@member_required()
def stock_export(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    lines = selectors.stock_export_lines(request.membership, merchant=merchant)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = f"stock-{slugify(merchant.name) or merchant.id}-{timezone.now():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@member_required()
def location_list(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    # Merchants made before locations had a default get it the first time anyone looks.
    location_default_ensure(merchant=merchant)
    membership = request.membership
    context = {
        "merchant": merchant,
        "rows": selectors.location_rows(membership, merchant=merchant),
        "carts_reading_all": selectors.cart_reading_all_count(membership, merchant=merchant),
        "current": "locations",
    }
    return render(request, "inventory/location_list.html", context)


@member_required()
def location_edit(request: HttpRequest, merchant_id: int, location_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    location = _location(request, merchant, location_id)
    form = LocationForm(request.POST or None, initial={"name": location.name})
    if request.method == "POST" and form.is_valid():
        before = location.name
        try:
            location_rename(location=location, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{before} is now called {location.name}.")
            return redirect("location_list", merchant_id=merchant.id)
    context = {"merchant": merchant, "location": location, "form": form, "current": "locations"}
    return render(request, "inventory/location_form.html", context)


@require_POST
@member_required()
def location_default(request: HttpRequest, merchant_id: int, location_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    location = _location(request, merchant, location_id)
    try:
        location_make_default(location=location)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{location.name} is now the default location: stock the WMS reports without a "
            "warehouse is stored there.",
        )
    return redirect("location_list", merchant_id=merchant.id)


@require_POST
@member_required()
def location_enable(request: HttpRequest, merchant_id: int, location_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    location = _location(request, merchant, location_id)
    enabled = request.POST.get("enabled") == "1"
    try:
        location_set_enabled(location=location, enabled=enabled)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _enabled_text(location))
    return redirect("location_list", merchant_id=merchant.id)


def _enabled_text(location: Location) -> str:
    if location.enabled:
        return (
            f"{location.name} enabled: its stock counts in the total again and goes to the "
            "carts that read it."
        )
    return (
        f"{location.name} disabled: its stock is kept but goes to no cart, and the total leaves "
        "it out. Enable it again to send it."
    )
