"""WooCommerce webhooks: signature over the raw body, the ping, delivery ids, disabling."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from carts.connectors.signatures import delivery_key
from carts.connectors.woocommerce.connector import WooCommerceConnector
from integration_manager.connector_errors import AuthError, ConnectorError, RecordError
from integration_manager.records import WebhookNotice
from tests.emulators.base import Emulator, Request, Response, route
from tests.support.woocommerce import WooCommerceTestCase


class Receiver(Emulator):
    """A stand-in for the hub's webhook view: it verifies with the connector, answers 200 or
    401, or a forced status."""

    name = "receiver"

    def __init__(self, connector: WooCommerceConnector) -> None:
        super().__init__()
        self.connector = connector
        self.notices: list[WebhookNotice] = []
        self.answer_with: int | None = None

    @route("POST", r"/hooks/woocommerce")
    def receive(self, request: Request) -> Response:
        if self.answer_with is not None:
            return Response(self.answer_with, {})
        try:
            self.notices.append(
                self.connector.parse_webhook(headers=request.headers, body=request.body)
            )
        except ConnectorError as error:
            return Response(401 if isinstance(error, AuthError) else 400, {"error": str(error)})
        return Response(200, {})


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


class WooCommerceWebhookTests(WooCommerceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.order = self.emulator.add_order()

    def test_a_signed_delivery_names_its_order(self) -> None:
        headers, body = self.emulator.signed_webhook("order.updated", self.order["id"])
        notice = self.connector().parse_webhook(headers=lower(headers), body=body)
        self.assertEqual(notice.topic, "order.updated")
        self.assertEqual(notice.source_order_ids, (str(self.order["id"]),))
        self.assertEqual(notice.delivery_id, delivery_key(body))  # what the signature covers

    def test_a_changed_body_or_signature_is_refused(self) -> None:
        headers, body = self.emulator.signed_webhook("order.created", self.order["id"])
        connector = self.connector()
        with self.assertRaisesMessage(AuthError, "signature does not match"):
            connector.parse_webhook(headers=lower(headers), body=body.replace(b"John", b"Joan"))
        forged = {**lower(headers), "x-wc-webhook-signature": "bm90IGEgc2lnbmF0dXJl"}
        with self.assertRaises(AuthError):
            connector.parse_webhook(headers=forged, body=body)

    def test_a_missing_signature_is_refused(self) -> None:
        headers, body = self.emulator.signed_webhook("order.created", self.order["id"])
        unsigned = {k: v for k, v in lower(headers).items() if k != "x-wc-webhook-signature"}
        with self.assertRaisesMessage(AuthError, "without an X-WC-Webhook-Signature"):
            self.connector().parse_webhook(headers=unsigned, body=body)

    def test_another_secret_is_refused_and_no_secret_says_what_to_do(self) -> None:
        headers, body = self.emulator.signed_webhook("order.created", self.order["id"])
        other = self.connector(credentials=self.credentials(webhook_secret="another-secret-1"))
        with self.assertRaises(AuthError):
            other.parse_webhook(headers=lower(headers), body=body)
        none = self.connector(credentials=self.credentials(webhook_secret=""))
        with self.assertRaisesMessage(AuthError, "Paste the webhook's Secret"):
            none.parse_webhook(headers=lower(headers), body=body)

    def test_the_first_ping_is_harmless(self) -> None:
        notice = self.connector().parse_webhook(
            headers={"content-type": "application/x-www-form-urlencoded"}, body=b"webhook_id=142"
        )
        self.assertEqual(
            notice, WebhookNotice(delivery_id="ping:142", topic="ping", wants_download=False)
        )

    def test_a_signed_body_that_is_not_json_is_a_record_error(self) -> None:
        connector = self.connector(credentials=self.credentials(webhook_secret="s3cret-abc"))
        body = b"<html>oops</html>"
        signature = base64.b64encode(hmac.new(b"s3cret-abc", body, hashlib.sha256).digest())
        with self.assertRaises(RecordError):
            connector.parse_webhook(
                headers={
                    "x-wc-webhook-signature": signature.decode(),
                    "x-wc-webhook-topic": "order.updated",
                    "x-wc-webhook-delivery-id": "abc",
                },
                body=body,
            )

    def test_deliveries_in_one_second_keep_distinct_ids(self) -> None:
        # WooCommerce's Delivery-ID hashes the webhook id and the second: shared here.
        self.emulator.freeze_clock(datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC))
        other = self.emulator.add_order()
        first = self.emulator.signed_webhook("order.updated", self.order["id"])
        second = self.emulator.signed_webhook("order.updated", other["id"])
        self.assertEqual(
            first[0]["X-WC-Webhook-Delivery-ID"], second[0]["X-WC-Webhook-Delivery-ID"]
        )
        connector = self.connector()
        notices = [connector.parse_webhook(headers=lower(h), body=b) for h, b in (first, second)]
        self.assertNotEqual(notices[0].delivery_id, notices[1].delivery_id)

    def test_a_delivery_over_http_verifies_on_the_raw_bytes(self) -> None:
        receiver = Receiver(self.connector())
        url = f"{receiver.start()}/hooks/woocommerce"
        self.addCleanup(receiver.stop)
        self.assertEqual(self.emulator.send_ping(url), 200)
        self.assertEqual(self.emulator.send_webhook(url, "order.created", self.order["id"]), 200)
        self.assertEqual([notice.topic for notice in receiver.notices], ["ping", "order.created"])
        self.assertIn(b"\\/", receiver.requests[-1].body)  # PHP's escaped slashes, kept as sent

    def test_a_webhook_failing_too_often_is_disabled(self) -> None:
        receiver = Receiver(self.connector())
        url = f"{receiver.start()}/hooks/woocommerce"
        self.addCleanup(receiver.stop)
        receiver.answer_with = 500
        statuses = [
            self.emulator.send_webhook(url, "order.updated", self.order["id"]) for _ in range(8)
        ]
        # Counted as WC_Webhook::failed_delivery does: the 7th failure disables it.
        self.assertEqual(statuses, [500] * 7 + [None])
        [webhook] = self.emulator.webhooks.values()
        self.assertEqual(webhook.status, "disabled")
        self.assertEqual(len(receiver.requests), 7)

    def test_a_success_resets_the_failure_count(self) -> None:
        receiver = Receiver(self.connector())
        url = f"{receiver.start()}/hooks/woocommerce"
        self.addCleanup(receiver.stop)
        receiver.answer_with = 503
        for _ in range(5):
            self.emulator.send_webhook(url, "order.updated", self.order["id"])
        receiver.answer_with = None
        self.assertEqual(self.emulator.send_webhook(url, "order.updated", self.order["id"]), 200)
        [webhook] = self.emulator.webhooks.values()
        self.assertEqual((webhook.status, webhook.failure_count), ("active", 0))
