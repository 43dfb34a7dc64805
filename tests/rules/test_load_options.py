"""Load options: the earliest order date and the cart statuses to download."""

from __future__ import annotations

import datetime as dt

from carts.connectors.registry import cart_connector_for
from carts.connectors.sandbox import SandboxCartConnector
from orders.models import Order, SkippedOrder, SkipReason
from tests.rules.support import RulesTestCase, record


class EarliestOrderDateTests(RulesTestCase):
    def test_orders_before_the_earliest_date_are_skipped_in_the_accounts_zone(self) -> None:
        # Placed 2026-11-20 12:00 UTC: 07:00 that day in New York, alice's zone.
        self.set_cart(earliest_order_date=dt.date(2026, 11, 21))
        self.download(record(1, "TENT-2P-GRN"))
        skipped = SkippedOrder.objects.get()
        self.assertEqual(skipped.reason_code, SkipReason.BEFORE_EARLIEST)
        self.assertIn("2026-11-21", skipped.reason)
        self.assertFalse(Order.objects.exists())
        self.set_cart(earliest_order_date=dt.date(2026, 11, 20))
        self.download(record(1, "TENT-2P-GRN", minutes=1))
        self.assertTrue(Order.objects.exists())

    def test_the_day_starts_in_the_accounts_time_zone(self) -> None:
        self.set_cart(earliest_order_date=dt.date(2026, 11, 20))
        # 03:00 UTC on the 20th is still the 19th in New York.
        early = record(1, "TENT-2P-GRN", ordered_at=dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC))
        self.download(early)
        self.assertEqual(SkippedOrder.objects.get().reason_code, SkipReason.BEFORE_EARLIEST)

    def test_an_order_already_loaded_is_kept(self) -> None:
        self.download(record(1, "TENT-2P-GRN"))
        self.set_cart(earliest_order_date=dt.date(2026, 12, 1))
        self.download(record(1, "TENT-2P-GRN", minutes=5))
        self.assertTrue(Order.objects.filter(source_order_id="1").exists())
        self.assertFalse(SkippedOrder.objects.exists())

    def test_the_first_download_starts_at_the_earliest_date(self) -> None:
        self.set_cart(earliest_order_date=dt.date(2026, 11, 1))
        start = cart_connector_for(self.cart).window_start(None)
        self.assertEqual(start, dt.datetime(2026, 11, 1, 4, 0, tzinfo=dt.UTC))  # EDT ends Nov 1
        self.assertEqual(start.astimezone(dt.UTC).isoformat(), "2026-11-01T04:00:00+00:00")


class StatusTests(RulesTestCase):
    def test_an_order_in_a_status_not_chosen_is_skipped(self) -> None:
        self.download(record(1, "TENT-2P-GRN", cart_status="on_hold"))
        skipped = SkippedOrder.objects.get()
        self.assertEqual(skipped.reason_code, SkipReason.STATUS)
        self.assertIn("“on_hold”", skipped.reason)

    def test_the_defaults_load_what_the_sandbox_always_loaded(self) -> None:
        self.assertEqual(SandboxCartConnector.DEFAULT_STATUSES, ("open",))
        self.download(
            record(1, "TENT-2P-GRN", cart_status="open"),
            record(2, "TENT-2P-GRN", cart_status=""),  # no status: no check
            record(3, "TENT-2P-GRN", cart_status="canceled", canceled=True),
        )
        self.assertEqual(Order.objects.count(), 3)
        self.assertFalse(SkippedOrder.objects.exists())

    def test_the_carts_own_statuses_replace_the_defaults(self) -> None:
        self.set_cart(download_statuses=["on_hold"])
        self.download(
            record(1, "TENT-2P-GRN", cart_status="on_hold"),
            record(2, "TENT-2P-GRN", cart_status="open"),
        )
        self.assertEqual(list(Order.objects.values_list("source_order_id", flat=True)), ["1"])
        self.assertEqual(SkippedOrder.objects.get().source_order_id, "2")

    def test_the_sandbox_cart_names_its_orders_status(self) -> None:
        from tests.objects import create_cart

        connector = cart_connector_for(
            create_cart(self.other_merchant, prefix="OO-", settings={"orders_per_minute": 5})
        )
        order = connector.order(1, now=dt.datetime.now(dt.UTC))
        self.assertEqual(order.cart_status, "canceled" if order.canceled else "open")
