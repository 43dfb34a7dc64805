"""The cart's rules page: its order rules options and its item filter list."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.tenancy import member_required
from carts.connectors.registry import CART_CONNECTORS
from carts.rules_forms import CartRulesForm
from inventory import selectors
from inventory.forms import ItemFilterForm
from inventory.jobs import INVENTORY_UPLOAD
from jobs.services import schedules_trigger


@member_required()
def cart_rules(request: HttpRequest, cart_id: int) -> HttpResponse:
    """Aliases, item filter and order load options of one cart; the filter list below."""
    cart = get_object_or_404(selectors.cart_list(request.membership), id=cart_id)
    form = CartRulesForm(request.POST or None, instance=cart)
    if request.method == "POST" and form.is_valid():
        form.save()
        # What the cart should show may change (aliases, filter, minimum): its upload looks.
        schedules_trigger(service=INVENTORY_UPLOAD, cart_ids=[cart.id])
        messages.success(
            request,
            f"Rules of “{cart.label}” saved. Orders follow them from the next download; the "
            "cart's stock is checked against them now.",
        )
        return redirect("cart_rules", cart_id=cart.id)
    filters = selectors.item_filter_list(request.membership, cart=cart)
    context = {
        "cart": cart,
        "connector": CART_CONNECTORS.find(cart.connector_key),
        "form": form,
        "filters": filters,
        "filter_form": ItemFilterForm(),
    }
    return render(request, "carts/cart_rules.html", context)
