"""Sign up, log in, merchants, invitations and what a merchant user may see, in a real browser."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core import mail
from playwright.sync_api import expect

from accounts.models import Account, Merchant
from tests.browser.base import BrowserTestCase


class FoundationBrowserTests(BrowserTestCase):
    def test_sign_up_then_create_a_merchant_and_see_it_listed(self) -> None:
        page = self.page
        page.goto(self.url("/signup/"))
        self.screenshot("signup")
        page.get_by_label("Your e-mail").fill("erin@erins-3pl.example")
        page.get_by_label("Company name").fill("Erin's 3PL")
        page.get_by_label("Fulfillment (3PL warehouse with merchants)").check()
        page.get_by_label("Timezone").select_option("America/Denver")
        page.get_by_role("button", name="Continue").click()

        expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
        expect(page.get_by_text("erin@erins-3pl.example")).to_be_visible()
        self.screenshot("signup-sent")
        self.assertFalse(Account.objects.filter(name="Erin's 3PL").exists())
        link = re.search(r"https?://\S+/signup/confirm/\S+", mail.outbox[-1].body).group(0)
        page.goto(self.url(urlsplit(link).path))
        expect(page.get_by_role("heading", name="Finish creating Erin's 3PL")).to_be_visible()
        page.locator("#id_password1").fill("conveyor-belt-88")
        page.locator("#id_password2").fill("conveyor-belt-88")
        self.screenshot("signup-confirm")
        page.get_by_role("button", name="Create the account").click()

        expect(page.get_by_text("Your account “Erin's 3PL” is ready")).to_be_visible()
        expect(page.get_by_role("heading", name="Next steps")).to_be_visible()
        self.screenshot("dashboard-new-account")
        self.assertEqual(Account.objects.get(name="Erin's 3PL").timezone, "America/Denver")

        page.get_by_role("link", name="Add a merchant").click()
        page.get_by_label("Name").fill("Fjord Knitwear")
        page.get_by_label("WMS customer id").fill("FK-1")
        self.screenshot("merchant-create")
        page.get_by_role("button", name="Create merchant").click()
        expect(page.get_by_text("Merchant “Fjord Knitwear” created.")).to_be_visible()

        page.get_by_role("link", name="Merchants").first.click()
        expect(page.get_by_role("cell", name="Fjord Knitwear")).to_be_visible()
        expect(page.get_by_role("cell", name="Bob's Bikes")).to_have_count(0)
        self.screenshot("merchant-list")

    def test_a_bad_sign_up_says_what_is_wrong(self) -> None:
        page = self.page
        page.goto(self.url("/signup/"))
        page.get_by_label("Your e-mail").fill("erin@erins-3pl")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("Enter a valid email address")).to_be_visible()
        expect(page.get_by_text("This field is required")).to_be_visible()
        self.screenshot("signup-errors")
        self.assertEqual(mail.outbox, [])

    def test_log_in_and_out(self) -> None:
        page = self.page
        page.goto(self.url("/login/"))
        page.get_by_label("E-mail").fill("alice@example.org")
        page.locator("#id_password").fill("wrong password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("do not match")).to_be_visible()
        self.screenshot("login-error")
        self.log_in("alice@example.org")
        self.screenshot("dashboard-alice")
        page.get_by_test_id("user-menu").click()
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    def test_the_merchant_user_cannot_see_the_other_merchant(self) -> None:
        self.log_in("bob@example.org")
        page = self.page
        expect(page.get_by_role("cell", name="Bob's Bikes")).to_be_visible()
        expect(page.get_by_text("Other Outfitters")).to_have_count(0)
        expect(page.get_by_role("link", name="Merchants")).to_have_count(0)
        self.screenshot("dashboard-merchant-user")
        other = Merchant.objects.get(name="Other Outfitters")
        response = page.goto(self.url(f"/merchants/{other.id}/"))
        self.assertIn(response.status, (403, 404))
        expect(page.get_by_text("Other Outfitters")).to_have_count(0)
        self.screenshot("merchant-user-forbidden")

    def test_set_up_a_merchant_user_who_then_joins(self) -> None:
        self.log_in("alice@example.org")
        page = self.page
        other = Merchant.objects.get(name="Other Outfitters")
        page.goto(self.url(f"/merchants/{other.id}/"))
        page.get_by_label("Merchant user's e-mail").fill("olga@outfitters.example")
        page.get_by_role("button", name="Set up merchant user").click()
        expect(page.get_by_text("Invitation sent to olga@outfitters.example")).to_be_visible()
        self.screenshot("merchant-edit-invited")
        link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
        path = link.split("/invitations/", 1)[1]

        self.context.clear_cookies()
        page.goto(self.url(f"/invitations/{path}"))
        expect(page.get_by_role("heading", name="Join Alice's 3PL")).to_be_visible()
        page.locator("#id_password1").fill("pine-cone-trail-31")
        page.locator("#id_password2").fill("pine-cone-trail-31")
        self.screenshot("invitation-accept")
        page.get_by_role("button", name="Join").click()
        expect(page.get_by_text("You joined Alice's 3PL.")).to_be_visible()
        expect(page.get_by_role("cell", name="Other Outfitters")).to_be_visible()
        expect(page.get_by_text("Bob's Bikes")).to_have_count(0)

    def test_fields_that_matter_only_for_one_choice_show_with_it(self) -> None:
        # Behaviour from static/js/hub.js (data-show-field), not inline scripts.
        self.log_in("alice@example.org")
        page = self.page
        page.goto(self.url("/users/invite/"))
        merchant = page.get_by_label("Merchant", exact=True)
        page.get_by_label("Account admin").check()
        expect(merchant).to_be_hidden()
        page.get_by_label("Merchant user").check()
        expect(merchant).to_be_visible()
        page.get_by_label("Warehouse staff").check()
        expect(merchant).to_be_hidden()

        page.goto(self.url("/merchants/new/"))
        email = page.get_by_label("Merchant user's e-mail")
        expect(email).to_be_hidden()
        page.get_by_label("Set up merchant user").check()
        expect(email).to_be_visible()
