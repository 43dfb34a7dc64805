"""A cart's product sync view in a real browser, after a pickup and an upload to the sandbox."""

from __future__ import annotations

import re

from django.urls import reverse
from playwright.sync_api import expect

from inventory.jobs import INVENTORY, INVENTORY_UPLOAD
from inventory.models import InventoryLevel, Location
from inventory.pickup import inventory_fetch
from inventory.upload import inventory_upload
from tests.browser.base import BrowserTestCase
from tests.objects import create_cart, create_wms, recorder


class ProductSyncBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-", label="Bob's Shopify")
        merchant = self.bobs_merchant
        inventory_fetch(merchant=merchant, run=recorder(merchant=merchant, service=INVENTORY))
        # A SKU the warehouse stocks but the store does not sell: the cart refuses it.
        InventoryLevel.objects.create(
            account=self.alices_account,
            merchant=merchant,
            location=Location.objects.filter(merchant=merchant).first(),
            sku="ROPE-10M",
            available=4,
        )
        self.cart.min_inventory_level = 5
        self.cart.save(update_fields=["min_inventory_level"])
        inventory_upload(
            cart=self.cart,
            run=recorder(merchant=merchant, service=INVENTORY_UPLOAD, cart=self.cart),
        )

    def test_bob_sees_what_his_cart_was_sent_and_reconciles(self) -> None:
        self.log_in("bob@example.org")
        page = self.page
        page.goto(self.url(reverse("product_sync", args=[self.cart.id])))
        expect(page.get_by_role("heading", name="Product sync")).to_be_visible()
        table = page.get_by_test_id("product-sync-table")
        rope = table.get_by_role("row").filter(has_text="ROPE-10M")
        expect(rope).to_contain_text("Unknown in the cart")
        expect(rope).to_contain_text("never")
        expect(page.get_by_text("The cart refused 1 SKU.")).to_be_visible()
        self.screenshot("product-sync")

        page.get_by_label("Status").select_option("unknown_in_cart")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(re.compile(r"status=unknown_in_cart"))
        expect(table.locator("code")).to_have_text(["ROPE-10M"])

        page.get_by_role("button", name="Reconcile now").click()
        expect(page.get_by_text("sends every SKU, changed or not")).to_be_visible()
        expect(page.get_by_text("not yet: the next inventory upload is one")).to_be_visible()
        self.screenshot("product-sync-reconcile")
