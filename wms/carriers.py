"""Carrier (SCAC) codes the WMS sends: recorded as seen, and what the carts are told instead."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import Merchant
from wms.models import CarrierMap


def carrier_codes_record(*, account_id: int, merchant_id: int, codes: Iterable[str]) -> None:
    """Add each new carrier code to the merchant's carrier map (passed on as is until mapped)
    and stamp the ones seen again."""
    seen = sorted({code[:100] for code in codes if code})
    if not seen:
        return
    now = timezone.now()
    CarrierMap.objects.bulk_create(
        [
            CarrierMap(
                account_id=account_id,
                merchant_id=merchant_id,
                wms_code=code,
                first_seen_at=now,
                last_seen_at=now,
            )
            for code in seen
        ],
        ignore_conflicts=True,
    )
    CarrierMap.objects.filter(merchant_id=merchant_id, wms_code__in=seen).update(last_seen_at=now)


def cart_carriers_load(*, merchant_id: int) -> dict[str, str]:
    """The merchant's mapped carrier codes: WMS code to what the carts get."""
    return dict(
        CarrierMap.objects.filter(merchant_id=merchant_id)
        .exclude(cart_code="")
        .values_list("wms_code", "cart_code")
    )


def cart_carrier_for(mapped: dict[str, str], *, scac: str, carrier: str) -> str:
    """The carrier a cart is sent: the mapping of the WMS's code (its SCAC, else its carrier
    name), else the carrier as the WMS sent it."""
    return mapped.get(scac or carrier) or mapped.get(carrier) or carrier


@transaction.atomic
def carrier_map_save(*, merchant: Merchant, wms_code: str, cart_code: str) -> bool:
    """Set what the carts get for a WMS carrier code (blank: the code as is), adding the code
    ahead of the first shipment that carries it; True if the code was new."""
    carrier_map, created = CarrierMap.objects.get_or_create(
        merchant=merchant,
        wms_code=wms_code,
        defaults={"account_id": merchant.account_id, "cart_code": cart_code},
    )
    if not created:
        CarrierMap.objects.filter(id=carrier_map.id).update(
            cart_code=cart_code, updated_at=timezone.now()
        )
    return created
