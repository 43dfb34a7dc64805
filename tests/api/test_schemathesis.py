"""Schemathesis against /v1/openapi.json, the app served in process: whatever a client sends
that the document allows (and some it does not), no answer is a 5xx and every answer fits it."""

from __future__ import annotations

import re

import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.keys import IssuedKey, api_access_cart_create
from inventory.models import InventoryLevel, Location
from orders.models import OrderStatus
from tests.api.merchant_base import MerchantApiMixin, authorization
from tests.base import BaseTestCase
from tests.objects import create_order, create_shipment
from wms.models import WmsShipMethod

# A few examples per operation and mode, no shrinking, the same examples on every run: the
# whole test stays well under a minute; a failure names its operation and the call to repeat.
# Each operation runs once more with its path naming rows that exist.
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
EXAMPLES = {POSITIVE: 6, NEGATIVE: 3}
BOUNDED = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    # The example counts bound the run; slow calls and rejected draws are expected here.
    suppress_health_check=list(HealthCheck),
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Cart-level paths take only the cart's pair; the stock reads take both; the WMS lists also
# the account's warehouse pair (acting for bob's merchant).
CART_ONLY = "/v1/cart/orders/"
BOTH_KEYS = ("/v1/merchant/inventory", "/v1/merchant/product/")
WAREHOUSE_TOO = "/v1/wms/"  # the merchant list answers a warehouse key only


class SchemathesisTests(MerchantApiMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_keys()
        self.api_cart, self.cart_key = api_access_cart_create(merchant=self.bobs_merchant)
        # Rows for the lists and lookups to answer with, so real objects meet the schema.
        create_shipment(create_order(self.cart, number=1001, status=OrderStatus.SHIPPED))
        self.new_order = create_order(self.cart, number=1002)
        self.api_cart_order = create_order(self.api_cart, number=2001, status=OrderStatus.AT_WMS)
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
        # Django's test client keeps the test's connection open across requests; the bare WSGI
        # handler would close it (it is inside the test's transaction) after each answer.
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
            self.addCleanup(signal.connect, close_old_connections)
        self.schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", WSGIHandler())

    def keys_for(self, operation: APIOperation) -> list[IssuedKey]:
        if operation.path.startswith(CART_ONLY):
            return [self.cart_key]
        if operation.path.startswith(WAREHOUSE_TOO):
            return [self.bobs_key, self.warehouse_key]
        if operation.method.upper() == "GET" and operation.path.startswith(BOTH_KEYS):
            return [self.cart_key, self.bobs_key]
        return [self.bobs_key]

    def known_rows(self, operation: APIOperation) -> dict[str, str]:
        """Path parameters naming rows that exist, so the calls reach past the lookup."""
        rows = {
            "reference": self.api_cart_order.cust_ref,
            "cust_ref": self.new_order.cust_ref,
            "sku": "TENT-2P-GRN",
            "order_source": self.cart.order_source,
        }
        names = re.findall(r"\{(\w+)\}", operation.path)
        return {name: rows[name] for name in names if name in rows}

    def test_every_answer_fits_the_document_and_none_is_a_server_error(self) -> None:
        self.maxDiff = None  # a failure's text is the report: show all of it
        failures: list[str] = []
        fuzzed: set[str] = set()
        for result in self.schema.get_all_operations():
            operation = result.ok()
            known = self.known_rows(operation)
            for key in self.keys_for(operation):
                for mode, examples in EXAMPLES.items():
                    failures += self.fuzz(operation, key, mode, examples)
                if known:
                    failures += self.fuzz(operation, key, POSITIVE, EXAMPLES[POSITIVE], known)
            fuzzed.add(operation.label)
        self.assertEqual(failures, [])
        document = self.client.get("/v1/openapi.json").json()
        described = {
            f"{method.upper()} {path}"
            for path, operations in document["paths"].items()
            for method in operations
        }
        # Loaded from /v1/openapi.json, schemathesis leaves that path out of what it calls
        # (tests/api/test_openapi.py checks the document itself).
        self.assertEqual(fuzzed, described - {"GET /v1/openapi.json"})

    def fuzz(
        self,
        operation: APIOperation,
        key: IssuedKey,
        mode: GenerationMode,
        examples: int,
        path_parameters: dict[str, str] | None = None,
    ) -> list[str]:
        """Run the examples; the failures found, each with the call that reproduces it."""
        headers = {"Authorization": authorization(key)}
        if key is self.warehouse_key:  # else it acts for no merchant, and says so
            headers["X-Merchant-Pk"] = str(self.bobs_merchant.id)
        strategy = operation.as_strategy(mode, headers=headers, path_parameters=path_parameters)

        @settings(BOUNDED, max_examples=examples)
        @given(case=strategy)
        def run(case: schemathesis.Case) -> None:
            cache.clear()  # the rate limit's buckets: hundreds of calls, one key
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except FailureGroup as group:
            rows = " on known rows" if path_parameters else ""
            return [f"{operation.label} {key.credential.level} {mode}{rows}: {group}"]
        return []


class ApiTextTests(MerchantApiMixin, BaseTestCase):
    """What the run found: texts PostgreSQL cannot store were server errors; now each is an
    Invalid answer that says what to remove."""

    def setUp(self) -> None:
        super().setUp()
        self.create_keys()

    def test_it_refuses_a_nul_in_the_body(self) -> None:
        answer = self.call("POST", "/v1/merchant/orders/received", body={"cust_refs": ["A\x00"]})
        self.assert_invalid(answer, containing="NUL character")

    def test_it_refuses_half_a_surrogate_pair_in_the_body(self) -> None:
        answer = self.call("POST", "/v1/merchant/orders/received", body={"cust_refs": ["\ud800"]})
        self.assert_invalid(answer, containing="unpaired surrogate")

    def test_it_refuses_a_nul_in_the_path_or_the_query(self) -> None:
        self.assert_invalid(self.call("GET", "/v1/merchant/orders/BB-%00"), containing="URL")
        answer = self.call("GET", "/v1/merchant/orders/list/any", order_source="\x00")
        self.assert_invalid(answer, containing="NUL character")

    def test_it_refuses_a_body_nested_too_deep(self) -> None:
        response = self.client.post(
            "/v1/merchant/orders/received",
            "[" * 100_000 + "]" * 100_000,
            content_type="application/json",
            headers={"Authorization": authorization(self.bobs_key)},
        )
        self.assertEqual(response.status_code, 200)
        self.assert_invalid(response.json(), containing="nests too deep")
