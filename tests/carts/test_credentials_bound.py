"""Saved credentials go only where they were typed for: an edit that points a connection at
another address clears them, for every connector, and the form asks for them again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from carts import services
from carts.connectors.registry import CART_CONNECTORS
from carts.models import CartConnection
from tests.base import BaseTestCase
from tests.emulators.echo import EchoEmulator
from tests.emulators.woocommerce import WooCommerceEmulator
from tests.objects import create_cart, create_wms, create_woocommerce_cart
from wms import services as wms_services
from wms.models import WmsConnection


@dataclass(frozen=True)
class Move:
    """A connector, its saved setup, and an edit that sends it elsewhere."""

    key: str
    settings: dict[str, Any]
    credentials: dict[str, str]
    elsewhere: dict[str, Any]


MOVES = (
    Move(
        "shopify",
        {"base_url": "https://acme.myshopify.com", "api_version": "2026-10"},
        {"access_token": "shpat_saved_0123456789", "webhook_secret": "shpss_saved_0123"},
        {"base_url": "https://other.myshopify.com"},
    ),
    Move(
        "woocommerce",
        {"base_url": "https://shop.example.com"},
        {"consumer_key": "ck_saved_0123456789", "consumer_secret": "cs_saved_0123456789"},
        {"base_url": "https://attacker.example.net"},
    ),
    Move(
        "bigcommerce",
        {"store_hash": "abc123", "base_url": "https://api.bigcommerce.com"},
        {"access_token": "bc_saved_0123456789", "client_secret": "bcs_saved_0123456789"},
        {"store_hash": "zzz999"},
    ),
)


class CredentialsBoundTests(BaseTestCase):
    def save(self, cart: CartConnection, settings: dict[str, Any], credentials: dict[str, str]):  # type: ignore[no-untyped-def]
        return services.cart_update(
            cart=cart,
            label=cart.label,
            order_source=cart.order_source,
            reference_prefix=cart.reference_prefix,
            reject_unmapped_ship_methods=False,
            inventory_location_id=None,
            settings=settings,
            credentials=credentials,
        )

    def test_a_new_address_clears_the_saved_credentials_of_every_connector(self) -> None:
        for move in MOVES:
            with self.subTest(connector=move.key):
                cart = create_cart(
                    self.bobs_merchant,
                    connector_key=move.key,
                    settings=move.settings,
                    credentials=move.credentials,
                    label=f"{move.key} cart",
                )
                self.save(cart, {**move.settings}, {})  # the same address: kept
                self.assertEqual(
                    CartConnection.objects.get(id=cart.id).credentials, move.credentials
                )
                self.save(cart, {**move.settings, **move.elsewhere}, {})
                self.assertEqual(CartConnection.objects.get(id=cart.id).credentials, {})

    def test_credentials_typed_with_the_new_address_are_the_only_ones_kept(self) -> None:
        move = MOVES[1]
        cart = create_cart(
            self.bobs_merchant,
            connector_key=move.key,
            settings=move.settings,
            credentials={**move.credentials, "webhook_secret": "whsec_saved_0123"},
        )
        typed = {"consumer_key": "ck_new_0123456789", "consumer_secret": "cs_new_0123456789"}
        self.save(cart, {**move.settings, **move.elsewhere}, typed)
        self.assertEqual(CartConnection.objects.get(id=cart.id).credentials, typed)

    def test_the_form_asks_again_for_what_a_new_address_cleared(self) -> None:
        for move in MOVES:
            with self.subTest(connector=move.key):
                connector = CART_CONNECTORS.get(move.key)
                form = connector.form(
                    {**self.filled(move), **move.elsewhere},
                    prefix=None,
                    saved_settings=move.settings,
                    saved_secrets=set(move.credentials),
                )
                self.assertFalse(form.is_valid())
                needed = [
                    name
                    for name in connector.secret_fields
                    if name in form.errors and "address changed" in form.errors[name][0]
                ]
                self.assertTrue(needed, form.errors)
                unchanged = connector.form(
                    self.filled(move),
                    prefix=None,
                    saved_settings=move.settings,
                    saved_secrets=set(move.credentials),
                )
                self.assertTrue(unchanged.is_valid(), unchanged.errors)

    @staticmethod
    def filled(move: Move) -> dict[str, Any]:
        """A form's data: the saved settings and whatever else the form requires."""
        return {
            "api_version": "2026-10",
            "financial_statuses": ["PAID"],
            "download_statuses": ["processing"] if move.key == "woocommerce" else ["11"],
            "shipment_tracking": "auto",
            "inventory_location_id": 1,
            **move.settings,
        }

    def test_connections_without_an_address_keep_their_credentials(self) -> None:
        cart = create_cart(self.bobs_merchant)  # the sandbox: no network
        self.save(cart, {"orders_per_minute": 5}, {})
        self.assertEqual(CartConnection.objects.get(id=cart.id).credentials, cart.credentials)
        wms = create_wms(self.alices_account)
        wms_services.wms_save(
            account=self.alices_account,
            connector_key="sandbox",
            label="Sandbox WMS",
            settings={"ship_delay_seconds": 5},
            credentials={},
        )
        self.assertEqual(WmsConnection.objects.get(id=wms.id).credentials, wms.credentials)


class CredentialTheftTests(BaseTestCase):
    """bob, a merchant user who may edit carts, points his cart at a server of his own."""

    def setUp(self) -> None:
        super().setUp()
        self.store = WooCommerceEmulator()
        self.store.start()
        self.addCleanup(self.store.stop)
        self.thief = EchoEmulator(status=200)
        self.thief.start()
        self.addCleanup(self.thief.stop)
        self.cart = create_woocommerce_cart(self.bobs_merchant, self.store, prefix="TH-")
        self.client.force_login(self.bob)

    def test_no_edit_of_the_address_sends_the_saved_keys_to_another_server(self) -> None:
        edit = reverse("cart_edit", args=[self.cart.id])
        page = self.client.get(edit)
        self.assertNotContains(page, self.store.consumer_secret)
        data = {
            "label": self.cart.label,
            "reference_prefix": self.cart.reference_prefix,
            "settings-base_url": self.thief.base_url,
            "settings-download_statuses": ["processing"],
            "settings-shipment_tracking": "auto",
        }
        refused = self.client.post(edit, data)
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "address changed")
        self.assertEqual(
            CartConnection.objects.get(id=self.cart.id).settings["base_url"], self.store.base_url
        )
        # Even past the form (an API, a script), the service drops the keys with the move.
        services.cart_update(
            cart=CartConnection.objects.get(id=self.cart.id),
            label=self.cart.label,
            order_source="",
            reference_prefix=self.cart.reference_prefix,
            reject_unmapped_ship_methods=False,
            inventory_location_id=None,
            settings={"base_url": self.thief.base_url},
            credentials={},
        )
        self.client.post(reverse("cart_test", args=[self.cart.id]))
        received = " ".join(str(self.thief.echo_of(request)) for request in self.thief.requests)
        for secret in (self.store.consumer_key, self.store.consumer_secret):
            self.assertNotIn(secret, received)
