"""Every webhook URL (carts/urls.py and wms/urls.py) fed random bodies, headers and
signatures: a 4xx (or the documented 200 that asks for nothing), nothing stored, never a
5xx. Bodies signed with the right secret but unreadable are a 400, never a 5xx either."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from carts.connectors.signatures import hmac_sha256_base64
from carts.models import WebhookDelivery
from tests.base import BaseTestCase
from tests.emulators.threepl import ThreePLEmulator
from tests.fuzz.contract import rolled_back
from tests.fuzz.mutations import ODD_TEXTS, emulator_data, json_values, mutated
from tests.objects import create_cart
from wms import services as wms_services
from wms.connectors.threepl.connector import ThreePLConnector
from wms.models import WmsWebhookDelivery

SECRET = "fuzz-webhook-secret-0123456789"
STORE_HASH = "fuzz4bc7x"
SHOPIFY_ORDER = emulator_data("shopify", "order.json")["order"]
WOO_ORDER = emulator_data("woocommerce", "order.json")
BIGCOMMERCE_HOOK = {
    "scope": "store/order/created",
    "store_id": "1000042",
    "data": {"type": "order", "id": 250},
    "hash": "dd70c0976e06b67aaf671e73f49dcb79230ebf9d",
    "created_at": 1561479335,
    "producer": f"stores/{STORE_HASH}",
}
# The headers each sender sets (and a few of anyone's), for the random ones to choose from.
HEADER_NAMES = (
    "X-Shopify-Hmac-Sha256",
    "X-Shopify-Topic",
    "X-Shopify-Webhook-Id",
    "X-WC-Webhook-Signature",
    "X-WC-Webhook-Topic",
    "X-WC-Webhook-Delivery-ID",
    "Webhook-Id",
    "Webhook-Timestamp",
    "Webhook-Signature",
    "Signature",
    "X-Forwarded-For",
)
# Content-Length is left out: Django's test client reads as many bytes as it says, which no
# real server does (a wrong length is the server's 400); its one crash is pinned below.
# Deeper than json.loads can go (RecursionError), still well inside Django's body limit.
DEEP = b"[" * 100_000 + b"]" * 100_000

header_values = st.one_of(
    st.sampled_from(ODD_TEXTS[:22]).filter(lambda text: "\x00" not in text),
    st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=60),
    st.binary(min_size=1, max_size=40).map(lambda raw: base64.b64encode(raw).decode()),
    st.binary(min_size=1, max_size=40).map(lambda raw: "v1," + base64.b64encode(raw).decode()),
)
random_headers = st.dictionaries(st.sampled_from(HEADER_NAMES), header_values, max_size=5)


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode("utf-8", "surrogatepass")


def bodies(real: Any) -> st.SearchStrategy[bytes]:
    """Bytes, any JSON, the sender's real payload spoilt, and a body nested too deep."""
    return st.one_of(
        st.binary(max_size=200),
        json_values.map(body_of),
        mutated(real).map(body_of),
        st.just(DEEP),
        st.integers(min_value=0, max_value=10**6).map(lambda n: f"webhook_id={n}".encode()),
    )


