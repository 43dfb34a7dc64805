"""Inventory upload rules 1-7 against the sandbox cart: locations, committed stock, minimum
level, cart rules, push only what changed, refusals, and the order-download trigger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carts.connectors.sandbox import SandboxCartConnector
from carts.connectors.shopify.inventory import InventoryItemRef, quantities_to_set
from carts.connectors.woocommerce.inventory import stock_targets
from carts.models import CartConnection, ItemFilterMode
from integration_manager.connector_errors import NOT_TRACKED, UNKNOWN_SKU, RecordError
from integration_manager.records import OrderPage
from inventory.jobs import INVENTORY_UPLOAD
from inventory.models import (
    InventoryLevel,
    ItemFilter,
    Location,
    ProductAlias,
    ProductSync,
    SyncStatus,
)
from inventory.upload import inventory_reconcile_request, inventory_upload
from jobs.models import Frequency, ServiceSchedule
from orders.jobs import ORDER_DOWNLOAD
from orders.models import OrderLine, OrderStatus
from orders.services.download import order_page_store
from tests.base import BaseTestCase
from tests.objects import create_cart, create_kit, create_order, order_record, recorder

SNAPSHOT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
STOCK = {"TENT-2P-GRN": (6, 4), "STOVE-CAN-1": (5, 5), "POT-TI-750": (9, 3)}  # east, west


def accept_all(levels: list[Any]) -> list[RecordError]:
    """A cart that takes every SKU (the sandbox store knows only its catalogue)."""
    return []


class UploadFixture(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.east = self.add_location("EAST")
        self.west = self.add_location("WEST")
        for sku, (east, west) in STOCK.items():
            self.set_level(self.east, sku, east)
            self.set_level(self.west, sku, west)
        self.calls: list[dict[str, int]] = []

    def add_location(self, wms_id: str) -> Location:
        return Location.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            wms_location_id=wms_id,
            name=wms_id,
        )

    def set_level(self, location: Location, sku: str, available: int, **fields: Any) -> None:
        InventoryLevel.objects.update_or_create(
            location=location,
            sku=sku,
            defaults={
                "account": self.alices_account,
                "merchant": self.bobs_merchant,
                "available": available,
                "on_hand": available,
                "wms_updated_at": SNAPSHOT,
                **fields,
            },
        )

    def set_cart(self, cart: CartConnection | None = None, **fields: Any) -> None:
        cart = cart or self.cart
        CartConnection.objects.filter(id=cart.id).update(**fields)
        cart.refresh_from_db()

    def upload(self, cart: CartConnection | None = None, refuse: Any = None):  # type: ignore[no-untyped-def]
        """Run the upload; each call the sandbox cart gets is kept in self.calls."""
        cart = cart or self.cart
        cart.refresh_from_db()
        original = SandboxCartConnector.upload_inventory
        calls = self.calls

        def spy(connector, levels):  # type: ignore[no-untyped-def]
            calls.append({level.sku: level.available for level in levels})
            if refuse is not None:
                return refuse(levels)
            return original(connector, levels)

        run = recorder(merchant=cart.merchant, service=INVENTORY_UPLOAD, cart=cart)
        with mock.patch.object(SandboxCartConnector, "upload_inventory", spy):
            inventory_upload(cart=cart, run=run)
        return run

    def last_sent(self) -> dict[str, int]:
        return self.calls[-1]

    def sync(self, sku: str, cart: CartConnection | None = None) -> ProductSync:
        return ProductSync.objects.get(cart=cart or self.cart, sku=sku)

    def order(self, *skus: str, number: int = 5001, **fields: Any):  # type: ignore[no-untyped-def]
        """A waiting order of Bob's Bikes stored now (after the WMS snapshot)."""
        return create_order(self.cart, number=number, skus=skus, **fields)


