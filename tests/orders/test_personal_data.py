"""Personal data removal: end to end through a real cart and the sandbox WMS, then every
column of every table searched for what the customer typed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.db import connection
from django.db.models import F
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from carts.connectors.sandbox import SandboxCartConnector
from jobs.dispatcher import schedule_claim_now
from jobs.models import Frequency, JobRun, ServiceSchedule
from jobs.runner import schedule_run
from orders.jobs import (
    ORDER_DELIVERY,
    ORDER_DOWNLOAD,
    PERSONAL_DATA_REMOVAL,
    SHIP_CONFIRM,
    SHIPMENT_UPLOAD,
)
from orders.models import Order, OrderEvent, OrderStatus
from orders.services.personal_data import PII_REMOVED, payload_scrub
from tests.base import BaseTestCase, TenantsMixin
from tests.emulators.woocommerce import line_item
from tests.objects import create_cart, create_order, create_shipment, create_wms
from tests.support.carts import SKU, WOOCOMMERCE, CartKitMixin
from wms.models import SandboxWmsOrder

BILLING = {
    "first_name": "Zebulon",
    "last_name": "Quackenbush",
    "company": "Quackenbush Curios Ltd",
    "address_1": "742 Evergreen Terrace",
    "address_2": "Apartment 9B",
    "city": "Springfield",
    "state": "OR",
    "postcode": "97403",
    "country": "US",
    "email": "zebulon.quackenbush@example.net",
    "phone": "+1 541 555 0199",
}
SHIPPING = {
    **BILLING,
    "first_name": "Philomena",
    "address_1": "31 Spooner Street",
    "phone": "+1 541 555 0142",
}
del SHIPPING["email"]
GIFT_MESSAGE = "Happy birthday Philomena, with love from Zeb"
IP_ADDRESS = "203.0.113.77"

# What the customer typed, each searched for on its own in every column of every table.
PERSONAL_VALUES = (
    "Zebulon",
    "Quackenbush",
    "Philomena",
    "Evergreen Terrace",
    "Spooner Street",
    "Apartment 9B",
    "555 0199",
    "555 0142",
    "zebulon.quackenbush@example.net",
    "Happy birthday",
    IP_ADDRESS,
)

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


def columns_holding(value: str) -> list[str]:
    """Every text or JSON column of every table in the database that holds `value`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s)",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        found = []
        for table, column in columns:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s',  # noqa: S608
                [f"%{value}%"],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


