"""Each real cart in the whole loop: its emulator, the sandbox WMS, the hub's services and screens.

One kit per cart (tests/support/carts.py) says how to put an order in its emulator and how
to read back what the hub uploaded; the same tests then run for Shopify, WooCommerce and
BigCommerce.
"""

from __future__ import annotations

from unittest import mock

from django.db.models import Sum
from django.test import TestCase
from django.utils import timezone

from alerts.models import Alert
from carts.models import CartConnection, WebhookDelivery
from inventory.jobs import INVENTORY, INVENTORY_UPLOAD
from inventory.models import InventoryLevel
from jobs.dispatcher import schedule_claim_now
from jobs.models import JobRun, ServiceSchedule
from jobs.runner import schedule_run
from orders.jobs import ORDER_DOWNLOAD
from orders.models import Order, OrderStatus
from tests.base import TenantsMixin
from tests.objects import create_wms
from tests.support.carts import BIGCOMMERCE, SHOPIFY, SKU, WOOCOMMERCE, CartKitMixin
from tests.workers import WorkerTestCase, wait_for


class CartLoopWorkerTests(CartKitMixin, WorkerTestCase):
    """With the real worker: once down, once to the WMS, tracking and stock once back up."""

    concurrency = 2
    kit = SHOPIFY

    def test_an_order_goes_down_to_the_wms_and_its_tracking_and_stock_go_back_up(self) -> None:
        create_wms(self.alices_account, ship_delay_seconds=0, split_percent=0)
        cart = self.start_cart()
        self.kit.add_product(self.emulator, SKU)
        source_id = self.kit.add_order(self.emulator)
        headers, body = self.kit.webhook(self.emulator, source_id)
        # The webhook and the scheduled poll race; the same webhook comes twice.
        self.run_now(ORDER_DOWNLOAD, cart=cart)
        self.assertEqual(self.post_webhook(cart, headers, body).status_code, 200)
        self.assertEqual(self.post_webhook(cart, headers, body).json().get("duplicate"), True)
        wait_for(
            lambda: Order.objects.filter(cart=cart, delivered_at__isnull=False).exists(),
            what="the order to reach the WMS",
        )
        # The delivery makes ship confirm look at once: the tracking goes up on its own.
        wait_for(
            lambda: Order.objects.filter(cart=cart, status=OrderStatus.CONFIRMED).exists(),
            what="the tracking to reach the cart",
        )
        order = Order.objects.get(cart=cart)
        self.assertEqual(order.source_order_id, source_id)
        self.assertEqual(WebhookDelivery.objects.filter(cart=cart).count(), 1)
        tracking = order.shipments.get().tracking_number
        uploaded = [
            entry
            for entry in self.kit.uploaded_tracking(self.emulator, source_id)
            if tracking in entry
        ]
        self.assertEqual(len(uploaded), 1, self.kit.uploaded_tracking(self.emulator, source_id))

        self.run_now(INVENTORY)
        wait_for(
            lambda: (
                InventoryLevel.objects.filter(merchant=self.bobs_merchant, sku=SKU).exists()
                and JobRun.objects.filter(
                    cart=cart, service=INVENTORY_UPLOAD, finished_at__isnull=False
                ).exists()
            ),
            what="stock to reach the cart",
        )
        expected = InventoryLevel.objects.filter(merchant=self.bobs_merchant, sku=SKU).aggregate(
            total=Sum("available")
        )["total"]
        self.assertEqual(self.kit.stock(self.emulator, SKU), expected)
        self.assertFalse(JobRun.objects.filter(status=JobRun.Status.FAILED).exists())


class WooCommerceLoopWorkerTests(CartLoopWorkerTests):
    kit = WOOCOMMERCE


class BigCommerceLoopWorkerTests(CartLoopWorkerTests):
    kit = BIGCOMMERCE


