"""Rows from tuples: each model's columns and defaults, and values stored as Django stores them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.forms.models import model_to_dict
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Merchant
from carts.models import CartConnection
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.rows import ORDER_EVENTS, ORDER_LINES, ORDERS
from orders.upsert import orders_upsert, rows_insert

# Text that COPY's format and SQL quoting must both carry through unchanged.
AWKWARD = "tab\there, line\nbreak, return\r, back\\slash, \\N, \"quoted\", 'single', ünï 📦"
NEW_YORK = ZoneInfo("America/New_York")


class TableTests(TestCase):
    def test_it_leaves_out_the_generated_id(self) -> None:
        self.assertNotIn("id", ORDERS.names)
        self.assertEqual(len(ORDERS.names), len(Order._meta.concrete_fields) - 1)
        self.assertIn("delivery_job_run_id", ORDERS.names)  # a key by its column

    def test_it_fills_what_a_row_leaves_out_with_the_models_defaults(self) -> None:
        first, second = ORDER_EVENTS.rows([{"order_id": 1}, {"order_id": 2, "message": "m"}])
        event = dict(zip(ORDER_EVENTS.names, first, strict=True))
        self.assertEqual((event["message"], event["user_id"]), ("", None))
        # timezone.now, once for the call: a page's events share their time
        self.assertIsInstance(event["created_at"], datetime)
        self.assertEqual(second[ORDER_EVENTS.names.index("created_at")], event["created_at"])
        self.assertEqual(second[ORDER_EVENTS.names.index("message")], "m")

    def test_it_refuses_a_field_the_model_lacks(self) -> None:
        with self.assertRaisesMessage(TypeError, "OrderLine has no field(s) colour"):
            ORDER_LINES.rows([{"order_id": 1, "colour": "red"}])


class RowsInsertTests(TestCase):
    """Rows written through COPY here (SqliteRowsInsertTests: SQLite's INSERTs) are stored
    exactly as Django's own save() stores the same values."""

    using = "default"

    def setUp(self) -> None:
        super().setUp()
        account = Account.objects.using(self.using).create(name="A", kind="fulfillment")
        self.merchant = Merchant.objects.using(self.using).create(account=account, name="M")
        self.cart = CartConnection.objects.using(self.using).create(
            account=account, merchant=self.merchant, connector_key="sandbox", label="c"
        )

    def order_values(self, source_id: str) -> dict:  # type: ignore[type-arg]
        return {
            "account_id": self.cart.account_id,
            "merchant_id": self.cart.merchant_id,
            "cart_id": self.cart.id,
            "source_order_id": source_id,
            "order_number": AWKWARD[:100],
            "cust_ref": f"R-{source_id}",
            "status": OrderStatus.CANCELED,  # a str subclass: takes the field's path
            "canceled_in_cart_at": datetime(2026, 3, 8, 1, 59, 59, 999999, tzinfo=NEW_YORK),
            "ship_to": {"name": AWKWARD, "lines": ["a", "b\\c"], "n": 1, "none": None},
            "ship_name": "",
            "notes": AWKWARD,
            "sub_total": Decimal("1E+2"),
            "sales_tax": Decimal("-0.0001"),
            "grand_total": 42,  # an int where a Decimal goes: the field converts it
            "ordered_at": datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
            "partially_shipped": True,
            "raw": {"payload": [{"deep": {"er": "\u2028 \x01"}}], "big": 2**63},
        }

    def stored(self, model, **lookup) -> dict:  # type: ignore[no-untyped-def,type-arg]
        found = model_to_dict(model.objects.using(self.using).get(**lookup))
        found.pop("id")
        return found

    def test_it_stores_an_order_as_django_does(self) -> None:
        rows = ORDERS.rows([self.order_values("by-row")])
        orders_upsert(rows, using=self.using)
        Order.objects.using(self.using).create(**self.order_values("by-django"))
        by_row = self.stored(Order, source_order_id="by-row")
        by_django = self.stored(Order, source_order_id="by-django")
        for name in ("source_order_id", "cust_ref", "created_at", "updated_at"):
            by_row.pop(name), by_django.pop(name)
        self.assertEqual(by_row, by_django)
        self.assertEqual(by_row["notes"], AWKWARD)  # so the comparison means something
        self.assertEqual(by_row["sub_total"], Decimal("100"))

    def test_it_stores_lines_and_events_as_django_does(self) -> None:
        order = Order.objects.using(self.using).create(**self.order_values("1"))
        line = {
            "account_id": order.account_id,
            "merchant_id": order.merchant_id,
            "order_id": order.id,
            "sku": AWKWARD,
            "description": AWKWARD,
            "quantity": Decimal("2.5"),
            "price": Decimal("10.1234"),
            "filtered": True,
        }
        event = {
            "account_id": order.account_id,
            "merchant_id": order.merchant_id,
            "order_id": order.id,
            "created_at": datetime(2026, 11, 20, 7, 0, tzinfo=NEW_YORK),
            "to_status": OrderStatus.NEW,
            "message": AWKWARD,
        }
        rows_insert(
            table=ORDER_LINES, rows=ORDER_LINES.rows([{**line, "line_number": 1}]), using=self.using
        )
        OrderLine.objects.using(self.using).create(**line, line_number=2)
        rows_insert(
            table=ORDER_EVENTS,
            rows=ORDER_EVENTS.rows([{**event, "from_status": "a"}]),
            using=self.using,
        )
        OrderEvent.objects.using(self.using).create(**event, from_status="b")
        by_row, by_django = (
            self.stored(OrderLine, line_number=1),
            self.stored(OrderLine, line_number=2),
        )
        self.assertEqual({**by_row, "line_number": 2}, by_django)
        self.assertEqual(by_row["sku"], AWKWARD)
        by_row, by_django = (
            self.stored(OrderEvent, from_status="a"),
            self.stored(OrderEvent, from_status="b"),
        )
        self.assertEqual({**by_row, "from_status": "b"}, by_django)
        self.assertEqual(by_row["created_at"], event["created_at"])

    def test_it_refuses_a_decimal_that_is_not_a_number(self) -> None:
        rows = ORDERS.rows([{**self.order_values("1"), "sales_tax": Decimal("NaN")}])
        with self.assertRaises(ValidationError):  # as the field refuses it
            orders_upsert(rows, using=self.using)

    def test_it_reports_a_broken_constraint_as_django_does(self) -> None:
        order = Order.objects.using(self.using).create(**self.order_values("1"))
        line = {"account_id": order.account_id, "merchant_id": order.merchant_id}
        rows = ORDER_LINES.rows(
            [{**line, "order_id": order.id, "line_number": 1, "sku": "A", "quantity": 1}] * 2
        )
        with self.assertRaises(IntegrityError), transaction.atomic(using=self.using):
            rows_insert(table=ORDER_LINES, rows=rows, using=self.using)
        self.assertFalse(OrderLine.objects.using(self.using).exists())

    def test_it_writes_many_rows_at_once(self) -> None:
        order = Order.objects.using(self.using).create(**self.order_values("1"))
        line = {"account_id": order.account_id, "merchant_id": order.merchant_id}
        rows = ORDER_LINES.rows(
            {**line, "order_id": order.id, "line_number": n, "sku": f"S{n}", "quantity": n}
            for n in range(1, 301)
        )
        rows_insert(table=ORDER_LINES, rows=rows, using=self.using)
        stored = OrderLine.objects.using(self.using).order_by("line_number")
        self.assertEqual([line.sku for line in stored], [f"S{n}" for n in range(1, 301)])


class SqliteRowsInsertTests(RowsInsertTests):
    """The same rows on the embedded mode's SQLite: multi-row INSERTs, in batches."""

    databases = {"default", "sqlite"}
    using = "sqlite"


class RowsCopyTests(TestCase):
    """PostgreSQL: a COPY is one statement in the query log, whatever the rows."""

    def test_it_logs_the_copy(self) -> None:
        account = Account.objects.create(name="A", kind="fulfillment")
        merchant = Merchant.objects.create(account=account, name="M")
        rows = ORDER_EVENTS.rows([])
        with CaptureQueriesContext(connections["default"]) as queries:
            rows_insert(table=ORDER_EVENTS, rows=rows)  # nothing to write: no statement
        self.assertEqual(len(queries.captured_queries), 0)
        cart = CartConnection.objects.create(account=account, merchant=merchant)
        order = Order.objects.create(
            account=account,
            merchant=merchant,
            cart=cart,
            source_order_id="1",
            ordered_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        rows = ORDER_EVENTS.rows(
            {"account_id": account.id, "merchant_id": merchant.id, "order_id": order.id}
            for _ in range(20)
        )
        with CaptureQueriesContext(connections["default"]) as queries:
            rows_insert(table=ORDER_EVENTS, rows=rows)
        self.assertEqual(len(queries.captured_queries), 1)
        self.assertTrue(queries.captured_queries[0]["sql"].startswith('COPY "orders_orderevent"'))
        self.assertEqual(OrderEvent.objects.filter(order=order).count(), 20)
