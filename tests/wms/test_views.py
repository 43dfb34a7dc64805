from __future__ import annotations

from django.urls import reverse

from jobs.models import ServiceSchedule
from tests.base import BaseTestCase
from wms.models import WmsConnection, WmsShipMethod


class WmsViewTests(BaseTestCase):
    def test_alice_sets_up_the_sandbox_wms_tests_it_and_loads_ship_methods(self) -> None:
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(reverse("wms_setup")), "No WMS yet")
        form = self.client.get(reverse("wms_setup"), {"type": "sandbox"})
        self.assertContains(form, "Sandbox key")
        response = self.client.post(
            reverse("wms_setup"),
            {
                "connector_key": "sandbox",
                "label": "",
                "settings-api_key": "sandbox-key",
                "settings-ship_delay_seconds": "30",
                "settings-split_percent": "0",
            },
        )
        self.assertRedirects(response, reverse("wms_setup"))
        wms = WmsConnection.objects.get(account=self.alices_account)
        self.assertEqual((wms.label, wms.settings["ship_delay_seconds"]), ("Sandbox WMS", 30))
        self.assertContains(self.client.post(reverse("wms_test"), follow=True), "Test passed")
        self.assertContains(
            self.client.post(reverse("wms_ship_methods_refresh"), follow=True),
            "5 ship method(s) loaded",
        )
        self.assertEqual(WmsShipMethod.objects.filter(account=self.alices_account).count(), 5)
        page = self.client.get(reverse("wms_setup"))
        self.assertNotContains(page, "sandbox-key")
        self.assertContains(page, "Bob&#x27;s Bikes")  # merchant services listed

    def test_bad_input_saves_nothing(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("wms_setup"),
            {
                "connector_key": "sandbox",
                "settings-api_key": "",
                "settings-ship_delay_seconds": "x",
                "settings-split_percent": "0",
            },
        )
        self.assertContains(response, "Enter a whole number")
        self.assertFalse(WmsConnection.objects.exists())

    def test_staff_see_the_wms_but_do_not_change_it(self) -> None:
        self.client.force_login(self.create_staff())
        self.assertEqual(self.client.get(reverse("wms_setup")).status_code, 200)
        response = self.client.post(
            reverse("wms_setup"),
            {
                "connector_key": "sandbox",
                "settings-api_key": "x",
                "settings-ship_delay_seconds": "1",
                "settings-split_percent": "0",
            },
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(WmsConnection.objects.exists())

    def test_merchant_users_have_no_wms_page(self) -> None:
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(reverse("wms_setup")).status_code, 403)

    def test_saving_credentials_again_lifts_a_pause(self) -> None:
        from django.utils import timezone

        from tests.objects import create_wms

        wms = create_wms(self.alices_account)
        WmsConnection.objects.filter(id=wms.id).update(
            paused_at=timezone.now(), paused_reason="refused"
        )
        ServiceSchedule.objects.filter(account=self.alices_account, cart=None).update(enabled=False)
        self.client.force_login(self.alice)
        self.client.post(
            reverse("wms_setup"),
            {
                "connector_key": "sandbox",
                "settings-api_key": "sandbox-key",
                "settings-ship_delay_seconds": "0",
                "settings-split_percent": "0",
            },
        )
        wms.refresh_from_db()
        self.assertIsNone(wms.paused_at)
        self.assertTrue(
            ServiceSchedule.objects.filter(
                account=self.alices_account, cart=None, enabled=True
            ).exists()
        )
