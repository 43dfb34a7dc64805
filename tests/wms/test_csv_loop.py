"""The CSV warehouse with a real worker: a ship confirm run killed half-way through its files
leaves nothing half-done; the next run takes the file it held over, and every file's
shipments are stored exactly once."""

from __future__ import annotations

import os
import threading

from django.db import connection, transaction
from django.utils import timezone

from csvfiles.models import FileReceipt
from jobs.dispatcher import dispatch_tick
from jobs.models import JobRun
from orders.jobs import SHIP_CONFIRM
from orders.models import Order, OrderStatus, Shipment
from tests.objects import create_cart, create_order
from tests.support.csv import CsvWarehouseMixin, shipment_rows
from tests.support.file_servers import GATE_LIMIT
from tests.workers import WorkerTestCase, wait_for


class OrderLock:
    """A row lock on one order, held by a connection of its own (another thread) until the
    test lets it go: the worker's store of a shipment for that order waits on it."""

    def __init__(self, cust_ref: str) -> None:
        self.cust_ref = cust_ref
        self.held = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(cust_ref=self.cust_ref)
                self.held.set()
                self.release.wait(GATE_LIMIT)
        finally:
            connection.close()

    def __enter__(self) -> OrderLock:
        self.thread.start()
        if not self.held.wait(GATE_LIMIT):
            raise AssertionError("the order lock was never taken")
        return self

    def __exit__(self, *exception: object) -> None:
        self.release.set()
        self.thread.join(GATE_LIMIT)


def waiting_on_a_lock() -> bool:
    """Whether a session of the test database waits for a row lock (the worker's store)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


class CsvWarehouseKilledRunTests(CsvWarehouseMixin, WorkerTestCase):
    protocol = "sftp"

    def setUp(self) -> None:
        super().setUp()  # the tenants and the worker, then the server and the warehouse
        cart = create_cart(self.bobs_merchant, prefix="BB-")
        for number in (1001, 1002):
            create_order(cart, number=number, status=OrderStatus.AT_WMS, skus=("TENT-2P",))
        folder = self.root / self.folder("shipments")
        (folder / "a-first.csv").write_bytes(
            shipment_rows(("BB-1001", "1Z999AA10123456784", "UPS", "TENT-2P", 1))
        )
        (folder / "b-second.csv").write_bytes(
            shipment_rows(("BB-1002", "1Z999AA10123456791", "UPS", "TENT-2P", 1))
        )
        now = timezone.now().timestamp()
        os.utime(folder / "a-first.csv", (now - 120, now - 120))  # read first

    def test_a_worker_killed_while_storing_a_file_loses_and_repeats_nothing(self) -> None:
        # The second file's order is locked: the worker stores the first file, claims the
        # second and waits inside its store, where the kill finds it.
        with OrderLock("BB-1002"):
            self.run_now(SHIP_CONFIRM)
            wait_for(
                lambda: (
                    FileReceipt.objects.filter(file_name="b-second.csv").exists()
                    and waiting_on_a_lock()
                ),
                what="the worker to wait inside the second file's store",
            )
            first = FileReceipt.objects.get(file_name="a-first.csv")
            self.assertEqual(first.status, FileReceipt.Status.DONE)
            self.kill_worker()
        self.worker = self.start_worker()
        held = FileReceipt.objects.get(file_name="b-second.csv")
        self.assertEqual(held.status, FileReceipt.Status.CLAIMED)
        self.assertEqual(self.names(self.folder("shipments")), ["b-second.csv"])

        dispatch_tick()  # the next tick takes the dead run's claim over
        wait_for(
            lambda: (
                FileReceipt.objects.filter(status=FileReceipt.Status.DONE).count() == 2
                and not JobRun.objects.filter(status=JobRun.Status.RUNNING).exists()
            ),
            what="the second file to be stored by the next run",
        )
        self.assertEqual(
            sorted(Shipment.objects.values_list("order__cust_ref", "tracking_number")),
            [("BB-1001", "1Z999AA10123456784"), ("BB-1002", "1Z999AA10123456791")],
        )
        # Shipped (or confirmed already: the sandbox cart takes tracking at once).
        self.assertFalse(Order.objects.filter(shipped_at=None).exists())
        receipts = dict(FileReceipt.objects.values_list("file_name", "claim_count"))
        self.assertEqual(receipts, {"a-first.csv": 1, "b-second.csv": 2})
        self.assertEqual(self.names(self.folder("shipments")), [])
        self.assertEqual(self.names(self.folder("archive")), ["a-first.csv", "b-second.csv"])
        runs = list(JobRun.objects.filter(service=SHIP_CONFIRM).order_by("id"))
        self.assertEqual(runs[0].status, JobRun.Status.FAILED)
        self.assertIn("stopped before the run finished", runs[0].message)
        self.assertIn("Read b-second.csv: 1 shipment(s).", runs[-1].log)
        self.assertNotIn("a-first.csv", runs[-1].log)
