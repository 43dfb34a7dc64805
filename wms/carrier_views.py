"""Carrier (SCAC) mapping per merchant: each carrier code the WMS sent, and what carts get."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.models import Merchant
from accounts.tenancy import member_required, scoped
from wms.carriers import carrier_map_save
from wms.models import CarrierMap

MAX_CODE_LENGTH = 100
# Suggestions only: most carts want a carrier name rather than a true SCAC (CartRover's list
# carries FEDEX and UPS for that reason); any code the cart understands may be typed.
SUGGESTED_CODES = ("UPS", "FEDEX", "USPS", "DHL", "DHLGM", "ONTRAC", "UPSN", "FDEG", "FDXE")


def _code(request: HttpRequest, name: str) -> str | None:
    value = request.POST.get(name, "").strip()
    return value if len(value) <= MAX_CODE_LENGTH else None


@member_required()
def carrier_maps(request: HttpRequest, merchant_id: int) -> HttpResponse:
    """Each row saves on its own; the form at the bottom adds a code before the WMS sends it."""
    merchant = get_object_or_404(scoped(Merchant.objects.all(), request.membership), id=merchant_id)
    rows = scoped(CarrierMap.objects.all(), request.membership).filter(merchant=merchant)
    if request.method == "POST":
        _carrier_map_post(request, merchant, rows)
        return redirect("carrier_maps", merchant_id=merchant.id)
    context = {
        "merchant": merchant,
        "rows": rows.order_by("wms_code"),
        "suggested_codes": SUGGESTED_CODES,
    }
    return render(request, "wms/carrier_maps.html", context)


def _carrier_map_post(request: HttpRequest, merchant: Merchant, rows: QuerySet[CarrierMap]) -> None:
    cart_code = _code(request, "cart_code")
    if cart_code is None:
        messages.error(
            request, f"Not saved: a carrier code has at most {MAX_CODE_LENGTH} characters."
        )
        return
    map_id = request.POST.get("map_id", "")
    if map_id:
        row = get_object_or_404(rows, id=int(map_id) if map_id.isdigit() else 0)
        wms_code = row.wms_code
    else:
        wms_code = _code(request, "wms_code") or ""
        if not wms_code:
            messages.error(request, "Not added: enter the WMS's carrier code.")
            return
    carrier_map_save(merchant=merchant, wms_code=wms_code, cart_code=cart_code)
    sent = cart_code or f"{wms_code} as it is"
    messages.success(request, f"Carrier {wms_code} saved: carts are sent {sent} on new shipments.")