class LocationRuleTests(UploadFixture):
    def test_it_pushes_all_enabled_locations_added_up_by_default(self) -> None:
        self.upload()
        self.assertEqual(self.last_sent(), {"TENT-2P-GRN": 10, "STOVE-CAN-1": 10, "POT-TI-750": 12})

    def test_a_disabled_location_counts_for_nothing(self) -> None:
        Location.objects.filter(id=self.west.id).update(enabled=False)
        self.upload()
        self.assertEqual(self.last_sent(), {"TENT-2P-GRN": 6, "STOVE-CAN-1": 5, "POT-TI-750": 9})

    def test_a_cart_can_push_one_location(self) -> None:
        self.set_cart(inventory_location=self.west)
        self.upload()
        self.assertEqual(self.last_sent(), {"TENT-2P-GRN": 4, "STOVE-CAN-1": 5, "POT-TI-750": 3})

    def test_a_cart_on_a_disabled_location_pushes_nothing_and_says_why(self) -> None:
        self.set_cart(inventory_location=self.west)
        Location.objects.filter(id=self.west.id).update(enabled=False)
        run = self.upload()
        self.assertEqual(self.calls, [])
        self.assertIn("WEST, which is disabled", run.message)
        self.assertIn("Enable the location", run.text())
        self.assertFalse(ProductSync.objects.exists())


class CommittedRuleTests(UploadFixture):
    def test_an_order_stored_between_the_snapshot_and_the_upload_is_subtracted(self) -> None:
        self.upload()
        self.assertEqual(self.last_sent()["TENT-2P-GRN"], 10)
        # The race: the WMS counted at SNAPSHOT, the order came in after it, the WMS does
        # not know it yet; pushing 10 would sell the tent twice.
        order = self.order("TENT-2P-GRN")
        OrderLine.objects.filter(order=order).update(quantity=Decimal(3))
        self.upload()
        self.assertEqual(self.last_sent(), {"TENT-2P-GRN": 7})
        self.assertEqual(self.sync("TENT-2P-GRN").pushed_quantity, 7)

    def test_an_order_stored_before_the_snapshot_is_not_subtracted(self) -> None:
        self.order("TENT-2P-GRN", created_at=SNAPSHOT - timedelta(minutes=1))
        self.upload()
        self.assertEqual(self.last_sent()["TENT-2P-GRN"], 10)

    def test_new_and_error_orders_count_from_every_cart_others_do_not(self) -> None:
        other_cart = create_cart(self.bobs_merchant, prefix="BB2-", label="Second store")
        create_order(other_cart, number=1, skus=("STOVE-CAN-1",), status=OrderStatus.ERROR)
        self.order("STOVE-CAN-1", number=2)
        self.order("STOVE-CAN-1", number=3, status=OrderStatus.AT_WMS)
        self.order("STOVE-CAN-1", number=4, status=OrderStatus.CANCELED)
        outfitters = create_cart(self.other_merchant, prefix="OO-")
        create_order(outfitters, number=5, skus=("STOVE-CAN-1",))
        filtered = self.order("STOVE-CAN-1", number=6)
        OrderLine.objects.filter(order=filtered).update(filtered=True)
        self.upload()
        self.assertEqual(self.last_sent()["STOVE-CAN-1"], 8)

    def test_committed_stock_never_goes_below_zero(self) -> None:
        order = self.order("POT-TI-750")
        OrderLine.objects.filter(order=order).update(quantity=Decimal(40))
        self.upload()
        self.assertEqual(self.last_sent()["POT-TI-750"], 0)

    def test_a_kit_line_counts_for_its_components_and_so_for_the_kit(self) -> None:
        create_kit(self.bobs_merchant, "COOK-KIT", {"STOVE-CAN-1": 1, "POT-TI-750": 3})
        self.upload(refuse=accept_all)  # the sandbox store sells no kit
        self.assertEqual(self.last_sent()["COOK-KIT"], 4)  # 12 pots // 3
        self.order("COOK-KIT")
        self.upload(refuse=accept_all)
        # One kit: 1 stove and 3 pots are spoken for; 9 pots make 3 kits.
        self.assertEqual(self.last_sent(), {"STOVE-CAN-1": 9, "POT-TI-750": 9, "COOK-KIT": 3})

    def test_a_line_under_an_alias_counts_for_the_wms_sku_when_the_cart_translates(self) -> None:
        ProductAlias.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            alias="tent-g",
            sku="TENT-2P-GRN",
        )
        self.set_cart(translate_item_codes=True)
        self.order("tent-g")
        self.upload()
        self.assertEqual(self.last_sent()["TENT-2P-GRN"], 9)


