"""WooCommerce webhook deliveries: the signature check and the notice a delivery means."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from carts.connectors.signatures import delivery_key, hmac_sha256_base64, signature_matches
from carts.connectors.woocommerce.orders import order_id_of
from integration_manager.connector_errors import AuthError, RecordError
from integration_manager.records import WebhookNotice

# WooCommerce's first delivery to a new webhook: form-encoded, unsigned, no X-WC-* headers.
PING = re.compile(rb"webhook_id=(\d+)")


def webhook_notice(*, headers: Mapping[str, str], body: bytes, secret: str) -> WebhookNotice:
    """Verify X-WC-Webhook-Signature (base64 HMAC-SHA256 of the raw body with the webhook's
    secret) and name the order; headers have lower-case names.

    WooCommerce's first delivery to a new webhook is an unsigned ping, body webhook_id=N.
    It is answered as harmless (topic "ping", no orders, no download) because WooCommerce
    shows an error on the webhook unless it gets a 200; a forged ping can only cause nothing.

    The Delivery-ID header is a hash of the webhook id and the current second (two
    deliveries in one second share it) and is not signed: a delivery is known by a digest
    of its signed body instead, which names the order and its modification date.
    """
    signature = headers.get("x-wc-webhook-signature", "").strip()
    if not signature:
        return _ping(headers=headers, body=body)
    _check_signature(signature, body=body, secret=secret)
    topic = headers.get("x-wc-webhook-topic", "")
    payload = _payload(body, record_ref=headers.get("x-wc-webhook-delivery-id", "") or "webhook")
    order_id = order_id_of(payload) if topic.startswith("order.") else ""
    return WebhookNotice(
        # The signature covers the body, which names the order and its change time.
        delivery_id=delivery_key(body),
        topic=topic,
        source_order_ids=(order_id,) if order_id else (),
    )


def _ping(*, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
    """The unsigned first delivery, or AuthError for any other unsigned request."""
    ping = PING.fullmatch(body.strip())
    if ping and not headers.get("x-wc-webhook-topic"):
        return WebhookNotice(
            delivery_id=f"ping:{ping.group(1).decode()}", topic="ping", wants_download=False
        )
    raise AuthError(
        "A request reached the WooCommerce webhook address without an "
        "X-WC-Webhook-Signature header, so it was refused. Deliveries from WooCommerce "
        "always carry one; if they do not, check for a proxy that removes headers."
    )


def _check_signature(signature: str, *, body: bytes, secret: str) -> None:
    if not secret:
        raise AuthError(
            "WooCommerce sent a signed webhook, but the hub has no webhook secret for this "
            "cart. Paste the webhook's Secret (WooCommerce > Settings > Advanced > "
            "Webhooks) into the cart's settings."
        )
    if not signature_matches(hmac_sha256_base64(secret, body), signature):
        raise AuthError(
            "A WooCommerce webhook's signature does not match. Make the Secret of the "
            "webhook in WooCommerce and the webhook secret in the cart's settings the same "
            "(letters and digits only: WordPress decodes HTML entities in it)."
        )


def _payload(body: bytes, *, record_ref: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can go
        raise RecordError(
            "A WooCommerce webhook (correctly signed) had a body that is not JSON; it was "
            "ignored. The scheduled download still picks up the order.",
            record_ref=record_ref,
        ) from None
