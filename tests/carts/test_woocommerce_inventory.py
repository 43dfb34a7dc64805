"""Stock levels to WooCommerce: SKU to product or variation once, batches of at most 100."""

from __future__ import annotations

from django.test import SimpleTestCase

from carts.connectors.woocommerce import inventory
from carts.connectors.woocommerce.client import StockBatch
from carts.connectors.woocommerce.inventory import StockTarget
from integration_manager.records import StockLevel
from tests.support.woocommerce import WooCommerceTestCase


def levels(*pairs: tuple[str, int]) -> list[StockLevel]:
    return [StockLevel(sku=sku, location_id="1", available=quantity) for sku, quantity in pairs]


class WooCommerceInventoryTests(WooCommerceTestCase):
    def batch_sizes(self, path: str = r"/products/batch$") -> list[int]:
        return [
            len(request.json()["update"]) for request in self.emulator.requests_to("POST", path)
        ]

    def test_it_sets_stock_on_products_and_variations(self) -> None:
        self.emulator.add_product("MUG-RED", stock_quantity=3, manage_stock=True)
        tee = self.emulator.add_product("TEE", product_type="variable")
        self.emulator.add_variation(tee["id"], "TEE-M")
        failures = self.connector().upload_inventory(levels(("MUG-RED", 12), ("TEE-M", 4)))
        self.assertEqual(failures, [])
        self.assertEqual(self.emulator.stock("MUG-RED"), 12)
        self.assertEqual(self.emulator.stock("TEE-M"), 4)
        [variations] = self.emulator.requests_to("POST", rf"/products/{tee['id']}/variations/batch")
        [entry] = variations.json()["update"]
        self.assertEqual(entry["stock_quantity"], 4)
        self.assertIs(entry["manage_stock"], True)  # else WooCommerce ignores the quantity

    def test_a_sku_is_looked_up_once(self) -> None:
        self.emulator.add_product("MUG-RED")
        self.connector(connection_id=41).upload_inventory(levels(("MUG-RED", 1)))
        self.connector(connection_id=41).upload_inventory(levels(("MUG-RED", 2)))
        self.assertEqual(len(self.emulator.requests_to("GET", r"/products$")), 1)
        self.assertEqual(self.emulator.stock("MUG-RED"), 2)

    def test_it_sends_at_most_100_objects_a_call(self) -> None:
        for number in range(250):
            self.emulator.add_product(f"SKU-{number:03}")
        failures = self.connector().upload_inventory(
            levels(*((f"SKU-{number:03}", number) for number in range(250)))
        )
        self.assertEqual(failures, [])
        self.assertEqual(self.batch_sizes(), [100, 100, 50])
        self.assertEqual(self.emulator.stock("SKU-249"), 249)
        # Looked up 50 SKUs a request, not one by one.
        self.assertEqual(len(self.emulator.requests_to("GET", r"/products$")), 5)

    def test_an_unknown_sku_fails_alone(self) -> None:
        self.emulator.add_product("MUG-RED")
        failures = self.connector().upload_inventory(levels(("MUG-RED", 5), ("NOPE-1", 2)))
        [failure] = failures
        self.assertEqual(failure.record_ref, "NOPE-1")
        self.assertIn("no product or variation with SKU NOPE-1", str(failure))
        self.assertEqual(self.emulator.stock("MUG-RED"), 5)

    def test_a_lower_batch_limit_is_found_and_kept(self) -> None:
        self.emulator.batch_limit = 30
        for number in range(120):
            self.emulator.add_product(f"SKU-{number:03}")
        failures = self.connector().upload_inventory(
            levels(*((f"SKU-{number:03}", 7) for number in range(120)))
        )
        self.assertEqual(failures, [])
        accepted = [
            len(request.json()["update"])
            for request in self.emulator.requests_to("POST", r"/products/batch$")
            if len(request.json()["update"]) <= 30
        ]
        self.assertEqual(sum(accepted), 120)
        self.assertEqual(self.batch_sizes()[:3], [100, 50, 25])  # halved until it fits
        self.assertTrue(all(size <= 25 for size in self.batch_sizes()[3:]))

    def test_a_product_made_again_is_looked_up_again(self) -> None:
        old = self.emulator.add_product("MUG-RED")
        self.connector(connection_id=42).upload_inventory(levels(("MUG-RED", 1)))
        self.emulator.delete_product(old["id"])
        self.emulator.add_product("MUG-RED")
        failures = self.connector(connection_id=42).upload_inventory(levels(("MUG-RED", 9)))
        self.assertEqual(failures, [])
        self.assertEqual(self.emulator.stock("MUG-RED"), 9)
        self.assertEqual(len(self.emulator.requests_to("GET", r"/products$")), 2)

    def test_a_grouped_product_has_no_stock_of_its_own(self) -> None:
        self.emulator.add_product("GIFT-SET", product_type="grouped")
        [failure] = self.connector().upload_inventory(levels(("GIFT-SET", 4)))
        self.assertEqual(failure.record_ref, "GIFT-SET")
        self.assertEqual(self.emulator.requests_to("POST", "batch"), [])

    def test_levels_of_one_sku_add_up_and_never_go_negative(self) -> None:
        self.emulator.add_product("MUG-RED")
        self.emulator.add_product("MUG-BLUE")
        self.connector().upload_inventory(
            [
                StockLevel(sku="MUG-RED", location_id="1", available=4),
                StockLevel(sku="MUG-RED", location_id="2", available=6),
                StockLevel(sku="MUG-BLUE", location_id="1", available=-3),
            ]
        )
        self.assertEqual(self.emulator.stock("MUG-RED"), 10)
        self.assertEqual(self.emulator.stock("MUG-BLUE"), 0)

    def test_a_sku_with_a_comma_is_looked_up_alone(self) -> None:
        self.emulator.add_product("A,B")
        self.emulator.add_product("A")
        self.emulator.add_product("C")
        failures = self.connector().upload_inventory(levels(("A,B", 1), ("A", 2), ("C", 3)))
        self.assertEqual(failures, [])
        self.assertEqual([self.emulator.stock(sku) for sku in ("A,B", "A", "C")], [1, 2, 3])
        lookups = [r.arg("sku") for r in self.emulator.requests_to("GET", r"/products$")]
        self.assertCountEqual(lookups, ["A,B", "A,C"])

    def test_the_sku_match_ignores_case_as_the_store_does(self) -> None:
        self.emulator.add_product("Mug-Red")
        self.assertEqual(self.connector().upload_inventory(levels(("MUG-RED", 8))), [])
        self.assertEqual(self.emulator.stock("Mug-Red"), 8)


