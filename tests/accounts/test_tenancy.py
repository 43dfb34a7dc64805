from __future__ import annotations

from accounts.models import Account, Invitation, Membership, Merchant
from accounts.tenancy import scoped
from alerts.models import Alert
from tests.base import BaseTestCase
from wms.models import WmsShipMethod


class ScopedTests(BaseTestCase):
    def test_an_admin_sees_the_whole_account_and_nothing_else(self) -> None:
        merchants = scoped(Merchant.objects.all(), self.alice_membership)
        self.assertCountEqual(merchants, [self.bobs_merchant, self.other_merchant])
        self.assertEqual(
            list(scoped(Account.objects.all(), self.alice_membership)), [self.alices_account]
        )

    def test_a_merchant_user_sees_only_their_merchant(self) -> None:
        self.assertEqual(
            list(scoped(Merchant.objects.all(), self.bob_membership)), [self.bobs_merchant]
        )
        Alert.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            kind="k",
            subject="mine",
            key="mine",
            message="m",
        )
        Alert.objects.create(
            account=self.alices_account,
            merchant=self.other_merchant,
            kind="k",
            subject="theirs",
            key="theirs",
            message="m",
        )
        Alert.objects.create(
            account=self.alices_account,
            merchant=None,
            kind="k",
            subject="account-wide",
            key="account-wide",
            message="m",
        )
        self.assertEqual(
            [a.subject for a in scoped(Alert.objects.all(), self.bob_membership)], ["mine"]
        )
        self.assertEqual(len(scoped(Alert.objects.all(), self.alice_membership)), 3)

    def test_account_level_rows_are_hidden_from_merchant_users(self) -> None:
        WmsShipMethod.objects.create(account=self.alices_account, code="UPS-GND")
        self.assertEqual(scoped(WmsShipMethod.objects.all(), self.bob_membership).count(), 0)
        self.assertEqual(scoped(WmsShipMethod.objects.all(), self.alice_membership).count(), 1)
        self.assertEqual(scoped(WmsShipMethod.objects.all(), self.charlie_membership).count(), 0)

    def test_memberships_and_invitations_follow_the_merchant(self) -> None:
        self.assertEqual(
            list(scoped(Membership.objects.all(), self.bob_membership)), [self.bob_membership]
        )
        self.assertEqual(scoped(Invitation.objects.all(), self.charlie_membership).count(), 0)

    def test_every_tenant_model_declares_its_merchant_field(self) -> None:
        from django.apps import apps

        for model in apps.get_models():
            names = {field.name for field in model._meta.get_fields()}
            if "account" in names and model._meta.app_label != "admin":
                self.assertTrue(hasattr(model, "tenant_merchant_field"), model.__name__)
                declared = model.tenant_merchant_field
                if declared not in (None, "id"):
                    self.assertIn(declared, names, model.__name__)
