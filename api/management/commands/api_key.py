"""Make an API pair from the shell: `manage.py api_key create --level cart --merchant 3`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account, Merchant
from api.keys import IssuedKey, api_access_cart_create, api_credential_issue
from api.models import ApiLevel

DEFAULT_NAMES = {ApiLevel.MERCHANT: "Merchant API key", ApiLevel.WAREHOUSE: "Global API key"}


class Command(BaseCommand):
    help = (
        "Create an API user and key. The key is printed once: copy it now. "
        "--level cart --merchant ID makes an API Access cart for that merchant; "
        "--level merchant --merchant ID and --level warehouse --account ID make named keys."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["create"])
        parser.add_argument("--level", required=True, choices=[level.value for level in ApiLevel])
        parser.add_argument("--merchant", type=int, help="the merchant's id (cart, merchant)")
        parser.add_argument("--account", type=int, help="the account's id (warehouse)")
        parser.add_argument("--name", default="", help="what the key is for (merchant, warehouse)")

    def handle(self, *args: Any, **options: Any) -> None:
        level = options["level"]
        if level == ApiLevel.WAREHOUSE:
            issued = self._warehouse_key(options)
        else:
            merchant = self._merchant(options)
            if level == ApiLevel.CART:
                _cart, issued = api_access_cart_create(merchant=merchant)
            else:
                issued = api_credential_issue(
                    account=merchant.account,
                    level=ApiLevel.MERCHANT,
                    name=options["name"].strip() or DEFAULT_NAMES[ApiLevel.MERCHANT],
                    merchant=merchant,
                )
        self._print(issued)

    def _merchant(self, options: dict[str, Any]) -> Merchant:
        if options["account"] is not None:
            raise CommandError(
                f"A {options['level']} key belongs to a merchant: pass --merchant ID, "
                "not --account."
            )
        if options["merchant"] is None:
            raise CommandError(f"A {options['level']} key needs --merchant ID.")
        merchant = Merchant.objects.select_related("account").filter(id=options["merchant"])
        if not merchant:
            raise CommandError(f"No merchant has id {options['merchant']}. Check the id.")
        return merchant[0]

    def _warehouse_key(self, options: dict[str, Any]) -> IssuedKey:
        if options["merchant"] is not None:
            raise CommandError(
                "A warehouse key acts for every merchant of an account: pass --account ID, "
                "not --merchant."
            )
        if options["account"] is None:
            raise CommandError("A warehouse key needs --account ID.")
        account = Account.objects.filter(id=options["account"]).first()
        if account is None:
            raise CommandError(f"No account has id {options['account']}. Check the id.")
        return api_credential_issue(
            account=account,
            level=ApiLevel.WAREHOUSE,
            name=options["name"].strip() or DEFAULT_NAMES[ApiLevel.WAREHOUSE],
        )

    def _print(self, issued: IssuedKey) -> None:
        self.stdout.write(f"api_user={issued.credential.api_user}")
        self.stdout.write(f"api_key={issued.api_key}")
        if issued.credential.cart is not None:
            self.stdout.write(f"order_source={issued.credential.cart.order_source}")
