"""The order loop's screens in a real browser: WMS, carts, services, orders, runs, alerts."""

from __future__ import annotations

from playwright.sync_api import expect

from alerts.services import alerts_raise
from jobs.dispatcher import heartbeat_beat
from orders.models import OrderStatus
from tests.browser.base import BrowserTestCase
from tests.objects import create_cart, create_order, create_shipment, create_wms


class OrderLoopBrowserTests(BrowserTestCase):
    def test_alice_sets_up_the_wms_and_a_cart(self) -> None:
        self.log_in("alice@example.org")
        page = self.page
        expect(page.get_by_test_id("dispatcher-banner")).to_be_visible()  # no beat in tests
        self.screenshot("dashboard-scheduler-stopped")
        page.get_by_role("link", name="WMS", exact=True).click()
        page.get_by_label("WMS type").select_option("sandbox")
        # A wrong key is saved but tested at once: the page never says "Connected".
        page.locator("#id_settings-api_key").fill("wrong-key")
        page.get_by_role("button", name="Save the WMS").click()
        expect(page.get_by_text("saved, but the test failed")).to_be_visible()
        expect(page.get_by_text("Not switched on: test it")).to_be_visible()
        expect(page.get_by_text("Connected", exact=True)).to_have_count(0)
        self.screenshot("wms-setup-wrong-key")
        page.locator("#id_settings-api_key").fill("sandbox-key")
        page.get_by_role("button", name="Save the WMS").click()
        expect(page.get_by_text("WMS “Sandbox WMS” saved and connected.")).to_be_visible()
        expect(page.get_by_text("Connected", exact=True)).to_be_visible()
        page.get_by_role("button", name="Test connection").click()
        expect(page.get_by_text("Test passed. Connected to the sandbox WMS")).to_be_visible()
        page.get_by_role("button", name="Load from the WMS").click()
        expect(page.get_by_text("5 ship method(s) loaded from the WMS.")).to_be_visible()
        self.screenshot("wms-setup")

        page.get_by_role("link", name="Carts").click()
        page.get_by_role("link", name="Add a cart").first.click()
        self.screenshot("cart-picker")
        page.get_by_role("link", name="Connect Sandbox cart").click()
        page.get_by_label("Merchant").select_option(label="Bob's Bikes")
        page.get_by_label("Label").fill("Bob's web store")
        page.locator("#id_settings-api_key").fill("wrong-key")
        self.screenshot("cart-form")
        page.get_by_role("button", name="Add the cart").click()
        expect(
            page.get_by_text("Cart “Bob's web store” saved, but not switched on")
        ).to_be_visible()
        expect(page.get_by_text("Not switched on: test it")).to_be_visible()
        page.get_by_role("button", name="Test connection").click()
        expect(page.get_by_text("Test failed: The sandbox store refused the key.")).to_be_visible()
        row = page.get_by_test_id("service-order_download")
        row.get_by_role("combobox").select_option("daily")
        row.locator("input[type=time]").fill("06:30")
        row.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Order download now runs: daily at 06:30")).to_be_visible()
        self.screenshot("cart-detail")

    def test_staff_work_an_order_in_error(self) -> None:
        create_wms(self.alices_account)
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        held = create_order(
            cart,
            number=1001,
            status=OrderStatus.ERROR,
            error_reason="The ship-to address has no street address. Correct it, then resend.",
        )
        shipped = create_order(cart, number=1002, status=OrderStatus.CONFIRMED)
        create_shipment(shipped, tracking="1Z999AA10123456784")
        for number in range(1003, 1010):
            create_order(cart, number=number, status=OrderStatus.AT_WMS)
        alerts_raise(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            cart=cart,
            kind="cart_auth",
            subject="Bob's Bikes store refused the hub's credentials",
            message="Enter them again.",
            link=f"/carts/{cart.id}/edit/",
        )
        heartbeat_beat("dispatcher", __import__("django.utils.timezone").utils.timezone.now())
        self.create_staff()
        self.log_in("sam.staff@example.org")
        page = self.page
        expect(page.get_by_test_id("dispatcher-banner")).to_have_count(0)
        self.screenshot("dashboard-staff")
        page.get_by_role("link", name="Orders").click()
        expect(page.get_by_test_id("orders").get_by_role("row")).to_have_count(10)
        page.get_by_label("Status").select_option("error")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_test_id("orders").get_by_role("row")).to_have_count(2)
        self.screenshot("orders-errors")
        page.get_by_role("link", name="#1001").click()
        expect(page.get_by_text("Held:")).to_be_visible()
        self.screenshot("order-detail-error")
        page.get_by_role("button", name="Resend to WMS").click()
        expect(
            page.get_by_text("The order goes to the WMS at the next delivery run.")
        ).to_be_visible()
        held.refresh_from_db()
        self.assertEqual(held.status, OrderStatus.NEW)
        page.goto(self.url(f"/orders/{shipped.id}/"))
        expect(page.get_by_role("cell", name="1Z999AA10123456784")).to_be_visible()
        self.screenshot("order-detail-shipped")
        page.get_by_role("link", name="Alerts").click()
        expect(page.get_by_test_id("open-alert")).to_have_count(1)
        self.screenshot("alerts")

    def test_the_merchant_user_sees_only_their_carts_and_orders(self) -> None:
        bobs = create_cart(self.bobs_merchant, prefix="BB-", label="Bob's web store")
        others = create_cart(self.other_merchant, prefix="OO-", label="Other web store")
        create_order(bobs, number=1)
        create_order(others, number=2)
        self.log_in("bob@example.org")
        page = self.page
        page.get_by_role("link", name="Carts").click()
        expect(page.get_by_role("link", name="Bob's web store")).to_be_visible()
        expect(page.get_by_text("Other web store")).to_have_count(0)
        page.get_by_role("link", name="Orders").click()
        expect(page.get_by_role("link", name="#1")).to_be_visible()
        expect(page.get_by_role("link", name="#2")).to_have_count(0)
        expect(page.get_by_role("link", name="WMS", exact=True)).to_have_count(0)
        response = page.goto(self.url(f"/carts/{others.id}/"))
        self.assertEqual(response.status, 404)
        self.screenshot("merchant-user-orders")


class ConnectorFormBrowserTests(BrowserTestCase):
    def test_every_cart_form_renders_with_its_write_only_secrets(self) -> None:
        self.log_in("alice@example.org")
        for key, secret in (
            ("shopify", "access_token"),
            ("woocommerce", "consumer_secret"),
            ("bigcommerce", "access_token"),
        ):
            with self.subTest(key=key):
                self.page.goto(self.url(f"/carts/new/{key}/"))
                expect(self.page.get_by_role("button", name="Add the cart")).to_be_visible()
                expect(self.page.locator(f"#id_settings-{secret}")).to_have_attribute(
                    "type", "password"
                )
                self.screenshot(f"cart-form-{key}")
