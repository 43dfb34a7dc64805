"""BaseTestCase: alice (3PL admin), bob (merchant user in alice's account), charlie (elsewhere)."""

from __future__ import annotations

from django.test import TestCase

from accounts.models import Account, Membership, Role, User
from accounts.services import merchant_create

PASSWORD = "correct horse battery staple"


class TenantsMixin:
    """The three people every screen is tested with; works for TestCase and TransactionTestCase."""

    def create_tenants(self) -> None:
        self.alices_account = Account.objects.create(
            name="Alice's 3PL", kind=Account.Kind.FULFILLMENT, timezone="America/New_York"
        )
        # bob may see this merchant only; the other one is a 404 for him.
        self.bobs_merchant = merchant_create(account=self.alices_account, name="Bob's Bikes")
        self.other_merchant = merchant_create(account=self.alices_account, name="Other Outfitters")
        self.alice = User.objects.create_user(email="alice@example.org", password=PASSWORD)
        self.alice_membership = Membership.objects.create(
            user=self.alice, account=self.alices_account, role=Role.ADMIN
        )
        self.bob = User.objects.create_user(email="bob@example.org", password=PASSWORD)
        self.bob_membership = Membership.objects.create(
            user=self.bob,
            account=self.alices_account,
            role=Role.MERCHANT_USER,
            merchant=self.bobs_merchant,
        )

        self.charlies_account = Account.objects.create(
            name="Charlie's Fulfillment", kind=Account.Kind.FULFILLMENT, timezone="Europe/Berlin"
        )
        self.charlies_merchant = merchant_create(
            account=self.charlies_account, name="Charlie's Candles"
        )
        self.charlie = User.objects.create_user(email="charlie@example.org", password=PASSWORD)
        self.charlie_membership = Membership.objects.create(
            user=self.charlie, account=self.charlies_account, role=Role.ADMIN
        )

    def create_staff(self) -> User:
        """A warehouse staff member of alice's account."""
        staff = User.objects.create_user(email="sam.staff@example.org", password=PASSWORD)
        Membership.objects.create(user=staff, account=self.alices_account, role=Role.STAFF)
        return staff


class BaseTestCase(TenantsMixin, TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_tenants()
