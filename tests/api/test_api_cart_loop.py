"""An "API access" cart on real parts: posted orders reach the sandbox WMS; tracking comes back."""

from __future__ import annotations

import json

from api.keys import api_credential_issue
from api.models import ApiLevel
from jobs.models import JobRun
from orders.jobs import SHIPMENT_UPLOAD
from orders.models import Order, OrderStatus, Shipment
from tests.api.calls import basic
from tests.objects import create_cart, create_wms
from tests.workers import WorkerTestCase, wait_for
from wms.models import SandboxWmsOrder

ORDER = {
    "cust_ref": "WEB-5001",
    "cust_po_no": "WEB-5001-FULL",
    "ship_first_name": "Maria",
    "ship_last_name": "Garcia",
    "ship_address_1": "1200 Market St",
    "ship_city": "Philadelphia",
    "ship_state": "PA",
    "ship_zip": "19107",
    "ship_country": "US",
    "ship_is_billing": True,
    "ship_code": "standard",
    "items": [{"item": "TENT-2P-GRN", "quantity": 1, "price": "189.00"}],
}


class ApiCartLoopTests(WorkerTestCase):
    def test_a_posted_order_ships_and_its_tracking_is_read_back(self) -> None:
        create_wms(self.alices_account, ship_delay_seconds=0)
        cart = create_cart(
            self.bobs_merchant,
            connector_key="api_access",
            prefix="API-",
            settings={},
            credentials={},
            label="Bob's ERP",
        )
        key = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.CART,
            name="Bob's ERP",
            merchant=self.bobs_merchant,
            cart=cart,
        )
        headers = {"Authorization": basic(key.credential.api_user, key.api_key)}

        created = self.client.post(
            "/v1/cart/orders/cartrover",
            data=json.dumps(ORDER),
            content_type="application/json",
            headers=headers,
        ).json()
        self.assertEqual(created["cust_ref"], "API-WEB-5001")
        # Storing the order triggers the merchant's delivery (Automatic): no tick, no run_now.
        wait_for(
            lambda: Order.objects.filter(cart=cart, delivered_at__isnull=False).exists(),
            what="the posted order to reach the WMS",
        )
        self.assertEqual(SandboxWmsOrder.objects.count(), 1)

        # The delivery makes ship confirm look at once (no run now).
        wait_for(
            lambda: Order.objects.filter(cart=cart, status=OrderStatus.SHIPPED).exists(),
            what="the sandbox WMS to ship it",
        )
        # The shipment upload triggered by the shipment leaves it for the client.
        wait_for(
            lambda: JobRun.objects.filter(
                cart=cart, service=SHIPMENT_UPLOAD, finished_at__isnull=False
            ).exists(),
            what="the cart's shipment upload run",
        )
        upload = JobRun.objects.get(cart=cart, service=SHIPMENT_UPLOAD)
        self.assertIn("left for the client", upload.message)
        tracking = Shipment.objects.get(order__cart=cart).tracking_number
        self.assertTrue(tracking)

        status = self.client.get("/v1/cart/orders/status/WEB-5001", headers=headers).json()
        self.assertEqual(status["response"]["order_status"], "shipped")
        self.assertEqual(status["response"]["shipments"][0]["tracking_no"], tracking)

        confirmed = self.client.post(
            "/v1/cart/orders/update/API-WEB-5001",
            data=json.dumps(
                {"order_status": "confirmed", "shipments": [{"tracking_no": tracking}]}
            ),
            content_type="application/json",
            headers=headers,
        ).json()
        self.assertEqual(confirmed, {"success_code": True})
        self.assertEqual(Order.objects.get(cart=cart).status, OrderStatus.CONFIRMED)
        self.assertFalse(JobRun.objects.filter(status=JobRun.Status.FAILED).exists())
