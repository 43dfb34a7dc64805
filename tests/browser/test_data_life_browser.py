"""The data policy and the account's export and deletion, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from accounts.data import account_deletion_run
from accounts.models import Account
from tests.browser.base import BrowserTestCase
from tests.objects import create_cart, create_order


class DataLifeBrowserTests(BrowserTestCase):
    def test_alice_sets_the_policy_then_exports_and_deletes_the_account(self) -> None:
        create_order(create_cart(self.bobs_merchant, prefix="BB-"))
        self.log_in("alice@example.org")
        page = self.page
        page.goto(self.url("/settings/"))
        policy = page.get_by_test_id("data-policy")
        expect(policy).to_contain_text("90 days after an order is confirmed")
        policy.get_by_label("Remove customers' personal data after (days)").fill("0")
        policy.get_by_role("button", name="Save the data policy").click()
        expect(page.get_by_text("greater than or equal to 1")).to_be_visible()
        self.screenshot("data-policy-refused")
        policy = page.get_by_test_id("data-policy")
        policy.get_by_label("Remove customers' personal data after (days)").fill("30")
        policy.get_by_role("button", name="Save the data policy").click()
        expect(page.get_by_text("Data policy saved")).to_be_visible()
        expect(page.get_by_test_id("data-policy")).to_contain_text(
            "30 days after an order is confirmed"
        )
        self.screenshot("data-policy")

        page.get_by_test_id("account-data-link").click()
        expect(page.get_by_role("heading", name="Export or delete “Alice's 3PL”")).to_be_visible()
        with page.expect_download() as download:
            page.get_by_test_id("account-export").click()
        exported = download.value.path().read_text()
        self.assertIn('"table": "orders.order"', exported)

        page.get_by_label("Type the account's name to confirm").fill("Alice's")
        page.get_by_role("button", name="Delete this account and all its data").click()
        expect(
            page.get_by_text("That is not the account's name, so nothing was deleted")
        ).to_be_visible()
        self.screenshot("account-delete-refused")
        self.assertTrue(Account.objects.filter(id=self.alices_account.id).exists())

        page.get_by_label("Type the account's name to confirm").fill("Alice's 3PL")
        page.get_by_role("button", name="Delete this account and all its data").click()
        expect(
            page.get_by_text("The account “Alice's 3PL” is closed and its data is being deleted")
        ).to_be_visible()
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
        self.screenshot("account-deleted")
        # The job a worker runs next.
        self.assertTrue(account_deletion_run(account_id=self.alices_account.id))
        self.assertFalse(Account.objects.filter(id=self.alices_account.id).exists())
