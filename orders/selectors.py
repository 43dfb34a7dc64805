"""Reads of orders for screens; the membership comes first, through the scoping helper."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership, Merchant
from accounts.tenancy import scoped
from orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusCount,
    OrderStatusCountDelta,
    Shipment,
    SkippedOrder,
)
from orders.status_counts import order_status_counts


@dataclass
class MerchantCounts:
    merchant: Merchant
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def cells(self) -> list[int]:
        return [self.by_status.get(status, 0) for status in OrderStatus.values]

    @property
    def linked_cells(self) -> list[tuple[str, int]]:
        return list(zip(OrderStatus.values, self.cells, strict=True))

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


# Finished orders (confirmed, canceled) pile up for ever: the dashboard counts those of the
# last RECENT_DAYS, so its counts grow with the open work and the recent volume, not with
# the history.
RECENT_DAYS = 30
FINISHED = (OrderStatus.CONFIRMED, OrderStatus.CANCELED)


def order_counts_by_merchant(membership: Membership) -> list[MerchantCounts]:
    """Orders per status for each merchant the member may see (merchants without orders too):
    every open order, and the finished ones ordered since recent_since() began."""
    rows = {
        merchant.id: MerchantCounts(merchant=merchant)
        for merchant in scoped(Merchant.objects.all(), membership).order_by("name")
    }
    for (merchant_id, status), count in _open_counts(membership).items():
        if count and merchant_id in rows:
            rows[merchant_id].by_status[status] = count
    orders = scoped(Order.objects.all(), membership)
    # One status at a time, so each count is a range of the (account, status, ordered_at)
    # index.
    zone = membership.account.zone
    since = datetime.combine(recent_since(zone), time.min, zone)
    finished = [orders.filter(status=status, ordered_at__gte=since) for status in FINISHED]
    for part in finished:
        counts = part.values("merchant_id", "status").annotate(count=Count("id")).order_by()
        for row in counts:
            if row["merchant_id"] in rows:
                rows[row["merchant_id"]].by_status[row["status"]] = row["count"]
    return list(rows.values())


def _open_counts(membership: Membership) -> dict[tuple[int, str], int]:
    """Open orders per (merchant, status) from the counts the database keeps as orders
    change: counting them would read every open order (half a million on a busy hub)."""
    return order_status_counts(
        totals=scoped(OrderStatusCount.objects.exclude(status__in=FINISHED), membership),
        deltas=scoped(OrderStatusCountDelta.objects.exclude(status__in=FINISHED), membership),
    )


def recent_since(zone: tzinfo) -> date:
    """The first day counted as recent, in the account's zone (the orders list's date_from)."""
    return timezone.now().astimezone(zone).date() - timedelta(days=RECENT_DAYS)


PAGE_SIZE = 50


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    merchant_id: int | None = None
    cart_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""
    # Where the search looks: "" the order's own number, reference, name or e-mail, or one
    # of SEARCH_FIELDS (each an equality on one column, so an index can answer it).
    search_in: str = ""


SEARCH_FIELDS = {
    "tracking": "Tracking number",
    "wms_reference": "WMS reference",
    "sku": "SKU (cart or WMS)",
    "city": "Ship-to city",
}


def order_list(membership: Membership, filters: OrderFilters) -> QuerySet[Order]:
    """Orders the member may see, filtered; canceled ones only when asked for by status."""
    orders = scoped(Order.objects.all(), membership)
    if filters.status:
        orders = orders.filter(status=filters.status)
    else:
        orders = orders.exclude(status=OrderStatus.CANCELED)
    if filters.merchant_id:
        orders = orders.filter(merchant_id=filters.merchant_id)
    if filters.cart_id:
        orders = orders.filter(cart_id=filters.cart_id)
    zone = membership.account.zone
    if filters.date_from:
        orders = orders.filter(ordered_at__gte=datetime.combine(filters.date_from, time.min, zone))
    if filters.date_to:
        orders = orders.filter(ordered_at__lte=datetime.combine(filters.date_to, time.max, zone))
    search = filters.search.strip()
    if search:
        orders = orders.filter(_search_in(membership, filters.search_in, search))
    # A list never needs a cart's secret: not reading it spares a decryption per row.
    return orders.select_related("merchant", "cart").defer("cart__credentials")


def _search_in(membership: Membership, field: str, search: str) -> Q:
    """The search on one field. Subqueries name the account so they stay within it."""
    account_id = membership.account_id
    if field == "tracking":
        shipments = Shipment.objects.filter(account_id=account_id, tracking_number=search)
        return Q(id__in=shipments.values("order_id"))
    if field == "wms_reference":
        return Q(wms_reference=search)
    if field == "sku":
        lines = OrderLine.objects.filter(account_id=account_id).filter(
            Q(sku=search) | Q(wms_sku=search)
        )
        return Q(id__in=lines.values("order_id"))
    if field == "city":
        return Q(ship_to__city__iexact=search)
    return _search(search)


def _search(search: str) -> Q:
    """A number or reference looks in the indexed columns only (fast with millions of
    orders); an e-mail matches exactly; anything else is a part of the customer's name."""
    if "@" in search:
        return Q(email__iexact=search)
    if any(character.isdigit() for character in search) and " " not in search:
        number = search.lstrip("#")
        return (
            Q(order_number__in=[search, f"#{number}", number])
            | Q(cust_ref=search.upper())
            | Q(source_order_id=number)
        )
    return Q(ship_name__icontains=search)


