"""Shopify webhooks: HMAC-SHA256 over the raw body, the notice they carry, de-duplication."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from unittest import mock

from carts.connectors.signatures import delivery_key
from integration_manager.connector_errors import AuthError, RecordError
from tests.emulators.base import Emulator, Request, Response, route
from tests.support.shopify import ShopifyTestCase


class WebhookReceiver(Emulator):
    """The hub's webhook endpoint, as far as Shopify can tell: it keeps what it is sent."""

    name = "receiver"

    @route("POST", r"/hooks/shopify")
    def receive(self, request: Request) -> Response:
        return Response(200, {})


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


class ShopifyWebhookTests(ShopifyTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.order = self.emulator.add_order()

    def delivery(self, topic: str = "orders/updated", **options: Any) -> tuple[dict, bytes]:
        headers, body = self.emulator.webhook_delivery(topic, self.order["id"], **options)
        return lower(headers), body

    def test_it_reads_each_order_topic(self) -> None:
        for topic in ("orders/create", "orders/updated", "orders/cancelled"):
            with self.subTest(topic=topic):
                headers, body = self.delivery(topic)

                notice = self.connector().parse_webhook(headers=headers, body=body)

                self.assertEqual(notice.topic, topic)
                self.assertEqual(notice.delivery_id, delivery_key(body))
                self.assertEqual(notice.source_order_ids, (str(self.order["id"]),))

    def test_a_signed_body_sent_again_under_a_new_id_is_the_same_delivery(self) -> None:
        connector = self.connector()

        first = connector.parse_webhook(**self.parts(webhook_id="b54557e4-bdd9-4b37"))
        again = connector.parse_webhook(**self.parts(webhook_id="0c9f81aa-1111-2222"))

        # The id header is not signed; the body is, and it is the same.
        self.assertEqual(first.delivery_id, again.delivery_id)

    def parts(self, **options: Any) -> dict[str, Any]:
        headers, body = self.delivery(**options)
        return {"headers": headers, "body": body}

    def test_it_refuses_a_signature_made_with_another_secret(self) -> None:
        headers, body = self.delivery(secret="someone-elses-secret")

        with self.assertRaises(AuthError) as refused:
            self.connector().parse_webhook(headers=headers, body=body)

        self.assertIn("did not match", str(refused.exception))
        self.assertNotIn(self.emulator.webhook_secret, str(refused.exception))

    def test_it_refuses_a_body_changed_after_signing(self) -> None:
        headers, body = self.delivery()

        with self.assertRaises(AuthError):
            self.connector().parse_webhook(headers=headers, body=body.replace(b"#", b"$"))

    def test_it_refuses_a_delivery_without_a_signature(self) -> None:
        headers, body = self.delivery()
        del headers["x-shopify-hmac-sha256"]

        with self.assertRaises(AuthError) as refused:
            self.connector().parse_webhook(headers=headers, body=body)

        self.assertIn("without Shopify's signature", str(refused.exception))

    def test_it_needs_the_signing_secret(self) -> None:
        headers, body = self.delivery()
        connector = self.connector(credentials={"access_token": self.emulator.access_token})

        with self.assertRaises(AuthError) as refused:
            connector.parse_webhook(headers=headers, body=body)

        self.assertIn("no webhook signing secret", str(refused.exception))

    def test_it_compares_signatures_in_constant_time(self) -> None:
        headers, body = self.delivery()

        with mock.patch.object(hmac, "compare_digest", wraps=hmac.compare_digest) as compare:
            self.connector().parse_webhook(headers=headers, body=body)

        compare.assert_called_once()
        self.assertIn(headers["x-shopify-hmac-sha256"].encode(), compare.call_args.args)

    def test_an_unreadable_body_is_a_record_error(self) -> None:
        headers, _ = self.delivery()
        body = b"{not json"
        headers["x-shopify-hmac-sha256"] = self.sign(body)

        with self.assertRaises(RecordError) as refused:
            self.connector().parse_webhook(headers=headers, body=body)

        self.assertEqual(refused.exception.record_ref, headers["x-shopify-webhook-id"])

    def test_an_order_topic_without_an_order_id_is_a_record_error(self) -> None:
        headers, _ = self.delivery()
        body = b'{"name": "#1001"}'
        headers["x-shopify-hmac-sha256"] = self.sign(body)

        with self.assertRaises(RecordError):
            self.connector().parse_webhook(headers=headers, body=body)

    def test_another_topic_names_no_order(self) -> None:
        headers, body = self.delivery("app/uninstalled")

        notice = self.connector().parse_webhook(headers=headers, body=body)

        self.assertEqual((notice.topic, notice.source_order_ids), ("app/uninstalled", ()))

    def test_a_delivery_sent_over_http_verifies(self) -> None:
        receiver = WebhookReceiver()
        receiver.start()
        self.addCleanup(receiver.stop)

        response = self.emulator.send_webhook(
            f"{receiver.base_url}/hooks/shopify", "orders/create", self.order["id"]
        )

        self.assertEqual(response.status_code, 200)
        (request,) = receiver.requests
        self.assertEqual(request.header("x-shopify-shop-domain"), "hub-test.myshopify.com")
        notice = self.connector().parse_webhook(headers=request.headers, body=request.body)
        self.assertEqual(notice.source_order_ids, (str(self.order["id"]),))

    def sign(self, body: bytes) -> str:
        digest = hmac.new(self.emulator.webhook_secret.encode(), body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()
