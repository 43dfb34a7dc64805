from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext

from integration_manager import sandbox_catalogue as catalogue
from integration_manager.connector_errors import RecordError
from integration_manager.records import StockLevel, StockPage
from inventory.jobs import INVENTORY, INVENTORY_UPLOAD
from inventory.locations import location_make_default, location_rename, location_set_enabled
from inventory.models import InventoryLevel, Location
from inventory.pickup import inventory_fetch, inventory_levels_store
from jobs.models import ServiceSchedule
from tests.base import BaseTestCase
from tests.objects import create_cart, create_wms, recorder
from wms.connectors.sandbox import SandboxWmsConnector

WMS_TIME = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def level(sku: str, location_id: str = "EAST", available: int = 5, **fields: object) -> StockLevel:
    return StockLevel(
        sku=sku,
        location_id=location_id,
        location_name=fields.pop("location_name", f"{location_id} warehouse"),  # type: ignore[arg-type]
        available=available,
        on_hand=fields.pop("on_hand", available),  # type: ignore[arg-type]
        updated_at=fields.pop("updated_at", WMS_TIME),  # type: ignore[arg-type]
    )


class PickupTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.merchant = self.bobs_merchant

    def fetch(self):  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.merchant, service=INVENTORY)
        return run, inventory_fetch(merchant=self.merchant, run=run)

    def store(self, *levels: StockLevel):  # type: ignore[no-untyped-def]
        return inventory_levels_store(merchant=self.merchant, levels=list(levels))

    def level_of(self, sku: str, location_id: str = "EAST") -> InventoryLevel:
        return InventoryLevel.objects.get(
            merchant=self.merchant, sku=sku, location__wms_location_id=location_id
        )

    def upload_due(self, *carts) -> list[bool]:  # type: ignore[no-untyped-def]
        return [
            ServiceSchedule.objects.get(cart=cart, service=INVENTORY_UPLOAD).next_run_at is not None
            for cart in carts
        ]

    def settle_uploads(self) -> None:
        """As after the uploads ran: an Automatic schedule waits for its next trigger."""
        ServiceSchedule.objects.filter(service=INVENTORY_UPLOAD).update(next_run_at=None)

    def test_it_creates_each_wms_location_once_with_its_name(self) -> None:
        _, first = self.fetch()
        run, second = self.fetch()
        names = dict(
            Location.objects.filter(merchant=self.merchant).values_list("wms_location_id", "name")
        )
        self.assertEqual(names, {"": "Default", **dict(catalogue.WAREHOUSES)})
        self.assertEqual(sorted(first.new_locations), sorted(dict(catalogue.WAREHOUSES).values()))
        self.assertEqual(second.new_locations, [])
        levels = len(catalogue.WAREHOUSES) * len(catalogue.PRODUCTS)
        self.assertEqual(InventoryLevel.objects.filter(merchant=self.merchant).count(), levels)
        self.assertEqual((run.seen, run.ok, run.failed), (levels, levels, 0))
        self.assertIn(f"{levels} stock level(s) read at 2 location(s), 0 changed", run.message)

    def test_it_keeps_the_name_a_user_gave(self) -> None:
        self.store(level("TENT", "EAST", location_name="East (NJ)"))
        location_rename(location=Location.objects.get(wms_location_id="EAST"), name="Newark")
        outcome = self.store(level("TENT", "EAST", location_name="East (NJ)", available=7))
        self.assertEqual(Location.objects.get(wms_location_id="EAST").name, "Newark")
        self.assertEqual(outcome.new_locations, [])

    def test_a_level_without_location_goes_to_the_default_location(self) -> None:
        self.store(level("TENT", "", available=3))
        stored = InventoryLevel.objects.get(merchant=self.merchant, sku="TENT")
        self.assertEqual(stored.location.name, "Default")
        self.assertTrue(stored.location.is_default)
        self.store(level("STOVE", "WEST"))
        location_make_default(location=Location.objects.get(wms_location_id="WEST"))
        self.store(level("LAMP", ""))
        self.assertEqual(self.level_of("LAMP", "WEST").available, 5)
        self.assertFalse(
            InventoryLevel.objects.filter(sku="LAMP", location__wms_location_id="").exists()
        )

    def test_changed_at_moves_only_when_a_quantity_changes(self) -> None:
        first = self.store(level("TENT"), level("STOVE"), level("LAMP"))
        self.assertEqual(first.changed, 3)
        before = {row.sku: row.changed_at for row in InventoryLevel.objects.all()}
        later = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        same = self.store(
            level("TENT", updated_at=later),
            level("STOVE", updated_at=later),
            level("LAMP", updated_at=later),
        )
        self.assertEqual((same.read, same.changed), (3, 0))
        after = {row.sku: row.changed_at for row in InventoryLevel.objects.all()}
        self.assertEqual(after, before)
        # The WMS's time is kept even when nothing changed: the screen shows when it counted.
        self.assertEqual(self.level_of("TENT").wms_updated_at, later)
        changed = self.store(level("TENT", available=4), level("STOVE", on_hand=9), level("LAMP"))
        self.assertEqual(changed.changed, 2)
        self.assertGreater(self.level_of("TENT").changed_at, before["TENT"])
        self.assertGreater(self.level_of("STOVE").changed_at, before["STOVE"])
        self.assertEqual(self.level_of("LAMP").changed_at, before["LAMP"])
        self.assertEqual((self.level_of("TENT").available, self.level_of("STOVE").on_hand), (4, 9))

    def test_an_unchanged_pickup_triggers_no_upload(self) -> None:
        cart = create_cart(self.merchant, prefix="BB-")
        self.fetch()
        self.assertEqual(self.upload_due(cart), [True])
        self.settle_uploads()
        run, outcome = self.fetch()
        self.assertEqual((outcome.changed, outcome.cart_ids), (0, set()))
        self.assertEqual(self.upload_due(cart), [False])
        self.assertIn("no cart needs an upload", run.message)

    def test_a_change_triggers_only_the_carts_reading_its_location(self) -> None:
        self.store(level("TENT", "EAST"), level("TENT", "WEST"))
        east = Location.objects.get(wms_location_id="EAST")
        west = Location.objects.get(wms_location_id="WEST")
        at_east = create_cart(self.merchant, prefix="BE-", label="East cart")
        at_west = create_cart(self.merchant, prefix="BW-", label="West cart")
        everywhere = create_cart(self.merchant, prefix="BA-", label="All cart")
        other = create_cart(self.other_merchant, prefix="OO-")
        at_east.inventory_location = east
        at_east.save(update_fields=["inventory_location"])
        at_west.inventory_location = west
        at_west.save(update_fields=["inventory_location"])
        self.settle_uploads()
        outcome = self.store(level("TENT", "EAST", available=1), level("TENT", "WEST"))
        self.assertEqual(outcome.cart_ids, {at_east.id, everywhere.id})
        self.assertEqual(
            self.upload_due(at_east, at_west, everywhere, other), [True, False, True, False]
        )

    def test_a_disabled_location_triggers_nothing_but_keeps_its_stock(self) -> None:
        self.store(level("TENT", "EAST"), level("TENT", "WEST"))
        cart = create_cart(self.merchant, prefix="BB-")
        location_set_enabled(location=Location.objects.get(wms_location_id="WEST"), enabled=False)
        self.settle_uploads()
        outcome = self.store(level("TENT", "EAST"), level("TENT", "WEST", available=0))
        self.assertEqual((outcome.changed, outcome.cart_ids), (1, set()))
        self.assertEqual(self.upload_due(cart), [False])
        self.assertEqual(self.level_of("TENT", "WEST").available, 0)

    def test_a_page_with_the_same_level_twice_keeps_the_last(self) -> None:
        outcome = self.store(level("TENT", available=1), level("TENT", available=2))
        self.assertEqual((outcome.read, self.level_of("TENT").available), (1, 2))

    def test_it_stores_in_bulk_not_per_sku(self) -> None:
        small = [level(f"SKU-{index:05}", location) for index in range(10) for location in "AB"]
        large = [level(f"SKU-{index:05}", location) for index in range(1500) for location in "AB"]
        counts = []
        for levels in (small, large, large):
            with (
                mock.patch("inventory.pickup.UPSERT_BATCH", 1_000),
                CaptureQueriesContext(connection) as queries,
            ):
                self.store(*levels)
            counts.append(len(queries))
        # 3,000 levels are three batches: two queries more per batch, never one per SKU.
        self.assertLessEqual(counts[1], counts[0] + 4)
        self.assertLessEqual(counts[2], counts[1])
        self.assertEqual(InventoryLevel.objects.filter(merchant=self.merchant).count(), 3000)

    def test_it_stores_page_by_page_and_logs_failures(self) -> None:
        pages = iter(
            [
                StockPage(levels=[level("TENT"), level("STOVE")], source="stock-1.csv"),
                StockPage(
                    levels=[level("LAMP", "WEST")],
                    failures=[RecordError("Line 3 has no quantity.", record_ref="MUG")],
                    source="stock-2.csv",
                ),
            ]
        )
        with mock.patch.object(SandboxWmsConnector, "fetch_inventory", return_value=pages):
            run, outcome = self.fetch()
        self.assertEqual((outcome.read, outcome.changed), (3, 3))
        self.assertEqual((run.seen, run.ok, run.failed), (4, 3, 1))
        log = run.text()
        self.assertIn("Read stock-1.csv: 2 stock level(s).", log)
        self.assertIn("Stock of MUG not read: Line 3 has no quantity.", log)
        self.assertIn("Levels read: 3; changed: 3; new locations: 2.", log)

    def test_it_reads_nothing_from_a_wms_that_cannot_report_stock(self) -> None:
        with mock.patch.object(SandboxWmsConnector, "supports", return_value=False):
            run, outcome = self.fetch()
        self.assertEqual(outcome.read, 0)
        self.assertIn("sends stock levels to the hub; nothing to read here", run.message)
        self.assertFalse(InventoryLevel.objects.filter(merchant=self.merchant).exists())
