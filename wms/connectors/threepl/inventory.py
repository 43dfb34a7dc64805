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


def _whole(value: Any) -> int:
    try:
        return int(Decimal(str(value if value is not None else 0)))
    except (InvalidOperation, ValueError):
        return 0


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
        sku = str((row.get("itemIdentifier") or {}).get("sku") or "").strip()
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
            available=max(0, available),
            on_hand=max(0, on_hand),
            updated_at=now,
        )
        for sku, (available, on_hand) in sorted(totals.items())
    ]
