"""Order counts kept by triggers: equal to a plain COUNT after any mix of writes, on
PostgreSQL and SQLite, with writers at once, folded by the dispatcher, scoped per tenant."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Case, Count, Value, When
from django.test import TestCase, TransactionTestCase
from django.utils import timezone

from accounts.models import Account, Merchant
from carts.models import CartConnection
from integration_manager.records import OrderPage
from jobs.dispatcher import dispatch_tick
from orders.jobs import ORDER_DOWNLOAD
from orders.models import Order, OrderStatus, OrderStatusCount, OrderStatusCountDelta
from orders.rows import ORDERS
from orders.selectors import FINISHED, order_counts_by_merchant
from orders.services.download import _order_values, order_page_store
from orders.status_counts import order_status_counts, order_status_counts_fold
from orders.upsert import orders_upsert
from tests.base import BaseTestCase, TenantsMixin
from tests.objects import create_cart, create_order, order_record, recorder


def kept_counts(using: str = "default") -> dict[tuple[int, str], int]:
    counts = order_status_counts(
        totals=OrderStatusCount.objects.using(using).all(),
        deltas=OrderStatusCountDelta.objects.using(using).all(),
    )
    return {key: count for key, count in counts.items() if count}


def plain_counts(using: str = "default") -> dict[tuple[int, str], int]:
    rows = Order.objects.using(using).values_list("merchant_id", "status").annotate(Count("id"))
    return {(merchant_id, status): count for merchant_id, status, count in rows.order_by()}


class StatusCountsTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")

    def download(self, *records) -> None:  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DOWNLOAD, cart=self.cart)
        order_page_store(cart=self.cart, page=OrderPage(orders=list(records)), run=run)

    def assert_counts_right(self) -> None:
        self.assertEqual(kept_counts(), plain_counts())
        order_status_counts_fold()
        self.assertEqual(OrderStatusCountDelta.objects.count(), 0)
        self.assertEqual(kept_counts(), plain_counts())

    def test_it_keeps_counts_through_a_mix_of_writes(self) -> None:
        self.download(*[order_record(number) for number in range(1, 41)])
        self.assertEqual(kept_counts(), {(self.bobs_merchant.id, "new"): 40})
        self.assert_counts_right()
        # A newer copy of orders already stored (an upsert's update) and new ones at once.
        self.download(*[order_record(number, minutes=5) for number in range(31, 51)])
        self.assert_counts_right()
        bobs = Order.objects.filter(cart=self.cart)
        bobs.filter(source_order_id__in=[str(n) for n in range(1, 21)]).update(status="at_wms")
        bobs.filter(status="at_wms", source_order_id__in=["1", "2", "3"]).update(status="shipped")
        bobs.filter(source_order_id="4").update(status="error")
        self.assert_counts_right()
        # Canceled in the cart: the download's cancel stops orders not sent yet.
        self.download(*[order_record(number, minutes=9, canceled=True) for number in (45, 46)])
        self.assertEqual(bobs.filter(status="canceled").count(), 2)
        bobs.filter(source_order_id__in=["47", "48"]).delete()
        bobs.filter(source_order_id__in=["49", "50"]).update(merchant=self.other_merchant)
        # One statement moving orders both ways between two statuses.
        Order.objects.filter(status__in=["shipped", "error"]).update(
            status=_swap("shipped", "error")
        )
        self.assertEqual(kept_counts(), plain_counts())
        self.assertIn((self.other_merchant.id, "new"), kept_counts())
        self.assert_counts_right()

    def test_a_statement_writes_one_delta_per_group_not_per_order(self) -> None:
        self.download(*[order_record(number) for number in range(1, 251)])
        order_status_counts_fold()
        Order.objects.filter(cart=self.cart).update(status="at_wms")
        # -250 new and +250 at the WMS: two rows for a 250-order update.
        self.assertEqual(
            sorted(OrderStatusCountDelta.objects.values_list("status", "delta")),
            [("at_wms", 250), ("new", -250)],
        )
        Order.objects.filter(cart=self.cart).update(updated_at=timezone.now())
        self.assertEqual(OrderStatusCountDelta.objects.count(), 2)  # no status moved

    def test_the_dispatcher_tick_folds_the_deltas(self) -> None:
        self.download(order_record(1), order_record(2))
        self.assertEqual(OrderStatusCount.objects.count(), 0)
        dispatch_tick()
        self.assertEqual(OrderStatusCountDelta.objects.count(), 0)
        self.assertEqual(
            list(OrderStatusCount.objects.values_list("merchant_id", "status", "count")),
            [(self.bobs_merchant.id, "new", 2)],
        )

    def test_deleting_a_merchant_with_orders_leaves_nothing_behind(self) -> None:
        merchant = Merchant.objects.create(account=self.alices_account, name="Closing Down")
        create_order(create_cart(merchant, prefix="CD-"), number=1)
        order_status_counts_fold()
        create_order(CartConnection.objects.get(merchant=merchant), number=2)
        merchant.delete()  # its orders' triggers append deltas after its own rows went
        order_status_counts_fold()
        self.assertEqual(OrderStatusCountDelta.objects.count(), 0)
        self.assertFalse(OrderStatusCount.objects.filter(merchant_id=merchant.id).exists())
        self.assertEqual(kept_counts(), plain_counts())


def _swap(first: str, second: str) -> Case:
    """status = the other one of two: orders moving both ways in one UPDATE statement."""
    return Case(When(status=first, then=Value(second)), default=Value(first))


class DashboardCountsTests(BaseTestCase):
    """order_counts_by_merchant from the kept counts is what a plain count shows."""

    def setUp(self) -> None:
        super().setUp()
        self.bobs_cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.other_cart = create_cart(self.other_merchant, prefix="OO-")
        self.charlies_cart = create_cart(self.charlies_merchant, prefix="CC-")
        recent = timezone.now() - timedelta(days=2)
        old = datetime(2020, 1, 1, tzinfo=UTC)
        mix = [
            (self.bobs_cart, "new", recent),
            (self.bobs_cart, "new", old),
            (self.bobs_cart, "at_wms", recent),
            (self.bobs_cart, "confirmed", recent),
            (self.bobs_cart, "confirmed", old),
            (self.other_cart, "error", old),
            (self.other_cart, "canceled", recent),
            (self.charlies_cart, "shipped", recent),
            (self.charlies_cart, "new", recent),
        ]
        for number, (cart, status, ordered_at) in enumerate(mix, start=1):
            create_order(cart, number=number, status=status, ordered_at=ordered_at)

    def shown(self, membership) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
        return {row.merchant.name: row.by_status for row in order_counts_by_merchant(membership)}

    def counted(self, membership) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
        """What the dashboard showed before the kept counts: plain COUNTs."""
        since = timezone.now() - timedelta(days=30)
        shown: dict[str, dict[str, int]] = {name: {} for name in self.shown(membership)}
        for order in Order.objects.filter(account=membership.account).select_related("merchant"):
            if membership.is_merchant_user and order.merchant_id != membership.merchant_id:
                continue
            if order.status in FINISHED and order.ordered_at < since:
                continue
            counts = shown[order.merchant.name]
            counts[order.status] = counts.get(order.status, 0) + 1
        return shown

    def test_it_shows_what_a_plain_count_shows(self) -> None:
        expected = {
            "Bob's Bikes": {"new": 2, "at_wms": 1, "confirmed": 1},
            "Other Outfitters": {"error": 1, "canceled": 1},
        }
        self.assertEqual(self.shown(self.alice_membership), expected)
        self.assertEqual(self.counted(self.alice_membership), expected)
        order_status_counts_fold()
        Order.objects.filter(cart=self.bobs_cart, status="new").update(status="error")
        self.assertEqual(self.shown(self.alice_membership), self.counted(self.alice_membership))
        self.assertEqual(self.shown(self.alice_membership)["Bob's Bikes"]["error"], 2)

    def test_a_merchant_user_sees_only_their_merchants_counts(self) -> None:
        order_status_counts_fold()  # from the totals as well as the deltas
        create_order(self.other_cart, number=50)
        create_order(self.bobs_cart, number=51, status="shipped")
        self.assertEqual(
            self.shown(self.bob_membership),
            {"Bob's Bikes": {"new": 2, "at_wms": 1, "shipped": 1, "confirmed": 1}},
        )

    def test_charlies_dashboard_shows_none_of_alices_orders(self) -> None:
        order_status_counts_fold()
        create_order(self.bobs_cart, number=60)
        self.assertEqual(
            self.shown(self.charlie_membership), {"Charlie's Candles": {"new": 1, "shipped": 1}}
        )

    def test_its_queries_do_not_grow_with_the_orders(self) -> None:
        order_counts_by_merchant(self.alice_membership)  # the account's zone, cached
        with self.assertNumQueries(4):  # merchants; open counts; confirmed; canceled
            order_counts_by_merchant(self.alice_membership)


class SqliteStatusCountsTests(TestCase):
    """The embedded mode's row-level triggers, through the same download upsert."""

    databases = {"default", "sqlite"}

    def test_it_keeps_counts_through_a_mix_of_writes_on_sqlite(self) -> None:
        account = Account.objects.using("sqlite").create(name="Embedded", kind="fulfillment")
        merchant = Merchant.objects.using("sqlite").create(account=account, name="Solo")
        second = Merchant.objects.using("sqlite").create(account=account, name="Second")
        cart = CartConnection.objects.using("sqlite").create(
            account=account,
            merchant=merchant,
            connector_key="sandbox",
            label="s",
            order_source="s",
            reference_prefix="S-",
        )

        def upsert(*records) -> None:  # type: ignore[no-untyped-def]
            # What order_page_store writes, on the embedded mode's database.
            values = [_order_values(cart, record, record.updated_at) for record in records]
            with transaction.atomic(using="sqlite"):
                orders_upsert(ORDERS.rows(values), using="sqlite")

        def assert_counts_right() -> None:
            self.assertEqual(kept_counts("sqlite"), plain_counts("sqlite"))
            order_status_counts_fold(using="sqlite")
            self.assertEqual(OrderStatusCountDelta.objects.using("sqlite").count(), 0)
            self.assertEqual(kept_counts("sqlite"), plain_counts("sqlite"))

        orders = Order.objects.using("sqlite")
        upsert(*[order_record(number) for number in range(1, 21)])
        self.assertEqual(kept_counts("sqlite"), {(merchant.id, "new"): 20})
        assert_counts_right()
        upsert(*[order_record(number, minutes=5) for number in range(11, 26)])
        orders.filter(source_order_id__in=[str(n) for n in range(1, 11)]).update(status="at_wms")
        orders.filter(source_order_id__in=["1", "2"]).update(status="shipped")
        orders.filter(source_order_id="3").update(status="canceled")
        assert_counts_right()
        orders.filter(source_order_id__in=["20", "21"]).delete()
        orders.filter(source_order_id__in=["22", "23"]).update(merchant=second)
        orders.filter(status__in=["shipped", "new"]).update(status=_swap("shipped", "new"))
        self.assertIn((second.id, "shipped"), kept_counts("sqlite"))
        assert_counts_right()


