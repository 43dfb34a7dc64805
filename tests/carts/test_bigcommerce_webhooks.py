"""BigCommerce webhooks (Standard Webhooks signatures) against the emulator's deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.test import SimpleTestCase

from carts.connectors.bigcommerce.webhooks import webhook_notice
from carts.connectors.signatures import delivery_key
from integration_manager.connector_errors import AuthError, RecordError
from integration_manager.records import WebhookNotice
from tests.emulators.base import Emulator, Request, Response, route
from tests.emulators.bigcommerce import BigCommerceEmulator
from tests.support.bigcommerce import BigCommerceTestCase


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


class WebhookMappingTests(SimpleTestCase):
    """webhooks.py without a connector: what the signature check refuses and why."""

    def setUp(self) -> None:
        super().setUp()
        self.emulator = BigCommerceEmulator()  # only to sign, never started

    def notice(self, headers: dict[str, str], body: bytes, **options: str) -> WebhookNotice:
        arguments = {"secret": self.emulator.client_secret, "store_hash": self.emulator.store_hash}
        return webhook_notice(headers=headers, body=body, **{**arguments, **options})

    def test_a_hook_from_another_store_is_a_record_error(self) -> None:
        headers, body = self.emulator.signed_webhook("store/order/created", 1)
        with self.assertRaises(RecordError) as caught:
            self.notice(headers, body, store_hash="other1")
        self.assertIn(f"stores/{self.emulator.store_hash}", str(caught.exception))
        self.assertEqual(caught.exception.record_ref, headers["webhook-id"])

    def test_an_odd_signature_or_timestamp_is_refused_not_a_crash(self) -> None:
        headers, body = self.emulator.signed_webhook("store/order/created", 1)
        with self.assertRaises(AuthError):
            self.notice({**headers, "webhook-signature": "v1,\udcff\u00e9"}, body)
        with self.assertRaises(AuthError) as caught:
            self.notice({**headers, "webhook-timestamp": "soon"}, body)
        self.assertIn("unreadable timestamp", str(caught.exception))
