from __future__ import annotations

from datetime import UTC, datetime

from django.core.exceptions import ValidationError

from accounts.services import merchant_create
from inventory.jobs import INVENTORY_UPLOAD
from inventory.locations import (
    location_default_ensure,
    location_make_default,
    location_rename,
    location_set_enabled,
)
from inventory.models import InventoryLevel, Location
from jobs.models import ServiceSchedule
from tests.base import BaseTestCase
from tests.objects import create_cart

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


class LocationTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.merchant = self.bobs_merchant
        self.east = self.add_location("EAST", "East")
        self.west = self.add_location("WEST", "West")

    def add_location(self, wms_id: str, name: str, **fields: object) -> Location:
        return Location.objects.create(
            account=self.alices_account,
            merchant=self.merchant,
            wms_location_id=wms_id,
            name=name,
            **fields,
        )

    def defaults(self) -> list[str]:
        return list(
            Location.objects.filter(merchant=self.merchant, is_default=True).values_list(
                "wms_location_id", flat=True
            )
        )

    def test_a_new_merchant_gets_a_default_location(self) -> None:
        merchant = merchant_create(account=self.alices_account, name="New Nets")
        location = Location.objects.get(merchant=merchant)
        self.assertEqual(
            (location.name, location.is_default, location.enabled), ("Default", True, True)
        )
        self.assertEqual(location.account_id, self.alices_account.id)

    def test_ensure_makes_a_default_once_for_a_merchant_without_one(self) -> None:
        Location.objects.filter(merchant=self.merchant, wms_location_id="").delete()
        self.assertEqual(self.defaults(), [])
        first = location_default_ensure(merchant=self.merchant)
        second = location_default_ensure(merchant=self.merchant)
        self.assertEqual(first.id, second.id)
        self.assertEqual(self.defaults(), [""])
        self.assertEqual(Location.objects.filter(merchant=self.merchant).count(), 3)

    def test_ensure_keeps_the_default_the_user_chose(self) -> None:
        location_make_default(location=self.east)
        self.assertEqual(location_default_ensure(merchant=self.merchant).id, self.east.id)
        self.assertEqual(self.defaults(), ["EAST"])

    def test_there_is_one_default_at_a_time(self) -> None:
        self.assertEqual(self.defaults(), [""])
        location_make_default(location=self.east)
        self.assertEqual(self.defaults(), ["EAST"])
        location_make_default(location=self.west)
        self.assertEqual(self.defaults(), ["WEST"])
        # The other merchant's default is not touched.
        self.assertEqual(
            Location.objects.filter(merchant=self.other_merchant, is_default=True).count(), 1
        )

    def test_a_disabled_location_cannot_be_the_default(self) -> None:
        location_set_enabled(location=self.east, enabled=False)
        with self.assertRaisesMessage(ValidationError, "Enable it first"):
            location_make_default(location=self.east)
        self.assertEqual(self.defaults(), [""])

    def test_the_default_location_cannot_be_disabled(self) -> None:
        location_make_default(location=self.east)
        with self.assertRaisesMessage(ValidationError, "make another location the default"):
            location_set_enabled(location=self.east, enabled=False)
        self.east.refresh_from_db()
        self.assertTrue(self.east.enabled)

    def test_it_renames_a_location(self) -> None:
        location_rename(location=self.east, name="  Newark   NJ ")
        self.east.refresh_from_db()
        self.assertEqual(self.east.name, "Newark NJ")
        self.assertEqual(self.east.wms_location_id, "EAST")

    def test_it_refuses_an_empty_or_taken_name(self) -> None:
        with self.assertRaisesMessage(ValidationError, "Enter a name"):
            location_rename(location=self.east, name="   ")
        with self.assertRaisesMessage(ValidationError, "has this name"):
            location_rename(location=self.east, name="west")
        other = Location.objects.get(merchant=self.other_merchant)
        location_rename(location=other, name="West")  # another merchant's name is free
        self.east.refresh_from_db()
        self.assertEqual(self.east.name, "East")

    def test_disabling_marks_its_levels_changed_and_triggers_the_carts_reading_it(self) -> None:
        for location in (self.east, self.west):
            InventoryLevel.objects.create(
                account=self.alices_account,
                merchant=self.merchant,
                location=location,
                sku="TENT",
                available=4,
                changed_at=LONG_AGO,
            )
        everywhere = create_cart(self.merchant, prefix="BA-", label="All")
        at_east = create_cart(self.merchant, prefix="BE-", label="East only")
        at_east.inventory_location = self.east
        at_east.save(update_fields=["inventory_location"])
        ServiceSchedule.objects.filter(service=INVENTORY_UPLOAD).update(next_run_at=None)
        self.assertEqual(location_set_enabled(location=self.west, enabled=False), 1)
        self.west.refresh_from_db()
        self.assertFalse(self.west.enabled)
        due = dict(
            ServiceSchedule.objects.filter(service=INVENTORY_UPLOAD).values_list(
                "cart_id", "next_run_at"
            )
        )
        self.assertIsNotNone(due[everywhere.id])
        self.assertIsNone(due[at_east.id])
        changed = dict(InventoryLevel.objects.values_list("location_id", "changed_at"))
        self.assertGreater(changed[self.west.id], LONG_AGO)
        self.assertEqual(changed[self.east.id], LONG_AGO)
        # Disabling again changes nothing.
        self.assertEqual(location_set_enabled(location=self.west, enabled=False), 0)
        location_set_enabled(location=self.west, enabled=True)
        self.west.refresh_from_db()
        self.assertTrue(self.west.enabled)
