"""Inventory upload with the cart's rules: kits, aliases, item filters."""

from __future__ import annotations

from unittest import mock

from carts.connectors.sandbox import SandboxCartConnector
from carts.models import ItemFilterMode
from inventory.jobs import INVENTORY_UPLOAD
from inventory.models import InventoryLevel, ItemFilter, Location, ProductAlias
from inventory.upload import inventory_upload
from tests.objects import create_kit, recorder
from tests.rules.support import RulesTestCase


class InventoryRulesTests(RulesTestCase):
    def setUp(self) -> None:
        super().setUp()
        for wms_id in ("EAST", "WEST"):
            location = Location.objects.create(
                account=self.alices_account,
                merchant=self.bobs_merchant,
                wms_location_id=wms_id,
                name=wms_id,
            )
            for sku, available in (("STOVE-CAN-1", 5), ("POT-TI-750", 4), ("MUG-ENM-WHT", 7)):
                InventoryLevel.objects.create(
                    account=self.alices_account,
                    merchant=self.bobs_merchant,
                    location=location,
                    sku=sku,
                    available=available,
                )

    def upload(self) -> dict[str, int]:
        sent: dict[str, int] = {}
        original = SandboxCartConnector.upload_inventory

        def spy(connector, levels):  # type: ignore[no-untyped-def]
            sent.update({level.sku: level.available for level in levels})
            return original(connector, levels)

        with mock.patch.object(SandboxCartConnector, "upload_inventory", spy):
            inventory_upload(
                cart=self.cart,
                run=recorder(merchant=self.bobs_merchant, service=INVENTORY_UPLOAD, cart=self.cart),
            )
        return sent

    def test_a_kit_is_reported_as_the_whole_kits_its_components_make(self) -> None:
        create_kit(self.bobs_merchant, "COOK-KIT", {"STOVE-CAN-1": 1, "POT-TI-750": 3})
        sent = self.upload()
        # 10 stoves, 8 pots: 8 // 3 = 2 kits.
        self.assertEqual(sent["COOK-KIT"], 2)
        self.assertEqual(sent["STOVE-CAN-1"], 10)

    def test_push_using_alias_reports_each_level_under_its_cart_skus(self) -> None:
        self.set_cart(push_inventory_alias=True)
        for alias, kind in (("mug-white", "sku"), ("MUG-W-1", "merchant_sku"), ("0123", "upc")):
            ProductAlias.objects.create(
                account=self.alices_account,
                merchant=self.bobs_merchant,
                alias=alias,
                sku="MUG-ENM-WHT",
                kind=kind,
            )
        sent = self.upload()
        self.assertEqual(sent["mug-white"], 14)
        self.assertEqual(sent["MUG-W-1"], 14)
        self.assertNotIn("0123", sent)  # a UPC is no cart SKU
        self.assertNotIn("MUG-ENM-WHT", sent)
        self.assertEqual(sent["STOVE-CAN-1"], 10)  # no alias: its own SKU

    def test_aliases_are_not_used_unless_the_cart_says_so(self) -> None:
        ProductAlias.objects.create(
            account=self.alices_account, merchant=self.bobs_merchant, alias="mw", sku="MUG-ENM-WHT"
        )
        self.assertEqual(set(self.upload()), {"STOVE-CAN-1", "POT-TI-750", "MUG-ENM-WHT"})

    def test_filtered_skus_are_not_pushed(self) -> None:
        self.set_cart(item_filter_mode=ItemFilterMode.BLACKLIST)
        ItemFilter.objects.create(
            account=self.alices_account, merchant=self.bobs_merchant, cart=self.cart, sku="pot-*"
        )
        self.assertEqual(set(self.upload()), {"STOVE-CAN-1", "MUG-ENM-WHT"})
        self.set_cart(item_filter_mode=ItemFilterMode.WHITELIST)
        self.assertEqual(set(self.upload()), {"POT-TI-750"})
