"""The dashboard and the order screens."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.tenancy import member_required
from orders.models import OrderStatus
from orders.selectors import order_counts_by_merchant


@member_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    merchants = order_counts_by_merchant(membership)
    totals = [sum(row.cells[index] for row in merchants) for index in range(len(OrderStatus))]
    context = {
        "statuses": OrderStatus.choices,
        "merchants": merchants,
        "totals": totals,
        "grand_total": sum(totals),
        "next_steps": _next_steps(membership, has_merchants=bool(merchants)),
    }
    return render(request, "orders/dashboard.html", context)


def _next_steps(membership, *, has_merchants: bool) -> list[dict[str, object]]:
    """What a new account still has to set up, in order; empty once everything is there."""
    steps: list[dict[str, object]] = []
    if membership.can_manage_merchants and membership.account.is_fulfillment:
        steps.append(
            {
                "title": "Add a merchant",
                "text": "A merchant is a seller whose carts you connect to your warehouse.",
                "url_name": "merchant_create",
                "done": has_merchants,
            }
        )
    if membership.can_manage_users:
        steps.append(
            {
                "title": "Invite your team",
                "text": "Warehouse staff run operations; merchant users see only their merchant.",
                "url_name": "user_invite",
                "done": membership.account.memberships.count() > 1,
            }
        )
    return steps if not all(step["done"] for step in steps) else []
