"""The format editor with the test client: who may open it, its preview, and what Save stores."""

from __future__ import annotations

from django.urls import reverse

from csvfiles.formats import PRESETS, CsvFormat
from csvfiles.targets import csv_format_link
from tests.base import BaseTestCase
from tests.csvfiles.links import order_file_link
from tests.objects import create_cart, create_wms
from tests.support.forms import form_values
from wms.models import WmsConnection


class FormatEditorTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.wms = create_wms(self.alices_account)
        self.wms_link = order_file_link(self.wms)

    def page_values(self, link: str) -> dict[str, list[str]]:
        response = self.client.get(link)
        self.assertEqual(response.status_code, 200)
        return form_values(response.content.decode(), containing="format-delimiter")

    def preview_url(self, link: str) -> str:
        return link.rstrip("/") + "/preview/"

    def test_it_shows_the_saved_format_or_the_default_with_its_preview(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(self.wms_link)
        self.assertContains(response, "Order file: file format")
        self.assertContains(response, '<th scope="col">Order reference</th>', html=False)
        self.assertContains(response, "BB-1001,1001,2026-03-14 15:09:26")
        self.assertContains(response, "js/csv_format.js")

    def test_it_saves_the_edited_format_into_the_connections_setting(self) -> None:
        self.client.force_login(self.alice)
        values = self.page_values(self.wms_link)
        values["format-delimiter"] = [";"]
        values["columns-0-header"] = ["Ref"]
        values["columns-1-field"] = ["fixed"]
        values["columns-1-value"] = ["NJ1"]
        values["columns-1-header"] = ["Warehouse"]
        response = self.client.post(self.wms_link, values)
        self.assertRedirects(response, reverse("wms_setup"), fetch_redirect_response=False)

        wms = WmsConnection.objects.get(id=self.wms.id)
        saved = CsvFormat.from_dict(wms.settings["order_format"])
        self.assertEqual(saved.delimiter, ";")
        self.assertEqual(saved.columns[0].header, "Ref")
        self.assertEqual((saved.columns[1].field, saved.columns[1].value), ("fixed", "NJ1"))
        self.assertEqual(wms.settings["ship_delay_seconds"], 0, "other settings are kept")
        # The page shows the saved format next time; saved unchanged, nothing changes.
        values = self.page_values(self.wms_link)
        self.assertEqual(values["format-delimiter"], [";"])
        self.client.post(self.wms_link, values)
        self.assertEqual(
            WmsConnection.objects.get(id=self.wms.id).settings["order_format"], saved.as_dict()
        )

    def test_columns_added_removed_and_reordered_are_saved_in_order(self) -> None:
        self.client.force_login(self.alice)
        values = {
            key: value
            for key, value in self.page_values(self.wms_link).items()
            if not key.startswith("columns-")
        }
        columns = [("line.sku", "Item"), ("line.quantity", ""), ("order_number", "PO")]
        values["columns-TOTAL_FORMS"] = [str(len(columns))]
        values["columns-INITIAL_FORMS"] = ["0"]
        for index, (field, header) in enumerate(columns):
            values[f"columns-{index}-field"] = [field]
            values[f"columns-{index}-header"] = [header]
        self.client.post(self.wms_link, values)
        saved = CsvFormat.from_dict(
            WmsConnection.objects.get(id=self.wms.id).settings["order_format"]
        )
        self.assertEqual([(c.field, c.header) for c in saved.columns], columns)

    def test_the_preview_follows_the_posted_form(self) -> None:
        self.client.force_login(self.alice)
        values = self.page_values(self.wms_link)
        values["columns-0-header"] = ["Our reference"]
        values["format-quoting"] = ["all"]
        response = self.client.post(self.preview_url(self.wms_link), values)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<th scope="col">Our reference</th>', html=False)
        self.assertContains(response, "&quot;Our reference&quot;,&quot;Order number&quot;")
        self.assertNotContains(response, "<html")  # a fragment for the page to swap in

    def test_the_preview_says_what_to_correct(self) -> None:
        self.client.force_login(self.alice)
        values = self.page_values(self.wms_link)
        values["columns-1-field"] = values["columns-0-field"]
        values["format-date_format"] = ["day month"]
        response = self.client.post(self.preview_url(self.wms_link), values)
        self.assertContains(response, "is in two columns: keep one of them")
        self.assertNotContains(response, "csv-raw")
        # The same form is not saved.
        response = self.client.post(self.wms_link, values)
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("order_format", WmsConnection.objects.get(id=self.wms.id).settings)

    def test_a_preset_is_a_starting_point_not_a_save(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(self.wms_link, {"preset": "cartrover_orders"})
        self.assertContains(response, "cust_po_no")
        self.assertNotIn("order_format", WmsConnection.objects.get(id=self.wms.id).settings)
        response = self.client.get(self.wms_link, {"preset": "hub_inventory"})  # another kind
        self.assertNotContains(response, "Started from")

    def test_a_format_the_connection_reads_with_must_be_readable(self) -> None:
        link = csv_format_link(
            connection_kind="wms",
            connection_id=self.wms.id,
            setting_key="inventory_format",
            direction="inventory",
            reads=True,
        )
        self.client.force_login(self.alice)
        values = self.page_values(link)
        self.assertEqual(values["columns-0-field"], ["sku"])
        values["columns-3-field"] = [""]  # "Available" becomes an empty column
        response = self.client.post(link, values)
        self.assertContains(response, "Files are read with a “Available” column: add one.")
        self.assertNotIn("inventory_format", WmsConnection.objects.get(id=self.wms.id).settings)

    def test_it_checks_ownership(self) -> None:
        bobs_cart = create_cart(self.bobs_merchant, prefix="BOB-")
        other_cart = create_cart(self.other_merchant, prefix="OTH-")

        def cart_link(cart_id: int) -> str:
            return csv_format_link(
                connection_kind="cart",
                connection_id=cart_id,
                setting_key="order_format",
                direction="orders",
                reads=True,
            )

        self.client.force_login(self.alice)
        self.assertEqual(
            self.client.get(self.wms_link).status_code, 200
        )  # so a 404 means something
        values = self.page_values(self.wms_link)
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.wms_link).status_code, 404)
        self.assertEqual(self.client.post(self.wms_link, values).status_code, 404)
        self.assertEqual(self.client.post(self.preview_url(self.wms_link), values).status_code, 404)
        self.assertEqual(self.client.get(cart_link(bobs_cart.id)).status_code, 404)
        self.assertNotIn("order_format", WmsConnection.objects.get(id=self.wms.id).settings)

        self.client.force_login(self.bob)  # a merchant user: his own cart, not the warehouse's
        self.assertEqual(self.client.get(cart_link(bobs_cart.id)).status_code, 200)
        self.assertEqual(self.client.get(cart_link(other_cart.id)).status_code, 404)
        self.assertEqual(self.client.get(self.wms_link).status_code, 404)

        self.client.force_login(self.create_staff())  # staff operate, they do not reconfigure
        self.assertEqual(self.client.get(self.wms_link).status_code, 403)
        self.assertEqual(self.client.get(cart_link(bobs_cart.id)).status_code, 403)

    def test_a_link_that_was_not_made_here_is_a_404(self) -> None:
        self.client.force_login(self.alice)
        tampered = self.wms_link.replace("/csv-formats/", "/csv-formats/x")
        self.assertEqual(self.client.get(tampered).status_code, 404)
        self.assertEqual(self.client.get("/csv-formats/abc/").status_code, 404)

    def test_a_broken_saved_format_falls_back_to_the_default_and_says_so(self) -> None:
        WmsConnection.objects.filter(id=self.wms.id).update(
            settings={"order_format": {"direction": "orders", "columns": []}}
        )
        self.client.force_login(self.alice)
        response = self.client.get(self.wms_link)
        self.assertContains(response, "The saved format could not be used")
        self.assertContains(response, PRESETS["hub_orders"].format.name)
