"""Alert e-mail at the account's frequency, read from a real SMTP server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from accounts.models import Account, AlertFrequency
from alerts.digests import alert_digest_send, digests_due
from alerts.models import Alert, AlertKind, AlertRecipient
from alerts.services import alert_notify, alerts_notify_unsent, alerts_raise
from alerts.tasks import alert_notify_task
from tests.alerts.mailbox import SmtpMailboxMixin, body, received_by
from tests.base import BaseTestCase


class AlertEmailTests(SmtpMailboxMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.mailbox = self.start_mailbox()

    def set_frequency(self, frequency: str) -> None:
        Account.objects.filter(id=self.alices_account.id).update(alert_frequency=frequency)
        self.alices_account.refresh_from_db()

    def raise_alert(self, key: str, *, merchant=None, kind: str = AlertKind.ORDER_REFUSED):  # type: ignore[no-untyped-def]
        return alerts_raise(
            account=self.alices_account,
            merchant=self.bobs_merchant if merchant is None else merchant,
            kind=kind,
            key=key,
            subject=f"The WMS refused orders: {key}",
            message=f"Unknown SKU {key}. Map it with a product alias.",
            link=f"/orders/?search={key}",
        )

    def test_an_immediate_alert_arrives_once(self) -> None:
        with self.captureOnCommitCallbacks() as callbacks:
            alert = self.raise_alert("SKU-1")
        self.assertEqual(len(callbacks), 1)  # its task is queued when the raise commits
        alert_notify_task(alert_id=alert.id)
        alert_notify_task(alert_id=alert.id)  # the task delivered twice
        self.assertEqual(len(self.mailbox.received), 1)
        mail = self.mailbox.received[0]
        self.assertEqual(sorted(mail.recipients), ["alice@example.org", "bob@example.org"])
        self.assertEqual(mail.message["Subject"], "[Integration hub] The WMS refused orders: SKU-1")
        self.assertIn(f"Fix it here: {settings.SITE_URL}/orders/?search=SKU-1", body(mail))
        self.assertIsNotNone(Alert.objects.get().notified_at)

    def test_a_repeat_counts_up_and_mails_nothing_more(self) -> None:
        with self.captureOnCommitCallbacks() as callbacks:
            first = self.raise_alert("SKU-1")
            second = self.raise_alert("SKU-1")
        self.assertEqual(first.id, second.id)
        self.assertEqual(Alert.objects.get().count, 2)
        self.assertEqual(len(callbacks), 1)
        alert_notify_task(alert_id=first.id)
        with self.captureOnCommitCallbacks() as later:
            self.raise_alert("SKU-1")  # after the e-mail went
        self.assertEqual(later, [])
        self.assertEqual(Alert.objects.get().count, 3)
        self.assertEqual(len(self.mailbox.received), 1)

    def test_bob_never_receives_another_merchants_alert(self) -> None:
        alert = self.raise_alert("SKU-9", merchant=self.other_merchant)
        self.assertEqual(alert_notify(alert=alert), 1)
        [alices] = received_by(self.mailbox, "alice@example.org")
        self.assertEqual(alices.recipients, ["alice@example.org"])
        self.assertEqual(received_by(self.mailbox, "bob@example.org"), [])

    def test_an_hourly_digest_gathers_the_alerts_in_one_email_per_recipient(self) -> None:
        self.set_frequency(AlertFrequency.HOURLY)
        AlertRecipient.objects.create(
            account=self.alices_account, merchant=self.other_merchant, email="other@example.org"
        )
        AlertRecipient.objects.create(
            account=self.alices_account, email="off@example.org", is_active=False
        )
        with self.captureOnCommitCallbacks() as callbacks:
            self.raise_alert("SKU-1")
            self.raise_alert("SKU-2")
            self.raise_alert("SKU-3", merchant=self.other_merchant)
        self.assertEqual(callbacks, [])  # nothing goes one by one
        now = timezone.now()
        self.assertEqual(alerts_notify_unsent(now + timedelta(minutes=5)), 0)
        self.assertEqual(alert_notify(alert=Alert.objects.first()), 0)

        self.assertEqual(digests_due(now), 1)  # the period turned: its digest is queued
        self.assertEqual(digests_due(now), 0)  # a second tick finds it claimed
        self.assertEqual(alert_digest_send(account_id=self.alices_account.id), 3)
        self.assertEqual(alert_digest_send(account_id=self.alices_account.id), 0)  # once

        [alices] = received_by(self.mailbox, "alice@example.org")
        self.assertEqual(alices.recipients, ["alice@example.org"])
        self.assertIn("Hourly alerts: 3", alices.message["Subject"])
        for key in ("SKU-1", "SKU-2", "SKU-3"):
            self.assertIn(f"Fix it here: {settings.SITE_URL}/orders/?search={key}", body(alices))
        [bobs] = received_by(self.mailbox, "bob@example.org")
        self.assertIn("SKU-1", body(bobs))
        self.assertIn("SKU-2", body(bobs))
        self.assertNotIn("SKU-3", body(bobs))  # the other merchant's
        [others] = received_by(self.mailbox, "other@example.org")
        self.assertIn("SKU-3", body(others))
        self.assertNotIn("SKU-1", body(others))
        self.assertEqual(received_by(self.mailbox, "off@example.org"), [])
        self.assertEqual(len(self.mailbox.received), 3)
        self.assertFalse(Alert.objects.filter(notified_at=None).exists())

    def test_the_next_hourly_digest_waits_for_the_next_hour(self) -> None:
        self.set_frequency(AlertFrequency.HOURLY)
        ten_past = datetime(2026, 12, 2, 9, 10, tzinfo=UTC)
        self.assertEqual(digests_due(ten_past), 1)
        self.assertEqual(digests_due(ten_past + timedelta(minutes=45)), 0)
        self.assertEqual(digests_due(ten_past + timedelta(minutes=51)), 1)  # 10:01

    def test_the_daily_digest_goes_at_seven_in_the_accounts_zone(self) -> None:
        self.set_frequency(AlertFrequency.DAILY)  # alice's account is in New York
        Account.objects.filter(id=self.alices_account.id).update(
            alert_digest_sent_at=datetime(2026, 12, 1, 12, 5, tzinfo=UTC)  # 07:05 there
        )
        self.assertEqual(digests_due(datetime(2026, 12, 2, 11, 55, tzinfo=UTC)), 0)  # 06:55
        self.assertEqual(digests_due(datetime(2026, 12, 2, 12, 1, tzinfo=UTC)), 1)  # 07:01

    def test_an_always_immediate_kind_goes_at_once_under_a_daily_digest(self) -> None:
        self.set_frequency(AlertFrequency.DAILY)
        with self.captureOnCommitCallbacks() as callbacks:
            refused = self.raise_alert("cart:1", kind=AlertKind.CART_AUTH)
            self.raise_alert("SKU-1")  # waits for the digest
        self.assertEqual(len(callbacks), 1)
        alert_notify_task(alert_id=refused.id)
        [mail] = self.mailbox.received
        self.assertIn("cart:1", mail.message["Subject"])
        self.assertEqual(Alert.objects.filter(notified_at=None).count(), 1)
        # The digest leaves out what went at once.
        self.assertEqual(alert_digest_send(account_id=self.alices_account.id), 2)
        self.assertNotIn("cart:1", body(received_by(self.mailbox, "bob@example.org")[-1]))

    def test_no_secret_reaches_an_email(self) -> None:
        self.set_frequency(AlertFrequency.HOURLY)
        alerts_raise(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            kind=AlertKind.CART_FAILING,
            key="cart:7",
            subject="Bob's cart cannot be reached",
            message="GET https://shop.example.com/orders?access_token=sk_live_SECRET123 failed",
        )
        alert_digest_send(account_id=self.alices_account.id)
        for mail in self.mailbox.received:
            self.assertNotIn("sk_live_SECRET123", body(mail))
        self.assertTrue(self.mailbox.received)

    def test_a_digest_that_fails_to_send_gives_its_alerts_back(self) -> None:
        self.set_frequency(AlertFrequency.HOURLY)
        self.raise_alert("SKU-1")
        with override_settings(EMAIL_PORT=1), self.assertRaises(OSError):  # nothing listens
            alert_digest_send(account_id=self.alices_account.id)
        alert = Alert.objects.get()
        self.assertEqual((alert.notify_claimed_at, alert.notified_at), (None, None))
        self.assertEqual(alert_digest_send(account_id=self.alices_account.id), 2)  # the retry
