"""Stock, product and WMS ship-method answers have CartRover's keys and types (its samples).

CartRover itself sends quantities as numbers in the inventory list and as strings in the
single item (cartrover.md §1.13); the hub sends strings everywhere, so a number in a sample
stands for "a number, or a string that is one" here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inventory.models import InventoryLevel, Location, ProductAlias
from tests.api.merchant_base import MerchantApiMixin
from tests.base import BaseTestCase
from wms.models import WmsShipMethod

SAMPLES = Path(__file__).resolve().parent.parent / "contracts" / "cartrover"
# Keys the hub leaves null where the sample had a value: what no WMS told it.
MAY_BE_NULL = {"name", "description", "retail_price", "wms_product_main_id"}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())["response"]


class StockContractTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        for code, name, available in (("E1", "EAST", 10), ("W1", "WEST", 20)):
            location = Location.objects.create(
                account=self.alices_account,
                merchant=self.bobs_merchant,
                wms_location_id=code,
                name=name,
            )
            InventoryLevel.objects.create(
                account=self.alices_account,
                merchant=self.bobs_merchant,
                location=location,
                sku="TENT",
                available=available,
                on_hand=available + 5,
            )
        ProductAlias.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            alias="TENT-SKU",
            sku="TENT",
            kind=ProductAlias.Kind.MERCHANT_SKU,
        )

    def assert_shaped_like(self, ours: Any, theirs: Any, where: str = "") -> None:
        if isinstance(theirs, dict):
            self.assert_object(ours, theirs, where)
        elif isinstance(theirs, list):
            self.assertIsInstance(ours, list, where)
            if theirs and ours:
                self.assert_shaped_like(ours[0], theirs[0], f"{where}[0]")
        elif ours is None and where.rsplit(".", 1)[-1] in MAY_BE_NULL:
            return
        elif isinstance(theirs, bool):
            self.assertIsInstance(ours, bool, where)
        elif isinstance(theirs, int | float):
            self.assertTrue(isinstance(ours, int | float) or _number(ours), f"{where}: {ours!r}")
        elif isinstance(theirs, str):
            self.assertIsInstance(ours, str, where)

    def assert_object(self, ours: Any, theirs: dict[str, Any], where: str) -> None:
        if where.endswith(("aliases", "warehouses")):
            # Keyed by name or pk: each value has the sample's shape; an empty one is [].
            self.assertIsInstance(ours, dict | list, where)
            inner = next(iter(theirs.values()))
            for value in ours.values() if isinstance(ours, dict) else []:
                self.assert_shaped_like(value, inner, f"{where}.*")
            return
        self.assertIsInstance(ours, dict, where)
        self.assertEqual(set(theirs) - set(ours), set(), f"{where}: keys missing")
        for key, value in theirs.items():
            self.assert_shaped_like(ours[key], value, f"{where}.{key}")

    def test_the_inventory_list_answers_like_list_json(self) -> None:
        body = self.call("GET", "/v1/merchant/inventory")
        self.assertTrue(body["success_code"])
        tent = next(item for item in body["response"] if item["sku"] == "TENT")
        self.assert_shaped_like(tent, sample("inventory/list.json")[0], "response[TENT]")

    def test_one_item_answers_like_retrieve_json(self) -> None:
        body = self.call("GET", "/v1/merchant/inventory/TENT")
        self.assert_shaped_like(body["response"], sample("inventory/retrieve.json"), "response")

    def test_a_product_answers_like_info_json(self) -> None:
        body = self.call("GET", "/v1/merchant/product/TENT")
        self.assert_shaped_like(body["response"], sample("products/info.json"), "response")

    def test_the_ship_methods_answer_like_list_json(self) -> None:
        WmsShipMethod.objects.create(
            account=self.alices_account, code="28", description="UPS Next Day Air", carrier="UPS"
        )
        body = self.call("GET", "/v1/wms/shipmethod/list")
        self.assert_shaped_like(body["response"], sample("shipping_methods/list.json"), "response")


def _number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return isinstance(text, str)
