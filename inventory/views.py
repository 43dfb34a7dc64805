"""Screens for product aliases and kits per merchant, item filters per cart, and their CSV."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from accounts.models import Merchant
from accounts.tenancy import member_required, scoped
from carts.models import CartConnection
from inventory import selectors
from inventory.bulk_csv import (
    BULK_KINDS,
    BulkKind,
    ImportOutcome,
    bulk_export,
    bulk_import,
    bulk_preview,
    bulk_text,
    upload_digest,
)
from inventory.forms import (
    AliasForm,
    BulkUploadForm,
    ItemFilterForm,
    KitComponentFormSet,
    KitForm,
)
from inventory.rule_edits import (
    item_filter_add,
    item_filter_delete,
    kit_delete,
    kit_save,
    product_alias_delete,
    product_alias_save,
)
from wms.models import CarrierMap

ALIASES, KITS, FILTERS = BULK_KINDS["aliases"], BULK_KINDS["kits"], BULK_KINDS["filters"]
# Shown on each import page; docs/mapping-and-rules.md has the same examples.
EXAMPLES = {
    "aliases": "alias,sku,kind\nBB-TENT-GREEN,TENT-2P-GRN,sku\n0812345678901,TENT-2P-GRN,upc",
    "kits": "kit_sku,component_sku,quantity\nCAMP-SET,TENT-2P-GRN,1\nCAMP-SET,STAKE-AL,8",
    "filters": "sku\nGIFT-CARD\nSAMPLE-*",
}


def released_text(count: int) -> str:
    if not count:
        return ""
    if count == 1:
        return " 1 held order goes to the WMS now."
    return f" {count} held orders go to the WMS now."


def _merchant(request: HttpRequest, merchant_id: int) -> Merchant:
    return get_object_or_404(selectors.merchant_list(request.membership), id=merchant_id)


def _cart(request: HttpRequest, cart_id: int) -> CartConnection:
    return get_object_or_404(selectors.cart_list(request.membership), id=cart_id)


@member_required()
def product_index(request: HttpRequest) -> HttpResponse:
    """Each merchant the member may see, with its aliases, kits, carrier codes and carts."""
    membership = request.membership
    merchants = list(selectors.merchant_list(membership).filter(is_active=True))
    aliases = selectors.alias_count_by_merchant(membership)
    kits = selectors.kit_count_by_merchant(membership)
    carriers = dict(
        scoped(CarrierMap.objects.all(), membership)
        .values_list("merchant_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    carts = list(selectors.cart_list(membership).order_by("label"))
    rows = [
        {
            "merchant": merchant,
            "aliases": aliases.get(merchant.id, 0),
            "kits": kits.get(merchant.id, 0),
            "carriers": carriers.get(merchant.id, 0),
            "carts": [cart for cart in carts if cart.merchant_id == merchant.id],
        }
        for merchant in merchants
    ]
    return render(request, "inventory/product_index.html", {"rows": rows})


# --- Aliases -------------------------------------------------------------------------------


@member_required()
def alias_list(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    search = request.GET.get("q", "").strip()
    aliases = selectors.alias_list(request.membership, merchant=merchant, search=search)
    page = Paginator(aliases, 50).get_page(request.GET.get("page"))
    context = {"merchant": merchant, "page": page, "search": search}
    return render(request, "inventory/alias_list.html", context)


@member_required()
def alias_create(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    return _alias_form(request, merchant, alias=None)


@member_required()
def alias_edit(request: HttpRequest, merchant_id: int, alias_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    alias = get_object_or_404(
        selectors.alias_list(request.membership, merchant=merchant), id=alias_id
    )
    return _alias_form(request, merchant, alias=alias)


def _alias_form(request: HttpRequest, merchant: Merchant, *, alias: Any) -> HttpResponse:
    initial = {"kind": alias.kind, "alias": alias.alias, "sku": alias.sku} if alias else None
    form = AliasForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: str(value).strip() for name, value in form.cleaned_data.items()}
        try:
            released = product_alias_save(
                merchant=merchant,
                alias_id=alias.id if alias else None,
                user_id=request.user.id,
                **data,
            )
        except ValidationError as error:
            form.add_error("alias", error)
        else:
            messages.success(
                request, f"Alias {data['alias']} → {data['sku']} saved.{released_text(released)}"
            )
            return redirect("alias_list", merchant_id=merchant.id)
    context = {"merchant": merchant, "form": form, "alias": alias}
    return render(request, "inventory/alias_form.html", context)


@require_POST
@member_required()
def alias_delete(request: HttpRequest, merchant_id: int, alias_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    alias = get_object_or_404(
        selectors.alias_list(request.membership, merchant=merchant), id=alias_id
    )
    product_alias_delete(alias=alias)
    messages.success(
        request,
        f"Alias {alias.alias} deleted. Orders with this code now go to the WMS as the cart "
        "sent it.",
    )
    return redirect("alias_list", merchant_id=merchant.id)


@member_required()
def alias_export(request: HttpRequest, merchant_id: int) -> HttpResponse:
    return _export(_merchant(request, merchant_id), ALIASES)


@member_required()
def alias_import(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    back = reverse("alias_list", args=[merchant.id])
    return _bulk_import_page(request, kind=ALIASES, owner=merchant, back_url=back)


# --- Kits ----------------------------------------------------------------------------------


@member_required()
def kit_list(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    search = request.GET.get("q", "").strip()
    kits = selectors.kit_list(request.membership, merchant=merchant, search=search)
    page = Paginator(kits, 25).get_page(request.GET.get("page"))
    context = {"merchant": merchant, "page": page, "search": search}
    return render(request, "inventory/kit_list.html", context)


@member_required()
def kit_create(request: HttpRequest, merchant_id: int) -> HttpResponse:
    return _kit_form(request, _merchant(request, merchant_id), kit=None)


@member_required()
def kit_edit(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    kit_sku = request.POST.get("replaces") or request.GET.get("kit", "")
    kit = selectors.kit_get(request.membership, merchant=merchant, kit_sku=kit_sku)
    if kit is None:
        messages.error(request, f"{merchant.name} has no kit {kit_sku}: it may have been deleted.")
        return redirect("kit_list", merchant_id=merchant.id)
    return _kit_form(request, merchant, kit=kit)


def _kit_form(request: HttpRequest, merchant: Merchant, *, kit: Any) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = KitForm(data, initial={"kit_sku": kit.kit_sku} if kit else None)
    initial = (
        [{"component_sku": c.component_sku, "quantity": c.quantity} for c in kit.components]
        if kit
        else None
    )
    components = KitComponentFormSet(data, initial=initial, prefix="components")
    if data is not None and form.is_valid() and components.is_valid():
        kit_sku = form.cleaned_data["kit_sku"].strip()
        try:
            released = kit_save(
                merchant=merchant,
                kit_sku=kit_sku,
                components=components.components(),
                replaces=kit.kit_sku if kit else None,
                user_id=request.user.id,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Kit {kit_sku} saved.{released_text(released)}")
            return redirect("kit_list", merchant_id=merchant.id)
    context = {"merchant": merchant, "form": form, "components": components, "kit": kit}
    return render(request, "inventory/kit_form.html", context)


@require_POST
@member_required()
def kit_remove(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    kit_sku = request.POST.get("kit_sku", "")
    if kit_delete(merchant=merchant, kit_sku=kit_sku):
        messages.success(
            request, f"Kit {kit_sku} deleted. Orders for it now go to the WMS as one SKU."
        )
    else:
        messages.error(request, f"{merchant.name} has no kit {kit_sku}: nothing was deleted.")
    return redirect("kit_list", merchant_id=merchant.id)


@member_required()
def kit_export(request: HttpRequest, merchant_id: int) -> HttpResponse:
    return _export(_merchant(request, merchant_id), KITS)


@member_required()
def kit_import(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _merchant(request, merchant_id)
    back = reverse("kit_list", args=[merchant.id])
    return _bulk_import_page(request, kind=KITS, owner=merchant, back_url=back)


# --- Item filters (listed on the cart's rules page) ----------------------------------------


@require_POST
@member_required()
def item_filter_create(request: HttpRequest, cart_id: int) -> HttpResponse:
    cart = _cart(request, cart_id)
    form = ItemFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not added: {' '.join(form.errors['sku'])}")
    elif item_filter_add(cart=cart, sku=form.cleaned_data["sku"]):
        messages.success(request, f"{form.cleaned_data['sku']} added to the item filter.")
    else:
        messages.info(request, f"{form.cleaned_data['sku']} was on the item filter already.")
    return redirect(reverse("cart_rules", args=[cart.id]) + "#item-filter")


@require_POST
@member_required()
def item_filter_remove(request: HttpRequest, cart_id: int, filter_id: int) -> HttpResponse:
    cart = _cart(request, cart_id)
    item_filter = get_object_or_404(
        selectors.item_filter_list(request.membership, cart=cart), id=filter_id
    )
    item_filter_delete(item_filter=item_filter)
    messages.success(request, f"{item_filter.sku} removed from the item filter.")
    return redirect(reverse("cart_rules", args=[cart.id]) + "#item-filter")


@member_required()
def item_filter_export(request: HttpRequest, cart_id: int) -> HttpResponse:
    return _export(_cart(request, cart_id), FILTERS)


@member_required()
def item_filter_import(request: HttpRequest, cart_id: int) -> HttpResponse:
    cart = _cart(request, cart_id)
    back = reverse("cart_rules", args=[cart.id])
    return _bulk_import_page(request, kind=FILTERS, owner=cart, back_url=back)


# --- CSV export and import, the same for every kind ----------------------------------------


def _owner_name(owner: Merchant | CartConnection) -> str:
    return owner.label if isinstance(owner, CartConnection) else owner.name


def _export(owner: Merchant | CartConnection, kind: BulkKind) -> StreamingHttpResponse:
    name = f"{slugify(_owner_name(owner)) or 'export'}-{kind.key}.csv"
    response = StreamingHttpResponse(
        bulk_export(kind=kind, owner=owner), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _session_key(kind: BulkKind, owner: Merchant | CartConnection) -> str:
    return f"bulk_csv:{kind.key}:{type(owner).__name__}:{owner.pk}"


def _bulk_import_page(
    request: HttpRequest, *, kind: BulkKind, owner: Merchant | CartConnection, back_url: str
) -> HttpResponse:
    """Upload: keep the file in the session (never trusted back from the browser) and show
    what it would do. Apply: import the kept file's good rows and say what happened."""
    if request.method == "POST" and request.POST.get("stage") == "apply":
        return _bulk_apply(request, kind=kind, owner=owner, back_url=back_url)
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    preview, kept = None, None
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            text = bulk_text(uploaded.read())
            preview = bulk_preview(kind=kind, owner=owner, text=text)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            name = PurePath(uploaded.name or "upload.csv").name[:100]
            kept = {"name": name, "text": text, "digest": upload_digest(text)}
            request.session[_session_key(kind, owner)] = kept
    context = _import_context(kind=kind, owner=owner, back_url=back_url)
    context.update(form=form, preview=preview, kept=kept)
    return render(request, "inventory/bulk_import.html", context)


