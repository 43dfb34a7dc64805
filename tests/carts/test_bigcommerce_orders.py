"""BigCommerce order download against the emulator: pages, cursor, filters, normalisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.test import SimpleTestCase

from carts.connectors.bigcommerce.orders import OrderListing, charges, is_wanted
from integration_manager.connector_errors import RecordError
from integration_manager.records import OrderLineRecord
from tests.support.bigcommerce import BigCommerceTestCase, SmallPageConnector, ago

THIRTEEN_HUNDRED = "Sun, 01 Mar 2026 13:00:00 +0000"


class OrderPagingTests(BigCommerceTestCase):
    connector_class = SmallPageConnector

    def test_it_downloads_every_order_across_pages(self) -> None:
        ids = self.emulator.seed_orders(23)
        pages, orders = self.download()
        self.assertEqual(sorted(int(order.source_order_id) for order in orders), ids)
        self.assertGreater(len(pages), 4)  # it really paged
        newest = max(order.updated_at for order in orders)
        self.assertEqual(pages[-1].cursor, newest.isoformat())

    def test_it_reads_on_past_full_pages_to_a_204(self) -> None:
        # Ten orders changed in the same second: paging by date cannot move on, so it steps
        # through that second page by page until BigCommerce answers 204.
        ids = self.emulator.seed_orders(10, start=ago(minutes=10), spacing_seconds=0)
        _, orders = self.download()
        self.assertEqual(sorted(int(order.source_order_id) for order in orders), ids)
        answers = [
            response.status
            for request, response in self.emulator.exchanges
            if request.path.endswith("/v2/orders")
        ]
        self.assertEqual(answers[-1], 204)
        self.assertEqual(answers.count(204), 1)

    def test_it_loses_no_order_when_one_moves_while_reading(self) -> None:
        ids = self.emulator.seed_orders(15, start=ago(minutes=30))
        # After the first page, its first order changes and jumps to the end of the sort:
        # with page=2 the next order would slide onto page 1 and never be read.
        self.emulator.change_between_pages([ids[0]], after_list_calls=1)
        _, orders = self.download()
        self.assertEqual({int(order.source_order_id) for order in orders}, set(ids))

    def test_the_cursor_never_goes_backwards(self) -> None:
        cursor = ago(minutes=2).replace(microsecond=0)
        # Inside the 5-minute overlap, so read again, but older than the cursor.
        self.emulator.seed_orders(7, start=cursor - timedelta(minutes=4))
        pages, orders = self.download(cursor.isoformat())
        self.assertEqual(len(orders), 7)
        cursors = [datetime.fromisoformat(page.cursor) for page in pages if page.cursor]
        self.assertEqual(cursors[0], cursor)
        self.assertEqual(cursors, sorted(cursors))

    def test_the_cursor_follows_the_newest_change(self) -> None:
        cursor = ago(hours=1).replace(microsecond=0)
        newest = self.emulator.add_order(modified_at=ago(minutes=1))
        pages, _ = self.download(cursor.isoformat())
        expected = datetime.fromisoformat(pages[-1].cursor)
        self.assertEqual(
            expected.timestamp(),
            int(self.emulator.orders[newest].modified),
        )

    def test_it_asks_for_changes_since_the_cursor_less_the_overlap(self) -> None:
        cursor = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        self.download(cursor.isoformat())
        request = self.emulator.requests_to("GET", r"/v2/orders$")[0]
        self.assertEqual(request.arg("min_date_modified"), "2026-03-01T11:55:00+00:00")
        self.assertEqual(request.arg("sort"), "date_modified:asc")

    def test_a_first_download_starts_at_the_earliest_order_date(self) -> None:
        self.emulator.seed_orders(3, start=ago(days=3))
        recent = self.emulator.seed_orders(2, start=ago(hours=3))
        earliest = ago(days=1).date().isoformat()
        _, orders = self.download(earliest_order_date=earliest)
        self.assertEqual(sorted(int(order.source_order_id) for order in orders), recent)
        request = self.emulator.requests_to("GET", r"/v2/orders$")[0]
        self.assertEqual(request.arg("min_date_modified"), f"{earliest}T00:00:00+00:00")

    def test_nothing_changed_gives_one_empty_page_and_keeps_the_cursor(self) -> None:
        cursor = ago(minutes=1).replace(microsecond=0).isoformat()
        pages, orders = self.download(cursor)
        self.assertEqual(orders, [])
        self.assertEqual([page.cursor for page in pages], [cursor])


class OrderFilterTests(BigCommerceTestCase):
    def test_it_keeps_the_chosen_statuses_and_every_cancellation(self) -> None:
        fulfil = self.emulator.add_order(status_id=11)
        self.emulator.add_order(status_id=7)  # awaiting payment
        shipment = self.emulator.add_order(status_id=9)
        canceled = self.emulator.add_order(status_id=11)
        self.emulator.cancel_order(canceled)
        _, orders = self.download()
        by_id = {int(order.source_order_id): order for order in orders}
        self.assertEqual(set(by_id), {fulfil, canceled})
        self.assertTrue(by_id[canceled].canceled)
        self.assertFalse(by_id[fulfil].canceled)
        _, orders = self.download(download_statuses=["11", "9"])
        self.assertEqual(
            {int(order.source_order_id) for order in orders}, {fulfil, shipment, canceled}
        )

    def test_a_bad_order_is_a_failure_and_the_page_goes_on(self) -> None:
        good = self.emulator.add_order()
        bad = self.emulator.add_order(lines=[{"sku": "", "name": "Mystery box", "quantity": 1}])
        pages, orders = self.download()
        self.assertEqual([order.source_order_id for order in orders], [str(good)])
        failures = [failure for page in pages for failure in page.failures]
        self.assertEqual([failure.record_ref for failure in failures], [str(bad)])
        self.assertIn("Mystery box", str(failures[0]))
        self.assertIn("SKU", str(failures[0]))

    def test_an_order_with_nothing_to_ship_is_skipped(self) -> None:
        self.emulator.add_order(lines=[{"sku": "EBOOK-1", "quantity": 1, "type": "digital"}])
        mixed = self.emulator.add_order(
            lines=[
                {"sku": "EBOOK-1", "quantity": 1, "type": "digital"},
                {"sku": "TRL-CAP", "quantity": 2},
            ]
        )
        pages, orders = self.download()
        self.assertEqual([order.source_order_id for order in orders], [str(mixed)])
        self.assertEqual([line.sku for line in orders[0].lines], ["TRL-CAP"])
        self.assertEqual([failure for page in pages for failure in page.failures], [])

    def test_an_order_to_several_addresses_is_a_record_error(self) -> None:
        split = self.emulator.add_order(
            ship_to=[{"city": "Boise"}, {"city": "Tacoma"}],
            lines=[
                {"sku": "TRL-CAP", "quantity": 1},
                {"sku": "TRL-LAMP", "quantity": 1, "address": 1},
            ],
        )
        pages, orders = self.download()
        self.assertEqual(orders, [])
        failure = pages[0].failures[0]
        self.assertEqual(failure.record_ref, str(split))
        self.assertIn("2 addresses", str(failure))


class NormalisationTests(BigCommerceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.order_id = self.emulator.add_order(
            lines=[
                {
                    "sku": "TRL-TEE-M",
                    "quantity": 3,
                    "price": "22.00",
                    "discount": "6.00",  # a coupon over the whole line, before tax
                    "coupon_code": "TRAIL10",
                    "options": [("Colour", "Moss")],
                },
                {"sku": "TRL-MUG-12", "quantity": 1, "price": "14.50"},
            ],
            ship_to={
                "first_name": "Ada",
                "last_name": "Okafor",
                "company": "Okafor Outdoors",
                "street_1": "12 Alder Street",
                "street_2": "Unit 4",
                "city": "Portland",
                "state": "Oregon",
                "zip": "97205",
                "country": "United States",
                "country_iso2": "US",
                "phone": "503-555-0101",
                "email": "ada@example.org",
            },
            billing={"first_name": "Bram", "last_name": "Okafor", "country_iso2": "US"},
            shipping_method="UPS Ground",
            shipping_cost="9.50",
            order_discount="2.00",  # kept at order level, on no line
            tax_rate="0.10",
            customer_message="Leave at the back door",
            created_at=datetime(2026, 3, 1, 9, 30, 5, tzinfo=UTC),
            modified_at=datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC),
        )
        _, orders = self.download(earliest_order_date="2026-03-01")
        self.order = orders[0]

    def test_money_is_decimal_and_follows_the_charge_definitions(self) -> None:
        order = self.order
        tee, mug = order.lines
        self.assertIsInstance(tee.price, Decimal)
        self.assertEqual(tee.price, Decimal("22.00"))
        self.assertEqual(tee.discount, Decimal("2.00"))  # per unit, pre-tax
        self.assertEqual(tee.tax, Decimal("6.00"))  # (66 - 6) * 10 %, whole line
        self.assertEqual(tee.extended_amount, Decimal("60.00"))
        self.assertEqual(mug.discount, Decimal("0"))
        self.assertEqual(mug.tax, Decimal("1.45"))
        self.assertEqual(order.sub_total, Decimal("74.50"))
        self.assertEqual(order.sales_tax, Decimal("8.40"))  # lines 7.45 + shipping 0.95
        self.assertEqual(order.shipping_handling, Decimal("9.50"))
        self.assertEqual(order.order_discount, Decimal("2.00"))
        self.assertEqual(order.grand_total, Decimal("90.40"))
        self.assertEqual(
            order.grand_total,
            order.sub_total + order.sales_tax + order.shipping_handling - order.order_discount,
        )
        self.assertEqual(order.currency, "USD")

    def test_the_address_and_ship_method_come_from_the_shipping_address(self) -> None:
        ship_to = self.order.ship_to
        self.assertEqual(ship_to.name, "Ada Okafor")
        self.assertEqual(ship_to.company, "Okafor Outdoors")
        self.assertEqual((ship_to.address_1, ship_to.address_2), ("12 Alder Street", "Unit 4"))
        self.assertEqual(
            (ship_to.city, ship_to.state, ship_to.zip), ("Portland", "Oregon", "97205")
        )
        self.assertEqual(ship_to.country, "US")
        self.assertEqual((ship_to.phone, ship_to.email), ("503-555-0101", "ada@example.org"))
        self.assertEqual(self.order.bill_to.name, "Bram Okafor")
        self.assertEqual(self.order.ship_code, "UPS Ground")
        self.assertEqual(self.requests_to_sub_resources(), {"products", "shipping_addresses"})

    def requests_to_sub_resources(self) -> set[str]:
        return {
            request.path.rsplit("/", 1)[1]
            for request in self.emulator.requests
            if f"/orders/{self.order_id}/" in request.path
        }

    def test_lines_identity_and_dates(self) -> None:
        order = self.order
        self.assertEqual(order.source_order_id, str(self.order_id))
        self.assertEqual(order.order_number, str(self.order_id))
        self.assertEqual(order.ordered_at, datetime(2026, 3, 1, 9, 30, 5, tzinfo=UTC))
        self.assertEqual(order.updated_at, datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC))
        tee = order.lines[0]
        self.assertEqual((tee.sku, tee.quantity), ("TRL-TEE-M", Decimal(3)))
        self.assertEqual(tee.description, "Trailhead tee, medium (Colour: Moss)")
        products = self.emulator.requests_to("GET", rf"/orders/{self.order_id}/products")
        self.assertEqual(len(products), 1)
        self.assertEqual(tee.source_line_id, str(order.raw["products"][0]["id"]))
        self.assertEqual(order.notes, "Leave at the back door")

    def test_the_raw_payload_keeps_what_a_shipment_needs(self) -> None:
        raw = self.order.raw
        self.assertEqual(raw["order"]["id"], self.order_id)
        self.assertEqual(raw["order_address_id"], raw["shipping_addresses"][0]["id"])
        self.assertEqual(
            [product["id"] for product in raw["products"]],
            [int(line.source_line_id) for line in self.order.lines],
        )


def listed(order_id: int, modified: str, status_id: int = 11) -> dict:
    """An order as GET /v2/orders lists it, cut to what the paging reads."""
    return {"id": order_id, "date_modified": modified, "status_id": status_id}


class OrderListingTests(SimpleTestCase):
    """orders.py's paging state and status rules, from payloads, without HTTP."""

    start = datetime(2026, 3, 1, 11, 55, tzinfo=UTC)

    def test_it_restarts_from_the_last_change_and_skips_what_it_has_read(self) -> None:
        listing = OrderListing(since=self.start, cursor="2026-03-01T12:00:00+00:00")
        page = [listed(1, "Sun, 01 Mar 2026 12:00:05 +0000"), listed(2, THIRTEEN_HUNDRED)]
        for payload in page:
            listing.note(payload)
        self.assertTrue(listing.advance(page, page_size=2))
        self.assertEqual((listing.since, listing.page), (datetime(2026, 3, 1, 13, tzinfo=UTC), 1))
        self.assertEqual(
            listing.fresh([listed(2, THIRTEEN_HUNDRED), listed(3, "x")]), [listed(3, "x")]
        )
        self.assertEqual(listing.next_cursor, "2026-03-01T13:00:00+00:00")
        self.assertFalse(listing.advance(page[:1], page_size=2))  # a short page ends it

    def test_a_full_page_in_one_second_steps_by_page(self) -> None:
        listing = OrderListing(since=datetime(2026, 3, 1, 13, tzinfo=UTC))
        self.assertTrue(listing.advance([listed(1, THIRTEEN_HUNDRED)], page_size=1))
        self.assertEqual(listing.page, 2)

    def test_the_cursor_never_goes_backwards(self) -> None:
        listing = OrderListing(since=self.start, cursor="2026-03-01T14:00:00+00:00")
        listing.note(listed(1, THIRTEEN_HUNDRED))
        self.assertEqual(listing.next_cursor, "2026-03-01T14:00:00+00:00")

    def test_an_unreadable_date_is_that_orders_record_error(self) -> None:
        listing = OrderListing(since=self.start)
        with self.assertRaises(RecordError) as caught:
            listing.note(listed(9, "yesterday"))
        self.assertEqual(caught.exception.record_ref, "9")
        self.assertIsNone(listing.next_cursor)

    def test_the_chosen_statuses_and_every_cancellation_are_wanted(self) -> None:
        chosen = frozenset({11})
        self.assertTrue(is_wanted({"status_id": 11}, statuses=chosen))
        self.assertTrue(is_wanted({"status_id": 5}, statuses=chosen))
        self.assertFalse(is_wanted({"status_id": 7}, statuses=chosen))
        self.assertTrue(is_wanted({"status_id": "?"}, statuses=chosen))


class OrderChargesTests(SimpleTestCase):
    """Fees count as shipping and handling; a charge we do not model leaves no discount."""

    def test_fees_are_shipping_and_handling_ex_tax(self) -> None:
        order = {
            "total_tax": "1.00",
            "shipping_cost_ex_tax": "5.00",
            "handling_cost_ex_tax": "1.00",
            "wrapping_cost_ex_tax": "0.50",
            "fees": [{"cost_ex_tax": "2.00"}, {"cost_exc_tax": "0.25"}],
            "total_inc_tax": "29.75",
        }
        line = OrderLineRecord(sku="TRL-CAP", quantity=Decimal(1), price=Decimal("20.00"))
        stated = charges(order, [line])
        self.assertEqual(stated.shipping_handling, Decimal("8.75"))
        self.assertEqual(stated.order_discount, Decimal("0.00"))
        more = charges({**order, "total_inc_tax": "35.00"}, [line])
        self.assertEqual((more.order_discount, more.grand_total), (Decimal(0), Decimal("35.00")))
