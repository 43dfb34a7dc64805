from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import InventoryLevel, Location
from tests.base import BaseTestCase
from tests.objects import create_cart

WMS_TIME = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


class StockFixture(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.merchant = self.bobs_merchant
        self.east = self.add_location(self.merchant, "EAST", "East")
        self.west = self.add_location(self.merchant, "WEST", "West")
        self.outfitters = self.add_location(self.other_merchant, "EAST", "Outfitters East")

    def add_location(self, merchant, wms_id: str, name: str) -> Location:  # type: ignore[no-untyped-def]
        return Location.objects.create(
            account=merchant.account, merchant=merchant, wms_location_id=wms_id, name=name
        )

    def add_level(self, location: Location, sku: str, available: int, on_hand: int = 0) -> None:
        InventoryLevel.objects.create(
            account_id=location.account_id,
            merchant_id=location.merchant_id,
            location=location,
            sku=sku,
            available=available,
            on_hand=on_hand or available,
            wms_updated_at=WMS_TIME,
        )

    def message_texts(self, response) -> list[str]:  # type: ignore[no-untyped-def]
        return [str(message) for message in get_messages(response.wsgi_request)]


class StockScreenTests(StockFixture):
    def setUp(self) -> None:
        super().setUp()
        self.add_level(self.east, "TENT-2P", 5, on_hand=7)
        self.add_level(self.west, "TENT-2P", 3)
        self.add_level(self.east, "STOVE", 2)
        self.add_level(self.outfitters, "PADDLE", 9)
        self.url = reverse("stock_list", args=[self.merchant.id])

    def rows(self, response) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
        return {
            row.sku: (*[cell.available for cell in row.cells], row.total)
            for row in response.context["page"].rows
        }

    def test_it_shows_each_location_and_the_total_of_the_enabled_ones(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            [location.name for location in response.context["locations"]], ["East", "West"]
        )
        self.assertEqual(self.rows(response), {"STOVE": (2, None, 2), "TENT-2P": (5, 3, 8)})
        self.assertContains(response, 'title="On hand: 7"')
        self.assertNotContains(response, "PADDLE")
        self.west.enabled = False
        self.west.save()
        response = self.client.get(self.url)
        self.assertEqual(self.rows(response)["TENT-2P"], (5, 3, 5))
        self.assertContains(response, '<span class="badge text-bg-secondary">disabled</span>')

    def test_it_searches_by_sku(self) -> None:
        self.client.force_login(self.bob)
        response = self.client.get(self.url, {"q": "tent"})
        self.assertEqual(list(self.rows(response)), ["TENT-2P"])
        self.assertEqual(response.context["sku_count"], 1)
        response = self.client.get(self.url, {"q": "paddle"})
        self.assertContains(response, "No SKU contains")

    def test_it_pages_by_sku(self) -> None:
        for index in range(110):
            self.add_level(self.east, f"BULK-{index:03}", index)
        self.client.force_login(self.alice)
        first = self.client.get(self.url).context["page"]
        self.assertEqual(
            (len(first.rows), first.rows[0].sku, first.is_first), (50, "BULK-000", True)
        )
        second = self.client.get(self.url, {"after": first.next_after}).context["page"]
        self.assertEqual(second.rows[0].sku, "BULK-050")
        third = self.client.get(self.url, {"after": second.next_after}).context["page"]
        self.assertEqual([row.sku for row in third.rows][-2:], ["STOVE", "TENT-2P"])
        self.assertEqual((len(third.rows), third.next_after), (12, ""))
        back = self.client.get(self.url, {"before": second.previous_before}).context["page"]
        self.assertEqual([row.sku for row in back.rows], [row.sku for row in first.rows])
        self.assertTrue(back.is_first)

    def test_a_page_reads_only_its_skus(self) -> None:
        self.client.force_login(self.alice)
        for index in range(60):
            self.add_level(self.east, f"A-{index:04}", 1)
        with CaptureQueriesContext(connection) as few:
            self.client.get(self.url)
        InventoryLevel.objects.bulk_create(
            InventoryLevel(
                account=self.alices_account, merchant=self.merchant, location=location, sku=sku
            )
            for sku in [f"B-{index:04}" for index in range(1000)]
            for location in (self.east, self.west)
        )
        with CaptureQueriesContext(connection) as many:
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"].rows), 50)
        self.assertEqual(len(many), len(few))
        # Counting stops past 1,000 SKUs: an exact count would cost more than the page.
        self.assertEqual(response.context["sku_count"], 1001)
        self.assertContains(response, "More than 1000 SKUs")

    def test_staff_and_the_merchant_user_see_it(self) -> None:
        self.client.force_login(self.create_staff())
        self.assertEqual(self.client.get(self.url).status_code, 200)
        other = reverse("stock_list", args=[self.other_merchant.id])
        self.assertContains(self.client.get(other), "PADDLE")
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url).status_code, 200)

    def test_it_checks_ownership(self) -> None:
        urls = [
            reverse("stock_list", args=[self.other_merchant.id]),
            reverse("stock_export", args=[self.other_merchant.id]),
            reverse("location_list", args=[self.other_merchant.id]),
        ]
        self.client.force_login(self.alice)
        for url in urls:
            self.assertEqual(self.client.get(url).status_code, 200, url)  # so 404 means something
        self.client.force_login(self.bob)
        for url in urls:
            self.assertEqual(self.client.get(url).status_code, 404, url)
        self.client.force_login(self.charlie)
        for url in [*urls, self.url, reverse("stock_export", args=[self.merchant.id])]:
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_the_index_lists_merchants_and_sends_a_merchant_user_to_theirs(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(reverse("stock_index"))
        self.assertEqual(
            [merchant.name for merchant in response.context["merchants"]],
            ["Bob's Bikes", "Other Outfitters"],
        )
        self.client.force_login(self.bob)
        self.assertRedirects(self.client.get(reverse("stock_index")), self.url)
        self.client.force_login(self.charlie)
        response = self.client.get(reverse("stock_index"))
        self.assertEqual(
            [merchant.name for merchant in response.context["merchants"]], ["Charlie's Candles"]
        )


class StockExportTests(StockFixture):
    def export(self, merchant_id: int) -> list[list[str]]:
        response = self.client.get(reverse("stock_export", args=[merchant_id]))
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response["Content-Disposition"])
        text = b"".join(response.streaming_content).decode()
        return list(csv.reader(io.StringIO(text)))

    def test_it_exports_a_row_per_sku_with_a_column_per_location(self) -> None:
        self.add_level(self.east, "TENT-2P", 5)
        self.add_level(self.west, "TENT-2P", 3)
        self.add_level(self.west, "=HYPERLINK()", 1)
        self.add_level(self.outfitters, "PADDLE", 9)
        self.west.enabled = False
        self.west.save()
        self.client.force_login(self.bob)
        rows = self.export(self.merchant.id)
        self.assertEqual(rows[0], ["sku", "East", "West", "total_enabled", "wms_updated_at"])
        self.assertEqual(
            rows[1:],
            [
                ["'=HYPERLINK()", "", "1", "0", WMS_TIME.isoformat()],
                ["TENT-2P", "5", "3", "5", WMS_TIME.isoformat()],
            ],
        )

    def test_it_exports_the_header_alone_without_stock(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(
            self.export(self.merchant.id), [["sku", "total_enabled", "wms_updated_at"]]
        )


class LocationScreenTests(StockFixture):
    def setUp(self) -> None:
        super().setUp()
        self.list_url = reverse("location_list", args=[self.merchant.id])

    def post(self, url_name: str, location: Location, **data: str):  # type: ignore[no-untyped-def]
        url = reverse(url_name, args=[self.merchant.id, location.id])
        return self.client.post(url, data, follow=True)

    def test_it_lists_the_locations_with_the_default_first(self) -> None:
        cart = create_cart(self.merchant, prefix="BB-", label="Bikes Shopify")
        cart.inventory_location = self.east
        cart.save(update_fields=["inventory_location"])
        self.client.force_login(self.bob)
        response = self.client.get(self.list_url)
        rows = response.context["rows"]
        self.assertEqual([row.location.name for row in rows], ["Default", "East", "West"])
        self.assertEqual([cart.label for cart in rows[1].carts], ["Bikes Shopify"])
        self.assertContains(response, '<span class="badge text-bg-primary">default</span>', 1)

    def test_the_list_makes_a_default_for_a_merchant_without_one(self) -> None:
        Location.objects.filter(merchant=self.merchant, wms_location_id="").delete()
        self.client.force_login(self.alice)
        self.client.get(self.list_url)
        self.assertEqual(
            Location.objects.get(merchant=self.merchant, is_default=True).name, "Default"
        )

    def test_it_renames_a_location(self) -> None:
        self.client.force_login(self.bob)
        response = self.post("location_edit", self.east, name="Newark")
        self.assertEqual(self.message_texts(response), ["East is now called Newark."])
        self.east.refresh_from_db()
        self.assertEqual(self.east.name, "Newark")
        response = self.post("location_edit", self.east, name="west")
        self.assertContains(response, "Another location of this merchant has this name.")

    def test_it_makes_a_location_the_default(self) -> None:
        self.client.force_login(self.alice)
        response = self.post("location_default", self.west)
        self.assertIn("West is now the default location", self.message_texts(response)[0])
        defaults = Location.objects.filter(merchant=self.merchant, is_default=True)
        self.assertEqual([location.name for location in defaults], ["West"])
        self.assertEqual(
            self.client.get(
                reverse("location_default", args=[self.merchant.id, self.west.id])
            ).status_code,
            405,
        )

    def test_it_disables_and_enables_a_location(self) -> None:
        self.client.force_login(self.alice)
        response = self.post("location_enable", self.west, enabled="0")
        self.assertIn("West disabled", self.message_texts(response)[0])
        self.west.refresh_from_db()
        self.assertFalse(self.west.enabled)
        response = self.post("location_enable", self.west, enabled="1")
        self.assertIn("West enabled", self.message_texts(response)[0])
        self.west.refresh_from_db()
        self.assertTrue(self.west.enabled)

    def test_it_says_why_the_default_cannot_be_disabled(self) -> None:
        self.client.force_login(self.alice)
        default = Location.objects.get(merchant=self.merchant, is_default=True)
        response = self.post("location_enable", default, enabled="0")
        self.assertIn("make another location the default first", self.message_texts(response)[0])
        default.refresh_from_db()
        self.assertTrue(default.enabled)

    def test_it_checks_ownership_of_each_location(self) -> None:
        foreign = [
            (self.merchant.id, self.outfitters.id),  # another merchant's location under bob's
            (self.other_merchant.id, self.outfitters.id),
        ]
        self.client.force_login(self.bob)
        for merchant_id, location_id in foreign:
            for name in ("location_edit", "location_default", "location_enable"):
                url = reverse(name, args=[merchant_id, location_id])
                self.assertEqual(self.client.post(url, {"name": "x"}).status_code, 404, url)
        self.client.force_login(self.charlie)
        for name in ("location_edit", "location_default", "location_enable"):
            url = reverse(name, args=[self.merchant.id, self.east.id])
            self.assertEqual(self.client.post(url, {"name": "x"}).status_code, 404, url)
        self.east.refresh_from_db()
        self.outfitters.refresh_from_db()
        self.assertEqual((self.east.name, self.outfitters.name), ("East", "Outfitters East"))
