"""3PL Warehouse Manager event notifications: RSA signatures, the published key, rotation."""

from __future__ import annotations

import json

from carts.connectors.signatures import delivery_key
from integration_manager.connector_errors import AuthError, RecordError, TransientError
from integration_manager.records import WebhookNotice
from tests.emulators.base import Emulator, Request, Response, route
from tests.support.threepl import ThreePLTestCase


class WebhookReceiver(Emulator):
    """Stands in for the hub's WMS webhook endpoint: keeps what arrives."""

    @route("POST", r"/webhooks/wms/token")
    def receive(self, request: Request) -> Response:
        return Response(200, {"ok": True})


class WebhookTests(ThreePLTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.order_id = self.emulator.add_order("HUB-1001", {"BIKE-RED": 1})

    def parse(self, headers: dict[str, str], body: bytes) -> WebhookNotice:
        return self.connector().parse_webhook(headers=headers, body=body)

    def key_fetches(self) -> int:
        return len(self.emulator.requests_to("GET", r"^/events/webhook/key$"))

    def test_a_signed_event_names_its_type_and_our_reference(self) -> None:
        self.emulator.ship(self.order_id)
        headers, body = self.emulator.signed_webhook("OrderConfirm", self.order_id)
        notice = self.parse(headers, body)
        self.assertEqual((notice.topic, notice.source_order_ids), ("OrderConfirm", ("HUB-1001",)))
        self.assertEqual(notice.delivery_id, delivery_key(body))
        # The key needs no login: no token was asked for.
        self.assertEqual(self.token_requests(), 0)

    def test_the_key_is_fetched_once_and_kept(self) -> None:
        for event in ("OrderCreate", "OrderUpdate", "OrderConfirm"):
            self.parse(*self.emulator.signed_webhook(event, self.order_id))
        self.assertEqual(self.key_fetches(), 1)

    def test_a_delivery_through_http_verifies_with_lower_case_headers(self) -> None:
        receiver = WebhookReceiver()
        receiver.start()
        self.addCleanup(receiver.stop)
        sent = self.emulator.send_webhook(
            f"{receiver.base_url}/webhooks/wms/token", "OrderCancel", self.order_id
        )
        self.assertEqual(sent.status_code, 200)
        [arrived] = receiver.requests
        self.assertEqual(self.parse(arrived.headers, arrived.body).topic, "OrderCancel")

    def test_a_changed_body_is_refused_and_fetches_the_key_once_more(self) -> None:
        headers, body = self.emulator.signed_webhook("OrderConfirm", self.order_id)
        self.parse(headers, body)
        tampered = body.replace(b"HUB-1001", b"HUB-6666")
        with self.assertRaises(AuthError):
            self.parse(headers, tampered)
        self.assertEqual(self.key_fetches(), 2)

    def test_a_stream_of_forged_events_does_not_become_a_stream_of_key_fetches(self) -> None:
        headers, body = self.emulator.signed_webhook("OrderConfirm", self.order_id)
        self.parse(headers, body)
        for _ in range(5):
            with self.assertRaises(AuthError):
                self.parse({"Signature": self.emulator.sign(b"other")}, body)
        self.assertEqual(self.key_fetches(), 2)

    def test_a_rotated_key_is_fetched_again_and_then_holds(self) -> None:
        old_headers, old_body = self.emulator.signed_webhook("OrderUpdate", self.order_id)
        self.parse(old_headers, old_body)
        self.emulator.rotate_key()
        notice = self.parse(*self.emulator.signed_webhook("OrderConfirm", self.order_id))
        self.assertEqual(notice.topic, "OrderConfirm")
        self.assertEqual(self.key_fetches(), 2)
        with self.assertRaises(AuthError):  # signed with the key that was replaced
            self.parse(old_headers, old_body)

    def test_an_unsigned_event_is_refused_before_any_key_is_fetched(self) -> None:
        _, body = self.emulator.signed_webhook("OrderConfirm", self.order_id)
        for headers in ({}, {"Signature": "%%%"}, {"Signature": "Zm9v\u00e9"}):
            with self.assertRaises(AuthError):
                self.parse(headers, body)
        self.assertEqual(self.key_fetches(), 0)

    def test_a_signed_body_that_cannot_be_read_is_a_record_error(self) -> None:
        body = json.dumps({"tplId": 2, "resource": {}}).encode()
        with self.assertRaises(RecordError) as caught:
            self.parse({"Signature": self.emulator.sign(body)}, body)
        self.assertEqual(caught.exception.record_ref, delivery_key(body))

    def test_a_key_the_wms_cannot_give_now_is_transient(self) -> None:
        self.emulator.server_error_next(503, path_contains="/events/webhook/key", times=3)
        with self.assertRaises(TransientError):
            self.parse(*self.emulator.signed_webhook("OrderConfirm", self.order_id))
