"""Reads of orders for screens; the membership comes first, through the scoping helper."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from accounts.models import Membership, Merchant
from accounts.tenancy import scoped
from orders.models import Order, OrderStatus


@dataclass
class MerchantCounts:
    merchant: Merchant
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def cells(self) -> list[int]:
        return [self.by_status.get(status, 0) for status in OrderStatus.values]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def order_counts_by_merchant(membership: Membership) -> list[MerchantCounts]:
    """Orders per status for each merchant the member may see (merchants without orders too)."""
    rows = {
        merchant.id: MerchantCounts(merchant=merchant)
        for merchant in scoped(Merchant.objects.all(), membership).order_by("name")
    }
    counts = (
        scoped(Order.objects.all(), membership)
        .values("merchant_id", "status")
        .annotate(count=Count("id"))
        .order_by()
    )
    for row in counts:
        if row["merchant_id"] in rows:
            rows[row["merchant_id"]].by_status[row["status"]] = row["count"]
    return list(rows.values())
