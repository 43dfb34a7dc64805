"""The dashboard and the order screens."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Membership
from accounts.tenancy import member_required, scoped
from alerts.models import Alert
from carts.models import CartConnection
from integration_manager.records import Address
from jobs.dispatcher import dispatcher_last_tick
from jobs.selectors import job_run_list
from orders.forms import OrderFilterForm
from orders.models import OrderStatus
from orders.selectors import order_counts_by_merchant, order_detail_for, order_list, order_page
from orders.services import actions
from wms.models import WmsConnection

# The dispatcher ticks every ~30 s; two minutes without a tick means beat or the
# workers are not running, and nothing moves.
DISPATCHER_STALE_AFTER = timedelta(minutes=2)


@member_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    merchants = order_counts_by_merchant(membership)
    totals = [sum(row.cells[index] for row in merchants) for index in range(len(OrderStatus))]
    last_tick = dispatcher_last_tick()
    context = {
        "statuses": OrderStatus.choices,
        "merchants": merchants,
        "totals": totals,
        "grand_total": sum(totals),
        "next_steps": _next_steps(membership, has_merchants=bool(merchants)),
        "recent_runs": job_run_list(membership).order_by("-started_at", "-id")[:8],
        "alerts": scoped(Alert.objects.filter(resolved_at=None), membership)[:5],
        "dispatcher_stale": last_tick is None
        or timezone.now() - last_tick > DISPATCHER_STALE_AFTER,
        "last_tick": last_tick,
    }
    return render(request, "orders/dashboard.html", context)


def _next_steps(membership: Membership, *, has_merchants: bool) -> list[dict[str, object]]:
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
    if membership.can_manage_wms:
        steps.append(
            {
                "title": "Set up your WMS",
                "text": "Where orders go and where tracking and stock come from.",
                "url_name": "wms_setup",
                "done": WmsConnection.objects.filter(account_id=membership.account_id).exists(),
            }
        )
    if membership.can_edit_credentials:
        steps.append(
            {
                "title": "Add a cart",
                "text": "A merchant's online store; its orders start coming in at once.",
                "url_name": "cart_new",
                "done": scoped(CartConnection.objects.all(), membership).exists(),
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


@member_required()
def order_index(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None, membership=request.membership)
    orders = order_list(request.membership, form.filters())
    page = order_page(
        orders, after=request.GET.get("after", ""), before=request.GET.get("before", "")
    )
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "orders/order_list.html", context)


@member_required()
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(order_detail_for(request.membership), id=order_id)
    context = {
        "order": order,
        "ship_to": Address.from_dict(order.ship_to),
        "bill_to": Address.from_dict(order.bill_to),
        "lines": order.lines.all(),
        "shipments": order.shipments.prefetch_related("lines"),
        "events": order.events.select_related("user", "job_run"),
    }
    return render(request, "orders/order_detail.html", context)


ACTIONS = {
    "resend": (actions.order_resend, "The order goes to the WMS at the next delivery run."),
    "cancel-sending": (actions.order_cancel_sending, "The order will not be sent to the WMS."),
    "resume-sending": (actions.order_resume_sending, "The order will be sent to the WMS again."),
    "resend-tracking": (actions.order_resend_tracking, "The tracking goes to the cart again."),
}


@require_POST
@member_required()
def order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    order = get_object_or_404(order_detail_for(request.membership), id=order_id)
    if action not in ACTIONS:
        return redirect("order_detail", order_id=order.id)
    service, done = ACTIONS[action]
    try:
        service(order=order, user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, done)
    return redirect("order_detail", order_id=order.id)
