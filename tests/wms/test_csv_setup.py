"""Setting up the CSV warehouse: the SFTP host key pinned by the first test, what a test says
failed, the folders form, the format links on the WMS page, and passwords never shown."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

from alerts.models import Alert
from integration_manager.connector_errors import AuthError
from integration_manager.transports import FolderNotFound, HostKeyChanged
from integration_manager.transports.sftp import host_key_text
from jobs.dispatcher import schedule_claim_now
from jobs.models import JobRun, ServiceSchedule
from jobs.runner import schedule_run
from orders.models import HoldReason, OrderStatus
from orders.services.delivery import orders_deliver
from tests.objects import create_cart, create_order
from tests.support.csv import (
    BOBS_FOLDER,
    PASSWORD,
    USER,
    WRONG_PASSWORD,
    CsvWarehouseTestCase,
)
from tests.support.file_servers import FtpServer, host_key_make
from tests.support.forms import form_values
from wms import services as wms_services
from wms.connectors.csv.connector import CsvWarehouseConnector
from wms.connectors.csv.forms import CsvWarehouseMerchantForm
from wms.models import WmsConnection


def setup_post(test: CsvWarehouseTestCase, **changes: str) -> dict[str, str]:
    """The WMS page's form as alice fills it in for a new CSV warehouse on the test server."""
    fields = {
        "protocol": test.protocol,
        "host": "127.0.0.1",
        "port": str(test.server.port),
        "username": USER,
        "password": PASSWORD,
        "passive": "on",
        "layout": "client_first",
        "orders_folder": "orders",
        "shipments_folder": "shipments",
        "inventory_folder": "inventory",
        "archive_folder": "archive",
        **changes,
    }
    return {
        "connector_key": "csv",
        "label": "Trailhead files",
        **{f"settings-{name}": value for name, value in fields.items()},
    }


class SftpHostKeyTests(CsvWarehouseTestCase):
    protocol = "sftp"

    def test_the_first_test_of_the_setup_page_pins_the_key_and_a_new_key_is_refused(self) -> None:
        WmsConnection.objects.all().delete()
        self.client.force_login(self.alice)
        response = self.client.post(reverse("wms_setup"), setup_post(self), follow=True)
        self.assertContains(response, "saved and connected")
        self.assertContains(response, "new; the hub keeps it")
        wms = WmsConnection.objects.get()
        pinned = host_key_text(self.server.host_key)
        self.assertEqual(wms.settings["host_key"], pinned)
        self.assertTrue(wms.enabled)
        self.assertContains(self.client.get(reverse("wms_setup")), pinned)

        self.server.host_key = host_key_make()  # the server (or someone between) changed
        with self.assertRaisesMessage(HostKeyChanged, "The host key of 127.0.0.1 changed"):
            wms_services.wms_test_connection(wms=wms)
        wms.refresh_from_db()
        self.assertEqual(wms.settings["host_key"], pinned)
        self.assertIn("host key of 127.0.0.1 changed", wms.last_error)
        self.drop(f"{BOBS_FOLDER}/shipments", "ships.csv", b"Order reference\r\nBB-1\r\n")
        schedule = ServiceSchedule.objects.get(merchant=self.bobs_merchant, service="ship_confirm")
        schedule_run(
            schedule_id=schedule.id,
            claimed_at=schedule_claim_now(schedule=schedule),
            trigger="manual",
        )
        wms.refresh_from_db()
        self.assertTrue(wms.is_paused)
        self.assertIn("host key of 127.0.0.1 changed", wms.paused_reason)
        self.assertEqual(self.names(f"{BOBS_FOLDER}/shipments"), ["ships.csv"])

    def test_a_run_before_any_test_connects_nowhere(self) -> None:
        self.wms = self.warehouse_save(host_key="")
        schedule = ServiceSchedule.objects.get(merchant=self.bobs_merchant, service="ship_confirm")
        run = schedule_run(
            schedule_id=schedule.id,
            claimed_at=schedule_claim_now(schedule=schedule),
            trigger="manual",
        )
        self.assertEqual(run.status, JobRun.Status.FAILED)
        self.assertIn("test the connection first", run.message)
        self.assertEqual(self.server.connections, 0)


