"""Shipment and inventory files picked up from real FTP, FTPS and SFTP servers: each content
processed once (also after a run that died with a file half-done), bad rows set aside with
the file and line while the good ones are stored, whole files rejected into their folder."""

from __future__ import annotations

import os

from django.utils import timezone

from csvfiles.models import FileReceipt
from integration_manager.connector_errors import ConnectorError
from inventory.models import InventoryLevel
from inventory.pickup import inventory_fetch, inventory_levels_store
from jobs.models import JobRun
from jobs.recorder import RunRecorder
from jobs.runner import job_run_create, schedule_interrupted
from orders.models import Order, OrderStatus, Shipment
from orders.services.ship_confirm import shipment_page_store, shipments_fetch
from tests.objects import create_cart, create_order
from tests.support.csv import CsvWarehouseTestCase, shipment_rows, stock_rows
from wms.connectors.registry import wms_connector_for
from wms.selectors import merchant_ref

SHIPMENT = ("BB-1001", "1Z999AA10123456784", "UPS", "TENT-2P", 1)
OTHER_SHIPMENT = ("BB-1002", "794644790132", "FedEx", "TENT-2P", 1)


class PickupBehaviour:
    """What every folder protocol does; the subclasses say which server runs."""

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")  # type: ignore[attr-defined]
        for number in (1001, 1002):
            create_order(self.cart, number=number, status=OrderStatus.AT_WMS, skus=("TENT-2P",))

    def fetch_shipments(self) -> RunRecorder:
        run = self.run_of("ship_confirm")  # type: ignore[attr-defined]
        shipments_fetch(schedule=self.schedule("ship_confirm"), run=run)  # type: ignore[attr-defined]
        return run

    def fetch_inventory(self) -> RunRecorder:
        run = self.run_of("inventory")  # type: ignore[attr-defined]
        inventory_fetch(merchant=self.bobs_merchant, run=run)  # type: ignore[attr-defined]
        return run

    def test_a_shipment_file_is_processed_once_and_archived(self) -> None:
        self.drop(self.folder("shipments"), "ships-1.csv", shipment_rows(SHIPMENT))  # type: ignore[attr-defined]
        run = self.fetch_shipments()
        self.assertIn("Read ships-1.csv: 1 shipment(s).", run.text())
        again = self.fetch_shipments()
        self.assertEqual(again.seen, 0)
        shipment = Shipment.objects.get()
        self.assertEqual(
            (shipment.wms_shipment_ref, shipment.carrier, shipment.order.status),
            ("1Z999AA10123456784", "UPS", OrderStatus.SHIPPED),
        )
        self.assertEqual(
            [(line.sku, int(line.quantity)) for line in shipment.lines.all()], [("TENT-2P", 1)]
        )
        self.assertEqual(self.names(self.folder("shipments")), [])  # type: ignore[attr-defined]
        self.assertEqual(self.names(self.folder("archive")), ["ships-1.csv"])  # type: ignore[attr-defined]
        receipt = FileReceipt.objects.get()
        self.assertEqual(
            (receipt.status, receipt.records_ok, receipt.connection_kind, receipt.merchant_id),
            ("done", 1, "wms", self.bobs_merchant.id),  # type: ignore[attr-defined]
        )

    def test_an_inventory_file_is_processed_once_and_the_same_content_not_again(self) -> None:
        stock = stock_rows(("TENT-2P", "NJ1", 7, 9), ("LAMP-3", "NJ1", 0, 2))
        self.drop(self.folder("inventory"), "stock.csv", stock)  # type: ignore[attr-defined]
        run = self.fetch_inventory()
        self.assertEqual(run.ok, 2)
        tent = InventoryLevel.objects.get(sku="TENT-2P")
        self.assertEqual(
            (tent.available, tent.on_hand, tent.location.wms_location_id), (7, 9, "NJ1")
        )
        self.drop(self.folder("inventory"), "stock-copy.csv", stock)  # type: ignore[attr-defined]
        again = self.fetch_inventory()
        self.assertEqual(again.ok, 0)
        self.assertIn(
            "stock-copy.csv (the same content as stock.csv was processed on", again.text()
        )
        self.assertEqual(self.names(self.folder("archive")), ["stock-copy.csv", "stock.csv"])  # type: ignore[attr-defined]
        self.assertEqual(FileReceipt.objects.count(), 1)


