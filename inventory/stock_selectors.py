"""Reads for the stock and locations screens and the levels export: the membership first."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from django.db.models import Count, Exists, OuterRef, QuerySet

from accounts.models import Membership, Merchant
from accounts.tenancy import scoped
from carts.models import CartConnection
from inventory.models import InventoryLevel, Location

PAGE_SIZE = 50
COUNT_LIMIT = 1_000
EXPORT_CHUNK = 2_000
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def stock_merchant_list(membership: Membership) -> QuerySet[Merchant]:
    """The merchants whose stock the member may see: the account's, or their own."""
    return scoped(Merchant.objects.all(), membership).order_by("name")


def location_list(membership: Membership, *, merchant: Merchant) -> QuerySet[Location]:
    """The merchant's locations, the default first."""
    return (
        scoped(Location.objects.all(), membership)
        .filter(merchant=merchant)
        .order_by("-is_default", "name", "id")
    )


def _levels(membership: Membership, merchant: Merchant) -> QuerySet[InventoryLevel]:
    return scoped(InventoryLevel.objects.all(), membership).filter(merchant=merchant)


def stock_locations(membership: Membership, *, merchant: Merchant) -> list[Location]:
    """The columns of the stock screen: the locations holding stock (an empty default one
    would only add a column of dashes)."""
    holding = InventoryLevel.objects.filter(location=OuterRef("pk"))
    return list(location_list(membership, merchant=merchant).filter(Exists(holding)))


@dataclass
class StockCell:
    available: int | None  # None where the location holds no level of the SKU
    on_hand: int | None
    enabled: bool


@dataclass
class StockRow:
    sku: str
    cells: list[StockCell]  # one per column
    total: int  # available at the enabled locations
    wms_updated_at: datetime | None


@dataclass
class StockScreenPage:
    rows: list[StockRow] = field(default_factory=list)
    # Keys for the neighbouring pages (the last and first SKU shown), or "" when none.
    next_after: str = ""
    previous_before: str = ""
    is_first: bool = True


def stock_page(
    membership: Membership,
    *,
    merchant: Merchant,
    locations: list[Location],
    search: str = "",
    after: str = "",
    before: str = "",
    size: int = PAGE_SIZE,
) -> StockScreenPage:
    """One page of SKUs in SKU order (keyset: after or before a SKU), pivoted to a cell per
    location: only the page's levels are read, however many SKUs there are."""
    levels = _levels(membership, merchant)
    if search:
        levels = levels.filter(sku__icontains=search)
    skus = levels.values_list("sku", flat=True).distinct()
    if before:
        found = list(skus.filter(sku__lt=before).order_by("-sku")[: size + 1])
        more_before, more_after = len(found) > size, True
        page_skus = list(reversed(found[:size]))
    else:
        if after:
            skus = skus.filter(sku__gt=after)
        found = list(skus.order_by("sku")[: size + 1])
        more_before, more_after = bool(after), len(found) > size
        page_skus = found[:size]
    page_levels = levels.filter(sku__in=page_skus).order_by("sku")
    rows = list(_pivot(_level_values(page_levels), locations))
    return StockScreenPage(
        rows=rows,
        next_after=page_skus[-1] if more_after and page_skus else "",
        previous_before=page_skus[0] if more_before and page_skus else "",
        is_first=not more_before,
    )


def stock_sku_count(membership: Membership, *, merchant: Merchant, search: str = "") -> int:
    """How many SKUs match, counted up to COUNT_LIMIT + 1 (over it, the screen says "more
    than"): an exact count of 50,000 SKUs would cost more than the page itself."""
    levels = _levels(membership, merchant)
    if search:
        levels = levels.filter(sku__icontains=search)
    return levels.values("sku").distinct().order_by("sku")[: COUNT_LIMIT + 1].count()


LevelValues = tuple[str, int, int, int, datetime | None]


def _level_values(levels: QuerySet[InventoryLevel]) -> QuerySet:
    return levels.values_list("sku", "location_id", "available", "on_hand", "wms_updated_at")


def _pivot(levels: Iterable[LevelValues], locations: list[Location]) -> Iterator[StockRow]:
    """Levels in SKU order, a row per SKU: streamed, so an export holds one SKU at a time."""
    column = {location.id: index for index, location in enumerate(locations)}
    enabled = {location.id for location in locations if location.enabled}
    for sku, group in groupby(levels, key=lambda row: row[0]):
        cells = [StockCell(None, None, location.enabled) for location in locations]
        times = []
        total = 0
        for _, location_id, available, on_hand, wms_updated_at in group:
            if location_id in column:
                cells[column[location_id]] = StockCell(available, on_hand, location_id in enabled)
                total += available if location_id in enabled else 0
            if wms_updated_at is not None:
                times.append(wms_updated_at)
        yield StockRow(sku=sku, cells=cells, total=total, wms_updated_at=max(times, default=None))


class _Echo:
    """csv.writer writes into this and gets the line back, so nothing is buffered."""

    def write(self, value: str) -> str:
        return value


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def stock_export_lines(membership: Membership, *, merchant: Merchant) -> Iterator[str]:
    """The merchant's levels as CSV lines: one per SKU, the available quantity at each
    location, the total of the enabled ones and the WMS's latest time; read in chunks."""
    locations = stock_locations(membership, merchant=merchant)
    writer = csv.writer(_Echo())
    yield writer.writerow(
        [
            "sku",
            *[_text(location.name) for location in locations],
            "total_enabled",
            "wms_updated_at",
        ]
    )
    levels = _levels(membership, merchant).order_by("sku", "location_id")
    for row in _pivot(_level_values(levels).iterator(chunk_size=EXPORT_CHUNK), locations):
        yield writer.writerow(
            [
                _text(row.sku),
                *["" if cell.available is None else cell.available for cell in row.cells],
                row.total,
                row.wms_updated_at.isoformat() if row.wms_updated_at else "",
            ]
        )


@dataclass
class LocationRow:
    location: Location
    skus: int
    carts: list[CartConnection]


def location_rows(membership: Membership, *, merchant: Merchant) -> list[LocationRow]:
    """Each location with how many SKUs it holds and which carts read it alone."""
    locations = location_list(membership, merchant=merchant).annotate(skus=Count("levels"))
    carts = scoped(CartConnection.objects.all(), membership).filter(
        merchant=merchant, inventory_location__isnull=False
    )
    by_location: dict[int, list[CartConnection]] = {}
    for cart in carts.order_by("label"):
        by_location.setdefault(cart.inventory_location_id, []).append(cart)
    return [
        LocationRow(location=location, skus=location.skus, carts=by_location.get(location.id, []))
        for location in locations
    ]


def cart_reading_all_count(membership: Membership, *, merchant: Merchant) -> int:
    """The merchant's carts that add up all enabled locations."""
    carts = scoped(CartConnection.objects.all(), membership)
    return carts.filter(merchant=merchant, inventory_location__isnull=True).count()
