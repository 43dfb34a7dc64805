"""Each connector against a server that echoes the request (headers, query, body) in its error
replies: neither the credential nor any of its encodings reaches a job run, the connection's
last error, an alert, an alert e-mail, an order's reason or a log line."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote, quote_plus

from django.core import mail
from django.utils import timezone

from alerts.models import Alert
from alerts.services import alert_notify
from carts.models import CartConnection
from integration_manager.connector_errors import ConnectorError
from integration_manager.redaction import RedactingFilter
from inventory.jobs import INVENTORY, INVENTORY_UPLOAD
from inventory.models import InventoryLevel, Location
from jobs.dispatcher import schedule_claim_now
from jobs.models import JobRun, ServiceSchedule
from jobs.runner import schedule_run
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD, SHIP_CONFIRM, SHIPMENT_UPLOAD
from orders.models import Order, OrderStatus, Shipment
from tests.base import BaseTestCase
from tests.emulators.echo import EchoEmulator
from tests.objects import create_cart, create_order, create_shipment, create_wms


@dataclass(frozen=True)
class Kit:
    key: str
    settings: Callable[[str], dict[str, Any]]
    credentials: dict[str, str]
    # Values derived from the credentials that travel too (a Basic header).
    derived: tuple[str, ...] = ()


EARLIEST = "2000-01-01"


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


KITS = (
    Kit(
        "shopify",
        lambda url: {
            "base_url": url,
            "api_version": "2026-10",
            "earliest_order_date": "2000-01-01",
        },
        {"access_token": "shpat_echo_secret_0123456789", "webhook_secret": "shpss_echo_0123456789"},
    ),
    Kit(
        "woocommerce",
        lambda url: {"base_url": url, "earliest_order_date": "2000-01-01"},
        {"consumer_key": "ck_echo_key_0123456789", "consumer_secret": "cs_echo_secret_0123456789"},
        derived=(basic("ck_echo_key_0123456789", "cs_echo_secret_0123456789"),),
    ),
    Kit(
        "woocommerce",  # keys in the query string, for hosts that drop the header
        lambda url: {
            "base_url": url,
            "query_string_auth": True,
            "earliest_order_date": "2000-01-01",
        },
        {"consumer_key": "ck_echo_key_9876543210", "consumer_secret": "cs_echo_secret_9876543210"},
    ),
    Kit(
        "bigcommerce",
        lambda url: {
            "base_url": url,
            "store_hash": "abc123",
            "download_statuses": ["11"],
            "earliest_order_date": "2000-01-01",
        },
        {"access_token": "bc_echo_token_0123456789", "client_secret": "bc_echo_client_0123456789"},
    ),
)


def encodings(value: str) -> set[str]:
    return {
        value,
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(value.encode()).decode(),
    }


class EchoRedactionTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        create_wms(self.alices_account)
        self.log = io.StringIO()
        handler = logging.StreamHandler(self.log)  # as settings.LOGGING's console handler
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        previous = root.level
        root.setLevel(logging.INFO)
        self.addCleanup(root.removeHandler, handler)
        self.addCleanup(root.setLevel, previous)

    def run_service(self, service: str, cart: CartConnection) -> None:
        schedule = ServiceSchedule.objects.get(cart=cart, service=service)
        ServiceSchedule.objects.filter(id=schedule.id).update(running_since=None)
        claimed_at = schedule_claim_now(schedule=schedule)
        schedule_run(schedule_id=schedule.id, claimed_at=claimed_at, trigger="manual")

    def exercise(self, kit: Kit, echo: EchoEmulator) -> list[str]:
        cart = create_cart(
            self.bobs_merchant,
            connector_key=kit.key,
            settings=kit.settings(echo.base_url),
            credentials=kit.credentials,
            label=f"Echo {kit.key}",
            prefix=f"E{CartConnection.objects.count()}-",
        )
        shown: list[str] = []
        from carts.services import cart_test_connection

        try:
            shown.append(cart_test_connection(cart=cart))
        except ConnectorError as error:
            shown.append(str(error))
        order = create_order(cart, number=7001, status=OrderStatus.SHIPPED)
        create_shipment(order)
        location = Location.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            name="Main",
            wms_location_id="1",
        )
        InventoryLevel.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            location=location,
            sku="TENT-2P-GRN",
            on_hand=Decimal(5),
            available=Decimal(5),
            updated_at=timezone.now(),
        )
        for service in (ORDER_DOWNLOAD, SHIPMENT_UPLOAD, INVENTORY_UPLOAD):
            CartConnection.objects.filter(id=cart.id).update(paused_at=None)
            self.run_service(service, cart)
        for alert in Alert.objects.all():
            alert_notify(alert=alert)
        cart.refresh_from_db()
        shown += [cart.last_error, cart.paused_reason]
        for run in JobRun.objects.filter(cart=cart):
            shown += [run.message, run.log]
        for alert in Alert.objects.all():
            shown += [alert.subject, alert.message]
        shown += [message.subject + message.body for message in mail.outbox]
        shown += list(Order.objects.values_list("error_reason", flat=True))
        shown += list(Shipment.objects.values_list("upload_error", flat=True))
        shown.append(self.log.getvalue())
        Location.objects.filter(id=location.id).delete()
        return shown

    def test_no_echoed_credential_is_shown_anywhere(self) -> None:
        for status, as_json in ((401, True), (422, True), (500, True), (400, False), (200, True)):
            for kit in KITS:
                with self.subTest(connector=kit.key, status=status, json=as_json):
                    echo = EchoEmulator(status=status, as_json=as_json)
                    echo.start()
                    self.addCleanup(echo.stop)
                    shown = "\n".join(self.exercise(kit, echo))
                    self.assertTrue(echo.requests, "the connector never called the echo server")
                    secrets = set(kit.derived)
                    for value in kit.credentials.values():
                        secrets |= encodings(value)
                    for secret in secrets:
                        self.assertNotIn(secret, shown)
                    # A hostile answer is bad input: it fails a run with a reason, never
                    # with a crash.
                    self.assertNotIn("unexpected error", shown)


THREEPL_CREDENTIALS = {"client_id": "tpl_echo_client_0123", "client_secret": "tpl_echo_secret_0123"}


class WmsEchoRedactionTests(BaseTestCase):
    """The 3PL Warehouse Manager connector against the echoing server, every WMS service."""

    def exercise(self, echo: EchoEmulator) -> str:
        from wms.models import WmsConnection
        from wms.services import wms_save, wms_test_connection

        WmsConnection.objects.filter(account=self.alices_account).delete()
        wms = wms_save(
            account=self.alices_account,
            connector_key="threepl",
            label="Echo 3PL",
            settings={"base_url": echo.base_url, "user_login": "hub-user"},
            credentials=THREEPL_CREDENTIALS,
        )
        self.bobs_merchant.wms_customer_id = "12"
        self.bobs_merchant.wms_settings = {"facility_id": "1"}
        self.bobs_merchant.save()
        shown: list[str] = []
        try:
            shown.append(wms_test_connection(wms=wms))
        except ConnectorError as error:
            shown.append(str(error))
        cart = create_cart(self.bobs_merchant, prefix=f"EW{CartConnection.objects.count()}-")
        create_order(cart, number=9001)
        for service in (ORDER_DELIVERY, SHIP_CONFIRM, INVENTORY):
            WmsConnection.objects.filter(id=wms.id).update(paused_at=None)
            schedule = ServiceSchedule.objects.get(
                merchant=self.bobs_merchant, cart=None, service=service
            )
            claimed_at = schedule_claim_now(schedule=schedule)
            schedule_run(schedule_id=schedule.id, claimed_at=claimed_at, trigger="manual")
        for alert in Alert.objects.all():
            alert_notify(alert=alert)
        wms.refresh_from_db()
        shown += [wms.last_error, wms.paused_reason]
        for run in JobRun.objects.filter(merchant=self.bobs_merchant):
            shown += [run.message, run.log]
        shown += [alert.subject + alert.message for alert in Alert.objects.all()]
        shown += [message.subject + message.body for message in mail.outbox]
        shown += list(Order.objects.values_list("error_reason", flat=True))
        return "\n".join(shown)

    def test_no_echoed_warehouse_credential_is_shown_anywhere(self) -> None:
        secrets = {basic(*THREEPL_CREDENTIALS.values())}
        for value in THREEPL_CREDENTIALS.values():
            secrets |= encodings(value)
        for status, as_json in ((401, True), (400, True), (500, False), (200, True)):
            with self.subTest(status=status, json=as_json):
                echo = EchoEmulator(status=status, as_json=as_json)
                echo.start()
                self.addCleanup(echo.stop)
                shown = self.exercise(echo)
                self.assertTrue(echo.requests)
                for secret in secrets:
                    self.assertNotIn(secret, shown)
                self.assertNotIn("unexpected error", shown)
