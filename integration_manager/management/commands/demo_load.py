"""Load the demo: a 3PL with two merchants, three users, a sandbox WMS and carts (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services as account_services
from accounts.models import Account, Membership, Merchant, Role, User
from carts import services as cart_services
from carts.connectors.sandbox import SANDBOX_KEY
from carts.models import CartConnection
from integration_manager.sandbox_catalogue import DEFAULT_SHIP_MAP
from jobs.models import Frequency, ServiceSchedule
from jobs.services import schedule_update
from wms import services as wms_services
from wms.models import WmsConnection

DEMO_ACCOUNT = "Demo 3PL Warehouse"
DEMO_PASSWORD = "demo"  # the embedded mode binds to 127.0.0.1 only
DEMO_USERS = [
    ("admin@demo.example", Role.ADMIN, None),
    ("staff@demo.example", Role.STAFF, None),
    ("acme@demo.example", Role.MERCHANT_USER, "Acme Outdoor Co."),
]
DEMO_MERCHANTS = ["Acme Outdoor Co.", "Bright Home Goods"]


class Command(BaseCommand):
    help = "Create the demo account, merchants and users if they are not there yet."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        account, created = Account.objects.get_or_create(
            name=DEMO_ACCOUNT,
            defaults={"kind": Account.Kind.FULFILLMENT, "timezone": "America/New_York"},
        )
        merchants = {}
        for name in DEMO_MERCHANTS:
            merchant = Merchant.objects.filter(account=account, name=name).first()
            if merchant is None:
                merchant = account_services.merchant_create(account=account, name=name)
            merchants[name] = merchant
        for email, role, merchant_name in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=DEMO_PASSWORD)
            Membership.objects.get_or_create(
                user=user,
                account=account,
                defaults={"role": role, "merchant": merchants.get(merchant_name)},
            )
        _connect_sandboxes(account, merchants)
        self.stdout.write("Demo account ready." if created else "Demo account already there.")


def _connect_sandboxes(account: Account, merchants: dict[str, Merchant]) -> None:
    """The sandbox WMS for the account and a sandbox cart per merchant, ship codes mapped,
    every service on Automatic."""
    if not WmsConnection.objects.filter(account=account).exists():
        wms = wms_services.wms_save(
            account=account,
            connector_key="sandbox",
            label="Sandbox WMS",
            settings={"ship_delay_seconds": 15, "split_percent": 25},
            credentials={"api_key": SANDBOX_KEY},
        )
        wms_services.wms_ship_methods_refresh(wms=wms)
    for number, merchant in enumerate(merchants.values(), start=1):
        if CartConnection.objects.filter(merchant=merchant).exists():
            continue
        cart = cart_services.cart_create(
            merchant=merchant,
            connector_key="sandbox",
            label=f"{merchant.name} web store",
            order_source=f"{merchant.name} web store",
            reference_prefix=f"D{number}-",
            settings={"orders_per_minute": 3, "bad_order_percent": 6, "cancel_percent": 3},
            credentials={"api_key": SANDBOX_KEY},
        )
        for cart_code, wms_code in DEFAULT_SHIP_MAP.items():
            wms_services.ship_method_map_save(
                cart=cart, cart_code=cart_code, wms_code=wms_code, passthrough=False
            )
    for schedule in ServiceSchedule.objects.filter(account=account).exclude(
        frequency=Frequency.AUTOMATIC
    ):
        schedule_update(schedule=schedule, frequency=Frequency.AUTOMATIC, daily_at=None)
