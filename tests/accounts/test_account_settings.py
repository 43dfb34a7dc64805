from __future__ import annotations

from django.urls import reverse

from tests.base import BaseTestCase


class AccountSettingsTests(BaseTestCase):
    def test_alice_renames_her_account_and_sets_its_timezone(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("account_settings"), {"name": "Alice Fulfilment", "timezone": "Europe/London"}
        )
        self.assertRedirects(response, reverse("account_settings"))
        self.alices_account.refresh_from_db()
        self.assertEqual(
            (self.alices_account.name, self.alices_account.timezone),
            ("Alice Fulfilment", "Europe/London"),
        )

    def test_bad_input_saves_nothing(self) -> None:
        self.client.force_login(self.alice)
        for data, message in [
            ({"name": "", "timezone": "UTC"}, "This field is required"),
            ({"name": "X", "timezone": "Atlantis/Capital"}, "Select a valid choice"),
        ]:
            with self.subTest(data=data):
                self.assertContains(self.client.post(reverse("account_settings"), data), message)
        self.alices_account.refresh_from_db()
        self.assertEqual(
            (self.alices_account.name, self.alices_account.timezone),
            ("Alice's 3PL", "America/New_York"),
        )

    def test_only_admins_edit_the_account(self) -> None:
        for user in (self.create_staff(), self.bob):
            self.client.force_login(user)
            response = self.client.post(
                reverse("account_settings"), {"name": "Mine now", "timezone": "UTC"}
            )
            self.assertEqual(response.status_code, 403)
        self.alices_account.refresh_from_db()
        self.assertEqual(self.alices_account.name, "Alice's 3PL")