class ConnectionTestTests(CsvWarehouseTestCase):
    protocol = "ftp"

    def test_it_lists_each_merchants_folders(self) -> None:
        found = wms_services.wms_test_connection(wms=self.wms)
        self.assertIn("Connected to 127.0.0.1 as acme (FTP, passive mode)", found)
        self.assertIn(
            "Bob's Bikes: orders bobs/orders (0 files), shipments bobs/shipments (0 files), "
            "inventory bobs/inventory (0 files), archive bobs/archive (made at the first pickup).",
            found,
        )
        self.assertIn("Other Outfitters: no folder yet", found)

    def test_a_missing_folder_is_named_with_its_merchant(self) -> None:
        (self.root / BOBS_FOLDER / "inventory").rmdir()
        with self.assertRaisesMessage(
            FolderNotFound, "Bob's Bikes, inventory folder: The folder bobs/inventory was not found"
        ):
            wms_services.wms_test_connection(wms=self.wms)
        self.wms.refresh_from_db()
        self.assertIn("bobs/inventory was not found", self.wms.last_error)

    def test_a_wrong_password_is_said_and_never_shown(self) -> None:
        self.wms = self.warehouse_save()
        WmsConnection.objects.filter(id=self.wms.id).update(
            credentials={"password": WRONG_PASSWORD}
        )
        self.wms.refresh_from_db()
        with self.assertRaisesMessage(AuthError, "refused the login for acme") as caught:
            wms_services.wms_test_connection(wms=self.wms)
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        order = create_order(cart, number=4001)
        run = self.run_of("order_delivery")
        with self.assertRaises(AuthError):
            orders_deliver(merchant=self.bobs_merchant, run=run)
        schedule = ServiceSchedule.objects.get(merchant=self.bobs_merchant, service="inventory")
        failed = schedule_run(
            schedule_id=schedule.id,
            claimed_at=schedule_claim_now(schedule=schedule),
            trigger="manual",
        )
        self.wms.refresh_from_db()
        order.refresh_from_db()
        self.assertEqual((order.status, order.delivery_started_at), (OrderStatus.NEW, None))
        said = [
            str(caught.exception),
            self.wms.last_error,
            self.wms.paused_reason,
            failed.message,
            failed.log,
            run.text(),
            order.error_reason,
            *Alert.objects.values_list("message", flat=True),
        ]
        self.assertTrue(self.wms.is_paused)
        for text in said:
            self.assertNotIn(WRONG_PASSWORD, text)
            self.assertNotIn(PASSWORD, text)
        self.assertIn("refused the login for acme", failed.message)

    def test_a_read_only_orders_folder_is_permission_denied_and_nothing_written(self) -> None:
        self.server.__exit__()  # the same folder again, served read-only for the orders
        self.server = self.enterContext(
            FtpServer(self.root, users={USER: PASSWORD}, read_only=[f"{BOBS_FOLDER}/orders"])
        )
        self.wms = self.warehouse_save()
        order = create_order(create_cart(self.bobs_merchant, prefix="BB-"), number=4002)
        orders_deliver(merchant=self.bobs_merchant, run=self.run_of("order_delivery"))
        order.refresh_from_db()
        self.assertEqual(order.error_code, HoldReason.WMS_RETRYING)
        self.assertIn("permission denied", order.error_reason)
        self.assertEqual(self.names(f"{BOBS_FOLDER}/orders"), [])


class WmsPageTests(CsvWarehouseTestCase):
    protocol = "ftp"

    def test_the_page_links_each_file_format_to_its_editor(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(reverse("wms_setup")).content.decode()
        for text in (
            "Edit the order file format",
            "Edit the shipment file format",
            "Edit the inventory file format",
        ):
            self.assertIn(text, page)
        link = page.split("Edit the shipment file format")[0].rsplit('href="', 1)[1].split('"')[0]
        editor = self.client.get(link)
        self.assertContains(editor, "Test shipments")  # the saved format, opened for editing
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(link).status_code, 404)

    def test_no_format_links_for_a_wms_without_files(self) -> None:
        wms_services.wms_save(
            account=self.alices_account,
            connector_key="sandbox",
            label="Sandbox",
            settings={},
            credentials={"api_key": "sandbox-key"},
        )
        self.client.force_login(self.alice)
        self.assertNotContains(self.client.get(reverse("wms_setup")), "file format")

    def test_the_settings_saved_unchanged_stay_as_they_were(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(reverse("wms_setup"), setup_post(self, layout="wms_first"))
        saved = WmsConnection.objects.get()
        page = self.client.get(reverse("wms_setup")).content.decode()
        values = form_values(page, containing="settings-orders_folder")
        self.assertEqual(values["settings-password"], [""])  # never shown back
        self.client.post(reverse("wms_setup"), QueryDict(urlencode(values, doseq=True)))
        again = WmsConnection.objects.get()
        self.assertEqual(again.settings, saved.settings)
        self.assertEqual(again.settings["layout"], "wms_first")
        self.assertEqual(again.credentials, {"password": PASSWORD})

    def test_one_folder_for_two_uses_is_refused(self) -> None:
        data = {
            f"settings-{name}": value
            for name, value in {
                **self.transport_settings(),
                "password": PASSWORD,
                "layout": "client_first",
                "orders_folder": "files",
                "shipments_folder": " files/",
                "inventory_folder": "stock",
                "archive_folder": "stock ",
            }.items()
        }
        form = CsvWarehouseConnector.form(data)
        self.assertFalse(form.is_valid())
        self.assertIn("This is the orders folder too", str(form.errors["shipments_folder"]))
        self.assertIn("This is the inventory folder too", str(form.errors["archive_folder"]))

    def test_a_merchant_needs_a_folder_of_its_own(self) -> None:
        self.assertFalse(CsvWarehouseMerchantForm({"wms-folder": " / "}, prefix="wms").is_valid())
        form = CsvWarehouseMerchantForm({"wms-folder": " acme/ "}, prefix="wms")
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data["folder"], "acme")
