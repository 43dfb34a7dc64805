"""Shipment upload in claimed chunks: a first attempt sends without looking in the cart, a
claim keeps every other run and helper off a shipment while its run is running, and a run and
its helpers side by side send each shipment once (WooCommerce emulator over HTTP)."""

from __future__ import annotations

import threading
from datetime import timedelta

from django.db import connection
from django.test import TransactionTestCase
from django.utils import timezone

from integration_manager.connector_errors import AuthError, TransientError
from jobs.models import JobRun
from orders.jobs import SHIPMENT_UPLOAD
from orders.models import Order, OrderStatus, Shipment
from orders.services.shipment_upload import (
    CLAIM_CHUNK,
    SHARE_EACH,
    shipments_upload,
    shipments_upload_help,
)
from tests.base import BaseTestCase, TenantsMixin
from tests.emulators.woocommerce import WooCommerceEmulator, line_item
from tests.objects import (
    create_order,
    create_shipment,
    create_wms,
    create_woocommerce_cart,
    recorder,
)
from tests.orders.test_shipments import FlakyCart

TRACKINGS = r"/orders/\d+/shipment-trackings$"
NOTES = r"/orders/\d+/notes$"


class WooCommerceShipments:
    """A WooCommerce emulator, bob's cart pointed at it, and shipped orders with a shipment."""

    def start_cart(self) -> None:
        self.emulator = WooCommerceEmulator()
        self.emulator.start()
        self.addCleanup(self.emulator.stop)  # type: ignore[attr-defined]
        create_wms(self.alices_account)  # type: ignore[attr-defined]
        self.cart = create_woocommerce_cart(self.bobs_merchant, self.emulator, prefix="WC-")  # type: ignore[attr-defined]

    def shipped(self, count: int) -> list[Shipment]:
        shipments = []
        for index in range(count):
            source = self.emulator.add_order(line_items=[line_item("TENT-2P-GRN", 1, "189.00")])
            order = create_order(self.cart, number=source["id"], status=OrderStatus.SHIPPED)
            shipments.append(create_shipment(order, tracking=f"1Z{index:016d}"))
        return shipments

    def upload(self, **fields):  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.bobs_merchant, service=SHIPMENT_UPLOAD, cart=self.cart)  # type: ignore[attr-defined]
        for name, value in fields.items():
            setattr(run, name, value)
        shipments_upload(cart=self.cart, run=run)
        return run

    def trackings_per_order(self) -> list[int]:
        return [
            len(self.emulator.trackings(int(order.source_order_id)))
            for order in Order.objects.filter(cart=self.cart).order_by("id")
        ]


