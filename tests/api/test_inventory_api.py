"""Reads: stock (§1.13), products (§1.14), WMS ship methods (§1.15), carts and merchants."""

from __future__ import annotations

from datetime import UTC, datetime

from inventory.models import InventoryLevel, Location, ProductAlias
from tests.api.merchant_base import MerchantApiMixin
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order
from wms.models import WmsShipMethod

STAMP = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class InventoryReadTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        self.east = self.location(self.bobs_merchant, "E1", "EAST")
        self.west = self.location(self.bobs_merchant, "W1", "WEST")
        self.level(self.east, "TENT", 10, 15)
        self.level(self.west, "TENT", 20, 20)
        self.level(self.east, "LAMP", 1, 1)
        ProductAlias.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            alias="012345678905",
            sku="TENT",
            kind=ProductAlias.Kind.UPC,
        )
        others = self.location(self.other_merchant, "E1", "EAST")
        self.level(others, "SECRET", 99, 99)

    def location(self, merchant, code: str, name: str) -> Location:  # type: ignore[no-untyped-def]
        return Location.objects.create(
            account=merchant.account, merchant=merchant, wms_location_id=code, name=name
        )

    def level(self, location: Location, sku: str, available: int, on_hand: int) -> None:
        InventoryLevel.objects.create(
            account=location.account,
            merchant=location.merchant,
            location=location,
            sku=sku,
            available=available,
            on_hand=on_hand,
            wms_updated_at=STAMP,
        )

    def test_it_lists_totals_warehouses_and_aliases(self) -> None:
        body = self.call("GET", "/v1/merchant/inventory")
        self.assertEqual([item["sku"] for item in body["response"]], ["LAMP", "TENT"])
        lamp, tent = body["response"]
        self.assertEqual(lamp["aliases"], [])
        self.assertEqual(
            tent,
            {
                "sku": "TENT",
                "qty_available": "30",
                "qty_on_hand": "35",
                "wms_datetime": "2026-11-20T12:00:00+00:00",
                "aliases": {"UPC": "012345678905"},
                "warehouses": {
                    str(self.east.id): {
                        "warehouse": "EAST",
                        "qty_available": "10",
                        "qty_on_hand": "15",
                        "wms_datetime": "2026-11-20T12:00:00+00:00",
                    },
                    str(self.west.id): {
                        "warehouse": "WEST",
                        "qty_available": "20",
                        "qty_on_hand": "20",
                        "wms_datetime": "2026-11-20T12:00:00+00:00",
                    },
                },
            },
        )

    def test_it_pages(self) -> None:
        first = self.call("GET", "/v1/merchant/inventory", limit="1")["response"]
        second = self.call("GET", "/v1/merchant/inventory", limit="1", page="2")["response"]
        third = self.call("GET", "/v1/merchant/inventory", limit="1", page="3")["response"]
        self.assertEqual([first[0]["sku"], second[0]["sku"], third], ["LAMP", "TENT", []])
        self.assert_invalid(
            self.call("GET", "/v1/merchant/inventory", limit="0"), containing="limit must be"
        )
        self.assert_invalid(
            self.call("GET", "/v1/merchant/inventory", page="x"), containing="page must be"
        )

    def test_it_shows_one_sku(self) -> None:
        item = self.call("GET", "/v1/merchant/inventory/LAMP")["response"]
        self.assertEqual((item["sku"], item["qty_available"]), ("LAMP", "1"))
        self.assert_invalid(
            self.call("GET", "/v1/merchant/inventory/NONE"), containing="No stock recorded"
        )

    def test_it_shows_only_the_keys_merchant(self) -> None:
        self.assert_invalid(
            self.call("GET", "/v1/merchant/inventory/SECRET"), containing="No stock recorded"
        )
        skus = [i["sku"] for i in self.call("GET", "/v1/merchant/inventory")["response"]]
        self.assertNotIn("SECRET", skus)
        other = self.call("GET", "/v1/merchant/inventory", self.other_key)["response"]
        self.assertEqual([item["sku"] for item in other], ["SECRET"])
        by_warehouse = self.call(
            "GET", "/v1/merchant/inventory", self.warehouse_key, merchant_pk=self.other_merchant.id
        )
        self.assertEqual([item["sku"] for item in by_warehouse["response"]], ["SECRET"])
        self.assert_invalid(
            self.call(
                "GET",
                "/v1/merchant/inventory",
                self.charlies_key,
                merchant_pk=self.bobs_merchant.id,
            ),
            containing="not a merchant of this account",
        )
        self.assert_invalid(
            self.call("GET", "/v1/merchant/inventory", self.warehouse_key),
            containing="X-Merchant-Pk",
        )


class ProductTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        create_order(self.cart, number=1001, skus=("TENT",))
        ProductAlias.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            alias="TENT-SKU",
            sku="TENT",
            kind=ProductAlias.Kind.MERCHANT_SKU,
        )

    def test_it_shows_a_product_with_its_aliases(self) -> None:
        body = self.call("GET", "/v1/merchant/product/TENT")
        product = body["response"]
        self.assertEqual(product["sku"], "TENT")
        self.assertEqual(product["retail_price"], "10.00")
        self.assertEqual(product["aliases"], [{"code_type": "merchantSKU", "code": "TENT-SKU"}])
        # found by its alias too
        by_alias = self.call("GET", "/v1/merchant/product/TENT-SKU")["response"]
        self.assertEqual(by_alias["sku"], "TENT")

    def test_another_merchants_product_is_unknown(self) -> None:
        self.assert_invalid(
            self.call("GET", "/v1/merchant/product/TENT", self.other_key), containing="No product"
        )
        self.assert_invalid(
            self.call(
                "GET",
                "/v1/merchant/product/TENT",
                self.charlies_key,
                merchant_pk=self.bobs_merchant.id,
            ),
            containing="not a merchant of this account",
        )
        found = self.call(
            "GET",
            "/v1/merchant/product/TENT",
            self.warehouse_key,
            merchant_pk=self.bobs_merchant.id,
        )
        self.assertEqual(found["response"]["sku"], "TENT")


class ShipMethodsAndListsTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        WmsShipMethod.objects.create(
            account=self.alices_account, code="50", carrier="FEDEX", description="FedEx Ground"
        )
        WmsShipMethod.objects.create(account=self.alices_account, code="DB", description="DHL")
        WmsShipMethod.objects.create(account=self.alices_account, code="OLD", is_active=False)
        WmsShipMethod.objects.create(account=self.charlies_account, code="CH")

    def test_it_lists_the_accounts_wms_ship_methods(self) -> None:
        body = self.call("GET", "/v1/wms/shipmethod/list")
        self.assertEqual(
            body["response"],
            [
                {"carrier": "", "code": "DB", "description": "DHL"},
                {"carrier": "FEDEX", "code": "50", "description": "FedEx Ground"},
            ],
        )
        charlies = self.call("GET", "/v1/wms/shipmethod/list", self.charlies_key)
        self.assertEqual([row["code"] for row in charlies["response"]], ["CH"])

    def test_it_lists_the_merchants_carts(self) -> None:
        create_cart(self.other_merchant, prefix="OO-")
        body = self.call("GET", "/v1/cart/list")
        self.assertEqual(
            body["response"],
            [
                {
                    "order_source": self.cart.order_source,
                    "cart_name": self.cart.label,
                    "cart_type": "sandbox",
                    "active": "Y",
                }
            ],
        )
        others = self.call(
            "GET", "/v1/cart/list", self.warehouse_key, merchant_pk=self.other_merchant.id
        )
        self.assertEqual(
            [row["order_source"] for row in others["response"]], ["Other Outfitters store"]
        )

    def test_a_cart_source_of_another_merchant_is_unknown(self) -> None:
        path = f"/v1/cart/shipmethod/list/{self.cart.order_source}"
        self.assertTrue(self.call("GET", path)["success_code"])
        self.assert_invalid(self.call("GET", path, self.other_key), containing="No cart")

    def test_the_warehouse_lists_its_merchants(self) -> None:
        body = self.call("GET", "/v1/wms/merchant/list", self.warehouse_key)
        self.assertEqual(
            [(row["merchant_pk"], row["name"]) for row in body["response"]],
            [
                (str(self.bobs_merchant.id), "Bob's Bikes"),
                (str(self.other_merchant.id), "Other Outfitters"),
            ],
        )
        charlies = self.call("GET", "/v1/wms/merchant/list", self.charlies_key)
        self.assertEqual([row["name"] for row in charlies["response"]], ["Charlie's Candles"])
        self.assert_invalid(self.call("GET", "/v1/wms/merchant/list"), containing="cannot call")


class CharlieReachesNothingTests(MerchantApiMixin, BaseTestCase):
    """Every merchant and warehouse endpoint: another account's warehouse key acting for
    bob's merchant is refused, and nothing of bob's is read or written."""

    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        self.order = create_order(self.cart, number=1001)

    def test_every_endpoint_refuses_charlies_key_for_bobs_merchant(self) -> None:
        source = self.cart.order_source
        calls = [
            ("GET", "/v1/merchant/orders/list/any", None),
            ("GET", "/v1/merchant/orders/BB-1001", None),
            ("GET", "/v1/merchant/orders/status/BB-1001", None),
            ("POST", "/v1/merchant/orders/received", {"cust_refs": ["BB-1001"]}),
            (
                "POST",
                "/v1/merchant/orders/shipments/BB-1001",
                {"shipments": [{"tracking_no": "1Z", "items": [{"item": "A", "quantity": 1}]}]},
            ),
            ("GET", "/v1/merchant/inventory", None),
            ("POST", "/v1/merchant/inventory", [{"sku": "A", "qty_available": 1}]),
            ("GET", "/v1/merchant/inventory/TENT-2P-GRN", None),
            ("GET", "/v1/merchant/product/TENT-2P-GRN", None),
            ("GET", "/v1/cart/list", None),
            ("GET", f"/v1/cart/shipmethod/list/{source}", None),
            ("POST", f"/v1/cart/shipmethod/{source}", [{"cart_code": "A", "wms_code": None}]),
        ]
        for method, path, body in calls:
            with self.subTest(path=path, method=method):
                answer = self.call(
                    method, path, self.charlies_key, body=body, merchant_pk=self.bobs_merchant.id
                )
                self.assert_invalid(answer, containing="not a merchant of this account")
        self.order.refresh_from_db()
        self.assertEqual(self.order.status, "new")
        self.assertFalse(InventoryLevel.objects.exists())