class MinimumRuleTests(UploadFixture):
    def test_below_the_minimum_level_zero_is_pushed_with_the_reason(self) -> None:
        self.set_cart(min_inventory_level=11)
        self.upload()
        self.assertEqual(self.last_sent(), {"TENT-2P-GRN": 0, "STOVE-CAN-1": 0, "POT-TI-750": 12})
        tent = self.sync("TENT-2P-GRN")
        self.assertEqual((tent.status, tent.pushed_quantity), (SyncStatus.BELOW_MINIMUM, 0))
        self.assertIn("10 available, below the cart's minimum inventory level of 11", tent.reason)
        self.assertEqual(self.sync("POT-TI-750").status, SyncStatus.SYNCED)

    def test_back_above_the_minimum_the_real_quantity_is_pushed(self) -> None:
        self.set_cart(min_inventory_level=11)
        self.upload()
        self.set_cart(min_inventory_level=0)
        self.upload()
        self.assertEqual(self.last_sent(), {"TENT-2P-GRN": 10, "STOVE-CAN-1": 10})
        self.assertEqual(self.sync("TENT-2P-GRN").status, SyncStatus.SYNCED)
        self.assertEqual(self.sync("TENT-2P-GRN").reason, "")


class CartRulesTests(UploadFixture):
    def test_filtered_skus_are_recorded_as_filtered_and_not_pushed(self) -> None:
        self.set_cart(item_filter_mode=ItemFilterMode.BLACKLIST)
        ItemFilter.objects.create(
            account=self.alices_account, merchant=self.bobs_merchant, cart=self.cart, sku="pot-*"
        )
        self.upload()
        self.assertNotIn("POT-TI-750", self.last_sent())
        pot = self.sync("POT-TI-750")
        self.assertEqual((pot.status, pot.pushed_quantity), (SyncStatus.FILTERED, None))

    def test_stock_goes_under_the_cart_sku_when_pushing_with_aliases(self) -> None:
        self.set_cart(push_inventory_alias=True)
        ProductAlias.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            alias="tent-g",
            sku="TENT-2P-GRN",
        )
        self.upload(refuse=accept_all)  # the sandbox store has no "tent-g"
        self.assertEqual(self.last_sent()["tent-g"], 10)
        self.assertNotIn("TENT-2P-GRN", self.last_sent())
        self.assertEqual(self.sync("tent-g").pushed_quantity, 10)


class PushOnlyChangesTests(UploadFixture):
    def test_a_second_upload_with_no_change_sends_nothing(self) -> None:
        first = self.upload()
        self.assertEqual(len(self.calls), 1)
        self.assertIn("Full reconcile: 3 SKU(s) sent", first.message)
        self.cart.refresh_from_db()
        self.assertIsNotNone(self.cart.inventory_reconciled_at)
        second = self.upload()
        self.assertEqual(len(self.calls), 1, "the cart got a call with nothing changed")
        self.assertEqual(second.message, "0 SKU(s) sent, 3 unchanged.")

    def test_only_the_changed_sku_is_sent(self) -> None:
        self.upload()
        self.set_level(self.west, "STOVE-CAN-1", 1)
        self.upload()
        self.assertEqual(self.last_sent(), {"STOVE-CAN-1": 6})
        self.assertEqual(self.sync("STOVE-CAN-1").pushed_quantity, 6)

    def test_a_sku_no_level_reports_any_more_is_pushed_as_zero_once(self) -> None:
        self.upload()
        InventoryLevel.objects.filter(sku="POT-TI-750").delete()
        self.upload()
        self.assertEqual(self.last_sent(), {"POT-TI-750": 0})
        self.upload()
        self.assertEqual(len(self.calls), 2)

    def test_a_day_old_reconcile_sends_everything_again(self) -> None:
        self.upload()
        self.set_cart(inventory_reconciled_at=timezone.now() - timedelta(days=1, minutes=1))
        self.upload()
        self.assertEqual(len(self.last_sent()), 3)
        self.set_cart(inventory_reconciled_at=timezone.now() - timedelta(hours=23))
        self.upload()
        self.assertEqual(len(self.calls), 2)

    def test_reconcile_now_makes_the_upload_due_and_full(self) -> None:
        self.upload()
        schedule = ServiceSchedule.objects.get(cart=self.cart, service=INVENTORY_UPLOAD)
        ServiceSchedule.objects.filter(id=schedule.id).update(
            frequency=Frequency.HOURS_1, next_run_at=timezone.now() + timedelta(hours=1)
        )
        self.assertTrue(inventory_reconcile_request(cart=self.cart))
        schedule.refresh_from_db()
        self.assertLessEqual(schedule.next_run_at, timezone.now())
        self.upload()
        self.assertEqual(len(self.last_sent()), 3)

    def test_the_upload_costs_a_fixed_number_of_queries_per_page(self) -> None:
        for number in range(1_200):
            self.set_level(self.east, f"SKU-{number:05d}", number % 7)
        self.order("SKU-00001")
        with CaptureQueriesContext(connection) as queries:
            self.upload(refuse=accept_all)
        self.assertEqual([len(call) for call in self.calls], [500, 500, 203])
        # Reads: cart rules, levels, committed, pushed; per page one upsert (with its savepoint).
        self.assertLessEqual(len(queries), 25)