class FirstAttemptTests(WooCommerceShipments, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.start_cart()

    def test_a_first_attempt_sends_without_looking_for_an_earlier_one(self) -> None:
        self.shipped(3)
        run = self.upload()
        self.assertEqual(run.ok, 3)
        self.assertEqual(self.trackings_per_order(), [1, 1, 1])
        self.assertEqual(self.emulator.requests_to("GET", NOTES), [])
        # Whether the store has the tracking extension is asked once a run, not per shipment.
        self.assertEqual(len(self.emulator.requests_to("GET", TRACKINGS)), 1)
        self.assertEqual(len(self.emulator.requests_to("POST", TRACKINGS)), 3)
        self.assertEqual(Order.objects.filter(status=OrderStatus.CONFIRMED).count(), 3)

    def test_after_an_unclear_attempt_the_cart_is_asked_and_nothing_is_sent_twice(self) -> None:
        [shipment] = self.shipped(1)
        self.upload()
        # As if the run had died before recording it: sent, but not marked.
        Shipment.objects.filter(id=shipment.id).update(
            uploaded_at=None, upload_reference="", upload_started_at=timezone.now()
        )
        Order.objects.filter(id=shipment.order_id).update(status=OrderStatus.SHIPPED)
        run = self.upload()
        self.assertEqual(run.ok, 1)
        self.assertEqual(self.trackings_per_order(), [1])
        self.assertIn("found in the cart", run.text())

    def test_a_resend_looks_in_the_cart_before_adding_tracking(self) -> None:
        [shipment] = self.shipped(1)
        self.upload()
        Shipment.objects.filter(id=shipment.id).update(uploaded_at=None, upload_started_at=None)
        Order.objects.filter(id=shipment.order_id).update(status=OrderStatus.SHIPPED)
        self.upload()
        self.assertEqual(self.trackings_per_order(), [1])


class ClaimTests(WooCommerceShipments, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.start_cart()

    def test_a_shipment_a_running_run_holds_is_left_alone_until_that_run_ends(self) -> None:
        [shipment] = self.shipped(1)
        holder = recorder(merchant=self.bobs_merchant, service=SHIPMENT_UPLOAD, cart=self.cart)
        # However old the claim, and whatever this process's clock says: its run is running.
        Shipment.objects.filter(id=shipment.id).update(
            upload_claimed_at=timezone.now() - timedelta(days=1), upload_job_run=holder.job_run
        )
        self.assertEqual(self.upload().seen, 0)
        self.assertEqual(self.trackings_per_order(), [0])
        # As the dispatcher's reaper closes a run whose worker died.
        JobRun.objects.filter(id=holder.job_run.id).update(status=JobRun.Status.FAILED)
        run = self.upload()
        self.assertEqual(run.ok, 1)
        self.assertEqual(self.trackings_per_order(), [1])
        shipment.refresh_from_db()
        self.assertIsNone(shipment.upload_claimed_at)
        self.assertEqual(shipment.upload_job_run_id, run.job_run.id)

    def test_a_claim_taken_before_claims_had_runs_is_free(self) -> None:
        [shipment] = self.shipped(1)
        Shipment.objects.filter(id=shipment.id).update(upload_claimed_at=timezone.now())
        self.assertEqual(self.upload().ok, 1)
        self.assertEqual(self.trackings_per_order(), [1])

    def test_a_connection_error_mid_chunk_records_the_sent_and_gives_back_the_rest(
        self,
    ) -> None:
        shipments = self.shipped(5)
        # The third shipment's tracking times out at the cart (a 5xx for the client).
        self.emulator.fail_next(
            500, path_contains=f"/orders/{shipments[2].order.source_order_id}/shipment-trackings"
        )
        with self.assertRaises(TransientError):
            self.upload()
        rows = {row.id: row for row in Shipment.objects.all()}
        sent = [rows[shipment.id].uploaded_at is not None for shipment in shipments]
        self.assertEqual(sent, [True, True, False, False, False])
        self.assertTrue(all(row.upload_claimed_at is None for row in rows.values()))
        # Only the one in flight is marked for asking the cart first.
        started = [rows[shipment.id].upload_started_at is not None for shipment in shipments]
        self.assertEqual(started, [True, True, True, False, False])
        self.assertEqual(Order.objects.filter(status=OrderStatus.CONFIRMED).count(), 2)
        self.upload()
        self.assertEqual(self.trackings_per_order(), [1, 1, 1, 1, 1])

    def test_refused_credentials_on_a_retry_keep_the_mark_to_ask_first(self) -> None:
        [shipment] = self.shipped(1)
        earlier = timezone.now() - timedelta(hours=1)
        Shipment.objects.filter(id=shipment.id).update(upload_started_at=earlier)
        with self.assertRaises(AuthError):
            self.upload_with(FlakyCart(AuthError("The key was revoked.")))
        shipment.refresh_from_db()
        self.assertEqual(shipment.upload_started_at, earlier)
        self.assertIsNone(shipment.upload_claimed_at)

    def test_a_backlog_of_more_than_two_chunks_asks_for_helpers(self) -> None:
        self.shipped(SHARE_EACH + 1)
        asked: list[int] = []
        run = self.upload(helpers_send=lambda count: asked.append(count) or count)
        self.assertEqual(asked, [1])
        self.assertEqual(run.ok, SHARE_EACH + 1)
        asked.clear()
        self.shipped(CLAIM_CHUNK)
        self.upload(helpers_send=lambda count: asked.append(count) or count)
        self.assertEqual(asked, [], "a small backlog is sent by the run alone")

    def upload_with(self, cart: FlakyCart):  # type: ignore[no-untyped-def]
        from unittest import mock

        # Only the connector is replaced; the service and the database are the real ones.
        with mock.patch("orders.services.shipment_upload.cart_connector_for", return_value=cart):
            return self.upload()


class SideBySideTests(WooCommerceShipments, TenantsMixin, TransactionTestCase):
    """A run and two helpers in threads of their own, each with its own database session."""

    def setUp(self) -> None:
        super().setUp()
        self.create_tenants()
        self.start_cart()

    def test_a_run_and_its_helpers_send_each_shipment_once(self) -> None:
        count = 3 * CLAIM_CHUNK + 7
        self.shipped(count)
        runs = [
            recorder(merchant=self.bobs_merchant, service=SHIPMENT_UPLOAD, cart=self.cart)
            for _ in range(3)
        ]
        errors: list[BaseException] = []
        start = threading.Barrier(3)

        def work(index: int) -> None:
            try:
                start.wait()
                service = shipments_upload if index == 0 else shipments_upload_help
                service(cart=self.cart, run=runs[index])
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(index,)) for index in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertEqual(self.trackings_per_order(), [1] * count)
        self.assertEqual(len(self.emulator.requests_to("POST", TRACKINGS)), count)
        self.assertEqual(sum(run.ok for run in runs), count)
        self.assertEqual(Order.objects.filter(status=OrderStatus.CONFIRMED).count(), count)
        self.assertFalse(Shipment.objects.filter(upload_claimed_at__isnull=False).exists())
        self.assertEqual(JobRun.objects.filter(service=SHIPMENT_UPLOAD).count(), 3)