@dataclass
class OrderPage:
    orders: list[Order]
    next_key: str | None
    previous_key: str | None


def _key(order: Order) -> str:
    return f"{order.ordered_at.isoformat()}_{order.id}"


def _parse_key(key: str) -> tuple[datetime, int] | None:
    moment, _, order_id = key.rpartition("_")
    try:
        return datetime.fromisoformat(moment), int(order_id)
    except ValueError:
        return None


def order_page(orders: QuerySet[Order], *, after: str = "", before: str = "") -> OrderPage:
    """Keyset pagination, newest first: a page costs the same on page 1 and page 20,000."""
    after_key = _parse_key(after) if after else None
    before_key = _parse_key(before) if before else None
    if before_key:
        moment, order_id = before_key
        rows = list(
            orders.filter(
                Q(ordered_at__gt=moment) | Q(ordered_at=moment, id__gt=order_id)
            ).order_by("ordered_at", "id")[: PAGE_SIZE + 1]
        )
        has_more_newer = len(rows) > PAGE_SIZE
        rows = list(reversed(rows[:PAGE_SIZE]))
        return OrderPage(
            orders=rows,
            next_key=_key(rows[-1]) if rows else None,
            previous_key=_key(rows[0]) if rows and has_more_newer else None,
        )
    if after_key:
        moment, order_id = after_key
        orders = orders.filter(Q(ordered_at__lt=moment) | Q(ordered_at=moment, id__lt=order_id))
    rows = list(orders.order_by("-ordered_at", "-id")[: PAGE_SIZE + 1])
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return OrderPage(
        orders=rows,
        next_key=_key(rows[-1]) if rows and has_more else None,
        previous_key=_key(rows[0]) if rows and after_key else None,
    )


def order_detail_for(membership: Membership) -> QuerySet[Order]:
    return (
        scoped(Order.objects.all(), membership)
        .select_related("merchant", "cart")
        .defer("cart__credentials")
    )


def skipped_order_list(membership: Membership, *, cart_id: int | None = None) -> QuerySet:
    """Orders the carts sent that were not loaded, newest sighting first."""
    skipped = scoped(SkippedOrder.objects.all(), membership)
    if cart_id:
        skipped = skipped.filter(cart_id=cart_id)
    return (
        skipped.select_related("cart", "merchant")
        .defer("cart__credentials")
        .order_by("-last_seen_at", "-id")
    )


def skipped_order_count(membership: Membership) -> int:
    return scoped(SkippedOrder.objects.all(), membership).count()
