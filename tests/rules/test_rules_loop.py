"""End to end with a real worker: an unknown SKU alerts once; an alias sends the orders."""

from __future__ import annotations

from alerts.models import Alert, AlertKind
from carts.models import CartConnection
from inventory.models import ProductAlias
from orders.jobs import ORDER_DELIVERY
from orders.models import HoldReason, Order
from orders.services.release import held_orders_release, orders_held_for_sku
from tests.objects import create_cart, create_order, create_wms
from tests.workers import WorkerTestCase, wait_for
from wms.models import SandboxWmsOrder


class UnknownSkuLoopTests(WorkerTestCase):
    def test_an_alias_delivers_the_held_orders_without_other_clicks(self) -> None:
        create_wms(self.alices_account)
        cart = create_cart(self.bobs_merchant, prefix="UL-")
        CartConnection.objects.filter(id=cart.id).update(translate_item_codes=True)
        for number in (1, 2, 3):
            create_order(cart, number=number, skus=("LANTERN-OLD-1", "TENT-2P-GRN"))
        self.run_now(ORDER_DELIVERY)
        # The alert follows the holds of the batch it groups.
        wait_for(
            lambda: Alert.objects.filter(kind=AlertKind.ORDER_REFUSED).exists(),
            what="the WMS to refuse the orders and the alert",
        )
        self.assertEqual(Order.objects.filter(error_code=HoldReason.UNKNOWN_SKU).count(), 3)
        alert = Alert.objects.get(kind=AlertKind.ORDER_REFUSED)
        self.assertIn("LANTERN-OLD-1", alert.subject)
        self.assertIn("3 order(s)", alert.subject)

        ProductAlias.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            alias="LANTERN-OLD-1",
            sku="LAMP-HD-300",
        )
        released = held_orders_release(
            orders_held_for_sku(merchant_id=self.bobs_merchant.id, skus=["LANTERN-OLD-1"]),
            codes=[HoldReason.UNKNOWN_SKU],
            why="LANTERN-OLD-1 mapped with a product alias.",
        )
        self.assertEqual(len(released), 3)
        # The alert is resolved once the run has recorded the deliveries, a moment after.
        wait_for(
            lambda: (
                Order.objects.filter(delivered_at__isnull=False).count() == 3
                and Alert.objects.filter(id=alert.id, resolved_at__isnull=False).exists()
            ),
            what="the released orders to reach the WMS on their own, and the alert resolved",
        )
        self.assertEqual(Alert.objects.filter(kind=AlertKind.ORDER_REFUSED).count(), 1)
        skus = {line[0] for row in SandboxWmsOrder.objects.all() for line in row.payload["lines"]}
        self.assertEqual(skus, {"LAMP-HD-300", "TENT-2P-GRN"})