class ConcurrentStatusCountsTests(TenantsMixin, TransactionTestCase):
    """Writers of the same merchants at once on PostgreSQL: none waits, counts stay right."""

    def setUp(self) -> None:
        super().setUp()
        self.create_tenants()
        bobs_cart = create_cart(self.bobs_merchant, prefix="BB-")
        other_cart = create_cart(self.other_merchant, prefix="OO-")
        for number in range(1, 41):
            create_order(bobs_cart, number=number)
            create_order(other_cart, number=number)

    def run_at_once(self, *writers: Callable[[threading.Barrier], None]) -> list[BaseException]:
        # A writer that waited on another's lock would never reach the barrier: the barrier
        # then breaks after its timeout, and the test fails instead of hanging.
        barrier = threading.Barrier(len(writers), timeout=10)
        errors: list[BaseException] = []

        def run(writer: Callable[[threading.Barrier], None]) -> None:
            try:
                writer(barrier)
            except BaseException as error:  # reported below; a thread's error is otherwise lost
                errors.append(error)
                barrier.abort()
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run, args=(writer,)) for writer in writers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return errors

    def move(self, first: Merchant, second: Merchant, status: str, numbers: range):  # type: ignore[no-untyped-def]
        """A transaction moving some new orders of one merchant, then of the other, each
        step taken while the other writer's transaction is open too."""

        def writer(barrier: threading.Barrier) -> None:
            with transaction.atomic():
                for merchant in (first, second):
                    Order.objects.filter(
                        merchant=merchant, source_order_id__in=[str(n) for n in numbers]
                    ).update(status=status)
                    barrier.wait()
                barrier.wait()  # while the fold runs

        return writer

    @staticmethod
    def fold(barrier: threading.Barrier) -> None:
        """Fold while both writers' transactions are open with their changes: it folds the
        committed deltas and must neither wait for nor lose the writers' ones."""
        barrier.wait()
        barrier.wait()
        order_status_counts_fold()
        barrier.wait()

    def test_two_writers_of_the_same_merchants_neither_wait_nor_deadlock(self) -> None:
        errors = self.run_at_once(
            # Opposite orders of merchants: counter rows updated in place would deadlock.
            self.move(self.bobs_merchant, self.other_merchant, "at_wms", range(1, 11)),
            self.move(self.other_merchant, self.bobs_merchant, "error", range(11, 21)),
            self.fold,
        )
        self.assertEqual(errors, [])
        # The fold took the orders created before the writers began, and only those.
        self.assertEqual(
            OrderStatusCount.objects.get(merchant=self.bobs_merchant, status="new").count, 40
        )
        self.assertEqual(kept_counts(), plain_counts())
        self.assertEqual(kept_counts()[(self.bobs_merchant.id, OrderStatus.AT_WMS)], 10)
        order_status_counts_fold()
        self.assertEqual(kept_counts(), plain_counts())
        self.assertEqual(
            OrderStatusCount.objects.get(merchant=self.other_merchant, status="new").count, 20
        )


