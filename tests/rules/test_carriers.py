"""Carrier codes the WMS sends are recorded, and the mapped code goes to the cart."""

from __future__ import annotations

from unittest import mock

from carts.connectors.sandbox import SandboxCartConnector
from jobs.models import ServiceSchedule
from orders.jobs import SHIP_CONFIRM, SHIPMENT_UPLOAD
from orders.services.ship_confirm import shipments_fetch
from orders.services.shipment_upload import shipments_upload
from tests.objects import create_order, recorder
from tests.rules.support import RulesTestCase
from wms.carriers import carrier_codes_record, cart_carrier_for
from wms.models import CarrierMap


class CarrierMapTests(RulesTestCase):
    def confirm(self) -> None:
        schedule = ServiceSchedule.objects.get(
            merchant=self.bobs_merchant, cart=None, service=SHIP_CONFIRM
        )
        shipments_fetch(
            schedule=schedule, run=recorder(merchant=self.bobs_merchant, service=SHIP_CONFIRM)
        )

    def upload(self) -> list[str]:
        carriers = []
        original = SandboxCartConnector.upload_shipment

        def spy(connector, order, shipment, **options):  # type: ignore[no-untyped-def]
            carriers.append(shipment.carrier)
            return original(connector, order, shipment, **options)

        with mock.patch.object(SandboxCartConnector, "upload_shipment", spy):
            shipments_upload(
                cart=self.cart,
                run=recorder(merchant=self.bobs_merchant, service=SHIPMENT_UPLOAD, cart=self.cart),
            )
        return carriers

    def test_the_wms_carrier_is_recorded_once_and_passed_on_until_mapped(self) -> None:
        create_order(self.cart, number=1, ship_code="FDX-HOME")
        create_order(self.cart, number=2, ship_code="FDX-HOME")
        self.deliver()
        self.confirm()
        entry = CarrierMap.objects.get()
        self.assertEqual(
            (entry.merchant_id, entry.wms_code, entry.cart_code),
            (self.bobs_merchant.id, "FedEx", ""),
        )
        self.assertEqual(self.upload(), ["FedEx", "FedEx"])

    def test_a_mapped_carrier_is_what_the_cart_gets(self) -> None:
        create_order(self.cart, number=1, ship_code="FDX-HOME")
        self.deliver()
        self.confirm()
        CarrierMap.objects.filter(wms_code="FedEx").update(cart_code="FEDEX")
        self.assertEqual(self.upload(), ["FEDEX"])

    def test_seen_again_moves_last_seen_and_keeps_the_mapping(self) -> None:
        carrier_codes_record(
            account_id=self.alices_account.id, merchant_id=self.bobs_merchant.id, codes=["FDXG"]
        )
        CarrierMap.objects.update(cart_code="FEDEX")
        before = CarrierMap.objects.get().last_seen_at
        carrier_codes_record(
            account_id=self.alices_account.id,
            merchant_id=self.bobs_merchant.id,
            codes=["FDXG", "", "UPSN"],
        )
        self.assertEqual(CarrierMap.objects.count(), 2)
        entry = CarrierMap.objects.get(wms_code="FDXG")
        self.assertEqual(entry.cart_code, "FEDEX")
        self.assertGreater(entry.last_seen_at, before)

    def test_the_scac_is_looked_up_before_the_carrier_name(self) -> None:
        mapped = {"FDXG": "FEDEX", "UPS": "ups"}
        self.assertEqual(cart_carrier_for(mapped, scac="FDXG", carrier="FedEx"), "FEDEX")
        self.assertEqual(cart_carrier_for(mapped, scac="", carrier="UPS"), "ups")
        self.assertEqual(cart_carrier_for(mapped, scac="XX", carrier="DHL"), "DHL")
