"""The alerts screen, the dashboard's count, and the alert e-mail screen."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AlertFrequency
from alerts.models import Alert, AlertKind, AlertRecipient
from alerts.services import alerts_raise
from jobs.dispatcher import DISPATCHER_HEARTBEAT, heartbeat_beat
from tests.base import BaseTestCase


class AlertScreenTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        heartbeat_beat(DISPATCHER_HEARTBEAT, timezone.now())  # the scheduler runs
        for number in range(4):
            alerts_raise(
                account=self.alices_account,
                merchant=self.bobs_merchant,
                kind=AlertKind.ORDER_REFUSED,
                key=f"sku:{number}",
                subject=f"Unknown SKU BIKE-{number}",
                message="Map it with a product alias.",
                link="/orders/?status=error",
            )
        for number in range(3):
            alerts_raise(
                account=self.alices_account,
                merchant=self.other_merchant,
                kind=AlertKind.ORDERS_STUCK,
                key=f"stuck:{number}",
                subject=f"Other stuck {number}",
                message="m",
            )
        alerts_raise(
            account=self.alices_account,
            kind=AlertKind.WMS_FAILING,
            subject="WMS down at the warehouse",
            message="m",
            link="/wms/",
        )
        alerts_raise(
            account=self.charlies_account,
            kind=AlertKind.WMS_FAILING,
            subject="Charlies",
            message="m",
        )

    def test_the_dashboard_count_equals_the_alerts_page_count(self) -> None:
        for user, expected in ((self.alice, 8), (self.bob, 4)):
            self.client.force_login(user)
            dashboard = self.client.get(reverse("dashboard"))
            page = self.client.get(reverse("alert_list"))
            self.assertContains(dashboard, f'data-testid="dashboard-open-count">{expected}</span>')
            self.assertContains(
                page, f'data-testid="open-count" title="Open alerts">{expected} open'
            )
            self.assertEqual(page.content.decode().count('data-testid="open-alert"'), expected)

    def test_it_groups_by_kind_with_counts_and_fix_it_links(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(reverse("alert_list"))
        groups = page.context["groups"]
        self.assertEqual(
            {label: len(alerts) for label, alerts in groups.items()},
            {"The WMS refused orders": 4, "Orders are stuck": 3, "The WMS cannot be reached": 1},
        )
        counts = {row.kind: row.count for row in page.context["kind_counts"]}
        self.assertEqual(counts, {"order_refused": 4, "orders_stuck": 3, "wms_failing": 1})
        self.assertContains(page, 'href="/orders/?status=error">Fix it</a>', count=4)
        self.assertNotContains(page, "Charlies")

    def test_it_filters_by_kind_merchant_and_state(self) -> None:
        self.client.force_login(self.alice)
        url = reverse("alert_list")
        page = self.client.get(url, {"kind": "orders_stuck"})
        self.assertEqual(page.content.decode().count('data-testid="open-alert"'), 3)
        page = self.client.get(url, {"merchant": self.bobs_merchant.id})
        self.assertEqual(page.content.decode().count('data-testid="open-alert"'), 4)
        alert = Alert.objects.get(key="sku:0")
        self.client.post(reverse("alert_dismiss", args=[alert.id]))
        page = self.client.get(url, {"state": "resolved"})
        self.assertContains(page, "Unknown SKU BIKE-0")
        self.assertContains(page, "by alice@example.org")
        self.assertEqual(page.content.decode().count('data-testid="resolved-alert"'), 1)

    def test_a_merchant_user_sees_only_their_merchants_alerts(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(reverse("alert_list"), {"state": "open"})
        self.assertContains(page, "Unknown SKU BIKE-1")
        self.assertNotContains(page, "Other stuck")
        self.assertNotContains(page, "WMS down at the warehouse")  # account-wide
        self.assertNotIn("merchant", page.context["form"].fields)
        other = Alert.objects.get(key="stuck:0")
        response = self.client.post(reverse("alert_dismiss", args=[other.id]))
        self.assertEqual(response.status_code, 404)

    def test_charlie_gets_404_for_alices_alert(self) -> None:
        alert = Alert.objects.get(key="sku:0")
        self.client.force_login(self.charlie)
        response = self.client.post(reverse("alert_dismiss", args=[alert.id]))
        self.assertEqual(response.status_code, 404)
        self.assertIsNone(Alert.objects.get(id=alert.id).resolved_at)


class RecipientScreenTests(BaseTestCase):
    def test_an_admin_adds_deactivates_and_deletes_addresses(self) -> None:
        self.client.force_login(self.alice)
        url = reverse("alert_recipients")
        response = self.client.post(
            url, {"email": "Ops@Example.org", "merchant": self.other_merchant.id}, follow=True
        )
        self.assertContains(response, "ops@example.org now gets the alert e-mails about Other")
        recipient = AlertRecipient.objects.get()
        self.assertEqual(
            (recipient.account, recipient.merchant, recipient.is_active),
            (self.alices_account, self.other_merchant, True),
        )
        again = self.client.post(url, {"email": "ops@example.org", "merchant": ""})
        self.assertContains(again, "ops@example.org is already on the list")
        self.client.post(reverse("alert_recipient_active", args=[recipient.id]), {"active": "0"})
        recipient.refresh_from_db()
        self.assertFalse(recipient.is_active)
        self.client.post(reverse("alert_recipient_delete", args=[recipient.id]))
        self.assertFalse(AlertRecipient.objects.exists())

    def test_the_alert_settings_are_saved_and_checked(self) -> None:
        self.client.force_login(self.alice)
        url = reverse("alert_settings")
        bad = self.client.post(
            url, {"frequency": "hourly", "stuck_new_grace_minutes": "-1", "stuck_at_wms_days": "0"}
        )
        self.assertEqual(bad.status_code, 200)
        self.assertContains(bad, "greater than or equal to")
        self.client.post(
            url, {"frequency": "daily", "stuck_new_grace_minutes": "90", "stuck_at_wms_days": "7"}
        )
        account = Account.objects.get(id=self.alices_account.id)
        self.assertEqual(
            (account.alert_frequency, account.stuck_new_grace_minutes, account.stuck_at_wms_days),
            (AlertFrequency.DAILY, 90, 7),
        )
        settings_page = self.client.get(reverse("account_settings"))
        self.assertContains(settings_page, "Daily digest; new orders are stuck after 90 minutes")
        self.assertContains(self.client.get(reverse("alert_list")), reverse("alert_recipients"))

    def test_only_account_admins_manage_recipients(self) -> None:
        recipient = AlertRecipient.objects.create(
            account=self.alices_account, email="ops@example.org"
        )
        staff = self.create_staff()
        for user in (self.bob, staff):
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("alert_recipients")).status_code, 403)
            response = self.client.post(reverse("alert_recipient_delete", args=[recipient.id]))
            self.assertEqual(response.status_code, 403)
            self.assertNotContains(
                self.client.get(reverse("alert_list")), reverse("alert_recipients")
            )
        self.client.force_login(self.charlie)
        for name in ("alert_recipient_delete", "alert_recipient_active"):
            response = self.client.post(reverse(name, args=[recipient.id]), {"active": "0"})
            self.assertEqual(response.status_code, 404)
        self.assertNotContains(self.client.get(reverse("alert_recipients")), "ops@example.org")
        recipient.refresh_from_db()
        self.assertTrue(recipient.is_active)
