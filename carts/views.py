"""Cart screens: list, add (connector picker and its form), detail with services, edit, test."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.tenancy import member_required, scoped
from carts import services
from carts.connectors.base import WEBHOOKS, CartConnector
from carts.connectors.csv.connector import UPLOAD_ORDER_FILE
from carts.connectors.csv.forms import OrderFileUploadForm
from carts.connectors.registry import CART_CONNECTORS
from carts.forms import CartForm
from carts.models import CartConnection
from csvfiles.links import csv_format_links
from csvfiles.uploads import order_file_load
from integration_manager.connector_errors import ConnectorError
from integration_manager.connectors import ConnectorSettingsForm
from jobs.models import JobRun, ServiceSchedule
from jobs.selectors import cart_service_rows
from orders.models import HoldReason, Order, OrderStatus
from wms.models import ShipMethodMap, WmsShipMethod
from wms.services import ship_codes_remember, ship_method_map_save


def cart_list_for(request: HttpRequest):  # type: ignore[no-untyped-def]
    return scoped(CartConnection.objects.select_related("merchant"), request.membership)


def connector_form(
    connector: type[CartConnector], data: Any = None, *, cart: CartConnection | None = None
) -> ConnectorSettingsForm:
    """The connector's own settings form; saved credentials are write-only ("saved")."""
    if cart is None:
        return connector.form(data)
    return connector.form(data, saved_settings=cart.settings, saved_secrets=set(cart.credentials))


@member_required()
def cart_list(request: HttpRequest) -> HttpResponse:
    carts = (
        cart_list_for(request)
        .annotate(open_alerts=Count("alerts", filter=Q(alerts__resolved_at=None)))
        .order_by("merchant__name", "label")
    )
    last_runs = {
        (schedule.cart_id, schedule.service): schedule.last_run
        for schedule in ServiceSchedule.objects.filter(cart__in=carts).select_related("last_run")
    }
    rows = [
        {
            "cart": cart,
            "connector": CART_CONNECTORS.find(cart.connector_key),
            "download": last_runs.get((cart.id, "order_download")),
            "upload": last_runs.get((cart.id, "shipment_upload")),
        }
        for cart in carts
    ]
    return render(request, "carts/cart_list.html", {"rows": rows})


@member_required("can_edit_credentials")
def cart_new(request: HttpRequest) -> HttpResponse:
    return render(request, "carts/cart_new.html", {"connectors": list(CART_CONNECTORS)})


