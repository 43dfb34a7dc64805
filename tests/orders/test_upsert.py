"""The orders upsert on PostgreSQL (COPY into a staging table) and on the embedded SQLite."""

from __future__ import annotations

from django.db import connections, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Merchant
from carts.models import CartConnection
from orders.models import Order, OrderStatus
from orders.rows import ORDERS
from orders.services.download import _order_values
from orders.upsert import orders_upsert
from tests.objects import order_record


class OrderUpsertTests(TestCase):
    """Each test runs on PostgreSQL here and on SQLite in SqliteOrderUpsertTests."""

    using = "default"

    def setUp(self) -> None:
        super().setUp()
        account = Account.objects.using(self.using).create(name="Embedded", kind="fulfillment")
        merchant = Merchant.objects.using(self.using).create(account=account, name="Solo")
        self.cart = CartConnection.objects.using(self.using).create(
            account=account,
            merchant=merchant,
            connector_key="sandbox",
            label="s",
            order_source="s",
            reference_prefix="S-",
        )
        self.orders = Order.objects.using(self.using)

    def upsert(self, *records) -> dict[str, bool]:  # type: ignore[no-untyped-def]
        rows = ORDERS.rows(_order_values(self.cart, r, r.updated_at) for r in records)
        return {row.key: row.inserted for row in orders_upsert(rows, using=self.using)}

    def test_it_inserts_refreshes_and_leaves_alone(self) -> None:
        self.assertEqual(self.upsert(order_record(1), order_record(2)), {"1": True, "2": True})
        self.assertEqual(self.upsert(order_record(1), order_record(2)), {})  # unchanged
        self.assertEqual(
            self.upsert(order_record(1, minutes=5), order_record(3)), {"1": False, "3": True}
        )
        self.orders.filter(source_order_id="2").update(status=OrderStatus.AT_WMS)
        self.assertEqual(self.upsert(order_record(2, minutes=9)), {})  # past new: never
        self.assertEqual(self.orders.count(), 3)

    def test_it_never_overwrites_an_order_being_sent(self) -> None:
        self.upsert(order_record(1, street="Old St 1"))
        self.orders.update(delivery_started_at="2026-11-20T12:00:00Z")
        self.assertEqual(self.upsert(order_record(1, minutes=5, street="New St 5")), {})
        self.assertEqual(self.orders.get().ship_to["address_1"], "Old St 1")

    def test_it_takes_only_the_carts_fields_on_a_refresh(self) -> None:
        self.upsert(order_record(1, street="Old St 1"))
        self.orders.update(error_reason="Held by a person", ready_at="2026-11-20T12:00:00Z")
        self.upsert(order_record(1, minutes=5, street="New St 5", canceled=True))
        order = self.orders.get()
        self.assertEqual(order.ship_to["address_1"], "New St 5")
        self.assertIsNotNone(order.canceled_in_cart_at)
        self.assertEqual(order.status, OrderStatus.NEW)  # the hub's own state stays
        self.assertEqual(order.error_reason, "Held by a person")
        self.assertIsNone(order.ready_at)  # checked again before a warehouse may take it

    def test_it_returns_the_stored_rows_ids(self) -> None:
        rows = ORDERS.rows(
            _order_values(self.cart, r, r.ordered_at) for r in map(order_record, (7, 8))
        )
        upserted = orders_upsert(rows, using=self.using)
        stored = dict(self.orders.values_list("source_order_id", "id"))
        self.assertEqual({row.key: row.id for row in upserted}, stored)

    def test_it_stores_a_page_larger_than_one_sqlite_statement(self) -> None:
        # Django gives SQLite 999 parameters a statement: some 20 orders of this many columns.
        records = [order_record(n) for n in range(1, 101)]
        self.assertEqual(set(self.upsert(*records).values()), {True})
        self.assertEqual(self.orders.count(), 100)
        refreshed = self.upsert(*[order_record(n, minutes=1) for n in range(1, 101)])
        self.assertEqual(len(refreshed), 100)
        self.assertEqual(set(refreshed.values()), {False})

    def test_it_keeps_two_pages_in_one_transaction_apart(self) -> None:
        with transaction.atomic(using=self.using):
            self.assertEqual(self.upsert(order_record(1)), {"1": True})
            self.orders.filter(source_order_id="1").delete()
            # The second page writes its own orders only: the first one's stay gone.
            self.assertEqual(self.upsert(order_record(2)), {"2": True})
            self.assertEqual(list(self.orders.values_list("source_order_id", flat=True)), ["2"])


class SqliteOrderUpsertTests(OrderUpsertTests):
    """The same upsert on the embedded mode's database."""

    databases = {"default", "sqlite"}
    using = "sqlite"

    def test_it_runs_on_sqlite(self) -> None:
        self.assertEqual(connections[self.using].vendor, "sqlite")  # so the tests mean it


class OrderUpsertStatementsTests(TestCase):
    """PostgreSQL: the statements a page costs, as the query log and the tests count them."""

    def test_it_logs_the_copy_with_its_statements(self) -> None:
        account = Account.objects.create(name="A", kind="fulfillment")
        merchant = Merchant.objects.create(account=account, name="M")
        cart = CartConnection.objects.create(
            account=account, merchant=merchant, connector_key="sandbox", reference_prefix="P-"
        )
        for count in (1, 50):
            records = [order_record(n) for n in range(count * 100, count * 101)]
            rows = ORDERS.rows(_order_values(cart, r, r.updated_at) for r in records)
            with CaptureQueriesContext(connections["default"]) as queries:
                self.assertEqual(len(orders_upsert(rows)), count)
            statements = [query["sql"].split()[0] for query in queries.captured_queries]
            self.assertEqual(statements, ["CREATE", "COPY", "WITH"])
