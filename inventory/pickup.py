"""Inventory pickup: the WMS's stock stored per location and SKU, knowing what changed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Merchant
from integration_manager.records import StockLevel, StockPage
from inventory.jobs import INVENTORY_UPLOAD
from inventory.locations import location_cart_ids, location_default_ensure
from inventory.models import InventoryLevel, Location
from jobs.recorder import RunRecorder
from jobs.services import schedules_trigger
from wms.connectors.base import FETCH_INVENTORY
from wms.selectors import merchant_ref, wms_for

# Larger batches spend less on building statements; 5,000 rows × 9 columns stays well under
# PostgreSQL's 65,535 parameters.
UPSERT_BATCH = 5_000
SKU_MAX_LENGTH = InventoryLevel._meta.get_field("sku").max_length
LOCATION_ID_MAX_LENGTH = Location._meta.get_field("wms_location_id").max_length
LOCATION_NAME_MAX_LENGTH = Location._meta.get_field("name").max_length
# Levels naming no location go to the merchant's default one, whatever its WMS id.
NO_LOCATION = ""


@dataclass
class PickupOutcome:
    """What storing stock did: levels read and stored, how many changed, which locations
    were new, and which carts' inventory uploads the changes made due."""

    read: int = 0
    changed: int = 0
    new_locations: list[str] = field(default_factory=list)
    location_ids: set[int] = field(default_factory=set)
    cart_ids: set[int] = field(default_factory=set)

    def add(self, other: PickupOutcome) -> None:
        self.read += other.read
        self.changed += other.changed
        self.new_locations += other.new_locations
        self.location_ids |= other.location_ids
        self.cart_ids |= other.cart_ids


def inventory_fetch(*, merchant: Merchant, run: RunRecorder) -> PickupOutcome:
    """Read the merchant's stock from the WMS and store it per location and SKU; the carts
    whose stock changed get their inventory upload made due, no other."""
    outcome = PickupOutcome()
    wms, connector = wms_for(merchant)
    if not connector.supports(FETCH_INVENTORY):
        # An API-access warehouse, say: it posts its stock, there is nothing to ask.
        run.say(f"{connector.label} sends stock levels to the hub; nothing to read here.")
        return outcome
    if not wms.is_usable:
        run.say("The WMS connection cannot report inventory now; nothing read.")
        return outcome
    found = connector.fetch_inventory(merchant_ref(merchant))
    # A list is the whole stock at once; pages (files, say) are stored one by one, each
    # before the next is read, so a connector can record a page as done once it is stored.
    pages = [StockPage(levels=found)] if isinstance(found, list) else found
    for page in pages:
        run.count(seen=len(page.levels) + len(page.failures))
        if page.source:
            run.log("Read %s: %s stock level(s).", page.source, len(page.levels))
        for failure in page.failures:
            run.log("Stock of %s not read: %s", failure.record_ref or "(no SKU)", failure)
            run.count(failed=1)
        stored = inventory_levels_store(merchant=merchant, levels=page.levels)
        for name in stored.new_locations:
            run.log("New location %s added; rename or disable it on the Locations page.", name)
        outcome.add(stored)
    run.count(ok=outcome.read)
    run.log(
        "Levels read: %s; changed: %s; new locations: %s.",
        outcome.read,
        outcome.changed,
        len(outcome.new_locations),
    )
    run.say(_summary(outcome))
    return outcome


def _summary(outcome: PickupOutcome) -> str:
    text = (
        f"{outcome.read} stock level(s) read at {len(outcome.location_ids)} location(s), "
        f"{outcome.changed} changed"
    )
    if outcome.new_locations:
        text += f", {len(outcome.new_locations)} new location(s)"
    if outcome.cart_ids:
        return text + f"; inventory upload due for {len(outcome.cart_ids)} cart(s)."
    return text + "; no cart needs an upload."