def _bulk_apply(
    request: HttpRequest, *, kind: BulkKind, owner: Merchant | CartConnection, back_url: str
) -> HttpResponse:
    key = _session_key(kind, owner)
    kept = request.session.get(key)
    if not kept or kept.get("digest") != request.POST.get("digest"):
        messages.error(
            request,
            "That upload is no longer here (another file was uploaded since, or it was "
            "imported already). Upload the file again to see its preview.",
        )
        return redirect(request.path)
    try:
        outcome = bulk_import(
            kind=kind,
            owner=owner,
            text=kept["text"],
            file_name=kept["name"],
            user_id=request.user.id,
        )
    except ValidationError as error:
        messages.error(request, f"Nothing was imported: {' '.join(error.messages)}")
        return redirect(request.path)
    del request.session[key]
    messages.success(request, _outcome_text(kind, kept["name"], outcome))
    context = _import_context(kind=kind, owner=owner, back_url=back_url)
    context.update(form=BulkUploadForm(), outcome=outcome, file_name=kept["name"])
    return render(request, "inventory/bulk_import.html", context)


def _outcome_text(kind: BulkKind, name: str, outcome: ImportOutcome) -> str:
    text = (
        f"Imported {name}: {outcome.added} added, {outcome.updated} updated, "
        f"{outcome.unchanged} unchanged."
    )
    if outcome.bad:
        lines = ", ".join(str(row.line) for row in outcome.bad[:20])
        more = "…" if len(outcome.bad) > 20 else ""
        rows = "1 bad row was" if len(outcome.bad) == 1 else f"{len(outcome.bad)} bad rows were"
        where = "line" if len(outcome.bad) == 1 else "lines"
        text += (
            f" {rows} not imported ({where} {lines}{more}): correct the file and import "
            "it again; the rows imported now stay as they are."
        )
    return text + released_text(outcome.released)


def _import_context(
    *, kind: BulkKind, owner: Merchant | CartConnection, back_url: str
) -> dict[str, Any]:
    return {
        "kind": kind,
        "owner_name": _owner_name(owner),
        "back_url": back_url,
        "example": EXAMPLES[kind.key],
        "merchant": owner if isinstance(owner, Merchant) else owner.merchant,
        "cart": owner if isinstance(owner, CartConnection) else None,
    }
