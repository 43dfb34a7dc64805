"""Shopify inventory upload: SKU -> inventory item (cached), location, both mutation forms."""

from __future__ import annotations

import requests

from carts.connectors.shopify import queries
from integration_manager.records import StockLevel
from tests.emulators.shopify import PRIMARY_LOCATION
from tests.support.shopify import ShopifyTestCase


def level(sku: str, available: int) -> StockLevel:
    return StockLevel(sku=sku, location_id="WH1", available=available)


class ShopifyInventoryTests(ShopifyTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.bike = self.emulator.add_variant("BIKE", available=3)
        self.helmet = self.emulator.add_variant("HELMET", available=0)

    def sets(self) -> list[dict]:
        return [call["input"] for call in self.emulator.inventory_sets]

    def test_it_sets_available_at_the_primary_location(self) -> None:
        failures = self.connector().upload_inventory([level("BIKE", 12), level("HELMET", 4)])

        self.assertEqual(failures, [])
        self.assertEqual(self.emulator.available("BIKE"), 12)
        self.assertEqual(self.emulator.available("HELMET"), 4)
        (sent,) = self.sets()
        self.assertEqual((sent["name"], sent["reason"]), ("available", "correction"))
        self.assertTrue(sent["ignoreCompareQuantity"])
        self.assertEqual(
            [(q["inventoryItemId"], q["locationId"], q["quantity"]) for q in sent["quantities"]],
            [(self.bike, PRIMARY_LOCATION, 12), (self.helmet, PRIMARY_LOCATION, 4)],
        )

    def test_it_sets_the_location_in_the_settings(self) -> None:
        back_room = self.emulator.add_location("Back room")
        self.emulator.add_variant("SADDLE", locations=[PRIMARY_LOCATION, back_room], available=1)
        number = back_room.rsplit("/", 1)[-1]

        failures = self.connector(location_id=number).upload_inventory([level("SADDLE", 9)])

        self.assertEqual(failures, [])
        self.assertEqual(self.emulator.available("SADDLE", back_room), 9)
        self.assertEqual(self.emulator.available("SADDLE", PRIMARY_LOCATION), 1)
        self.assertEqual(self.calls("HubLocation")[0]["variables"], {"id": back_room})

    def test_it_resolves_each_sku_once(self) -> None:
        self.connector().upload_inventory([level("BIKE", 5), level("HELMET", 6)])
        self.connector().upload_inventory([level("BIKE", 7), level("HELMET", 8)])

        self.assertEqual(len(self.calls("HubVariantsBySku")), 1)
        self.assertEqual(len(self.calls("HubInventorySet")), 2)
        self.assertEqual(self.emulator.available("BIKE"), 7)

    def test_it_keeps_exact_sku_matches_only(self) -> None:
        longer = self.emulator.add_variant("BIKE-XL", available=2)

        self.connector().upload_inventory([level("BIKE", 5)])

        self.assertEqual(self.emulator.available("BIKE"), 5)
        self.assertEqual(self.emulator.items[longer]["levels"][PRIMARY_LOCATION], 2)

    def test_it_sets_every_variant_that_carries_the_sku(self) -> None:
        twin = self.emulator.add_variant("BIKE", available=1)

        self.connector().upload_inventory([level("BIKE", 6)])

        self.assertEqual(self.emulator.items[self.bike]["levels"][PRIMARY_LOCATION], 6)
        self.assertEqual(self.emulator.items[twin]["levels"][PRIMARY_LOCATION], 6)

    def test_it_reports_the_skus_shopify_cannot_take_and_sets_the_rest(self) -> None:
        self.emulator.add_variant("POSTER", tracked=False)
        elsewhere = self.emulator.add_location("Pop-up store")
        self.emulator.add_variant("LAMP", locations=[elsewhere])

        failures = self.connector().upload_inventory(
            [level("BIKE", 5), level("GHOST", 1), level("POSTER", 2), level("LAMP", 3)]
        )

        self.assertEqual(
            {failure.record_ref: str(failure) for failure in failures}.keys(),
            {"GHOST", "POSTER", "LAMP"},
        )
        messages = {failure.record_ref: str(failure) for failure in failures}
        self.assertIn("No product variant in Shopify has the SKU GHOST", messages["GHOST"])
        self.assertIn("Track quantity", messages["POSTER"])
        self.assertIn("not stocked at the location", messages["LAMP"])
        # Shopify refuses a whole call for one bad quantity: the rest went again, alone.
        self.assertEqual(self.emulator.available("BIKE"), 5)
        self.assertEqual(len(self.calls("HubInventorySet")), 2)

    def test_it_forgets_an_item_shopify_no_longer_knows(self) -> None:
        self.connector().upload_inventory([level("HELMET", 1)])
        self.emulator.delete_variant("HELMET")
        replacement = self.emulator.add_variant("HELMET")

        (failure,) = self.connector().upload_inventory([level("HELMET", 2)])
        self.assertEqual(failure.record_ref, "HELMET")

        self.assertEqual(self.connector().upload_inventory([level("HELMET", 3)]), [])
        self.assertEqual(self.emulator.items[replacement]["levels"][PRIMARY_LOCATION], 3)
        self.assertEqual(len(self.calls("HubVariantsBySku")), 2)

    def test_it_sends_no_negative_stock_and_one_quantity_per_sku(self) -> None:
        self.connector().upload_inventory([level("BIKE", 4), level("HELMET", -2), level("BIKE", 9)])

        self.assertEqual(self.emulator.available("BIKE"), 9)
        self.assertEqual(self.emulator.available("HELMET"), 0)
        self.assertEqual(len(self.sets()[0]["quantities"]), 2)

    def test_it_sends_in_batches(self) -> None:
        for number in range(130):
            self.emulator.add_variant(f"CARD-{number:03d}")

        failures = self.connector().upload_inventory(
            [level(f"CARD-{number:03d}", number) for number in range(130)]
        )

        self.assertEqual(failures, [])
        self.assertEqual([len(sent["quantities"]) for sent in self.sets()], [100, 30])
        self.assertEqual(len(self.calls("HubVariantsBySku")), 3)  # 50 SKUs a search
        self.assertEqual(self.emulator.available("CARD-129"), 129)


class ShopifyIdempotentInventoryTests(ShopifyTestCase):
    """From API 2026-04: changeFromQuantity on each quantity and an @idempotent key."""

    api_version = "2026-10"

    def setUp(self) -> None:
        super().setUp()
        self.bike = self.emulator.add_variant("BIKE", available=3)

    def post(self, version: str, query: str, variables: dict) -> dict:
        response = requests.post(
            f"{self.emulator.base_url}/admin/api/{version}/graphql.json",
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": self.emulator.access_token},
            timeout=5,
        )
        return response.json()

    def test_it_sends_the_2026_04_form(self) -> None:
        self.assertEqual(self.connector().upload_inventory([level("BIKE", 11)]), [])

        self.assertEqual(self.emulator.available("BIKE"), 11)
        (sent,) = self.emulator.inventory_sets
        self.assertTrue(sent["idempotency_key"])
        self.assertNotIn("ignoreCompareQuantity", sent["input"])
        self.assertEqual(sent["input"]["quantities"][0]["changeFromQuantity"], None)

    def test_each_try_has_its_own_idempotency_key(self) -> None:
        self.connector().upload_inventory([level("BIKE", 11)])
        self.connector().upload_inventory([level("BIKE", 12)])

        keys = [sent["idempotency_key"] for sent in self.emulator.inventory_sets]
        self.assertEqual(len(set(keys)), 2)
        self.assertEqual(self.emulator.available("BIKE"), 12)

    def quantity_input(self, **extra: object) -> dict:
        return {
            "name": "available",
            "reason": "correction",
            "quantities": [
                {"inventoryItemId": self.bike, "locationId": PRIMARY_LOCATION, "quantity": 5}
                | extra
            ],
        }

    def test_the_emulator_takes_each_form_only_for_its_versions(self) -> None:
        new_form = queries.INVENTORY_SET_IDEMPOTENT_MUTATION
        old_form = queries.INVENTORY_SET_MUTATION
        new_variables = {
            "input": self.quantity_input(changeFromQuantity=None),
            "idempotencyKey": "k-1",
        }
        old_variables = {"input": {**self.quantity_input(), "ignoreCompareQuantity": True}}

        too_new = self.post("2025-01", new_form, new_variables)
        too_old = self.post("2026-04", old_form, old_variables)
        without_key = self.post("2026-07", old_form, {"input": self.quantity_input()})
        without_change_from = self.post(
            "2026-04", new_form, {"input": self.quantity_input(), "idempotencyKey": "k-2"}
        )
        right = self.post("2026-04", new_form, new_variables)
        again = self.post("2026-04", new_form, new_variables)

        self.assertEqual(
            [error["extensions"]["code"] for error in too_new["errors"]], ["undefinedDirective"]
        )
        self.assertIn("ignoreCompareQuantity", too_old["errors"][0]["message"])
        self.assertIn("@idempotent", without_key["errors"][0]["message"])
        self.assertEqual(
            without_change_from["data"]["inventorySetQuantities"]["userErrors"][0]["code"],
            "CHANGE_FROM_QUANTITY_REQUIRED",
        )
        self.assertEqual(right["data"]["inventorySetQuantities"]["userErrors"], [])
        # The same key again is answered from memory, not applied twice.
        self.assertEqual(again["data"], right["data"])
        self.assertEqual(len(self.emulator.inventory_sets), 1)
