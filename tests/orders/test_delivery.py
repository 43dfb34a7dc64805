"""Order delivery to the sandbox WMS: once, held with a reason, retried, never sent twice."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Alert
from carts import services as cart_services
from carts.models import CartConnection
from integration_manager.connector_errors import AuthError, TransientError
from jobs.models import JobRun, ServiceSchedule
from orders.jobs import ORDER_DELIVERY, SHIP_CONFIRM
from orders.models import HoldReason, Order, OrderStatus
from orders.services import actions
from orders.services.delivery import BATCH_SIZE, orders_deliver
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_wms, recorder
from wms import services as wms_services
from wms.models import SandboxWmsOrder, WmsConnection
from wms.selectors import MissingWms


class DeliveryTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.wms = create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")

    def deliver(self):  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        try:
            orders_deliver(merchant=self.bobs_merchant, run=run)
        finally:  # the run ends, as the runner ends it: its claims are no longer a live send
            JobRun.objects.filter(id=run.job_run.id).update(status=JobRun.Status.FAILED)
        return run

    def misbehave(self, **knobs) -> None:  # type: ignore[no-untyped-def]
        WmsConnection.objects.filter(id=self.wms.id).update(
            settings={**self.wms.settings, "misbehave": knobs}
        )

    def test_new_orders_reach_the_wms_once(self) -> None:
        orders = [create_order(self.cart, number=n) for n in range(1001, 1004)]
        run = self.deliver()
        self.assertEqual(run.ok, 3)
        for order in orders:
            order.refresh_from_db()
            self.assertEqual(order.status, OrderStatus.AT_WMS)
            self.assertTrue(order.wms_reference.startswith("SBX-"))
            self.assertEqual(order.events.last().message, "Sent to the WMS.")
        self.deliver()
        self.assertEqual(SandboxWmsOrder.objects.count(), 3)

    def test_a_batch_costs_the_same_queries_whatever_its_size(self) -> None:
        def hub_queries(count: int, start: int) -> int:
            for number in range(start, start + count):
                create_order(self.cart, number=number, skus=("TENT-2P-GRN", "MUG-ENM-WHT"))
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(self.deliver().ok, count)
            # The sandbox WMS keeps its orders in this database: its writes are the WMS's.
            return sum("wms_sandboxwmsorder" not in q["sql"] for q in queries.captured_queries)

        small, full = hub_queries(2, 1), hub_queries(BATCH_SIZE, 100)
        self.assertEqual(small, full)
        two_batches = hub_queries(BATCH_SIZE * 2, 1000)
        # A batch of 50, whatever it holds (its aliases and kits are read with it).
        self.assertLessEqual(two_batches - full, 15)

    def test_a_delivery_makes_ship_confirm_look_at_once(self) -> None:
        confirm = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=SHIP_CONFIRM
        )
        later = timezone.now() + timedelta(minutes=1)
        ServiceSchedule.objects.filter(id=confirm.id).update(next_run_at=later)
        self.deliver()  # nothing to send: the poll keeps its time
        confirm.refresh_from_db()
        self.assertEqual(confirm.next_run_at, later)
        create_order(self.cart, number=1001)
        with self.captureOnCommitCallbacks() as nudges:
            self.deliver()
        confirm.refresh_from_db()
        self.assertLessEqual(confirm.next_run_at, timezone.now())
        self.assertTrue(nudges, "the dispatcher is nudged")

    def test_a_bad_address_is_held_with_what_to_do(self) -> None:
        order = create_order(self.cart, ship_to={"first_name": "Ann", "city": "X", "country": "US"})
        run = self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.ERROR)
        self.assertIn("no street address, postal code", order.error_reason)
        self.assertIn("edit it here: it then goes to the WMS on its own", order.error_reason)
        self.assertEqual(order.error_code, HoldReason.MISSING_ADDRESS)
        self.assertEqual(run.failed, 1)
        self.assertFalse(SandboxWmsOrder.objects.exists())

    def test_an_order_the_wms_refuses_goes_to_error_and_the_rest_go_on(self) -> None:
        bad = create_order(self.cart, number=1, skus=("NO-SUCH-SKU",))
        good = create_order(self.cart, number=2)
        self.deliver()
        bad.refresh_from_db()
        good.refresh_from_db()
        self.assertEqual(bad.status, OrderStatus.ERROR)
        self.assertIn(
            "The WMS refused the order: The warehouse has no product NO-SUCH-SKU", bad.error_reason
        )
        self.assertEqual(bad.error_code, HoldReason.UNKNOWN_SKU)
        self.assertEqual(good.status, OrderStatus.AT_WMS)

    def test_an_unmapped_ship_method_holds_the_order_until_it_is_mapped(self) -> None:
        CartConnection.objects.filter(id=self.cart.id).update(reject_unmapped_ship_methods=True)
        order = create_order(self.cart, ship_code="pigeon")
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.ERROR)
        alert = Alert.objects.get(kind="unmapped_ship_method")
        self.assertIn("pigeon", alert.subject)
        wms_services.ship_method_map_save(
            cart=self.cart, cart_code="pigeon", wms_code="UPS-GND", passthrough=False
        )
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.NEW)
        self.assertIsNotNone(Alert.objects.get(id=alert.id).resolved_at)
        self.deliver()
        order.refresh_from_db()
        self.assertEqual((order.status, order.wms_ship_code), (OrderStatus.AT_WMS, "UPS-GND"))
        self.assertEqual(SandboxWmsOrder.objects.get().payload["ship_code"], "UPS-GND")

    def test_a_renamed_cart_still_releases_its_held_orders_and_resolves_the_alert(self) -> None:
        """Held orders and their alert are found by codes and ids, not by the words shown."""
        CartConnection.objects.filter(id=self.cart.id).update(reject_unmapped_ship_methods=True)
        order = create_order(self.cart, ship_code="pigeon")
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.error_code, HoldReason.UNMAPPED_SHIP_METHOD)
        # People rename things and edit the words; neither may keep the order held.
        Order.objects.filter(id=order.id).update(error_reason="Held, see the mapping page.")
        cart = CartConnection.objects.get(id=self.cart.id)
        cart_services.cart_update(
            cart=cart,
            label="Bob's Bikes (renamed)",
            order_source=cart.order_source,
            reference_prefix=cart.reference_prefix,
            reject_unmapped_ship_methods=True,
            inventory_location_id=None,
            settings={},
            credentials={},
        )
        wms_services.ship_method_map_save(
            cart=cart, cart_code="pigeon", wms_code="UPS-GND", passthrough=False
        )
        order.refresh_from_db()
        self.assertEqual((order.status, order.error_code), (OrderStatus.NEW, ""))
        self.assertFalse(
            Alert.objects.filter(kind="unmapped_ship_method", resolved_at=None).exists()
        )

    def test_an_unmapped_code_goes_as_it_is_when_not_rejected(self) -> None:
        order = create_order(self.cart, ship_code="pigeon")
        self.deliver()
        order.refresh_from_db()
        self.assertEqual((order.status, order.wms_ship_code), (OrderStatus.AT_WMS, "pigeon"))

    def test_a_timeout_after_the_wms_accepted_does_not_send_it_twice(self) -> None:
        order = create_order(self.cart)
        self.misbehave(timeout_after_accept=[order.cust_ref])
        with self.assertRaises(TransientError):
            self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.NEW)
        self.assertIsNotNone(order.delivery_started_at)  # the attempt is on record
        run = self.deliver()  # the WMS still "times out" if asked to take it again
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        self.assertIn("was not sent again", order.events.last().message)
        self.assertEqual(SandboxWmsOrder.objects.filter(cust_ref=order.cust_ref).count(), 1)
        self.assertIn("already at the WMS", run.text())

    def test_an_unclear_attempt_the_wms_never_got_is_sent_again(self) -> None:
        order = create_order(self.cart)
        Order.objects.filter(id=order.id).update(
            delivery_started_at=timezone.now() - timedelta(minutes=5)
        )
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        self.assertEqual(SandboxWmsOrder.objects.count(), 1)

    def test_refused_credentials_release_the_orders(self) -> None:
        order = create_order(self.cart)
        WmsConnection.objects.filter(id=self.wms.id).update(credentials={"api_key": "wrong"})
        with self.assertRaises(AuthError) as caught:
            self.deliver()
        self.assertIn("refused the key", str(caught.exception))
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.NEW)
        self.assertIsNone(order.delivery_started_at)

    def test_no_wms_says_so(self) -> None:
        WmsConnection.objects.all().delete()
        create_order(self.cart)
        with self.assertRaises(MissingWms) as caught:
            self.deliver()
        self.assertIn("No WMS is set up", str(caught.exception))

    def test_held_back_and_not_yet_due_orders_wait(self) -> None:
        held = create_order(self.cart, number=1, sending_canceled=True)
        later = create_order(self.cart, number=2, not_before=timezone.now() + timedelta(minutes=10))
        self.deliver()
        self.assertFalse(SandboxWmsOrder.objects.exists())
        for order in (held, later):
            order.refresh_from_db()
            self.assertEqual(order.status, OrderStatus.NEW)

    def test_a_temporary_refusal_backs_off_and_gives_up_after_15_days(self) -> None:
        from integration_manager.records import DeliveryResult
        from orders.services.delivery import _record_results

        order = create_order(self.cart)
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        result = {
            order.cust_ref: DeliveryResult(order.cust_ref, ok=False, error="busy", permanent=False)
        }
        order.cart = self.cart
        _record_results([order], result, run=run)
        order.refresh_from_db()
        self.assertEqual((order.status, order.failed_sends), (OrderStatus.NEW, 1))
        self.assertGreater(order.not_before, timezone.now())
        Order.objects.filter(id=order.id).update(
            first_failed_at=timezone.now() - timedelta(days=16)
        )
        order.refresh_from_db()
        order.cart = self.cart
        _record_results([order], result, run=run)
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.ERROR)
        self.assertIn("15 days", order.error_reason)
        self.assertTrue(Alert.objects.filter(kind="delivery_gave_up").exists())


class OrderActionTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")

    def test_resend_puts_an_error_order_back_to_new(self) -> None:
        order = create_order(
            self.cart, status=OrderStatus.ERROR, error_reason="bad", failed_sends=3
        )
        actions.order_resend(order=order, user=self.alice)
        order.refresh_from_db()
        self.assertEqual((order.status, order.error_reason, order.failed_sends), ("new", "", 0))
        self.assertEqual(order.events.last().user, self.alice)

    def test_cancel_sending_keeps_it_out_of_delivery(self) -> None:
        order = create_order(self.cart)
        actions.order_cancel_sending(order=order, user=self.alice)
        orders_deliver(
            merchant=self.bobs_merchant,
            run=recorder(merchant=self.bobs_merchant, service="order_delivery"),
        )
        order.refresh_from_db()
        self.assertEqual((order.status, order.sending_canceled), ("new", True))
        actions.order_resume_sending(order=order, user=self.alice)
        orders_deliver(
            merchant=self.bobs_merchant,
            run=recorder(merchant=self.bobs_merchant, service="order_delivery"),
        )
        order.refresh_from_db()
        self.assertEqual(order.status, "at_wms")


class AliasSavedMidRunTests(BaseTestCase):
    """An admin maps an unknown SKU while a delivery run is under way; the orders it
    released are read by that same run's next batch, and must be sent with the alias (CI
    saw the run hold them again with the rules it had read at its start)."""

    def test_orders_released_by_an_alias_mid_run_are_sent_with_it(self) -> None:
        from unittest import mock

        from inventory.models import ProductAlias
        from orders.services import delivery
        from orders.services.release import held_orders_release, orders_held_for_sku

        create_wms(self.alices_account)
        cart = create_cart(self.bobs_merchant, prefix="AM-")
        CartConnection.objects.filter(id=cart.id).update(translate_item_codes=True)
        for number in (1, 2):
            create_order(cart, number=number, skus=("LANTERN-OLD-1", "TENT-2P-GRN"))
        real_send = delivery._send
        batches: list[int] = []

        def send(orders, **kwargs):  # type: ignore[no-untyped-def]
            sent = real_send(orders, **kwargs)
            batches.append(len(orders))
            if len(batches) == 1:  # the WMS refused the first batch: the admin steps in
                ProductAlias.objects.create(
                    account=self.alices_account,
                    merchant=self.bobs_merchant,
                    alias="LANTERN-OLD-1",
                    sku="LAMP-HD-300",
                )
                held_orders_release(
                    orders_held_for_sku(merchant_id=self.bobs_merchant.id, skus=["LANTERN-OLD-1"]),
                    codes=[HoldReason.UNKNOWN_SKU],
                    why="LANTERN-OLD-1 mapped with a product alias.",
                )
            return sent

        run = recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        with mock.patch.object(delivery, "_send", send):
            orders_deliver(merchant=self.bobs_merchant, run=run)
        self.assertEqual(batches, [2, 2], "the released orders were not read again by the run")
        self.assertEqual(
            sorted(Order.objects.values_list("status", flat=True)), [OrderStatus.AT_WMS] * 2
        )
        self.assertEqual(SandboxWmsOrder.objects.count(), 2)
