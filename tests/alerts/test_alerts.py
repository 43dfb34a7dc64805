from __future__ import annotations

from django.core import mail
from django.urls import reverse

from alerts.models import Alert, AlertRecipient
from alerts.services import alert_notify, alerts_raise, alerts_resolve
from tests.base import BaseTestCase


class AlertTests(BaseTestCase):
    def test_a_repeat_counts_up_instead_of_opening_another(self) -> None:
        with self.captureOnCommitCallbacks() as callbacks:
            first = alerts_raise(
                account=self.alices_account,
                merchant=self.bobs_merchant,
                kind="k",
                subject="S",
                key="s",
                message="one",
            )
            second = alerts_raise(
                account=self.alices_account,
                merchant=self.bobs_merchant,
                kind="k",
                subject="S",
                key="s",
                message="two",
            )
        self.assertEqual(first.id, second.id)
        alert = Alert.objects.get()
        self.assertEqual((alert.count, alert.message), (2, "two"))
        self.assertEqual(len(callbacks), 1)  # one e-mail, not one per repeat
        alerts_resolve(account_id=self.alices_account.id, kind="k")
        third = alerts_raise(account=self.alices_account, kind="k", subject="S", message="back")
        self.assertNotEqual(third.id, first.id)

    def test_the_email_goes_to_admins_staff_the_merchants_users_and_extra_addresses(self) -> None:
        self.create_staff()
        AlertRecipient.objects.create(account=self.alices_account, email="ops@example.org")
        AlertRecipient.objects.create(
            account=self.alices_account, merchant=self.other_merchant, email="other@example.org"
        )
        alert = alerts_raise(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            kind="k",
            subject="Bob's cart refused the credentials",
            key="bob's cart refused the credentials",
            message="Enter them again.",
            link="/carts/1/edit/",
        )
        self.assertEqual(alert_notify(alert=alert), 4)
        message = mail.outbox[0]
        self.assertEqual(
            sorted(message.to),
            ["alice@example.org", "bob@example.org", "ops@example.org", "sam.staff@example.org"],
        )
        self.assertIn("Enter them again.", message.body)
        self.assertIn("/carts/1/edit/", message.body)
        self.assertEqual(alert_notify(alert=Alert.objects.get()), 0)  # once

    def test_a_newline_in_a_name_does_not_stop_the_email(self) -> None:
        # A cart label saved before the forms refused control characters.
        alert = alerts_raise(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            kind="k",
            subject="Bob's\r\nBcc: everyone@example.org\tcart keeps failing",
            key="bob's\r\nbcc: everyone@example.org\tcart keeps failing",
            message="Check its settings.",
        )
        self.assertEqual(alert_notify(alert=alert), 2)
        self.assertEqual(
            mail.outbox[0].subject,
            "[Integration hub] Bob's Bcc: everyone@example.org cart keeps failing",
        )
        self.assertEqual(sorted(mail.outbox[0].to), ["alice@example.org", "bob@example.org"])
        self.assertIsNotNone(Alert.objects.get().notified_at)

    def test_the_page_shows_open_alerts_and_dismisses_them(self) -> None:
        mine = alerts_raise(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            kind="k",
            subject="Mine",
            key="mine",
            message="m",
        )
        alerts_raise(
            account=self.alices_account,
            merchant=self.other_merchant,
            kind="k",
            subject="Theirs",
            key="theirs",
            message="m",
        )
        alerts_raise(
            account=self.charlies_account, kind="k", key="c", subject="Charlies", message="m"
        )
        self.client.force_login(self.bob)
        page = self.client.get(reverse("alert_list"))
        self.assertContains(page, "Mine")
        self.assertNotContains(page, "Theirs")
        self.assertNotContains(page, "Charlies")
        self.client.post(reverse("alert_dismiss", args=[mine.id]))
        mine.refresh_from_db()
        self.assertEqual(mine.resolved_by, self.bob)
        self.assertContains(self.client.get(reverse("alert_list")), "No open alerts")
