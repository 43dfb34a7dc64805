"""Load the demo: a fulfillment account with two merchants and three users (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services as account_services
from accounts.models import Account, Membership, Merchant, Role, User

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
        self.stdout.write("Demo account ready." if created else "Demo account already there.")
