from __future__ import annotations

import re
import time
from unittest import mock
from urllib.parse import urlsplit

from django.core import mail
from django.test import TestCase
from django.urls import reverse

from accounts.models import Account, Membership, Merchant, Role, User

GOOD = {
    "email": "dana@warehouse.example",
    "account_name": "Dana Logistics",
    "kind": "fulfillment",
    "timezone": "America/Chicago",
}
PASSWORDS = {"password1": "pallet-racking-42", "password2": "pallet-racking-42"}


def signup_path(message: mail.EmailMessage) -> str:
    """The path of the sign-up link in an e-mail (its host is SITE_URL's)."""
    return urlsplit(re.search(r"https?://\S+/signup/confirm/\S+", message.body).group(0)).path


class SignUpTests(TestCase):
    def sign_up(self, **change: str) -> str:
        """Fill in the sign-up form; the path of the e-mailed link."""
        response = self.client.post(reverse("signup"), {**GOOD, **change})
        self.assertRedirects(response, reverse("signup_sent"))
        return signup_path(mail.outbox[-1])

    def test_it_creates_a_fulfillment_account_with_its_admin(self) -> None:
        path = self.sign_up()
        # Nothing exists until the link is opened: the address has to be the visitor's.
        self.assertFalse(User.objects.exists())
        self.assertEqual(mail.outbox[0].to, ["dana@warehouse.example"])
        self.assertIn("Dana Logistics", mail.outbox[0].body)
        self.assertContains(self.client.get(path), "Choose a password for dana@warehouse.example")

        response = self.client.post(path, PASSWORDS)
        self.assertRedirects(response, reverse("dashboard"))
        account = Account.objects.get(name="Dana Logistics")
        self.assertEqual(account.kind, Account.Kind.FULFILLMENT)
        self.assertEqual(account.timezone, "America/Chicago")
        membership = Membership.objects.get(account=account)
        self.assertEqual(membership.user.email, "dana@warehouse.example")
        self.assertEqual(membership.role, Role.ADMIN)
        self.assertFalse(Merchant.objects.filter(account=account).exists())
        # Signed in: the dashboard opens.
        self.assertEqual(self.client.get(reverse("dashboard")).status_code, 200)

    def test_a_merchant_account_gets_exactly_one_merchant(self) -> None:
        path = self.sign_up(kind="merchant", account_name="Sock Shop")
        self.client.post(path, PASSWORDS)
        account = Account.objects.get(name="Sock Shop")
        self.assertEqual(
            list(Merchant.objects.filter(account=account).values_list("name", flat=True)),
            ["Sock Shop"],
        )
        # and cannot add a second one
        response = self.client.post(reverse("merchant_create"), {"name": "Second"}, follow=True)
        self.assertContains(response, "exactly one merchant")
        self.assertEqual(Merchant.objects.filter(account=account).count(), 1)

    def test_bad_input_saves_nothing_and_says_why(self) -> None:
        cases = [
            ({"email": "not-an-email"}, "Enter a valid email address"),
            ({"timezone": "Mars/Olympus_Mons"}, "Select a valid choice"),
            ({"kind": "reseller"}, "Select a valid choice"),
            ({"account_name": ""}, "This field is required"),
            ({"account_name": "Dana\nLogistics"}, "no line breaks"),
        ]
        for change, message in cases:
            with self.subTest(change=change):
                response = self.client.post(reverse("signup"), {**GOOD, **change})
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
                self.assertEqual(mail.outbox, [])

        path = self.sign_up()
        passwords = [
            ({"password1": "pallet-racking-42", "password2": "other-1"}, "passwords differ"),
            ({"password1": "123", "password2": "123"}, "This password is too short"),
        ]
        for change, message in passwords:
            with self.subTest(change=change):
                self.assertContains(self.client.post(path, change), message)
        self.assertFalse(Account.objects.exists())
        self.assertFalse(User.objects.exists())

    def test_an_existing_email_looks_the_same_to_the_visitor(self) -> None:
        User.objects.create_user(email="dana@warehouse.example", password="x")
        new = self.client.post(reverse("signup"), {**GOOD, "email": "erin@warehouse.example"})
        new_page = self.client.get(new.url).content.decode()
        existing = self.client.post(reverse("signup"), {**GOOD, "email": "Dana@Warehouse.example"})
        existing_page = self.client.get(existing.url).content.decode()
        # The same answer and the same page: sign-up does not tell who has a login.
        self.assertEqual(existing.status_code, new.status_code)
        self.assertEqual(existing.url, new.url)
        self.assertEqual(
            existing_page.replace("Dana@Warehouse.example", "EMAIL"),
            new_page.replace("erin@warehouse.example", "EMAIL"),
        )
        self.assertFalse(Account.objects.exists())
        self.assertEqual(User.objects.filter(email__iexact="dana@warehouse.example").count(), 1)
        # Only the owner of the address learns it has a login, and how to get in.
        note = mail.outbox[1]
        self.assertEqual(note.to, ["dana@warehouse.example"])
        self.assertIn("already have a login", note.body)
        self.assertIn(reverse("password_reset"), note.body)
        self.assertNotIn("/signup/confirm/", note.body)

    def test_a_link_works_once(self) -> None:
        path = self.sign_up()
        self.client.post(path, PASSWORDS)
        self.client.post(reverse("logout"))
        response = self.client.post(
            path, {"password1": "x-9-new-pass", "password2": "x-9-new-pass"}
        )
        self.assertRedirects(response, reverse("login"))
        self.assertEqual(User.objects.count(), 1)
        self.assertTrue(User.objects.get().check_password(PASSWORDS["password1"]))

    def test_an_altered_or_old_link_does_not_work(self) -> None:
        path = self.sign_up()
        altered = path.replace("/confirm/", "/confirm/x")
        self.assertContains(self.client.get(altered), "does not work", status_code=404)
        four_days_ago = time.time() - 4 * 86400
        with mock.patch("django.core.signing.time.time", return_value=four_days_ago):
            old = self.sign_up(email="old@warehouse.example")
        self.assertContains(self.client.get(old), "does not work", status_code=404)
        self.assertFalse(User.objects.exists())

    def test_it_refuses_a_sixth_request_for_one_email_within_the_hour(self) -> None:
        for _ in range(5):
            self.sign_up()
        response = self.client.post(reverse("signup"), GOOD)
        self.assertContains(response, "Too many requests", status_code=429)
        self.assertEqual(len(mail.outbox), 5)


class LoginTests(TestCase):
    def setUp(self) -> None:
        super().setUp()
        User.objects.create_user(email=GOOD["email"], password=PASSWORDS["password1"])

    def test_it_logs_in_with_email_and_out_with_post(self) -> None:
        self.assertEqual(self.client.get(reverse("dashboard")).status_code, 302)
        response = self.client.post(
            reverse("login"), {"username": GOOD["email"], "password": PASSWORDS["password1"]}
        )
        self.assertRedirects(response, reverse("dashboard"), fetch_redirect_response=False)
        self.client.post(reverse("logout"))
        self.assertEqual(self.client.get(reverse("dashboard")).status_code, 302)

    def test_a_wrong_password_says_what_to_do(self) -> None:
        response = self.client.post(
            reverse("login"), {"username": GOOD["email"], "password": "nope"}
        )
        self.assertContains(response, "do not match")

    def test_a_user_without_account_is_told_to_ask_for_an_invitation(self) -> None:
        User.objects.create_user(email="orphan@example.org", password="pw-orphan-1")
        self.client.login(email="orphan@example.org", password="pw-orphan-1")
        response = self.client.get(reverse("dashboard"), follow=True)
        self.assertContains(response, "Ask an admin")
