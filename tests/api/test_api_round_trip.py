"""The whole trip through the API with a real worker: a cart's system posts an order, the
warehouse's system (a merchant key, the account's WMS set to "API access") lists it, takes it
and posts its shipment; the cart's system reads the tracking back and confirms it."""

from __future__ import annotations

from typing import Any

from api.keys import IssuedKey, api_access_cart_create, api_credential_issue
from api.models import ApiLevel
from jobs.models import JobRun
from orders.jobs import ORDER_DELIVERY, SHIPMENT_UPLOAD
from orders.models import Order, OrderStatus, Shipment
from tests.api.merchant_base import MerchantApiMixin
from tests.workers import WorkerTestCase, wait_for
from wms import services as wms_services
from wms.connectors.api_access import API_ACCESS_KEY

ORDER = {
    "cust_ref": "WEB-7001",
    "cust_first_name": "Maria",
    "cust_last_name": "Garcia",
    "ship_first_name": "Maria",
    "ship_last_name": "Garcia",
    "ship_address_1": "1200 Market St",
    "ship_city": "Philadelphia",
    "ship_state": "PA",
    "ship_zip": "19107",
    "ship_country": "US",
    "ship_is_billing": True,
    "ship_code": "standard",
    "items": [
        {"item": "TENT-2P-GRN", "quantity": 2, "price": "189.00"},
        {"item": "LAMP-HEAD", "quantity": 1, "price": 24.5},
    ],
}
TRACKING = "1Z999AA10123456784"


