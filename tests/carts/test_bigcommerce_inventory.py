"""BigCommerce inventory upload against the emulator: SKU lookups, batches, refusals."""

from __future__ import annotations

import requests
from django.test import SimpleTestCase

from carts.connectors.bigcommerce.inventory import (
    BULK_LOOKUP_THRESHOLD,
    VariantRef,
    matching_variant,
    quantities,
    tracked_by_product,
)
from integration_manager.records import StockLevel
from tests.support.bigcommerce import BigCommerceTestCase


def levels(*pairs: tuple[str, int]) -> list[StockLevel]:
    return [
        StockLevel(sku=sku, location_id="WH-1", available=available) for sku, available in pairs
    ]


class InventoryUploadTests(BigCommerceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cap = self.emulator.add_product("TRL-CAP")
        self.lamp = self.emulator.add_product("TRL-LAMP")

    def lookups(self) -> list[str | None]:
        return [
            request.arg("sku")
            for request in self.emulator.requests_to("GET", r"/catalog/variants$")
        ]

    def test_it_sets_absolute_levels_by_variant(self) -> None:
        failures = self.connector().upload_inventory(levels(("TRL-CAP", 7), ("TRL-LAMP", 0)))
        self.assertEqual(failures, [])
        self.assertEqual((self.emulator.stock("TRL-CAP"), self.emulator.stock("TRL-LAMP")), (7, 0))
        [body] = self.emulator.adjustments
        self.assertEqual(
            body["items"],
            [
                {"location_id": 1, "variant_id": self.cap, "quantity": 7},
                {"location_id": 1, "variant_id": self.lamp, "quantity": 0},
            ],
        )
        self.assertTrue(body["reason"])

    def test_each_sku_is_looked_up_once(self) -> None:
        self.connector().upload_inventory(levels(("TRL-CAP", 1), ("TRL-LAMP", 2)))
        self.connector().upload_inventory(levels(("TRL-CAP", 3), ("TRL-LAMP", 4)))
        self.assertEqual(sorted(self.lookups()), ["TRL-CAP", "TRL-LAMP"])
        self.assertEqual(self.emulator.stock("TRL-LAMP"), 4)

    def test_an_unknown_sku_fails_alone(self) -> None:
        failures = self.connector().upload_inventory(levels(("TRL-CAP", 5), ("NO-SUCH-SKU", 2)))
        self.assertEqual([failure.record_ref for failure in failures], ["NO-SUCH-SKU"])
        self.assertIn("no product or variant with SKU NO-SUCH-SKU", str(failures[0]))
        self.assertEqual(self.emulator.stock("TRL-CAP"), 5)

    def test_a_sku_deleted_since_its_lookup_fails_alone(self) -> None:
        self.connector().upload_inventory(levels(("TRL-CAP", 1), ("TRL-LAMP", 1)))
        self.emulator.remove_product("TRL-LAMP")  # the cached variant id is now stale
        failures = self.connector().upload_inventory(levels(("TRL-CAP", 9), ("TRL-LAMP", 9)))
        self.assertEqual([failure.record_ref for failure in failures], ["TRL-LAMP"])
        self.assertIn("BigCommerce refused the stock level for SKU TRL-LAMP", str(failures[0]))
        self.assertEqual(self.emulator.stock("TRL-CAP"), 9)
        # Forgotten: the next upload looks it up again and reports it as unknown.
        failures = self.connector().upload_inventory(levels(("TRL-LAMP", 3)))
        self.assertIn("no product or variant", str(failures[0]))

    def test_stock_tracked_by_product_is_set_by_product_id(self) -> None:
        self.emulator.add_product("TRL-LAMP", tracked_by_product=True)
        failures = self.connector().upload_inventory(levels(("TRL-CAP", 2), ("TRL-LAMP", 6)))
        self.assertEqual(failures, [])
        self.assertEqual(self.emulator.stock("TRL-LAMP"), 6)
        lamp_item = self.emulator.adjustments[-1]["items"][1]
        self.assertEqual(set(lamp_item), {"location_id", "product_id", "quantity"})

    def test_oversold_stock_is_sent_as_none_left(self) -> None:
        self.connector().upload_inventory(levels(("TRL-CAP", -4)))
        self.assertEqual(self.emulator.stock("TRL-CAP"), 0)

    def test_it_sets_the_location_of_the_settings(self) -> None:
        self.emulator.add_location(3, "North warehouse")
        self.connector(inventory_location_id=3).upload_inventory(levels(("TRL-CAP", 11)))
        self.assertEqual(self.emulator.stock("TRL-CAP", location_id=3), 11)
        self.assertIsNone(self.emulator.stock("TRL-CAP", location_id=1))


class InventoryBatchTests(BigCommerceTestCase):
    def test_batches_hold_at_most_2000_items(self) -> None:
        skus = [f"BULK-{number:05d}" for number in range(4500)]
        for sku in skus:
            self.emulator.add_product(sku)
        failures = self.connector().upload_inventory(levels(*((sku, 1) for sku in skus)))
        self.assertEqual(failures, [])
        self.assertEqual(
            [len(body["items"]) for body in self.emulator.adjustments], [2000, 2000, 500]
        )
        self.assertEqual(self.emulator.stock("BULK-04499"), 1)

    def test_many_skus_are_looked_up_by_listing_the_catalogue(self) -> None:
        skus = [f"BULK-{number:05d}" for number in range(BULK_LOOKUP_THRESHOLD + 10)]
        for sku in skus:
            self.emulator.add_product(sku)
        self.connector().upload_inventory(levels(*((sku, 2) for sku in skus)))
        lookups = self.emulator.requests_to("GET", r"/catalog/variants$")
        self.assertEqual(len(lookups), 1)  # one page of 250 instead of 60 lookups
        self.assertIsNone(lookups[0].arg("sku"))

    def test_the_emulator_refuses_more_than_2000_items(self) -> None:
        variant = self.emulator.add_product("TRL-CAP")
        item = {"location_id": 1, "variant_id": variant, "quantity": 1}
        response = requests.put(
            f"{self.emulator.base_url}/stores/{self.emulator.store_hash}/v3/inventory/"
            "adjustments/absolute",
            json={"reason": "test", "items": [item] * 2001},
            headers={"X-Auth-Token": self.emulator.access_token},
            timeout=5,
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["status"], 422)
        self.assertIn("2000", response.json()["title"])
        self.assertEqual(self.emulator.adjustments, [])


class InventoryMappingTests(SimpleTestCase):
    """inventory.py from payloads, without HTTP."""

    def test_a_lookup_takes_the_exact_sku_before_one_in_another_case(self) -> None:
        found = [
            {"id": 1, "product_id": 501, "sku": "trl-cap"},
            {"id": 2, "product_id": 502, "sku": "TRL-CAP"},
        ]
        self.assertEqual(matching_variant(found, "TRL-CAP"), VariantRef(2, 502))
        self.assertEqual(matching_variant(found[:1], "TRL-CAP"), VariantRef(1, 501))
        self.assertIsNone(matching_variant([], "TRL-CAP"))

    def test_levels_without_a_sku_fail_and_oversold_is_none_left(self) -> None:
        wanted, failures = quantities(levels((" TRL-CAP ", -2), ("  ", 4)))
        self.assertEqual(wanted, {"TRL-CAP": 0})
        self.assertEqual([failure.record_ref for failure in failures], [""])

    def test_only_the_batchs_variants_named_by_the_refusal_move_to_their_product(self) -> None:
        refs = {"A": VariantRef(106, 601), "B": VariantRef(107, 602), "C": VariantRef(106, 603)}
        refusal = (
            "[Item with variant_id 106 is tracked by product, please update stock by product id]"
        )
        switched = tracked_by_product([("A", 1), ("B", 1)], refs, refusal=refusal)
        self.assertEqual(switched, {"A": VariantRef(106, 601, by_product=True)})
        self.assertEqual(
            switched["A"].item(location_id=1, quantity=4),
            {"location_id": 1, "product_id": 601, "quantity": 4},
        )
