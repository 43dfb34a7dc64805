"""An order waiting for a warehouse system that pulls orders through the API, in a real
browser: its page says it is checked and ready, and what happens next."""

from __future__ import annotations

from playwright.sync_api import expect

from jobs.models import JobRun
from orders.jobs import ORDER_DELIVERY
from orders.models import Order
from orders.services.delivery import orders_deliver
from tests.api.test_api_wms_loop import create_api_access_wms
from tests.browser.base import BrowserTestCase
from tests.objects import create_cart, create_order, recorder


class PulledOrderBrowserTests(BrowserTestCase):
    def test_alice_sees_an_order_ready_for_the_warehouse_system(self) -> None:
        create_api_access_wms(self.alices_account)
        order = create_order(create_cart(self.bobs_merchant, prefix="BB-"), number=1001)
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        orders_deliver(merchant=self.bobs_merchant, run=run)
        JobRun.objects.filter(id=run.job_run.id).update(status=JobRun.Status.SUCCESS)
        self.assertIsNotNone(Order.objects.get(id=order.id).ready_at)

        page = self.page
        self.log_in("alice@example.org")
        page.goto(self.url(f"/orders/{order.id}/"))
        banner = page.get_by_test_id("ready-for-pull")
        expect(banner).to_contain_text("Checked and ready")
        expect(banner).to_contain_text("takes it through the API and marks it received")
        self.screenshot("order-ready-for-pull")

        page.get_by_test_id("user-menu").click()
        page.get_by_role("button", name="Log out").click()
        self.log_in("charlie@example.org")
        response = page.goto(self.url(f"/orders/{order.id}/"))
        self.assertEqual(response.status, 404)
