from __future__ import annotations

from django.test import TestCase
from django.urls import reverse

from accounts.models import Account, Membership, Merchant, Role, User

GOOD = {
    "email": "dana@warehouse.example",
    "account_name": "Dana Logistics",
    "kind": "fulfillment",
    "timezone": "America/Chicago",
    "password1": "pallet-racking-42",
    "password2": "pallet-racking-42",
}


class SignUpTests(TestCase):
    def test_it_creates_a_fulfillment_account_with_its_admin(self) -> None:
        response = self.client.post(reverse("signup"), GOOD)
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
        self.client.post(
            reverse("signup"), {**GOOD, "kind": "merchant", "account_name": "Sock Shop"}
        )
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
            ({"password2": "something-else-1"}, "The two passwords differ"),
            ({"email": "not-an-email"}, "Enter a valid email address"),
            ({"timezone": "Mars/Olympus_Mons"}, "Select a valid choice"),
            ({"kind": "reseller"}, "Select a valid choice"),
            ({"account_name": ""}, "This field is required"),
            ({"password1": "123", "password2": "123"}, "This password is too short"),
        ]
        for change, message in cases:
            with self.subTest(change=change):
                response = self.client.post(reverse("signup"), {**GOOD, **change})
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
                self.assertFalse(Account.objects.exists())
                self.assertFalse(User.objects.exists())

    def test_an_existing_email_is_refused(self) -> None:
        User.objects.create_user(email="dana@warehouse.example", password="x")
        response = self.client.post(reverse("signup"), {**GOOD, "email": "Dana@Warehouse.example"})
        self.assertContains(response, "already exists")
        self.assertFalse(Account.objects.exists())


class LoginTests(TestCase):
    def test_it_logs_in_with_email_and_out_with_post(self) -> None:
        self.client.post(reverse("signup"), GOOD)
        self.client.post(reverse("logout"))
        self.assertEqual(self.client.get(reverse("dashboard")).status_code, 302)
        response = self.client.post(
            reverse("login"), {"username": GOOD["email"], "password": GOOD["password1"]}
        )
        self.assertRedirects(response, reverse("dashboard"))

    def test_a_wrong_password_says_what_to_do(self) -> None:
        self.client.post(reverse("signup"), GOOD)
        self.client.post(reverse("logout"))
        response = self.client.post(
            reverse("login"), {"username": GOOD["email"], "password": "nope"}
        )
        self.assertContains(response, "do not match")

    def test_a_user_without_account_is_told_to_ask_for_an_invitation(self) -> None:
        User.objects.create_user(email="orphan@example.org", password="pw-orphan-1")
        self.client.login(email="orphan@example.org", password="pw-orphan-1")
        response = self.client.get(reverse("dashboard"), follow=True)
        self.assertContains(response, "Ask an admin")
