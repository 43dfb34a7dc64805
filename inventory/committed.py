"""Stock sold but not yet known to the WMS: order lines waiting to be delivered."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from django.db.models import Min, QuerySet, Sum
from django.db.models.functions import Coalesce

from carts.models import CartConnection
from inventory.models import InventoryLevel
from inventory.rules import MerchantRules
from orders.models import OrderLine, OrderStatus

# Orders the WMS has not taken yet: its counts do not include them.
COMMITTED_STATUSES = (OrderStatus.NEW, OrderStatus.ERROR)


def committed_quantities(
    *, merchant_id: int, levels: QuerySet[InventoryLevel], rules: MerchantRules
) -> dict[str, int]:
    """Per WMS SKU, the quantity on the merchant's new and error orders (from every cart)
    stored after the WMS's snapshot of that SKU in `levels`.

    A kit line counts for the kit and, times each component's quantity, for its components
    (the lines delivery makes for components are not read: they repeat the kit line). An
    order stored before the snapshot is left out: the cart that sold it lowered its own
    stock then, and the next snapshot is the one that counts.
    """
    rows = _committed_lines(merchant_id)
    if not rows:
        return {}
    translates = dict(
        CartConnection.objects.filter(merchant_id=merchant_id).values_list(
            "id", "translate_item_codes"
        )
    )
    wanted: dict[tuple[str, datetime], Decimal] = defaultdict(Decimal)
    for cart_id, sku, created_at, quantity in rows:
        # Lines keep the cart's SKU until delivery translates it: translate as delivery will.
        wms_sku = rules.wms_sku(sku, translate=translates.get(cart_id, False))
        wanted[wms_sku, created_at] += quantity
        for component, per_kit in rules.components(wms_sku):
            wanted[component, created_at] += quantity * per_kit
    snapshots = _snapshots(levels, skus={sku for sku, _ in wanted})
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for (sku, created_at), quantity in wanted.items():
        snapshot = snapshots.get(sku)
        if snapshot is not None and created_at > snapshot:
            totals[sku] += quantity
    # A part of a unit sold is a whole unit less to sell.
    return {sku: math.ceil(quantity) for sku, quantity in totals.items() if quantity > 0}


def _committed_lines(merchant_id: int) -> list[tuple[int, str, datetime, Decimal]]:
    """One aggregate: quantity per (cart, SKU, order stored at) of the waiting lines."""
    return list(
        OrderLine.objects.filter(
            merchant_id=merchant_id,
            order__status__in=COMMITTED_STATUSES,
            filtered=False,
            kit_parent=None,
        )
        .values_list("order__cart_id", "sku", "order__created_at")
        .annotate(quantity=Sum("quantity"))
        .order_by()
    )


def _snapshots(levels: QuerySet[InventoryLevel], *, skus: set[str]) -> Mapping[str, datetime]:
    """When the WMS counted each SKU: the oldest count among the locations added up, so an
    order stored after any of them is subtracted (selling too little beats overselling)."""
    return dict(
        levels.filter(sku__in=skus)
        .values("sku")
        .annotate(at=Min(Coalesce("wms_updated_at", "updated_at")))
        .values_list("sku", "at")
        .order_by()
    )
