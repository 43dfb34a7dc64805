"""Shopify order download against the emulator: pages, cursor, normalisation, statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from graphql import parse

from carts.connectors.shopify.orders import FIRST_PAGE_SIZE, TARGET_QUERY_COST
from integration_manager.records import OrderRecord
from tests.emulators.shopify import admin_schema, query_cost
from tests.support.shopify import T0, ShopifyTestCase


class ShopifyOrdersTests(ShopifyTestCase):
    def test_it_downloads_every_order_in_pages(self) -> None:
        ids = [
            self.emulator.add_order(updated_at=T0 + timedelta(minutes=n))["id"] for n in range(30)
        ]

        pages = self.download()

        downloaded = [order.source_order_id for order in self.orders_in(pages)]
        self.assertEqual(downloaded, [str(order_id) for order_id in ids])
        self.assertGreater(len(pages), 1)
        self.assertEqual(pages[-1].cursor, (T0 + timedelta(minutes=29)).isoformat())
        first_pages = [call["variables"]["first"] for call in self.calls("HubOrders")]
        self.assertEqual(first_pages[0], FIRST_PAGE_SIZE)
        # Later pages are sized from the cost Shopify reported, kept under the query limit.
        self.assertGreater(first_pages[1], FIRST_PAGE_SIZE)

    def test_it_pages_through_seeded_orders(self) -> None:
        seeded = self.emulator.seed_orders(300, start=T0)
        self.emulator.update_order(seeded[10], financial_status="PENDING")

        pages = self.download()

        downloaded = [order.source_order_id for order in self.orders_in(pages)]
        self.assertEqual(downloaded, [str(n) for n in seeded if n != seeded[10]])
        self.assertTrue(all(order.lines and order.grand_total for order in self.orders_in(pages)))

    def test_it_sizes_pages_to_stay_under_the_cost_limit(self) -> None:
        for n in range(40):
            self.emulator.add_order(updated_at=T0 + timedelta(minutes=n))

        self.download()

        costs = [
            query_cost(admin_schema(), parse(call["query"]), call["variables"], "HubOrders")
            for call in self.calls("HubOrders")
        ]
        self.assertGreater(len(costs), 2)
        self.assertLessEqual(max(costs), TARGET_QUERY_COST)
        self.assertGreater(max(costs), TARGET_QUERY_COST / 2)  # not needlessly small pages

    def test_it_asks_for_fewer_orders_when_a_query_costs_too_much(self) -> None:
        ids = {
            str(self.emulator.add_order(updated_at=T0 + timedelta(minutes=n))["id"])
            for n in range(12)
        }
        self.emulator.max_query_cost = 400  # less than FIRST_PAGE_SIZE orders cost

        pages = self.download()

        self.assertEqual({order.source_order_id for order in self.orders_in(pages)}, ids)
        first_pages = [call["variables"]["first"] for call in self.calls("HubOrders")]
        self.assertEqual(first_pages[:2], [FIRST_PAGE_SIZE, FIRST_PAGE_SIZE // 2])
        # Once told the limit, it sizes the later pages under it: refused only once.
        self.assertEqual(len(first_pages), len(pages) + 1)

    def test_it_never_moves_the_cursor_backwards(self) -> None:
        cursor = T0 + timedelta(hours=1)
        # Inside the five-minute overlap: downloaded again, but older than the cursor.
        self.emulator.add_order(updated_at=cursor - timedelta(minutes=3))
        self.emulator.add_order(updated_at=cursor - timedelta(minutes=1))

        pages = self.download(cursor=cursor.isoformat())

        self.assertEqual(len(self.orders_in(pages)), 2)
        for page in pages:
            self.assertGreaterEqual(datetime.fromisoformat(page.cursor), cursor)

    def test_it_keeps_the_cursor_when_nothing_changed(self) -> None:
        cursor = (T0 + timedelta(hours=1)).isoformat()

        pages = self.download(cursor=cursor)

        self.assertEqual([(page.orders, page.cursor) for page in pages], [([], cursor)])

    def test_it_starts_five_minutes_before_the_cursor(self) -> None:
        cursor = T0 + timedelta(hours=1)
        inside = self.emulator.add_order(updated_at=cursor - timedelta(minutes=4))
        self.emulator.add_order(updated_at=cursor - timedelta(minutes=6))

        pages = self.download(cursor=cursor.isoformat())

        self.assertEqual(
            [order.source_order_id for order in self.orders_in(pages)], [str(inside["id"])]
        )
        self.assertIn(
            "updated_at:>='2026-03-02T09:55:00Z'", self.calls("HubOrders")[0]["variables"]["query"]
        )

    def test_it_loses_no_order_when_orders_change_while_it_pages(self) -> None:
        ids = [
            self.emulator.add_order(updated_at=T0 + timedelta(minutes=n))["id"] for n in range(40)
        ]
        added: list[int] = []

        def shop_changes() -> None:
            self.emulator.update_order(ids[1], note="read already, changed")
            self.emulator.update_order(ids[30], note="not read yet, changed")
            added.append(self.emulator.add_order()["id"])

        self.emulator.change_while_paging(1, shop_changes)

        pages = self.download()

        downloaded = [order.source_order_id for order in self.orders_in(pages)]
        self.assertEqual(set(downloaded), {str(order_id) for order_id in [*ids, *added]})
        # The changed order comes again with its change: the newer copy is the last.
        changed = [
            order for order in self.orders_in(pages) if order.source_order_id == str(ids[30])
        ]
        self.assertEqual(changed[-1].notes, "not read yet, changed")
        cursors = [datetime.fromisoformat(page.cursor) for page in pages]
        self.assertEqual(cursors, sorted(cursors))

    def test_it_downloads_the_chosen_financial_statuses_and_every_cancellation(self) -> None:
        paid = self.emulator.add_order(financial_status="PAID", updated_at=T0)
        authorized = self.emulator.add_order(financial_status="AUTHORIZED", updated_at=T0)
        self.emulator.add_order(financial_status="PENDING", updated_at=T0)
        voided = self.emulator.add_order(financial_status="VOIDED", updated_at=T0, cancelled_at=T0)
        newest = self.emulator.add_order(
            financial_status="PENDING", updated_at=T0 + timedelta(minutes=9)
        )

        default = self.orders_in(self.download())
        chosen = self.orders_in(
            self.download(
                self.connector(earliest_order_date="2026-01-01", financial_statuses=["AUTHORIZED"])
            )
        )

        self.assertEqual(
            [(order.source_order_id, order.canceled) for order in default],
            [(str(paid["id"]), False), (str(voided["id"]), True)],
        )
        self.assertEqual(
            [order.source_order_id for order in chosen],
            [str(authorized["id"]), str(voided["id"])],
        )
        # Orders left in Shopify still move the cursor: they come again when they change.
        self.assertEqual(self.download()[-1].cursor, newest["updated_at"].isoformat())

    def test_it_leaves_orders_already_fulfilled_in_shopify(self) -> None:
        order = self.emulator.add_order(updated_at=T0)
        for fulfillment_order in order["fulfillment_orders"]:
            for line in fulfillment_order["line_items"]:
                line["remaining"] = 0

        self.assertEqual(self.orders_in(self.download()), [])

    def test_it_marks_orders_cancelled_in_shopify(self) -> None:
        order = self.emulator.add_order(updated_at=T0)
        self.emulator.cancel_order(order["id"])

        (record,) = self.orders_in(self.download())

        self.assertTrue(record.canceled)
        self.assertEqual(record.raw["cancelReason"], "CUSTOMER")

    def test_it_only_asks_for_orders_placed_after_the_earliest_order_date(self) -> None:
        self.emulator.add_order(created_at=datetime(2025, 12, 1, tzinfo=UTC), updated_at=T0)
        placed = self.emulator.add_order(created_at=T0, updated_at=T0)

        pages = self.download(self.connector(earliest_order_date="2026-01-01"))

        self.assertEqual(
            [order.source_order_id for order in self.orders_in(pages)], [str(placed["id"])]
        )
        self.assertIn(
            "created_at:>='2026-01-01T00:00:00Z'", self.calls("HubOrders")[0]["variables"]["query"]
        )

    def test_it_reports_an_unreadable_order_and_goes_on(self) -> None:
        good = self.emulator.add_order(updated_at=T0)
        bad = self.emulator.add_order(updated_at=T0 + timedelta(minutes=1))
        self.emulator.break_order(bad["id"])

        pages = self.download()

        self.assertEqual(
            [order.source_order_id for order in self.orders_in(pages)], [str(good["id"])]
        )
        (failure,) = [failure for page in pages for failure in page.failures]
        self.assertEqual(failure.record_ref, str(bad["id"]))
        self.assertIn(bad["name"], str(failure))
        # The bad order is behind the cursor: it comes again only when it changes.
        self.assertEqual(pages[-1].cursor, (T0 + timedelta(minutes=1)).isoformat())


class ShopifyNormalisationTests(ShopifyTestCase):
    def record(self, **order: Any) -> tuple[OrderRecord, dict[str, Decimal]]:
        stored = self.emulator.add_order(updated_at=T0, **order)
        (record,) = self.orders_in(self.download())
        return record, self.emulator.order_totals(stored["id"])

    def test_it_reads_the_fixture_order(self) -> None:
        stored = self.emulator.add_fixture_order(updated_at=T0)

        (record,) = self.orders_in(self.download())

        self.assertEqual(record.source_order_id, "450789469")
        self.assertEqual(record.order_number, "#1001")
        self.assertEqual(record.ship_code, "Free Shipping")
        self.assertEqual(record.ship_description, "Free Shipping")
        self.assertEqual(record.currency, "USD")
        self.assertEqual(record.notes, "Happy Birthday")
        self.assertEqual(record.ordered_at, stored["created_at"])
        self.assertEqual(record.updated_at, T0)
        self.assertEqual(
            record.ship_to.as_dict(),
            {
                "first_name": "Bob",
                "last_name": "Norman",
                "address_1": "Chestnut Street 92",
                "city": "Louisville",
                "state": "KY",
                "zip": "40202",
                "country": "US",
                "phone": "555-625-1199",
                "email": "bob.norman@hostmail.com",
            },
        )
        self.assertEqual(record.bill_to.last_name, "Norman")
        self.assertEqual(
            [(line.sku, line.quantity, line.description) for line in record.lines],
            [
                ("IPOD2008GREEN", Decimal(1), "IPod Nano - 8gb - green"),
                ("IPOD2008RED", Decimal(1), "IPod Nano - 8gb - red"),
                ("IPOD2008BLACK", Decimal(1), "IPod Nano - 8gb - black"),
            ],
        )
        self.assertEqual(
            [line.source_line_id for line in record.lines],
            [str(line["id"]) for line in stored["line_items"]],
        )
        self.assertEqual(record.raw["legacyResourceId"], "450789469")
        # TENOFF (10.00) is spread over the three lines: pre-tax, so a per-unit discount.
        self.assertEqual(sum(line.discount for line in record.lines), Decimal("10.00"))
        self.assertEqual(record.grand_total, self.emulator.order_totals(stored["id"])["total"])

    def test_every_amount_is_a_decimal(self) -> None:
        record, _ = self.record(
            lines=[{"sku": "A", "quantity": 3, "price": "19.99", "tax_rate": "0.07"}]
        )

        amounts = [
            record.sub_total,
            record.sales_tax,
            record.shipping_handling,
            record.order_discount,
            record.grand_total,
            *[
                getattr(line, name)
                for line in record.lines
                for name in ("quantity", "price", "discount", "addl_discount", "tax")
            ],
        ]
        for amount in amounts:
            self.assertIsInstance(amount, Decimal)

    def test_it_follows_the_charge_definitions(self) -> None:
        record, totals = self.record(
            lines=[
                {"sku": "A", "quantity": 2, "price": "50.00", "discount": "10.00"},
                {"sku": "B", "quantity": 3, "price": "20.00"},
            ],
            order_discount="11.00",
            discount_code="SPRING",
            tax_rate="0.10",
            shipping_lines=[
                {
                    "title": "UPS Ground",
                    "code": "ups_ground",
                    "price": "12.00",
                    "discount": "2.00",
                    "tax_rate": "0.10",
                }
            ],
        )

        a, b = record.lines
        # Order code 11.00 spread by discounted amount: A 90 -> 6.60, B 60 -> 4.40.
        self.assertEqual((a.price, a.discount, a.quantity), (Decimal("50"), Decimal("8.3"), 2))
        self.assertEqual((b.price, b.discount, b.quantity), (Decimal("20"), Decimal("1.4667"), 3))
        self.assertEqual((a.tax, b.tax), (Decimal("8.34"), Decimal("5.56")))
        self.assertEqual(record.sub_total, Decimal("139.00"))
        self.assertEqual(
            record.sub_total.quantize(Decimal("0.01")),
            sum((line.extended_amount for line in record.lines), Decimal(0)).quantize(
                Decimal("0.01")
            ),
        )
        self.assertEqual(record.shipping_handling, Decimal("10.00"))
        self.assertEqual(record.sales_tax, Decimal("14.90"))  # lines 13.90 + shipping 1.00
        self.assertEqual(record.order_discount, Decimal("0"))  # Shopify's are all pre-tax
        self.assertEqual(
            record.grand_total,
            record.sub_total + record.sales_tax + record.shipping_handling - record.order_discount,
        )
        self.assertEqual(record.grand_total, totals["total"])
        self.assertEqual((record.ship_code, record.ship_description), ("ups_ground", "UPS Ground"))

    def test_it_takes_tax_out_of_prices_that_include_it(self) -> None:
        record, totals = self.record(
            taxes_included=True,
            lines=[{"sku": "A", "quantity": 2, "price": "60.00", "tax_rate": "0.20"}],
            shipping_lines=[{"title": "Royal Mail", "price": "6.00", "tax_rate": "0.20"}],
        )

        (line,) = record.lines
        self.assertEqual(line.price, Decimal("50.0000"))
        self.assertEqual(line.tax, Decimal("20.00"))
        self.assertEqual(record.sub_total, Decimal("100.00"))
        self.assertEqual(record.shipping_handling, Decimal("5.00"))
        self.assertEqual(record.sales_tax, Decimal("21.00"))
        self.assertEqual(record.grand_total, totals["total"])  # 126.00, tax inside

    def test_it_keeps_what_is_left_to_ship(self) -> None:
        record, _ = self.record(
            lines=[
                {
                    "sku": "KEPT",
                    "quantity": 3,
                    "current_quantity": 2,
                    "price": "10.00",
                    "tax": "3.00",
                },
                {"sku": "REMOVED", "quantity": 1, "current_quantity": 0, "price": "5.00"},
                {"sku": "GIFT-CARD", "quantity": 1, "price": "25.00", "requires_shipping": False},
            ]
        )

        self.assertEqual([(line.sku, line.quantity) for line in record.lines], [("KEPT", 2)])
        self.assertEqual(record.lines[0].tax, Decimal("2.00"))
        self.assertEqual(record.sub_total, Decimal("20.00"))

    def test_it_leaves_orders_with_nothing_to_ship(self) -> None:
        self.emulator.add_order(
            updated_at=T0,
            lines=[{"sku": "E-BOOK", "quantity": 1, "price": "9.00", "requires_shipping": False}],
        )

        self.assertEqual(self.orders_in(self.download()), [])

    def test_it_reads_every_line_of_a_long_order(self) -> None:
        lines = [{"sku": f"PART-{n:02d}", "quantity": 1, "price": "1.00"} for n in range(12)]
        record, _ = self.record(lines=lines)

        self.assertEqual([line.sku for line in record.lines], [line["sku"] for line in lines])
        self.assertEqual(len(record.raw["lineItems"]["nodes"]), 12)
        self.assertEqual(len(self.calls("HubOrderLineItems")), 1)  # the 7 after the first 5

    def test_it_reads_a_missing_address_as_empty(self) -> None:
        record, _ = self.record(shipping_address={}, billing_address={})

        self.assertEqual(record.ship_to.address_1, "")
        self.assertEqual(record.ship_to.email, "bob.norman@mail.example.com")
