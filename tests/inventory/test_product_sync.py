"""The per-cart product sync view and its Reconcile now button."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from carts.models import CartConnection
from inventory.jobs import INVENTORY_UPLOAD
from inventory.models import ProductSync, SyncStatus
from jobs.models import Frequency, ServiceSchedule
from tests.base import BaseTestCase
from tests.objects import create_cart

PUSHED_AT = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)


def add_sync(cart: CartConnection, sku: str, quantity: int | None, status: str, reason: str = ""):  # type: ignore[no-untyped-def]
    return ProductSync.objects.create(
        account_id=cart.account_id,
        merchant_id=cart.merchant_id,
        cart=cart,
        sku=sku,
        pushed_quantity=quantity,
        pushed_at=PUSHED_AT if quantity is not None else None,
        status=status,
        reason=reason,
    )


class ProductSyncViewTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.other_cart = create_cart(self.other_merchant, prefix="OO-")
        add_sync(self.cart, "TENT-2P-GRN", 10, SyncStatus.SYNCED)
        add_sync(
            self.cart,
            "ROPE-10M",
            None,
            SyncStatus.UNKNOWN_IN_CART,
            "The sandbox store has no product with SKU ROPE-10M.",
        )
        add_sync(self.cart, "POT-TI-750", 0, SyncStatus.BELOW_MINIMUM, "2 available, below 5.")
        add_sync(self.other_cart, "SECRET-SKU", 4, SyncStatus.SYNCED)
        self.url = reverse("product_sync", args=[self.cart.id])

    def test_it_lists_what_was_pushed_and_why_not(self) -> None:
        self.client.force_login(self.bob)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "TENT-2P-GRN")
        self.assertContains(response, "Unknown in the cart")
        self.assertContains(response, "no product with SKU ROPE-10M")
        self.assertContains(response, "The cart refused 1 SKU.")
        self.assertContains(response, "Nov 20, 2026 09:15")
        self.assertNotContains(response, "SECRET-SKU")

    def test_it_searches_by_sku_and_filters_by_status(self) -> None:
        self.client.force_login(self.alice)
        found = self.client.get(self.url, {"q": "tent"})
        self.assertContains(found, "TENT-2P-GRN")
        self.assertNotContains(found, "POT-TI-750")
        below = self.client.get(self.url, {"status": SyncStatus.BELOW_MINIMUM})
        self.assertContains(below, "POT-TI-750")
        self.assertNotContains(below, "TENT-2P-GRN")
        self.assertContains(below, "Below the minimum level: 0 pushed (1)")

    def test_it_pages(self) -> None:
        for number in range(60):
            add_sync(self.cart, f"ZZ-{number:03d}", number, SyncStatus.SYNCED)
        self.client.force_login(self.alice)
        first = self.client.get(self.url)
        self.assertContains(first, "Page 1 of 2 · 63 SKUs")
        self.assertNotContains(first, "ZZ-059")
        second = self.client.get(self.url, {"page": 2})
        self.assertContains(second, "ZZ-059")

    def test_it_checks_ownership(self) -> None:
        reconciled = timezone.now()
        CartConnection.objects.update(inventory_reconciled_at=reconciled)
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.url).status_code, 200)
        other = reverse("product_sync", args=[self.other_cart.id])
        self.assertEqual(self.client.get(other).status_code, 200)
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(other).status_code, 404)
        reconcile = reverse("product_sync_reconcile", args=[self.other_cart.id])
        self.assertEqual(self.client.post(reconcile).status_code, 404)
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        reconcile = reverse("product_sync_reconcile", args=[self.cart.id])
        self.assertEqual(self.client.post(reconcile).status_code, 404)
        self.assertEqual(
            set(CartConnection.objects.values_list("inventory_reconciled_at", flat=True)),
            {reconciled},
        )

    def test_reconcile_now_clears_the_reconcile_time_and_makes_the_upload_due(self) -> None:
        CartConnection.objects.filter(id=self.cart.id).update(
            inventory_reconciled_at=timezone.now()
        )
        ServiceSchedule.objects.filter(cart=self.cart, service=INVENTORY_UPLOAD).update(
            frequency=Frequency.HOURS_4, next_run_at=timezone.now() + timedelta(hours=3)
        )
        self.client.force_login(self.bob)
        url = reverse("product_sync_reconcile", args=[self.cart.id])
        self.assertEqual(self.client.get(url).status_code, 405)
        response = self.client.post(url)
        self.assertRedirects(response, self.url)
        self.cart.refresh_from_db()
        self.assertIsNone(self.cart.inventory_reconciled_at)
        schedule = ServiceSchedule.objects.get(cart=self.cart, service=INVENTORY_UPLOAD)
        self.assertLessEqual(schedule.next_run_at, timezone.now())
        texts = [str(message) for message in get_messages(response.wsgi_request)]
        self.assertIn("sends every SKU, changed or not", texts[0])

    def test_reconcile_now_says_when_the_upload_is_off(self) -> None:
        ServiceSchedule.objects.filter(cart=self.cart, service=INVENTORY_UPLOAD).update(
            frequency=Frequency.OFF
        )
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("product_sync_reconcile", args=[self.cart.id]), follow=True
        )
        self.assertContains(response, "is Off, so nothing runs now")
