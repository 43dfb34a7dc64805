"""Every connector's settings form round-trips: a saved connection's edit page, posted back as
a browser would without a change, saves and changes nothing."""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse

from carts.models import CartConnection
from tests.base import TenantsMixin
from tests.objects import create_cart, create_wms
from tests.support.carts import KITS
from tests.support.forms import form_values
from wms.models import WmsConnection


class SettingsRoundTripTests(TenantsMixin, TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.create_tenants()
        self.client.force_login(self.alice)

    def post_unchanged(self, cart: CartConnection) -> dict:
        edit = reverse("cart_edit", args=[cart.id])
        page = self.client.get(edit)
        self.assertEqual(page.status_code, 200)
        saved = self.client.post(edit, form_values(page.content.decode(), containing="label"))
        self.assertEqual(saved.status_code, 302, saved.content.decode()[-3000:])
        return CartConnection.objects.get(id=cart.id).settings

    def round_trip(self, cart: CartConnection) -> None:
        first = self.post_unchanged(cart)
        for name, value in cart.settings.items():  # what was saved stays as it was
            self.assertEqual(first.get(name), value, name)
        self.assertEqual(self.post_unchanged(cart), first)
        self.assertEqual(CartConnection.objects.get(id=cart.id).credentials, cart.credentials)

    def test_each_cart_connector_saves_its_own_edit_form_unchanged(self) -> None:
        for kit in KITS:
            with self.subTest(connector=kit.key):
                emulator = kit.emulator()
                url = emulator.start()
                self.addCleanup(emulator.stop)
                cart = create_cart(
                    self.bobs_merchant,
                    connector_key=kit.key,
                    prefix=f"{kit.key[:3].upper()}-",
                    settings=kit.settings(emulator, url),
                    credentials=kit.credentials(emulator),
                    label=f"{kit.key} store",
                )
                self.round_trip(cart)
        with self.subTest(connector="sandbox"):
            self.round_trip(create_cart(self.bobs_merchant, prefix="SBX-"))

    def test_the_wms_form_saves_unchanged(self) -> None:
        wms = create_wms(self.alices_account)
        page = self.client.get(reverse("wms_setup"))
        data = form_values(page.content.decode(), containing="settings-ship_delay_seconds")
        saved = self.client.post(reverse("wms_setup"), data)
        self.assertEqual(saved.status_code, 302, saved.content.decode()[-3000:])
        after = WmsConnection.objects.get(id=wms.id)
        self.assertEqual(after.settings, wms.settings)
        self.assertEqual(after.credentials, wms.credentials)