class RefusalTests(UploadFixture):
    def test_an_unknown_sku_is_recorded_and_not_retried_until_the_reconcile(self) -> None:
        self.set_level(self.east, "ROPE-10M", 4)
        self.upload()
        rope = self.sync("ROPE-10M")
        self.assertEqual(rope.status, SyncStatus.UNKNOWN_IN_CART)
        self.assertIn("no product with SKU ROPE-10M", rope.reason)
        self.assertIsNone(rope.pushed_quantity)
        self.assertEqual(self.sync("TENT-2P-GRN").pushed_quantity, 10)
        self.set_level(self.east, "ROPE-10M", 8)  # a new quantity alone does not retry it
        run = self.upload()
        self.assertEqual(len(self.calls), 1)
        self.assertIn("1 refused before, tried again at the next full reconcile", run.message)
        inventory_reconcile_request(cart=self.cart)
        self.upload()
        self.assertEqual(self.last_sent()["ROPE-10M"], 8)

    def test_refusals_map_to_their_status(self) -> None:
        def refuse(levels):  # type: ignore[no-untyped-def]
            return [
                RecordError("Not tracked.", record_ref="TENT-2P-GRN", code=NOT_TRACKED),
                RecordError("No such SKU.", record_ref="STOVE-CAN-1", code=UNKNOWN_SKU),
                RecordError("Quantity too large.", record_ref="POT-TI-750"),
            ]

        run = self.upload(refuse=refuse)
        self.assertEqual(
            {row.sku: (row.status, row.reason) for row in ProductSync.objects.all()},
            {
                "TENT-2P-GRN": (SyncStatus.NOT_TRACKED, "Not tracked."),
                "STOVE-CAN-1": (SyncStatus.UNKNOWN_IN_CART, "No such SKU."),
                "POT-TI-750": (SyncStatus.REFUSED, "Quantity too large."),
            },
        )
        self.assertEqual((run.ok, run.failed), (0, 3))

    def test_the_cart_connectors_say_which_refusal_is_which(self) -> None:
        _, failures = quantities_to_set(
            {"A": 1, "B": 2}, {"B": (InventoryItemRef(id="gid://x/1", tracked=False),)}
        )
        self.assertEqual([failure.code for failure in failures], [UNKNOWN_SKU, NOT_TRACKED])
        _, refused = stock_targets([{"sku": "G", "type": "grouped", "id": 3}], ["G", "Z"])
        self.assertEqual([failure.code for failure in refused], [NOT_TRACKED, UNKNOWN_SKU])


class DownloadTriggerTests(UploadFixture):
    def test_an_order_from_one_cart_makes_the_other_carts_uploads_due(self) -> None:
        second = create_cart(self.bobs_merchant, prefix="BB2-", label="Second store")
        self.upload(cart=second)
        ServiceSchedule.objects.filter(service=INVENTORY_UPLOAD).update(next_run_at=None)
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DOWNLOAD, cart=self.cart)
        page = OrderPage(orders=[order_record(7001, skus=("TENT-2P-GRN",))])
        order_page_store(cart=self.cart, page=page, run=run)
        due = dict(
            ServiceSchedule.objects.filter(service=INVENTORY_UPLOAD).values_list(
                "cart_id", "next_run_at"
            )
        )
        self.assertIsNotNone(due[second.id])
        self.assertIsNone(due[self.cart.id])  # the cart that sold it lowered its own stock
        self.upload(cart=second)
        self.assertEqual(self.last_sent(), {"TENT-2P-GRN": 8})  # the line is for 2
