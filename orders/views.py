"""The dashboard and the order screens."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Membership
from accounts.tenancy import member_required, scoped
from alerts.checks import scheduler_check
from alerts.models import Alert
from carts.models import CartConnection
from integration_manager.records import Address
from jobs.dispatcher import dispatcher_last_tick
from jobs.selectors import job_run_list
from orders.export import order_export_csv
from orders.forms import OrderEditForm, OrderFilterForm, OrderLineFormSet, SkippedOrderFilterForm
from orders.models import Order, OrderStatus
from orders.selectors import (
    FINISHED,
    RECENT_DAYS,
    order_counts_by_merchant,
    order_detail_for,
    order_list,
    order_page,
    recent_since,
    skipped_order_count,
    skipped_order_list,
)
from orders.services import actions
from orders.services.cancel import order_cancel_in_wms, wms_can_cancel
from orders.services.edit import (
    OrderChanged,
    order_edit,
    order_editable_lines,
    order_is_editable,
)
from wms.models import WmsConnection

# The dispatcher ticks every ~30 s; two minutes without a tick means beat or the
# workers are not running, and nothing moves.
DISPATCHER_STALE_AFTER = timedelta(minutes=2)


@member_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    scheduler_check()  # a stopped beat ticks nothing: the pages people open notice it
    merchants = order_counts_by_merchant(membership)
    totals = [sum(row.cells[index] for row in merchants) for index in range(len(OrderStatus))]
    last_tick = dispatcher_last_tick()
    recent_from = recent_since(membership.account.zone)
    context = {
        "statuses": [
            (value, label, f"last {RECENT_DAYS} days" if value in FINISHED else "")
            for value, label in OrderStatus.choices
        ],
        "finished": FINISHED,
        "recent_from": recent_from.isoformat(),
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
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "zone": request.membership.account.timezone,
        "skipped_count": skipped_order_count(request.membership),
    }
    return render(request, "orders/order_list.html", context)


@member_required()
def order_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered orders as CSV, streamed: a million orders never sit in memory."""
    membership = request.membership
    form = OrderFilterForm(request.GET or None, membership=membership)
    orders = order_list(membership, form.filters())
    stamp = timezone.now().astimezone(membership.account.zone).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        order_export_csv(orders, zone=membership.account.zone), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
    return response


@member_required()
def skipped_orders(request: HttpRequest) -> HttpResponse:
    form = SkippedOrderFilterForm(request.GET or None, membership=request.membership)
    rows = skipped_order_list(request.membership, cart_id=form.cart_id())
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "zone": request.membership.account.timezone,
    }
    return render(request, "orders/skipped_orders.html", context)


@member_required()
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(order_detail_for(request.membership), id=order_id)
    context = {
        "order": order,
        "zone": request.membership.account.timezone,
        "editable": order_is_editable(order),
        "can_cancel_in_wms": order.status == OrderStatus.AT_WMS
        and wms_can_cancel(account_id=order.account_id),
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
    "cancel-in-wms": (
        order_cancel_in_wms,
        "Cancel asked; the WMS is asked at the next delivery run.",
    ),
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


@member_required()
def order_edit_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """Edit an order the WMS does not have yet; saved, it is re-queued (no Resend needed)."""
    order = get_object_or_404(order_detail_for(request.membership), id=order_id)
    if not order_is_editable(order):
        messages.error(request, "Only an order in Error, or new and not being sent, can be edited.")
        return redirect("order_detail", order_id=order.id)
    if request.method == "POST":
        form = OrderEditForm(request.POST)
        lines = OrderLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and lines.is_valid():
            try:
                saved = order_edit(
                    order=order,
                    user=request.user,
                    ship_to=form.ship_to(),
                    ship_code=form.cleaned_data["ship_code"].strip(),
                    lines=[edit for line in lines if (edit := line.line_edit()) is not None],
                    seen_updated_at=form.cleaned_data["seen_updated_at"],
                )
            except OrderChanged as changed:
                messages.error(request, changed.messages[0])
                order = Order.objects.get(id=order.id)
                form, lines = _edit_forms(order)
            except ValidationError as error:
                form.add_error(None, error.messages[0])
            else:
                messages.success(request, _edit_outcome(saved))
                return redirect("order_detail", order_id=order.id)
    else:
        form, lines = _edit_forms(order)
    context = {
        "order": order,
        "form": form,
        "lines": lines,
        "fixed_lines": order.lines.exclude(
            id__in=[line.id for line in order_editable_lines(order)]
        ),
    }
    return render(request, "orders/order_edit.html", context)


def _edit_forms(order: Order) -> tuple[OrderEditForm, OrderLineFormSet]:
    """The forms with the order's current values, and when they were read."""
    initial = {name: order.ship_to.get(name, "") for name in OrderEditForm().fields}
    initial.update(seen_updated_at=order.updated_at.isoformat(), ship_code=order.ship_code)
    lines = [
        {
            "line_id": line.id,
            "line_number": line.line_number,
            "sku": line.sku,
            "quantity": line.quantity.normalize(),
        }
        for line in order_editable_lines(order)
    ]
    return OrderEditForm(initial=initial), OrderLineFormSet(initial=lines, prefix="lines")


def _edit_outcome(order: Order) -> str:
    if order.status == OrderStatus.NEW:
        return "Saved. The order goes to the WMS at the next delivery run."
    return (
        f"Saved, but the order is still held: {order.error_reason} "
        "Fix that too, or use Resend to WMS."
    )