@member_required("can_edit_credentials")
def cart_create(request: HttpRequest, connector_key: str) -> HttpResponse:
    connector = CART_CONNECTORS.find(connector_key)
    if connector is None:
        raise Http404("No such cart type")
    account_id = request.membership.account_id
    form = CartForm(
        request.POST or None,
        membership=request.membership,
        initial={"reference_prefix": services.default_reference_prefix(account_id=account_id)},
    )
    settings_form = connector_form(connector, request.POST or None)
    if request.method == "POST" and form.is_valid() and settings_form.is_valid():
        data = form.cleaned_data
        try:
            cart = services.cart_create(
                merchant=data["merchant"],
                connector_key=connector.key,
                label=data["label"],
                order_source=data["order_source"],
                reference_prefix=data["reference_prefix"],
                reject_unmapped_ship_methods=data["reject_unmapped_ship_methods"],
                settings=settings_form.settings_data(),
                credentials=settings_form.secrets_data(),
                enabled=False,  # it goes live when its test passes, just below
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _test_new_cart(request, cart)
            return redirect("cart_detail", cart_id=cart.id)
    context = {"form": form, "settings_form": settings_form, "connector": connector}
    return render(request, "carts/cart_form.html", context)


@member_required()
def cart_detail(request: HttpRequest, cart_id: int) -> HttpResponse:
    cart = get_object_or_404(cart_list_for(request), id=cart_id)
    connector = CART_CONNECTORS.find(cart.connector_key)
    rows = cart_service_rows(cart)
    context = {
        "cart": cart,
        "connector": connector,
        "rows": rows,
        "alerts": cart.alerts.filter(resolved_at=None)[:5],
        "unmapped": cart.ship_method_maps.filter(wms_code="", passthrough=False).count(),
        "recent_runs": JobRun.objects.filter(cart=cart).order_by("-started_at", "-id")[:10],
        # The address the hub is served at, as the browser reached it (another PORT too).
        "webhook_url": (
            request.build_absolute_uri(reverse("cart_webhook", args=[cart.webhook_token]))
            if connector is not None and connector.supports(WEBHOOKS)
            else ""
        ),
        "last_webhook": cart.webhooks.first(),
        **_file_context(request, cart, connector),
    }
    return render(request, "carts/cart_detail.html", context)


def _file_context(
    request: HttpRequest, cart: CartConnection, connector: type[CartConnector] | None
) -> dict[str, Any]:
    """A file-based cart's format links and upload form, for members who may edit it."""
    if connector is None or not request.membership.can_edit_credentials:
        return {}
    links = csv_format_links(
        connector=connector,
        connection_kind="cart",
        connection_id=cart.id,
        back_url=reverse("cart_detail", args=[cart.id]),
    )
    uploads = connector.supports(UPLOAD_ORDER_FILE)
    return {"format_links": links, "upload_form": OrderFileUploadForm() if uploads else None}


@member_required("can_edit_credentials")
def cart_order_upload(request: HttpRequest, cart_id: int) -> HttpResponse:
    """Upload an order file to a CSV cart: loaded at once, and the page says what came in."""
    cart = get_object_or_404(cart_list_for(request), id=cart_id)
    connector = CART_CONNECTORS.find(cart.connector_key)
    uploads = connector is not None and connector.supports(UPLOAD_ORDER_FILE)
    form = OrderFileUploadForm(request.POST or None, request.FILES or None)
    outcome = None
    if uploads and request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            outcome = order_file_load(cart=cart, file_name=uploaded.name, content=uploaded.read())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = OrderFileUploadForm()
    context = {"cart": cart, "connector": connector, "form": form if uploads else None}
    return render(request, "carts/cart_order_upload.html", {**context, "outcome": outcome})


@member_required("can_edit_credentials")
def cart_edit(request: HttpRequest, cart_id: int) -> HttpResponse:
    cart = get_object_or_404(cart_list_for(request), id=cart_id)
    connector = CART_CONNECTORS.find(cart.connector_key)
    if connector is None:
        raise Http404("This cart's connector is not installed")
    form = CartForm(
        request.POST or None,
        membership=request.membership,
        cart=cart,
        initial={
            "label": cart.label,
            "order_source": cart.order_source,
            "reference_prefix": cart.reference_prefix,
            "reject_unmapped_ship_methods": cart.reject_unmapped_ship_methods,
            "inventory_location": cart.inventory_location_id,
        },
    )
    settings_form = connector_form(connector, request.POST or None, cart=cart)
    if request.method == "POST" and form.is_valid() and settings_form.is_valid():
        data = form.cleaned_data
        try:
            cart = services.cart_update(
                cart=cart,
                label=data["label"],
                order_source=data["order_source"],
                reference_prefix=data["reference_prefix"],
                reject_unmapped_ship_methods=data["reject_unmapped_ship_methods"],
                inventory_location_id=data["inventory_location"].id
                if data["inventory_location"]
                else None,
                settings=settings_form.settings_data(),
                credentials=settings_form.secrets_data(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if cart.verified_at is None:  # new settings: say at once whether they work
                _test_saved_cart(request, cart)
            else:
                messages.success(request, f"Cart “{cart.label}” saved.")
            return redirect("cart_detail", cart_id=cart.id)
    context = {"form": form, "settings_form": settings_form, "connector": connector, "cart": cart}
    return render(request, "carts/cart_form.html", context)


def _test_saved_cart(request: HttpRequest, cart: CartConnection) -> None:
    try:
        found = services.cart_test_connection(cart=cart)
    except ConnectorError as error:
        messages.warning(request, f"Cart “{cart.label}” saved, but the test failed: {error}")
    else:
        messages.success(request, f"Cart “{cart.label}” saved and connected. {found}")


def _test_new_cart(request: HttpRequest, cart: CartConnection) -> None:
    """A new cart is saved switched off and tested; it goes live only when the test passes."""
    try:
        found = services.cart_test_connection(cart=cart)
    except ConnectorError as error:
        messages.warning(
            request,
            f"Cart “{cart.label}” saved, but not switched on: the test failed. {error} "
            "Correct the settings (Edit), then use Test connection: the cart switches on when "
            "the test passes.",
        )
    else:
        messages.success(
            request,
            f"Cart “{cart.label}” connected and switched on. {found} Its first order "
            "download has started.",
        )


@require_POST
@member_required()
def cart_test(request: HttpRequest, cart_id: int) -> HttpResponse:
    cart = get_object_or_404(cart_list_for(request), id=cart_id)
    waiting = not cart.enabled and cart.verified_at is None
    try:
        found = services.cart_test_connection(cart=cart)
    except ConnectorError as error:
        messages.error(request, f"Test failed: {error}")
    else:
        switched_on = " The cart is switched on." if waiting else ""
        messages.success(request, f"Test passed. {found}{switched_on}")
    return redirect("cart_detail", cart_id=cart.id)


@require_POST
@member_required()
def cart_toggle(request: HttpRequest, cart_id: int) -> HttpResponse:
    cart = get_object_or_404(cart_list_for(request), id=cart_id)
    services.cart_set_enabled(cart=cart, enabled=not cart.enabled)
    messages.success(
        request,
        f"Cart “{cart.label}” enabled: its services run on their schedules again."
        if cart.enabled
        else f"Cart “{cart.label}” disabled: none of its services run until you enable it.",
    )
    return redirect("cart_detail", cart_id=cart.id)


PASS = "__passthrough__"  # the choice "send the cart's code as it is"


@member_required("can_view_wms")
def cart_ship_methods(request: HttpRequest, cart_id: int) -> HttpResponse:
    """Map each ship code the cart sent to one of the WMS's ship methods (or pass it as is)."""
    cart = get_object_or_404(cart_list_for(request), id=cart_id)
    held = dict(
        Order.objects.filter(
            cart=cart, status=OrderStatus.ERROR, error_code=HoldReason.UNMAPPED_SHIP_METHOD
        )
        .values_list("ship_code")
        .annotate(count=Count("id"))
    )
    # A held order's code is listed even if no download recorded it (an edited order's).
    ship_codes_remember(cart=cart, codes=dict.fromkeys(held, ""))
    entries = list(ShipMethodMap.objects.filter(cart=cart).order_by("cart_code"))
    methods = list(scoped(WmsShipMethod.objects.filter(is_active=True), request.membership))
    if request.method == "POST":
        valid_codes = {method.code for method in methods}
        choices = {entry.id: request.POST.get(f"map-{entry.id}", "") for entry in entries}
        unknown = [code for code in choices.values() if code not in valid_codes | {"", PASS}]
        if unknown:
            messages.error(request, f"“{unknown[0]}” is not one of the WMS's ship methods.")
            return redirect("cart_ship_methods", cart_id=cart.id)
        changed = released = 0
        for entry in entries:
            passthrough = choices[entry.id] == PASS
            wms_code = "" if passthrough else choices[entry.id]
            if (entry.wms_code, entry.passthrough) != (wms_code, passthrough):
                saved = ship_method_map_save(
                    cart=cart, cart_code=entry.cart_code, wms_code=wms_code, passthrough=passthrough
                )
                changed += 1
                released += saved.released  # type: ignore[attr-defined]
        going = f" {released} held order(s) go to the WMS now." if released else ""
        messages.success(request, f"Ship-method mapping saved ({changed} changed).{going}")
        return redirect("cart_ship_methods", cart_id=cart.id)
    for entry in entries:
        entry.held = held.get(entry.cart_code, 0)  # type: ignore[attr-defined]
    context = {"cart": cart, "entries": entries, "methods": methods, "passthrough": PASS}
    return render(request, "carts/cart_ship_methods.html", context)
