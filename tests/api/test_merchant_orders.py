"""Orders across the merchant's carts: list by status (§1.12), view (§1.9), status (§1.10)."""

from __future__ import annotations

from datetime import UTC, datetime

from orders.models import OrderStatus
from tests.api.merchant_base import MerchantApiMixin
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_shipment


def day(number: int) -> datetime:
    return datetime(2026, 11, number, 12, 0, tzinfo=UTC)


class MerchantOrderListTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        self.second_cart = create_cart(self.bobs_merchant, prefix="BB2-", label="Bob's eBay")
        self.new = create_order(self.cart, number=1001, created_at=day(1))
        self.new_elsewhere = create_order(self.second_cart, number=2001, created_at=day(2))
        self.at_wms = create_order(
            self.cart, number=1002, status=OrderStatus.AT_WMS, delivered_at=day(3)
        )
        self.partial = create_order(
            self.cart,
            number=1003,
            status=OrderStatus.SHIPPED,
            partially_shipped=True,
            shipped_at=day(4),
        )
        self.shipped = create_order(
            self.cart, number=1004, status=OrderStatus.SHIPPED, shipped_at=day(5)
        )
        create_order(create_cart(self.other_merchant, prefix="OO-"), number=1001)

    def refs(self, status: str, key=None, **query: str) -> list[str]:  # type: ignore[no-untyped-def]
        body = self.call("GET", f"/v1/merchant/orders/list/{status}", key, **query)
        assert body["success_code"], body
        return [order["cust_ref"] for order in body["response"]]

    def test_it_lists_by_status_across_the_merchants_carts(self) -> None:
        self.assertEqual(self.refs("new"), ["BB-1001", "BB2-2001"])
        self.assertEqual(self.refs("at_wms"), ["BB-1002"])
        self.assertEqual(self.refs("new_or_at_wms"), ["BB-1001", "BB2-2001", "BB-1002"])
        self.assertEqual(self.refs("partial"), ["BB-1003"])
        self.assertEqual(self.refs("shipped"), ["BB-1004"])
        self.assertEqual(self.refs("shipped_or_confirmed"), ["BB-1003", "BB-1004"])
        self.assertEqual(len(self.refs("any")), 5)
        self.assertEqual(self.last_response["total-records"], "5")

    def test_it_filters_on_the_statuss_date_and_source(self) -> None:
        self.assertEqual(self.refs("new", from_date="2026-11-02"), ["BB2-2001"])
        self.assertEqual(self.refs("new", to_date="2026-11-01"), ["BB-1001"])
        self.assertEqual(
            self.refs("shipped_or_confirmed", from_date="2026-11-05T00:00:00+00:00"), ["BB-1004"]
        )
        self.assertEqual(self.refs("new", order_source="Bob's eBay"), ["BB2-2001"])
        body = self.call("GET", "/v1/merchant/orders/list/new", from_date="yesterday")
        self.assert_invalid(body, containing="from_date must be a date")

    def test_it_pages(self) -> None:
        self.assertEqual(self.refs("any", limit="2", page="1"), ["BB-1001", "BB2-2001"])
        self.assertEqual(self.refs("any", limit="2", page="3"), ["BB-1004"])
        self.assertEqual(self.refs("any", limit="2", page="4"), [])

    def test_it_refuses_an_unknown_status(self) -> None:
        body = self.call("GET", "/v1/merchant/orders/list/lost")
        self.assert_invalid(body, containing="Unknown status 'lost'")

    def test_it_lists_only_the_keys_merchant(self) -> None:
        self.assertEqual(self.refs("new", self.other_key), ["OO-1001"])
        body = self.call("GET", "/v1/merchant/orders/list/new", self.warehouse_key)
        self.assert_invalid(body, containing="X-Merchant-Pk")
        body = self.call(
            "GET",
            "/v1/merchant/orders/list/new",
            self.warehouse_key,
            merchant_pk=self.other_merchant.id,
        )
        self.assertEqual([order["cust_ref"] for order in body["response"]], ["OO-1001"])
        body = self.call(
            "GET",
            "/v1/merchant/orders/list/new",
            self.charlies_key,
            merchant_pk=self.bobs_merchant.id,
        )
        self.assert_invalid(body, containing="not a merchant of this account")


class MerchantOrderViewTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        self.order = create_order(self.cart, number=1001, status=OrderStatus.SHIPPED)
        create_shipment(self.order, tracking="1ZTRACK")

    def test_it_shows_the_order(self) -> None:
        body = self.call("GET", "/v1/merchant/orders/BB-1001")
        order = body["response"]
        self.assertEqual((order["cust_ref"], order["order_status"]), ("BB-1001", "shipped"))
        self.assertEqual([item["item"] for item in order["items"]], ["TENT-2P-GRN"])

    def test_it_shows_the_status_and_shipments(self) -> None:
        body = self.call("GET", "/v1/merchant/orders/status/BB-1001")
        status = body["response"]
        self.assertEqual(status["order_status"], "shipped")
        self.assertEqual(status["shipments"][0]["tracking_no"], "1ZTRACK")

    def test_another_merchants_order_is_unknown(self) -> None:
        for path in ("/v1/merchant/orders/BB-1001", "/v1/merchant/orders/status/BB-1001"):
            self.assert_invalid(self.call("GET", path, self.other_key), containing="No order")
            body = self.call("GET", path, self.warehouse_key, merchant_pk=self.other_merchant.id)
            self.assert_invalid(body, containing="No order")
            body = self.call("GET", path, self.charlies_key, merchant_pk=self.bobs_merchant.id)
            self.assert_invalid(body, containing="not a merchant of this account")
        found = self.call(
            "GET",
            "/v1/merchant/orders/BB-1001",
            self.warehouse_key,
            merchant_pk=self.bobs_merchant.id,
        )
        self.assertEqual(found["response"]["cust_ref"], "BB-1001")
