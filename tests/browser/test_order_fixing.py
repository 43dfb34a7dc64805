"""Fixing an order in a real browser: edit an order in Error and see it delivered."""

from __future__ import annotations

from playwright.sync_api import expect

from jobs.models import JobRun
from orders.jobs import ORDER_DELIVERY
from orders.models import HoldReason, Order, OrderStatus
from orders.services.delivery import orders_deliver
from tests.browser.base import BrowserTestCase
from tests.objects import ADDRESS, create_cart, create_order, create_wms, recorder
from wms.models import SandboxWmsOrder


class OrderFixingBrowserTests(BrowserTestCase):
    def deliver(self) -> None:
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        try:
            orders_deliver(merchant=self.bobs_merchant, run=run)
        finally:
            JobRun.objects.filter(id=run.job_run.id).update(status=JobRun.Status.SUCCESS)

    def test_staff_edit_an_order_in_error_and_it_is_delivered(self) -> None:
        create_wms(self.alices_account, ship_delay_seconds=3600)
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        order = create_order(
            cart,
            number=1001,
            status=OrderStatus.ERROR,
            error_code=HoldReason.MISSING_ADDRESS,
            error_reason="The ship-to address has no street address. Correct the order in the "
            "cart (the hub reloads it) or edit it here: it then goes to the WMS on its own.",
            ship_to={**{k: v for k, v in ADDRESS.items() if k != "address_1"}, "city": "Phila"},
            skus=("TENT-2P-GRN", "MUG-ENM-WHT"),
        )
        self.log_in("alice@example.org")
        page = self.page
        page.goto(self.url(f"/orders/{order.id}/"))
        page.get_by_role("link", name="Edit order").click()
        expect(page.get_by_role("heading", name="Edit order #1001")).to_be_visible()
        # Saving without a street says what to fix, and saves nothing.
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("Enter the street: the WMS needs it to ship.")).to_be_visible()
        self.screenshot("order-edit-errors")
        page.locator("#id_address_1").fill("1200 Market St")
        page.locator("#id_city").fill("Philadelphia")
        page.locator("#id_lines-1-quantity").fill("2")
        page.get_by_role("button", name="Save changes").click()
        expect(
            page.get_by_text("Saved. The order goes to the WMS at the next delivery run.")
        ).to_be_visible()
        history = page.get_by_test_id("events")
        expect(history.get_by_text("City: Phila → Philadelphia")).to_be_visible()
        expect(history.get_by_text("alice@example.org").first).to_be_visible()
        self.screenshot("order-edit-saved")

        self.deliver()  # the delivery run the edit triggered
        page.reload()
        expect(page.locator(".status-badge", has_text="At WMS")).to_be_visible()
        expect(page.get_by_test_id("events").get_by_text("Sent to the WMS.")).to_be_visible()
        self.screenshot("order-edit-delivered")
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        sent = SandboxWmsOrder.objects.get(cust_ref=order.cust_ref)
        self.assertEqual(sent.payload["lines"][1], ["MUG-ENM-WHT", "2.000"])
        self.assertEqual(Order.objects.get(id=order.id).ship_to["address_1"], "1200 Market St")

        # Found again by its new city, in the account's time zone.
        page.get_by_role("link", name="Orders", exact=True).first.click()
        page.get_by_label("Search", exact=True).fill("philadelphia")
        page.get_by_label("Search in").select_option("city")
        page.get_by_role("button", name="Filter").click()
        orders = page.get_by_test_id("orders")
        expect(orders.get_by_role("link", name="#1001")).to_be_visible()
        expect(orders.get_by_text("Ordered (America/New_York)")).to_be_visible()
        expect(page.get_by_test_id("clear-filters")).to_be_visible()
        self.screenshot("orders-search-city")