class PersonalDataLoopTests(CartKitMixin, TenantsMixin, TestCase):
    """A WooCommerce order with recognisable personal values goes the whole loop, then the
    policy's time passes and the removal runs."""

    kit = WOOCOMMERCE

    def setUp(self) -> None:
        super().setUp()
        self.create_tenants()
        create_wms(self.alices_account, ship_delay_seconds=0, split_percent=0)
        self.cart = self.start_cart()
        self.kit.add_product(self.emulator, SKU)
        self.emulator.add_order(
            line_items=[line_item(SKU, 2, "189.00", name="Two-person tent")],
            billing=BILLING,
            shipping=SHIPPING,
            customer_note=GIFT_MESSAGE,
            customer_ip_address=IP_ADDRESS,
        )

    def run_service(self, service: str, *, cart: bool = False) -> JobRun:
        schedules = ServiceSchedule.objects.filter(service=service)
        if cart:
            schedule = schedules.get(cart=self.cart)
        else:
            schedule = schedules.get(merchant=self.bobs_merchant, cart=None)
        claimed_at = schedule_claim_now(schedule=schedule)
        run = schedule_run(schedule_id=schedule.id, claimed_at=claimed_at, trigger="manual")
        self.assertIsNotNone(run)
        self.assertEqual(run.status, JobRun.Status.SUCCESS, run.log)
        return run

    def confirmed_order(self) -> Order:
        self.run_service(ORDER_DOWNLOAD, cart=True)
        self.run_service(ORDER_DELIVERY)
        self.run_service(SHIP_CONFIRM)
        self.run_service(SHIPMENT_UPLOAD, cart=True)
        order = Order.objects.get(cart=self.cart)
        self.assertEqual(order.status, OrderStatus.CONFIRMED)
        return order

    def test_it_leaves_no_personal_value_anywhere_after_the_policy_time(self) -> None:
        order = self.confirmed_order()
        # The values are really there first, where the search below must not find them later.
        for value in PERSONAL_VALUES:
            self.assertNotEqual(columns_holding(value), [], value)
        self.assertTrue(SandboxWmsOrder.objects.filter(cust_ref=order.cust_ref).exists())
        events_before = order.events.count()
        grand_total = order.grand_total
        self.assertGreater(grand_total, Decimal("378.00"))

        Order.objects.filter(id=order.id).update(
            confirmed_at=F("confirmed_at") - timedelta(days=91)
        )
        run = self.run_service(PERSONAL_DATA_REMOVAL)

        self.assertEqual(run.records_ok, 1)
        for value in PERSONAL_VALUES:
            self.assertEqual(columns_holding(value), [], value)
        order.refresh_from_db()
        self.assertIsNotNone(order.pii_removed_at)
        self.assertEqual(order.ship_name, PII_REMOVED)
        self.assertEqual(order.notes, PII_REMOVED)
        self.assertEqual(order.ship_to["address_1"], PII_REMOVED)
        self.assertEqual(order.ship_to["city"], "Springfield")  # where it went, not to whom
        self.assertEqual(order.sub_total, Decimal("378.00"))
        self.assertEqual(order.grand_total, grand_total)
        line = order.lines.get()
        self.assertEqual((line.sku, line.quantity), (SKU, Decimal(2)))
        self.assertEqual(order.shipments.count(), 1)
        self.assertEqual(order.raw["id"], int(order.source_order_id))
        self.assertEqual(order.raw["line_items"][0]["sku"], SKU)
        self.assertEqual(order.events.count(), events_before + 1)
        self.assertTrue(order.events.filter(message__startswith="Personal data removed").exists())

    def test_it_keeps_the_personal_data_until_the_policy_time(self) -> None:
        order = self.confirmed_order()
        Order.objects.filter(id=order.id).update(
            confirmed_at=F("confirmed_at") - timedelta(days=89)
        )
        run = self.run_service(PERSONAL_DATA_REMOVAL)
        self.assertEqual(run.records_ok, 0)
        order.refresh_from_db()
        self.assertIsNone(order.pii_removed_at)
        self.assertEqual(order.notes, GIFT_MESSAGE)

    def test_the_order_page_says_when_it_was_removed(self) -> None:
        order = self.confirmed_order()
        Order.objects.filter(id=order.id).update(
            confirmed_at=F("confirmed_at") - timedelta(days=91)
        )
        self.run_service(PERSONAL_DATA_REMOVAL)
        self.client.force_login(self.alice)
        page = self.client.get(reverse("order_detail", args=[order.id])).content.decode()
        self.assertIn("Personal data removed", page)
        self.assertNotIn("Quackenbush", page)


class PersonalDataRemovalTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")
        self.long_ago = timezone.now() - timedelta(days=120)

    def remove(self) -> JobRun:
        schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=PERSONAL_DATA_REMOVAL
        )
        claimed_at = schedule_claim_now(schedule=schedule)
        return schedule_run(schedule_id=schedule.id, claimed_at=claimed_at, trigger="manual")

    def test_every_merchant_gets_a_schedule_for_it(self) -> None:
        schedule = ServiceSchedule.objects.get(
            merchant=self.other_merchant, cart=None, service=PERSONAL_DATA_REMOVAL
        )
        self.assertEqual(schedule.frequency, Frequency.HOURS_12)
        self.assertTrue(schedule.enabled)

    def test_it_can_run_less_often_but_not_be_turned_off(self) -> None:
        schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=PERSONAL_DATA_REMOVAL
        )
        self.client.force_login(self.alice)
        url = reverse("schedule_update", args=[schedule.id])
        response = self.client.post(url, {"frequency": Frequency.OFF}, follow=True)
        schedule.refresh_from_db()
        self.assertEqual(schedule.frequency, Frequency.HOURS_12)
        self.assertContains(response, "can run less often, but not be turned off")
        self.client.post(url, {"frequency": Frequency.DAILY, "daily_at": "03:00"})
        schedule.refresh_from_db()
        self.assertEqual(schedule.frequency, Frequency.DAILY)
        page = self.client.get(reverse("merchant_edit", args=[self.bobs_merchant.id]))
        form = next(
            row.form
            for row in page.context["rows"]
            if row.schedule.service == PERSONAL_DATA_REMOVAL
        )
        self.assertNotIn(Frequency.OFF, dict(form.fields["frequency"].choices))

    def test_it_removes_canceled_orders_and_leaves_open_ones(self) -> None:
        canceled = create_order(
            self.cart, number=1, status=OrderStatus.CANCELED, updated_at=self.long_ago
        )
        at_wms = create_order(
            self.cart, number=2, status=OrderStatus.AT_WMS, updated_at=self.long_ago
        )
        self.remove()
        canceled.refresh_from_db()
        at_wms.refresh_from_db()
        self.assertEqual(canceled.ship_to["first_name"], PII_REMOVED)
        self.assertIsNone(at_wms.pii_removed_at)
        self.assertEqual(at_wms.ship_to["first_name"], "Maria")

    def test_it_follows_the_accounts_policy(self) -> None:
        self.alices_account.personal_data_days = 200
        self.alices_account.save()
        order = create_order(
            self.cart, number=1, status=OrderStatus.CONFIRMED, confirmed_at=self.long_ago
        )
        self.remove()
        order.refresh_from_db()
        self.assertIsNone(order.pii_removed_at)

    def test_a_platform_deadline_after_shipment_goes_first(self) -> None:
        shipped = timezone.now() - timedelta(days=31)
        order = create_order(self.cart, number=1, status=OrderStatus.SHIPPED, shipped_at=shipped)
        self.remove()
        order.refresh_from_db()
        self.assertIsNone(order.pii_removed_at)  # the sandbox sets no deadline
        with mock.patch.object(SandboxCartConnector, "personal_data_days_after_shipment", 30):
            self.remove()
        order.refresh_from_db()
        self.assertIsNotNone(order.pii_removed_at)
        self.assertEqual(order.ship_name, PII_REMOVED)

    def test_it_scrubs_quotes_in_the_history_and_alerts(self) -> None:
        order = create_order(
            self.cart, number=1, status=OrderStatus.CONFIRMED, confirmed_at=self.long_ago
        )
        create_shipment(order)
        OrderEvent.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            order=order,
            message="Edited by alice@example.org: street 1200 Market St → 1 Elm Road.",
        )
        self.remove()
        message = order.events.get(message__startswith="Edited").message
        self.assertEqual(
            message, f"Edited by alice@example.org: street {PII_REMOVED} → 1 Elm Road."
        )

    def test_it_does_each_order_once(self) -> None:
        create_order(self.cart, number=1, status=OrderStatus.CONFIRMED, confirmed_at=self.long_ago)
        self.assertEqual(self.remove().records_ok, 1)
        self.assertEqual(self.remove().records_ok, 0)

    def test_a_backlog_past_the_batch_limit_makes_the_run_due_again(self) -> None:
        for number in range(3):
            create_order(
                self.cart, number=number, status=OrderStatus.CONFIRMED, confirmed_at=self.long_ago
            )
        with (
            mock.patch("orders.services.personal_data.BATCH_SIZE", 1),
            mock.patch("orders.services.personal_data.BATCHES_PER_RUN", 2),
        ):
            run = self.remove()
        self.assertEqual(run.records_ok, 2)
        schedule = ServiceSchedule.objects.get(id=run.schedule_id)
        self.assertLessEqual(schedule.next_run_at, timezone.now())
        self.assertEqual(Order.objects.filter(pii_removed_at__isnull=True).count(), 1)


class PayloadScrubTests(TestCase):
    def test_it_keeps_ids_skus_money_dates_and_statuses_only(self) -> None:
        payload = {
            "id": 7,
            "status": "completed",
            "total": "12.50",
            "date_created_gmt": "2026-01-01T10:00:00",
            "billing": {"first_name": "Zeb", "phone": "555", "city": "Springfield"},
            "billing_phone": 5415550199,
            "line_items": [{"sku": "A-1", "quantity": 2, "name": "Tent", "product_id": 9}],
            "meta_data": [{"key": "gift_message", "value": "Love you"}],
            "tags": ["vip", "Zeb's friend"],
            "paid": True,
        }
        self.assertEqual(
            payload_scrub(payload),
            {
                "id": 7,
                "status": "completed",
                "total": "12.50",
                "date_created_gmt": "2026-01-01T10:00:00",
                "billing": {"first_name": PII_REMOVED, "phone": PII_REMOVED, "city": "Springfield"},
                "billing_phone": PII_REMOVED,
                "line_items": [{"sku": "A-1", "quantity": 2, "name": PII_REMOVED, "product_id": 9}],
                "meta_data": [{"key": PII_REMOVED, "value": PII_REMOVED}],
                "tags": [PII_REMOVED, PII_REMOVED],
                "paid": True,
            },
        )