class ApiRoundTripTests(MerchantApiMixin, WorkerTestCase):
    def setUp(self) -> None:
        super().setUp()
        wms_services.wms_save(
            account=self.alices_account,
            connector_key=API_ACCESS_KEY,
            label="Warehouse system",
            settings={},
            credentials={},
        )
        self.api_cart, self.cart_key = api_access_cart_create(merchant=self.bobs_merchant)
        self.warehouse_system = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Bob's warehouse system",
            merchant=self.bobs_merchant,
        )
        self.other_key = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="Other's ERP",
            merchant=self.other_merchant,
        )

    def ok(self, method: str, path: str, key: IssuedKey, body: Any = None, **query: str) -> Any:
        answer = self.call(method, path, key, body=body, **query)
        self.assertIs(answer["success_code"], True, answer)
        self.assertTrue(self.last_response["X-CartRover-Process-ID"])
        return answer

    def test_an_order_goes_from_cart_to_warehouse_and_its_tracking_back(self) -> None:
        created = self.ok("POST", "/v1/cart/orders/cartrover", self.cart_key, ORDER)
        ref = created["cust_ref"]
        self.assertEqual(ref, f"{self.api_cart.reference_prefix}WEB-7001")
        self.assertEqual(set(created), {"success_code", "cust_ref", "order_number"})
        # Storing the order triggers the merchant's delivery (Automatic), which leaves it
        # in the hub for the warehouse's system to take.
        wait_for(
            lambda: JobRun.objects.filter(
                service=ORDER_DELIVERY, status=JobRun.Status.SUCCESS
            ).exists(),
            what="the Automatic delivery run",
        )
        self.assertIn(
            "ready for the warehouse's system", JobRun.objects.get(service=ORDER_DELIVERY).message
        )
        self.assertEqual(Order.objects.get(cust_ref=ref).status, OrderStatus.NEW)

        listed = self.warehouse_takes(ref)
        self.warehouse_ships(ref, listed)
        self.cart_reads_and_confirms(ref)

        self.assertFalse(JobRun.objects.filter(status=JobRun.Status.FAILED).exists())

    def warehouse_takes(self, ref: str) -> dict[str, Any]:
        key = self.warehouse_system
        listed = self.ok("GET", "/v1/merchant/orders/list/new", key)["response"]
        self.assertEqual([order["cust_ref"] for order in listed], [ref])
        order = listed[0]
        self.assertEqual(order["order_status"], "new")
        self.assertEqual(order["order_source"], self.api_cart.order_source)
        self.assertEqual(
            [(item["item"], item["quantity"]) for item in order["items"]],
            [("TENT-2P-GRN", "2"), ("LAMP-HEAD", "1")],
        )
        # Another merchant's key sees none of it.
        self.assertEqual(
            self.ok("GET", "/v1/merchant/orders/list/any", self.other_key),
            {
                "success_code": True,
                "response": [],
            },
        )
        self.assert_invalid(self.call("GET", f"/v1/merchant/orders/status/{ref}", self.other_key))

        received = self.ok("POST", "/v1/merchant/orders/received", key, {"cust_refs": [ref]})
        self.assertEqual(received["response"], {"received": [ref], "failed": []})
        self.assertEqual(Order.objects.get(cust_ref=ref).status, OrderStatus.AT_WMS)
        self.assertEqual(self.ok("GET", "/v1/merchant/orders/list/new", key)["response"], [])
        again = self.ok("POST", "/v1/merchant/orders/received", key, {"cust_refs": [ref]})
        self.assertEqual(again["response"]["received"], [])
        self.assertEqual([row["cust_ref"] for row in again["response"]["failed"]], [ref])
        return order

    def warehouse_ships(self, ref: str, order: dict[str, Any]) -> None:
        shipment = {
            "carrier": "UPS",
            "method": "Ground",
            "tracking_no": TRACKING,
            "cost": "12.50",
            "items": [
                {"item": item["item"], "quantity": item["quantity"]} for item in order["items"]
            ],
        }
        path = f"/v1/merchant/orders/shipments/{ref}"
        shipped = self.ok("POST", path, self.warehouse_system, {"shipments": [shipment]})
        self.assertEqual(
            shipped["response"],
            {
                "cust_ref": ref,
                "order_status": "shipped",
                "partially_shipped": "N",
                "shipments_stored": "1",
            },
        )
        # The shipment triggers the cart's upload (Automatic); an API-access cart's client
        # fetches it, so the run leaves it there.
        wait_for(
            lambda: JobRun.objects.filter(
                cart=self.api_cart, service=SHIPMENT_UPLOAD, finished_at__isnull=False
            ).exists(),
            what="the cart's shipment upload run",
        )
        upload = JobRun.objects.get(cart=self.api_cart, service=SHIPMENT_UPLOAD)
        self.assertIn("left for the client", upload.message)
        self.assertEqual(Shipment.objects.get(order__cust_ref=ref).tracking_number, TRACKING)

    def cart_reads_and_confirms(self, ref: str) -> None:
        status = self.ok("GET", f"/v1/cart/orders/status/{ref}", self.cart_key)["response"]
        self.assertEqual(status["order_status"], "shipped")
        [shipment] = status["shipments"]
        self.assertEqual(
            (shipment["carrier"], shipment["method"], shipment["tracking_no"]),
            ("UPS", "Ground", TRACKING),
        )
        self.assertEqual(
            sorted((item["item"], item["quantity"]) for item in shipment["items"]),
            [("LAMP-HEAD", "1"), ("TENT-2P-GRN", "2")],
        )

        confirmed = self.ok(
            "POST",
            f"/v1/cart/orders/update/{ref}",
            self.cart_key,
            {"order_status": "confirmed", "shipments": [{"tracking_no": TRACKING}]},
        )
        self.assertEqual(confirmed, {"success_code": True})
        self.assertEqual(Order.objects.get(cust_ref=ref).status, OrderStatus.CONFIRMED)
        status = self.ok("GET", f"/v1/cart/orders/status/{ref}", self.cart_key)["response"]
        self.assertEqual(status["order_status"], "confirmed")
        seen = self.ok("GET", f"/v1/merchant/orders/status/{ref}", self.warehouse_system)
        self.assertEqual(seen["response"]["order_status"], "confirmed")
