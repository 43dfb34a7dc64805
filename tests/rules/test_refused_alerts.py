"""Orders the WMS refuses raise one alert per group; an alias releases and resolves them."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from alerts.models import Alert, AlertKind
from inventory.models import ProductAlias
from orders.models import HoldReason, Order, OrderStatus
from orders.services.delivery import refused_key
from orders.services.release import held_orders_release, orders_held_for_sku
from tests.objects import create_order
from tests.rules.support import RulesTestCase


class UnknownSkuAlertTests(RulesTestCase):
    def hold_three(self) -> list[Order]:
        orders = [
            create_order(self.cart, number=n, skus=("LANTERN-OLD-1", "TENT-2P-GRN"))
            for n in (1, 2, 3)
        ]
        self.deliver()
        return orders

    def test_three_orders_with_one_unknown_sku_raise_one_alert(self) -> None:
        self.hold_three()
        self.assertEqual(
            set(Order.objects.values_list("status", "error_code")),
            {(OrderStatus.ERROR, HoldReason.UNKNOWN_SKU)},
        )
        alert = Alert.objects.get(kind=AlertKind.ORDER_REFUSED)
        self.assertEqual(
            alert.key, refused_key(self.bobs_merchant.id, "unknown_sku", "LANTERN-OLD-1")
        )
        self.assertIn("“LANTERN-OLD-1”", alert.subject)
        self.assertIn("3 order(s)", alert.subject)
        self.assertIn("The warehouse has no product LANTERN-OLD-1", alert.message)
        self.assertIn("Map it with a product alias or edit the order", alert.message)
        self.assertEqual(alert.merchant_id, self.bobs_merchant.id)
        self.assertTrue(alert.link)

    def test_a_second_refusal_counts_up_the_same_alert(self) -> None:
        self.hold_three()
        create_order(self.cart, number=4, skus=("LANTERN-OLD-1",))
        self.deliver()
        alert = Alert.objects.get(kind=AlertKind.ORDER_REFUSED)
        self.assertEqual(alert.count, 2)
        self.assertIn("4 order(s)", alert.subject)

    def test_an_alias_releases_the_held_orders_and_resolves_the_alert(self) -> None:
        self.set_cart(translate_item_codes=True)
        self.hold_three()
        ProductAlias.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            alias="LANTERN-OLD-1",
            sku="LAMP-HD-300",
        )
        released = held_orders_release(
            orders_held_for_sku(merchant_id=self.bobs_merchant.id, skus=["LANTERN-OLD-1"]),
            codes=[HoldReason.UNKNOWN_SKU],
            why="Mapped with an alias.",
        )
        self.assertEqual(len(released), 3)
        run = self.deliver()
        self.assertEqual(run.ok, 3)
        self.assertEqual(Order.objects.filter(status=OrderStatus.AT_WMS).count(), 3)
        self.assertEqual(self.at_wms()["BB-1"], [["LAMP-HD-300", "1"], ["TENT-2P-GRN", "1"]])
        line = Order.objects.get(cust_ref="BB-1").lines.get(line_number=1)
        self.assertEqual((line.sku, line.wms_sku), ("LANTERN-OLD-1", "LAMP-HD-300"))
        self.assertIsNotNone(Alert.objects.get(kind=AlertKind.ORDER_REFUSED).resolved_at)
        self.assertIn("sent under the WMS SKU of their alias", run.text())

    def test_aliases_are_not_used_when_the_cart_does_not_translate(self) -> None:
        ProductAlias.objects.create(
            account=self.alices_account, merchant=self.bobs_merchant, alias="X-1", sku="MUG-ENM-WHT"
        )
        create_order(self.cart, number=1, skus=("X-1",))
        self.deliver()
        self.assertEqual(Order.objects.get().error_code, HoldReason.UNKNOWN_SKU)

    def test_aliases_are_loaded_once_per_batch(self) -> None:
        self.set_cart(translate_item_codes=True)
        for n in range(1, 6):
            create_order(self.cart, number=n, skus=("A-1", "A-2"))
        for alias in ("A-1", "A-2"):
            ProductAlias.objects.create(
                account=self.alices_account,
                merchant=self.bobs_merchant,
                alias=alias,
                sku="MUG-ENM-WHT",
            )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            self.deliver()
        alias_queries = [
            q for q in queries.captured_queries if "inventory_productalias" in q["sql"]
        ]
        self.assertEqual(len(alias_queries), 1)
        self.assertEqual(Order.objects.filter(status=OrderStatus.AT_WMS).count(), 5)

    def test_the_link_points_at_the_merchants_aliases_or_held_orders(self) -> None:
        self.hold_three()
        link = Alert.objects.get(kind=AlertKind.ORDER_REFUSED).link
        try:
            expected = reverse("alias_list", args=[self.bobs_merchant.id])
        except NoReverseMatch:  # the alias screen may not be merged yet
            expected = f"{reverse('order_list')}?status=error&merchant={self.bobs_merchant.id}"
        self.assertEqual(link, expected)


class OtherRefusalAlertTests(RulesTestCase):
    def test_missing_addresses_raise_one_alert_resolved_when_none_is_held(self) -> None:
        bad = [
            create_order(self.cart, number=n, ship_to={"first_name": "Ann", "country": "US"})
            for n in (1, 2)
        ]
        self.deliver()
        alert = Alert.objects.get(kind=AlertKind.ORDER_REFUSED)
        self.assertEqual(alert.key, refused_key(self.bobs_merchant.id, "missing_address"))
        self.assertIn("2 order(s)", alert.subject)
        fixed = {
            "first_name": "Ann",
            "last_name": "Lee",
            "address_1": "1 Main St",
            "city": "Reno",
            "zip": "89501",
            "country": "US",
        }
        Order.objects.filter(id=bad[0].id).update(ship_to=fixed)
        held_orders_release(
            Order.objects.filter(id=bad[0].id), codes=[HoldReason.MISSING_ADDRESS], why="Edited."
        )
        self.deliver()
        self.assertIsNone(Alert.objects.get(id=alert.id).resolved_at)  # one is still held
        Order.objects.filter(id=bad[1].id).update(ship_to=fixed)
        held_orders_release(
            Order.objects.filter(id=bad[1].id), codes=[HoldReason.MISSING_ADDRESS], why="Edited."
        )
        self.deliver()
        self.assertIsNotNone(Alert.objects.get(id=alert.id).resolved_at)

    def test_two_unknown_skus_are_two_alerts(self) -> None:
        create_order(self.cart, number=1, skus=("NOPE-1",))
        create_order(self.cart, number=2, skus=("NOPE-2",))
        self.deliver()
        self.assertEqual(
            sorted(Alert.objects.values_list("key", flat=True)),
            [
                refused_key(self.bobs_merchant.id, "unknown_sku", "NOPE-1"),
                refused_key(self.bobs_merchant.id, "unknown_sku", "NOPE-2"),
            ],
        )

    def test_an_alert_of_one_merchant_is_not_resolved_by_another(self) -> None:
        create_order(self.cart, number=1, skus=("NOPE-1",))
        self.deliver()
        other_cart = self.create_other_cart()
        create_order(other_cart, number=9, skus=("TENT-2P-GRN",))
        from orders.jobs import ORDER_DELIVERY
        from orders.services.delivery import orders_deliver
        from tests.objects import recorder

        orders_deliver(
            merchant=self.other_merchant,
            run=recorder(merchant=self.other_merchant, service=ORDER_DELIVERY),
        )
        self.assertIsNone(Alert.objects.get(kind=AlertKind.ORDER_REFUSED).resolved_at)

    def create_other_cart(self):  # type: ignore[no-untyped-def]
        from tests.objects import create_cart

        return create_cart(self.other_merchant, prefix="OO-")