@transaction.atomic
def inventory_levels_store(*, merchant: Merchant, levels: list[StockLevel]) -> PickupOutcome:
    """Upsert one page of levels in batches; changed_at moves only for a level whose on hand
    or available quantity differs from what was stored, and only carts reading a location
    with such a change (an enabled one) get their upload made due, in this transaction."""
    outcome = PickupOutcome()
    locations = _locations_for(merchant=merchant, levels=levels, outcome=outcome)
    now = timezone.now()
    rows: dict[tuple[int, str], InventoryLevel] = {}
    for level in levels:
        location = locations[level.location_id[:LOCATION_ID_MAX_LENGTH]]
        sku = level.sku[:SKU_MAX_LENGTH]
        # The last report of a (location, SKU) wins: one upsert cannot touch a row twice.
        rows[location.id, sku] = InventoryLevel(
            account_id=merchant.account_id,
            merchant=merchant,
            location=location,
            sku=sku,
            on_hand=level.on_hand,
            available=level.available,
            wms_updated_at=level.updated_at,
            updated_at=now,
            changed_at=now,
        )
    outcome.read = len(rows)
    outcome.location_ids = {location_id for location_id, _ in rows}
    batch_rows = list(rows.values())
    changed_locations: set[int] = set()
    for start in range(0, len(batch_rows), UPSERT_BATCH):
        changed_locations |= _batch_store(batch_rows[start : start + UPSERT_BATCH], outcome)
    enabled = {location.id for location in locations.values() if location.enabled}
    carts = location_cart_ids(merchant_id=merchant.id, location_ids=changed_locations & enabled)
    if carts:
        schedules_trigger(service=INVENTORY_UPLOAD, cart_ids=carts)
        outcome.cart_ids = set(carts)
    return outcome


def _batch_store(batch: list[InventoryLevel], outcome: PickupOutcome) -> set[int]:
    """One query for what is stored, a comparison here, one upsert; the locations changed."""
    stored = _stored_levels(batch)
    changed_locations: set[int] = set()
    for row in batch:
        before = stored.get((row.location_id, row.sku))
        if before is not None and before[:2] == (row.on_hand, row.available):
            row.changed_at = before[2]  # the upsert writes back the time it already had
            continue
        outcome.changed += 1
        changed_locations.add(row.location_id)
    InventoryLevel.objects.bulk_create(
        batch,
        update_conflicts=True,
        unique_fields=["location", "sku"],
        update_fields=["on_hand", "available", "wms_updated_at", "updated_at", "changed_at"],
    )
    return changed_locations


def _stored_levels(batch: list[InventoryLevel]) -> dict[tuple[int, str], tuple[int, int, datetime]]:
    # Locations × SKUs of the batch is a superset of its pairs; the dict lookup picks the pairs.
    existing = InventoryLevel.objects.filter(
        location_id__in={row.location_id for row in batch}, sku__in={row.sku for row in batch}
    ).values_list("location_id", "sku", "on_hand", "available", "changed_at")
    return {
        (location_id, sku): (on_hand, available, changed_at)
        for location_id, sku, on_hand, available, changed_at in existing
    }


def _locations_for(
    *, merchant: Merchant, levels: Iterable[StockLevel], outcome: PickupOutcome
) -> dict[str, Location]:
    """The page's locations by WMS id: made on first sight with the WMS's name (a name the
    user gave later is never overwritten); the empty id is the merchant's default location."""
    default = location_default_ensure(merchant=merchant)
    names: dict[str, str] = {}
    for level in levels:
        location_id = level.location_id[:LOCATION_ID_MAX_LENGTH]
        if location_id:
            names.setdefault(location_id, level.location_name or location_id)
    known = {
        location.wms_location_id: location
        for location in Location.objects.filter(merchant=merchant, wms_location_id__in=names)
    }
    missing = sorted(set(names) - set(known))
    if missing:
        Location.objects.bulk_create(
            [
                Location(
                    account_id=merchant.account_id,
                    merchant=merchant,
                    wms_location_id=location_id,
                    name=names[location_id][:LOCATION_NAME_MAX_LENGTH],
                )
                for location_id in missing
            ],
            ignore_conflicts=True,  # a concurrent pickup may have made it
        )
        outcome.new_locations = [names[location_id] for location_id in missing]
        known = {
            location.wms_location_id: location
            for location in Location.objects.filter(merchant=merchant, wms_location_id__in=names)
        }
    known[NO_LOCATION] = default
    return known
