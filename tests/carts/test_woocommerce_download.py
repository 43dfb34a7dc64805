"""WooCommerce order download against the emulator: pages, cursor, orders moving while read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from carts.connectors.base import OVERLAP
from integration_manager.connector_errors import AuthError
from tests.emulators.woocommerce import line_item
from tests.support.woocommerce import WooCommerceTestCase


class WooCommerceDownloadTests(WooCommerceTestCase):
    def test_it_downloads_every_order_once_across_pages(self) -> None:
        ids = self.emulator.seed_orders(250)
        orders, pages = self.download()
        self.assertCountEqual([int(order.source_order_id) for order in orders], list(ids))
        self.assertGreater(len(pages), 2)
        self.assertTrue(all(len(page.orders) <= 100 for page in pages))

    def test_it_asks_for_the_oldest_change_first_in_gmt(self) -> None:
        self.emulator.seed_orders(3)
        self.download()
        query = self.order_lists()[0]
        self.assertEqual(query["orderby"], "modified")
        self.assertEqual(query["order"], "asc")
        self.assertEqual(query["dates_are_gmt"], "true")
        self.assertEqual(query["per_page"], "100")
        self.assertEqual(query["status"], "processing,cancelled,refunded")

    def test_the_cursor_never_goes_back(self) -> None:
        self.emulator.seed_orders(230)
        _, pages = self.download()
        cursors = [datetime.fromisoformat(page.cursor or "") for page in pages]
        self.assertEqual(cursors, sorted(cursors))
        newest = max(self.emulator.order(oid)["date_modified_gmt"] for oid in self.emulator.orders)
        self.assertEqual(cursors[-1], datetime.fromisoformat(newest).replace(tzinfo=UTC))

        # A second run re-reads the overlap but reports nothing older than the first cursor.
        _, again = self.download(cursor=pages[-1].cursor)
        self.assertTrue(all(page.cursor == pages[-1].cursor for page in again))

    def test_it_starts_at_the_cursor_minus_the_overlap(self) -> None:
        cursor = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
        self.download(cursor=cursor.isoformat())
        self.assertEqual(
            self.order_lists()[0]["modified_after"],
            (cursor - OVERLAP).replace(tzinfo=None).isoformat(),
        )

    def test_the_first_download_starts_at_the_earliest_order_date(self) -> None:
        old = self.emulator.add_order(modified=datetime(2025, 12, 31, tzinfo=UTC))
        new = self.emulator.add_order(modified=datetime(2026, 1, 2, tzinfo=UTC))
        orders, _ = self.download(self.connector(earliest_order_date="2026-01-01"))
        self.assertEqual([order.source_order_id for order in orders], [str(new["id"])])
        self.assertNotEqual(old["id"], new["id"])
        self.assertEqual(self.order_lists()[0]["modified_after"], "2026-01-01T00:00:00")

    def test_it_loses_no_order_when_one_moves_between_pages(self) -> None:
        ids = list(self.emulator.seed_orders(250))
        # After page 1 is read, an order on it changes and moves to the end of the list, and
        # an order of page 2 leaves the list (the merchant completed it): both shift positions.
        self.emulator.change_between_reads(ids[3], after_reads=1)
        self.emulator.change_between_reads(ids[120], after_reads=1, status="completed")
        orders, _ = self.download()
        got = {int(order.source_order_id) for order in orders}
        self.assertEqual(got, set(ids) - {ids[120]})
        moved = [order for order in orders if order.source_order_id == str(ids[3])]
        self.assertEqual(len(moved), 2)  # read again with its new modification date
        self.assertLess(moved[0].updated_at, moved[1].updated_at)

    def test_page_numbers_would_have_skipped_that_order(self) -> None:
        # The scenario above is real: paging by number over the same list loses an order.
        ids = list(self.emulator.seed_orders(250))
        self.emulator.change_between_reads(ids[3], after_reads=1)
        client = self.connector().client
        seen: set[int] = set()
        for page in (1, 2, 3):
            listed = client.orders_list(
                {
                    "modified_after": "2000-01-01T00:00:00",
                    "dates_are_gmt": "true",
                    "orderby": "modified",
                    "order": "asc",
                    "per_page": 100,
                    "page": page,
                }
            )
            seen |= {order["id"] for order in listed}
        self.assertEqual(len(set(ids) - seen), 1)

    def test_it_reads_a_crowded_second_by_id_even_when_it_moves(self) -> None:
        self.emulator.shuffle_ties = True  # rows of one second come back in any order
        start = datetime(2026, 5, 4, 10, 0, 0, tzinfo=UTC)
        before = self.emulator.seed_orders(30, start=start - timedelta(minutes=1))
        crowd = list(self.emulator.seed_orders(260, start=start, seconds_apart=0))
        after = self.emulator.seed_orders(30, start=start + timedelta(seconds=5))
        # While the crowded second is listed by id, one of its first orders is completed (it
        # leaves the list and every position shifts) and another one is changed.
        self.emulator.change_between_reads(crowd[2], after_reads=3, status="completed")
        self.emulator.change_between_reads(crowd[150], after_reads=4)
        orders, _ = self.download()
        got = {int(order.source_order_id) for order in orders}
        self.assertTrue({*before, *after, *crowd} - {crowd[2]} <= got)
        by_id = [query for query in self.order_lists() if query["orderby"] == "id"]
        self.assertTrue(by_id)
        self.assertTrue(all(query["modified_before"] == "2026-05-04T10:00:01" for query in by_id))
        # The move was noticed and the second read again from its start.
        self.assertGreaterEqual(sum("offset" not in query for query in by_id), 2)

    def test_it_downloads_cancellations(self) -> None:
        kept = self.emulator.add_order()
        cancelled = self.emulator.add_order()
        refunded = self.emulator.add_order()
        self.emulator.cancel_order(cancelled["id"])
        self.emulator.update_order(refunded["id"], status="refunded")
        orders = {order.source_order_id: order for order in self.download()[0]}
        self.assertFalse(orders[str(kept["id"])].canceled)
        self.assertTrue(orders[str(cancelled["id"])].canceled)
        self.assertTrue(orders[str(refunded["id"])].canceled)

    def test_it_downloads_the_chosen_statuses_only(self) -> None:
        self.emulator.register_status("ready-to-ship", "Ready to ship")
        wanted = [
            self.emulator.add_order(status="on-hold"),
            self.emulator.add_order(status="ready-to-ship"),
        ]
        self.emulator.add_order(status="pending")
        self.emulator.add_order(status="processing")
        connector = self.connector(download_statuses=["on-hold"], extra_statuses=["ready-to-ship"])
        orders, _ = self.download(connector)
        self.assertCountEqual(
            [order.source_order_id for order in orders], [str(order["id"]) for order in wanted]
        )

    def test_an_order_it_cannot_read_goes_to_failures_and_the_page_goes_on(self) -> None:
        good = self.emulator.add_order()
        bad = self.emulator.add_order(line_items=[line_item("", 1, "5.00", name="Mystery mug")])
        _, pages = self.download()
        self.assertEqual([order.source_order_id for order in pages[0].orders], [str(good["id"])])
        [failure] = pages[0].failures
        self.assertEqual(failure.record_ref, str(bad["id"]))
        self.assertIn("Mystery mug", str(failure))
        self.assertIn("SKU", str(failure))

    def test_it_refuses_a_store_that_ignores_modified_after(self) -> None:
        stale = self.emulator.add_order(modified=datetime(2019, 1, 1, tzinfo=UTC))
        self.emulator.fail_next(200, body=[self.emulator.order(stale["id"])])
        with self.assertRaisesMessage(AuthError, "5.8 or later"):
            self.download(self.connector(earliest_order_date="2026-01-01"))

    def test_it_pages_a_large_store(self) -> None:
        # 3 or 4 orders a second, starting mid-second so that pages end inside a second.
        start = datetime.now(UTC).replace(microsecond=500_000) - timedelta(hours=1)
        ids = self.emulator.seed_orders(5_000, start=start, seconds_apart=0.3)
        orders, pages = self.download()
        self.assertEqual({int(order.source_order_id) for order in orders}, set(ids))
        self.assertEqual(len(orders), 5_000)  # the overlap between pages yields nothing twice
        self.assertLess(len(pages), 60)