class FtpPickupTests(PickupBehaviour, CsvWarehouseTestCase):
    protocol = "ftp"

    def test_a_file_with_bad_rows_keeps_its_good_rows_and_names_the_bad_ones(self) -> None:
        data = shipment_rows(SHIPMENT, ("BB-1002", "794644790132", "FedEx", "TENT-2P", "two"))
        self.drop(self.folder("shipments"), "ships-2.csv", data)
        run = self.fetch_shipments()
        self.assertEqual(
            list(Shipment.objects.values_list("order__cust_ref", flat=True)), ["BB-1001"]
        )
        self.assertIn(
            "ships-2.csv, line 3: “Quantity” (column 5): “two” is not a number", run.text()
        )
        self.assertEqual((run.ok, run.failed), (1, 1))
        receipt = FileReceipt.objects.get()
        self.assertEqual(
            (receipt.status, receipt.records_ok, receipt.records_failed), ("done", 1, 1)
        )

    def test_a_file_uploaded_again_is_read_only_with_new_content(self) -> None:
        self.drop(self.folder("shipments"), "ships.csv", shipment_rows(SHIPMENT))
        self.fetch_shipments()
        self.drop(self.folder("shipments"), "ships.csv", shipment_rows(SHIPMENT))
        same = self.fetch_shipments()
        self.assertIn("not read again", same.text())
        self.assertEqual(Shipment.objects.count(), 1)
        self.drop(self.folder("shipments"), "ships.csv", shipment_rows(SHIPMENT, OTHER_SHIPMENT))
        new = self.fetch_shipments()
        self.assertIn("Read ships.csv: 2 shipment(s).", new.text())
        self.assertEqual(Shipment.objects.count(), 2)  # the first one is the same (order, ref)
        self.assertEqual(
            self.names(self.folder("archive")), ["ships-2.csv", "ships-3.csv", "ships.csv"]
        )
        self.assertEqual(FileReceipt.objects.filter(status="done").count(), 2)

    def test_a_file_not_in_the_format_is_rejected_whole_into_its_folder(self) -> None:
        self.drop(self.folder("shipments"), "report.csv", b"Date;Total\r\n2026-12-01;4\r\n")
        run = self.fetch_shipments()
        self.assertIn(
            "report.csv was not read at all: Line 1: The file does not use the comma", run.text()
        )
        self.assertIn("It was moved to bobs/archive/rejected/report.csv", run.text())
        self.assertEqual(run.failed, 1)
        self.assertEqual(self.names(f"{self.folder('archive')}/rejected"), ["report.csv"])
        receipt = FileReceipt.objects.get()
        self.assertEqual(receipt.status, "failed")
        self.assertIn("it seems to use the semicolon", receipt.reason)

    def test_files_are_taken_oldest_first_and_unfinished_ones_left(self) -> None:
        folder = self.folder("shipments")
        self.drop(folder, "b-newer.csv", shipment_rows(OTHER_SHIPMENT))
        self.drop(folder, "a-older.csv", shipment_rows(SHIPMENT))
        self.drop(folder, ".hidden.csv", shipment_rows(SHIPMENT))
        self.drop(folder, "c.csv.part", shipment_rows(SHIPMENT))
        now = timezone.now().timestamp()
        os.utime(self.root / folder / "a-older.csv", (now - 600, now - 600))
        os.utime(self.root / folder / "b-newer.csv", (now - 60, now - 60))
        text = self.fetch_shipments().text()
        self.assertLess(text.index("Read a-older.csv"), text.index("Read b-newer.csv"))
        self.assertEqual(self.names(folder), [".hidden.csv", "c.csv.part"])

    def test_a_format_that_cannot_read_touches_no_file(self) -> None:
        unreadable = {"version": 1, "direction": "shipments", "columns": [{"field": "carrier"}]}
        self.wms = self.warehouse_save(shipment_format=unreadable)
        self.drop(self.folder("shipments"), "ships.csv", shipment_rows(SHIPMENT))
        with self.assertRaisesMessage(ConnectorError, "The shipment file format cannot read files"):
            self.fetch_shipments()
        self.assertEqual(self.names(self.folder("shipments")), ["ships.csv"])
        self.assertFalse(FileReceipt.objects.exists())

    def test_the_wms_folder_first_layout_reads_under_the_shipments_folder(self) -> None:
        self.wms = self.warehouse_save(layout="wms_first")
        self.drop("shipments/bobs", "ships.csv", shipment_rows(SHIPMENT))
        self.drop("bobs/shipments", "not-here.csv", shipment_rows(OTHER_SHIPMENT))
        self.fetch_shipments()
        self.assertEqual(self.names("archive/bobs"), ["ships.csv"])
        self.assertEqual(self.names("bobs/shipments"), ["not-here.csv"])

    def test_a_run_that_died_after_storing_a_file_stores_nothing_twice(self) -> None:
        """The kill as the worker tests cannot time it: the page is stored, the run never
        asks for the next one (so the file is neither marked done nor archived), and the
        hub's takeover closes the run."""
        self.drop(self.folder("shipments"), "ships.csv", shipment_rows(SHIPMENT, OTHER_SHIPMENT))
        self.drop(self.folder("inventory"), "stock.csv", stock_rows(("TENT-2P", "NJ1", 7, 9)))
        merchant = merchant_ref(self.bobs_merchant)
        connector = wms_connector_for(self.wms)
        schedule, stock_schedule = self.schedule("ship_confirm"), self.schedule("inventory")
        dead = RunRecorder(job_run_create(schedule, trigger=JobRun.Trigger.SCHEDULE))
        job_run_create(stock_schedule, trigger=JobRun.Trigger.SCHEDULE)
        pages = connector.fetch_shipments(merchant, None)
        shipment_page_store(
            schedule=schedule, merchant=self.bobs_merchant, page=next(pages), run=dead
        )
        pages.close()  # the worker is gone: nothing after the yield runs
        stock = connector.fetch_inventory(merchant)
        inventory_levels_store(merchant=self.bobs_merchant, levels=next(stock).levels)
        stock.close()
        self.assertEqual(set(FileReceipt.objects.values_list("status", flat=True)), {"claimed"})
        self.assertEqual(self.names(self.folder("shipments")), ["ships.csv"])
        for died in (schedule, stock_schedule):  # what the next run's takeover does first
            interrupted, _ = schedule_interrupted(died, now=timezone.now())
            self.assertIsNotNone(interrupted)

        run = self.fetch_shipments()
        self.fetch_inventory()
        self.assertIn("Read ships.csv: 2 shipment(s).", run.text())
        self.assertEqual(run.ok, 0)  # both were stored by the run that died
        self.assertEqual(Shipment.objects.count(), 2)
        self.assertEqual(InventoryLevel.objects.count(), 1)
        self.assertEqual(
            list(FileReceipt.objects.values_list("status", "claim_count")),
            [("done", 2), ("done", 2)],
        )
        self.assertEqual(self.names(self.folder("archive")), ["ships.csv", "stock.csv"])
        self.assertEqual(Order.objects.filter(status=OrderStatus.SHIPPED).count(), 2)

    def test_a_file_a_live_run_holds_is_left_to_it(self) -> None:
        self.drop(self.folder("shipments"), "ships.csv", shipment_rows(SHIPMENT))
        self.run_of("ship_confirm")  # running, and holding what it claims
        merchant = merchant_ref(self.bobs_merchant)
        first = wms_connector_for(self.wms).fetch_shipments(merchant, None)
        self.addCleanup(first.close)
        self.assertEqual(len(next(first).shipments), 1)  # claimed, not stored yet
        second = wms_connector_for(self.wms).fetch_shipments(merchant, None)
        self.addCleanup(second.close)
        page = next(second)
        self.assertEqual(page.shipments, [])
        self.assertIn("another run is reading the same content now", page.source)
        self.assertEqual(self.names(self.folder("shipments")), ["ships.csv"])


class FtpsPickupTests(PickupBehaviour, CsvWarehouseTestCase):
    protocol = "ftps"


class SftpPickupTests(PickupBehaviour, CsvWarehouseTestCase):
    protocol = "sftp"
