"""manage.py api_key create: prints the pair once, as lines a script can read."""

from __future__ import annotations

from io import StringIO

from django.core.management import CommandError, call_command

from api.keys import api_credential_check
from api.models import ApiCredential, ApiLevel
from carts.models import CartConnection
from tests.base import BaseTestCase


class ApiKeyCommandTests(BaseTestCase):
    def run_command(self, *args: str) -> dict[str, str]:
        out = StringIO()
        call_command("api_key", "create", *args, stdout=out)
        lines = out.getvalue().splitlines()
        return dict(line.split("=", 1) for line in lines)

    def test_it_creates_an_api_access_cart_with_its_pair(self) -> None:
        printed = self.run_command("--level", "cart", "--merchant", str(self.bobs_merchant.id))
        self.assertEqual(list(printed), ["api_user", "api_key", "order_source"])
        credential = api_credential_check(printed["api_user"], printed["api_key"])
        self.assertIsNotNone(credential)
        self.assertEqual(credential.level, ApiLevel.CART)
        cart = credential.cart
        self.assertEqual(cart.connector_key, "api_access")
        self.assertEqual(cart.merchant, self.bobs_merchant)
        self.assertEqual(printed["order_source"], cart.order_source)
        self.assertEqual(cart.order_source, "API Access")
        # A second API Access cart of the merchant gets an order_source of its own.
        again = self.run_command("--level", "cart", "--merchant", str(self.bobs_merchant.id))
        self.assertEqual(again["order_source"], "API Access 2")
        self.assertEqual(
            CartConnection.objects.filter(
                merchant=self.bobs_merchant, connector_key="api_access"
            ).count(),
            2,
        )

    def test_it_creates_a_named_merchant_key(self) -> None:
        printed = self.run_command(
            "--level", "merchant", "--merchant", str(self.other_merchant.id), "--name", "ERP"
        )
        self.assertEqual(list(printed), ["api_user", "api_key"])
        credential = api_credential_check(printed["api_user"], printed["api_key"])
        self.assertEqual(
            (credential.level, credential.merchant, credential.name, credential.cart),
            (ApiLevel.MERCHANT, self.other_merchant, "ERP", None),
        )
        self.assertNotIn(printed["api_key"], credential.key_digest)

    def test_it_creates_a_warehouse_key(self) -> None:
        printed = self.run_command("--level", "warehouse", "--account", str(self.alices_account.id))
        credential = api_credential_check(printed["api_user"], printed["api_key"])
        self.assertEqual(
            (credential.level, credential.account, credential.merchant, credential.name),
            (ApiLevel.WAREHOUSE, self.alices_account, None, "Global API key"),
        )

    def assert_fails(self, message: str, *args: str) -> None:
        with self.assertRaisesMessage(CommandError, message) as caught:
            self.run_command(*args)
        self.assertEqual(caught.exception.returncode, 1)
        self.assertFalse(ApiCredential.objects.exists())

    def test_it_explains_what_is_wrong(self) -> None:
        self.assert_fails(
            "No merchant has id 999999", "--level", "merchant", "--merchant", "999999"
        )
        self.assert_fails("No account has id 999999", "--level", "warehouse", "--account", "999999")
        self.assert_fails("needs --merchant ID", "--level", "cart")
        self.assert_fails(
            "pass --merchant ID, not --account",
            "--level",
            "merchant",
            "--account",
            str(self.alices_account.id),
        )
        self.assert_fails(
            "pass --account ID, not --merchant",
            "--level",
            "warehouse",
            "--merchant",
            str(self.bobs_merchant.id),
        )
        self.assertFalse(CartConnection.objects.filter(connector_key="api_access").exists())

    def test_a_wrong_level_exits_with_1(self) -> None:
        with self.assertRaises(CommandError) as caught:
            self.run_command("--level", "store", "--merchant", str(self.bobs_merchant.id))
        self.assertIn("invalid choice: 'store'", str(caught.exception))
        self.assertEqual(caught.exception.returncode, 1)
