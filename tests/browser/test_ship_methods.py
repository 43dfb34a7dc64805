"""Ship-method mapping in a real browser: map a held code and watch its orders go to the WMS."""

from __future__ import annotations

from playwright.sync_api import expect

from alerts.models import Alert, AlertKind
from carts.models import CartConnection
from orders.jobs import ORDER_DELIVERY
from orders.models import HoldReason, Order, OrderStatus
from orders.services.delivery import orders_deliver
from tests.browser.base import BrowserTestCase
from tests.objects import create_cart, create_order, create_wms, recorder
from wms.models import WmsShipMethod


class ShipMethodBrowserTests(BrowserTestCase):
    def test_mapping_a_held_code_sends_its_orders_without_a_resend(self) -> None:
        wms = create_wms(self.alices_account)
        WmsShipMethod.objects.create(
            account=self.alices_account, code="UPS-GND", description="UPS Ground", carrier="UPS"
        )
        cart = create_cart(self.bobs_merchant)
        CartConnection.objects.filter(id=cart.id).update(reject_unmapped_ship_methods=True)
        for number in (2001, 2002):
            create_order(cart, number=number, ship_code="express-ish")
        orders_deliver(
            merchant=self.bobs_merchant,
            run=recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY),
        )
        held = Order.objects.filter(cart=cart, error_code=HoldReason.UNMAPPED_SHIP_METHOD)
        self.assertEqual(held.count(), 2)
        # One alert for the code, counting its orders, not one per order.
        alert = Alert.objects.get(kind=AlertKind.UNMAPPED_SHIP_METHOD, resolved_at=None)
        self.assertEqual(alert.count, 2)

        self.log_in("alice@example.org")
        page = self.page
        page.goto(self.url("/alerts/"))
        page.locator(f'a[href="{alert.link}"]').first.click()
        expect(page.get_by_role("heading", name=f"Ship methods of {cart.label}")).to_be_visible()
        expect(page.get_by_role("link", name="2 held")).to_be_visible()
        self.screenshot("ship-methods-held")
        page.get_by_label("WMS method for express-ish").select_option("UPS-GND")
        page.get_by_role("button", name="Save the mapping").click()
        expect(page.get_by_text("2 held order(s) go to the WMS now.")).to_be_visible()
        self.screenshot("ship-methods-mapped")

        orders_deliver(
            merchant=self.bobs_merchant,
            run=recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY),
        )
        statuses = set(Order.objects.filter(cart=cart).values_list("status", "wms_ship_code"))
        self.assertEqual(statuses, {(OrderStatus.AT_WMS, "UPS-GND")})
        self.assertIsNotNone(Alert.objects.get(id=alert.id).resolved_at)
        page.goto(self.url(f"/orders/?cart={cart.id}"))
        expect(page.get_by_role("cell", name="At WMS")).to_have_count(2)
        self.screenshot("ship-methods-orders-sent")
        self.assertTrue(wms.is_usable)

    def test_charlie_cannot_map_alices_codes(self) -> None:
        cart = create_cart(self.bobs_merchant)
        self.log_in("charlie@example.org")
        response = self.page.goto(self.url(f"/carts/{cart.id}/ship-methods/"))
        assert response is not None
        self.assertEqual(response.status, 404)
