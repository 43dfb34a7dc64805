"""The CSV export: the filtered orders, a row per line, in the account's zone, streamed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from django.http import StreamingHttpResponse
from django.urls import reverse

from orders.export import LINE_COLUMNS, ORDER_COLUMNS, order_export_rows
from orders.models import Order, OrderStatus
from tests.base import BaseTestCase
from tests.objects import create_cart, create_order, create_shipment


class OrderExportTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.other_cart = create_cart(self.other_merchant, prefix="OO-")
        self.client.force_login(self.alice)

    def export(self, **params: str) -> list[dict[str, str]]:
        response = self.client.get(reverse("order_export"), params)
        self.assertEqual(response.status_code, 200)
        self.assertIsInstance(response, StreamingHttpResponse)
        self.assertEqual(response["Content-Type"], "text/csv")
        self.assertIn("attachment;", response["Content-Disposition"])
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))

    def test_it_writes_a_row_per_line_with_the_order_repeated(self) -> None:
        order = create_order(
            self.cart,
            number=1,
            skus=("TENT-2P-GRN", "MUG"),
            ordered_at=datetime(2026, 11, 21, 2, 30, tzinfo=UTC),
            wms_reference="SBX-0000001",
            status=OrderStatus.SHIPPED,
        )
        create_shipment(order, tracking="1ZEXPORT")
        rows = self.export()
        self.assertEqual(list(rows[0].keys()), [*ORDER_COLUMNS, *LINE_COLUMNS])
        self.assertEqual([row["sku"] for row in rows], ["TENT-2P-GRN", "MUG"])
        for row in rows:
            self.assertEqual(row["order_number"], "#1")
            self.assertEqual(row["reference"], "BB-1")
            self.assertEqual(row["status"], "Shipped")
            self.assertEqual(row["merchant"], "Bob's Bikes")
            self.assertEqual(row["city"], "Philadelphia")
            self.assertEqual(row["tracking_numbers"], "1ZEXPORT")
            self.assertEqual(row["wms_reference"], "SBX-0000001")
            self.assertEqual(row["ordered_at"], "2026-11-20 21:30:00")  # New York time
        self.assertEqual((rows[0]["line_number"], rows[0]["quantity"]), ("1", "1"))

    def test_it_exports_what_the_filters_show(self) -> None:
        create_order(self.cart, number=1, status=OrderStatus.ERROR)
        create_order(self.cart, number=2)
        create_order(self.cart, number=3, status=OrderStatus.CANCELED)
        numbers = {row["order_number"] for row in self.export(status="error")}
        self.assertEqual(numbers, {"#1"})
        self.assertEqual({row["order_number"] for row in self.export()}, {"#1", "#2"})
        link = self.client.get(reverse("order_list"), {"status": "error"})
        self.assertContains(link, f"{reverse('order_export')}?status=error")

    def test_an_order_without_lines_is_one_row(self) -> None:
        create_order(self.cart, number=1, skus=())
        rows = self.export()
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows[0]["order_number"], rows[0]["sku"]), ("#1", ""))

    def test_a_formula_in_a_cell_is_defused(self) -> None:
        create_order(self.cart, number=1, ship_name='=HYPERLINK("http://x")')
        self.assertEqual(self.export()[0]["ship_name"], '\'=HYPERLINK("http://x")')

    def test_lines_are_read_per_chunk_not_all_at_once(self) -> None:
        for number in range(1, 8):
            create_order(self.cart, number=number, skus=("A", "B"))
        orders = Order.objects.filter(account=self.alices_account)
        with self.assertNumQueries(1 + 2 * 2):  # orders; lines and tracking per chunk of 4
            rows = list(order_export_rows(orders, zone=self.alices_account.zone, chunk_size=4))
        self.assertEqual(len(rows), 1 + 7 * 2)

    def test_it_is_scoped_to_the_member(self) -> None:
        create_order(self.cart, number=1)
        create_order(self.other_cart, number=2)
        charlies = create_cart(self.charlies_merchant, prefix="CC-")
        create_order(charlies, number=3)
        self.assertEqual({row["reference"] for row in self.export()}, {"BB-1", "OO-2"})
        self.client.force_login(self.bob)
        self.assertEqual({row["reference"] for row in self.export()}, {"BB-1"})
        # bob naming the other merchant or its cart gets nothing of theirs
        other = self.export(cart=str(self.other_cart.id))
        self.assertEqual({row["reference"] for row in other}, {"BB-1"})
        self.client.force_login(self.charlie)
        self.assertEqual({row["reference"] for row in self.export()}, {"CC-3"})
