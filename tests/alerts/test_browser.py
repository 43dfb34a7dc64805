"""The alerts page and the alert e-mail page in a real browser, with screenshots."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import AlertKind, AlertRecipient
from alerts.services import alerts_raise
from jobs.dispatcher import DISPATCHER_HEARTBEAT, heartbeat_beat
from tests.browser.base import BrowserTestCase


class AlertPagesBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        heartbeat_beat(DISPATCHER_HEARTBEAT, timezone.now())
        for sku in ("BIKE-RED-54", "BIKE-BLU-56"):
            alerts_raise(
                account=self.alices_account,
                merchant=self.bobs_merchant,
                kind=AlertKind.ORDER_REFUSED,
                key=f"sku:{sku}",
                subject=f"The WMS does not know SKU {sku}",
                message=f"3 orders wait for {sku}. Map it to a WMS SKU with a product alias.",
                link="/orders/?status=error",
            )
        alerts_raise(
            account=self.alices_account,
            merchant=self.other_merchant,
            kind=AlertKind.ORDERS_STUCK,
            key="stuck",
            subject="2 new order(s) of Other Outfitters not sent to the WMS",
            message="They are still new 60 minutes after their delivery run was due.",
            link=f"/orders/?status=new&merchant={self.other_merchant.id}",
        )

    def test_alice_filters_alerts_and_manages_recipients(self) -> None:
        self.log_in("alice@example.org")
        expect(self.page.get_by_test_id("dashboard-open-count")).to_have_text("3")
        self.page.goto(self.url("/alerts/"))
        expect(self.page.get_by_test_id("open-count")).to_have_text("3 open")
        expect(self.page.get_by_test_id("alert-group")).to_have_count(2)
        self.screenshot("alerts-page")
        self.page.get_by_label("Kind").select_option("orders_stuck")  # reloads on change
        expect(self.page.get_by_test_id("open-alert")).to_have_count(1)
        expect(self.page.get_by_test_id("clear-filters")).to_be_visible()

        self.page.get_by_test_id("recipients-link").click()
        self.page.get_by_label("E-mail address").fill("warehouse-desk@example.org")
        self.page.get_by_label("Alerts about").select_option(label="Other Outfitters")
        self.page.get_by_role("button", name="Add address").click()
        expect(self.page.get_by_text("warehouse-desk@example.org now gets")).to_be_visible()
        self.page.get_by_label("Hourly digest").check()
        self.page.get_by_role("button", name="Save settings").click()
        expect(self.page.get_by_text("Alert settings saved.")).to_be_visible()
        expect(self.page.get_by_label("Hourly digest")).to_be_checked()
        self.screenshot("alert-recipients-page")
        recipient = AlertRecipient.objects.get()
        self.assertEqual(recipient.merchant, self.other_merchant)
        self.page.get_by_role("button", name="Deactivate").click()
        expect(self.page.get_by_test_id("recipient")).to_contain_text("Inactive")

    def test_bob_sees_only_his_merchants_alerts(self) -> None:
        self.log_in("bob@example.org")
        expect(self.page.get_by_test_id("dashboard-open-count")).to_have_text("2")
        self.page.goto(self.url("/alerts/"))
        expect(self.page.get_by_test_id("open-alert")).to_have_count(2)
        expect(self.page.get_by_text("Other Outfitters not sent")).to_have_count(0)
        expect(self.page.get_by_test_id("recipients-link")).to_have_count(0)
        self.screenshot("alerts-page-merchant-user")
