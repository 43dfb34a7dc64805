"""A cart's product sync view: what the hub last pushed for each cart SKU, and why not."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Membership
from accounts.tenancy import member_required, scoped
from carts.models import CartConnection
from inventory.models import ProductSync, SyncStatus
from inventory.upload import RECONCILE_EVERY, inventory_reconcile_request

PAGE_SIZE = 50
# The statuses of SKUs the cart refused, in the order the warning links to them.
REFUSED_STATUSES = (SyncStatus.UNKNOWN_IN_CART, SyncStatus.NOT_TRACKED, SyncStatus.REFUSED)
# Bootstrap badge colour per status: red for what the cart refused, which waits for a reconcile.
STATUS_BADGES = {
    SyncStatus.SYNCED: "text-bg-success",
    SyncStatus.BELOW_MINIMUM: "text-bg-warning",
    SyncStatus.FILTERED: "text-bg-secondary",
    SyncStatus.UNKNOWN_IN_CART: "text-bg-danger",
    SyncStatus.NOT_TRACKED: "text-bg-danger",
    SyncStatus.REFUSED: "text-bg-danger",
}


def product_sync_list(
    membership: Membership, *, cart: CartConnection, search: str = "", status: str = ""
) -> QuerySet[ProductSync]:
    """The cart's SKUs as last pushed, for a member who may see the cart."""
    rows = scoped(ProductSync.objects.all(), membership).filter(cart_id=cart.id)
    if search:
        rows = rows.filter(sku__icontains=search)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("sku")


def product_sync_counts(membership: Membership, *, cart: CartConnection) -> dict[str, int]:
    """How many of the cart's SKUs are in each status, in one query."""
    counts = (
        product_sync_list(membership, cart=cart)
        .values("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
        .order_by()
    )
    return dict(counts)


def _cart(request: HttpRequest, cart_id: int) -> CartConnection:
    carts = CartConnection.objects.select_related("merchant", "inventory_location")
    return get_object_or_404(scoped(carts, request.membership), id=cart_id)


@member_required()
def product_sync(request: HttpRequest, cart_id: int) -> HttpResponse:
    cart = _cart(request, cart_id)
    membership = request.membership
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if status not in SyncStatus.values:
        status = ""
    rows = product_sync_list(membership, cart=cart, search=search, status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = product_sync_counts(membership, cart=cart)
    for row in page:
        row.badge = STATUS_BADGES.get(row.status, "text-bg-light")
    context = {
        "cart": cart,
        "page": page,
        "search": search,
        "status": status,
        "statuses": [(value, label, counts.get(value, 0)) for value, label in SyncStatus.choices],
        "total": sum(counts.values()),
        "waiting": sum(counts.get(value, 0) for value in REFUSED_STATUSES),
        "waiting_status": next((value for value in REFUSED_STATUSES if counts.get(value)), ""),
        "reconcile_hours": int(RECONCILE_EVERY.total_seconds() // 3600),
    }
    return render(request, "inventory/product_sync.html", context)


@require_POST
@member_required()
def product_sync_reconcile(request: HttpRequest, cart_id: int) -> HttpResponse:
    cart = _cart(request, cart_id)
    if inventory_reconcile_request(cart=cart):
        messages.success(
            request,
            f"Full reconcile of {cart.label} started: the next inventory upload, due now, "
            "sends every SKU, changed or not, and tries the SKUs the cart refused again. "
            "Refresh this page in a minute to see the outcome.",
        )
    else:
        messages.warning(
            request,
            f"The inventory upload of {cart.label} is Off, so nothing runs now. The next "
            "upload will be a full reconcile: turn the service on or press Run now on the "
            "cart's page.",
        )
    return redirect("product_sync", cart_id=cart.id)