def bigcommerce_signed(body: bytes, delivery_id: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    content = f"{delivery_id}.{timestamp}.".encode("utf-8", "surrogateescape") + body
    return {
        "Webhook-Id": delivery_id,
        "Webhook-Timestamp": timestamp,
        "Webhook-Signature": "v1," + hmac_sha256_base64(SECRET, content),
    }


class WebhookFuzzTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.carts = {
            key: create_cart(
                self.bobs_merchant,
                connector_key=key,
                prefix=f"{key[:4].upper()}-",
                settings=settings,
                credentials=credentials,
            )
            for key, settings, credentials in (
                ("shopify", {"base_url": "http://127.0.0.1:9"}, {"webhook_secret": SECRET}),
                ("woocommerce", {"base_url": "http://127.0.0.1:9"}, {"webhook_secret": SECRET}),
                (
                    "bigcommerce",
                    {"base_url": "http://127.0.0.1:9", "store_hash": STORE_HASH},
                    {"client_secret": SECRET},
                ),
            )
        }
        # The WMS's key is fetched from it when a signature does not hold: an emulator here.
        self.warehouse = ThreePLEmulator()
        self.warehouse.start()
        self.addCleanup(self.warehouse.stop)
        ThreePLConnector.webhook_keys.clear()
        self.addCleanup(ThreePLConnector.webhook_keys.clear)
        self.wms = wms_services.wms_save(
            account=self.alices_account,
            connector_key="threepl",
            label="Trailhead 3PL",
            settings=self.warehouse.connector_settings(),
            credentials=self.warehouse.connector_credentials(),
        )
        self.wms_body = self.warehouse.signed_webhook(
            "OrderConfirm", self.warehouse.add_order("HUB-1001", {"BIKE-RED": 1})
        )[1]

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpResponse:
        return self.client.post(url, data=body, content_type="application/json", headers=headers)

    def nothing_stored(self) -> bool:
        # A delivery row is written in the transaction that makes the runs due: none, none.
        return not (WebhookDelivery.objects.exists() or WmsWebhookDelivery.objects.exists())

    def assert_refused(self, response: HttpResponse) -> None:
        """A 4xx with a message, or the documented 200 that asks for nothing; nothing kept."""
        self.assertLess(response.status_code, 500, response.content[:300])
        if response.status_code == 200:
            self.assertEqual(response.json(), {"ok": True})
        else:
            self.assertGreaterEqual(response.status_code, 400)
            self.assertTrue(response.json()["error"])
        self.assertFalse(WebhookDelivery.objects.exists())
        self.assertFalse(WmsWebhookDelivery.objects.exists())

    def assert_read_or_refused(self, response: HttpResponse, *, stored: Any) -> None:
        """A signed delivery: taken (200, one delivery kept) or unreadable (400, none)."""
        self.assertIn(response.status_code, (200, 400), response.content[:300])
        if response.status_code == 400:
            self.assertTrue(response.json()["error"])
            self.assertFalse(stored.exists())

    # unsigned or wrongly signed: anyone on the internet --------------------------------------

    def test_it_refuses_random_deliveries_to_each_cart(self) -> None:
        @given(
            key=st.sampled_from(sorted(self.carts)),
            body=bodies(SHOPIFY_ORDER),
            headers=random_headers,
        )
        # UnicodeEncodeError in signatures.signature_matches: half a surrogate pair
        @example(key="shopify", body=b"{}", headers={"X-Shopify-Hmac-Sha256": "\ud800"})
        def check(key: str, body: bytes, headers: dict[str, str]) -> None:
            url = reverse("cart_webhook", args=[self.carts[key].webhook_token])
            with rolled_back():
                self.assert_refused(self.post(url, body, headers))

        check()

    def test_it_refuses_random_deliveries_to_the_wms(self) -> None:
        url = reverse("wms_webhook", args=[self.wms.webhook_token])

        @given(body=bodies(json.loads(self.wms_body)), headers=random_headers)
        def check(body: bytes, headers: dict[str, str]) -> None:
            with rolled_back():
                self.assert_refused(self.post(url, body, headers))

        check()

    def test_it_answers_404_to_an_unknown_token_and_405_to_other_methods(self) -> None:
        @given(token=st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF), max_size=80))
        def check(token: str) -> None:
            for name in ("cart_webhook", "wms_webhook"):
                url = reverse(name, args=[quote(token, safe="") or "x"])
                response = self.post(url, b"{}", {})
                self.assertIn(response.status_code, (404, 400), url)

        check()
        for name, token in (
            ("cart_webhook", self.carts["shopify"].webhook_token),
            ("wms_webhook", self.wms.webhook_token),
        ):
            self.assertEqual(self.client.get(reverse(name, args=[token])).status_code, 405)
        self.assertTrue(self.nothing_stored())

    def test_it_refuses_a_delivery_id_with_half_a_surrogate_pair(self) -> None:
        # UnicodeEncodeError while the signed content was put together: a 500, before.
        headers = {
            "Webhook-Id": "\ud800",
            "Webhook-Timestamp": str(int(time.time())),
            "Webhook-Signature": "v1,AA==",
        }
        url = reverse("cart_webhook", args=[self.carts["bigcommerce"].webhook_token])
        self.assertEqual(self.post(url, b"{}", headers).status_code, 401)
        self.assertTrue(self.nothing_stored())

    def test_it_refuses_a_content_length_that_is_not_a_number(self) -> None:
        # Django reads the body with int(CONTENT_LENGTH): a ValueError, so a 500, before.
        for name, token in (
            ("cart_webhook", self.carts["shopify"].webhook_token),
            ("wms_webhook", self.wms.webhook_token),
        ):
            response = self.post(reverse(name, args=[token]), b"{}", {"Content-Length": "v1,AA=="})
            self.assertEqual(response.status_code, 400)
        self.assertTrue(self.nothing_stored())

    # signed with the right secret, yet unreadable: the sender's own bug ----------------------

    def test_it_reads_or_refuses_each_signed_shopify_body(self) -> None:
        url = reverse("cart_webhook", args=[self.carts["shopify"].webhook_token])

        @given(body=bodies(SHOPIFY_ORDER), topic=st.sampled_from(["orders/create", "x", ""]))
        @example(body=DEEP, topic="orders/create")
        def check(body: bytes, topic: str) -> None:
            headers = {
                "X-Shopify-Hmac-Sha256": hmac_sha256_base64(SECRET, body),
                "X-Shopify-Topic": topic,
            }
            with rolled_back():
                response = self.post(url, body, headers)
                self.assert_read_or_refused(response, stored=WebhookDelivery.objects)

        check()

    def test_it_reads_or_refuses_each_signed_woocommerce_body(self) -> None:
        url = reverse("cart_webhook", args=[self.carts["woocommerce"].webhook_token])

        @given(body=bodies(WOO_ORDER), topic=st.sampled_from(["order.created", "x", ""]))
        @example(body=DEEP, topic="order.created")
        def check(body: bytes, topic: str) -> None:
            headers = {
                "X-WC-Webhook-Signature": hmac_sha256_base64(SECRET, body),
                "X-WC-Webhook-Topic": topic,
            }
            with rolled_back():
                response = self.post(url, body, headers)
                self.assert_read_or_refused(response, stored=WebhookDelivery.objects)

        check()

    def test_it_reads_or_refuses_each_signed_bigcommerce_body(self) -> None:
        url = reverse("cart_webhook", args=[self.carts["bigcommerce"].webhook_token])

        @given(body=bodies(BIGCOMMERCE_HOOK), delivery_id=st.text(min_size=1, max_size=30))
        @example(body=DEEP, delivery_id="1")
        def check(body: bytes, delivery_id: str) -> None:
            headers = bigcommerce_signed(body, delivery_id)
            with rolled_back():
                response = self.post(url, body, headers)
                self.assert_read_or_refused(response, stored=WebhookDelivery.objects)

        check()

    def test_it_reads_or_refuses_each_signed_wms_body(self) -> None:
        url = reverse("wms_webhook", args=[self.wms.webhook_token])

        @given(body=bodies(json.loads(self.wms_body)))
        @example(body=DEEP)
        def check(body: bytes) -> None:
            headers = {"Signature": self.warehouse.sign(body)}
            with rolled_back():
                response = self.post(url, body, headers)
                self.assert_read_or_refused(response, stored=WmsWebhookDelivery.objects)

        check()
