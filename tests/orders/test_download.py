"""Order download: each order stored once, the cursor moved with its page, nothing overwritten."""

from __future__ import annotations

import threading
from decimal import Decimal

from django.db import connection, connections
from django.test import TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carts.models import CartConnection
from integration_manager.connector_errors import RecordError
from integration_manager.records import OrderPage
from jobs.models import Frequency, ServiceSchedule
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.services.download import order_page_store, orders_download
from tests.base import BaseTestCase, TenantsMixin
from tests.objects import create_cart, order_record, recorder
from wms.models import ShipMethodMap


class DownloadTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")

    def store(self, *records, cursor: str | None = "c1", failures=()):  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DOWNLOAD, cart=self.cart)
        page = OrderPage(orders=list(records), failures=list(failures), cursor=cursor)
        return order_page_store(cart=self.cart, page=page, run=run), run

    def test_it_stores_an_order_with_lines_money_and_an_event(self) -> None:
        (inserted, updated), run = self.store(order_record(1001, skus=("A", "B")))
        self.assertEqual((inserted, updated), (1, 0))
        order = Order.objects.get()
        self.assertEqual(order.cust_ref, "BB-1001")
        self.assertEqual(order.status, OrderStatus.NEW)
        self.assertEqual(order.sub_total, Decimal("42.00"))  # 2 lines × 2 × 10.50
        self.assertEqual(order.grand_total, Decimal("42.00") + Decimal("2.94") + Decimal("5.99"))
        self.assertEqual([line.sku for line in order.lines.all()], ["A", "B"])
        event = OrderEvent.objects.get(order=order)
        self.assertEqual(
            (event.from_status, event.to_status, event.job_run_id), ("", "new", run.job_run.id)
        )

    def test_the_same_page_twice_stores_each_order_once(self) -> None:
        records = [order_record(n) for n in range(1001, 1011)]
        self.store(*records)
        (inserted, updated), _ = self.store(*records)
        self.assertEqual((inserted, updated), (0, 0))
        self.assertEqual(Order.objects.count(), 10)
        self.assertEqual(OrderLine.objects.count(), 10)
        self.assertEqual(OrderEvent.objects.count(), 10)

    def test_an_order_twice_on_one_page_keeps_the_newest(self) -> None:
        self.store(
            order_record(1001, minutes=1, street="Old St 1"),
            order_record(1001, minutes=5, street="New St 5"),
        )
        self.assertEqual(Order.objects.get().ship_to["address_1"], "New St 5")

    def test_a_newer_copy_refreshes_a_new_order(self) -> None:
        self.store(order_record(1001, street="Old St 1", skus=("A",)))
        (inserted, updated), _ = self.store(
            order_record(1001, minutes=3, street="New St 5", skus=("A", "B"))
        )
        self.assertEqual((inserted, updated), (0, 1))
        order = Order.objects.get()
        self.assertEqual(order.ship_to["address_1"], "New St 5")
        self.assertEqual(order.lines.count(), 2)
        self.assertIn("Changed in the cart", order.events.last().message)

    def test_an_order_past_new_is_never_overwritten(self) -> None:
        self.store(order_record(1001, street="Old St 1"))
        Order.objects.update(status=OrderStatus.AT_WMS)
        self.store(order_record(1001, minutes=3, street="New St 5", skus=("A", "B")))
        order = Order.objects.get()
        self.assertEqual(order.ship_to["address_1"], "Old St 1")
        self.assertEqual(order.lines.count(), 1)

    def test_an_order_being_sent_is_not_overwritten(self) -> None:
        self.store(order_record(1001, street="Old St 1"))
        Order.objects.update(delivery_started_at="2026-11-20T12:00:00Z")
        self.store(order_record(1001, minutes=3, street="New St 5"))
        self.assertEqual(Order.objects.get().ship_to["address_1"], "Old St 1")

    def test_the_cursor_moves_with_the_page(self) -> None:
        self.store(order_record(1001), cursor="2026-11-20T12:00:00+00:00")
        self.cart.refresh_from_db()
        self.assertEqual(self.cart.cursor, "2026-11-20T12:00:00+00:00")

    def test_a_bad_record_is_skipped_and_the_page_goes_on(self) -> None:
        failure = RecordError("The order has no lines.", record_ref="999")
        (inserted, _), run = self.store(order_record(1001), order_record(1002), failures=[failure])
        self.assertEqual(inserted, 2)
        self.assertEqual(run.skipped, 1)
        self.assertIn("Order 999 skipped: The order has no lines.", run.text())

    def test_a_cancel_before_sending_stops_the_order(self) -> None:
        self.store(order_record(1001))
        self.store(order_record(1001, minutes=2, canceled=True))
        order = Order.objects.get()
        self.assertEqual(order.status, OrderStatus.CANCELED)
        self.assertIn("will not be sent", order.events.last().message)

    def test_a_cancel_after_sending_raises_an_alert(self) -> None:
        self.store(order_record(1001))
        Order.objects.update(status=OrderStatus.AT_WMS)
        self.store(order_record(1001, minutes=2, canceled=True))
        order = Order.objects.get()
        self.assertEqual(order.status, OrderStatus.AT_WMS)
        self.assertIsNotNone(order.canceled_in_cart_at)
        self.assertEqual(self.cart.alerts.get().kind, "canceled_after_delivery")
        self.store(order_record(1001, minutes=3, canceled=True))  # seen again: no second alert
        self.assertEqual(self.cart.alerts.get().count, 1)

    def test_an_order_first_seen_canceled_is_stored_canceled(self) -> None:
        self.store(order_record(1001, canceled=True))
        self.assertEqual(Order.objects.get().status, OrderStatus.CANCELED)

    def test_new_ship_codes_join_the_mapping_list_unmapped(self) -> None:
        self.store(order_record(1001, ship_code="express"), order_record(1002, ship_code="express"))
        entry = ShipMethodMap.objects.get(cart=self.cart)
        self.assertEqual(
            (entry.cart_code, entry.wms_code, entry.passthrough), ("express", "", False)
        )

    def test_new_orders_make_automatic_delivery_due_now(self) -> None:
        delivery = ServiceSchedule.objects.get(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        self.assertEqual(delivery.frequency, Frequency.AUTOMATIC)
        self.assertGreater(delivery.next_run_at, timezone.now())  # waits for an event
        with self.captureOnCommitCallbacks() as callbacks:
            self.store(order_record(1001))
        delivery.refresh_from_db()
        self.assertLessEqual(delivery.next_run_at, timezone.now())
        self.assertTrue(callbacks, "the dispatcher is nudged on commit")

    def test_a_page_costs_the_same_queries_whatever_its_size(self) -> None:
        with CaptureQueriesContext(connection) as small:
            self.store(*[order_record(n, skus=("A", "B")) for n in range(1, 11)])
        with CaptureQueriesContext(connection) as large:
            self.store(*[order_record(n, skus=("A", "B")) for n in range(100, 350)])
        self.assertEqual(len(small.captured_queries), len(large.captured_queries))
        self.assertLessEqual(len(large.captured_queries), 15)
        self.assertEqual(Order.objects.count(), 260)

    def test_it_writes_one_event_per_order_with_its_reason(self) -> None:
        self.store(order_record(1001))
        _, run = self.store(
            order_record(1001, minutes=2), order_record(1002), order_record(1003, canceled=True)
        )
        events = {
            event.order.source_order_id: (event.from_status, event.to_status, event.message)
            for event in OrderEvent.objects.filter(job_run=run.job_run)
        }
        label = self.cart.label
        self.assertEqual(
            events,
            {
                "1001": ("new", "new", "Changed in the cart before it was sent: updated."),
                "1002": ("", "new", f"Downloaded from {label}."),
                "1003": (
                    "",
                    "canceled",
                    f"Downloaded from {label}, already canceled there: it will not be sent.",
                ),
            },
        )

    def test_refreshes_and_cancels_cost_the_same_queries_whatever_the_page_size(self) -> None:
        def mixed(numbers: range) -> list:  # type: ignore[type-arg]
            return [
                record
                for n in numbers
                for record in (
                    order_record(n, minutes=2, skus=("A", "B")),  # refreshed, new lines
                    order_record(n + 1, minutes=2, canceled=True),  # canceled before sending
                    order_record(n + 2, canceled=True),  # new, already canceled
                    order_record(n + 3, ship_code=f"code-{n}"),  # new, a new ship code
                )
            ]

        counts = []
        for numbers in (range(1, 5, 4), range(101, 181, 4)):
            self.store(*[order_record(m) for n in numbers for m in (n, n + 1)])
            with CaptureQueriesContext(connection) as queries:
                (inserted, updated), _ = self.store(*mixed(numbers))
            self.assertEqual((inserted, updated), (2 * len(numbers), 2 * len(numbers)))
            counts.append(len(queries.captured_queries))
        self.assertEqual(counts[0], counts[1])

    def test_the_sandbox_cart_downloads_through_the_service(self) -> None:
        cart = create_cart(self.other_merchant, prefix="SB-", settings={"orders_per_minute": 10})
        run = recorder(merchant=self.other_merchant, service=ORDER_DOWNLOAD, cart=cart)
        orders_download(cart=cart, run=run)
        count = Order.objects.filter(cart=cart).count()
        self.assertGreater(count, 10)  # it started three minutes ago at 10 a minute
        orders_download(cart=CartConnection.objects.get(id=cart.id), run=run)  # overlapping window
        self.assertEqual(Order.objects.filter(cart=cart).count(), count)
        self.assertTrue(CartConnection.objects.get(id=cart.id).cursor)


class ConcurrentDownloadTests(TenantsMixin, TransactionTestCase):
    """Two downloads of the same page at the same moment on PostgreSQL store each order once."""

    def test_two_racing_downloads_store_each_order_once(self) -> None:
        self.create_tenants()
        cart = create_cart(self.bobs_merchant, prefix="RC-")
        records = [order_record(n, skus=("A", "B")) for n in range(1, 101)]
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def download() -> None:
            try:
                run = recorder(merchant=self.bobs_merchant, service=ORDER_DOWNLOAD, cart=cart)
                start.wait()
                order_page_store(cart=cart, page=OrderPage(orders=records, cursor="x"), run=run)
            except BaseException as error:  # reported below; a thread's error is otherwise lost
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=download) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(Order.objects.filter(cart=cart).count(), 100)
        self.assertEqual(OrderLine.objects.filter(order__cart=cart).count(), 200)
        self.assertEqual(OrderEvent.objects.filter(order__cart=cart).count(), 100)
