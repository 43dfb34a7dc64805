"""The lock-out after failed logins, and the admin's Unlock button, in a real browser."""

from __future__ import annotations

from django.conf import settings
from playwright.sync_api import expect

from tests.base import PASSWORD
from tests.browser.base import BrowserTestCase


class LoginLockoutBrowserTests(BrowserTestCase):
    def try_password(self, email: str, password: str) -> None:
        self.page.goto(self.url("/login/"))
        self.page.get_by_label("E-mail").fill(email)
        self.page.locator("#id_password").fill(password)
        self.page.get_by_role("button", name="Log in").click()

    def test_a_locked_out_member_is_told_what_to_do_and_an_admin_unlocks_them(self) -> None:
        page = self.page
        for _ in range(settings.AXES_FAILURE_LIMIT):
            self.try_password("bob@example.org", "not his password")
        message = page.get_by_test_id("locked-out")
        expect(message).to_contain_text("Too many failed attempts to log in as bob@example.org")
        expect(message).to_contain_text("Try again in 15 minutes")
        expect(message).to_contain_text("ask an administrator of your account to unlock it")
        self.screenshot("login-locked-out")
        self.try_password("bob@example.org", PASSWORD)  # the right one is refused too
        expect(page.get_by_test_id("locked-out")).to_be_visible()

        # Alice logs in from another browser: the lock is on bob's account, not on everyone.
        self.context.clear_cookies()
        self.log_in("alice@example.org")
        page.goto(self.url("/users/"))
        bob_row = page.get_by_role("row").filter(has_text="bob@example.org")
        expect(bob_row.get_by_text("Locked out")).to_be_visible()
        expect(page.get_by_role("button", name="Unlock")).to_have_count(1)
        self.screenshot("users-locked-member")
        bob_row.get_by_role("button", name="Unlock").click()
        expect(page.get_by_text("bob@example.org can log in again.")).to_be_visible()
        expect(page.get_by_role("button", name="Unlock")).to_have_count(0)
        self.screenshot("users-unlocked")

        self.context.clear_cookies()
        self.log_in("bob@example.org")

    def test_removing_a_member_asks_first(self) -> None:
        self.log_in("alice@example.org")
        page = self.page
        page.goto(self.url("/users/"))
        bob_row = page.get_by_role("row").filter(has_text="bob@example.org")
        questions: list[str] = []

        def answer(dialog) -> None:  # type: ignore[no-untyped-def]
            questions.append(dialog.message)
            dialog.dismiss() if len(questions) == 1 else dialog.accept()

        page.on("dialog", answer)
        bob_row.get_by_role("button", name="Remove").click()
        expect(page.get_by_role("row").filter(has_text="bob@example.org")).to_have_count(1)
        bob_row.get_by_role("button", name="Remove").click()
        expect(page.get_by_text("bob@example.org can no longer sign in")).to_be_visible()
        self.assertEqual(questions, ["Remove bob@example.org from this account?"] * 2)
