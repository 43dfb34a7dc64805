"""Aliases imported from a CSV with a bad row, and a cart's rules, in a real browser."""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import expect

from carts.models import CartConnection
from inventory.models import ItemFilter, ProductAlias
from orders.models import HoldReason, OrderStatus
from tests.browser.base import BrowserTestCase
from tests.objects import create_cart, create_order
from wms.models import CarrierMap

ALIASES = (
    "alias,sku,kind\n"
    "BB-TENT,TENT-2P-GRN,sku\n"
    "0812345678901,TENT-2P-GRN,upc\n"
    "BB-STOVE,,sku\n"  # line 4: no WMS SKU
    "BB-MAT,MAT-1,Merchant SKU\n"
)


class RulesBrowserTests(BrowserTestCase):
    def test_alice_imports_aliases_with_one_bad_row(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BOB-")
        held = create_order(
            cart, skus=("BB-TENT",), status=OrderStatus.ERROR, error_code=HoldReason.UNKNOWN_SKU
        )
        self.log_in("alice@example.org")
        page = self.page
        page.get_by_role("link", name="Products", exact=True).click()
        page.get_by_role("link", name="0 aliases").first.click()
        expect(page.get_by_role("heading", name="Product aliases of Bob's Bikes")).to_be_visible()
        page.get_by_role("link", name="Import CSV").click()
        self.screenshot("rules-alias-import-form")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bobs-aliases.csv"
            path.write_text(ALIASES)
            page.get_by_label("CSV file").set_input_files(str(path))
            page.get_by_role("button", name="Preview the import").click()
        expect(page.get_by_role("heading", name="Preview of bobs-aliases.csv")).to_be_visible()
        bad_rows = page.get_by_test_id("bad-rows")
        expect(bad_rows.get_by_role("row")).to_have_count(2)  # header + the bad one
        expect(bad_rows.get_by_role("cell", name="4", exact=True)).to_be_visible()
        expect(bad_rows.get_by_role("cell", name="Empty sku")).to_be_visible()
        self.assertFalse(ProductAlias.objects.exists())
        self.screenshot("rules-alias-import-preview")

        page.get_by_role("button", name="Import 3 rows").click()
        expect(page.get_by_text("Imported bobs-aliases.csv: 3 added")).to_be_visible()
        expect(page.get_by_text("1 held order goes to the WMS now.")).to_be_visible()
        self.screenshot("rules-alias-import-done")
        page.get_by_role("link", name="See the list").click()
        for alias in ("BB-TENT", "0812345678901", "BB-MAT"):
            expect(page.get_by_role("cell", name=alias, exact=True)).to_be_visible()
        expect(page.get_by_role("cell", name="Merchant SKU")).to_be_visible()
        self.screenshot("rules-alias-list")
        held.refresh_from_db()
        self.assertEqual(held.status, OrderStatus.NEW)

    def test_bob_edits_his_carts_rules(self) -> None:
        cart = create_cart(self.bobs_merchant, prefix="BOB-")
        self.log_in("bob@example.org")
        page = self.page
        page.get_by_role("link", name="Carts", exact=True).click()
        page.get_by_role("link", name=cart.label).first.click()
        page.get_by_role("link", name="Rules").click()
        expect(page.get_by_role("heading", name=f"Rules of {cart.label}")).to_be_visible()
        page.get_by_label("Translate item codes").check()
        page.get_by_label("Blacklist: all but the listed SKUs").check()
        page.get_by_label("Filter the order (not loaded; listed as skipped)").check()
        page.get_by_label("Earliest order date").fill("2026-10-01")
        page.get_by_label("Minimum inventory level").fill("3")
        page.get_by_role("button", name="Save the rules").click()
        expect(page.get_by_text("Orders follow them from the next download")).to_be_visible()
        page.get_by_label("SKU to add to the item filter").fill("SAMPLE-*")
        page.get_by_role("button", name="Add").click()
        expect(page.get_by_text("SAMPLE-* added to the item filter.")).to_be_visible()
        expect(page.get_by_text("Blacklist: these SKUs are filtered")).to_be_visible()
        self.screenshot("rules-cart-rules")
        cart = CartConnection.objects.get(id=cart.id)
        self.assertEqual(
            (
                cart.translate_item_codes,
                cart.item_filter_mode,
                cart.item_filter_level,
                cart.min_inventory_level,
            ),
            (True, "blacklist", "order", 3),
        )
        self.assertEqual(list(ItemFilter.objects.values_list("sku", flat=True)), ["SAMPLE-*"])

    def test_alice_adds_a_kit_and_maps_a_carrier(self) -> None:
        CarrierMap.objects.create(
            account=self.alices_account, merchant=self.bobs_merchant, wms_code="FDX"
        )
        self.log_in("alice@example.org")
        page = self.page
        page.goto(self.url(f"/merchants/{self.bobs_merchant.id}/kits/"))
        page.get_by_role("link", name="Add a kit").click()
        page.get_by_label("Kit SKU").fill("CAMP-SET")
        page.get_by_label("Component SKU, row 1").fill("TENT-2P-GRN")
        page.get_by_label("Component SKU, row 2").fill("STAKE-AL")
        page.get_by_label("Quantity, row 2").fill("8")
        self.screenshot("rules-kit-form")
        page.get_by_role("button", name="Save the kit").click()
        expect(page.get_by_text("Kit CAMP-SET saved.")).to_be_visible()
        expect(page.get_by_text("8 × STAKE-AL")).to_be_visible()
        self.screenshot("rules-kit-list")
        page.get_by_role("link", name="Carrier (SCAC) mapping").click()
        page.get_by_label("Carrier sent to the carts for FDX").fill("FEDEX")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Carrier FDX saved: carts are sent FEDEX")).to_be_visible()
        self.screenshot("rules-carrier-maps")
        self.assertEqual(CarrierMap.objects.get().cart_code, "FEDEX")
