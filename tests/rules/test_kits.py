"""Kits: sent to the WMS as components, shipped back to the cart as the kit line."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

from carts.connectors.sandbox import SandboxCartConnector
from inventory.models import ProductAlias
from jobs.models import ServiceSchedule
from orders.jobs import SHIP_CONFIRM, SHIPMENT_UPLOAD
from orders.models import Order, OrderLine, OrderStatus
from orders.services.ship_confirm import shipments_fetch
from orders.services.shipment_upload import shipments_upload
from tests.objects import create_kit, create_order, create_wms, recorder
from tests.rules.support import RulesTestCase


class KitTests(RulesTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_kit(self.bobs_merchant, "COOK-KIT", {"STOVE-CAN-1": 1, "POT-TI-750": 2})

    def confirm(self) -> None:
        schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=SHIP_CONFIRM
        )
        run = recorder(merchant=self.bobs_merchant, service=SHIP_CONFIRM)
        shipments_fetch(schedule=schedule, run=run)

    def upload(self) -> list:  # type: ignore[type-arg]
        """Upload to the sandbox cart; what it was sent, as (order, shipment) records."""
        sent = []
        original = SandboxCartConnector.upload_shipment

        def spy(connector, order, shipment, **options):  # type: ignore[no-untyped-def]
            sent.append((order, shipment))
            return original(connector, order, shipment, **options)

        with mock.patch.object(SandboxCartConnector, "upload_shipment", spy):
            shipments_upload(
                cart=self.cart,
                run=recorder(merchant=self.bobs_merchant, service=SHIPMENT_UPLOAD, cart=self.cart),
            )
        return sent

    def kit_order(self) -> Order:
        order = create_order(self.cart, number=1, skus=("COOK-KIT", "MUG-ENM-WHT"))
        OrderLine.objects.filter(order=order, sku="COOK-KIT").update(quantity=Decimal(3))
        return order

    def test_a_kit_reaches_the_wms_as_its_components_with_quantities_multiplied(self) -> None:
        order = self.kit_order()
        run = self.deliver()
        self.assertEqual(
            self.at_wms(),
            {"BB-1": [["POT-TI-750", "6"], ["STOVE-CAN-1", "3"], ["MUG-ENM-WHT", "1"]]},
        )
        kit = order.lines.get(sku="COOK-KIT")
        components = {line.sku: (line.quantity, line.line_number) for line in kit.components.all()}
        self.assertEqual(
            components, {"POT-TI-750": (Decimal(6), 3), "STOVE-CAN-1": (Decimal(3), 4)}
        )
        self.assertIn("1 kit line(s) sent as their components", run.text())

    def test_a_resend_does_not_duplicate_the_components(self) -> None:
        order = self.kit_order()
        self.deliver()
        Order.objects.filter(id=order.id).update(status=OrderStatus.NEW, delivered_at=None)
        self.deliver()
        self.assertEqual(OrderLine.objects.filter(order=order).count(), 4)
        self.assertEqual(OrderLine.objects.filter(order=order, kit_parent__isnull=False).count(), 2)

    def test_an_alias_can_point_at_a_kit(self) -> None:
        self.set_cart(translate_item_codes=True)
        ProductAlias.objects.create(
            account=self.alices_account, merchant=self.bobs_merchant, alias="cook", sku="COOK-KIT"
        )
        create_order(self.cart, number=1, skus=("cook",))
        self.deliver()
        self.assertEqual(self.at_wms(), {"BB-1": [["POT-TI-750", "2"], ["STOVE-CAN-1", "1"]]})

    def test_the_shipment_goes_back_to_the_cart_as_the_kit_line(self) -> None:
        order = self.kit_order()
        self.deliver()
        self.confirm()
        order.refresh_from_db()
        self.assertEqual((order.status, order.partially_shipped), (OrderStatus.SHIPPED, False))
        self.assertEqual(order.lines.get(sku="COOK-KIT").quantity_shipped, 3)
        sent = self.upload()
        self.assertEqual(len(sent), 1)
        _, shipment = sent[0]
        lines = {(line.sku, line.quantity, line.source_line_id) for line in shipment.lines}
        self.assertEqual(lines, {("COOK-KIT", 3, "1-1"), ("MUG-ENM-WHT", 1, "1-2")})
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.CONFIRMED)

    def test_a_kit_split_over_two_packages_is_reported_once_complete(self) -> None:
        create_wms(self.alices_account, split_percent=100)
        create_order(self.cart, number=1, skus=("COOK-KIT",))
        self.deliver()
        self.confirm()
        sent = self.upload()
        # POT in one package, STOVE in the other: the first completes no kit, and a shipment
        # without lines would tell a cart such as Shopify that everything shipped, so the
        # cart hears of the kit once, with the package that completes it.
        reported = [[(line.sku, line.quantity) for line in shipment.lines] for _, shipment in sent]
        self.assertEqual(reported, [[("COOK-KIT", 1)]])
        self.assertNotIn("POT-TI-750", str(reported))
        order = Order.objects.get(cart=self.cart)
        self.assertFalse(order.shipments.filter(uploaded_at=None).exists())
        self.assertEqual(order.status, OrderStatus.CONFIRMED)