class WooCommerceStockMappingTests(SimpleTestCase):
    """SKU lookups and batch answers read from payloads, without a store."""

    def test_skus_go_50_a_lookup_and_one_with_a_comma_alone(self) -> None:
        skus = [f"SKU-{number:03}" for number in range(120)]
        groups = list(inventory.sku_groups([*skus[:10], "A,B", *skus[10:]]))
        self.assertEqual([len(group) for group in groups], [1, 50, 50, 20])
        self.assertEqual(groups[0], ["A,B"])

    def test_a_search_answer_names_each_skus_target_or_says_why_not(self) -> None:
        products = [
            {"id": 11, "sku": "Mug-Red", "type": "simple", "parent_id": 0},
            {"id": 23, "sku": "TEE-M", "type": "variation", "parent_id": 22},
            {"id": 30, "sku": "GIFT-SET", "type": "grouped", "parent_id": 0},
        ]
        found, failures = inventory.stock_targets(
            products, ["NOPE-1", "MUG-RED", "TEE-M", "GIFT-SET"]
        )
        self.assertEqual(found, {"MUG-RED": StockTarget(11), "TEE-M": StockTarget(22, 23)})
        # The SKU without stock of its own first, then the unknown one.
        self.assertEqual([error.record_ref for error in failures], ["GIFT-SET", "NOPE-1"])
        self.assertIn("grouped product", str(failures[0]))
        self.assertIn("no product or variation with SKU NOPE-1", str(failures[1]))

    def test_a_batch_answer_is_read_per_sku(self) -> None:
        items = [
            ("A", StockTarget(1)),
            ("B", StockTarget(2)),
            ("C", StockTarget(3)),
            ("D", StockTarget(4)),
        ]
        entries = [
            {"id": 1, "stock_quantity": 5},
            {"id": 2, "error": {"code": "woocommerce_rest_product_invalid_id", "message": "x"}},
            {"id": 3, "error": {"code": "rest_invalid_param", "message": "Not\na number"}},
        ]
        outcome = inventory.batch_outcome(items, StockBatch(entries=entries))
        self.assertEqual(outcome.stale, ["B"])
        self.assertEqual([error.record_ref for error in outcome.refused], ["C", "D"])
        # The store's words, on one line.
        self.assertIn("refused the stock of SKU C: Not a number", str(outcome.refused[0]))
        self.assertIn("did not confirm", str(outcome.refused[1]))

    def test_a_refused_or_orphaned_batch_counts_for_each_sku(self) -> None:
        items = [("A", StockTarget(7, 8)), ("B", StockTarget(7, 9))]
        gone = inventory.batch_outcome(items, StockBatch(parent_gone=True))
        self.assertEqual((gone.stale, gone.refused), (["A", "B"], []))
        refused = inventory.batch_outcome(items, StockBatch(refusal="Sorry."))
        self.assertEqual(
            [str(error) for error in refused.refused],
            [
                "WooCommerce refused the stock update for SKU A: Sorry.",
                "WooCommerce refused the stock update for SKU B: Sorry.",
            ],
        )

    def test_variations_go_to_their_products_batch(self) -> None:
        targets = {"A": StockTarget(1), "B": StockTarget(7, 8), "C": StockTarget(2)}
        self.assertEqual(
            inventory.batch_groups(targets),
            {None: [("A", StockTarget(1)), ("C", StockTarget(2))], 7: [("B", StockTarget(7, 8))]},
        )
        self.assertEqual(
            inventory.batch_updates([("B", StockTarget(7, 8))], {"B": 3}),
            [{"id": 8, "manage_stock": True, "stock_quantity": 3}],
        )
