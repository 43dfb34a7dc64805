"""The WMS page: the account's one WMS, its test, its ship methods, the merchant services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Merchant
from accounts.tenancy import member_required, scoped
from csvfiles.links import csv_format_links
from integration_manager.connector_errors import ConnectorError
from jobs.selectors import merchant_service_rows
from wms import services
from wms.connectors.base import MERCHANT_OPTIONS, WEBHOOKS
from wms.connectors.registry import WMS_CONNECTORS, wms_connector_for
from wms.forms import ShipMethodForm, WmsChoiceForm, merchant_wms_settings_form
from wms.models import WmsConnection, WmsShipMethod


@member_required("can_view_wms")
def wms_setup(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    wms = scoped(WmsConnection.objects.all(), membership).first()
    chosen_key = (
        request.POST.get("connector_key")
        or request.GET.get("type")
        or (wms.connector_key if wms else "")
    )
    connector = WMS_CONNECTORS.find(chosen_key) if chosen_key else None
    choice_form = WmsChoiceForm(
        request.POST or None,
        initial={"connector_key": chosen_key, "label": wms.label if wms else ""},
    )
    settings_form = None
    if connector is not None:
        keeps = wms is not None and wms.connector_key == connector.key
        settings_form = connector.form(
            request.POST or None,
            saved_settings=wms.settings if keeps else None,
            saved_secrets=set(wms.credentials) if keeps else set(),
        )
    if request.method == "POST":
        if not membership.can_manage_wms:
            raise PermissionDenied("Only admins change the WMS.")
        if choice_form.is_valid() and settings_form is not None and settings_form.is_valid():
            new = wms is None or wms.connector_key != connector.key
            try:
                wms = services.wms_save(
                    account=membership.account,
                    connector_key=connector.key,
                    label=choice_form.cleaned_data["label"],
                    settings=settings_form.settings_data(),
                    credentials=settings_form.secrets_data(),
                    enabled=not new,  # a new WMS goes live when its test passes
                )
            except ValidationError as error:
                choice_form.add_error(None, error)
            else:
                _test_saved_wms(request, wms, new=new)
                return redirect("wms_setup")
    merchants = scoped(Merchant.objects.filter(is_active=True), membership).order_by("name")
    context = {
        "wms": wms,
        "connector": connector,
        "connectors": list(WMS_CONNECTORS),
        "choice_form": choice_form,
        "settings_form": settings_form,
        "ship_methods": scoped(WmsShipMethod.objects.all(), membership),
        "ship_method_form": ShipMethodForm(),
        "merchants": [(merchant, merchant_service_rows(merchant)) for merchant in merchants],
        # The address the hub is served at, as the browser reached it.
        "webhook_url": (
            request.build_absolute_uri(reverse("wms_webhook", args=[wms.webhook_token]))
            if wms is not None and connector is not None and connector.supports(WEBHOOKS)
            else ""
        ),
        "merchant_settings": connector is not None and connector.merchant_settings_form,
        # The file formats of a saved file-based WMS (csv_formats), for the format editor.
        "format_links": (
            csv_format_links(
                connector=connector,
                connection_kind="wms",
                connection_id=wms.id,
                back_url=reverse("wms_setup"),
            )
            if wms is not None and connector is not None and wms.connector_key == connector.key
            else []
        ),
    }
    return render(request, "wms/wms_setup.html", context)


def _test_saved_wms(request: HttpRequest, wms: WmsConnection, *, new: bool) -> None:
    """Every save is tested at once, so the page never says "Connected" after a wrong key;
    a new WMS goes live only when the test passes."""
    try:
        found = services.wms_test_connection(wms=wms)
    except ConnectorError as error:
        waiting = " It is not switched on until a test passes." if new else ""
        messages.warning(
            request,
            f"WMS “{wms.label}” saved, but the test failed: {error}{waiting} Correct the "
            "settings and save, or use Test connection.",
        )
    else:
        messages.success(request, f"WMS “{wms.label}” saved and connected. {found}")


def _the_wms(request: HttpRequest) -> WmsConnection:
    wms = scoped(WmsConnection.objects.all(), request.membership).first()
    if wms is None:
        raise Http404("No WMS is set up")
    return wms


@require_POST
@member_required("can_view_wms")
def wms_test(request: HttpRequest) -> HttpResponse:
    wms = _the_wms(request)
    try:
        found = services.wms_test_connection(wms=wms)
    except ConnectorError as error:
        messages.error(request, f"Test failed: {error}")
    else:
        messages.success(request, f"Test passed. {found}")
    return redirect("wms_setup")


@require_POST
@member_required("can_manage_wms")
def wms_ship_methods_refresh(request: HttpRequest) -> HttpResponse:
    wms = _the_wms(request)
    try:
        count = services.wms_ship_methods_refresh(wms=wms)
    except ConnectorError as error:
        messages.error(request, f"The ship methods could not be loaded: {error}")
    else:
        if count:
            messages.success(request, f"{count} ship method(s) loaded from the WMS.")
        else:
            messages.info(request, "This WMS cannot list its ship methods: add them by hand below.")
    return redirect("wms_setup")


@require_POST
@member_required("can_manage_wms")
def wms_ship_method_add(request: HttpRequest) -> HttpResponse:
    form = ShipMethodForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A ship method needs a code.")
        return redirect("wms_setup")
    _, created = WmsShipMethod.objects.update_or_create(
        account=request.membership.account,
        code=form.cleaned_data["code"],
        defaults={
            "description": form.cleaned_data["description"],
            "carrier": form.cleaned_data["carrier"],
            "is_active": True,
        },
    )
    messages.success(
        request,
        f"Ship method {form.cleaned_data['code']} {'added' if created else 'updated'}.",
    )
    return redirect("wms_setup")


@require_POST
@member_required("can_manage_wms")
def wms_ship_method_delete(request: HttpRequest, ship_method_id: int) -> HttpResponse:
    method = get_object_or_404(
        scoped(WmsShipMethod.objects.all(), request.membership), id=ship_method_id
    )
    services.wms_ship_method_remove(method=method)
    messages.success(
        request, f"Ship method {method.code} removed; carts mapped to it are unmapped."
    )
    return redirect("wms_setup")


@member_required("can_manage_wms")
def merchant_wms_settings(request: HttpRequest, merchant_id: int) -> HttpResponse:
    """What the WMS needs for one merchant (its customer and facility, its folder); "Load
    from the WMS" fills the pickers with what the WMS lists."""
    merchant = get_object_or_404(scoped(Merchant.objects.all(), request.membership), id=merchant_id)
    wms = _the_wms(request)
    options: dict[str, list[tuple[str, str]]] = {}
    if request.method == "GET" and request.GET.get("load"):
        try:
            options = wms_connector_for(wms).merchant_options()
        except ConnectorError as error:
            messages.error(request, f"The WMS could not list them: {error}")
        else:
            messages.info(request, "Loaded from the WMS: choose below, then save.")
    form = merchant_wms_settings_form(
        merchant=merchant, wms=wms, data=request.POST or None, options=options
    )
    if form is None:
        raise Http404("This WMS needs no settings per merchant")
    if request.method == "POST" and form.is_valid():
        services.merchant_wms_settings_save(merchant=merchant, data=form.cleaned_data)
        messages.success(request, f"WMS settings of {merchant} saved.")
        return redirect("merchant_edit", merchant_id=merchant.id)
    context = {
        "merchant": merchant,
        "wms": wms,
        "form": form,
        "can_load": WMS_CONNECTORS.get(wms.connector_key).supports(MERCHANT_OPTIONS),
    }
    return render(request, "wms/merchant_wms_settings.html", context)
