"""The API key screens in a real browser: create, copy once, revoke; the cart's pair."""

from __future__ import annotations

from django.test import override_settings
from playwright.sync_api import expect

from api.keys import api_access_cart_create, api_credential_check
from api.models import ApiCredential
from tests.browser.base import BrowserTestCase


@override_settings(ROOT_URLCONF="tests.api.screen_test_urls")
class ApiKeysBrowserTests(BrowserTestCase):
    def accept_dialogs(self) -> list[str]:
        questions: list[str] = []

        def answer(dialog) -> None:  # type: ignore[no-untyped-def]
            questions.append(dialog.message)
            dialog.accept()

        self.page.on("dialog", answer)
        return questions

    def test_a_merchant_user_creates_copies_and_revokes_a_key(self) -> None:
        page = self.page
        self.log_in("bob@example.org")
        page.goto(self.url(f"/merchants/{self.bobs_merchant.id}/api-keys/"))
        expect(page.get_by_text("No API keys yet.")).to_be_visible()
        page.get_by_label("Name").fill("Warehouse ERP")
        page.get_by_role("button", name="Create key").click()

        shown = page.get_by_label("API key", exact=True)
        expect(shown).to_be_visible()
        api_user = page.get_by_label("API user", exact=True).input_value()
        credential = api_credential_check(api_user, shown.input_value())
        self.assertIsNotNone(credential)
        expect(page.get_by_text("will not show it again")).to_be_visible()
        self.screenshot("api-keys-merchant-created")

        page.goto(self.url(f"/merchants/{self.bobs_merchant.id}/api-keys/"))
        expect(page.get_by_label("API key", exact=True)).to_have_count(0)
        row = page.get_by_role("row").filter(has_text="Warehouse ERP")
        expect(row).to_contain_text(api_user)
        expect(row).to_contain_text("never")
        questions = self.accept_dialogs()
        row.get_by_role("button", name="Revoke Warehouse ERP").click()
        expect(page.get_by_text("calls with it are refused from now on")).to_be_visible()
        self.assertEqual(len(questions), 1)
        self.assertIn("refused at once", questions[0])
        expect(row.get_by_role("button", name="Revoke Warehouse ERP")).to_have_count(0)
        expect(row.get_by_title("Revoked", exact=False)).to_be_visible()
        self.screenshot("api-keys-merchant-revoked")
        credential.refresh_from_db()
        self.assertIsNotNone(credential.revoked_at)

    def test_an_admin_makes_a_global_key(self) -> None:
        page = self.page
        self.log_in("alice@example.org")
        page.goto(self.url("/account/api-keys/"))
        page.get_by_label("Name").fill("Our WMS")
        page.get_by_role("button", name="Create key").click()
        expect(page.get_by_label("API key", exact=True)).to_be_visible()
        expect(page.get_by_text("Merchant ids for X-Merchant-Pk")).to_be_visible()
        self.screenshot("api-keys-global")
        self.assertEqual(ApiCredential.objects.get().level, "warehouse")

    def test_generating_the_carts_api_information_replaces_the_key(self) -> None:
        cart, issued = api_access_cart_create(merchant=self.bobs_merchant)
        page = self.page
        self.log_in("bob@example.org")
        page.goto(self.url(f"/carts/{cart.id}/api/"))
        expect(page.get_by_text(issued.credential.api_user)).to_be_visible()
        self.screenshot("api-keys-cart")
        questions = self.accept_dialogs()
        page.get_by_role("button", name="Generate API information").click()
        expect(page.get_by_label("API key", exact=True)).to_be_visible()
        self.assertIn("stops working at once", questions[0])
        new_user = page.get_by_label("API user", exact=True).input_value()
        new_key = page.get_by_label("API key", exact=True).input_value()
        self.assertIsNotNone(api_credential_check(new_user, new_key))
        self.assertIsNone(api_credential_check(issued.credential.api_user, issued.api_key))
        self.screenshot("api-keys-cart-generated")
