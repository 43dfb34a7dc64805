"""The format editor in a real browser: edit columns and options, watch the preview follow."""

from __future__ import annotations

from playwright.sync_api import Locator, expect

from csvfiles.formats import CsvFormat
from tests.browser.base import BrowserTestCase
from tests.csvfiles.links import order_file_link
from tests.objects import create_wms
from wms.models import WmsConnection


class FormatEditorBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.wms = create_wms(self.alices_account)
        self.link = order_file_link(self.wms)

    def column(self, number: int) -> Locator:
        return self.page.locator("tbody[data-formset='columns'] tr").nth(number - 1)

    def test_the_preview_follows_each_edit_and_save_stores_it(self) -> None:
        page = self.page
        self.log_in("alice@example.org")
        page.goto(self.url(self.link))
        table = page.get_by_test_id("csv-preview-table")
        raw = page.get_by_test_id("csv-raw")
        expect(table.locator("thead th").nth(1)).to_have_text("Order reference")
        self.screenshot("csv-format-editor")

        # A new header text for the first column.
        self.column(1).get_by_label("Header text").fill("Ref")
        expect(table.locator("thead th").nth(1)).to_have_text("Ref")
        expect(raw).to_contain_text("Ref,Order number,Order date")

        # Another field in the second column.
        self.column(2).get_by_label("Field").select_option("bill_to.city")
        expect(table.locator("thead th").nth(2)).to_have_text("Bill to city")
        expect(raw).to_contain_text("BB-1001,Weehawken,2026-03-14")

        # Move it up, add a fixed column, remove the order source.
        self.column(2).get_by_role("button", name="Move up").click()
        expect(raw).to_contain_text("Bill to city,Ref,Order date")
        page.get_by_role("button", name="Add column").click()
        new = self.column(23)
        new.get_by_label("Field").select_option("fixed")
        new.get_by_label("Header text").fill("Warehouse")
        new.get_by_label("Fixed text").fill("NJ1")
        expect(raw).to_contain_text("Leave at the back door,NJ1")
        self.column(4).get_by_role("button", name="Remove").click()
        expect(raw).not_to_contain_text("Bob's Bikes web store")

        # Options: semicolons, and three products per row.
        page.get_by_label("Delimiter").select_option(";")
        expect(raw).to_contain_text("Weehawken;BB-1001;2026-03-14 15:09:26;UPS_GROUND;;Renée")
        # A constant fills the blank company.
        page.get_by_role("button", name="Add constant").click()
        constant = page.locator("tbody[data-formset='constants'] tr").first
        constant.get_by_label("Field").select_option("ship_to.company")
        constant.get_by_label("Value").fill("Home")
        expect(raw).to_contain_text("UPS_GROUND;Home;Renée")
        expect(page.get_by_label("Products per row")).to_be_hidden()
        page.get_by_label("Products", exact=True).select_option("grouped")
        page.get_by_label("Products per row").fill("2")
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table.locator("thead")).to_contain_text("SKU 2")
        self.screenshot("csv-format-editor-edited")

        # A mistake is explained in place of the file.
        self.column(1).get_by_label("Field").select_option("cust_ref")
        expect(page.get_by_test_id("csv-preview-errors")).to_contain_text("is in two columns")
        self.column(1).get_by_label("Field").select_option("bill_to.city")
        expect(raw).to_be_visible()

        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Order file: format saved.")).to_be_visible()
        saved = CsvFormat.from_dict(
            WmsConnection.objects.get(id=self.wms.id).settings["order_format"]
        )
        self.assertEqual(saved.delimiter, ";")
        self.assertEqual((saved.layout, saved.group_count), ("grouped", 2))
        self.assertEqual(
            [column.field for column in saved.columns[:3]],
            ["bill_to.city", "cust_ref", "ordered_at"],
        )
        self.assertEqual((saved.columns[-1].field, saved.columns[-1].value), ("fixed", "NJ1"))
        self.assertNotIn("order_source", [column.field for column in saved.columns])
        self.assertEqual(saved.constants, (("ship_to.company", "Home"),))
