"""The stock and locations screens in a real browser, after a pickup from the sandbox WMS."""

from __future__ import annotations

import re

from django.urls import reverse
from playwright.sync_api import Dialog, expect

from inventory.jobs import INVENTORY
from inventory.models import InventoryLevel, Location
from inventory.pickup import inventory_fetch
from tests.browser.base import BrowserTestCase
from tests.objects import create_cart, create_wms, recorder


class StockBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-", label="Bob's Shopify")
        inventory_fetch(
            merchant=self.bobs_merchant,
            run=recorder(merchant=self.bobs_merchant, service=INVENTORY),
        )

    def test_alice_sees_stock_and_looks_after_the_locations(self) -> None:
        self.log_in("alice@example.org")
        page = self.page
        questions: list[str] = []

        def accept(dialog: Dialog) -> None:
            questions.append(dialog.message)
            dialog.accept()

        page.on("dialog", accept)
        page.goto(self.url(reverse("stock_index")))
        page.get_by_role("link", name="Stock of Bob's Bikes").click()
        expect(page.get_by_role("heading", name="Stock of Bob's Bikes")).to_be_visible()
        table = page.get_by_test_id("stock-table")
        expect(table.get_by_role("columnheader", name="East warehouse (NJ)")).to_be_visible()
        tent = InventoryLevel.objects.filter(merchant=self.bobs_merchant, sku="TENT-2P-GRN")
        total = sum(tent.values_list("available", flat=True))
        row = table.get_by_role("row").filter(has_text="TENT-2P-GRN")
        expect(row.locator("td").nth(3)).to_have_text(str(total))
        self.screenshot("stock-list")

        page.get_by_label("Search SKUs").fill("tent")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"q=tent"))
        expect(table.locator("code")).to_have_text(["TENT-2P-GRN", "TENT-4P-ORG"])

        tabs = page.locator(".nav-tabs")
        tabs.get_by_role("link", name="Locations").click()
        expect(page.get_by_role("heading", name="Locations of Bob's Bikes")).to_be_visible()
        west = Location.objects.get(merchant=self.bobs_merchant, wms_location_id="WEST")
        page.get_by_role("link", name="Rename West warehouse (NV)").click()
        page.get_by_label("Name").fill("Reno")
        page.get_by_role("button", name="Save the name").click()
        expect(page.get_by_text("West warehouse (NV) is now called Reno.")).to_be_visible()
        page.get_by_role("button", name="Make East warehouse (NJ) the default").click()
        expect(page.get_by_text("East warehouse (NJ) is now the default location")).to_be_visible()
        page.get_by_role("button", name="Disable Reno").click()
        expect(page.get_by_text("Reno disabled: its stock is kept")).to_be_visible()
        self.assertEqual(len(questions), 1)
        self.assertIn("Disable Reno?", questions[0])
        self.screenshot("location-list")
        west.refresh_from_db()
        self.assertEqual((west.name, west.enabled), ("Reno", False))

        tabs.get_by_role("link", name="Stock").click()
        expect(table.get_by_role("columnheader", name="Reno disabled")).to_be_visible()
        east_only = tent.get(location__wms_location_id="EAST").available
        expect(row.locator("td").nth(3)).to_have_text(str(east_only))
        self.screenshot("stock-list-disabled")

    def test_bob_sees_his_own_stock_only(self) -> None:
        self.log_in("bob@example.org")
        self.page.goto(self.url(reverse("stock_index")))
        expect(self.page.get_by_role("heading", name="Stock of Bob's Bikes")).to_be_visible()
        other = reverse("stock_list", args=[self.other_merchant.id])
        response = self.page.goto(self.url(other))
        assert response is not None
        self.assertEqual(response.status, 404)

    def test_charlie_gets_a_404(self) -> None:
        self.log_in("charlie@example.org")
        for name in ("stock_list", "location_list"):
            response = self.page.goto(self.url(reverse(name, args=[self.bobs_merchant.id])))
            assert response is not None
            self.assertEqual(response.status, 404)
