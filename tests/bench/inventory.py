"""8. Inventory: pickup and upload throughput for 50,000 SKUs, 3 locations, 5 carts, and
what is sent after a pickup in which 1% changed."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from carts.models import CartConnection
from integration_manager.records import StockLevel
from jobs.models import ServiceSchedule
from tests.bench.common import record, say, scaled, tenant
from tests.objects import recorder


def stock_levels(skus: int, *, changed_every: int = 0) -> list[StockLevel]:
    """Every SKU at WH-1, WH-2 and WH-3; with changed_every, 1 in that many SKUs has one
    more at WH-1 than before."""
    now = datetime.now(UTC)
    return [
        StockLevel(
            sku=f"SKU-{index:06}",
            location_id=f"WH-{warehouse}",
            location_name=f"Warehouse {warehouse}",
            available=index % 50
            + (changed_every and warehouse == 1 and index % changed_every == 0),
            on_hand=index % 50 + 5,
            updated_at=now,
        )
        for index in range(skus)
        for warehouse in (1, 2, 3)
    ]


def run() -> None:
    skus = scaled(50_000, least=1_000)
    bench_pickup(skus)
    bench_upload(skus)


def bench_pickup(skus: int = 50_000, pages_of: int = 10_000) -> None:
    """Inventory pickup of `skus` SKUs in 3 locations for a merchant with 5 carts (one
    reading WH-3 only): all new, the same again, then 1% changed at WH-1."""
    from inventory.jobs import INVENTORY_UPLOAD
    from inventory.models import Location
    from inventory.pickup import PickupOutcome, inventory_levels_store
    from jobs.services import schedules_ensure_for_cart

    say(f"\n8. Inventory pickup: {skus:,} SKUs in 3 locations, pages of {pages_of:,} levels")
    _, merchant, first_cart = tenant("pickup")
    carts = [first_cart] + [
        CartConnection.objects.create(
            account_id=merchant.account_id,
            merchant=merchant,
            connector_key="woocommerce",
            label=f"pickup cart {number}",
            order_source="pickup",
            reference_prefix=f"P{number}-",
        )
        for number in range(2, 6)
    ]
    for cart in carts:
        schedules_ensure_for_cart(cart=cart)

    def pickup(label: str, stock: list[StockLevel], name: str) -> None:
        ServiceSchedule.objects.filter(service=INVENTORY_UPLOAD).update(next_run_at=None)
        outcome = PickupOutcome()
        started = time.perf_counter()
        for start in range(0, len(stock), pages_of):
            page = inventory_levels_store(merchant=merchant, levels=stock[start : start + pages_of])
            outcome.add(page)
        elapsed = time.perf_counter() - started
        due = ServiceSchedule.objects.filter(
            service=INVENTORY_UPLOAD, next_run_at__isnull=False
        ).count()
        say(
            f"   {label}: {outcome.read:,} levels in {elapsed:.1f} s, "
            f"{outcome.read / elapsed:,.0f} levels/s; {outcome.changed:,} changed, "
            f"{len(outcome.new_locations)} new location(s), {due} of {len(carts)} "
            "uploads triggered"
        )
        record(
            name,
            outcome.read / elapsed,
            "levels/s",
            skus=skus,
            levels=outcome.read,
            changed=outcome.changed,
            uploads_made_due=due,
            carts=len(carts),
        )

    pickup("first pickup (all new)", stock_levels(skus), "inventory_pickup_first")
    carts[-1].inventory_location = Location.objects.get(merchant=merchant, wms_location_id="WH-3")
    carts[-1].save(update_fields=["inventory_location"])
    pickup("second pickup (nothing changed)", stock_levels(skus), "inventory_pickup_unchanged")
    pickup(
        "third pickup (1% changed at WH-1)",
        stock_levels(skus, changed_every=100),
        "inventory_pickup_1pct",
    )


def bench_upload(skus: int = 50_000, pages_of: int = 10_000) -> None:
    """Inventory upload of `skus` SKUs in 3 locations to 5 sandbox carts: the first upload
    (a full reconcile: all sent), the same again (nothing sent), then after a pickup in which
    1% changed at WH-1 (only those sent)."""
    from unittest import mock

    from carts.connectors.sandbox import SandboxCartConnector
    from inventory.jobs import INVENTORY_UPLOAD
    from inventory.pickup import inventory_levels_store
    from inventory.upload import inventory_upload
    from tests.objects import create_cart

    say(f"\n8. Inventory upload: {skus:,} SKUs in 3 locations to 5 sandbox carts")
    _, merchant, _ = tenant("upload")
    carts = [create_cart(merchant, prefix=f"U{number}-") for number in range(1, 6)]

    def store(changed_every: int = 0) -> None:
        levels = stock_levels(skus, changed_every=changed_every)
        for start in range(0, len(levels), pages_of):
            inventory_levels_store(merchant=merchant, levels=levels[start : start + pages_of])

    sent: list[int] = []

    def accept_all(connector: SandboxCartConnector, levels: list[StockLevel]) -> list:
        sent.append(len(levels))  # the sandbox store knows only its catalogue: take them all
        return []

    def upload(label: str, name: str) -> None:
        sent.clear()
        started = time.perf_counter()
        with mock.patch.object(SandboxCartConnector, "upload_inventory", accept_all):
            for cart in carts:
                cart.refresh_from_db()
                run = recorder(merchant=merchant, service=INVENTORY_UPLOAD, cart=cart)
                inventory_upload(cart=cart, run=run)
        elapsed = time.perf_counter() - started
        computed = skus * len(carts)
        say(
            f"   {label}: {computed:,} cart SKUs in {elapsed:.1f} s, {computed / elapsed:,.0f} "
            f"SKUs/s; {sum(sent):,} SKUs sent ({sum(sent) // len(carts):,} a cart) in "
            f"{len(sent)} call(s)"
        )
        record(
            name,
            computed / elapsed,
            "SKUs/s",
            skus=skus,
            carts=len(carts),
            skus_sent=sum(sent),
            calls=len(sent),
        )

    store()
    upload("first upload (full reconcile)", "inventory_upload_first")
    upload("second upload (nothing changed)", "inventory_upload_unchanged")
    store(changed_every=100)
    upload("after a pickup with 1% changed at WH-1", "inventory_upload_after_1pct")
