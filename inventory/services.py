"""Inventory: store the WMS's stock per location, and push it to each cart."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Merchant
from carts.connectors.base import UPLOAD_INVENTORY
from carts.connectors.registry import cart_connector_for
from carts.models import CartConnection
from integration_manager.records import StockLevel, StockPage
from inventory.jobs import INVENTORY_UPLOAD
from inventory.models import InventoryLevel, Location
from jobs.recorder import RunRecorder
from jobs.services import schedules_trigger
from wms.connectors.base import FETCH_INVENTORY
from wms.selectors import merchant_ref, wms_for

UPSERT_BATCH = 1_000
UPLOAD_BATCH = 500


def inventory_fetch(*, merchant: Merchant, run: RunRecorder) -> None:
    """Read the merchant's stock from the WMS and store it per location and SKU."""
    wms, connector = wms_for(merchant)
    if not wms.is_usable or not connector.supports(FETCH_INVENTORY):
        run.say("The WMS connection cannot report inventory now; nothing read.")
        return
    found = connector.fetch_inventory(merchant_ref(merchant))
    # A list is the whole stock at once; pages (files, say) are stored one by one, each
    # before the next is read, so a connector can record a page as done once it is stored.
    pages = [StockPage(levels=found)] if isinstance(found, list) else found
    stored, locations = 0, set()
    for page in pages:
        run.count(seen=len(page.levels) + len(page.failures))
        if page.source:
            run.log("Read %s: %s stock level(s).", page.source, len(page.levels))
        for failure in page.failures:
            run.log("Stock of %s not read: %s", failure.record_ref or "(no SKU)", failure)
            run.count(failed=1)
        stored += inventory_levels_store(merchant=merchant, levels=page.levels)
        locations |= {level.location_id for level in page.levels}
    run.count(ok=stored)
    run.say(f"{stored} stock level(s) stored for {len(locations)} location(s).")


@transaction.atomic
def inventory_levels_store(*, merchant: Merchant, levels: list[StockLevel]) -> int:
    now = timezone.now()
    names = {level.location_id: level.location_name for level in levels}
    has_locations = Location.objects.filter(merchant=merchant).exists()
    Location.objects.bulk_create(
        [
            Location(
                account_id=merchant.account_id,
                merchant=merchant,
                wms_location_id=location_id,
                name=name or location_id,
                # The first location a merchant ever gets is its default one.
                is_default=not has_locations and index == 0,
            )
            for index, (location_id, name) in enumerate(sorted(names.items()))
        ],
        ignore_conflicts=True,
    )
    locations = {
        location.wms_location_id: location
        for location in Location.objects.filter(merchant=merchant, wms_location_id__in=names)
    }
    rows = [
        InventoryLevel(
            account_id=merchant.account_id,
            merchant=merchant,
            location=locations[level.location_id],
            sku=level.sku[:200],
            on_hand=level.on_hand,
            available=level.available,
            wms_updated_at=level.updated_at,
            updated_at=now,
        )
        for level in levels
    ]
    for start in range(0, len(rows), UPSERT_BATCH):
        InventoryLevel.objects.bulk_create(
            rows[start : start + UPSERT_BATCH],
            update_conflicts=True,
            unique_fields=["location", "sku"],
            update_fields=["on_hand", "available", "wms_updated_at", "updated_at"],
        )
    carts = list(
        CartConnection.objects.filter(merchant=merchant, enabled=True).values_list("id", flat=True)
    )
    if carts and rows:
        schedules_trigger(service=INVENTORY_UPLOAD, cart_ids=carts)
    return len(rows)


def inventory_upload(*, cart: CartConnection, run: RunRecorder) -> None:
    """Push the stock the cart should show: its location's, or all enabled locations added up."""
    connector = cart_connector_for(cart)
    if not connector.supports(UPLOAD_INVENTORY):
        run.say(f"{connector.label} carts do not take inventory; nothing sent.")
        return
    levels = InventoryLevel.objects.filter(merchant_id=cart.merchant_id, location__enabled=True)
    if cart.inventory_location_id:
        levels = levels.filter(location_id=cart.inventory_location_id)
    totals = list(levels.values("sku").annotate(available=Sum("available")).order_by("sku"))
    stock = [
        StockLevel(sku=row["sku"], location_id="", available=max(0, row["available"]))
        for row in totals
    ]
    run.count(seen=len(stock))
    for start in range(0, len(stock), UPLOAD_BATCH):
        batch = stock[start : start + UPLOAD_BATCH]
        refused = connector.upload_inventory(batch)
        for failure in refused:
            run.log("SKU %s not updated: %s", failure.record_ref, failure)
        run.count(ok=len(batch) - len(refused), failed=len(refused))
    run.say(
        f"Stock for {run.ok} SKU(s) sent to the cart"
        + (f"; {run.failed} refused." if run.failed else ".")
    )
