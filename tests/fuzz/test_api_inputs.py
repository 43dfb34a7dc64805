"""The API's writes fed spoilt copies of real bodies (tests/contracts/cartrover): an order or
a stored write, or an Invalid answer that names the field, with nothing stored; never a 5xx.

tests/api/test_schemathesis.py fuzzes every operation against the OpenAPI document with a
few examples each; these start from real bodies instead, check what was stored, and run the
order input's mapping on its own, many more times."""

from __future__ import annotations

import json
from typing import Any

from django.core.cache import cache
from django.http import HttpResponse
from django.test import SimpleTestCase
from hypothesis import assume, example, given
from hypothesis import strategies as st

from api.keys import IssuedKey, api_access_cart_create
from api.order_input import OrderInputError, order_record_from_input
from inventory.models import InventoryLevel
from orders.models import Order, OrderStatus, Shipment
from orders.storable import json_storable
from tests.api.merchant_base import MerchantApiMixin, authorization
from tests.base import BaseTestCase
from tests.fuzz.contract import (
    assert_order_record,
    read_or_refuse,
    rolled_back,
    storable,
)
from tests.fuzz.mutations import json_values, mutated
from tests.objects import create_order
from wms.models import ShipMethodMap

CONTRACTS = "tests/contracts/cartrover/orders/"
with open(CONTRACTS + "create_data.json") as _file:
    ORDER = json.load(_file)
with open(CONTRACTS + "batch_create_data.json") as _file:
    BATCH = json.load(_file)
SHIPMENTS = {
    "shipments": [
        {
            "carrier": "UPS",
            "method": "Ground",
            "tracking_no": "1Z1",
            "date": "2026-11-21T09:00:00+00:00",
            "cost": "7.50",
            "items": [{"item": "TENT-2P-GRN", "quantity": 1}],
        }
    ]
}
LEVELS = {"warehouses": {"MAIN": [{"sku": "TENT-2P-GRN", "qty_available": 3, "qty_on_hand": 4}]}}
LEVEL_LIST = [{"sku": "TENT-2P-GRN", "warehouse": "MAIN", "qty_available": 3, "qty_on_hand": 4}]
SHIP_MAPS = [{"cart_code": "Express", "wms_code": None}]


def body_of(payload: Any) -> str:
    return json.dumps(payload)


class OrderInputMappingTests(SimpleTestCase):
    def read(self, data: Any) -> None:
        # What api/bodies.py hands on: JSON without NaN or Infinity, NUL or half surrogates.
        assume(json_storable(data))
        record = read_or_refuse(
            lambda: order_record_from_input(data, max_reference_length=37),
            refusals=(OrderInputError,),
        )
        if record is not None:
            assert_order_record(record)
            # Nothing else stands between this record and the page store (bodies.py has
            # already refused NUL and half surrogate pairs): it must fit the columns.
            self.assertTrue(storable(record), record)

    def test_it_reads_the_real_order(self) -> None:
        self.assertEqual(len(order_record_from_input(ORDER).lines), 2)

    @given(data=st.one_of(mutated(ORDER), json_values))
    @example(data={**ORDER, "items": [{"item": "C100", "quantity": "1e30"}]})
    @example(data={**ORDER, "cust_po_no": "9" * 500})
    @example(data={**ORDER, "grand_total": "1e12"})
    @example(data={**ORDER, "items": [{"item": "C100", "quantity": 1, "price": 9e9}] * 2})
    def test_it_reads_a_spoilt_order_or_names_what_is_wrong(self, data: Any) -> None:
        self.read(data)


class ApiCallMixin:
    """A call as a client makes it; the answer checked for a 5xx and the envelope."""

    def post(self, path: str, key: IssuedKey, body: str) -> dict[str, Any]:
        cache.clear()  # the rate limit's buckets: many calls, one key
        response: HttpResponse = self.client.post(  # type: ignore[attr-defined]
            path,
            body,
            content_type="application/json",
            headers={"Authorization": authorization(key)},
        )
        assert response.status_code == 200, (response.status_code, response.content[:300])
        answer = response.json()
        if not answer["success_code"]:
            assert answer["error_code"] in ("Invalid", "Failure"), answer
            assert answer["message"].strip(), answer
        return answer


