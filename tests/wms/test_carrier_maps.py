"""Carrier (SCAC) mapping per merchant: each WMS code listed, mapped per row, added ahead."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from tests.base import BaseTestCase
from wms.models import CarrierMap


class CarrierMapTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = reverse("carrier_maps", args=[self.bobs_merchant.id])
        seen = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
        self.fdx = CarrierMap.objects.create(
            account=self.alices_account,
            merchant=self.bobs_merchant,
            wms_code="FDX",
            first_seen_at=seen,
            last_seen_at=seen,
        )
        self.theirs = CarrierMap.objects.create(
            account=self.alices_account, merchant=self.other_merchant, wms_code="UPSN"
        )

    def test_it_lists_the_codes_seen_and_maps_one_per_row(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(self.url)
        self.assertContains(page, "<code>FDX</code>", html=False)
        self.assertContains(page, "3 Nov 2026")
        self.assertNotContains(page, "UPSN</code>")
        response = self.client.post(
            self.url, {"map_id": self.fdx.id, "cart_code": " FEDEX "}, follow=True
        )
        self.assertContains(response, "Carrier FDX saved: carts are sent FEDEX on new shipments.")
        self.fdx.refresh_from_db()
        self.assertEqual(self.fdx.cart_code, "FEDEX")
        # Blank again: the WMS's code goes on as it is.
        response = self.client.post(self.url, {"map_id": self.fdx.id, "cart_code": ""}, follow=True)
        self.assertContains(response, "carts are sent FDX as it is")
        self.fdx.refresh_from_db()
        self.assertEqual(self.fdx.cart_code, "")

    def test_a_code_can_be_added_before_its_first_shipment(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(self.url, {"wms_code": "ONTR", "cart_code": "ONTRAC"})
        added = CarrierMap.objects.get(merchant=self.bobs_merchant, wms_code="ONTR")
        self.assertEqual((added.account_id, added.cart_code), (self.alices_account.id, "ONTRAC"))
        # Adding a code that is there already maps it; no second row.
        self.client.post(self.url, {"wms_code": "FDX", "cart_code": "FEDEX"})
        self.assertEqual(CarrierMap.objects.filter(merchant=self.bobs_merchant).count(), 2)
        self.fdx.refresh_from_db()
        self.assertEqual(self.fdx.cart_code, "FEDEX")
        response = self.client.post(self.url, {"wms_code": " ", "cart_code": "X"}, follow=True)
        self.assertContains(response, "Not added: enter the WMS&#x27;s carrier code.")
        response = self.client.post(
            self.url, {"map_id": self.fdx.id, "cart_code": "X" * 101}, follow=True
        )
        self.assertContains(response, "at most 100 characters")

    def test_it_checks_ownership(self) -> None:
        other_url = reverse("carrier_maps", args=[self.other_merchant.id])
        self.client.force_login(self.create_staff())
        self.assertEqual(self.client.get(other_url).status_code, 200)
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(other_url).status_code, 404)
        self.assertEqual(
            self.client.post(other_url, {"map_id": self.theirs.id, "cart_code": "B"}).status_code,
            404,
        )
        # His own merchant's page with the other merchant's row id.
        response = self.client.post(self.url, {"map_id": self.theirs.id, "cart_code": "B"})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(
            self.client.post(self.url, {"map_id": "x", "cart_code": "B"}).status_code, 404
        )
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(
            self.client.post(self.url, {"map_id": self.fdx.id, "cart_code": "C"}).status_code, 404
        )
        self.assertEqual(set(CarrierMap.objects.values_list("cart_code", flat=True)), {""})
