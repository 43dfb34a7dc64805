"""3PL Warehouse Manager stock: stock summaries of one customer at one facility as levels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integration_manager.records import StockLevel


def stock_rql(*, customer_id: int, facility_id: int) -> str:
    # A summary row names its facility but not its customer; the documented rule (property
    # names are the model's, dotted) gives customerIdentifier.id for the customer's items.
    return f"facilityId=={facility_id};customerIdentifier.id=={customer_id}"


def facility_name(customer: Mapping[str, Any], facility_id: int) -> str:
    """The facility's name from the customer's facilities ({name, id}), "" when not listed."""
    for facility in customer.get("facilities") or []:
        if isinstance(facility, Mapping) and str(facility.get("id")) == str(facility_id):
            return str(facility.get("name") or "")
    return ""


# The hub keeps stock in an integer column; no warehouse holds more of one SKU than this.
MAX_QUANTITY = 2**31 - 1


def _whole(value: Any) -> int:
    """A quantity as a whole number; 0 when unreadable (NaN and infinity included, which
    int() refuses with ValueError and OverflowError) or beyond any real stock count."""
    try:
        whole = int(Decimal(str(value if value is not None else 0)))
    except (InvalidOperation, ValueError, OverflowError):
        return 0
    return whole if abs(whole) <= MAX_QUANTITY else 0


def stock_levels(
    rows: Iterable[Mapping[str, Any]],
    *,
    facility_id: int,
    location_name: str,
    now: datetime,
) -> list[StockLevel]:
    """One level per SKU at the facility: available and onHand summed over its qualifiers
    (a qualifier is a variant of stock the cart does not see), never below zero."""
    totals: dict[str, tuple[int, int]] = {}
    for row in rows:
        if str(row.get("facilityId", facility_id)) != str(facility_id):
            continue  # defensive: the query asked for one facility
        identifier = row.get("itemIdentifier")
        sku = str(identifier.get("sku") or "").strip() if isinstance(identifier, Mapping) else ""
        if not sku:
            continue
        available, on_hand = totals.get(sku, (0, 0))
        available += _whole(row.get("available"))
        totals[sku] = (available, on_hand + _whole(row.get("onHand")))
    return [
        StockLevel(
            sku=sku,
            location_id=str(facility_id),
            location_name=location_name,
            available=min(max(0, available), MAX_QUANTITY),
            on_hand=min(max(0, on_hand), MAX_QUANTITY),
            updated_at=now,
        )
        for sku, (available, on_hand) in sorted(totals.items())
    ]
