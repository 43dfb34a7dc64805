"""The CSV cart on real FTP, FTPS and SFTP servers: a dropped order file loads once (dropped
twice, once), bad rows are named while the good orders load, tracking goes back as files."""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal

from django.utils import timezone

from carts import services as cart_services
from carts.connectors.csv.connector import NO_TRACKING_FOLDER, CsvCartConnector
from carts.connectors.registry import cart_connector_for
from carts.models import CartConnection
from csvfiles.models import FileReceipt
from integration_manager.connector_errors import AuthError, ConnectorError
from integration_manager.transports import FolderNotFound
from integration_manager.transports.sftp import host_key_text
from jobs.recorder import RunRecorder
from orders.models import Order, OrderStatus
from orders.services.download import orders_download
from orders.services.shipment_upload import shipments_upload
from tests.base import BaseTestCase
from tests.objects import create_shipment, recorder
from tests.support.csv import (
    PASSWORD,
    FileServerMixin,
    create_csv_cart,
    order_rows,
)


class CsvCartTestCase(FileServerMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.start_file_server(folders=("orders", "tracking"))
        self.cart = create_csv_cart(self.bobs_merchant, settings=self.cart_settings())

    def cart_settings(self, **changes: object) -> dict[str, object]:
        return {
            **self.transport_settings(),
            "inbox_folder": "orders",
            "archive_folder": "archive",
            "tracking_folder": "tracking",
            **changes,
        }

    def download(self) -> RunRecorder:
        run = recorder(merchant=self.bobs_merchant, service="order_download", cart=self.cart)
        self.cart.refresh_from_db()
        orders_download(cart=self.cart, run=run)
        return run


class DroppedFileBehaviour:
    def test_a_dropped_file_loads_once_even_when_dropped_twice(self) -> None:
        data = order_rows(("1001", "TENT-2P", 2), ("1001", "STOVE-1", 1), ("1002", "LAMP-3", 1))
        self.drop("orders", "monday.csv", data)  # type: ignore[attr-defined]
        run = self.download()  # type: ignore[attr-defined]
        self.assertIn("Read monday.csv: 2 order(s).", run.text())
        order = Order.objects.get(source_order_id="1001")
        self.assertEqual(
            (order.cust_ref, order.status, order.ship_to["city"]),
            ("CSV-1001", OrderStatus.NEW, "Philadelphia"),
        )
        self.assertEqual(
            [(line.sku, line.quantity) for line in order.lines.order_by("line_number")],
            [("TENT-2P", Decimal(2)), ("STOVE-1", Decimal(1))],
        )
        self.drop("orders", "monday (copy).csv", data)  # type: ignore[attr-defined]
        again = self.download()  # type: ignore[attr-defined]
        self.assertIn("monday (copy).csv (the same content as monday.csv", again.text())
        self.assertEqual(Order.objects.count(), 2)
        self.assertEqual(self.names("orders"), [])  # type: ignore[attr-defined]
        self.assertEqual(self.names("archive"), ["monday (copy).csv", "monday.csv"])  # type: ignore[attr-defined]
        self.assertEqual(
            list(FileReceipt.objects.values_list("connection_kind", "status")), [("cart", "done")]
        )


class FtpCartTests(DroppedFileBehaviour, CsvCartTestCase):
    protocol = "ftp"

    def test_a_bad_row_is_named_and_the_good_orders_load(self) -> None:
        data = order_rows(("1003", "TENT-2P", 1), ("1004", "LAMP-3", "lots"))
        self.drop("orders", "tuesday.csv", data)
        run = self.download()
        self.assertEqual(list(Order.objects.values_list("source_order_id", flat=True)), ["1003"])
        self.assertIn(
            "tuesday.csv, line 3: “Quantity” (column 11): “lots” is not a number", run.text()
        )
        self.assertIn("Order 1004 was set aside.", run.text())

    def test_a_corrected_file_updates_an_order_not_sent_yet(self) -> None:
        self.drop("orders", "friday.csv", order_rows(("1007", "TENT-2P", 1)))
        earlier = timezone.now().timestamp() - 600
        os.utime(self.root / "orders" / "friday.csv", (earlier, earlier))
        self.download()
        self.drop("orders", "friday-fixed.csv", order_rows(("1007", "TENT-2P", 3)))
        run = self.download()
        order = Order.objects.get(source_order_id="1007")
        self.assertEqual([line.quantity for line in order.lines.all()], [Decimal(3)])
        self.assertEqual(order.status, OrderStatus.NEW)
        self.assertEqual(run.ok, 1)

    def test_tracking_goes_back_as_a_file_named_after_the_order(self) -> None:
        self.drop("orders", "wednesday.csv", order_rows(("1005", "TENT-2P", 1)))
        self.download()
        order = Order.objects.get(source_order_id="1005")
        Order.objects.filter(id=order.id).update(status=OrderStatus.SHIPPED)
        shipment = create_shipment(order, ref="PKG-1", tracking="1Z999AA10123456784")
        shipments_upload(
            cart=self.cart,
            run=recorder(merchant=self.bobs_merchant, service="shipment_upload", cart=self.cart),
        )
        shipment.refresh_from_db()
        [name] = self.names("tracking")
        self.assertRegex(name, r"^tracking-1005-\d{8}T\d{6}Z-[0-9a-f]{6}\.csv$")
        self.assertEqual(shipment.upload_reference, name)
        text = (self.root / "tracking" / name).read_text()
        [row] = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual(
            (row["Order reference"], row["Tracking number"], row["Carrier"]),
            ("1005", "1Z999AA10123456784", "UPS"),
        )

    def test_without_a_tracking_folder_nothing_is_written_and_the_reference_says_so(self) -> None:
        self.cart = cart_services.cart_update(
            cart=self.cart,
            label=self.cart.label,
            order_source=self.cart.order_source,
            reference_prefix=self.cart.reference_prefix,
            reject_unmapped_ship_methods=False,
            inventory_location_id=None,
            settings={"tracking_folder": ""},
            credentials={},
        )
        self.drop("orders", "thursday.csv", order_rows(("1006", "TENT-2P", 1)))
        self.download()
        order = Order.objects.get(source_order_id="1006")
        Order.objects.filter(id=order.id).update(status=OrderStatus.SHIPPED)
        shipment = create_shipment(order)
        shipments_upload(
            cart=self.cart,
            run=recorder(merchant=self.bobs_merchant, service="shipment_upload", cart=self.cart),
        )
        shipment.refresh_from_db()
        self.assertEqual(shipment.upload_reference, NO_TRACKING_FOLDER)
        self.assertEqual(self.names("tracking"), [])

    def test_the_connection_test_looks_at_each_folder(self) -> None:
        found = cart_services.cart_test_connection(cart=self.cart)
        self.assertIn(
            "Folders: order files orders (0 files), archive archive (made at the first pickup), "
            "tracking tracking (0 files).",
            found,
        )
        (self.root / "tracking").rmdir()
        with self.assertRaisesMessage(FolderNotFound, "The tracking folder: The folder tracking"):
            cart_services.cart_test_connection(cart=self.cart)

    def test_a_wrong_password_never_shows(self) -> None:
        CartConnection.objects.filter(id=self.cart.id).update(
            credentials={"password": "wr0ng-pass-9"}
        )
        self.cart.refresh_from_db()
        with self.assertRaises(AuthError) as caught:
            self.download()
        self.assertIn("refused the login for acme", str(caught.exception))
        self.assertNotIn("wr0ng-pass-9", str(caught.exception))


class FtpsCartTests(DroppedFileBehaviour, CsvCartTestCase):
    protocol = "ftps"


class SftpCartTests(DroppedFileBehaviour, CsvCartTestCase):
    protocol = "sftp"

    def test_the_cart_test_pins_the_host_key(self) -> None:
        self.cart = create_csv_cart(
            self.other_merchant, prefix="OT-", settings=self.cart_settings(host_key="")
        )
        with self.assertRaisesMessage(ConnectorError, "test the connection first"):
            list(cart_connector_for(self.cart).fetch_orders(None))
        found = cart_services.cart_test_connection(cart=self.cart)
        self.assertIn("new; the hub keeps it", found)
        self.cart.refresh_from_db()
        self.assertEqual(self.cart.settings["host_key"], host_key_text(self.server.host_key))
        self.assertEqual(list(cart_connector_for(self.cart).fetch_orders(None)), [])


class CartFormTests(BaseTestCase):
    def form(self, **fields: str):  # type: ignore[no-untyped-def]
        return CsvCartConnector.form({f"settings-{name}": value for name, value in fields.items()})

    def test_browser_upload_only_needs_no_server(self) -> None:
        form = self.form(protocol="")
        self.assertTrue(form.is_valid(), form.errors)
        connector = CsvCartConnector(settings=form.settings_data(), credentials={}, context=None)  # type: ignore[arg-type]
        self.assertIn("Browser upload only", connector.test_connection())
        self.assertEqual(list(connector.fetch_orders(None)), [])

    def test_a_server_needs_its_name_and_folders_of_their_own(self) -> None:
        form = self.form(
            protocol="ftp",
            username="acme",
            password=PASSWORD,
            inbox_folder="in",
            archive_folder="archive",
            tracking_folder="in/",
        )
        self.assertFalse(form.is_valid())
        self.assertIn("Type the server's name", form.errors["host"][0])
        self.assertIn("This is the order files folder too", form.errors["tracking_folder"][0])

    def test_e_mail_is_not_offered(self) -> None:
        self.assertFalse(self.form(protocol="email").is_valid())
