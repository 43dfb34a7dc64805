"""/v1/openapi.json: a valid OpenAPI 3 document naming every route under /v1/ and no other,
whose response schemas real answers of each endpoint fit."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from django.test import RequestFactory
from django.urls import URLPattern, URLResolver
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_spec_validator import validate

from api import urls as api_urls
from api.keys import api_credential_issue
from api.models import ApiLevel
from inventory.models import InventoryLevel, Location
from orders.models import OrderStatus
from tests.api.merchant_base import MerchantApiMixin
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_shipment
from wms.models import WmsShipMethod

ORDER_INPUT = Path(__file__).resolve().parent.parent / "contracts/cartrover/orders/create_data.json"


def v1_routes() -> set[str]:
    """Every route under /v1/ as an OpenAPI path: <str:status> becomes {status}."""
    found: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                found.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))

    walk(api_urls.urlpatterns, "")
    return found


class OpenApiDocumentTests(BaseTestCase):
    def test_it_is_served_and_valid(self) -> None:
        response = self.client.get("/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        validate(document)  # raises on an invalid document
        OpenAPI.from_dict(document)
        self.assertEqual(document["openapi"], "3.0.3")

    def test_it_names_every_route_and_no_other(self) -> None:
        document = self.client.get("/v1/openapi.json").json()
        self.assertEqual(set(document["paths"]), v1_routes())


class OpenApiAnswersTests(MerchantApiMixin, BaseTestCase):
    """Each operation called for real; its answer validated against the document."""

    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        self.openapi = OpenAPI.from_dict(self.client.get("/v1/openapi.json").json())
        self.called: set[tuple[str, str]] = set()
        api_cart = create_cart(
            self.bobs_merchant,
            connector_key="api_access",
            prefix="AP-",
            settings={},
            credentials={},
            label="Bob's API",
        )
        self.cart_key = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.CART,
            name="cart",
            merchant=self.bobs_merchant,
            cart=api_cart,
        )
        self.order = create_order(self.cart, number=1001, status=OrderStatus.SHIPPED)
        create_shipment(self.order)
        create_order(self.cart, number=1002)
        location = Location.objects.create(
            account=self.alices_account, merchant=self.bobs_merchant, wms_location_id="E", name="E"
        )
        InventoryLevel.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            location=location,
            sku="TENT-2P-GRN",
            available=3,
            on_hand=4,
        )
        WmsShipMethod.objects.create(account=self.alices_account, code="20", carrier="UPS")

    def check(self, template: str, method: str, path: str, key=None, body=None, **query: str):  # type: ignore[no-untyped-def]
        """Call, validate the answer against the document, and return its JSON."""
        merchant_pk = self.bobs_merchant.id if key is self.warehouse_key else None
        answer = self.call(method, path, key, body=body, merchant_pk=merchant_pk, **query)
        response = self.last_response
        # The view read the body from the stream; the validator gets the same call unread.
        request = RequestFactory().generic(
            method,
            response.wsgi_request.get_full_path(),
            json.dumps(body) if body is not None else "",
            content_type="application/json",
        )
        self.openapi.validate_response(
            DjangoOpenAPIRequest(request), DjangoOpenAPIResponse(response)
        )
        self.called.add((template, method.lower()))
        return answer

    def ok(self, *args: Any, **query: str) -> Any:
        answer = self.check(*args, **query)
        assert answer["success_code"] is True, answer
        return answer

    def test_every_operation_answers_as_described(self) -> None:
        self.cart_operations()
        self.merchant_operations()
        # an error answer fits too
        self.check("/v1/merchant/orders/{cust_ref}", "GET", "/v1/merchant/orders/NOPE")
        document = self.client.get("/v1/openapi.json").json()
        described = {
            (path, method)
            for path, operations in document["paths"].items()
            for method in operations
            if path != "/v1/openapi.json"
        }
        self.assertEqual(described - self.called, set())

    def cart_operations(self) -> None:
        key = self.cart_key
        data = json.loads(ORDER_INPUT.read_text())
        created = self.ok(
            "/v1/cart/orders/cartrover", "POST", "/v1/cart/orders/cartrover", key, data
        )
        ref = created["cust_ref"]
        batch = copy.deepcopy(data)
        batch["cust_ref"] = "TEST03"
        self.ok("/v1/cart/orders/batch", "POST", "/v1/cart/orders/batch", key, [batch])
        self.ok("/v1/cart/orders/{reference}", "GET", f"/v1/cart/orders/{ref}", key)
        self.ok("/v1/cart/orders/status/{reference}", "GET", f"/v1/cart/orders/status/{ref}", key)
        self.ok("/v1/cart/orders/list/{status}", "GET", "/v1/cart/orders/list/any", key)
        self.check(
            "/v1/cart/orders/wms_cancel/{reference}",
            "GET",
            f"/v1/cart/orders/wms_cancel/{ref}",
            key,
        )
        self.check(
            "/v1/cart/orders/cancel/cartrover",
            "POST",
            "/v1/cart/orders/cancel/cartrover",
            key,
            {"cust_ref": ref},
        )
        self.check(
            "/v1/cart/orders/update/{reference}",
            "POST",
            f"/v1/cart/orders/update/{ref}",
            key,
            {"order_status": "confirmed", "shipments": [{"tracking_no": "1Z"}]},
        )

    def merchant_operations(self) -> None:
        ref = self.order.cust_ref
        for key in (self.bobs_key, self.warehouse_key):
            self.ok("/v1/merchant/orders/list/{status}", "GET", "/v1/merchant/orders/list/any", key)
            self.ok("/v1/merchant/orders/{cust_ref}", "GET", f"/v1/merchant/orders/{ref}", key)
        self.ok("/v1/merchant/orders/status/{cust_ref}", "GET", f"/v1/merchant/orders/status/{ref}")
        self.ok(
            "/v1/merchant/orders/received",
            "POST",
            "/v1/merchant/orders/received",
            None,
            {"cust_refs": ["BB-1002", "NOPE"]},
        )
        shipment = {"tracking_no": "1Z9", "items": [{"item": "TENT-2P-GRN", "quantity": 1}]}
        self.ok(
            "/v1/merchant/orders/shipments/{cust_ref}",
            "POST",
            "/v1/merchant/orders/shipments/BB-1002",
            None,
            {"shipments": [shipment]},
        )
        self.ok("/v1/merchant/inventory", "GET", "/v1/merchant/inventory")
        self.ok(
            "/v1/merchant/inventory",
            "POST",
            "/v1/merchant/inventory",
            None,
            {"warehouses": {"W": [{"sku": "LAMP", "qty_available": 1}]}},
        )
        self.ok("/v1/merchant/inventory/{sku}", "GET", "/v1/merchant/inventory/LAMP")
        self.ok("/v1/merchant/product/{sku}", "GET", "/v1/merchant/product/TENT-2P-GRN")
        self.ok("/v1/wms/shipmethod/list", "GET", "/v1/wms/shipmethod/list")
        self.ok("/v1/wms/merchant/list", "GET", "/v1/wms/merchant/list", self.warehouse_key)
        self.ok("/v1/cart/list", "GET", "/v1/cart/list")
        source = self.cart.order_source
        self.ok(
            "/v1/cart/shipmethod/{order_source}",
            "POST",
            f"/v1/cart/shipmethod/{source}",
            None,
            [{"cart_code": "standard", "wms_code": "20"}],
        )
        self.ok(
            "/v1/cart/shipmethod/list/{order_source}", "GET", f"/v1/cart/shipmethod/list/{source}"
        )