class StatusCountsMigrationTests(TransactionTestCase):
    """Migration 0009 counts the orders stored before it, on PostgreSQL and SQLite."""

    databases = {"default", "sqlite"}

    def migrate_with_orders_before(self, using: str) -> dict[tuple[int, str], int]:
        before = [("orders", "0008_order_ready_for_pull")]
        executor = MigrationExecutor(connections[using])
        latest = executor.loader.graph.leaf_nodes("orders")
        executor.migrate(before)
        try:
            models = executor.loader.project_state(before).apps  # the tables as they were
            account = (
                models.get_model("accounts", "Account")
                .objects.using(using)
                .create(name="Before", kind="fulfillment")
            )
            merchant = (
                models.get_model("accounts", "Merchant")
                .objects.using(using)
                .create(account=account, name="Early")
            )
            cart = (
                models.get_model("carts", "CartConnection")
                .objects.using(using)
                .create(
                    account=account,
                    merchant=merchant,
                    connector_key="sandbox",
                    label="s",
                    order_source="s",
                    reference_prefix="E-",
                )
            )
            orders = models.get_model("orders", "Order").objects.using(using)
            for number, status in enumerate(["new", "new", "at_wms", "confirmed"], start=1):
                orders.create(
                    account=account,
                    merchant=merchant,
                    cart=cart,
                    source_order_id=str(number),
                    order_number=f"#{number}",
                    cust_ref=f"E-{number}",
                    status=status,
                    ordered_at=timezone.now(),
                )
        finally:
            MigrationExecutor(connections[using]).migrate(latest)
        Order.objects.using(using).filter(status="at_wms").update(status="shipped")
        return {(merchant.id, "new"): 2, (merchant.id, "shipped"): 1, (merchant.id, "confirmed"): 1}

    def test_it_counts_the_orders_stored_before_it_on_postgresql(self) -> None:
        expected = self.migrate_with_orders_before("default")
        self.assertEqual(kept_counts(), expected)
        self.assertEqual(plain_counts(), expected)

    def test_it_counts_the_orders_stored_before_it_on_sqlite(self) -> None:
        expected = self.migrate_with_orders_before("sqlite")
        self.assertEqual(kept_counts("sqlite"), expected)
        self.assertEqual(plain_counts("sqlite"), expected)
        # The flush after this test empties SQLite with DELETE, whose triggers would leave
        # deltas of these orders for the next test: leave no orders behind.
        Order.objects.using("sqlite").all().delete()
        order_status_counts_fold(using="sqlite")
