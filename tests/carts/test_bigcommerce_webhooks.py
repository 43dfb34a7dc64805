"""BigCommerce webhooks (Standard Webhooks signatures) and the settings form."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.test import SimpleTestCase

from carts.connectors.bigcommerce.forms import BigCommerceSettingsForm
from carts.connectors.signatures import delivery_key
from integration_manager.connector_errors import AuthError, RecordError
from integration_manager.records import WebhookNotice
from tests.carts.test_bigcommerce_orders import BigCommerceTestCase
from tests.emulators.base import Emulator, Request, Response, route


class WebhookReceiver(Emulator):
    """Stands in for the hub's webhook endpoint: keeps what arrives."""

    @route("POST", r"/hooks/bigcommerce")
    def receive(self, request: Request) -> Response:
        return Response(200, {"ok": True})


class WebhookTests(BigCommerceTestCase):
    def parse(self, headers: dict[str, str], body: bytes) -> WebhookNotice:
        return self.connector().parse_webhook(headers=headers, body=body)

    def test_a_signed_webhook_names_the_order(self) -> None:
        headers, body = self.emulator.signed_webhook("store/order/created", 250)
        notice = self.parse(headers, body)
        # Known by what its signature covers: the id, the timestamp and the body.
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        self.assertEqual(notice.delivery_id, delivery_key(signed))
        self.assertEqual(notice.topic, "store/order/created")
        self.assertEqual(notice.source_order_ids, ("250",))

    def test_a_shipment_webhook_names_its_order(self) -> None:
        notice = self.parse(*self.emulator.signed_webhook("store/shipment/created", 251))
        self.assertEqual(notice.source_order_ids, ("251",))

    def test_send_webhook_delivers_what_verifies(self) -> None:
        receiver = WebhookReceiver()
        receiver.start()
        self.addCleanup(receiver.stop)
        response = self.emulator.send_webhook(
            f"{receiver.base_url}/hooks/bigcommerce", "store/order/statusUpdated", 77
        )
        self.assertEqual(response.status_code, 200)
        [arrived] = receiver.requests
        notice = self.parse(arrived.headers, arrived.body)  # header names are lower-case
        self.assertEqual(
            (notice.topic, notice.source_order_ids), ("store/order/statusUpdated", ("77",))
        )

    def test_a_wrong_secret_is_refused(self) -> None:
        headers, body = self.emulator.signed_webhook("store/order/created", 1, secret="not-it-1234")
        with self.assertRaises(AuthError) as caught:
            self.parse(headers, body)
        self.assertIn("signature does not match", str(caught.exception))

    def test_a_changed_body_is_refused(self) -> None:
        headers, body = self.emulator.signed_webhook("store/order/created", 1)
        with self.assertRaises(AuthError):
            self.parse(headers, body.replace(b'"id": 1', b'"id": 2'))

    def test_a_missing_signature_is_refused(self) -> None:
        headers, body = self.emulator.signed_webhook("store/order/created", 1)
        del headers["webhook-signature"]
        with self.assertRaises(AuthError) as caught:
            self.parse(headers, body)
        self.assertIn("without its signature", str(caught.exception))

    def test_an_old_timestamp_is_refused(self) -> None:
        headers, body = self.emulator.signed_webhook(
            "store/order/created", 1, timestamp=int(time.time()) - 600
        )
        with self.assertRaises(AuthError) as caught:
            self.parse(headers, body)
        self.assertIn("more than 5 minutes", str(caught.exception))

    def test_one_good_signature_among_several_is_enough(self) -> None:
        headers, body = self.emulator.signed_webhook("store/order/created", 9)
        headers["webhook-signature"] = f"v1,bm90LWl0 {headers['webhook-signature']}"
        self.assertEqual(self.parse(headers, body).source_order_ids, ("9",))

    def test_an_unreadable_body_with_a_good_signature_is_a_record_error(self) -> None:
        receiver_headers, _ = self.emulator.signed_webhook("store/order/created", 1)
        body = b"not json"
        # Sign the broken body properly, so only its content is wrong.
        signed = f"{receiver_headers['webhook-id']}.{receiver_headers['webhook-timestamp']}."
        digest = hmac.new(
            self.emulator.client_secret.encode(), signed.encode() + body, hashlib.sha256
        ).digest()
        receiver_headers["webhook-signature"] = f"v1,{base64.b64encode(digest).decode()}"
        with self.assertRaises(RecordError):
            self.parse(receiver_headers, body)

    def test_without_a_client_secret_webhooks_are_refused(self) -> None:
        headers, body = self.emulator.signed_webhook("store/order/created", 1)
        connector = self.connector(credentials={"access_token": self.emulator.access_token})
        with self.assertRaises(AuthError) as caught:
            connector.parse_webhook(headers=headers, body=body)
        self.assertIn("client secret", str(caught.exception))


class SettingsFormTests(SimpleTestCase):
    def form(self, **data: object) -> BigCommerceSettingsForm:
        values = {
            "store_hash": "abc123",
            "access_token": "token-value-123",
            "client_secret": "secret-value-123",
            "download_statuses": ["11"],
            "inventory_location_id": "1",
            "base_url": "",
        }
        values.update(data)
        return BigCommerceSettingsForm(data=values, secret_fields=("access_token", "client_secret"))

    def test_it_splits_settings_from_secrets(self) -> None:
        form = self.form(earliest_order_date="2026-01-15")
        self.assertTrue(form.is_valid(), form.errors)
        settings = form.settings_data()
        self.assertEqual(settings["store_hash"], "abc123")
        self.assertEqual(settings["download_statuses"], ["11"])
        self.assertEqual(settings["base_url"], "https://api.bigcommerce.com")
        self.assertEqual(settings["earliest_order_date"], "2026-01-15")
        self.assertNotIn("access_token", settings)
        self.assertEqual(
            form.secrets_data(),
            {"access_token": "token-value-123", "client_secret": "secret-value-123"},
        )

    def test_a_pasted_api_path_gives_the_store_hash(self) -> None:
        form = self.form(store_hash="https://api.bigcommerce.com/stores/Ab12cd/v3/")
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data["store_hash"], "ab12cd")

    def test_the_control_panel_address_gives_the_store_hash(self) -> None:
        form = self.form(store_hash="store-x9y8z7.mybigcommerce.com")
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data["store_hash"], "x9y8z7")

    def test_a_bad_store_hash_says_what_one_looks_like(self) -> None:
        form = self.form(store_hash="my shop!")
        self.assertFalse(form.is_valid())
        self.assertIn("letters and digits only", form.errors["store_hash"][0])

    def test_cancelled_is_not_a_choice_because_it_always_comes_down(self) -> None:
        form = self.form(download_statuses=["5"])
        self.assertFalse(form.is_valid())
        self.assertIn("download_statuses", form.errors)

    def test_secrets_are_write_only(self) -> None:
        form = BigCommerceSettingsForm(
            initial={"access_token": "token-value-123"},
            secret_fields=("access_token", "client_secret"),
            saved_secrets=("access_token",),
        )
        self.assertNotIn("token-value-123", form.as_p())
        self.assertFalse(form.fields["access_token"].required)