class CartMisbehaviourTests(CartKitMixin, TenantsMixin, TestCase):
    """What each misbehaviour of the cart's API does to the hub (runner in this process)."""

    kit = SHOPIFY

    def setUp(self) -> None:
        super().setUp()
        self.create_tenants()
        create_wms(self.alices_account)
        self.cart = self.start_cart()
        self.kit.add_order(self.emulator)

    def download(self) -> JobRun:
        schedule = ServiceSchedule.objects.get(cart=self.cart, service=ORDER_DOWNLOAD)
        claimed_at = schedule_claim_now(schedule=schedule)
        return schedule_run(schedule_id=schedule.id, claimed_at=claimed_at, trigger="manual")

    def schedule(self) -> ServiceSchedule:
        return ServiceSchedule.objects.get(cart=self.cart, service=ORDER_DOWNLOAD)

    def test_refused_credentials_pause_the_cart_with_an_alert(self) -> None:
        self.emulator.fail_next(401, times=10)
        run = self.download()
        self.assertEqual(run.status, JobRun.Status.FAILED)
        cart = CartConnection.objects.get(id=self.cart.id)
        self.assertIsNotNone(cart.paused_at)
        self.assertTrue(
            Alert.objects.filter(kind="cart_auth", cart=cart, resolved_at=None).exists()
        )
        self.assertFalse(self.schedule().enabled)
        self.assertFalse(Order.objects.exists())

    def test_a_rate_limit_waits_as_long_as_the_cart_asks(self) -> None:
        self.emulator.fail_next(
            429, times=10, headers={"Retry-After": "120", "X-Rate-Limit-Time-Reset-Ms": "120000"}
        )
        before = timezone.now()
        run = self.download()
        self.assertEqual(run.status, JobRun.Status.FAILED)
        self.assertGreaterEqual(
            self.schedule().next_run_at, before + timezone.timedelta(seconds=119)
        )
        self.assertIsNone(CartConnection.objects.get(id=self.cart.id).paused_at)

    def test_server_errors_back_off_and_lose_nothing(self) -> None:
        self.emulator.fail_next(503, times=10)
        run = self.download()
        self.assertEqual(run.status, JobRun.Status.FAILED)
        self.assertEqual(self.schedule().consecutive_failures, 1)
        self.assertIn("try again", CartConnection.objects.get(id=self.cart.id).last_error)
        self.emulator.faults.clear()
        self.assertEqual(self.download().status, JobRun.Status.SUCCESS)
        self.assertEqual(Order.objects.filter(cart=self.cart).count(), 1)
        self.assertEqual(self.download().status, JobRun.Status.SUCCESS)  # and only once
        self.assertEqual(Order.objects.filter(cart=self.cart).count(), 1)

    def test_malformed_json_is_retried_later(self) -> None:
        self.emulator.malformed_next(times=10)
        run = self.download()
        self.assertEqual(run.status, JobRun.Status.FAILED)
        self.assertFalse(Order.objects.exists())
        self.assertIsNone(CartConnection.objects.get(id=self.cart.id).paused_at)

    def test_a_slow_answer_is_a_timeout_that_is_retried(self) -> None:
        from carts.connectors.registry import CART_CONNECTORS

        connector_class = CART_CONNECTORS.get(self.kit.key)
        self.emulator.slow_next(1.5, times=10)
        with mock.patch.object(connector_class, "timeout", (1.0, 0.5)):
            run = self.download()
        self.assertEqual(run.status, JobRun.Status.FAILED)
        self.assertIn("did not answer in time", run.message)

    def test_a_webhook_with_a_bad_signature_is_refused_and_stores_nothing(self) -> None:
        # After its last run the download waits for its next poll.
        later = timezone.now() + timezone.timedelta(minutes=10)
        ServiceSchedule.objects.filter(id=self.schedule().id).update(next_run_at=later)
        headers, body = self.kit.webhook(self.emulator, self.kit.add_order(self.emulator))
        response = self.post_webhook(self.cart, headers, body + b" ")
        self.assertEqual(response.status_code, 401)
        self.assertFalse(WebhookDelivery.objects.exists())
        self.assertEqual(self.schedule().next_run_at, later)
        # A signed one makes it due now.
        self.assertEqual(self.post_webhook(self.cart, headers, body).status_code, 200)
        self.assertLessEqual(self.schedule().next_run_at, timezone.now())

    def test_a_webhook_for_an_unknown_connection_is_404(self) -> None:
        headers, body = self.kit.webhook(self.emulator, self.kit.add_order(self.emulator))
        self.cart.webhook_token = "no-such-token"  # a correctly signed call to a wrong address
        self.assertEqual(self.post_webhook(self.cart, headers, body).status_code, 404)
        self.assertFalse(WebhookDelivery.objects.exists())


class WooCommerceMisbehaviourTests(CartMisbehaviourTests):
    kit = WOOCOMMERCE


class BigCommerceMisbehaviourTests(CartMisbehaviourTests):
    kit = BIGCOMMERCE
