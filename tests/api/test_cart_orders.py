"""The cart-level order endpoints: create, batch, view, status, list, cancel, confirm."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.urls import reverse

from api.keys import IssuedKey, api_credential_issue
from api.models import ApiLevel
from carts.models import CartConnection
from jobs.models import JobRun
from orders.jobs import ORDER_DOWNLOAD, SHIPMENT_UPLOAD
from orders.models import Order, OrderEvent, OrderStatus, Shipment
from orders.services.download import orders_download
from orders.services.shipment_upload import shipments_upload
from tests.api.calls import basic
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_shipment, create_wms, recorder

FIXTURES = Path(__file__).resolve().parent.parent / "contracts" / "cartrover" / "orders"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def order_input(reference: str = "TEST02", **fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(fixture("create_data.json"))
    data["cust_ref"] = reference
    data.update(fields)
    return data


def create_api_cart(merchant, *, prefix: str):  # type: ignore[no-untyped-def]
    return create_cart(
        merchant,
        connector_key="api_access",
        prefix=prefix,
        settings={},
        credentials={},
        label=f"{merchant.name} API",
    )


class CartApiTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_api_cart(self.bobs_merchant, prefix="BB-")
        self.key = self.issue(self.cart)

    def issue(self, cart) -> IssuedKey:  # type: ignore[no-untyped-def]
        return api_credential_issue(
            account=cart.account,
            level=ApiLevel.CART,
            name=cart.label,
            merchant=cart.merchant,
            cart=cart,
            user=self.alice,
        )

    def post(self, path: str, body: Any, key: IssuedKey | None = None) -> dict[str, Any]:
        key = key or self.key
        raw = body if isinstance(body, str) else json.dumps(body)
        response = self.client.post(
            path,
            data=raw,
            content_type="application/json",
            headers={"Authorization": basic(key.credential.api_user, key.api_key)},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def get(self, path: str, key: IssuedKey | None = None) -> dict[str, Any]:
        key = key or self.key
        response = self.client.get(
            path, headers={"Authorization": basic(key.credential.api_user, key.api_key)}
        )
        self.assertEqual(response.status_code, 200)
        self.last_response = response
        return response.json()

    def assert_error(self, body: dict[str, Any], code: str, *words: str) -> None:
        self.assertIs(body["success_code"], False, body)
        self.assertEqual(body["error_code"], code)
        for word in words:
            self.assertIn(word, body["message"])


class OrderCreateTests(CartApiTestCase):
    def test_it_stores_the_fixture_order_once_with_the_hub_reference(self) -> None:
        body = self.post("/v1/cart/orders/cartrover", order_input())
        self.assertEqual(
            body, {"success_code": True, "cust_ref": "BB-TEST02", "order_number": "TEST02"}
        )
        order = Order.objects.get(cart=self.cart)
        self.assertEqual(order.source_order_id, "TEST02")
        self.assertEqual(order.status, OrderStatus.NEW)
        self.assertEqual(order.ship_to["city"], "Santa Barbara")
        self.assertEqual(order.bill_to["company"], "Will Town")  # ship_is_billing
        self.assertEqual(order.sales_tax, Decimal("1"))  # sent as "tax"
        self.assertEqual(order.grand_total, Decimal("15"))
        self.assertEqual(
            [(line.sku, line.quantity, line.price) for line in order.lines.all()],
            [("C100", Decimal("2"), Decimal("4.4")), ("C300", Decimal("1"), Decimal("5.00"))],
        )
        self.assertEqual(order.raw["extra_fields"]["Another Field"], "Another Value")
        self.assertEqual(order.events.get().to_status, OrderStatus.NEW)
        run = JobRun.objects.get(cart=self.cart)
        self.assertEqual((run.trigger, run.status), (JobRun.Trigger.WEBHOOK, JobRun.Status.SUCCESS))

    def test_it_takes_an_array_of_one(self) -> None:
        body = self.post("/v1/cart/orders/cartrover", [order_input("ONE")])
        self.assertEqual(body["cust_ref"], "BB-ONE")

    def test_it_refuses_a_duplicate_without_changing_the_order(self) -> None:
        self.post("/v1/cart/orders/cartrover", order_input())
        later = order_input(order_date="2099-01-01", ship_city="Elsewhere")
        body = self.post("/v1/cart/orders/cartrover", later)
        self.assert_error(body, "Failure", "Order TEST02 already exists")
        order = Order.objects.get(cart=self.cart)
        self.assertEqual(order.ship_to["city"], "Santa Barbara")
        self.assertEqual(order.events.count(), 1)

    def test_it_names_every_missing_field(self) -> None:
        data = order_input()
        for key in ("cust_ref", "ship_city", "ship_company"):
            del data[key]
        data["items"][1].pop("quantity")
        body = self.post("/v1/cart/orders/cartrover", data)
        self.assert_error(
            body,
            "Invalid",
            "Order missing required field(s): cust_ref",
            "ship_city",
            "cust_company",
            "items[1].quantity",
        )
        self.assertFalse(Order.objects.exists())

    def test_it_names_a_wrong_type_and_its_value(self) -> None:
        data = order_input(grand_total="lots")
        data["items"][0]["quantity"] = "two"
        body = self.post("/v1/cart/orders/cartrover", data)
        self.assert_error(body, "Invalid", "grand_total ('lots')", "items[0].quantity ('two')")
        self.assertFalse(Order.objects.exists())

    def test_it_refuses_malformed_json(self) -> None:
        body = self.post("/v1/cart/orders/cartrover", '{"cust_ref": "X",')
        self.assert_error(body, "Invalid", "not valid JSON")

    def test_it_refuses_a_merchant_key(self) -> None:
        merchant_key = api_credential_issue(
            account=self.alices_account,
            level=ApiLevel.MERCHANT,
            name="ERP",
            merchant=self.bobs_merchant,
        )
        body = self.post("/v1/cart/orders/cartrover", order_input(), key=merchant_key)
        self.assert_error(body, "Invalid", "cart")
        self.assertFalse(Order.objects.exists())

    def test_two_carts_may_use_the_same_client_reference(self) -> None:
        other_cart = create_api_cart(self.other_merchant, prefix="OO-")
        self.post("/v1/cart/orders/cartrover", order_input())
        body = self.post("/v1/cart/orders/cartrover", order_input(), key=self.issue(other_cart))
        self.assertEqual(body["cust_ref"], "OO-TEST02")
        self.assertEqual(Order.objects.get(cart=other_cart).merchant, self.other_merchant)

    def test_it_says_why_the_carts_rules_kept_an_order_out(self) -> None:
        CartConnection.objects.filter(id=self.cart.id).update(earliest_order_date="2026-01-01")
        body = self.post("/v1/cart/orders/cartrover", order_input(order_date="2020-05-01"))
        self.assert_error(body, "Failure", "not loaded")
        self.assertFalse(Order.objects.exists())
        self.assertEqual(self.cart.skipped_orders.get().source_order_id, "TEST02")

    def test_a_switched_off_cart_takes_no_orders(self) -> None:
        CartConnection.objects.filter(id=self.cart.id).update(enabled=False)
        for path, body in [
            ("/v1/cart/orders/cartrover", order_input()),
            ("/v1/cart/orders/batch", [order_input()]),
        ]:
            self.assert_error(self.post(path, body), "Failure", "switched off")
        self.assertFalse(Order.objects.exists())

    def test_it_takes_the_legacy_query_parameters(self) -> None:
        credential = self.key.credential
        response = self.client.post(
            f"/v1/cart/orders/cartrover?api_user={credential.api_user}&api_key={self.key.api_key}",
            data=json.dumps([order_input("PHP1")]),
            content_type="application/json",
        )
        self.assertEqual(response.json()["cust_ref"], "BB-PHP1")


class OrderBatchTests(CartApiTestCase):
    def test_it_answers_each_order_by_position(self) -> None:
        self.post("/v1/cart/orders/cartrover", order_input("TEST03"))
        missing = order_input("X")
        del missing["cust_ref"]
        body = self.post(
            "/v1/cart/orders/batch", [order_input("TEST02"), order_input("TEST03"), missing]
        )
        self.assertIs(body["success_code"], True)
        self.assertEqual(
            body["response"]["success"], [{"cust_ref": "BB-TEST02", "cust_po_no": "TEST02"}]
        )
        duplicate, refused = body["response"]["failed"]
        self.assertEqual(
            duplicate, {"cust_ref": "TEST03", "cust_po_no": None, "message": "OrderDuplicate"}
        )
        self.assertEqual(refused["index_pos"], 2)
        self.assertEqual(refused["message"], "Order missing required field(s): cust_ref")
        self.assertEqual(Order.objects.filter(cart=self.cart).count(), 2)

    def test_it_refuses_a_body_that_is_not_an_array(self) -> None:
        body = self.post("/v1/cart/orders/batch", order_input())
        self.assert_error(body, "Invalid", "array")


class OrderReadTests(CartApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.order = create_order(self.cart, number=7001, status=OrderStatus.SHIPPED)
        create_shipment(self.order, tracking="TRACK-1")
        self.other_cart = create_api_cart(self.other_merchant, prefix="OO-")
        self.other_key = self.issue(self.other_cart)

    def test_it_shows_an_order_by_either_reference(self) -> None:
        for reference in ("BB-7001", "7001"):
            body = self.get(f"/v1/cart/orders/{reference}")
            self.assertEqual(body["response"]["cust_ref"], "BB-7001")
            self.assertEqual(body["response"]["order_status"], "shipped")
            self.assertEqual(body["response"]["items"][0]["item"], "TENT-2P-GRN")
            self.assertEqual(body["response"]["shipments"][0]["tracking_no"], "TRACK-1")

    def test_it_shows_the_status_with_tracking(self) -> None:
        body = self.get("/v1/cart/orders/status/BB-7001")["response"]
        self.assertEqual(body["order_status"], "shipped")
        self.assertEqual(body["shipments"][0]["carrier"], "UPS")
        self.assertEqual(body["shipments"][0]["date"], "2026-11-21T09:00:00+00:00")

    def test_another_carts_key_finds_nothing(self) -> None:
        for path in ("/v1/cart/orders/BB-7001", "/v1/cart/orders/status/7001"):
            self.assert_error(self.get(path, key=self.other_key), "Invalid", "not found")
        self.assertEqual(self.get("/v1/cart/orders/list/any", key=self.other_key)["response"], [])

    def test_another_accounts_key_finds_nothing(self) -> None:
        charlies_cart = create_api_cart(self.charlies_merchant, prefix="CC-")
        key = self.issue(charlies_cart)
        self.assert_error(self.get("/v1/cart/orders/BB-7001", key=key), "Invalid", "not found")

    def test_it_lists_by_status_with_pages(self) -> None:
        for number in range(7002, 7007):
            create_order(self.cart, number=number)
        create_order(self.other_cart, number=9000)
        body = self.get("/v1/cart/orders/list/new?limit=2&page=3")
        self.assertEqual([order["cust_ref"] for order in body["response"]], ["BB-7006"])
        self.assertEqual(self.last_response["total-records"], "5")
        shipped = self.get("/v1/cart/orders/list/shipped_or_confirmed")["response"]
        self.assertEqual([order["cust_ref"] for order in shipped], ["BB-7001"])
        self.assertEqual(len(self.get("/v1/cart/orders/list/any?limit=500")["response"]), 6)

    def test_it_filters_on_the_status_date(self) -> None:
        Order.objects.filter(id=self.order.id).update(shipped_at="2026-11-21T09:00:00+00:00")
        inside = self.get("/v1/cart/orders/list/shipped?from_date=2026-11-21&to_date=2026-11-21")
        self.assertEqual(len(inside["response"]), 1)
        after = self.get("/v1/cart/orders/list/shipped?from_date=2026-11-22")
        self.assertEqual(after["response"], [])

    def test_it_refuses_an_unknown_status_and_a_bad_date(self) -> None:
        self.assert_error(self.get("/v1/cart/orders/list/lost"), "Invalid", "partial")
        self.assert_error(
            self.get("/v1/cart/orders/list/new?from_date=yesterday"), "Invalid", "from_date"
        )

    def test_it_hides_filtered_items_unless_asked(self) -> None:
        self.order.lines.update(filtered=True)
        self.assertEqual(self.get("/v1/cart/orders/BB-7001")["response"]["items"], [])
        asked = self.get("/v1/cart/orders/BB-7001?include_filtered_items=Y")["response"]
        self.assertEqual(asked["items"][0]["filtered_sku"], "Y")

    def test_it_shows_the_wms_sku_only_when_aliases_are_asked(self) -> None:
        self.order.lines.update(wms_sku="TENT-2P-GREEN-WMS")
        plain = self.get("/v1/cart/orders/BB-7001")["response"]["items"][0]
        self.assertIsNone(plain["alt_sku"])
        asked = self.get("/v1/cart/orders/BB-7001?include_aliases=Y")["response"]["items"][0]
        self.assertEqual((asked["item"], asked["alt_sku"]), ("TENT-2P-GRN", "TENT-2P-GREEN-WMS"))

    def test_it_shows_extras_when_asked(self) -> None:
        self.post("/v1/cart/orders/cartrover", order_input())
        plain = self.get("/v1/cart/orders/TEST02")["response"]
        self.assertNotIn("extra_fields", plain)
        body = self.get("/v1/cart/orders/TEST02?include_order_extras=Y&include_line_extras=Y")[
            "response"
        ]
        self.assertEqual(body["extra_fields"]["some_custom_field"], "some_value")
        self.assertEqual(body["items"][0]["extra_fields"], {})
        self.assertEqual(body["items"][1]["extra_fields"]["Another Field"], "Another Value")


class OrderCancelTests(CartApiTestCase):
    def test_it_stops_sending_a_new_order(self) -> None:
        self.post("/v1/cart/orders/cartrover", order_input())
        body = self.post("/v1/cart/orders/cancel/cartrover", {"cust_ref": "TEST02"})
        self.assertIs(body["success_code"], True)
        order = Order.objects.get(cart=self.cart)
        self.assertTrue(order.sending_canceled)
        self.assertIn("Cancel sending", order.events.last().message)

    def test_it_refuses_a_cancel_after_delivery(self) -> None:
        order = create_order(self.cart, number=8001, status=OrderStatus.SHIPPED)
        body = self.post("/v1/cart/orders/cancel/cartrover", {"cust_ref": "BB-8001"})
        self.assert_error(body, "Failure", "wms_cancel")
        order.refresh_from_db()
        self.assertFalse(order.sending_canceled)

    def test_wms_cancel_of_an_unsent_order_stops_sending(self) -> None:
        order = create_order(self.cart, number=8002)
        body = self.get("/v1/cart/orders/wms_cancel/BB-8002")
        self.assertEqual(body["response"]["success"], True)
        order.refresh_from_db()
        self.assertTrue(order.sending_canceled)

    def test_wms_cancel_of_an_order_at_the_wms_is_refused_without_a_cancelling_wms(self) -> None:
        create_order(self.cart, number=8003, status=OrderStatus.AT_WMS)
        body = self.get("/v1/cart/orders/wms_cancel/BB-8003")
        self.assert_error(body, "Failure", "WMS")
        self.assertIsNone(Order.objects.get(cust_ref="BB-8003").wms_cancel_requested_at)

    def test_wms_cancel_of_an_order_at_the_wms_asks_the_wms(self) -> None:
        create_wms(self.alices_account)
        create_order(self.cart, number=8005, status=OrderStatus.AT_WMS)
        body = self.get("/v1/cart/orders/wms_cancel/8005")
        self.assertEqual(body["response"], {"success": True, "message": ""})
        order = Order.objects.get(cust_ref="BB-8005")
        self.assertIsNotNone(order.wms_cancel_requested_at)
        # Asked by the API client, named by its API user, never its key.
        event = order.events.last()
        self.assertIn(f"asked by API user {self.key.credential.api_user}", event.message)
        self.assertIsNone(event.user)

    def test_another_carts_key_cannot_cancel(self) -> None:
        order = create_order(self.cart, number=8004)
        other_key = self.issue(create_api_cart(self.other_merchant, prefix="OO-"))
        body = self.post("/v1/cart/orders/cancel/cartrover", {"cust_ref": "BB-8004"}, key=other_key)
        self.assert_error(body, "Invalid", "not found")
        order.refresh_from_db()
        self.assertFalse(order.sending_canceled)


class OrderUpdateTests(CartApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.order = create_order(self.cart, number=7001, status=OrderStatus.SHIPPED)
        create_shipment(self.order, ref="S-1", tracking="ABC123456")
        create_shipment(self.order, ref="S-2", tracking="XYZ789012")

    def test_it_confirms_the_fixture_tracking(self) -> None:
        body = self.post(
            "/v1/cart/orders/update/BB-7001", fixture("update_status_confirmed_data.json")
        )
        self.assertEqual(body, {"success_code": True})
        self.order.refresh_from_db()
        self.assertEqual(self.order.status, OrderStatus.CONFIRMED)
        self.assertFalse(Shipment.objects.filter(order=self.order, uploaded_at=None).exists())
        event = OrderEvent.objects.filter(order=self.order).last()
        self.assertEqual((event.from_status, event.to_status), ("shipped", "confirmed"))

    def test_one_of_two_shipments_leaves_the_order_shipped(self) -> None:
        body = self.post(
            "/v1/cart/orders/update/7001",
            {"order_status": "confirmed", "shipments": [{"tracking_no": "ABC123456"}]},
        )
        self.assertIs(body["success_code"], True)
        self.order.refresh_from_db()
        self.assertEqual(self.order.status, OrderStatus.SHIPPED)
        self.assertEqual(Shipment.objects.filter(order=self.order, uploaded_at=None).count(), 1)

    def test_it_refuses_unknown_tracking_and_other_statuses(self) -> None:
        body = self.post(
            "/v1/cart/orders/update/BB-7001",
            {"order_status": "confirmed", "shipments": [{"tracking_no": "NOPE"}]},
        )
        self.assert_error(body, "Failure", "NOPE")
        body = self.post("/v1/cart/orders/update/BB-7001", {"order_status": "canceled"})
        self.assert_error(body, "Invalid", "'canceled'")
        body = self.post(
            "/v1/cart/orders/update/BB-7001", {"order_status": "confirmed", "shipments": [{}]}
        )
        self.assert_error(body, "Invalid", "shipments[0].tracking_no")
        self.order.refresh_from_db()
        self.assertEqual(self.order.status, OrderStatus.SHIPPED)

    def test_another_accounts_key_cannot_confirm(self) -> None:
        key = self.issue(create_api_cart(self.charlies_merchant, prefix="CC-"))
        body = self.post(
            "/v1/cart/orders/update/BB-7001", fixture("update_status_confirmed_data.json"), key=key
        )
        self.assert_error(body, "Invalid", "not found")
        self.order.refresh_from_db()
        self.assertEqual(self.order.status, OrderStatus.SHIPPED)


class ApiAccessCartScreenTests(BaseTestCase):
    def test_alice_adds_an_api_access_cart_that_needs_no_credentials(self) -> None:
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(reverse("cart_new")), "API access")
        form = self.client.get(reverse("cart_create", args=["api_access"]))
        self.assertNotContains(form, 'name="settings-api_key"')
        response = self.client.post(
            reverse("cart_create", args=["api_access"]),
            {
                "merchant": self.bobs_merchant.id,
                "label": "Bob's ERP",
                "order_source": "APIAccess1",
                "reference_prefix": "ERP-",
            },
        )
        cart = CartConnection.objects.get()
        self.assertRedirects(response, reverse("cart_detail", args=[cart.id]))
        self.assertEqual(cart.connector_key, "api_access")
        self.assertTrue(cart.enabled)  # its test passes: nothing to reach
        detail = self.client.get(reverse("cart_detail", args=[cart.id]))
        self.assertContains(detail, "Bob&#x27;s ERP")
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(reverse("cart_detail", args=[cart.id])).status_code, 404)

    def test_the_download_and_upload_services_leave_it_alone(self) -> None:
        cart = create_api_cart(self.bobs_merchant, prefix="API-")
        order = create_order(cart, number=1, status=OrderStatus.SHIPPED)
        create_shipment(order)
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DOWNLOAD, cart=cart)
        orders_download(cart=cart, run=run)
        self.assertIn("arrive through the API", run.message)
        run = recorder(merchant=self.bobs_merchant, service=SHIPMENT_UPLOAD, cart=cart)
        shipments_upload(cart=cart, run=run)
        self.assertIn("left for the client", run.message)
        self.assertTrue(Shipment.objects.filter(order=order, uploaded_at=None).exists())
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.SHIPPED)