class CartOrderApiTests(ApiCallMixin, MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        self.api_cart, self.cart_key = api_access_cart_create(merchant=self.bobs_merchant)

    def orders(self) -> int:
        return Order.objects.filter(cart=self.api_cart).count()

    def test_it_stores_a_spoilt_order_or_refuses_it_and_stores_nothing(self) -> None:
        @given(data=st.one_of(mutated(ORDER), json_values))
        @example(data={**ORDER, "items": [{"item": "C100", "quantity": "1e30"}]})
        @example(data={**ORDER, "cust_po_no": "9" * 500})
        def check(data: Any) -> None:
            with rolled_back():
                answer = self.post("/v1/cart/orders/cartrover", self.cart_key, body_of(data))
                batch = answer.get("response")  # an array of several is answered as a batch
                if isinstance(batch, dict):
                    self.assertEqual(self.orders(), len(batch["success"]), answer)
                else:
                    self.assertEqual(self.orders(), 1 if answer["success_code"] else 0, answer)

        check()

    def test_it_stores_the_good_orders_of_a_spoilt_batch(self) -> None:
        good = {**ORDER, "cust_ref": "GOOD-1"}

        @given(spoilt=mutated(BATCH))
        @example(spoilt=[{**BATCH[0], "cust_ref": float("inf")}])
        def check(spoilt: list[Any]) -> None:
            with rolled_back():
                answer = self.post("/v1/cart/orders/batch", self.cart_key, body_of([good, *spoilt]))
                if isinstance(answer.get("response"), dict):
                    stored = Order.objects.filter(cart=self.api_cart, source_order_id="GOOD-1")
                    self.assertTrue(stored.exists(), answer)
                    self.assertEqual(self.orders(), len(answer["response"]["success"]))

        check()


class MerchantWriteApiTests(ApiCallMixin, MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        self.order = create_order(self.cart, number=1001, status=OrderStatus.AT_WMS)

    def test_it_stores_spoilt_shipments_or_refuses_them_and_stores_nothing(self) -> None:
        path = f"/v1/merchant/orders/shipments/{self.order.cust_ref}"

        @given(body=st.one_of(mutated(SHIPMENTS), json_values))
        @example(body={"shipments": [{**SHIPMENTS["shipments"][0], "cost": "1e30"}]})
        def check(body: Any) -> None:
            with rolled_back():
                answer = self.post(path, self.bobs_key, body_of(body))
                if not answer["success_code"]:
                    self.assertFalse(Shipment.objects.exists(), answer)

        check()

    def test_it_stores_spoilt_stock_levels_or_refuses_them_and_stores_nothing(self) -> None:
        @given(body=st.one_of(mutated(LEVELS), mutated(LEVEL_LIST), json_values))
        @example(body=[{**LEVEL_LIST[0], "qty_available": "1e30"}])
        def check(body: Any) -> None:
            with rolled_back():
                answer = self.post("/v1/merchant/inventory", self.bobs_key, body_of(body))
                if not answer["success_code"]:
                    self.assertFalse(InventoryLevel.objects.exists(), answer)

        check()

    def test_it_takes_spoilt_receipts_or_refuses_them(self) -> None:
        body = {"cust_refs": [self.order.cust_ref]}

        @given(body=st.one_of(mutated(body), json_values))
        def check(body: Any) -> None:
            with rolled_back():
                answer = self.post("/v1/merchant/orders/received", self.bobs_key, body_of(body))
                if not answer["success_code"]:
                    self.order.refresh_from_db()
                    self.assertEqual(self.order.status, OrderStatus.AT_WMS)

        check()

    def test_it_saves_spoilt_ship_method_mappings_or_refuses_them(self) -> None:
        path = f"/v1/cart/shipmethod/{self.cart.order_source}"

        @given(body=st.one_of(mutated(SHIP_MAPS), json_values))
        @example(body=[{"cart_code": "x" * 300, "wms_code": None}])
        def check(body: Any) -> None:
            with rolled_back():
                answer = self.post(path, self.bobs_key, body_of(body))
                if not answer["success_code"]:
                    self.assertFalse(ShipMethodMap.objects.filter(cart=self.cart).exists())

        check()
