from __future__ import annotations

from unittest import mock

from inventory.jobs import INVENTORY, INVENTORY_UPLOAD
from inventory.models import InventoryLevel, Location
from inventory.pickup import inventory_fetch
from inventory.upload import inventory_upload
from jobs.models import ServiceSchedule
from tests.base import BaseTestCase
from tests.objects import create_cart, create_wms, recorder


class InventoryTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")

    def test_it_stores_levels_per_location_once(self) -> None:
        for _ in range(2):
            inventory_fetch(
                merchant=self.bobs_merchant,
                run=recorder(merchant=self.bobs_merchant, service=INVENTORY),
            )
        # The two warehouses of the sandbox, beside the default location every merchant has.
        self.assertEqual(
            Location.objects.filter(merchant=self.bobs_merchant)
            .exclude(wms_location_id="")
            .count(),
            2,
        )
        self.assertEqual(
            Location.objects.filter(merchant=self.bobs_merchant, is_default=True).count(), 1
        )
        self.assertEqual(InventoryLevel.objects.filter(merchant=self.bobs_merchant).count(), 24)
        upload = ServiceSchedule.objects.get(cart=self.cart, service=INVENTORY_UPLOAD)
        self.assertIsNotNone(upload.next_run_at)

    def test_the_upload_sends_the_sum_of_enabled_locations(self) -> None:
        inventory_fetch(
            merchant=self.bobs_merchant,
            run=recorder(merchant=self.bobs_merchant, service=INVENTORY),
        )
        east, west = (
            Location.objects.filter(merchant=self.bobs_merchant)
            .exclude(wms_location_id="")
            .order_by("wms_location_id")
        )
        sku = "TENT-2P-GRN"
        total = sum(
            InventoryLevel.objects.filter(sku=sku, merchant=self.bobs_merchant).values_list(
                "available", flat=True
            )
        )
        sent = []

        class Cart:
            label = "test"

            def supports(self, capability: str) -> bool:
                return True

            def upload_inventory(self, levels):  # type: ignore[no-untyped-def]
                sent.extend(levels)
                return []

        with mock.patch("inventory.upload.cart_connector_for", return_value=Cart()):
            inventory_upload(
                cart=self.cart,
                run=recorder(
                    merchant=self.bobs_merchant, service="inventory_upload", cart=self.cart
                ),
            )
            by_sku = {level.sku: level.available for level in sent}
            self.assertEqual(by_sku[sku], total)
            west.enabled = False
            west.save()
            sent.clear()
            inventory_upload(
                cart=self.cart,
                run=recorder(
                    merchant=self.bobs_merchant, service="inventory_upload", cart=self.cart
                ),
            )
        self.assertEqual(
            {level.sku: level.available for level in sent}[sku],
            InventoryLevel.objects.get(location=east, sku=sku).available,
        )
