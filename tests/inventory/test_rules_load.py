"""A merchant's aliases and kits, read in one statement for each delivery batch."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import KitComponent, ProductAlias
from inventory.rules import merchant_rules_load
from tests.base import BaseTestCase


class MerchantRulesLoadTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        for merchant, account in (
            (self.bobs_merchant, self.alices_account),
            (self.charlies_merchant, self.charlies_merchant.account),
        ):
            ProductAlias.objects.create(
                account=account, merchant=merchant, alias="LANTERN-OLD-1", sku=f"LAMP-{merchant.id}"
            )
            for component, quantity in (("TENT-2P-GRN", 1), ("MUG-ENM-WHT", 2)):
                KitComponent.objects.create(
                    account=account,
                    merchant=merchant,
                    kit_sku="CAMP-KIT",
                    component_sku=component,
                    quantity=quantity,
                )

    def test_aliases_and_kits_come_in_one_statement_for_the_merchant_only(self) -> None:
        with CaptureQueriesContext(connection) as queries:
            rules = merchant_rules_load(merchant_id=self.bobs_merchant.id)
        self.assertEqual(len(queries), 1)
        self.assertEqual(rules.aliases, {"LANTERN-OLD-1": f"LAMP-{self.bobs_merchant.id}"})
        # Components in a steady order whatever order they were saved in.
        self.assertEqual(rules.kits, {"CAMP-KIT": (("MUG-ENM-WHT", 2), ("TENT-2P-GRN", 1))})

    def test_kits_alone_when_aliases_are_not_wanted(self) -> None:
        rules = merchant_rules_load(merchant_id=self.bobs_merchant.id, aliases=False)
        self.assertEqual(rules.aliases, {})
        self.assertEqual(rules.kits, {"CAMP-KIT": (("MUG-ENM-WHT", 2), ("TENT-2P-GRN", 1))})
