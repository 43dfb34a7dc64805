"""The processed-files ledger: each file's content processed once, dead claims taken over."""

from __future__ import annotations

import threading
from datetime import timedelta

from django.db import connections
from django.test import TransactionTestCase
from django.utils import timezone

from csvfiles.models import FileReceipt
from csvfiles.receipts import (
    CLAIM_TIMEOUT,
    file_receipt_claim,
    file_receipt_done,
    file_receipt_failed,
    file_receipt_get,
)
from jobs.models import JobRun
from tests.base import BaseTestCase, TenantsMixin

SHIPMENTS = b"Order reference,Tracking number\r\nBB-1001,1Z999AA10123456784\r\n"
NEW_SHIPMENTS = b"Order reference,Tracking number\r\nBB-1002,1Z999AA10123456785\r\n"


class ClaimMixin:
    def claim(self, content: bytes = SHIPMENTS, **options: object) -> FileReceipt | None:
        values = {
            "account": self.alices_account,
            "connection_kind": "wms",
            "connection_id": 7,
            "folder": "/outbound/shipments",
            "file_name": "shipments-0001.csv",
            "content": content,
            **options,
        }
        return file_receipt_claim(**values)  # type: ignore[arg-type]

    def job_run(self) -> JobRun:
        return JobRun.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            service="ship_confirm",
            trigger=JobRun.Trigger.SCHEDULE,
        )


class FileReceiptTests(ClaimMixin, BaseTestCase):
    def test_it_processes_the_same_content_once(self) -> None:
        receipt = self.claim()
        self.assertIsNotNone(receipt)
        self.assertIsNone(self.claim(), "a live claim is not handed out twice")
        self.assertTrue(file_receipt_done(receipt=receipt, records_ok=1))
        # The same bytes again, even under another name, are not processed again.
        self.assertIsNone(self.claim(file_name="shipments-0001 (copy).csv"))
        receipt.refresh_from_db()
        self.assertEqual((receipt.status, receipt.records_ok), ("done", 1))
        self.assertEqual(FileReceipt.objects.count(), 1)

    def test_a_file_reuploaded_under_its_name_with_new_content_is_processed(self) -> None:
        first = self.claim()
        file_receipt_done(receipt=first)
        second = self.claim(NEW_SHIPMENTS)
        self.assertIsNotNone(second)
        self.assertNotEqual(first.id, second.id)
        self.assertEqual(second.file_name, first.file_name)
        self.assertEqual(second.size, len(NEW_SHIPMENTS))

    def test_each_connection_keeps_its_own_ledger(self) -> None:
        file_receipt_done(receipt=self.claim())
        self.assertIsNotNone(self.claim(connection_id=8))
        self.assertIsNotNone(self.claim(connection_kind="cart"))
        charlies = self.claim(account=self.charlies_account)
        self.assertIsNotNone(charlies)

    def test_a_claim_left_by_a_dead_run_is_taken_after_the_timeout(self) -> None:
        dead = self.claim(job_run=self.job_run())
        self.assertIsNone(self.claim(), "within the timeout the claim is the first run's")
        FileReceipt.objects.filter(id=dead.id).update(
            claimed_at=timezone.now() - CLAIM_TIMEOUT - timedelta(seconds=1)
        )
        run = self.job_run()
        again = self.claim(job_run=run)
        self.assertIsNotNone(again)
        self.assertEqual((again.id, again.claim_count, again.job_run_id), (dead.id, 2, run.id))
        # The first run, if it was only slow, can no longer finish the file: the new one does.
        self.assertFalse(file_receipt_done(receipt=dead))
        self.assertFalse(file_receipt_failed(receipt=dead, reason="late"))
        self.assertTrue(file_receipt_done(receipt=again, records_ok=1))
        self.assertEqual(FileReceipt.objects.get(id=dead.id).status, "done")

    def test_a_claim_whose_run_has_finished_is_taken_at_once(self) -> None:
        run = self.job_run()
        self.claim(job_run=run)
        # The run was reaped (its worker died) without marking the file.
        JobRun.objects.filter(id=run.id).update(status="failed", finished_at=timezone.now())
        self.assertIsNotNone(self.claim(job_run=self.job_run()))

    def test_a_failed_file_is_claimed_again_unless_asked_not_to(self) -> None:
        receipt = self.claim()
        self.assertTrue(file_receipt_failed(receipt=receipt, reason="Line 2: “x” is not a number"))
        receipt.refresh_from_db()
        self.assertEqual(
            (receipt.status, receipt.reason), ("failed", "Line 2: “x” is not a number")
        )
        self.assertIsNone(self.claim(retry_failed=False))
        again = self.claim()
        self.assertEqual((again.id, again.status, again.reason), (receipt.id, "claimed", ""))
        self.assertIsNone(again.finished_at)

    def test_a_finished_file_cannot_be_finished_twice(self) -> None:
        receipt = self.claim()
        self.assertTrue(file_receipt_done(receipt=receipt))
        self.assertFalse(file_receipt_failed(receipt=receipt, reason="too late"))
        self.assertEqual(FileReceipt.objects.get(id=receipt.id).status, "done")

    def test_the_receipt_of_content_can_be_looked_up(self) -> None:
        receipt = self.claim()
        found = file_receipt_get(
            account=self.alices_account, connection_kind="wms", connection_id=7, content=SHIPMENTS
        )
        self.assertEqual(found, receipt)
        self.assertIsNone(
            file_receipt_get(
                account=self.alices_account,
                connection_kind="wms",
                connection_id=7,
                content=NEW_SHIPMENTS,
            )
        )


class FileReceiptRaceTests(ClaimMixin, TenantsMixin, TransactionTestCase):
    """Two runs claiming the same file at the same moment, on PostgreSQL: one wins."""

    def setUp(self) -> None:
        super().setUp()
        self.create_tenants()

    def race(self, **options: object) -> list[FileReceipt | None]:
        start = threading.Barrier(2)
        results: list[FileReceipt | None] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                start.wait()
                results.append(self.claim(**options))
            except BaseException as error:  # reported below; a thread's error is otherwise lost
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 2)
        return results

    def test_two_runs_claiming_a_new_file_one_wins(self) -> None:
        for attempt in range(5):  # a few rounds, so the race really happens both ways
            content = SHIPMENTS + str(attempt).encode()
            results = self.race(content=content)
            self.assertEqual(len([result for result in results if result is not None]), 1)
        self.assertEqual(FileReceipt.objects.count(), 5)

    def test_two_runs_taking_over_a_dead_claim_one_wins(self) -> None:
        for attempt in range(5):
            content = SHIPMENTS + str(attempt).encode()
            dead = self.claim(content=content)
            FileReceipt.objects.filter(id=dead.id).update(
                claimed_at=timezone.now() - CLAIM_TIMEOUT - timedelta(minutes=1)
            )
            results = self.race(content=content)
            winners = [result for result in results if result is not None]
            self.assertEqual(len(winners), 1)
            self.assertEqual(FileReceipt.objects.get(id=dead.id).claim_count, 2)
