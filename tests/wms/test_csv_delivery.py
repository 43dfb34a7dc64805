"""The CSV warehouse's order files on real FTP, FTPS and SFTP servers (and e-mail): complete
files with the mapped columns, one per delivery, never over another, in either folder order."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import threading
from pathlib import Path

from django.db import connection

from csvfiles.formats import PRESETS, header_row
from integration_manager.connector_errors import ConnectorError, TransientError
from integration_manager.transports.base import FileExists
from jobs.models import JobRun
from jobs.recorder import RunRecorder
from orders.models import HoldReason, Order, OrderStatus
from orders.services.delivery import orders_deliver
from tests.objects import create_cart, create_order
from tests.support.csv import (
    BOBS_FOLDER,
    PASSWORD,
    USER,
    CsvWarehouseTestCase,
    CsvWarehouseTransactionTestCase,
)
from tests.support.file_servers import Gate, SmtpServer, certificate_make
from wms.connectors.csv.connector import CsvWarehouseConnector
from wms.connectors.registry import wms_connector_for
from wms.selectors import merchant_ref

ORDER_FILE = re.compile(rf"^orders-{BOBS_FOLDER}-\d{{8}}T\d{{6}}Z-[0-9a-f]{{6}}\.csv$")
PICKED_COLUMNS = [
    {"field": "cust_ref", "header": "PO", "value": ""},
    {"field": "fixed", "header": "Warehouse", "value": "NJ1"},
    {"field": "ship_to.last_name", "header": "Name", "value": ""},
    {"field": "line.sku", "header": "Item", "value": ""},
    {"field": "line.quantity", "header": "Qty", "value": ""},
]


class DeliveryBehaviour:
    """What every folder protocol does; the subclasses say which server runs."""

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")  # type: ignore[attr-defined]

    def deliver(self) -> RunRecorder:
        run = self.run_of("order_delivery")  # type: ignore[attr-defined]
        orders_deliver(merchant=self.bobs_merchant, run=run)  # type: ignore[attr-defined]
        return run

    def order_files(self) -> list[str]:
        return self.names(self.folder("orders"))  # type: ignore[attr-defined]

    def rows(self, name: str) -> list[dict[str, str]]:
        data = (self.root / self.folder("orders") / name).read_bytes()  # type: ignore[attr-defined]
        return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))

    def test_an_order_file_holds_the_batch_with_the_format_columns(self) -> None:
        first = create_order(self.cart, number=1001, skus=("TENT-2P", "STOVE-1"))
        create_order(self.cart, number=1002, skus=("LAMP-3",))
        run = self.deliver()
        [name] = self.order_files()
        self.assertRegex(name, ORDER_FILE)
        rows = self.rows(name)
        self.assertEqual(list(rows[0]), header_row(PRESETS["hub_orders"].format))
        self.assertEqual(
            [(row["Order reference"], row["SKU"], row["Quantity"]) for row in rows],
            [("BB-1001", "TENT-2P", "1"), ("BB-1001", "STOVE-1", "1"), ("BB-1002", "LAMP-3", "1")],
        )
        first.refresh_from_db()
        self.assertEqual((first.status, first.wms_reference), (OrderStatus.AT_WMS, name))
        self.assertIn(f"Order #1001 sent ({name}).", run.text())

    def test_a_custom_format_writes_its_own_columns(self) -> None:
        order_format = {"version": 1, "direction": "orders", "columns": PICKED_COLUMNS}
        self.wms = self.warehouse_save(order_format=order_format)  # type: ignore[attr-defined]
        create_order(self.cart, number=1003, skus=("TENT-2P",))
        self.deliver()
        [name] = self.order_files()
        self.assertEqual(
            self.rows(name),
            [
                {
                    "PO": "BB-1003",
                    "Warehouse": "NJ1",
                    "Name": "Garcia",
                    "Item": "TENT-2P",
                    "Qty": "1",
                }
            ],
        )

    def test_each_delivery_writes_a_file_of_its_own(self) -> None:
        create_order(self.cart, number=1004)
        self.deliver()
        [first] = self.order_files()
        before = (self.root / self.folder("orders") / first).read_bytes()  # type: ignore[attr-defined]
        create_order(self.cart, number=1005)
        self.deliver()
        files = self.order_files()
        self.assertEqual(len(files), 2)
        self.assertIn(first, files)
        self.assertEqual((self.root / self.folder("orders") / first).read_bytes(), before)  # type: ignore[attr-defined]
        [second] = [name for name in files if name != first]
        self.assertEqual([row["Order reference"] for row in self.rows(second)], ["BB-1005"])


class FtpDeliveryTests(DeliveryBehaviour, CsvWarehouseTestCase):
    protocol = "ftp"

    def test_the_wms_folder_first_layout_puts_files_under_the_orders_folder(self) -> None:
        self.layout = "wms_first"
        (self.root / "orders" / BOBS_FOLDER).mkdir(parents=True)
        self.wms = self.warehouse_save(layout="wms_first")
        create_order(self.cart, number=1006)
        self.deliver()
        self.assertEqual(self.names(f"{BOBS_FOLDER}/orders"), [])
        [name] = self.names(f"orders/{BOBS_FOLDER}")
        self.assertRegex(name, ORDER_FILE)

    def test_an_order_its_encoding_cannot_hold_is_refused_and_the_rest_written(self) -> None:
        latin = {**PRESETS["hub_orders"].format.as_dict(), "encoding": "latin-1"}
        self.wms = self.warehouse_save(order_format=latin)
        euro = create_order(self.cart, number=1007, notes="Gift wrap for 5 €")
        create_order(self.cart, number=1008)
        self.deliver()
        [name] = self.order_files()
        self.assertEqual({row["Order reference"] for row in self.rows(name)}, {"BB-1008"})
        euro.refresh_from_db()
        self.assertEqual(
            (euro.status, euro.error_code), (OrderStatus.ERROR, HoldReason.WMS_REFUSED)
        )
        self.assertIn("Latin-1 (ISO 8859-1) cannot hold", euro.error_reason)

    def test_a_missing_orders_folder_writes_nothing_and_the_orders_wait(self) -> None:
        (self.root / self.folder("orders")).rmdir()
        order = create_order(self.cart, number=1009)
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(
            (order.status, order.error_code), (OrderStatus.NEW, HoldReason.WMS_RETRYING)
        )
        self.assertIn("Nothing was written", order.error_reason)
        self.assertIn(f"{BOBS_FOLDER}/orders was not found", order.error_reason)
        self.assertIsNone(order.delivery_started_at)

    def test_a_merchant_without_a_folder_waits_with_the_reason(self) -> None:
        self.bobs_merchant.wms_settings = {}
        self.bobs_merchant.save()
        order = create_order(self.cart, number=1010)
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.error_code, HoldReason.WMS_RETRYING)
        self.assertIn("has no folder on the warehouse's server", order.error_reason)

    def test_a_file_name_taken_already_is_never_written_over(self) -> None:
        connector = wms_connector_for(self.wms)
        with connector.transport() as transport:
            transport.write_atomic(self.folder("orders"), "orders-taken.csv", b"theirs\r\n")
            with self.assertRaises(FileExists):
                transport.write_atomic(self.folder("orders"), "orders-taken.csv", b"ours\r\n")
        self.assertEqual(
            (self.root / self.folder("orders") / "orders-taken.csv").read_bytes(), b"theirs\r\n"
        )


class FtpsDeliveryTests(DeliveryBehaviour, CsvWarehouseTestCase):
    protocol = "ftps"


class SftpDeliveryTests(DeliveryBehaviour, CsvWarehouseTestCase):
    protocol = "sftp"

    def test_a_server_whose_key_was_never_pinned_gets_nothing(self) -> None:
        self.wms = self.warehouse_save(host_key="")
        order = create_order(self.cart, number=1011)
        self.deliver()
        order.refresh_from_db()
        self.assertEqual(order.error_code, HoldReason.WMS_RETRYING)
        self.assertIn("test the connection first", order.error_reason)
        self.assertEqual(self.order_files(), [])
        self.assertEqual(self.server.logins, 0)


class HeldUploadTests(CsvWarehouseTransactionTestCase):
    """A delivery whose upload the server holds half-way: a second connection listing the
    folder meanwhile, and the connection cut there."""

    protocol = "sftp"

    def setUp(self) -> None:
        super().setUp()
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        for number in range(2001, 2041):  # one batch, enough rows for several writes
            create_order(cart, number=number, skus=("TENT-2P", "STOVE-1", "LAMP-3"))
        self.server.gate = self.gate = Gate()
        self.addCleanup(self.gate.release.set)
        self.failures: list[BaseException] = []
        self.writer = threading.Thread(target=self.deliver)

    def deliver(self) -> None:
        try:
            orders_deliver(merchant=self.bobs_merchant, run=self.run_of("order_delivery"))
        except BaseException as failure:
            self.failures.append(failure)
        finally:
            connection.close()  # this thread's own connection

    def hold_the_upload(self) -> None:
        self.writer.start()
        self.addCleanup(self.writer.join, 30)
        self.assertTrue(self.gate.reached.wait(30), "the upload never started")

    def test_a_reader_never_sees_a_half_written_order_file(self) -> None:
        self.hold_the_upload()
        during = [file.name for file in self.second_connection().list(self.folder("orders"))]
        self.assertEqual(len(during), 1)
        self.assertTrue(during[0].startswith(".orders-") and during[0].endswith(".part"), during)
        self.gate.release.set()
        self.writer.join(30)
        self.assertEqual(self.failures, [])
        [name] = self.names(self.folder("orders"))
        self.assertRegex(name, ORDER_FILE)
        data = (self.root / self.folder("orders") / name).read_bytes()
        self.assertEqual(data.count(b"\r\n"), 1 + 40 * 3)  # the header and every line, whole
        self.assertEqual(
            Order.objects.filter(status=OrderStatus.AT_WMS, wms_reference=name).count(), 40
        )

    def test_a_connection_cut_during_the_upload_holds_the_orders_for_a_person(self) -> None:
        self.hold_the_upload()
        for server_side in self.server._transports:  # the line drops mid-upload
            server_side.close()
        self.gate.release.set()
        self.writer.join(30)
        [unclear] = self.failures
        self.assertIsInstance(unclear, TransientError)
        self.assertIn("no clear answer for 40 order(s)", str(unclear))
        self.assertFalse([name for name in self.names(self.folder("orders")) if name[0] != "."])
        self.assertEqual(Order.objects.filter(delivery_started_at__isnull=False).count(), 40)
        JobRun.objects.update(status=JobRun.Status.FAILED)  # as the runner ends a failed run
        orders_deliver(merchant=self.bobs_merchant, run=self.run_of("order_delivery"))
        held = Order.objects.filter(status=OrderStatus.ERROR, error_code=HoldReason.UNCLEAR_OUTCOME)
        self.assertEqual(held.count(), 40)
        self.assertIn("Check the WMS for it", held.first().error_reason)


class EmailDeliveryTests(CsvWarehouseTestCase):
    """E-mail only sends: the order file goes as an attachment; nothing can be picked up."""

    protocol = "ftp"  # the folder server is not used; the warehouse reads its mail

    def setUp(self) -> None:
        super().setUp()
        keys = Path(self.enterContext(tempfile.TemporaryDirectory()))
        certificate = certificate_make(keys, "mail-server")
        self.smtp = self.enterContext(SmtpServer(users={USER: PASSWORD}, certificate=certificate))
        self.wms = self.warehouse_save(
            protocol="email",
            port=self.smtp.port,
            security="starttls",
            tls_fingerprint=certificate.fingerprint,
            sender="hub@example.org",
            recipients="orders@warehouse.example",
            subject="Orders {name}",
        )
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")

    def test_the_order_file_arrives_as_an_attachment(self) -> None:
        create_order(self.cart, number=3001)
        orders_deliver(merchant=self.bobs_merchant, run=self.run_of("order_delivery"))
        [mail] = self.smtp.received
        [attachment] = list(mail.message.iter_attachments())
        name = attachment.get_filename()
        self.assertRegex(name, ORDER_FILE)
        self.assertEqual(mail.message["Subject"], f"Orders {name}")
        self.assertIn("BB-3001", attachment.get_content())
        order = Order.objects.get(cust_ref="BB-3001")
        self.assertEqual((order.status, order.wms_reference), (OrderStatus.AT_WMS, name))

    def test_shipment_and_inventory_runs_say_e_mail_only_sends(self) -> None:
        connector = wms_connector_for(self.wms)
        self.assertIsInstance(connector, CsvWarehouseConnector)
        merchant = merchant_ref(self.bobs_merchant)
        with self.assertRaisesMessage(ConnectorError, "only sends: the hub cannot pick shipment"):
            list(connector.fetch_shipments(merchant, None))
        with self.assertRaisesMessage(ConnectorError, "switch Inventory off"):
            list(connector.fetch_inventory(merchant))
        self.assertEqual(self.smtp.logins, 0)
