"""The API key screens: a merchant's keys, the account's global keys, an API Access cart's pair.

A new key is shown on the page that answers the POST which made it, and never again: the hub
keeps only its digest, so neither the session nor a redirect carries it.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Merchant
from accounts.tenancy import member_required, scoped
from api.forms import ApiKeyForm
from api.keys import API_ACCESS_CONNECTOR, api_credential_issue, api_credential_revoke
from api.models import ApiCredential, ApiLevel
from carts.views import cart_list_for


def api_credential_list(request: HttpRequest) -> QuerySet[ApiCredential]:
    """The member's credentials: the account's, or one merchant's for a merchant user."""
    return scoped(ApiCredential.objects.all(), request.membership).order_by(  # type: ignore[attr-defined]
        "revoked_at", "-created_at", "-id"
    )


def _merchant_for(request: HttpRequest, merchant_id: int) -> Merchant:
    merchants = scoped(Merchant.objects.all(), request.membership)  # type: ignore[attr-defined]
    return get_object_or_404(merchants, id=merchant_id)


@member_required("can_edit_credentials")
def merchant_api_keys(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant_for(request, merchant_id)
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = api_credential_issue(
            account=merchant.account,
            level=ApiLevel.MERCHANT,
            name=form.cleaned_data["name"],
            merchant=merchant,
            user=request.user,  # type: ignore[arg-type]
        )
        form = ApiKeyForm()
    credentials = api_credential_list(request).filter(merchant=merchant, level=ApiLevel.MERCHANT)
    context = {"merchant": merchant, "form": form, "issued": issued, "credentials": credentials}
    return render(request, "api/merchant_keys.html", context)


@require_POST
@member_required("can_edit_credentials")
def merchant_api_key_revoke(
    request: HttpRequest, merchant_id: int, credential_id: int
) -> HttpResponse:
    merchant = _merchant_for(request, merchant_id)
    credentials = api_credential_list(request).filter(merchant=merchant, level=ApiLevel.MERCHANT)
    _revoke(request, get_object_or_404(credentials, id=credential_id))
    return redirect("merchant_api_keys", merchant_id=merchant.id)


@member_required("can_edit_account")
def account_api_keys(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = api_credential_issue(
            account=membership.account,
            level=ApiLevel.WAREHOUSE,
            name=form.cleaned_data["name"],
            user=request.user,  # type: ignore[arg-type]
        )
        form = ApiKeyForm()
    credentials = api_credential_list(request).filter(level=ApiLevel.WAREHOUSE)
    merchants = scoped(Merchant.objects.all(), membership).order_by("name")
    context = {"form": form, "issued": issued, "credentials": credentials, "merchants": merchants}
    return render(request, "api/account_keys.html", context)


@require_POST
@member_required("can_edit_account")
def account_api_key_revoke(request: HttpRequest, credential_id: int) -> HttpResponse:
    credentials = api_credential_list(request).filter(level=ApiLevel.WAREHOUSE)
    _revoke(request, get_object_or_404(credentials, id=credential_id))
    return redirect("account_api_keys")


def _revoke(request: HttpRequest, credential: ApiCredential) -> None:
    if api_credential_revoke(credential=credential):
        messages.success(
            request,
            f"Key “{credential.name}” revoked: calls with it are refused from now on. "
            "Give its users a new key if they still need access.",
        )
    else:
        messages.info(request, f"Key “{credential.name}” was revoked already.")


@member_required("can_edit_credentials")
def cart_api(request: HttpRequest, cart_id: int) -> HttpResponse:
    """An API Access cart's pair; "Generate API information" replaces it."""
    cart = get_object_or_404(cart_list_for(request), id=cart_id)
    if cart.connector_key != API_ACCESS_CONNECTOR:
        messages.info(
            request,
            "Only an API Access cart has its own API user and key; this cart's orders come "
            "from its store. Merchant API keys are on the merchant's page.",
        )
        return redirect("cart_detail", cart_id=cart.id)
    issued = None
    if request.method == "POST":
        issued = api_credential_issue(
            account=cart.account,
            level=ApiLevel.CART,
            name=cart.label,
            merchant=cart.merchant,
            cart=cart,
            user=request.user,  # type: ignore[arg-type]
        )
    credential = ApiCredential.objects.filter(cart=cart, revoked_at=None).first()
    context = {
        "cart": cart,
        "issued": issued,
        "credential": credential,
        "api_url": request.build_absolute_uri("/v1/"),
    }
    return render(request, "api/cart_api.html", context)
