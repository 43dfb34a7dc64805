"""BigCommerce webhooks: the Standard Webhooks signature check and the notice a hook means."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from carts.connectors.signatures import delivery_key, hmac_sha256_base64, signature_matches
from integration_manager.connector_errors import AuthError, RecordError
from integration_manager.http import remote_text
from integration_manager.records import WebhookNotice

# Standard Webhooks' default tolerance: an older delivery may be a replay.
WEBHOOK_TOLERANCE = 5 * 60


def _signed_content(headers: Mapping[str, str], body: bytes) -> tuple[str, bytes]:
    """The delivery id and what the signature covers (id.timestamp.body), once the headers
    are all there and the timestamp is recent."""
    delivery_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not (delivery_id and timestamp and headers.get("webhook-signature", "")):
        raise AuthError("A BigCommerce webhook arrived without its signature headers.")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise AuthError("A BigCommerce webhook arrived with an unreadable timestamp.") from None
    if abs(time.time() - sent_at) > WEBHOOK_TOLERANCE:
        raise AuthError(
            "A BigCommerce webhook arrived with a timestamp more than 5 minutes off; it "
            "was refused as a possible replay. Check this server's clock."
        )
    # surrogatepass: whatever the id holds, it becomes bytes (and the signature fails).
    signed = delivery_id.encode("utf-8", "surrogatepass") + b"." + timestamp.encode() + b"."
    return delivery_id, signed + body


def _check_signature(secret: str, signed: bytes, signatures: str) -> None:
    expected = hmac_sha256_base64(secret, signed)
    # The header may carry several space-separated "v1,<signature>" (key rotation).
    offered = [
        candidate.split(",", 1)[1]
        for candidate in signatures.split()
        if candidate.startswith("v1,")
    ]
    if not any(signature_matches(expected, candidate) for candidate in offered):
        raise AuthError(
            "A BigCommerce webhook's signature does not match the client secret. Check "
            "that the cart's client secret belongs to the API account that made the hook."
        )


def _payload(body: bytes, *, delivery_id: str) -> tuple[str, str, dict[str, Any]]:
    """The body's scope, producer and data object; RecordError when it is unreadable."""
    try:
        payload = json.loads(body)
        scope = str(payload["scope"])
        data = payload.get("data") or {}
        if not isinstance(data, dict):
            raise TypeError("data is not an object")
    # RecursionError: a body nested deeper than json.loads can go.
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise RecordError(
            "A BigCommerce webhook had an unreadable body.", record_ref=delivery_id
        ) from None
    return scope, str(payload.get("producer") or ""), data


def webhook_notice(
    *, headers: Mapping[str, str], body: bytes, secret: str, store_hash: str
) -> WebhookNotice:
    """Verify a Standard Webhooks signature (webhook-id, webhook-timestamp,
    webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>", keyed with the API
    account's client secret) and name the order the thin payload points at."""
    if not secret:
        raise AuthError(
            "A BigCommerce webhook arrived, but the cart has no client secret to check it "
            "with. Paste the API account's client secret in the cart's settings."
        )
    delivery_id, signed = _signed_content(headers, body)
    _check_signature(secret, signed, headers.get("webhook-signature", ""))
    scope, producer, data = _payload(body, delivery_id=delivery_id)
    if producer and producer != f"stores/{store_hash}":
        raise RecordError(
            f"A BigCommerce webhook came from {remote_text(producer)}, not this cart's store.",
            record_ref=delivery_id,
        )
    # Order hooks name the order; shipment hooks name it as orderId.
    order_id = data.get("id") if data.get("type") == "order" else data.get("orderId")
    return WebhookNotice(
        delivery_id=delivery_key(signed),
        topic=scope,
        source_order_ids=(str(order_id),) if order_id not in (None, "") else (),
    )
