"""The CSV warehouse and cart in a real browser: SFTP set up, host key pinned, files uploaded."""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import expect

from accounts.models import Merchant
from orders.models import Order
from tests.browser.base import BrowserTestCase
from tests.support.csv import BOBS_FOLDER, FileServerMixin, create_csv_cart, order_rows
from wms.models import WmsConnection


class CsvWarehouseBrowserTests(FileServerMixin, BrowserTestCase):
    protocol = "sftp"

    def test_alice_sets_up_an_sftp_warehouse_and_its_key_is_pinned(self) -> None:
        self.start_file_server(folders=("bobs/orders", "bobs/shipments", "bobs/inventory"))
        self.log_in("alice@example.org")
        page = self.page
        page.get_by_role("link", name="WMS", exact=True).click()
        page.get_by_label("WMS type").select_option("csv")
        page.locator("#id_settings-protocol").select_option("sftp")
        page.locator("#id_settings-host").fill("127.0.0.1")
        page.locator("#id_settings-port").fill(str(self.server.port))
        page.locator("#id_settings-username").fill("acme")
        page.locator("#id_settings-password").fill("not-the-password-71")
        page.get_by_role("button", name="Save the WMS").click()
        # A wrong password: saved, tested, refused; never "Connected", never the password.
        expect(page.get_by_text("saved, but the test failed")).to_be_visible()
        expect(page.get_by_text("Connected", exact=True)).to_have_count(0)
        expect(page.get_by_text("not-the-password-71")).to_have_count(0)
        self.screenshot("csv-wms-wrong-password")

        page.locator("#id_settings-password").fill("tr0ub4dor-and-3-csv")
        page.get_by_role("button", name="Save the WMS").click()
        expect(page.get_by_text("saved and connected")).to_be_visible()
        expect(page.get_by_text("Bob's Bikes: no folder yet")).to_be_visible()
        wms = WmsConnection.objects.get(account=self.alices_account)
        pinned = wms.settings["host_key"]
        self.assertTrue(pinned)
        expect(page.locator("#id_settings-host_key")).to_have_value(pinned)
        expect(page.get_by_role("link", name="Order file")).to_be_visible()
        # Only what SFTP uses shows; FTP's and e-mail's fields come with their protocol.
        expect(page.get_by_label("Passive mode")).to_be_hidden()
        expect(page.get_by_label("E-mail security")).to_be_hidden()
        self.screenshot("csv-wms-setup")
        page.locator("#id_settings-protocol").select_option("ftps")
        expect(page.get_by_label("Passive mode")).to_be_visible()
        expect(page.locator("#id_settings-host_key")).to_be_hidden()
        page.reload()

        # Bob's Bikes gets its folder; the next test looks at its folders by name.
        bobs = Merchant.objects.get(id=self.bobs_merchant.id)
        page.goto(self.url(f"/merchants/{bobs.id}/wms/"))
        page.get_by_label("Merchant folder").fill(BOBS_FOLDER)
        page.get_by_role("button", name="Save").click()
        page.get_by_role("link", name="WMS", exact=True).click()
        page.get_by_role("button", name="Test connection").click()
        expect(page.get_by_text("Bob's Bikes: orders bobs/orders (0 files)")).to_be_visible()
        self.screenshot("csv-wms-tested")

    def test_charlie_cannot_open_alices_upload_page(self) -> None:
        cart = create_csv_cart(self.bobs_merchant)
        self.log_in("charlie@example.org")
        response = self.page.goto(self.url(f"/carts/{cart.id}/upload/"))
        assert response is not None
        self.assertEqual(response.status, 404)


class CsvCartBrowserTests(BrowserTestCase):
    def test_alice_uploads_an_order_file_and_sees_what_came_in(self) -> None:
        cart = create_csv_cart(self.bobs_merchant)
        folder = Path(self.enterContext(tempfile.TemporaryDirectory()))
        good = order_rows(("1001", "BIKE-RED", 1), ("1002", "HELMET", 2))
        bad_row = b"1003,not a date,Maria,Garcia,1 St,Phila,PA,19107,US,BELL,x,1.00\r\n"
        path = folder / "orders-monday.csv"
        path.write_bytes(good + bad_row)
        self.log_in("alice@example.org")
        page = self.page
        page.goto(self.url(f"/carts/{cart.id}/"))
        expect(page.get_by_role("link", name="Order file")).to_be_visible()
        page.get_by_label("Upload an order file").set_input_files(str(path))
        page.get_by_role("button", name="Upload and load the orders").click()
        outcome = page.locator("#upload-outcome")
        expect(outcome.get_by_text("2 new orders")).to_be_visible()
        expect(outcome.get_by_text("1 row refused")).to_be_visible()
        expect(outcome.get_by_text("orders-monday.csv, line 4")).to_be_visible()
        self.screenshot("csv-cart-upload")
        refs = set(Order.objects.filter(cart=cart).values_list("source_order_id", flat=True))
        self.assertEqual(refs, {"1001", "1002"})

        # The same file again loads nothing and says when it was loaded.
        page.get_by_label("Order file").set_input_files(str(path))
        page.get_by_role("button", name="Upload and load the orders").click()
        expect(page.get_by_text("nothing was loaded again")).to_be_visible()
        self.assertEqual(Order.objects.filter(cart=cart).count(), 2)
